//! `supervise::spawn`, the reaper and `kill_group`, with real children. Run as an ordinary
//! process (root for the setuid and chroot cases); every forking test holds `serial()`.

#[path = "supervise_common.rs"]
mod common;

use common::*;
use kindling::engine::ExitStatus;
use kindling::job::{Console, Expect, Limit, Process, ProcessKind, Resource};
use kindling::supervise::{
    kill_group, plan_command, ChildEvent, CommandPlan, SpawnCheck, SpawnConfig, SpawnRequest,
};
use std::os::unix::fs::PermissionsExt;

fn plan(command: &str, script: bool) -> CommandPlan {
    plan_command(&Process {
        command: command.into(),
        script,
    })
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn exec_runs_directly_unless_it_has_shell_characters() {
    assert_eq!(
        plan("/usr/sbin/sshd -D  -o\tX", false).argv,
        strings(&["/usr/sbin/sshd", "-D", "-o", "X"])
    );
    // Quotes are not processed without a shell character… a quote *is* one.
    for command in [
        "echo $HOME",
        "a > b",
        "a | b",
        "a && b",
        "echo 'x y'",
        "echo \"x\"",
        "a;b",
        "a=b c",
        "ls ~",
        "echo `x`",
        "x\\ y",
        "f(",
        "a{b}",
        "a[1]",
        "a?",
        "a!",
        "a^",
        "a*",
        "a<b",
    ] {
        let plan = plan(command, false);
        assert_eq!(
            plan.argv,
            strings(&["/bin/sh", "-e", "-c", &format!("exec {command}"), "/bin/sh"]),
            "{command}"
        );
        assert_eq!(plan.script, None);
    }
    // Characters outside SHELL_CHARS keep the direct exec.
    assert_eq!(
        plan("/bin/x a-b c,d e.f g:h @i %j +k #l", false).argv,
        strings(&["/bin/x", "a-b", "c,d", "e.f", "g:h", "@i", "%j", "+k", "#l"])
    );
}

#[test]
fn one_line_scripts_use_dash_c_and_longer_ones_fd_9() {
    let one = plan("echo hi\n\n\n", true);
    assert_eq!(
        one.argv,
        strings(&["/bin/sh", "-e", "-c", "echo hi", "/bin/sh"])
    );
    assert_eq!(one.script, None);
    let multi = plan("echo a\necho b\n", true);
    assert_eq!(multi.argv, strings(&["/bin/sh", "-e", "/proc/self/fd/9"]));
    assert_eq!(multi.script.as_deref(), Some("exec 9<&-\necho a\necho b\n"));
    // A blank line in the middle makes it multi-line.
    assert!(plan("echo a\n\necho b", true).script.is_some());
}

#[test]
fn multi_line_script_runs_from_fd_9_with_the_job_environment() {
    let _serial = serial();
    let mut reaped = Reaped::default();
    let dir = scratch("script");
    let out = dir.join("out");
    let class = script_class(
        "X=1\n\
         echo \"$GREETING $X\" > \"$OUT\"\n\
         if [ -e /proc/$$/fd/9 ]; then echo fd9-open; else echo fd9-closed; fi >> \"$OUT\"\n\
         echo \"$0\" >> \"$OUT\"\n",
    );
    let env = env(&[("GREETING", "hello world"), ("OUT", out.to_str().unwrap())]);
    let child = spawn_main(&class, &env).expect("spawn");
    assert_eq!(spawn_check(&child.errors), SpawnCheck::Ok);
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(0)));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text, "hello world 1\nfd9-closed\n/proc/self/fd/9\n");
    // `sh -e`: a failing command ends the script with its status.
    let failing = script_class("false\necho not reached > \"$OUT\"\n");
    std::fs::remove_file(&out).unwrap();
    let child = spawn_main(&failing, &env).expect("spawn");
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(1)));
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_environment_is_passed_exactly() {
    let _serial = serial();
    let mut reaped = Reaped::default();
    let env = env(&[
        ("FOO", "bar baz"),
        ("EMPTY", ""),
        ("UPSTART_JOB", "test"),
        ("UPSTART_INSTANCE", ""),
    ]);
    let child = spawn_main(&exec_class("sleep 10"), &env).expect("spawn");
    assert_eq!(spawn_check(&child.errors), SpawnCheck::Ok);
    assert!(wait_exec(child.pid, "sleep"));
    let environ = std::fs::read(format!("/proc/{}/environ", child.pid)).unwrap();
    let expected: Vec<u8> = env
        .to_pairs()
        .iter()
        .flat_map(|pair| pair.bytes().chain([0]))
        .collect();
    assert_eq!(
        String::from_utf8_lossy(&environ),
        String::from_utf8_lossy(&expected)
    );
    // argv of a direct exec: split on blanks, PATH searched before the fork.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.pid)).unwrap();
    assert_eq!(cmdline, b"sleep\x0010\x00");
    kill_and_reap(&mut reaped, child.pid);
}

#[test]
fn umask_nice_oom_limits_and_chdir_are_applied() {
    let _serial = serial();
    let mut reaped = Reaped::default();
    let dir = scratch("stanzas");
    let mut class = exec_class("sleep 10");
    class.umask = 0o027;
    class.nice = Some(7);
    class.oom_score_adj = Some(500);
    class.chdir = Some(dir.to_str().unwrap().to_string());
    class.limits = vec![
        Limit {
            resource: Resource::Nofile,
            soft: Some(123),
            hard: Some(456),
        },
        Limit {
            resource: Resource::Core,
            soft: Some(0),
            hard: None,
        },
    ];
    let child = spawn_main(&class, &env(&[])).expect("spawn");
    assert_eq!(spawn_check(&child.errors), SpawnCheck::Ok);
    assert!(wait_exec(child.pid, "sleep"));
    let pid = child.pid;
    assert_eq!(status_field(pid, "Umask:").as_deref(), Some("0027"));
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_comm = stat.rsplit_once(')').unwrap().1;
    // Fields after the command: state is 3, nice is 19 → index 16 here.
    let nice: i32 = after_comm
        .split_whitespace()
        .nth(16)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(nice, 7);
    let oom = std::fs::read_to_string(format!("/proc/{pid}/oom_score_adj")).unwrap();
    assert_eq!(oom.trim(), "500");
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let row = |name: &str| {
        limits
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .unwrap()
    };
    assert_eq!(&row("Max open files")[3..5], &["123", "456"]);
    assert_eq!(&row("Max core file size")[4..6], &["0", "unlimited"]);
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap();
    assert_eq!(cwd, dir);
    kill_and_reap(&mut reaped, pid);

    // Without chdir the job runs in /.
    let child = spawn_main(&exec_class("sleep 10"), &env(&[])).expect("spawn");
    assert!(wait_exec(child.pid, "sleep"));
    let cwd = std::fs::read_link(format!("/proc/{}/cwd", child.pid)).unwrap();
    assert_eq!(cwd, std::path::Path::new("/"));
    assert_eq!(status_field(child.pid, "Umask:").as_deref(), Some("0022"));
    kill_and_reap(&mut reaped, child.pid);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn setup_errors_come_back_in_upstarts_words() {
    let _serial = serial();
    let mut reaped = Reaped::default();
    let failed = |class: &kindling::job::JobClass, reaped: &mut Reaped| {
        let child = spawn_main(class, &env(&[])).expect("spawn forks");
        let check = spawn_check(&child.errors);
        assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(255)));
        match check {
            SpawnCheck::Failed(text) => text,
            other => panic!("expected a failure, got {other:?}"),
        }
    };
    assert_eq!(
        failed(&exec_class("/nonexistent/kindling-binary"), &mut reaped),
        "unable to execute: No such file or directory"
    );
    assert_eq!(
        failed(&exec_class("kindling-no-such-command --flag"), &mut reaped),
        "unable to execute: No such file or directory"
    );
    let dir = scratch("errors");
    let not_executable = dir.join("data");
    std::fs::write(&not_executable, "x").unwrap();
    assert_eq!(
        failed(&exec_class(not_executable.to_str().unwrap()), &mut reaped),
        "unable to execute: Permission denied"
    );
    let mut chroot = exec_class("/bin/true");
    chroot.chroot = Some("/nonexistent-kindling-root".into());
    assert_eq!(
        failed(&chroot, &mut reaped),
        "unable to change root directory: No such file or directory"
    );
    let mut chdir = exec_class("/bin/true");
    chdir.chdir = Some("/nonexistent-kindling-dir".into());
    assert_eq!(
        failed(&chdir, &mut reaped),
        "unable to change working directory: No such file or directory"
    );
    let mut limit = exec_class("/bin/true");
    limit.limits = vec![Limit {
        resource: Resource::Nofile,
        soft: Some(100),
        hard: Some(10),
    }];
    assert_eq!(
        failed(&limit, &mut reaped),
        "unable to set \"nofile\" resource limit: Invalid argument"
    );
    let mut user = exec_class("/bin/true");
    user.setuid = Some("kindling-no-such-user".into());
    assert_eq!(failed(&user, &mut reaped), "unable to find setuid user");
    let mut group = exec_class("/bin/true");
    group.setgid = Some("kindling-no-such-group".into());
    assert_eq!(failed(&group, &mut reaped), "unable to find setgid group");
    // Upstream's order: a bad chroot is reported before a bad user.
    let mut both = chroot.clone();
    both.setuid = Some("kindling-no-such-user".into());
    assert_eq!(
        failed(&both, &mut reaped),
        "unable to change root directory: No such file or directory"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Copies `from` (following symlinks) to `root/from`.
fn install(root: &std::path::Path, from: &str) -> std::io::Result<()> {
    let to = root.join(from.trim_start_matches('/'));
    std::fs::create_dir_all(to.parent().unwrap())?;
    std::fs::copy(from, &to)?;
    Ok(())
}

#[test]
fn chroot_confines_the_process() {
    assert!(
        is_root(),
        "chroot needs root: run the tests as root (CI does)"
    );
    let _serial = serial();
    let mut reaped = Reaped::default();
    let root = scratch("chroot");
    let files = [
        "/usr/bin/test",
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib64/ld-linux-x86-64.so.2",
    ];
    for file in files {
        if let Err(error) = install(&root, file) {
            panic!("the chroot test needs Debian's x86_64 layout: {file}: {error}");
        }
    }
    std::fs::write(root.join("only-in-chroot"), "").unwrap();
    let mut class = exec_class("/usr/bin/test -e /only-in-chroot");
    class.chroot = Some(root.to_str().unwrap().into());
    let child = spawn_main(&class, &env(&[])).expect("spawn");
    assert_eq!(spawn_check(&child.errors), SpawnCheck::Ok);
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(0)));
    // The same test outside the chroot fails.
    let child =
        spawn_main(&exec_class("/usr/bin/test -e /only-in-chroot"), &env(&[])).expect("spawn");
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(1)));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn setuid_runs_as_the_user_with_its_own_groups() {
    assert!(
        is_root(),
        "setuid needs root: run the tests as root (CI does)"
    );
    let _serial = serial();
    let mut reaped = Reaped::default();
    let mut class = exec_class("sleep 10");
    class.setuid = Some("nobody".into());
    let child = spawn_main(&class, &env(&[])).expect("spawn");
    assert_eq!(spawn_check(&child.errors), SpawnCheck::Ok);
    assert!(wait_exec(child.pid, "sleep"));
    let (uid, gid) = (65534, 65534);
    assert_eq!(
        status_field(child.pid, "Uid:").unwrap(),
        format!("{uid}\t{uid}\t{uid}\t{uid}")
    );
    assert_eq!(
        status_field(child.pid, "Gid:").unwrap(),
        format!("{gid}\t{gid}\t{gid}\t{gid}")
    );
    let groups = status_field(child.pid, "Groups:").unwrap();
    assert!(
        !groups.split_whitespace().any(|g| g == "0"),
        "root group kept: {groups}"
    );
    kill_and_reap(&mut reaped, child.pid);

    // A multi-line script is readable through /proc/self/fd/9 after the switch.
    let dir = scratch("setuid");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = dir.join("id");
    let mut class = script_class("id -u > \"$OUT\"\nid -g >> \"$OUT\"\n");
    class.setuid = Some("nobody".into());
    class.setgid = Some("nogroup".into());
    let child = spawn_main(&class, &env(&[("OUT", out.to_str().unwrap())])).expect("spawn");
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(0)));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "65534\n65534\n");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn signal_dispositions_and_mask_are_reset_in_the_child() {
    let _serial = serial();
    let mut reaped = Reaped::default();
    // SAFETY: test-local changes to this thread's signal state, undone below.
    let (old_hup, old_mask) = unsafe {
        let old_hup = libc::signal(libc::SIGHUP, libc::SIG_IGN);
        let mut set: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGUSR2);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
        (old_hup, old)
    };
    let child = spawn_main(&exec_class("sleep 10"), &env(&[]));
    // SAFETY: restoring what was saved above.
    unsafe {
        libc::signal(libc::SIGHUP, old_hup);
        libc::pthread_sigmask(libc::SIG_SETMASK, &old_mask, std::ptr::null_mut());
    }
    let child = child.expect("spawn");
    assert!(wait_exec(child.pid, "sleep"));
    // The test harness itself ignores SIGPIPE; the job must not.
    assert_eq!(
        status_field(child.pid, "SigIgn:").as_deref(),
        Some("0000000000000000")
    );
    assert_eq!(
        status_field(child.pid, "SigBlk:").as_deref(),
        Some("0000000000000000")
    );
    // Own session and process group.
    let sid = unsafe { libc::getsid(child.pid) };
    let pgid = unsafe { libc::getpgid(child.pid) };
    assert_eq!((sid, pgid), (child.pid, child.pid));
    kill_and_reap(&mut reaped, child.pid);
}

#[test]
fn kill_group_reaches_a_grandchild_and_the_subreaper_reaps_it() {
    let _serial = serial();
    let mut reaped = Reaped::default();
    let dir = scratch("group");
    let file = dir.join("gpid");
    let class = exec_class(&format!(
        "/bin/sh -c 'sleep 30 & echo $! > {}; wait'",
        file.display()
    ));
    let child = spawn_main(&class, &env(&[])).expect("spawn");
    let grandchild: i32 = loop {
        let text = wait_file(&file).expect("grandchild pid");
        if text.ends_with('\n') {
            break text.trim().parse().unwrap();
        }
    };
    kill_group(child.pid, libc::SIGTERM).expect("kill_group");
    assert_eq!(
        reaped.exit_of(child.pid),
        Some(ExitStatus::Signaled(libc::SIGTERM))
    );
    // The grandchild died of the same signal and, orphaned, came back to us.
    assert_eq!(
        reaped.exit_of(grandchild),
        Some(ExitStatus::Signaled(libc::SIGTERM))
    );
    // A gone process is not an error; nonsense pids are refused.
    assert_eq!(kill_group(child.pid, libc::SIGTERM), Ok(()));
    assert!(kill_group(0, libc::SIGTERM).is_err());
    assert!(kill_group(-1, libc::SIGTERM).is_err());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_reaper_reaps_orphans_and_reports_stops() {
    let _serial = serial();
    let mut reaped = Reaped::default();
    let child = spawn_main(
        &exec_class("/bin/sh -c '(sleep 0.2; exit 7) & exit 0'"),
        &env(&[]),
    )
    .expect("spawn");
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(0)));
    let orphan = reaped.until(|event| {
        matches!(event, ChildEvent::Exited { pid, status: ExitStatus::Exited(7) } if *pid != child.pid)
    });
    assert!(orphan.is_some(), "orphan not reaped: {:?}", reaped.events);

    // WUNTRACED: a SIGSTOP is reported, with the signal.
    let child = spawn_main(&exec_class("sleep 10"), &env(&[])).expect("spawn");
    assert!(wait_exec(child.pid, "sleep"));
    unsafe { libc::kill(child.pid, libc::SIGSTOP) };
    let stop = reaped.until(|e| matches!(e, ChildEvent::Stopped { pid, .. } if *pid == child.pid));
    assert_eq!(
        stop,
        Some(ChildEvent::Stopped {
            pid: child.pid,
            signal: libc::SIGSTOP
        })
    );
    kill_and_reap(&mut reaped, child.pid);
    // A real-time signal death is decoded, not lost.
    let child = spawn_main(&exec_class("sleep 10"), &env(&[])).expect("spawn");
    assert!(wait_exec(child.pid, "sleep"));
    let rt = libc::SIGRTMIN() + 3;
    unsafe { libc::kill(child.pid, rt) };
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Signaled(rt)));
}

#[test]
fn console_output_owner_and_fallbacks() {
    let _serial = serial();
    let mut reaped = Reaped::default();
    let dir = scratch("console");
    let device = dir.join("console");
    std::fs::write(&device, "").unwrap();
    let config = SpawnConfig {
        console_device: device.clone(),
        ..SpawnConfig::default()
    };
    let mut class = exec_class("/bin/sh -c 'echo out; echo err >&2'");
    class.console = Some(Console::Output);
    let child = spawn_with(&class, &env(&[]), &config).expect("spawn");
    assert!(child.warnings.is_empty());
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(0)));
    assert_eq!(std::fs::read_to_string(&device).unwrap(), "out\nerr\n");

    // No console device: output falls back to /dev/null with a warning, owner fails.
    let missing = SpawnConfig {
        console_device: dir.join("missing"),
        ..SpawnConfig::default()
    };
    let child = spawn_with(&class, &env(&[]), &missing).expect("spawn");
    assert_eq!(
        child.warnings,
        vec!["Failed to open system console: No such file or directory".to_string()]
    );
    assert_eq!(spawn_check(&child.errors), SpawnCheck::Ok);
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(0)));
    class.console = Some(Console::Owner);
    let child = spawn_with(&class, &env(&[]), &missing).expect("spawn");
    assert_eq!(
        spawn_check(&child.errors),
        SpawnCheck::Failed("unable to open console: No such file or directory".into())
    );
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(255)));

    // console none: stdin, stdout and stderr are /dev/null.
    let child = spawn_main(&exec_class("sleep 10"), &env(&[])).expect("spawn");
    assert!(wait_exec(child.pid, "sleep"));
    for fd in 0..3 {
        let target = std::fs::read_link(format!("/proc/{}/fd/{fd}", child.pid)).unwrap();
        assert_eq!(target, std::path::Path::new("/dev/null"));
    }
    // Nothing else is inherited: no fd beyond 2 (the error pipe closed on exec).
    let fds = std::fs::read_dir(format!("/proc/{}/fd", child.pid))
        .unwrap()
        .count();
    assert_eq!(fds, 3);
    kill_and_reap(&mut reaped, child.pid);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn debug_stops_the_child_before_exec_and_traced_is_reported() {
    let _serial = serial();
    let mut reaped = Reaped::default();
    let mut class = exec_class("/bin/true");
    class.debug = true;
    let config = SpawnConfig {
        debug: true,
        ..SpawnConfig::default()
    };
    let child = spawn_with(&class, &env(&[]), &config).expect("spawn");
    // The pipe is closed before the stop, so the parent never waits for a debugger.
    assert_eq!(spawn_check(&child.errors), SpawnCheck::Ok);
    let stop = reaped.until(|e| matches!(e, ChildEvent::Stopped { pid, .. } if *pid == child.pid));
    assert_eq!(
        stop,
        Some(ChildEvent::Stopped {
            pid: child.pid,
            signal: libc::SIGSTOP
        })
    );
    unsafe { libc::kill(child.pid, libc::SIGCONT) };
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(0)));
    // Without --debug the stanza is ignored.
    let child = spawn_main(&class, &env(&[])).expect("spawn");
    assert_eq!(reaped.exit_of(child.pid), Some(ExitStatus::Exited(0)));

    // Only the main process of an `expect fork|daemon` job is traced.
    let mut class = exec_class("/bin/true");
    class.expect = Expect::Daemon;
    class.pre_start = class.main.clone();
    let pre = kindling::supervise::spawn(&SpawnRequest {
        class: &class,
        kind: ProcessKind::PreStart,
        env: &env(&[]),
        config: &SpawnConfig::default(),
    })
    .expect("spawn");
    assert_eq!(pre.traced, None);
    assert_eq!(reaped.exit_of(pre.pid), Some(ExitStatus::Exited(0)));
}

#[test]
fn console_owner_makes_the_console_the_controlling_tty() {
    use std::os::unix::fs::MetadataExt;
    let _serial = serial();
    let mut reaped = Reaped::default();
    // A pty stands in for /dev/console.
    // SAFETY: plain pty calls; ptsname_r writes at most name.len() bytes.
    let (master, name) = unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(master >= 0);
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        let mut name = [0u8; 64];
        assert_eq!(
            libc::ptsname_r(master, name.as_mut_ptr().cast(), name.len()),
            0
        );
        let name = std::ffi::CStr::from_bytes_until_nul(&name).unwrap();
        (master, std::path::PathBuf::from(name.to_str().unwrap()))
    };
    let config = SpawnConfig {
        console_device: name.clone(),
        ..SpawnConfig::default()
    };
    let mut class = exec_class("sleep 10");
    class.console = Some(Console::Owner);
    let child = spawn_with(&class, &env(&[]), &config).expect("spawn");
    assert_eq!(spawn_check(&child.errors), SpawnCheck::Ok);
    assert!(wait_exec(child.pid, "sleep"));
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.pid)).unwrap();
    let after_comm = stat.rsplit_once(')').unwrap().1;
    // tty_nr is field 7: index 4 after the command.
    let tty_nr: u64 = after_comm
        .split_whitespace()
        .nth(4)
        .unwrap()
        .parse()
        .unwrap();
    let rdev = std::fs::metadata(&name).unwrap().rdev();
    assert_eq!(tty_nr, rdev);
    for fd in 0..3 {
        let target = std::fs::read_link(format!("/proc/{}/fd/{fd}", child.pid)).unwrap();
        assert_eq!(target, name);
    }
    kill_and_reap(&mut reaped, child.pid);
    unsafe { libc::close(master) };
}
