//! The vocabulary between the engine and the world: facts in, effects out.

use crate::environ::Env;
use crate::event::Event;
use crate::job::{JobClass, ProcessKind};
pub use crate::priority::LogPriority;
pub use crate::process::{ExitStatus, Pid};
use std::rc::Rc;

/// Monotonic time in milliseconds since an arbitrary start; the daemon reads the clock.
pub type Millis = u64;

/// Identifies a control client waiting for an answer.
pub type ClientId = u64;

/// Identifies one armed timer.
pub type TimerId = u64;

/// A job instance: class name and instance name (`""` for single-instance jobs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceKey {
    pub job: String,
    pub instance: String,
}

/// Something that happened in the world.
#[derive(Debug, Clone)]
pub enum Fact {
    /// The configuration was (re)loaded: the complete set of valid classes.
    Configuration(Vec<JobClass>),
    /// Emit an event (from init itself, `initctl emit`, telinit…).
    Emit {
        event: Event,
        /// The client to answer when the event has finished, if it waits.
        client: Option<ClientId>,
    },
    /// A control request about a job.
    Command { client: ClientId, command: Command },
    /// A `Spawn` effect forked: the child runs under `pid` and is setting itself up. Its
    /// exec is confirmed later by [`Fact::Execed`], or it reports [`Fact::SpawnFailed`].
    Spawned {
        key: InstanceKey,
        process: ProcessKind,
        pid: Pid,
    },
    /// The child `pid` of a [`Fact::Spawned`] exec'd its command: its setup (user lookup,
    /// chdir, limits, console…) succeeded. Only now is a main process without `expect`
    /// running: a `start` is answered and `started` emitted after this, never before.
    Execed { pid: Pid },
    /// A `Spawn` effect failed: fork failed, or the child reported an error before `exec`.
    SpawnFailed {
        key: InstanceKey,
        process: ProcessKind,
        error: String,
    },
    /// A process ended (reaped by `waitpid`).
    Exited { pid: Pid, status: ExitStatus },
    /// `expect fork|daemon`: the traced main process `pid` forked `child`.
    Forked { pid: Pid, child: Pid },
    /// `expect fork|daemon`: the followed process exec'd after at least one fork; upstream
    /// takes that as the end of the daemon's start-up (the tracer has let it go).
    ExecAfterFork { pid: Pid },
    /// `expect stop`: the main process stopped itself with SIGSTOP.
    Stopped { pid: Pid },
    /// A timer armed with [`Effect::ArmTimer`] expired.
    TimerFired(TimerId),
    /// Nothing new: go on with the event queue where the last fact's budget ran out
    /// ([`crate::engine::Engine::busy`]).
    Continue,
}

/// A control request the engine answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start { job: String, env: Env, wait: bool },
    Stop { job: String, env: Env, wait: bool },
    Restart { job: String, env: Env, wait: bool },
    Reload { job: String, env: Env },
    Status { job: String, env: Env },
    List,
}

/// Something the daemon must do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Run a job process. Answer with [`Fact::Spawned`] or [`Fact::SpawnFailed`]; after
    /// `Spawned`, with [`Fact::Execed`] or [`Fact::SpawnFailed`] once the child has told.
    Spawn {
        key: InstanceKey,
        process: ProcessKind,
        class: Rc<JobClass>,
        env: Env,
    },
    /// Send `signal` to the process group of `pid`.
    KillGroup {
        pid: Pid,
        signal: i32,
    },
    /// Send `signal` to `pid` alone (reload, SIGCONT after `expect stop`).
    Kill {
        pid: Pid,
        signal: i32,
    },
    /// Stop tracing `pid` (`expect fork|daemon` satisfied or abandoned).
    Detach {
        pid: Pid,
    },
    /// Fire [`Fact::TimerFired`] after `after` milliseconds.
    ArmTimer {
        timer: TimerId,
        after: Millis,
    },
    CancelTimer(TimerId),
    /// Answer a waiting client.
    Reply {
        client: ClientId,
        reply: Reply,
    },
    /// An event finished (for logging and for subscribers).
    EventFinished {
        event: Event,
        failed: bool,
    },
    /// A line for init's log, in Upstart's words.
    Log {
        level: LogPriority,
        message: String,
    },
}

/// What a client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The command succeeded; the status lines to print (`svc start/running, process 42`).
    Status(Vec<String>),
    /// The event finished without failures.
    EventOk,
    /// An error in Upstart's words (`Unknown job: x`, `Job failed to start`, `Event failed`).
    Error(String),
}

/// What an instance is heading for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    Stop,
    Start,
    /// Internal: the main process must be restarted once the current step ends (shown `start`).
    Respawn,
}

impl Goal {
    pub fn name(self) -> &'static str {
        match self {
            Goal::Stop => "stop",
            Goal::Start | Goal::Respawn => "start",
        }
    }
}

/// The ten documented states of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Waiting,
    Starting,
    PreStart,
    Spawned,
    PostStart,
    Running,
    PreStop,
    Stopping,
    Killed,
    PostStop,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Starting => "starting",
            State::PreStart => "pre-start",
            State::Spawned => "spawned",
            State::PostStart => "post-start",
            State::Running => "running",
            State::PreStop => "pre-stop",
            State::Stopping => "stopping",
            State::Killed => "killed",
            State::PostStop => "post-stop",
        }
    }
}

/// What the engine sets up before any fact: the environment every job gets.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// Upstart's global job environment: `PATH` and `TERM` (first in every job's env).
    pub job_env: Env,
    /// init's own environment, read by bare `env KEY` stanzas.
    pub init_env: Env,
    /// Log lines below this level are not even formatted.
    pub log_priority: LogPriority,
}

/// A read-only view of one instance, for status output and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceView {
    pub key: InstanceKey,
    pub goal: Goal,
    pub state: State,
    /// Live processes in Upstart's order: main, pre-start, post-start, pre-stop, post-stop.
    pub pids: Vec<(ProcessKind, Pid)>,
    /// The instance's environment (class env + start env).
    pub env: Env,
}
