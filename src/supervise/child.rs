//! The code that runs between `fork` and `execve`: Upstart's `job_process_spawn_with_fd()`
//! child half, in the same order, on data [`super::spawn`] prepared before the fork.
//!
//! Must never: allocate, format, lock, panic, index with bounds checks that can fail, or call
//! anything but async-signal-safe libc functions — with one exception, below. Every failure
//! is a fixed-size `(stage, arg, errno)` record on the close-on-exec error pipe, then
//! `_exit(255)`.
//!
//! The exception: `setuid`/`setgid` users and groups are looked up here, in the child, with
//! `getpwnam`/`getgrnam`/`getpwuid`/`initgroups` (NSS: they allocate, lock and may talk to
//! LDAP, SSSD or NIS). Done in init they could hold PID 1 for as long as such a server does
//! not answer; here they hold only this child, which `stop` can still kill, and the error
//! pipe carries the outcome back as for any other step. It is safe because init is one
//! thread: at `fork` no other thread can hold a malloc, stdio or NSS lock that the child
//! would then wait for forever, and the child's copy of the parent's memory is consistent.
//! (The library's own tests fork from a multi-threaded test harness; there glibc's fork
//! handlers, which reset the malloc and stdio locks in the child, keep these calls usable.)
//! As upstream, the lookups come after `chroot`/`chdir`, so a `chroot` job's users are the
//! chroot's own.

use libc::{c_char, c_int};
use std::ffi::{CStr, CString};

/// Upstart's `JOB_PROCESS_SCRIPT_FD`: multi-line scripts are read from here.
pub(super) const SCRIPT_FD: c_int = 9;

/// The shell that runs scripts and commands with shell characters (Upstart's `SHELL`).
pub(super) const SHELL: &CStr = c"/bin/sh";

/// Bytes of one error record: three native-endian `c_int`s.
pub(super) const RECORD_LEN: usize = std::mem::size_of::<[c_int; 3]>();

/// The step that failed, as the first `c_int` of an error record (Upstart's
/// `JobProcessErrorType`, our own numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub(super) enum Stage {
    Console = 1,
    Dup = 2,
    Rlimit = 3,
    Priority = 4,
    OomAdj = 5,
    Chroot = 6,
    Chdir = 7,
    Ptrace = 8,
    Exec = 9,
    Getpwnam = 10,
    Getgrnam = 11,
    Getpwuid = 12,
    BadSetuid = 13,
    BadSetgid = 14,
    Setuid = 15,
    Setgid = 16,
    Initgroups = 17,
}

impl Stage {
    pub(super) fn from_code(code: c_int) -> Option<Stage> {
        Some(match code {
            1 => Stage::Console,
            2 => Stage::Dup,
            3 => Stage::Rlimit,
            4 => Stage::Priority,
            5 => Stage::OomAdj,
            6 => Stage::Chroot,
            7 => Stage::Chdir,
            8 => Stage::Ptrace,
            9 => Stage::Exec,
            10 => Stage::Getpwnam,
            11 => Stage::Getgrnam,
            12 => Stage::Getpwuid,
            13 => Stage::BadSetuid,
            14 => Stage::BadSetgid,
            15 => Stage::Setuid,
            16 => Stage::Setgid,
            17 => Stage::Initgroups,
            _ => return None,
        })
    }
}

/// The text to write to `/proc/self/oom_score_adj`, and to the legacy `oom_adj` when the
/// former does not exist (Upstart's fallback, value scaled to −17..15).
pub(super) struct OomWrite {
    pub score_adj: Vec<u8>,
    pub legacy: Vec<u8>,
}

/// Everything the child needs, resolved before the fork. All file descriptors are ≥ 10, so
/// the `dup2`s onto 0, 1, 2 and 9 cannot overwrite one of them.
pub(super) struct ChildPlan<'a> {
    pub err_fd: c_int,
    pub stdin_fd: c_int,
    pub output_fd: c_int,
    /// errno of a console that could not be opened before the fork (`console owner`).
    pub console_error: Option<c_int>,
    pub controlling_tty: bool,
    /// -1, or the memfd holding a multi-line script; becomes fd 9.
    pub script_fd: c_int,
    pub limits: &'a [(libc::__rlimit_resource_t, libc::rlimit)],
    pub umask: libc::mode_t,
    pub nice: Option<c_int>,
    pub oom: Option<&'a OomWrite>,
    pub chroot: Option<&'a CStr>,
    pub chdir: &'a CStr,
    /// `setuid USER`, looked up here (see the module notes).
    pub setuid: Option<&'a CStr>,
    /// `setgid GROUP`, looked up here.
    pub setgid: Option<&'a CStr>,
    /// init runs as root: a job with `setuid` or `setgid` gets the user's supplementary
    /// groups (`initgroups`); otherwise it keeps init's.
    pub root: bool,
    pub debug_stop: bool,
    pub trace: bool,
    /// Paths to try in order (execvp's PATH search, done before the fork).
    pub candidates: &'a [CString],
    /// Null-terminated.
    pub argv: &'a [*const c_char],
    /// `[SHELL, <slot>, argv[1..], NULL]`: glibc's fallback for ENOEXEC files.
    pub shell_argv: &'a mut [*const c_char],
    /// Null-terminated.
    pub envp: &'a [*const c_char],
}

fn errno() -> c_int {
    // SAFETY: __errno_location always returns a valid thread-local pointer.
    unsafe { *libc::__errno_location() }
}

fn clear_errno() {
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = 0 }
}

/// The ids to switch to, from the user and group databases.
struct Ids {
    uid: Option<libc::uid_t>,
    gid: Option<libc::gid_t>,
    /// `initgroups(user, group)`: the name points into libc's static passwd entry.
    initgroups: Option<(*const c_char, libc::gid_t)>,
}

/// getpwnam/getgrnam say "no such entry" as NULL with errno 0 or one of these.
fn not_found(err: c_int) -> bool {
    matches!(
        err,
        0 | libc::ENOENT | libc::ESRCH | libc::EBADF | libc::EPERM
    )
}

/// Upstream's lookups (`job_process_spawn_with_fd()`): the `setuid` user (its primary group
/// too), the `setgid` group, and as root the user whose supplementary groups the job gets —
/// the `setuid` user, else init's own — with the `setgid` group or that user's primary group
/// (upstream passed init's group when only `setuid` is given, silently keeping root's).
unsafe fn lookup_ids(plan: &ChildPlan) -> Result<Ids, (Stage, c_int)> {
    let mut ids = Ids {
        uid: None,
        gid: None,
        initgroups: None,
    };
    if plan.setuid.is_none() && plan.setgid.is_none() {
        return Ok(ids);
    }
    let mut user: *mut libc::passwd = std::ptr::null_mut();
    if let Some(name) = plan.setuid {
        clear_errno();
        user = libc::getpwnam(name.as_ptr());
        if user.is_null() {
            let err = errno();
            return Err(if not_found(err) {
                (Stage::BadSetuid, 0)
            } else {
                (Stage::Getpwnam, err)
            });
        }
        ids.uid = Some((*user).pw_uid);
        ids.gid = Some((*user).pw_gid);
    }
    if let Some(name) = plan.setgid {
        clear_errno();
        let group = libc::getgrnam(name.as_ptr());
        if group.is_null() {
            let err = errno();
            return Err(if not_found(err) {
                (Stage::BadSetgid, 0)
            } else {
                (Stage::Getgrnam, err)
            });
        }
        ids.gid = Some((*group).gr_gid);
    }
    if !plan.root {
        return Ok(ids);
    }
    if user.is_null() {
        clear_errno();
        user = libc::getpwuid(libc::geteuid());
        if user.is_null() {
            let err = errno();
            return Err((Stage::Getpwuid, if err == 0 { libc::ENOENT } else { err }));
        }
    }
    ids.initgroups = Some(((*user).pw_name, ids.gid.unwrap_or((*user).pw_gid)));
    Ok(ids)
}

/// Writes the error record (if the pipe is still open) and exits.
unsafe fn fail(fd: c_int, stage: Stage, arg: c_int, err: c_int) -> ! {
    if fd >= 0 {
        let record: [c_int; 3] = [stage as c_int, arg, err];
        loop {
            let n = libc::write(fd, record.as_ptr().cast(), RECORD_LEN);
            if n >= 0 || errno() != libc::EINTR {
                break;
            }
        }
    }
    libc::_exit(255)
}

/// The kernel's `struct sigaction` (x86_64, arm64 and the generic layout: handler, flags,
/// restorer, mask), for the raw `rt_sigaction` call.
#[repr(C)]
struct KernelSigaction {
    handler: libc::sighandler_t,
    flags: libc::c_ulong,
    restorer: usize,
    mask: u64,
}

/// Every disposition back to SIG_DFL (the parent's handlers, SIG_IGN for SIGPIPE that Rust
/// sets, tokio's handlers, anything ignored by whoever started init), then an empty mask: the
/// parent blocked everything around fork. The raw syscall, because glibc's `sigaction`
/// refuses its two reserved real-time signals (32, 33), and those can be inherited ignored.
unsafe fn reset_signals() {
    let action = KernelSigaction {
        handler: libc::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        libc::syscall(
            libc::SYS_rt_sigaction,
            sig,
            &action as *const KernelSigaction,
            std::ptr::null_mut::<KernelSigaction>(),
            std::mem::size_of::<u64>(),
        );
    }
    let mut empty: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut empty);
    libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
}

/// Marks every descriptor from 3 up close-on-exec (the error pipe must stay open until exec).
unsafe fn cloexec_from_3() {
    if libc::close_range(3, libc::c_uint::MAX, libc::CLOSE_RANGE_CLOEXEC as c_int) == 0 {
        return;
    }
    // Kernels before 5.11: walk the table, bounded.
    let mut limit: libc::rlimit = std::mem::zeroed();
    let top = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
        limit.rlim_cur.min(65536) as c_int
    } else {
        1024
    };
    let mut fd = 3;
    while fd < top {
        libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        fd += 1;
    }
}

unsafe fn set_oom(err_fd: c_int, oom: &OomWrite) {
    let mut text = &oom.score_adj;
    let mut fd = libc::open(
        c"/proc/self/oom_score_adj".as_ptr(),
        libc::O_WRONLY | libc::O_CLOEXEC,
    );
    if fd < 0 && errno() == libc::ENOENT {
        text = &oom.legacy;
        fd = libc::open(
            c"/proc/self/oom_adj".as_ptr(),
            libc::O_WRONLY | libc::O_CLOEXEC,
        );
    }
    if fd < 0 {
        fail(err_fd, Stage::OomAdj, 0, errno());
    }
    if libc::write(fd, text.as_ptr().cast(), text.len()) < 0 {
        fail(err_fd, Stage::OomAdj, 0, errno());
    }
    if libc::close(fd) < 0 {
        fail(err_fd, Stage::OomAdj, 0, errno());
    }
}

/// execvp's search over the prepared candidates, with glibc's rules: ENOEXEC runs the file
/// with the shell; ENOENT-like errors try the next; EACCES is remembered; anything else stops.
unsafe fn exec(plan: &mut ChildPlan) -> c_int {
    let mut got_eacces = false;
    let mut last = libc::ENOENT;
    for candidate in plan.candidates {
        libc::execve(candidate.as_ptr(), plan.argv.as_ptr(), plan.envp.as_ptr());
        let mut err = errno();
        if err == libc::ENOEXEC {
            if let Some(slot) = plan.shell_argv.get_mut(1) {
                *slot = candidate.as_ptr();
            }
            libc::execve(SHELL.as_ptr(), plan.shell_argv.as_ptr(), plan.envp.as_ptr());
            err = errno();
        }
        last = err;
        match err {
            libc::EACCES => got_eacces = true,
            libc::ENOENT | libc::ESTALE | libc::ENOTDIR | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => return err,
        }
    }
    if got_eacces {
        libc::EACCES
    } else {
        last
    }
}

/// The child: set everything up in Upstart's order and exec. Never returns.
///
/// # Safety
/// Call only in the child of `fork`, with every pointer in `plan` valid (they point into the
/// parent's memory, which the child has a copy of).
pub(super) unsafe fn run(plan: &mut ChildPlan) -> ! {
    let mut err_fd = plan.err_fd;

    reset_signals();

    // A new session and process group: `kill signal` goes to the whole group.
    libc::setsid();

    if let Some(err) = plan.console_error {
        fail(err_fd, Stage::Console, 0, err);
    }
    if libc::dup2(plan.stdin_fd, 0) < 0
        || libc::dup2(plan.output_fd, 1) < 0
        || libc::dup2(plan.output_fd, 2) < 0
    {
        fail(err_fd, Stage::Console, 0, errno());
    }
    if plan.controlling_tty {
        // Upstream ignores a failure here too.
        libc::ioctl(0, libc::TIOCSCTTY, 1);
    }

    cloexec_from_3();
    if plan.script_fd >= 0 && libc::dup2(plan.script_fd, SCRIPT_FD) < 0 {
        fail(err_fd, Stage::Dup, 0, errno());
    }

    for (resource, limit) in plan.limits {
        if libc::setrlimit(*resource, limit) < 0 {
            fail(err_fd, Stage::Rlimit, *resource as c_int, errno());
        }
    }

    libc::umask(plan.umask);

    if let Some(nice) = plan.nice {
        if libc::setpriority(libc::PRIO_PROCESS, 0, nice) < 0 {
            fail(err_fd, Stage::Priority, 0, errno());
        }
    }

    if let Some(oom) = plan.oom {
        set_oom(err_fd, oom);
    }

    if let Some(root) = plan.chroot {
        if libc::chroot(root.as_ptr()) < 0 {
            fail(err_fd, Stage::Chroot, 0, errno());
        }
    }
    if libc::chdir(plan.chdir.as_ptr()) < 0 {
        fail(err_fd, Stage::Chdir, 0, errno());
    }

    let ids = match lookup_ids(plan) {
        Ok(ids) => ids,
        Err((stage, err)) => fail(err_fd, stage, 0, err),
    };
    if let Some((user, group)) = ids.initgroups {
        if libc::initgroups(user, group) < 0 {
            fail(err_fd, Stage::Initgroups, 0, errno());
        }
    }
    if let Some(gid) = ids.gid {
        if libc::setgid(gid) < 0 {
            fail(err_fd, Stage::Setgid, 0, errno());
        }
    }
    if let Some(uid) = ids.uid {
        if libc::setuid(uid) < 0 {
            fail(err_fd, Stage::Setuid, 0, errno());
        }
    }

    if plan.debug_stop {
        // As upstream: close the pipe first, or the parent would wait for the debugger.
        libc::close(err_fd);
        err_fd = -1;
        libc::kill(libc::getpid(), libc::SIGSTOP);
    }

    if plan.trace && libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) < 0 {
        fail(err_fd, Stage::Ptrace, 0, errno());
    }

    let err = exec(plan);
    fail(err_fd, Stage::Exec, 0, err)
}
