//! Job files → [`JobClass`]: what a `/etc/init/NAME.conf` (plus its `.override`) says.
//!
//! [`parse_job`] turns one file's bytes into a class or a [`ParseError`] with the line and
//! Upstart's message; [`confdir`] combines several conf directories, overrides and
//! sub-directory names. Nothing here reads a file: callers hand in the text.

pub mod confdir;
mod lexer;
mod stanza;

use crate::event::EventExpr;
use std::fmt;

#[cfg(test)]
pub(crate) use stanza::stanza_names;
/// How deep a `start on`/`stop on` tree may be (the parser refuses deeper ones; so does the
/// engine state reader).
pub(crate) use stanza::MAX_EXPRESSION_DEPTH;
pub use stanza::{parse_job, parse_override};

/// Upstart's defaults (`init/job_class.h`).
pub const DEFAULT_KILL_TIMEOUT: u32 = 5;
pub const DEFAULT_RESPAWN_LIMIT: u32 = 10;
pub const DEFAULT_RESPAWN_INTERVAL: u32 = 5;
pub const DEFAULT_UMASK: u32 = 0o022;

/// One job configuration (Upstart's `JobClass`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobClass {
    /// `net/apache` for `/etc/init/net/apache.conf`.
    pub name: String,
    pub description: Option<String>,
    pub author: Option<String>,
    pub version: Option<String>,
    pub usage: Option<String>,
    /// The `instance` pattern; `""` means a single-instance job.
    pub instance: String,
    /// `env` stanzas in order; a later value of the same key replaces an earlier one.
    pub env: Vec<EnvStanza>,
    pub export: Vec<String>,
    pub emits: Vec<String>,
    pub start_on: Option<EventExpr>,
    pub stop_on: Option<EventExpr>,
    pub main: Option<Process>,
    pub pre_start: Option<Process>,
    pub post_start: Option<Process>,
    pub pre_stop: Option<Process>,
    pub post_stop: Option<Process>,
    pub expect: Expect,
    pub task: bool,
    pub respawn: bool,
    pub respawn_limit: u32,
    /// Seconds; `respawn limit` with 0 in either place disables the limit.
    pub respawn_interval: u32,
    /// Raw statuses that are not failures: an exit code, or `signal << 8`.
    pub normal_exit: Vec<i32>,
    pub kill_timeout: u32,
    pub kill_signal: i32,
    pub reload_signal: i32,
    /// `None` = the daemon's default console (`log` unless `--default-console`).
    pub console: Option<Console>,
    pub umask: u32,
    pub nice: Option<i32>,
    /// Value for `/proc/self/oom_score_adj`, −1000..=1000 (`never` = −1000).
    pub oom_score_adj: Option<i32>,
    pub limits: Vec<Limit>,
    pub chroot: Option<String>,
    pub chdir: Option<String>,
    pub setuid: Option<String>,
    pub setgid: Option<String>,
    pub debug: bool,
    pub apparmor_load: Option<String>,
    pub apparmor_switch: Option<String>,
    pub cgroups: Vec<Cgroup>,
}

impl JobClass {
    /// A class with every stanza at Upstart's default.
    pub fn new(name: impl Into<String>) -> Self {
        JobClass {
            name: name.into(),
            description: None,
            author: None,
            version: None,
            usage: None,
            instance: String::new(),
            env: Vec::new(),
            export: Vec::new(),
            emits: Vec::new(),
            start_on: None,
            stop_on: None,
            main: None,
            pre_start: None,
            post_start: None,
            pre_stop: None,
            post_stop: None,
            expect: Expect::None,
            task: false,
            respawn: false,
            respawn_limit: DEFAULT_RESPAWN_LIMIT,
            respawn_interval: DEFAULT_RESPAWN_INTERVAL,
            normal_exit: Vec::new(),
            kill_timeout: DEFAULT_KILL_TIMEOUT,
            kill_signal: libc::SIGTERM,
            reload_signal: libc::SIGHUP,
            console: None,
            umask: DEFAULT_UMASK,
            nice: None,
            oom_score_adj: None,
            limits: Vec::new(),
            chroot: None,
            chdir: None,
            setuid: None,
            setgid: None,
            debug: false,
            apparmor_load: None,
            apparmor_switch: None,
            cgroups: Vec::new(),
        }
    }

    /// The process of the given kind, if the job has one.
    pub fn process(&self, kind: ProcessKind) -> Option<&Process> {
        match kind {
            ProcessKind::Main => self.main.as_ref(),
            ProcessKind::PreStart => self.pre_start.as_ref(),
            ProcessKind::PostStart => self.post_start.as_ref(),
            ProcessKind::PreStop => self.pre_stop.as_ref(),
            ProcessKind::PostStop => self.post_stop.as_ref(),
        }
    }
}

/// `env KEY=VALUE`, or `env KEY` (copy KEY from init's own environment, if it has it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvStanza {
    pub key: String,
    pub value: Option<String>,
}

/// The processes a job may run, named as in `PROCESS=` of job events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcessKind {
    Main,
    PreStart,
    PostStart,
    PreStop,
    PostStop,
}

impl ProcessKind {
    pub const ALL: [ProcessKind; 5] = [
        ProcessKind::Main,
        ProcessKind::PreStart,
        ProcessKind::PostStart,
        ProcessKind::PreStop,
        ProcessKind::PostStop,
    ];

    /// `main`, `pre-start`, … as in `PROCESS=` and init's log.
    pub fn name(self) -> &'static str {
        match self {
            ProcessKind::Main => "main",
            ProcessKind::PreStart => "pre-start",
            ProcessKind::PostStart => "post-start",
            ProcessKind::PreStop => "pre-stop",
            ProcessKind::PostStop => "post-stop",
        }
    }
}

impl fmt::Display for ProcessKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An `exec` line or a `script` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// `exec`: the rest of the line; `script`: the block's text, newline-terminated lines.
    pub command: String,
    pub script: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    None,
    Stop,
    Daemon,
    Fork,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    None,
    Log,
    Output,
    Owner,
}

/// `limit RESOURCE SOFT HARD`; `None` = `unlimited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub resource: Resource,
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// The resources of `limit`, in init(5)'s spelling (plus `as`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    As,
    Core,
    Cpu,
    Data,
    Fsize,
    Memlock,
    Msgqueue,
    Nice,
    Nofile,
    Nproc,
    Rss,
    Rtprio,
    Sigpending,
    Stack,
}

/// `cgroup CONTROLLER [NAME] [KEY VALUE]`: parsed and kept, not acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cgroup {
    pub controller: String,
    pub name: Option<String>,
    pub setting: Option<(String, String)>,
}

/// A job file rejected as a whole: `FILE:LINE: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the offending token.
    pub line: usize,
    /// Upstart's message, e.g. `Unknown stanza`.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}
