//! Events: who blocks whom (upstart.md §2.5), failed events, `start on`/`stop on` matching
//! over time (§1.3, decisions.md on `$VAR`), job event environments (§2.4) and the
//! environment every job process gets (§3.2).

mod engine_sim;

use engine_sim::*;
use kindling::engine::{Effect, Fact, LogPriority};
use kindling::event::Event;

// ----- blocking -----

#[test]
fn emit_returns_when_the_started_service_is_running() {
    let mut sim = Sim::new(&[(
        "svc",
        "start on foo\npre-start exec sleep 1\nexec sleep 1000\npost-start exec sleep 1\n",
    )]);
    let emit = sim.emit("foo", &[], true);
    sim.exit_process("svc", PreStart, 0);
    assert_eq!(sim.answer(emit), "(no reply)");
    sim.exit_process("svc", PostStart, 0);
    assert_eq!(sim.answer(emit), "ok");
    assert!(!sim.event_failed("foo"));
}

#[test]
fn emit_of_a_stop_on_event_returns_when_the_job_is_fully_stopped() {
    let mut sim = Sim::new(&[(
        "j",
        "start on up\nstop on down\nexec sleep 1000\npost-stop exec sleep 1\n",
    )]);
    sim.emit("up", &[], true);
    let emit = sim.emit("down", &[], true);
    let post = sim.pid("j", PostStop);
    assert_eq!(
        sim.status_line("j"),
        format!("j stop/post-stop, process {post}")
    );
    assert_eq!(sim.answer(emit), "(no reply)");
    sim.exit(post, 0);
    assert_eq!(sim.answer(emit), "ok");
}

#[test]
fn event_nobody_references_finishes_at_once() {
    let mut sim = Sim::new(&[("svc", "start on other\nexec sleep 1000\n")]);
    let emit = sim.emit("nothing", &[("K", "v")], true);
    assert_eq!(sim.answer(emit), "ok");
    assert_eq!(sim.events_finished(), ["nothing"]);
    assert_eq!(sim.event_env("nothing"), "K=v");
    assert!(!sim.event_failed("nothing"));
}

#[test]
fn event_starting_a_running_service_again_finishes_at_once() {
    let mut sim = Sim::new(&[("svc", "start on foo\nexec sleep 1000\n")]);
    sim.emit("foo", &[], true);
    let again = sim.emit("foo", &[], true);
    assert_eq!(sim.answer(again), "ok");
    assert_eq!(sim.spawn_count("svc", Main), 1);
}

#[test]
fn service_failing_in_pre_start_fails_the_event_that_started_it() {
    let mut sim = Sim::new(&[(
        "svc",
        "start on foo\npre-start exec false\nexec sleep 1000\n",
    )]);
    sim.auto_exit("svc", PreStart, 1);
    let emit = sim.emit("foo", &[("K", "v")], true);
    assert_eq!(sim.answer(emit), "error: Event failed");
    assert!(sim.event_failed("foo"));
    assert_eq!(sim.event_env("foo/failed"), "K=v");
}

#[test]
fn service_failing_after_it_was_running_does_not_fail_its_event() {
    let mut sim = Sim::new(&[("svc", "start on foo\nexec sleep 1000\n")]);
    let emit = sim.emit("foo", &[], true);
    assert_eq!(sim.answer(emit), "ok");
    sim.exit_process("svc", Main, 1);
    assert!(!sim.event_failed("foo"));
    assert_eq!(sim.count_events("foo/failed"), 0);
}

#[test]
fn stop_on_event_fails_when_the_job_fails_while_stopping() {
    let mut sim = Sim::new(&[(
        "j",
        "start on up\nstop on down\nexec sleep 1000\npost-stop exec false\n",
    )]);
    sim.auto_exit("j", PostStop, 1);
    sim.emit("up", &[], true);
    let emit = sim.emit("down", &[], true);
    assert_eq!(sim.answer(emit), "error: Event failed");
    assert_eq!(sim.count_events("down/failed"), 1);
}

#[test]
fn a_failed_failed_event_is_not_followed_by_failed_failed() {
    let mut sim = Sim::new(&[
        ("bad", "start on boom\ntask\nexec false\n"),
        ("worse", "start on boom/failed\ntask\nexec false\n"),
    ]);
    sim.auto_exit("bad", Main, 1).auto_exit("worse", Main, 1);
    sim.emit("boom", &[], false);
    assert!(sim.event_failed("boom"));
    assert!(sim.event_failed("boom/failed"));
    assert_eq!(sim.count_events("boom/failed/failed"), 0);
}

#[test]
fn starting_event_holds_the_job_until_the_task_it_started_has_finished() {
    let mut sim = Sim::new(&[
        ("a", "exec sleep 1000\n"),
        ("b", "start on starting a\ntask\nexec sleep 1\n"),
    ]);
    let start = sim.start("a", &[], true);
    assert_eq!(sim.spawn_count("a", Main), 0);
    assert_eq!(sim.count_events("starting a"), 0);
    sim.exit_process("b", Main, 0);
    assert_eq!(sim.count_events("starting a"), 1);
    let main = sim.pid("a", Main);
    assert_eq!(
        sim.answer(start),
        format!("a start/running, process {main}")
    );
}

#[test]
fn stopping_event_holds_the_kill_until_the_job_it_stopped_is_gone() {
    let mut sim = Sim::new(&[
        ("a", "exec sleep 1000\n"),
        (
            "dep",
            "start on started a\nstop on stopping a\nexec sleep 1000\n",
        ),
    ]);
    sim.stubborn("dep");
    sim.start("a", &[], true);
    let (a, dep) = (sim.pid("a", Main), sim.pid("dep", Main));
    sim.stop("a", &[], false);
    assert_eq!(sim.group_signals(dep), [libc::SIGTERM]);
    assert!(sim.group_signals(a).is_empty());
    sim.advance(5000);
    assert_eq!(sim.group_signals(dep), [libc::SIGTERM, libc::SIGKILL]);
    assert_eq!(sim.group_signals(a), [libc::SIGTERM]);
}

// ----- matching over time -----

#[test]
fn partial_and_match_holds_the_event_until_the_rest_arrives() {
    let mut sim = Sim::new(&[("j", "start on a and b\nexec sleep 1000\n")]);
    let a = sim.emit("a", &[], true);
    assert_eq!(sim.spawn_count("j", Main), 0);
    assert_eq!(sim.answer(a), "(no reply)");
    assert_eq!(sim.count_events("a"), 0);

    let b = sim.emit("b", &[], true);
    assert_eq!(sim.spawn_count("j", Main), 1);
    assert_eq!(sim.answer(a), "ok");
    assert_eq!(sim.answer(b), "ok");
}

#[test]
fn after_firing_the_whole_condition_resets() {
    let mut sim = Sim::new(&[("j", "start on a and b\nexec sleep 1000\n")]);
    sim.emit("a", &[], false);
    sim.emit("b", &[], false);
    sim.stop("j", &[], true);

    sim.emit("b", &[], false);
    assert_eq!(sim.spawn_count("j", Main), 1, "b alone does nothing");
    sim.emit("a", &[], false);
    assert_eq!(sim.spawn_count("j", Main), 2, "a later a completes it");
}

#[test]
fn complete_match_while_running_is_consumed() {
    let mut sim = Sim::new(&[("j", "start on a and b\nexec sleep 1000\n")]);
    sim.emit("a", &[], false);
    sim.emit("b", &[], false);
    sim.emit("a", &[], false);
    let b = sim.emit("b", &[], true);
    assert_eq!(sim.answer(b), "ok");
    assert_eq!(sim.spawn_count("j", Main), 1);

    sim.stop("j", &[], true);
    sim.emit("b", &[], false);
    assert_eq!(
        sim.spawn_count("j", Main),
        1,
        "the consumed match was reset"
    );
}

#[test]
fn partial_match_made_while_running_is_kept_for_later() {
    let mut sim = Sim::new(&[("j", "start on a and b\nexec sleep 1000\n")]);
    sim.emit("a", &[], false);
    sim.emit("b", &[], false);
    sim.emit("a", &[], false);
    sim.stop("j", &[], true);
    sim.emit("b", &[], false);
    assert_eq!(sim.spawn_count("j", Main), 2);
}

#[test]
fn a_and_b_or_c_runs_again_on_a_and_c() {
    let mut sim = Sim::new(&[("j", "start on a and (b or c)\nexec sleep 1000\n")]);
    sim.emit("a", &[], false);
    sim.emit("b", &[], false);
    assert_eq!(sim.spawn_count("j", Main), 1);
    sim.stop("j", &[], true);
    sim.emit("a", &[], false);
    sim.emit("c", &[], false);
    assert_eq!(sim.spawn_count("j", Main), 2);
}

#[test]
fn event_matching_stop_on_and_start_on_restarts_with_the_new_env() {
    let mut sim = Sim::new(&[(
        "rc",
        "start on runlevel [2345]\nstop on runlevel [!$RUNLEVEL]\nexec /etc/init.d/rc $RUNLEVEL\n",
    )]);
    let boot = sim.emit("runlevel", &[("RUNLEVEL", "2"), ("PREVLEVEL", "N")], true);
    assert_eq!(sim.answer(boot), "ok");
    let first = sim.pid("rc", Main);
    assert_eq!(
        sim.env_of(first),
        [
            PATH,
            TERM,
            "RUNLEVEL=2",
            "PREVLEVEL=N",
            "UPSTART_EVENTS=runlevel",
            "UPSTART_JOB=rc",
            "UPSTART_INSTANCE="
        ]
    );

    let same = sim.emit("runlevel", &[("RUNLEVEL", "2"), ("PREVLEVEL", "2")], true);
    assert_eq!(sim.answer(same), "ok");
    assert!(sim.group_signals(first).is_empty(), "[!2] does not match 2");
    assert_eq!(sim.spawn_count("rc", Main), 1);

    let change = sim.emit("runlevel", &[("RUNLEVEL", "3"), ("PREVLEVEL", "2")], true);
    assert_eq!(sim.group_signals(first), [libc::SIGTERM]);
    let second = sim.pid("rc", Main);
    assert_eq!(
        sim.env_of(second),
        [
            PATH,
            TERM,
            "RUNLEVEL=3",
            "PREVLEVEL=2",
            "UPSTART_EVENTS=runlevel",
            "UPSTART_JOB=rc",
            "UPSTART_INSTANCE="
        ]
    );
    assert_eq!(sim.answer(change), "ok");
    assert_eq!(sim.count_events("stopped rc"), 0, "restarted, not stopped");

    let halt = sim.emit("runlevel", &[("RUNLEVEL", "0"), ("PREVLEVEL", "3")], true);
    assert_eq!(sim.group_signals(second), [libc::SIGTERM]);
    assert_eq!(sim.answer(halt), "ok");
    assert_eq!(sim.status_line("rc"), "rc stop/waiting");
    assert_eq!(sim.spawn_count("rc", Main), 2);
}

#[test]
fn start_on_value_expands_variables_from_the_env_stanzas() {
    let mut sim = Sim::new(&[
        ("j", "env WANT=abc\nstart on foo V=$WANT\nexec sleep 1000\n"),
        ("k", "start on foo V=$NOPE\nexec sleep 1000\n"),
    ]);
    sim.emit("foo", &[("V", "xyz")], true);
    assert_eq!(sim.spawn_count("j", Main), 0);
    sim.emit("foo", &[("V", "abc")], true);
    assert_eq!(sim.spawn_count("j", Main), 1);

    sim.emit("foo", &[("V", "$NOPE")], true);
    assert_eq!(
        sim.spawn_count("k", Main),
        0,
        "an unknown variable matches nothing"
    );
}

#[test]
fn stop_on_value_expands_variables_from_the_instance_env() {
    let mut sim = Sim::new(&[("j", "stop on bar V=$K\nexec sleep 1000\n")]);
    sim.start("j", &[("K", "mine")], true);
    let main = sim.pid("j", Main);
    sim.emit("bar", &[("V", "other")], true);
    assert!(sim.group_signals(main).is_empty());
    sim.emit("bar", &[("V", "mine")], true);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM]);
}

#[test]
fn job_starting_on_any_stopped_event_restarts_itself() {
    let mut sim = Sim::new(&[("loop", "start on stopped\ntask\nexec true\n")]);
    sim.auto_exit("loop", Main, 0).allow_runaway(300);
    sim.start("loop", &[], false);
    assert!(
        sim.spawn_count("loop", Main) >= 3,
        "ran {} times",
        sim.spawn_count("loop", Main)
    );
}

/// Issue 11.3: a job whose own events start and stop it, with no process to wait for.
const SELF_LOOP: &str = "start on stopped a or startup\nstop on started a\n";

#[test]
fn a_loop_of_events_without_processes_is_cut_into_bounded_slices() {
    let mut sim = Sim::new(&[("a", SELF_LOOP)]);
    let event = Event::new("startup", env(&[]));
    let mut warnings = Vec::new();
    let mut effects = sim.handle_once(Fact::Emit {
        event,
        client: None,
    });
    // Every call returns, however long the loop: the daemon serves its socket in between.
    for _ in 0..200 {
        assert!(sim.busy(), "the loop goes on");
        for effect in &effects {
            if let Effect::Log { level, message } = effect {
                if *level >= LogPriority::Warn {
                    warnings.push(message.clone());
                }
            }
        }
        let finished = effects
            .iter()
            .filter(|e| matches!(e, Effect::EventFinished { .. }))
            .count();
        assert!(finished <= kindling::engine::STEPS_PER_FACT, "{finished}");
        effects = sim.handle_once(Fact::Continue);
    }
    assert_eq!(
        warnings,
        [
            "a is looping: started 100 times by events without waiting for a process; check \
          its start on and stop on conditions"
        ],
    );
}

#[test]
fn stop_command_ends_a_jobs_loop_of_its_own_events() {
    let mut sim = Sim::new(&[("a", SELF_LOOP)]);
    sim.allow_runaway(50);
    sim.emit("startup", &[], false);
    assert!(sim.ran_away && sim.busy());
    // Whatever the moment (goal start, or a `stop on` already there first), the admin's
    // stop sticks: the `stopped` event it ends with does not start the job again.
    sim.handle_once(Fact::Continue);
    sim.stop("a", &[], false);
    sim.ran_away = false;
    sim.emit("unrelated", &[], false);
    assert!(!sim.ran_away && !sim.busy(), "the loop ended");
    assert_eq!(sim.status_line("a"), "a stop/waiting");
    // Only that one event is spared: another `stopped a` starts the loop again.
    sim.emit("stopped", &[("JOB", "a")], false);
    assert!(sim.ran_away);
}

// ----- job event environments -----

#[test]
fn job_events_carry_job_and_instance_then_exported_variables() {
    let mut sim = Sim::new(&[("e", "env FOO=bar\nexport FOO\nexec sleep 1000\n")]);
    sim.start("e", &[], true);
    sim.stop("e", &[], true);
    assert_eq!(sim.event_env("starting e"), "JOB=e INSTANCE= FOO=bar");
    assert_eq!(sim.event_env("started e"), "JOB=e INSTANCE= FOO=bar");
    assert_eq!(
        sim.event_env("stopping e"),
        "JOB=e INSTANCE= RESULT=ok FOO=bar"
    );
    assert_eq!(
        sim.event_env("stopped e"),
        "JOB=e INSTANCE= RESULT=ok FOO=bar"
    );
}

#[test]
fn exported_variables_follow_the_failure_fields() {
    let mut sim = Sim::new(&[("e", "env FOO=bar\nexport FOO\nexec sleep 1000\n")]);
    sim.start("e", &[], true);
    let main = sim.pid("e", Main);
    sim.kill_by_signal(main, libc::SIGSEGV);
    assert_eq!(
        sim.event_env("stopped e"),
        "JOB=e INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=SEGV FOO=bar"
    );
}

// ----- the environment of job processes -----

#[test]
fn env_stanza_is_a_default_the_start_command_overrides_in_place() {
    let mut sim = Sim::new(&[("e", "env FOO=default\nexec sleep 1000\n")]);
    sim.start("e", &[], true);
    assert_eq!(
        sim.last_env("e", Main),
        [
            PATH,
            TERM,
            "FOO=default",
            "UPSTART_JOB=e",
            "UPSTART_INSTANCE="
        ]
    );
    sim.stop("e", &[], true);
    sim.start("e", &[("FOO", "cmd"), ("BAR", "x")], true);
    assert_eq!(
        sim.last_env("e", Main),
        [
            PATH,
            TERM,
            "FOO=cmd",
            "BAR=x",
            "UPSTART_JOB=e",
            "UPSTART_INSTANCE="
        ]
    );
}

#[test]
fn event_env_overrides_env_stanza_and_upstart_events_names_the_event() {
    let mut sim = Sim::new(&[("e", "env FOO=default\nstart on foo\nexec sleep 1000\n")]);
    sim.emit("foo", &[("FOO", "event")], true);
    assert_eq!(
        sim.last_env("e", Main),
        [
            PATH,
            TERM,
            "FOO=event",
            "UPSTART_EVENTS=foo",
            "UPSTART_JOB=e",
            "UPSTART_INSTANCE="
        ]
    );
}

#[test]
fn upstart_events_lists_the_contributing_events_in_tree_order() {
    let mut sim = Sim::new(&[("j", "start on a and b\nexec sleep 1000\n")]);
    sim.emit("b", &[("B", "2")], false);
    sim.emit("a", &[("A", "1")], false);
    assert_eq!(
        sim.last_env("j", Main),
        [
            PATH,
            TERM,
            "A=1",
            "B=2",
            "UPSTART_EVENTS=a b",
            "UPSTART_JOB=j",
            "UPSTART_INSTANCE="
        ]
    );
}

#[test]
fn pre_stop_and_post_stop_see_the_stop_event_env_and_upstart_stop_events() {
    let mut sim = Sim::new(&[(
        "s",
        "stop on bar\nexec sleep 1000\npre-stop exec true\npost-stop exec true\n",
    )]);
    sim.hooks_exit(0);
    sim.start("s", &[], true);
    let main = sim.pid("s", Main);
    sim.emit("bar", &[("WHY", "x")], true);
    let stop_env = [
        PATH,
        TERM,
        "WHY=x",
        "UPSTART_STOP_EVENTS=bar",
        "UPSTART_JOB=s",
        "UPSTART_INSTANCE=",
    ];
    assert_eq!(sim.last_env("s", PreStop), stop_env);
    assert_eq!(sim.last_env("s", PostStop), stop_env);
    assert_eq!(
        sim.env_of(main),
        [PATH, TERM, "UPSTART_JOB=s", "UPSTART_INSTANCE="]
    );
}

#[test]
fn stop_command_env_reaches_pre_stop_without_upstart_stop_events() {
    let mut sim = Sim::new(&[(
        "s",
        "exec sleep 1000\npre-stop exec true\npost-stop exec true\n",
    )]);
    sim.hooks_exit(0);
    sim.start("s", &[], true);
    sim.stop("s", &[("WHY", "cmd")], true);
    let stop_env = [PATH, TERM, "WHY=cmd", "UPSTART_JOB=s", "UPSTART_INSTANCE="];
    assert_eq!(sim.last_env("s", PreStop), stop_env);
    assert_eq!(sim.last_env("s", PostStop), stop_env);
}

#[test]
fn main_ending_by_itself_skips_pre_stop_and_post_stop_gets_no_stop_env() {
    let mut sim = Sim::new(&[("s", "exec work\npre-stop exec true\npost-stop exec true\n")]);
    sim.hooks_exit(0);
    sim.start("s", &[("K", "v")], true);
    sim.exit_process("s", Main, 0);
    assert_eq!(sim.spawn_count("s", PreStop), 0);
    assert_eq!(
        sim.last_env("s", PostStop),
        [PATH, TERM, "K=v", "UPSTART_JOB=s", "UPSTART_INSTANCE="]
    );
}

#[test]
fn bare_env_key_copies_from_init_env_and_env_replaces_in_place() {
    let mut config = default_config();
    config.init_env.set("LANG", "C.UTF-8");
    let mut sim = Sim::with_config(
        &[(
            "e",
            "env LANG\nenv MISSING\nenv TERM=vt100\nenv FOO=1\nexec sleep 1000\n",
        )],
        config,
    );
    sim.start("e", &[], true);
    assert_eq!(
        sim.last_env("e", Main),
        [
            PATH,
            "TERM=vt100",
            "LANG=C.UTF-8",
            "FOO=1",
            "UPSTART_JOB=e",
            "UPSTART_INSTANCE="
        ]
    );
}
