//! The engine's whole state as text, for a stateful re-exec: the running image writes it, the
//! new image reads it back, and every instance, partial match, queued event and waiting client
//! carries on as if nothing happened.
//!
//! Format (versioned by its first token, `kindling-engine-state 1`): a stream of
//! whitespace-separated tokens read in a fixed order. Strings are `=` followed by the
//! percent-encoded bytes (so the empty string is `=`), optional values are `-` or the value,
//! lists are a count followed by the items. Pure: no I/O; a malformed or truncated text is
//! an error, never a panic.

use super::condition::Condition;
use super::instance::{Blocked, Failure, Instance, Request};
use super::queue::{PendingEvent, Progress, Waiter};
use super::{ClassEntry, Engine, EngineConfig, Goal, InstanceKey, PendingReply, State};
use crate::environ::Env;
use crate::event::{Event, EventExpr, EventMatch, MatchArg};
use crate::job::{
    Cgroup, Console, EnvStanza, Expect, JobClass, Limit, Process, ProcessKind, Resource,
};
use std::collections::BTreeMap;
use std::rc::Rc;

const MAGIC: &str = "kindling-engine-state";
const VERSION: u32 = 2;

impl Engine {
    /// Serialises the whole engine (see the module header).
    pub fn save(&self) -> String {
        let mut out = Out::default();
        out.word(MAGIC);
        out.num(VERSION as u64);
        out.num(self.next_event);
        out.num(self.next_timer);
        out.num(self.classes.len() as u64);
        for entry in self.classes.values() {
            out.class(&entry.class);
            out.flag(entry.deleted);
            out.matches(entry.start_on.as_ref());
            out.num(entry.instances.len() as u64);
            for instance in entry.instances.values() {
                out.instance(instance, &entry.class);
            }
        }
        out.num(self.events.len() as u64);
        for (id, pending) in &self.events {
            out.num(*id);
            out.event(&pending.event);
            out.flag(pending.progress == Progress::Handling);
            out.num(pending.blockers as u64);
            out.flag(pending.failed);
            out.num(pending.waiters.len() as u64);
            for waiter in &pending.waiters {
                match waiter {
                    Waiter::Job(key) => {
                        out.word("job");
                        out.string(&key.job);
                        out.string(&key.instance);
                    }
                    Waiter::Client(client) => {
                        out.word("client");
                        out.num(*client);
                    }
                }
            }
            out.flag(pending.spares.is_some());
            out.string(pending.spares.as_deref().unwrap_or(""));
        }
        // Answers held back until a cancelled stop has settled (see `send_replies`).
        let deferred: Vec<_> = self
            .replies
            .iter()
            .filter_map(|(client, reply)| match reply {
                PendingReply::StatusAfterStop(key) => Some((*client, key)),
                _ => None,
            })
            .collect();
        out.num(deferred.len() as u64);
        for (client, key) in deferred {
            out.num(client);
            out.string(&key.job);
            out.string(&key.instance);
        }
        out.text
    }

    /// Rebuilds an engine from [`Engine::save`]'s text. Timers are not re-armed here: the
    /// caller arms [`Engine::timers`] again (the clock of the new image starts afresh).
    pub fn restore(config: EngineConfig, text: &str) -> Result<Engine, String> {
        let mut input = In::new(text);
        if input.word()? != MAGIC {
            return Err("not a kindling engine state".into());
        }
        let version = input.num()?;
        if version == 0 || version > u64::from(VERSION) {
            return Err(format!("unsupported state version {version}"));
        }
        input.version = version;
        let mut engine = Engine::new(config);
        engine.next_event = input.num()?;
        engine.next_timer = input.num()?;
        let classes = input.count()?;
        for _ in 0..classes {
            let class = Rc::new(input.class()?);
            let deleted = input.flag()?;
            let start_on = input.condition(class.start_on.as_ref())?;
            let env = engine.class_environment(&class);
            let mut instances = BTreeMap::new();
            for _ in 0..input.count()? {
                let instance = input.instance(&class)?;
                instances.insert(instance.name.clone(), instance);
            }
            let name = class.name.clone();
            engine.classes.insert(
                &name,
                ClassEntry {
                    class,
                    env: Rc::new(env),
                    start_on,
                    instances,
                    deleted,
                },
            );
        }
        for _ in 0..input.count()? {
            let id = input.num()?;
            let event = input.event()?;
            let handling = input.flag()?;
            let blockers = input.num()? as usize;
            let failed = input.flag()?;
            let mut waiters = Vec::new();
            for _ in 0..input.count()? {
                waiters.push(match input.word()? {
                    "job" => Waiter::Job(InstanceKey {
                        job: input.string()?,
                        instance: input.string()?,
                    }),
                    "client" => Waiter::Client(input.num()?),
                    other => return Err(format!("unknown waiter {other}")),
                });
            }
            let spares = if input.version >= 2 && input.flag()? {
                Some(input.string()?)
            } else {
                if input.version >= 2 {
                    input.string()?;
                }
                None
            };
            let progress = if handling {
                Progress::Handling
            } else {
                Progress::Pending
            };
            engine.events.insert(
                id,
                Rc::new(PendingEvent {
                    event,
                    progress,
                    blockers,
                    failed,
                    waiters,
                    spares,
                }),
            );
        }
        for _ in 0..input.count()? {
            let client = input.num()?;
            let key = InstanceKey {
                job: input.string()?,
                instance: input.string()?,
            };
            engine
                .replies
                .push((client, PendingReply::StatusAfterStop(key)));
        }
        // Derived tables: which pid is whose, which timer kills whom, who cares for what.
        for entry in engine.classes.values() {
            for instance in entry.instances.values() {
                let key = instance.key();
                for kind in ProcessKind::ALL {
                    if let Some(pid) = instance.pid(kind) {
                        engine.processes.insert(pid, (key.clone(), kind));
                    }
                }
                if let Some(timer) = instance.kill_timer {
                    engine.timers.insert(timer, key.clone());
                }
            }
        }
        engine.index_interest();
        Ok(engine)
    }

    /// Kill timers the new image must arm again (they restart with the full timeout).
    pub fn timers(&self) -> Vec<(super::TimerId, super::Millis)> {
        self.timers
            .iter()
            .filter_map(|(timer, key)| {
                let instance = self.instance(key)?;
                Some((*timer, u64::from(instance.class.kill_timeout) * 1000))
            })
            .collect()
    }

    /// Every client waiting for an answer (its connection must survive the re-exec).
    pub fn waiting_clients(&self) -> Vec<super::ClientId> {
        let mut clients = Vec::new();
        for pending in self.events.values() {
            for waiter in &pending.waiters {
                if let Waiter::Client(client) = waiter {
                    clients.push(*client);
                }
            }
        }
        for entry in self.classes.values() {
            for instance in entry.instances.values() {
                for blocked in &instance.blocking {
                    if let Blocked::Client(client, _) = blocked {
                        clients.push(*client);
                    }
                }
            }
        }
        clients
    }

    /// Every live job process (so a new image that cannot read the state can still say
    /// which processes were init's).
    pub fn pids(&self) -> Vec<super::Pid> {
        self.processes.keys().copied().collect()
    }
}

#[derive(Default)]
struct Out {
    text: String,
}

impl Out {
    fn word(&mut self, word: &str) {
        self.text.push_str(word);
        self.text.push(' ');
    }

    fn num(&mut self, n: u64) {
        self.word(&n.to_string());
    }

    fn int(&mut self, n: i64) {
        self.word(&n.to_string());
    }

    fn flag(&mut self, flag: bool) {
        self.word(if flag { "1" } else { "0" });
    }

    fn string(&mut self, s: &str) {
        self.text.push_str(&encode_string(s));
        self.text.push(' ');
    }

    fn opt_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.word("-"),
        }
    }

    fn opt_int(&mut self, n: Option<i64>) {
        match n {
            Some(n) => self.int(n),
            None => self.word("-"),
        }
    }

    fn strings(&mut self, list: &[String]) {
        self.num(list.len() as u64);
        for s in list {
            self.string(s);
        }
    }

    fn env(&mut self, env: &Env) {
        self.num(env.len() as u64);
        for (key, value) in env.iter() {
            self.string(key);
            self.string(value);
        }
    }

    fn opt_env(&mut self, env: Option<&Env>) {
        match env {
            Some(env) => {
                self.word("+");
                self.env(env);
            }
            None => self.word("-"),
        }
    }

    fn event(&mut self, event: &Event) {
        self.string(&event.name);
        self.env(&event.env);
    }

    fn expr(&mut self, expr: Option<&EventExpr>) {
        let Some(expr) = expr else {
            self.word("-");
            return;
        };
        match expr {
            EventExpr::And(left, right) | EventExpr::Or(left, right) => {
                self.word(if matches!(expr, EventExpr::And(..)) {
                    "and"
                } else {
                    "or"
                });
                self.expr(Some(left));
                self.expr(Some(right));
            }
            EventExpr::Match(leaf) => {
                self.word("match");
                self.string(&leaf.name);
                self.num(leaf.args.len() as u64);
                for arg in &leaf.args {
                    match arg {
                        MatchArg::Positional(value) => {
                            self.word("p");
                            self.string(value);
                        }
                        MatchArg::Equal(key, value) => {
                            self.word("e");
                            self.string(key);
                            self.string(value);
                        }
                        MatchArg::NotEqual(key, value) => {
                            self.word("n");
                            self.string(key);
                            self.string(value);
                        }
                    }
                }
            }
        }
    }

    fn matches(&mut self, condition: Option<&Condition>) {
        let matched = condition.map(Condition::matched).unwrap_or_default();
        self.num(matched.len() as u64);
        for id in matched {
            self.opt_int(id.map(|id| id as i64));
        }
    }

    fn process(&mut self, process: Option<&Process>) {
        match process {
            Some(process) => {
                self.flag(process.script);
                self.string(&process.command);
            }
            None => self.word("-"),
        }
    }

    fn class(&mut self, class: &JobClass) {
        self.string(&class.name);
        self.opt_string(class.description.as_deref());
        self.opt_string(class.author.as_deref());
        self.opt_string(class.version.as_deref());
        self.opt_string(class.usage.as_deref());
        self.string(&class.instance);
        self.num(class.env.len() as u64);
        for stanza in &class.env {
            self.string(&stanza.key);
            self.opt_string(stanza.value.as_deref());
        }
        self.strings(&class.export);
        self.strings(&class.emits);
        self.expr(class.start_on.as_ref());
        self.expr(class.stop_on.as_ref());
        for kind in ProcessKind::ALL {
            self.process(class.process(kind));
        }
        self.word(match class.expect {
            Expect::None => "none",
            Expect::Stop => "stop",
            Expect::Daemon => "daemon",
            Expect::Fork => "fork",
        });
        self.flag(class.task);
        self.flag(class.respawn);
        self.num(u64::from(class.respawn_limit));
        self.num(u64::from(class.respawn_interval));
        self.num(class.normal_exit.len() as u64);
        for status in &class.normal_exit {
            self.int(i64::from(*status));
        }
        self.num(u64::from(class.kill_timeout));
        self.int(i64::from(class.kill_signal));
        self.int(i64::from(class.reload_signal));
        self.word(match class.console {
            None => "-",
            Some(Console::None) => "none",
            Some(Console::Log) => "log",
            Some(Console::Output) => "output",
            Some(Console::Owner) => "owner",
        });
        self.num(u64::from(class.umask));
        self.opt_int(class.nice.map(i64::from));
        self.opt_int(class.oom_score_adj.map(i64::from));
        self.num(class.limits.len() as u64);
        for limit in &class.limits {
            self.word(resource_name(limit.resource));
            self.opt_int(limit.soft.map(|v| v as i64));
            self.opt_int(limit.hard.map(|v| v as i64));
        }
        self.opt_string(class.chroot.as_deref());
        self.opt_string(class.chdir.as_deref());
        self.opt_string(class.setuid.as_deref());
        self.opt_string(class.setgid.as_deref());
        self.flag(class.debug);
        self.opt_string(class.apparmor_load.as_deref());
        self.opt_string(class.apparmor_switch.as_deref());
        self.num(class.cgroups.len() as u64);
        for cgroup in &class.cgroups {
            self.string(&cgroup.controller);
            self.opt_string(cgroup.name.as_deref());
            match &cgroup.setting {
                Some((key, value)) => {
                    self.word("+");
                    self.string(key);
                    self.string(value);
                }
                None => self.word("-"),
            }
        }
    }

    fn instance(&mut self, instance: &Instance, current: &Rc<JobClass>) {
        // Most instances run the current definition; only an older one is written again.
        if Rc::ptr_eq(&instance.class, current) || *instance.class == **current {
            self.word("current");
        } else {
            self.word("own");
            self.class(&instance.class);
        }
        self.string(&instance.name);
        self.word(match instance.goal {
            Goal::Stop => "stop",
            Goal::Start => "start",
            Goal::Respawn => "respawn",
        });
        self.word(instance.state.name());
        self.env(&instance.env);
        self.opt_env(instance.start_env.as_ref());
        self.opt_env(instance.stop_env.as_ref());
        self.matches(instance.stop_on.as_ref());
        self.opt_int(instance.blocker.map(|id| id as i64));
        self.num(instance.blocking.len() as u64);
        for blocked in &instance.blocking {
            match blocked {
                Blocked::Event(id) => {
                    self.word("event");
                    self.num(*id);
                }
                Blocked::Client(client, request) => {
                    self.word(match request {
                        Request::Start => "start",
                        Request::Stop => "stop",
                        Request::Restart => "restart",
                    });
                    self.num(*client);
                }
            }
        }
        for kind in ProcessKind::ALL {
            self.opt_int(instance.pid(kind).map(i64::from));
        }
        match instance.failure {
            None => self.word("-"),
            Some(Failure::Respawn) => self.word("respawn"),
            Some(Failure::Process { kind, status }) => {
                self.word(kind.name());
                self.opt_int(status.map(i64::from));
            }
        }
        self.opt_int(instance.respawn_window.map(|w| w as i64));
        self.num(u64::from(instance.respawn_count));
        self.opt_int(instance.kill_timer.map(|t| t as i64));
        self.num(u64::from(instance.forks_seen));
        self.flag(instance.stopped_by_command);
    }
}

struct In<'a> {
    tokens: std::str::SplitAsciiWhitespace<'a>,
    /// The state's format version: version 1 (kindling 0.1.0) lacks the stop-command marks.
    version: u64,
}

impl<'a> In<'a> {
    fn new(text: &'a str) -> Self {
        In {
            tokens: text.split_ascii_whitespace(),
            version: u64::from(VERSION),
        }
    }

    fn word(&mut self) -> Result<&'a str, String> {
        self.tokens
            .next()
            .ok_or_else(|| "state ends too early".to_string())
    }

    fn num(&mut self) -> Result<u64, String> {
        let word = self.word()?;
        word.parse()
            .map_err(|_| format!("expected a number, found {word}"))
    }

    fn int(&mut self) -> Result<i64, String> {
        let word = self.word()?;
        word.parse()
            .map_err(|_| format!("expected a number, found {word}"))
    }

    fn i32(&mut self) -> Result<i32, String> {
        i32::try_from(self.int()?).map_err(|_| "number out of range".to_string())
    }

    fn u32(&mut self) -> Result<u32, String> {
        u32::try_from(self.num()?).map_err(|_| "number out of range".to_string())
    }

    /// A list length. Lists are read item by item (never preallocated), so a corrupt count
    /// runs out of tokens instead of allocating wildly.
    fn count(&mut self) -> Result<usize, String> {
        let n = self.num()?;
        usize::try_from(n).map_err(|_| "count out of range".to_string())
    }

    fn flag(&mut self) -> Result<bool, String> {
        match self.word()? {
            "1" => Ok(true),
            "0" => Ok(false),
            other => Err(format!("expected a flag, found {other}")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let word = self.word()?;
        decode_string(word)
    }

    fn opt_string(&mut self) -> Result<Option<String>, String> {
        match self.word()? {
            "-" => Ok(None),
            word => decode_string(word).map(Some),
        }
    }

    fn opt_int(&mut self) -> Result<Option<i64>, String> {
        match self.word()? {
            "-" => Ok(None),
            word => word
                .parse()
                .map(Some)
                .map_err(|_| format!("expected a number, found {word}")),
        }
    }

    fn opt_i32(&mut self) -> Result<Option<i32>, String> {
        self.opt_int()?
            .map(|n| i32::try_from(n).map_err(|_| "number out of range".to_string()))
            .transpose()
    }

    fn opt_u64(&mut self) -> Result<Option<u64>, String> {
        self.opt_int()?
            .map(|n| u64::try_from(n).map_err(|_| "number out of range".to_string()))
            .transpose()
    }

    fn strings(&mut self) -> Result<Vec<String>, String> {
        (0..self.count()?).map(|_| self.string()).collect()
    }

    fn env(&mut self) -> Result<Env, String> {
        let mut env = Env::new();
        for _ in 0..self.count()? {
            let key = self.string()?;
            let value = self.string()?;
            env.set(&key, &value);
        }
        Ok(env)
    }

    fn opt_env(&mut self) -> Result<Option<Env>, String> {
        match self.word()? {
            "-" => Ok(None),
            "+" => self.env().map(Some),
            other => Err(format!("expected an environment, found {other}")),
        }
    }

    fn event(&mut self) -> Result<Event, String> {
        let name = self.string()?;
        Ok(Event::new(name, self.env()?))
    }

    fn expr(&mut self, depth: usize) -> Result<Option<EventExpr>, String> {
        if depth > 1024 {
            return Err("expression too deep".into());
        }
        let expr = match self.word()? {
            "-" => return Ok(None),
            word @ ("and" | "or") => {
                let left = self.expr(depth + 1)?.ok_or("missing operand")?;
                let right = self.expr(depth + 1)?.ok_or("missing operand")?;
                if word == "and" {
                    EventExpr::And(Box::new(left), Box::new(right))
                } else {
                    EventExpr::Or(Box::new(left), Box::new(right))
                }
            }
            "match" => {
                let name = self.string()?;
                let mut args = Vec::new();
                for _ in 0..self.count()? {
                    args.push(match self.word()? {
                        "p" => MatchArg::Positional(self.string()?),
                        "e" => MatchArg::Equal(self.string()?, self.string()?),
                        "n" => MatchArg::NotEqual(self.string()?, self.string()?),
                        other => return Err(format!("unknown argument kind {other}")),
                    });
                }
                EventExpr::Match(EventMatch { name, args })
            }
            other => return Err(format!("unknown expression {other}")),
        };
        Ok(Some(expr))
    }

    fn condition(&mut self, expr: Option<&EventExpr>) -> Result<Option<Condition>, String> {
        let mut matched = Vec::new();
        for _ in 0..self.count()? {
            matched.push(self.opt_u64()?);
        }
        Ok(expr.map(|expr| {
            let mut condition = Condition::new(expr);
            condition.restore(&matched);
            condition
        }))
    }

    fn process(&mut self) -> Result<Option<Process>, String> {
        match self.word()? {
            "-" => Ok(None),
            flag @ ("0" | "1") => Ok(Some(Process {
                script: flag == "1",
                command: self.string()?,
            })),
            other => Err(format!("expected a process, found {other}")),
        }
    }

    fn class(&mut self) -> Result<JobClass, String> {
        let mut class = JobClass::new(self.string()?);
        class.description = self.opt_string()?;
        class.author = self.opt_string()?;
        class.version = self.opt_string()?;
        class.usage = self.opt_string()?;
        class.instance = self.string()?;
        for _ in 0..self.count()? {
            let key = self.string()?;
            let value = self.opt_string()?;
            class.env.push(EnvStanza { key, value });
        }
        class.export = self.strings()?;
        class.emits = self.strings()?;
        class.start_on = self.expr(0)?;
        class.stop_on = self.expr(0)?;
        class.main = self.process()?;
        class.pre_start = self.process()?;
        class.post_start = self.process()?;
        class.pre_stop = self.process()?;
        class.post_stop = self.process()?;
        class.expect = match self.word()? {
            "none" => Expect::None,
            "stop" => Expect::Stop,
            "daemon" => Expect::Daemon,
            "fork" => Expect::Fork,
            other => return Err(format!("unknown expect {other}")),
        };
        class.task = self.flag()?;
        class.respawn = self.flag()?;
        class.respawn_limit = self.u32()?;
        class.respawn_interval = self.u32()?;
        class.normal_exit = (0..self.count()?)
            .map(|_| self.i32())
            .collect::<Result<_, _>>()?;
        class.kill_timeout = self.u32()?;
        class.kill_signal = self.i32()?;
        class.reload_signal = self.i32()?;
        class.console = match self.word()? {
            "-" => None,
            "none" => Some(Console::None),
            "log" => Some(Console::Log),
            "output" => Some(Console::Output),
            "owner" => Some(Console::Owner),
            other => return Err(format!("unknown console {other}")),
        };
        class.umask = self.u32()?;
        class.nice = self.opt_i32()?;
        class.oom_score_adj = self.opt_i32()?;
        for _ in 0..self.count()? {
            let resource = resource_from_name(self.word()?)?;
            let soft = self.opt_u64()?;
            let hard = self.opt_u64()?;
            class.limits.push(Limit {
                resource,
                soft,
                hard,
            });
        }
        class.chroot = self.opt_string()?;
        class.chdir = self.opt_string()?;
        class.setuid = self.opt_string()?;
        class.setgid = self.opt_string()?;
        class.debug = self.flag()?;
        class.apparmor_load = self.opt_string()?;
        class.apparmor_switch = self.opt_string()?;
        for _ in 0..self.count()? {
            let controller = self.string()?;
            let name = self.opt_string()?;
            let setting = match self.word()? {
                "-" => None,
                "+" => Some((self.string()?, self.string()?)),
                other => return Err(format!("unknown cgroup setting {other}")),
            };
            class.cgroups.push(Cgroup {
                controller,
                name,
                setting,
            });
        }
        Ok(class)
    }

    fn instance(&mut self, current: &Rc<JobClass>) -> Result<Instance, String> {
        let class = match self.word()? {
            "current" => current.clone(),
            "own" => Rc::new(self.class()?),
            other => return Err(format!("unknown class marker {other}")),
        };
        let name = self.string()?;
        let mut instance = Instance::new(class, name);
        instance.goal = match self.word()? {
            "stop" => Goal::Stop,
            "start" => Goal::Start,
            "respawn" => Goal::Respawn,
            other => return Err(format!("unknown goal {other}")),
        };
        let state = self.word()?;
        instance.state = STATES
            .iter()
            .copied()
            .find(|s| s.name() == state)
            .ok_or_else(|| format!("unknown state {state}"))?;
        instance.env = self.env()?;
        instance.start_env = self.opt_env()?;
        instance.stop_env = self.opt_env()?;
        let stop_on = instance.class.stop_on.clone();
        instance.stop_on = self.condition(stop_on.as_ref())?;
        instance.blocker = self.opt_u64()?;
        for _ in 0..self.count()? {
            let kind = self.word()?;
            let id = self.num()?;
            instance.blocking.push(match kind {
                "event" => Blocked::Event(id),
                "start" => Blocked::Client(id, Request::Start),
                "stop" => Blocked::Client(id, Request::Stop),
                "restart" => Blocked::Client(id, Request::Restart),
                other => return Err(format!("unknown blocked kind {other}")),
            });
        }
        for kind in ProcessKind::ALL {
            let pid = self.opt_i32()?;
            instance.set_pid(kind, pid);
        }
        instance.failure = match self.word()? {
            "-" => None,
            "respawn" => Some(Failure::Respawn),
            name => {
                let kind = ProcessKind::ALL
                    .iter()
                    .copied()
                    .find(|k| k.name() == name)
                    .ok_or_else(|| format!("unknown process {name}"))?;
                Some(Failure::Process {
                    kind,
                    status: self.opt_i32()?,
                })
            }
        };
        instance.respawn_window = self.opt_u64()?;
        instance.respawn_count = self.u32()?;
        instance.kill_timer = self.opt_u64()?;
        instance.forks_seen = self.u32()?;
        instance.stopped_by_command = self.version >= 2 && self.flag()?;
        Ok(instance)
    }
}

const STATES: [State; 10] = [
    State::Waiting,
    State::Starting,
    State::PreStart,
    State::Spawned,
    State::PostStart,
    State::Running,
    State::PreStop,
    State::Stopping,
    State::Killed,
    State::PostStop,
];

const RESOURCES: [(Resource, &str); 14] = [
    (Resource::As, "as"),
    (Resource::Core, "core"),
    (Resource::Cpu, "cpu"),
    (Resource::Data, "data"),
    (Resource::Fsize, "fsize"),
    (Resource::Memlock, "memlock"),
    (Resource::Msgqueue, "msgqueue"),
    (Resource::Nice, "nice"),
    (Resource::Nofile, "nofile"),
    (Resource::Nproc, "nproc"),
    (Resource::Rss, "rss"),
    (Resource::Rtprio, "rtprio"),
    (Resource::Sigpending, "sigpending"),
    (Resource::Stack, "stack"),
];

fn resource_name(resource: Resource) -> &'static str {
    RESOURCES
        .iter()
        .find(|(r, _)| *r == resource)
        .map(|(_, name)| *name)
        .unwrap_or("as")
}

fn resource_from_name(name: &str) -> Result<Resource, String> {
    RESOURCES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(r, _)| *r)
        .ok_or_else(|| format!("unknown resource {name}"))
}

/// A string as one whitespace-free token: `=` and the bytes, percent-encoding all but
/// `[A-Za-z0-9._/-:,]` (so the empty string is `=`). Shared with the re-exec hand-over.
pub(crate) fn encode_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    out.push('=');
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"._/-:,".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The inverse of [`encode_string`]; a malformed token is an error.
pub(crate) fn decode_string(word: &str) -> Result<String, String> {
    let encoded = word
        .strip_prefix('=')
        .ok_or_else(|| format!("expected a string, found {word}"))?;
    let mut out = Vec::with_capacity(encoded.len());
    let mut rest = encoded.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = tail
                .get(..2)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad escape in {word}"))?;
            out.push(hex);
            rest = tail.get(2..).unwrap_or_default();
        } else {
            out.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(out).map_err(|_| format!("bad text in {word}"))
}
