//! Signals to job processes: the whole process group (`kill signal`, SIGKILL after
//! `kill timeout`) or one pid (`reload signal`, SIGCONT after `expect stop`).
//!
//! Never: signal pid ≤ 0, process group 1 (that is `kill(-1)`: every process) or init's own
//! process group — a child that has not reached `setsid()` yet still shares it, and so does
//! PID 1's group 0/1. In those cases only the pid itself is signalled.

use crate::process::Pid;
use nix::errno::Errno;

fn raw_kill(target: libc::pid_t, signal: i32) -> Result<(), Errno> {
    // SAFETY: kill(2) with a checked target; no memory involved.
    if unsafe { libc::kill(target, signal) } < 0 {
        match Errno::last() {
            Errno::ESRCH => Ok(()),
            err => Err(err),
        }
    } else {
        Ok(())
    }
}

fn check(pid: Pid, signal: i32) -> Result<(), Errno> {
    if pid <= 0 || !(0..=64).contains(&signal) {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

/// Sends `signal` to `pid` alone; a process that is already gone (ESRCH) is not an error.
pub fn kill(pid: Pid, signal: i32) -> Result<(), Errno> {
    check(pid, signal)?;
    raw_kill(pid, signal)
}

/// Upstart's `system_kill()`: `signal` to the process group of `pid` (every job process is a
/// session and group leader, so this is its whole tree unless children moved away), falling
/// back to the pid when the group cannot be had; ESRCH is not an error.
pub fn kill_group(pid: Pid, signal: i32) -> Result<(), Errno> {
    check(pid, signal)?;
    // SAFETY: getpgid/getpgrp take and return plain integers.
    let (pgid, own) = unsafe { (libc::getpgid(pid), libc::getpgrp()) };
    if pgid > 1 && pgid != own {
        raw_kill(-pgid, signal)
    } else {
        raw_kill(pid, signal)
    }
}
