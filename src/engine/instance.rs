//! One job instance (Upstart's `Job`): its goal, state, processes, environments and failure,
//! the transition table and the status line `initctl` prints.

use super::condition::Condition;
use super::{ClientId, EventId, Goal, InstanceKey, Millis, Pid, State, TimerId};
use crate::environ::Env;
use crate::job::{JobClass, ProcessKind};
use std::rc::Rc;

/// Something an instance holds until it gets where it was asked to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocked {
    /// An event that started or stopped it.
    Event(EventId),
    /// A client waiting for `start`, `stop` or `restart` to complete.
    Client(ClientId, Request),
}

/// Which request a waiting client made (for the failure message it gets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    Start,
    Stop,
    Restart,
}

impl Request {
    pub(crate) fn failure_message(self) -> &'static str {
        match self {
            Request::Start => "Job failed to start",
            Request::Stop => "Job failed while stopping",
            Request::Restart => "Job failed to restart",
        }
    }
}

/// Why an instance failed, for `RESULT=failed PROCESS=… EXIT_…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A process failed; `status` is the raw status (code, or signal << 8), `None` if it
    /// never ran (spawn error).
    Process {
        kind: ProcessKind,
        status: Option<i32>,
    },
    /// The respawn limit was hit.
    Respawn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instance {
    /// The definition this instance was started with; it keeps it until it reaches waiting.
    pub(crate) class: Rc<JobClass>,
    pub(crate) name: String,
    pub(crate) goal: Goal,
    pub(crate) state: State,
    pub(crate) env: Env,
    pub(crate) start_env: Option<Env>,
    pub(crate) stop_env: Option<Env>,
    pub(crate) stop_on: Option<Condition>,
    /// The instance's own `starting`/`stopping` event it waits for.
    pub(crate) blocker: Option<EventId>,
    pub(crate) blocking: Vec<Blocked>,
    /// Live processes, indexed by [`process_index`].
    pub(crate) pids: [Option<Pid>; 5],
    pub(crate) failure: Option<Failure>,
    /// Start of the respawn window (seconds) and respawns counted in it.
    pub(crate) respawn_window: Option<Millis>,
    pub(crate) respawn_count: u32,
    pub(crate) kill_timer: Option<TimerId>,
    /// Forks seen so far while following the main process (`expect fork|daemon`).
    pub(crate) forks_seen: u32,
    /// A `stop` command (not a `stop on` event) set the goal: the `stopped` event this stop
    /// ends with does not start the job again.
    pub(crate) stopped_by_command: bool,
}

pub(crate) fn process_index(kind: ProcessKind) -> usize {
    match kind {
        ProcessKind::Main => 0,
        ProcessKind::PreStart => 1,
        ProcessKind::PostStart => 2,
        ProcessKind::PreStop => 3,
        ProcessKind::PostStop => 4,
    }
}

impl Instance {
    pub(crate) fn new(class: Rc<JobClass>, name: String) -> Self {
        let stop_on = class.stop_on.as_ref().map(Condition::new);
        Instance {
            class,
            name,
            goal: Goal::Stop,
            state: State::Waiting,
            env: Env::new(),
            start_env: None,
            stop_env: None,
            stop_on,
            blocker: None,
            blocking: Vec::new(),
            pids: [None; 5],
            failure: None,
            respawn_window: None,
            respawn_count: 0,
            kill_timer: None,
            forks_seen: 0,
            stopped_by_command: false,
        }
    }

    pub(crate) fn key(&self) -> InstanceKey {
        InstanceKey {
            job: self.class.name.clone(),
            instance: self.name.clone(),
        }
    }

    pub(crate) fn pid(&self, kind: ProcessKind) -> Option<Pid> {
        self.pids[process_index(kind)]
    }

    pub(crate) fn set_pid(&mut self, kind: ProcessKind, pid: Option<Pid>) {
        self.pids[process_index(kind)] = pid;
    }

    fn has(&self, kind: ProcessKind) -> bool {
        self.class.process(kind).is_some()
    }

    /// `svc` or `w (1)`, as init's log and initctl's errors name an instance.
    pub(crate) fn display_name(&self) -> String {
        display_name(&self.class.name, &self.name)
    }

    /// Upstart's `job_next_state()`. A `Respawn` goal in post-start or pre-stop turns into
    /// `Start` on the way to stopping; everywhere else it means the same as `Start`.
    pub(crate) fn next_state(&mut self) -> State {
        use State::*;
        let stopping = self.goal == Goal::Stop;
        match self.state {
            Waiting => Starting,
            Starting | PreStart | Spawned if stopping => Stopping,
            Starting => PreStart,
            PreStart => Spawned,
            Spawned => PostStart,
            PostStart | PreStop if self.goal == Goal::Respawn => {
                self.goal = Goal::Start;
                Stopping
            }
            PostStart if stopping => Stopping,
            PostStart => Running,
            Running if stopping => {
                if self.has(ProcessKind::Main) && self.pid(ProcessKind::Main).is_some() {
                    PreStop
                } else {
                    Stopping
                }
            }
            Running => Stopping,
            PreStop if stopping => Stopping,
            PreStop => Running,
            Stopping => Killed,
            Killed => PostStop,
            PostStop if stopping => Waiting,
            PostStop => Starting,
        }
    }

    /// The `initctl status` block: `NAME[ (INST)] GOAL/STATE[, process PID]` and a
    /// TAB-indented line per further live process.
    pub(crate) fn status_lines(&self) -> Vec<String> {
        let mut first = format!(
            "{} {}/{}",
            self.display_name(),
            self.goal.name(),
            self.state.name()
        );
        let mut lines = Vec::new();
        for kind in ProcessKind::ALL {
            let Some(pid) = self.pid(kind) else { continue };
            if lines.is_empty() {
                match kind {
                    ProcessKind::PostStart | ProcessKind::PreStop => {
                        first.push_str(&format!(", ({kind}) process {pid}"))
                    }
                    _ => first.push_str(&format!(", process {pid}")),
                }
                lines.push(first.clone());
            } else {
                lines.push(format!("\t{kind} process {pid}"));
            }
        }
        if lines.is_empty() {
            lines.push(first);
        }
        lines
    }
}

pub(crate) fn display_name(job: &str, instance: &str) -> String {
    if instance.is_empty() {
        job.to_string()
    } else {
        format!("{job} ({instance})")
    }
}
