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
//! Format: `kindling-handover 1`, then lines `log FD PATH`, `spawn PID FD JOB INSTANCE
//! PROCESS`, `control FD` (the listening socket), `client ID FD` (waiting clients), `trace …` (the tracer's own lines), and last `engine …` (the engine's state on
//! one line). Strings are percent-encoded so no line holds a space it did not mean.

use crate::engine::snapshot::{decode_string as decode, encode_string as encode};
use crate::engine::{ClientId, InstanceKey, Pid};
use crate::job::ProcessKind;
use std::ffi::CString;
use std::io::{Read, Seek, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

const MAGIC: &str = "kindling-handover 1";
/// A state larger than this is refused rather than read into PID 1's memory.
const MAX_STATE: u64 = 64 << 20;

/// What one image of init hands to the next.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Handover {
    pub engine: String,
    pub tracer: String,
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
        let mut out = format!("{MAGIC}\n");
        for (fd, path) in &self.logs {
            out.push_str(&format!("log {fd} {}\n", encode(&path.to_string_lossy())));
        }
        for (pid, fd, key, kind) in &self.spawns {
            out.push_str(&format!(
                "spawn {pid} {fd} {} {} {}\n",
                encode(&key.job),
                encode(&key.instance),
                kind.name()
            ));
        }
        if let Some(fd) = self.control {
            out.push_str(&format!("control {fd}\n"));
        }
        for (client, fd) in &self.clients {
            out.push_str(&format!("client {client} {fd}\n"));
        }
        for line in self.tracer.lines() {
            out.push_str(&format!("trace {line}\n"));
        }
        out.push_str("engine ");
        out.push_str(&self.engine);
        out.push('\n');
        out
    }

    pub fn decode(text: &str) -> Result<Handover, String> {
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return Err("not a kindling handover".into());
        }
        let mut handover = Handover::default();
        let mut tracer = Vec::new();
        for line in lines {
            let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
            let words: Vec<&str> = rest.split(' ').collect();
            match (kind, words.as_slice()) {
                ("log", [fd, path]) => {
                    handover
                        .logs
                        .push((number(fd)?, PathBuf::from(decode(path)?)));
                }
                ("spawn", [pid, fd, job, instance, process]) => {
                    let process = ProcessKind::ALL
                        .into_iter()
                        .find(|k| k.name() == *process)
                        .ok_or_else(|| format!("unknown process {process}"))?;
                    let key = InstanceKey {
                        job: decode(job)?,
                        instance: decode(instance)?,
                    };
                    handover
                        .spawns
                        .push((number(pid)?, number(fd)?, key, process));
                }
                ("control", [fd]) => handover.control = Some(number(fd)?),
                ("client", [client, fd]) => handover.clients.push((number(client)?, number(fd)?)),
                ("trace", _) => tracer.push(rest),
                ("engine", _) => handover.engine = rest.to_string(),
                _ => return Err(format!("unreadable handover line: {line}")),
            }
        }
        if handover.engine.is_empty() {
            return Err("handover without engine state".into());
        }
        handover.tracer = tracer.join("\n");
        Ok(handover)
    }
}

fn number<T: std::str::FromStr>(word: &str) -> Result<T, String> {
    word.parse()
        .map_err(|_| format!("expected a number, found {word}"))
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

    #[test]
    fn handover_round_trips() {
        let handover = Handover {
            engine: "kindling-engine-state 1 7 3 0 0".into(),
            tracer: "42 1 0 new 0\nearly".into(),
            logs: vec![(12, PathBuf::from("/var/log/upstart/a b.log"))],
            spawns: vec![(
                99,
                13,
                InstanceKey {
                    job: "w".into(),
                    instance: "x y".into(),
                },
                ProcessKind::PreStart,
            )],
            control: Some(5),
            clients: vec![(7, 14)],
        };
        assert_eq!(Handover::decode(&handover.encode()), Ok(handover));
        assert!(Handover::decode("garbage").is_err());
        assert!(Handover::decode("kindling-handover 1\nlog x y\n").is_err());
        assert!(Handover::decode("kindling-handover 1\n").is_err());
    }
}
