//! The PID 1 sandbox: the real `init` binary running as process 1 of a fresh PID and mount
//! namespace, looked at from outside. Included by each `tests/pid1_*.rs` (`mod pid1;`) and by
//! `benches/pid1.rs` (`#[path]`).
//!
//! Each [`Sandbox`] has a temporary directory of its own (job files in `conf/`, job logs in
//! `logs/`, files the jobs write in `out/`, init's kernel log in `kmsg`, the console in
//! `console`), so sandboxes of one test binary can run in parallel. The namespace is
//!
//! ```text
//! unshare --pid --fork --kill-child --mount --mount-proc --propagation private -- sh -c '
//!     mount -t tmpfs -o size=16m tmpfs /run; mount -t tmpfs -o size=16m tmpfs /var/log
//!     mkdir /var/log/upstart
//!     mount --bind DIR/kmsg /dev/kmsg; mount --bind DIR/console /dev/console
//!     exec init --confdir DIR/conf --logdir DIR/logs -v EXTRA…'
//! ```
//!
//! so init's own log (`<N>init: message` lines for `/dev/kmsg`) lands in a file of the test,
//! its console is another file, and `/run` and `/var/log` are private: nothing reaches the
//! host's kernel log, console, `/run/initctl` or utmp. Every mount lives in the private mount
//! namespace and goes away with it. The namespace ends when its init dies: [`Sandbox::stop`]
//! and `Drop` send SIGKILL to that init (through a pidfd, so never to a recycled pid), which
//! the kernel turns into SIGKILL for everything inside. `unshare` itself gets
//! `PR_SET_PDEATHSIG(SIGKILL)` and passes `--kill-child` on, so a test process that dies
//! without unwinding takes its namespaces with it.
//!
//! Job files may say `@OUT@` (the `out/` directory, writable by every user), `@DIR@` (the
//! sandbox directory) and `@LOGDIR@`; [`Sandbox::write_job`] substitutes them. Paths are the
//! same inside and outside: the sandbox shares the host's root file system.
//!
//! Needs root (unshare of PID and mount namespaces); without it every sandbox panics saying so.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The init binary under test.
pub const INIT: &str = env!("CARGO_BIN_EXE_init");

/// The initctl binary under test (its links `start`, `stop`, … are made per sandbox).
pub const INITCTL: &str = env!("CARGO_BIN_EXE_initctl");

/// A generous default for anything that should take milliseconds (2 shared cores).
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// How often the `wait_*` helpers look.
pub const POLL: Duration = Duration::from_millis(10);

/// Environment init is started with (the kernel gives PID 1 `HOME=/` and `TERM=linux`);
/// `KINDLING_INIT_ONLY` is there so tests can check it does not leak into jobs.
pub const INIT_ENV: &[(&str, &str)] = &[
    ("HOME", "/"),
    ("TERM", "linux"),
    ("KINDLING_INIT_ONLY", "from-init"),
];

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// How the namespace's init ended, as its parent (`unshare`) saw it: util-linux `unshare`
/// exits with its child's status and re-raises the signal that killed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signaled(i32),
    /// Still running when [`Sandbox::stop`] ended it with SIGKILL. (util-linux `unshare`
    /// cannot re-raise SIGKILL and exits 1 then, which alone would look like `Exited(1)`.)
    Killed,
}

/// One process inside the namespace, as the host's `/proc` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    /// pid on the host.
    pub pid: i32,
    /// pid inside the namespace (what the jobs and init's log say).
    pub ns_pid: i32,
    /// parent's pid inside the namespace.
    pub ns_ppid: i32,
    /// `R`, `S`, `Z`, `T`, `t` …
    pub state: char,
    pub comm: String,
    pub cmdline: Vec<String>,
    /// process group and session (namespace pids).
    pub pgid: i32,
    pub sid: i32,
}

impl Proc {
    pub fn cmd(&self) -> String {
        if self.cmdline.is_empty() {
            format!("[{}]", self.comm)
        } else {
            self.cmdline.join(" ")
        }
    }
}

pub struct Sandbox {
    pub dir: PathBuf,
    pub conf: PathBuf,
    pub logdir: PathBuf,
    pub out: PathBuf,
    pub kmsg: PathBuf,
    pub console: PathBuf,
    child: Option<Child>,
    init_pid: i32,
    pidfd: Option<OwnedFd>,
    ended: Option<Ending>,
    started: Instant,
}

pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Panics with the reason when the sandbox cannot work here.
pub fn require_root() {
    if !is_root() {
        let message = "the PID 1 tests run init as process 1 of a new PID + mount namespace \
                       (unshare --pid --mount), which needs root; run them as root (CI does)";
        eprintln!("{message}");
        panic!("{message}");
    }
}

fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open(2) with integer arguments; a non-negative result is a new fd we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: a fresh descriptor nobody else owns.
    Some(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn pidfd_signal(fd: &OwnedFd, sig: i32) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: pidfd_send_signal(2) on a pidfd we own, no siginfo.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    rc == 0
}

/// Children of `pid` (all its threads), from `/proc/PID/task/*/children`.
pub fn children_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(text) = fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out
}

/// `/proc/PID` of one process, read from the host.
pub fn read_proc(pid: i32) -> Option<Proc> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat[open + 1..close].to_string();
    let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let state = rest.first()?.chars().next()?;
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let ns_field = |name: &str| -> Option<i32> {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|v| v.parse().ok())
    };
    let ns_pid = ns_field("NSpid:").unwrap_or(pid);
    let pgid = ns_field("NSpgid:").unwrap_or(0);
    let sid = ns_field("NSsid:").unwrap_or(0);
    // The parent's namespace pid: PPid is the host's; look the parent up.
    let host_ppid: i32 = rest.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
    let ns_ppid = fs::read_to_string(format!("/proc/{host_ppid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("NSpid:"))
                .and_then(|l| l.split_whitespace().last())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0);
    let cmdline = fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Some(Proc {
        pid,
        ns_pid,
        ns_ppid,
        state,
        comm,
        cmdline,
        pgid,
        sid,
    })
}

/// `VmRSS` of a process in KiB.
pub fn vm_rss_kib(pid: i32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn sandbox_root() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "kindling-pid1-{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

/// The setup the namespace's first process runs before it becomes init. `$3` is the test's
/// own extra set-up ([`Sandbox::start_with`]), run last, in the namespace, with `$dir` set.
const SETUP: &str = r#"set -e
dir="$1"; init="$2"; extra="$3"; shift 3
mount -t tmpfs -o mode=0755,size=16m kindling-run /run
mount -t tmpfs -o mode=0755,size=16m kindling-log /var/log
mkdir /var/log/upstart
mount --bind "$dir/kmsg" /dev/kmsg
mount --bind "$dir/console" /dev/console
eval "$extra"
exec "$init" "$@"
"#;

impl Sandbox {
    /// Starts init with `jobs` (`(name, text)`, `name` without `.conf`, may contain `/`) and
    /// `--confdir DIR/conf --logdir DIR/logs -v` plus `extra_args`, and waits until it has
    /// loaded its configuration and handled its startup event.
    pub fn start(jobs: &[(&str, &str)], extra_args: &[&str]) -> Sandbox {
        Sandbox::launch(jobs, extra_args, None, "", |_| {})
    }

    /// [`Sandbox::start`], with `setup` (shell commands, `set -e`) run inside the namespace
    /// just before init is exec'd: after the standard mounts, with `$dir` the sandbox
    /// directory (`@OUT@`, `@DIR@`, `@LOGDIR@` are substituted too). Mounts made there are
    /// private to the namespace, e.g. `mount --bind "$dir/fifo" /etc/passwd`.
    pub fn start_prepared(jobs: &[(&str, &str)], extra_args: &[&str], setup: &str) -> Sandbox {
        Sandbox::launch(jobs, extra_args, None, setup, |_| {})
    }

    /// Like [`Sandbox::start`], with `configure` applied to the `unshare` command just before
    /// it is spawned: init inherits its stdout, for example (stderr is `unshare.err`).
    pub fn start_with(
        jobs: &[(&str, &str)],
        extra_args: &[&str],
        configure: impl FnOnce(&mut Command),
    ) -> Sandbox {
        Sandbox::launch(jobs, extra_args, None, "", configure)
    }

    /// Like [`Sandbox::start`], but init is started as `DIR/init`, a script with the text
    /// `wrapper` (after [`Sandbox::expand`], and `@INIT@` for the init binary) that must end
    /// by exec'ing the binary with `exec -a "$0"`, so that init's re-execs (which run the
    /// path init was started as) go through the script again: a way to tamper with what one
    /// image hands to the next.
    pub fn start_through(wrapper: &str, jobs: &[(&str, &str)], extra_args: &[&str]) -> Sandbox {
        Sandbox::launch(jobs, extra_args, Some(wrapper), "", |_| {})
    }

    fn launch(
        jobs: &[(&str, &str)],
        extra_args: &[&str],
        wrapper: Option<&str>,
        setup: &str,
        configure: impl FnOnce(&mut Command),
    ) -> Sandbox {
        require_root();
        let dir = sandbox_root();
        let conf = dir.join("conf");
        let logdir = dir.join("logs");
        let out = dir.join("out");
        for d in [&dir, &conf, &logdir, &out] {
            fs::create_dir_all(d).expect("create sandbox directory");
        }
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod dir");
        // Jobs with `setuid nobody` write here too.
        fs::set_permissions(&out, fs::Permissions::from_mode(0o1777)).expect("chmod out");
        let kmsg = dir.join("kmsg");
        let console = dir.join("console");
        fs::write(&kmsg, "").expect("create kmsg file");
        fs::write(&console, "").expect("create console file");

        let mut sandbox = Sandbox {
            dir: dir.clone(),
            conf,
            logdir,
            out,
            kmsg,
            console,
            child: None,
            init_pid: 0,
            pidfd: None,
            ended: None,
            started: Instant::now(),
        };
        for (name, text) in jobs {
            sandbox.write_job(name, text);
        }
        let init = match wrapper {
            None => PathBuf::from(INIT),
            Some(text) => {
                let path = dir.join("init");
                fs::write(&path, sandbox.expand(text).replace("@INIT@", INIT))
                    .expect("write init wrapper");
                fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                    .expect("chmod init wrapper");
                path
            }
        };

        let mut command = Command::new("unshare");
        command
            .args([
                "--pid",
                "--fork",
                "--kill-child",
                "--mount",
                "--mount-proc",
                "--propagation",
                "private",
                "--",
                "/bin/sh",
                "-c",
                SETUP,
                "kindling-setup",
            ])
            .arg(&dir)
            .arg(&init)
            .arg(sandbox.expand(setup))
            .arg("--confdir")
            .arg(&sandbox.conf)
            .arg("--logdir")
            .arg(&sandbox.logdir)
            .arg("-v")
            .args(extra_args.iter().map(|a| sandbox.expand(a)))
            .env_clear()
            .envs(INIT_ENV.iter().copied())
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            // Each sandbox's init listens on its own control socket (the default abstract
            // socket is shared by every sandbox in this network namespace).
            .env("KINDLING_SOCKET", dir.join("control.sock"))
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(fs::File::create(dir.join("unshare.out")).expect("unshare.out"))
            .stderr(fs::File::create(dir.join("unshare.err")).expect("unshare.err"));
        // SAFETY: prctl with integer arguments is async-signal-safe. If this test process
        // dies, unshare gets SIGKILL and its --kill-child takes init (and the namespace) along.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
                Ok(())
            });
        }
        configure(&mut command);
        let child = command.spawn().expect("spawn unshare (util-linux)");
        let unshare_pid = child.id() as i32;
        sandbox.child = Some(child);
        sandbox.started = Instant::now();

        // The namespace's init is unshare's only child; it becomes init at the exec.
        let init_ino = fs::metadata(INIT).expect("init binary").ino();
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(ending) = sandbox.poll_end() {
                panic!("the sandbox ended before init ran: {ending:?}");
            }
            if sandbox.init_pid == 0 {
                if let Some(&pid) = children_of(unshare_pid).first() {
                    sandbox.init_pid = pid;
                    sandbox.pidfd = pidfd_open(pid);
                }
            }
            if sandbox.init_pid != 0
                && fs::metadata(format!("/proc/{}/exe", sandbox.init_pid))
                    .is_ok_and(|m| m.ino() == init_ino)
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "init did not start in the sandbox"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        // Never go on unless init really is in a PID namespace of its own.
        let ours = fs::read_link("/proc/self/ns/pid").expect("own pid namespace");
        let theirs =
            fs::read_link(format!("/proc/{}/ns/pid", sandbox.init_pid)).expect("init's pid ns");
        assert_ne!(ours, theirs, "init is not in a PID namespace of its own");

        // Ready: the configuration is loaded (its directories are watched) and the startup
        // event, if any, was handled.
        let startup = startup_event(extra_args);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(ending) = sandbox.poll_end() {
                panic!("init ended while starting: {ending:?}");
            }
            let watching = inotify_watches(sandbox.init_pid) > 0;
            let handled = match &startup {
                Some(event) => sandbox.log().contains(&format!("Handling {event} event")),
                None => true,
            };
            if watching && handled {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "init did not come up (watching conf dirs: {watching}, startup handled: \
                 {handled})"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        sandbox
    }

    /// Host pid of the namespace's init.
    pub fn init_pid(&self) -> i32 {
        self.init_pid
    }

    /// How long since `unshare` was started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// `text` with `@OUT@`, `@DIR@`, `@LOGDIR@` replaced.
    pub fn expand(&self, text: &str) -> String {
        text.replace("@OUT@", &self.out.display().to_string())
            .replace("@LOGDIR@", &self.logdir.display().to_string())
            .replace("@DIR@", &self.dir.display().to_string())
    }

    /// Writes `conf/NAME.conf` atomically (written beside, then renamed in).
    pub fn write_job(&self, name: &str, text: &str) {
        self.write_conf_file(&format!("{name}.conf"), text);
    }

    /// Writes any file under `conf/` (e.g. `NAME.override`) atomically.
    pub fn write_conf_file(&self, rel: &str, text: &str) {
        let path = self.conf.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create conf sub-directory");
        }
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let staging = self.dir.join(format!(".staging-{n}"));
        fs::write(&staging, self.expand(text)).expect("write job file");
        fs::rename(&staging, &path).expect("rename job file into conf");
    }

    pub fn remove_job(&self, name: &str) {
        self.remove_conf_file(&format!("{name}.conf"));
    }

    pub fn remove_conf_file(&self, rel: &str) {
        fs::remove_file(self.conf.join(rel)).expect("remove conf file");
    }

    /// A path in `out/` (absolute paths are returned as they are).
    pub fn out_path(&self, name: impl AsRef<Path>) -> PathBuf {
        self.out.join(name)
    }

    /// Contents of `out/NAME`, if it exists.
    pub fn read_out(&self, name: impl AsRef<Path>) -> Option<String> {
        fs::read_to_string(self.out_path(name)).ok()
    }

    /// Sends `sig` to the namespace's init.
    pub fn signal(&self, sig: i32) {
        assert!(self.ended.is_none(), "signal to an init that has ended");
        let sent = match &self.pidfd {
            Some(fd) => pidfd_signal(fd, sig),
            // SAFETY: kill(2) to the pid of our unshare's child, still unreaped.
            None => unsafe { libc::kill(self.init_pid, sig) == 0 },
        };
        assert!(sent, "could not send signal {sig} to init");
    }

    /// Init's log: the `kmsg` file with each line's `<N>init: ` prefix removed.
    pub fn log(&self) -> String {
        let raw = self.raw_log();
        let mut out = String::with_capacity(raw.len());
        for line in raw.lines() {
            let line = match line.strip_prefix('<') {
                Some(rest) => rest.split_once('>').map_or(line, |(_, rest)| rest),
                None => line,
            };
            out.push_str(line.strip_prefix("init: ").unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// The `kmsg` file as init wrote it.
    pub fn raw_log(&self) -> String {
        fs::read_to_string(&self.kmsg).unwrap_or_default()
    }

    /// How many log lines contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.log().lines().filter(|l| l.contains(needle)).count()
    }

    /// Whatever jobs wrote to `/dev/console`.
    pub fn console_text(&self) -> String {
        fs::read_to_string(&self.console).unwrap_or_default()
    }

    /// Polls `check` every [`POLL`] until it returns `Some`, or panics after `timeout` saying
    /// what was awaited, with the sandbox's diagnostics.
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = check() {
                return value;
            }
            if Instant::now() >= deadline {
                // Drop prints the diagnostics while unwinding.
                panic!("timed out after {timeout:?} waiting for {what}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until `path` (relative: in `out/`) exists and is not empty; returns its text.
    pub fn wait_for_file(&self, path: impl AsRef<Path>, timeout: Duration) -> String {
        let path = self.out_path(path);
        self.wait_for(&format!("file {}", path.display()), timeout, || {
            fs::read_to_string(&path).ok().filter(|t| !t.is_empty())
        })
    }

    /// Waits until `path` holds at least `lines` lines; returns its text.
    pub fn wait_for_lines(
        &self,
        path: impl AsRef<Path>,
        lines: usize,
        timeout: Duration,
    ) -> String {
        let path = self.out_path(path);
        self.wait_for(
            &format!("{lines} lines in {}", path.display()),
            timeout,
            || {
                fs::read_to_string(&path)
                    .ok()
                    .filter(|t| t.lines().count() >= lines)
            },
        )
    }

    /// Waits until a log line contains `needle`; returns that line.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> String {
        self.wait_for_log_count(needle, 1, timeout)
    }

    /// Waits until `count` log lines contain `needle`; returns the last of them.
    pub fn wait_for_log_count(&self, needle: &str, count: usize, timeout: Duration) -> String {
        self.wait_for(
            &format!("{count} log line(s) containing {needle:?}"),
            timeout,
            || {
                let log = self.log();
                let found: Vec<&str> = log.lines().filter(|l| l.contains(needle)).collect();
                (found.len() >= count).then(|| found[count - 1].to_string())
            },
        )
    }

    /// True if `check` stays `false` for all of `period` (for "this must not happen").
    pub fn stays(&self, period: Duration, mut check: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + period;
        while Instant::now() < deadline {
            if check() {
                return false;
            }
            std::thread::sleep(POLL);
        }
        !check()
    }

    /// Every process in the namespace below init, found by walking the children lists of
    /// the host's `/proc` from init down (processes `nsenter`ed in are not included).
    pub fn processes(&self) -> Vec<Proc> {
        let mut out = Vec::new();
        if self.ended.is_some() {
            return out;
        }
        let mut stack = children_of(self.init_pid);
        let mut seen = std::collections::HashSet::new();
        while let Some(pid) = stack.pop() {
            if !seen.insert(pid) {
                continue;
            }
            if let Some(proc_) = read_proc(pid) {
                stack.extend(children_of(pid));
                out.push(proc_);
            }
        }
        out.sort_by_key(|p| p.ns_pid);
        out
    }

    /// The namespace's init itself.
    pub fn init_proc(&self) -> Option<Proc> {
        read_proc(self.init_pid)
    }

    pub fn zombies(&self) -> Vec<Proc> {
        self.processes()
            .into_iter()
            .filter(|p| p.state == 'Z')
            .collect()
    }

    /// Processes whose command line (arguments joined by spaces) starts with `prefix`: a
    /// prefix, so that `sleep 1000` does not also find `sh -c 'sleep 1000 & …'`.
    pub fn find(&self, prefix: &str) -> Vec<Proc> {
        self.processes()
            .into_iter()
            .filter(|p| p.cmd().starts_with(prefix))
            .collect()
    }

    /// Waits until exactly one live process's command line starts with `prefix`; returns it.
    ///
    /// A job's main process is visible as soon as it exec'd, a moment before init has read
    /// the exec from the spawn pipe and moved the job from `spawned` on. So when the process
    /// is a job's, this also waits (up to a second: `expect fork|daemon` jobs stay spawned
    /// on purpose) until `initctl list` no longer shows it `spawned`.
    pub fn wait_for_process(&self, needle: &str, timeout: Duration) -> Proc {
        let proc = self.wait_for(&format!("a process {needle:?}"), timeout, || {
            let found: Vec<Proc> = self
                .find(needle)
                .into_iter()
                .filter(|p| p.state != 'Z')
                .collect();
            (found.len() == 1).then(|| found[0].clone())
        });
        let spawned = format!("/spawned, process {}", proc.ns_pid);
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline {
            let list = self.initctl(&["list"]);
            if !list.status.success() || !String::from_utf8_lossy(&list.stdout).contains(&spawned) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        proc
    }

    /// Waits until nothing runs in the namespace but init (no process, no zombie).
    pub fn wait_idle(&self, timeout: Duration) {
        self.wait_for("no process but init", timeout, || {
            self.processes().is_empty().then_some(())
        });
    }

    /// Host pid of the namespace's process `ns_pid`.
    pub fn host_pid(&self, ns_pid: i32) -> Option<i32> {
        self.processes()
            .into_iter()
            .find(|p| p.ns_pid == ns_pid)
            .map(|p| p.pid)
    }

    /// Sends `sig` to the namespace's process `ns_pid` (a job's pid as the jobs see it),
    /// through a pidfd opened after checking that the pid is that process of this sandbox.
    pub fn kill_ns(&self, ns_pid: i32, sig: i32) {
        let pid = self
            .host_pid(ns_pid)
            .unwrap_or_else(|| panic!("no process {ns_pid} in the sandbox"));
        let fd = pidfd_open(pid).unwrap_or_else(|| panic!("pidfd_open({pid})"));
        // With the pidfd held the pid cannot be reused: check it is still ours.
        let ns = |p: i32| fs::read_link(format!("/proc/{p}/ns/pid")).ok();
        let still = read_proc(pid).is_some_and(|p| p.ns_pid == ns_pid)
            && ns(pid).is_some()
            && ns(pid) == ns(self.init_pid);
        assert!(still, "process {ns_pid} of the sandbox is gone");
        assert!(pidfd_signal(&fd, sig), "signal {sig} to {pid}");
    }

    /// Runs `cmd` inside the namespace (PID and mount) with `nsenter`, waits, and returns its
    /// output. For `initctl` once it exists.
    pub fn nsenter(&self, cmd: &[&str]) -> Output {
        assert!(self.ended.is_none(), "nsenter into an ended sandbox");
        Command::new("nsenter")
            .arg("-t")
            .arg(self.init_pid.to_string())
            .args(["-p", "-m", "--"])
            .args(cmd)
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin",
            )
            .stdin(Stdio::null())
            .output()
            .expect("run nsenter")
    }

    /// The control socket this sandbox's init listens on (`KINDLING_SOCKET` in its environment).
    pub fn socket(&self) -> PathBuf {
        self.dir.join("control.sock")
    }

    /// Runs the real `initctl` from the host against this sandbox's init; returns its output.
    pub fn initctl(&self, args: &[&str]) -> Output {
        self.initctl_as("initctl", args)
    }

    /// Like [`Sandbox::initctl`], invoked as `prog` (`start`, `stop`, `restart`, `reload`,
    /// `status`: a symlink to initctl of that name in `DIR/bin`).
    pub fn initctl_as(&self, prog: &str, args: &[&str]) -> Output {
        self.initctl_command(prog, args)
            .output()
            .expect("run initctl")
    }

    /// The command [`Sandbox::initctl_as`] runs (environment cleared but for `PATH` and
    /// `KINDLING_SOCKET`, stdin null), to be changed further (uid, spawn) by the caller.
    pub fn initctl_command(&self, prog: &str, args: &[&str]) -> Command {
        let mut command = Command::new(self.initctl_link(prog));
        command
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("KINDLING_SOCKET", self.socket())
            .stdin(Stdio::null());
        command
    }

    /// `DIR/bin/PROG`, a symlink to the initctl binary (made on first use); `initctl` itself
    /// for `initctl`.
    pub fn initctl_link(&self, prog: &str) -> PathBuf {
        if prog == "initctl" {
            return PathBuf::from(INITCTL);
        }
        let bin = self.dir.join("bin");
        let link = bin.join(prog);
        if fs::symlink_metadata(&link).is_err() {
            fs::create_dir_all(&bin).expect("create bin directory");
            let _ = std::os::unix::fs::symlink(INITCTL, &link);
        }
        link
    }

    /// `VmRSS` of init in KiB.
    pub fn init_rss_kib(&self) -> u64 {
        vm_rss_kib(self.init_pid).expect("VmRSS of init")
    }

    /// Has the namespace ended? (Reaps `unshare` if it has.)
    pub fn poll_end(&mut self) -> Option<Ending> {
        if self.ended.is_some() {
            return self.ended;
        }
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => {
                let ending = match status.signal() {
                    Some(sig) => Ending::Signaled(sig),
                    None => Ending::Exited(status.code().unwrap_or(-1)),
                };
                self.ended = Some(ending);
                self.pidfd = None;
                Some(ending)
            }
            _ => None,
        }
    }

    /// Waits up to `timeout` for the namespace to end by itself.
    pub fn wait_end(&mut self, timeout: Duration) -> Option<Ending> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(ending) = self.poll_end() {
                return Some(ending);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Ends the namespace (SIGKILL to its init if it still runs) and says how init ended.
    pub fn stop(mut self) -> Ending {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Ending {
        if let Some(ending) = self.poll_end() {
            return ending;
        }
        if let Some(fd) = &self.pidfd {
            pidfd_signal(fd, libc::SIGKILL);
        }
        if self.wait_end(Duration::from_secs(10)).is_some() {
            self.ended = Some(Ending::Killed);
            return Ending::Killed;
        }
        // unshare did not go: kill it (its --kill-child kills init).
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
        }
        self.wait_end(Duration::from_secs(10));
        self.ended = Some(Ending::Killed);
        Ending::Killed
    }

    /// What a failing test prints: how far init got, its log, the processes.
    pub fn diagnostics(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "--- sandbox {} (init host pid {}, {:?} since start, ended: {:?})",
            self.dir.display(),
            self.init_pid,
            self.started.elapsed(),
            self.ended
        );
        let _ = writeln!(text, "--- init log:\n{}", self.raw_log());
        if self.ended.is_none() {
            let _ = writeln!(text, "--- processes (ns pid, ns ppid, state, command):");
            for p in self.processes() {
                let _ = writeln!(text, "{} {} {} {}", p.ns_pid, p.ns_ppid, p.state, p.cmd());
            }
        }
        for name in ["unshare.err", "console"] {
            let body = fs::read_to_string(self.dir.join(name)).unwrap_or_default();
            if !body.is_empty() {
                let _ = writeln!(text, "--- {name}:\n{body}");
            }
        }
        text
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.diagnostics());
        }
        self.shutdown();
        if std::env::var_os("KINDLING_KEEP_SANDBOX").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The event init emits at start with these extra arguments (`None`: `--no-startup-event`).
fn startup_event(args: &[&str]) -> Option<String> {
    let mut event = Some("startup".to_string());
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if *arg == "--no-startup-event" {
            event = None;
        } else if *arg == "--startup-event" {
            event = iter.next().map(|s| s.to_string());
        } else if let Some(name) = arg.strip_prefix("--startup-event=") {
            event = Some(name.to_string());
        }
    }
    event
}

/// Number of inotify watches the process holds (from `/proc/PID/fdinfo`).
fn inotify_watches(pid: i32) -> usize {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    let mut watches = 0;
    for fd in fds.flatten() {
        let is_inotify = fs::read_link(fd.path())
            .map(|t| t.to_string_lossy().contains("inotify"))
            .unwrap_or(false);
        if is_inotify {
            let info = fs::read_to_string(format!(
                "/proc/{pid}/fdinfo/{}",
                fd.file_name().to_string_lossy()
            ))
            .unwrap_or_default();
            watches += info
                .lines()
                .filter(|l| l.starts_with("inotify wd:"))
                .count();
        }
    }
    watches
}

/// `KEY=VALUE` lines (as `env` prints them) as pairs.
pub fn parse_env(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn env_get<'a>(env: &'a [(String, String)], key: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}
