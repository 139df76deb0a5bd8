//! Configuration changes while init runs: new, edited, deleted and renamed job files take
//! effect by themselves (inotify); `.override` files; SIGHUP reloads.

mod pid1;

use pid1::{Sandbox, TIMEOUT};
use std::time::{Duration, Instant};

/// A task that appends `WHAT` to `@OUT@/runs` on every keyboard-request (SIGWINCH).
fn on_key(what: &str) -> String {
    format!("start on keyboard-request\ntask\nexec sh -c 'echo {what} >> @OUT@/runs'\n")
}

/// Lines of `@OUT@/runs`.
fn runs(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .read_out("runs")
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Sends SIGWINCH, waits until the `marker` task has run for the `marker_runs`th time and
/// every job the event started has stopped again (as many `stopped` events as `starting`
/// ones, but for `services` that keep running), then returns the lines of `runs`. (A task
/// still running when the next event comes would not start again: rounds must not overlap.)
fn key_round_with(sandbox: &Sandbox, marker_runs: usize, services: usize) -> Vec<String> {
    sandbox.signal(libc::SIGWINCH);
    sandbox.wait_for_log_count("Handling keyboard-request event", marker_runs, TIMEOUT);
    sandbox.wait_for_log_count("marker main process", marker_runs, TIMEOUT);
    sandbox.wait_for("the event's tasks to end", TIMEOUT, || {
        let log = sandbox.log();
        let starting = log.matches("Handling starting event").count();
        let stopped = log.matches("Handling stopped event").count();
        (starting == stopped + services && sandbox.find("sh -c echo").is_empty()).then_some(())
    });
    runs(sandbox)
}

fn key_round(sandbox: &Sandbox, marker_runs: usize) -> Vec<String> {
    key_round_with(sandbox, marker_runs, 0)
}

fn count(lines: &[String], what: &str) -> usize {
    lines.iter().filter(|l| *l == what).count()
}

/// After a change in the conf directory: gives init's inotify (and its 50 ms debounce) ample
/// time to load it.
fn settle() {
    std::thread::sleep(Duration::from_millis(400));
}

#[test]
fn a_new_job_file_is_picked_up_by_itself() {
    let sandbox = Sandbox::start(&[("marker", &on_key("marker"))], &[]);
    let started = Instant::now();
    sandbox.write_job("late", &on_key("late"));
    // Keep asking until the new job answers: it must, without SIGHUP.
    let mut rounds = 0;
    loop {
        rounds += 1;
        let lines = key_round(&sandbox, rounds);
        if count(&lines, "late") > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "a new job file was not loaded: {lines:?}\n{}",
            sandbox.log()
        );
    }
    assert!(!sandbox.log().contains("Reloading configuration"));
}

#[test]
fn a_job_file_written_in_place_is_picked_up() {
    // Not renamed in: created empty, then written (what an editor without backups does).
    let sandbox = Sandbox::start(&[("marker", &on_key("marker"))], &[]);
    let path = sandbox.conf.join("inplace.conf");
    std::fs::write(&path, "").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&path, sandbox.expand(&on_key("inplace"))).unwrap();
    settle();
    let lines = key_round(&sandbox, 1);
    assert_eq!(count(&lines, "inplace"), 1, "{lines:?}");
}

#[test]
fn edited_deleted_and_renamed_job_files_take_effect() {
    let sandbox = Sandbox::start(
        &[
            ("marker", &on_key("marker")),
            ("edited", &on_key("v1")),
            ("deleted", &on_key("deleted")),
            ("renamed", &on_key("renamed")),
        ],
        &[],
    );
    let lines = key_round(&sandbox, 1);
    for what in ["v1", "deleted", "renamed"] {
        assert_eq!(count(&lines, what), 1, "{lines:?}");
    }

    sandbox.write_job("edited", &on_key("v2"));
    sandbox.remove_job("deleted");
    std::fs::rename(
        sandbox.conf.join("renamed.conf"),
        sandbox.conf.join("renamed.conf.disabled"),
    )
    .unwrap();
    settle();
    let lines = key_round(&sandbox, 2);
    assert_eq!(count(&lines, "v1"), 1, "{lines:?}");
    assert_eq!(count(&lines, "v2"), 1, "{lines:?}");
    assert_eq!(count(&lines, "deleted"), 1, "{lines:?}");
    assert_eq!(count(&lines, "renamed"), 1, "{lines:?}");

    // Renamed back: the job is there again.
    std::fs::rename(
        sandbox.conf.join("renamed.conf.disabled"),
        sandbox.conf.join("renamed.conf"),
    )
    .unwrap();
    settle();
    let lines = key_round(&sandbox, 3);
    assert_eq!(count(&lines, "renamed"), 2, "{lines:?}");
}

#[test]
fn a_new_sub_directory_is_watched() {
    let sandbox = Sandbox::start(&[("marker", &on_key("marker"))], &[]);
    sandbox.write_job("newdir/deeper", &on_key("deeper"));
    settle();
    let lines = key_round(&sandbox, 1);
    assert_eq!(count(&lines, "deeper"), 1, "{lines:?}\n{}", sandbox.log());
    sandbox.wait_for_log("newdir/deeper main process", TIMEOUT);
}

#[test]
fn override_with_manual_disables_start_on() {
    let sandbox = Sandbox::start(
        &[
            ("marker", &on_key("marker")),
            ("switchable", &on_key("switchable")),
        ],
        &[],
    );
    let lines = key_round(&sandbox, 1);
    assert_eq!(count(&lines, "switchable"), 1, "{lines:?}");

    sandbox.write_conf_file("switchable.override", "manual\n");
    settle();
    let lines = key_round(&sandbox, 2);
    assert_eq!(
        count(&lines, "switchable"),
        1,
        "manual override ignored: {lines:?}"
    );

    sandbox.remove_conf_file("switchable.override");
    settle();
    let lines = key_round(&sandbox, 3);
    assert_eq!(
        count(&lines, "switchable"),
        2,
        "override removal ignored: {lines:?}"
    );

    // An override may also change what runs.
    sandbox.write_conf_file(
        "switchable.override",
        "exec sh -c 'echo overridden >> @OUT@/runs'\n",
    );
    settle();
    let lines = key_round(&sandbox, 4);
    assert_eq!(count(&lines, "overridden"), 1, "{lines:?}");
    assert_eq!(count(&lines, "switchable"), 2, "{lines:?}");
}

#[test]
fn a_running_service_survives_reloads_and_its_file_being_deleted() {
    let service = "start on startup\nstop on power-status-changed\nexec sleep 1000\n";
    let sandbox = Sandbox::start(&[("service", service)], &[]);
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    sandbox.signal(libc::SIGHUP);
    sandbox.wait_for_log("Reloading configuration", TIMEOUT);
    sandbox.write_job("service", "start on startup\nexec sleep 2000\n");
    settle();
    sandbox.remove_job("service");
    settle();
    assert_eq!(
        sandbox.wait_for_process("sleep", TIMEOUT).ns_pid,
        main.ns_pid
    );
    // It still stops as it was defined when it started.
    sandbox.signal(libc::SIGPWR);
    sandbox.wait_for_log(
        &format!(
            "Sending TERM signal to service main process ({})",
            main.ns_pid
        ),
        TIMEOUT,
    );
    sandbox.wait_idle(TIMEOUT);
}

#[test]
fn sighup_reloads_a_directory_inotify_cannot_see() {
    // A second conf dir that does not exist when init starts: nothing watches for it.
    let sandbox = Sandbox::start(
        &[("marker", &on_key("marker"))],
        &["--confdir", "@DIR@/later"],
    );
    std::fs::create_dir(sandbox.dir.join("later")).unwrap();
    std::fs::write(
        sandbox.dir.join("later/hup.conf"),
        sandbox.expand(&on_key("hup")),
    )
    .unwrap();
    sandbox.signal(libc::SIGHUP);
    sandbox.wait_for_log("Reloading configuration", TIMEOUT);
    let lines = key_round(&sandbox, 1);
    assert_eq!(count(&lines, "hup"), 1, "{lines:?}");
    // After the reload the new directory is watched too.
    std::fs::write(
        sandbox.dir.join("later/second.conf"),
        sandbox.expand(&on_key("second")),
    )
    .unwrap();
    settle();
    let lines = key_round(&sandbox, 2);
    assert_eq!(count(&lines, "second"), 1, "{lines:?}");
}

#[test]
fn a_file_that_becomes_broken_is_reported() {
    let sandbox = Sandbox::start(
        &[
            ("marker", &on_key("marker")),
            ("fragile", &on_key("fragile")),
        ],
        &[],
    );
    sandbox.write_job("fragile", "start on keyboard-request\nnonsense here\n");
    let conf = sandbox.conf.display().to_string();
    sandbox.wait_for_log(&format!("{conf}/fragile.conf:2: Unknown stanza"), TIMEOUT);
    // init carries on.
    key_round(&sandbox, 1);
}

#[test]
fn an_invalid_override_is_ignored_as_a_whole() {
    // decisions.md: the error is logged as FILE:LINE and the job stays as its .conf says.
    let sandbox = Sandbox::start(
        &[("marker", &on_key("marker")), ("job", &on_key("job"))],
        &[],
    );
    sandbox.write_conf_file("job.override", "manual\nbogus stanza\n");
    let conf = sandbox.conf.display().to_string();
    sandbox.wait_for_log(&format!("{conf}/job.override:2: Unknown stanza"), TIMEOUT);
    settle();
    let lines = key_round(&sandbox, 1);
    assert_eq!(count(&lines, "job"), 1, "{lines:?}");
}

#[test]
fn a_storm_of_sighups_leaves_running_services_alone() {
    let sandbox = Sandbox::start(
        &[
            ("marker", &on_key("marker")),
            ("service", "start on startup\nexec sleep 1000\n"),
        ],
        &[],
    );
    let main = sandbox.wait_for_process("sleep 1000", TIMEOUT);
    for _ in 0..50 {
        sandbox.signal(libc::SIGHUP);
        std::thread::sleep(Duration::from_millis(2));
    }
    sandbox.wait_for_log("Reloading configuration", TIMEOUT);
    let lines = key_round_with(&sandbox, 1, 1);
    assert_eq!(count(&lines, "marker"), 1, "{lines:?}");
    assert_eq!(
        sandbox.wait_for_process("sleep 1000", TIMEOUT).ns_pid,
        main.ns_pid
    );
    assert_eq!(sandbox.log_count("Handling startup event"), 1);
}

#[test]
fn many_job_files_written_at_once_are_all_loaded() {
    let sandbox = Sandbox::start(&[("marker", &on_key("marker"))], &[]);
    for n in 0..50 {
        sandbox.write_job(&format!("burst{n}"), &on_key(&format!("burst{n}")));
    }
    settle();
    let lines = key_round(&sandbox, 1);
    for n in 0..50 {
        assert_eq!(
            count(&lines, &format!("burst{n}")),
            1,
            "burst{n}: {lines:?}"
        );
    }
}

#[test]
fn a_symlinked_job_file_is_ignored() {
    // Upstart ignores symlinks in the conf directories (init(5) RESTRICTIONS; upstart.md §1.1).
    let sandbox = Sandbox::start(&[("marker", &on_key("marker"))], &[]);
    let target = sandbox.dir.join("elsewhere.conf");
    std::fs::write(&target, sandbox.expand(&on_key("linked"))).unwrap();
    std::os::unix::fs::symlink(&target, sandbox.conf.join("linked.conf")).unwrap();
    settle();
    let lines = key_round(&sandbox, 1);
    assert_eq!(count(&lines, "linked"), 0, "{lines:?}");
    // Not after a reload either.
    sandbox.signal(libc::SIGHUP);
    sandbox.wait_for_log("Reloading configuration", TIMEOUT);
    let lines = key_round(&sandbox, 2);
    assert_eq!(count(&lines, "linked"), 0, "{lines:?}");
}

#[test]
fn a_removed_and_recreated_sub_directory_is_watched_again() {
    let sandbox = Sandbox::start(
        &[("marker", &on_key("marker")), ("sub/one", &on_key("one"))],
        &[],
    );
    let lines = key_round(&sandbox, 1);
    assert_eq!(count(&lines, "one"), 1, "{lines:?}");
    std::fs::remove_dir_all(sandbox.conf.join("sub")).unwrap();
    settle();
    let lines = key_round(&sandbox, 2);
    assert_eq!(count(&lines, "one"), 1, "{lines:?}");
    sandbox.write_job("sub/two", &on_key("two"));
    settle();
    let lines = key_round(&sandbox, 3);
    assert_eq!(count(&lines, "two"), 1, "{lines:?}");
    // And a file added to it later still counts.
    sandbox.write_job("sub/three", &on_key("three"));
    settle();
    let lines = key_round(&sandbox, 4);
    assert_eq!(count(&lines, "three"), 1, "{lines:?}");
}
