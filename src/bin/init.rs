//! `/sbin/init`: kindling as process 1.
//!
//! Thin: parse the command line, do PID 1's start-up duties, run the daemon. As any other
//! process it refuses politely (sysvinit and Upstart hand such calls to telinit).
//!
//! Nothing here prints with `println!`/`eprintln!`: they panic when the write fails (stdout
//! a closed pipe, a full non-blocking pipe), and a panic in PID 1 is a kernel panic. [`say`]
//! writes and ignores failure.

use kindling::control::{self, Request, Response, SocketAddress};
use kindling::daemon::{self, logging, options::Options, pid1};
use std::io::Write;
use std::time::Duration;

/// Writes `text` to `out` and flushes, ignoring failure: output nobody can take is dropped.
fn say(mut out: impl Write, text: &str) {
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn main() {
    let env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let options = Options::parse(args.iter().skip(1).cloned(), &env);
    let pid1 = std::process::id() == 1;
    if options.show_version {
        say(std::io::stdout(), &format!("{}\n", kindling::VERSION));
        if !pid1 {
            return;
        }
    }
    if options.show_help {
        say(std::io::stdout(), daemon::options::HELP);
        if !pid1 {
            return;
        }
    }
    if !pid1 {
        std::process::exit(as_telinit(&args));
    }
    let problems = pid1::setup();
    logging::init(options.verbosity, true);
    for problem in problems.iter().chain(&options.warnings) {
        tracing::warn!("{problem}");
    }
    if let Err(error) = daemon::run(options, args) {
        tracing::error!("Unable to start the event loop: {error}");
    }
    // PID 1 must never return: if the loop itself could not run, stay alive and reap.
    loop {
        let _ = nix::sys::wait::waitpid(None, None);
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// `init` run by hand, as sysvinit and Upstart allow: `init u` re-executes PID 1, `init q`
/// reloads its configuration. Runlevel changes belong to telinit, which comes with the SysV
/// tools. Returns the exit status.
fn as_telinit(args: &[String]) -> i32 {
    let word = args.iter().skip(1).find(|a| !a.starts_with('-'));
    let address = SocketAddress::from_env();
    let ask = |request: Request| {
        control::client::request_with_timeout(&address, &request, Some(Duration::from_secs(5)))
    };
    match word.map(String::as_str) {
        Some("u" | "U") => {
            // Only a kindling init is asked (over its own socket, never by signalling pid 1):
            // libc6's postinst runs `telinit u` on every glibc upgrade, whatever the init.
            let is_kindling = matches!(ask(Request::Version),
                Ok(Response::Value(version)) if version.contains("(kindling "));
            if is_kindling {
                if let Ok(Response::Error(message)) = ask(Request::ReExec) {
                    say(std::io::stderr(), &format!("init: {message}\n"));
                    return 1;
                }
            }
            0
        }
        Some("q" | "Q") => match ask(Request::ReloadConfiguration) {
            Ok(Response::Error(message)) => {
                say(std::io::stderr(), &format!("init: {message}\n"));
                1
            }
            Ok(_) => 0,
            Err(error) => {
                say(std::io::stderr(), &format!("init: {error}\n"));
                1
            }
        },
        _ => {
            say(
                std::io::stderr(),
                "init: Not being executed as init\n\
                 init: use telinit to change the runlevel (it comes with the SysV tools)\n",
            );
            1
        }
    }
}
