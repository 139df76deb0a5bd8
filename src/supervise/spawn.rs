//! Spawning one job process: everything decided and allocated before `fork` (argv, PATH
//! candidates, envp, users and groups, rlimits, console and pty descriptors, the script), the
//! child's errors read back from a close-on-exec pipe in Upstart's words.
//!
//! Never: block PID 1 on the child (the error pipe is non-blocking and read when readable),
//! wait for or reap the child (that is [`super::reap`]), or run anything after `fork` in the
//! child but `super::child`.
//!
//! Decisions (see also the crate notes in `super`):
//! * Multi-line scripts are written into a sealed `memfd` before the fork and handed over as
//!   fd 9 (`/bin/sh -e /proc/self/fd/9`, `exec 9<&-` prepended as upstream). Writing memory
//!   never blocks, the whole script is there when the shell starts, and nothing is left to
//!   feed later, so no pipe-buffer bound and no pending writer state. The memfd's mode is
//!   0666/0777, so `setuid` jobs can open it without upstream's `fchown`.
//! * Users and groups are *not* looked up here: a user database behind LDAP, SSSD or NIS can
//!   take forever to answer, and PID 1 must not wait for it. The child looks them up, as
//!   upstream does, after `chroot`/`chdir` (see `child` for why that is safe), and reports an
//!   unknown user or group (`unable to find setuid user`) through the error pipe, so the
//!   daemon has one failure path and a hanging lookup holds only the child.
//! * Supplementary groups (when init is root and the job has `setuid` or `setgid`):
//!   `initgroups(user, gid)` in the child, where gid is the `setgid` group or the user's
//!   primary group. Upstream passes gid 0 when only `setuid` is given, which silently keeps
//!   the root group; we do not. Without `setuid`/`setgid` the job keeps init's (empty) group
//!   list.
//! * `console output` falls back to /dev/null with a warning when the console cannot be
//!   opened (upstream); `console owner` fails the spawn with `unable to open console: …`;
//!   `console log` falls back to /dev/null with a warning when no pty can be had.

use super::child::{self, ChildPlan, OomWrite, Stage, RECORD_LEN, SCRIPT_FD, SHELL};
use crate::environ::Env;
use crate::job::{Console, Expect, JobClass, Process, ProcessKind, Resource};
use libc::{c_char, c_int};
use std::ffi::{CStr, CString};
use std::fmt;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Upstart's `SHELL_CHARS`: a command with any of these runs as `/bin/sh -e -c "exec CMD"`.
const SHELL_CHARS: &[char] = &[
    '~', '`', '!', '$', '^', '&', '*', '(', ')', '=', '|', '\\', '{', '}', '[', ']', ';', '"',
    '\'', '<', '>', '?',
];

/// glibc's default search path (`confstr(_CS_PATH)`) when the job has no `PATH`.
const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// The daemon's settings that apply to every spawn.
#[derive(Debug, Clone)]
pub struct SpawnConfig {
    /// The console for jobs without a `console` stanza (`--default-console`, `log` by default).
    pub default_console: Console,
    /// `--no-log`: `console log` behaves as `console none`.
    pub no_log: bool,
    /// init runs with `--debug`: honour the `debug` stanza (stop the child before exec).
    pub debug: bool,
    /// The device for `console output|owner`; `/dev/console` (tests point it elsewhere).
    pub console_device: PathBuf,
}

impl Default for SpawnConfig {
    fn default() -> Self {
        SpawnConfig {
            default_console: Console::Log,
            no_log: false,
            debug: false,
            console_device: PathBuf::from("/dev/console"),
        }
    }
}

/// One `Effect::Spawn`, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct SpawnRequest<'a> {
    pub class: &'a JobClass,
    pub kind: ProcessKind,
    /// The complete environment (the engine already added `UPSTART_JOB`, `UPSTART_INSTANCE`).
    pub env: &'a Env,
    pub config: &'a SpawnConfig,
}

/// A forked job process. Dropping it closes the descriptors; the process is unaffected.
#[derive(Debug)]
pub struct SpawnedProcess {
    pub pid: i32,
    /// Read end of the child's error pipe (non-blocking, close-on-exec). Readable once the
    /// child failed (a record) or exec'd (EOF): then call [`read_spawn_error`] and drop it.
    pub errors: OwnedFd,
    /// `console log`: the pty master (non-blocking, close-on-exec), for [`super::JobLog`].
    pub pty: Option<OwnedFd>,
    /// The process runs under `PTRACE_TRACEME` (main process, `expect fork|daemon`): hand it to
    /// [`super::Tracer::follow`] before the next reap.
    pub traced: Option<Expect>,
    /// Things for init's log in upstream's words (`Failed to open system console: …`).
    pub warnings: Vec<String>,
}

/// What [`read_spawn_error`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpawnCheck {
    /// Nothing yet: the child is still setting up.
    Pending,
    /// EOF: the child exec'd (or died without a word; the reaper will tell).
    Ok,
    /// The child could not be set up; upstream's text, e.g. `unable to execute: No such file
    /// or directory`. Log `Failed to spawn JOB PROCESS process: TEXT`.
    Failed(String),
}

/// Why `spawn` did not fork. The daemon answers `Fact::SpawnFailed` with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpawnError {
    /// The class has no such process.
    NoProcess(ProcessKind),
    /// An `exec` line with no words.
    EmptyCommand,
    /// A NUL byte in the command, the environment or a path.
    Nul(&'static str),
    /// A system call failed before or at the fork: (what, errno).
    System(&'static str, i32),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NoProcess(kind) => write!(f, "job has no {kind} process"),
            SpawnError::EmptyCommand => f.write_str("unable to execute: empty command"),
            SpawnError::Nul(what) => write!(f, "{what} contains a NUL byte"),
            SpawnError::System(what, err) => write!(f, "{what}: {}", strerror(*err)),
        }
    }
}

impl std::error::Error for SpawnError {}

/// How a process is run: the argv, and for multi-line scripts the text fed on fd 9.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandPlan {
    pub argv: Vec<String>,
    /// `exec 9<&-\n` + the script, when the shell reads `/proc/self/fd/9`.
    pub script: Option<String>,
}

/// Upstart's `job_process_start()` rule: scripts and commands with any `SHELL_CHARS` go
/// through `/bin/sh -e` (commands as `exec CMD`); one-line texts (nothing but newlines after
/// the first newline) as `-c TEXT /bin/sh` with the newlines stripped, longer ones through
/// fd 9; other commands are split on blanks without any quote processing.
pub fn plan_command(process: &Process) -> CommandPlan {
    let shell = SHELL.to_string_lossy().into_owned();
    if !process.script && !process.command.contains(SHELL_CHARS) {
        let argv = process
            .command
            .split([' ', '\t', '\r', '\n'])
            .filter(|word| !word.is_empty())
            .map(str::to_string)
            .collect();
        return CommandPlan { argv, script: None };
    }
    let text = if process.script {
        process.command.clone()
    } else {
        format!("exec {}", process.command)
    };
    let one_line = match text.find('\n') {
        None => true,
        Some(nl) => text[nl..].bytes().all(|b| b == b'\n'),
    };
    if one_line {
        let line = text.split('\n').next().unwrap_or_default().to_string();
        CommandPlan {
            argv: vec![shell.clone(), "-e".into(), "-c".into(), line, shell],
            script: None,
        }
    } else {
        CommandPlan {
            argv: vec![shell, "-e".into(), format!("/proc/self/fd/{SCRIPT_FD}")],
            script: Some(format!("exec {SCRIPT_FD}<&-\n{text}")),
        }
    }
}

/// glibc's `strerror` text for `err` (`No such file or directory`).
pub(crate) fn strerror(err: i32) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the XSI strerror_r writes a NUL-terminated string into buf.
    let rc = unsafe { libc::strerror_r(err, buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {err}");
    }
    match CStr::from_bytes_until_nul(&buf) {
        Ok(text) => text.to_string_lossy().into_owned(),
        Err(_) => format!("Unknown error {err}"),
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn cstring(text: &str, what: &'static str) -> Result<CString, SpawnError> {
    CString::new(text).map_err(|_| SpawnError::Nul(what))
}

fn path_cstring(path: &Path, what: &'static str) -> Result<CString, SpawnError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| SpawnError::Nul(what))
}

/// Opens `path` close-on-exec; returns the descriptor or the errno.
fn open(path: &CStr, flags: c_int) -> Result<OwnedFd, i32> {
    // SAFETY: path is NUL-terminated; a non-negative return is a new descriptor we own.
    let fd = unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        Err(last_errno())
    } else {
        // SAFETY: fd was just returned by open.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

/// Moves a descriptor to 10 or above, so the child's `dup2` onto 0–2 and 9 cannot clobber it.
fn above_nine(fd: OwnedFd) -> Result<OwnedFd, i32> {
    if fd.as_raw_fd() > SCRIPT_FD {
        return Ok(fd);
    }
    // SAFETY: fcntl on a descriptor we own; a non-negative return is a new descriptor.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, SCRIPT_FD + 1) };
    if new < 0 {
        Err(last_errno())
    } else {
        // SAFETY: new was just returned by fcntl.
        Ok(unsafe { OwnedFd::from_raw_fd(new) })
    }
}

fn set_nonblocking(fd: RawFd, on: bool) -> Result<(), i32> {
    // SAFETY: plain fcntl calls on a descriptor the caller owns.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return Err(last_errno());
        }
        let flags = if on {
            flags | libc::O_NONBLOCK
        } else {
            flags & !libc::O_NONBLOCK
        };
        if libc::fcntl(fd, libc::F_SETFL, flags) < 0 {
            return Err(last_errno());
        }
    }
    Ok(())
}

/// A pty for `console log`: (master, slave). The slave's termios has ONLCR off so that the
/// log gets the job's own line endings (LF), not CRLF.
fn open_pty() -> Result<(OwnedFd, OwnedFd), i32> {
    // SAFETY: posix_openpt returns a new descriptor or -1.
    let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    if master < 0 {
        return Err(last_errno());
    }
    // SAFETY: master was just returned by posix_openpt.
    let master = unsafe { OwnedFd::from_raw_fd(master) };
    let mut name = [0u8; 128];
    // SAFETY: grantpt/unlockpt/ptsname_r on our master; ptsname_r writes at most name.len().
    unsafe {
        if libc::grantpt(master.as_raw_fd()) < 0 || libc::unlockpt(master.as_raw_fd()) < 0 {
            return Err(last_errno());
        }
        let rc = libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr().cast(), name.len());
        if rc != 0 {
            return Err(rc);
        }
    }
    let name = CStr::from_bytes_until_nul(&name).map_err(|_| libc::ENAMETOOLONG)?;
    let slave = open(name, libc::O_RDWR | libc::O_NOCTTY)?;
    // SAFETY: termios calls on the slave we own; tio is fully written by tcgetattr.
    unsafe {
        let mut tio: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(slave.as_raw_fd(), &mut tio) < 0 {
            return Err(last_errno());
        }
        tio.c_oflag &= !libc::ONLCR;
        if libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &tio) < 0 {
            return Err(last_errno());
        }
    }
    set_nonblocking(master.as_raw_fd(), true)?;
    Ok((master, slave))
}

/// The script text in a sealed memfd, read by the shell through `/proc/self/fd/9`.
fn script_memfd(text: &str) -> Result<OwnedFd, i32> {
    let name = c"kindling-script";
    let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // SAFETY: memfd_create returns a new descriptor or -1. MFD_NOEXEC_SEAL is refused with
    // EINVAL by kernels before 6.3; try without it then.
    let mut fd = unsafe { libc::memfd_create(name.as_ptr(), flags | libc::MFD_NOEXEC_SEAL) };
    if fd < 0 && last_errno() == libc::EINVAL {
        // SAFETY: as above.
        fd = unsafe { libc::memfd_create(name.as_ptr(), flags) };
    }
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: fd was just returned by memfd_create.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        // SAFETY: writing from a live slice to our descriptor.
        let n = unsafe { libc::write(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len()) };
        if n < 0 {
            let err = last_errno();
            if err == libc::EINTR {
                continue;
            }
            return Err(err);
        }
        rest = rest.get(n as usize..).unwrap_or_default();
    }
    let seals = libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;
    // SAFETY: fcntl on our descriptor. A failure to seal is harmless (the fd never leaves
    // the job), so it is ignored.
    unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) };
    Ok(fd)
}

fn resource(resource: Resource) -> libc::__rlimit_resource_t {
    match resource {
        Resource::As => libc::RLIMIT_AS,
        Resource::Core => libc::RLIMIT_CORE,
        Resource::Cpu => libc::RLIMIT_CPU,
        Resource::Data => libc::RLIMIT_DATA,
        Resource::Fsize => libc::RLIMIT_FSIZE,
        Resource::Memlock => libc::RLIMIT_MEMLOCK,
        Resource::Msgqueue => libc::RLIMIT_MSGQUEUE,
        Resource::Nice => libc::RLIMIT_NICE,
        Resource::Nofile => libc::RLIMIT_NOFILE,
        Resource::Nproc => libc::RLIMIT_NPROC,
        Resource::Rss => libc::RLIMIT_RSS,
        Resource::Rtprio => libc::RLIMIT_RTPRIO,
        Resource::Sigpending => libc::RLIMIT_SIGPENDING,
        Resource::Stack => libc::RLIMIT_STACK,
    }
}

fn resource_name(code: c_int) -> &'static str {
    let code = code as libc::__rlimit_resource_t;
    match code {
        libc::RLIMIT_CPU => "cpu",
        libc::RLIMIT_FSIZE => "fsize",
        libc::RLIMIT_DATA => "data",
        libc::RLIMIT_STACK => "stack",
        libc::RLIMIT_CORE => "core",
        libc::RLIMIT_RSS => "rss",
        libc::RLIMIT_NPROC => "nproc",
        libc::RLIMIT_NOFILE => "nofile",
        libc::RLIMIT_MEMLOCK => "memlock",
        libc::RLIMIT_AS => "as",
        libc::RLIMIT_LOCKS => "locks",
        libc::RLIMIT_SIGPENDING => "sigpending",
        libc::RLIMIT_MSGQUEUE => "msgqueue",
        libc::RLIMIT_NICE => "nice",
        libc::RLIMIT_RTPRIO => "rtprio",
        _ => "unknown",
    }
}

/// Upstream's text for a child's error record (`job_process_error_handler()`).
fn describe(stage: Stage, arg: c_int, err: c_int) -> String {
    let e = strerror(err);
    match stage {
        Stage::Dup => format!("unable to move script fd: {e}"),
        Stage::Console => format!("unable to open console: {e}"),
        Stage::Rlimit => format!(
            "unable to set \"{}\" resource limit: {e}",
            resource_name(arg)
        ),
        Stage::Priority => format!("unable to set priority: {e}"),
        Stage::OomAdj => format!("unable to set oom adjustment: {e}"),
        Stage::Chroot => format!("unable to change root directory: {e}"),
        Stage::Chdir => format!("unable to change working directory: {e}"),
        Stage::Ptrace => format!("unable to set trace: {e}"),
        Stage::Exec => format!("unable to execute: {e}"),
        Stage::Getpwnam => format!("unable to getpwnam: {e}"),
        Stage::Getgrnam => format!("unable to getgrnam: {e}"),
        Stage::Getpwuid => format!("unable to getpwuid: {e}"),
        Stage::BadSetuid => "unable to find setuid user".to_string(),
        Stage::BadSetgid => "unable to find setgid group".to_string(),
        Stage::Setuid => format!("unable to setuid: {e}"),
        Stage::Setgid => format!("unable to setgid: {e}"),
        Stage::Initgroups => format!("unable to initgroups: {e}"),
    }
}

/// Reads the child's error pipe once, without blocking.
pub fn read_spawn_error(fd: &OwnedFd) -> SpawnCheck {
    let mut buf = [0u8; RECORD_LEN];
    loop {
        // SAFETY: reading into a live buffer of buf.len() bytes.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n == 0 {
            return SpawnCheck::Ok;
        }
        if n < 0 {
            match last_errno() {
                libc::EINTR => continue,
                libc::EAGAIN => return SpawnCheck::Pending,
                err => {
                    return SpawnCheck::Failed(format!(
                        "unable to read spawn status: {}",
                        strerror(err)
                    ))
                }
            }
        }
        // The record is far below PIPE_BUF, so it arrives whole or not at all.
        if n as usize != RECORD_LEN {
            return SpawnCheck::Failed(format!(
                "unable to read spawn status: {}",
                strerror(libc::EILSEQ)
            ));
        }
        let word = |i: usize| {
            let mut bytes = [0u8; 4];
            bytes.copy_from_slice(buf.get(i * 4..i * 4 + 4).unwrap_or(&[0; 4]));
            c_int::from_ne_bytes(bytes)
        };
        let (stage, arg, err) = (word(0), word(1), word(2));
        return SpawnCheck::Failed(match Stage::from_code(stage) {
            Some(stage) => describe(stage, arg, err),
            None => format!("unable to read spawn status: {}", strerror(libc::EILSEQ)),
        });
    }
}

/// execvp's candidate paths for `file`, from the job's PATH (glibc's default when unset).
fn exec_candidates(file: &str, env: &Env) -> Result<Vec<CString>, SpawnError> {
    if file.is_empty() {
        return Ok(Vec::new());
    }
    if file.contains('/') {
        return Ok(vec![cstring(file, "command")?]);
    }
    let path = env.get("PATH").unwrap_or(DEFAULT_PATH);
    path.split(':')
        .map(|dir| {
            if dir.is_empty() {
                cstring(file, "command")
            } else {
                cstring(&format!("{}/{file}", dir.trim_end_matches('/')), "PATH")
            }
        })
        .collect()
}

/// The descriptors for 0, 1 and 2.
struct ConsoleFds {
    /// fd 0, and 1 and 2 too unless `output` is set.
    stdin: Option<OwnedFd>,
    /// fds 1 and 2 when they differ from 0 (`console log`: the pty slave).
    output: Option<OwnedFd>,
    /// `console log`: the pty master, for init.
    pty: Option<OwnedFd>,
    /// `console owner`: make fd 0 the controlling terminal.
    controlling_tty: bool,
    /// `console owner` without a console: the child reports this errno.
    error: Option<c_int>,
}

fn open_console(
    console: Console,
    config: &SpawnConfig,
    warnings: &mut Vec<String>,
) -> Result<ConsoleFds, SpawnError> {
    let mut fds = ConsoleFds {
        stdin: None,
        output: None,
        pty: None,
        controlling_tty: false,
        error: None,
    };
    match console {
        Console::None => {}
        Console::Output | Console::Owner => {
            let device = path_cstring(&config.console_device, "console device")?;
            // O_NONBLOCK so that a serial console waiting for carrier cannot hold PID 1;
            // cleared again before the child gets it.
            let opened = open(&device, libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK)
                .and_then(|fd| set_nonblocking(fd.as_raw_fd(), false).map(|()| fd));
            match opened {
                Ok(fd) => {
                    fds.stdin = Some(fd);
                    fds.controlling_tty = console == Console::Owner;
                    return Ok(fds);
                }
                Err(err) if console == Console::Owner => {
                    fds.error = Some(err);
                    return Ok(fds);
                }
                // `console output` carries on with /dev/null.
                Err(err) => {
                    warnings.push(format!("Failed to open system console: {}", strerror(err)));
                }
            }
        }
        Console::Log => match open_pty() {
            Ok((master, slave)) => {
                fds.pty = Some(master);
                fds.output = Some(slave);
            }
            // Carries on as `console none`.
            Err(_) => warnings.push("Failed to create pty - disabling logging for job".into()),
        },
    }
    let null = open(c"/dev/null", libc::O_RDWR | libc::O_NOCTTY)
        .map_err(|err| SpawnError::System("unable to open /dev/null", err))?;
    fds.stdin = Some(null);
    Ok(fds)
}

fn null_terminated(strings: &[CString]) -> Vec<*const c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// Forks one job process with every stanza of its class applied (see the module notes).
pub fn spawn(request: &SpawnRequest) -> Result<SpawnedProcess, SpawnError> {
    let class = request.class;
    let process = class
        .process(request.kind)
        .ok_or(SpawnError::NoProcess(request.kind))?;
    let plan = plan_command(process);
    let Some(file) = plan.argv.first() else {
        return Err(SpawnError::EmptyCommand);
    };
    let mut warnings = Vec::new();

    // argv, the PATH candidates, the ENOEXEC fallback, envp.
    let candidates = exec_candidates(file, request.env)?;
    let argv_c = plan
        .argv
        .iter()
        .map(|arg| cstring(arg, "command"))
        .collect::<Result<Vec<_>, _>>()?;
    let argv = null_terminated(&argv_c);
    let mut shell_argv: Vec<*const c_char> = vec![SHELL.as_ptr(), std::ptr::null()];
    shell_argv.extend(argv.iter().skip(1));
    let env_c = request
        .env
        .iter()
        .map(|(key, value)| cstring(&format!("{key}={value}"), "environment"))
        .collect::<Result<Vec<_>, _>>()?;
    let envp = null_terminated(&env_c);

    // Everything else the stanzas say.
    let limits: Vec<_> = class
        .limits
        .iter()
        .map(|limit| {
            let value = |v: Option<u64>| v.unwrap_or(libc::RLIM_INFINITY);
            (
                resource(limit.resource),
                libc::rlimit {
                    rlim_cur: value(limit.soft),
                    rlim_max: value(limit.hard),
                },
            )
        })
        .collect();
    let oom = class.oom_score_adj.map(|adj| {
        // Upstream's scaling to the legacy −17..15 range.
        let legacy = i64::from(adj) * (if adj < 0 { 17 } else { 15 }) / 1000;
        OomWrite {
            score_adj: format!("{adj}\n").into_bytes(),
            legacy: format!("{legacy}\n").into_bytes(),
        }
    });
    let chroot = class
        .chroot
        .as_deref()
        .map(|dir| cstring(dir, "chroot"))
        .transpose()?;
    let chdir = cstring(class.chdir.as_deref().unwrap_or("/"), "chdir")?;
    let setuid = class
        .setuid
        .as_deref()
        .map(|name| cstring(name, "setuid"))
        .transpose()?;
    let setgid = class
        .setgid
        .as_deref()
        .map(|name| cstring(name, "setgid"))
        .transpose()?;
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let trace = match (request.kind, class.expect) {
        (ProcessKind::Main, expect @ (Expect::Fork | Expect::Daemon)) => Some(expect),
        _ => None,
    };
    let debug_stop = class.debug && request.config.debug;

    // Descriptors, all at 10 or above.
    let mut console = class.console.unwrap_or(request.config.default_console);
    if console == Console::Log && request.config.no_log {
        console = Console::None;
    }
    let fds = open_console(console, request.config, &mut warnings)?;
    let high = |fd: Option<OwnedFd>, what| {
        fd.map(above_nine)
            .transpose()
            .map_err(|err| SpawnError::System(what, err))
    };
    let stdin = high(fds.stdin, "unable to move console fd")?;
    let output = high(fds.output, "unable to move console fd")?;
    let script = match &plan.script {
        Some(text) => Some(
            script_memfd(text)
                .and_then(above_nine)
                .map_err(|err| SpawnError::System("unable to create script fd", err))?,
        ),
        None => None,
    };
    let mut pipe = [0 as c_int; 2];
    // SAFETY: pipe2 fills both descriptors on success.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(SpawnError::System("unable to create pipe", last_errno()));
    }
    // SAFETY: both were just returned by pipe2.
    let (err_read, err_write) =
        unsafe { (OwnedFd::from_raw_fd(pipe[0]), OwnedFd::from_raw_fd(pipe[1])) };
    set_nonblocking(err_read.as_raw_fd(), true)
        .map_err(|err| SpawnError::System("unable to create pipe", err))?;
    let err_write =
        above_nine(err_write).map_err(|err| SpawnError::System("unable to create pipe", err))?;

    let raw = |fd: &Option<OwnedFd>| fd.as_ref().map_or(-1, AsRawFd::as_raw_fd);
    let stdin_fd = raw(&stdin);
    let output_fd = match raw(&output) {
        -1 => stdin_fd,
        fd => fd,
    };
    let mut child_plan = ChildPlan {
        err_fd: err_write.as_raw_fd(),
        stdin_fd,
        output_fd,
        console_error: fds.error,
        controlling_tty: fds.controlling_tty,
        script_fd: raw(&script),
        limits: &limits,
        umask: class.umask as libc::mode_t,
        nice: class.nice,
        oom: oom.as_ref(),
        chroot: chroot.as_deref(),
        chdir: &chdir,
        setuid: setuid.as_deref(),
        setgid: setgid.as_deref(),
        root,
        debug_stop,
        trace: trace.is_some(),
        candidates: &candidates,
        argv: &argv,
        shell_argv: &mut shell_argv,
        envp: &envp,
    };

    // Block every signal across the fork, so the child never runs one of our handlers
    // before it has reset them; the parent restores its mask right after.
    // SAFETY: signal-mask calls on initialised sets; fork in a process whose child only runs
    // child::run (async-signal-safe calls on memory prepared above).
    let pid = unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let pid = libc::fork();
        if pid == 0 {
            child::run(&mut child_plan);
        }
        let err = last_errno();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        if pid < 0 {
            return Err(SpawnError::System("unable to fork", err));
        }
        pid
    };
    // The parent's copies of the child's ends close here (err_write, stdin, output, script).
    drop((err_write, stdin, output, script));
    Ok(SpawnedProcess {
        pid,
        errors: err_read,
        pty: fds.pty,
        traced: trace,
        warnings,
    })
}
