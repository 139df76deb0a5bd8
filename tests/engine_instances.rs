//! Instances (upstart.md §2.10, §4.3–§4.4): names expanded from the start environment,
//! coexistence, selection by `K=V` for stop/status/restart, and their error messages.

mod engine_sim;

use engine_sim::*;

const W: (&str, &str) = (
    "w",
    "start on foo\nstop on bar X=$X\ninstance $X\nexec sleep 1000\n",
);

#[test]
fn instances_with_different_names_coexist() {
    let mut sim = Sim::new(&[W]);
    sim.start("w", &[("X", "1")], true);
    sim.start("w", &[("X", "2")], true);
    let (p1, p2) = (sim.pid("w (1)", Main), sim.pid("w (2)", Main));
    assert_ne!(p1, p2);
    assert_eq!(
        sim.list_lines(),
        [
            format!("w (1) start/running, process {p1}"),
            format!("w (2) start/running, process {p2}"),
        ]
    );
}

#[test]
fn starting_a_running_instance_names_it_in_the_error() {
    let mut sim = Sim::new(&[W]);
    sim.start("w", &[("X", "2")], true);
    let again = sim.start("w", &[("X", "2")], true);
    assert_eq!(sim.answer(again), "error: Job is already running: w (2)");
    assert_eq!(sim.spawn_count("w (2)", Main), 1);
}

#[test]
fn status_selects_the_instance_by_its_variables() {
    let mut sim = Sim::new(&[W]);
    sim.start("w", &[("X", "1")], true);
    let main = sim.pid("w (1)", Main);
    assert_eq!(
        sim.status_line_env("w", &[("X", "1")]),
        format!("w (1) start/running, process {main}")
    );
    assert_eq!(
        sim.status_line_env("w", &[("X", "5")]),
        "error: Unknown instance: 5"
    );
}

#[test]
fn stop_selects_the_instance_by_its_variables() {
    let mut sim = Sim::new(&[W]);
    sim.start("w", &[("X", "1")], true);
    sim.start("w", &[("X", "2")], true);
    let (p1, p2) = (sim.pid("w (1)", Main), sim.pid("w (2)", Main));
    let stop = sim.stop("w", &[("X", "2")], true);
    assert_eq!(sim.answer(stop), "w stop/waiting");
    assert_eq!(sim.group_signals(p2), [libc::SIGTERM]);
    assert!(sim.group_signals(p1).is_empty());
    assert_eq!(sim.goal_state("w (1)").as_deref(), Some("start/running"));
    assert_eq!(sim.goal_state("w (2)"), None);
}

#[test]
fn restart_selects_the_instance_and_keeps_its_name() {
    let mut sim = Sim::new(&[W]);
    sim.start("w", &[("X", "1")], true);
    let old = sim.pid("w (1)", Main);
    let restart = sim.restart("w", &[("X", "1")], true);
    let new = sim.pid("w (1)", Main);
    assert_ne!(old, new);
    assert_eq!(
        sim.answer(restart),
        format!("w (1) start/running, process {new}")
    );
    let missing = sim.restart("w", &[("X", "7")], true);
    assert_eq!(sim.answer(missing), "error: Unknown instance: 7");
}

#[test]
fn instance_name_reaches_job_events_and_process_env() {
    let mut sim = Sim::new(&[W]);
    sim.emit("foo", &[("X", "1")], true);
    assert_eq!(sim.event_env("starting w (1)"), "JOB=w INSTANCE=1");
    assert_eq!(sim.event_env("started w (1)"), "JOB=w INSTANCE=1");
    assert_eq!(
        sim.last_env("w (1)", Main),
        [
            PATH,
            TERM,
            "X=1",
            "UPSTART_EVENTS=foo",
            "UPSTART_JOB=w",
            "UPSTART_INSTANCE=1"
        ]
    );
    sim.emit("bar", &[("X", "1")], true);
    assert_eq!(sim.event_env("stopped w (1)"), "JOB=w INSTANCE=1 RESULT=ok");
}

#[test]
fn event_for_a_running_instance_is_consumed_and_another_name_starts_one() {
    let mut sim = Sim::new(&[W]);
    sim.emit("foo", &[("X", "1")], true);
    let again = sim.emit("foo", &[("X", "1")], true);
    assert_eq!(sim.answer(again), "ok");
    assert_eq!(sim.spawn_count("w (1)", Main), 1);

    let other = sim.emit("foo", &[("X", "2")], true);
    assert_eq!(sim.answer(other), "ok");
    assert_eq!(sim.spawn_count("w (2)", Main), 1);
}

#[test]
fn instance_pattern_may_combine_variables_and_text() {
    let mut sim = Sim::new(&[(
        "net",
        "start on up\ninstance $IFACE-${MODE:-dhcp}\nexec ifup $IFACE\n",
    )]);
    sim.emit("up", &[("IFACE", "eth0")], true);
    sim.emit("up", &[("IFACE", "eth1"), ("MODE", "static")], true);
    assert_eq!(sim.spawn_count("net (eth0-dhcp)", Main), 1);
    assert_eq!(sim.spawn_count("net (eth1-static)", Main), 1);
}

#[test]
fn stop_of_an_instance_job_without_its_variable_is_unknown_parameter() {
    let mut sim = Sim::new(&[W]);
    sim.start("w", &[("X", "1")], true);
    let stop = sim.stop("w", &[], true);
    assert_eq!(sim.answer(stop), "error: Unknown parameter: X");
    assert_eq!(sim.goal_state("w (1)").as_deref(), Some("start/running"));
}
