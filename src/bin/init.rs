//! `/sbin/init`: kindling as process 1.
//!
//! Thin: parse the command line, do PID 1's start-up duties, run the daemon. As any other
//! process it refuses politely (sysvinit and Upstart hand such calls to telinit).

use kindling::control::{self, Request, Response, SocketAddress};
use kindling::daemon::{self, logging, options::Options, pid1};
use std::time::Duration;

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
        println!("{}", kindling::VERSION);
        if !pid1 {
            return;
        }
    }
    if options.show_help {
        print!("{}", daemon::options::HELP);
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
                    eprintln!("init: {message}");
                    return 1;
                }
            }
            0
        }
        Some("q" | "Q") => match ask(Request::ReloadConfiguration) {
            Ok(Response::Error(message)) => {
                eprintln!("init: {message}");
                1
            }
            Ok(_) => 0,
            Err(error) => {
                eprintln!("init: {error}");
                1
            }
        },
        _ => {
            eprintln!("init: Not being executed as init");
            eprintln!("init: use telinit to change the runlevel (it comes with the SysV tools)");
            1
        }
    }
}
