//! Helpers for the `control_*` and `initctl_*` tests, included by each with `#[path]` (built
//! alone it is an empty test target).
//!
//! [`FakeInit`] runs the real control [`Server`] on its own thread (a tokio current-thread
//! runtime with a `LocalSet`, as init runs it) at a private abstract address, with a fake
//! daemon behind it: requests go through [`route`] over a fixed set of job classes, and the
//! engine's part is played by canned answers. Every request that reaches the daemon is
//! recorded with its peer.
#![allow(dead_code)]

use kindling::control::{
    route, Action, Incoming, InitView, LogPriority, Peer, Request, Response, Server, SocketAddress,
};
use kindling::engine::{Command, Goal, InstanceKey, InstanceView, State};
use kindling::environ::Env;
use kindling::job::{parse_job, JobClass};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// A control address no other test (or init) uses.
pub fn unique_address() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "@/org/kindling/test/{}/{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// The job classes the fake init has loaded.
pub fn classes() -> Vec<JobClass> {
    let job = |name: &str, text: &str| parse_job(name, text).expect("test job parses");
    vec![
        job("svc", "emits up\nstart on startup\nexec sleep 100\n"),
        job(
            "tty",
            "instance $TTY\nusage \"TTY=name\"\nstart on stopped rc\nexec getty $TTY\n",
        ),
        job(
            "rc",
            "task\nstart on runlevel [0123456]\nexec /etc/init.d/rc\n",
        ),
        job("plain", "exec true\n"),
    ]
}

struct View {
    classes: Vec<JobClass>,
}

impl InitView for View {
    fn classes(&self) -> Vec<&JobClass> {
        self.classes.iter().collect()
    }

    fn instances(&self, job: &str) -> Vec<InstanceView> {
        let mut env = Env::new();
        env.set("PATH", "/sbin:/bin");
        match job {
            "svc" => vec![InstanceView {
                key: InstanceKey {
                    job: "svc".into(),
                    instance: "".into(),
                },
                goal: Goal::Start,
                state: State::Running,
                pids: vec![],
                env,
            }],
            "tty" => {
                env.set("TTY", "tty1");
                vec![InstanceView {
                    key: InstanceKey {
                        job: "tty".into(),
                        instance: "tty1".into(),
                    },
                    goal: Goal::Start,
                    state: State::Running,
                    pids: vec![],
                    env,
                }]
            }
            _ => vec![],
        }
    }

    fn job_env(&self) -> Env {
        [
            ("TERM", "linux"),
            (
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin",
            ),
        ]
        .into_iter()
        .collect()
    }

    fn log_priority(&self) -> LogPriority {
        LogPriority::Message
    }
}

/// What the fake engine answers to a command.
fn engine_answer(command: &Command) -> Response {
    let lines = |lines: &[&str]| Response::Lines(lines.iter().map(|s| s.to_string()).collect());
    match command {
        Command::List => lines(&[
            "plain stop/waiting",
            "rc stop/waiting",
            "svc start/running, process 42",
            "tty (tty1) start/running, process 43",
        ]),
        Command::Start { job, .. }
        | Command::Stop { job, .. }
        | Command::Restart { job, .. }
        | Command::Reload { job, .. }
        | Command::Status { job, .. }
            if !["svc", "tty", "rc", "plain", "slow", "hangup-probe"].contains(&job.as_str()) =>
        {
            Response::Error(format!("Unknown job: {job}"))
        }
        Command::Start { job, env, .. } if job == "tty" && env.get("TTY").is_none() => {
            Response::Error("Unknown parameter: TTY\nUsage: TTY=name".into())
        }
        Command::Start { job, .. } if job == "svc" => {
            Response::Error("Job is already running: svc".into())
        }
        Command::Start { job, wait, .. } if job == "rc" => {
            if *wait {
                lines(&["rc stop/waiting"])
            } else {
                lines(&["rc start/starting"])
            }
        }
        Command::Start { job, .. } | Command::Restart { job, .. } => {
            Response::Lines(vec![format!("{job} start/running, process 99")])
        }
        Command::Stop { job, .. } => Response::Lines(vec![format!("{job} stop/waiting")]),
        Command::Reload { job, .. } if job == "plain" => {
            Response::Error("Job is not running: plain".into())
        }
        Command::Reload { .. } => Response::Lines(vec![]),
        Command::Status { job, env } if job == "tty" => match env.get("TTY") {
            Some("tty1") => lines(&["tty (tty1) start/running, process 43"]),
            Some(other) => Response::Error(format!("Unknown instance: {other}")),
            None => Response::Error("Unknown parameter: TTY".into()),
        },
        Command::Status { job, .. } if job == "svc" => {
            lines(&["svc start/running, process 42", "\tpost-start process 44"])
        }
        Command::Status { job, .. } => Response::Lines(vec![format!("{job} stop/waiting")]),
    }
}

/// A running fake init. See the module documentation.
pub struct FakeInit {
    /// `KINDLING_SOCKET` for clients.
    pub address: String,
    requests: Arc<Mutex<Vec<(Peer, Request)>>>,
    hangups: Arc<AtomicUsize>,
}

impl FakeInit {
    pub fn start() -> FakeInit {
        FakeInit::start_with(|server| server)
    }

    /// Starts with the server adjusted by `configure` (timeouts, limits).
    pub fn start_with(configure: fn(Server) -> Server) -> FakeInit {
        let address = unique_address();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let recorded = requests.clone();
        let hangups = Arc::new(AtomicUsize::new(0));
        let seen_hangups = hangups.clone();
        let bind_address = address.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                let server = match Server::bind(&SocketAddress::parse(&bind_address)) {
                    Ok(server) => configure(server),
                    Err(error) => {
                        let _ = ready_tx.send(Err(error.to_string()));
                        return;
                    }
                };
                let (tx, rx) = mpsc::channel(16);
                tokio::task::spawn_local(async move {
                    let _ = server.run(tx).await;
                });
                let _ = ready_tx.send(Ok(()));
                fake_daemon(rx, recorded, seen_hangups).await;
            });
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("fake init starts")
            .expect("fake init binds");
        FakeInit {
            address,
            requests,
            hangups,
        }
    }

    /// How many clients waiting for `start hangup-probe` were seen to hang up.
    pub fn hangups(&self) -> usize {
        self.hangups.load(Ordering::SeqCst)
    }

    /// Every request the daemon received so far.
    pub fn requests(&self) -> Vec<(Peer, Request)> {
        self.requests.lock().expect("lock").clone()
    }

    /// The last request the daemon received.
    pub fn last(&self) -> Option<Request> {
        self.requests().pop().map(|(_, request)| request)
    }

    pub fn socket(&self) -> SocketAddress {
        SocketAddress::parse(&self.address)
    }
}

async fn fake_daemon(
    mut rx: mpsc::Receiver<Incoming>,
    recorded: Arc<Mutex<Vec<(Peer, Request)>>>,
    hangups: Arc<AtomicUsize>,
) {
    let view = View { classes: classes() };
    while let Some(incoming) = rx.recv().await {
        recorded
            .lock()
            .expect("lock")
            .push((incoming.peer, incoming.request.clone()));
        let action = route(incoming.request, &view);
        let response = match action {
            Action::Answer(response) => response,
            Action::Command(command) => {
                let slow = match &command {
                    Command::Start { job, .. } if job == "slow" => {
                        Some("slow start/running, process 7")
                    }
                    Command::Stop { job, .. } if job == "slow" => Some("slow stop/waiting"),
                    _ => None,
                };
                if let Some(line) = slow {
                    // Answered later, while other clients are served.
                    let reply = incoming.reply;
                    tokio::task::spawn_local(async move {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                        reply.send(Response::Lines(vec![line.into()]));
                    });
                    continue;
                }
                if matches!(&command, Command::Start { job, .. } if job == "hangup-probe") {
                    // Never answered: counts the client once the server saw it go.
                    let reply = incoming.reply;
                    let hangups = hangups.clone();
                    tokio::task::spawn_local(async move {
                        for _ in 0..250 {
                            if reply.is_closed() {
                                hangups.fetch_add(1, Ordering::SeqCst);
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    });
                    continue;
                }
                engine_answer(&command)
            }
            Action::Emit { event, wait } => {
                if event.name == "fail" && wait {
                    Response::Error("Event failed".into())
                } else {
                    Response::Ok
                }
            }
            Action::ReloadConfiguration
            | Action::SetLogPriority(_)
            | Action::NotifyDiskWriteable
            | Action::ReExec => Response::Ok,
        };
        incoming.reply.send(response);
    }
}
