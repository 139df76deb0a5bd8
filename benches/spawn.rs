//! fork + exec + reap of `/bin/true`, sequentially, through `supervise::spawn` and the reaper,
//! waiting for SIGCHLD on a signalfd as the daemon does. Goal: ≤ 1.5 ms per process.
//!
//! `cargo bench --bench spawn` (N = 2000; `SPAWN_BENCH_N` to change). Under `cargo test`
//! (no `--bench` argument) it only does a smoke run of 20.

use kindling::engine::ExitStatus;
use kindling::environ::Env;
use kindling::job::{Console, JobClass, Process, ProcessKind};
use kindling::supervise::{
    read_spawn_error, reap, spawn, ChildEvent, SpawnCheck, SpawnConfig, SpawnRequest,
};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::os::fd::AsRawFd;
use std::time::Instant;

fn main() {
    let benching = std::env::args().any(|arg| arg == "--bench");
    let n: usize = std::env::var("SPAWN_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 2000 } else { 20 });
    let mut class = JobClass::new("bench");
    class.main = Some(Process {
        command: "/bin/true".into(),
        script: false,
    });
    class.console = Some(Console::None);
    let mut env = Env::new();
    env.set("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    env.set("UPSTART_JOB", "bench");
    env.set("UPSTART_INSTANCE", "");
    let config = SpawnConfig::default();
    let request = SpawnRequest {
        class: &class,
        kind: ProcessKind::Main,
        env: &env,
        config: &config,
    };

    let mut mask = SigSet::empty();
    mask.add(Signal::SIGCHLD);
    mask.thread_block().expect("block SIGCHLD");
    let sfd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC).expect("signalfd");

    let run = |count: usize| {
        for _ in 0..count {
            let child = spawn(&request).expect("spawn");
            let mut done = false;
            while !done {
                let mut pfd = libc::pollfd {
                    fd: sfd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: poll on one live pollfd.
                unsafe { libc::poll(&mut pfd, 1, 5000) };
                let _ = sfd.read_signal();
                for event in reap() {
                    if let ChildEvent::Exited { pid, status } = event {
                        assert_eq!(status, ExitStatus::Exited(0));
                        done |= pid == child.pid;
                    }
                }
            }
            assert_eq!(read_spawn_error(&child.errors), SpawnCheck::Ok);
        }
    };

    run(50); // warm-up
    let start = Instant::now();
    run(n);
    let elapsed = start.elapsed();
    let per_op = elapsed.as_secs_f64() * 1000.0 / n as f64;
    println!(
        "spawn: fork+exec+reap of /bin/true, N={n}: {:.3} s total, {per_op:.3} ms/op",
        elapsed.as_secs_f64()
    );
}
