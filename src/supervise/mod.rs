//! Job processes in the real world: fork/exec with every stanza applied ([`spawn()`]), the one
//! reaper ([`reap`]), ptrace for `expect fork|daemon` ([`Tracer`]), signals to jobs
//! ([`kill_group`], [`kill`]) and `console log` files ([`JobLog`], [`LogBook`]).
//!
//! Never: threads, `std::process`/`tokio::process` for job processes, blocking on a child or
//! a pipe, or anything but async-signal-safe libc calls between `fork` and `execve` (see
//! `child`: no allocation, no locks, no formatting, no panics).
//!
//! How the daemon drives it (one thread, one loop):
//!
//! 1. `Effect::Spawn` → [`spawn()`]. `Ok` → `Fact::Spawned`; for a traced main process call
//!    [`Tracer::follow`]; watch [`SpawnedProcess::errors`] for readability and answer
//!    `Fact::SpawnFailed` when [`read_spawn_error`] says [`SpawnCheck::Failed`],
//!    `Fact::Execed` when it says [`SpawnCheck::Ok`]. `Err` →
//!    `Fact::SpawnFailed` at once. A child that fails writes its record *before* it exits, so
//!    when the reaper reports a pid whose check is still pending, read the pipe first.
//! 2. SIGCHLD (coalesced) → [`reap`] until it returns fewer than [`REAP_BATCH`] events →
//!    each event through [`Tracer::handle`] → `Fact::Exited`, `Fact::Stopped`, `Fact::Forked`.
//! 3. `Effect::KillGroup` → [`kill_group`], `Effect::Kill` → [`kill`], `Effect::Detach` →
//!    [`Tracer::detach`].
//! 4. A pty master readable → [`JobLog::on_readable`]; at EOF [`JobLog::finish`] and keep what
//!    could not be written in the [`LogBook`]; `initctl notify-disk-writeable` → flush both.

mod child;
pub mod kill;
pub mod log;
pub mod reaper;
pub mod spawn;
pub mod trace;

pub use kill::{kill, kill_group};
pub use log::{log_path, JobLog, LogBook, LogFile, LogProgress};
pub use reaper::{reap, ChildEvent, REAP_BATCH};
pub use spawn::{
    plan_command, read_spawn_error, spawn, CommandPlan, SpawnCheck, SpawnConfig, SpawnError,
    SpawnRequest, SpawnedProcess,
};
pub use trace::{TraceOutcome, Tracer};
