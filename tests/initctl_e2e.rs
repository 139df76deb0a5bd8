//! `initctl` and its links end to end: the real `initctl` binary run from the host against
//! the real init running as PID 1 of a sandbox (upstart.md §4, §2.5, §2.9, worked cases
//! TC01–TC10 of §9.2), with exact stdout, stderr and exit codes.

mod pid1;

use pid1::{Sandbox, TIMEOUT};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::Output;
use std::time::{Duration, Instant};

/// What one run of initctl (or a link) printed and returned.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    out: String,
    err: String,
    code: i32,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            out: String::from_utf8_lossy(&output.stdout).into_owned(),
            err: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
        }
    }
}

fn run(sandbox: &Sandbox, prog: &str, args: &[&str]) -> Run {
    sandbox.initctl_as(prog, args).into()
}

/// Asserts a run printed exactly `out` on stdout, nothing on stderr, and exited 0.
#[track_caller]
fn ok(run: &Run, out: &str) {
    assert_eq!(
        (run.out.as_str(), run.err.as_str(), run.code),
        (out, "", 0),
        "{run:?}"
    );
}

/// Asserts a run printed nothing on stdout, exactly `err` on stderr, and exited 1.
#[track_caller]
fn fails(run: &Run, err: &str) {
    assert_eq!(
        (run.out.as_str(), run.err.as_str(), run.code),
        ("", err, 1),
        "{run:?}"
    );
}

/// The help hint that follows a usage error.
fn hint(prog: &str) -> String {
    format!("Try `{prog} --help' for more information.\n")
}

/// `PREFIX<pid>\n`, exactly one line, exit 0, nothing on stderr: returns the pid.
#[track_caller]
fn status_pid(run: &Run, prefix: &str) -> i32 {
    assert_eq!((run.err.as_str(), run.code), ("", 0), "{run:?}");
    let pid = run
        .out
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("expected {prefix:?}N, got {run:?}"));
    assert!(
        !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
        "{run:?}"
    );
    pid.parse().expect("pid")
}

const SVC: &str = "exec sleep 1000\n";

#[test]
fn tc01_service_lifecycle_and_output_format() {
    let sandbox = Sandbox::start(&[("svc", SVC)], &[]);
    ok(&run(&sandbox, "initctl", &["list"]), "svc stop/waiting\n");
    let pid = status_pid(
        &run(&sandbox, "start", &["svc"]),
        "svc start/running, process ",
    );
    let sleep = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    assert_eq!(sleep.ns_pid, pid, "the status line shows the namespace pid");
    ok(
        &run(&sandbox, "status", &["svc"]),
        &format!("svc start/running, process {pid}\n"),
    );
    ok(
        &run(&sandbox, "initctl", &["status", "svc"]),
        &format!("svc start/running, process {pid}\n"),
    );
    ok(&run(&sandbox, "stop", &["svc"]), "svc stop/waiting\n");
    assert!(
        sandbox.find("sleep 1000").is_empty(),
        "{:?}",
        sandbox.processes()
    );
    ok(&run(&sandbox, "status", &["svc"]), "svc stop/waiting\n");
}

#[test]
fn tc02_error_messages_and_exit_codes() {
    let sandbox = Sandbox::start(&[("svc", SVC)], &[]);
    status_pid(
        &run(&sandbox, "start", &["svc"]),
        "svc start/running, process ",
    );
    fails(
        &run(&sandbox, "start", &["svc"]),
        "start: Job is already running: svc\n",
    );
    ok(&run(&sandbox, "stop", &["svc"]), "svc stop/waiting\n");
    fails(
        &run(&sandbox, "stop", &["svc"]),
        "stop: Unknown instance: \n",
    );
    fails(
        &run(&sandbox, "restart", &["svc"]),
        "restart: Unknown instance: \n",
    );
    fails(
        &run(&sandbox, "status", &["nosuch"]),
        "status: Unknown job: nosuch\n",
    );
    fails(
        &run(&sandbox, "start", &[]),
        &format!("start: missing job name\n{}", hint("start")),
    );
    fails(
        &run(&sandbox, "initctl", &["emit"]),
        &format!("initctl: missing event name\n{}", hint("initctl")),
    );
    fails(
        &run(&sandbox, "initctl", &["emit", "foo", "BAR"]),
        "initctl: Env must be KEY=VALUE pairs\n",
    );
    fails(
        &run(&sandbox, "initctl", &["bogus"]),
        &format!("initctl: invalid command: bogus\n{}", hint("initctl")),
    );
}

#[test]
fn tc03_start_of_a_task_blocks_until_it_finished() {
    let sandbox = Sandbox::start(
        &[(
            "t",
            "task\nexec sh -c 'sleep 1; echo done > @OUT@/t.done'\n",
        )],
        &[],
    );
    let begin = Instant::now();
    let started = run(&sandbox, "start", &["t"]);
    let took = begin.elapsed();
    assert_eq!(sandbox.read_out("t.done").as_deref(), Some("done\n"));
    ok(&started, "t stop/waiting\n");
    assert!(took >= Duration::from_millis(900), "{took:?}");
}

#[test]
fn tc04_failing_task_and_the_stopped_event_environment() {
    let sandbox = Sandbox::start(
        &[
            ("f", "task\nexec sh -c 'exit 3'\n"),
            (
                "watch",
                "start on stopped JOB=f\ntask\nexec sh -c 'echo \"$RESULT $PROCESS \
                 $EXIT_STATUS|$EXIT_SIGNAL|$UPSTART_EVENTS\" > @OUT@/watch'\n",
            ),
        ],
        &[],
    );
    fails(&run(&sandbox, "start", &["f"]), "start: Job failed to start\n");
    assert_eq!(
        sandbox.wait_for_file("watch", TIMEOUT),
        "failed main 3||stopped\n"
    );
}

#[test]
fn tc05_emit_waits_and_no_wait_does_not() {
    let sandbox = Sandbox::start(
        &[(
            "t",
            "start on foo\ntask\nexec sh -c 'sleep 2; echo done >> @OUT@/t.done'\n",
        )],
        &[],
    );
    let begin = Instant::now();
    ok(&run(&sandbox, "initctl", &["emit", "foo"]), "");
    let took = begin.elapsed();
    assert!(took >= Duration::from_millis(1800), "{took:?}");
    assert_eq!(sandbox.read_out("t.done").as_deref(), Some("done\n"));

    let begin = Instant::now();
    ok(&run(&sandbox, "initctl", &["emit", "--no-wait", "foo"]), "");
    let took = begin.elapsed();
    assert!(took < Duration::from_millis(500), "{took:?}");
    assert_eq!(sandbox.read_out("t.done").as_deref(), Some("done\n"));
    sandbox.wait_for_lines("t.done", 2, TIMEOUT);
    let took = begin.elapsed();
    assert!(took >= Duration::from_millis(1800), "{took:?}");
}

#[test]
fn tc06_failed_event_reports_and_emits_event_failed() {
    let sandbox = Sandbox::start(
        &[
            ("bad", "start on boom\ntask\nexec false\n"),
            (
                "onfail",
                "start on boom/failed\ntask\nexec sh -c 'echo \"$UPSTART_EVENTS $K\" > \
                 @OUT@/onfail'\n",
            ),
        ],
        &[],
    );
    fails(
        &run(&sandbox, "initctl", &["emit", "boom", "K=v"]),
        "initctl: Event failed\n",
    );
    assert_eq!(sandbox.wait_for_file("onfail", TIMEOUT), "boom/failed v\n");
}

fn note(what: &str) -> String {
    format!("echo {what} >> @OUT@/order")
}

#[test]
fn tc07_lifecycle_event_order_starting_and_stopping_block() {
    let a = format!(
        "pre-start exec sh -c '{}'\nexec sh -c '{}; exec sleep 1000'\npost-stop exec sh -c \
         '{}'\n",
        note("a-pre-start"),
        note("a-main"),
        note("a-post-stop")
    );
    let b = format!(
        "start on starting a\ntask\nexec sh -c 'sleep 1; {}'\n",
        note("b-starting")
    );
    let c = format!(
        "start on stopping a\ntask\nexec sh -c 'sleep 1; {}'\n",
        note("\"c-stopping $RESULT\"")
    );
    let d = format!(
        "start on started a\ntask\nexec sh -c '{}'\n",
        note("d-started")
    );
    let e = format!(
        "start on stopped a\ntask\nexec sh -c '{}'\n",
        note("\"e-stopped $RESULT\"")
    );
    let sandbox = Sandbox::start(
        &[("a", &a), ("b", &b), ("c", &c), ("d", &d), ("e", &e)],
        &[],
    );
    let begin = Instant::now();
    status_pid(&run(&sandbox, "start", &["a"]), "a start/running, process ");
    assert!(begin.elapsed() >= Duration::from_millis(900));
    sandbox.wait_for_lines("order", 4, TIMEOUT);
    let begin = Instant::now();
    ok(&run(&sandbox, "stop", &["a"]), "a stop/waiting\n");
    assert!(begin.elapsed() >= Duration::from_millis(900));
    let order = sandbox.wait_for_lines("order", 7, TIMEOUT);
    let lines: Vec<&str> = order.lines().collect();
    let expected_a = [
        "b-starting",
        "a-pre-start",
        "a-main",
        "d-started",
        "c-stopping ok",
        "a-post-stop",
        "e-stopped ok",
    ];
    let mut expected_b = expected_a;
    expected_b.swap(2, 3);
    assert!(
        lines == expected_a || lines == expected_b,
        "order: {lines:?}"
    );
}

#[test]
fn tc08_dependent_service_stops_before_its_parent() {
    let sandbox = Sandbox::start(
        &[
            (
                "a",
                &format!(
                    "exec sleep 1000\npost-stop exec sh -c '{}'\n",
                    note("a-post-stop")
                ),
            ),
            (
                "dep",
                &format!(
                    "start on started a\nstop on stopping a\nexec sleep 1001\npost-stop exec \
                     sh -c 'sleep 1; {}'\n",
                    note("dep-post-stop")
                ),
            ),
        ],
        &[],
    );
    status_pid(&run(&sandbox, "start", &["a"]), "a start/running, process ");
    let dep = sandbox.wait_for_process("sleep 1001", TIMEOUT);
    sandbox.wait_for(
        "dep running",
        TIMEOUT,
        || {
            let status = run(&sandbox, "status", &["dep"]);
            (status.out == format!("dep start/running, process {}\n", dep.ns_pid)).then_some(())
        },
    );
    let begin = Instant::now();
    ok(&run(&sandbox, "stop", &["a"]), "a stop/waiting\n");
    assert!(begin.elapsed() >= Duration::from_millis(900));
    assert_eq!(
        sandbox.read_out("order").as_deref(),
        Some("dep-post-stop\na-post-stop\n")
    );
    ok(&run(&sandbox, "status", &["dep"]), "dep stop/waiting\n");
}

const W: &str = "start on foo\nstop on bar X=$X\ninstance $X\nexec sleep 1000\n";

/// `initctl list` lines, sorted.
fn list_lines(sandbox: &Sandbox) -> Vec<String> {
    let list = run(sandbox, "initctl", &["list"]);
    assert_eq!((list.err.as_str(), list.code), ("", 0), "{list:?}");
    let mut lines: Vec<String> = list.out.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

#[test]
fn tc09_stop_on_with_a_variable_from_the_start_environment() {
    let sandbox = Sandbox::start(&[("w", W)], &[]);
    ok(&run(&sandbox, "initctl", &["emit", "foo", "X=1"]), "");
    ok(&run(&sandbox, "initctl", &["emit", "foo", "X=2"]), "");
    let one = status_pid(
        &run(&sandbox, "status", &["w", "X=1"]),
        "w (1) start/running, process ",
    );
    let two = status_pid(
        &run(&sandbox, "status", &["w", "X=2"]),
        "w (2) start/running, process ",
    );
    assert_eq!(
        list_lines(&sandbox),
        [
            format!("w (1) start/running, process {one}"),
            format!("w (2) start/running, process {two}"),
        ]
    );
    ok(&run(&sandbox, "initctl", &["emit", "bar", "X=1"]), "");
    assert_eq!(
        list_lines(&sandbox),
        [format!("w (2) start/running, process {two}")]
    );
}

#[test]
fn tc10_instance_naming_and_instance_errors() {
    let sandbox = Sandbox::start(
        &[("w", W), ("u", &format!("usage \"u X=val\"\n{W}"))],
        &[],
    );
    fails(
        &run(&sandbox, "start", &["w"]),
        "start: Unknown parameter: X\n",
    );
    fails(
        &run(&sandbox, "initctl", &["status", "w"]),
        "initctl: Unknown parameter: X\n",
    );
    // `u` also starts on foo and fails the same way.
    ok(&run(&sandbox, "initctl", &["emit", "foo"]), "");
    assert!(
        sandbox
            .log()
            .contains("Failed to obtain w instance: Unknown parameter: X"),
        "{}",
        sandbox.log()
    );
    assert!(sandbox.find("sleep").is_empty());
    status_pid(
        &run(&sandbox, "start", &["w", "X=3"]),
        "w (3) start/running, process ",
    );
    fails(
        &run(&sandbox, "start", &["w", "X=3"]),
        "start: Job is already running: w (3)\n",
    );
    fails(
        &run(&sandbox, "stop", &["w", "X=9"]),
        "stop: Unknown instance: 9\n",
    );
    ok(&run(&sandbox, "stop", &["w", "X=3"]), "w stop/waiting\n");
    fails(
        &run(&sandbox, "start", &["u"]),
        "start: Unknown parameter: X\nUsage: u X=val\n",
    );
}
