//! PID 1 lifecycle from outside: the order of a job's processes and events, `start on`
//! chains, the environment and process attributes a job sees.

mod pid1;

use pid1::{env_get, parse_env, Ending, Sandbox, TIMEOUT};
use std::time::Duration;

/// Appends `WHAT` to `@OUT@/order` (O_APPEND: lines of concurrent writers never mix).
fn note(what: &str) -> String {
    format!("echo {what} >> @OUT@/order")
}

#[test]
fn init_is_process_one_of_its_namespace() {
    let sandbox = Sandbox::start(&[], &[]);
    let init = sandbox.init_proc().expect("init in /proc");
    assert_eq!(init.ns_pid, 1, "{init:?}");
    assert_ne!(init.state, 'Z');
    // Nothing runs without jobs, and init is single-threaded.
    assert!(sandbox.processes().is_empty(), "{:?}", sandbox.processes());
    let status = std::fs::read_to_string(format!("/proc/{}/status", sandbox.init_pid())).unwrap();
    assert!(status.contains("\nThreads:\t1\n"), "{status}");
    assert_eq!(sandbox.stop(), Ending::Killed);
}

#[test]
fn hooks_and_events_run_in_order() {
    let hooks = format!(
        "start on startup\n\
         stop on keyboard-request\n\
         pre-start exec sh -c '{pre}'\n\
         script\n  {main}\n  exec sleep 1000\nend script\n\
         post-start script\n  sleep 0.2\n  {post}\nend script\n\
         pre-stop script\n  {prestop}\nend script\n\
         post-stop script\n  {poststop}\nend script\n",
        pre = note("pre-start"),
        main = note("main"),
        post = note("post-start"),
        prestop = note("pre-stop"),
        poststop = note("post-stop"),
    );
    let watch = |event: &str| {
        format!(
            "start on {event} hooks\ntask\nscript\n  {}\nend script\n",
            note(&format!("event-{event}"))
        )
    };
    let (starting, started, stopping, stopped) = (
        watch("starting"),
        watch("started"),
        watch("stopping"),
        watch("stopped"),
    );
    let sandbox = Sandbox::start(
        &[
            ("hooks", &hooks),
            ("on-starting", &starting),
            ("on-started", &started),
            ("on-stopping", &stopping),
            ("on-stopped", &stopped),
        ],
        &[],
    );
    let order = sandbox.wait_for_lines("order", 4, TIMEOUT);
    let lines: Vec<&str> = order.lines().collect();
    assert_eq!(lines[0], "event-starting", "{order}");
    assert_eq!(lines[1], "pre-start", "{order}");
    // main and post-start run side by side; `started` only once post-start has ended.
    let mut middle = vec![lines[2], lines[3]];
    middle.sort_unstable();
    assert_eq!(middle, ["main", "post-start"], "{order}");
    let order = sandbox.wait_for_lines("order", 5, TIMEOUT);
    assert_eq!(order.lines().nth(4), Some("event-started"), "{order}");
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);

    sandbox.signal(libc::SIGWINCH);
    let order = sandbox.wait_for_lines("order", 9, TIMEOUT);
    let tail: Vec<&str> = order.lines().skip(5).collect();
    assert_eq!(
        tail,
        ["pre-stop", "event-stopping", "post-stop", "event-stopped"],
        "{order}"
    );
    let line = sandbox.wait_for_log("Sending TERM signal to hooks main process", TIMEOUT);
    assert!(line.contains(&format!("({})", main.ns_pid)), "{line}");
    sandbox.wait_for("the main process to be gone", TIMEOUT, || {
        sandbox.find("sleep 1000").is_empty().then_some(())
    });
}

#[test]
fn start_on_started_and_stopped_chains() {
    // a → (started a) b → (stopped b) c → (stopped c and started a) d
    // (a writes in pre-start: `started a` comes once its main process is spawned, which
    // may be before that process has written anything.)
    let a = "start on startup\npre-start exec sh -c 'echo a >> @OUT@/chain'\nexec sleep 1000\n";
    let b = "start on started a\ntask\nexec sh -c 'echo b >> @OUT@/chain'\n";
    let c = "start on stopped b\ntask\nscript\n  echo \"c $UPSTART_EVENTS\" >> @OUT@/chain\nend script\n";
    let d = "start on stopped c RESULT=ok\ntask\nscript\n  echo \"d $UPSTART_EVENTS\" >> @OUT@/chain\nend script\n";
    let sandbox = Sandbox::start(&[("a", a), ("b", b), ("c", c), ("d", d)], &[]);
    let chain = sandbox.wait_for_lines("chain", 4, TIMEOUT);
    assert_eq!(
        chain.lines().collect::<Vec<_>>(),
        ["a", "b", "c stopped", "d stopped"],
        "{chain}"
    );
    // Each task ran once and a is still running.
    assert!(sandbox.stays(Duration::from_millis(300), || {
        sandbox
            .read_out("chain")
            .unwrap_or_default()
            .lines()
            .count()
            != 4
    }));
    assert_eq!(sandbox.find("sleep 1000").len(), 1);
}

#[test]
fn job_environment_is_upstarts() {
    let plain = "start on startup\ntask\nscript\n  env > @OUT@/plain.tmp\n  mv @OUT@/plain.tmp @OUT@/plain\nend script\n";
    let stanzas = "start on startup\ntask\n\
                   env GREETING=\"hello world\"\n\
                   env KINDLING_INIT_ONLY\n\
                   env OVERRIDDEN=one\n\
                   env OVERRIDDEN=two\n\
                   script\n  env > @OUT@/stanzas.tmp\n  mv @OUT@/stanzas.tmp @OUT@/stanzas\nend script\n";
    let sandbox = Sandbox::start(&[("plain", plain), ("stanzas", stanzas)], &[]);

    let plain = parse_env(&sandbox.wait_for_file("plain", TIMEOUT));
    assert_eq!(env_get(&plain, "UPSTART_JOB"), Some("plain"), "{plain:?}");
    assert_eq!(env_get(&plain, "UPSTART_INSTANCE"), Some(""), "{plain:?}");
    assert_eq!(
        env_get(&plain, "UPSTART_EVENTS"),
        Some("startup"),
        "{plain:?}"
    );
    assert_eq!(
        env_get(&plain, "PATH"),
        Some("/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin"),
        "{plain:?}"
    );
    assert_eq!(env_get(&plain, "TERM"), Some("linux"), "{plain:?}");
    for absent in [
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "LANG",
        "KINDLING_INIT_ONLY",
    ] {
        assert_eq!(env_get(&plain, absent), None, "{absent} in {plain:?}");
    }
    // Nothing else but what the shell adds itself.
    for (key, _) in &plain {
        assert!(
            [
                "UPSTART_JOB",
                "UPSTART_INSTANCE",
                "UPSTART_EVENTS",
                "PATH",
                "TERM",
                "PWD",
                "OLDPWD",
                "SHLVL",
                "_"
            ]
            .contains(&key.as_str()),
            "unexpected {key} in {plain:?}"
        );
    }

    let stanzas = parse_env(&sandbox.wait_for_file("stanzas", TIMEOUT));
    assert_eq!(
        env_get(&stanzas, "GREETING"),
        Some("hello world"),
        "{stanzas:?}"
    );
    assert_eq!(
        env_get(&stanzas, "KINDLING_INIT_ONLY"),
        Some("from-init"),
        "a bare `env KEY` copies init's value: {stanzas:?}"
    );
    assert_eq!(env_get(&stanzas, "OVERRIDDEN"), Some("two"), "{stanzas:?}");
    assert_eq!(env_get(&stanzas, "UPSTART_JOB"), Some("stanzas"));
}

#[test]
fn process_attributes_from_stanzas() {
    let job = "start on startup\ntask\n\
               umask 027\n\
               chdir @DIR@\n\
               nice 7\n\
               oom score 321\n\
               limit nofile 123 456\n\
               limit core unlimited unlimited\n\
               script\n\
               \x20 {\n\
               \x20   echo umask=$(umask)\n\
               \x20   echo cwd=$(pwd)\n\
               \x20   echo nofile=$(ulimit -n)/$(ulimit -Hn)\n\
               \x20   echo core=$(ulimit -c)/$(ulimit -Hc)\n\
               \x20   echo nice=$(cut -d' ' -f19 /proc/self/stat)\n\
               \x20   echo oom=$(cat /proc/self/oom_score_adj)\n\
               \x20   echo uid=$(id -u) gid=$(id -g)\n\
               \x20   echo sid=$(cut -d' ' -f6 /proc/self/stat) pid=$$\n\
               \x20 } > @OUT@/attrs.tmp\n\
               \x20 mv @OUT@/attrs.tmp @OUT@/attrs\n\
               end script\n";
    let defaults = "start on startup\ntask\n\
                    script\n\
                    \x20 echo \"umask=$(umask) cwd=$(pwd) nice=$(cut -d' ' -f19 /proc/self/stat)\" > @OUT@/defaults.tmp\n\
                    \x20 mv @OUT@/defaults.tmp @OUT@/defaults\n\
                    end script\n";
    let sandbox = Sandbox::start(&[("attrs", job), ("defaults", defaults)], &[]);
    let attrs = parse_env(&sandbox.wait_for_file("attrs", TIMEOUT));
    let get = |key: &str| env_get(&attrs, key).unwrap_or("?").to_string();
    assert_eq!(get("umask"), "0027", "{attrs:?}");
    assert_eq!(get("cwd"), sandbox.dir.display().to_string(), "{attrs:?}");
    assert_eq!(get("nofile"), "123/456", "{attrs:?}");
    assert_eq!(get("core"), "unlimited/unlimited", "{attrs:?}");
    assert_eq!(get("nice"), "7", "{attrs:?}");
    assert_eq!(get("oom"), "321", "{attrs:?}");
    assert_eq!(get("uid"), "0 gid=0", "{attrs:?}");
    // Every job process leads a session of its own.
    let sid_line = get("sid");
    let (sid, pid) = sid_line.split_once(" pid=").expect("sid line");
    assert_eq!(sid, pid, "{attrs:?}");

    let defaults = sandbox.wait_for_file("defaults", TIMEOUT);
    assert_eq!(defaults.trim(), "umask=0022 cwd=/ nice=0", "{defaults}");
}

#[test]
fn setuid_runs_the_job_as_that_user() {
    let job = "start on startup\ntask\nsetuid nobody\n\
               script\n\
               \x20 echo \"$(id -u) $(id -g) $(id -G) HOME=${HOME-unset} USER=${USER-unset}\" > @OUT@/who.tmp\n\
               \x20 mv @OUT@/who.tmp @OUT@/who\n\
               end script\n";
    let group = "start on startup\ntask\nsetuid nobody\nsetgid nogroup\n\
                 script\n\
                 \x20 echo \"$(id -u) $(id -g)\" > @OUT@/group.tmp\n\
                 \x20 mv @OUT@/group.tmp @OUT@/group\n\
                 end script\n";
    let sandbox = Sandbox::start(&[("who", job), ("group", group)], &[]);
    let nobody = nix::unistd::User::from_name("nobody")
        .unwrap()
        .expect("user nobody");
    let who = sandbox.wait_for_file("who", TIMEOUT);
    let fields: Vec<&str> = who.split_whitespace().collect();
    assert_eq!(fields[0], nobody.uid.to_string(), "{who}");
    assert_eq!(fields[1], nobody.gid.to_string(), "{who}");
    assert!(who.contains("HOME=unset USER=unset"), "{who}");
    let nogroup = nix::unistd::Group::from_name("nogroup").unwrap();
    if let Some(nogroup) = nogroup {
        let group = sandbox.wait_for_file("group", TIMEOUT);
        assert_eq!(
            group.trim(),
            format!("{} {}", nobody.uid, nogroup.gid),
            "{group}"
        );
    }
}

#[test]
fn startup_event_options() {
    let job = |name: &str| {
        format!("start on {name}\ntask\nscript\n  echo \"$UPSTART_EVENTS\" > @OUT@/{name}\nend script\n")
    };
    let (boot, startup) = (job("boot"), job("startup"));
    let sandbox = Sandbox::start(
        &[("boot", &boot), ("startup", &startup)],
        &["--startup-event", "boot"],
    );
    assert_eq!(sandbox.wait_for_file("boot", TIMEOUT).trim(), "boot");
    assert!(sandbox.read_out("startup").is_none());
    drop(sandbox);

    let sandbox = Sandbox::start(
        &[("boot", &boot), ("startup", &startup)],
        &["--no-startup-event"],
    );
    assert!(sandbox.stays(Duration::from_millis(300), || {
        sandbox.read_out("startup").is_some() || sandbox.read_out("boot").is_some()
    }));
    assert!(!sandbox.log().contains("Handling startup event"));
}

#[test]
fn stop_kills_the_whole_process_group() {
    // The main process's children share its process group: the kill signal reaches them.
    let job = "start on startup\nstop on keyboard-request\n\
               script\n\
               \x20 sleep 1001 &\n\
               \x20 sleep 1002 &\n\
               \x20 wait\n\
               end script\n";
    let sandbox = Sandbox::start(&[("family", job)], &[]);
    let a = sandbox.wait_for_process("sleep 1001", TIMEOUT);
    let b = sandbox.wait_for_process("sleep 1002", TIMEOUT);
    assert_eq!(a.pgid, b.pgid);
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_idle(TIMEOUT);
    assert_eq!(sandbox.log_count("Sending KILL signal"), 0);
}

#[test]
fn and_conditions_wait_for_every_event() {
    let job = "start on control-alt-delete and keyboard-request\ntask\n\
               exec sh -c 'echo \"$UPSTART_EVENTS\" >> @OUT@/both'\n";
    let sandbox = Sandbox::start(&[("both", job)], &[]);
    sandbox.signal(libc::SIGINT);
    sandbox.wait_for_log("Handling control-alt-delete event", TIMEOUT);
    assert!(sandbox.stays(Duration::from_millis(200), || {
        sandbox.read_out("both").is_some()
    }));
    sandbox.signal(libc::SIGWINCH);
    assert_eq!(
        sandbox.wait_for_file("both", TIMEOUT),
        "control-alt-delete keyboard-request\n"
    );
    // The condition reset: one event alone does not start it again.
    sandbox.wait_for_log("both main process", TIMEOUT);
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_log_count("Handling keyboard-request event", 2, TIMEOUT);
    assert!(sandbox.stays(Duration::from_millis(200), || {
        sandbox.read_out("both").unwrap_or_default().lines().count() > 1
    }));
}

#[test]
fn stop_on_values_expand_the_jobs_env() {
    // decisions.md: `$VAR` in a `stop on` value is expanded from the job's `env` stanzas.
    let watcher = "start on startup\nenv PEER=peer\nstop on stopped JOB=$PEER\n\
                   exec sleep 1000\n";
    let peer = "start on keyboard-request\ntask\nexec true\n";
    let other = "start on power-status-changed\ntask\nexec true\n";
    let sandbox = Sandbox::start(
        &[("watcher", watcher), ("peer", peer), ("other", other)],
        &[],
    );
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.signal(libc::SIGPWR);
    sandbox.wait_for_log("other main process", TIMEOUT);
    assert!(sandbox.stays(Duration::from_millis(200), || {
        sandbox.find("sleep 1000").is_empty()
    }));
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_log(
        &format!(
            "Sending TERM signal to watcher main process ({})",
            main.ns_pid
        ),
        TIMEOUT,
    );
}

#[test]
fn instances_run_side_by_side_and_each_is_stopped() {
    // One instance per `starter/*` task that stops (no control socket to pass variables
    // yet: the instances differ by the job that started them).
    let service = "instance $JOB\nstart on stopped JOB=starter/*\n\
                   stop on keyboard-request\n\
                   exec sleep 1000\n";
    let starter = "start on startup\ntask\nexec true\n";
    let sandbox = Sandbox::start(
        &[
            ("svc", service),
            ("starter/a", starter),
            ("starter/b", starter),
            ("starter/c", starter),
        ],
        &[],
    );
    sandbox.wait_for("three instances", TIMEOUT, || {
        (sandbox.find("sleep 1000").len() == 3).then_some(())
    });
    // Each is its own session.
    let sessions: std::collections::HashSet<i32> =
        sandbox.find("sleep 1000").iter().map(|p| p.sid).collect();
    assert_eq!(sessions.len(), 3);
    sandbox.signal(libc::SIGWINCH);
    for name in ["starter/a", "starter/b", "starter/c"] {
        sandbox.wait_for_log(
            &format!("Sending TERM signal to svc ({name}) main process"),
            TIMEOUT,
        );
    }
    sandbox.wait_idle(TIMEOUT);
    assert_eq!(sandbox.log_count("Sending TERM signal to svc ("), 3);
}

#[test]
fn exported_variables_travel_with_the_jobs_events() {
    let exporter = "start on startup\ntask\nenv FLAVOUR=mint\nenv HIDDEN=yes\nexport FLAVOUR\n\
                    exec true\n";
    let watcher = "start on stopped exporter FLAVOUR=mi*\ntask\n\
                   script\n  env > @OUT@/env.tmp\n  mv @OUT@/env.tmp @OUT@/env\nend script\n";
    let sandbox = Sandbox::start(&[("exporter", exporter), ("watcher", watcher)], &[]);
    let env = parse_env(&sandbox.wait_for_file("env", TIMEOUT));
    assert_eq!(env_get(&env, "FLAVOUR"), Some("mint"), "{env:?}");
    assert_eq!(env_get(&env, "HIDDEN"), None, "{env:?}");
    assert_eq!(env_get(&env, "JOB"), Some("exporter"), "{env:?}");
    assert_eq!(env_get(&env, "RESULT"), Some("ok"), "{env:?}");
}

#[test]
fn a_deleted_job_keeps_running_until_stopped_then_is_gone() {
    let job = "start on startup or power-status-changed\nstop on keyboard-request\n\
               exec sleep 1000\n";
    let sandbox = Sandbox::start(&[("doomed", job)], &[]);
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.remove_job("doomed");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        sandbox.wait_for_process("sleep 1000", TIMEOUT).ns_pid,
        main.ns_pid
    );
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_idle(TIMEOUT);
    sandbox.signal(libc::SIGPWR);
    sandbox.wait_for_log("Handling power-status-changed event", TIMEOUT);
    assert!(sandbox.stays(Duration::from_millis(300), || {
        !sandbox.find("sleep 1000").is_empty()
    }));
}

#[test]
fn an_edited_running_job_uses_the_new_file_on_its_next_start() {
    let v1 = "start on startup or power-status-changed\nstop on keyboard-request\n\
              exec sleep 1001\n";
    let v2 = "start on startup or power-status-changed\nstop on keyboard-request\n\
              exec sleep 1002\n";
    let sandbox = Sandbox::start(&[("evolving", v1)], &[]);
    sandbox.wait_for_process("sleep 1001", TIMEOUT);
    sandbox.write_job("evolving", v2);
    std::thread::sleep(Duration::from_millis(400));
    // Still the old process.
    sandbox.wait_for_process("sleep 1001", TIMEOUT);
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_idle(TIMEOUT);
    sandbox.signal(libc::SIGPWR);
    sandbox.wait_for_process("sleep 1002", TIMEOUT);
}

#[test]
fn many_instances_at_once() {
    // 100 starters stop at about the same time; 100 instances run and end.
    let mut jobs: Vec<(String, String)> = (0..100)
        .map(|n| {
            (
                format!("many/s{n}"),
                "start on startup\ntask\nexec true\n".to_string(),
            )
        })
        .collect();
    jobs.push((
        "inst".into(),
        "instance $JOB\nstart on stopped JOB=many/*\ntask\n\
         exec sh -c 'echo $UPSTART_INSTANCE >> @OUT@/instances'\n"
            .into(),
    ));
    let refs: Vec<(&str, &str)> = jobs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let sandbox = Sandbox::start(&refs, &[]);
    let text = sandbox.wait_for_lines("instances", 100, TIMEOUT);
    let mut names: Vec<&str> = text.lines().collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 100);
    sandbox.wait_idle(TIMEOUT);
}

#[test]
fn a_stop_during_pre_start_skips_the_main_process() {
    // Upstream: the pre-start process is left to finish, then the job goes to stopping
    // (main never runs), post-stop runs, RESULT=ok.
    let job = "start on startup\nstop on keyboard-request\n\
               pre-start script\n  echo pre-start >> @OUT@/order\n  sleep 0.5\nend script\n\
               exec sh -c 'echo main >> @OUT@/order; exec sleep 1000'\n\
               post-stop exec sh -c 'echo post-stop >> @OUT@/order'\n";
    let stopped = "start on stopped early\ntask\nexec sh -c 'echo $RESULT > @OUT@/stopped'\n";
    let sandbox = Sandbox::start(&[("early", job), ("s", stopped)], &[]);
    sandbox.wait_for_file("order", TIMEOUT);
    sandbox.signal(libc::SIGWINCH);
    assert_eq!(sandbox.wait_for_file("stopped", TIMEOUT).trim(), "ok");
    let order = sandbox.read_out("order").unwrap();
    assert_eq!(order, "pre-start\npost-stop\n");
    assert!(sandbox.find("sleep 1000").is_empty());
}

#[test]
fn a_task_on_stopping_blocks_the_stop() {
    // The kill waits until the tasks started by `stopping` have finished.
    let service = "start on startup\nstop on keyboard-request\nexec sleep 1000\n";
    let blocker = "start on stopping service\ntask\n\
                   script\n  sleep 0.5\n  echo done >> @OUT@/order\nend script\n";
    let stopped = "start on stopped service\ntask\nexec sh -c 'echo stopped >> @OUT@/order'\n";
    let sandbox = Sandbox::start(
        &[("service", service), ("blocker", blocker), ("s", stopped)],
        &[],
    );
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.signal(libc::SIGWINCH);
    std::thread::sleep(Duration::from_millis(250));
    // Still alive while the blocker runs.
    assert_eq!(
        sandbox.wait_for_process("sleep 1000", TIMEOUT).ns_pid,
        main.ns_pid
    );
    assert_eq!(sandbox.log_count("Sending TERM signal to service"), 0);
    let order = sandbox.wait_for_lines("order", 2, TIMEOUT);
    assert_eq!(order, "done\nstopped\n");
}

#[test]
fn a_start_event_while_stopping_starts_the_job_again() {
    // Stop (SIGWINCH), and before the stop is over (a blocking task), the start event
    // (SIGPWR) comes: the job ends up running again with a new main process.
    let service = "start on startup or power-status-changed\nstop on keyboard-request\n\
                   exec sleep 1000\n";
    let blocker = "start on stopping service\ntask\nexec sleep 0.5\n";
    let sandbox = Sandbox::start(&[("service", service), ("blocker", blocker)], &[]);
    let first = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_process("sleep 0.5", TIMEOUT);
    sandbox.signal(libc::SIGPWR);
    let second = sandbox.wait_for("a new main process", TIMEOUT, || {
        sandbox
            .find("sleep 1000")
            .into_iter()
            .find(|p| p.ns_pid != first.ns_pid && p.state != 'Z')
    });
    assert!(sandbox.stays(Duration::from_millis(300), || {
        sandbox
            .find("sleep 1000")
            .iter()
            .all(|p| p.ns_pid != second.ns_pid)
    }));
}

#[test]
fn a_respawning_task_that_succeeds_is_done() {
    let job = "start on startup\ntask\nrespawn\nexec sh -c 'echo run >> @OUT@/runs'\n";
    let sandbox = Sandbox::start(&[("oneshot", job)], &[]);
    sandbox.wait_for_file("runs", TIMEOUT);
    assert!(sandbox.stays(Duration::from_millis(500), || {
        sandbox.read_out("runs").unwrap_or_default().lines().count() > 1
    }));
    assert_eq!(sandbox.log_count("respawning"), 0);
}

#[test]
fn init_sets_itself_up_as_process_one() {
    let sandbox = Sandbox::start(&[], &[]);
    let init = sandbox.init_proc().unwrap();
    // Its own session, at /, with the console as stdio and the kernel log open.
    assert_eq!((init.sid, init.pgid), (1, 1), "{init:?}");
    let pid = sandbox.init_pid();
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(),
        std::path::Path::new("/")
    );
    for fd in 0..3 {
        let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap();
        assert_eq!(target, std::path::Path::new("/dev/console"), "fd {fd}");
    }
    let fds: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .map(|t| t.display().to_string())
        .collect();
    assert!(fds.iter().any(|t| t == "/dev/kmsg"), "{fds:?}");
}

#[test]
fn nsenter_runs_commands_inside_the_namespace() {
    let sandbox = Sandbox::start(&[], &[]);
    let out = sandbox.nsenter(&["sh", "-c", "cat /proc/1/comm; findmnt -n -o FSTYPE /run"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "init\ntmpfs\n");
    // Run inside the namespace (not as its process 1), init answers --version.
    let out = sandbox.nsenter(&[pid1::INIT, "--version"]);
    let version = String::from_utf8_lossy(&out.stdout);
    assert!(version.starts_with("init (kindling "), "{out:?}");
    assert!(!version.to_lowercase().contains("upstart"), "{version}");
}

#[test]
fn a_job_without_main_process_stays_up_until_stopped() {
    // A "state" job: pre-start and post-stop only.
    let job = "start on startup\nstop on keyboard-request\n\
               pre-start exec sh -c 'echo pre-start >> @OUT@/order'\n\
               post-stop exec sh -c 'echo post-stop >> @OUT@/order'\n";
    let started = "start on started state\ntask\nexec sh -c 'echo started >> @OUT@/order'\n";
    let stopped = "start on stopped state\ntask\nexec sh -c 'echo stopped >> @OUT@/order'\n";
    let sandbox = Sandbox::start(&[("state", job), ("a", started), ("b", stopped)], &[]);
    sandbox.wait_for_lines("order", 2, TIMEOUT);
    assert!(sandbox.stays(Duration::from_millis(300), || {
        sandbox
            .read_out("order")
            .unwrap_or_default()
            .lines()
            .count()
            > 2
    }));
    sandbox.wait_idle(TIMEOUT);
    sandbox.signal(libc::SIGWINCH);
    let order = sandbox.wait_for_lines("order", 4, TIMEOUT);
    assert_eq!(order, "pre-start\nstarted\npost-stop\nstopped\n");
}

#[test]
fn an_instance_name_from_a_missing_variable_is_an_error() {
    let job = "instance $NO_SUCH_VARIABLE\nstart on startup\nexec sleep 1000\n";
    let sandbox = Sandbox::start(&[("nameless", job)], &[]);
    sandbox.wait_for_log("Failed to obtain nameless instance", TIMEOUT);
    assert!(sandbox.find("sleep 1000").is_empty());
}

#[test]
fn a_main_process_dying_during_post_start_waits_for_it() {
    // upstart.md §2.6: the state change waits for a running post-start.
    let job = "start on startup\n\
               exec sh -c 'echo main-exits >> @OUT@/order'\n\
               post-start script\n  sleep 0.5\n  echo post-start-done >> @OUT@/order\nend script\n\
               pre-stop exec sh -c 'echo pre-stop >> @OUT@/order'\n\
               post-stop exec sh -c 'echo post-stop >> @OUT@/order'\n";
    let stopping = "start on stopping quick\ntask\nexec sh -c 'echo stopping >> @OUT@/order'\n";
    let sandbox = Sandbox::start(&[("quick", job), ("s", stopping)], &[]);
    let order = sandbox.wait_for_lines("order", 4, TIMEOUT);
    // pre-stop does not run when the main process ends by itself.
    assert_eq!(
        order, "main-exits\npost-start-done\nstopping\npost-stop\n",
        "{order}"
    );
    assert!(sandbox.stays(Duration::from_millis(200), || {
        sandbox
            .read_out("order")
            .unwrap_or_default()
            .contains("pre-stop")
    }));
}
