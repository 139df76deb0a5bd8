//! Respawning from outside: a main process that dies comes back with a new pid, the respawn
//! limit stops a job that dies too fast, `normal exit` ends respawning; stopping a job that
//! ignores its kill signal escalates to SIGKILL after `kill timeout`.

mod pid1;

use pid1::{env_get, parse_env, Sandbox, TIMEOUT};
use std::time::{Duration, Instant};

/// A task that writes the environment of every `stopped` event of `job` to
/// `@OUT@/stopped-JOB` (the last one wins).
fn stopped_watcher(job: &str) -> String {
    format!(
        "start on stopped JOB={job}\ntask\n\
         script\n  env > @OUT@/.stopped-{job}\n  mv @OUT@/.stopped-{job} @OUT@/stopped-{job}\nend script\n"
    )
}

#[test]
fn killed_main_process_is_respawned_with_a_new_pid() {
    let job = "start on startup\nrespawn\nexec sleep 1000\n";
    let sandbox = Sandbox::start(&[("sleeper", job)], &[]);
    let first = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    // The job's main process is init's child, a session leader.
    assert_eq!(first.ns_ppid, 1, "{first:?}");
    assert_eq!(first.sid, first.ns_pid, "{first:?}");

    sandbox.kill_ns(first.ns_pid, libc::SIGKILL);
    sandbox.wait_for_log(
        &format!(
            "sleeper main process ({}) killed by KILL signal",
            first.ns_pid
        ),
        TIMEOUT,
    );
    sandbox.wait_for_log("sleeper main process ended, respawning", TIMEOUT);
    let second = sandbox.wait_for("a new sleep 1000", TIMEOUT, || {
        sandbox
            .find("sleep 1000")
            .into_iter()
            .find(|p| p.ns_pid != first.ns_pid && p.state != 'Z')
    });
    assert_eq!(second.ns_ppid, 1);

    // Twice more: exit 0 is abnormal for a respawning service too.
    sandbox.kill_ns(second.ns_pid, libc::SIGTERM);
    sandbox.wait_for_log_count("sleeper main process ended, respawning", 2, TIMEOUT);
    let third = sandbox.wait_for("a third sleep 1000", TIMEOUT, || {
        sandbox
            .find("sleep 1000")
            .into_iter()
            .find(|p| ![first.ns_pid, second.ns_pid].contains(&p.ns_pid) && p.state != 'Z')
    });
    sandbox.wait_for("no zombies", TIMEOUT, || {
        sandbox.zombies().is_empty().then_some(())
    });
    let left: Vec<i32> = sandbox.processes().iter().map(|p| p.ns_pid).collect();
    assert_eq!(left, [third.ns_pid]);
}

#[test]
fn respawn_limit_stops_a_job_that_dies_too_fast() {
    let job = "start on startup\nrespawn\nrespawn limit 3 10\n\
               script\n  echo $$ >> @OUT@/runs\n  exit 1\nend script\n";
    let sandbox = Sandbox::start(
        &[("flappy", job), ("watch", &stopped_watcher("flappy"))],
        &[],
    );
    sandbox.wait_for_log("flappy respawning too fast, stopped", TIMEOUT);
    // Initial run + 3 respawns, each a new process.
    let runs = sandbox.wait_for_lines("runs", 4, TIMEOUT);
    let mut pids: Vec<&str> = runs.lines().collect();
    assert_eq!(pids.len(), 4, "{runs}");
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), 4, "pids repeat: {runs}");
    assert_eq!(
        sandbox.log_count("flappy main process ended, respawning"),
        3
    );
    assert_eq!(
        sandbox.log_count(") terminated with status 1"),
        4,
        "{}",
        sandbox.log()
    );

    let stopped = parse_env(&sandbox.wait_for_file("stopped-flappy", TIMEOUT));
    assert_eq!(env_get(&stopped, "RESULT"), Some("failed"), "{stopped:?}");
    assert_eq!(env_get(&stopped, "PROCESS"), Some("respawn"), "{stopped:?}");
    // And it stays stopped.
    assert!(sandbox.stays(Duration::from_millis(500), || {
        sandbox.read_out("runs").unwrap_or_default().lines().count() > 4
    }));
}

#[test]
fn default_respawn_limit_is_ten_in_five_seconds() {
    let job = "start on startup\nrespawn\nscript\n  echo $$ >> @OUT@/runs\n  exit 0\nend script\n";
    let sandbox = Sandbox::start(&[("flappy", job)], &[]);
    sandbox.wait_for_log("flappy respawning too fast, stopped", TIMEOUT);
    let runs = sandbox.wait_for_lines("runs", 11, TIMEOUT);
    assert!(sandbox.stays(Duration::from_millis(300), || {
        sandbox.read_out("runs").unwrap_or_default().lines().count() > 11
    }));
    assert_eq!(runs.lines().count(), 11, "{runs}");
}

#[test]
fn normal_exit_ends_respawning() {
    let job = "start on startup\nrespawn\nnormal exit 3 TERM\n\
               script\n  echo $$ >> @OUT@/runs\n  exit 3\nend script\n";
    let sig = "start on startup\nrespawn\nnormal exit 3 TERM\n\
               script\n  echo $$ >> @OUT@/sig-runs\n  exec sleep 1000\nend script\n";
    let sandbox = Sandbox::start(
        &[
            ("normal", job),
            ("sig", sig),
            ("w1", &stopped_watcher("normal")),
            ("w2", &stopped_watcher("sig")),
        ],
        &[],
    );
    let stopped = parse_env(&sandbox.wait_for_file("stopped-normal", TIMEOUT));
    assert_eq!(env_get(&stopped, "RESULT"), Some("ok"), "{stopped:?}");
    assert_eq!(sandbox.read_out("runs").unwrap().lines().count(), 1);
    assert_eq!(
        sandbox.log_count("normal main process ended, respawning"),
        0
    );

    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.kill_ns(main.ns_pid, libc::SIGTERM);
    let stopped = parse_env(&sandbox.wait_for_file("stopped-sig", TIMEOUT));
    assert_eq!(env_get(&stopped, "RESULT"), Some("ok"), "{stopped:?}");
    assert!(sandbox.stays(Duration::from_millis(300), || {
        sandbox
            .read_out("sig-runs")
            .unwrap_or_default()
            .lines()
            .count()
            > 1
    }));
    assert_eq!(sandbox.log_count("sig main process ended, respawning"), 0);
}

/// Polls the log until `needle` appears; returns when (relative to `since`).
fn log_time(sandbox: &Sandbox, needle: &str, since: Instant) -> Duration {
    sandbox.wait_for_log(needle, TIMEOUT);
    since.elapsed()
}

#[test]
fn kill_timeout_escalates_from_term_to_kill() {
    // The main process traps TERM (its children die of it, the shell goes on).
    let stubborn = "start on startup\nstop on stopped trigger\nkill timeout 1\n\
                    script\n\
                    \x20 trap 'echo TERM >> @OUT@/traps' TERM\n\
                    \x20 echo ready > @OUT@/ready\n\
                    \x20 while :; do sleep 0.05 || :; done\n\
                    end script\n";
    // The stop comes through a chain: SIGINT → control-alt-delete → trigger runs → stopped.
    let trigger = "start on control-alt-delete\ntask\nexec true\n";
    let sandbox = Sandbox::start(
        &[
            ("stubborn", stubborn),
            ("trigger", trigger),
            ("watch", &stopped_watcher("stubborn")),
        ],
        &[],
    );
    sandbox.wait_for_file("ready", TIMEOUT);
    let main = sandbox.wait_for_process("/bin/sh -e /proc/self/fd/9", TIMEOUT);

    let start = Instant::now();
    sandbox.signal(libc::SIGINT);
    let term = log_time(
        &sandbox,
        &format!(
            "Sending TERM signal to stubborn main process ({})",
            main.ns_pid
        ),
        start,
    );
    sandbox.wait_for_file("traps", TIMEOUT);
    let kill = log_time(
        &sandbox,
        &format!(
            "Sending KILL signal to stubborn main process ({})",
            main.ns_pid
        ),
        start,
    );
    sandbox.wait_for_log(
        &format!(
            "stubborn main process ({}) killed by KILL signal",
            main.ns_pid
        ),
        TIMEOUT,
    );
    let gap = kill - term;
    assert!(
        gap >= Duration::from_millis(900) && gap < Duration::from_millis(3000),
        "TERM at {term:?}, KILL at {kill:?}\n{}",
        sandbox.log()
    );
    // Killed on purpose: not a failure.
    let stopped = parse_env(&sandbox.wait_for_file("stopped-stubborn", TIMEOUT));
    assert_eq!(env_get(&stopped, "RESULT"), Some("ok"), "{stopped:?}");
    sandbox.wait_idle(TIMEOUT);
}

#[test]
fn kill_signal_stanza_and_quick_stop() {
    // `kill signal INT`: the main process dies of it at once, no KILL follows.
    let job = "start on startup\nstop on keyboard-request\nkill signal INT\nkill timeout 1\n\
               exec sleep 1000\n";
    let sandbox = Sandbox::start(
        &[("polite", job), ("watch", &stopped_watcher("polite"))],
        &[],
    );
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_log(
        &format!(
            "Sending INT signal to polite main process ({})",
            main.ns_pid
        ),
        TIMEOUT,
    );
    let stopped = parse_env(&sandbox.wait_for_file("stopped-polite", TIMEOUT));
    assert_eq!(env_get(&stopped, "RESULT"), Some("ok"), "{stopped:?}");
    assert!(sandbox.stays(Duration::from_millis(1500), || {
        sandbox.log().contains("Sending KILL signal")
    }));
}

#[test]
fn respawn_window_is_counted_from_the_first_respawn() {
    // `respawn limit 3 1` and a process that lives 0.4 s: at most 3 respawns ever fall
    // into one window (upstart.md §2.6), so it is never "too fast".
    let job = "start on startup\nrespawn\nrespawn limit 3 1\n\
               script\n  echo $$ >> @OUT@/runs\n  sleep 0.4\n  exit 1\nend script\n";
    let sandbox = Sandbox::start(&[("slowflap", job)], &[]);
    sandbox.wait_for_lines("runs", 7, TIMEOUT);
    assert_eq!(
        sandbox.log_count("respawning too fast"),
        0,
        "{}",
        sandbox.log()
    );
}

#[test]
fn a_main_process_that_stops_itself_without_expect_stop_can_still_be_stopped() {
    // SIGSTOP outside `expect stop`: init must neither hang nor mistake it for an exit;
    // stopping the job ends with SIGKILL after the timeout (TERM waits for a CONT).
    let job = "start on startup\nstop on keyboard-request\nkill timeout 1\n\
               script\n  kill -STOP $$\n  exec sleep 1000\nend script\n";
    let stopped = "start on stopped frozen\ntask\nexec sh -c 'echo $RESULT > @OUT@/stopped'\n";
    let kbd = "start on power-status-changed\ntask\nexec sh -c 'echo alive > @OUT@/alive'\n";
    let sandbox = Sandbox::start(&[("frozen", job), ("s", stopped), ("k", kbd)], &[]);
    let main = sandbox.wait_for("a stopped main process", TIMEOUT, || {
        sandbox
            .find("/bin/sh -e /proc/self/fd/9")
            .into_iter()
            .find(|p| p.state == 'T')
    });
    // init goes on with its life.
    sandbox.signal(libc::SIGPWR);
    sandbox.wait_for_file("alive", TIMEOUT);
    assert!(sandbox.read_out("stopped").is_none());
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_log(
        &format!(
            "Sending TERM signal to frozen main process ({})",
            main.ns_pid
        ),
        TIMEOUT,
    );
    assert_eq!(sandbox.wait_for_file("stopped", TIMEOUT).trim(), "ok");
    sandbox.wait_idle(TIMEOUT);
}

#[test]
fn post_stop_and_pre_start_run_around_every_respawn() {
    let job = "start on startup\nrespawn\nrespawn limit 2 10\n\
               pre-start exec sh -c 'echo pre-start >> @OUT@/order'\n\
               post-stop exec sh -c 'echo post-stop >> @OUT@/order'\n\
               exec sh -c 'echo main >> @OUT@/order; exit 2'\n";
    let sandbox = Sandbox::start(&[("cycle", job)], &[]);
    sandbox.wait_for_log("cycle respawning too fast, stopped", TIMEOUT);
    // Three runs (limit 2), each with its own pre-start and post-stop.
    let order = sandbox.wait_for_lines("order", 9, TIMEOUT);
    let cycle = ["pre-start", "main", "post-stop"];
    assert_eq!(
        order.lines().collect::<Vec<_>>(),
        cycle.repeat(3),
        "{order}"
    );
    assert!(sandbox.stays(Duration::from_millis(300), || {
        sandbox
            .read_out("order")
            .unwrap_or_default()
            .lines()
            .count()
            > 9
    }));
}

#[test]
fn pre_stop_and_post_stop_see_the_stop_events() {
    let job = "start on startup\nstop on keyboard-request\n\
               pre-stop exec sh -c 'echo \"pre-stop $UPSTART_STOP_EVENTS\" >> @OUT@/stop'\n\
               post-stop exec sh -c 'echo \"post-stop $UPSTART_STOP_EVENTS\" >> @OUT@/stop'\n\
               exec sleep 1000\n";
    let sandbox = Sandbox::start(&[("stopper", job)], &[]);
    sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.signal(libc::SIGWINCH);
    let text = sandbox.wait_for_lines("stop", 2, TIMEOUT);
    assert_eq!(
        text,
        "pre-stop keyboard-request\npost-stop keyboard-request\n"
    );
}

#[test]
fn a_respawning_service_stopped_on_purpose_is_not_respawned() {
    let job = "start on startup\nstop on keyboard-request\nrespawn\nexec sleep 1000\n";
    let sandbox = Sandbox::start(
        &[("steady", job), ("watch", &stopped_watcher("steady"))],
        &[],
    );
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.signal(libc::SIGWINCH);
    let stopped = parse_env(&sandbox.wait_for_file("stopped-steady", TIMEOUT));
    assert_eq!(env_get(&stopped, "RESULT"), Some("ok"), "{stopped:?}");
    sandbox.wait_for_log(
        &format!(
            "steady main process ({}) killed by TERM signal",
            main.ns_pid
        ),
        TIMEOUT,
    );
    assert!(sandbox.stays(Duration::from_millis(500), || {
        !sandbox.find("sleep 1000").is_empty()
    }));
    assert_eq!(sandbox.log_count("respawning"), 0);
}

#[test]
fn a_spawn_failure_is_not_respawned() {
    // Upstream: a process that could not be started fails the job (goal stop); respawn is
    // for processes that ran and ended.
    let job = "start on startup\nrespawn\nexec /nonexistent/kindling-daemon\n";
    let sandbox = Sandbox::start(&[("ghost", job), ("watch", &stopped_watcher("ghost"))], &[]);
    let stopped = parse_env(&sandbox.wait_for_file("stopped-ghost", TIMEOUT));
    assert_eq!(env_get(&stopped, "RESULT"), Some("failed"), "{stopped:?}");
    assert_eq!(env_get(&stopped, "PROCESS"), Some("main"), "{stopped:?}");
    assert!(sandbox.stays(Duration::from_millis(500), || {
        sandbox.log_count("Failed to spawn ghost main process") > 1
    }));
    assert_eq!(sandbox.log_count("respawning"), 0, "{}", sandbox.log());
}

#[test]
fn a_service_without_respawn_that_exits_just_stops() {
    let ok = "start on startup\nexec sh -c 'exit 0'\n";
    let bad = "start on startup\nexec sh -c 'exit 1'\n";
    let sandbox = Sandbox::start(
        &[
            ("ok", ok),
            ("bad", bad),
            ("w1", &stopped_watcher("ok")),
            ("w2", &stopped_watcher("bad")),
        ],
        &[],
    );
    let env = parse_env(&sandbox.wait_for_file("stopped-ok", TIMEOUT));
    assert_eq!(env_get(&env, "RESULT"), Some("ok"), "{env:?}");
    let env = parse_env(&sandbox.wait_for_file("stopped-bad", TIMEOUT));
    assert_eq!(env_get(&env, "RESULT"), Some("failed"), "{env:?}");
    assert_eq!(env_get(&env, "PROCESS"), Some("main"), "{env:?}");
    assert_eq!(env_get(&env, "EXIT_STATUS"), Some("1"), "{env:?}");
}
