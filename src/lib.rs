//! kindling: an event-based init daemon that runs Upstart job files.
//!
//! Crate map — the pure core first, the effects at the edge:
//!
//! | module      | owns                                                                    |
//! |-------------|-------------------------------------------------------------------------|
//! | [`job`]     | job files → [`job::JobClass`]: lexer, stanzas, conf dirs, overrides      |
//! | [`event`]   | events, `start on`/`stop on` expressions, fnmatch matching              |
//! | [`environ`] | ordered `KEY=VALUE` environments and `$VAR` expansion                   |
//! | [`signal`]  | signal names ↔ numbers, as job files and job events spell them          |
//! | [`engine`]  | goals, the ten states, blocking, respawn: facts in, effects out         |
//! | [`supervise`] | job processes: fork/exec with the stanzas, reaper, ptrace, kill, logs |
//! | [`control`] | the control socket: versioned framed protocol, server, client, initctl's answers |
//!
//! `job`, `event`, `environ`, `signal` and `engine` never touch the system: no files, no
//! processes, no clock. The daemon reads files and the clock, and carries out the effects.

pub mod control;
pub mod daemon;
pub mod engine;
pub mod environ;
pub mod event;
pub mod job;
pub mod signal;
pub mod supervise;
