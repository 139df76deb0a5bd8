//! `initctl2dot`: draws which jobs start and stop on which events and jobs as a Graphviz DOT
//! graph, like Upstart's `scripts/initctl2dot.py`.
//!
//! The data is `initctl show-config -e`'s: asked of the running init (default), read from a
//! file of that output (`-f FILE`), or computed offline from job files (`-c DIR`,
//! repeatable). The drawing itself is `kindling::inspect::graph`'s. Errors are
//! `initctl2dot: MESSAGE` on stderr and exit status 1.
//!
//! ```sh
//! initctl2dot -o - | dot -Tsvg -o upstart.svg
//! ```

use clap::Parser;
use kindling::control::{client, Request, Response, SocketAddress};
use kindling::inspect::graph::{self, Colors, Options};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `initctl2dot (kindling X.Y.Z)` — never the word `upstart` (see decisions.md).
const VERSION: &str = kindling::VERSION_TAG;

/// Where the graph goes unless `-o` says otherwise.
const DEFAULT_OUTFILE: &str = "upstart.dot";

#[derive(Parser, Debug)]
#[command(
    name = "initctl2dot",
    version = VERSION,
    about = "Convert initctl(8) output to GraphViz dot(1) format.",
    long_about = "Convert initctl(8) output to GraphViz dot(1) format: which jobs start and \
                  stop on which events and jobs, and which events jobs emit.\n\n\
                  The data is `initctl show-config -e` as the running init answers it, or \
                  that output read from a file (-f), or the same computed from job files \
                  without a running init (-c).",
    after_help = "See http://www.graphviz.org/doc/info/colors.html for available colours.\n\
                  Example: initctl2dot -o - | dot -Tsvg -o upstart.svg"
)]
struct Cli {
    /// Limit display of 'start on' and 'stop on' conditions to specified jobs
    /// (comma-separated list), with the jobs and events around them.
    #[arg(short = 'r', long = "restrict-to-jobs", value_name = "JOBS")]
    restrictions: Option<String>,

    /// File to read `initctl show-config -e` output from. If neither this nor --confdir is
    /// given, the running init is asked.
    #[arg(
        short = 'f',
        long = "infile",
        value_name = "FILE",
        conflicts_with = "confdir"
    )]
    infile: Option<PathBuf>,

    /// Read job files from DIR instead of asking the running init (repeatable, in priority
    /// order, as init's conf directories).
    #[arg(short = 'c', long = "confdir", value_name = "DIR")]
    confdir: Vec<PathBuf>,

    /// File to write output to ("-" for stdout).
    #[arg(short = 'o', long = "outfile", value_name = "FILE", default_value = DEFAULT_OUTFILE)]
    outfile: String,

    /// Specify color for 'emits' lines.
    #[arg(long = "color-emits", value_name = "COLOR", default_value_t = Colors::default().emits)]
    color_emits: String,

    /// Specify color for 'start on' lines.
    #[arg(long = "color-start-on", value_name = "COLOR", default_value_t = Colors::default().start_on)]
    color_start_on: String,

    /// Specify color for 'stop on' lines.
    #[arg(long = "color-stop-on", value_name = "COLOR", default_value_t = Colors::default().stop_on)]
    color_stop_on: String,

    /// Specify color for event boxes.
    #[arg(long = "color-event", value_name = "COLOR", default_value_t = Colors::default().event)]
    color_event: String,

    /// Specify color for summary text.
    #[arg(long = "color-text", value_name = "COLOR", default_value_t = Colors::default().text)]
    color_text: String,

    /// Specify background color for diagram.
    #[arg(long = "color-bg", value_name = "COLOR", default_value_t = Colors::default().bg)]
    color_bg: String,

    /// Specify color for text in event boxes.
    #[arg(long = "color-event-text", value_name = "COLOR", default_value_t = Colors::default().event_text)]
    color_event_text: String,

    /// Specify color for text in job boxes.
    #[arg(long = "color-job-text", value_name = "COLOR", default_value_t = Colors::default().job_text)]
    color_job_text: String,

    /// Specify color for job boxes.
    #[arg(long = "color-job", value_name = "COLOR", default_value_t = Colors::default().job)]
    color_job: String,

    /// Connect to the system init (the only one kindling has).
    #[arg(long)]
    system: bool,

    /// Not supported: kindling has no Session Init.
    #[arg(long)]
    user: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are "errors" that go to stdout and succeed.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(io::stderr(), "initctl2dot: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    if cli.user {
        return Err(
            "--user is not supported: kindling is the system init and runs no Session Init".into(),
        );
    }
    let (lines, source) = read_data(&cli)?;
    // Empty names are skipped, so `-r ''` draws everything (as upstream's script did).
    let restrict = cli
        .restrictions
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect();
    let options = Options {
        colors: Colors {
            emits: cli.color_emits,
            start_on: cli.color_start_on,
            stop_on: cli.color_stop_on,
            event: cli.color_event,
            event_text: cli.color_event_text,
            job: cli.color_job,
            job_text: cli.color_job_text,
            text: cli.color_text,
            bg: cli.color_bg,
        },
        restrict,
        source,
    };
    let dot = graph::to_dot(&lines, &options).map_err(|error| error.to_string())?;
    write_output(&cli.outfile, &dot)
}

/// The show-config -e lines, and where they came from (for the legend).
fn read_data(cli: &Cli) -> Result<(Vec<String>, String), String> {
    if let Some(path) = &cli.infile {
        let bytes = std::fs::read(path).map_err(|error| {
            format!(
                "cannot read file '{}': {}",
                path.display(),
                describe_io_error(&error)
            )
        })?;
        let text = String::from_utf8_lossy(&bytes);
        return Ok((
            text.lines().map(str::to_string).collect(),
            "from file data".into(),
        ));
    }
    if !cli.confdir.is_empty() {
        return read_confdirs(&cli.confdir);
    }
    let address = SocketAddress::from_env();
    let request = Request::ShowConfig {
        job: None,
        enumerate: true,
    };
    match client::request(&address, &request) {
        Ok(Response::Lines(lines)) => Ok((lines, "from 'initctl show-config -e'".into())),
        Ok(Response::Error(message)) => Err(message),
        Ok(other) => Err(format!("unexpected reply from init: {other:?}")),
        Err(error) => Err(error.to_string()),
    }
}

/// show-config -e computed from the job files of `dirs`, as init would load them. Files that
/// do not parse are reported and left out, as init leaves them out.
fn read_confdirs(dirs: &[PathBuf]) -> Result<(Vec<String>, String), String> {
    for dir in dirs {
        if !dir.is_dir() {
            return Err(format!("{}: not a directory", dir.display()));
        }
    }
    let (sources, problems) = kindling::daemon::confsource::read_sources(dirs);
    let loaded = kindling::job::confdir::load(&sources);
    let mut stderr = io::stderr().lock();
    for problem in &problems {
        let _ = writeln!(stderr, "initctl2dot: {problem}");
    }
    for error in &loaded.errors {
        let _ = writeln!(stderr, "initctl2dot: {error}");
    }
    let lines = kindling::inspect::config::show_config(&loaded.classes, None, true)?;
    let shown: Vec<String> = dirs.iter().map(|dir| dir.display().to_string()).collect();
    Ok((lines, format!("from job files in {}", shown.join(", "))))
}

/// Writes the graph to `outfile` (`-`: stdout). Nothing is written when reading failed.
fn write_output(outfile: &str, dot: &str) -> Result<(), String> {
    if outfile == "-" {
        let mut stdout = io::stdout().lock();
        return match stdout
            .write_all(dot.as_bytes())
            .and_then(|()| stdout.flush())
        {
            // `initctl2dot -o - | head` is not an error.
            Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(format!(
                "cannot write to standard output: {}",
                describe_io_error(&error)
            )),
            _ => Ok(()),
        };
    }
    std::fs::write(Path::new(outfile), dot).map_err(|error| {
        format!(
            "cannot open file {outfile} for writing: {}",
            describe_io_error(&error)
        )
    })
}

/// The OS's wording without Rust's ` (os error N)` suffix.
fn describe_io_error(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_string(),
        None => text,
    }
}
