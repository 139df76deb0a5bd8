//! Process ends, failure and respawn (upstart.md §2.6, decisions.md "respawn limit"): which
//! ends are failures, when a job respawns, the limit (N+1 runs, fixed window from the first
//! respawn, `unlimited`), and what a respawn looks like in job events.

mod engine_sim;

use engine_sim::*;

fn respawner(limit: &str) -> (&'static str, String) {
    ("r", format!("respawn\n{limit}exec crashy\n"))
}

fn sim_with(job: (&'static str, String)) -> Sim {
    Sim::new(&[(job.0, job.1.as_str())])
}

// ----- the respawn limit -----

#[test]
fn respawn_limit_3_gives_4_runs_then_fails_with_process_respawn() {
    let mut sim = sim_with(respawner("respawn limit 3 5\n"));
    sim.auto_exit("r", Main, 1);
    sim.start("r", &[], false);
    assert_eq!(sim.spawn_count("r", Main), 4);
    assert_eq!(
        sim.event_env("stopped r"),
        "JOB=r INSTANCE= RESULT=failed PROCESS=respawn"
    );
    assert_eq!(sim.count_events("stopped r"), 1);
    assert_eq!(sim.count_events("starting r"), 4);
    assert_eq!(sim.status_line("r"), "r stop/waiting");
}

#[test]
fn default_respawn_limit_gives_11_runs() {
    let mut sim = sim_with(respawner(""));
    sim.auto_exit("r", Main, 1);
    sim.start("r", &[], false);
    assert_eq!(sim.spawn_count("r", Main), 11);
    assert_eq!(
        sim.event_env("stopped r"),
        "JOB=r INSTANCE= RESULT=failed PROCESS=respawn"
    );
}

#[test]
fn respawn_window_is_fixed_from_the_first_respawn_not_sliding() {
    let mut sim = sim_with(respawner("respawn limit 2 5\n"));
    sim.start("r", &[], true);
    sim.exit_process("r", Main, 1); // t=0: first respawn, the window opens
    sim.advance(4000);
    sim.exit_process("r", Main, 1); // t=4: second respawn in the window
    sim.advance(2000);
    sim.exit_process("r", Main, 1); // t=6: window over, a new one opens here
    sim.advance(500);
    sim.exit_process("r", Main, 1); // t=6.5: second in the new window (3 in the last 5 s)
    let main = sim.pid("r", Main);
    assert_eq!(
        sim.status_line("r"),
        format!("r start/running, process {main}")
    );
    assert_eq!(sim.count_events("stopped r"), 0);

    sim.advance(500);
    sim.exit_process("r", Main, 1); // t=7: third in the window: too fast
    assert_eq!(sim.spawn_count("r", Main), 5);
    assert_eq!(
        sim.event_env("stopped r"),
        "JOB=r INSTANCE= RESULT=failed PROCESS=respawn"
    );
}

#[test]
fn respawn_limit_unlimited_never_gives_up() {
    let mut sim = sim_with(respawner("respawn limit unlimited\n"));
    sim.start("r", &[], true);
    for _ in 0..30 {
        sim.exit_process("r", Main, 1);
    }
    assert_eq!(sim.spawn_count("r", Main), 31);
    assert_eq!(sim.goal_state("r").as_deref(), Some("start/running"));
}

#[test]
fn respawn_limit_with_a_zero_count_or_interval_is_unlimited() {
    let mut sim = Sim::new(&[
        ("a", "respawn\nrespawn limit 0 5\nexec crashy\n"),
        ("b", "respawn\nrespawn limit 3 0\nexec crashy\n"),
    ]);
    sim.start("a", &[], true);
    sim.start("b", &[], true);
    for _ in 0..15 {
        sim.exit_process("a", Main, 1);
        sim.exit_process("b", Main, 1);
    }
    assert_eq!(sim.spawn_count("a", Main), 16);
    assert_eq!(sim.spawn_count("b", Main), 16);
    assert_eq!(
        sim.count_events("stopped a") + sim.count_events("stopped b"),
        0
    );
}

// ----- what is a failure, what respawns -----

#[test]
fn exit_zero_of_a_respawning_service_is_abnormal_and_respawns() {
    let mut sim = sim_with(respawner(""));
    sim.start("r", &[], true);
    let old = sim.exit_process("r", Main, 0);
    let new = sim.pid("r", Main);
    assert_ne!(old, new);
    assert_eq!(
        sim.status_line("r"),
        format!("r start/running, process {new}")
    );
}

#[test]
fn exit_zero_of_a_respawning_task_is_normal_and_ends_it() {
    let mut sim = Sim::new(&[("t", "task\nrespawn\nexec work\n")]);
    let start = sim.start("t", &[], true);
    sim.exit_process("t", Main, 0);
    assert_eq!(sim.answer(start), "t stop/waiting");
    assert_eq!(sim.spawn_count("t", Main), 1);
    assert_eq!(sim.event_env("stopped t"), "JOB=t INSTANCE= RESULT=ok");
}

#[test]
fn failing_respawning_task_is_respawned() {
    let mut sim = Sim::new(&[("t", "task\nrespawn\nexec work\n")]);
    let start = sim.start("t", &[], true);
    sim.exit_process("t", Main, 1);
    assert_eq!(sim.spawn_count("t", Main), 2);
    assert_eq!(sim.answer(start), "(no reply)", "the task has not finished");
    sim.exit_process("t", Main, 0);
    assert_eq!(sim.answer(start), "t stop/waiting");
}

#[test]
fn normal_exit_codes_and_signals_end_a_respawning_service_with_result_ok() {
    let job = "respawn\nnormal exit 3\nnormal exit TERM\nexec crashy\n";
    let mut sim = Sim::new(&[("a", job), ("b", job)]);
    sim.start("a", &[], true);
    sim.start("b", &[], true);

    sim.exit_process("a", Main, 3);
    let b = sim.pid("b", Main);
    sim.kill_by_signal(b, libc::SIGTERM);

    assert_eq!(sim.spawn_count("a", Main), 1);
    assert_eq!(sim.spawn_count("b", Main), 1);
    assert_eq!(sim.event_env("stopped a"), "JOB=a INSTANCE= RESULT=ok");
    assert_eq!(sim.event_env("stopped b"), "JOB=b INSTANCE= RESULT=ok");
}

#[test]
fn status_not_listed_in_normal_exit_still_respawns() {
    let mut sim = Sim::new(&[("a", "respawn\nnormal exit 3\nexec crashy\n")]);
    sim.start("a", &[], true);
    sim.exit_process("a", Main, 4);
    assert_eq!(sim.spawn_count("a", Main), 2);
}

#[test]
fn normal_exit_without_respawn_is_a_success() {
    let mut sim = Sim::new(&[("a", "normal exit 3\nexec work\n")]);
    sim.start("a", &[], true);
    sim.exit_process("a", Main, 3);
    assert_eq!(sim.event_env("stopped a"), "JOB=a INSTANCE= RESULT=ok");
}

// ----- what a respawn looks like -----

#[test]
fn respawn_emits_stopping_starting_started_but_no_stopped() {
    let mut sim = sim_with(respawner(""));
    sim.start("r", &[], true);
    sim.exit_process("r", Main, 1);
    assert_eq!(
        sim.job_events("r"),
        ["starting", "started", "stopping", "starting", "started"]
    );
    assert_eq!(sim.event_env("stopping r"), "JOB=r INSTANCE= RESULT=ok");
}

#[test]
fn respawn_runs_post_stop_and_pre_start_again() {
    let mut sim = Sim::new(&[(
        "r",
        "respawn\npre-start exec true\nexec crashy\npost-stop exec true\n",
    )]);
    sim.hooks_exit(0);
    sim.start("r", &[], true);
    sim.exit_process("r", Main, 1);
    assert_eq!(
        sim.spawned(),
        [
            "r pre-start",
            "r main",
            "r post-stop",
            "r pre-start",
            "r main"
        ]
    );
}

#[test]
fn respawn_keeps_the_instance_environment() {
    let mut sim = sim_with(respawner(""));
    sim.start("r", &[("K", "v")], true);
    let first = sim.exit_process("r", Main, 1);
    let second = sim.pid("r", Main);
    assert_eq!(sim.env_of(second), sim.env_of(first));
    assert!(sim.env_of(second).contains(&"K=v".to_string()));
}

#[test]
fn respawn_decided_during_post_start_waits_for_post_start() {
    let mut sim = Sim::new(&[("r", "respawn\nexec crashy\npost-start exec sleep 5\n")]);
    sim.start("r", &[], false);
    sim.exit_process("r", Main, 1);
    assert_eq!(sim.spawn_count("r", Main), 1, "post-start still runs");
    sim.exit_process("r", PostStart, 0);
    assert_eq!(sim.spawn_count("r", Main), 2);
    assert_eq!(sim.count_events("stopped r"), 0);
}

#[test]
fn main_failing_during_post_start_stops_the_job_once_post_start_ends() {
    let mut sim = Sim::new(&[("j", "exec work\npost-start exec sleep 5\n")]);
    let start = sim.start("j", &[], true);
    sim.exit_process("j", Main, 1);
    assert_eq!(sim.job_events("j"), ["starting"], "waits for post-start");
    assert_eq!(sim.goal_state("j").as_deref(), Some("stop/post-start"));

    sim.exit_process("j", PostStart, 0);
    assert_eq!(sim.answer(start), "error: Job failed to start");
    assert_eq!(
        sim.event_env("stopped j"),
        "JOB=j INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=1"
    );
}

#[test]
fn stop_of_a_respawning_service_does_not_respawn() {
    let mut sim = sim_with(respawner(""));
    sim.start("r", &[], true);
    let stop = sim.stop("r", &[], true);
    assert_eq!(sim.answer(stop), "r stop/waiting");
    assert_eq!(sim.spawn_count("r", Main), 1);
    assert_eq!(sim.event_env("stopped r"), "JOB=r INSTANCE= RESULT=ok");
}
