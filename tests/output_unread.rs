//! init and the tools when nobody takes their output: stdout closed (`>&-`), a pipe whose
//! reader is gone (`initctl list | head -1`), a full non-blocking pipe. Rust's `println!`
//! panics on a failed write, and a panic in PID 1 is a kernel panic; the tools must not
//! print a panic message either. init is run both by hand and as PID 1 of a sandbox.

mod pid1;

use pid1::{Sandbox, INIT, INITCTL};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};

/// What a program's stdout is made of.
#[derive(Debug, Clone, Copy)]
enum Stdout {
    /// No descriptor 1 at all.
    Closed,
    /// A pipe whose reading end is closed: every write fails with `EPIPE`.
    BrokenPipe,
    /// A non-blocking pipe that is already full: every write fails with `EAGAIN`.
    FullPipe,
}

const ALL: [Stdout; 3] = [Stdout::Closed, Stdout::BrokenPipe, Stdout::FullPipe];

/// Sets `command`'s stdout up as `how`; returns the reading end to keep open while it runs.
fn plumb(command: &mut Command, how: Stdout) -> Option<OwnedFd> {
    match how {
        Stdout::Closed => {
            // SAFETY: close(2) is async-signal-safe; it runs in the child after std set up
            // the standard descriptors.
            unsafe {
                command.pre_exec(|| {
                    libc::close(1);
                    Ok(())
                });
            }
            None
        }
        Stdout::BrokenPipe => {
            let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe");
            drop(read);
            command.stdout(Stdio::from(write));
            None
        }
        Stdout::FullPipe => {
            use nix::fcntl::OFlag;
            let (read, write) =
                nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).expect("pipe");
            let chunk = [b'x'; 4096];
            while nix::unistd::write(&write, &chunk).is_ok() {}
            command.stdout(Stdio::from(write));
            Some(read)
        }
    }
}

/// Runs `command` with stdout as `how`; returns its output (stdout is not captured).
fn run(mut command: Command, how: Stdout) -> Output {
    command.stdin(Stdio::null()).stderr(Stdio::piped());
    let keep = plumb(&mut command, how);
    let output = command.output().expect("runs");
    drop(keep);
    output
}

#[track_caller]
fn no_panic(output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{what}: panicked: {stderr}");
    assert_eq!(output.status.code(), Some(0), "{what}: {output:?}");
}

#[test]
fn init_run_by_hand_prints_help_and_version_into_nothing_without_panicking() {
    for how in ALL {
        for option in ["--help", "--version"] {
            let mut command = Command::new(INIT);
            command
                .arg(option)
                .env("KINDLING_SOCKET", "@/org/kindling/test/none");
            no_panic(
                &run(command, how),
                &format!("init {option}, stdout {how:?}"),
            );
        }
    }
}

#[test]
fn init_as_pid1_prints_help_and_version_into_nothing_and_boots() {
    for how in ALL {
        let mut keep = None;
        let mut sandbox = Sandbox::start_with(
            &[("svc", "start on startup\nexec sleep 1000\n")],
            &["--help", "--version"],
            |command| keep = plumb(command, how),
        );
        // init is up, answers, started its job and is still process 1.
        let version = sandbox.initctl(&["version"]);
        assert!(
            String::from_utf8_lossy(&version.stdout).starts_with("init (kindling "),
            "stdout {how:?}: {version:?}"
        );
        sandbox.wait_for_process("sleep 1000", pid1::TIMEOUT);
        assert_eq!(sandbox.init_proc().expect("init").ns_pid, 1);
        assert_eq!(sandbox.poll_end(), None, "stdout {how:?}: init ended");
        let stderr = std::fs::read_to_string(sandbox.dir.join("unshare.err")).unwrap_or_default();
        assert!(!stderr.contains("panicked"), "stdout {how:?}: {stderr}");
        drop(sandbox);
        drop(keep);
    }
}

#[test]
fn the_tools_print_help_and_version_into_nothing_without_panicking() {
    let tools = [
        (INITCTL, "--help"),
        (INITCTL, "--version"),
        (env!("CARGO_BIN_EXE_init-checkconf"), "--help"),
        (env!("CARGO_BIN_EXE_init-checkconf"), "--version"),
        (env!("CARGO_BIN_EXE_initctl2dot"), "--help"),
        (env!("CARGO_BIN_EXE_initctl2dot"), "--version"),
    ];
    for how in ALL {
        for (tool, option) in tools {
            let mut command = Command::new(tool);
            command.arg(option);
            no_panic(
                &run(command, how),
                &format!("{tool} {option}, stdout {how:?}"),
            );
        }
    }
}

#[test]
fn initctl_list_into_a_closed_pipe_exits_quietly() {
    let jobs: Vec<(String, String)> = (0..100)
        .map(|i| (format!("job{i:03}"), "exec sleep 1000\n".to_string()))
        .collect();
    let jobs: Vec<(&str, &str)> = jobs
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let sandbox = Sandbox::start(&jobs, &[]);
    for how in ALL {
        let command = sandbox.initctl_command("initctl", &["list"]);
        no_panic(&run(command, how), &format!("initctl list, stdout {how:?}"));
    }
    // `initctl list | head -1`: the reader goes after the first line.
    let mut child = sandbox
        .initctl_command("initctl", &["list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("initctl runs");
    let mut first = String::new();
    {
        use std::io::BufRead;
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut first)
            .expect("a line");
    }
    assert!(first.starts_with("job"), "{first:?}");
    no_panic(
        &child.wait_with_output().expect("initctl ends"),
        "initctl list | head -1",
    );
}
