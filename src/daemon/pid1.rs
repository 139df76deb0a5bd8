//! What only process 1 does before the first job: a session of its own, the kernel
//! filesystems and device nodes a job expects, console stdio, and Ctrl-Alt-Del as a signal.
//!
//! Every step is best effort: a failure is returned as a message for the log, never fatal
//! (a missing `/dev/console` must not stop the boot).

use nix::mount::{mount, MsFlags};
use nix::sys::stat::{makedev, mknod, Mode, SFlag};
use std::path::Path;

/// The `PATH` init gives itself and every job (Upstart's `init/paths.h`).
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin";

/// Runs the start-up duties of PID 1 (Upstart `main.c`, non-user mode, in order).
pub fn setup() -> Vec<String> {
    let mut problems = Vec::new();
    let _ = nix::unistd::setsid();
    nix::sys::stat::umask(Mode::empty());

    if !Path::new("/dev/ptmx").exists() || !Path::new("/dev/pts").exists() {
        note(
            &mut problems,
            "mount devtmpfs on /dev",
            mount(
                Some("devtmpfs"),
                "/dev",
                Some("devtmpfs"),
                MsFlags::MS_NOSUID,
                Some("mode=0755"),
            ),
        );
    }
    if !Path::new("/dev/pts").exists() {
        note(
            &mut problems,
            "mkdir /dev/pts",
            nix::unistd::mkdir("/dev/pts", Mode::from_bits_truncate(0o755)),
        );
    }
    if !is_mounted("/dev/pts") {
        note(
            &mut problems,
            "mount devpts on /dev/pts",
            mount(
                Some("devpts"),
                "/dev/pts",
                Some("devpts"),
                MsFlags::MS_NOEXEC | MsFlags::MS_NOSUID,
                Some("gid=5,mode=0620,ptmxmode=0666"),
            ),
        );
    }
    for (path, kind, major, minor, mode) in [
        ("/dev/null", SFlag::S_IFCHR, 1, 3, 0o666),
        ("/dev/tty", SFlag::S_IFCHR, 5, 0, 0o666),
        ("/dev/console", SFlag::S_IFCHR, 5, 1, 0o600),
        ("/dev/kmsg", SFlag::S_IFCHR, 1, 11, 0o600),
        ("/dev/ptmx", SFlag::S_IFCHR, 5, 2, 0o666),
    ] {
        if !Path::new(path).exists() {
            note(
                &mut problems,
                &format!("mknod {path}"),
                mknod(
                    path,
                    kind,
                    Mode::from_bits_truncate(mode),
                    makedev(major, minor),
                ),
            );
        }
    }
    open_console_stdio(&mut problems);
    std::env::set_var("PATH", PATH);
    let _ = std::env::set_current_dir("/");
    if !is_mounted("/proc") {
        note(
            &mut problems,
            "mount /proc",
            mount(
                Some("proc"),
                "/proc",
                Some("proc"),
                MsFlags::MS_NODEV | MsFlags::MS_NOEXEC | MsFlags::MS_NOSUID,
                None::<&str>,
            ),
        );
    }
    if !is_mounted("/sys") {
        note(
            &mut problems,
            "mount /sys",
            mount(
                Some("sysfs"),
                "/sys",
                Some("sysfs"),
                MsFlags::MS_NODEV | MsFlags::MS_NOEXEC | MsFlags::MS_NOSUID,
                None::<&str>,
            ),
        );
    }
    // Ctrl-Alt-Del becomes SIGINT to us instead of an immediate reboot. In a container
    // (a child PID namespace) the kernel answers EINVAL: not fatal.
    if let Err(error) = nix::sys::reboot::set_cad_enabled(false) {
        if error != nix::errno::Errno::EINVAL {
            problems.push(format!("reboot(RB_DISABLE_CAD): {error}"));
        }
    }
    // Alt-Up on the console becomes SIGWINCH (→ keyboard-request). Not a tty: ignored.
    unsafe {
        // SAFETY: an ioctl on fd 0 with an integer argument; no memory is passed.
        libc::ioctl(
            0,
            0x4B4C, /* KDSIGACCEPT */
            libc::SIGWINCH as libc::c_ulong,
        );
    }
    problems
}

fn note<T>(problems: &mut Vec<String>, what: &str, result: nix::Result<T>) {
    if let Err(error) = result {
        problems.push(format!("{what}: {error}"));
    }
}

/// Is something mounted exactly at `path`? (`/proc/self/mountinfo` may not exist yet, in
/// which case the device numbers of the path and its parent decide.)
fn is_mounted(path: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(here), Ok(parent)) = (
        std::fs::metadata(path),
        std::fs::metadata(Path::new(path).join("..")),
    ) else {
        return false;
    };
    here.dev() != parent.dev() || here.ino() == parent.ino()
}

/// fds 0–2 on `/dev/console`, as the kernel normally hands them over; when the console
/// cannot be opened, whatever init was given stays.
///
/// `O_NONBLOCK`, and it stays set: a serial console waiting for carrier would otherwise hold
/// PID 1 in `open(2)`, and one stopped by flow control in any stray `write(2)` to fds 1–2
/// (a panic message). Jobs never inherit these descriptors: each opens its own console.
fn open_console_stdio(problems: &mut Vec<String>) {
    use nix::fcntl::{open, OFlag};
    match open(
        "/dev/console",
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK,
        Mode::empty(),
    ) {
        Ok(console) => {
            use std::os::fd::AsRawFd;
            for target in 0..3 {
                // SAFETY: dup2 onto the standard descriptors, which we own as PID 1.
                unsafe {
                    libc::dup2(console.as_raw_fd(), target);
                }
            }
        }
        Err(error) => problems.push(format!("open /dev/console: {error}")),
    }
}

/// Drops the resident pages of our executable code so that only what init actually runs
/// stays in memory. At exec the kernel maps code in 64 KiB "fault-around" batches, so most
/// of the binary and libc count as PID 1's memory although they never run after boot.
/// `MADV_RANDOM` turns fault-around off for these mappings and `MADV_DONTNEED` unmaps the
/// pages (they stay in the page cache; a page that is needed again is mapped back on its
/// own). Only read+execute mappings are touched: they are never written, so dropping them
/// loses nothing. Best effort; any failure is ignored.
pub fn trim_code_residency() {
    // Reading and parsing the configuration leaves freed heap behind; hand it back too.
    // SAFETY: malloc_trim only releases free memory of glibc's own heap.
    unsafe {
        libc::malloc_trim(0);
    }
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        if perms != "r-xp" {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            continue;
        };
        let Some(len) = end.checked_sub(start) else {
            continue;
        };
        // SAFETY: advice on a mapping of our own that /proc/self/maps just listed as
        // read+execute: nothing in it is ever written, so its pages can always be re-read
        // from the file.
        unsafe {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_RANDOM);
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED);
        }
    }
}
