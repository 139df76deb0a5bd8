//! The control server and client together, in process: a real [`Server`] with a fake daemon
//! behind it, and clients (well-behaved, garbage, oversized, slow, half-closed) on threads.

#[path = "control_common.rs"]
mod common;

use common::FakeInit;
use kindling::control::protocol::{self, Request, Response};
use kindling::control::{client, Server, SocketAddress};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

fn connect(init: &FakeInit) -> UnixStream {
    let addr = init.socket().to_socket_addr().expect("address");
    let stream = UnixStream::connect_addr(&addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
}

/// Reads one response frame and then expects the server to close the connection. A server
/// that closes with part of a garbage request unread makes the kernel report
/// `ECONNRESET` after the answer; that counts as closed too.
fn read_response_then_eof(stream: &mut UnixStream) -> Response {
    let mut prefix = [0u8; protocol::LENGTH_BYTES];
    stream.read_exact(&mut prefix).expect("a response frame");
    let len = protocol::body_length(prefix, protocol::MAX_RESPONSE).expect("length");
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).expect("the response body");
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "nothing after the response"),
        Err(error) => assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset),
    }
    protocol::decode_response(&body).expect("a response")
}

fn expect_error(response: Response, starts_with: &str) {
    match response {
        Response::Error(message) => assert!(
            message.starts_with(starts_with),
            "{message:?} should start with {starts_with:?}"
        ),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn a_client_gets_its_answer() {
    let init = FakeInit::start();
    let response = client::request(&init.socket(), &Request::Version).expect("answer");
    match response {
        Response::Value(version) => assert!(version.starts_with("init (kindling ")),
        other => panic!("{other:?}"),
    }
    let response = client::request(&init.socket(), &Request::List).expect("answer");
    assert!(matches!(response, Response::Lines(lines) if lines.len() == 4));
    assert_eq!(init.requests().len(), 2);
    assert_eq!(init.requests()[0].0.uid, nix::unistd::getuid().as_raw());
    assert_eq!(init.requests()[0].0.pid, Some(std::process::id() as i32));
}

#[test]
fn garbage_gets_an_error_and_is_dropped() {
    let init = FakeInit::start();

    // A frame of another protocol version.
    let mut stream = connect(&init);
    stream.write_all(&[0, 0, 0, 2, 9, 0x06]).expect("write");
    expect_error(
        read_response_then_eof(&mut stream),
        "Invalid request: Unsupported protocol version 9",
    );

    // An unknown message kind.
    let mut stream = connect(&init);
    stream.write_all(&[0, 0, 0, 2, 1, 0x55]).expect("write");
    expect_error(
        read_response_then_eof(&mut stream),
        "Invalid request: Unknown message kind 0x55",
    );

    // Text: its first four bytes read as a huge length.
    let mut stream = connect(&init);
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").expect("write");
    expect_error(
        read_response_then_eof(&mut stream),
        "Invalid request: Message too large",
    );

    // A well-framed body that does not decode.
    let mut stream = connect(&init);
    stream
        .write_all(&[0, 0, 0, 6, 1, 0x0d, 0xff, 0xff, 0xff, 0xff])
        .expect("write");
    expect_error(
        read_response_then_eof(&mut stream),
        "Invalid request: Truncated",
    );

    assert!(init.requests().is_empty(), "no garbage reaches the daemon");
    // And the server still serves.
    assert_eq!(
        client::request(&init.socket(), &Request::LogPriority(None)).expect("answer"),
        Response::Value("message".into())
    );
}

#[test]
fn an_oversized_frame_is_refused_before_it_is_read() {
    let init = FakeInit::start();
    let mut stream = connect(&init);
    let len = (protocol::MAX_REQUEST + 1) as u32;
    stream.write_all(&len.to_be_bytes()).expect("write");
    expect_error(
        read_response_then_eof(&mut stream),
        "Invalid request: Message too large (65537 bytes)",
    );
    // The client refuses to build one in the first place.
    let huge = Request::Emit {
        name: "x".into(),
        env: vec![format!("A={}", "x".repeat(protocol::MAX_REQUEST))],
        wait: false,
    };
    let error = client::request(&init.socket(), &huge).expect_err("too large");
    assert!(error.to_string().starts_with("Request too large"));
    assert!(init.requests().is_empty());
}

#[test]
fn a_slow_client_is_dropped_while_others_are_served() {
    let init = FakeInit::start_with(|server| server.with_read_timeout(Duration::from_millis(1000)));
    let started = Instant::now();
    let mut silent = connect(&init);
    let mut partial = connect(&init);
    partial
        .write_all(&[0, 0, 0, 2, 1])
        .expect("write half a frame");

    // Served at once, while both slow connections are still open.
    let response = client::request(&init.socket(), &Request::Version).expect("answer");
    assert!(matches!(response, Response::Value(_)));
    let mut buf = [0u8; 16];
    for stream in [&mut silent, &mut partial] {
        stream.set_nonblocking(true).expect("nonblocking");
        let still_open = stream.read(&mut buf).expect_err("nothing to read yet");
        assert_eq!(still_open.kind(), std::io::ErrorKind::WouldBlock);
        stream.set_nonblocking(false).expect("blocking");
    }

    // After the timeout both are closed without an answer.
    assert_eq!(silent.read(&mut buf).expect("eof"), 0);
    assert_eq!(partial.read(&mut buf).expect("eof"), 0);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "dropped after {waited:?}"
    );
    assert!(waited < Duration::from_secs(8), "dropped after {waited:?}");
}

#[test]
fn half_closed_clients() {
    let init = FakeInit::start();

    // Hung up in the middle of a frame: nothing to answer, nothing reaches the daemon.
    let mut stream = connect(&init);
    stream.write_all(&[0, 0, 0, 9, 1]).expect("write");
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("shutdown");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("eof");
    assert!(bytes.is_empty());

    // A whole request, then the writing side shut: still answered.
    let mut stream = connect(&init);
    let frame = protocol::encode_request(&Request::Version).expect("encode");
    stream.write_all(&frame).expect("write");
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("shutdown");
    assert!(matches!(
        read_response_then_eof(&mut stream),
        Response::Value(_)
    ));
    assert_eq!(init.requests().len(), 1);
}

#[test]
fn a_waiting_client_does_not_block_the_others() {
    let init = FakeInit::start();
    let socket = init.socket();
    let slow = std::thread::spawn(move || {
        let started = Instant::now();
        let response = client::request(
            &socket,
            &Request::Start {
                job: "slow".into(),
                instance: None,
                env: vec![],
                wait: true,
            },
        );
        (response, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..5 {
        let response = client::request(
            &init.socket(),
            &Request::Status {
                job: "svc".into(),
                instance: None,
                env: vec![],
            },
        )
        .expect("answer");
        assert!(matches!(response, Response::Lines(_)));
    }
    assert!(
        !slow.is_finished(),
        "the others were served while it waited"
    );
    let (response, took) = slow.join().expect("thread");
    assert_eq!(
        response.expect("answer"),
        Response::Lines(vec!["slow start/running, process 7".into()])
    );
    assert!(took >= Duration::from_millis(1400), "took {took:?}");
}

#[test]
fn a_waiting_client_that_hangs_up_is_noticed() {
    let init = FakeInit::start();
    let mut stream = connect(&init);
    let frame = protocol::encode_request(&Request::Start {
        job: "hangup-probe".into(),
        instance: None,
        env: vec![],
        wait: true,
    })
    .expect("encode");
    stream.write_all(&frame).expect("write");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(init.hangups(), 0, "still connected");
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(4);
    while init.hangups() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(init.hangups(), 1, "the responder reports the client gone");
}

#[test]
fn many_clients_at_once() {
    let init = FakeInit::start();
    let threads: Vec<_> = (0..40)
        .map(|i| {
            let socket = init.socket();
            std::thread::spawn(move || {
                let request = if i % 2 == 0 {
                    Request::Version
                } else {
                    Request::List
                };
                client::request(&socket, &request)
            })
        })
        .collect();
    for thread in threads {
        assert!(thread.join().expect("thread").is_ok());
    }
    assert_eq!(init.requests().len(), 40);
}

#[test]
fn connections_beyond_the_root_limit_are_refused_at_once() {
    let init = FakeInit::start_with(|server| {
        server
            .with_max_connections(2)
            .with_read_timeout(Duration::from_millis(600))
    });
    let _silent = [connect(&init), connect(&init)];
    std::thread::sleep(Duration::from_millis(50));
    // Refused with a clear answer, not left in the listen backlog.
    let started = Instant::now();
    let response = client::request(&init.socket(), &Request::Version).expect("an answer");
    assert_eq!(
        response,
        Response::Error("Too many control connections; try again later".into())
    );
    assert!(started.elapsed() < Duration::from_millis(400));
    // Served again once the silent connections' slots were freed by their timeout.
    std::thread::sleep(Duration::from_millis(800));
    let response = client::request(&init.socket(), &Request::Version).expect("answer");
    assert!(matches!(response, Response::Value(_)), "{response:?}");
}

fn waited(kind: &str, job: &str) -> Request {
    let (job, instance, env, wait) = (job.to_string(), None, vec![], true);
    match kind {
        "start" => Request::Start {
            job,
            instance,
            env,
            wait,
        },
        "stop" => Request::Stop {
            job,
            instance,
            env,
            wait,
        },
        _ => Request::Emit {
            name: job,
            env,
            wait,
        },
    }
}

const TOO_MANY_WAITING: &str =
    "Too many clients are waiting for init; try again later, or use --no-wait";

#[test]
fn waiting_clients_leave_room_for_a_stop_and_for_answers_at_once() {
    let init = FakeInit::start_with(|server| server.with_max_connections(4).with_max_waiting(1, 2));
    // One client waits (for ever: the fake daemon never answers it).
    let mut parked = connect(&init);
    let frame = protocol::encode_request(&waited("start", "hangup-probe")).expect("encode");
    parked.write_all(&frame).expect("write");
    std::thread::sleep(Duration::from_millis(100));

    // No room for another waited start or emit: refused at once, and never sent on.
    let started = Instant::now();
    for request in [waited("start", "slow"), waited("emit", "up")] {
        let response = client::request(&init.socket(), &request).expect("answer");
        assert_eq!(response, Response::Error(TOO_MANY_WAITING.into()));
    }
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(init.requests().len(), 1);

    // A waited stop still gets in, and waits its 1.5 s.
    let socket = init.socket();
    let stop = std::thread::spawn(move || client::request(&socket, &waited("stop", "slow")));
    std::thread::sleep(Duration::from_millis(200));
    // A second one would fill the last slot: refused.
    let response = client::request(&init.socket(), &waited("stop", "slow")).expect("answer");
    assert_eq!(response, Response::Error(TOO_MANY_WAITING.into()));
    // Requests answered at once always get in.
    let started = Instant::now();
    let response = client::request(&init.socket(), &Request::Version).expect("answer");
    assert!(matches!(response, Response::Value(_)), "{response:?}");
    let no_wait = Request::Emit {
        name: "up".into(),
        env: vec![],
        wait: false,
    };
    assert_eq!(
        client::request(&init.socket(), &no_wait).expect("answer"),
        Response::Ok
    );
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(!stop.is_finished());
    assert_eq!(
        stop.join().expect("thread").expect("answer"),
        Response::Lines(vec!["slow stop/waiting".into()])
    );
    // Its slot is free again.
    let socket = init.socket();
    let stop = std::thread::spawn(move || client::request(&socket, &waited("stop", "slow")));
    assert_eq!(
        stop.join().expect("thread").expect("answer"),
        Response::Lines(vec!["slow stop/waiting".into()])
    );
    drop(parked);
}

/// Not a test by itself: re-run as another user by `hold_as`, it holds a silent connection
/// and reports when the server closes it, with the error message it was sent, if any.
/// Ignored, so that it never counts as a test that passed: the parent runs it with
/// `--ignored`.
#[test]
#[ignore = "a helper process of users_cannot_crowd_root_out"]
fn helper_hold_connection() {
    let address = std::env::var("KINDLING_TEST_HOLD").expect("KINDLING_TEST_HOLD");
    let addr = SocketAddress::parse(&address)
        .to_socket_addr()
        .expect("address");
    let mut stream = UnixStream::connect_addr(&addr).expect("connect");
    println!("HELPER connected");
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let message = match answer.get(protocol::LENGTH_BYTES..) {
        Some(body) => match protocol::decode_response(body) {
            Ok(Response::Error(message)) => message,
            other => format!("{other:?}"),
        },
        None => String::new(),
    };
    println!("HELPER closed {} {message}", started.elapsed().as_millis());
}

type HelperLines = std::io::Lines<std::io::BufReader<std::process::ChildStdout>>;

const NOBODY: u32 = 65534;
/// A second unprivileged uid (it needs no passwd entry).
const OTHER_USER: u32 = 65533;

/// Starts `helper_hold_connection` as `uid`; returns it once it is connected.
fn hold_as(init: &FakeInit, uid: u32) -> (std::process::Child, HelperLines) {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "helper_hold_connection",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KINDLING_TEST_HOLD", &init.address)
        .uid(uid)
        .gid(uid)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("helper starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        // libtest writes `test NAME ... ` before the test's own output, on the same line.
        if line.expect("helper output").ends_with("HELPER connected") {
            return (child, lines);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("helper never connected");
}

fn hold_as_nobody(init: &FakeInit) -> (std::process::Child, HelperLines) {
    hold_as(init, NOBODY)
}

/// How long after connecting the helper saw its connection closed, and what it was told.
fn closed_with(mut child: std::process::Child, lines: HelperLines) -> (Duration, String) {
    let mut closed = None;
    for line in lines {
        let line = line.expect("helper output");
        if let Some((_, rest)) = line.split_once("HELPER closed ") {
            let (ms, message) = rest.split_once(' ').unwrap_or((rest, ""));
            closed = Some((
                Duration::from_millis(ms.parse().expect("ms")),
                message.to_string(),
            ));
        }
    }
    let _ = child.wait();
    closed.expect("helper reports the close")
}

fn closed_after(child: std::process::Child, lines: HelperLines) -> Duration {
    closed_with(child, lines).0
}

#[test]
fn users_cannot_crowd_root_out() {
    assert!(
        nix::unistd::getuid().is_root(),
        "needs root to connect as nobody: run the tests as root (CI does)"
    );
    let init = FakeInit::start_with(|server| {
        server
            .with_max_user_connections(1)
            .with_read_timeout(Duration::from_millis(1500))
    });
    let (first, first_lines) = hold_as_nobody(&init);
    // The user's only slot is taken: a second connection is closed at once.
    let (second, second_lines) = hold_as_nobody(&init);
    assert!(closed_after(second, second_lines) < Duration::from_millis(1000));
    // Root is served at once all the same.
    let started = Instant::now();
    let response = client::request(&init.socket(), &Request::Version).expect("answer");
    assert!(matches!(response, Response::Value(_)));
    assert!(started.elapsed() < Duration::from_millis(1000));
    // The silent one is dropped after the read timeout.
    let held = closed_after(first, first_lines);
    assert!(held >= Duration::from_millis(1000), "held {held:?}");
}

/// Runs the real initctl as `uid` against `init`.
fn initctl_as(init: &FakeInit, uid: u32, args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    std::process::Command::new(env!("CARGO_BIN_EXE_initctl"))
        .args(args)
        .env("KINDLING_SOCKET", &init.address)
        .env_remove("UPSTART_JOB")
        .uid(uid)
        .gid(uid)
        .output()
        .expect("initctl runs")
}

#[test]
fn one_user_cannot_crowd_out_the_others() {
    assert!(
        nix::unistd::getuid().is_root(),
        "needs root to connect as other users: run the tests as root (CI does)"
    );
    let init = FakeInit::start_with(|server| {
        server
            .with_max_user_connections(4)
            .with_max_connections_per_user(2)
            .with_read_timeout(Duration::from_millis(3000))
    });
    let held = [hold_as_nobody(&init), hold_as_nobody(&init)];
    // nobody's share is used up: its next connection is refused at once, saying why.
    let (refused, lines) = hold_as_nobody(&init);
    let (after, message) = closed_with(refused, lines);
    assert!(
        after < Duration::from_millis(1000),
        "refused after {after:?}"
    );
    assert_eq!(
        message,
        "Too many control connections from uid 65534; try again later"
    );
    // Another user and root are served at once.
    let started = Instant::now();
    let other = initctl_as(&init, OTHER_USER, &["status", "svc"]);
    assert_eq!(
        String::from_utf8_lossy(&other.stdout),
        "svc start/running, process 42\n\tpost-start process 44\n",
        "{other:?}"
    );
    let root = client::request(&init.socket(), &Request::List).expect("answer");
    assert!(matches!(root, Response::Lines(_)), "{root:?}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    // The held ones are dropped after the read timeout, without an answer.
    for (child, lines) in held {
        let (after, message) = closed_with(child, lines);
        assert!(after >= Duration::from_millis(2500), "held {after:?}");
        assert_eq!(message, "");
    }
}

#[test]
fn the_users_share_as_a_whole_is_bounded_too() {
    assert!(
        nix::unistd::getuid().is_root(),
        "needs root to connect as other users: run the tests as root (CI does)"
    );
    let init = FakeInit::start_with(|server| {
        server
            .with_max_user_connections(2)
            .with_read_timeout(Duration::from_millis(2000))
    });
    let held = [hold_as(&init, NOBODY), hold_as(&init, OTHER_USER)];
    let refused = initctl_as(&init, 65532, &["status", "svc"]);
    assert_eq!(
        (
            String::from_utf8_lossy(&refused.stderr).into_owned(),
            refused.status.code()
        ),
        (
            "initctl: Too many control connections from users; try again later\n".to_string(),
            Some(1)
        )
    );
    // Root's share is apart.
    let root = client::request(&init.socket(), &Request::List).expect("answer");
    assert!(matches!(root, Response::Lines(_)), "{root:?}");
    for (child, lines) in held {
        closed_after(child, lines);
    }
}

#[test]
fn invalid_arguments_are_refused_by_the_server() {
    let init = FakeInit::start();
    let response = client::request(
        &init.socket(),
        &Request::Emit {
            name: "".into(),
            env: vec![],
            wait: true,
        },
    )
    .expect("answer");
    assert_eq!(
        response,
        Response::Error("Name may not be empty string".into())
    );
    let response = client::request(
        &init.socket(),
        &Request::Start {
            job: "svc".into(),
            instance: None,
            env: vec!["NOEQUALS".into()],
            wait: true,
        },
    )
    .expect("answer");
    assert_eq!(
        response,
        Response::Error("Env must be KEY=VALUE pairs".into())
    );
    assert!(init.requests().is_empty());
}

#[test]
fn path_sockets_are_world_connectable_and_replace_stale_files() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let dir = std::env::temp_dir().join(format!("kindling-control-{}", std::process::id()));
    let path = dir.join("sub").join("control");
    let _ = std::fs::remove_dir_all(&dir);
    let address = SocketAddress::Path(path.clone());

    let first = Server::bind(&address).expect("bind creates the directory");
    let meta = std::fs::metadata(&path).expect("socket file");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o666);

    // Someone listens: a second init must not steal the socket.
    let error = Server::bind(&address).expect_err("in use");
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);

    // Its owner is gone: the stale file is replaced.
    drop(first);
    assert!(path.exists());
    let second = Server::bind(&address).expect("stale file replaced");
    assert_eq!(second.address(), &address);
    drop(second);

    // Never removes what is not a socket.
    std::fs::remove_file(&path).expect("remove");
    std::fs::write(&path, "precious").expect("write");
    let error = Server::bind(&address).expect_err("not a socket");
    assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read_to_string(&path).expect("kept"), "precious");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_client_reports_a_missing_init() {
    let address = SocketAddress::parse(&common::unique_address());
    let error = client::request(&address, &Request::Version).expect_err("nobody listens");
    assert_eq!(
        error.to_string(),
        format!(
            "Unable to connect to init: Failed to connect to socket {address}: Connection refused"
        )
    );
}

/// A listener at `path` that never accepts, its backlog full: a blocking connect to it
/// waits until it accepts, that is for ever. Returns it and the queued connections.
fn wedged_listener(path: &std::path::Path) -> (std::os::fd::OwnedFd, Vec<std::os::fd::OwnedFd>) {
    use nix::sys::socket::{
        bind, connect, listen, socket, AddressFamily, Backlog, SockFlag, SockType, UnixAddr,
    };
    use std::os::fd::AsRawFd;
    let listener = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .expect("socket");
    let addr = UnixAddr::new(path).expect("address");
    bind(listener.as_raw_fd(), &addr).expect("bind");
    listen(&listener, Backlog::new(0).expect("backlog")).expect("listen");
    let mut queued = Vec::new();
    loop {
        let client = socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )
        .expect("socket");
        match connect(client.as_raw_fd(), &addr) {
            Ok(()) => queued.push(client),
            Err(nix::errno::Errno::EAGAIN) => break,
            Err(errno) => panic!("connect: {errno}"),
        }
        assert!(queued.len() < 100, "the backlog never filled");
    }
    (listener, queued)
}

#[test]
fn binding_beside_a_listener_that_never_accepts_does_not_block() {
    let dir = std::env::temp_dir().join(format!("kindling-wedged-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("control");
    let wedged = wedged_listener(&path);

    let (tx, rx) = std::sync::mpsc::channel();
    let address = SocketAddress::Path(path.clone());
    std::thread::spawn(move || {
        let _ = tx.send(Server::bind(&address).map(drop));
    });
    let result = rx
        .recv_timeout(Duration::from_secs(3))
        .expect("bind returns at once instead of waiting for the listener");
    let error = result.expect_err("someone listens");
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    assert!(path.exists(), "the live listener's socket is left alone");
    drop(wedged);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_client_gives_up_on_a_listener_that_never_accepts() {
    let dir = std::env::temp_dir().join(format!("kindling-wedged-client-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("control");
    let wedged = wedged_listener(&path);
    let address = SocketAddress::Path(path.clone());
    let started = Instant::now();
    let error = client::request(&address, &Request::Version).expect_err("no answer");
    let took = started.elapsed();
    assert_eq!(
        error.to_string(),
        format!(
            "Unable to connect to init: Failed to connect to socket {}: Connection timed out",
            path.display()
        )
    );
    assert!(
        took >= client::CONNECT_TIMEOUT - Duration::from_millis(100)
            && took < client::CONNECT_TIMEOUT + Duration::from_secs(2),
        "gave up after {took:?}"
    );
    drop(wedged);
    let _ = std::fs::remove_dir_all(&dir);
}
