//! A deterministic world for the job engine: a simulated clock, a process table and a
//! timeline of everything the engine asked for.
//!
//! The simulator answers every `Spawn` with a fresh pid (100 and up), carries out kills
//! (processes die of any group signal unless marked stubborn; SIGKILL kills everything),
//! fires timers when the test advances the clock, and records spawns, kills, finished
//! events and replies in order. Tests drive it with commands, emits and process exits and
//! assert on what the engine did; the simulator itself decides nothing about jobs.

#![allow(dead_code, unused_imports)]

use kindling::engine::{
    ClientId, Command, Effect, Engine, EngineConfig, ExitStatus, Fact, InstanceKey, InstanceView,
    Millis, Pid, Reply, TimerId,
};
use kindling::environ::Env;
use kindling::event::Event;
use kindling::job::{parse_job, ProcessKind};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

pub use kindling::job::ProcessKind::{Main, PostStart, PostStop, PreStart, PreStop};

/// The global job environment every test engine starts with (upstart.md §3.2).
pub const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin";
pub const TERM: &str = "TERM=linux";

/// Where the simulated clock starts (a booted machine's monotonic clock is never 0).
pub const T0: Millis = 1_000_000;

/// One simulated process.
#[derive(Debug, Clone)]
pub struct Proc {
    pub key: InstanceKey,
    pub kind: ProcessKind,
    pub env: Env,
    /// The `exec` line or script text the class gave for this process.
    pub command: String,
    /// The process group (the spawned process's own pid; forks inherit it).
    pub pgid: Pid,
    pub alive: bool,
}

/// One thing that happened, in order.
#[derive(Debug, Clone)]
pub enum Entry {
    /// The engine asked for a process and the simulator gave it `pid`.
    Spawn { pid: Pid },
    /// The engine asked for a process and the simulator reported a spawn failure.
    SpawnFailed { key: InstanceKey, kind: ProcessKind },
    /// `Effect::KillGroup`.
    KillGroup { pid: Pid, signal: i32 },
    /// `Effect::Kill`.
    Kill { pid: Pid, signal: i32 },
    /// `Effect::Detach`.
    Detach { pid: Pid },
    /// `Effect::EventFinished`.
    Event { event: Event, failed: bool },
    /// `Effect::Reply`.
    Reply { client: ClientId, reply: Reply },
    /// `Effect::Log`.
    Log { message: String },
    /// A process ended (delivered to the engine as `Fact::Exited`).
    Exit { pid: Pid, status: ExitStatus },
}

/// `svc` for a single-instance job, `w (1)` for an instance: as status lines name them.
pub fn key_label(key: &InstanceKey) -> String {
    if key.instance.is_empty() {
        key.job.clone()
    } else {
        format!("{} ({})", key.job, key.instance)
    }
}

/// `starting a`, `stopped w (1)` for job events; the bare name for every other event.
pub fn event_label(event: &Event) -> String {
    let job_event = matches!(
        event.name.as_str(),
        "starting" | "started" | "stopping" | "stopped"
    );
    match (job_event, event.env.get("JOB")) {
        (true, Some(job)) => {
            let instance = event.env.get("INSTANCE").unwrap_or("");
            if instance.is_empty() {
                format!("{} {}", event.name, job)
            } else {
                format!("{} {} ({})", event.name, job, instance)
            }
        }
        _ => event.name.clone(),
    }
}

/// A reply as text: the status lines joined by `\n`, `ok` for an event that finished well,
/// `error: MESSAGE`, or `(no reply)`.
pub fn render(reply: Option<&Reply>) -> String {
    match reply {
        None => "(no reply)".to_string(),
        Some(Reply::Status(lines)) => lines.join("\n"),
        Some(Reply::EventOk) => "ok".to_string(),
        Some(Reply::Error(message)) => format!("error: {message}"),
    }
}

/// Builds an [`Env`] from `("K", "v")` pairs.
pub fn env(pairs: &[(&str, &str)]) -> Env {
    pairs.iter().copied().collect()
}

/// The configuration every simulator uses unless told otherwise.
pub fn default_config() -> EngineConfig {
    let mut config = EngineConfig::default();
    config.job_env.set_pair(PATH);
    config.job_env.set_pair(TERM);
    config.init_env.extend(&config.job_env);
    config.init_env.set("HOME", "/");
    config
}

/// Parses `(name, text)` job files; panics on a parse error (a test bug).
pub fn classes(jobs: &[(&str, &str)]) -> Vec<kindling::job::JobClass> {
    jobs.iter()
        .map(|(name, text)| {
            parse_job(name, text).unwrap_or_else(|e| panic!("job {name} does not parse: {e}"))
        })
        .collect()
}

pub struct Sim {
    pub engine: Engine,
    now: Millis,
    next_pid: Pid,
    next_client: ClientId,
    procs: BTreeMap<Pid, Proc>,
    timers: BTreeMap<TimerId, Millis>,
    queue: VecDeque<Fact>,
    timeline: Vec<Entry>,
    replies: HashMap<ClientId, Reply>,
    /// Per job class and process kind: exit at once with this code, or (None) run until told.
    auto_exit: HashMap<(String, ProcessKind), Option<i32>>,
    hooks_exit: Option<i32>,
    stubborn: HashSet<String>,
    spawn_fail: HashMap<(String, ProcessKind), String>,
    /// Forked, but the child reports this setup error instead of exec'ing.
    child_fail: HashMap<(String, ProcessKind), String>,
    /// Facts handled per test action before the simulator gives up (see [`Sim::allow_runaway`]).
    step_limit: usize,
    allow_runaway: bool,
    /// Set when a test action hit the step limit with `allow_runaway`.
    pub ran_away: bool,
}

impl Sim {
    /// An engine with the default configuration and these job files loaded.
    pub fn new(jobs: &[(&str, &str)]) -> Sim {
        Sim::with_config(jobs, default_config())
    }

    pub fn with_config(jobs: &[(&str, &str)], config: EngineConfig) -> Sim {
        let mut sim = Sim {
            engine: Engine::new(config),
            now: T0,
            next_pid: 100,
            next_client: 1,
            procs: BTreeMap::new(),
            timers: BTreeMap::new(),
            queue: VecDeque::new(),
            timeline: Vec::new(),
            replies: HashMap::new(),
            auto_exit: HashMap::new(),
            hooks_exit: None,
            stubborn: HashSet::new(),
            spawn_fail: HashMap::new(),
            child_fail: HashMap::new(),
            step_limit: 10_000,
            allow_runaway: false,
            ran_away: false,
        };
        sim.feed(Fact::Configuration(classes(jobs)));
        sim
    }

    // ----- behaviour of the simulated world -----

    /// Every pre-start/post-start/pre-stop/post-stop process exits with `code` as soon as it
    /// is spawned (unless [`Sim::auto_exit`] says otherwise for that job and process).
    pub fn hooks_exit(&mut self, code: i32) -> &mut Sim {
        self.hooks_exit = Some(code);
        self
    }

    /// Processes of this kind of job `job` (class name) exit with `code` as soon as spawned.
    pub fn auto_exit(&mut self, job: &str, kind: ProcessKind, code: i32) -> &mut Sim {
        self.auto_exit.insert((job.to_string(), kind), Some(code));
        self
    }

    /// Processes of job `job` (class name) run until told (no automatic exit, not even hooks).
    pub fn manual(&mut self, job: &str) -> &mut Sim {
        for kind in ProcessKind::ALL {
            self.auto_exit.insert((job.to_string(), kind), None);
        }
        self
    }

    /// Processes of job `job` ignore every signal but SIGKILL.
    pub fn stubborn(&mut self, job: &str) -> &mut Sim {
        self.stubborn.insert(job.to_string());
        self
    }

    /// Spawning this process of job `job` fails with `error`.
    pub fn fail_spawn(&mut self, job: &str, kind: ProcessKind, error: &str) -> &mut Sim {
        self.spawn_fail
            .insert((job.to_string(), kind), error.to_string());
        self
    }

    /// This process of job `job` forks, then its child reports `error` (a missing binary,
    /// a failed chdir) and exits, as the daemon sees it: `Spawned`, `SpawnFailed`, `Exited`.
    pub fn fail_in_child(&mut self, job: &str, kind: ProcessKind, error: &str) -> &mut Sim {
        self.child_fail
            .insert((job.to_string(), kind), error.to_string());
        self
    }

    /// Lets a test action stop quietly after `limit` facts (a job that re-triggers itself).
    pub fn allow_runaway(&mut self, limit: usize) -> &mut Sim {
        self.step_limit = limit;
        self.allow_runaway = true;
        self
    }

    // ----- driving the engine -----

    pub fn now(&self) -> Millis {
        self.now
    }

    /// Loads a new configuration (an edited job file).
    pub fn reconfigure(&mut self, jobs: &[(&str, &str)]) {
        self.feed(Fact::Configuration(classes(jobs)));
    }

    /// Emits `name` with `env`; with `wait` the returned client is answered when it finished.
    pub fn emit(&mut self, name: &str, pairs: &[(&str, &str)], wait: bool) -> ClientId {
        let client = self.client();
        let event = Event::new(name, env(pairs));
        self.feed(Fact::Emit {
            event,
            client: wait.then_some(client),
        });
        client
    }

    pub fn start(&mut self, job: &str, pairs: &[(&str, &str)], wait: bool) -> ClientId {
        let (job, env) = (job.to_string(), env(pairs));
        self.command(Command::Start { job, env, wait })
    }

    pub fn stop(&mut self, job: &str, pairs: &[(&str, &str)], wait: bool) -> ClientId {
        let (job, env) = (job.to_string(), env(pairs));
        self.command(Command::Stop { job, env, wait })
    }

    pub fn restart(&mut self, job: &str, pairs: &[(&str, &str)], wait: bool) -> ClientId {
        let (job, env) = (job.to_string(), env(pairs));
        self.command(Command::Restart { job, env, wait })
    }

    pub fn reload(&mut self, job: &str, pairs: &[(&str, &str)]) -> ClientId {
        let (job, env) = (job.to_string(), env(pairs));
        self.command(Command::Reload { job, env })
    }

    pub fn status(&mut self, job: &str, pairs: &[(&str, &str)]) -> ClientId {
        let (job, env) = (job.to_string(), env(pairs));
        self.command(Command::Status { job, env })
    }

    pub fn list(&mut self) -> ClientId {
        self.command(Command::List)
    }

    /// `status JOB` answered as text (see [`Sim::answer`]).
    pub fn status_line(&mut self, job: &str) -> String {
        let client = self.status(job, &[]);
        self.answer(client)
    }

    /// `status JOB K=V…` answered as text.
    pub fn status_line_env(&mut self, job: &str, pairs: &[(&str, &str)]) -> String {
        let client = self.status(job, pairs);
        self.answer(client)
    }

    /// `list` answered as its lines, sorted (list order is unspecified).
    pub fn list_lines(&mut self) -> Vec<String> {
        let client = self.list();
        match self.reply(client) {
            Some(Reply::Status(mut lines)) => {
                lines.sort();
                lines
            }
            other => panic!("list answered {other:?}"),
        }
    }

    pub fn command(&mut self, command: Command) -> ClientId {
        let client = self.client();
        self.feed(Fact::Command { client, command });
        client
    }

    /// Process `pid` exits with `code`.
    pub fn exit(&mut self, pid: Pid, code: i32) {
        self.end(pid, ExitStatus::Exited(code));
    }

    /// Process `pid` is killed by `signal` (from outside, or a crash).
    pub fn kill_by_signal(&mut self, pid: Pid, signal: i32) {
        self.end(pid, ExitStatus::Signaled(signal));
    }

    /// The live `kind` process of `label` (`svc`, `w (1)`) exits with `code`; returns its pid.
    pub fn exit_process(&mut self, label: &str, kind: ProcessKind, code: i32) -> Pid {
        let pid = self.pid(label, kind);
        self.exit(pid, code);
        pid
    }

    /// The traced process `pid` forks (`expect fork|daemon`); returns the child's pid.
    pub fn fork(&mut self, pid: Pid) -> Pid {
        let parent = self.procs[&pid].clone();
        let child = self.next_pid;
        self.next_pid += 1;
        self.procs.insert(
            child,
            Proc {
                alive: true,
                ..parent
            },
        );
        self.feed(Fact::Forked { pid, child });
        child
    }

    /// The traced process `pid` stops itself with SIGSTOP (`expect stop`).
    pub fn raise_sigstop(&mut self, pid: Pid) {
        self.feed(Fact::Stopped { pid });
    }

    /// Moves the clock `ms` forward, firing every timer that falls due on the way.
    pub fn advance(&mut self, ms: Millis) {
        let target = self.now + ms;
        loop {
            let due = self
                .timers
                .iter()
                .filter(|(_, &at)| at <= target)
                .min_by_key(|(&id, &at)| (at, id))
                .map(|(&id, &at)| (id, at));
            let Some((id, at)) = due else { break };
            self.timers.remove(&id);
            self.now = self.now.max(at);
            self.feed(Fact::TimerFired(id));
        }
        self.now = target;
    }

    // ----- reading what happened -----

    /// What the engine answered `client`, if it has.
    pub fn reply(&self, client: ClientId) -> Option<Reply> {
        self.replies.get(&client).cloned()
    }

    /// The answer as text: the status lines joined by `\n`, `ok` for an event that finished
    /// well, `error: MESSAGE`, or `(no reply)`.
    pub fn answer(&self, client: ClientId) -> String {
        render(self.replies.get(&client))
    }

    /// The pid of the newest live `kind` process of `label`; panics when there is none.
    pub fn pid(&self, label: &str, kind: ProcessKind) -> Pid {
        self.try_pid(label, kind).unwrap_or_else(|| {
            panic!(
                "no live {kind} process of {label}\ntimeline:\n{}",
                self.labels().join("\n")
            )
        })
    }

    pub fn try_pid(&self, label: &str, kind: ProcessKind) -> Option<Pid> {
        self.procs
            .iter()
            .rev()
            .find(|(_, p)| p.alive && p.kind == kind && key_label(&p.key) == label)
            .map(|(&pid, _)| pid)
    }

    pub fn alive(&self, pid: Pid) -> bool {
        self.procs.get(&pid).is_some_and(|p| p.alive)
    }

    pub fn process(&self, pid: Pid) -> &Proc {
        &self.procs[&pid]
    }

    /// The environment `pid` was spawned with, as `KEY=VALUE` strings in order.
    pub fn env_of(&self, pid: Pid) -> Vec<String> {
        self.procs[&pid].env.to_pairs()
    }

    /// The environment of the most recently spawned `kind` process of `label`.
    pub fn last_env(&self, label: &str, kind: ProcessKind) -> Vec<String> {
        let pid = self
            .spawned_pids(label, kind)
            .last()
            .copied()
            .unwrap_or_else(|| panic!("{label} never spawned a {kind} process"));
        self.env_of(pid)
    }

    /// Every spawned process, in order: `a main`, `w (1) pre-start`.
    pub fn spawned(&self) -> Vec<String> {
        self.timeline
            .iter()
            .filter_map(|entry| match entry {
                Entry::Spawn { pid } => Some(self.proc_label(*pid)),
                _ => None,
            })
            .collect()
    }

    /// The pids the engine had spawned for `kind` of `label`, in order.
    pub fn spawned_pids(&self, label: &str, kind: ProcessKind) -> Vec<Pid> {
        self.timeline
            .iter()
            .filter_map(|entry| match entry {
                Entry::Spawn { pid }
                    if self.procs[pid].kind == kind && key_label(&self.procs[pid].key) == label =>
                {
                    Some(*pid)
                }
                _ => None,
            })
            .collect()
    }

    pub fn spawn_count(&self, label: &str, kind: ProcessKind) -> usize {
        self.spawned_pids(label, kind).len()
    }

    /// Signals the engine sent to the process group of `pid`, in order.
    pub fn group_signals(&self, pid: Pid) -> Vec<i32> {
        self.timeline
            .iter()
            .filter_map(|entry| match entry {
                Entry::KillGroup { pid: p, signal } if *p == pid => Some(*signal),
                _ => None,
            })
            .collect()
    }

    /// Signals the engine sent to `pid` alone, in order.
    pub fn signals(&self, pid: Pid) -> Vec<i32> {
        self.timeline
            .iter()
            .filter_map(|entry| match entry {
                Entry::Kill { pid: p, signal } if *p == pid => Some(*signal),
                _ => None,
            })
            .collect()
    }

    pub fn detached(&self) -> Vec<Pid> {
        self.timeline
            .iter()
            .filter_map(|entry| match entry {
                Entry::Detach { pid } => Some(*pid),
                _ => None,
            })
            .collect()
    }

    /// Every finished event, in order, labelled as [`event_label`] does.
    pub fn events_finished(&self) -> Vec<String> {
        self.finished().map(|(e, _)| event_label(e)).collect()
    }

    /// `starting`, `started`, … of `label` only, in order.
    pub fn job_events(&self, label: &str) -> Vec<String> {
        self.finished()
            .map(|(e, _)| event_label(e))
            .filter_map(|l| {
                l.split_once(' ')
                    .filter(|(_, job)| *job == label)
                    .map(|(name, _)| name.to_string())
            })
            .collect()
    }

    pub fn count_events(&self, label: &str) -> usize {
        self.finished()
            .filter(|(e, _)| event_label(e) == label)
            .count()
    }

    /// The environment of the last finished event labelled `label`: `JOB=a INSTANCE= RESULT=ok`.
    pub fn event_env(&self, label: &str) -> String {
        self.last_event(label).0.env.to_string()
    }

    /// Whether the last finished event labelled `label` failed.
    pub fn event_failed(&self, label: &str) -> bool {
        self.last_event(label).1
    }

    pub fn timeline(&self) -> &[Entry] {
        &self.timeline
    }

    /// The timeline as text, one line per entry:
    /// `spawn a main`, `spawn-failed a main`, `killgroup a main TERM`, `kill a main CONT`,
    /// `detach a main`, `event starting JOB=a INSTANCE=`, `event boom K=v (failed)`,
    /// `reply #3 ok`, `log …`, `exit a main 0`, `exit a main TERM`.
    pub fn labels(&self) -> Vec<String> {
        self.timeline.iter().map(|e| self.entry_label(e)).collect()
    }

    /// Asserts that `expected` lines occur in the timeline in this order (others may interleave).
    pub fn assert_in_order(&self, expected: &[&str]) {
        let labels = self.labels();
        let mut at = 0;
        for want in expected {
            match labels[at..].iter().position(|l| l == want) {
                Some(i) => at += i + 1,
                None => panic!(
                    "`{want}` not found in order (wanted {expected:?})\ntimeline:\n{}",
                    labels.join("\n")
                ),
            }
        }
    }

    /// The engine's view of `label`'s instance as `goal/state`, or `None` when it has none.
    pub fn goal_state(&self, label: &str) -> Option<String> {
        self.view(label)
            .map(|v| format!("{}/{}", v.goal.name(), v.state.name()))
    }

    pub fn view(&self, label: &str) -> Option<InstanceView> {
        let job = label.split(" (").next().unwrap_or(label);
        self.engine
            .instances(job)
            .into_iter()
            .find(|v| key_label(&v.key) == label)
    }

    // ----- the machinery -----

    fn client(&mut self) -> ClientId {
        let client = self.next_client;
        self.next_client += 1;
        client
    }

    fn end(&mut self, pid: Pid, status: ExitStatus) {
        let proc = self
            .procs
            .get_mut(&pid)
            .unwrap_or_else(|| panic!("no process {pid}"));
        assert!(proc.alive, "process {pid} already ended");
        proc.alive = false;
        self.feed(Fact::Exited { pid, status });
    }

    fn feed(&mut self, fact: Fact) {
        self.queue.push_back(fact);
        let mut steps = 0;
        while let Some(fact) = self.queue.pop_front() {
            steps += 1;
            if steps > self.step_limit {
                assert!(
                    self.allow_runaway,
                    "more than {} facts for one action: runaway\ntimeline tail:\n{}",
                    self.step_limit,
                    self.labels()
                        .iter()
                        .rev()
                        .take(40)
                        .rev()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("\n")
                );
                self.ran_away = true;
                self.queue.clear();
                return;
            }
            if let Fact::Exited { pid, status } = &fact {
                self.timeline.push(Entry::Exit {
                    pid: *pid,
                    status: *status,
                });
            }
            for effect in self.engine.handle(self.now, fact) {
                self.apply(effect);
            }
            if self.queue.is_empty() && self.engine.busy() {
                // The engine stopped short of idle (its per-fact budget): go on, as the
                // daemon does once it has served everything else.
                self.queue.push_back(Fact::Continue);
            }
        }
    }

    /// Handles one fact and nothing after it: what the daemon gets back from one call.
    pub fn handle_once(&mut self, fact: Fact) -> Vec<Effect> {
        self.engine.handle(self.now, fact)
    }

    pub fn busy(&self) -> bool {
        self.engine.busy()
    }

    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::Spawn {
                key,
                process,
                class,
                env,
            } => {
                let job = key.job.clone();
                if let Some(error) = self.spawn_fail.get(&(job.clone(), process)).cloned() {
                    self.timeline.push(Entry::SpawnFailed {
                        key: key.clone(),
                        kind: process,
                    });
                    self.queue.push_back(Fact::SpawnFailed {
                        key,
                        process,
                        error,
                    });
                    return;
                }
                let pid = self.next_pid;
                self.next_pid += 1;
                let command = class
                    .process(process)
                    .map(|p| p.command.clone())
                    .unwrap_or_default();
                let child_error = self.child_fail.get(&(job.clone(), process)).cloned();
                let exit_code = match self.auto_exit.get(&(job, process)) {
                    Some(&setting) => setting,
                    None if process != ProcessKind::Main => self.hooks_exit,
                    None => None,
                };
                self.procs.insert(
                    pid,
                    Proc {
                        key: key.clone(),
                        kind: process,
                        env,
                        command,
                        pgid: pid,
                        alive: exit_code.is_none(),
                    },
                );
                self.timeline.push(Entry::Spawn { pid });
                if let Some(error) = child_error {
                    self.queue.push_back(Fact::Spawned {
                        key: key.clone(),
                        process,
                        pid,
                    });
                    self.timeline.push(Entry::SpawnFailed {
                        key: key.clone(),
                        kind: process,
                    });
                    self.queue.push_back(Fact::SpawnFailed {
                        key,
                        process,
                        error,
                    });
                    self.procs.remove(&pid);
                    self.queue.push_back(Fact::Exited {
                        pid,
                        status: ExitStatus::Exited(255),
                    });
                    return;
                }
                self.queue.push_back(Fact::Spawned { key, process, pid });
                self.queue.push_back(Fact::Execed { pid });
                if let Some(code) = exit_code {
                    self.queue.push_back(Fact::Exited {
                        pid,
                        status: ExitStatus::Exited(code),
                    });
                }
            }
            Effect::KillGroup { pid, signal } => {
                self.timeline.push(Entry::KillGroup { pid, signal });
                let Some(pgid) = self.procs.get(&pid).map(|p| p.pgid) else {
                    return;
                };
                let victims: Vec<Pid> = self
                    .procs
                    .iter()
                    .filter(|(_, p)| p.alive && p.pgid == pgid)
                    .filter(|(_, p)| signal == libc::SIGKILL || !self.stubborn.contains(&p.key.job))
                    .map(|(&pid, _)| pid)
                    .collect();
                if signal == 0 || signal == libc::SIGCONT {
                    return;
                }
                for victim in victims {
                    self.procs.get_mut(&victim).unwrap().alive = false;
                    self.queue.push_back(Fact::Exited {
                        pid: victim,
                        status: ExitStatus::Signaled(signal),
                    });
                }
            }
            Effect::Kill { pid, signal } => self.timeline.push(Entry::Kill { pid, signal }),
            Effect::Detach { pid } => self.timeline.push(Entry::Detach { pid }),
            Effect::ArmTimer { timer, after } => {
                self.timers.insert(timer, self.now + after);
            }
            Effect::CancelTimer(timer) => {
                self.timers.remove(&timer);
            }
            Effect::Reply { client, reply } => {
                if let Some(first) = self.replies.get(&client) {
                    panic!("client #{client} answered twice: {first:?}, then {reply:?}");
                }
                self.replies.insert(client, reply.clone());
                self.timeline.push(Entry::Reply { client, reply });
            }
            Effect::EventFinished { event, failed } => {
                self.timeline.push(Entry::Event { event, failed });
            }
            Effect::Log { message, .. } => self.timeline.push(Entry::Log { message }),
        }
    }

    fn finished(&self) -> impl DoubleEndedIterator<Item = (&Event, bool)> {
        self.timeline.iter().filter_map(|entry| match entry {
            Entry::Event { event, failed } => Some((event, *failed)),
            _ => None,
        })
    }

    fn last_event(&self, label: &str) -> (&Event, bool) {
        self.finished()
            .rev()
            .find(|(e, _)| event_label(e) == label)
            .unwrap_or_else(|| {
                panic!(
                    "no event `{label}` finished; finished: {:?}",
                    self.events_finished()
                )
            })
    }

    fn proc_label(&self, pid: Pid) -> String {
        match self.procs.get(&pid) {
            Some(p) => format!("{} {}", key_label(&p.key), p.kind),
            None => format!("pid {pid}"),
        }
    }

    fn entry_label(&self, entry: &Entry) -> String {
        let sig = |s: i32| kindling::signal::name(s);
        match entry {
            Entry::Spawn { pid } => format!("spawn {}", self.proc_label(*pid)),
            Entry::SpawnFailed { key, kind } => format!("spawn-failed {} {kind}", key_label(key)),
            Entry::KillGroup { pid, signal } => {
                format!("killgroup {} {}", self.proc_label(*pid), sig(*signal))
            }
            Entry::Kill { pid, signal } => {
                format!("kill {} {}", self.proc_label(*pid), sig(*signal))
            }
            Entry::Detach { pid } => format!("detach {}", self.proc_label(*pid)),
            Entry::Event { event, failed } => {
                let suffix = if *failed { " (failed)" } else { "" };
                format!("event {event}{suffix}")
            }
            Entry::Reply { client, reply } => format!("reply #{client} {}", render(Some(reply))),
            Entry::Log { message } => format!("log {message}"),
            Entry::Exit { pid, status } => match status {
                ExitStatus::Exited(code) => format!("exit {} {code}", self.proc_label(*pid)),
                ExitStatus::Signaled(s) => format!("exit {} {}", self.proc_label(*pid), sig(*s)),
            },
        }
    }
}
