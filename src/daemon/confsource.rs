//! Reading the conf directories: walking them for `*.conf`/`*.override` files, and the
//! inotify watch that makes a created, edited, renamed or deleted file take effect by itself.
//!
//! Parsing is `job::confdir`'s; this module only reads. Reading is bounded (file size and
//! count) so that a runaway directory cannot exhaust PID 1's memory.

use crate::job::confdir::{self, ConfSource};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use std::collections::HashMap;
use std::fs;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

/// A job file larger than this is not read (Upstart's biggest stock job is 4 KiB).
const MAX_FILE_BYTES: u64 = 1 << 20;
/// At most this many files per directory tree.
const MAX_FILES: usize = 10_000;
/// Sub-directories deeper than this are not entered.
const MAX_DEPTH: usize = 16;

/// Reads every job file under each directory, in priority order. Problems (unreadable
/// files, oversized files) are returned as messages, never fatal.
pub fn read_sources(dirs: &[PathBuf]) -> (Vec<ConfSource>, Vec<String>) {
    let mut problems = Vec::new();
    let sources = dirs
        .iter()
        .map(|dir| {
            let mut source = ConfSource {
                dir: dir.display().to_string(),
                files: Vec::new(),
            };
            walk(dir, "", 0, &mut source.files, &mut problems);
            source
        })
        .collect();
    (sources, problems)
}

/// The directories under `dirs` to watch (the roots and every sub-directory we read).
pub fn directories(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in dirs {
        collect_dirs(dir, 0, &mut out);
    }
    out
}

fn collect_dirs(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH || !dir.is_dir() {
        return;
    }
    out.push(dir.to_path_buf());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && !confdir::ignored_dir(&name) {
            collect_dirs(&entry.path(), depth + 1, out);
        }
    }
}

fn walk(
    dir: &Path,
    prefix: &str,
    depth: usize,
    files: &mut Vec<(String, String)>,
    problems: &mut Vec<String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return; // a missing conf dir is normal (e.g. an --append-confdir that is empty)
    };
    for entry in entries.flatten() {
        if files.len() >= MAX_FILES {
            problems.push(format!(
                "{}: more than {MAX_FILES} files, rest ignored",
                dir.display()
            ));
            return;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        // Symlinks are ignored, as Upstart's inotify handler does (init(5) RESTRICTIONS).
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if !confdir::ignored_dir(&name) {
                walk(
                    &entry.path(),
                    &format!("{relative}/"),
                    depth + 1,
                    files,
                    problems,
                );
            }
            continue;
        }
        if !file_type.is_file() || !confdir::is_job_file(&relative) {
            continue;
        }
        match read_bounded(&entry.path()) {
            Ok(text) => files.push((relative, text)),
            Err(message) => problems.push(format!("{}: {message}", entry.path().display())),
        }
    }
}

fn read_bounded(path: &Path) -> Result<String, String> {
    let metadata = fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!("larger than {MAX_FILE_BYTES} bytes, ignored"));
    }
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// An inotify watch over the conf directories. Any change means "reload"; the caller
/// re-reads everything (cheap) and calls [`Watcher::rewatch`] to pick up new directories.
pub struct Watcher {
    inotify: Inotify,
    watches: HashMap<PathBuf, WatchDescriptor>,
}

impl Watcher {
    pub fn new() -> nix::Result<Watcher> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        Ok(Watcher {
            inotify,
            watches: HashMap::new(),
        })
    }

    /// Watches every directory under `dirs` not watched yet; forgets vanished ones.
    pub fn rewatch(&mut self, dirs: &[PathBuf]) {
        let wanted = directories(dirs);
        let flags = AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_CLOSE_WRITE
            | AddWatchFlags::IN_MODIFY
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_MOVED_FROM
            | AddWatchFlags::IN_DELETE_SELF
            | AddWatchFlags::IN_ATTRIB;
        for dir in &wanted {
            if !self.watches.contains_key(dir) {
                if let Ok(wd) = self.inotify.add_watch(dir.as_path(), flags) {
                    self.watches.insert(dir.clone(), wd);
                }
            }
        }
        let gone: Vec<PathBuf> = self
            .watches
            .keys()
            .filter(|dir| !wanted.contains(dir))
            .cloned()
            .collect();
        for dir in gone {
            if let Some(wd) = self.watches.remove(&dir) {
                let _ = self.inotify.rm_watch(wd);
            }
        }
    }

    /// Drains pending notifications; true if there was any.
    pub fn drain(&self) -> bool {
        let mut any = false;
        while let Ok(events) = self.inotify.read_events() {
            if events.is_empty() {
                break;
            }
            any = true;
        }
        any
    }

    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.inotify.as_fd()
    }
}
