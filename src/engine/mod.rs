//! The job engine: goals, the ten states, the event queue, blocking and respawn.
//!
//! Pure and deterministic: [`Engine::handle`] takes the time and one [`Fact`] and returns the
//! [`Effect`]s the daemon must carry out. It never forks, signals, sleeps or reads a clock;
//! process ids are opaque numbers the daemon hands in. The daemon answers every
//! [`Effect::Spawn`] with [`Fact::Spawned`] or [`Fact::SpawnFailed`] before any other fact,
//! and a `Spawned` child later with [`Fact::Execed`] or [`Fact::SpawnFailed`] (before its
//! [`Fact::Exited`]): a child's setup can fail after the fork, and only the child knows.
//!
//! Layout: [`condition`] (partial matches), [`instance`] (one instance, the transition
//! table, status lines), `queue` (events and who blocks them), `lifecycle` (entering
//! states, process ends, failure, respawn), `commands` (start/stop/restart/…).

mod api;
mod commands;
mod condition;
mod instance;
mod lifecycle;
mod queue;
pub(crate) mod snapshot;
mod table;

pub use api::*;
pub use snapshot::Restored;

use crate::environ::Env;
use crate::event::Event;
use crate::job::JobClass;
use condition::Condition;
use instance::{Instance, Request};
use queue::PendingEvent;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use table::ClassTable;

/// Identifies one event while it is queued or being handled.
pub(crate) type EventId = u64;

/// Queue steps (an event handled or finished) one fact may take before the engine hands
/// control back to the daemon; see `run_queue`.
pub const STEPS_PER_FACT: usize = 256;

/// Starts of one instance without the queue going idle that are taken for a loop.
pub const LOOP_WARNING: u32 = 100;

/// A job class as loaded, with what the engine keeps beside it.
#[derive(Clone)]
pub(crate) struct ClassEntry {
    class: Rc<JobClass>,
    /// `PATH`/`TERM` + `env` stanzas: the base of every instance's environment, and what
    /// `$VAR` in `start on` expands against.
    env: Rc<Env>,
    start_on: Option<Condition>,
    /// By instance name.
    instances: BTreeMap<String, Instance>,
    /// Removed from the configuration; kept until its last instance has stopped.
    deleted: bool,
}

/// The engine. See the module documentation.
///
/// Cloning it is cheap (the class table and the interest index are shared, see [`table`]):
/// the daemon keeps a clone from before each fact and goes back to it if the fact panics, so
/// that a bug never leaves the engine half-updated.
#[derive(Clone)]
pub struct Engine {
    /// Shared with clones; it changes only with `set_log_priority`.
    config: Rc<EngineConfig>,
    classes: ClassTable,
    /// Event name → the classes (in name order) whose `start on` or `stop on` names it, so
    /// that an event only visits the jobs that can care. Rebuilt only on configuration.
    interested: Rc<HashMap<String, Rc<[String]>>>,
    /// Shared with clones like the class table: events held by partial matches can be many.
    events: BTreeMap<EventId, Rc<PendingEvent>>,
    next_event: EventId,
    next_timer: TimerId,
    /// Kill timers → the instance whose main process they will SIGKILL.
    timers: HashMap<TimerId, InstanceKey>,
    /// Every live job process → its instance and role.
    processes: HashMap<Pid, (InstanceKey, crate::job::ProcessKind)>,
    /// Per instance: how often it entered `starting` since the queue was last idle (a loop
    /// of events with no process in between is logged once, at [`LOOP_WARNING`]).
    starts_in_a_row: HashMap<InstanceKey, u32>,
    /// Clients to answer once the current fact has been fully handled.
    replies: Vec<(ClientId, PendingReply)>,
    effects: Vec<Effect>,
    now: Millis,
}

/// An answer decided while handling a fact, worded once everything has settled (so that a
/// waited `stop` prints `svc stop/waiting`, as initctl's follow-up status query does).
#[derive(Clone)]
enum PendingReply {
    Ready(Reply),
    StatusOf(InstanceKey),
    /// A waited `stop` that ended: worded once a `start` that cancelled it during pre-stop
    /// has taken the job back to running (what initctl's follow-up status query shows).
    StatusAfterStop(InstanceKey),
    Failed(Request),
}

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        Engine {
            config: Rc::new(config),
            classes: ClassTable::default(),
            interested: Rc::default(),
            events: BTreeMap::new(),
            next_event: 1,
            next_timer: 1,
            timers: HashMap::new(),
            processes: HashMap::new(),
            starts_in_a_row: HashMap::new(),
            replies: Vec::new(),
            effects: Vec::new(),
            now: 0,
        }
    }

    /// Handles one fact at time `now` and runs the event queue until it is idle, or for at
    /// most [`STEPS_PER_FACT`] steps: while [`Engine::busy`], feed [`Fact::Continue`].
    pub fn handle(&mut self, now: Millis, fact: Fact) -> Vec<Effect> {
        self.now = now;
        match fact {
            Fact::Configuration(classes) => self.load_configuration(classes),
            Fact::Emit { event, client } => {
                if event.name.is_empty() {
                    if let Some(client) = client {
                        self.reply(client, Reply::Error("Name may not be empty string".into()));
                    }
                } else {
                    self.emit(event, client);
                }
            }
            Fact::Command { client, command } => self.command(client, command),
            Fact::Spawned { key, process, pid } => self.spawned(&key, process, pid),
            Fact::Execed { pid } => self.execed(pid),
            Fact::SpawnFailed {
                key,
                process,
                error,
            } => self.spawn_failed(&key, process, &error),
            Fact::Exited { pid, status } => self.exited(pid, status),
            Fact::Forked { pid, child } => self.forked(pid, child),
            Fact::ExecAfterFork { pid } => self.exec_after_fork(pid),
            Fact::Stopped { pid } => self.stopped(pid),
            Fact::TimerFired(timer) => self.timer_fired(timer),
            Fact::Continue => {}
        }
        self.run_queue(STEPS_PER_FACT);
        self.send_replies();
        std::mem::take(&mut self.effects)
    }

    /// Changes which [`Effect::Log`] lines are produced from now on.
    pub fn set_log_priority(&mut self, priority: LogPriority) {
        Rc::make_mut(&mut self.config).log_priority = priority;
    }

    /// Every instance of `job` (none when it is stopped or unknown).
    pub fn instances(&self, job: &str) -> Vec<InstanceView> {
        let Some(entry) = self.classes.get(job) else {
            return Vec::new();
        };
        entry
            .instances
            .values()
            .map(|instance| InstanceView {
                key: instance.key(),
                goal: instance.goal,
                state: instance.state,
                pids: crate::job::ProcessKind::ALL
                    .iter()
                    .filter_map(|&kind| instance.pid(kind).map(|pid| (kind, pid)))
                    .collect(),
                env: instance.env.clone(),
            })
            .collect()
    }

    /// Is `job` a known class?
    pub fn has_job(&self, job: &str) -> bool {
        self.classes.contains_key(job)
    }

    /// The classes loaded, by name (deleted ones that still run included).
    pub fn classes(&self) -> impl Iterator<Item = &JobClass> {
        self.classes.values().map(|entry| entry.class.as_ref())
    }

    /// `initctl list` lines: one status block per instance, `NAME stop/waiting` for idle classes.
    pub fn list(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (name, entry) in self.classes.iter() {
            if entry.instances.is_empty() {
                lines.push(format!("{name} stop/waiting"));
            }
            for instance in entry.instances.values() {
                lines.extend(instance.status_lines());
            }
        }
        lines
    }

    /// Events queued or being handled (for tests and re-exec).
    pub fn pending_events(&self) -> Vec<Event> {
        self.events.values().map(|e| e.event.clone()).collect()
    }

    /// Replaces the configuration. Unchanged classes keep their partial matches; a changed
    /// class takes effect for new instances while running ones keep their definition; a
    /// removed class disappears once its last instance has stopped.
    fn load_configuration(&mut self, classes: Vec<JobClass>) {
        let mut seen = std::collections::HashSet::new();
        for class in classes {
            seen.insert(class.name.clone());
            if let Some(entry) = self.classes.get_mut(&class.name) {
                // A class put back after its removal lost its `start on` condition with it:
                // it is set up again below even when the file is unchanged.
                let was_deleted = std::mem::replace(&mut entry.deleted, false);
                if *entry.class == class && !was_deleted {
                    continue;
                }
            }
            let class = Rc::new(class);
            let env = self.class_environment(&class);
            let start_on = class.start_on.as_ref().map(Condition::new);
            match self.classes.get_mut(&class.name) {
                Some(entry) => {
                    let released = entry
                        .start_on
                        .as_mut()
                        .map(|c| c.reset())
                        .unwrap_or_default();
                    entry.class = class;
                    entry.env = Rc::new(env);
                    entry.start_on = start_on;
                    self.unblock_all(&released);
                }
                None => {
                    let name = class.name.clone();
                    self.classes.insert(
                        &name,
                        ClassEntry {
                            class,
                            env: Rc::new(env),
                            start_on,
                            instances: BTreeMap::new(),
                            deleted: false,
                        },
                    );
                }
            }
        }
        let gone: Vec<String> = self
            .classes
            .names()
            .filter(|name| !seen.contains(*name))
            .map(str::to_string)
            .collect();
        for name in gone {
            let Some(entry) = self.classes.get_mut(&name) else {
                continue;
            };
            let released = entry
                .start_on
                .take()
                .map(|mut c| c.reset())
                .unwrap_or_default();
            if entry.instances.is_empty() {
                self.classes.remove(&name);
            } else {
                entry.deleted = true;
            }
            self.unblock_all(&released);
        }
        self.index_interest();
    }

    /// Rebuilds [`Engine::interested`]: the current definitions' conditions, and the `stop on`
    /// of instances still running an older definition.
    fn index_interest(&mut self) {
        let mut index: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (name, entry) in self.classes.iter() {
            let mut conditions = vec![entry.class.start_on.as_ref(), entry.class.stop_on.as_ref()];
            conditions.extend(entry.instances.values().map(|i| i.class.stop_on.as_ref()));
            for leaf in conditions.into_iter().flatten().flat_map(|c| c.leaves()) {
                let names = index.entry(leaf.name.as_str()).or_default();
                if names.last().map(String::as_str) != Some(name) {
                    names.push(name.to_string());
                }
            }
        }
        self.interested = Rc::new(
            index
                .into_iter()
                .map(|(event, names)| (event.to_string(), Rc::from(names)))
                .collect(),
        );
    }

    /// `PATH`, `TERM` and the class's `env` stanzas (Upstart's `job_class_environment()`).
    fn class_environment(&self, class: &JobClass) -> Env {
        let mut env = self.config.job_env.clone();
        for stanza in &class.env {
            match &stanza.value {
                Some(value) => env.set(&stanza.key, value),
                None => {
                    if let Some(value) = self.config.init_env.get(&stanza.key) {
                        env.set(&stanza.key, value);
                    }
                }
            }
        }
        env
    }

    fn instance(&self, key: &InstanceKey) -> Option<&Instance> {
        self.classes.get(&key.job)?.instances.get(&key.instance)
    }

    fn instance_mut(&mut self, key: &InstanceKey) -> Option<&mut Instance> {
        self.classes
            .get_mut(&key.job)?
            .instances
            .get_mut(&key.instance)
    }

    fn log(&mut self, level: LogPriority, message: impl FnOnce() -> String) {
        if level >= self.config.log_priority {
            self.effects.push(Effect::Log {
                level,
                message: message(),
            });
        }
    }

    fn reply(&mut self, client: ClientId, reply: Reply) {
        self.replies.push((client, PendingReply::Ready(reply)));
    }

    fn send_replies(&mut self) {
        let mut later = Vec::new();
        for (client, pending) in std::mem::take(&mut self.replies) {
            let reply = match pending {
                PendingReply::Ready(reply) => reply,
                PendingReply::Failed(request) => Reply::Error(request.failure_message().into()),
                PendingReply::StatusAfterStop(key)
                    if self
                        .instance(&key)
                        .is_some_and(|i| i.state == State::PreStop && i.goal == Goal::Start) =>
                {
                    later.push((client, PendingReply::StatusAfterStop(key)));
                    continue;
                }
                PendingReply::StatusOf(key) | PendingReply::StatusAfterStop(key) => {
                    Reply::Status(match self.instance(&key) {
                        Some(instance) => instance.status_lines(),
                        None => vec![format!("{} stop/waiting", key.job)],
                    })
                }
            };
            self.effects.push(Effect::Reply { client, reply });
        }
        self.replies = later;
    }
}
