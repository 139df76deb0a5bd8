//! The little timing harness shared by the `harness = false` benches (no criterion).
//!
//! `cargo bench` passes `--bench`: each benchmark warms up, then runs for at least one
//! second and prints `name: N iterations, X ns/iter (Y ops/s)`. Without `--bench` (as
//! `cargo test --all-targets` runs benches) each closure runs once, as a smoke test.
//! Any other argument is a substring filter on benchmark names.

#![allow(dead_code)] // Each bench uses its own subset.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long each benchmark is measured, at least.
const MEASURE: Duration = Duration::from_secs(1);
/// How long each benchmark runs before measuring.
const WARM_UP: Duration = Duration::from_millis(300);

pub struct Bencher {
    measure: bool,
    filter: Vec<String>,
}

impl Bencher {
    pub fn from_args() -> Self {
        let mut measure = false;
        let mut filter = Vec::new();
        for arg in std::env::args().skip(1) {
            if arg == "--bench" {
                measure = true;
            } else if !arg.starts_with('-') {
                filter.push(arg);
            }
        }
        Bencher { measure, filter }
    }

    /// Is this a real measurement (`cargo bench`) rather than a smoke run?
    pub fn measuring(&self) -> bool {
        self.measure
    }

    /// Times `routine`; returns the mean time per call, or `None` when filtered out.
    pub fn run<T>(&self, name: &str, mut routine: impl FnMut() -> T) -> Option<Duration> {
        if !self.filter.is_empty() && !self.filter.iter().any(|f| name.contains(f.as_str())) {
            return None;
        }
        if !self.measure {
            let start = Instant::now();
            black_box(routine());
            println!("{name}: ok (smoke run; `cargo bench` measures)");
            return Some(start.elapsed());
        }

        // Warm up and estimate one call's cost, to size batches of about 10 ms.
        let warm_start = Instant::now();
        let mut warm_calls: u64 = 0;
        while warm_calls == 0 || warm_start.elapsed() < WARM_UP {
            black_box(routine());
            warm_calls += 1;
        }
        let per_call = warm_start.elapsed().as_nanos() / u128::from(warm_calls);
        let batch = (10_000_000 / per_call.max(1)).clamp(1, 1_000_000) as u64;

        let mut iterations: u64 = 0;
        let start = Instant::now();
        while iterations == 0 || start.elapsed() < MEASURE {
            for _ in 0..batch {
                black_box(routine());
            }
            iterations += batch;
        }
        let elapsed = start.elapsed();
        let ns_per_iter = elapsed.as_nanos() as f64 / iterations as f64;
        // Plain numbers, so scripts can read the line; the extra lines benches print are
        // grouped for people.
        println!(
            "{name}: {iterations} iterations, {:.0} ns/iter ({:.0} ops/s)",
            ns_per_iter,
            1e9 / ns_per_iter
        );
        Some(Duration::from_secs_f64(
            elapsed.as_secs_f64() / iterations as f64,
        ))
    }
}

/// `1234567` → `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate per second from a count of things done in `per_iter`.
pub fn per_second(count: u64, per_iter: Duration) -> u64 {
    let secs = per_iter.as_secs_f64();
    if secs > 0.0 {
        (count as f64 / secs).round() as u64
    } else {
        0
    }
}

/// Job texts used when the shared corpus is not beside the repository.
pub const SAMPLE_JOBS: &[(&str, &str)] = &[
    (
        "tty1",
        "# tty1 - getty\nstart on stopped rc RUNLEVEL=[2345] and (\n            not-container or\n\
         \x20           container CONTAINER=lxc)\nstop on runlevel [!2345]\n\nrespawn\n\
         exec /sbin/getty -8 38400 tty1\n",
    ),
    (
        "rc",
        "description \"rc\"\nstart on runlevel [0123456]\nstop on runlevel [!$RUNLEVEL]\n\n\
         export RUNLEVEL\nexport PREVLEVEL\nconsole output\nenv INIT_VERBOSE\ntask\n\nscript\n\
         if [ \"$RUNLEVEL\" = \"0\" ]; then\n  exec /etc/init.d/rc 0\nfi\n\
         exec /etc/init.d/rc $RUNLEVEL\nend script\n",
    ),
    (
        "ssh",
        "description \"OpenSSH server\"\nstart on filesystem or runlevel [2345]\n\
         stop on runlevel [!2345]\nrespawn\nrespawn limit 10 5\numask 022\nexpect fork\n\
         normal exit 0 TERM\nkill timeout 30\nlimit nofile 4096 unlimited\npre-start script\n\
         \x20   test -x /usr/sbin/sshd || { stop; exit 0; }\n    mkdir -p -m0755 /var/run/sshd\n\
         end script\nexec /usr/sbin/sshd -D\n",
    ),
    (
        "network-interface",
        "instance $INTERFACE\nusage \"INTERFACE=interface\"\nexport INTERFACE\n\
         start on net-device-added INTERFACE!=lo\nstop on net-device-removed INTERFACE=$INTERFACE\n\
         pre-start exec ifup --allow auto $INTERFACE\npost-stop exec ifdown --force $INTERFACE\n",
    ),
];

/// `(job name, text)` of every `*.conf` in `shared/corpus/upstart-jobs` beside the
/// repository, sorted by name, or [`SAMPLE_JOBS`] when there is no corpus.
pub fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/upstart-jobs");
    let mut jobs: Vec<(String, String)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "conf"))
        .filter_map(|path| {
            let name = path.file_stem()?.to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).ok()?;
            Some((name, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect();
    if jobs.is_empty() {
        eprintln!(
            "note: no corpus at {}; using built-in sample jobs",
            dir.display()
        );
        jobs = SAMPLE_JOBS
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect();
    }
    jobs.sort();
    jobs
}
