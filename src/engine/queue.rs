//! The event queue: emitting, handling (stop conditions before start conditions), blocking
//! and finishing events, and `<event>/failed`.

use super::instance::{Blocked, Instance};
use super::{ClientId, Effect, Engine, EventId, Goal, InstanceKey, LogPriority, Reply};
use crate::environ::Env;
use crate::event::Event;
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    Pending,
    Handling,
}

/// Who is told when an event finishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Waiter {
    /// A job waiting in `starting`/`stopping` for its own event.
    Job(InstanceKey),
    /// `initctl emit` without `--no-wait`.
    Client(ClientId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingEvent {
    pub(crate) event: Event,
    pub(crate) progress: Progress,
    /// Jobs and partial matches holding the event; it finishes when this reaches zero.
    pub(crate) blockers: usize,
    pub(crate) failed: bool,
    pub(crate) waiters: Vec<Waiter>,
    /// The class whose `start on` this event never fires: the `stopped` event of a job the
    /// admin stopped, which would otherwise start it again when it says `start on stopped`
    /// of itself (decisions: `stop` ends a job's loop of its own events).
    pub(crate) spares: Option<String>,
}

impl Engine {
    /// Queues an event; it is handled when the queue runs.
    pub(crate) fn emit(&mut self, event: Event, client: Option<ClientId>) -> EventId {
        let id = self.next_event;
        self.next_event += 1;
        self.events.insert(
            id,
            Rc::new(PendingEvent {
                event,
                progress: Progress::Pending,
                blockers: 0,
                failed: false,
                waiters: client.map(Waiter::Client).into_iter().collect(),
                spares: None,
            }),
        );
        id
    }

    pub(crate) fn spare(&mut self, id: EventId, class: &str) {
        if let Some(pending) = self.events.get_mut(&id).map(Rc::make_mut) {
            pending.spares = Some(class.to_string());
        }
    }

    pub(crate) fn add_waiter(&mut self, id: EventId, waiter: Waiter) {
        if let Some(pending) = self.events.get_mut(&id).map(Rc::make_mut) {
            pending.waiters.push(waiter);
        }
    }

    pub(crate) fn block(&mut self, id: EventId, count: usize) {
        if let Some(pending) = self.events.get_mut(&id).map(Rc::make_mut) {
            pending.blockers += count;
        }
    }

    pub(crate) fn unblock(&mut self, id: EventId) {
        if let Some(pending) = self.events.get_mut(&id).map(Rc::make_mut) {
            pending.blockers = pending.blockers.saturating_sub(1);
        }
    }

    pub(crate) fn unblock_all(&mut self, ids: &[EventId]) {
        for &id in ids {
            self.unblock(id);
        }
    }

    pub(crate) fn mark_failed(&mut self, id: EventId) {
        if let Some(pending) = self.events.get_mut(&id).map(Rc::make_mut) {
            pending.failed = true;
        }
    }

    /// Handles pending events and finishes unblocked ones, in emission order, until nothing
    /// moves (Upstart's `event_poll()`) or `budget` steps are spent. Returns whether it
    /// stopped short: then [`Engine::busy`] is true and [`Fact::Continue`] goes on.
    ///
    /// The budget is what keeps PID 1 in charge of a configuration whose events feed each
    /// other forever without a process (`start on stopped a`, `stop on started a`): Upstart
    /// spins inside `event_poll()`; here the daemon serves its socket, signals and reaper
    /// between two slices of such a loop.
    ///
    /// [`Fact::Continue`]: super::Fact::Continue
    pub(crate) fn run_queue(&mut self, mut budget: usize) -> bool {
        loop {
            let mut progressed = false;
            let mut cursor = 0;
            while let Some((&id, pending)) = self.events.range(cursor..).next() {
                if budget == 0 {
                    return true;
                }
                cursor = id + 1;
                if pending.progress == Progress::Pending {
                    if let Some(pending) = self.events.get_mut(&id).map(Rc::make_mut) {
                        pending.progress = Progress::Handling;
                    }
                    self.handle_event(id);
                    budget -= 1;
                    progressed = true;
                }
                if self.events.get(&id).is_some_and(|p| p.blockers == 0) {
                    self.finish_event(id);
                    budget = budget.saturating_sub(1);
                    progressed = true;
                }
            }
            if !progressed {
                // Idle: whatever ran before was not a loop of events alone.
                self.starts_in_a_row.clear();
                return false;
            }
        }
    }

    /// Would [`Engine::run_queue`] make progress now? True after it stopped short.
    pub fn busy(&self) -> bool {
        self.events
            .values()
            .any(|p| p.progress == Progress::Pending || p.blockers == 0)
    }

    /// Feeds one event to every instance's `stop on`, then to every class's `start on`.
    fn handle_event(&mut self, id: EventId) {
        let Some((event, spares)) = self
            .events
            .get(&id)
            .map(|p| (p.event.clone(), p.spares.clone()))
        else {
            return;
        };
        self.log(LogPriority::Info, || {
            format!("Handling {} event", event.name)
        });
        let Some(names) = self.interested.get(&event.name).cloned() else {
            return;
        };
        for name in names.iter() {
            self.handle_stop_conditions(name, id, &event);
            if spares.as_deref() != Some(name.as_str()) {
                self.handle_start_condition(name, id, &event);
            }
        }
    }

    fn handle_stop_conditions(&mut self, class: &str, id: EventId, event: &Event) {
        let cares = self.classes.get(class).is_some_and(|entry| {
            entry.instances.values().any(|instance| {
                instance
                    .stop_on
                    .as_ref()
                    .is_some_and(|c| c.would_match(event, &instance.env))
            })
        });
        if !cares {
            return;
        }
        let Some(entry) = self.classes.get_mut(class) else {
            return;
        };
        let mut fired = Vec::new();
        let mut held = 0;
        for instance in entry.instances.values_mut() {
            let Some(condition) = instance.stop_on.as_mut() else {
                continue;
            };
            let newly = condition.handle(id, event, &instance.env);
            held += newly;
            if newly > 0 && condition.value() {
                let contributing = condition.contributing_events();
                let released = condition.reset();
                fired.push((instance.key(), contributing, released));
            }
        }
        self.block(id, held);
        for (key, contributing, released) in fired {
            if self.instance(&key).is_some_and(|i| i.goal != Goal::Stop) {
                let stop_env =
                    self.condition_environment(Env::new(), &contributing, "UPSTART_STOP_EVENTS");
                if let Some(instance) = self.instance_mut(&key) {
                    instance.stop_env = Some(stop_env);
                }
                self.job_finished(&key, false);
                self.hold_events(&key, &contributing);
                self.change_goal(&key, Goal::Stop);
            }
            self.unblock_all(&released);
        }
    }

    fn handle_start_condition(&mut self, class: &str, id: EventId, event: &Event) {
        let cares = self.classes.get(class).is_some_and(|entry| {
            entry
                .start_on
                .as_ref()
                .is_some_and(|c| c.would_match(event, &entry.env))
        });
        if !cares {
            return;
        }
        let Some(entry) = self.classes.get_mut(class) else {
            return;
        };
        let Some(condition) = entry.start_on.as_mut() else {
            return;
        };
        let newly = condition.handle(id, event, &entry.env);
        if newly == 0 {
            return;
        }
        let fired = condition.value();
        self.block(id, newly);
        if fired {
            self.induct(class);
        }
    }

    /// A class's `start on` became true: find or make the instance and start it.
    fn induct(&mut self, class: &str) {
        let Some(entry) = self.classes.get_mut(class) else {
            return;
        };
        let Some(condition) = entry.start_on.as_mut() else {
            return;
        };
        let contributing = condition.contributing_events();
        let released = condition.reset();
        let base = Env::clone(&entry.env);
        let pattern = entry.class.instance.clone();
        let env = self.condition_environment(base, &contributing, "UPSTART_EVENTS");
        match crate::environ::expand(&pattern, &env) {
            Err(error) => {
                self.log(LogPriority::Warn, || {
                    format!("Failed to obtain {class} instance: {error}")
                });
            }
            Ok(name) => {
                let key = self.find_or_create_instance(class, name);
                if self.instance(&key).is_some_and(|i| i.goal != Goal::Start) {
                    if let Some(instance) = self.instance_mut(&key) {
                        instance.start_env = Some(env);
                    }
                    self.job_finished(&key, false);
                    self.hold_events(&key, &contributing);
                    self.change_goal(&key, Goal::Start);
                }
            }
        }
        self.unblock_all(&released);
    }

    /// `base` + the env of each contributing event in order + `KEY=<event names>`.
    fn condition_environment(&self, mut env: Env, events: &[EventId], key: &str) -> Env {
        let mut names = String::new();
        for id in events {
            if let Some(pending) = self.events.get(id) {
                env.extend(&pending.event.env);
                if !names.is_empty() {
                    names.push(' ');
                }
                names.push_str(&pending.event.name);
            }
        }
        env.set(key, &names);
        env
    }

    /// The instance holds these events until it gets where it is going.
    fn hold_events(&mut self, key: &InstanceKey, events: &[EventId]) {
        for &id in events {
            self.block(id, 1);
        }
        if let Some(instance) = self.instance_mut(key) {
            instance
                .blocking
                .extend(events.iter().map(|&id| Blocked::Event(id)));
        }
    }

    pub(crate) fn find_or_create_instance(&mut self, class: &str, name: String) -> InstanceKey {
        let key = InstanceKey {
            job: class.to_string(),
            instance: name.clone(),
        };
        if let Some(entry) = self.classes.get_mut(class) {
            let template = entry.class.clone();
            entry
                .instances
                .entry(name.clone())
                .or_insert_with(|| Instance::new(template, name));
        }
        key
    }

    /// Tells everyone waiting on the event, and emits `<name>/failed` if a job failed on it.
    fn finish_event(&mut self, id: EventId) {
        let Some(pending) = self.events.remove(&id) else {
            return;
        };
        let pending = Rc::unwrap_or_clone(pending);
        self.log(LogPriority::Debug, || {
            format!("Finished {} event", pending.event.name)
        });
        self.effects.push(Effect::EventFinished {
            event: pending.event.clone(),
            failed: pending.failed,
        });
        for waiter in pending.waiters {
            match waiter {
                Waiter::Job(key) => {
                    let next = match self.instance_mut(&key) {
                        Some(instance) if instance.blocker == Some(id) => {
                            instance.blocker = None;
                            instance.next_state()
                        }
                        _ => continue,
                    };
                    self.change_state(&key, next);
                }
                Waiter::Client(client) => {
                    let reply = if pending.failed {
                        Reply::Error("Event failed".into())
                    } else {
                        Reply::EventOk
                    };
                    self.reply(client, reply);
                }
            }
        }
        if pending.failed && !pending.event.name.ends_with("/failed") {
            let failed = Event::new(
                format!("{}/failed", pending.event.name),
                pending.event.env.clone(),
            );
            self.emit(failed, None);
        }
    }
}
