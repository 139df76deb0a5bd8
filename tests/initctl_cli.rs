//! The real `initctl` binary (and its `start`, `stop`, … names) against a fake init: the
//! arguments it sends, what it prints on stdout and stderr, and its exit status, checked
//! against Upstart 1.13.2's (upstart.md §4).

#[path = "control_common.rs"]
mod common;

use common::FakeInit;
use kindling::control::{JobTarget, Request};
use std::os::unix::process::CommandExt;
use std::process::Command;

struct Run {
    stdout: String,
    stderr: String,
    status: i32,
}

/// Runs the binary as `name` (argv[0]) with `args`, talking to `init`, outside any job.
fn run(init: &FakeInit, name: &str, args: &[&str]) -> Run {
    run_env(init, name, args, &[])
}

fn run_env(init: &FakeInit, name: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_initctl"));
    command
        .arg0(name)
        .args(args)
        .env("KINDLING_SOCKET", &init.address)
        .env_remove("UPSTART_JOB")
        .env_remove("UPSTART_INSTANCE")
        .envs(env.iter().copied());
    output(&mut command)
}

fn output(command: &mut Command) -> Run {
    let output = command.output().expect("initctl runs");
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        status: output.status.code().unwrap_or(-1),
    }
}

#[track_caller]
fn ok(run: Run, stdout: &str) {
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str(), run.status),
        (stdout, "", 0)
    );
}

#[track_caller]
fn fails(run: Run, stderr: &str) {
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str(), run.status),
        ("", stderr, 1)
    );
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn start_prints_the_status_line() {
    let init = FakeInit::start();
    ok(
        run(&init, "start", &["tty", "TTY=tty2"]),
        "tty start/running, process 99\n",
    );
    assert_eq!(
        init.last(),
        Some(Request::Start {
            job: "tty".into(),
            instance: None,
            env: strings(&["TTY=tty2"]),
            wait: true,
        })
    );
    // Options may follow the arguments; -n means no waiting.
    ok(run(&init, "start", &["rc", "-n"]), "rc start/starting\n");
    assert!(matches!(
        init.last(),
        Some(Request::Start { wait: false, .. })
    ));
    ok(
        run(&init, "initctl", &["start", "--no-wait", "rc"]),
        "rc start/starting\n",
    );
    ok(run(&init, "/sbin/start", &["rc"]), "rc stop/waiting\n");
}

#[test]
fn job_command_errors_carry_the_program_name() {
    let init = FakeInit::start();
    fails(
        run(&init, "start", &["nosuch"]),
        "start: Unknown job: nosuch\n",
    );
    fails(
        run(&init, "initctl", &["start", "nosuch"]),
        "initctl: Unknown job: nosuch\n",
    );
    fails(
        run(&init, "start", &["svc"]),
        "start: Job is already running: svc\n",
    );
    fails(
        run(&init, "start", &["tty"]),
        "start: Unknown parameter: TTY\nUsage: TTY=name\n",
    );
    fails(
        run(&init, "restart", &["nosuch"]),
        "restart: Unknown job: nosuch\n",
    );
    fails(
        run(&init, "reload", &["plain"]),
        "reload: Job is not running: plain\n",
    );
    fails(
        run(&init, "status", &["tty", "TTY=tty9"]),
        "status: Unknown instance: tty9\n",
    );
}

#[test]
fn bad_arguments() {
    let init = FakeInit::start();
    fails(
        run(&init, "start", &[]),
        "start: missing job name\nTry `start --help' for more information.\n",
    );
    fails(
        run(&init, "initctl", &["stop"]),
        "initctl: missing job name\nTry `initctl --help' for more information.\n",
    );
    fails(
        run(&init, "start", &["svc", "NOEQUALS"]),
        "start: Env must be KEY=VALUE pairs\n",
    );
    fails(
        run(&init, "initctl", &["emit", "ev", "NOEQUALS"]),
        "initctl: Env must be KEY=VALUE pairs\n",
    );
    fails(
        run(&init, "initctl", &["bogus"]),
        "initctl: invalid command: bogus\nTry `initctl --help' for more information.\n",
    );
    fails(
        run(&init, "initctl", &[]),
        "initctl: missing command\nTry `initctl --help' for more information.\n",
    );
    fails(
        run(&init, "initctl", &["emit"]),
        "initctl: missing event name\nTry `initctl --help' for more information.\n",
    );
    fails(
        run(&init, "initctl", &["emit", ""]),
        "initctl: Name may not be empty string\n",
    );
    fails(
        run(&init, "stop", &["--frobnicate", "svc"]),
        "stop: invalid option: --frobnicate\nTry `stop --help' for more information.\n",
    );
    fails(
        run(&init, "status", &["-n", "svc"]),
        "status: invalid option: -n\nTry `status --help' for more information.\n",
    );
    // Nothing malformed reached the daemon.
    assert!(init.requests().is_empty());
}

#[test]
fn inside_a_job_the_job_itself_is_meant_and_never_waited_for() {
    let init = FakeInit::start();
    let in_job = [("UPSTART_JOB", "tty"), ("UPSTART_INSTANCE", "tty1")];
    ok(run_env(&init, "stop", &[], &in_job), "tty stop/waiting\n");
    assert_eq!(
        init.last(),
        Some(Request::Stop {
            job: "tty".into(),
            instance: Some("tty1".into()),
            env: vec![],
            wait: false,
        })
    );
    ok(
        run_env(&init, "status", &[], &in_job),
        "tty (tty1) start/running, process 43\n",
    );
    ok(
        run_env(&init, "initctl", &["restart"], &in_job),
        "tty start/running, process 99\n",
    );
    assert!(matches!(
        init.last(),
        Some(Request::Restart { wait: false, .. })
    ));
    // A single-instance job has an empty instance name.
    let in_svc = [("UPSTART_JOB", "svc"), ("UPSTART_INSTANCE", "")];
    ok(run_env(&init, "reload", &[], &in_svc), "");
    assert_eq!(
        init.last(),
        Some(Request::Reload {
            job: "svc".into(),
            instance: Some("".into()),
            env: vec![],
        })
    );
    // A job named on the command line is the usual, waiting request.
    ok(
        run_env(&init, "start", &["rc"], &in_job),
        "rc stop/waiting\n",
    );
    assert!(matches!(
        init.last(),
        Some(Request::Start {
            wait: true,
            instance: None,
            ..
        })
    ));
    // Without UPSTART_INSTANCE it is not a job environment.
    fails(
        run_env(&init, "stop", &[], &[("UPSTART_JOB", "tty")]),
        "stop: missing job name\nTry `stop --help' for more information.\n",
    );
    // A job's own instance that is gone.
    fails(
        run_env(
            &init,
            "status",
            &[],
            &[("UPSTART_JOB", "tty"), ("UPSTART_INSTANCE", "tty7")],
        ),
        "status: Unknown instance: tty7\n",
    );
}

#[test]
fn list_is_parseable_by_sendsigs() {
    let init = FakeInit::start();
    let run = run(&init, "initctl", &["list"]);
    assert_eq!(run.status, 0);
    assert_eq!(
        run.stdout,
        "plain stop/waiting\nrc stop/waiting\nsvc start/running, process 42\n\
         tty (tty1) start/running, process 43\n"
    );
    // sendsigs: sed -n -e "/process [0-9]/s/.*process //p"
    let pids: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|line| line.split_once("process ").map(|(_, pid)| pid))
        .collect();
    assert_eq!(pids, ["42", "43"]);
}

#[test]
fn status_and_other_job_commands() {
    let init = FakeInit::start();
    ok(
        run(&init, "status", &["svc"]),
        "svc start/running, process 42\n\tpost-start process 44\n",
    );
    ok(run(&init, "stop", &["rc"]), "rc stop/waiting\n");
    ok(run(&init, "reload", &["svc"]), "");
    ok(
        run(&init, "initctl", &["restart", "-n", "svc"]),
        "svc start/running, process 99\n",
    );
}

#[test]
fn emit() {
    let init = FakeInit::start();
    ok(run(&init, "initctl", &["emit", "net-up", "IFACE=eth0"]), "");
    assert_eq!(
        init.last(),
        Some(Request::Emit {
            name: "net-up".into(),
            env: strings(&["IFACE=eth0"]),
            wait: true,
        })
    );
    fails(
        run(&init, "initctl", &["emit", "fail"]),
        "initctl: Event failed\n",
    );
    ok(run(&init, "initctl", &["emit", "--no-wait", "fail"]), "");
    // Debian's umountnfs.sh.
    ok(
        run(
            &init,
            "initctl",
            &[
                "--quiet",
                "emit",
                "--no-wait",
                "unmounted-remote-filesystems",
            ],
        ),
        "",
    );
}

#[test]
fn version_and_log_priority() {
    let init = FakeInit::start();
    let version = run(&init, "initctl", &["version"]);
    assert_eq!(
        version.stdout,
        format!("init (kindling {})\n", env!("CARGO_PKG_VERSION"))
    );
    assert!(!version.stdout.contains("upstart"));
    ok(run(&init, "initctl", &["log-priority"]), "message\n");
    ok(run(&init, "initctl", &["log-priority", "debug"]), "");
    assert_eq!(
        init.last(),
        Some(Request::LogPriority(Some("debug".into())))
    );
    fails(
        run(&init, "initctl", &["log-priority", "loud"]),
        "initctl: The log priority given was not recognised\n",
    );
    // The client's own version and help: exit 0, no daemon needed.
    let own = run(&init, "initctl", &["--version"]);
    assert_eq!(own.status, 0);
    assert!(own.stdout.starts_with("initctl (kindling "));
    let own = run(&init, "stop", &["--version"]);
    assert!(own.stdout.starts_with("stop (kindling "));
    let help = run(&init, "initctl", &["--help"]);
    assert_eq!(help.status, 0);
    assert!(help.stdout.contains("show-config"));
    assert_eq!(run(&init, "start", &["--help"]).status, 0);
}

#[test]
fn show_config_check_config_usage() {
    let init = FakeInit::start();
    ok(
        run(&init, "initctl", &["show-config", "svc"]),
        "svc\n  emits up\n  start on startup\n",
    );
    ok(
        run(&init, "initctl", &["show-config", "-e", "tty"]),
        "tty\n  start on stopped (job: rc, env:)\n",
    );
    fails(
        run(&init, "initctl", &["show-config", "nosuch"]),
        "initctl: Unknown job: nosuch\n",
    );
    let check = run(&init, "initctl", &["check-config"]);
    assert_eq!(
        (check.stdout.as_str(), check.status),
        ("rc\n  start on: unknown event runlevel\n", 1)
    );
    ok(
        run(&init, "initctl", &["check-config", "-i", "runlevel"]),
        "",
    );
    ok(
        run(
            &init,
            "initctl",
            &["check-config", "--ignore-events=foo,runlevel"],
        ),
        "",
    );
    assert_eq!(
        init.last(),
        Some(Request::CheckConfig {
            job: None,
            ignore_events: strings(&["foo", "runlevel"]),
            warn: false,
        })
    );
    ok(run(&init, "initctl", &["check-config", "tty"]), "");
    fails(
        run(&init, "initctl", &["check-config", "nosuch"]),
        "initctl: Invalid job class: nosuch\n",
    );
    ok(
        run(&init, "initctl", &["usage", "tty"]),
        "Usage: TTY=name\n",
    );
    ok(run(&init, "initctl", &["usage", "plain"]), "Usage: \n");
    fails(
        run(&init, "initctl", &["usage"]),
        "initctl: missing job name\nTry `initctl --help' for more information.\n",
    );
    ok(
        run_env(
            &init,
            "initctl",
            &["usage"],
            &[("UPSTART_JOB", "tty"), ("UPSTART_INSTANCE", "tty1")],
        ),
        "Usage: TTY=name\n",
    );
}

#[test]
fn environment_commands() {
    let init = FakeInit::start();
    ok(run(&init, "initctl", &["get-env", "TERM"]), "linux\n");
    ok(
        run(&init, "initctl", &["list-env"]),
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin\nTERM=linux\n",
    );
    let in_job = [("UPSTART_JOB", "tty"), ("UPSTART_INSTANCE", "tty1")];
    ok(
        run_env(&init, "initctl", &["get-env", "TTY"], &in_job),
        "tty1\n",
    );
    assert_eq!(
        init.last(),
        Some(Request::GetEnv {
            target: Some(JobTarget {
                job: "tty".into(),
                instance: "tty1".into()
            }),
            name: "TTY".into(),
        })
    );
    fails(
        run_env(&init, "initctl", &["get-env", "-g", "TTY"], &in_job),
        "initctl: No such variable: TTY\n",
    );
    fails(
        run(&init, "initctl", &["get-env"]),
        "initctl: missing variable name\nTry `initctl --help' for more information.\n",
    );
    let refused = "initctl: Not permissible to modify PID 1 job environment\n";
    fails(run(&init, "initctl", &["set-env", "A=1"]), refused);
    fails(run(&init, "initctl", &["unset-env", "A"]), refused);
    fails(run(&init, "initctl", &["reset-env"]), refused);
    fails(
        run(&init, "initctl", &["set-env"]),
        "initctl: missing variable value\nTry `initctl --help' for more information.\n",
    );
    fails(
        run(&init, "initctl", &["unset-env"]),
        "initctl: missing variable name\nTry `initctl --help' for more information.\n",
    );
}

#[test]
fn global_options() {
    let init = FakeInit::start();
    ok(run(&init, "initctl", &["-q", "status", "svc"]), "");
    ok(run(&init, "status", &["--quiet", "svc"]), "");
    // Errors are still shown.
    fails(
        run(&init, "initctl", &["-q", "start", "nosuch"]),
        "initctl: Unknown job: nosuch\n",
    );
    ok(
        run(&init, "initctl", &["--system", "status", "rc"]),
        "rc stop/waiting\n",
    );
    ok(
        run(&init, "initctl", &["status", "rc", "--system", "-v"]),
        "rc stop/waiting\n",
    );
    for option in ["--user", "--session"] {
        let run = run(&init, "initctl", &[option, "list"]);
        assert_eq!(run.status, 1);
        assert!(run
            .stderr
            .starts_with(&format!("initctl: {option} is not supported")));
    }
    ok(run(&init, "initctl", &["reload-configuration"]), "");
    ok(run(&init, "initctl", &["notify-disk-writeable"]), "");
    // Any other name behaves as initctl.
    ok(
        run(&init, "kindling-ctl", &["status", "rc"]),
        "rc stop/waiting\n",
    );
}

#[test]
fn no_init_listening() {
    let init = FakeInit::start();
    let mut command = Command::new(env!("CARGO_BIN_EXE_initctl"));
    let address = common::unique_address();
    command
        .arg0("initctl")
        .arg("list")
        .env("KINDLING_SOCKET", &address);
    fails(
        output(&mut command),
        &format!(
            "initctl: Unable to connect to init: Failed to connect to socket {address}: \
             Connection refused\n"
        ),
    );
    drop(init);
}

#[test]
fn other_users_may_only_read() {
    assert!(
        nix::unistd::getuid().is_root(),
        "needs root to run initctl as nobody: run the tests as root (CI does)"
    );
    const NOBODY: u32 = 65534;
    let init = FakeInit::start();
    let as_nobody = |name: &str, args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_initctl"));
        command
            .arg0(name)
            .args(args)
            .env("KINDLING_SOCKET", &init.address)
            .env_remove("UPSTART_JOB")
            .env_remove("UPSTART_INSTANCE")
            .uid(NOBODY)
            .gid(NOBODY);
        output(&mut command)
    };
    fails(
        as_nobody("start", &["svc"]),
        "start: You do not have permission to modify job: svc\n",
    );
    fails(
        as_nobody("initctl", &["stop", "rc"]),
        "initctl: You do not have permission to modify job: rc\n",
    );
    fails(
        as_nobody("initctl", &["emit", "foo"]),
        "initctl: You do not have permission to emit an event\n",
    );
    fails(
        as_nobody("initctl", &["reload-configuration"]),
        "initctl: You do not have permission to reload configuration\n",
    );
    fails(
        as_nobody("initctl", &["log-priority", "debug"]),
        "initctl: You do not have permission to set log priority\n",
    );
    fails(
        as_nobody("initctl", &["list-env"]),
        "initctl: You do not have permission to query job environment\n",
    );
    assert!(
        init.requests().is_empty(),
        "refused requests reach no daemon"
    );

    ok(
        as_nobody("status", &["svc"]),
        "svc start/running, process 42\n\tpost-start process 44\n",
    );
    assert_eq!(as_nobody("initctl", &["list"]).status, 0);
    assert_eq!(as_nobody("initctl", &["version"]).status, 0);
    ok(as_nobody("initctl", &["log-priority"]), "message\n");
    assert_eq!(as_nobody("initctl", &["show-config"]).status, 0);
    ok(as_nobody("initctl", &["usage", "tty"]), "Usage: TTY=name\n");
    let requests = init.requests();
    assert_eq!(requests.len(), 6);
    assert!(requests.iter().all(|(peer, _)| peer.uid == NOBODY));
}

/// Not a test by itself: re-run as nobody by `only_a_server_run_by_root_is_believed`, it
/// plays init on `$KINDLING_TEST_FAKE`, as any user could while sysvinit is PID 1, answering
/// every request with a made-up status line.
#[test]
fn helper_fake_init() {
    use kindling::control::{protocol, Response, SocketAddress};
    use std::io::{Read, Write};
    let Ok(address) = std::env::var("KINDLING_TEST_FAKE") else {
        return;
    };
    let addr = SocketAddress::parse(&address)
        .to_socket_addr()
        .expect("address");
    let listener = std::os::unix::net::UnixListener::bind_addr(&addr).expect("bind");
    println!("HELPER listening");
    let answer = protocol::encode_response(&Response::Lines(vec![
        "fake start/running, process 1".into()
    ]));
    for mut stream in listener.incoming().flatten() {
        let mut prefix = [0u8; 4];
        if stream.read_exact(&mut prefix).is_ok() {
            println!("HELPER request");
            let _ = stream.write_all(&answer);
        }
    }
}

#[test]
fn only_a_server_run_by_root_is_believed() {
    use std::io::BufRead;
    assert!(
        nix::unistd::getuid().is_root(),
        "needs root to run the fake init as nobody: run the tests as root (CI does)"
    );
    /// Ends the fake init however the test ends.
    struct Fake(std::process::Child);
    impl Drop for Fake {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let address = common::unique_address();
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args([
            "--exact",
            "helper_fake_init",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KINDLING_TEST_FAKE", &address)
        .uid(65534)
        .gid(65534)
        .stdout(std::process::Stdio::piped());
    // SAFETY: prctl with integer arguments is async-signal-safe; it runs after the uid change,
    // which would otherwise clear it. The fake dies with this test's thread.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            Ok(())
        });
    }
    let mut fake = Fake(command.spawn().expect("fake init starts"));
    let mut lines = std::io::BufReader::new(fake.0.stdout.take().expect("stdout")).lines();
    let listening = lines
        .by_ref()
        .any(|line| line.is_ok_and(|line| line.ends_with("HELPER listening")));
    assert!(listening, "the fake init never listened");

    let refusal =
        format!("Unable to connect to init: socket {address} is served by uid 65534, not root\n");
    let started = std::time::Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_initctl"));
    command.arg("list").env("KINDLING_SOCKET", &address);
    fails(output(&mut command), &format!("initctl: {refusal}"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_initctl"));
    command
        .arg0("status")
        .arg("ssh")
        .env("KINDLING_SOCKET", &address);
    fails(output(&mut command), &format!("status: {refusal}"));
    // init run by hand: `init q` says so, `init u` (libc6's postinst) quietly does nothing.
    let mut command = Command::new(env!("CARGO_BIN_EXE_init"));
    command.arg("q").env("KINDLING_SOCKET", &address);
    fails(output(&mut command), &format!("init: {refusal}"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_init"));
    command.arg("u").env("KINDLING_SOCKET", &address);
    ok(output(&mut command), "");
    // The library says why.
    let error = kindling::control::client::request(
        &kindling::control::SocketAddress::parse(&address),
        &Request::List,
    )
    .expect_err("refused");
    assert!(
        matches!(
            error,
            kindling::control::ClientError::NotRoot { uid: 65534, .. }
        ),
        "{error:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(3));

    drop(fake);
    // Nothing was ever sent to it.
    assert_eq!(
        lines
            .map_while(Result::ok)
            .filter(|l| l.contains("HELPER request"))
            .count(),
        0
    );
}
