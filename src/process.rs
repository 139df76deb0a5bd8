//! The words for processes that the engine and the world share: a [`Pid`] and how a process
//! ended ([`ExitStatus`]). Plain data: the engine takes them as opaque facts, `supervise`
//! gets them from `waitpid`.

/// A process id, as the daemon reported it.
pub type Pid = i32;

/// How a process ended, as `waitpid` reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    Signaled(i32),
}
