//! init's own log: one line per message to `/dev/kmsg` as PID 1 (`<N>init: message`), or to
//! stderr when kmsg cannot be opened or init is not PID 1.
//!
//! Writes never block: the log fd is non-blocking and a line that does not fit is dropped,
//! because a stuck serial console must not stall PID 1.

use super::options::Verbosity;
use crate::priority::LogPriority;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;
use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

static SINK: OnceLock<Sink> = OnceLock::new();

/// The most verbose kmsg priority written (3 error, 4 warn, 6 info, 7 debug); changed at run
/// time by `initctl log-priority`.
static THRESHOLD: AtomicU8 = AtomicU8::new(4);

struct Sink {
    fd: Option<OwnedFd>,
    kmsg: bool,
}

/// Sets up the subscriber. Safe to call once; later calls change nothing.
pub fn init(verbosity: Verbosity, pid1: bool) {
    let sink = open_sink(pid1);
    let _ = SINK.set(sink);
    set_priority(verbosity.priority());
    // Everything reaches the writer, which drops what is above the threshold, so that the
    // level can change while init runs.
    let max = Level::DEBUG;
    let _ = tracing_subscriber::fmt()
        .with_writer(LineWriter)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_level(false)
        .with_max_level(max)
        .try_init();
}

/// Changes how much is logged from now on (`message` and `warn` both show warnings, as
/// kindling logs nothing at upstream's `message` level; `fatal` shows errors).
pub fn set_priority(priority: LogPriority) {
    let level = match priority {
        LogPriority::Debug => Level::DEBUG,
        LogPriority::Info => Level::INFO,
        LogPriority::Message | LogPriority::Warn => Level::WARN,
        LogPriority::Error | LogPriority::Fatal => Level::ERROR,
    };
    THRESHOLD.store(rank(&level), Ordering::Relaxed);
}

/// Would a message at `level` be written? (Skip formatting costly messages otherwise.)
pub fn enabled(level: Level) -> bool {
    rank(&level) <= THRESHOLD.load(Ordering::Relaxed)
}

/// syslog's number for a level (also the `<N>` of a kmsg line).
fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

fn open_sink(pid1: bool) -> Sink {
    use nix::fcntl::{open, OFlag};
    use nix::sys::stat::Mode;
    if pid1 {
        if let Ok(fd) = open(
            "/dev/kmsg",
            OFlag::O_WRONLY
                | OFlag::O_APPEND
                | OFlag::O_NONBLOCK
                | OFlag::O_CLOEXEC
                | OFlag::O_NOCTTY,
            Mode::empty(),
        ) {
            return Sink {
                fd: Some(fd),
                kmsg: true,
            };
        }
    }
    // A duplicate of stderr, so that making it non-blocking for PID 1 leaves fd 2 alone.
    // If even that fails (EMFILE, no fd 2) log lines are lost, and init carries on.
    let fd = nix::unistd::dup(std::io::stderr()).ok();
    if let (true, Some(fd)) = (pid1, &fd) {
        set_nonblocking(fd);
    }
    Sink { fd, kmsg: false }
}

fn set_nonblocking(fd: &OwnedFd) {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    if let Ok(flags) = fcntl(fd, FcntlArg::F_GETFL) {
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        let _ = fcntl(fd, FcntlArg::F_SETFL(flags));
    }
}

struct LineWriter;

/// One log record, written with a single `write(2)` when dropped.
pub struct Line {
    buffer: Vec<u8>,
    priority: u8,
}

impl<'a> MakeWriter<'a> for LineWriter {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            buffer: Vec::new(),
            priority: 6,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        let priority = rank(meta.level());
        Line {
            buffer: Vec::new(),
            priority,
        }
    }
}

impl Write for Line {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        // Bounded: a runaway message is cut, never grows PID 1's memory without limit.
        let room = 4096usize.saturating_sub(self.buffer.len());
        self.buffer
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let Some((fd, kmsg)) = SINK
            .get()
            .and_then(|s| s.fd.as_ref().map(|fd| (fd, s.kmsg)))
        else {
            return;
        };
        if self.priority > THRESHOLD.load(Ordering::Relaxed) {
            return;
        }
        let text = String::from_utf8_lossy(&self.buffer);
        let text = text.trim_end_matches('\n');
        if text.is_empty() {
            return;
        }
        let line = if kmsg {
            format!("<{}>init: {text}\n", self.priority)
        } else {
            format!("init: {text}\n")
        };
        // Errors (EAGAIN on a stuck console) drop the line on purpose.
        let _ = nix::unistd::write(fd, line.as_bytes());
    }
}
