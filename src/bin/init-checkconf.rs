//! `init-checkconf FILE…`: checks job files before they are installed in `/etc/init`.
//!
//! For each `NAME.conf` it parses the file (and `NAME.override` beside it) with kindling's own
//! job parser, then runs `/bin/sh -n` over every `script` section, mapping the shell's line
//! numbers back to the job file. Wording follows Upstart's `scripts/init-checkconf.sh`:
//! `File FILE: syntax ok` on stdout; `ERROR: File FILE: syntax invalid:` and
//! `FILE:LINE: MESSAGE` lines on stderr. Exit status 0 when every file is valid, 1 otherwise.
//! Unlike Upstart's script it needs no running init: nothing is started, nothing is installed.

use clap::Parser;
use kindling::job::{parse_job, parse_override, JobClass, ParseError, ProcessKind};
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

/// `init-checkconf (kindling X.Y.Z)` — never the word `upstart` (see decisions.md).
const VERSION: &str = kindling::VERSION_TAG;

/// The shell that runs job scripts (`/bin/sh -e`); `-n` reads without executing.
const SHELL: &str = "/bin/sh";

#[derive(Parser, Debug)]
#[command(
    name = "init-checkconf",
    version = VERSION,
    about = "Determine if the specified job configuration files are valid.",
    long_about = "Determine if the specified job configuration files (NAME.conf, with \
                  NAME.override beside it if there is one) are valid: every stanza parses, \
                  and every script section is accepted by `/bin/sh -n`.\n\n\
                  Prints `File FILE: syntax ok` for each valid file; errors go to stderr as \
                  `FILE:LINE: MESSAGE`. Exits 0 if all files are valid, 1 otherwise."
)]
struct Cli {
    /// Show some debug output.
    #[arg(short, long)]
    debug: bool,

    /// Job configuration file to check (same as a bare FILE; may be repeated).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Vec<PathBuf>,

    /// Do not check script sections.
    #[arg(short = 's', long = "noscript")]
    noscript: bool,

    /// Ignored: Upstart's script needed an initctl binary; kindling parses the file itself.
    #[arg(short = 'i', long = "initctl-path", value_name = "PATH", hide = true)]
    initctl_path: Option<PathBuf>,

    /// Ignored: Upstart's script started a second init; kindling parses the file itself.
    #[arg(short = 'x', long = "upstart-path", value_name = "PATH", hide = true)]
    upstart_path: Option<PathBuf>,

    /// Also warn about `start on`/`stop on` conditions that can never be met: events no job
    /// `emits` (and init does not emit) and jobs that do not exist (initctl check-config).
    #[arg(short = 'w', long = "warn")]
    warn: bool,

    /// The jobs the checked files will live beside, for `--warn` (repeatable; default
    /// /etc/init).
    #[arg(short = 'c', long = "confdir", value_name = "DIR")]
    confdir: Vec<PathBuf>,

    /// Job configuration files (NAME.conf).
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// `initctl check-config` for the checked jobs, against the jobs of the conf directories:
/// a `start on`/`stop on` that waits for an event no job `emits` (and init does not emit)
/// or for a job that does not exist can never be satisfied. Warnings only: the exit status
/// is not changed, since events may come from outside (udev bridges, `initctl emit`).
fn warn_unsatisfiable(out: &mut Output, confdirs: &[PathBuf], checked: &[(&PathBuf, JobClass)]) {
    if checked.is_empty() {
        return;
    }
    let default_dirs = [PathBuf::from("/etc/init")];
    let dirs = if confdirs.is_empty() {
        &default_dirs[..]
    } else {
        confdirs
    };
    let (sources, _) = kindling::daemon::confsource::read_sources(dirs);
    let loaded = kindling::job::confdir::load(&sources);
    let mut universe: Vec<JobClass> = loaded
        .classes
        .into_iter()
        .filter(|class| !checked.iter().any(|(_, c)| c.name == class.name))
        .collect();
    universe.extend(checked.iter().map(|(_, class)| class.clone()));
    for (path, class) in checked {
        let Ok(lines) =
            kindling::inspect::config::check_config(&universe, Some(&class.name), &[], false)
        else {
            continue;
        };
        for line in lines.iter().skip(1) {
            out.err(format_args!(
                "WARNING: File {}: {}",
                path.display(),
                line.trim()
            ));
        }
    }
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

    let mut out = Output::new(cli.debug);
    let files: Vec<&PathBuf> = cli.file.iter().chain(cli.files.iter()).collect();
    if files.is_empty() {
        out.error(format_args!("Must specify configuration file"));
        out.err(format_args!(
            "Try 'init-checkconf --help' for more information."
        ));
        return ExitCode::FAILURE;
    }

    let mut all_ok = true;
    let mut checked = Vec::new();
    for path in files {
        match check_file(&mut out, path, !cli.noscript) {
            Some(class) => {
                out.out(format_args!("File {}: syntax ok", path.display()));
                checked.push((path, class));
            }
            None => all_ok = false,
        }
    }
    if cli.warn {
        warn_unsatisfiable(&mut out, &cli.confdir, &checked);
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Checks one job file, reporting every problem; its class when it is valid.
fn check_file(out: &mut Output, path: &Path, check_scripts: bool) -> Option<JobClass> {
    let shown = path.display();
    let Some(name) = job_name(path) else {
        out.error(format_args!("File {shown}: file must end in .conf"));
        return None;
    };
    out.debug(format_args!("file={shown}"));
    out.debug(format_args!("job={name}"));

    let conf = read_source(out, path)?;
    let class = match guarded_parse(|| parse_job(&name, &conf.text)) {
        Ok(class) => class,
        Err(error) => {
            out.error(format_args!("File {shown}: syntax invalid:"));
            report_parse_error(out, &conf.path, &error);
            return None;
        }
    };

    let override_path = path.with_extension("override");
    let mut sources = vec![conf];
    let class = match std::fs::metadata(&override_path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => class,
        _ => {
            let over = read_source(out, &override_path)?;
            out.debug(format_args!("override={}", over.path.display()));
            let parsed = guarded_parse(|| parse_override(class, &over.text));
            match parsed {
                Ok(class) => {
                    sources.push(over);
                    class
                }
                Err(error) => {
                    out.error(format_args!("File {shown}: syntax invalid:"));
                    report_parse_error(out, &over.path, &error);
                    return None;
                }
            }
        }
    };

    if !check_scripts {
        return Some(class);
    }
    let mut ok = true;
    for kind in SCRIPT_ORDER {
        let Some(process) = class.process(kind).filter(|p| p.script) else {
            continue;
        };
        out.debug(format_args!("checking {} section", section_name(kind)));
        match shell_check(&process.command) {
            Ok(None) => {}
            Ok(Some(errors)) => {
                ok = false;
                out.error(format_args!(
                    "File {shown}: shell syntax invalid in {} section:",
                    section_name(kind)
                ));
                let block = locate_block(&sources, kind, &process.command);
                for line in errors.lines().filter(|l| !l.trim().is_empty()) {
                    out.err(format_args!(
                        "{}",
                        map_shell_error(line, block.as_ref(), path)
                    ));
                }
            }
            Err(err) => {
                ok = false;
                out.error(format_args!("File {shown}: cannot run {SHELL} -n: {err}"));
            }
        }
    }
    ok.then_some(class)
}

/// Upstream's order of checks: `pre-start post-start script pre-stop post-stop`.
const SCRIPT_ORDER: [ProcessKind; 5] = [
    ProcessKind::PreStart,
    ProcessKind::PostStart,
    ProcessKind::Main,
    ProcessKind::PreStop,
    ProcessKind::PostStop,
];

/// The section word of upstream's message: `script` for the main process.
fn section_name(kind: ProcessKind) -> &'static str {
    match kind {
        ProcessKind::Main => "script",
        other => other.name(),
    }
}

/// `NAME` for `…/NAME.conf`; `None` when the file name does not end in `.conf`.
fn job_name(path: &Path) -> Option<String> {
    let file_name = path.file_name()?.to_string_lossy();
    file_name.strip_suffix(".conf").map(str::to_string)
}

/// One file read for parsing: its path as given and its text (invalid UTF-8 replaced).
struct Source {
    path: PathBuf,
    text: String,
}

fn read_source(out: &mut Output, path: &Path) -> Option<Source> {
    match std::fs::read(path) {
        Ok(bytes) => Some(Source {
            path: path.to_path_buf(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            out.error(format_args!("File {} does not exist", path.display()));
            None
        }
        Err(err) => {
            out.error(format_args!(
                "File {}: cannot read: {}",
                path.display(),
                describe_io_error(&err)
            ));
            None
        }
    }
}

/// The OS's wording without Rust's ` (os error N)` suffix.
fn describe_io_error(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// Runs the parser, turning a parser panic (a kindling bug) into an error for this file so
/// the remaining files are still checked.
fn guarded_parse(
    parse: impl FnOnce() -> Result<JobClass, ParseError>,
) -> Result<JobClass, ParseError> {
    panic::catch_unwind(AssertUnwindSafe(parse)).unwrap_or_else(|_| {
        Err(ParseError {
            line: 0,
            message: "internal error: the job parser panicked (please report this bug)".into(),
        })
    })
}

fn report_parse_error(out: &mut Output, path: &Path, error: &ParseError) {
    if error.line == 0 {
        out.err(format_args!("{}: {}", path.display(), error.message));
    } else {
        out.err(format_args!(
            "{}:{}: {}",
            path.display(),
            error.line,
            error.message
        ));
    }
}

/// Runs `/bin/sh -n` with `script` on stdin. `Ok(None)`: the shell accepts it;
/// `Ok(Some(text))`: what the shell said about it.
fn shell_check(script: &str) -> io::Result<Option<String>> {
    let mut child = std::process::Command::new(SHELL)
        .arg("-n")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let Some(mut stdin) = child.stdin.take() else {
        return Err(io::Error::other("no pipe to the shell's input"));
    };
    let script = script.to_string();
    // A separate writer so a large script cannot dead-lock against the shell's output.
    // A shell that stops reading early gives EPIPE, which is not our error to report.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(script.as_bytes());
    });
    let output = child.wait_with_output()?;
    let _ = writer.join();
    if output.status.success() {
        return Ok(None);
    }
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stdout));
    if text.trim().is_empty() {
        text = format!("{SHELL} -n failed ({})", output.status);
    }
    Ok(Some(text))
}

/// Where a script block's text sits in its file.
struct Block<'a> {
    path: &'a Path,
    /// 1-based line of the block's first line of text (the line after `script`).
    first_line: usize,
}

/// Finds the block that produced `command`: the last `[KIND ]script` … `end script` of the
/// override, else of the conf, whose line count matches the parsed text.
fn locate_block<'a>(sources: &'a [Source], kind: ProcessKind, command: &str) -> Option<Block<'a>> {
    let wanted_lines = command.lines().count();
    sources.iter().rev().find_map(|source| {
        script_blocks(&source.text, kind)
            .into_iter()
            .rev()
            .find(|&(_, lines)| lines == wanted_lines)
            .map(|(first_line, _)| Block {
                path: &source.path,
                first_line,
            })
    })
}

/// Every `[KIND ]script` block of `text` as (first text line, number of lines), in order.
fn script_blocks(text: &str, kind: ProcessKind) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut blocks = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        if opens_block(lines[index], kind) {
            let first = index + 1;
            let end = (first..lines.len()).find(|&i| closes_block(lines[i]));
            let end_index = end.unwrap_or(lines.len());
            blocks.push((first + 1, end_index - first));
            index = end_index + 1;
        } else {
            index += 1;
        }
    }
    blocks
}

/// The words of a line before any `#` comment.
fn words(line: &str) -> Vec<&str> {
    let code = line.split('#').next().unwrap_or("");
    code.split_whitespace().collect()
}

fn opens_block(line: &str, kind: ProcessKind) -> bool {
    let words = words(line);
    match kind {
        ProcessKind::Main => words == ["script"],
        other => words == [other.name(), "script"],
    }
}

fn closes_block(line: &str) -> bool {
    words(line) == ["end", "script"]
}

/// Turns `/bin/sh: 3: Syntax error: …` (dash) or `/bin/sh: line 3: …` (bash) into
/// `FILE:LINE: Syntax error: …`, counting from the block's first line.
fn map_shell_error(line: &str, block: Option<&Block>, conf: &Path) -> String {
    let rest = line
        .strip_prefix(SHELL)
        .or_else(|| line.strip_prefix("sh"))
        .and_then(|r| r.strip_prefix(": "))
        .unwrap_or(line);
    let (number, message) = split_line_number(rest);
    match (block, number) {
        (Some(block), Some(n)) => format!(
            "{}:{}: {}",
            block.path.display(),
            block.first_line + n.saturating_sub(1),
            message
        ),
        (Some(block), None) => format!("{}: {}", block.path.display(), message),
        (None, Some(n)) => format!("{}: script line {}: {}", conf.display(), n, message),
        (None, None) => format!("{}: {}", conf.display(), message),
    }
}

/// `3: msg` or `line 3: msg` → (Some(3), `msg`); anything else → (None, text).
fn split_line_number(text: &str) -> (Option<usize>, &str) {
    let body = text.strip_prefix("line ").unwrap_or(text);
    if let Some((number, message)) = body.split_once(": ") {
        if let Ok(n) = number.trim().parse::<usize>() {
            return (Some(n), message);
        }
    }
    (None, text)
}

/// stdout and stderr that never panic: a closed pipe (`init-checkconf … | head`) is ignored.
struct Output {
    debug: bool,
    stdout: io::Stdout,
    stderr: io::Stderr,
}

impl Output {
    fn new(debug: bool) -> Self {
        Output {
            debug,
            stdout: io::stdout(),
            stderr: io::stderr(),
        }
    }

    fn out(&mut self, text: std::fmt::Arguments) {
        let _ = writeln!(self.stdout.lock(), "{text}");
    }

    fn err(&mut self, text: std::fmt::Arguments) {
        let _ = self.stdout.flush();
        let _ = writeln!(self.stderr.lock(), "{text}");
    }

    /// `ERROR: …`, as upstream's script prints its failures.
    fn error(&mut self, text: std::fmt::Arguments) {
        self.err(format_args!("ERROR: {text}"));
    }

    fn debug(&mut self, text: std::fmt::Arguments) {
        if self.debug {
            self.out(format_args!("DEBUG: {text}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_come_from_the_file_name() {
        assert_eq!(job_name(Path::new("/etc/init/ssh.conf")).unwrap(), "ssh");
        assert_eq!(job_name(Path::new("net/apache.conf")).unwrap(), "apache");
        assert!(job_name(Path::new("ssh.override")).is_none());
        assert!(job_name(Path::new("/")).is_none());
    }

    #[test]
    fn blocks_are_found_with_their_first_line() {
        let text = "description \"x\"\npre-start script\n  a\n  b\nend script\n\
                    script # main\n  c\n   end script  # done\nexec foo\n";
        assert_eq!(script_blocks(text, ProcessKind::PreStart), vec![(3, 2)]);
        assert_eq!(script_blocks(text, ProcessKind::Main), vec![(7, 1)]);
        assert!(script_blocks(text, ProcessKind::PostStop).is_empty());
        // An unterminated block runs to the end of the file.
        assert_eq!(
            script_blocks("script\na\n", ProcessKind::Main),
            vec![(2, 2)]
        );
    }

    #[test]
    fn shell_errors_are_mapped_to_job_file_lines() {
        let path = PathBuf::from("job.conf");
        let block = Block {
            path: &path,
            first_line: 10,
        };
        let dash = "/bin/sh: 3: Syntax error: end of file unexpected (expecting \"fi\")";
        assert_eq!(
            map_shell_error(dash, Some(&block), &path),
            "job.conf:12: Syntax error: end of file unexpected (expecting \"fi\")"
        );
        let bash = "/bin/sh: line 1: syntax error near unexpected token `)'";
        assert_eq!(
            map_shell_error(bash, Some(&block), &path),
            "job.conf:10: syntax error near unexpected token `)'"
        );
        assert_eq!(
            map_shell_error("odd output", None, &path),
            "job.conf: odd output"
        );
    }

    #[test]
    fn io_errors_lose_the_os_error_number() {
        let err = io::Error::from_raw_os_error(libc::EISDIR);
        assert_eq!(describe_io_error(&err), "Is a directory");
    }
}
