//! Spawning from outside: orphans reaped by PID 1, `expect fork|daemon|stop` with real
//! daemonizing processes, spawn failures and broken job files.

mod pid1;

use pid1::{env_get, parse_env, Sandbox, TIMEOUT};
use std::time::Duration;

/// A task run for every job that stops with `RESULT=failed`, writing that event's
/// environment to `@OUT@/failed-JOB`.
const FAILED_WATCHER: &str = "instance $JOB\nstart on stopped RESULT=failed\ntask\n\
     script\n  env > @OUT@/.failed-$JOB\n  mv @OUT@/.failed-$JOB @OUT@/failed-$JOB\nend script\n";

/// A task that writes `@OUT@/started-JOB` when `job` reaches running.
fn started_watcher(job: &str) -> String {
    format!("start on started {job}\ntask\nexec sh -c 'echo up > @OUT@/started-{job}'\n")
}

#[test]
fn orphans_of_a_fork_storm_are_reaped() {
    // 200 grandchildren that outlive their parent by half a second, then exit.
    let storm = "start on startup\ntask\n\
                 script\n\
                 \x20 i=0\n\
                 \x20 while [ $i -lt 200 ]; do\n\
                 \x20   (sleep 0.5; exit 3) &\n\
                 \x20   i=$((i + 1))\n\
                 \x20 done\n\
                 \x20 echo forked > @OUT@/forked\n\
                 end script\n";
    let sandbox = Sandbox::start(&[("storm", storm)], &[]);
    sandbox.wait_for_file("forked", TIMEOUT);
    sandbox.wait_for_log("storm main process", TIMEOUT);
    // Orphaned: their parent is init now.
    let orphans = sandbox.wait_for("the orphans to be init's", TIMEOUT, || {
        let orphans: Vec<_> = sandbox
            .processes()
            .into_iter()
            .filter(|p| p.ns_ppid == 1 && p.state != 'Z')
            .collect();
        (orphans.len() >= 150).then_some(orphans.len())
    });
    assert!(orphans <= 400, "{orphans}");
    // They exit; within a second after, nothing is left, not even a zombie.
    sandbox.wait_idle(Duration::from_secs(5));
    assert!(sandbox.zombies().is_empty());
}

#[test]
fn zombies_do_not_accumulate_under_a_busy_service() {
    // A service whose main process leaves a stream of orphans behind while it runs.
    let busy = "start on startup\n\
                script\n\
                \x20 while :; do\n\
                \x20   (true &) ; (exit 1 &)\n\
                \x20   sleep 0.01\n\
                \x20 done\n\
                end script\n";
    let sandbox = Sandbox::start(&[("busy", busy)], &[]);
    sandbox.wait_for_process("/bin/sh -e /proc/self/fd/9", TIMEOUT);
    std::thread::sleep(Duration::from_millis(1500));
    // At any moment only a handful of just-exited processes may wait for their reaping.
    for _ in 0..20 {
        let zombies = sandbox.zombies();
        assert!(zombies.len() < 20, "{zombies:?}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn expect_fork_follows_the_forked_child() {
    let job = "start on startup\nexpect fork\nrespawn\n\
               exec sh -c 'sleep 1000 & echo $! > @OUT@/child; exit 0'\n";
    let sandbox = Sandbox::start(&[("forker", job), ("w", &started_watcher("forker"))], &[]);
    sandbox.wait_for_file("started-forker", TIMEOUT);
    let child: i32 = sandbox
        .wait_for_file("child", TIMEOUT)
        .trim()
        .parse()
        .unwrap();
    sandbox.wait_for_log(&format!("became new process ({child})"), TIMEOUT);
    let daemon = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    assert_eq!(daemon.ns_pid, child);
    // The shell that forked is gone; the daemon is init's child and not traced any more.
    assert_eq!(daemon.ns_ppid, 1, "{daemon:?}");
    assert_eq!(tracer_of(daemon.pid), 0);

    // Killing the tracked pid is the job's main process dying: it respawns.
    sandbox.kill_ns(child, libc::SIGKILL);
    sandbox.wait_for_log(
        &format!("forker main process ({child}) killed by KILL signal"),
        TIMEOUT,
    );
    sandbox.wait_for_log("forker main process ended, respawning", TIMEOUT);
    let again = sandbox.wait_for("a respawned daemon", TIMEOUT, || {
        sandbox
            .find("sleep 1000")
            .into_iter()
            .find(|p| p.ns_pid != child && p.state != 'Z')
    });
    sandbox.wait_for_log(&format!("became new process ({})", again.ns_pid), TIMEOUT);
}

#[test]
fn expect_daemon_follows_two_forks() {
    // The classic double fork: parent → intermediate (exits) → daemon.
    let job = "start on startup\nexpect daemon\nrespawn\n\
               exec sh -c '(sleep 1000 & echo $! > @OUT@/daemon) ; exit 0'\n";
    let sandbox = Sandbox::start(&[("doubler", job), ("w", &started_watcher("doubler"))], &[]);
    sandbox.wait_for_file("started-doubler", TIMEOUT);
    let pid: i32 = sandbox
        .wait_for_file("daemon", TIMEOUT)
        .trim()
        .parse()
        .unwrap();
    let line = sandbox.wait_for_log(&format!("became new process ({pid})"), TIMEOUT);
    assert!(line.starts_with("doubler main process ("), "{line}");
    assert_eq!(
        sandbox.log_count("doubler main process ("),
        2,
        "{}",
        sandbox.log()
    );
    let daemon = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    assert_eq!(daemon.ns_pid, pid);
    assert_eq!(daemon.ns_ppid, 1);
    assert_eq!(tracer_of(daemon.pid), 0);

    sandbox.kill_ns(pid, libc::SIGTERM);
    sandbox.wait_for_log(
        &format!("doubler main process ({pid}) killed by TERM signal"),
        TIMEOUT,
    );
    sandbox.wait_for_log("doubler main process ended, respawning", TIMEOUT);
    sandbox.wait_for("a respawned daemon", TIMEOUT, || {
        sandbox
            .find("sleep 1000")
            .into_iter()
            .find(|p| p.ns_pid != pid && p.state != 'Z')
    });
}

#[test]
fn expect_stop_waits_for_sigstop_then_continues_the_job() {
    let job = "start on startup\nexpect stop\n\
               script\n\
               \x20 echo stopping > @OUT@/before\n\
               \x20 kill -STOP $$\n\
               \x20 echo continued > @OUT@/after\n\
               \x20 exec sleep 1000\n\
               end script\n";
    let sandbox = Sandbox::start(&[("stopper", job), ("w", &started_watcher("stopper"))], &[]);
    sandbox.wait_for_file("before", TIMEOUT);
    sandbox.wait_for_file("after", TIMEOUT);
    sandbox.wait_for_file("started-stopper", TIMEOUT);
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    assert_ne!(main.state, 'T', "{main:?}");
    assert_eq!(main.ns_ppid, 1);
}

#[test]
fn expect_stop_job_is_not_started_before_the_stop() {
    // The process takes its time before it stops itself: `started` must wait for it.
    let job = "start on startup\nexpect stop\n\
               script\n\
               \x20 sleep 0.5\n\
               \x20 echo stopping > @OUT@/stopping\n\
               \x20 kill -STOP $$\n\
               \x20 exec sleep 1000\n\
               end script\n";
    let sandbox = Sandbox::start(&[("slow", job), ("w", &started_watcher("slow"))], &[]);
    let started = sandbox.wait_for_file("started-slow", TIMEOUT);
    assert_eq!(started.trim(), "up");
    let stopping = std::fs::metadata(sandbox.out_path("stopping")).expect("stopping");
    let up = std::fs::metadata(sandbox.out_path("started-slow")).unwrap();
    assert!(
        stopping.modified().unwrap() <= up.modified().unwrap(),
        "started before the process stopped itself"
    );
}

/// `TracerPid` of a host pid.
fn tracer_of(pid: i32) -> i32 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1)
}

#[test]
fn missing_binary_fails_the_job_without_exit_status() {
    let missing = "start on startup\nexec /nonexistent/kindling-binary --flag\n";
    let sandbox = Sandbox::start(&[("missing", missing), ("failed", FAILED_WATCHER)], &[]);
    sandbox.wait_for_log(
        "Failed to spawn missing main process: unable to execute: No such file or directory",
        TIMEOUT,
    );
    let env = parse_env(&sandbox.wait_for_file("failed-missing", TIMEOUT));
    assert_eq!(env_get(&env, "JOB"), Some("missing"), "{env:?}");
    assert_eq!(env_get(&env, "INSTANCE"), Some(""), "{env:?}");
    assert_eq!(env_get(&env, "RESULT"), Some("failed"), "{env:?}");
    assert_eq!(env_get(&env, "PROCESS"), Some("main"), "{env:?}");
    assert_eq!(env_get(&env, "EXIT_STATUS"), None, "{env:?}");
    assert_eq!(env_get(&env, "EXIT_SIGNAL"), None, "{env:?}");
    assert_eq!(env_get(&env, "UPSTART_EVENTS"), Some("stopped"), "{env:?}");
    sandbox.wait_idle(TIMEOUT);
}

#[test]
fn exit_status_and_signal_of_failed_processes() {
    let status = "start on startup\ntask\nexec sh -c 'exit 3'\n";
    let signal = "start on startup\ntask\nexec sh -c 'kill -USR1 $$'\n";
    let prestart = "start on startup\npre-start exec /nonexistent/pre\nexec sleep 1000\n";
    let poststop = "start on startup\ntask\nexec true\npost-stop exec sh -c 'exit 4'\n";
    let sandbox = Sandbox::start(
        &[
            ("status", status),
            ("signal", signal),
            ("prestart", prestart),
            ("poststop", poststop),
            ("failed", FAILED_WATCHER),
        ],
        &[],
    );
    let env = parse_env(&sandbox.wait_for_file("failed-status", TIMEOUT));
    assert_eq!(env_get(&env, "PROCESS"), Some("main"), "{env:?}");
    assert_eq!(env_get(&env, "EXIT_STATUS"), Some("3"), "{env:?}");
    sandbox.wait_for_log("status main process (", TIMEOUT);
    assert!(sandbox.log().contains(") terminated with status 3"));

    let env = parse_env(&sandbox.wait_for_file("failed-signal", TIMEOUT));
    assert_eq!(env_get(&env, "PROCESS"), Some("main"), "{env:?}");
    assert_eq!(env_get(&env, "EXIT_SIGNAL"), Some("USR1"), "{env:?}");
    assert_eq!(env_get(&env, "EXIT_STATUS"), None, "{env:?}");
    sandbox.wait_for_log("killed by USR1 signal", TIMEOUT);

    let env = parse_env(&sandbox.wait_for_file("failed-prestart", TIMEOUT));
    assert_eq!(env_get(&env, "PROCESS"), Some("pre-start"), "{env:?}");
    assert_eq!(env_get(&env, "EXIT_STATUS"), None, "{env:?}");
    sandbox.wait_for_log(
        "Failed to spawn prestart pre-start process: unable to execute: No such file or directory",
        TIMEOUT,
    );
    // The main process never ran.
    assert!(sandbox.find("sleep 1000").is_empty());

    let env = parse_env(&sandbox.wait_for_file("failed-poststop", TIMEOUT));
    assert_eq!(env_get(&env, "PROCESS"), Some("post-stop"), "{env:?}");
    assert_eq!(env_get(&env, "EXIT_STATUS"), Some("4"), "{env:?}");
}

#[test]
fn unknown_setuid_user_fails_the_spawn() {
    let job = "start on startup\nsetuid kindling-no-such-user\nexec sleep 1000\n";
    let sandbox = Sandbox::start(&[("baduser", job), ("failed", FAILED_WATCHER)], &[]);
    sandbox.wait_for_log(
        "Failed to spawn baduser main process: unable to find setuid user",
        TIMEOUT,
    );
    let env = parse_env(&sandbox.wait_for_file("failed-baduser", TIMEOUT));
    assert_eq!(env_get(&env, "RESULT"), Some("failed"), "{env:?}");
    assert_eq!(env_get(&env, "PROCESS"), Some("main"), "{env:?}");
    assert_eq!(env_get(&env, "EXIT_STATUS"), None, "{env:?}");
    assert!(sandbox.find("sleep 1000").is_empty());
}

#[test]
fn broken_job_file_next_to_good_ones() {
    let good = "start on startup\ntask\nexec sh -c 'echo ran > @OUT@/good'\n";
    let bad = "start on startup\nexec sh -c 'echo ran > @OUT@/bad'\nfrobnicate yes\n";
    let unterminated = "start on startup\nscript\n  echo ran > @OUT@/unterminated\n";
    let sandbox = Sandbox::start(
        &[
            ("good", good),
            ("bad", bad),
            ("unterminated", unterminated),
            ("sub/also-good", good),
        ],
        &[],
    );
    sandbox.wait_for_file("good", TIMEOUT);
    let conf = sandbox.conf.display().to_string();
    let line = sandbox.wait_for_log(&format!("{conf}/bad.conf:3: Unknown stanza"), TIMEOUT);
    assert_eq!(line, format!("{conf}/bad.conf:3: Unknown stanza"));
    sandbox.wait_for_log(&format!("{conf}/unterminated.conf:"), TIMEOUT);
    assert!(sandbox.stays(Duration::from_millis(300), || {
        sandbox.read_out("bad").is_some() || sandbox.read_out("unterminated").is_some()
    }));
    assert!(sandbox.log().contains("sub/also-good main process"));
}

#[test]
fn console_output_goes_to_the_console() {
    let job = "start on startup\ntask\nconsole output\nexec echo on-the-console\n";
    let none = "start on startup\ntask\nconsole none\nexec echo into-the-void\n";
    let sandbox = Sandbox::start(&[("out", job), ("none", none)], &[]);
    sandbox.wait_for("console text", TIMEOUT, || {
        sandbox
            .console_text()
            .contains("on-the-console")
            .then_some(())
    });
    sandbox.wait_for_log("none main process", TIMEOUT);
    assert!(!sandbox.console_text().contains("into-the-void"));
    assert!(!sandbox.logdir.join("none.log").exists());
}

#[test]
fn stop_does_not_hang_when_expect_fork_guessed_wrong() {
    // decisions.md: `expect fork` on a process that never forks waits in `spawned`, but
    // `stop` kills the process and the job reaches `stop/waiting`.
    let job = "start on startup\nstop on keyboard-request\nexpect fork\nkill timeout 1\n\
               exec sleep 1000\n";
    let stopped = "start on stopped wrong\ntask\nexec sh -c 'echo $RESULT > @OUT@/stopped'\n";
    let sandbox = Sandbox::start(
        &[
            ("wrong", job),
            ("w", &started_watcher("wrong")),
            ("s", stopped),
        ],
        &[],
    );
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    // Never started: it did not fork.
    assert!(sandbox.stays(Duration::from_millis(300), || {
        sandbox.read_out("started-wrong").is_some()
    }));
    sandbox.signal(libc::SIGWINCH);
    assert_eq!(sandbox.wait_for_file("stopped", TIMEOUT).trim(), "ok");
    assert!(sandbox
        .find("sleep 1000")
        .iter()
        .all(|p| p.ns_pid != main.ns_pid || p.state == 'Z'));
    sandbox.wait_idle(TIMEOUT);
}

#[test]
fn expect_daemon_with_one_fork_then_exec_acts_like_expect_fork() {
    // One fork, and the child execs: upstream ends the trace at that exec.
    let job = "start on startup\nexpect daemon\n\
               exec sh -c 'sh -c \"exec sleep 1000\" & exit 0'\n";
    let sandbox = Sandbox::start(&[("onefork", job), ("w", &started_watcher("onefork"))], &[]);
    sandbox.wait_for_file("started-onefork", TIMEOUT);
    let daemon = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.wait_for_log(&format!("became new process ({})", daemon.ns_pid), TIMEOUT);
    assert_eq!(tracer_of(daemon.pid), 0);
}

#[test]
fn job_processes_get_clean_fds_and_signal_state() {
    // init blocks and handles signals and holds many fds; none of that may reach a job.
    let service = "start on startup\nconsole none\nexec sleep 1000\n";
    let logged = "start on startup\nexec sleep 1001\n";
    let sandbox = Sandbox::start(&[("service", service), ("logged", logged)], &[]);
    for (needle, console_none) in [("sleep 1000", true), ("sleep 1001", false)] {
        let main = sandbox.wait_for_process(needle, TIMEOUT);
        let status = std::fs::read_to_string(format!("/proc/{}/status", main.pid)).unwrap();
        for field in ["SigBlk:", "SigIgn:"] {
            let line = status.lines().find(|l| l.starts_with(field)).unwrap();
            assert!(
                line.ends_with("0000000000000000"),
                "{needle}: {line}\n{status}"
            );
        }
        let mut fds: Vec<(i32, String)> = std::fs::read_dir(format!("/proc/{}/fd", main.pid))
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().parse().unwrap(),
                    std::fs::read_link(e.path())
                        .unwrap_or_default()
                        .display()
                        .to_string(),
                )
            })
            .collect();
        fds.sort();
        let numbers: Vec<i32> = fds.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [0, 1, 2], "{needle}: {fds:?}");
        assert_eq!(fds[0].1, "/dev/null", "{needle}: {fds:?}");
        if console_none {
            assert!(fds.iter().all(|(_, t)| t == "/dev/null"), "{fds:?}");
        } else {
            assert!(fds[1].1.starts_with("/dev/pts/"), "{fds:?}");
            assert_eq!(fds[1].1, fds[2].1, "{fds:?}");
        }
    }
}

#[test]
fn init_does_not_leak_fds_or_children_over_many_runs() {
    // 60 short logged tasks in a chain (the last one fails, which ends it); afterwards init
    // holds the fds it held before.
    let ticker = "start on stopped kick or stopped ticker RESULT=ok\ntask\n\
                  script\n\
                  \x20 n=$(cat @OUT@/n 2>/dev/null || echo 0)\n\
                  \x20 echo $((n + 1)) > @OUT@/n\n\
                  \x20 echo tick $n\n\
                  \x20 [ $n -lt 59 ] || exit 1\n\
                  end script\n";
    let kick = "start on keyboard-request\ntask\nexec true\n";
    let sandbox = Sandbox::start(&[("ticker", ticker), ("kick", kick)], &[]);
    let fds = |s: &Sandbox| {
        std::fs::read_dir(format!("/proc/{}/fd", s.init_pid()))
            .unwrap()
            .count()
    };
    let before = fds(&sandbox);
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_log(") terminated with status 1", Duration::from_secs(60));
    assert_eq!(sandbox.read_out("n").unwrap().trim(), "60");
    sandbox.wait_idle(TIMEOUT);
    sandbox.wait_for("init's fds back to where they were", TIMEOUT, || {
        (fds(&sandbox) <= before).then_some(())
    });
    let log = std::fs::read_to_string(sandbox.logdir.join("ticker.log")).unwrap();
    assert_eq!(log.lines().count(), 60, "{log}");
}

#[test]
fn expect_daemon_leaves_the_daemons_own_children_alone() {
    // After the double fork the daemon starts workers: they are not traced and not the
    // job's main process.
    let job = "start on startup\nexpect daemon\nrespawn\n\
               exec sh -c '(sh -c \"sleep 1001 & sleep 1002 & exec sleep 1000\" &) ; exit 0'\n";
    let sandbox = Sandbox::start(&[("workers", job), ("w", &started_watcher("workers"))], &[]);
    sandbox.wait_for_file("started-workers", TIMEOUT);
    let daemon = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    let w1 = sandbox.wait_for_process("sleep 1001", TIMEOUT);
    let w2 = sandbox.wait_for_process("sleep 1002", TIMEOUT);
    assert_eq!(w1.ns_ppid, daemon.ns_pid);
    assert_eq!(w2.ns_ppid, daemon.ns_pid);
    for p in sandbox.processes() {
        assert_eq!(tracer_of(p.pid), 0, "{p:?} is still traced");
        assert_ne!(p.state, 't', "{p:?} is in a trace stop");
    }
    sandbox.wait_for_log(&format!("became new process ({})", daemon.ns_pid), TIMEOUT);
    assert_eq!(
        sandbox.log_count("workers main process ("),
        2,
        "{}",
        sandbox.log()
    );

    // A worker dying is not the job's business.
    sandbox.kill_ns(w1.ns_pid, libc::SIGKILL);
    assert!(sandbox.stays(Duration::from_millis(300), || {
        sandbox.log().contains("respawning")
    }));
    // The daemon dying is.
    sandbox.kill_ns(daemon.ns_pid, libc::SIGKILL);
    sandbox.wait_for_log("workers main process ended, respawning", TIMEOUT);
}

#[test]
fn traced_jobs_started_together_are_followed_independently() {
    // Ten `expect daemon` jobs at once: each must end up with its own daemon.
    let mut jobs: Vec<(String, String)> = (0..10)
        .map(|n| {
            (
                format!("d{n}"),
                format!(
                    "start on startup\nexpect daemon\n\
                     exec sh -c '(sleep {} & echo $! > @OUT@/d{n}) ; exit 0'\n",
                    2000 + n
                ),
            )
        })
        .collect();
    jobs.push((
        "up".into(),
        "instance $JOB\nstart on started JOB=d*\ntask\n\
         exec sh -c 'echo $JOB >> @OUT@/up'\n"
            .into(),
    ));
    let refs: Vec<(&str, &str)> = jobs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let sandbox = Sandbox::start(&refs, &[]);
    sandbox.wait_for_lines("up", 10, TIMEOUT);
    for n in 0..10 {
        let pid: i32 = sandbox
            .wait_for_file(format!("d{n}"), TIMEOUT)
            .trim()
            .parse()
            .unwrap();
        let line = sandbox.wait_for_log(&format!("became new process ({pid})"), TIMEOUT);
        assert!(line.starts_with(&format!("d{n} main process (")), "{line}");
        let daemon = sandbox.wait_for_process(&format!("sleep {}", 2000 + n), TIMEOUT);
        assert_eq!(daemon.ns_pid, pid);
        assert_eq!(tracer_of(daemon.pid), 0);
    }
}

#[test]
fn setup_failures_are_spawn_failures() {
    let chdir = "start on startup\nchdir /nonexistent/kindling-dir\nexec sleep 1000\n";
    let limit = "start on startup\nlimit nofile 99999999 99999999\nexec sleep 1000\n";
    let sandbox = Sandbox::start(
        &[
            ("chdir", chdir),
            ("limit", limit),
            ("failed", FAILED_WATCHER),
        ],
        &[],
    );
    sandbox.wait_for_log(
        "Failed to spawn chdir main process: unable to change working directory: No such file or \
         directory",
        TIMEOUT,
    );
    sandbox.wait_for_log(
        "Failed to spawn limit main process: unable to set \"nofile\" resource limit:",
        TIMEOUT,
    );
    for job in ["chdir", "limit"] {
        let env = parse_env(&sandbox.wait_for_file(format!("failed-{job}"), TIMEOUT));
        assert_eq!(env_get(&env, "PROCESS"), Some("main"), "{env:?}");
        assert_eq!(env_get(&env, "EXIT_STATUS"), None, "{env:?}");
    }
    assert!(sandbox.find("sleep 1000").is_empty());
}

#[test]
fn signals_reach_a_traced_process() {
    // While init follows the process (expect fork), a signal sent to it is passed on, not
    // swallowed by the trace.
    let job = "start on startup\nexpect fork\n\
               exec sh -c 'trap \"echo got-usr1 > @OUT@/usr1\" USR1; kill -USR1 $$; \
               sleep 1000 & exit 0'\n";
    let sandbox = Sandbox::start(&[("sig", job), ("w", &started_watcher("sig"))], &[]);
    assert_eq!(sandbox.wait_for_file("usr1", TIMEOUT).trim(), "got-usr1");
    sandbox.wait_for_file("started-sig", TIMEOUT);
}

#[test]
fn a_traced_main_process_killed_before_it_forks_fails_the_job() {
    let job = "start on startup\nexpect fork\nexec sleep 1000\n";
    let sandbox = Sandbox::start(&[("victim", job), ("failed", FAILED_WATCHER)], &[]);
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.kill_ns(main.ns_pid, libc::SIGKILL);
    let env = parse_env(&sandbox.wait_for_file("failed-victim", TIMEOUT));
    assert_eq!(env_get(&env, "PROCESS"), Some("main"), "{env:?}");
    assert_eq!(env_get(&env, "EXIT_SIGNAL"), Some("KILL"), "{env:?}");
    sandbox.wait_idle(TIMEOUT);
}

#[test]
fn a_traced_process_that_ignores_term_is_killed_after_the_timeout() {
    // Still in `spawned` (it never forks), ignoring TERM: the stop escalates to SIGKILL.
    let job = "start on startup\nstop on keyboard-request\nexpect fork\nkill timeout 1\n\
               exec sh -c \"trap '' TERM; exec sleep 1000\"\n";
    let stopped = "start on stopped deaf\ntask\nexec sh -c 'echo $RESULT > @OUT@/stopped'\n";
    let sandbox = Sandbox::start(&[("deaf", job), ("s", stopped)], &[]);
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    let start = std::time::Instant::now();
    sandbox.signal(libc::SIGWINCH);
    assert_eq!(sandbox.wait_for_file("stopped", TIMEOUT).trim(), "ok");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "stopped after {took:?}, before the kill timeout"
    );
    sandbox.wait_for_log(
        &format!("Sending KILL signal to deaf main process ({})", main.ns_pid),
        TIMEOUT,
    );
    sandbox.wait_idle(TIMEOUT);
}
