//! What each control request means for the daemon: an engine fact, or an answer of its own.
//!
//! [`route`] is pure: it reads what it needs through [`InitView`] and returns an [`Action`];
//! the daemon carries it out (feeds the fact, parks the responder, reloads…). Job commands
//! and `list` go to the engine; `emit` becomes an event; everything the daemon knows by
//! itself (version, log priority, environment, configuration listings) is answered here.

use super::protocol::{JobTarget, Request, Response};
use crate::engine::{Command, InstanceView, Reply};
use crate::environ::Env;
use crate::event::Event;
use crate::inspect::config;
use crate::job::JobClass;
pub use crate::priority::LogPriority;

/// Upstream's message for an unknown priority name.
pub const BAD_LOG_PRIORITY: &str = "The log priority given was not recognised";
/// kindling is always the system init: the global job environment is fixed (Upstart 1.13.2
/// refuses env changes in PID 1 too).
pub const PID1_ENV: &str = "Not permissible to modify PID 1 job environment";

/// What the daemon must read to answer requests itself.
pub trait InitView {
    /// Every loaded job class.
    fn classes(&self) -> Vec<&JobClass>;
    /// The instances of `job` (empty when it has none or does not exist).
    fn instances(&self, job: &str) -> Vec<InstanceView>;
    /// The global job environment table (`PATH`, `TERM`): what `get-env`/`list-env` show
    /// outside a job.
    fn job_env(&self) -> Env;
    /// The current log priority.
    fn log_priority(&self) -> LogPriority;
}

/// What the daemon does with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this answer now.
    Answer(Response),
    /// Park the responder in `Pending` (its id is the `client`), then feed
    /// `Fact::Command { client, command }`; the engine answers with `Effect::Reply`.
    Command(Command),
    /// `wait`: park the responder and feed `Fact::Emit { event, client: Some(id) }`; the
    /// engine answers when the event has finished. Otherwise feed `client: None` and answer
    /// `Response::Ok` at once.
    Emit { event: Event, wait: bool },
    /// Re-read the configuration (as on SIGHUP), then answer `Response::Ok`.
    ReloadConfiguration,
    /// Apply the priority to init's own logging, then answer `Response::Ok`.
    SetLogPriority(LogPriority),
    /// Flush job output kept while the log directory was not writable, then answer
    /// `Response::Ok`.
    NotifyDiskWriteable,
    /// Answer `Response::Ok`, then re-execute init with its state (`telinit u`).
    ReExec,
}

impl From<Reply> for Response {
    fn from(reply: Reply) -> Response {
        match reply {
            Reply::Status(lines) => Response::Lines(lines),
            Reply::EventOk => Response::Ok,
            Reply::Error(message) => Response::Error(message),
        }
    }
}

fn env_of(pairs: &[String]) -> Env {
    let mut env = Env::new();
    for pair in pairs {
        env.set_pair(pair);
    }
    env
}

fn has_job(view: &dyn InitView, job: &str) -> bool {
    view.classes().iter().any(|class| class.name == job)
}

/// The instance `instance` of `job`, named directly (initctl inside a job).
fn find_instance(view: &dyn InitView, job: &str, instance: &str) -> Result<InstanceView, String> {
    if !has_job(view, job) {
        return Err(format!("Unknown job: {job}"));
    }
    view.instances(job)
        .into_iter()
        .find(|found| found.key.instance == instance)
        .ok_or_else(|| format!("Unknown instance: {instance}"))
}

/// The environment a job command selects its instance with. Named instances are selected by
/// their own environment (which expands to their name again), because the engine's commands
/// address instances by environment only.
fn selector(
    view: &dyn InitView,
    job: &str,
    instance: &Option<String>,
    env: &[String],
) -> Result<Env, String> {
    match instance {
        None => Ok(env_of(env)),
        Some(name) => find_instance(view, job, name).map(|found| found.env),
    }
}

/// The environment table an env command reads: an instance's, or the global one.
fn env_table(view: &dyn InitView, target: &Option<JobTarget>) -> Result<Env, String> {
    match target {
        None => Ok(view.job_env()),
        Some(target) => {
            if !has_job(view, &target.job) {
                return Err(format!("Unknown job: {}", target.job));
            }
            view.instances(&target.job)
                .into_iter()
                .find(|found| found.key.instance == target.instance)
                .map(|found| found.env)
                .ok_or_else(|| {
                    format!(
                        "Unknown instance: {} of job {}",
                        target.instance, target.job
                    )
                })
        }
    }
}

fn answer(result: Result<Vec<String>, String>) -> Action {
    Action::Answer(match result {
        Ok(lines) => Response::Lines(lines),
        Err(message) => Response::Error(message),
    })
}

fn command(result: Result<Command, String>) -> Action {
    match result {
        Ok(command) => Action::Command(command),
        Err(message) => Action::Answer(Response::Error(message)),
    }
}

/// Decides what one (authorised, validated) request means. See [`Action`].
pub fn route(request: Request, view: &dyn InitView) -> Action {
    match request {
        Request::Start {
            job,
            instance,
            env,
            wait,
        } => command(
            selector(view, &job, &instance, &env).map(|env| Command::Start {
                wait: wait && instance.is_none(),
                job,
                env,
            }),
        ),
        Request::Stop {
            job,
            instance,
            env,
            wait,
        } => command(
            selector(view, &job, &instance, &env).map(|env| Command::Stop {
                wait: wait && instance.is_none(),
                job,
                env,
            }),
        ),
        Request::Restart {
            job,
            instance,
            env,
            wait,
        } => command(
            selector(view, &job, &instance, &env).map(|env| Command::Restart {
                wait: wait && instance.is_none(),
                job,
                env,
            }),
        ),
        Request::Reload { job, instance, env } => {
            command(selector(view, &job, &instance, &env).map(|env| Command::Reload { job, env }))
        }
        Request::Status { job, instance, env } => {
            command(selector(view, &job, &instance, &env).map(|env| Command::Status { job, env }))
        }
        Request::List => Action::Command(Command::List),
        Request::Emit { name, env, wait } => Action::Emit {
            event: Event::new(name, env_of(&env)),
            wait,
        },
        Request::ReloadConfiguration => Action::ReloadConfiguration,
        Request::Version => Action::Answer(Response::Value(crate::VERSION.to_string())),
        Request::LogPriority(None) => {
            Action::Answer(Response::Value(view.log_priority().name().to_string()))
        }
        Request::LogPriority(Some(name)) => match LogPriority::parse(&name) {
            Some(priority) => Action::SetLogPriority(priority),
            None => Action::Answer(Response::Error(BAD_LOG_PRIORITY.to_string())),
        },
        Request::ShowConfig { job, enumerate } => answer(config::show_config(
            view.classes(),
            job.as_deref(),
            enumerate,
        )),
        Request::CheckConfig {
            job,
            ignore_events,
            warn,
        } => answer(config::check_config(
            view.classes(),
            job.as_deref(),
            &ignore_events,
            warn,
        )),
        Request::Usage { job } => Action::Answer(match config::usage(view.classes(), &job) {
            Ok(text) => Response::Value(text),
            Err(message) => Response::Error(message),
        }),
        Request::GetEnv { target, name } => Action::Answer(match env_table(view, &target) {
            Ok(env) => match env.get(&name) {
                Some(value) => Response::Value(value.to_string()),
                None => Response::Error(format!("No such variable: {name}")),
            },
            Err(message) => Response::Error(message),
        }),
        Request::ListEnv { target } => answer(env_table(view, &target).map(|env| env.to_pairs())),
        Request::SetEnv { .. } | Request::UnsetEnv { .. } | Request::ResetEnv { .. } => {
            Action::Answer(Response::Error(PID1_ENV.to_string()))
        }
        Request::NotifyDiskWriteable => Action::NotifyDiskWriteable,
        Request::ReExec => Action::ReExec,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::engine::{Goal, InstanceKey, State};
    use crate::job::parse_job;

    struct Fake {
        classes: Vec<JobClass>,
        instances: Vec<InstanceView>,
    }

    impl InitView for Fake {
        fn classes(&self) -> Vec<&JobClass> {
            self.classes.iter().collect()
        }
        fn instances(&self, job: &str) -> Vec<InstanceView> {
            self.instances
                .iter()
                .filter(|i| i.key.job == job)
                .cloned()
                .collect()
        }
        fn job_env(&self) -> Env {
            [("PATH", "/sbin:/bin"), ("TERM", "linux")]
                .into_iter()
                .collect()
        }
        fn log_priority(&self) -> LogPriority {
            LogPriority::Message
        }
    }

    fn fake() -> Fake {
        let mut env = Env::new();
        env.set("PATH", "/sbin:/bin");
        env.set("IFACE", "eth0");
        Fake {
            classes: vec![
                parse_job("net", "instance $IFACE\nusage \"IFACE=name\"\nexec true\n").unwrap(),
                parse_job("svc", "emits up\nstart on startup\nexec true\n").unwrap(),
            ],
            instances: vec![InstanceView {
                key: InstanceKey {
                    job: "net".into(),
                    instance: "eth0".into(),
                },
                goal: Goal::Start,
                state: State::Running,
                pids: vec![],
                env,
            }],
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn job_commands_go_to_the_engine() {
        let view = fake();
        let action = route(
            Request::Start {
                job: "svc".into(),
                instance: None,
                env: strings(&["A=1"]),
                wait: true,
            },
            &view,
        );
        let mut env = Env::new();
        env.set("A", "1");
        assert_eq!(
            action,
            Action::Command(Command::Start {
                job: "svc".into(),
                env,
                wait: true
            })
        );
        assert_eq!(route(Request::List, &view), Action::Command(Command::List));
    }

    #[test]
    fn a_named_instance_is_selected_by_its_env_and_never_waits() {
        let view = fake();
        match route(
            Request::Stop {
                job: "net".into(),
                instance: Some("eth0".into()),
                env: vec![],
                wait: true,
            },
            &view,
        ) {
            Action::Command(Command::Stop { job, env, wait }) => {
                assert_eq!(job, "net");
                assert_eq!(env.get("IFACE"), Some("eth0"));
                assert!(!wait);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            route(
                Request::Status {
                    job: "net".into(),
                    instance: Some("eth9".into()),
                    env: vec![],
                },
                &view,
            ),
            Action::Answer(Response::Error("Unknown instance: eth9".into()))
        );
        assert_eq!(
            route(
                Request::Reload {
                    job: "nosuch".into(),
                    instance: Some("".into()),
                    env: vec![],
                },
                &view,
            ),
            Action::Answer(Response::Error("Unknown job: nosuch".into()))
        );
    }

    #[test]
    fn emit_becomes_an_event() {
        let view = fake();
        let action = route(
            Request::Emit {
                name: "net-device-up".into(),
                env: strings(&["IFACE=eth0", "X=y=z"]),
                wait: false,
            },
            &view,
        );
        let mut env = Env::new();
        env.set("IFACE", "eth0");
        env.set("X", "y=z");
        assert_eq!(
            action,
            Action::Emit {
                event: Event::new("net-device-up", env),
                wait: false
            }
        );
    }

    #[test]
    fn the_daemon_answers_version_and_log_priority() {
        let view = fake();
        match route(Request::Version, &view) {
            Action::Answer(Response::Value(version)) => {
                assert!(version.starts_with("init (kindling "));
                assert!(!version.contains("upstart"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            route(Request::LogPriority(None), &view),
            Action::Answer(Response::Value("message".into()))
        );
        assert_eq!(
            route(Request::LogPriority(Some("debug".into())), &view),
            Action::SetLogPriority(LogPriority::Debug)
        );
        assert_eq!(
            route(Request::LogPriority(Some("loud".into())), &view),
            Action::Answer(Response::Error(
                "The log priority given was not recognised".into()
            ))
        );
        for p in LogPriority::ALL {
            assert_eq!(LogPriority::parse(p.name()), Some(p));
        }
    }

    #[test]
    fn environment_commands() {
        let view = fake();
        assert_eq!(
            route(
                Request::GetEnv {
                    target: None,
                    name: "TERM".into()
                },
                &view
            ),
            Action::Answer(Response::Value("linux".into()))
        );
        assert_eq!(
            route(
                Request::GetEnv {
                    target: None,
                    name: "NOPE".into()
                },
                &view
            ),
            Action::Answer(Response::Error("No such variable: NOPE".into()))
        );
        let target = Some(JobTarget {
            job: "net".into(),
            instance: "eth0".into(),
        });
        assert_eq!(
            route(
                Request::GetEnv {
                    target: target.clone(),
                    name: "IFACE".into()
                },
                &view
            ),
            Action::Answer(Response::Value("eth0".into()))
        );
        assert_eq!(
            route(Request::ListEnv { target: None }, &view),
            Action::Answer(Response::Lines(strings(&["PATH=/sbin:/bin", "TERM=linux"])))
        );
        assert_eq!(
            route(
                Request::ListEnv {
                    target: Some(JobTarget {
                        job: "net".into(),
                        instance: "wlan0".into()
                    })
                },
                &view
            ),
            Action::Answer(Response::Error("Unknown instance: wlan0 of job net".into()))
        );
        for request in [
            Request::SetEnv {
                target: None,
                vars: strings(&["A=1"]),
                retain: false,
            },
            Request::UnsetEnv {
                target,
                names: strings(&["A"]),
            },
            Request::ResetEnv { target: None },
        ] {
            assert_eq!(
                route(request, &view),
                Action::Answer(Response::Error(
                    "Not permissible to modify PID 1 job environment".into()
                ))
            );
        }
    }

    #[test]
    fn configuration_listings() {
        let view = fake();
        assert_eq!(
            route(Request::Usage { job: "net".into() }, &view),
            Action::Answer(Response::Value("IFACE=name".into()))
        );
        assert_eq!(
            route(
                Request::ShowConfig {
                    job: Some("svc".into()),
                    enumerate: false
                },
                &view
            ),
            Action::Answer(Response::Lines(strings(&[
                "svc",
                "  emits up",
                "  start on startup"
            ])))
        );
        assert_eq!(
            route(
                Request::CheckConfig {
                    job: None,
                    ignore_events: vec![],
                    warn: false
                },
                &view
            ),
            Action::Answer(Response::Lines(vec![]))
        );
        assert_eq!(
            route(Request::ReloadConfiguration, &view),
            Action::ReloadConfiguration
        );
        assert_eq!(
            route(Request::NotifyDiskWriteable, &view),
            Action::NotifyDiskWriteable
        );
    }

    #[test]
    fn engine_replies_become_responses() {
        assert_eq!(
            Response::from(Reply::Status(strings(&["a stop/waiting"]))),
            Response::Lines(strings(&["a stop/waiting"]))
        );
        assert_eq!(Response::from(Reply::EventOk), Response::Ok);
        assert_eq!(
            Response::from(Reply::Error("Event failed".into())),
            Response::Error("Event failed".into())
        );
    }
}
