//! `init-checkconf` from the outside: the built binary run on job files in a temp directory.
//!
//! Checks upstream's wording (`File FILE: syntax ok`, `ERROR: File FILE: syntax invalid:`),
//! `FILE:LINE: MESSAGE` error lines, shell syntax checks mapped to job-file lines, `-s`,
//! overrides, several files at once, and the exit status (0 all valid, 1 otherwise).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_init-checkconf");

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("kindling-checkconf-{}-{}", std::process::id(), n));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    /// Writes `name` with `contents` and returns its path.
    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write job file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one run printed and returned.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let output = Command::new(BIN)
        .args(args)
        .output()
        .expect("run init-checkconf");
    let run = Run {
        code: output
            .status
            .code()
            .expect("exited, not killed by a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "init-checkconf panicked:\n{}",
        run.stderr
    );
    run
}

/// Runs on one job file with `text`, returning the run and the file's path.
fn check(text: &str) -> (Run, PathBuf, TempDir) {
    let dir = TempDir::new();
    let path = dir.write("job.conf", text);
    (run([&path]), path, dir)
}

fn ok_line(path: &Path) -> String {
    format!("File {}: syntax ok", path.display())
}

/// Asserts that `text` fails with exactly `FILE:LINE: MESSAGE` (after upstream's header).
fn assert_parse_error(text: &str, line: usize, message: &str) {
    let (run, path, _dir) = check(text);
    assert_eq!(run.code, 1, "{text:?} should be rejected");
    assert_eq!(run.stdout, "", "nothing on stdout for {text:?}");
    let expected = format!(
        "ERROR: File {0}: syntax invalid:\n{0}:{1}: {2}\n",
        path.display(),
        line,
        message
    );
    assert_eq!(run.stderr, expected, "for {text:?}");
}

/// Asserts that `text` fails with `MESSAGE` on some line (where libnih's line is not pinned).
fn assert_parse_error_message(text: &str, message: &str) {
    let (run, path, _dir) = check(text);
    assert_eq!(run.code, 1, "{text:?} should be rejected");
    let prefix = format!("ERROR: File {0}: syntax invalid:\n{0}:", path.display());
    assert!(
        run.stderr.starts_with(&prefix),
        "for {text:?}: {}",
        run.stderr
    );
    assert!(
        run.stderr.trim_end().ends_with(&format!(": {message}")),
        "for {text:?}: {}",
        run.stderr
    );
}

const GOOD: &str = "\
# A well-formed service.
description \"a test service\"
start on runlevel [2345] and (net-device-up IFACE=eth0 or started dbus)
stop on runlevel [!2345]
env GREETING=hello
respawn
respawn limit 5 10
pre-start script
    [ -d /run/svc ] || mkdir -p /run/svc
    if [ -n \"$GREETING\" ]; then
        echo \"$GREETING\"
    fi
end script
exec /usr/sbin/svc --foreground
post-stop exec rm -rf /run/svc
";

#[test]
fn a_good_file_is_ok() {
    let (run, path, _dir) = check(GOOD);
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout, format!("{}\n", ok_line(&path)));
    assert_eq!(run.code, 0);
}

#[test]
fn an_empty_file_and_comments_are_ok() {
    for text in ["", "\n\n", "# only a comment\n", "   \t\n# x\n"] {
        let (run, path, _dir) = check(text);
        assert_eq!(run.code, 0, "{text:?}: {}", run.stderr);
        assert_eq!(run.stdout, format!("{}\n", ok_line(&path)));
    }
}

#[test]
fn unknown_stanza() {
    assert_parse_error("description \"x\"\n\nfrobnicate now\n", 3, "Unknown stanza");
    // `manual` takes no argument, so the next word is read as a stanza.
    assert_parse_error("manual foo\n", 1, "Unknown stanza");
}

#[test]
fn tokens_expected_and_unexpected() {
    assert_parse_error("task\nexec\n", 2, "Expected token");
    assert_parse_error("start on\n", 1, "Expected token");
    assert_parse_error("exec /bin/true\ntask extra\n", 2, "Unexpected token");
}

#[test]
fn unterminated_quotes_and_blocks() {
    assert_parse_error_message("description \"never closed\n", "Unterminated quoted string");
    assert_parse_error_message("script\n  echo hello\n", "Unterminated block");
}

#[test]
fn illegal_values() {
    assert_parse_error(
        "kill timeout soon\n",
        1,
        "Illegal interval, expected number of seconds",
    );
    assert_parse_error(
        "kill signal foo\n",
        1,
        "Illegal signal status, expected integer",
    );
    assert_parse_error(
        "umask 999\n",
        1,
        "Illegal file creation mask, expected octal integer",
    );
    assert_parse_error("nice 40\n", 1, "Illegal nice value, expected -20 to 19");
    assert_parse_error(
        "oom score 5000\n",
        1,
        "Illegal oom score adjustment, expected -999 to 1000 or 'never'",
    );
    assert_parse_error(
        "limit nofile lots 10\n",
        1,
        "Illegal limit, expected 'unlimited' or integer",
    );
}

#[test]
fn event_expression_errors() {
    assert_parse_error("start on or foo\n", 1, "Expected event");
    assert_parse_error("start on foo or\n", 1, "Expected event");
    assert_parse_error("start on frodo (foo or bar)\n", 1, "Expected operator");
    assert_parse_error("start on (foo or bar) frodo\n", 1, "Expected operator");
    assert_parse_error("start on foo or bar or foo)\n", 1, "Mismatched parentheses");
    assert_parse_error("start on foo or (bar or foo\n", 2, "Mismatched parentheses");
    assert_parse_error(
        "start on wibble foo KEY=bar baz\n",
        1,
        "Expected variable name before value",
    );
}

/// The script for the shell tests: the main `script` block starts on line 4, its text on
/// line 5; the unterminated `if` makes dash report end of file at the `end script` line.
const BAD_MAIN_SCRIPT: &str = "\
description \"bad shell\"
start on startup

script
    echo starting
    if [ -x /bin/true ]; then
        echo never closed
end script
";

#[test]
fn bad_shell_syntax_in_a_script_block_is_reported_at_its_line() {
    let (run, path, _dir) = check(BAD_MAIN_SCRIPT);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    let mut lines = run.stderr.lines();
    assert_eq!(
        lines.next(),
        Some(
            format!(
                "ERROR: File {}: shell syntax invalid in script section:",
                path.display()
            )
            .as_str()
        )
    );
    let error = lines.next().expect("the shell's message");
    let at_end_script = format!("{}:8: ", path.display());
    assert!(
        error.starts_with(&at_end_script),
        "expected the error at the `end script` line (8): {error}"
    );
    assert!(error.to_lowercase().contains("syntax error"), "{error}");
}

#[test]
fn shell_errors_in_other_sections_name_the_section_and_line() {
    let text = "\
start on startup
exec /bin/true
post-stop script
    echo ok
    echo )
end script
";
    let (run, path, _dir) = check(text);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with(&format!(
            "ERROR: File {}: shell syntax invalid in post-stop section:\n{}:5: ",
            path.display(),
            path.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn noscript_skips_the_shell_check() {
    let dir = TempDir::new();
    let path = dir.write("job.conf", BAD_MAIN_SCRIPT);
    for flag in ["-s", "--noscript"] {
        let skipped = run([flag.as_ref(), path.as_os_str()]);
        assert_eq!(skipped.code, 0, "{flag}: {}", skipped.stderr);
        assert_eq!(skipped.stdout, format!("{}\n", ok_line(&path)));
    }
}

#[test]
fn an_override_is_applied_and_checked() {
    let dir = TempDir::new();
    let conf = dir.write("svc.conf", GOOD);
    dir.write("svc.override", "manual\nenv EXTRA=1\n");
    let run1 = run([&conf]);
    assert_eq!(run1.code, 0, "{}", run1.stderr);
    assert_eq!(run1.stdout, format!("{}\n", ok_line(&conf)));

    // An invalid override makes the job invalid, and the error names the override's line.
    let over = dir.write("svc.override", "manual\nfrobnicate\n");
    let run2 = run([&conf]);
    assert_eq!(run2.code, 1);
    assert_eq!(
        run2.stderr,
        format!(
            "ERROR: File {}: syntax invalid:\n{}:2: Unknown stanza\n",
            conf.display(),
            over.display()
        )
    );
}

#[test]
fn a_script_from_the_override_is_mapped_to_the_override() {
    let dir = TempDir::new();
    let conf = dir.write("svc.conf", GOOD);
    let over = dir.write(
        "svc.override",
        "\n# replaces pre-start\npre-start script\n  fi\nend script\n",
    );
    let result = run([&conf]);
    assert_eq!(result.code, 1);
    assert!(
        result.stderr.starts_with(&format!(
            "ERROR: File {}: shell syntax invalid in pre-start section:\n{}:4: ",
            conf.display(),
            over.display()
        )),
        "{}",
        result.stderr
    );
}

#[test]
fn several_files_with_mixed_results() {
    let dir = TempDir::new();
    let good = dir.write("good.conf", GOOD);
    let bad = dir.write("bad.conf", "exec /bin/true\nbogus\n");
    let missing = dir.0.join("missing.conf");
    let also_good = dir.write("also-good.conf", "task\nexec /bin/true\n");
    let mixed = run([&good, &bad, &missing, &also_good]);
    assert_eq!(mixed.code, 1);
    assert_eq!(
        mixed.stdout,
        format!("{}\n{}\n", ok_line(&good), ok_line(&also_good))
    );
    assert_eq!(
        mixed.stderr,
        format!(
            "ERROR: File {0}: syntax invalid:\n{0}:2: Unknown stanza\n\
             ERROR: File {1} does not exist\n",
            bad.display(),
            missing.display()
        )
    );

    // All valid: exit 0; `-f` names a file too.
    let valid = run(["-f".as_ref(), good.as_os_str(), also_good.as_os_str()]);
    assert_eq!(valid.code, 0, "{}", valid.stderr);
    assert_eq!(
        valid.stdout,
        format!("{}\n{}\n", ok_line(&good), ok_line(&also_good))
    );
}

#[test]
fn unreadable_and_misnamed_files_are_clear_errors() {
    let dir = TempDir::new();
    let missing = run([dir.0.join("nope.conf")]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("does not exist"),
        "{}",
        missing.stderr
    );

    let subdir = dir.0.join("dir.conf");
    std::fs::create_dir(&subdir).unwrap();
    let directory = run([&subdir]);
    assert_eq!(directory.code, 1);
    assert_eq!(
        directory.stderr,
        format!(
            "ERROR: File {}: cannot read: Is a directory\n",
            subdir.display()
        )
    );

    let misnamed = dir.write("job.txt", "exec /bin/true\n");
    let wrong_name = run([&misnamed]);
    assert_eq!(wrong_name.code, 1);
    assert!(
        wrong_name.stderr.contains("must end in .conf"),
        "{}",
        wrong_name.stderr
    );
}

#[test]
fn invalid_utf8_never_panics() {
    let dir = TempDir::new();
    let path = dir.write(
        "bytes.conf",
        b"description \"\xff\xfe caf\xe9\"\nscript\n  echo \xc3\x28\nend script\n",
    );
    let result = run([&path]);
    assert!(result.code == 0 || result.code == 1);
}

#[test]
fn version_help_and_usage_errors() {
    let version = run(["--version"]);
    assert_eq!(version.code, 0);
    assert_eq!(
        version.stdout,
        format!("init-checkconf (kindling {})\n", env!("CARGO_PKG_VERSION"))
    );
    assert!(!version.stdout.to_lowercase().contains("upstart"));

    let help = run(["--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("--noscript"), "{}", help.stdout);
    assert!(
        help.stdout.contains("Usage: init-checkconf"),
        "{}",
        help.stdout
    );

    let nothing = run::<[&str; 0], &str>([]);
    assert_eq!(nothing.code, 1);
    assert!(nothing.stderr.contains("Must specify configuration file"));

    let unknown = run(["--no-such-option", "x.conf"]);
    assert_eq!(unknown.code, 1);
}

#[test]
fn warn_names_events_nobody_emits_and_jobs_that_do_not_exist() {
    let dir = TempDir::new();
    let conf = dir.0.join("conf");
    std::fs::create_dir_all(&conf).expect("conf dir");
    std::fs::write(conf.join("svc.conf"), "emits foo\nexec sleep 1\n").expect("svc");
    let job = dir.write(
        "x.conf",
        "start on started nosuchjob or (bar and stopped svc)\nstop on foo\nexec true\n",
    );
    let conf_arg = conf.display().to_string();
    let run1 = run([
        "--warn",
        "-c",
        conf_arg.as_str(),
        job.to_str().unwrap_or(""),
    ]);
    assert_eq!(run1.code, 0, "warnings do not fail the check");
    assert_eq!(run1.stdout, format!("{}\n", ok_line(&job)));
    let shown = job.display();
    assert_eq!(
        run1.stderr,
        format!(
            "WARNING: File {shown}: start on: unknown event bar\n\
             WARNING: File {shown}: start on: unknown job nosuchjob\n"
        )
    );
    // `foo` is emitted by svc and svc exists: a satisfiable job has no warnings.
    let good = dir.write("y.conf", "start on foo or stopped svc\nexec true\n");
    let run2 = run(["-w", "-c", conf_arg.as_str(), good.to_str().unwrap_or("")]);
    assert_eq!(run2.stderr, "");
    // Without --warn, upstream's output only.
    let run3 = run([job.to_str().unwrap_or("")]);
    assert_eq!(run3.stderr, "");
}
