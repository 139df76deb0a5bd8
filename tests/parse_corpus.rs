//! Real-world job files (`shared/corpus/upstart-jobs`): every file Upstart 1.13.2 accepted
//! must parse, and every file it rejected must be rejected on the same line with a message
//! that starts with Upstart's.

use kindling::job::parse_job;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../shared/corpus/upstart-jobs"),
        manifest.join("../../shared/corpus/upstart-jobs"),
    ];
    for dir in &candidates {
        if dir.join("SOURCES.tsv").is_file() {
            return dir.clone();
        }
    }
    panic!("corpus not found; looked in {candidates:?}");
}

/// What Upstart said about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Rejected { line: usize, message: String },
}

/// `accepted`, or `REJECTED: FILE:LINE: MESSAGE [note]`.
fn verdict(file: &str, column: &str) -> Verdict {
    if column == "accepted" {
        return Verdict::Accepted;
    }
    let rest = column
        .strip_prefix("REJECTED: ")
        .and_then(|rest| rest.strip_prefix(file))
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or_else(|| panic!("unexpected verdict for {file}: {column}"));
    let (line, message) = rest
        .split_once(": ")
        .unwrap_or_else(|| panic!("no line in verdict for {file}: {column}"));
    let message = match message.find(" [") {
        Some(note) => &message[..note],
        None => message,
    };
    Verdict::Rejected {
        line: line.parse().expect("line number"),
        message: message.to_string(),
    }
}

#[test]
fn corpus_parses_as_upstart_1_13_2_did() {
    let dir = corpus_dir();
    let sources = fs::read_to_string(dir.join("SOURCES.tsv")).expect("SOURCES.tsv");

    // Several sources may share one file; they must agree.
    let mut verdicts: BTreeMap<String, Verdict> = BTreeMap::new();
    for row in sources.lines().skip(1).filter(|row| !row.trim().is_empty()) {
        let columns: Vec<&str> = row.split('\t').collect();
        assert!(columns.len() >= 7, "short row: {row}");
        let (file, column) = (columns[0], columns[6]);
        let verdict = verdict(file, column);
        if let Some(previous) = verdicts.insert(file.to_string(), verdict.clone()) {
            assert_eq!(previous, verdict, "sources disagree about {file}");
        }
    }

    let mut failures = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for (file, verdict) in &verdicts {
        let bytes = fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let text = String::from_utf8_lossy(&bytes);
        let name = file.strip_suffix(".conf").unwrap_or(file);
        let result = parse_job(name, &text);
        match (verdict, &result) {
            (Verdict::Accepted, Ok(class)) => {
                assert_eq!(class.name, name);
                accepted += 1;
            }
            (Verdict::Rejected { line, message }, Err(err))
                if err.line == *line && err.message.starts_with(message.as_str()) =>
            {
                rejected += 1;
            }
            _ => failures.push(format!("{file}: Upstart {verdict:?}, kindling {result:?}")),
        }
    }

    println!(
        "corpus: {} files checked, {accepted} accepted and {rejected} rejected as Upstart did",
        verdicts.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        verdicts.len(),
        failures.join("\n")
    );
    assert!(accepted > 300 && rejected > 20, "corpus looks truncated");
}
