//! The control socket under pressure, end to end: the real init as PID 1 of a sandbox, many
//! clients at once, and the requests that must still be answered promptly (the limits in
//! `src/control/server.rs`): root's clients waiting on jobs that never get there must not
//! lock out the root `stop` that would release them, and one user holding idle connections
//! must not lock out other users or root.

mod pid1;

use kindling::control::protocol::{self, Request, Response};
use kindling::control::server::{MAX_CONNECTIONS_PER_USER, MAX_WAITING, READ_TIMEOUT};
use pid1::{Sandbox, INITCTL, TIMEOUT};
use std::io::{BufRead, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const NOBODY: u32 = 65534;
/// A second unprivileged uid (it needs no passwd entry).
const OTHER_USER: u32 = 65533;

/// Reads one response frame; `None` if the connection ends first.
fn read_response(stream: &mut UnixStream) -> Option<Response> {
    let mut prefix = [0u8; protocol::LENGTH_BYTES];
    stream.read_exact(&mut prefix).ok()?;
    let len = protocol::body_length(prefix, protocol::MAX_RESPONSE).ok()?;
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    protocol::decode_response(&body).ok()
}

/// Waits up to `within`, or until `enough` of `streams` are answered, for answers on the
/// ones not answered yet; puts them in `answered` by index (`(closed)` for a connection
/// closed without one).
fn answers(
    streams: &mut [UnixStream],
    answered: &mut [Option<Response>],
    within: Duration,
    enough: usize,
) {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let deadline = Instant::now() + within;
    while Instant::now() < deadline && answered.iter().filter(|a| a.is_some()).count() < enough {
        let open: Vec<usize> = (0..streams.len())
            .filter(|&i| answered[i].is_none())
            .collect();
        let ready: Vec<usize> = {
            let mut fds: Vec<PollFd> = open
                .iter()
                .map(|&i| PollFd::new(streams[i].as_fd(), PollFlags::POLLIN))
                .collect();
            poll(&mut fds, PollTimeout::from(100u16)).expect("poll");
            fds.iter()
                .zip(&open)
                .filter(|(fd, _)| fd.revents().is_some_and(|r| !r.is_empty()))
                .map(|(_, &i)| i)
                .collect()
        };
        for i in ready {
            let response = read_response(&mut streams[i]);
            answered[i] = Some(response.unwrap_or(Response::Error("(closed)".into())));
        }
    }
}

/// Runs `command` with a deadline: a request that hangs fails the test instead of hanging it.
fn output_within(mut command: Command, limit: Duration) -> (Output, Duration) {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_within(child, limit)
}

/// Waits for `child` to end within `limit` (from now), or kills it and fails the test.
fn wait_within(mut child: Child, limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!("no answer within {limit:?}: {output:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = started.elapsed();
    (child.wait_with_output().expect("output"), took)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const TOO_MANY_WAITING: &str =
    "Too many clients are waiting for init; try again later, or use --no-wait";

/// Root clients that each send one of `requests` on a connection of their own, after the
/// refusals came in: those beyond [`MAX_WAITING`] must be refused at once, with a clear
/// error, and the others must wait.
struct Flood {
    streams: Vec<UnixStream>,
    answered: Vec<Option<Response>>,
}

impl Flood {
    fn new(sandbox: &Sandbox, requests: &[Request]) -> Flood {
        let mut streams: Vec<UnixStream> = requests
            .iter()
            .map(|request| {
                let mut stream = UnixStream::connect(sandbox.socket()).expect("connect");
                let frame = protocol::encode_request(request).expect("encode");
                // A refused connection may be closed before this; its answer is read below.
                let _ = stream.write_all(&frame);
                stream
            })
            .collect();
        let clients = streams.len();
        let mut answered = vec![None; clients];
        answers(&mut streams, &mut answered, TIMEOUT, clients - MAX_WAITING);
        answers(
            &mut streams,
            &mut answered,
            Duration::from_millis(300),
            clients,
        );
        let refused: Vec<&Response> = answered.iter().flatten().collect();
        assert_eq!(refused.len(), clients - MAX_WAITING, "{answered:?}");
        // Which of the two depends on how far init got with reading the others when each
        // connection came in: the whole burst may be more than root's connections.
        let too_many = [
            Response::Error(TOO_MANY_WAITING.into()),
            Response::Error("Too many control connections; try again later".into()),
        ];
        for answer in refused {
            assert!(too_many.contains(answer), "{answer:?}");
        }
        Flood { streams, answered }
    }

    /// Indexes of the clients still waiting.
    fn waiting(&self) -> Vec<usize> {
        (0..self.streams.len())
            .filter(|&i| self.answered[i].is_none())
            .collect()
    }

    /// Waits until `count` more clients were answered; returns who.
    fn released(&mut self, count: usize) -> Vec<usize> {
        let before = self.waiting();
        let total = self.streams.len();
        let enough = total - before.len() + count;
        answers(&mut self.streams, &mut self.answered, TIMEOUT, enough);
        answers(
            &mut self.streams,
            &mut self.answered,
            Duration::from_millis(300),
            total,
        );
        before
            .into_iter()
            .filter(|&i| self.answered[i].is_some())
            .collect()
    }
}

/// A waited request of `kind` for `job` with `N=n`.
fn waited(kind: &str, job: &str, n: usize) -> Request {
    let (job, env) = (job.to_string(), vec![format!("N={n}")]);
    match kind {
        "start" => Request::Start {
            job,
            instance: None,
            env,
            wait: true,
        },
        _ => Request::Emit {
            name: job,
            env,
            wait: true,
        },
    }
}

/// `(stdout, stderr, exit status)` of an initctl run that must end within 10 s.
fn answered_at_once(command: Command) -> (String, String, Option<i32>) {
    let (output, _) = output_within(command, Duration::from_secs(10));
    (
        text(&output.stdout),
        text(&output.stderr),
        output.status.code(),
    )
}

#[test]
fn root_clients_waiting_on_jobs_blocked_in_pre_start_leave_room_for_root() {
    // Every instance blocks in pre-start, so every waited start of a new one waits; a
    // SIGTERM ends a pre-start successfully.
    let sandbox = Sandbox::start(
        &[(
            "blocked",
            "instance $N\npre-start script\n  trap 'exit 0' TERM\n  sleep 1000 &\n  wait\n\
             end script\nexec sleep 1000\n",
        )],
        &[],
    );
    let requests: Vec<Request> = (0..300).map(|n| waited("start", "blocked", n)).collect();
    let mut flood = Flood::new(&sandbox, &requests);
    let waiting = flood.waiting();
    sandbox.wait_for("every waiting instance's pre-start", TIMEOUT, || {
        (sandbox.find("sleep 1000").len() == MAX_WAITING).then_some(())
    });

    // Root's requests answered at once get in.
    let (first, second) = (waiting[0], waiting[1]);
    let status = sandbox.initctl_command("status", &["blocked", &format!("N={first}")]);
    let (out, err, code) = answered_at_once(status);
    assert!(
        out.starts_with(&format!("blocked ({first}) start/pre-start, process ")),
        "{out:?} {err:?}"
    );
    assert_eq!(code, Some(0));
    let (out, _, code) = answered_at_once(sandbox.initctl_command("initctl", &["list"]));
    assert_eq!((out.lines().count(), code), (MAX_WAITING, Some(0)), "{out}");
    let emit = sandbox.initctl_command("initctl", &["emit", "--no-wait", "hello"]);
    assert_eq!(
        answered_at_once(emit),
        (String::new(), String::new(), Some(0))
    );
    let stop = sandbox.initctl_command("stop", &["--no-wait", "blocked", &format!("N={first}")]);
    let (out, _, code) = answered_at_once(stop);
    let pid = out
        .strip_prefix(&format!("blocked ({first}) stop/pre-start, process "))
        .and_then(|pid| pid.trim_end().parse::<i32>().ok())
        .unwrap_or_else(|| panic!("{out:?}"));
    assert_eq!(code, Some(0));
    // Once the pre-start ends, the instance stops and its start caller is answered.
    sandbox.kill_ns(pid, libc::SIGTERM);
    assert_eq!(flood.released(1), [first]);

    // A waited stop gets in too: it is answered once the instance's pre-start ends.
    let stop = sandbox
        .initctl_command("stop", &["blocked", &format!("N={second}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stop runs");
    let pid = sandbox.wait_for("the waited stop to change the goal", TIMEOUT, || {
        let (out, _, _) = answered_at_once(
            sandbox.initctl_command("status", &["blocked", &format!("N={second}")]),
        );
        let pid = out.strip_prefix(&format!("blocked ({second}) stop/pre-start, process "))?;
        pid.trim_end().parse::<i32>().ok()
    });
    sandbox.kill_ns(pid, libc::SIGTERM);
    let (output, took) = wait_within(stop, Duration::from_secs(10));
    assert_eq!(
        (
            text(&output.stdout),
            text(&output.stderr),
            output.status.code()
        ),
        ("blocked stop/waiting\n".to_string(), String::new(), Some(0)),
        "after {took:?}"
    );
    assert_eq!(flood.released(1), [second]);
}

#[test]
fn root_clients_waiting_on_events_leave_room_for_the_stop_that_releases_them() {
    // Each event starts an instance of a task that never ends by itself.
    let sandbox = Sandbox::start(
        &[(
            "work",
            "instance $N\ntask\nstart on work\nexec sleep 1000\n",
        )],
        &[],
    );
    let requests: Vec<Request> = (0..300).map(|n| waited("emit", "work", n)).collect();
    let mut flood = Flood::new(&sandbox, &requests);
    let waiting = flood.waiting();
    sandbox.wait_for("every waiting event's task", TIMEOUT, || {
        (sandbox.find("sleep 1000").len() == MAX_WAITING).then_some(())
    });
    // root's plain, waited stop of one task gets in, is answered promptly, and finishes the
    // event its emitter waits for.
    let first = waiting[0];
    let stop = sandbox.initctl_command("stop", &["work", &format!("N={first}")]);
    assert_eq!(
        answered_at_once(stop),
        ("work stop/waiting\n".to_string(), String::new(), Some(0))
    );
    assert_eq!(flood.released(1), [first]);
    // And a new emitter may wait in the slot it left.
    let mut extra = [UnixStream::connect(sandbox.socket()).expect("connect")];
    let frame = protocol::encode_request(&waited("emit", "work", 1000)).expect("encode");
    extra[0].write_all(&frame).expect("write");
    let mut answer = [None];
    answers(&mut extra, &mut answer, Duration::from_millis(500), 1);
    assert_eq!(answer, [None], "it waits");
    sandbox.wait_for("its task", TIMEOUT, || {
        (sandbox.find("sleep 1000").len() == MAX_WAITING).then_some(())
    });
}

/// Not a test by itself: re-run as nobody by `a_user_holding_idle_connections_…`, it opens
/// `$KINDLING_TEST_IDLE_COUNT` connections to `$KINDLING_TEST_IDLE` and holds them silently
/// until its stdin closes.
#[test]
fn helper_hold_idle_connections() {
    let Ok(socket) = std::env::var("KINDLING_TEST_IDLE") else {
        return;
    };
    let count: usize = std::env::var("KINDLING_TEST_IDLE_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let held: Vec<UnixStream> = (0..count)
        .filter_map(|_| UnixStream::connect(&socket).ok())
        .collect();
    println!("HELPER held {}", held.len());
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    drop(held);
}

/// A copy of initctl every user can run (the build directory may not be reachable).
fn initctl_for_everyone(sandbox: &Sandbox) -> std::path::PathBuf {
    let bin = sandbox.dir.join("everyone-bin");
    let initctl = bin.join("initctl");
    if !initctl.exists() {
        std::fs::create_dir_all(&bin).expect("bin");
        std::fs::copy(INITCTL, &initctl).expect("copy initctl");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::set_permissions(&initctl, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::os::unix::fs::symlink("initctl", bin.join("status")).expect("link");
    }
    bin
}

fn initctl_as(bin: &Path, socket: &Path, uid: u32, prog: &str, args: &[&str]) -> Command {
    let mut command = Command::new(bin.join(prog));
    command
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("KINDLING_SOCKET", socket)
        .current_dir("/")
        .stdin(Stdio::null())
        .uid(uid)
        .gid(uid);
    command
}

/// Ends the helper however the test ends.
struct Helper(Child);

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_user_holding_idle_connections_locks_out_neither_other_users_nor_root() {
    let sandbox = Sandbox::start(&[("svc", "start on startup\nexec sleep 1000\n")], &[]);
    let svc = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    let bin = initctl_for_everyone(&sandbox);
    // nobody opens 40 connections and sends nothing on them.
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args([
            "--exact",
            "helper_hold_idle_connections",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KINDLING_TEST_IDLE", sandbox.socket())
        .env("KINDLING_TEST_IDLE_COUNT", "40")
        .uid(NOBODY)
        .gid(NOBODY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    // SAFETY: prctl with integer arguments is async-signal-safe; after the uid change, which
    // would clear it. The helper dies with this test's thread.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            Ok(())
        });
    }
    let mut helper = Helper(command.spawn().expect("helper starts"));
    let stdout = helper.0.stdout.take().expect("stdout");
    let held = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split_once("HELPER held ")
                .and_then(|(_, n)| n.parse::<usize>().ok())
        })
        .expect("the helper connected");
    let since = Instant::now();
    assert_eq!(
        held, 40,
        "every connect succeeds (refusals come as answers)"
    );
    assert!(MAX_CONNECTIONS_PER_USER < held);

    // Within the idle connections' lifetime (init drops them after READ_TIMEOUT):
    let status_line = format!("svc start/running, process {}\n", svc.ns_pid);
    let other = initctl_as(&bin, &sandbox.socket(), OTHER_USER, "status", &["svc"]);
    assert_eq!(
        answered_at_once(other),
        (status_line.clone(), String::new(), Some(0)),
        "another user is served"
    );
    let root = sandbox.initctl_command("initctl", &["list"]);
    assert_eq!(
        answered_at_once(root),
        (status_line.clone(), String::new(), Some(0)),
        "root is served"
    );
    // nobody's own share is used up: a clear refusal, at once.
    let own = initctl_as(&bin, &sandbox.socket(), NOBODY, "status", &["svc"]);
    assert_eq!(
        answered_at_once(own),
        (
            String::new(),
            format!("status: Too many control connections from uid {NOBODY}; try again later\n"),
            Some(1)
        )
    );
    assert!(
        since.elapsed() < READ_TIMEOUT,
        "inconclusive: the checks took longer than the idle connections live"
    );

    // Once init has dropped the idle ones, nobody is served again.
    std::thread::sleep(READ_TIMEOUT.saturating_sub(since.elapsed()) + Duration::from_secs(1));
    let own = initctl_as(&bin, &sandbox.socket(), NOBODY, "status", &["svc"]);
    assert_eq!(answered_at_once(own), (status_line, String::new(), Some(0)));
    drop(helper);
}
