//! The control channel of the real `init` running as process 1 of a sandbox (`tests/pid1/`):
//!
//! * (a) the `status JOB` request round trip through `kindling::control::client::request`
//!   in-process (N = 2000, median and p95; goal ≤ 50 µs for the request itself);
//! * (b) a whole `initctl status JOB` process, wall time (N = 200, median);
//! * (c) `emit` throughput with 1,000 job files loaded whose `start on` conditions never
//!   match: N = 2000 waited `emit net-device-up IFACE=lo` requests, each checked against
//!   1,000 `net-device-up IFACE=ethN` leaves.
//!
//! `cargo bench --bench control` measures (release build). Without `--bench`, as
//! `cargo test --bench control` runs it, it does a quick smoke run with fewer rounds. Needs
//! root (a PID + mount namespace); without it, it fails saying so.

#[path = "../tests/pid1/mod.rs"]
mod pid1;

use kindling::control::client;
use kindling::control::{Request, Response, SocketAddress};
use pid1::Sandbox;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn address(sandbox: &Sandbox) -> SocketAddress {
    SocketAddress::Path(sandbox.socket())
}

/// (a) in-process `status svc` round trips.
fn status_round_trip(sandbox: &Sandbox, n: usize) {
    let address = address(sandbox);
    let request = Request::Status {
        job: "svc".into(),
        instance: None,
        env: Vec::new(),
    };
    // Warm up.
    for _ in 0..50 {
        client::request(&address, &request).expect("status");
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let begin = Instant::now();
        let response = client::request(&address, &request).expect("status");
        samples.push(begin.elapsed());
        match response {
            Response::Lines(lines) => assert!(lines[0].starts_with("svc start/running")),
            other => panic!("unexpected answer {other:?}"),
        }
    }
    samples.sort();
    let median = percentile(&samples, 0.5);
    let p95 = percentile(&samples, 0.95);
    println!(
        "control (a) status request round trip, N={n}: median {:.1} µs, p95 {:.1} µs \
         (goal ≤ 50 µs: {})",
        micros(median),
        micros(p95),
        if micros(median) <= 50.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}

/// (b) whole `initctl status svc` processes.
fn initctl_wall_time(sandbox: &Sandbox, n: usize) {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let begin = Instant::now();
        let status = sandbox
            .initctl_command("initctl", &["status", "svc"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run initctl");
        samples.push(begin.elapsed());
        assert!(status.success());
    }
    samples.sort();
    println!(
        "control (b) `initctl status svc` process wall time, N={n}: median {:.0} µs, p95 {:.0} \
         µs",
        micros(percentile(&samples, 0.5)),
        micros(percentile(&samples, 0.95)),
    );
}

/// A job that waits for events that never come here; one of its leaves has the name of the
/// emitted event with another argument.
fn idle_job(i: usize) -> String {
    let when = match i % 3 {
        0 => format!("start on net-device-up IFACE=eth{i}"),
        1 => format!("start on runlevel [2345] and net-device-up IFACE=eth{i}"),
        _ => format!("start on ev-{i} or net-device-up IFACE=eth{i}"),
    };
    format!(
        "{when}\nstop on runlevel [!2345]\nexec sleep {}\n",
        100_000 + i
    )
}

/// (c) waited emits with 1,000 jobs loaded.
fn emit_throughput(n: usize) {
    let jobs: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("idle/job{i}"), idle_job(i)))
        .collect();
    let refs: Vec<(&str, &str)> = jobs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let sandbox = Sandbox::start(&refs, &[]);
    let address = address(&sandbox);
    // Loaded: every job is known.
    let list = client::request(&address, &Request::List).expect("list");
    match list {
        Response::Lines(lines) => assert_eq!(lines.len(), 1000, "jobs loaded"),
        other => panic!("unexpected answer {other:?}"),
    }
    let request = Request::Emit {
        name: "net-device-up".into(),
        env: vec!["IFACE=lo".into()],
        wait: true,
    };
    for _ in 0..20 {
        client::request(&address, &request).expect("emit");
    }
    let begin = Instant::now();
    for _ in 0..n {
        match client::request(&address, &request).expect("emit") {
            Response::Ok => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let took = begin.elapsed();
    assert!(sandbox.processes().is_empty(), "an idle job started");
    println!(
        "control (c) waited emit with 1000 jobs (1000 leaves checked), N={n}: {:.0} emits/s \
         ({:.1} µs each)",
        n as f64 / took.as_secs_f64(),
        micros(took) / n as f64
    );
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    pid1::require_root();
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "control bench: init = {}, initctl = {} ({build} build, {})",
        pid1::INIT,
        pid1::INITCTL,
        if measuring { "measuring" } else { "smoke run" }
    );
    let started = Instant::now();
    let sandbox = Sandbox::start(&[("svc", "exec sleep 1000\n")], &[]);
    let start = sandbox.initctl_as("start", &["svc"]);
    assert!(start.status.success(), "{start:?}");
    status_round_trip(&sandbox, if measuring { 2000 } else { 200 });
    initctl_wall_time(&sandbox, if measuring { 200 } else { 20 });
    drop(sandbox);
    emit_throughput(if measuring { 2000 } else { 200 });
    println!(
        "control bench: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
