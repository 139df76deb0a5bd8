//! `initctl`, and `start`, `stop`, `restart`, `reload`, `status` by the name it is run as.
//!
//! Thin: parse the arguments (clap, multicall by `argv[0]`'s basename), build one control
//! request, send it with [`kindling::control::client`], print the answer. Output, error
//! messages and exit statuses are Upstart 1.13.2's (`PROG: message` on stderr, exit 1).

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand};
use kindling::control::{client, JobTarget, Request, Response, SocketAddress};
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

const VERSION: &str = kindling::VERSION_TAG;

/// The names this program answers to; anything else behaves as `initctl`.
const NAMES: [&str; 6] = ["initctl", "start", "stop", "restart", "reload", "status"];

#[derive(Parser, Debug)]
#[command(multicall = true)]
struct Cli {
    #[command(subcommand)]
    applet: Applet,
}

#[derive(Subcommand, Debug)]
enum Applet {
    /// Control the init daemon.
    #[command(version = VERSION, after_help = "For a list of commands, try `initctl help'.")]
    Initctl(InitctlArgs),
    /// Start job.
    #[command(version = VERSION)]
    Start(LinkWaitArgs),
    /// Stop job.
    #[command(version = VERSION)]
    Stop(LinkWaitArgs),
    /// Restart job.
    #[command(version = VERSION)]
    Restart(LinkWaitArgs),
    /// Send the reload signal to job.
    #[command(version = VERSION)]
    Reload(LinkJobArgs),
    /// Query status of job.
    #[command(version = VERSION)]
    Status(LinkJobArgs),
}

/// Options every command accepts.
#[derive(Args, Debug, Clone, Default)]
struct Global {
    /// reduce output to errors only
    #[arg(short, long, global = true)]
    quiet: bool,
    /// increase output to include informational messages
    #[arg(short, long, global = true)]
    verbose: bool,
    /// talk to the system init (the only one kindling has)
    #[arg(long, global = true)]
    system: bool,
    /// not supported: kindling has no Session Init
    #[arg(long, global = true)]
    user: bool,
    /// not supported: kindling has no Session Init
    #[arg(long, global = true)]
    session: bool,
}

#[derive(Args, Debug)]
struct InitctlArgs {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Debug)]
struct LinkWaitArgs {
    #[command(flatten)]
    global: Global,
    #[command(flatten)]
    job: WaitJobArgs,
}

#[derive(Args, Debug)]
struct LinkJobArgs {
    #[command(flatten)]
    global: Global,
    #[command(flatten)]
    job: JobArgs,
}

#[derive(Args, Debug)]
struct WaitJobArgs {
    /// do not wait for the job to finish the change before exiting
    #[arg(short = 'n', long = "no-wait")]
    no_wait: bool,
    /// the job's name (inside a job, without one: $UPSTART_JOB)
    #[arg(value_name = "JOB")]
    job: Option<String>,
    /// environment for the job; also selects the instance
    #[arg(value_name = "KEY=VALUE")]
    env: Vec<String>,
}

#[derive(Args, Debug)]
struct JobArgs {
    /// the job's name (inside a job, without one: $UPSTART_JOB)
    #[arg(value_name = "JOB")]
    job: Option<String>,
    /// environment selecting the instance
    #[arg(value_name = "KEY=VALUE")]
    env: Vec<String>,
}

#[derive(Args, Debug)]
struct EnvScope {
    /// apply to global job environment table
    #[arg(short = 'g', long = "global")]
    global_table: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start job.
    Start(WaitJobArgs),
    /// Stop job.
    Stop(WaitJobArgs),
    /// Restart job.
    Restart(WaitJobArgs),
    /// Send the reload signal to job.
    Reload(JobArgs),
    /// Query status of job.
    Status(JobArgs),
    /// List known jobs.
    List,
    /// Emit an event.
    Emit {
        /// do not wait for event to finish before exiting
        #[arg(short = 'n', long = "no-wait")]
        no_wait: bool,
        /// the event's name
        #[arg(value_name = "EVENT")]
        event: Option<String>,
        /// the event's environment
        #[arg(value_name = "KEY=VALUE")]
        env: Vec<String>,
    },
    /// Reload the configuration of the init daemon.
    ReloadConfiguration,
    /// Request the version of the init daemon.
    Version,
    /// Change the minimum priority of log messages from the init daemon.
    LogPriority {
        /// debug, info, message, warn, error or fatal; without it, show the current one
        priority: Option<String>,
    },
    /// Show emits, start on and stop on details for job configurations.
    ShowConfig {
        /// enumerate list of events and jobs causing job created from job config to start/stop
        #[arg(short = 'e', long = "enumerate")]
        enumerate: bool,
        /// only this job configuration
        #[arg(value_name = "CONF")]
        conf: Option<String>,
    },
    /// Check for unreachable jobs/event conditions.
    CheckConfig {
        /// ignore specified list of events (comma-separated)
        #[arg(short = 'i', long = "ignore-events", value_name = "EVENT_LIST")]
        ignore_events: Vec<String>,
        /// Generate warning for any unreachable events/jobs
        #[arg(short = 'w', long = "warn")]
        warn: bool,
        /// only this job configuration
        #[arg(value_name = "CONF")]
        conf: Option<String>,
    },
    /// Show job usage message if available.
    Usage {
        /// the job's name
        #[arg(value_name = "JOB")]
        job: Option<String>,
    },
    /// Retrieve value of a job environment variable.
    GetEnv {
        #[command(flatten)]
        scope: EnvScope,
        /// the variable's name
        #[arg(value_name = "VARIABLE")]
        name: Option<String>,
    },
    /// Show all job environment variables.
    ListEnv {
        #[command(flatten)]
        scope: EnvScope,
    },
    /// Set one or more job environment variables.
    SetEnv {
        #[command(flatten)]
        scope: EnvScope,
        /// do not replace the value of the variable if already set
        #[arg(short = 'r', long = "retain")]
        retain: bool,
        /// variables to set
        #[arg(value_name = "VARIABLE[=VALUE]")]
        vars: Vec<String>,
    },
    /// Remove one or more job environment variables.
    UnsetEnv {
        #[command(flatten)]
        scope: EnvScope,
        /// variables to remove
        #[arg(value_name = "VARIABLE")]
        names: Vec<String>,
    },
    /// Revert all job environment variable changes.
    ResetEnv {
        #[command(flatten)]
        scope: EnvScope,
    },
    /// Inform init that the disk is now writeable.
    NotifyDiskWriteable,
}

/// How an answer is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Show {
    /// Lines and values as they are.
    Plain,
    /// `Usage: TEXT`.
    Usage,
    /// `KEY=VALUE` lines sorted.
    Sorted,
    /// Lines as they are; exit 1 when there are any.
    Problems,
}

/// A command line turned into what to send, or an exit status already decided.
enum Plan {
    Send(Request, Show),
    Exit(u8),
}

/// The program's name as the user typed it, for messages.
struct Prog {
    name: String,
    quiet: bool,
}

impl Prog {
    fn error(&self, message: &str) -> u8 {
        let _ = writeln!(std::io::stderr(), "{}: {message}", self.name);
        1
    }

    /// `PROG: message` and the hint, as libnih's `nih_main_suggest_help()`.
    fn usage_error(&self, message: &str) -> u8 {
        let _ = writeln!(
            std::io::stderr(),
            "{}: {message}\nTry `{} --help' for more information.",
            self.name,
            self.name
        );
        1
    }
}

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let name = program_name(args.first());
    if let Some(first) = args.first_mut() {
        *first = OsString::from(&name);
    }
    let mut prog = Prog { name, quiet: false };
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => return ExitCode::from(clap_error(&prog, error)),
    };
    let status = match plan(&mut prog, cli) {
        Plan::Exit(status) => status,
        Plan::Send(request, show) => send(&prog, &request, show),
    };
    ExitCode::from(status)
}

/// `argv[0]`'s basename if it is one of [`NAMES`], else `initctl`.
fn program_name(arg0: Option<&OsString>) -> String {
    let base = arg0
        .map(std::path::Path::new)
        .and_then(std::path::Path::file_name)
        .and_then(|name| name.to_str())
        .unwrap_or("initctl");
    if NAMES.contains(&base) {
        base.to_string()
    } else {
        "initctl".to_string()
    }
}

/// Maps clap's errors to libnih's messages and exit status 1; help and version exit 0.
fn clap_error(prog: &Prog, error: clap::Error) -> u8 {
    let context = |kind| match error.get(kind) {
        Some(ContextValue::String(value)) => value.clone(),
        Some(ContextValue::Strings(values)) => values.join(" "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            0
        }
        ErrorKind::InvalidSubcommand => prog.usage_error(&format!(
            "invalid command: {}",
            context(ContextKind::InvalidSubcommand)
        )),
        ErrorKind::UnknownArgument => {
            let arg = context(ContextKind::InvalidArg);
            if arg.starts_with('-') {
                prog.usage_error(&format!("invalid option: {arg}"))
            } else {
                prog.usage_error(&format!("unexpected argument: {arg}"))
            }
        }
        ErrorKind::InvalidUtf8 => prog.usage_error("arguments must be valid UTF-8"),
        _ => {
            let text = error.render().to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_string();
            prog.usage_error(&first)
        }
    }
}

/// `$UPSTART_JOB` and `$UPSTART_INSTANCE` when both are set: initctl runs inside a job.
fn job_from_env() -> Option<(String, String)> {
    let job = std::env::var("UPSTART_JOB").ok()?;
    let instance = std::env::var("UPSTART_INSTANCE").ok()?;
    Some((job, instance))
}

/// The job a job command names: on the command line, or (inside a job, without one) the job
/// the caller belongs to, which is then never waited for (Upstart's `start_action()` etc.).
fn job_target(
    prog: &Prog,
    job: Option<String>,
    env: Vec<String>,
    wait: bool,
) -> Result<(String, Option<String>, Vec<String>, bool), u8> {
    match job {
        Some(job) => Ok((job, None, env, wait)),
        None => match job_from_env() {
            Some((job, instance)) => Ok((job, Some(instance), Vec::new(), false)),
            None => Err(prog.usage_error("missing job name")),
        },
    }
}

/// The environment table env commands act on: the global one with `-g` or outside a job,
/// else the caller's job instance (Upstart's `get_job_details()`).
fn env_target(prog: &Prog, scope: &EnvScope) -> Result<Option<JobTarget>, u8> {
    if scope.global_table || std::env::var_os("UPSTART_JOB").is_none() {
        return Ok(None);
    }
    match job_from_env() {
        Some((job, instance)) => Ok(Some(JobTarget { job, instance })),
        None => Err(prog.usage_error("missing job name")),
    }
}

/// Applies the options every command shares; `--user`/`--session` end it here.
fn global_options(prog: &mut Prog, global: &Global) -> Result<(), u8> {
    prog.quiet = global.quiet;
    for (given, option) in [(global.user, "--user"), (global.session, "--session")] {
        if given {
            return Err(prog.error(&format!(
                "{option} is not supported: kindling is the system init and runs no Session Init"
            )));
        }
    }
    Ok(())
}

fn plan(prog: &mut Prog, cli: Cli) -> Plan {
    let result =
        match cli.applet {
            Applet::Initctl(args) => {
                global_options(prog, &args.global).and_then(|()| match args.command {
                    Some(command) => command_plan(prog, command),
                    None => Err(prog.usage_error("missing command")),
                })
            }
            Applet::Start(args) => global_options(prog, &args.global)
                .and_then(|()| wait_job_plan(prog, Kind::Start, args.job)),
            Applet::Stop(args) => global_options(prog, &args.global)
                .and_then(|()| wait_job_plan(prog, Kind::Stop, args.job)),
            Applet::Restart(args) => global_options(prog, &args.global)
                .and_then(|()| wait_job_plan(prog, Kind::Restart, args.job)),
            Applet::Reload(args) => global_options(prog, &args.global)
                .and_then(|()| job_plan(prog, Kind::Reload, args.job)),
            Applet::Status(args) => global_options(prog, &args.global)
                .and_then(|()| job_plan(prog, Kind::Status, args.job)),
        };
    match result {
        Ok((request, show)) => Plan::Send(request, show),
        Err(status) => Plan::Exit(status),
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Start,
    Stop,
    Restart,
    Reload,
    Status,
}

fn wait_job_plan(prog: &Prog, kind: Kind, args: WaitJobArgs) -> Result<(Request, Show), u8> {
    let (job, instance, env, wait) = job_target(prog, args.job, args.env, !args.no_wait)?;
    let request = match kind {
        Kind::Start => Request::Start {
            job,
            instance,
            env,
            wait,
        },
        Kind::Stop => Request::Stop {
            job,
            instance,
            env,
            wait,
        },
        _ => Request::Restart {
            job,
            instance,
            env,
            wait,
        },
    };
    Ok((request, Show::Plain))
}

fn job_plan(prog: &Prog, kind: Kind, args: JobArgs) -> Result<(Request, Show), u8> {
    let (job, instance, env, _) = job_target(prog, args.job, args.env, false)?;
    let request = match kind {
        Kind::Reload => Request::Reload { job, instance, env },
        _ => Request::Status { job, instance, env },
    };
    Ok((request, Show::Plain))
}

fn command_plan(prog: &Prog, command: Command) -> Result<(Request, Show), u8> {
    let plain = |request| Ok((request, Show::Plain));
    match command {
        Command::Start(args) => wait_job_plan(prog, Kind::Start, args),
        Command::Stop(args) => wait_job_plan(prog, Kind::Stop, args),
        Command::Restart(args) => wait_job_plan(prog, Kind::Restart, args),
        Command::Reload(args) => job_plan(prog, Kind::Reload, args),
        Command::Status(args) => job_plan(prog, Kind::Status, args),
        Command::List => plain(Request::List),
        Command::Emit {
            no_wait,
            event,
            env,
        } => match event {
            Some(name) => plain(Request::Emit {
                name,
                env,
                wait: !no_wait,
            }),
            None => Err(prog.usage_error("missing event name")),
        },
        Command::ReloadConfiguration => plain(Request::ReloadConfiguration),
        Command::Version => plain(Request::Version),
        Command::LogPriority { priority } => plain(Request::LogPriority(priority)),
        Command::ShowConfig { enumerate, conf } => plain(Request::ShowConfig {
            job: conf,
            enumerate,
        }),
        Command::CheckConfig {
            ignore_events,
            warn,
            conf,
        } => Ok((
            Request::CheckConfig {
                job: conf,
                ignore_events: ignore_events
                    .iter()
                    .flat_map(|list| list.split(','))
                    .filter(|event| !event.is_empty())
                    .map(str::to_string)
                    .collect(),
                warn,
            },
            Show::Problems,
        )),
        Command::Usage { job } => {
            let job = match job {
                Some(job) => job,
                None => match job_from_env() {
                    Some((job, _)) => job,
                    None => return Err(prog.usage_error("missing job name")),
                },
            };
            Ok((Request::Usage { job }, Show::Usage))
        }
        Command::GetEnv { scope, name } => {
            let Some(name) = name else {
                return Err(prog.usage_error("missing variable name"));
            };
            let target = env_target(prog, &scope)?;
            plain(Request::GetEnv { target, name })
        }
        Command::ListEnv { scope } => {
            let target = env_target(prog, &scope)?;
            Ok((Request::ListEnv { target }, Show::Sorted))
        }
        Command::SetEnv {
            scope,
            retain,
            vars,
        } => {
            if vars.is_empty() {
                return Err(prog.usage_error("missing variable value"));
            }
            let target = env_target(prog, &scope)?;
            plain(Request::SetEnv {
                target,
                vars,
                retain,
            })
        }
        Command::UnsetEnv { scope, names } => {
            if names.is_empty() {
                return Err(prog.usage_error("missing variable name"));
            }
            let target = env_target(prog, &scope)?;
            plain(Request::UnsetEnv { target, names })
        }
        Command::ResetEnv { scope } => {
            let target = env_target(prog, &scope)?;
            plain(Request::ResetEnv { target })
        }
        Command::NotifyDiskWriteable => plain(Request::NotifyDiskWriteable),
    }
}

/// Sends the request and prints the answer; returns the exit status.
fn send(prog: &Prog, request: &Request, show: Show) -> u8 {
    let response = match client::request(&SocketAddress::from_env(), request) {
        Ok(response) => response,
        Err(error) => return prog.error(&error.to_string()),
    };
    let mut lines = match response {
        Response::Error(message) => return prog.error(&message),
        Response::Ok => Vec::new(),
        Response::Lines(lines) => lines,
        Response::Value(value) => vec![value],
    };
    let problems = !lines.is_empty();
    match show {
        Show::Usage => {
            lines = lines
                .into_iter()
                .map(|text| format!("Usage: {text}"))
                .collect();
        }
        Show::Sorted => lines.sort(),
        Show::Plain | Show::Problems => {}
    }
    if !prog.quiet {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for line in &lines {
            if writeln!(out, "{line}").is_err() {
                break;
            }
        }
        let _ = out.flush();
    }
    if show == Show::Problems && problems {
        1
    } else {
        0
    }
}
