//! The engine's whole state as text, for a stateful re-exec: the running image writes it, the
//! new image reads it back, and every instance, partial match, queued event and waiting client
//! carries on as if nothing happened.
//!
//! Format `kindling-engine-state 2`: one record per line, each a list of whitespace-free
//! tokens read in a fixed order.
//!
//! ```text
//! kindling-engine-state 2 NEXT_EVENT NEXT_TIMER
//! class CLASS DELETED START_ON                  every job class
//! instance JOB NAME current|own CLASS GOAL …    every instance, after its class
//! event ID NAME ENV HANDLING BLOCKERS FAILED WAITERS SPARES
//! reply CLIENT JOB INSTANCE                     answers held back (see `send_replies`)
//! ```
//!
//! Strings are `=` followed by the percent-encoded bytes (so the empty string is `=`);
//! numbers are decimal over the whole range of their type (unsigned ones are never written
//! signed); optional values are `-` or the value; lists are a count followed by the items; a
//! live condition is `-`, or `+` and the event each of its leaves holds.
//!
//! Reading is pure and never panics. [`Engine::restore_partial`] skips a record it cannot
//! read and reports it; the rest is restored, and what referred to the skipped records is
//! mended so that nothing waits for them forever. Version 1 (the same fields as one flat
//! stream of tokens, with unsigned numbers of 2^63 and above written as negative ones) is
//! still read, all or nothing, so that an image writing it can hand over to this one.

use super::condition::Condition;
use super::instance::{display_name, Blocked, Failure, Instance, Request};
use super::queue::{PendingEvent, Progress, Waiter};
use super::{ClassEntry, Engine, EngineConfig, EventId, Goal, InstanceKey, PendingReply, State};
use crate::environ::Env;
use crate::event::{Event, EventExpr, EventMatch, MatchArg};
use crate::job::{
    Cgroup, Console, EnvStanza, Expect, JobClass, Limit, Process, ProcessKind, Resource,
    MAX_EXPRESSION_DEPTH,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

const MAGIC: &str = "kindling-engine-state";
const VERSION: u64 = 2;

/// What [`Engine::restore_partial`] could make of a state.
pub struct Restored {
    pub engine: Engine,
    /// One message per record that could not be read and was left out.
    pub skipped: Vec<String>,
}

impl Engine {
    /// Serialises the whole engine (see the module header).
    pub fn save(&self) -> String {
        let mut out = Out::default();
        out.word(MAGIC);
        out.num(VERSION);
        out.num(self.next_event);
        out.num(self.next_timer);
        out.end();
        for entry in self.classes.values() {
            out.word("class");
            out.class(&entry.class);
            out.flag(entry.deleted);
            out.condition(entry.start_on.as_ref());
            out.end();
            for instance in entry.instances.values() {
                out.word("instance");
                out.string(&entry.class.name);
                out.string(&instance.name);
                out.instance_class(instance, &entry.class);
                out.instance(instance);
                out.end();
            }
        }
        for (id, pending) in &self.events {
            out.word("event");
            out.num(*id);
            out.pending_event(pending);
            out.end();
        }
        // Answers held back until a cancelled stop has settled (see `send_replies`).
        for (client, reply) in &self.replies {
            if let PendingReply::StatusAfterStop(key) = reply {
                out.word("reply");
                out.num(*client);
                out.string(&key.job);
                out.string(&key.instance);
                out.end();
            }
        }
        out.text
    }

    /// Rebuilds an engine from [`Engine::save`]'s text, all or nothing. Timers are not
    /// re-armed here: the caller arms [`Engine::timers`] again (the clock of the new image
    /// starts afresh).
    pub fn restore(config: EngineConfig, text: &str) -> Result<Engine, String> {
        let restored = Engine::restore_partial(config, text)?;
        match restored.skipped.as_slice() {
            [] => Ok(restored.engine),
            [only] => Err(only.clone()),
            [first, rest @ ..] => Err(format!("{first} (and {} more)", rest.len())),
        }
    }

    /// Rebuilds as much as it can: fails only when the text is not a state this build reads
    /// at all. A record that cannot be read is left out and named in
    /// [`Restored::skipped`]; the processes of a skipped instance are then unknown to the
    /// engine (the daemon reaps them as orphans), its clients are not waited for, and events
    /// it held are no longer held.
    pub fn restore_partial(config: EngineConfig, text: &str) -> Result<Restored, String> {
        let mut lines = text.lines();
        let mut header = In::new(lines.next().unwrap_or_default(), VERSION);
        if header.word()? != MAGIC {
            return Err("not a kindling engine state".into());
        }
        let mut engine = Engine::new(config);
        let mut skipped = Vec::new();
        match header.num()? {
            1 => {
                header.version = 1;
                engine.read_v1(&mut header)?;
                if lines.any(|line| !line.trim().is_empty()) {
                    return Err("a version 1 state is a single line".into());
                }
            }
            VERSION => {
                engine.next_event = header.num()?;
                engine.next_timer = header.num()?;
                header.end()?;
                for line in lines {
                    if line.trim().is_empty() {
                        continue;
                    }
                    if let Err(error) = engine.read_record(line) {
                        skipped.push(error);
                    }
                }
                if !skipped.is_empty() {
                    engine.mend_references();
                }
            }
            other => return Err(format!("unsupported state version {other}")),
        }
        engine.rebuild_tables();
        Ok(Restored { engine, skipped })
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
        for (client, reply) in &self.replies {
            if matches!(reply, PendingReply::StatusAfterStop(_)) {
                clients.push(*client);
            }
        }
        clients
    }

    /// Every live job process (so a new image that cannot read the state can still say
    /// which processes were init's).
    pub fn pids(&self) -> Vec<super::Pid> {
        self.processes.keys().copied().collect()
    }

    /// One version 2 record; the error names what was left out and why.
    fn read_record(&mut self, line: &str) -> Result<(), String> {
        let mut input = In::new(line, VERSION);
        match input.word()? {
            "class" => {
                // The name is the class's first field: read it ahead for the message.
                let name = input.clone().string().unwrap_or_default();
                let read = |input: &mut In| -> Result<_, String> {
                    let class = input.class()?;
                    let deleted = input.flag()?;
                    let start_on = input.condition(class.start_on.as_ref())?;
                    input.end()?;
                    Ok((class, deleted, start_on))
                };
                let (class, deleted, start_on) =
                    read(&mut input).map_err(|e| format!("job {name}: {e}"))?;
                if self.classes.contains_key(&class.name) {
                    return Err(format!("job {name}: listed twice"));
                }
                self.insert_class(class, deleted, start_on);
            }
            "instance" => {
                let job = input.string()?;
                let name = input.string()?;
                let label = format!("instance {}", display_name(&job, &name));
                let entry = self
                    .classes
                    .get_mut(&job)
                    .ok_or_else(|| format!("{label}: its job was not restored"))?;
                if entry.instances.contains_key(&name) {
                    return Err(format!("{label}: listed twice"));
                }
                let read = |input: &mut In| -> Result<_, String> {
                    let class = input.instance_class(&entry.class)?;
                    let instance = input.instance(class, name.clone())?;
                    input.end()?;
                    Ok(instance)
                };
                let instance = read(&mut input).map_err(|e| format!("{label}: {e}"))?;
                entry.instances.insert(name, instance);
            }
            "event" => {
                let id = input.num()?;
                let read = |input: &mut In| -> Result<_, String> {
                    let pending = input.pending_event()?;
                    input.end()?;
                    Ok(pending)
                };
                let pending = read(&mut input).map_err(|e| format!("event {id}: {e}"))?;
                if self.events.contains_key(&id) {
                    return Err(format!("event {id}: listed twice"));
                }
                self.events.insert(id, Rc::new(pending));
            }
            "reply" => {
                let client = input.num()?;
                let read = |input: &mut In| -> Result<_, String> {
                    let key = InstanceKey {
                        job: input.string()?,
                        instance: input.string()?,
                    };
                    input.end()?;
                    Ok(key)
                };
                let key =
                    read(&mut input).map_err(|e| format!("answer to client {client}: {e}"))?;
                self.replies
                    .push((client, PendingReply::StatusAfterStop(key)));
            }
            other => return Err(format!("unknown record {other}")),
        }
        Ok(())
    }

    /// A version 1 state: the header's two counters, then every record in a flat stream.
    fn read_v1(&mut self, input: &mut In) -> Result<(), String> {
        self.next_event = input.num()?;
        self.next_timer = input.num()?;
        for _ in 0..input.count()? {
            let class = input.class()?;
            let deleted = input.flag()?;
            // Version 1 wrote no condition for a deleted class (it has none).
            let start_on = input
                .condition(class.start_on.as_ref())?
                .filter(|_| !deleted);
            let name = class.name.clone();
            let current = self.insert_class(class, deleted, start_on);
            for _ in 0..input.count()? {
                let class = input.instance_class(&current)?;
                let instance_name = input.string()?;
                let instance = input.instance(class, instance_name.clone())?;
                if let Some(entry) = self.classes.get_mut(&name) {
                    entry.instances.insert(instance_name, instance);
                }
            }
        }
        for _ in 0..input.count()? {
            let id = input.num()?;
            let pending = input.pending_event()?;
            self.events.insert(id, Rc::new(pending));
        }
        for _ in 0..input.count()? {
            let client = input.num()?;
            let key = InstanceKey {
                job: input.string()?,
                instance: input.string()?,
            };
            self.replies
                .push((client, PendingReply::StatusAfterStop(key)));
        }
        input.end()
    }

    fn insert_class(
        &mut self,
        class: JobClass,
        deleted: bool,
        start_on: Option<Condition>,
    ) -> Rc<JobClass> {
        let class = Rc::new(class);
        let env = self.class_environment(&class);
        let name = class.name.clone();
        self.classes.insert(
            &name,
            ClassEntry {
                class: class.clone(),
                env: Rc::new(env),
                start_on,
                instances: BTreeMap::new(),
                deleted,
            },
        );
        class
    }

    /// After records were skipped, what the others refer to may be missing: partial matches
    /// and holds on missing events are dropped, waits for missing instances forgotten, an
    /// instance waiting for its own missing `starting`/`stopping` event gets a stand-in that
    /// finishes at once, and every event's count of holders is counted again.
    fn mend_references(&mut self) {
        let events: HashSet<EventId> = self.events.keys().copied().collect();
        let mut instances = HashSet::new();
        let mut unfinished = Vec::new();
        for entry in self.classes.values_mut() {
            if let Some(condition) = entry.start_on.as_mut() {
                forget_missing(condition, &events);
            }
            for instance in entry.instances.values_mut() {
                instances.insert(instance.key());
                if let Some(condition) = instance.stop_on.as_mut() {
                    forget_missing(condition, &events);
                }
                instance.blocking.retain(|blocked| match blocked {
                    Blocked::Event(id) => events.contains(id),
                    Blocked::Client(..) => true,
                });
                if let Some(id) = instance.blocker.filter(|id| !events.contains(id)) {
                    match instance.state {
                        State::Starting | State::Stopping => {
                            unfinished.push((id, instance.key(), instance.state))
                        }
                        _ => instance.blocker = None,
                    }
                }
            }
        }
        for pending in self.events.values_mut().map(Rc::make_mut) {
            pending.waiters.retain(|waiter| match waiter {
                Waiter::Job(key) => instances.contains(key),
                Waiter::Client(_) => true,
            });
        }
        for (id, key, state) in unfinished {
            let name = if state == State::Starting {
                "starting"
            } else {
                "stopping"
            };
            let mut env = Env::new();
            env.set("JOB", &key.job);
            env.set("INSTANCE", &key.instance);
            self.events.insert(
                id,
                Rc::new(PendingEvent {
                    event: Event::new(name, env),
                    progress: Progress::Handling,
                    blockers: 0,
                    failed: false,
                    waiters: vec![Waiter::Job(key)],
                    spares: None,
                }),
            );
        }
        // Every hold on an event is a leaf that matched it or an instance blocking it.
        let mut holds: HashMap<EventId, usize> = HashMap::new();
        for entry in self.classes.values() {
            let conditions = entry
                .start_on
                .iter()
                .chain(entry.instances.values().filter_map(|i| i.stop_on.as_ref()));
            for id in conditions.flat_map(Condition::matched).flatten() {
                *holds.entry(id).or_default() += 1;
            }
            for instance in entry.instances.values() {
                for blocked in &instance.blocking {
                    if let Blocked::Event(id) = blocked {
                        *holds.entry(*id).or_default() += 1;
                    }
                }
            }
        }
        for (id, pending) in self.events.iter_mut() {
            Rc::make_mut(pending).blockers = holds.get(id).copied().unwrap_or(0);
        }
    }

    /// Derived tables: which pid is whose, which timer kills whom, who cares for what.
    fn rebuild_tables(&mut self) {
        self.processes.clear();
        self.timers.clear();
        for entry in self.classes.values() {
            for instance in entry.instances.values() {
                let key = instance.key();
                for kind in ProcessKind::ALL {
                    if let Some(pid) = instance.pid(kind) {
                        self.processes.insert(pid, (key.clone(), kind));
                    }
                }
                if let Some(timer) = instance.kill_timer {
                    self.timers.insert(timer, key.clone());
                }
            }
        }
        // A new event or timer must never take the id of one still in use, whatever the
        // counters in the header said.
        if let Some(last) = self.events.keys().next_back() {
            self.next_event = self.next_event.max(last.saturating_add(1));
        }
        if let Some(last) = self.timers.keys().max() {
            self.next_timer = self.next_timer.max(last.saturating_add(1));
        }
        self.index_interest();
    }
}

/// Unmatches the leaves holding events that are not there.
fn forget_missing(condition: &mut Condition, events: &HashSet<EventId>) {
    let matched: Vec<_> = condition
        .matched()
        .into_iter()
        .map(|id| id.filter(|id| events.contains(id)))
        .collect();
    condition.restore(&matched);
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

    /// Ends a record.
    fn end(&mut self) {
        if self.text.ends_with(' ') {
            self.text.pop();
        }
        self.text.push('\n');
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

    fn opt_num(&mut self, n: Option<u64>) {
        match n {
            Some(n) => self.num(n),
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

    fn pending_event(&mut self, pending: &PendingEvent) {
        self.event(&pending.event);
        self.flag(pending.progress == Progress::Handling);
        self.num(pending.blockers as u64);
        self.flag(pending.failed);
        self.num(pending.waiters.len() as u64);
        for waiter in &pending.waiters {
            match waiter {
                Waiter::Job(key) => {
                    self.word("job");
                    self.string(&key.job);
                    self.string(&key.instance);
                }
                Waiter::Client(client) => {
                    self.word("client");
                    self.num(*client);
                }
            }
        }
        self.opt_string(pending.spares.as_deref());
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

    /// A live condition: `-`, or `+` and the event each leaf holds.
    fn condition(&mut self, condition: Option<&Condition>) {
        let Some(condition) = condition else {
            self.word("-");
            return;
        };
        self.word("+");
        let matched = condition.matched();
        self.num(matched.len() as u64);
        for id in matched {
            self.opt_num(id);
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
            self.opt_num(limit.soft);
            self.opt_num(limit.hard);
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

    /// `current` when the instance runs its class's current definition, else `own` and the
    /// definition it was started with.
    fn instance_class(&mut self, instance: &Instance, current: &Rc<JobClass>) {
        if Rc::ptr_eq(&instance.class, current) || *instance.class == **current {
            self.word("current");
        } else {
            self.word("own");
            self.class(&instance.class);
        }
    }

    /// Everything of an instance after its name and class.
    fn instance(&mut self, instance: &Instance) {
        self.word(match instance.goal {
            Goal::Stop => "stop",
            Goal::Start => "start",
            Goal::Respawn => "respawn",
        });
        self.word(instance.state.name());
        self.env(&instance.env);
        self.opt_env(instance.start_env.as_ref());
        self.opt_env(instance.stop_env.as_ref());
        self.condition(instance.stop_on.as_ref());
        self.opt_num(instance.blocker);
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
        self.opt_num(instance.respawn_window);
        self.num(u64::from(instance.respawn_count));
        self.opt_num(instance.kill_timer);
        self.num(u64::from(instance.forks_seen));
        self.flag(instance.stopped_by_command);
    }
}

#[derive(Clone)]
struct In<'a> {
    tokens: std::str::SplitAsciiWhitespace<'a>,
    /// The format version being read (1 wrote large unsigned numbers as negative ones).
    version: u64,
}

impl<'a> In<'a> {
    fn new(text: &'a str, version: u64) -> Self {
        In {
            tokens: text.split_ascii_whitespace(),
            version,
        }
    }

    fn word(&mut self) -> Result<&'a str, String> {
        self.tokens
            .next()
            .ok_or_else(|| "state ends too early".to_string())
    }

    /// Nothing may follow the last field of a record.
    fn end(&mut self) -> Result<(), String> {
        match self.tokens.next() {
            None => Ok(()),
            Some(word) => Err(format!("unexpected {word} after the last field")),
        }
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
        let n = self.int()?;
        i32::try_from(n).map_err(|_| format!("number out of range: {n}"))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let n = self.num()?;
        u32::try_from(n).map_err(|_| format!("number out of range: {n}"))
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

    fn opt_i32(&mut self) -> Result<Option<i32>, String> {
        match self.word()? {
            "-" => Ok(None),
            word => word
                .parse()
                .map(Some)
                .map_err(|_| format!("expected a number, found {word}")),
        }
    }

    fn opt_u64(&mut self) -> Result<Option<u64>, String> {
        let word = self.word()?;
        if word == "-" {
            return Ok(None);
        }
        if let Ok(n) = word.parse::<u64>() {
            return Ok(Some(n));
        }
        // Version 1 wrote these through an i64: undo its wrap-around.
        match word.parse::<i64>() {
            Ok(n) if self.version == 1 => Ok(Some(n as u64)),
            _ => Err(format!("expected a number, found {word}")),
        }
    }

    fn strings(&mut self) -> Result<Vec<String>, String> {
        (0..self.count()?).map(|_| self.string()).collect()
    }

    fn env(&mut self) -> Result<Env, String> {
        let mut env = Env::new();
        for _ in 0..self.count()? {
            let key = self.string()?;
            let value = self.string()?;
            if env.get(&key).is_some() {
                return Err(format!("variable {key} listed twice"));
            }
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

    fn pending_event(&mut self) -> Result<PendingEvent, String> {
        let event = self.event()?;
        let progress = if self.flag()? {
            Progress::Handling
        } else {
            Progress::Pending
        };
        let blockers = self.count()?;
        let failed = self.flag()?;
        let mut waiters = Vec::new();
        for _ in 0..self.count()? {
            waiters.push(match self.word()? {
                "job" => Waiter::Job(InstanceKey {
                    job: self.string()?,
                    instance: self.string()?,
                }),
                "client" => Waiter::Client(self.num()?),
                other => return Err(format!("unknown waiter {other}")),
            });
        }
        let spares = if self.version >= 2 {
            self.opt_string()?
        } else {
            None
        };
        Ok(PendingEvent {
            event,
            progress,
            blockers,
            failed,
            waiters,
            spares,
        })
    }

    /// An expression at `depth` (the root is 1), no deeper than the parser allows.
    fn expr(&mut self, depth: usize) -> Result<Option<EventExpr>, String> {
        if depth > MAX_EXPRESSION_DEPTH {
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

    /// The live state of `expr`'s condition (version 2: `-` or `+` and one entry per
    /// leaf; version 1: the entries alone, the condition existing when `expr` does).
    fn condition(&mut self, expr: Option<&EventExpr>) -> Result<Option<Condition>, String> {
        if self.version >= 2 {
            match self.word()? {
                "-" => return Ok(None),
                "+" => {}
                other => return Err(format!("expected a condition, found {other}")),
            }
        }
        let mut matched = Vec::new();
        for _ in 0..self.count()? {
            matched.push(self.opt_u64()?);
        }
        let Some(expr) = expr else {
            if self.version == 1 && matched.is_empty() {
                return Ok(None);
            }
            return Err("a condition without an expression".into());
        };
        let mut condition = Condition::new(expr);
        let leaves = condition.matched().len();
        if matched.len() != leaves {
            return Err(format!(
                "{} matches for an expression of {leaves} events",
                matched.len()
            ));
        }
        condition.restore(&matched);
        Ok(Some(condition))
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
        class.start_on = self.expr(1)?;
        class.stop_on = self.expr(1)?;
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

    /// `current`, or `own` and the definition an instance was started with.
    fn instance_class(&mut self, current: &Rc<JobClass>) -> Result<Rc<JobClass>, String> {
        match self.word()? {
            "current" => Ok(current.clone()),
            "own" => {
                let class = self.class()?;
                if class.name != current.name {
                    return Err(format!("its definition is of another job, {}", class.name));
                }
                Ok(Rc::new(class))
            }
            other => Err(format!("unknown class marker {other}")),
        }
    }

    /// Everything of an instance after its name and class.
    fn instance(&mut self, class: Rc<JobClass>, name: String) -> Result<Instance, String> {
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
            // Job processes are never init itself, nor a process group or "every process".
            if let Some(pid) = pid.filter(|&pid| pid < 2) {
                return Err(format!("impossible {kind} pid {pid}"));
            }
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
        // Version 1 (kindling 0.1.0) knew no stop commands that end a loop.
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

const RESOURCES: [Resource; 14] = [
    Resource::As,
    Resource::Core,
    Resource::Cpu,
    Resource::Data,
    Resource::Fsize,
    Resource::Memlock,
    Resource::Msgqueue,
    Resource::Nice,
    Resource::Nofile,
    Resource::Nproc,
    Resource::Rss,
    Resource::Rtprio,
    Resource::Sigpending,
    Resource::Stack,
];

fn resource_name(resource: Resource) -> &'static str {
    match resource {
        Resource::As => "as",
        Resource::Core => "core",
        Resource::Cpu => "cpu",
        Resource::Data => "data",
        Resource::Fsize => "fsize",
        Resource::Memlock => "memlock",
        Resource::Msgqueue => "msgqueue",
        Resource::Nice => "nice",
        Resource::Nofile => "nofile",
        Resource::Nproc => "nproc",
        Resource::Rss => "rss",
        Resource::Rtprio => "rtprio",
        Resource::Sigpending => "sigpending",
        Resource::Stack => "stack",
    }
}

fn resource_from_name(name: &str) -> Result<Resource, String> {
    RESOURCES
        .into_iter()
        .find(|r| resource_name(*r) == name)
        .ok_or_else(|| format!("unknown resource {name}"))
}

/// Bytes as one whitespace-free token: `=` and the bytes, percent-encoding all but
/// `[A-Za-z0-9._/-:,]` (so the empty string is `=`). Shared with the re-exec hand-over.
pub(crate) fn encode_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 1);
    out.push('=');
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"._/-:,".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The inverse of [`encode_bytes`]; a malformed token is an error.
pub(crate) fn decode_bytes(word: &str) -> Result<Vec<u8>, String> {
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
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad escape in {word}"))?;
            out.push(hex);
            rest = tail.get(2..).unwrap_or_default();
        } else {
            out.push(byte);
            rest = tail;
        }
    }
    Ok(out)
}

/// A string as [`encode_bytes`] writes it.
pub(crate) fn encode_string(s: &str) -> String {
    encode_bytes(s.as_bytes())
}

/// The inverse of [`encode_string`]: the bytes must be UTF-8.
pub(crate) fn decode_string(word: &str) -> Result<String, String> {
    String::from_utf8(decode_bytes(word)?).map_err(|_| format!("bad text in {word}"))
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
