//! `console log`: pty output into `LOGDIR/JOB[-INSTANCE].log`, kept in memory while the
//! directory cannot be written, flushed later. Forking tests hold `serial()`.

#[path = "supervise_common.rs"]
mod common;

use common::*;
use kindling::engine::ExitStatus;
use kindling::job::Console;
use kindling::supervise::log::MAX_UNFLUSHED;
use kindling::supervise::{log_path, JobLog, LogBook, LogFile, LogProgress};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs `class` with `console log` and reads its pty until EOF; the log and the exit status.
fn run_logged(class: &mut kindling::job::JobClass, path: &Path) -> (JobLog, Option<ExitStatus>) {
    class.console = Some(Console::Log);
    let mut reaped = Reaped::default();
    let child = spawn_main(class, &env(&[])).expect("spawn");
    assert!(child.warnings.is_empty(), "{:?}", child.warnings);
    let master = child.pty.expect("a pty for console log");
    let mut log = JobLog::new(master, path.to_path_buf());
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match log.on_readable().expect("read the master") {
            LogProgress::Eof => break,
            LogProgress::More => continue,
            LogProgress::Drained => {
                assert!(Instant::now() < deadline, "no EOF on the pty");
                readable(&log, Duration::from_millis(100));
            }
        }
    }
    let status = reaped.exit_of(child.pid);
    (log, status)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn log_paths_follow_upstarts_rule() {
    let dir = Path::new("/var/log/upstart");
    assert_eq!(log_path(dir, "ssh", ""), dir.join("ssh.log"));
    assert_eq!(log_path(dir, "tty", "tty1"), dir.join("tty-tty1.log"));
    assert_eq!(
        log_path(dir, "sub/inst", "a/b"),
        dir.join("sub_inst-a_b.log")
    );
}

#[test]
fn output_is_logged_with_lf_endings_and_mode_0640() {
    let _serial = serial();
    let dir = scratch("log");
    let path = log_path(&dir, "net/job", "");
    // A restrictive umask in init must not change the log's mode.
    // SAFETY: umask is process-wide; the forking tests are serialised.
    let old = unsafe { libc::umask(0o077) };
    let mut class = script_class("echo one\necho two >&2\nprintf 'three\\r\\nfour'\n");
    let (log, status) = run_logged(&mut class, &path);
    unsafe { libc::umask(old) };
    assert_eq!(status, Some(ExitStatus::Exited(0)));
    assert_eq!(path, dir.join("net_job.log"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "one\ntwo\nthree\r\nfour"
    );
    assert_eq!(mode(&path), 0o640);
    assert!(log.finish().is_none());

    // An existing file is appended to and keeps its mode.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut class = exec_class("echo again");
    let (log, _) = run_logged(&mut class, &path);
    assert!(log.finish().is_none());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "one\ntwo\nthree\r\nfouragain\n"
    );
    assert_eq!(mode(&path), 0o600);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn output_is_kept_while_the_directory_is_missing_and_flushed_later() {
    let _serial = serial();
    let base = scratch("later");
    let logdir = base.join("upstart");
    let path = log_path(&logdir, "early", "");
    let mut class = script_class("echo before disk\necho second line\n");
    let (log, status) = run_logged(&mut class, &path);
    assert_eq!(status, Some(ExitStatus::Exited(0)));
    assert!(!path.exists());
    assert_eq!(log.file().last_error(), Some(libc::ENOENT));
    let kept = log.finish().expect("output kept for later");
    assert_eq!(kept.pending(), "before disk\nsecond line\n".len());
    let mut book = LogBook::new();
    book.keep(kept);
    assert_eq!(book.flush(), 1, "still not writable");
    std::fs::create_dir_all(&logdir).unwrap();
    assert_eq!(book.flush(), 0);
    assert!(book.is_empty());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "before disk\nsecond line\n"
    );
    assert_eq!(mode(&path), 0o640);
    let _ = std::fs::remove_dir_all(base);
}

#[test]
fn the_buffer_is_bounded_and_says_what_it_dropped() {
    let base = scratch("bounded");
    let logdir = base.join("missing");
    let path = logdir.join("noisy.log");
    let mut file = LogFile::new(path.clone());
    let chunk: Vec<u8> = (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect();
    for _ in 0..100 {
        file.write(&chunk);
    }
    assert_eq!(file.pending(), MAX_UNFLUSHED);
    let dropped = 100_000 - MAX_UNFLUSHED;
    assert_eq!(file.lost(), dropped as u64);
    std::fs::create_dir_all(&logdir).unwrap();
    // New output flushes the kept output first, in order.
    file.write(b"END\n");
    assert_eq!(file.pending(), 0);
    let text = std::fs::read(&path).unwrap();
    let note = format!(
        "[kindling: {dropped} bytes of earlier output were dropped while {} could not be written]\n",
        path.display()
    );
    assert!(text.starts_with(note.as_bytes()));
    let body = &text[note.len()..];
    assert_eq!(body.len(), MAX_UNFLUSHED + 4);
    let all: Vec<u8> = chunk.iter().cycle().take(100_000).copied().collect();
    assert_eq!(&body[..MAX_UNFLUSHED], &all[dropped..]);
    assert!(body.ends_with(b"END\n"));
    let _ = std::fs::remove_dir_all(base);
}

#[test]
fn a_symlink_is_not_followed_and_an_unlinked_file_is_recreated() {
    let base = scratch("links");
    let target = base.join("target");
    std::fs::write(&target, "precious\n").unwrap();
    let link = base.join("job.log");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let mut file = LogFile::new(link.clone());
    file.write(b"attack\n");
    assert_eq!(file.last_error(), Some(libc::ELOOP));
    // ELOOP is not "later": the output is discarded, not kept.
    assert_eq!(file.pending(), 0);
    assert_eq!(file.lost(), 7);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");

    // logrotate moved the file away: the next write recreates it at its path.
    let path = base.join("rotated.log");
    let mut file = LogFile::new(path.clone());
    file.write(b"first\n");
    std::fs::remove_file(&path).unwrap();
    file.write(b"second\n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "second\n");
    let _ = std::fs::remove_dir_all(base);
}

#[test]
fn the_book_is_bounded() {
    let base = scratch("book");
    let mut book = LogBook::new();
    for i in 0..40 {
        let mut file = LogFile::new(base.join("missing").join(format!("job{i}.log")));
        file.write(&vec![b'x'; MAX_UNFLUSHED]);
        book.keep(file);
    }
    // 1 MiB / 64 KiB = 16 logs fit.
    assert_eq!(book.len(), 16);
    assert_eq!(book.dropped(), 24 * MAX_UNFLUSHED as u64);
    std::fs::create_dir_all(base.join("missing")).unwrap();
    assert_eq!(book.flush(), 0);
    assert!(!base.join("missing/job23.log").exists());
    assert!(base.join("missing/job24.log").exists());
    let _ = std::fs::remove_dir_all(base);
}

/// Unmounts on drop, so a failing test leaves no mount behind.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = nix::mount::umount2(&self.0, nix::mount::MntFlags::MNT_DETACH);
    }
}

#[test]
fn output_is_kept_while_the_directory_is_read_only_and_flushed_later() {
    use nix::mount::{mount, MsFlags};
    let _serial = serial();
    let base = scratch("readonly");
    let logdir = base.join("upstart");
    std::fs::create_dir_all(&logdir).unwrap();
    let none: Option<&str> = None;
    if let Err(error) = mount(Some(&logdir), &logdir, none, MsFlags::MS_BIND, none) {
        panic!("cannot bind-mount {logdir:?} ({error}): run the tests as root (CI does)");
    }
    let guard = Mounted(logdir.clone());
    let flags = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY;
    if let Err(error) = mount(none, &logdir, none, flags, none) {
        panic!("cannot remount {logdir:?} read-only ({error}): run the tests as root");
    }
    let path = log_path(&logdir, "early", "tty1");
    let mut class = script_class("echo read-only root\necho still booting\n");
    let (log, status) = run_logged(&mut class, &path);
    assert_eq!(status, Some(ExitStatus::Exited(0)));
    assert_eq!(log.file().last_error(), Some(libc::EROFS));
    let kept = log.finish().expect("kept while read-only");
    let mut book = LogBook::new();
    book.keep(kept);
    assert_eq!(book.flush(), 1);
    drop(guard); // the root is remounted read-write
    assert_eq!(book.flush(), 0);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "read-only root\nstill booting\n"
    );
    assert_eq!(mode(&path), 0o640);
    let _ = std::fs::remove_dir_all(base);
}
