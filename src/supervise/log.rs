//! `console log`: reading a job's pty master and appending to `LOGDIR/JOB[-INSTANCE].log`
//! (Upstart's `init/log.c`), with output kept in memory while the log directory cannot be
//! written (read-only or not yet mounted root) until [`JobLog::flush`]/[`LogBook::flush`].
//!
//! Never: block (the master is non-blocking, reads and memory are bounded per call and per
//! job), hold more than [`MAX_UNFLUSHED`] bytes per log or [`MAX_BOOK_BYTES`] in the book,
//! or follow a symlink at the log path (`O_NOFOLLOW`).
//!
//! Decisions: files are created mode 0640 whatever init's umask (`O_EXCL` create + `fchmod`;
//! an existing file keeps its mode); LF line endings come from the pty (ONLCR off, see
//! `spawn`). While the file cannot be opened with EROFS, ENOENT, EACCES or EPERM the bytes are
//! kept, the oldest dropped beyond [`MAX_UNFLUSHED`]; when kept bytes were dropped, the flush
//! writes one line saying how many before the rest. Other errors (ENOSPC, ELOOP for a
//! symlink, …) discard the output, as upstream treats such a job as `console none`. A file
//! unlinked under us (logrotate) is reopened at its path on the next write.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Bytes kept per log while it cannot be written.
pub const MAX_UNFLUSHED: usize = 64 * 1024;
/// Bytes kept in a [`LogBook`] for all ended jobs together.
pub const MAX_BOOK_BYTES: usize = 1024 * 1024;
/// Bytes read from one master per [`JobLog::on_readable`] call.
pub const READ_BUDGET: usize = 64 * 1024;

const LOG_MODE: libc::mode_t = 0o640;

/// Upstart's `job_process_log_path()`: `LOGDIR/JOB.log` or `LOGDIR/JOB-INSTANCE.log`, every
/// `/` in the job and instance names replaced by `_`.
pub fn log_path(logdir: &Path, job: &str, instance: &str) -> PathBuf {
    let job = job.replace('/', "_");
    let name = if instance.is_empty() {
        format!("{job}.log")
    } else {
        format!("{job}-{}.log", instance.replace('/', "_"))
    };
    logdir.join(name)
}

fn errno_of(err: &io::Error) -> i32 {
    err.raw_os_error().unwrap_or(libc::EIO)
}

/// Open errors that mean "not yet": keep the output for later.
fn keepable(err: i32) -> bool {
    matches!(err, libc::EROFS | libc::ENOENT | libc::EACCES | libc::EPERM)
}

/// One log file and the bytes not yet in it.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    file: Option<File>,
    pending: VecDeque<u8>,
    /// Bytes dropped from `pending` (oldest first) since the last flush.
    dropped: u64,
    /// Bytes thrown away because the file could not be written for good.
    discarded: u64,
    /// errno of the last failed open or write.
    last_error: Option<i32>,
}

impl LogFile {
    pub fn new(path: PathBuf) -> Self {
        LogFile {
            path,
            file: None,
            pending: VecDeque::new(),
            dropped: 0,
            discarded: 0,
            last_error: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes waiting for the file.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Bytes lost: dropped from a full buffer, or discarded after a hard error.
    pub fn lost(&self) -> u64 {
        self.dropped.saturating_add(self.discarded)
    }

    /// errno of the last failed open or write, if the last attempt failed.
    pub fn last_error(&self) -> Option<i32> {
        self.last_error
    }

    /// Appends `bytes`: to the file when it can be opened, else to the bounded buffer (or
    /// nowhere, after a hard error).
    pub fn write(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        // Kept output goes first, so new output also flushes it once the disk is writable.
        if self.open().is_err() || !self.write_pending() {
            self.keep_or_discard(bytes);
            return;
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            let Some(file) = self.file.as_mut() else {
                self.keep_or_discard(rest);
                return;
            };
            match file.write(rest) {
                Ok(0) => {
                    self.failed(libc::EIO);
                    self.keep_or_discard(rest);
                    return;
                }
                Ok(n) => rest = rest.get(n..).unwrap_or_default(),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.failed(errno_of(&err));
                    self.keep_or_discard(rest);
                    return;
                }
            }
        }
    }

    /// Writes what is kept; true when nothing is left.
    pub fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        if self.open().is_err() {
            return false;
        }
        self.write_pending()
    }

    fn failed(&mut self, err: i32) {
        self.last_error = Some(err);
        self.file = None;
    }

    fn keep_or_discard(&mut self, bytes: &[u8]) {
        if self.last_error.is_some_and(keepable) {
            self.keep(bytes);
        } else {
            self.discarded = self.discarded.saturating_add(bytes.len() as u64);
        }
    }

    fn keep(&mut self, bytes: &[u8]) {
        let bytes = match bytes.len().checked_sub(MAX_UNFLUSHED) {
            Some(skip) if skip > 0 => {
                self.dropped = self.dropped.saturating_add(skip as u64);
                bytes.get(skip..).unwrap_or_default()
            }
            _ => bytes,
        };
        let over = (self.pending.len() + bytes.len()).saturating_sub(MAX_UNFLUSHED);
        if over > 0 {
            self.pending.drain(..over.min(self.pending.len()));
            self.dropped = self.dropped.saturating_add(over as u64);
        }
        self.pending.extend(bytes);
    }

    /// Writes `pending` (after the note about dropped bytes); false if some is left.
    fn write_pending(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        if self.dropped > 0 {
            let note = format!(
                "[kindling: {} bytes of earlier output were dropped while {} could not be written]\n",
                self.dropped,
                self.path.display()
            );
            let Some(file) = self.file.as_mut() else {
                return false;
            };
            // The note is small; a partial write of it is not retried.
            if let Err(err) = file.write(note.as_bytes()) {
                self.failed(errno_of(&err));
                return false;
            }
            self.dropped = 0;
        }
        while !self.pending.is_empty() {
            let Some(file) = self.file.as_mut() else {
                return false;
            };
            let (front, _) = self.pending.as_slices();
            match file.write(front) {
                Ok(0) => {
                    self.failed(libc::EIO);
                    return false;
                }
                Ok(n) => {
                    self.pending.drain(..n.min(self.pending.len()));
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    let err = errno_of(&err);
                    self.failed(err);
                    if !keepable(err) {
                        self.discarded = self.discarded.saturating_add(self.pending.len() as u64);
                        self.pending.clear();
                    }
                    return false;
                }
            }
        }
        self.pending = VecDeque::new(); // give the memory back
        true
    }

    /// Makes sure the file is open, reopening it when it was unlinked (logrotate).
    fn open(&mut self) -> Result<(), i32> {
        if let Some(file) = &self.file {
            match file.metadata() {
                Ok(meta) if meta.nlink() > 0 => return Ok(()),
                _ => self.file = None,
            }
        }
        match open_log(&self.path) {
            Ok(file) => {
                self.file = Some(file);
                self.last_error = None;
                Ok(())
            }
            Err(err) => {
                self.last_error = Some(err);
                Err(err)
            }
        }
    }
}

/// `O_WRONLY|O_APPEND|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK`, created 0640 regardless of umask.
fn open_log(path: &Path) -> Result<File, i32> {
    let cpath = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| libc::EINVAL)?;
    let flags =
        libc::O_WRONLY | libc::O_APPEND | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK;
    // Two rounds: the file may vanish between a failed exclusive create and the open.
    for _ in 0..2 {
        // SAFETY: open with a NUL-terminated path; a non-negative result is ours.
        let fd = unsafe {
            libc::open(
                cpath.as_ptr(),
                flags | libc::O_CREAT | libc::O_EXCL,
                LOG_MODE,
            )
        };
        if fd >= 0 {
            // SAFETY: fd was just returned by open.
            let file = unsafe { File::from_raw_fd(fd) };
            // Created by us: the mode must not depend on init's umask.
            // SAFETY: fchmod on our descriptor.
            unsafe { libc::fchmod(file.as_raw_fd(), LOG_MODE) };
            return Ok(file);
        }
        let err = io::Error::last_os_error();
        if errno_of(&err) != libc::EEXIST {
            return Err(errno_of(&err));
        }
        // SAFETY: as above.
        let fd = unsafe { libc::open(cpath.as_ptr(), flags) };
        if fd >= 0 {
            // SAFETY: fd was just returned by open.
            return Ok(unsafe { File::from_raw_fd(fd) });
        }
        let err = errno_of(&io::Error::last_os_error());
        if err != libc::ENOENT {
            return Err(err);
        }
    }
    Err(libc::ENOENT)
}

/// What [`JobLog::on_readable`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogProgress {
    /// Read until EAGAIN: wait for the master to become readable again.
    Drained,
    /// Stopped at [`READ_BUDGET`] with more to read: call again soon (keep the readiness).
    More,
    /// The slave side is closed for good (EIO): the job's process tree is gone. Call
    /// [`JobLog::finish`].
    Eof,
}

/// The log of one job process with `console log`.
#[derive(Debug)]
pub struct JobLog {
    master: OwnedFd,
    file: LogFile,
}

impl AsFd for JobLog {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.master.as_fd()
    }
}

impl AsRawFd for JobLog {
    fn as_raw_fd(&self) -> RawFd {
        self.master.as_raw_fd()
    }
}

impl JobLog {
    /// `master` from [`super::SpawnedProcess::pty`], `path` from [`log_path`]. Nothing is
    /// opened until the job writes.
    pub fn new(master: OwnedFd, path: PathBuf) -> Self {
        JobLog {
            master,
            file: LogFile::new(path),
        }
    }

    pub fn file(&self) -> &LogFile {
        &self.file
    }

    /// Reads what the job wrote (at most [`READ_BUDGET`] bytes) and appends it.
    pub fn on_readable(&mut self) -> io::Result<LogProgress> {
        let mut buf = [0u8; 4096];
        let mut budget = READ_BUDGET;
        while budget > 0 {
            // SAFETY: reading into a live buffer of buf.len() bytes.
            let n =
                unsafe { libc::read(self.master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                let n = n as usize;
                self.file.write(buf.get(..n).unwrap_or_default());
                budget = budget.saturating_sub(n);
                continue;
            }
            if n == 0 {
                self.file.flush();
                return Ok(LogProgress::Eof);
            }
            let err = io::Error::last_os_error();
            match errno_of(&err) {
                libc::EINTR => continue,
                libc::EAGAIN => return Ok(LogProgress::Drained),
                libc::EIO => {
                    self.file.flush();
                    return Ok(LogProgress::Eof);
                }
                _ => return Err(err),
            }
        }
        Ok(LogProgress::More)
    }

    /// Tries to write what is kept (`initctl notify-disk-writeable`); true when nothing is left.
    pub fn flush(&mut self) -> bool {
        self.file.flush()
    }

    /// The job is done with its log: closes the master and returns the file if output is
    /// still kept for it, for the [`LogBook`].
    pub fn finish(mut self) -> Option<LogFile> {
        if self.file.flush() {
            None
        } else {
            Some(self.file)
        }
    }
}

/// Logs of ended jobs whose output still waits for a writable disk, oldest first. Owned by
/// the daemon; bounded by [`MAX_BOOK_BYTES`] (the oldest logs are dropped beyond that).
#[derive(Debug, Default)]
pub struct LogBook {
    logs: VecDeque<LogFile>,
    bytes: usize,
    /// Bytes dropped with whole logs because the book was full.
    dropped: u64,
}

impl LogBook {
    pub fn new() -> Self {
        LogBook::default()
    }

    /// Keeps `log` until the next flush (what [`JobLog::finish`] returned).
    pub fn keep(&mut self, log: LogFile) {
        if log.pending() == 0 {
            return;
        }
        self.bytes = self.bytes.saturating_add(log.pending());
        self.logs.push_back(log);
        while self.bytes > MAX_BOOK_BYTES {
            let Some(old) = self.logs.pop_front() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(old.pending());
            self.dropped = self.dropped.saturating_add(old.pending() as u64);
        }
    }

    /// Writes every kept log in order; returns how many still wait.
    pub fn flush(&mut self) -> usize {
        for log in self.logs.iter_mut() {
            log.flush();
        }
        self.logs.retain(|log| log.pending() > 0);
        self.bytes = self.logs.iter().map(LogFile::pending).sum();
        self.logs.len()
    }

    pub fn len(&self) -> usize {
        self.logs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.logs.is_empty()
    }

    /// Bytes dropped because the book was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}
