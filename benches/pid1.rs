//! The real `init` as process 1 of a PID + mount namespace (the sandbox of `tests/pid1/`):
//! its memory (VmRSS) after boot with 0, 100 and 1,000 job files, with 50 running services and
//! with a Debian-sized configuration (100 jobs, 20 of them running; goal ≤ 2.0 MB), its boot
//! time to the startup event, and the latency from a signal (SIGWINCH → `keyboard-request`)
//! to the main process of a job `start on keyboard-request` running (N = 50, median and p95).
//!
//! `cargo bench --bench pid1` measures (the release build of init). Without `--bench`, as
//! `cargo test --bench pid1` runs it, it does a quick smoke run of each part (debug build,
//! fewer rounds). Needs root, as the tests do.

#[path = "../tests/pid1/mod.rs"]
mod pid1;

use pid1::{Sandbox, TIMEOUT};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A typical Debian/Ubuntu job that waits for a runlevel that never comes here.
fn idle_job(n: usize) -> String {
    format!(
        "# idle job {n}\n\
         description \"idle service number {n}\"\n\
         author \"kindling bench\"\n\
         start on runlevel [2345] and started network-{n}\n\
         stop on runlevel [!2345]\n\
         env DAEMON=/usr/sbin/idle{n}\n\
         env OPTS=\"--foreground --verbose\"\n\
         respawn\n\
         respawn limit 10 5\n\
         console log\n\
         pre-start script\n\
         \x20 [ -x \"$DAEMON\" ] || stop\n\
         \x20 mkdir -p /run/idle{n}\n\
         end script\n\
         exec $DAEMON $OPTS\n"
    )
}

fn running_job(n: usize) -> String {
    format!(
        "description \"running service {n}\"\nstart on startup\nrespawn\nexec sleep {}\n",
        100_000 + n
    )
}

/// Boots init with `idle` idle jobs and `running` running services; returns the sandbox once
/// every service runs and init has settled, and how long the boot took.
fn boot(idle: usize, running: usize) -> (Sandbox, Duration) {
    let mut jobs: Vec<(String, String)> = (0..idle)
        .map(|n| (format!("idle/job{n}"), idle_job(n)))
        .collect();
    jobs.extend((0..running).map(|n| (format!("svc{n}"), running_job(n))));
    let refs: Vec<(&str, &str)> = jobs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let sandbox = Sandbox::start(&refs, &[]);
    let booted = sandbox.uptime();
    sandbox.wait_for(&format!("{running} services"), TIMEOUT, || {
        let n = sandbox
            .processes()
            .iter()
            .filter(|p| p.state != 'Z' && p.cmd().starts_with("sleep 1"))
            .count();
        (n == running).then_some(())
    });
    // Let the log ptys and reaping settle.
    std::thread::sleep(Duration::from_millis(300));
    (sandbox, booted)
}

/// `RssAnon` and `RssFile` (from `status`) and `Pss` (from `smaps_rollup`) of a process,
/// KiB: the file part is mostly libc and init's own text, shared with other processes.
fn rss_parts(pid: i32) -> (u64, u64, u64) {
    let field = |file: &str, name: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (
        field("status", "RssAnon:"),
        field("status", "RssFile:"),
        field("smaps_rollup", "Pss:"),
    )
}

fn rss(name: &str, idle: usize, running: usize) -> u64 {
    let (sandbox, booted) = boot(idle, running);
    let kib = sandbox.init_rss_kib();
    let (anon, file, pss) = rss_parts(sandbox.init_pid());
    println!(
        "pid1 rss, {name}: {kib} KiB (anon {anon}, file {file}, pss {pss}; boot to startup \
         event handled: {:.1} ms)",
        booted.as_secs_f64() * 1e3
    );
    kib
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// SIGWINCH → `keyboard-request` → main process of `lat` running: the main process is
/// `date` itself, which prints the time it started into the job's log.
fn latency(rounds: usize) -> Vec<Duration> {
    let job = "start on keyboard-request\ntask\nexec date +%s%N\n";
    let sandbox = Sandbox::start(&[("lat", job)], &[]);
    let log = sandbox.logdir.join("lat.log");
    let mut out = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        let sent = now_ns();
        sandbox.signal(libc::SIGWINCH);
        let text = sandbox.wait_for("the job's timestamp", TIMEOUT, || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|t| t.lines().count() >= round && t.ends_with('\n'))
        });
        let started: u128 = text
            .lines()
            .nth(round - 1)
            .and_then(|l| l.trim().parse().ok())
            .expect("a timestamp");
        out.push(Duration::from_nanos(
            u64::try_from(started.saturating_sub(sent)).unwrap_or(u64::MAX),
        ));
        // Wait for the task to be over so that rounds do not overlap.
        sandbox.wait_for_log_count("lat main process", round, TIMEOUT);
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    pid1::require_root();
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("pid1 bench: init = {} ({build} build)", pid1::INIT);
    let started = Instant::now();

    rss("0 jobs", 0, 0);
    rss("100 idle jobs", 100, 0);
    if measuring {
        rss("1000 idle jobs", 1000, 0);
        rss("50 running services", 0, 50);
    }
    let debian = rss("Debian-sized: 100 jobs, 20 running", 80, 20);
    println!(
        "pid1 rss goal (Debian-sized ≤ 2048 KiB): {}",
        if debian <= 2048 { "met" } else { "NOT met" }
    );

    let rounds = if measuring { 50 } else { 3 };
    let mut times = latency(rounds);
    times.sort_unstable();
    println!(
        "pid1 event → main process running (N = {rounds}): median {:.2} ms, p95 {:.2} ms, \
         min {:.2} ms, max {:.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.95).as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
    println!(
        "pid1 bench: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
