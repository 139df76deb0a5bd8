//! Signals to PID 1 become events; signals without a meaning do not hurt it; `reboot(2)`
//! inside the namespace ends it the way the kernel reports to the parent.

mod pid1;

use pid1::{Ending, Sandbox, TIMEOUT};
use std::path::Path;
use std::time::Duration;

/// A task that writes its `UPSTART_EVENTS` to `@OUT@/NAME`, appending one line per run.
fn on_event(event: &str, name: &str) -> String {
    format!("start on {event}\ntask\nexec sh -c 'echo \"$UPSTART_EVENTS\" >> @OUT@/{name}'\n")
}

#[test]
fn signals_become_events() {
    let sandbox = Sandbox::start(
        &[
            ("cad", &on_event("control-alt-delete", "cad")),
            ("kbd", &on_event("keyboard-request", "kbd")),
            ("pwr", &on_event("power-status-changed", "pwr")),
        ],
        &[],
    );
    sandbox.signal(libc::SIGINT);
    assert_eq!(
        sandbox.wait_for_file("cad", TIMEOUT),
        "control-alt-delete\n"
    );
    sandbox.signal(libc::SIGWINCH);
    assert_eq!(sandbox.wait_for_file("kbd", TIMEOUT), "keyboard-request\n");
    sandbox.signal(libc::SIGPWR);
    assert_eq!(
        sandbox.wait_for_file("pwr", TIMEOUT),
        "power-status-changed\n"
    );
    for event in [
        "control-alt-delete",
        "keyboard-request",
        "power-status-changed",
    ] {
        assert_eq!(sandbox.log_count(&format!("Handling {event} event")), 1);
    }
    // Each signal is one event each time (once the first task is over).
    sandbox.wait_for_log("cad main process", TIMEOUT);
    sandbox.signal(libc::SIGINT);
    sandbox.wait_for_lines("cad", 2, TIMEOUT);
    assert_eq!(sandbox.read_out("kbd").unwrap().lines().count(), 1);
    assert_eq!(sandbox.read_out("pwr").unwrap().lines().count(), 1);
}

#[test]
fn sigterm_reexecs_init_and_its_jobs_carry_on() {
    let sandbox = Sandbox::start(
        &[
            ("kbd", &on_event("keyboard-request", "kbd")),
            ("service", "start on startup\nexec sleep 1000\n"),
        ],
        &[],
    );
    let service = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.signal(libc::SIGTERM);
    sandbox.wait_for_log("Restored state from the previous image", TIMEOUT);
    sandbox.signal(libc::SIGTERM);
    sandbox.wait_for_log_count("Restored state from the previous image", 2, TIMEOUT);
    // Still process 1, still working, its service untouched.
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_file("kbd", TIMEOUT);
    assert_eq!(sandbox.init_proc().unwrap().ns_pid, 1);
    assert_eq!(
        sandbox.wait_for_process("sleep 1000", TIMEOUT).ns_pid,
        service.ns_pid
    );
    assert_eq!(sandbox.stop(), Ending::Killed);
}

#[test]
fn other_signals_do_not_hurt_init() {
    let sandbox = Sandbox::start(&[("kbd", &on_event("keyboard-request", "kbd"))], &[]);
    for sig in [
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGQUIT,
        libc::SIGALRM,
        libc::SIGPIPE,
        libc::SIGCHLD,
        libc::SIGTSTP,
        libc::SIGTTIN,
        libc::SIGTTOU,
        libc::SIGCONT,
        libc::SIGVTALRM,
        libc::SIGPROF,
        libc::SIGURG,
        libc::SIGXCPU,
    ] {
        sandbox.signal(sig);
    }
    std::thread::sleep(Duration::from_millis(200));
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_file("kbd", TIMEOUT);
    let init = sandbox.init_proc().unwrap();
    assert!(matches!(init.state, 'S' | 'R'), "{init:?}");
}

/// The host's PID namespace: a job refuses to call reboot(2) in it.
fn host_pid_namespace() -> String {
    std::fs::read_link("/proc/self/ns/pid")
        .expect("own pid namespace")
        .display()
        .to_string()
}

/// A job that calls `reboot(CMD)` — but only inside a PID namespace that is not the host's,
/// checked twice: by the shell and by the program itself.
fn reboot_job(cmd: u32, perl: bool) -> String {
    let host = host_pid_namespace();
    let program = if !perl && Path::new("/usr/bin/python3").exists() {
        format!(
            "/usr/bin/python3 -c 'import ctypes, os, sys\n\
             if os.readlink(\"/proc/self/ns/pid\") == \"{host}\": sys.exit(99)\n\
             ctypes.CDLL(None, use_errno=True).reboot({cmd:#x})\n\
             sys.exit(ctypes.get_errno())'"
        )
    } else {
        // perl-base is Essential in Debian.
        format!(
            "perl -e 'exit 99 if readlink(\"/proc/self/ns/pid\") eq \"{host}\"; \
             syscall({nr}, 0xfee1dead, 672274793, {cmd:#x}); exit $!+0'",
            nr = libc::SYS_reboot
        )
    };
    format!(
        "start on startup\ntask\n\
         script\n\
         \x20 while [ ! -e @OUT@/go ]; do sleep 0.01; done\n\
         \x20 [ \"$(readlink /proc/self/ns/pid)\" != \"{host}\" ] || exit 99\n\
         \x20 [ \"$(cat /proc/1/comm)\" = init ] || exit 98\n\
         \x20 {program}\n\
         end script\n"
    )
}

fn reboot_ends_namespace_with(cmd: u32, perl: bool) -> Ending {
    let sandbox_jobs = [
        ("reboot", reboot_job(cmd, perl)),
        ("service", "start on startup\nexec sleep 1000\n".to_string()),
    ];
    let jobs: Vec<(&str, &str)> = sandbox_jobs.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let mut sandbox = Sandbox::start(&jobs, &[]);
    sandbox.wait_for_process("sleep 1000", TIMEOUT);
    std::fs::write(sandbox.out_path("go"), "").unwrap();
    let ending = sandbox.wait_end(TIMEOUT);
    assert!(ending.is_some(), "init still runs:\n{}", sandbox.log());
    // The namespace is gone with everything in it.
    assert!(std::fs::metadata(format!("/proc/{}", sandbox.init_pid())).is_err());
    ending.unwrap()
}

#[test]
fn reboot_restart_in_the_namespace_is_sighup_for_the_parent() {
    // RB_AUTOBOOT
    assert_eq!(
        reboot_ends_namespace_with(0x0123_4567, false),
        Ending::Signaled(libc::SIGHUP)
    );
}

#[test]
fn reboot_power_off_in_the_namespace_is_sigint_for_the_parent() {
    // RB_POWER_OFF
    assert_eq!(
        reboot_ends_namespace_with(0x4321_FEDC, false),
        Ending::Signaled(libc::SIGINT)
    );
}

#[test]
fn reboot_halt_in_the_namespace_is_sigint_for_the_parent() {
    // RB_HALT_SYSTEM, called through perl (the fallback when python3 is missing)
    assert_eq!(
        reboot_ends_namespace_with(0xCDEF_0123, true),
        Ending::Signaled(libc::SIGINT)
    );
}

#[test]
fn init_stopped_and_continued_catches_up() {
    // SIGSTOP from the parent namespace is forced on the namespace's init; what happened
    // meanwhile (a service killed, a signal sent) is handled after SIGCONT.
    let sandbox = Sandbox::start(
        &[
            ("service", "start on startup\nrespawn\nexec sleep 1000\n"),
            ("kbd", &on_event("keyboard-request", "kbd")),
        ],
        &[],
    );
    let first = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.signal(libc::SIGSTOP);
    sandbox.wait_for("init to be stopped", TIMEOUT, || {
        (sandbox.init_proc().unwrap().state == 'T').then_some(())
    });
    sandbox.kill_ns(first.ns_pid, libc::SIGKILL);
    sandbox.signal(libc::SIGWINCH);
    std::thread::sleep(Duration::from_millis(200));
    assert!(sandbox.read_out("kbd").is_none());
    sandbox.signal(libc::SIGCONT);
    assert_eq!(sandbox.wait_for_file("kbd", TIMEOUT), "keyboard-request\n");
    sandbox.wait_for_log("service main process ended, respawning", TIMEOUT);
    sandbox.wait_for("a respawned service", TIMEOUT, || {
        sandbox
            .find("sleep 1000")
            .into_iter()
            .find(|p| p.ns_pid != first.ns_pid && p.state != 'Z')
    });
}
