//! `/sbin/init`: kindling as process 1.
//!
//! Thin: parse the command line, do PID 1's start-up duties, run the daemon. As any other
//! process it refuses politely (sysvinit and Upstart hand such calls to telinit).

use kindling::daemon::{self, logging, options::Options, pid1};

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
        println!("{}", daemon::VERSION);
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
        eprintln!("init: Not being executed as init");
        std::process::exit(1);
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
