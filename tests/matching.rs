//! One event against one leaf: the match cases of Upstart's
//! `init/tests/test_event_operator.c` (`test_operator_match`), the runlevel forms of the
//! stock jobs, `$` expansion from the job's env, and the missing-entry rule.

use kindling::environ::Env;
use kindling::event::matching::matches;
use kindling::event::{Event, EventMatch, MatchArg};

/// A leaf written as in a job file: `name ARG…`, where an ARG holding `!=` or `=` is named
/// (split as Upstart does: `!=` first) and any other is positional.
fn leaf(text: &str) -> EventMatch {
    let mut words = text.split_whitespace();
    let name = words.next().expect("event name").to_string();
    let args = words
        .map(|word| {
            if let Some((key, value)) = word.split_once("!=") {
                MatchArg::NotEqual(key.into(), value.into())
            } else if let Some((key, value)) = word.split_once('=') {
                MatchArg::Equal(key.into(), value.into())
            } else {
                MatchArg::Positional(word.into())
            }
        })
        .collect();
    EventMatch { name, args }
}

/// An event written as `name KEY=VALUE…`.
fn event(text: &str) -> Event {
    let mut words = text.split_whitespace();
    let name = words.next().expect("event name");
    let mut env = Env::new();
    for pair in words {
        assert!(env.set_pair(pair), "{pair}");
    }
    Event::new(name, env)
}

fn env(pairs: &[(&str, &str)]) -> Env {
    pairs.iter().copied().collect()
}

fn check(leaf_text: &str, event_text: &str, job_env: &Env, expected: bool) {
    assert_eq!(
        matches(&leaf(leaf_text), &event(event_text), job_env),
        expected,
        "leaf `{leaf_text}` against event `{event_text}` with env `{job_env}`"
    );
}

fn yes(leaf_text: &str, event_text: &str) {
    check(leaf_text, event_text, &Env::new(), true);
}

fn no(leaf_text: &str, event_text: &str) {
    check(leaf_text, event_text, &Env::new(), false);
}

const HOBBITS: &str = "foo FRODO=foo BILBO=bar MERRY=baz";

#[test]
fn upstart_test_operator_match() {
    no("bar", "foo");
    yes("foo", "foo");
    yes("foo FRODO=foo BILBO=bar MERRY=baz", HOBBITS);
    no("foo FRODO=foo BILBO=baz MERRY=bar", HOBBITS);
    yes("foo FRODO=foo BILBO!=baz MERRY=baz", HOBBITS);
    no("foo FRODO=foo BILBO!=bar MERRY=baz", HOBBITS);
    yes("foo FRODO=foo BILBO=bar", HOBBITS);
    yes("foo foo bar baz", HOBBITS);
    no("foo foo baz bar", HOBBITS);
    yes("foo foo bar", HOBBITS);
    no("foo foo bar baz", "foo FRODO=foo BILBO=bar");
    yes("foo BILBO=bar FRODO=foo MERRY=baz", HOBBITS);
    yes(
        "foo foo bar PIPPIN=quux",
        "foo FRODO=foo BILBO=bar MERRY=baz PIPPIN=quux",
    );
    no("foo MERRY=baz", "foo FRODO=foo BILBO=bar");
    yes("foo BILBO=b?r", "foo FRODO=foo BILBO=bar");
    yes("foo f*", "foo FRODO=foo BILBO=bar");
    let foo = env(&[("FOO", "foo")]);
    check("foo $FOO", "foo FRODO=foo BILBO=bar", &foo, true);
    check("foo $WIBBLE", "foo FRODO=foo BILBO=bar", &foo, false);
}

#[test]
fn event_names_are_compared_exactly() {
    no("start*", "starting");
    no("Runlevel", "runlevel");
    no("runleve?", "runlevel");
    yes("startup", "startup");
}

#[test]
fn a_leaf_without_arguments_matches_any_env() {
    yes("runlevel", "runlevel");
    yes("runlevel", "runlevel RUNLEVEL=2 PREVLEVEL=N");
}

#[test]
fn positional_arguments_follow_the_event_order() {
    yes("started udev", "started JOB=udev INSTANCE=");
    no("started udev", "started INSTANCE= JOB=udev");
    yes("runlevel 2 N", "runlevel RUNLEVEL=2 PREVLEVEL=N");
    no("runlevel N", "runlevel RUNLEVEL=2 PREVLEVEL=N");
    // One positional too many: no match, even with a pattern that matches anything.
    no("runlevel 2 N *", "runlevel RUNLEVEL=2 PREVLEVEL=N");
    no("runlevel *", "runlevel");
}

#[test]
fn named_arguments_are_found_anywhere() {
    yes("stopped JOB=udev", "stopped JOB=udev INSTANCE= RESULT=ok");
    yes(
        "stopped RESULT=ok JOB=udev",
        "stopped JOB=udev INSTANCE= RESULT=ok",
    );
    no(
        "stopped RESULT=failed",
        "stopped JOB=udev INSTANCE= RESULT=ok",
    );
    yes(
        "net-device-up IFACE=eth*",
        "net-device-up IFACE=eth0 ADDRFAM=inet",
    );
    no(
        "net-device-up IFACE=eth*",
        "net-device-up IFACE=lo ADDRFAM=inet",
    );
    yes("stopping JOB!=udev", "stopping JOB=network");
    no("stopping JOB!=udev", "stopping JOB=udev");
    no("stopping JOB!=u*", "stopping JOB=udev");
}

#[test]
fn empty_values() {
    yes("stopped INSTANCE=", "stopped JOB=tty INSTANCE=");
    no("stopped INSTANCE=", "stopped JOB=tty INSTANCE=tty1");
    yes("stopped INSTANCE!=", "stopped JOB=tty INSTANCE=tty1");
    yes("stopped INSTANCE=*", "stopped JOB=tty INSTANCE=");
}

#[test]
fn a_missing_entry_never_matches_even_negated() {
    // Upstart 1.13: "unknown variable names never match" (Chromium later changed this).
    no("foo MERRY!=baz", "foo FRODO=foo BILBO=bar");
    no("foo MERRY!=*", "foo FRODO=foo BILBO=bar");
    no("foo FRODO=foo MERRY!=baz", "foo FRODO=foo BILBO=bar");
    no("foo MERRY!=baz", "foo");
    no("foo MERRY=*", "foo");
}

#[test]
fn values_are_globs() {
    yes("foo BILBO=[abc]ar", "foo BILBO=bar");
    yes("foo BILBO=*", "foo BILBO=bar");
    yes("foo BILBO=b*", "foo BILBO=bar");
    no("foo BILBO=B*", "foo BILBO=bar");
    yes("foo BILBO=\\*", "foo BILBO=*");
    no("foo BILBO=\\*", "foo BILBO=bar");
    yes("mounted MOUNTPOINT=/dev/*", "mounted MOUNTPOINT=/dev/pts");
    yes(
        "tty-device-added DEVNAME=tty[^0]",
        "tty-device-added DEVNAME=tty1",
    );
    yes("foo BILBO=[[:alpha:]]*", "foo BILBO=bar");
}

#[test]
fn runlevel_forms_of_the_stock_jobs() {
    // rc-sysinit, rc, tty jobs: positional fnmatch of RUNLEVEL (first entry).
    yes("runlevel [2345]", "runlevel RUNLEVEL=2 PREVLEVEL=N");
    yes("runlevel [2345]", "runlevel RUNLEVEL=5 PREVLEVEL=2");
    no("runlevel [2345]", "runlevel RUNLEVEL=S PREVLEVEL=N");
    no("runlevel [2345]", "runlevel RUNLEVEL=1 PREVLEVEL=2");
    no("runlevel [0123456]", "runlevel RUNLEVEL=S PREVLEVEL=N");
    yes("runlevel [!2345]", "runlevel RUNLEVEL=S PREVLEVEL=2");
    yes("runlevel [!2345]", "runlevel RUNLEVEL=0 PREVLEVEL=2");
    yes("runlevel [!2345]", "runlevel RUNLEVEL=6 PREVLEVEL=2");
    no("runlevel [!2345]", "runlevel RUNLEVEL=3 PREVLEVEL=2");
    yes("runlevel S", "runlevel RUNLEVEL=S PREVLEVEL=N");
    yes("runlevel RUNLEVEL=[06]", "runlevel RUNLEVEL=6 PREVLEVEL=2");
}

#[test]
fn rc_stops_on_a_runlevel_other_than_its_own() {
    // rc.conf: `stop on runlevel [!$RUNLEVEL]`, expanded from the instance's env.
    let started_in_2 = env(&[("RUNLEVEL", "2"), ("PREVLEVEL", "N")]);
    let stop_on = "runlevel [!$RUNLEVEL]";
    check(
        stop_on,
        "runlevel RUNLEVEL=2 PREVLEVEL=2",
        &started_in_2,
        false,
    );
    check(
        stop_on,
        "runlevel RUNLEVEL=3 PREVLEVEL=2",
        &started_in_2,
        true,
    );
    check(
        stop_on,
        "runlevel RUNLEVEL=S PREVLEVEL=2",
        &started_in_2,
        true,
    );
    check(
        stop_on,
        "runlevel RUNLEVEL=3 PREVLEVEL=2",
        &Env::new(),
        false,
    );
}

#[test]
fn values_expand_from_the_job_env() {
    let want = env(&[("WANT", "abc"), ("PAT", "tty*"), ("EMPTY", "")]);
    check("foo V=$WANT", "foo V=abc", &want, true);
    check("foo V=$WANT", "foo V=abd", &want, false);
    check("foo V=${WANT}d", "foo V=abcd", &want, true);
    check("foo V!=$WANT", "foo V=abd", &want, true);
    check("foo V!=$WANT", "foo V=abc", &want, false);
    check("foo $WANT", "foo V=abc", &want, true);
    // An expanded value is a pattern too.
    check("foo DEV=$PAT", "foo DEV=tty5", &want, true);
    check("foo V=${EMPTY:-x}", "foo V=x", &want, true);
    check("foo V=$EMPTY", "foo V=", &want, true);
    // Without an env, only forms with a default can expand.
    check("foo V=$WANT", "foo V=abc", &Env::new(), false);
    check("foo V=${WANT:-abc}", "foo V=abc", &Env::new(), true);
    check("foo V=${WANT-a*}", "foo V=abc", &Env::new(), true);
}

#[test]
fn an_expansion_error_never_matches_even_negated() {
    let want = env(&[("WANT", "abc")]);
    check("foo V=$NOPE", "foo V=abc", &want, false);
    check("foo V!=$NOPE", "foo V=abc", &want, false);
    check("foo V!=${WANT", "foo V=xyz", &want, false);
    check("foo V!=${WANT:x}", "foo V=xyz", &want, false);
    check("foo $NOPE", "foo V=abc", &want, false);
    // A `$` that starts no reference is an ordinary pattern character.
    check("foo V=a$", "foo V=a$", &want, true);
    check("foo V=${}", "foo V=$", &want, true);
}

#[test]
fn every_argument_must_match() {
    yes("foo FRODO=f* BILBO!=baz", HOBBITS);
    no("foo FRODO=f* BILBO!=bar", HOBBITS);
    no("foo foo bar MERRY=nope", HOBBITS);
    no("foo nope BILBO=bar", HOBBITS);
}

#[test]
fn a_positional_after_a_named_argument_reads_the_next_entry() {
    // The parser rejects this form; matching still follows Upstart's cursor.
    let leaf = EventMatch {
        name: "foo".into(),
        args: vec![
            MatchArg::Equal("BILBO".into(), "bar".into()),
            MatchArg::Positional("baz".into()),
        ],
    };
    assert!(matches(&leaf, &event(HOBBITS), &Env::new()));
    let leaf = EventMatch {
        name: "foo".into(),
        args: vec![
            MatchArg::Equal("MERRY".into(), "baz".into()),
            MatchArg::Positional("*".into()),
        ],
    };
    assert!(!matches(&leaf, &event(HOBBITS), &Env::new()));
}
