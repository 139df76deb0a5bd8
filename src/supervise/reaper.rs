//! The one reaper: drains `waitpid(-1, WNOHANG|WUNTRACED|__WALL)` and reports exits, stops
//! and ptrace events of every child, orphans included.
//!
//! Never: wait for one pid only (a PID 1 must reap everything), block, or drop an exit it
//! consumed. Statuses are decoded with libc's macros, not nix's `WaitStatus`, which cannot
//! represent real-time signals and would turn a child killed by SIGRTMIN+n into an error
//! after its status was already consumed.

use crate::process::{ExitStatus, Pid};

/// At most this many events per [`reap`] call; a full batch means more may be waiting.
pub const REAP_BATCH: usize = 1024;

/// One `waitpid` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildEvent {
    /// The process ended; it is gone.
    Exited { pid: Pid, status: ExitStatus },
    /// The process stopped on `signal`: a job-control stop, or a ptrace signal-delivery stop
    /// of a traced process (only the [`super::Tracer`] can tell them apart).
    Stopped { pid: Pid, signal: i32 },
    /// A traced process stopped at a ptrace event (`PTRACE_EVENT_FORK`, `_EXEC`, …).
    PtraceEvent { pid: Pid, event: i32 },
}

/// Decodes a raw `waitpid` status; `None` for what we never asked for (continued).
pub fn decode(pid: Pid, status: i32) -> Option<ChildEvent> {
    if libc::WIFEXITED(status) {
        Some(ChildEvent::Exited {
            pid,
            status: ExitStatus::Exited(libc::WEXITSTATUS(status)),
        })
    } else if libc::WIFSIGNALED(status) {
        Some(ChildEvent::Exited {
            pid,
            status: ExitStatus::Signaled(libc::WTERMSIG(status)),
        })
    } else if libc::WIFSTOPPED(status) {
        let event = (status >> 16) & 0xff;
        if event != 0 {
            Some(ChildEvent::PtraceEvent { pid, event })
        } else {
            Some(ChildEvent::Stopped {
                pid,
                signal: libc::WSTOPSIG(status),
            })
        }
    } else {
        None
    }
}

/// Reaps everything that is ready, without blocking; at most [`REAP_BATCH`] events.
pub fn reap() -> Vec<ChildEvent> {
    let mut events = Vec::new();
    while events.len() < REAP_BATCH {
        let mut status: libc::c_int = 0;
        // SAFETY: waitpid writes the status into a live integer.
        let pid = unsafe {
            libc::waitpid(
                -1,
                &mut status,
                libc::WNOHANG | libc::WUNTRACED | libc::__WALL,
            )
        };
        if pid == 0 {
            break;
        }
        if pid < 0 {
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                // ECHILD: no children at all; anything else cannot be retried usefully.
                _ => break,
            }
        }
        if let Some(event) = decode(pid, status) {
            events.push(event);
        }
    }
    events
}
