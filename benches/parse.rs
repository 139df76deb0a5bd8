//! Benchmark: parse every job file of the corpus (`shared/corpus/upstart-jobs`, or the
//! built-in samples when absent) with `kindling::job::parse_job`.
//!
//! `cargo bench --bench parse` measures; `cargo test --benches` runs it once as a smoke test.

mod support;

use kindling::job::parse_job;
use support::{group, per_second, Bencher};

fn main() {
    let bencher = Bencher::from_args();
    let jobs = support::corpus();
    let bytes: usize = jobs.iter().map(|(_, text)| text.len()).sum();
    let accepted = jobs
        .iter()
        .filter(|(name, text)| parse_job(name, text).is_ok())
        .count();
    println!(
        "corpus: {} files, {} bytes, {} accepted by the parser",
        jobs.len(),
        group(bytes as u64),
        accepted
    );

    let name = format!("parse/corpus-{}-files", jobs.len());
    if let Some(per_iter) = bencher.run(&name, || {
        jobs.iter()
            .filter(|(name, text)| parse_job(name, text).is_ok())
            .count()
    }) {
        if bencher.measuring() {
            println!(
                "  = {} files/s, {} MB/s",
                group(per_second(jobs.len() as u64, per_iter)),
                per_second(bytes as u64, per_iter) / 1_000_000
            );
        }
    }

    if let Some((name, text)) = jobs.iter().max_by_key(|(_, text)| text.len()) {
        let label = format!("parse/largest-file-{}-bytes", text.len());
        bencher.run(&label, || parse_job(name, text).is_ok());
    }
}
