//! `expect fork|daemon` through `Tracer`: real processes that fork once, twice, exec after a
//! fork, get signals while traced, and are abandoned mid-trace. All hold `serial()`; the
//! test process is a subreaper, so the followed grandchildren come back to it.

#[path = "supervise_common.rs"]
mod common;

use common::*;
use kindling::engine::{ExitStatus, Pid};
use kindling::job::Expect;
use kindling::supervise::{kill_group, reap, TraceOutcome, Tracer};
use std::time::{Duration, Instant};

/// A tracer with everything it said, driven by the real reaper.
struct Driver {
    tracer: Tracer,
    outcomes: Vec<TraceOutcome>,
}

impl Driver {
    fn new() -> Self {
        Driver {
            tracer: Tracer::new(),
            outcomes: Vec::new(),
        }
    }

    fn spawn(&mut self, class: &kindling::job::JobClass) -> Pid {
        let child = spawn_main(class, &env(&[])).expect("spawn");
        let expect = child.traced.expect("the main process is traced");
        assert_eq!(expect, class.expect);
        self.tracer.follow(child.pid, expect);
        child.pid
    }

    fn pump(&mut self) {
        for event in reap() {
            self.outcomes.extend(self.tracer.handle(event));
        }
    }

    /// Waits for `pid` to exec `program`, pumping meanwhile: a new child's first stop may
    /// be reaped only after its parent's fork event, and until the tracer handles it the
    /// child stays stopped (on a loaded machine, that is the common case).
    fn wait_exec(&mut self, pid: Pid, program: &str) -> bool {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            self.pump();
            if wait_exec_now(pid, program) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Pumps until `pred` holds for an outcome; that outcome.
    fn until(&mut self, pred: impl Fn(&TraceOutcome) -> bool) -> Option<TraceOutcome> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            self.pump();
            if let Some(found) = self.outcomes.iter().find(|o| pred(o)) {
                return Some(found.clone());
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn exit_of(&mut self, pid: Pid) -> Option<ExitStatus> {
        match self.until(|o| matches!(o, TraceOutcome::Exited { pid: p, .. } if *p == pid)) {
            Some(TraceOutcome::Exited { status, .. }) => Some(status),
            _ => None,
        }
    }

    fn forks(&self) -> Vec<(Pid, Pid)> {
        self.outcomes
            .iter()
            .filter_map(|o| match o {
                TraceOutcome::Forked { pid, child } => Some((*pid, *child)),
                _ => None,
            })
            .collect()
    }

    fn warnings(&self) -> Vec<&TraceOutcome> {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, TraceOutcome::Warning(_)))
            .collect()
    }

    /// Kills a left-over process and reaps it.
    fn kill(&mut self, pid: Pid) {
        unsafe { libc::kill(pid, libc::SIGKILL) };
        self.exit_of(pid);
    }
}

fn tracer_pid(pid: Pid) -> Option<String> {
    status_field(pid, "TracerPid:")
}

fn class(command: &str, expect: Expect) -> kindling::job::JobClass {
    let mut class = exec_class(command);
    class.expect = expect;
    class
}

#[test]
fn expect_fork_follows_one_fork_and_lets_go() {
    let _serial = serial();
    let mut d = Driver::new();
    let pid = d.spawn(&class("/bin/sh -c 'sleep 30 & exit 0'", Expect::Fork));
    let forked = d.until(|o| matches!(o, TraceOutcome::Forked { .. }));
    let Some(TraceOutcome::Forked { pid: parent, child }) = forked else {
        panic!("no fork seen: {:?}", d.outcomes);
    };
    assert_eq!(parent, pid);
    assert_eq!(d.exit_of(pid), Some(ExitStatus::Exited(0)));
    // The child is the daemon: running sleep, no longer traced.
    assert!(d.wait_exec(child, "sleep"));
    let deadline = Instant::now() + TIMEOUT;
    while d.tracer.is_traced(child) && Instant::now() < deadline {
        d.pump();
    }
    assert!(!d.tracer.is_traced(child));
    assert_eq!(tracer_pid(child).as_deref(), Some("0"));
    // The engine's Detach after the last fork is a no-op now.
    d.tracer.detach(child);
    assert_eq!(d.forks(), vec![(pid, child)]);
    assert!(d.warnings().is_empty(), "{:?}", d.warnings());
    d.kill(child);
}

#[test]
fn expect_daemon_follows_two_forks() {
    let _serial = serial();
    let mut d = Driver::new();
    let pid = d.spawn(&class("/bin/sh -c '(sleep 30 &); exit 0'", Expect::Daemon));
    let deadline = Instant::now() + TIMEOUT;
    while d.forks().len() < 2 && Instant::now() < deadline {
        d.pump();
        std::thread::sleep(Duration::from_millis(1));
    }
    let forks = d.forks();
    assert_eq!(forks.len(), 2, "{:?}", d.outcomes);
    let (first_parent, middle) = forks[0];
    let (second_parent, daemon) = forks[1];
    assert_eq!(first_parent, pid);
    assert_eq!(second_parent, middle);
    assert!(d.wait_exec(daemon, "sleep"));
    let deadline = Instant::now() + TIMEOUT;
    while d.tracer.is_traced(daemon) && Instant::now() < deadline {
        d.pump();
    }
    assert_eq!(tracer_pid(daemon).as_deref(), Some("0"));
    // The middle process is reaped by the outer shell, which waits for its subshell.
    assert_eq!(d.exit_of(pid), Some(ExitStatus::Exited(0)));
    assert!(!std::path::Path::new(&format!("/proc/{middle}")).exists());
    assert!(d.warnings().is_empty(), "{:?}", d.warnings());
    d.kill(daemon);
}

#[test]
fn an_exec_after_a_fork_ends_the_trace() {
    let _serial = serial();
    let mut d = Driver::new();
    let pid = d.spawn(&class(
        "/bin/sh -c '/bin/sh -c \"exec sleep 30\" & exit 0'",
        Expect::Daemon,
    ));
    let done = d.until(|o| matches!(o, TraceOutcome::ExecAfterFork { .. }));
    let Some(TraceOutcome::ExecAfterFork { pid: child }) = done else {
        panic!("trace did not end at the exec: {:?}", d.outcomes);
    };
    assert_eq!(d.forks(), vec![(pid, child)]);
    assert!(!d.tracer.is_traced(child));
    assert!(d.wait_exec(child, "sleep"));
    assert_eq!(tracer_pid(child).as_deref(), Some("0"));
    assert_eq!(d.exit_of(pid), Some(ExitStatus::Exited(0)));
    d.kill(child);
}

/// Pumps until the traced `pid` is past its exec trap and sleeping.
fn wait_running(d: &mut Driver, pid: Pid) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        d.pump();
        let state = status_field(pid, "State:").unwrap_or_default();
        if state.starts_with('S') && wait_exec(pid, "sleep") {
            return;
        }
        assert!(Instant::now() < deadline, "{pid} never ran: {state}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn signals_to_a_traced_process_are_delivered() {
    let _serial = serial();
    let mut d = Driver::new();
    for signal in [libc::SIGTERM, libc::SIGRTMIN() + 2] {
        let pid = d.spawn(&class("sleep 30", Expect::Fork));
        wait_running(&mut d, pid);
        assert!(d.tracer.is_traced(pid));
        unsafe { libc::kill(pid, signal) };
        assert_eq!(d.exit_of(pid), Some(ExitStatus::Signaled(signal)));
        assert!(!d.tracer.is_traced(pid));
    }
    assert!(d.warnings().is_empty(), "{:?}", d.warnings());
}

#[test]
fn an_abandoned_trace_is_detached_at_the_next_stop() {
    let _serial = serial();
    let mut d = Driver::new();
    let pid = d.spawn(&class("sleep 30", Expect::Fork));
    wait_running(&mut d, pid);
    // The engine gave up on `expect` (stop requested): detach while it runs…
    d.tracer.detach(pid);
    assert!(d.tracer.is_traced(pid), "detach waits for a stop");
    // …then the kill signal stops it in the tracer, which detaches and passes it on.
    kill_group(pid, libc::SIGTERM).expect("kill_group");
    assert_eq!(d.exit_of(pid), Some(ExitStatus::Signaled(libc::SIGTERM)));
    assert!(!d.tracer.is_traced(pid));

    // A stop outside any trace is an `expect stop` fact.
    let mut plain = exec_class("sleep 30");
    plain.expect = Expect::Stop;
    let child = spawn_main(&plain, &env(&[])).expect("spawn");
    assert_eq!(child.traced, None);
    assert!(wait_exec(child.pid, "sleep"));
    unsafe { libc::kill(child.pid, libc::SIGSTOP) };
    let stopped = d.until(|o| matches!(o, TraceOutcome::Stopped { .. }));
    assert_eq!(stopped, Some(TraceOutcome::Stopped { pid: child.pid }));
    d.kill(child.pid);
}

#[test]
fn debug_and_expect_fork_stop_before_the_trace_starts() {
    let _serial = serial();
    let mut d = Driver::new();
    let mut traced = class("/bin/sh -c 'sleep 30 & exit 0'", Expect::Fork);
    traced.debug = true;
    let config = kindling::supervise::SpawnConfig {
        debug: true,
        ..Default::default()
    };
    let child = spawn_with(&traced, &env(&[]), &config).expect("spawn");
    d.tracer.follow(child.pid, Expect::Fork);
    // Stopped by itself before PTRACE_TRACEME: an ordinary stop, left for the debugger.
    let stopped = d.until(|o| matches!(o, TraceOutcome::Stopped { .. }));
    assert_eq!(stopped, Some(TraceOutcome::Stopped { pid: child.pid }));
    assert!(d.warnings().is_empty(), "{:?}", d.warnings());
    // The debugger lets it go: the trace then works as usual.
    unsafe { libc::kill(child.pid, libc::SIGCONT) };
    let forked = d.until(|o| matches!(o, TraceOutcome::Forked { .. }));
    let Some(TraceOutcome::Forked { child: daemon, .. }) = forked else {
        panic!("no fork: {:?}", d.outcomes);
    };
    assert_eq!(d.exit_of(child.pid), Some(ExitStatus::Exited(0)));
    assert!(d.wait_exec(daemon, "sleep"));
    d.kill(daemon);
}

/// Whether `pid` runs `program` right now.
fn wait_exec_now(pid: Pid, program: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
        cmdline.split(|b| *b == 0).next().unwrap_or_default() == program.as_bytes()
    })
}
