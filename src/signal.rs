//! Signal names and numbers as job files and job events spell them.
//!
//! `kill signal TERM`, `normal exit SIGHUP`, `EXIT_SIGNAL=SEGV`: Upstart accepts the full
//! name, the name without `SIG`, or a number, and prints the name without `SIG`.

/// Every signal Upstart's `nih_signal_from_name()` knows, with Linux's numbers.
const SIGNALS: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("IOT", libc::SIGIOT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("STKFLT", libc::SIGSTKFLT),
    ("CHLD", libc::SIGCHLD),
    ("CLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("POLL", libc::SIGPOLL),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// `TERM`, `SIGTERM` → 15. Numbers are not accepted here; see [`parse`].
pub fn from_name(name: &str) -> Option<i32> {
    let bare = name.strip_prefix("SIG").unwrap_or(name);
    SIGNALS
        .iter()
        .find(|(known, _)| *known == bare)
        .map(|&(_, number)| number)
}

/// A signal as a job file may write it: a name (with or without `SIG`) or a number 1..=64.
pub fn parse(word: &str) -> Option<i32> {
    if let Some(number) = from_name(word) {
        return Some(number);
    }
    match word.parse::<i32>() {
        Ok(number) if (1..=64).contains(&number) => Some(number),
        _ => None,
    }
}

/// 15 → `TERM`; an unknown number is printed as the number (as `EXIT_SIGNAL` does).
pub fn name(number: i32) -> String {
    SIGNALS
        .iter()
        .find(|&&(known, n)| n == number && known != "IOT" && known != "CLD" && known != "POLL")
        .map(|(known, _)| known.to_string())
        .unwrap_or_else(|| number.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(parse("TERM"), Some(15));
        assert_eq!(parse("SIGTERM"), Some(15));
        assert_eq!(parse("9"), Some(9));
        assert_eq!(parse("SIGFOO"), None);
        assert_eq!(parse("0"), None);
        assert_eq!(name(11), "SEGV");
        assert_eq!(name(libc::SIGIO), "IO");
        assert_eq!(name(libc::SIGCHLD), "CHLD");
        assert_eq!(name(40), "40");
    }
}
