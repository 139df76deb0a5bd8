//! What happens on entering each state, when a process ends, and when a job fails
//! (Upstart's `job_change_goal/state()`, `job_process_terminated()`, `job_failed()`).

use super::instance::{Blocked, Failure};
use super::queue::Waiter;
use super::{
    Effect, Engine, EventId, ExitStatus, Goal, InstanceKey, LogPriority, PendingReply, Pid, State,
    TimerId,
};
use crate::environ::Env;
use crate::event::Event;
use crate::job::{Expect, ProcessKind};
use crate::signal;

impl Engine {
    /// Sets the goal; only `waiting` (→ start) and `running` (→ stop) are kicked at once,
    /// every other state picks the goal up when its process ends or its event finishes.
    pub(crate) fn change_goal(&mut self, key: &InstanceKey, goal: Goal) {
        let next = match self.instance_mut(key) {
            Some(instance) if instance.goal != goal => {
                instance.goal = goal;
                if goal != Goal::Stop {
                    instance.stopped_by_command = false;
                }
                // A main process waiting for a wrongly guessed `expect` would hold the
                // job in `spawned` forever; a stop goes on without it (decisions.md).
                let awaiting_expect =
                    instance.state == State::Spawned && instance.pid(ProcessKind::Main).is_some();
                let kick = match goal {
                    Goal::Start => instance.state == State::Waiting,
                    Goal::Stop => instance.state == State::Running || awaiting_expect,
                    Goal::Respawn => false,
                };
                let detach = (goal == Goal::Stop && awaiting_expect)
                    .then(|| instance.pid(ProcessKind::Main))
                    .flatten();
                kick.then(|| (instance.next_state(), detach))
            }
            _ => None,
        };
        if let Some((next, detach)) = next {
            if let Some(pid) = detach {
                self.effects.push(Effect::Detach { pid });
            }
            self.change_state(key, next);
        }
    }

    /// Moves the instance into `target` and on through every state that needs nothing to
    /// happen, stopping where it must wait for a process or an event.
    pub(crate) fn change_state(&mut self, key: &InstanceKey, mut target: State) {
        loop {
            let Some(instance) = self.instance_mut(key) else {
                return;
            };
            if instance.state == target || instance.blocker.is_some() {
                return;
            }
            let old = instance.state;
            instance.state = target;
            let class = instance.class.clone();
            self.log(LogPriority::Debug, || {
                format!(
                    "{} state changed from {} to {}",
                    super::instance::display_name(&key.job, &key.instance),
                    old.name(),
                    target.name()
                )
            });
            let wait_for = |kind: ProcessKind| class.process(kind).is_some();
            match target {
                State::Starting => {
                    if let Some(instance) = self.instance_mut(key) {
                        if let Some(env) = instance.start_env.take() {
                            instance.env = env;
                        }
                        instance.stop_env = None;
                        instance.failure = None;
                    }
                    self.count_start(key);
                    let id = self.emit_job_event(key, "starting");
                    self.wait_for_event(key, id);
                    return;
                }
                State::PreStart | State::PostStart | State::PreStop | State::PostStop => {
                    let kind = match target {
                        State::PreStart => ProcessKind::PreStart,
                        State::PostStart => ProcessKind::PostStart,
                        State::PreStop => ProcessKind::PreStop,
                        _ => ProcessKind::PostStop,
                    };
                    if !wait_for(kind) {
                        target = self.next_state_of(key);
                        continue;
                    }
                    self.spawn(key, kind);
                    return;
                }
                State::Spawned => {
                    if !wait_for(ProcessKind::Main) {
                        target = self.next_state_of(key);
                        continue;
                    }
                    if let Some(instance) = self.instance_mut(key) {
                        instance.forks_seen = 0;
                    }
                    self.spawn(key, ProcessKind::Main);
                    return;
                }
                State::Running => {
                    if old == State::PreStop {
                        // A `start` during pre-stop cancelled the stop.
                        if let Some(instance) = self.instance_mut(key) {
                            instance.stop_env = None;
                        }
                        self.job_finished(key, false);
                    } else {
                        self.emit_job_event(key, "started");
                        if !class.task {
                            self.job_finished(key, false);
                        }
                    }
                    return;
                }
                State::Stopping => {
                    let id = self.emit_job_event(key, "stopping");
                    self.wait_for_event(key, id);
                    return;
                }
                State::Killed => {
                    let main = self.instance(key).and_then(|i| i.pid(ProcessKind::Main));
                    match main {
                        Some(pid) if wait_for(ProcessKind::Main) => {
                            self.kill_main(key, pid, class.kill_signal, class.kill_timeout);
                            return;
                        }
                        _ => {
                            target = self.next_state_of(key);
                            continue;
                        }
                    }
                }
                State::Waiting => {
                    let id = self.emit_job_event(key, "stopped");
                    if self.instance(key).is_some_and(|i| i.stopped_by_command) {
                        self.spare(id, &key.job);
                    }
                    self.job_finished(key, false);
                    self.remove_instance(key);
                    return;
                }
            }
        }
    }

    fn next_state_of(&mut self, key: &InstanceKey) -> State {
        match self.instance_mut(key) {
            Some(instance) => instance.next_state(),
            None => State::Waiting,
        }
    }

    fn wait_for_event(&mut self, key: &InstanceKey, id: EventId) {
        self.add_waiter(id, Waiter::Job(key.clone()));
        if let Some(instance) = self.instance_mut(key) {
            instance.blocker = Some(id);
        }
    }

    fn remove_instance(&mut self, key: &InstanceKey) {
        let Some(entry) = self.classes.get_mut(&key.job) else {
            return;
        };
        if let Some(instance) = entry.instances.remove(&key.instance) {
            let released = instance
                .stop_on
                .map(|mut condition| condition.reset())
                .unwrap_or_default();
            if let Some(timer) = instance.kill_timer {
                self.timers.remove(&timer);
            }
            self.unblock_all(&released);
        }
        if self
            .classes
            .get(&key.job)
            .is_some_and(|e| e.deleted && e.instances.is_empty())
        {
            self.classes.remove(&key.job);
        }
    }

    /// Releases everything the instance holds: events (marked failed if it failed) and
    /// waiting clients.
    pub(crate) fn job_finished(&mut self, key: &InstanceKey, failed: bool) {
        let Some(instance) = self.instance_mut(key) else {
            return;
        };
        for blocked in std::mem::take(&mut instance.blocking) {
            match blocked {
                Blocked::Event(id) => {
                    if failed {
                        self.mark_failed(id);
                    }
                    self.unblock(id);
                }
                Blocked::Client(client, request) => {
                    let reply = match (failed, request) {
                        (true, _) => PendingReply::Failed(request),
                        (false, super::instance::Request::Stop) => {
                            PendingReply::StatusAfterStop(key.clone())
                        }
                        (false, _) => PendingReply::StatusOf(key.clone()),
                    };
                    self.replies.push((client, reply));
                }
            }
        }
    }

    /// Records the first failure and releases what the instance holds, as failed.
    fn job_failed(&mut self, key: &InstanceKey, failure: Failure) {
        match self.instance_mut(key) {
            Some(instance) if instance.failure.is_none() => instance.failure = Some(failure),
            _ => return,
        }
        self.job_finished(key, true);
    }

    /// `starting`/`started`/`stopping`/`stopped` with `JOB`, `INSTANCE`, the result for
    /// the stop events, and exported variables.
    fn emit_job_event(&mut self, key: &InstanceKey, name: &str) -> EventId {
        let mut env = Env::new();
        env.set("JOB", &key.job);
        env.set("INSTANCE", &key.instance);
        if let Some(instance) = self.instance(key) {
            if name == "stopping" || name == "stopped" {
                match instance.failure {
                    None => env.set("RESULT", "ok"),
                    Some(failure) => {
                        env.set("RESULT", "failed");
                        match failure {
                            Failure::Respawn => env.set("PROCESS", "respawn"),
                            Failure::Process { kind, status } => {
                                env.set("PROCESS", kind.name());
                                match status {
                                    Some(raw) if raw & !0xff != 0 => {
                                        env.set("EXIT_SIGNAL", &signal::name(raw >> 8))
                                    }
                                    Some(raw) => env.set("EXIT_STATUS", &raw.to_string()),
                                    None => {}
                                }
                            }
                        }
                    }
                }
            }
            let mut exported = Env::new();
            for variable in &instance.class.export {
                if let Some(value) = instance.env.get(variable) {
                    exported.set(variable, value);
                }
            }
            for (k, v) in exported.iter() {
                if env.get(k).is_none() {
                    env.set(k, v);
                }
            }
        }
        self.emit(Event::new(name, env), None)
    }

    /// Asks the daemon to run one of the instance's processes.
    /// Counts a start while the queue has not been idle; the [`super::LOOP_WARNING`]th says
    /// which job is looping (once per loop: the count only resets when the queue is idle).
    fn count_start(&mut self, key: &InstanceKey) {
        let count = self.starts_in_a_row.entry(key.clone()).or_insert(0);
        *count = count.saturating_add(1);
        if *count == super::LOOP_WARNING {
            let name = super::instance::display_name(&key.job, &key.instance);
            self.log(LogPriority::Warn, || {
                format!(
                    "{name} is looping: started {} times by events without waiting for a \
                     process; check its start on and stop on conditions",
                    super::LOOP_WARNING
                )
            });
        }
    }

    fn spawn(&mut self, key: &InstanceKey, kind: ProcessKind) {
        let Some(instance) = self.instance(key) else {
            return;
        };
        let mut env = instance.env.clone();
        if matches!(kind, ProcessKind::PreStop | ProcessKind::PostStop) {
            if let Some(stop_env) = &instance.stop_env {
                env.extend(stop_env);
            }
        }
        env.set("UPSTART_JOB", &key.job);
        env.set("UPSTART_INSTANCE", &key.instance);
        let class = instance.class.clone();
        self.effects.push(Effect::Spawn {
            key: key.clone(),
            process: kind,
            class,
            env,
        });
    }

    pub(crate) fn spawned(&mut self, key: &InstanceKey, kind: ProcessKind, pid: Pid) {
        let Some(instance) = self.instance_mut(key) else {
            // Its instance is gone: nobody will ever stop this process otherwise.
            self.effects.push(Effect::KillGroup {
                pid,
                signal: libc::SIGKILL,
            });
            return;
        };
        instance.set_pid(kind, Some(pid));
        self.processes.insert(pid, (key.clone(), kind));
    }

    /// The child exec'd: a main process without `expect` is now running (Upstart's spawn
    /// returned only after the exec, so a setup failure never looked like a start).
    pub(crate) fn execed(&mut self, pid: Pid) {
        let Some((key, ProcessKind::Main)) = self.processes.get(&pid).cloned() else {
            return;
        };
        let ready = self.instance(&key).is_some_and(|i| {
            i.state == State::Spawned
                && i.class.expect == Expect::None
                && i.pid(ProcessKind::Main) == Some(pid)
        });
        if ready {
            let next = self.next_state_of(&key);
            self.change_state(&key, next);
        }
    }

    pub(crate) fn spawn_failed(&mut self, key: &InstanceKey, kind: ProcessKind, error: &str) {
        let Some(instance) = self.instance_mut(key) else {
            return;
        };
        if let Some(pid) = instance.pid(kind) {
            instance.set_pid(kind, None);
            self.processes.remove(&pid);
        }
        let name = super::instance::display_name(&key.job, &key.instance);
        self.log(LogPriority::Warn, || {
            format!("Failed to spawn {name} {kind} process: {error}")
        });
        if matches!(
            kind,
            ProcessKind::PreStart | ProcessKind::Main | ProcessKind::PostStop
        ) {
            self.job_failed(key, Failure::Process { kind, status: None });
            self.change_goal(key, Goal::Stop);
        }
        let next = self.next_state_of(key);
        self.change_state(key, next);
    }

    pub(crate) fn exited(&mut self, pid: Pid, status: ExitStatus) {
        let Some((key, kind)) = self.processes.remove(&pid) else {
            return; // an orphan, or a process we already wrote off
        };
        let name = super::instance::display_name(&key.job, &key.instance);
        let raw = match status {
            ExitStatus::Exited(code) => code,
            ExitStatus::Signaled(sig) => sig << 8,
        };
        let normal = self
            .instance(&key)
            .is_some_and(|i| i.class.normal_exit.contains(&raw));
        let level = if normal {
            LogPriority::Info
        } else {
            LogPriority::Warn
        };
        match status {
            ExitStatus::Exited(0) => self.log(LogPriority::Info, || {
                format!("{name} {kind} process ({pid}) exited normally")
            }),
            ExitStatus::Exited(code) => self.log(level, || {
                format!("{name} {kind} process ({pid}) terminated with status {code}")
            }),
            ExitStatus::Signaled(sig) => self.log(level, || {
                format!(
                    "{name} {kind} process ({pid}) killed by {} signal",
                    signal::name(sig)
                )
            }),
        }
        self.process_terminated(&key, kind, raw);
    }

    /// Upstart's `job_process_terminated()`: decide failure, respawn and the next state.
    fn process_terminated(&mut self, key: &InstanceKey, kind: ProcessKind, raw: i32) {
        let now = self.now;
        let Some(instance) = self.instance_mut(key) else {
            return;
        };
        instance.set_pid(kind, None);
        let class = instance.class.clone();
        let mut failed = false;
        let mut stop = false;
        let mut change_state = true;
        let mut respawn_message = None;
        let mut runaway = false;
        match kind {
            ProcessKind::Main => {
                if let Some(timer) = instance.kill_timer.take() {
                    self.effects.push(Effect::CancelTimer(timer));
                    self.timers.remove(&timer);
                }
                let Some(instance) = self.instance_mut(key) else {
                    return;
                };
                // A hook still running decides when the state moves on.
                if (instance.state == State::PostStart
                    && instance.pid(ProcessKind::PostStart).is_some())
                    || (instance.state == State::PreStop
                        && instance.pid(ProcessKind::PreStop).is_some())
                {
                    change_state = false;
                }
                match instance.state {
                    State::Killed => {}
                    // Died between the `stopping` event and the kill: not a failure.
                    State::Stopping => change_state = false,
                    _ => {
                        let abnormal = raw != 0 || (class.respawn && !class.task);
                        if abnormal && instance.goal == Goal::Start {
                            failed = !class.normal_exit.contains(&raw);
                        }
                        if failed && class.respawn {
                            failed = false;
                            if catch_runaway(instance, &class, now) {
                                runaway = true;
                                stop = true;
                            } else {
                                respawn_message = Some(kind);
                                if !change_state {
                                    instance.goal = Goal::Respawn;
                                }
                            }
                        } else {
                            stop = true;
                        }
                    }
                }
            }
            ProcessKind::PreStart | ProcessKind::PostStop => {
                if raw != 0 {
                    failed = true;
                    stop = true;
                }
            }
            ProcessKind::PostStart | ProcessKind::PreStop => {}
        }
        let name = super::instance::display_name(&key.job, &key.instance);
        if runaway {
            self.log(LogPriority::Warn, || {
                format!("{name} respawning too fast, stopped")
            });
            self.job_failed(key, Failure::Respawn);
        }
        if let Some(kind) = respawn_message {
            self.log(LogPriority::Warn, || {
                format!("{name} {kind} process ended, respawning")
            });
        }
        if failed {
            self.job_failed(
                key,
                Failure::Process {
                    kind,
                    status: Some(raw),
                },
            );
        }
        if stop {
            if self
                .instance(key)
                .is_some_and(|i| i.state == State::Running)
            {
                change_state = false;
            }
            self.change_goal(key, Goal::Stop);
        }
        if change_state {
            let next = self.next_state_of(key);
            self.change_state(key, next);
        }
    }

    /// `kill signal` to the main process's group, SIGKILL after `kill timeout`.
    fn kill_main(&mut self, key: &InstanceKey, pid: Pid, signal: i32, timeout: u32) {
        let name = super::instance::display_name(&key.job, &key.instance);
        self.log(LogPriority::Info, || {
            format!(
                "Sending {} signal to {name} main process ({pid})",
                signal::name(signal)
            )
        });
        self.effects.push(Effect::KillGroup { pid, signal });
        let timer = self.next_timer;
        self.next_timer += 1;
        self.timers.insert(timer, key.clone());
        if let Some(instance) = self.instance_mut(key) {
            instance.kill_timer = Some(timer);
        }
        self.effects.push(Effect::ArmTimer {
            timer,
            after: u64::from(timeout) * 1000,
        });
    }

    pub(crate) fn timer_fired(&mut self, timer: TimerId) {
        let Some(key) = self.timers.remove(&timer) else {
            return;
        };
        let Some(instance) = self.instance_mut(&key) else {
            return;
        };
        if instance.kill_timer != Some(timer) {
            return;
        }
        instance.kill_timer = None;
        let Some(pid) = instance.pid(ProcessKind::Main) else {
            return;
        };
        let name = instance.display_name();
        self.log(LogPriority::Info, || {
            format!("Sending KILL signal to {name} main process ({pid})")
        });
        self.effects.push(Effect::KillGroup {
            pid,
            signal: libc::SIGKILL,
        });
    }

    /// `expect fork|daemon`: the followed main process forked.
    pub(crate) fn forked(&mut self, pid: Pid, child: Pid) {
        let Some((key, ProcessKind::Main)) = self.processes.get(&pid).cloned() else {
            return;
        };
        let Some(instance) = self.instance_mut(&key) else {
            return;
        };
        let needed = match instance.class.expect {
            Expect::Fork => 1,
            Expect::Daemon => 2,
            Expect::None | Expect::Stop => return,
        };
        if instance.state != State::Spawned || instance.forks_seen >= needed {
            return;
        }
        instance.forks_seen += 1;
        instance.set_pid(ProcessKind::Main, Some(child));
        let done = instance.forks_seen >= needed;
        let name = instance.display_name();
        self.processes.remove(&pid);
        self.processes
            .insert(child, (key.clone(), ProcessKind::Main));
        self.log(LogPriority::Info, || {
            format!("{name} main process ({pid}) became new process ({child})")
        });
        if done {
            self.effects.push(Effect::Detach { pid: child });
            let next = self.next_state_of(&key);
            self.change_state(&key, next);
        }
    }

    /// `expect fork|daemon`: an exec after a fork ends the wait like the last fork would.
    pub(crate) fn exec_after_fork(&mut self, pid: Pid) {
        let Some((key, ProcessKind::Main)) = self.processes.get(&pid).cloned() else {
            return;
        };
        let ready = self.instance(&key).is_some_and(|i| {
            i.state == State::Spawned
                && i.forks_seen > 0
                && matches!(i.class.expect, Expect::Fork | Expect::Daemon)
        });
        if ready {
            let next = self.next_state_of(&key);
            self.change_state(&key, next);
        }
    }

    /// `expect stop`: the main process stopped itself; continue it and move on.
    pub(crate) fn stopped(&mut self, pid: Pid) {
        let Some((key, ProcessKind::Main)) = self.processes.get(&pid).cloned() else {
            return;
        };
        let ready = self
            .instance(&key)
            .is_some_and(|i| i.state == State::Spawned && i.class.expect == Expect::Stop);
        if ready {
            self.effects.push(Effect::Kill {
                pid,
                signal: libc::SIGCONT,
            });
            let next = self.next_state_of(&key);
            self.change_state(&key, next);
        }
    }
}

/// The respawn limit (Upstart's `job_process_catch_runaway()`): a fixed window of
/// `interval` seconds from the first respawn in which at most `limit` respawns may happen.
fn catch_runaway(
    instance: &mut super::instance::Instance,
    class: &crate::job::JobClass,
    now: super::Millis,
) -> bool {
    if class.respawn_limit == 0 || class.respawn_interval == 0 {
        return false;
    }
    let now_secs = now / 1000;
    match instance.respawn_window {
        Some(start) if now_secs.saturating_sub(start) < u64::from(class.respawn_interval) => {
            instance.respawn_count += 1;
            instance.respawn_count > class.respawn_limit
        }
        _ => {
            instance.respawn_window = Some(now_secs);
            instance.respawn_count = 1;
            false
        }
    }
}
