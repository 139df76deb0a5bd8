//! `initctl2dot` from the outside: the built binary run on job directories (`-c`), on saved
//! `show-config -e` output (`-f`) and against a fake init (the default), checking the exact
//! nodes and edges of Upstart's `initctl2dot.py`: event diamonds, job records, `emits`
//! (globs included), `start on` events and jobs (`starting` drawn the other way), `stop on`,
//! `$VAR` events, sanitised names, `-r`, `-o`, colours, errors. When Graphviz's `dot` is
//! installed the output is also fed to `dot -Tsvg`.

#[path = "control_common.rs"]
mod control_common;

use control_common::{unique_address, FakeInit};
use kindling::control::Request;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_initctl2dot");

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("kindling-initctl2dot-{}-{}", std::process::id(), n));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    /// Writes `name` (sub-directories created) and returns its path.
    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create sub-directory");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one run printed and returned.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary in `cwd` with a control socket nobody listens on, unless `socket` is given.
fn run_in(cwd: &Path, socket: Option<&str>, args: &[&str]) -> Run {
    let unused = unique_address();
    let output = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("KINDLING_SOCKET", socket.unwrap_or(&unused))
        .output()
        .expect("run initctl2dot");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn run_in_tmp(args: &[&str]) -> Run {
    run_in(&std::env::temp_dir(), None, args)
}

/// The DOT text of a successful `-o -` run.
fn dot(args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["-o", "-"]);
    let run = run_in_tmp(&all);
    assert_eq!(run.code, 0, "initctl2dot {args:?} failed: {}", run.stderr);
    assert_eq!(run.stderr, "", "initctl2dot {args:?}");
    run.stdout
}

/// The node and edge statements (everything between the header and the legend).
fn statements(dot: &str) -> Vec<String> {
    dot.lines()
        .filter(|line| line.contains(" [") && !line.starts_with("  node ["))
        .map(str::to_string)
        .collect()
}

fn edges(dot: &str) -> Vec<String> {
    statements(dot)
        .into_iter()
        .filter(|line| line.contains(" -> "))
        .map(|line| line.trim().to_string())
        .collect()
}

/// The names of the nodes defined, in order.
fn nodes(dot: &str) -> Vec<String> {
    statements(dot)
        .into_iter()
        .filter(|line| !line.contains(" -> "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect()
}

fn event_line(id: &str, label: &str, style: &str) -> String {
    format!(
        "  {id} [label=\"{label}\", shape=diamond, fontcolor=\"black\", fillcolor=\"thistle\", \
         style=\"{style}\"];"
    )
}

fn job_line(id: &str, label: &str) -> String {
    format!(
        "  {id} [shape=\"record\", label=\"<job> {label} | {{ <start> start on | <stop> stop on }}\", \
         fontcolor=\"black\", style=\"filled\",  fillcolor=\"#DCDCDC\"];"
    )
}

/// A small system: a database, a web server that follows it, a cache started before the web
/// server, a network job emitting a glob and `$` events, and a job in a sub-directory.
fn jobs() -> TempDir {
    let dir = TempDir::new();
    dir.write(
        "db.conf",
        "start on local-filesystems\nstop on runlevel [!2345]\nemits db-ready\nexec db\n",
    );
    dir.write(
        "web.conf",
        "start on started db and net-device-up IFACE=eth0\nstop on stopping db\nexec web\n",
    );
    dir.write("cache.conf", "start on starting web\nexec cache\n");
    dir.write(
        "net-if.conf",
        "emits net-device-*\nemits $IFACE_EVENT\n\
         start on $TRIGGER or stopped JOB=$UPSTREAM\nexec ifup\n",
    );
    dir.write("net/iface.conf", "task\nstart on net-device-up\nexec x\n");
    dir
}

const LEGEND: &str = "  overlap=false;\n  label=\"Generated by initctl2dot (kindling)\\n\
    for the system\\n(from job files in DIR).\\nBoxes of color #DCDCDC denote jobs.\\n\
    Solid diamonds of color thistle denote events.\\nDotted diamonds denote 'glob' events.\\n\
    Emits denoted by green lines.\\nStart on denoted by blue lines.\\n\
    Stop on denoted by red lines.\\n\";\n}\n";

#[test]
fn job_files_make_the_whole_graph() {
    let dir = jobs();
    let dir_text = dir.path().display().to_string();
    let out = dot(&["-c", &dir_text]);
    let expected = [
        "digraph upstart {",
        "  node [shape=\"diamond\", fontcolor=\"black\", fillcolor=\"thistle\", style=\"filled\"];",
        "  rankdir=LR;",
        "  overlap=false;",
        "  bgcolor=\"white\";",
        "  fontcolor=\"black\";",
        &event_line("event_db_ready", "db-ready", "filled"),
        &event_line("event_local_filesystems", "local-filesystems", "filled"),
        &event_line("event_runlevel", "runlevel", "filled"),
        // A glob event is dotted.
        &event_line("event_net_device_star", "net-device-*", "dotted"),
        // `$` events belong to their job.
        &event_line(
            "event_net_ifcolondollar_IFACE_EVENT",
            "net-if:$IFACE_EVENT",
            "filled",
        ),
        &event_line(
            "event_net_ifcolondollar_TRIGGER",
            "net-if:$TRIGGER",
            "filled",
        ),
        &event_line("event_net_device_up", "net-device-up", "filled"),
        // Jobs in show-config's (name) order; `$UPSTREAM`, named by net-if but without a job
        // file, right after it.
        &job_line("job_cache", "cache"),
        &job_line("job_db", "db"),
        &job_line("job_net_if", "net-if"),
        &job_line("job_dollar_UPSTREAM", "$UPSTREAM"),
        &job_line("job_netslashiface", "net/iface"),
        &job_line("job_web", "web"),
        // `starting web`: from cache's start on to web.
        "  job_cache:start -> job_web:job [color=\"blue\"];",
        "  event_local_filesystems -> job_db:start [color=\"blue\"];",
        "  event_runlevel -> job_db:stop [color=\"red\"];",
        "  job_db:job -> event_db_ready [color=\"green\"];",
        // `stopped JOB=$UPSTREAM`: from that job to net-if's start on.
        "  job_dollar_UPSTREAM:job -> job_net_if:start [color=\"blue\"];",
        "  event_net_ifcolondollar_TRIGGER -> job_net_if:start [color=\"blue\"];",
        "  job_net_if:job -> event_net_device_star [color=\"green\"];",
        "  job_net_if:job -> event_net_ifcolondollar_IFACE_EVENT [color=\"green\"];",
        "  event_net_device_up -> job_netslashiface:start [color=\"blue\"];",
        // `started db`: from db to web's start on.
        "  job_db:job -> job_web:start [color=\"blue\"];",
        "  event_net_device_up -> job_web:start [color=\"blue\"];",
        "  job_db:job -> job_web:stop [color=\"red\"];",
        // The glob `net-device-*` also reaches the events it matches.
        "  job_net_if:job -> event_net_device_up [color=\"green\"];",
    ]
    .join("\n");
    let legend = LEGEND.replace("DIR", &dir_text);
    assert_eq!(out, format!("{expected}\n{legend}"));
    check_with_graphviz(&out);
}

#[test]
fn show_config_output_from_a_file() {
    let dir = TempDir::new();
    let input = dir.write(
        "show-config.txt",
        "odd-job.v2\n\
         \x20 emits x[1]!\n\
         \x20 emits $VAR\n\
         \x20 start on start-me? (job:, env:)\n\
         \x20 start on starting (job: other, env:)\n\
         \x20 start on stopped (job: gone, env: RESULT=ok)\n\
         \x20 stop on stopping (job: other, env:)\n\
         \x20 stop on a:b (job:, env: X=1 Y=2)\n\
         other\n\
         \x20 emits ev-*\n\
         \x20 start on ev-1 (job:, env:)\n",
    );
    let out = dot(&["-f", &input.display().to_string()]);
    assert_eq!(
        nodes(&out),
        [
            "event_xlbracker1rbrackerbang",
            "event_odd_jobdotv2colondollar_VAR",
            "event_start_mequestion",
            "event_acolonb",
            "event_ev_star",
            "event_ev_1",
            "job_odd_jobdotv2",
            "job_gone",
            "job_other",
        ]
    );
    assert_eq!(
        edges(&out),
        [
            "job_odd_jobdotv2:start -> job_other:job [color=\"blue\"];",
            "job_gone:job -> job_odd_jobdotv2:start [color=\"blue\"];",
            "event_start_mequestion -> job_odd_jobdotv2:start [color=\"blue\"];",
            "job_other:job -> job_odd_jobdotv2:stop [color=\"red\"];",
            "event_acolonb -> job_odd_jobdotv2:stop [color=\"red\"];",
            "job_odd_jobdotv2:job -> event_xlbracker1rbrackerbang [color=\"green\"];",
            "job_odd_jobdotv2:job -> event_odd_jobdotv2colondollar_VAR [color=\"green\"];",
            "event_ev_1 -> job_other:start [color=\"blue\"];",
            "job_other:job -> event_ev_star [color=\"green\"];",
            "job_other:job -> event_ev_1 [color=\"green\"];",
        ]
    );
    assert!(out.contains("\\nfor the system\\n(from file data).\\n"));
    assert!(out.contains(&event_line("event_ev_star", "ev-*", "dotted")));
    check_with_graphviz(&out);
}

#[test]
fn restriction_shows_the_jobs_and_their_neighbours() {
    let dir = jobs();
    let dir_text = dir.path().display().to_string();
    let out = dot(&["-c", &dir_text, "-r", "web"]);
    // web, the job it waits for, and db's emits; nothing about cache, net-if, net/iface
    // (net-device-up comes from net-if's glob, which does not make net-if an emitter of it:
    // exact names only, as upstream).
    assert_eq!(
        nodes(&out),
        ["event_net_device_up", "event_db_ready", "job_web", "job_db",]
    );
    assert_eq!(
        edges(&out),
        [
            "job_db:job -> job_web:start [color=\"blue\"];",
            "event_net_device_up -> job_web:start [color=\"blue\"];",
            "job_db:job -> job_web:stop [color=\"red\"];",
            "job_db:job -> event_db_ready [color=\"green\"];",
        ]
    );
    assert!(out.contains("\\n(subset, from job files in "));

    // Two jobs, the second with a glob: the glob's matches are drawn (and defined).
    let out = dot(&["--confdir", &dir_text, "--restrict-to-jobs", "cache,net-if"]);
    assert_eq!(
        nodes(&out),
        [
            "event_net_device_star",
            "event_net_ifcolondollar_IFACE_EVENT",
            "event_net_ifcolondollar_TRIGGER",
            "event_net_device_up",
            "job_cache",
            "job_web",
            "job_net_if",
            "job_dollar_UPSTREAM",
        ]
    );
    assert_eq!(
        edges(&out),
        [
            "job_cache:start -> job_web:job [color=\"blue\"];",
            "job_dollar_UPSTREAM:job -> job_net_if:start [color=\"blue\"];",
            "event_net_ifcolondollar_TRIGGER -> job_net_if:start [color=\"blue\"];",
            "job_net_if:job -> event_net_device_star [color=\"green\"];",
            "job_net_if:job -> event_net_ifcolondollar_IFACE_EVENT [color=\"green\"];",
            "job_net_if:job -> event_net_device_up [color=\"green\"];",
        ]
    );
    check_with_graphviz(&out);

    // An unknown job is an error.
    let run = run_in_tmp(&["-c", &dir_text, "-r", "web,nosuch"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, "initctl2dot: unknown job nosuch\n");
    assert_eq!(run.stdout, "");
}

#[test]
fn output_goes_to_upstart_dot_or_the_outfile() {
    let dir = jobs();
    let dir_text = dir.path().display().to_string();
    let work = TempDir::new();
    let stdout = dot(&["-c", &dir_text]);

    let run = run_in(work.path(), None, &["-c", &dir_text]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let written = std::fs::read_to_string(work.path().join("upstart.dot")).expect("upstart.dot");
    assert_eq!(written, stdout);

    let run = run_in(work.path(), None, &["-c", &dir_text, "-o", "graph.dot"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = std::fs::read_to_string(work.path().join("graph.dot")).expect("graph.dot");
    assert_eq!(written, stdout);

    let run = run_in(
        work.path(),
        None,
        &["-c", &dir_text, "--outfile", "no/such/dir/x.dot"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "initctl2dot: cannot open file no/such/dir/x.dot for writing: No such file or directory\n"
    );
}

#[test]
fn colours_can_be_chosen() {
    let dir = jobs();
    let dir_text = dir.path().display().to_string();
    let out = dot(&[
        "-c",
        &dir_text,
        "--color-emits",
        "orange",
        "--color-start-on",
        "navy",
        "--color-stop-on",
        "#FF0000",
        "--color-event",
        "yellow",
        "--color-event-text",
        "gray20",
        "--color-job",
        "lightblue",
        "--color-job-text",
        "white",
        "--color-text",
        "purple",
        "--color-bg",
        "black",
    ]);
    assert!(out.contains(
        "  node [shape=\"diamond\", fontcolor=\"gray20\", fillcolor=\"yellow\", style=\"filled\"];\n"
    ));
    assert!(out.contains("  bgcolor=\"black\";\n  fontcolor=\"purple\";\n"));
    assert!(out.contains(
        "  event_runlevel [label=\"runlevel\", shape=diamond, fontcolor=\"gray20\", \
         fillcolor=\"yellow\", style=\"filled\"];\n"
    ));
    assert!(out.contains("fontcolor=\"white\", style=\"filled\",  fillcolor=\"lightblue\"];\n"));
    assert!(out.contains("  job_db:job -> event_db_ready [color=\"orange\"];\n"));
    assert!(out.contains("  event_local_filesystems -> job_db:start [color=\"navy\"];\n"));
    assert!(out.contains("  event_runlevel -> job_db:stop [color=\"#FF0000\"];\n"));
    assert!(out.contains(
        "Boxes of color lightblue denote jobs.\\nSolid diamonds of color yellow denote events.\\n\
         Dotted diamonds denote 'glob' events.\\nEmits denoted by orange lines.\\n\
         Start on denoted by navy lines.\\nStop on denoted by #FF0000 lines.\\n"
    ));
    check_with_graphviz(&out);
}

#[test]
fn the_running_init_is_asked_by_default() {
    let init = FakeInit::start();
    let work = TempDir::new();
    let run = run_in(work.path(), Some(&init.address), &["-o", "-"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        init.last(),
        Some(Request::ShowConfig {
            job: None,
            enumerate: true
        })
    );
    // The fake init's jobs: svc emits up on startup, tty starts when rc stopped, rc on
    // runlevel.
    assert_eq!(
        edges(&run.stdout),
        [
            "event_runlevel -> job_rc:start [color=\"blue\"];",
            "event_startup -> job_svc:start [color=\"blue\"];",
            "job_svc:job -> event_up [color=\"green\"];",
            "job_rc:job -> job_tty:start [color=\"blue\"];",
        ]
    );
    assert!(run
        .stdout
        .contains("\\nfor the system\\n(from 'initctl show-config -e').\\n"));
    check_with_graphviz(&run.stdout);
}

#[test]
fn errors_are_reported_with_status_1() {
    let dir = TempDir::new();
    let work = TempDir::new();

    // No init listening: the client's error, and no upstart.dot left behind.
    let run = run_in(work.path(), None, &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("initctl2dot: Unable to connect to init: Failed to connect to socket @"),
        "{}",
        run.stderr
    );
    assert!(!work.path().join("upstart.dot").exists());

    // Not show-config -e output.
    let input = dir.write("bad.txt", "job\n  start on (a and b)\n");
    let bad = run_in(work.path(), None, &["-f", &input.display().to_string()]);
    assert_eq!(bad.code, 1);
    assert_eq!(
        bad.stderr,
        "initctl2dot: invalid line: start on (a and b)\n"
    );
    assert!(!work.path().join("upstart.dot").exists());

    let input = dir.write("bad2.txt", "two words\n");
    let bad = run_in(work.path(), None, &["-f", &input.display().to_string()]);
    assert_eq!(bad.stderr, "initctl2dot: invalid line: two words\n");

    let missing = dir.path().join("missing.txt");
    let run = run_in(work.path(), None, &["-f", &missing.display().to_string()]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!(
            "initctl2dot: cannot read file '{}': No such file or directory\n",
            missing.display()
        )
    );

    let run = run_in(work.path(), None, &["-c", &missing.display().to_string()]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!("initctl2dot: {}: not a directory\n", missing.display())
    );

    // -f and -c exclude each other; --user has no meaning for kindling.
    let run = run_in(work.path(), None, &["-f", "x", "-c", "y"]);
    assert_eq!(run.code, 1);
    let run = run_in(work.path(), None, &["--user", "-c", "y"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("--user is not supported"),
        "{}",
        run.stderr
    );
}

#[test]
fn broken_job_files_are_reported_and_left_out() {
    let dir = TempDir::new();
    dir.write("good.conf", "start on startup\nexec true\n");
    dir.write("bad.conf", "start on\nexec true\n");
    let dir_text = dir.path().display().to_string();
    let run = run_in_tmp(&["-c", &dir_text, "-o", "-"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr
            .starts_with(&format!("initctl2dot: {dir_text}/bad.conf:1: ")),
        "{}",
        run.stderr
    );
    assert_eq!(nodes(&run.stdout), ["event_startup", "job_good"]);
}

#[test]
fn help_and_version() {
    let run = run_in_tmp(&["--version"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        format!("initctl2dot (kindling {})\n", env!("CARGO_PKG_VERSION"))
    );
    let run = run_in_tmp(&["--help"]);
    assert_eq!(run.code, 0);
    for option in [
        "--restrict-to-jobs",
        "--infile",
        "--confdir",
        "--outfile",
        "--color-emits",
        "--color-job",
        "[default: upstart.dot]",
        "[default: thistle]",
    ] {
        assert!(
            run.stdout.contains(option),
            "{option} missing:\n{}",
            run.stdout
        );
    }
}

/// `dot -Tsvg` accepts `text` (Graphviz; `.ci/run` installs it).
fn check_with_graphviz(text: &str) {
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => panic!("cannot run dot ({error}): apt-get install graphviz"),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to dot");
    let output = child.wait_with_output().expect("wait for dot");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "dot rejected the graph: {stderr}\n{text}"
    );
    assert!(stderr.trim().is_empty(), "dot warned: {stderr}\n{text}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("<svg"));
}
