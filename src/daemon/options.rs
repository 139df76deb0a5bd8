//! init's command line: upstream's options, ours (`--inittab`), and sysvinit's runlevel words.
//!
//! The kernel hands init its whole command line, so nothing here may refuse to boot: unknown
//! options and bare words are ignored (Upstart's catch-all), a missing option value is
//! ignored with a warning.

use crate::job::Console;
use std::path::PathBuf;

pub const DEFAULT_CONFDIR: &str = "/etc/init";
pub const DEFAULT_LOGDIR: &str = "/var/log/upstart";
pub const DEFAULT_INITTAB: &str = "/etc/inittab";

/// How much init says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// Upstream's default `message` level: warnings and errors.
    Normal,
    /// `-v`: goal and state changes, events.
    Verbose,
    /// `--debug`: everything; also honours the `debug` stanza.
    Debug,
}

impl Verbosity {
    /// The log priority init starts with.
    pub fn priority(self) -> crate::priority::LogPriority {
        use crate::priority::LogPriority;
        match self {
            Verbosity::Quiet => LogPriority::Error,
            Verbosity::Normal => LogPriority::Message,
            Verbosity::Verbose => LogPriority::Info,
            Verbosity::Debug => LogPriority::Debug,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Conf directories in priority order (first definition of a job wins).
    pub confdirs: Vec<PathBuf>,
    pub logdir: PathBuf,
    /// `None`: read no inittab (a `--confdir` without `--inittab`, so tests never start the
    /// host's gettys).
    pub inittab: Option<PathBuf>,
    /// `None` with `--no-startup-event`.
    pub startup_event: Option<String>,
    pub default_console: Console,
    /// `--no-log`: `console log` acts as `console none`.
    pub no_log: bool,
    pub verbosity: Verbosity,
    /// `--restart`: a re-exec of a running init (no `startup` event).
    pub restart: bool,
    /// `--state-fd N`: where a re-exec'd init reads the state handed over.
    pub state_fd: Option<i32>,
    /// sysvinit's runlevel words (`single`, `S`, `0`–`6`): the runlevel to boot into.
    pub boot_runlevel: Option<char>,
    /// sysvinit's `-b`/`emergency`: straight to a single-user shell.
    pub emergency: bool,
    pub show_help: bool,
    pub show_version: bool,
    /// Problems worth a log line once logging is up (never fatal).
    pub warnings: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            confdirs: vec![PathBuf::from(DEFAULT_CONFDIR)],
            logdir: PathBuf::from(DEFAULT_LOGDIR),
            inittab: Some(PathBuf::from(DEFAULT_INITTAB)),
            startup_event: Some("startup".into()),
            default_console: Console::Log,
            no_log: false,
            verbosity: Verbosity::Normal,
            restart: false,
            state_fd: None,
            boot_runlevel: None,
            emergency: false,
            show_help: false,
            show_version: false,
            warnings: Vec::new(),
        }
    }
}

impl Options {
    /// Parses init's arguments (without argv[0]). `env` is init's environment, for
    /// `UPSTART_CONFDIR`/`UPSTART_LOGDIR`.
    pub fn parse<I, S>(args: I, env: &[(String, String)]) -> Options
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut options = Options::default();
        let lookup = |key: &str| {
            env.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let mut explicit_confdirs: Vec<PathBuf> = Vec::new();
        let mut prepend: Vec<PathBuf> = Vec::new();
        let mut append: Vec<PathBuf> = Vec::new();
        let mut inittab_given = false;
        if let Some(dir) = lookup("UPSTART_CONFDIR") {
            explicit_confdirs.push(PathBuf::from(dir));
        }
        if let Some(dir) = lookup("UPSTART_LOGDIR") {
            options.logdir = PathBuf::from(dir);
        }

        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        let mut index = 0;
        while index < args.len() {
            let arg = args[index].as_str();
            index += 1;
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
                _ => (arg, None),
            };
            let takes_value = matches!(
                name,
                "--confdir"
                    | "--prepend-confdir"
                    | "--append-confdir"
                    | "--logdir"
                    | "--startup-event"
                    | "--default-console"
                    | "--inittab"
                    | "--state-fd"
            );
            let value = if takes_value {
                match inline {
                    Some(value) => Some(value),
                    None if index < args.len() => {
                        index += 1;
                        Some(args[index - 1].clone())
                    }
                    None => {
                        options.warnings.push(format!("{name}: missing argument"));
                        continue;
                    }
                }
            } else {
                None
            };
            match (name, value) {
                ("--confdir", Some(dir)) => explicit_confdirs.push(dir.into()),
                ("--prepend-confdir", Some(dir)) => prepend.push(dir.into()),
                ("--append-confdir", Some(dir)) => append.push(dir.into()),
                ("--logdir", Some(dir)) => options.logdir = dir.into(),
                ("--startup-event", Some(name)) => options.startup_event = Some(name),
                ("--inittab", Some(path)) => {
                    inittab_given = true;
                    options.inittab = Some(path.into());
                }
                ("--state-fd", Some(fd)) => match fd.parse() {
                    Ok(fd) => options.state_fd = Some(fd),
                    Err(_) => options
                        .warnings
                        .push(format!("--state-fd: not a number: {fd}")),
                },
                ("--default-console", Some(mode)) => match parse_console(&mode) {
                    Some(console) => options.default_console = console,
                    None => options
                        .warnings
                        .push(format!("--default-console: unknown mode: {mode}")),
                },
                ("--no-startup-event", _) => options.startup_event = None,
                ("--no-log", _) => options.no_log = true,
                ("--restart", _) => options.restart = true,
                ("-q" | "--quiet", _) => options.verbosity = Verbosity::Quiet,
                ("-v" | "--verbose", _) => options.verbosity = Verbosity::Verbose,
                ("--debug", _) => options.verbosity = Verbosity::Debug,
                ("--help", _) => options.show_help = true,
                ("--version", _) => options.show_version = true,
                ("single" | "-s" | "S" | "s", _) => options.boot_runlevel = Some('S'),
                ("-b" | "emergency", _) => options.emergency = true,
                (word, _)
                    if word.len() == 1
                        && ('0'..='6').contains(&word.chars().next().unwrap_or('x')) =>
                {
                    options.boot_runlevel = word.chars().next();
                }
                // Everything else is the kernel's or a typo: never fatal.
                _ => {}
            }
        }

        if !explicit_confdirs.is_empty() {
            options.confdirs = explicit_confdirs;
            if !inittab_given {
                options.inittab = None;
            }
        }
        let mut confdirs = prepend;
        confdirs.append(&mut options.confdirs);
        confdirs.append(&mut append);
        options.confdirs = confdirs;
        options
    }
}

fn parse_console(mode: &str) -> Option<Console> {
    match mode {
        "none" => Some(Console::None),
        "log" => Some(Console::Log),
        "output" => Some(Console::Output),
        "owner" => Some(Console::Owner),
        _ => None,
    }
}

pub const HELP: &str = "Usage: init [OPTION]...
Process management daemon (kindling).

Options:
      --append-confdir=DIR      add a job configuration directory after the others
      --confdir=DIR             job configuration directory (repeatable; default /etc/init)
      --default-console=VALUE   default console for jobs: none, log, output, owner
      --inittab=FILE            read FILE as /etc/inittab (default /etc/inittab; none
                                when --confdir is given without it)
      --logdir=DIR              directory for job output logs (default /var/log/upstart)
      --no-log                  disable job output logging (console log acts as none)
      --no-startup-event        do not emit the startup event
      --prepend-confdir=DIR     add a job configuration directory before the others
      --startup-event=NAME      emit NAME instead of startup
  -q, --quiet                   reduce output to errors only
  -v, --verbose                 increase output to include informational messages
      --debug                   enable debugging output and the debug stanza
      --help                    display this help and exit
      --version                 output version information and exit

When not run as process 1, init behaves as telinit.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Options {
        Options::parse(args.iter().copied(), &[])
    }

    #[test]
    fn defaults_are_the_system_paths() {
        let options = parse(&[]);
        assert_eq!(options.confdirs, vec![PathBuf::from("/etc/init")]);
        assert_eq!(options.logdir, PathBuf::from("/var/log/upstart"));
        assert_eq!(options.inittab, Some(PathBuf::from("/etc/inittab")));
        assert_eq!(options.startup_event.as_deref(), Some("startup"));
    }

    #[test]
    fn confdir_without_inittab_reads_no_inittab() {
        let options = parse(&[
            "--confdir",
            "/tmp/a",
            "--confdir=/tmp/b",
            "--append-confdir",
            "/z",
            "--prepend-confdir",
            "/p",
        ]);
        let dirs: Vec<&str> = options
            .confdirs
            .iter()
            .map(|d| d.to_str().unwrap_or(""))
            .collect();
        assert_eq!(dirs, ["/p", "/tmp/a", "/tmp/b", "/z"]);
        assert_eq!(options.inittab, None);
        let options = parse(&["--confdir", "/tmp/a", "--inittab", "/tmp/inittab"]);
        assert_eq!(options.inittab, Some(PathBuf::from("/tmp/inittab")));
    }

    #[test]
    fn kernel_junk_is_ignored_and_runlevel_words_kept() {
        let options = parse(&[
            "ro",
            "quiet",
            "splash",
            "--bogus",
            "BOOT_IMAGE=/vmlinuz",
            "single",
            "--logdir",
        ]);
        assert_eq!(options.boot_runlevel, Some('S'));
        assert_eq!(
            options.warnings,
            vec!["--logdir: missing argument".to_string()]
        );
        assert_eq!(parse(&["3"]).boot_runlevel, Some('3'));
        assert_eq!(parse(&["7"]).boot_runlevel, None);
        assert!(parse(&["emergency"]).emergency);
    }

    #[test]
    fn startup_event_and_console_options() {
        assert_eq!(parse(&["--no-startup-event"]).startup_event, None);
        assert_eq!(
            parse(&["--startup-event", "go"]).startup_event.as_deref(),
            Some("go")
        );
        assert_eq!(
            parse(&["--default-console", "none"]).default_console,
            Console::None
        );
        assert!(parse(&["--no-log"]).no_log);
        assert_eq!(
            parse(&["--default-console", "bad"]).default_console,
            Console::Log
        );
    }
}
