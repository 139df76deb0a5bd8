//! Nothing that can hang may stop init from reaping and answering (issue 11, item 5): a user
//! database that never answers, a log disk that never completes a write, a huge conf tree
//! edited in a burst, a console that is not ready. Each test makes the hang real inside the
//! sandbox's namespace and checks that init keeps answering `initctl` and reaping jobs.

mod pid1;

use kindling::control::client::request_with_timeout;
use kindling::control::{Request, Response, SocketAddress};
use pid1::{Sandbox, TIMEOUT};
use std::time::{Duration, Instant};

/// How long an answer may take while something else hangs. Generous for 2 shared cores and a
/// debug build, far below "never".
const PROMPT: Duration = Duration::from_secs(2);

/// Asks init once; the answer (None: no answer within `limit`) and how long it took.
fn ask(sandbox: &Sandbox, request: Request, limit: Duration) -> (Option<Response>, Duration) {
    let address = SocketAddress::Path(sandbox.socket());
    let start = Instant::now();
    let answer = request_with_timeout(&address, &request, Some(limit)).ok();
    (answer, start.elapsed())
}

fn status(job: &str) -> Request {
    Request::Status {
        job: job.into(),
        instance: None,
        env: Vec::new(),
    }
}

/// init answers `request` within [`PROMPT`]; returns the answer.
fn answers(sandbox: &Sandbox, request: Request) -> Response {
    let what = format!("{request:?}");
    match ask(sandbox, request, PROMPT) {
        (Some(answer), _) => answer,
        (None, took) => panic!("init did not answer {what} within {took:?}"),
    }
}

fn lines(response: &Response) -> String {
    match response {
        Response::Lines(lines) => lines.join("\n"),
        Response::Value(value) => value.clone(),
        other => format!("{other:?}"),
    }
}

/// Runs a keyboard-request round: the `kbd` task appends a line to `out/answers`; init must
/// start it and reap it promptly.
fn kbd_round(sandbox: &Sandbox, round: usize) {
    let start = Instant::now();
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_lines("answers", round, TIMEOUT);
    sandbox.wait_for_log_count("kbd main process", round, TIMEOUT);
    let took = start.elapsed();
    assert!(took < PROMPT, "round {round} took {took:?}");
    let status = lines(&answers(sandbox, status("kbd")));
    assert_eq!(status, "kbd stop/waiting", "round {round}");
    assert!(sandbox.zombies().is_empty(), "{:?}", sandbox.zombies());
}

const KBD: &str = "start on keyboard-request\ntask\nconsole none\n\
                   exec sh -c 'echo x >> @OUT@/answers'\n";

#[test]
fn a_user_lookup_that_hangs_does_not_stop_init() {
    // getpwnam("nobody") opens /etc/passwd; a FIFO nobody writes makes that open wait forever,
    // as an LDAP/SSSD/NIS server that does not answer would.
    let setup = r#"mkfifo "$dir/passwd.fifo" "$dir/group.fifo"
        mount --bind "$dir/passwd.fifo" /etc/passwd
        mount --bind "$dir/group.fifo" /etc/group"#;
    let stuck = "start on startup\nsetuid nobody\nconsole none\nexec sleep 1000\n";
    let grouped = "start on startup\nsetgid nogroup\nconsole none\nexec sleep 1001\n";
    let sandbox = Sandbox::start_prepared(
        &[("stuck", stuck), ("grouped", grouped), ("kbd", KBD)],
        &[],
        setup,
    );

    // init answers while both children wait on the user database…
    let (answer, took) = ask(&sandbox, Request::Version, PROMPT);
    assert!(answer.is_some(), "no answer to version within {took:?}");
    let listed = lines(&answers(&sandbox, Request::List));
    assert!(listed.contains("stuck start/"), "{listed}");
    assert!(listed.contains("grouped start/"), "{listed}");
    // … the blocked processes are the forked children, not init …
    sandbox.wait_for("the children blocked in the lookup", TIMEOUT, || {
        let procs = sandbox.processes();
        (procs.len() == 2 && procs.iter().all(|p| p.state == 'S')).then_some(())
    });
    // … and other jobs still run and are reaped at once.
    for round in 1..=3 {
        kbd_round(&sandbox, round);
    }

    // `stop` works: it kills the child waiting in getpwnam.
    let stopped = answers(
        &sandbox,
        Request::Stop {
            job: "stuck".into(),
            instance: None,
            env: Vec::new(),
            wait: false,
        },
    );
    assert!(!matches!(stopped, Response::Error(_)), "{stopped:?}");
    sandbox.wait_for("stuck to stop", TIMEOUT, || {
        (lines(&answers(&sandbox, status("stuck"))) == "stuck stop/waiting").then_some(())
    });
    assert!(sandbox.zombies().is_empty(), "{:?}", sandbox.zombies());
}

#[test]
fn inits_console_descriptors_are_non_blocking() {
    // A serial console waiting for carrier must not hold PID 1 in open(2) or write(2): init
    // opens /dev/console with O_NONBLOCK and keeps it so.
    let sandbox = Sandbox::start(&[], &["--no-startup-event"]);
    for fd in 0..3 {
        let info = std::fs::read_to_string(format!("/proc/{}/fdinfo/{fd}", sandbox.init_pid()))
            .expect("fdinfo");
        let flags = info
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .and_then(|v| i64::from_str_radix(v.trim(), 8).ok())
            .expect("flags");
        assert_ne!(
            flags & i64::from(libc::O_NONBLOCK),
            0,
            "fd {fd}: flags {flags:o}"
        );
        let target = std::fs::read_link(format!("/proc/{}/fd/{fd}", sandbox.init_pid())).unwrap();
        assert_eq!(target, std::path::Path::new("/dev/console"), "fd {fd}");
    }
}
