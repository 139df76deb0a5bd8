//! Helpers for the `supervise_*` tests, included by each with `#[path]` (built alone it is an
//! empty test target).
//!
//! Every test that forks or reaps holds [`serial`]: `reap()` is `waitpid(-1)` and would steal
//! the children of a test running in parallel in the same process. The lock also makes the
//! test process a child subreaper, so orphaned grandchildren come back to it.
#![allow(dead_code)]

use kindling::engine::{ExitStatus, Pid};
use kindling::environ::Env;
use kindling::job::{Console, JobClass, Process, ProcessKind};
use kindling::supervise::{
    read_spawn_error, reap, spawn, ChildEvent, SpawnCheck, SpawnConfig, SpawnError, SpawnRequest,
    SpawnedProcess,
};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

static LOCK: Mutex<()> = Mutex::new(());

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Serialises the forking tests of one test binary and makes this process a subreaper.
pub fn serial() -> MutexGuard<'static, ()> {
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: prctl with integer arguments.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    assert_eq!(rc, 0, "PR_SET_CHILD_SUBREAPER");
    guard
}

pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

pub fn env(pairs: &[(&str, &str)]) -> Env {
    let mut env = Env::new();
    env.set(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin",
    );
    for (key, value) in pairs {
        env.set(key, value);
    }
    env
}

/// A class whose main process is `command` (`exec`), with `console none`.
pub fn exec_class(command: &str) -> JobClass {
    let mut class = JobClass::new("test");
    class.main = Some(Process {
        command: command.into(),
        script: false,
    });
    class.console = Some(Console::None);
    class
}

/// A class whose main process is a `script` block, with `console none`.
pub fn script_class(script: &str) -> JobClass {
    let mut class = exec_class("");
    class.main = Some(Process {
        command: script.into(),
        script: true,
    });
    class
}

pub fn spawn_main(class: &JobClass, env: &Env) -> Result<SpawnedProcess, SpawnError> {
    spawn_with(class, env, &SpawnConfig::default())
}

pub fn spawn_with(
    class: &JobClass,
    env: &Env,
    config: &SpawnConfig,
) -> Result<SpawnedProcess, SpawnError> {
    spawn(&SpawnRequest {
        class,
        kind: ProcessKind::Main,
        env,
        config,
    })
}

/// Waits until `fd` is readable (or `timeout`).
pub fn readable(fd: &impl AsRawFd, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: poll on one live pollfd.
    unsafe { libc::poll(&mut pfd, 1, ms) > 0 }
}

/// The spawn outcome, waiting for the error pipe to say something.
pub fn spawn_check(errors: &OwnedFd) -> SpawnCheck {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let check = read_spawn_error(errors);
        if check != SpawnCheck::Pending || Instant::now() > deadline {
            return check;
        }
        readable(errors, Duration::from_millis(100));
    }
}

/// Everything the reaper reported during one test.
#[derive(Default)]
pub struct Reaped {
    pub events: Vec<ChildEvent>,
}

impl Reaped {
    pub fn poll(&mut self) {
        self.events.extend(reap());
    }

    /// Reaps until `pid` has ended; its status.
    pub fn exit_of(&mut self, pid: Pid) -> Option<ExitStatus> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            self.poll();
            let found = self.events.iter().find_map(|event| match event {
                ChildEvent::Exited { pid: p, status } if *p == pid => Some(*status),
                _ => None,
            });
            if found.is_some() || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Reaps until `pred` holds for some event.
    pub fn until(&mut self, pred: impl Fn(&ChildEvent) -> bool) -> Option<ChildEvent> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            self.poll();
            if let Some(event) = self.events.iter().find(|e| pred(e)) {
                return Some(*event);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Kills `pid` for good and reaps it (test cleanup).
pub fn kill_and_reap(reaped: &mut Reaped, pid: Pid) {
    // SAFETY: kill with a positive pid of our own child.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    reaped.exit_of(pid);
}

/// A fresh scratch directory under the system temp dir.
pub fn scratch(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "kindling-supervise-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A line of /proc/PID/status (`Uid:` → the rest).
pub fn status_field(pid: Pid, field: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .map(|rest| rest.trim().to_string())
}

/// Waits until the file exists and is non-empty; its content.
pub fn wait_file(path: &std::path::Path) -> Option<String> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            if !text.is_empty() {
                return Some(text);
            }
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until `pid` runs `program` (its exec happened).
pub fn wait_exec(pid: Pid, program: &str) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) {
            let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            if argv0 == program.as_bytes() {
                return true;
            }
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
