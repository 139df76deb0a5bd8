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
    fails(
        &run(&sandbox, "start", &["f"]),
        "start: Job failed to start\n",
    );
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
    sandbox.wait_for("dep running", TIMEOUT, || {
        let status = run(&sandbox, "status", &["dep"]);
        (status.out == format!("dep start/running, process {}\n", dep.ns_pid)).then_some(())
    });
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
    let sandbox = Sandbox::start(&[("w", W), ("u", &format!("usage \"u X=val\"\n{W}"))], &[]);
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

#[test]
fn every_other_error_line_of_section_4_4() {
    let sandbox = Sandbox::start(
        &[
            ("svc", SVC),
            ("slow", "exec sleep 1000\npre-stop exec sleep 5\n"),
            ("nomain", "pre-start exec true\npost-stop exec true\n"),
            ("bad", "task\nexec false\n"),
        ],
        &[],
    );
    fails(
        &run(&sandbox, "start", &["nosuch"]),
        "start: Unknown job: nosuch\n",
    );
    fails(
        &run(&sandbox, "initctl", &["stop", "nosuch"]),
        "initctl: Unknown job: nosuch\n",
    );
    fails(
        &run(&sandbox, "start", &["svc", "FOO"]),
        "start: Env must be KEY=VALUE pairs\n",
    );
    fails(
        &run(&sandbox, "initctl", &["emit", ""]),
        "initctl: Name may not be empty string\n",
    );
    fails(
        &run(&sandbox, "stop", &[]),
        &format!("stop: missing job name\n{}", hint("stop")),
    );
    fails(
        &run(&sandbox, "status", &[]),
        &format!("status: missing job name\n{}", hint("status")),
    );
    fails(
        &run(&sandbox, "reload", &["svc"]),
        "reload: Unknown instance: \n",
    );
    fails(
        &run(&sandbox, "start", &["bad"]),
        "start: Job failed to start\n",
    );

    // A job without a main process runs with no process; reloading it fails.
    ok(
        &run(&sandbox, "start", &["nomain"]),
        "nomain start/running\n",
    );
    fails(
        &run(&sandbox, "reload", &["nomain"]),
        "reload: Job is not running: nomain\n",
    );

    // A stop while the job is still stopping.
    status_pid(
        &run(&sandbox, "start", &["slow"]),
        "slow start/running, process ",
    );
    let nowait = run(&sandbox, "stop", &["-n", "slow"]);
    assert_eq!(nowait.code, 0, "{nowait:?}");
    assert!(nowait.out.starts_with("slow stop/"), "{nowait:?}");
    fails(
        &run(&sandbox, "stop", &["slow"]),
        "stop: Job has already been stopped: slow\n",
    );

    // reload of a running service sends its reload signal (SIGHUP) and prints nothing.
    status_pid(
        &run(&sandbox, "start", &["svc"]),
        "svc start/running, process ",
    );
    ok(&run(&sandbox, "reload", &["svc"]), "");
}

#[test]
fn version_names_kindling_never_upstart() {
    let sandbox = Sandbox::start(&[], &[]);
    let version = run(&sandbox, "initctl", &["version"]);
    assert_eq!((version.err.as_str(), version.code), ("", 0), "{version:?}");
    let rest = version
        .out
        .strip_prefix("init (kindling ")
        .and_then(|r| r.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{version:?}"));
    let parts: Vec<&str> = rest.split('.').collect();
    assert_eq!(parts.len(), 3, "{rest}");
    assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()), "{rest}");
    assert_eq!(rest, env!("CARGO_PKG_VERSION"));
    assert!(!version.out.to_lowercase().contains("upstart"));
}

/// The shell loop of Debian's `/etc/init.d/sendsigs` (`upstart_jobs`, `upstart_killed_jobs`):
/// the names of jobs whose goal is start, and the pids their `status` shows.
const SENDSIGS: &str = r#"
initctl list 2>/dev/null | while read job rest; do
    case "$rest" in *start/*) echo "$job" ;; esac
done | sort -u | while read job; do
    initctl status "$job" 2>/dev/null | grep -o ' process [0-9]*' | sed 's/ process //'
done | sort -n
"#;

#[test]
fn list_is_parseable_the_way_sendsigs_parses_it() {
    let sandbox = Sandbox::start(
        &[
            ("svc", SVC),
            ("other", "exec sleep 1001\n"),
            ("idle", SVC),
            ("w", W),
            ("m", "exec sleep 1003\npost-start exec sleep 1004\n"),
        ],
        &[],
    );
    let svc = status_pid(
        &run(&sandbox, "start", &["svc"]),
        "svc start/running, process ",
    );
    let other = status_pid(
        &run(&sandbox, "start", &["other"]),
        "other start/running, process ",
    );
    let w = status_pid(
        &run(&sandbox, "start", &["w", "X=a b"]),
        "w (a b) start/running, process ",
    );
    // A job in post-start: its main and post-start pids are both listed.
    run(&sandbox, "start", &["-n", "m"]);
    let main = sandbox.wait_for_process("sleep 1003", TIMEOUT).ns_pid;
    let post = sandbox.wait_for_process("sleep 1004", TIMEOUT).ns_pid;
    ok(
        &run(&sandbox, "status", &["m"]),
        &format!("m start/post-start, process {main}\n\tpost-start process {post}\n"),
    );
    let list = run(&sandbox, "initctl", &["list"]);
    let mut lines: Vec<&str> = list.out.lines().collect();
    lines.sort();
    let expected = [
        "idle stop/waiting".to_string(),
        format!("m start/post-start, process {main}"),
        format!("other start/running, process {other}"),
        format!("svc start/running, process {svc}"),
        format!("w (a b) start/running, process {w}"),
        format!("\tpost-start process {post}"),
    ];
    let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(lines, expected, "{list:?}");

    let shell = std::process::Command::new("/bin/sh")
        .args(["-c", SENDSIGS])
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:/usr/sbin:/usr/bin:/sbin:/bin",
                std::path::Path::new(pid1::INITCTL)
                    .parent()
                    .unwrap()
                    .display()
            ),
        )
        .env("KINDLING_SOCKET", sandbox.socket())
        .output()
        .expect("run sh");
    let pids: Vec<i32> = String::from_utf8_lossy(&shell.stdout)
        .lines()
        .map(|l| l.parse().expect("pid"))
        .collect();
    // `status w` without X fails (Unknown parameter): sendsigs misses instance jobs, as
    // with Upstart.
    let mut want = vec![svc, other, main, post];
    want.sort();
    assert_eq!(pids, want, "{shell:?}");
}

#[test]
fn argumentless_start_and_stop_inside_a_job_act_on_it_and_do_not_wait() {
    let initctl = pid1::INITCTL;
    let sandbox = Sandbox::start(
        &[
            (
                "selfstop",
                &format!("env KINDLING_SOCKET\npre-start exec {initctl} stop\nexec sleep 1000\n"),
            ),
            (
                "selfstart",
                &format!("env KINDLING_SOCKET\nexec sleep 1002\npre-stop exec {initctl} start\n"),
            ),
            (
                "own",
                &format!(
                    "env KINDLING_SOCKET\ntask\nexec sh -c '{initctl} status > @OUT@/own; \
                     echo \"rc=$?\" >> @OUT@/own'\n"
                ),
            ),
        ],
        &[],
    );
    // `stop` in pre-start: the start is cancelled, the waiting caller still succeeds and
    // prints the state at that moment.
    let begin = Instant::now();
    let started = run(&sandbox, "start", &["selfstop"]);
    status_pid(&started, "selfstop stop/pre-start, process ");
    assert!(begin.elapsed() < Duration::from_secs(5));
    assert!(sandbox.find("sleep 1000").is_empty());
    sandbox.wait_for("selfstop stopped", TIMEOUT, || {
        (run(&sandbox, "status", &["selfstop"]).out == "selfstop stop/waiting\n").then_some(())
    });

    // `start` in pre-stop: the stop is cancelled, the main process keeps its pid.
    let pid = status_pid(
        &run(&sandbox, "start", &["selfstart"]),
        "selfstart start/running, process ",
    );
    // The waiting `stop` caller succeeds with the status at the moment its stop was
    // cancelled: Upstart showed `start/running` (its initctl reads the status in separate
    // calls after the reply, racing the pre-stop's exit); kindling answers with the state
    // at the reply, the pre-stop still running — the same way as the pre-start case above.
    let stopped = run(&sandbox, "stop", &["selfstart"]);
    assert_eq!((stopped.err.as_str(), stopped.code), ("", 0), "{stopped:?}");
    let running = format!("selfstart start/running, process {pid}\n");
    let in_pre_stop = format!("selfstart start/pre-stop, process {pid}\n\tpre-stop process ");
    assert!(
        stopped.out == running || stopped.out.starts_with(&in_pre_stop),
        "{stopped:?}"
    );
    sandbox.wait_for("selfstart running again", TIMEOUT, || {
        (run(&sandbox, "status", &["selfstart"]).out == running).then_some(())
    });
    ok(
        &run(&sandbox, "status", &["selfstart"]),
        &format!("selfstart start/running, process {pid}\n"),
    );

    // `status` without a name inside a job shows the job itself.
    ok(&run(&sandbox, "start", &["own"]), "own stop/waiting\n");
    let own = sandbox.wait_for_lines("own", 2, TIMEOUT);
    let (first, second) = own.split_once('\n').unwrap();
    assert!(first.starts_with("own start/running, process "), "{own}");
    assert_eq!(second, "rc=0\n", "{own}");
}

#[test]
fn show_config_check_config_and_usage() {
    let sandbox = Sandbox::start(
        &[
            (
                "sc",
                "emits up\nstart on foo and bar\nstop on baz\nexec sleep 1\n",
            ),
            ("cc", "start on started nosuchjob\nexec sleep 1\n"),
            ("u", "usage \"u X=val\"\nexec sleep 1\n"),
            ("plain", SVC),
        ],
        &[],
    );
    ok(
        &run(&sandbox, "initctl", &["show-config", "sc"]),
        "sc\n  emits up\n  start on (foo and bar)\n  stop on baz\n",
    );
    ok(
        &run(&sandbox, "initctl", &["show-config", "plain"]),
        "plain\n",
    );
    let all = run(&sandbox, "initctl", &["show-config"]);
    assert_eq!(all.code, 0, "{all:?}");
    for name in ["sc", "cc", "u", "plain"] {
        assert!(all.out.lines().any(|l| l == name), "{name}: {all:?}");
    }
    let check = run(&sandbox, "initctl", &["check-config", "cc"]);
    assert_eq!(
        (check.out.as_str(), check.code),
        ("cc\n  start on: unknown job nosuchjob\n", 1),
        "{check:?}"
    );
    // Events nobody emits are reported too, unless ignored.
    let check = run(&sandbox, "initctl", &["check-config", "sc"]);
    let mut lines: Vec<&str> = check.out.lines().collect();
    lines.sort();
    assert_eq!(
        (lines, check.code),
        (
            vec![
                "  start on: unknown event bar",
                "  start on: unknown event foo",
                "  stop on: unknown event baz",
                "sc",
            ],
            1
        ),
        "{check:?}"
    );
    assert!(check.out.starts_with("sc\n"), "{check:?}");
    ok(
        &run(
            &sandbox,
            "initctl",
            &["check-config", "--ignore-events=foo,bar,baz", "sc"],
        ),
        "",
    );
    ok(
        &run(&sandbox, "initctl", &["usage", "u"]),
        "Usage: u X=val\n",
    );
    ok(&run(&sandbox, "initctl", &["usage", "plain"]), "Usage: \n");
    fails(
        &run(&sandbox, "initctl", &["usage", "nosuch"]),
        "initctl: Unknown job: nosuch\n",
    );
}

#[test]
fn log_priority_set_env_and_reload_configuration() {
    let sandbox = Sandbox::start(&[("svc", SVC)], &[]);
    // The harness starts init with -v.
    ok(&run(&sandbox, "initctl", &["log-priority"]), "info\n");
    ok(&run(&sandbox, "initctl", &["log-priority", "debug"]), "");
    ok(&run(&sandbox, "initctl", &["log-priority"]), "debug\n");
    fails(
        &run(&sandbox, "initctl", &["log-priority", "loud"]),
        "initctl: The log priority given was not recognised\n",
    );
    ok(&run(&sandbox, "initctl", &["log-priority", "message"]), "");
    ok(&run(&sandbox, "initctl", &["log-priority"]), "message\n");

    fails(
        &run(&sandbox, "initctl", &["set-env", "FOO=bar"]),
        "initctl: Not permissible to modify PID 1 job environment\n",
    );

    sandbox.write_job("late", "exec sleep 1005\n");
    ok(&run(&sandbox, "initctl", &["reload-configuration"]), "");
    ok(&run(&sandbox, "status", &["late"]), "late stop/waiting\n");
    // It starts nothing by itself.
    assert!(sandbox.processes().is_empty());
}

#[test]
fn notify_disk_writeable_flushes_output_kept_while_the_log_dir_was_missing() {
    let sandbox = Sandbox::start(
        &[("talker", "task\nconsole log\nexec echo hello from talker\n")],
        &["--logdir", "@DIR@/later"],
    );
    let later = sandbox.dir.join("later");
    ok(
        &run(&sandbox, "start", &["talker"]),
        "talker stop/waiting\n",
    );
    assert!(!later.exists());
    std::fs::create_dir(&later).expect("create the log dir");
    ok(&run(&sandbox, "initctl", &["notify-disk-writeable"]), "");
    let log = later.join("talker.log");
    let text = sandbox.wait_for("talker.log", TIMEOUT, || {
        std::fs::read_to_string(&log).ok().filter(|t| !t.is_empty())
    });
    assert_eq!(text, "hello from talker\n");
}

/// Runs `prog ARGS` as user `nobody` (uid/gid 65534) from a copy of initctl nobody can run.
fn run_as_nobody(sandbox: &Sandbox, prog: &str, args: &[&str]) -> Run {
    let bin = sandbox.dir.join("nobody-bin");
    let initctl = bin.join("initctl");
    if !initctl.exists() {
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::copy(pid1::INITCTL, &initctl).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&initctl, std::fs::Permissions::from_mode(0o755)).unwrap();
        for link in ["start", "stop", "status"] {
            std::os::unix::fs::symlink("initctl", bin.join(link)).unwrap();
        }
    }
    // std drops the supplementary groups when it changes the uid as root.
    std::process::Command::new(bin.join(prog))
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("KINDLING_SOCKET", sandbox.socket())
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .uid(65534)
        .gid(65534)
        .output()
        .expect("run initctl as nobody")
        .into()
}

#[test]
fn a_non_root_client_may_read_but_not_modify() {
    let sandbox = Sandbox::start(&[("svc", SVC)], &[]);
    // The sandbox directory and the socket must be reachable by nobody.
    for path in [sandbox.dir.clone(), std::env::temp_dir()] {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert!(
            mode & 0o001 != 0,
            "{} is not searchable by others",
            path.display()
        );
    }
    std::fs::set_permissions(sandbox.socket(), std::fs::Permissions::from_mode(0o666)).unwrap();

    fails(
        &run_as_nobody(&sandbox, "start", &["svc"]),
        "start: You do not have permission to modify job: svc\n",
    );
    ok(
        &run_as_nobody(&sandbox, "status", &["svc"]),
        "svc stop/waiting\n",
    );
    fails(
        &run_as_nobody(&sandbox, "initctl", &["emit", "foo"]),
        "initctl: You do not have permission to emit an event\n",
    );
    fails(
        &run_as_nobody(&sandbox, "initctl", &["reload-configuration"]),
        "initctl: You do not have permission to reload configuration\n",
    );
    fails(
        &run_as_nobody(&sandbox, "initctl", &["log-priority", "debug"]),
        "initctl: You do not have permission to set log priority\n",
    );
    ok(
        &run_as_nobody(&sandbox, "initctl", &["list"]),
        "svc stop/waiting\n",
    );
    let version = run_as_nobody(&sandbox, "initctl", &["version"]);
    assert!(version.out.starts_with("init (kindling "), "{version:?}");
    // Nothing was started by the refused requests.
    assert!(sandbox.processes().is_empty());
    let pid = status_pid(
        &run(&sandbox, "start", &["svc"]),
        "svc start/running, process ",
    );
    fails(
        &run_as_nobody(&sandbox, "stop", &["svc"]),
        "stop: You do not have permission to modify job: svc\n",
    );
    ok(
        &run_as_nobody(&sandbox, "status", &["svc"]),
        &format!("svc start/running, process {pid}\n"),
    );
}

/// Writes `bytes` to init's socket on a raw connection and reads whatever comes back until
/// init closes the connection (or 5 s pass).
fn raw_exchange(sandbox: &Sandbox, bytes: &[u8]) -> (Vec<u8>, bool) {
    let mut stream = UnixStream::connect(sandbox.socket()).expect("connect to init");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // init may close the connection before everything is written.
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    let begin = Instant::now();
    let closed = match stream.read_to_end(&mut answer) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    let took = begin.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "init took {took:?} to refuse {bytes:?}"
    );
    // Either nothing, or one error response frame.
    if !answer.is_empty() {
        let (prefix, body) = answer.split_at(4);
        let length = u32::from_be_bytes(prefix.try_into().unwrap()) as usize;
        assert_eq!(length, body.len(), "{answer:?}");
        match kindling::control::protocol::decode_response(body) {
            Ok(kindling::control::Response::Error(message)) => {
                assert!(message.starts_with("Invalid request"), "{message}")
            }
            other => panic!("not an error response: {other:?}"),
        }
    }
    (answer, closed)
}

#[test]
fn garbage_and_oversized_requests_are_refused_and_init_keeps_serving() {
    let sandbox = Sandbox::start(&[("svc", SVC)], &[]);
    let healthy = |sandbox: &Sandbox| {
        ok(&run(sandbox, "status", &["svc"]), "svc stop/waiting\n");
    };
    // A frame whose body is garbage.
    let mut garbage = 16u32.to_be_bytes().to_vec();
    garbage.extend_from_slice(b"\xff\xfe garbage! \x00\x01\x02\x03");
    let (_, closed) = raw_exchange(&sandbox, &garbage);
    assert!(closed, "init kept a garbage connection open");
    healthy(&sandbox);
    // Same, little-endian length.
    let mut garbage = 16u32.to_le_bytes().to_vec();
    garbage.extend_from_slice(b"\xff\xfe garbage! \x00\x01\x02\x03");
    let (_, closed) = raw_exchange(&sandbox, &garbage);
    assert!(closed, "init kept a garbage connection open");
    healthy(&sandbox);
    // Plain text, as if someone wrote a command line to the socket.
    let (_, closed) = raw_exchange(&sandbox, b"status svc\n");
    assert!(closed);
    healthy(&sandbox);
    // An oversized length prefix: init must not wait for (or allocate) 2 GiB.
    let mut huge = 0x7fff_fff0u32.to_be_bytes().to_vec();
    huge.extend_from_slice(&[0u8; 64]);
    let (_, closed) = raw_exchange(&sandbox, &huge);
    assert!(closed, "init waited for an oversized body");
    let mut huge = 0x7fff_fff0u32.to_le_bytes().to_vec();
    huge.extend_from_slice(&[0u8; 64]);
    let (_, closed) = raw_exchange(&sandbox, &huge);
    assert!(closed, "init waited for an oversized body");
    healthy(&sandbox);
    // A client that sends half a frame and stalls does not block others.
    let mut stalled = UnixStream::connect(sandbox.socket()).unwrap();
    stalled.write_all(&[0, 0]).unwrap();
    let begin = Instant::now();
    healthy(&sandbox);
    assert!(begin.elapsed() < Duration::from_secs(2));
    drop(stalled);
    // init is still process 1 of its namespace and alive.
    assert_eq!(sandbox.init_proc().expect("init").ns_pid, 1);
    healthy(&sandbox);
}

#[test]
fn fifty_concurrent_status_requests_are_all_answered() {
    let sandbox = Sandbox::start(&[("svc", SVC)], &[]);
    let pid = status_pid(
        &run(&sandbox, "start", &["svc"]),
        "svc start/running, process ",
    );
    let children: Vec<std::process::Child> = (0..50)
        .map(|_| {
            sandbox
                .initctl_command("status", &["svc"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn initctl")
        })
        .collect();
    let want = format!("svc start/running, process {pid}\n");
    for child in children {
        ok(&child.wait_with_output().unwrap().into(), &want);
    }
}

#[test]
fn failures_while_stopping_and_restarting_and_waited_stop_on_events() {
    let sandbox = Sandbox::start(
        &[
            ("psfail", "exec sleep 1000\npost-stop exec false\n"),
            (
                "rs",
                "pre-start exec sh -c 'test ! -e @OUT@/fail-flag'\nexec sleep 1001\n",
            ),
            ("plain", "exec sleep 1002\n"),
            (
                "byev",
                &format!(
                    "stop on halt-it\nexec sleep 1003\npost-stop exec sh -c 'sleep 1; {}'\n",
                    note("byev-post-stop")
                ),
            ),
        ],
        &[],
    );
    status_pid(
        &run(&sandbox, "start", &["psfail"]),
        "psfail start/running, process ",
    );
    fails(
        &run(&sandbox, "stop", &["psfail"]),
        "stop: Job failed while stopping\n",
    );

    status_pid(
        &run(&sandbox, "start", &["rs"]),
        "rs start/running, process ",
    );
    std::fs::write(sandbox.out_path("fail-flag"), "").unwrap();
    fails(
        &run(&sandbox, "restart", &["rs"]),
        "restart: Job failed to restart\n",
    );

    // restart without pre-stop: a new main process.
    let old = status_pid(
        &run(&sandbox, "start", &["plain"]),
        "plain start/running, process ",
    );
    let new = status_pid(
        &run(&sandbox, "restart", &["plain"]),
        "plain start/running, process ",
    );
    assert_ne!(old, new);

    // `emit` of a `stop on` event returns once the job fully stopped, post-stop included.
    status_pid(
        &run(&sandbox, "start", &["byev"]),
        "byev start/running, process ",
    );
    let begin = Instant::now();
    ok(&run(&sandbox, "initctl", &["emit", "halt-it"]), "");
    assert!(begin.elapsed() >= Duration::from_millis(900));
    assert_eq!(
        sandbox.read_out("order").as_deref(),
        Some("byev-post-stop\n")
    );
    ok(&run(&sandbox, "status", &["byev"]), "byev stop/waiting\n");
}

#[test]
fn global_options_quiet_system_and_user() {
    let sandbox = Sandbox::start(&[("svc", SVC)], &[]);
    // Debian's umountnfs.sh: `initctl --quiet emit …`.
    ok(
        &run(
            &sandbox,
            "initctl",
            &["--quiet", "emit", "unmounted-remote-filesystems"],
        ),
        "",
    );
    ok(
        &run(&sandbox, "initctl", &["--system", "status", "svc"]),
        "svc stop/waiting\n",
    );
    let user = run(&sandbox, "initctl", &["--user", "status", "svc"]);
    assert_eq!((user.out.as_str(), user.code), ("", 1), "{user:?}");
    assert!(user.err.starts_with("initctl: "), "{user:?}");
    // With --no-wait the status line is a snapshot, and the job does get running.
    let nowait = run(&sandbox, "start", &["--no-wait", "svc"]);
    assert_eq!((nowait.err.as_str(), nowait.code), ("", 0), "{nowait:?}");
    assert!(nowait.out.starts_with("svc start/"), "{nowait:?}");
    let pid = sandbox.wait_for_process("sleep 1000", TIMEOUT).ns_pid;
    sandbox.wait_for("svc running", TIMEOUT, || {
        (run(&sandbox, "status", &["svc"]).out == format!("svc start/running, process {pid}\n"))
            .then_some(())
    });
}

#[test]
fn an_oversized_request_is_refused_by_the_client_and_init_keeps_serving() {
    let sandbox = Sandbox::start(&[("svc", SVC), ("w", W)], &[]);
    let big = format!("K={}", "x".repeat(100 * 1024));
    let refused = run(&sandbox, "initctl", &["emit", "foo", &big]);
    assert_eq!((refused.out.as_str(), refused.code), ("", 1), "{refused:?}");
    assert!(refused.err.starts_with("initctl: "), "{refused:?}");
    ok(&run(&sandbox, "status", &["svc"]), "svc stop/waiting\n");
    fails(
        &run(&sandbox, "status", &["w", "X=9"]),
        "status: Unknown instance: 9\n",
    );
}

/// upstart.md §2.9 [V]: `start` (no arguments) inside pre-stop cancels the stop, and the
/// waiting `stop` caller prints `job start/running, process N`.
#[test]
fn stop_cancelled_by_start_in_pre_stop_prints_running() {
    let initctl = pid1::INITCTL;
    let sandbox = Sandbox::start(
        &[(
            "selfstart",
            &format!("env KINDLING_SOCKET\nexec sleep 1002\npre-stop exec {initctl} start\n"),
        )],
        &[],
    );
    let pid = status_pid(
        &run(&sandbox, "start", &["selfstart"]),
        "selfstart start/running, process ",
    );
    ok(
        &run(&sandbox, "stop", &["selfstart"]),
        &format!("selfstart start/running, process {pid}\n"),
    );
}

/// Issue 11.2: a process whose setup or exec fails in the child is a spawn failure, whatever
/// its kind and whether it is an `exec` or a `script`: `start` says so (it used to print
/// `start/running` because the job was taken as running at the fork), `started` is never
/// emitted, and `stopped` says `RESULT=failed PROCESS=…` without an exit status.
#[test]
fn a_spawn_that_fails_in_the_child_is_a_failed_start() {
    let watch = "start on started or stopped\ninstance $UPSTART_EVENTS-$JOB\ntask\n\
         exec sh -c 'echo \"$UPSTART_EVENTS $RESULT $PROCESS ${EXIT_STATUS-none} \
         ${EXIT_SIGNAL-none}\" > @OUT@/ev-$JOB-$UPSTART_EVENTS'\n";
    let sandbox = Sandbox::start(
        &[
            ("noexe", "exec /nonexistent/kindling-binary\n"),
            (
                "noscript",
                "chdir /nonexistent/kindling-dir\nscript\n  sleep 1000\nend script\n",
            ),
            (
                "nopre",
                "pre-start exec /nonexistent/kindling-pre\nexec sleep 1000\n",
            ),
            (
                "noprescript",
                "chdir /nonexistent/kindling-dir\npre-start script\n  true\nend script\n\
                 exec sleep 1000\n",
            ),
            (
                "nopost",
                "exec sleep 1000\npost-stop exec /nonexistent/kindling-post\n",
            ),
            ("watch", watch),
        ],
        &[],
    );
    for (job, kind, why) in [
        (
            "noexe",
            "main",
            "unable to execute: No such file or directory",
        ),
        (
            "noscript",
            "main",
            "unable to change working directory: No such file or directory",
        ),
        (
            "nopre",
            "pre-start",
            "unable to execute: No such file or directory",
        ),
        (
            "noprescript",
            "pre-start",
            "unable to change working directory: No such file or directory",
        ),
    ] {
        fails(
            &run(&sandbox, "start", &[job]),
            "start: Job failed to start\n",
        );
        sandbox.wait_for_log(
            &format!("Failed to spawn {job} {kind} process: {why}"),
            TIMEOUT,
        );
        assert_eq!(
            sandbox.wait_for_file(format!("ev-{job}-stopped"), TIMEOUT),
            format!("stopped failed {kind} none none\n"),
            "{job}"
        );
        ok(
            &run(&sandbox, "status", &[job]),
            &format!("{job} stop/waiting\n"),
        );
    }
    // The post-stop of a job that ran fails its stop the same way.
    status_pid(
        &run(&sandbox, "start", &["nopost"]),
        "nopost start/running, process ",
    );
    fails(
        &run(&sandbox, "stop", &["nopost"]),
        "stop: Job failed while stopping\n",
    );
    sandbox.wait_for_log(
        "Failed to spawn nopost post-stop process: unable to execute: No such file or directory",
        TIMEOUT,
    );
    assert_eq!(
        sandbox.wait_for_file("ev-nopost-stopped", TIMEOUT),
        "stopped failed post-stop none none\n"
    );
    sandbox.wait_idle(TIMEOUT);
    for job in ["noexe", "noscript", "nopre", "noprescript"] {
        assert_eq!(sandbox.read_out(format!("ev-{job}-started")), None, "{job}");
    }
    assert!(sandbox.find("sleep 1000").is_empty());
}

/// Issue 11.3: one job whose own events start and stop it with no process in between used to
/// keep init inside one engine call forever (100 % CPU, `initctl list` never answered). Init
/// now serves its socket, signals and reaper between slices of the loop, says which job
/// loops, and the admin's `stop` ends it.
#[test]
fn a_loop_of_events_without_processes_leaves_init_in_charge() {
    let sandbox = Sandbox::start(
        &[
            ("a", "start on stopped a or startup\nstop on started a\n"),
            ("t", "task\nexec sh -c 'echo ran > @OUT@/t'\n"),
        ],
        &[],
    );
    sandbox.wait_for_log(
        "a is looping: started 100 times by events without waiting for a process; check its \
         start on and stop on conditions",
        TIMEOUT,
    );
    for _ in 0..5 {
        let begin = Instant::now();
        let list = run(&sandbox, "initctl", &["list"]);
        assert_eq!((list.err.as_str(), list.code), ("", 0), "{list:?}");
        assert!(list.out.starts_with("a "), "{list:?}");
        assert!(
            begin.elapsed() < Duration::from_secs(2),
            "{:?}",
            begin.elapsed()
        );
    }
    // The reaper still runs: a task started now runs to its end and is answered.
    ok(&run(&sandbox, "start", &["t"]), "t stop/waiting\n");
    assert_eq!(sandbox.read_out("t").as_deref(), Some("ran\n"));
    assert!(sandbox.zombies().is_empty(), "{:?}", sandbox.zombies());

    let stop = run(&sandbox, "stop", &["a"]);
    assert!(
        stop == Run {
            out: "a stop/waiting\n".into(),
            err: String::new(),
            code: 0
        } || stop.err == "stop: Job has already been stopped: a\n",
        "{stop:?}"
    );
    sandbox.wait_for("a to stay stopped", TIMEOUT, || {
        (run(&sandbox, "status", &["a"]).out == "a stop/waiting\n").then_some(())
    });
    let handled = sandbox.log_count("Handling stopped event");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        sandbox.log_count("Handling stopped event"),
        handled,
        "the loop ended"
    );
    ok(&run(&sandbox, "status", &["a"]), "a stop/waiting\n");
}
