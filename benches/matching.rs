//! Benchmark: match one event against the `start on` leaves of 1,000 jobs with
//! `kindling::event::matching::matches` — what the daemon does for every event it handles.
//!
//! The leaves are built directly (not parsed), so this measures matching alone: event names,
//! positional and `KEY=VALUE`/`KEY!=VALUE` arguments, fnmatch patterns and `$VAR` expansion.
//! `cargo bench --bench matching` measures; `cargo test --benches` runs it once.

mod support;

use kindling::environ::Env;
use kindling::event::matching::matches;
use kindling::event::{Event, EventMatch, MatchArg};
use support::{group, per_second, Bencher};

const JOBS: usize = 1_000;

fn positional(value: &str) -> MatchArg {
    MatchArg::Positional(value.to_string())
}

fn equal(key: &str, value: &str) -> MatchArg {
    MatchArg::Equal(key.to_string(), value.to_string())
}

fn not_equal(key: &str, value: &str) -> MatchArg {
    MatchArg::NotEqual(key.to_string(), value.to_string())
}

/// One job's leaf, varied the way real `start on` stanzas vary.
fn leaf(i: usize) -> EventMatch {
    let (name, args) = match i % 10 {
        0 => ("runlevel", vec![positional("[2345]")]),
        1 => ("runlevel", vec![equal("RUNLEVEL", "[!2345]")]),
        2 => ("started", vec![equal("JOB", &format!("job-{i}"))]),
        3 => (
            "stopped",
            vec![equal("JOB", "rc"), equal("RUNLEVEL", "[2345]")],
        ),
        4 => ("net-device-up", vec![not_equal("IFACE", "lo")]),
        5 => ("filesystem", vec![]),
        6 => ("custom-event", vec![positional(&format!("value-{i}-*"))]),
        7 => ("runlevel", vec![positional("${WANT_LEVEL:-2}")]),
        8 => ("runlevel", vec![equal("RUNLEVEL", "$RUNLEVELS")]),
        _ => (
            "runlevel",
            vec![equal("RUNLEVEL", "*"), equal("PREVLEVEL", "[NS0-6]")],
        ),
    };
    EventMatch {
        name: name.to_string(),
        args,
    }
}

fn main() {
    let bencher = Bencher::from_args();
    let leaves: Vec<EventMatch> = (0..JOBS).map(leaf).collect();
    let job_env: Env = [
        (
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin",
        ),
        ("TERM", "linux"),
        ("RUNLEVELS", "[2345]"),
    ]
    .into_iter()
    .collect();

    let events = [
        Event::new(
            "runlevel",
            [("RUNLEVEL", "2"), ("PREVLEVEL", "N")]
                .into_iter()
                .collect(),
        ),
        Event::new(
            "started",
            [("JOB", "job-502"), ("INSTANCE", "")].into_iter().collect(),
        ),
        Event::new("no-such-event", Env::new()),
    ];

    for event in &events {
        let matched = leaves
            .iter()
            .filter(|leaf| matches(leaf, event, &job_env))
            .count();
        let name = format!("match/{}-vs-{JOBS}-leaves", event.name);
        println!("{}: {matched} of {JOBS} leaves match", event.name);
        let timed = bencher.run(&name, || {
            leaves
                .iter()
                .filter(|leaf| matches(leaf, event, &job_env))
                .count()
        });
        if let (Some(per_iter), true) = (timed, bencher.measuring()) {
            println!(
                "  = {} leaf matches/s",
                group(per_second(JOBS as u64, per_iter))
            );
        }
    }
}
