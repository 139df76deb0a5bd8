//! Re-exec of the real init as PID 1 of a sandbox when the state is unusual or damaged
//! (issue 11): jobs with stanza values at the edges of their ranges keep running across
//! `init u` and SIGTERM, and when the state handed over cannot be read — wholly, in its job
//! part, or in one record — init still answers on its control socket within seconds and
//! reaps every process it had.
//!
//! Damage is done by starting init through a wrapper script (`Sandbox::start_through`):
//! on a re-exec it rewrites the state descriptor with `sed` before it execs the new image.

mod pid1;

use pid1::{Sandbox, INIT, TIMEOUT};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long `initctl` may take to answer right after a re-exec.
const ANSWER: Duration = Duration::from_secs(5);

/// Runs initctl against the sandbox; fails the test if it has not answered within
/// [`ANSWER`] (the bug made it hang for good).
fn initctl(sandbox: &Sandbox, args: &[&str]) -> Output {
    let mut child = sandbox
        .initctl_command("initctl", args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn initctl");
    let deadline = Instant::now() + ANSWER;
    while child.try_wait().expect("wait for initctl").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("initctl {args:?} did not answer within {ANSWER:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("initctl output")
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `initctl list`, sorted; init must answer.
fn list(sandbox: &Sandbox) -> Vec<String> {
    let output = initctl(sandbox, &["list"]);
    assert!(output.status.success(), "{output:?}");
    let mut lines: Vec<String> = text(&output).lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// `initctl version` answers with kindling's version.
fn answers(sandbox: &Sandbox) {
    let output = initctl(sandbox, &["version"]);
    assert!(output.status.success(), "{output:?}");
    assert!(text(&output).contains("(kindling "), "{output:?}");
}

fn start(sandbox: &Sandbox, args: &[&str]) {
    let output = initctl(
        sandbox,
        &["start"].iter().chain(args).copied().collect::<Vec<_>>(),
    );
    assert!(output.status.success(), "start {args:?}: {output:?}");
}

#[derive(Debug, Clone, Copy)]
enum Way {
    InitU,
    Sigterm,
}

/// Re-executes init and waits until the new image logged a line containing `done`.
fn reexec(sandbox: &Sandbox, way: Way, done: &str) {
    let before = sandbox.log_count(done);
    match way {
        Way::InitU => {
            let output = Command::new(INIT)
                .arg("u")
                .env_clear()
                .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                .env("KINDLING_SOCKET", sandbox.socket())
                .stdin(Stdio::null())
                .output()
                .expect("run init u");
            assert!(output.status.success(), "{output:?}");
        }
        Way::Sigterm => sandbox.signal(libc::SIGTERM),
    }
    sandbox.wait_for_log_count(done, before + 1, TIMEOUT);
}

/// The first line of `/proc/PID/limits` (host pid) that starts with `name`.
fn limit_line(host_pid: i32, name: &str) -> String {
    std::fs::read_to_string(format!("/proc/{host_pid}/limits"))
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(name))
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Waits until the sandbox's process `ns_pid` is gone, zombie included (init reaped it).
fn wait_reaped(sandbox: &Sandbox, ns_pid: i32) {
    sandbox.wait_for(&format!("process {ns_pid} reaped"), TIMEOUT, || {
        sandbox
            .processes()
            .iter()
            .all(|p| p.ns_pid != ns_pid)
            .then_some(())
    });
}

const ODD: &str = "description \"odd \\\"values\\\" = 1\"\n\
    author 'a b'\n\
    usage \"odd KEY=VALUE\"\n\
    limit core 18446744073709551614 unlimited\n\
    limit nofile 1024 4096\n\
    limit fsize -1 unlimited\n\
    nice 5\n\
    oom score 900\n\
    umask 0027\n\
    env ODD=\"a b=c\\td%41\"\n\
    env EMPTY=\n\
    export ODD\n\
    normal exit 0 3 TERM SIGHUP\n\
    kill signal SIGINT\n\
    kill timeout 3\n\
    reload signal USR2\n\
    respawn\n\
    respawn limit unlimited\n\
    console none\n\
    emits odd-event 'odd *'\n\
    start on (a-never X=$ODD and b-never Y!=\"*\") or c-never\n\
    stop on d-never\n\
    cgroup memory $UPSTART_JOB limit 1\n\
    apparmor switch unconfined-profile\n\
    pre-start script\n\
    \tprintf 'pre\\tstart = %s\\n' \"$ODD\" >/dev/null\n\
    end script\n\
    exec sleep 1100\n";

/// Issue 11 as reported: with `limit core 18446744073709551614 unlimited` in a running job,
/// `init u` must leave an init that answers and still knows the job.
fn unusual_stanzas_survive(way: Way) {
    let sandbox = Sandbox::start(
        &[("odd", ODD), ("w", "instance $X\nexec sleep 1101\n")],
        &[],
    );
    start(&sandbox, &["odd"]);
    start(&sandbox, &["w", "X=a b/%$=\t1"]);
    let before = list(&sandbox);
    let odd = sandbox.wait_for_process("sleep 1100", TIMEOUT);
    assert_eq!(
        limit_line(odd.pid, "Max core file size"),
        "Max core file size 18446744073709551614 unlimited bytes"
    );
    assert!(
        before.contains(&format!("odd start/running, process {}", odd.ns_pid)),
        "{before:?}"
    );

    reexec(&sandbox, way, "Restored state from the previous image");
    answers(&sandbox);
    assert_eq!(list(&sandbox), before, "jobs changed across the re-exec");
    assert_eq!(sandbox.log_count("Unable to"), 0, "{}", sandbox.log());

    // The restored definition still carries the limit: a restart applies it again.
    let output = initctl(&sandbox, &["restart", "odd"]);
    assert!(output.status.success(), "{output:?}");
    let again = sandbox.wait_for("the restarted odd", TIMEOUT, || {
        sandbox
            .find("sleep 1100")
            .into_iter()
            .find(|p| p.state != 'Z' && p.ns_pid != odd.ns_pid)
    });
    assert_eq!(
        limit_line(again.pid, "Max core file size"),
        "Max core file size 18446744073709551614 unlimited bytes"
    );
    // And a second re-exec still keeps everything.
    let before = list(&sandbox);
    reexec(&sandbox, way, "Restored state from the previous image");
    assert_eq!(list(&sandbox), before);
    assert!(sandbox.zombies().is_empty(), "{:?}", sandbox.zombies());
}

#[test]
fn init_u_keeps_a_job_with_a_huge_core_limit_and_keeps_answering() {
    unusual_stanzas_survive(Way::InitU);
}

#[test]
fn sigterm_keeps_a_job_with_a_huge_core_limit_and_keeps_answering() {
    unusual_stanzas_survive(Way::Sigterm);
}

/// A wrapper that runs `filter` (a shell command from stdin to stdout) over the state
/// handed over on every re-exec, and keeps the original as `DIR/state.orig`.
fn tampering_wrapper(filter: &str) -> String {
    format!(
        r#"#!/bin/bash
args=()
fd=
while [ $# -gt 0 ]; do
    case "$1" in
        --state-fd) fd="$2"; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
if [ -n "$fd" ]; then
    cat <&"$fd" >"@DIR@/state.orig"
    {filter} <"@DIR@/state.orig" >"@DIR@/state.bad"
    eval "exec $fd<&-"
    eval "exec $fd<\"@DIR@/state.bad\""
    args+=(--state-fd "$fd")
fi
exec -a "$0" "@INIT@" "${{args[@]}}"
"#
    )
}

const JOBS: &[(&str, &str)] = &[
    ("keep", "exec sleep 1200\n"),
    ("lost", "exec sleep 1201\n"),
    (
        "talker",
        "console log\nexec sh -c 'i=0; while :; do echo \"line $i\"; i=$((i+1)); sleep 0.05; \
         done'\n",
    ),
    ("ab", "start on A and B\ntask\nexec true\n"),
];

/// Starts the jobs of [`JOBS`] through a wrapper applying `filter`, with a client waiting
/// on `emit A`; returns the sandbox, the waiting client and the pids of keep and lost.
fn damaged_sandbox(filter: &str) -> (Sandbox, std::process::Child, i32, i32) {
    let sandbox = Sandbox::start_through(&tampering_wrapper(filter), JOBS, &[]);
    for job in ["keep", "lost", "talker"] {
        start(&sandbox, &[job]);
    }
    let emit_a = sandbox
        .initctl_command("initctl", &["emit", "A"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn initctl emit A");
    sandbox.wait_for_log("Handling A event", TIMEOUT);
    let keep = sandbox.wait_for_process("sleep 1200", TIMEOUT).ns_pid;
    let lost = sandbox.wait_for_process("sleep 1201", TIMEOUT).ns_pid;
    (sandbox, emit_a, keep, lost)
}

/// What must hold however much of the state was lost: init answers, the job logs it took
/// over keep being written, a process of a job it no longer knows is reaped when it dies,
/// and that job can be started afresh.
fn still_serving(sandbox: &Sandbox, orphan: i32) {
    answers(sandbox);
    let log = sandbox.logdir.join("talker.log");
    let length = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    sandbox.wait_for("talker.log to grow", TIMEOUT, || {
        (std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0) > length + 20).then_some(())
    });
    sandbox.kill_ns(orphan, libc::SIGKILL);
    wait_reaped(sandbox, orphan);
    start(sandbox, &["lost"]);
    assert!(sandbox.zombies().is_empty(), "{:?}", sandbox.zombies());
}

/// Waits for the client and returns its output (it must not wait for ever).
fn finished(mut child: std::process::Child) -> Output {
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the waiting client was never answered");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn an_unreadable_job_state_still_leaves_a_serving_init() {
    let (sandbox, emit_a, keep, lost) = damaged_sandbox(
        "sed -e 's/^engine kindling-engine-state [0-9]* /engine kindling-engine-state 99 /'",
    );
    reexec(&sandbox, Way::InitU, "Unable to restore the job state");
    sandbox.wait_for_log(
        "Unable to restore the job state: unsupported state version 99",
        TIMEOUT,
    );
    let jobs = list(&sandbox);
    assert!(jobs.contains(&"keep stop/waiting".to_string()), "{jobs:?}");
    // The client waiting on A is told its request is gone instead of waiting for ever.
    let output = finished(emit_a);
    assert!(!output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("init restarted without its state"),
        "{output:?}"
    );
    still_serving(&sandbox, lost);
    // The other old process is init's child too.
    sandbox.kill_ns(keep, libc::SIGTERM);
    wait_reaped(&sandbox, keep);
}

#[test]
fn an_unreadable_instance_costs_only_that_instance() {
    let (sandbox, emit_a, keep, lost) =
        damaged_sandbox("sed -e '/^engine instance =lost /s/ running / bogus /'");
    let before = list(&sandbox);
    reexec(
        &sandbox,
        Way::Sigterm,
        "Restored state from the previous image, but",
    );
    sandbox.wait_for_log(
        "Unable to restore part of the job state: instance lost: unknown state bogus",
        TIMEOUT,
    );
    let after = list(&sandbox);
    let expected: Vec<String> = before
        .iter()
        .map(|line| {
            if line.starts_with("lost ") {
                "lost stop/waiting".to_string()
            } else {
                line.clone()
            }
        })
        .collect();
    assert_eq!(after, expected);
    assert!(after.contains(&format!("keep start/running, process {keep}")));
    still_serving(&sandbox, lost);
    // The rest of the state is intact: B completes `A and B` and the emit returns.
    let emit_b = initctl(&sandbox, &["emit", "B"]);
    assert!(emit_b.status.success(), "{emit_b:?}");
    let output = finished(emit_a);
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn an_unreadable_hand_over_still_leaves_a_serving_init() {
    let (sandbox, emit_a, keep, lost) = damaged_sandbox("echo garbage");
    reexec(
        &sandbox,
        Way::InitU,
        "Unable to read the state handed over: not a kindling hand-over",
    );
    // The control socket was found among the descriptors init inherited.
    let jobs = list(&sandbox);
    assert!(jobs.contains(&"keep stop/waiting".to_string()), "{jobs:?}");
    answers(&sandbox);
    sandbox.kill_ns(lost, libc::SIGKILL);
    wait_reaped(&sandbox, lost);
    sandbox.kill_ns(keep, libc::SIGKILL);
    wait_reaped(&sandbox, keep);
    start(&sandbox, &["lost"]);
    // Its connection is among the descriptors nobody could name: it is never answered.
    let mut emit_a = emit_a;
    let _ = emit_a.kill();
    let _ = emit_a.wait();
}
