//! upstart.md §9.2 TC01–TC10 at engine level: the same job files, the same commands, the
//! same status lines and error strings (without the `start: ` program prefix). Checks that
//! only a client program can make (missing job name, malformed `K=V`, bad command) are
//! initctl's, not the engine's, and are left out.

mod engine_sim;

use engine_sim::*;

const SVC: (&str, &str) = ("svc", "exec sleep 1000\n");

#[test]
fn tc01_service_lifecycle_and_status_lines() {
    let mut sim = Sim::new(&[SVC]);
    assert_eq!(sim.list_lines(), ["svc stop/waiting"]);

    let start = sim.start("svc", &[], true);
    let main = sim.pid("svc", Main);
    let running = format!("svc start/running, process {main}");
    assert_eq!(sim.answer(start), running);
    assert_eq!(sim.status_line("svc"), running);

    let stop = sim.stop("svc", &[], true);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM]);
    assert_eq!(sim.answer(stop), "svc stop/waiting");
    assert_eq!(sim.status_line("svc"), "svc stop/waiting");
    assert_eq!(sim.goal_state("svc"), None, "the instance is gone");
}

#[test]
fn tc02_error_messages_of_start_stop_restart_status() {
    let mut sim = Sim::new(&[SVC]);
    let first = sim.start("svc", &[], true);
    assert!(sim.answer(first).starts_with("svc start/running"));
    let second = sim.start("svc", &[], true);
    assert_eq!(sim.answer(second), "error: Job is already running: svc");

    let first = sim.stop("svc", &[], true);
    assert_eq!(sim.answer(first), "svc stop/waiting");
    let second = sim.stop("svc", &[], true);
    assert_eq!(sim.answer(second), "error: Unknown instance: ");

    let restart = sim.restart("svc", &[], true);
    assert_eq!(sim.answer(restart), "error: Unknown instance: ");

    let status = sim.status("nosuch", &[]);
    assert_eq!(sim.answer(status), "error: Unknown job: nosuch");
    let start = sim.start("nosuch", &[], true);
    assert_eq!(sim.answer(start), "error: Unknown job: nosuch");
}

#[test]
fn tc03_start_of_a_task_returns_when_the_task_has_finished() {
    let mut sim = Sim::new(&[(
        "t",
        "task\nexec sh -c 'sleep 1; echo done > /tmp/t/t.done'\n",
    )]);
    let start = sim.start("t", &[], true);
    sim.advance(1000);
    assert_eq!(sim.answer(start), "(no reply)", "the task still runs");

    sim.exit_process("t", Main, 0);
    assert_eq!(sim.answer(start), "t stop/waiting");
}

#[test]
fn tc04_failing_task_and_the_stopped_event_environment() {
    let mut sim = Sim::new(&[
        ("f", "task\nexec sh -c 'exit 3'\n"),
        (
            "watch",
            r#"start on stopped JOB=f
task
exec sh -c 'echo "$RESULT $PROCESS $EXIT_STATUS|$EXIT_SIGNAL|$UPSTART_EVENTS" > /tmp/t/watch'
"#,
        ),
    ]);
    sim.auto_exit("f", Main, 3).auto_exit("watch", Main, 0);

    let start = sim.start("f", &[], true);
    assert_eq!(sim.answer(start), "error: Job failed to start");
    assert_eq!(
        sim.last_env("watch", Main),
        [
            PATH,
            TERM,
            "JOB=f",
            "INSTANCE=",
            "RESULT=failed",
            "PROCESS=main",
            "EXIT_STATUS=3",
            "UPSTART_EVENTS=stopped",
            "UPSTART_JOB=watch",
            "UPSTART_INSTANCE=",
        ]
    );
}

#[test]
fn tc05_emit_waits_for_the_task_it_starts_and_no_wait_does_not() {
    let mut sim = Sim::new(&[(
        "t",
        "start on foo\ntask\nexec sh -c 'sleep 2; echo done >> /tmp/t/t.done'\n",
    )]);
    let emit = sim.emit("foo", &[], true);
    assert_eq!(sim.spawn_count("t", Main), 1);
    sim.advance(2000);
    assert_eq!(sim.answer(emit), "(no reply)");
    assert_eq!(sim.count_events("foo"), 0, "foo is held by the task");

    sim.exit_process("t", Main, 0);
    assert_eq!(sim.answer(emit), "ok");
    assert_eq!(sim.count_events("foo"), 1);

    sim.emit("foo", &[], false);
    assert_eq!(sim.spawn_count("t", Main), 2, "the task started again");
    assert_eq!(sim.count_events("foo"), 1, "and holds the second foo");
    sim.advance(2000);
    sim.exit_process("t", Main, 0);
    assert_eq!(sim.count_events("foo"), 2);
}

#[test]
fn tc06_failed_event_answers_event_failed_and_emits_event_failed() {
    let mut sim = Sim::new(&[
        ("bad", "start on boom\ntask\nexec false\n"),
        (
            "onfail",
            "start on boom/failed\ntask\nexec sh -c 'echo \"$UPSTART_EVENTS $K\" > /tmp/t/onfail'\n",
        ),
    ]);
    sim.auto_exit("bad", Main, 1).auto_exit("onfail", Main, 0);

    let emit = sim.emit("boom", &[("K", "v")], true);
    assert_eq!(sim.answer(emit), "error: Event failed");
    assert!(sim.event_failed("boom"));
    assert_eq!(sim.event_env("boom/failed"), "K=v");
    assert_eq!(
        sim.last_env("onfail", Main),
        [
            PATH,
            TERM,
            "K=v",
            "UPSTART_EVENTS=boom/failed",
            "UPSTART_JOB=onfail",
            "UPSTART_INSTANCE=",
        ]
    );
}

#[test]
fn tc07_lifecycle_order_starting_and_stopping_block_the_job() {
    let mut sim = Sim::new(&[
        (
            "a",
            "\
pre-start exec sh -c 'echo a-pre-start >> /tmp/t/order'
exec sh -c 'echo a-main >> /tmp/t/order; exec sleep 1000'
post-stop exec sh -c 'echo a-post-stop >> /tmp/t/order'
",
        ),
        (
            "b",
            "start on starting a\ntask\nexec sh -c 'sleep 1; echo b-starting >> /tmp/t/order'\n",
        ),
        (
            "c",
            "start on stopping a\ntask\nexec sh -c 'sleep 1; echo \"c-stopping $RESULT\" >> /tmp/t/order'\n",
        ),
        (
            "d",
            "start on started a\ntask\nexec sh -c 'echo d-started >> /tmp/t/order'\n",
        ),
        (
            "e",
            "start on stopped a\ntask\nexec sh -c 'echo \"e-stopped $RESULT\" >> /tmp/t/order'\n",
        ),
    ]);
    sim.hooks_exit(0)
        .auto_exit("d", Main, 0)
        .auto_exit("e", Main, 0);

    let start = sim.start("a", &[], true);
    assert_eq!(sim.spawned(), ["b main"], "a waits in starting for b");
    assert_eq!(sim.goal_state("a").as_deref(), Some("start/starting"));
    sim.advance(1000);
    sim.exit_process("b", Main, 0);
    let main = sim.pid("a", Main);
    assert_eq!(
        sim.answer(start),
        format!("a start/running, process {main}")
    );

    let stop = sim.stop("a", &[], true);
    assert_eq!(sim.goal_state("a").as_deref(), Some("stop/stopping"));
    assert!(
        sim.group_signals(main).is_empty(),
        "a waits in stopping for c"
    );
    sim.advance(1000);
    sim.exit_process("c", Main, 0);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM]);
    assert_eq!(sim.answer(stop), "a stop/waiting");

    assert_eq!(
        sim.spawned(),
        [
            "b main",
            "a pre-start",
            "a main",
            "d main",
            "c main",
            "a post-stop",
            "e main"
        ]
    );
    assert!(sim.last_env("c", Main).contains(&"RESULT=ok".to_string()));
    assert!(sim.last_env("e", Main).contains(&"RESULT=ok".to_string()));
}

#[test]
fn tc08_dependent_service_is_fully_stopped_before_its_parent_is_killed() {
    let mut sim = Sim::new(&[
        (
            "a",
            "exec sleep 1000\npost-stop exec sh -c 'echo a-post-stop >> /tmp/t/order'\n",
        ),
        (
            "dep",
            "\
start on started a
stop on stopping a
exec sleep 1001
post-stop exec sh -c 'sleep 1; echo dep-post-stop >> /tmp/t/order'
",
        ),
    ]);
    let start = sim.start("a", &[], true);
    let a_main = sim.pid("a", Main);
    assert_eq!(
        sim.answer(start),
        format!("a start/running, process {a_main}")
    );
    let dep_main = sim.pid("dep", Main);
    assert_eq!(
        sim.status_line("dep"),
        format!("dep start/running, process {dep_main}")
    );

    let stop = sim.stop("a", &[], true);
    assert_eq!(sim.group_signals(dep_main), [libc::SIGTERM]);
    sim.advance(1000);
    assert!(sim.group_signals(a_main).is_empty(), "a waits for dep");
    sim.exit_process("dep", PostStop, 0);
    assert_eq!(sim.group_signals(a_main), [libc::SIGTERM]);
    sim.exit_process("a", PostStop, 0);

    assert_eq!(sim.answer(stop), "a stop/waiting");
    assert_eq!(sim.status_line("dep"), "dep stop/waiting");
    sim.assert_in_order(&["spawn dep post-stop", "spawn a post-stop"]);
}

const W: (&str, &str) = (
    "w",
    "start on foo\nstop on bar X=$X\ninstance $X\nexec sleep 1000\n",
);

#[test]
fn tc09_stop_on_uses_a_variable_from_the_instance_environment() {
    let mut sim = Sim::new(&[W]);
    let one = sim.emit("foo", &[("X", "1")], true);
    let two = sim.emit("foo", &[("X", "2")], true);
    assert_eq!(sim.answer(one), "ok");
    assert_eq!(sim.answer(two), "ok");
    let (p1, p2) = (sim.pid("w (1)", Main), sim.pid("w (2)", Main));
    assert_eq!(
        sim.list_lines(),
        [
            format!("w (1) start/running, process {p1}"),
            format!("w (2) start/running, process {p2}"),
        ]
    );

    let bar = sim.emit("bar", &[("X", "1")], true);
    assert_eq!(sim.answer(bar), "ok");
    assert_eq!(sim.group_signals(p1), [libc::SIGTERM]);
    assert!(sim.group_signals(p2).is_empty());
    assert_eq!(
        sim.list_lines(),
        [format!("w (2) start/running, process {p2}")]
    );
}

#[test]
fn tc10_instance_naming_and_instance_errors() {
    let mut sim = Sim::new(&[W]);
    let start = sim.start("w", &[], true);
    assert_eq!(sim.answer(start), "error: Unknown parameter: X");
    assert_eq!(sim.status_line("w"), "error: Unknown parameter: X");

    let emit = sim.emit("foo", &[], true);
    assert_eq!(sim.answer(emit), "ok");
    assert!(sim.spawned().is_empty(), "no instance was created");

    let start = sim.start("w", &[("X", "3")], true);
    let main = sim.pid("w (3)", Main);
    assert_eq!(
        sim.answer(start),
        format!("w (3) start/running, process {main}")
    );
    let again = sim.start("w", &[("X", "3")], true);
    assert_eq!(sim.answer(again), "error: Job is already running: w (3)");

    let stop = sim.stop("w", &[("X", "9")], true);
    assert_eq!(sim.answer(stop), "error: Unknown instance: 9");
    let stop = sim.stop("w", &[("X", "3")], true);
    assert_eq!(sim.answer(stop), "w stop/waiting");
}

#[test]
fn tc10_usage_is_appended_to_the_unknown_parameter_error() {
    let mut sim = Sim::new(&[(
        "w",
        "start on foo\nstop on bar X=$X\ninstance $X\nusage \"w X=val\"\nexec sleep 1000\n",
    )]);
    let start = sim.start("w", &[], true);
    assert_eq!(
        sim.answer(start),
        "error: Unknown parameter: X\nUsage: w X=val"
    );
}
