//! kindling: an event-based init daemon that runs Upstart job files.
//!
//! Crate map — the pure core first, the effects at the edge:
//!
//! | module      | owns                                                                    |
//! |-------------|-------------------------------------------------------------------------|
//! | [`job`]     | job files → [`job::JobClass`]: lexer, stanzas, conf dirs, overrides      |
//! | [`event`]   | events, `start on`/`stop on` expressions, fnmatch matching              |
//! | [`environ`] | ordered `KEY=VALUE` environments and `$VAR` expansion                   |
//! | [`priority`] | upstream's log priorities (debug … fatal), shared by engine, control, daemon |
//! | [`process`] | the shared words `Pid` and `ExitStatus`                                 |
//! | [`signal`]  | signal names ↔ numbers, as job files and job events spell them          |
//! | [`engine`]  | goals, the ten states, blocking, respawn: facts in, effects out         |
//! | [`supervise`] | job processes: fork/exec with the stanzas, reaper, ptrace, kill, logs |
//! | [`control`] | the control socket: versioned framed protocol, server, client, initctl's answers |
//! | [`inspect`] | pure views of job classes: show-config, check-config, usage, the initctl2dot graph |
//!
//! `job`, `event`, `environ`, `signal` and `engine` never touch the system: no files, no
//! processes, no clock. The daemon reads files and the clock, and carries out the effects.

/// The version string `init --version` and `initctl version` print (never "upstart":
/// `init_is_upstart()` in Debian's init-functions greps for it).
pub const VERSION: &str = concat!("init (kindling ", env!("CARGO_PKG_VERSION"), ")");

/// What the other tools put after their name for `--version`: `initctl (kindling X.Y.Z)`.
pub const VERSION_TAG: &str = concat!("(kindling ", env!("CARGO_PKG_VERSION"), ")");

pub mod control;
pub mod daemon;
pub mod engine;
pub mod environ;
pub mod event;
pub mod inspect;
pub mod job;
pub mod priority;
pub mod process;
pub mod signal;
pub mod supervise;
