//! The job-file parser against Upstart 1.13.2: every stanza (default, values, errors),
//! accumulating vs last-wins stanzas, overrides, libnih's lexical rules, `start on`
//! expression trees, the line every error is reported on, and that no input panics.
//! Many cases mirror `init/tests/test_parse_job.c` and libnih's `test_config.c`.

use kindling::event::{EventExpr, EventMatch, MatchArg};
use kindling::job::{
    parse_job, parse_override, Cgroup, Console, EnvStanza, Expect, JobClass, Limit, Process,
    Resource,
};

fn parse(text: &str) -> JobClass {
    parse_job("test", text).unwrap_or_else(|e| panic!("{text:?} rejected: {e}"))
}

/// `(line, message)` of the error `text` must give.
fn error(text: &str) -> (usize, String) {
    match parse_job("test", text) {
        Ok(class) => panic!("{text:?} accepted: {class:?}"),
        Err(e) => (e.line, e.message),
    }
}

fn start_on(text: &str) -> String {
    parse(text)
        .start_on
        .unwrap_or_else(|| panic!("{text:?}: no start on"))
        .to_string()
}

fn exec(command: &str) -> Option<Process> {
    Some(Process {
        command: command.to_string(),
        script: false,
    })
}

fn script(body: &str) -> Option<Process> {
    Some(Process {
        command: body.to_string(),
        script: true,
    })
}

fn env(key: &str, value: Option<&str>) -> EnvStanza {
    EnvStanza {
        key: key.to_string(),
        value: value.map(str::to_string),
    }
}

fn leaf(name: &str, args: Vec<MatchArg>) -> EventExpr {
    EventExpr::Match(EventMatch {
        name: name.to_string(),
        args,
    })
}

fn pos(value: &str) -> MatchArg {
    MatchArg::Positional(value.to_string())
}

// ---------------------------------------------------------------------------------------
// Errors and their lines

const UNKNOWN: &str = "Unknown stanza";
const EXPECTED_TOKEN: &str = "Expected token";
const UNEXPECTED: &str = "Unexpected token";

/// `(file, line, message)`: most are test_parse_job.c's cases, with the line it expects.
const ERRORS: &[(&str, usize, &str)] = &[
    // parse_job / lexical
    ("wibble\n", 1, UNKNOWN),
    ("# comment\n\n  wibble foo\n", 3, UNKNOWN),
    ("\"exec\" /bin/foo\n", 1, UNKNOWN),
    ("manual foo\n", 1, UNKNOWN),
    ("debug foo\n", 1, UNKNOWN),
    ("description \"foo\n", 2, "Unterminated quoted string"),
    ("description \"foo\nbar\n", 3, "Unterminated quoted string"),
    ("exec /bin/foo \"bar\n", 2, "Unterminated quoted string"),
    ("exec /bin/foo \\", 1, "Trailing slash in file"),
    ("description foo\\", 1, "Trailing slash in file"),
    // exec / script
    ("exec\n", 1, EXPECTED_TOKEN),
    ("exec # no command\n", 1, EXPECTED_TOKEN),
    ("\n\nexec\n", 3, EXPECTED_TOKEN),
    ("script foo\n", 1, UNEXPECTED),
    ("script\n    echo\n", 3, "Unterminated block"),
    ("script\n    echo", 2, "Unterminated block"),
    ("script", 1, "Unterminated block"),
    ("script\n  echo\nend scripts\n", 4, "Unterminated block"),
    ("script\nend\n", 3, "Unterminated block"),
    // apparmor
    ("apparmor load\n", 1, EXPECTED_TOKEN),
    (
        "apparmor load /etc/apparmor.d/usr.sbin.cupsd extra\n",
        1,
        UNEXPECTED,
    ),
    ("apparmor foo\n", 1, UNKNOWN),
    ("apparmor\n", 1, EXPECTED_TOKEN),
    ("apparmor switch\n", 1, EXPECTED_TOKEN),
    ("apparmor switch /usr/sbin/cupsd extra\n", 1, UNEXPECTED),
    // pre-start & co.
    ("pre-start exec\n", 1, EXPECTED_TOKEN),
    ("pre-start script foo\n", 1, UNEXPECTED),
    ("pre-start foo\n", 1, UNKNOWN),
    ("pre-start\n", 1, EXPECTED_TOKEN),
    ("post-start foo\n", 1, UNKNOWN),
    ("pre-stop exec\n", 1, EXPECTED_TOKEN),
    ("post-stop script foo\n", 1, UNEXPECTED),
    ("post-stop script\n  echo\n", 3, "Unterminated block"),
    // start / stop
    ("start\n", 1, EXPECTED_TOKEN),
    ("start foo\n", 1, UNKNOWN),
    ("start on\n", 1, EXPECTED_TOKEN),
    ("start on", 1, EXPECTED_TOKEN),
    ("start on or foo\n", 1, "Expected event"),
    ("start on foo or\n", 1, "Expected event"),
    ("start on foo or and bar\n", 1, "Expected event"),
    ("start on foo or (or foo)\n", 1, "Expected event"),
    ("start on foo or (bar or)\n", 1, "Expected event"),
    ("start on ()\n", 1, "Expected event"),
    ("start on )\n", 1, "Expected event"),
    ("start on foo or bar or foo)\n", 1, "Mismatched parentheses"),
    ("start on foo or (bar or foo\n", 2, "Mismatched parentheses"),
    ("start on foo or (bar or foo", 1, "Mismatched parentheses"),
    ("start on (foo\n  or bar\n", 3, "Mismatched parentheses"),
    ("start on frodo (foo or bar)\n", 1, "Expected operator"),
    ("start on (foo or bar) frodo\n", 1, "Expected operator"),
    ("start on (foo or bar) (baz)\n", 1, "Expected operator"),
    (
        "start on wibble foo KEY=bar baz\n",
        1,
        "Expected variable name before value",
    ),
    (
        "start on wibble KEY!=bar baz\n",
        1,
        "Expected variable name before value",
    ),
    ("start on foo \"bar\n", 2, "Unterminated quoted string"),
    ("start on \"\"\n", 1, EXPECTED_TOKEN),
    ("start on foo and\n", 1, "Expected event"),
    ("start on (foo and\n\n bar)\n", 2, EXPECTED_TOKEN),
    (
        "start on (foo and\n  # a comment line\n bar)\n",
        2,
        EXPECTED_TOKEN,
    ),
    ("start on (foo\n  or bar)\n  or baz\n", 3, UNKNOWN),
    ("start on foo\n  or bar\n", 2, UNKNOWN),
    ("stop\n", 1, EXPECTED_TOKEN),
    ("stop foo\n", 1, UNKNOWN),
    ("stop on\n", 1, EXPECTED_TOKEN),
    ("stop on or foo\n", 1, "Expected event"),
    ("stop on foo or bar or foo)\n", 1, "Mismatched parentheses"),
    ("stop on foo or (bar or foo\n", 2, "Mismatched parentheses"),
    ("stop on frodo (foo or bar)\n", 1, "Expected operator"),
    (
        "stop on wibble foo KEY=bar baz\n",
        1,
        "Expected variable name before value",
    ),
    // single-argument stanzas
    ("description\n", 1, EXPECTED_TOKEN),
    ("description \"a test job\" \"ya ya\"\n", 1, UNEXPECTED),
    ("description a test job\n", 1, UNEXPECTED),
    ("author\n", 1, EXPECTED_TOKEN),
    ("author \"joe bloggs\" \"john doe\"\n", 1, UNEXPECTED),
    ("version\n", 1, EXPECTED_TOKEN),
    ("version \"1.0\" \"0.8\"\n", 1, UNEXPECTED),
    ("usage\n", 1, EXPECTED_TOKEN),
    ("usage stanza usage test message\n", 1, UNEXPECTED),
    ("instance\n", 1, EXPECTED_TOKEN),
    ("instance $FOO foo\n", 1, UNEXPECTED),
    ("chroot\n", 1, EXPECTED_TOKEN),
    ("chroot /chroot/daemon foo\n", 1, UNEXPECTED),
    ("chdir\n", 1, EXPECTED_TOKEN),
    ("chdir /var/lib/daemon foo\n", 1, UNEXPECTED),
    ("setuid\n", 1, EXPECTED_TOKEN),
    ("setuid www-data foo\n", 1, UNEXPECTED),
    ("setgid\n", 1, EXPECTED_TOKEN),
    ("setgid kvm foo\n", 1, UNEXPECTED),
    ("env\n", 1, EXPECTED_TOKEN),
    ("env FOO=BAR oops\n", 1, UNEXPECTED),
    ("env PIDFILE /var/run/x.pid\n", 1, UNEXPECTED),
    ("export\n", 1, EXPECTED_TOKEN),
    ("emits\n", 1, EXPECTED_TOKEN),
    ("emits # nothing\n", 1, EXPECTED_TOKEN),
    // expect, task
    ("expect\n", 1, EXPECTED_TOKEN),
    ("expect foo\n", 1, UNKNOWN),
    ("expect daemon foo\n", 1, UNEXPECTED),
    ("task foo\n", 1, UNEXPECTED),
    // respawn
    ("respawn limit 10\n", 1, EXPECTED_TOKEN),
    ("respawn limit\n", 1, EXPECTED_TOKEN),
    (
        "respawn limit 10 foo\n",
        1,
        "Illegal interval, expected number of seconds",
    ),
    (
        "respawn limit 10 10000000000000000000\n",
        1,
        "Illegal interval, expected number of seconds",
    ),
    (
        "respawn limit foo 120\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    ),
    (
        "respawn limit 10000000000000000000 120\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    ),
    (
        "respawn limit 10 99foo\n",
        1,
        "Illegal interval, expected number of seconds",
    ),
    (
        "respawn limit 99foo 120\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    ),
    (
        "respawn limit 10 -1\n",
        1,
        "Illegal interval, expected number of seconds",
    ),
    (
        "respawn limit -1 120\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    ),
    ("respawn limit 0 1 foo\n", 1, UNEXPECTED),
    ("respawn limit unlimited foo\n", 1, UNEXPECTED),
    // kill, reload
    ("kill\n", 1, EXPECTED_TOKEN),
    ("kill foo\n", 1, UNKNOWN),
    ("kill timeout\n", 1, EXPECTED_TOKEN),
    ("kill signal\n", 1, EXPECTED_TOKEN),
    (
        "kill timeout foo\n",
        1,
        "Illegal interval, expected number of seconds",
    ),
    (
        "kill timeout 10000000000000000000\n",
        1,
        "Illegal interval, expected number of seconds",
    ),
    (
        "kill timeout 99foo\n",
        1,
        "Illegal interval, expected number of seconds",
    ),
    (
        "kill timeout -1\n",
        1,
        "Illegal interval, expected number of seconds",
    ),
    (
        "kill signal foo\n",
        1,
        "Illegal signal status, expected integer",
    ),
    (
        "kill signal -1\n",
        1,
        "Illegal signal status, expected integer",
    ),
    ("kill timeout 99 foo\n", 1, UNEXPECTED),
    ("kill signal INT foo\n", 1, UNEXPECTED),
    ("reload\n", 1, EXPECTED_TOKEN),
    ("reload foo\n", 1, UNKNOWN),
    ("reload signal\n", 1, EXPECTED_TOKEN),
    (
        "reload signal foo\n",
        1,
        "Illegal signal status, expected integer",
    ),
    ("reload signal INT foo\n", 1, UNEXPECTED),
    // normal exit
    ("normal exit\n", 1, EXPECTED_TOKEN),
    (
        "normal exit foo\n",
        1,
        "Illegal exit status, expected integer",
    ),
    (
        "normal exit 99foo\n",
        1,
        "Illegal exit status, expected integer",
    ),
    (
        "normal exit -1\n",
        1,
        "Illegal exit status, expected integer",
    ),
    (
        "normal exit 0 2147483648\n",
        1,
        "Illegal exit status, expected integer",
    ),
    ("normal wibble\n", 1, UNKNOWN),
    ("normal\n", 1, EXPECTED_TOKEN),
    // console
    ("console wibble\n", 1, UNKNOWN),
    ("console logged\n", 1, UNKNOWN),
    ("console owner foo\n", 1, UNEXPECTED),
    ("console\n", 1, EXPECTED_TOKEN),
    // umask, nice, oom
    ("umask\n", 1, EXPECTED_TOKEN),
    (
        "umask 999\n",
        1,
        "Illegal file creation mask, expected octal integer",
    ),
    (
        "umask foo\n",
        1,
        "Illegal file creation mask, expected octal integer",
    ),
    (
        "umask 99foo\n",
        1,
        "Illegal file creation mask, expected octal integer",
    ),
    (
        "umask -1\n",
        1,
        "Illegal file creation mask, expected octal integer",
    ),
    (
        "umask 01000\n",
        1,
        "Illegal file creation mask, expected octal integer",
    ),
    ("umask 0755 foo\n", 1, UNEXPECTED),
    ("nice\n", 1, EXPECTED_TOKEN),
    ("nice 20\n", 1, "Illegal nice value, expected -20 to 19"),
    ("nice -21\n", 1, "Illegal nice value, expected -20 to 19"),
    ("nice foo\n", 1, "Illegal nice value, expected -20 to 19"),
    ("nice 12foo\n", 1, "Illegal nice value, expected -20 to 19"),
    ("nice 10 foo\n", 1, UNEXPECTED),
    ("oom\n", 1, EXPECTED_TOKEN),
    ("oom score\n", 1, EXPECTED_TOKEN),
    (
        "oom 20\n",
        1,
        "Illegal oom adjustment, expected -16 to 15 or 'never'",
    ),
    (
        "oom -21\n",
        1,
        "Illegal oom adjustment, expected -16 to 15 or 'never'",
    ),
    (
        "oom -18\n",
        1,
        "Illegal oom adjustment, expected -16 to 15 or 'never'",
    ),
    (
        "oom foo\n",
        1,
        "Illegal oom adjustment, expected -16 to 15 or 'never'",
    ),
    (
        "oom 12foo\n",
        1,
        "Illegal oom adjustment, expected -16 to 15 or 'never'",
    ),
    (
        "oom score 1200\n",
        1,
        "Illegal oom score adjustment, expected -999 to 1000 or 'never'",
    ),
    (
        "oom score -1200\n",
        1,
        "Illegal oom score adjustment, expected -999 to 1000 or 'never'",
    ),
    (
        "oom score foo\n",
        1,
        "Illegal oom score adjustment, expected -999 to 1000 or 'never'",
    ),
    (
        "oom score 12foo\n",
        1,
        "Illegal oom score adjustment, expected -999 to 1000 or 'never'",
    ),
    ("oom 10 foo\n", 1, UNEXPECTED),
    ("oom score 500 foo\n", 1, UNEXPECTED),
    // limit: an unknown resource is "Unknown stanza", there is no other message
    ("limit core 10\n", 1, EXPECTED_TOKEN),
    ("limit core\n", 1, EXPECTED_TOKEN),
    ("limit foo\n", 1, UNKNOWN),
    ("limit foo 1 2\n", 1, UNKNOWN),
    ("limit\n", 1, EXPECTED_TOKEN),
    (
        "limit core 10 foo\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    ),
    (
        "limit core foo 20\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    ),
    (
        "limit core 10 20000000000000000000\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    ),
    (
        "limit core 20000000000000000000 20\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    ),
    (
        "limit core 10 99foo\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    ),
    (
        "limit core 99foo 20\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    ),
    ("limit core 10 20 foo\n", 1, UNEXPECTED),
    // cgroup
    ("cgroup\n", 1, EXPECTED_TOKEN),
    ("cgroup cpu name key value extra\n", 1, UNEXPECTED),
];

#[test]
fn every_error_message_and_its_line() {
    let mut wrong = Vec::new();
    for &(text, line, message) in ERRORS {
        let got = error(text);
        if got != (line, message.to_string()) {
            wrong.push(format!(
                "{text:?}: want {line}: {message}, got {}: {}",
                got.0, got.1
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The line is the one Upstart reports: where the offending value starts, after
/// continuations; at the end of the file for unterminated quotes and blocks.
#[test]
fn error_lines_follow_continuations() {
    let interval = "Illegal interval, expected number of seconds";
    assert_eq!(error("kill timeout \\\n  foo\n"), (2, interval.into()));
    assert_eq!(error("respawn limit 10 \\\n foo\n"), (2, interval.into()));
    assert_eq!(
        error("respawn limit \\\n x \\\n 5\n"),
        (2, "Illegal limit, expected 'unlimited' or integer".into())
    );
    assert_eq!(error("expect \\\n  wrong\n"), (2, UNKNOWN.into()));
    assert_eq!(error("limit \\\n  wrong 1 2\n"), (2, UNKNOWN.into()));
    assert_eq!(error("wibble \\\n  foo\n"), (2, UNKNOWN.into()));
    assert_eq!(error("task \\\n  foo\n"), (2, UNEXPECTED.into()));
    assert_eq!(
        error("description ok\nstart on (a or\n  b) and c d=e f\n"),
        (3, "Expected variable name before value".into())
    );
    assert_eq!(error("start on (a\n   or b)\n   c\n"), (3, UNKNOWN.into()));
    assert_eq!(
        error("start on (a or\n  b\n  or) # oops\n"),
        (3, "Expected event".into())
    );
    assert_eq!(
        error("start on a\nexec /bin/true\nscript\n  echo\n"),
        (5, "Unterminated block".into())
    );
}

#[test]
fn old_syntax_is_unknown_stanza_with_a_hint() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "on startup\n",
            1,
            "Unknown stanza (0.3 syntax: write \"start on EVENT\")",
        ),
        (
            "# rc2\nwhen rcS is stopping\n",
            2,
            "Unknown stanza (0.3 syntax: for \"when JOB is STATE\" write \"start on STATE JOB\")",
        ),
        (
            "start when rc2 is stopping\n",
            1,
            "Unknown stanza (0.3 syntax: for \"start when JOB is STATE\" write \"start on STATE JOB\")",
        ),
        (
            "stop when rc2 is stopping\n",
            1,
            "Unknown stanza (0.3 syntax: for \"stop when JOB is STATE\" write \"stop on STATE JOB\")",
        ),
        (
            "from fhs-filesystem-mounted until fhs-filesystem-unmounted\n",
            1,
            "Unknown stanza (0.3 syntax: for \"from X until Y\" write \"start on X\" and \"stop on Y\")",
        ),
        (
            "until network-down\n",
            1,
            "Unknown stanza (0.3 syntax: for \"from X until Y\" write \"start on X\" and \"stop on Y\")",
        ),
        (
            "with apache\n",
            1,
            "Unknown stanza (0.3 syntax: for \"with JOB\" write \"start on started JOB\" and \"stop on stopping JOB\")",
        ),
        (
            "exec /sbin/sulogin\nstart script\n  echo\nend script\n",
            2,
            "Unknown stanza (0.3 syntax: write \"pre-start script\")",
        ),
        (
            "stop script\n",
            1,
            "Unknown stanza (0.3 syntax: write \"post-stop script\")",
        ),
        (
            "respawn /sbin/getty 38400 tty1\n",
            1,
            "Unknown stanza (0.3 syntax: write \"respawn\" and \"exec COMMAND\" on separate lines)",
        ),
        (
            "normalexit 0 1\n",
            1,
            "Unknown stanza (0.3 syntax: write \"normal exit\")",
        ),
        (
            "pid file /var/run/x.pid\n",
            1,
            "Unknown stanza (0.3 syntax: \"pid file\" is gone: use \"expect fork\" or \"expect daemon\")",
        ),
        (
            "daemon\n",
            1,
            "Unknown stanza (0.3 syntax: write \"expect daemon\")",
        ),
        (
            "service\n",
            1,
            "Unknown stanza (0.3 syntax: jobs are services by default: remove \"service\")",
        ),
    ];
    for &(text, line, message) in cases {
        assert_eq!(error(text), (line, message.to_string()), "{text:?}");
        assert!(message.starts_with(UNKNOWN));
    }
    // The valid forms stay valid.
    let class = parse("respawn\nrespawn limit 5 10\nstart on startup\nstop on runlevel [06]\n");
    assert!(class.respawn);
}

#[test]
fn a_rejected_file_yields_no_class_even_after_good_stanzas() {
    assert!(parse_job("test", "description ok\nexec /bin/true\nwibble\n").is_err());
}

// ---------------------------------------------------------------------------------------
// Defaults and every stanza

#[test]
fn empty_and_comment_only_files_give_the_defaults() {
    let defaults = JobClass::new("test");
    assert_eq!(parse(""), defaults);
    assert_eq!(
        parse("\n\n  \t\n# comment\n   # indented comment\n"),
        defaults
    );
    assert_eq!(defaults.instance, "");
    assert_eq!(defaults.respawn_limit, 10);
    assert_eq!(defaults.respawn_interval, 5);
    assert_eq!(defaults.kill_timeout, 5);
    assert_eq!(defaults.kill_signal, libc::SIGTERM);
    assert_eq!(defaults.reload_signal, libc::SIGHUP);
    assert_eq!(defaults.umask, 0o022);
    assert_eq!(defaults.expect, Expect::None);
    assert_eq!(defaults.console, None);
    assert!(!defaults.task && !defaults.respawn && !defaults.debug);
    assert_eq!(parse_job("net/apache", "").unwrap().name, "net/apache");
}

#[test]
fn text_stanzas_take_one_argument_and_last_wins() {
    let class = parse(
        "description \"an example job\"\ndescription \"a test job\"\n\
         author \"joe bloggs\"\nversion \"1.0\"\nusage 'start test FOO=bar'\n\
         instance $FOO\ninstance $BAR\nchroot /chroot/daemon\nchdir /var/lib/daemon\n\
         setuid www-data\nsetgid kvm\n",
    );
    assert_eq!(class.description.as_deref(), Some("a test job"));
    assert_eq!(class.author.as_deref(), Some("joe bloggs"));
    assert_eq!(class.version.as_deref(), Some("1.0"));
    assert_eq!(class.usage.as_deref(), Some("start test FOO=bar"));
    assert_eq!(class.instance, "$BAR");
    assert_eq!(class.chroot.as_deref(), Some("/chroot/daemon"));
    assert_eq!(class.chdir.as_deref(), Some("/var/lib/daemon"));
    assert_eq!(class.setuid.as_deref(), Some("www-data"));
    assert_eq!(class.setgid.as_deref(), Some("kvm"));
}

#[test]
fn env_accumulates_and_a_repeated_key_keeps_its_place() {
    let class =
        parse("env FOO=BAR\nenv BAZ=QUUX\nenv FOO=again\nenv HOME\nenv EMPTY=\nenv Q=\"a b\"\n");
    assert_eq!(
        class.env,
        vec![
            env("FOO", Some("again")),
            env("BAZ", Some("QUUX")),
            env("HOME", None),
            env("EMPTY", Some("")),
            env("Q", Some("a b")),
        ]
    );
    let class = parse("env A=1=2\n");
    assert_eq!(class.env, vec![env("A", Some("1=2"))]);
}

#[test]
fn export_and_emits_accumulate() {
    let class =
        parse("export FOO\nexport BAR BAZ\nemits wibble\nemits wobble waggle # c\nemits wuggle\n");
    assert_eq!(class.export, ["FOO", "BAR", "BAZ"]);
    assert_eq!(class.emits, ["wibble", "wobble", "waggle", "wuggle"]);
}

#[test]
fn exec_takes_the_raw_rest_of_the_line() {
    assert_eq!(
        parse("exec /sbin/daemon -d \"foo\"\n").main,
        exec("/sbin/daemon -d \"foo\"")
    );
    assert_eq!(
        parse("exec /bin/sh -c 'echo $HOME'\n").main,
        exec("/bin/sh -c 'echo $HOME'")
    );
    assert_eq!(
        parse("exec echo a   b  # comment\n").main,
        exec("echo a   b")
    );
    assert_eq!(parse("exec echo \"a # b\"\n").main, exec("echo \"a # b\""));
    assert_eq!(
        parse("exec /bin/foo \\\n    --bar \\\n    --baz\n").main,
        exec("/bin/foo --bar --baz")
    );
    assert_eq!(parse("exec echo \\$HOME\n").main, exec("echo \\$HOME"));
    assert_eq!(parse("exec /bin/foo\r\n").main, exec("/bin/foo"));
    assert_eq!(parse("exec /bin/foo").main, exec("/bin/foo"));
    assert_eq!(
        parse("exec \"quoted\nnewline\"\n").main,
        exec("\"quoted newline\"")
    );
}

#[test]
fn script_blocks() {
    let class = parse("script\n    echo a\n      echo b\nend script\n");
    assert_eq!(class.main, script("echo a\n  echo b\n"));
    // `end script` may be indented and followed by blanks and a comment.
    let class = parse("script # the main process\n\techo\n\t  end   script  # done\ntask\n");
    assert_eq!(class.main, script("echo\n"));
    assert!(class.task, "stanzas continue after the block");
    let class = parse("script\n  echo \"end script\"\n  end script\n");
    assert_eq!(class.main, script("echo \"end script\"\n"));
    // Lines that only look like the end stay in the block.
    let class = parse("script\nendscript\nend scripts\nend script # done\n");
    assert_eq!(class.main, script("endscript\nend scripts\n"));
    // A blank line means no common indentation (as in libnih).
    let class = parse("script\n  a\n\n  b\nend script\n");
    assert_eq!(class.main, script("  a\n\n  b\n"));
    // Empty block, block at the end of the file, CRLF.
    assert_eq!(parse("script\nend script").main, script(""));
    assert_eq!(
        parse("script\r\n  echo\r\nend script\r\n").main,
        script("echo\r\n")
    );
    // Nothing inside a block is a stanza.
    let class = parse("script\n  wibble \"unterminated\n  exec foo\nend script\n");
    assert_eq!(class.main, script("wibble \"unterminated\nexec foo\n"));
}

#[test]
fn main_process_last_wins_between_exec_and_script() {
    assert_eq!(parse("exec /bin/a\nexec /bin/b\n").main, exec("/bin/b"));
    assert_eq!(
        parse("exec /bin/a\nscript\n  echo\nend script\n").main,
        script("echo\n")
    );
    assert_eq!(
        parse("script\n  echo\nend script\nexec /bin/a\n").main,
        exec("/bin/a")
    );
}

#[test]
fn the_other_processes() {
    let class = parse(
        "pre-start exec /bin/tool -d \"foo\"\n\
         post-start script\n    echo started\nend script\n\
         pre-stop exec /bin/tool stop\n\
         post-stop script\n  rm -f /run/x\nend script\n\
         pre-stop script\n  echo last wins\nend script\n",
    );
    assert_eq!(class.pre_start, exec("/bin/tool -d \"foo\""));
    assert_eq!(class.post_start, script("echo started\n"));
    assert_eq!(class.pre_stop, script("echo last wins\n"));
    assert_eq!(class.post_stop, script("rm -f /run/x\n"));
    assert_eq!(class.main, None);
}

#[test]
fn expect_task_console_debug() {
    for (word, expect) in [
        ("stop", Expect::Stop),
        ("daemon", Expect::Daemon),
        ("fork", Expect::Fork),
        ("none", Expect::None),
    ] {
        assert_eq!(parse(&format!("expect {word}\n")).expect, expect);
    }
    assert_eq!(parse("expect fork\nexpect stop\n").expect, Expect::Stop);
    assert!(parse("task\ntask\n").task);
    for (word, console) in [
        ("none", Console::None),
        ("output", Console::Output),
        ("owner", Console::Owner),
        ("log", Console::Log),
    ] {
        assert_eq!(parse(&format!("console {word}\n")).console, Some(console));
    }
    assert_eq!(
        parse("console output\nconsole owner\n").console,
        Some(Console::Owner)
    );
    assert!(parse("debug\n").debug);
    // `debug` and `manual` consume nothing, so another stanza may follow on the line.
    assert!(parse("debug task\n").task);
}

#[test]
fn kill_and_reload() {
    let class = parse("kill timeout 10\nkill signal INT\n");
    assert_eq!((class.kill_timeout, class.kill_signal), (10, libc::SIGINT));
    assert_eq!(parse("kill signal SIGKILL\n").kill_signal, libc::SIGKILL);
    assert_eq!(parse("kill signal 30\n").kill_signal, 30);
    // Upstart takes any integer up to INT_MAX, like strtoul.
    assert_eq!(parse("kill signal 0\n").kill_signal, 0);
    assert_eq!(parse("kill timeout 5\nkill timeout 0\n").kill_timeout, 0);
    assert_eq!(parse("reload signal USR2\n").reload_signal, libc::SIGUSR2);
    assert_eq!(parse("reload signal 31\n").reload_signal, 31);
    assert_eq!(
        parse("reload signal USR2\nreload signal HUP\n").reload_signal,
        libc::SIGHUP
    );
}

#[test]
fn respawn_and_its_limit() {
    let class = parse("respawn\n");
    assert!(class.respawn);
    assert_eq!((class.respawn_limit, class.respawn_interval), (10, 5));
    assert!(parse("respawn # restart when job dies\n").respawn);

    let class = parse("respawn limit 10 120\n");
    assert!(!class.respawn, "respawn limit does not turn respawn on");
    assert_eq!((class.respawn_limit, class.respawn_interval), (10, 120));
    let class = parse("respawn limit 5 60\nrespawn limit 10 120\n");
    assert_eq!((class.respawn_limit, class.respawn_interval), (10, 120));
    let class = parse("respawn limit unlimited\n");
    assert_eq!((class.respawn_limit, class.respawn_interval), (0, 0));
    let class = parse("respawn limit 0 5\n");
    assert_eq!((class.respawn_limit, class.respawn_interval), (0, 5));
}

#[test]
fn normal_exit_accumulates_and_stores_signals_shifted() {
    let class = parse(
        "normal exit 99\nnormal exit 100 101\nnormal exit QUIT\nnormal exit 0 SIGTERM TERM\n",
    );
    assert_eq!(
        class.normal_exit,
        [
            99,
            100,
            101,
            libc::SIGQUIT << 8,
            0,
            libc::SIGTERM << 8,
            libc::SIGTERM << 8
        ]
    );
    assert_eq!(parse("normal exit 2147483647\n").normal_exit, [i32::MAX]);
}

#[test]
fn umask_and_nice() {
    assert_eq!(parse("umask 0755\n").umask, 0o755);
    assert_eq!(parse("umask 0644\numask 077\n").umask, 0o77);
    assert_eq!(parse("umask 0\n").umask, 0);
    assert_eq!(parse("nice 10\n").nice, Some(10));
    assert_eq!(parse("nice -10\nnice 19\n").nice, Some(19));
    assert_eq!(parse("nice -20\n").nice, Some(-20));
    assert_eq!(parse("").nice, None);
}

#[test]
fn oom_scores_and_the_legacy_scale() {
    let score = |text: &str| parse(text).oom_score_adj;
    assert_eq!(score(""), None);
    assert_eq!(score("oom score 100\n"), Some(100));
    assert_eq!(score("oom score -100\n"), Some(-100));
    assert_eq!(score("oom score -1000\n"), Some(-1000));
    assert_eq!(score("oom score 1000\n"), Some(1000));
    assert_eq!(score("oom score never\n"), Some(-1000));
    assert_eq!(score("oom never\n"), Some(-1000));
    // Legacy oom_adj values: N * 1000 / 17 below zero, N * 1000 / 15 above.
    assert_eq!(score("oom 10\n"), Some(666));
    assert_eq!(score("oom -10\n"), Some(-588));
    assert_eq!(score("oom 15\n"), Some(1000));
    assert_eq!(score("oom -17\n"), Some(-1000));
    assert_eq!(score("oom 0\n"), Some(0));
    assert_eq!(score("oom score -10\noom 10\n"), Some(666));
    assert_eq!(score("oom -10\noom score 10\n"), Some(10));
}

#[test]
fn limits_per_resource_last_wins() {
    for (word, resource) in [
        ("as", Resource::As),
        ("core", Resource::Core),
        ("cpu", Resource::Cpu),
        ("data", Resource::Data),
        ("fsize", Resource::Fsize),
        ("memlock", Resource::Memlock),
        ("msgqueue", Resource::Msgqueue),
        ("nice", Resource::Nice),
        ("nofile", Resource::Nofile),
        ("nproc", Resource::Nproc),
        ("rss", Resource::Rss),
        ("rtprio", Resource::Rtprio),
        ("sigpending", Resource::Sigpending),
        ("stack", Resource::Stack),
    ] {
        let class = parse(&format!("limit {word} 10 20\n"));
        assert_eq!(
            class.limits,
            [Limit {
                resource,
                soft: Some(10),
                hard: Some(20)
            }]
        );
    }
    let class = parse(
        "limit core 5 10\nlimit cpu 15 30\nlimit core 10 unlimited\nlimit nofile unlimited 20\n",
    );
    assert_eq!(
        class.limits,
        [
            Limit {
                resource: Resource::Core,
                soft: Some(10),
                hard: None
            },
            Limit {
                resource: Resource::Cpu,
                soft: Some(15),
                hard: Some(30)
            },
            Limit {
                resource: Resource::Nofile,
                soft: None,
                hard: Some(20)
            },
        ]
    );
}

#[test]
fn apparmor() {
    let class = parse("apparmor load /etc/apparmor.d/usr.sbin.cupsd\napparmor switch /usr/sbin/rsyslogd\napparmor switch /usr/sbin/cupsd\n");
    assert_eq!(
        class.apparmor_load.as_deref(),
        Some("/etc/apparmor.d/usr.sbin.cupsd")
    );
    assert_eq!(class.apparmor_switch.as_deref(), Some("/usr/sbin/cupsd"));
}

fn cgroup(controller: &str, name: Option<&str>, setting: Option<(&str, &str)>) -> Cgroup {
    Cgroup {
        controller: controller.to_string(),
        name: name.map(str::to_string),
        setting: setting.map(|(k, v)| (k.to_string(), v.to_string())),
    }
}

#[test]
fn cgroup_forms_and_merging() {
    assert_eq!(
        parse("cgroup perf_event\n").cgroups,
        [cgroup("perf_event", None, None)]
    );
    assert_eq!(
        parse("cgroup perf_event \"foo bar\"\n").cgroups,
        [cgroup("perf_event", Some("foo bar"), None)]
    );
    assert_eq!(
        parse("cgroup perf_event key1 value1\n").cgroups,
        [cgroup("perf_event", None, Some(("key1", "value1")))]
    );
    assert_eq!(
        parse("cgroup perf_event \"a silly name\" key1 \"hello world\"\n").cgroups,
        [cgroup(
            "perf_event",
            Some("a silly name"),
            Some(("key1", "hello world"))
        )]
    );
    assert_eq!(
        parse("cgroup perf_event \"$VARIABLE\" key value\n").cgroups,
        [cgroup(
            "perf_event",
            Some("$VARIABLE"),
            Some(("key", "value"))
        )]
    );
    // Duplicates are ignored, a key set again takes the new value, others accumulate.
    assert_eq!(
        parse("cgroup perf_event foo \"key1\" value1\ncgroup perf_event foo key1 \"value1\"\n")
            .cgroups,
        [cgroup("perf_event", Some("foo"), Some(("key1", "value1")))]
    );
    assert_eq!(
        parse("cgroup perf_event foo key1 bar\ncgroup perf_event foo key1 \"hello world\"\n")
            .cgroups,
        [cgroup(
            "perf_event",
            Some("foo"),
            Some(("key1", "hello world"))
        )]
    );
    assert_eq!(
        parse("cgroup perf_event foo key1 value1\ncgroup perf_event bar key2 value2\ncgroup perf_event foo key2 value2\ncgroup memory\ncgroup memory\ncgroup memory $UPSTART_CGROUP\n").cgroups,
        [
            cgroup("perf_event", Some("foo"), Some(("key1", "value1"))),
            cgroup("perf_event", Some("bar"), Some(("key2", "value2"))),
            cgroup("perf_event", Some("foo"), Some(("key2", "value2"))),
            cgroup("memory", None, None),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// start on / stop on

#[test]
fn expressions_are_left_associative_with_equal_precedence() {
    assert_eq!(
        start_on("start on a or b or c A=B or d\n"),
        "(((a or b) or c A=B) or d)"
    );
    assert_eq!(start_on("start on a and b or c\n"), "((a and b) or c)");
    assert_eq!(start_on("start on a or b and c\n"), "((a or b) and c)");
    assert_eq!(start_on("start on a or (b and c)\n"), "(a or (b and c))");
    assert_eq!(
        start_on("start on wibble or (wobble or wiggle)\n"),
        "(wibble or (wobble or wiggle))"
    );
    assert_eq!(start_on("start on (a)\n"), "a");
    assert_eq!(start_on("start on ((a))\n"), "a");
    assert_eq!(start_on("start on (a)or(b)\n"), "(a or b)");
    assert_eq!(
        start_on("start on ((a or b) and (c or d)) or e\n"),
        "(((a or b) and (c or d)) or e)"
    );
}

#[test]
fn event_arguments() {
    let class =
        parse("start on wibble foo bar b?z* KEY=val OTHER!=x\nstop on runlevel [!$RUNLEVEL]\n");
    assert_eq!(
        class.start_on,
        Some(leaf(
            "wibble",
            vec![
                pos("foo"),
                pos("bar"),
                pos("b?z*"),
                MatchArg::Equal("KEY".into(), "val".into()),
                MatchArg::NotEqual("OTHER".into(), "x".into()),
            ]
        ))
    );
    assert_eq!(
        class.stop_on,
        Some(leaf("runlevel", vec![pos("[!$RUNLEVEL]")]))
    );
    // Split where Upstart's matcher splits: the first `!=`, else the first `=`.
    assert_eq!(
        parse("start on e A=b=c D=e!=f\n").start_on,
        Some(leaf(
            "e",
            vec![
                MatchArg::Equal("A".into(), "b=c".into()),
                MatchArg::NotEqual("D=e".into(), "f".into()),
            ]
        ))
    );
    assert_eq!(
        start_on("start on stopped rc RUNLEVEL=[2345] EXIT_STATUS=[!4]\n"),
        "stopped rc RUNLEVEL=[2345] EXIT_STATUS=[!4]"
    );
}

#[test]
fn quoting_turns_keywords_and_blanks_into_operands() {
    assert_eq!(
        parse("start on foo \"and\" 'or' bar\n").start_on,
        Some(leaf("foo", vec![pos("and"), pos("or"), pos("bar")]))
    );
    assert_eq!(
        parse("start on \"my event\" \"A B\"=\"c d\"\n").start_on,
        Some(leaf(
            "my event",
            vec![MatchArg::Equal("A B".into(), "c d".into())]
        ))
    );
    assert_eq!(
        parse("start on foo \"(x)\"\n").start_on,
        Some(leaf("foo", vec![pos("(x)")]))
    );
}

#[test]
fn expressions_span_lines_only_inside_parentheses() {
    let text = "start on (starting foo # the first\n          or (stopped bar\n              and net IFACE=eth0)) # end\nexec /bin/true\n";
    let class = parse(text);
    assert_eq!(
        class.start_on.as_ref().map(ToString::to_string).as_deref(),
        Some("(starting foo or (stopped bar and net IFACE=eth0))")
    );
    assert_eq!(class.main, exec("/bin/true"));
    // Backslash continuations work anywhere.
    assert_eq!(start_on("start on a \\\n  or b\n"), "(a or b)");
    // Upstart's test: nested parentheses over two lines.
    assert_eq!(
        start_on("start on (wibble\n          or (wobble or wiggle))\n"),
        "(wibble or (wobble or wiggle))"
    );
}

#[test]
fn start_on_last_wins_and_manual_clears_only_what_came_before() {
    assert_eq!(
        start_on("start on wibble or wiggle\nstart on wobble and wave\nstart on waggle\n"),
        "waggle"
    );
    assert_eq!(parse("start on a\nmanual\n").start_on, None);
    assert_eq!(start_on("manual\nstart on wibble\n"), "wibble");
    let class = parse("start on a\nstop on b\nmanual\n");
    assert_eq!(class.stop_on.map(|e| e.to_string()).as_deref(), Some("b"));
    let class = parse("stop on x\nstop on y or z\n");
    assert_eq!(
        class.stop_on.map(|e| e.to_string()).as_deref(),
        Some("(y or z)")
    );
}

#[test]
fn expression_depth_is_bounded() {
    let chain = |operators: usize| {
        let mut text = String::from("start on e0");
        for i in 1..=operators {
            text.push_str(&format!(" or e{i}"));
        }
        text.push('\n');
        text
    };
    assert!(parse_job("test", &chain(255)).is_ok());
    let (line, message) = error(&chain(256));
    assert_eq!(line, 1);
    assert!(
        message.starts_with("Event expression too complex"),
        "{message}"
    );

    let nested = |depth: usize| format!("start on {}a{}\n", "(".repeat(depth), ")".repeat(depth));
    assert_eq!(start_on(&nested(256)), "a");
    assert!(error(&nested(257))
        .1
        .starts_with("Event expression too complex"));
    // Far beyond the limit: an error, not a crash.
    assert!(parse_job("test", &nested(200_000)).is_err());
    assert!(parse_job("test", &chain(100_000)).is_err());
    assert!(parse_job("test", &format!("start on {}", "(".repeat(1_000_000))).is_err());
}

// ---------------------------------------------------------------------------------------
// Lexical rules

#[test]
fn lexical_rules() {
    // Leading blanks, tabs, comments after stanzas, blank lines, no final newline.
    let class = parse("\n  \tdescription   \"x\"   # comment\n\n\t task\t# c\nexec /bin/true");
    assert_eq!(class.description.as_deref(), Some("x"));
    assert!(class.task);
    // Quotes group and are removed; single and double; adjacent pieces join.
    assert_eq!(
        parse("description 'it is'\n").description.as_deref(),
        Some("it is")
    );
    assert_eq!(
        parse("description a\"b c\"d\n").description.as_deref(),
        Some("ab cd")
    );
    assert_eq!(
        parse("description \"it's\"\n").description.as_deref(),
        Some("it's")
    );
    // Newlines inside quotes become one space (and count as lines).
    let class = parse("description \"a\n   b\"\n");
    assert_eq!(class.description.as_deref(), Some("a b"));
    // ...so the unknown stanza after it is on line 3.
    assert_eq!(error("description \"a\n   b\"\nwibble\n").0, 3);
    // Backslash-newline continues a line; `\\` and `\ ` lose their backslash in arguments.
    assert_eq!(
        parse("description \\\n  spread\n").description.as_deref(),
        Some("spread")
    );
    assert_eq!(
        parse("description a\\ b\n").description.as_deref(),
        Some("a b")
    );
    assert_eq!(
        parse("description a\\\\b\n").description.as_deref(),
        Some("a\\b")
    );
    assert_eq!(
        parse("description a\\$b\n").description.as_deref(),
        Some("a\\$b")
    );
    // CRLF line ends parse.
    let class = parse("description \"x\"\r\nstart on a or b\r\nexec /bin/foo\r\n");
    assert_eq!(class.description.as_deref(), Some("x"));
    assert_eq!(class.main, exec("/bin/foo"));
    // Non-ASCII text passes through.
    assert_eq!(
        parse("author \"Jérôme ✓\"\n").author.as_deref(),
        Some("Jérôme ✓")
    );
}

// ---------------------------------------------------------------------------------------
// Overrides

#[test]
fn overrides_apply_on_top_of_the_conf() {
    let conf = parse_job(
        "foo",
        "description conf\nstart on a\nenv A=1\nenv B=1\nexport A\nemits x\nnormal exit 1\nexec /bin/conf\nrespawn\ncgroup cpu\n",
    )
    .unwrap();
    let class = parse_override(
        conf.clone(),
        "description override\nenv B=2\nenv C=3\nexport B\nemits y\nnormal exit 2\nexec /bin/override\ncgroup memory\n",
    )
    .unwrap();
    assert_eq!(class.name, "foo");
    assert_eq!(class.description.as_deref(), Some("override"));
    assert_eq!(
        class.env,
        vec![
            env("A", Some("1")),
            env("B", Some("2")),
            env("C", Some("3"))
        ]
    );
    assert_eq!(class.export, ["A", "B"]);
    assert_eq!(class.emits, ["x", "y"]);
    assert_eq!(class.normal_exit, [1, 2]);
    assert_eq!(class.main, exec("/bin/override"));
    assert_eq!(
        class.cgroups,
        [cgroup("cpu", None, None), cgroup("memory", None, None)]
    );
    assert!(class.respawn, "untouched stanzas stay");
    assert_eq!(class.start_on, conf.start_on);

    let manual = parse_override(conf.clone(), "manual\n").unwrap();
    assert_eq!(manual.start_on, None);
    let manual_then_start = parse_override(conf.clone(), "manual\nstart on b\n").unwrap();
    assert_eq!(
        manual_then_start.start_on.map(|e| e.to_string()).as_deref(),
        Some("b")
    );

    let err = parse_override(conf, "env D=4\nwibble\n").unwrap_err();
    assert_eq!((err.line, err.message.as_str()), (2, UNKNOWN));
}

// ---------------------------------------------------------------------------------------
// Nothing panics

#[test]
fn awkward_inputs_do_not_panic() {
    let inputs = [
        "\\",
        "\"",
        "'",
        "#",
        "\n",
        "\r",
        "\0",
        "(",
        ")",
        "start on (",
        "start on )",
        "start on ((",
        "start on a and (",
        "script\nend",
        "script\nend ",
        "script\n end script",
        "end script\n",
        "exec \\\n",
        "exec \"\\\n\"",
        "env \"\"",
        "description \"\"",
        "start on \"\" or x",
        "cgroup \"\" \"\" \"\" \"\"",
        "normal exit \\\n",
        "limit nofile -1 -1",
        "nice \" 5\"",
        "oom score \"\t-3\"",
        "start on a\\",
        "start on (a\\\n",
        "\u{feff}exec /bin/x",
        "start on a ( b",
        "start on a b ) c",
        "kill signal 99999999999999999999999",
        "umask 40000000777",
        "respawn limit 4294967296 1",
        "kill timeout 4294967296",
    ];
    for text in inputs {
        let _ = parse_job("test", text);
        let _ = parse_override(JobClass::new("test"), text);
    }
    // Things a C-like reading would get wrong stay sane.
    assert_eq!(parse("limit nofile -1 -1\n").limits[0].soft, None);
    assert_eq!(parse("nice \" 5\"\n").nice, Some(5));
    assert!(parse_job("test", "umask 40000000777\n").is_err());
    assert!(parse_job("test", "kill timeout 4294967296\n").is_err());
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const VOCABULARY: &[&str] = &[
        "start",
        "stop",
        "on",
        "and",
        "or",
        "(",
        ")",
        " ",
        "\t",
        "\n",
        "\r\n",
        "#",
        "\"",
        "'",
        "\\",
        "\\\n",
        "script",
        "end script\n",
        "end",
        "exec",
        "pre-start",
        "env",
        "A=B",
        "B!=C",
        "respawn",
        "limit",
        "normal",
        "exit",
        "TERM",
        "-1",
        "0777",
        "unlimited",
        "oom",
        "score",
        "never",
        "manual",
        "debug",
        "instance",
        "$X",
        "cgroup",
        "kill",
        "signal",
        "timeout",
        "x",
        "é",
        "\0",
    ];

    proptest! {
        #[test]
        fn token_soup_gives_ok_or_err(words in prop::collection::vec(prop::sample::select(VOCABULARY), 0..80)) {
            let text = words.concat();
            let _ = parse_job("test", &text);
        }

        #[test]
        fn byte_soup_gives_ok_or_err(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_job("test", &text);
        }

        #[test]
        fn an_error_line_is_within_the_file(words in prop::collection::vec(prop::sample::select(VOCABULARY), 0..60)) {
            let text = words.concat();
            if let Err(err) = parse_job("test", &text) {
                let lines = text.matches('\n').count() + 1;
                prop_assert!(err.line >= 1 && err.line <= lines, "{:?}: line {} of {}", text, err.line, lines);
            }
        }
    }
}
