//! Stateful re-exec of the real init as PID 1 of a sandbox, driven from the host with the
//! real `initctl` (upstart.md §8.3): running jobs keep their pids and states, a half-matched
//! `start on A and B` still fires on B, a client waiting across the re-exec gets its answer,
//! no second `startup`, job logs keep being written, respawn still works.

mod pid1;

use pid1::{Sandbox, INIT, TIMEOUT};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn initctl(sandbox: &Sandbox, prog: &str, args: &[&str]) -> Output {
    sandbox.initctl_as(prog, args)
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `initctl list`, sorted.
fn list(sandbox: &Sandbox) -> Vec<String> {
    let output = initctl(sandbox, "initctl", &["list"]);
    assert!(output.status.success(), "{output:?}");
    let mut lines: Vec<String> = text(&output).lines().map(str::to_string).collect();
    lines.sort();
    lines
}

#[derive(Debug, Clone, Copy)]
enum Way {
    /// `init u` run on the host with `KINDLING_SOCKET` set (a `Request::ReExec`).
    InitU,
    /// SIGTERM to init.
    Sigterm,
}

const JOBS: &[(&str, &str)] = &[
    ("svc", "exec sleep 1000\n"),
    ("w", "instance $X\nexec sleep 1001\n"),
    (
        "ab",
        "start on A and B\ntask\nexec sh -c 'echo \"ab $UPSTART_EVENTS\" >> @OUT@/ab'\n",
    ),
    (
        "boot",
        "start on startup\ntask\nexec sh -c 'echo boot >> @OUT@/boot'\n",
    ),
    (
        "talker",
        "console log\nexec sh -c 'i=0; while :; do echo \"line $i\"; i=$((i+1)); sleep 0.05; \
         done'\n",
    ),
    ("resp", "respawn\nexec sleep 1003\n"),
];

fn reexec(sandbox: &Sandbox, way: Way) {
    let before = sandbox.log_count("Restored state from the previous image");
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
    sandbox.wait_for_log_count(
        "Restored state from the previous image",
        before + 1,
        TIMEOUT,
    );
}

fn scenario(way: Way) {
    let sandbox = Sandbox::start(JOBS, &[]);
    assert_eq!(sandbox.wait_for_file("boot", TIMEOUT), "boot\n");
    for job in [
        &["svc"][..],
        &["w", "X=1"],
        &["w", "X=2"],
        &["resp"],
        &["talker"],
    ] {
        let output = initctl(&sandbox, "start", job);
        assert!(output.status.success(), "{job:?}: {output:?}");
    }
    let talker_log = sandbox.logdir.join("talker.log");
    sandbox.wait_for("talker.log", TIMEOUT, || {
        std::fs::read_to_string(&talker_log)
            .ok()
            .filter(|t| t.contains("line 2\n"))
    });

    // `emit A` waits: A is held by the half-matched `A and B`.
    let mut emit_a = sandbox
        .initctl_command("initctl", &["emit", "A"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn initctl emit A");
    sandbox.wait_for_log("Handling A event", TIMEOUT);
    std::thread::sleep(Duration::from_millis(200));
    assert!(emit_a.try_wait().unwrap().is_none(), "emit A did not wait");

    let before = list(&sandbox);
    assert!(
        before
            .iter()
            .any(|l| l.starts_with("svc start/running, process ")),
        "{before:?}"
    );
    let resp_before = sandbox.wait_for_process("sleep 1003", TIMEOUT);

    reexec(&sandbox, way);

    assert_eq!(list(&sandbox), before, "jobs changed across the re-exec");
    assert_eq!(sandbox.log_count("Handling startup event"), 1);
    assert_eq!(sandbox.read_out("boot").as_deref(), Some("boot\n"));
    assert!(
        emit_a.try_wait().unwrap().is_none(),
        "emit A returned early"
    );
    assert!(sandbox.read_out("ab").is_none());

    // The log keeps growing after the re-exec.
    let length = std::fs::metadata(&talker_log).unwrap().len();
    sandbox.wait_for("talker.log to grow", TIMEOUT, || {
        (std::fs::metadata(&talker_log).unwrap().len() > length + 20).then_some(())
    });

    // B completes `A and B`: the job runs and both emits return.
    let emit_b = initctl(&sandbox, "initctl", &["emit", "B"]);
    assert!(emit_b.status.success(), "{emit_b:?}");
    assert_eq!(sandbox.wait_for_file("ab", TIMEOUT), "ab A B\n");
    let deadline = std::time::Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = emit_a.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "emit A never returned"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let output = emit_a.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(0), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");

    // The new image knows the respawn job's pid: killed, it is respawned.
    sandbox.kill_ns(resp_before.ns_pid, libc::SIGKILL);
    let resp_after = sandbox.wait_for("resp respawned", TIMEOUT, || {
        sandbox
            .find("sleep 1003")
            .into_iter()
            .find(|p| p.state != 'Z' && p.ns_pid != resp_before.ns_pid)
    });
    let status = initctl(&sandbox, "status", &["resp"]);
    assert_eq!(
        text(&status),
        format!("resp start/running, process {}\n", resp_after.ns_pid)
    );
    // And a second re-exec still keeps everything.
    let before = list(&sandbox);
    reexec(&sandbox, way);
    assert_eq!(list(&sandbox), before);
    assert_eq!(sandbox.log_count("Handling startup event"), 1);
    assert!(sandbox.zombies().is_empty(), "{:?}", sandbox.zombies());
}

#[test]
fn reexec_by_init_u_keeps_jobs_events_and_waiting_clients() {
    scenario(Way::InitU);
}

#[test]
fn reexec_by_sigterm_keeps_jobs_events_and_waiting_clients() {
    scenario(Way::Sigterm);
}

#[test]
fn init_u_without_a_kindling_socket_sends_nothing() {
    // Pointed at a socket nobody listens on, `init u` exits 0 and does nothing (libc6's
    // postinst runs `telinit u` whatever the init).
    let dir = std::env::temp_dir().join(format!("kindling-reexec-none-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = Command::new(INIT)
        .arg("u")
        .env_clear()
        .env("KINDLING_SOCKET", dir.join("nobody.sock"))
        .stdin(Stdio::null())
        .output()
        .expect("run init u");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}
