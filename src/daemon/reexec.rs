//! Stateful re-exec (`telinit u`, SIGTERM to PID 1): hand everything to a fresh image of
//! init — normally an upgraded `/sbin/init` — without losing a process, a partial match or
//! a waiting client.
//!
//! The running image writes the [`Handover`] into a memfd, clears close-on-exec on every
//! descriptor the new image must keep (job log ptys, spawn error pipes, the control socket
//! and the connections of clients still waiting for an answer), and execs the path it
//! was started as with its own arguments plus `--restart --state-fd N`. ptrace attachments and
//! children survive `execve`. If the exec fails, init carries on as it was.
//!
//! Format `kindling-handover 2`, one item per line: `clock MS` (the daemon's clock),
//! `priority NAME` (the log priority), `log FD PATH`, `spawn PID FD JOB INSTANCE PROCESS`, `control FD` (the listening socket),
//! `client ID FD` (waiting clients), `trace …` (the tracer's own lines), and `engine …`
//! (one line of the engine's state each). Strings are percent-encoded so no line holds a
//! space it did not mean. Lines are independent: one that cannot be read is reported and
//! skipped, so that a fault in one part never costs the others (above all the control
//! socket). Version 1 (no `clock`, the engine state on one line) is read too.

use crate::control::{LogPriority, SocketAddress};
use crate::engine::snapshot::{decode_bytes, encode_bytes};
use crate::engine::{ClientId, InstanceKey, Millis, Pid};
use crate::job::ProcessKind;
use std::ffi::{CString, OsString};
use std::io::{Read, Seek, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

const MAGIC: &str = "kindling-handover";
const VERSION: u32 = 2;
/// A state larger than this is refused rather than read into PID 1's memory.
const MAX_STATE: u64 = 64 << 20;

/// What one image of init hands to the next.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Handover {
    /// The engine's state ([`crate::engine::Engine::save`]), lines and all.
    pub engine: String,
    pub tracer: String,
    /// The daemon's clock when it handed over, so that times the engine keeps (respawn
    /// windows) mean the same in the new image.
    pub clock: Option<Millis>,
    /// The log priority set with `initctl log-priority` (else init's options decide).
    pub log_priority: Option<LogPriority>,
    /// Job log ptys: master fd and log path.
    pub logs: Vec<(RawFd, PathBuf)>,
    /// Spawns whose exec was not confirmed yet: pid, error pipe fd, instance, process.
    pub spawns: Vec<(Pid, RawFd, InstanceKey, ProcessKind)>,
    /// The listening control socket.
    pub control: Option<RawFd>,
    /// Control clients waiting for an answer: engine client id and connection.
    pub clients: Vec<(ClientId, RawFd)>,
}

impl Handover {
    pub fn encode(&self) -> String {
        let mut out = format!("{MAGIC} {VERSION}\n");
        if let Some(clock) = self.clock {
            out.push_str(&format!("clock {clock}\n"));
        }
        if let Some(priority) = self.log_priority {
            out.push_str(&format!("priority {}\n", priority.name()));
        }
        for (fd, path) in &self.logs {
            let path = encode_bytes(path.as_os_str().as_bytes());
            out.push_str(&format!("log {fd} {path}\n"));
        }
        for (pid, fd, key, kind) in &self.spawns {
            out.push_str(&format!(
                "spawn {pid} {fd} {} {} {}\n",
                encode_bytes(key.job.as_bytes()),
                encode_bytes(key.instance.as_bytes()),
                kind.name()
            ));
        }
        if let Some(fd) = self.control {
            out.push_str(&format!("control {fd}\n"));
        }
        for (client, fd) in &self.clients {
            out.push_str(&format!("client {client} {fd}\n"));
        }
        // Every piece between newlines, empty ones too, so that decoding joins them back
        // into exactly the same text (`lines()` would also drop carriage returns).
        for (kind, text) in [("trace", &self.tracer), ("engine", &self.engine)] {
            if !text.is_empty() {
                for line in text.split('\n') {
                    out.push_str(&format!("{kind} {line}\n"));
                }
            }
        }
        out
    }

    /// Reads [`Handover::encode`]'s text. Fails only when the text is not a hand-over at
    /// all; a line that cannot be read is left out and described in the second value.
    /// Descriptors are only numbers here: the taker checks that each is what it should be
    /// and takes none twice.
    pub fn decode(text: &str) -> Result<(Handover, Vec<String>), String> {
        let mut lines = text.split_terminator('\n');
        let version = match lines.next().and_then(|l| l.split_once(' ')) {
            Some((MAGIC, "1")) => 1,
            Some((MAGIC, "2")) => 2,
            Some((MAGIC, other)) => return Err(format!("unsupported hand-over version {other}")),
            _ => return Err("not a kindling hand-over".into()),
        };
        let mut handover = Handover::default();
        let mut problems = Vec::new();
        let mut tracer = Vec::new();
        let mut engine = Vec::new();
        for line in lines {
            let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
            match kind {
                "trace" => tracer.push(rest),
                // Version 1 had the whole engine state on its one line.
                "engine" if version == 1 => engine = vec![rest],
                "engine" => engine.push(rest),
                _ => {
                    if let Err(problem) = handover.read_line(kind, rest) {
                        problems.push(format!("{problem}: {}", shorten(line)));
                    }
                }
            }
        }
        handover.tracer = tracer.join("\n");
        handover.engine = engine.join("\n");
        Ok((handover, problems))
    }

    fn read_line(&mut self, kind: &str, rest: &str) -> Result<(), String> {
        let words: Vec<&str> = rest.split(' ').collect();
        let fd = |word: &str| -> Result<RawFd, String> {
            let fd: RawFd = number(word)?;
            if fd < 0 {
                return Err(format!("bad descriptor {fd}"));
            }
            Ok(fd)
        };
        match (kind, words.as_slice()) {
            ("clock", [ms]) => self.clock = Some(number(ms)?),
            ("priority", [name]) => {
                let priority = LogPriority::parse(name);
                self.log_priority =
                    Some(priority.ok_or_else(|| format!("unknown priority {name}"))?);
            }
            ("log", [log, path]) => {
                let path = PathBuf::from(OsString::from_vec(decode_bytes(path)?));
                self.logs.push((fd(log)?, path));
            }
            ("spawn", [pid, pipe, job, instance, process]) => {
                let process = ProcessKind::ALL
                    .into_iter()
                    .find(|k| k.name() == *process)
                    .ok_or_else(|| format!("unknown process {process}"))?;
                let text = |word: &str| {
                    String::from_utf8(decode_bytes(word)?).map_err(|_| "bad text".to_string())
                };
                let key = InstanceKey {
                    job: text(job)?,
                    instance: text(instance)?,
                };
                let pid = number(pid)?;
                self.spawns.push((pid, fd(pipe)?, key, process));
            }
            ("control", [listener]) if self.control.is_none() => self.control = Some(fd(listener)?),
            ("client", [client, connection]) => {
                let client = number(client)?;
                self.clients.push((client, fd(connection)?));
            }
            _ => return Err("unreadable line".into()),
        }
        Ok(())
    }
}

/// The start of a long line, for a log message.
fn shorten(line: &str) -> &str {
    let mut end = line.len().min(80);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

fn number<T: std::str::FromStr>(word: &str) -> Result<T, String> {
    word.parse()
        .map_err(|_| format!("expected a number, found {word}"))
}

/// What a handed-over descriptor must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdKind {
    /// The listening control socket.
    Listener,
    /// A waiting client's connection.
    Connection,
    /// A job log's pty master.
    Pty,
    /// A spawn's error pipe.
    Pipe,
}

/// Whether `fd` is open and of the kind the hand-over says: a corrupt state must not make
/// init take over (and later close) a descriptor that is something else.
pub fn fd_is(fd: RawFd, kind: FdKind) -> bool {
    if fd < 0 {
        return false;
    }
    // SAFETY: fstat on a descriptor number into a zeroed stat we own; a closed or bad
    // number only yields EBADF.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut stat) } != 0 {
        return false;
    }
    let format = stat.st_mode & libc::S_IFMT;
    match kind {
        FdKind::Listener => format == libc::S_IFSOCK && listening(fd),
        FdKind::Connection => format == libc::S_IFSOCK && !listening(fd),
        FdKind::Pty => format == libc::S_IFCHR,
        FdKind::Pipe => format == libc::S_IFIFO,
    }
}

fn listening(fd: RawFd) -> bool {
    // SAFETY: fd is open (checked by the caller) and only borrowed for this call.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    nix::sys::socket::getsockopt(&fd, nix::sys::socket::sockopt::AcceptConn).unwrap_or(false)
}

/// The listening unix socket bound to `address` among this process's descriptors: the
/// control socket of the previous image, when its hand-over could not say which it was.
pub fn find_listener(address: &SocketAddress) -> Option<RawFd> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    let mut fds: Vec<RawFd> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .filter(|&fd| fd > 2)
        .collect();
    fds.sort_unstable();
    fds.into_iter().find(|&fd| {
        if !fd_is(fd, FdKind::Listener) {
            return false;
        }
        // SAFETY: as in `listening`.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let Ok(bound) =
            nix::sys::socket::getsockname::<nix::sys::socket::UnixAddr>(borrowed.as_raw_fd())
        else {
            return false;
        };
        match address {
            SocketAddress::Abstract(name) => bound.as_abstract() == Some(name.as_slice()),
            SocketAddress::Path(path) => bound.path() == Some(path.as_path()),
        }
    })
}

/// Sets or clears close-on-exec on a descriptor we keep.
pub fn set_cloexec(fd: RawFd, on: bool) {
    let flag = if on { libc::FD_CLOEXEC } else { 0 };
    // SAFETY: F_SETFD on a descriptor number; a stale number only yields EBADF.
    unsafe {
        libc::fcntl(fd, libc::F_SETFD, flag);
    }
}

/// Writes the handover into a memfd that survives exec, positioned at its start.
pub fn write_state(text: &str) -> std::io::Result<OwnedFd> {
    let name = c"kindling-state";
    // SAFETY: memfd_create with a valid C string; we take ownership of the new descriptor.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd was just created and is owned by nobody else.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    file.write_all(text.as_bytes())?;
    file.rewind()?;
    Ok(OwnedFd::from(file))
}

/// Reads and closes the state descriptor handed over by the previous image.
pub fn read_state(fd: RawFd) -> Result<String, String> {
    if fd < 0 {
        return Err(format!("bad state descriptor {fd}"));
    }
    // SAFETY: the previous image passed this descriptor to us for exactly this purpose; we
    // own it from here on and it is closed when `file` drops.
    let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let mut text = String::new();
    file.take(MAX_STATE)
        .read_to_string(&mut text)
        .map_err(|e| format!("reading the state: {e}"))?;
    Ok(text)
}

/// Execs `argv[0]` with the original arguments plus `--restart --state-fd FD`. Returns only
/// if the exec failed.
pub fn exec(args: &[String], state: &OwnedFd) -> std::io::Error {
    let program = match args.first() {
        Some(path) if path.contains('/') => path.clone(),
        _ => "/proc/self/exe".to_string(),
    };
    let mut argv: Vec<String> = Vec::with_capacity(args.len() + 3);
    argv.push(args.first().cloned().unwrap_or_else(|| "init".into()));
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--restart" => {}
            "--state-fd" => {
                rest.next();
            }
            a if a.starts_with("--state-fd=") => {}
            _ => argv.push(arg.clone()),
        }
    }
    argv.push("--restart".into());
    argv.push("--state-fd".into());
    argv.push(state.as_raw_fd().to_string());
    let Ok(program) = CString::new(program) else {
        return std::io::Error::from_raw_os_error(libc::EINVAL);
    };
    let Ok(argv) = argv
        .into_iter()
        .map(CString::new)
        .collect::<Result<Vec<_>, _>>()
    else {
        return std::io::Error::from_raw_os_error(libc::EINVAL);
    };
    let mut pointers: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    pointers.push(std::ptr::null());
    // SAFETY: program and every argv entry are live NUL-terminated strings, the array is
    // NULL-terminated; execv only returns on failure.
    unsafe {
        libc::execv(program.as_ptr(), pointers.as_ptr());
    }
    std::io::Error::last_os_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Handover {
        Handover {
            engine: "kindling-engine-state 2 7 3\nclass =a".into(),
            tracer: "42 1 0 new 0\nearly".into(),
            clock: Some(123_456),
            log_priority: Some(LogPriority::Debug),
            logs: vec![
                (12, PathBuf::from("/var/log/upstart/a b.log")),
                (
                    15,
                    PathBuf::from(OsString::from_vec(b"/log/\xff\n.log".to_vec())),
                ),
            ],
            spawns: vec![(
                99,
                13,
                InstanceKey {
                    job: "w".into(),
                    instance: "x y\n".into(),
                },
                ProcessKind::PreStart,
            )],
            control: Some(5),
            clients: vec![(7, 14)],
        }
    }

    #[test]
    fn handover_round_trips() {
        let handover = sample();
        assert_eq!(
            Handover::decode(&handover.encode()),
            Ok((handover, Vec::new()))
        );
        assert!(Handover::decode("garbage").is_err());
        assert!(Handover::decode("kindling-handover 3\n").is_err());
        let (empty, problems) = Handover::decode("kindling-handover 2\n").unwrap();
        assert_eq!((empty, problems.len()), (Handover::default(), 0));
    }

    #[test]
    fn a_bad_line_costs_only_itself() {
        let text = sample()
            .encode()
            .replace("log 12 ", "log twelve ")
            .replace("spawn 99 13 ", "spawn 99 -13 ")
            .replacen("\nengine ", "\nwhat is this\nengine ", 1);
        let (handover, problems) = Handover::decode(&text).unwrap();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("expected a number, found twelve: log"));
        assert!(problems[1].starts_with("bad descriptor -13: spawn"));
        assert!(problems[2].starts_with("unreadable line: what is this"));
        let mut expected = sample();
        expected.logs.remove(0);
        expected.spawns.clear();
        assert_eq!(handover, expected);
    }

    #[test]
    fn version_1_is_read() {
        let text = "kindling-handover 1\nlog 12 =/var/log/upstart/a%20b.log\ncontrol 5\n\
                    engine kindling-engine-state 1 7 3 0 0 0\n";
        let (handover, problems) = Handover::decode(text).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(handover.control, Some(5));
        assert_eq!(handover.engine, "kindling-engine-state 1 7 3 0 0 0");
        assert_eq!(handover.clock, None);
    }

    #[test]
    fn descriptors_are_checked_for_their_kind() {
        let (read, write) = nix::unistd::pipe().unwrap();
        assert!(fd_is(read.as_raw_fd(), FdKind::Pipe));
        assert!(!fd_is(read.as_raw_fd(), FdKind::Listener));
        assert!(!fd_is(write.as_raw_fd(), FdKind::Pty));
        drop((read, write));
        assert!(!fd_is(-1, FdKind::Pipe));
        let dir = std::env::temp_dir().join(format!("kindling-reexec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("control.sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert!(fd_is(listener.as_raw_fd(), FdKind::Listener));
        assert!(!fd_is(listener.as_raw_fd(), FdKind::Connection));
        let address = SocketAddress::Path(path.clone());
        assert_eq!(find_listener(&address), Some(listener.as_raw_fd()));
        assert_eq!(find_listener(&SocketAddress::Path(dir.join("other"))), None);
        drop(listener);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
