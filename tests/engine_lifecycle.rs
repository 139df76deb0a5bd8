//! The state machine seen from outside: what each command does, the status line in each
//! state, the hooks, killing (upstart.md §2.2–§2.3, §2.8, §4.3), `expect` (§2.7), restart and
//! the pre-start/pre-stop interplay (§2.9) with kindling's decisions (decisions.md).

mod engine_sim;

use engine_sim::*;
use kindling::engine::Reply;

const SVC: (&str, &str) = ("svc", "exec sleep 1000\n");

// ----- states, status lines, job events -----

#[test]
fn service_emits_starting_started_stopping_stopped_with_job_env() {
    let mut sim = Sim::new(&[SVC]);
    sim.start("svc", &[], true);
    sim.stop("svc", &[], true);
    assert_eq!(
        sim.job_events("svc"),
        ["starting", "started", "stopping", "stopped"]
    );
    assert_eq!(sim.event_env("starting svc"), "JOB=svc INSTANCE=");
    assert_eq!(sim.event_env("started svc"), "JOB=svc INSTANCE=");
    assert_eq!(sim.event_env("stopping svc"), "JOB=svc INSTANCE= RESULT=ok");
    assert_eq!(sim.event_env("stopped svc"), "JOB=svc INSTANCE= RESULT=ok");
}

#[test]
fn start_waits_through_pre_start_and_post_start_and_status_names_them() {
    let mut sim = Sim::new(&[(
        "m",
        "pre-start exec true\nexec sleep 1000\npost-start exec sleep 1\n",
    )]);
    let start = sim.start("m", &[], true);
    let pre = sim.pid("m", PreStart);
    assert_eq!(
        sim.status_line("m"),
        format!("m start/pre-start, process {pre}")
    );
    assert_eq!(sim.spawn_count("m", Main), 0, "main waits for pre-start");

    sim.exit(pre, 0);
    let (main, post) = (sim.pid("m", Main), sim.pid("m", PostStart));
    assert_eq!(
        sim.status_line("m"),
        format!("m start/post-start, process {main}\n\tpost-start process {post}")
    );
    assert_eq!(sim.answer(start), "(no reply)");
    assert_eq!(
        sim.job_events("m"),
        ["starting"],
        "started waits for post-start"
    );

    sim.exit(post, 0);
    assert_eq!(
        sim.answer(start),
        format!("m start/running, process {main}")
    );
    assert_eq!(sim.job_events("m"), ["starting", "started"]);
}

#[test]
fn post_start_of_a_job_without_main_is_shown_in_parentheses() {
    let mut sim = Sim::new(&[("po", "post-start exec sleep 1\n")]);
    sim.start("po", &[], false);
    let post = sim.pid("po", PostStart);
    assert_eq!(
        sim.status_line("po"),
        format!("po start/post-start, (post-start) process {post}")
    );
}

#[test]
fn stop_runs_pre_stop_before_the_stopping_event_and_the_kill() {
    let mut sim = Sim::new(&[("pst", "exec sleep 1000\npre-stop exec sleep 1\n")]);
    sim.start("pst", &[], true);
    let main = sim.pid("pst", Main);
    let stop = sim.stop("pst", &[], true);
    let pre_stop = sim.pid("pst", PreStop);
    assert_eq!(
        sim.status_line("pst"),
        format!("pst stop/pre-stop, process {main}\n\tpre-stop process {pre_stop}")
    );
    assert_eq!(sim.job_events("pst"), ["starting", "started"]);
    assert!(sim.group_signals(main).is_empty());

    sim.exit(pre_stop, 0);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM]);
    assert_eq!(sim.answer(stop), "pst stop/waiting");
    assert_eq!(
        sim.job_events("pst"),
        ["starting", "started", "stopping", "stopped"]
    );
}

#[test]
fn job_without_main_process_runs_until_stopped_and_shows_post_stop() {
    let mut sim = Sim::new(&[("nomain", "post-stop exec sleep 1\n")]);
    let start = sim.start("nomain", &[], true);
    assert_eq!(sim.answer(start), "nomain start/running");
    assert_eq!(sim.status_line("nomain"), "nomain start/running");

    sim.stop("nomain", &[], false);
    let post = sim.pid("nomain", PostStop);
    assert_eq!(
        sim.status_line("nomain"),
        format!("nomain stop/post-stop, process {post}")
    );
    sim.exit(post, 0);
    assert_eq!(sim.status_line("nomain"), "nomain stop/waiting");
}

#[test]
fn start_and_stop_without_wait_answer_at_once() {
    let mut sim = Sim::new(&[("slow", "pre-start exec sleep 1\nexec sleep 1000\n")]);
    sim.stubborn("slow");
    let start = sim.start("slow", &[], false);
    assert!(
        sim.answer(start).starts_with("slow start/"),
        "{}",
        sim.answer(start)
    );
    sim.exit_process("slow", PreStart, 0);

    let stop = sim.stop("slow", &[], false);
    assert!(
        sim.answer(stop).starts_with("slow stop/"),
        "{}",
        sim.answer(stop)
    );
    let main = sim.pid("slow", Main);
    assert_eq!(
        sim.status_line("slow"),
        format!("slow stop/killed, process {main}")
    );
}

#[test]
fn stop_of_an_instance_already_stopping_is_already_stopped() {
    let mut sim = Sim::new(&[("slow", "exec sleep 1000\n")]);
    sim.stubborn("slow");
    sim.start("slow", &[], true);
    sim.stop("slow", &[], false);
    let again = sim.stop("slow", &[], true);
    assert_eq!(
        sim.answer(again),
        "error: Job has already been stopped: slow"
    );
}

#[test]
fn list_shows_idle_classes_as_stop_waiting_and_instances_with_state() {
    let mut sim = Sim::new(&[SVC, ("idle", "exec sleep 1\n")]);
    sim.start("svc", &[], true);
    let main = sim.pid("svc", Main);
    assert_eq!(
        sim.list_lines(),
        [
            "idle stop/waiting".to_string(),
            format!("svc start/running, process {main}")
        ]
    );
}

// ----- normal ends and failures of the processes -----

#[test]
fn service_main_exit_zero_without_respawn_stops_with_result_ok() {
    let mut sim = Sim::new(&[SVC]);
    sim.start("svc", &[], true);
    sim.exit_process("svc", Main, 0);
    assert_eq!(sim.status_line("svc"), "svc stop/waiting");
    assert_eq!(sim.event_env("stopped svc"), "JOB=svc INSTANCE= RESULT=ok");
}

#[test]
fn main_exit_status_is_reported_in_stopping_and_stopped() {
    let mut sim = Sim::new(&[SVC]);
    sim.start("svc", &[], true);
    sim.exit_process("svc", Main, 3);
    let failed = "JOB=svc INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=3";
    assert_eq!(sim.event_env("stopping svc"), failed);
    assert_eq!(sim.event_env("stopped svc"), failed);
}

#[test]
fn main_killed_by_a_signal_reports_the_signal_name() {
    let mut sim = Sim::new(&[SVC]);
    sim.start("svc", &[], true);
    let main = sim.pid("svc", Main);
    sim.kill_by_signal(main, libc::SIGSEGV);
    assert_eq!(
        sim.event_env("stopped svc"),
        "JOB=svc INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=SEGV"
    );
}

#[test]
fn pre_start_failure_skips_main_runs_post_stop_and_fails_the_start() {
    let mut sim = Sim::new(&[(
        "j",
        "pre-start exec false\nexec sleep 1000\npost-stop exec true\n",
    )]);
    sim.auto_exit("j", PreStart, 7).auto_exit("j", PostStop, 0);
    let start = sim.start("j", &[], true);
    assert_eq!(sim.answer(start), "error: Job failed to start");
    assert_eq!(sim.spawned(), ["j pre-start", "j post-stop"]);
    assert_eq!(
        sim.event_env("stopped j"),
        "JOB=j INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=7"
    );
}

#[test]
fn post_stop_failure_fails_the_stop() {
    let mut sim = Sim::new(&[("j", "exec sleep 1000\npost-stop exec false\n")]);
    sim.auto_exit("j", PostStop, 1);
    sim.start("j", &[], true);
    let stop = sim.stop("j", &[], true);
    assert_eq!(sim.answer(stop), "error: Job failed while stopping");
    assert_eq!(
        sim.event_env("stopped j"),
        "JOB=j INSTANCE= RESULT=failed PROCESS=post-stop EXIT_STATUS=1"
    );
}

#[test]
fn post_start_and_pre_stop_failures_are_ignored() {
    let mut sim = Sim::new(&[(
        "j",
        "exec sleep 1000\npost-start exec false\npre-stop exec false\n",
    )]);
    sim.hooks_exit(1);
    let start = sim.start("j", &[], true);
    let main = sim.pid("j", Main);
    assert_eq!(
        sim.answer(start),
        format!("j start/running, process {main}")
    );
    let stop = sim.stop("j", &[], true);
    assert_eq!(sim.answer(stop), "j stop/waiting");
    assert_eq!(sim.event_env("stopped j"), "JOB=j INSTANCE= RESULT=ok");
}

#[test]
fn main_spawn_failure_fails_the_job_without_exit_fields() {
    let mut sim = Sim::new(&[("j", "exec /nonexistent\n")]);
    sim.fail_spawn("j", Main, "unable to execute: No such file or directory");
    let start = sim.start("j", &[], true);
    assert_eq!(sim.answer(start), "error: Job failed to start");
    assert_eq!(
        sim.event_env("stopped j"),
        "JOB=j INSTANCE= RESULT=failed PROCESS=main"
    );
    assert_eq!(sim.status_line("j"), "j stop/waiting");
}

#[test]
fn pre_start_spawn_failure_fails_the_job_and_main_never_runs() {
    let mut sim = Sim::new(&[("j", "pre-start exec /nonexistent\nexec sleep 1000\n")]);
    sim.fail_spawn(
        "j",
        PreStart,
        "unable to execute: No such file or directory",
    );
    let start = sim.start("j", &[], true);
    assert_eq!(sim.answer(start), "error: Job failed to start");
    assert_eq!(sim.spawn_count("j", Main), 0);
    assert_eq!(
        sim.event_env("stopped j"),
        "JOB=j INSTANCE= RESULT=failed PROCESS=pre-start"
    );
}

/// Issue 11.2: the child forked, then could not exec. The job was never running: no
/// `started`, `start` fails, `stopped` has no exit fields.
#[test]
fn a_child_that_fails_before_exec_never_makes_the_job_running() {
    for kind in [Main, PreStart] {
        let mut sim = Sim::new(&[("j", "pre-start exec /nonexistent/pre\nexec /nonexistent\n")]);
        sim.hooks_exit(0);
        sim.fail_in_child("j", kind, "unable to execute: No such file or directory");
        let start = sim.start("j", &[], true);
        assert_eq!(sim.answer(start), "error: Job failed to start", "{kind}");
        assert_eq!(sim.count_events("started j"), 0, "{kind}");
        assert_eq!(
            sim.event_env("stopped j"),
            format!("JOB=j INSTANCE= RESULT=failed PROCESS={kind}")
        );
        assert_eq!(sim.status_line("j"), "j stop/waiting");
    }
}

#[test]
fn main_dying_in_stopping_before_the_kill_is_not_a_failure() {
    let mut sim = Sim::new(&[
        ("a", "exec sleep 1000\n"),
        ("c", "start on stopping a\ntask\nexec sleep 1\n"),
    ]);
    sim.start("a", &[], true);
    let main = sim.pid("a", Main);
    sim.stop("a", &[], false);
    assert_eq!(sim.goal_state("a").as_deref(), Some("stop/stopping"));
    sim.exit(main, 1);
    sim.exit_process("c", Main, 0);
    assert!(sim.group_signals(main).is_empty(), "nothing left to kill");
    assert_eq!(sim.event_env("stopped a"), "JOB=a INSTANCE= RESULT=ok");
}

// ----- killing -----

#[test]
fn kill_signal_stanza_chooses_the_signal_sent_to_the_process_group() {
    let mut sim = Sim::new(&[("j", "kill signal INT\nexec sleep 1000\n")]);
    sim.start("j", &[], true);
    let main = sim.pid("j", Main);
    let stop = sim.stop("j", &[], true);
    assert_eq!(sim.group_signals(main), [libc::SIGINT]);
    assert_eq!(sim.answer(stop), "j stop/waiting");
    assert_eq!(
        sim.event_env("stopped j"),
        "JOB=j INSTANCE= RESULT=ok",
        "dying of the kill signal in killed is not a failure"
    );
}

#[test]
fn kill_timeout_sends_sigkill_to_the_group_and_is_not_a_failure() {
    let mut sim = Sim::new(&[("slow", "kill timeout 2\nexec sleep 1000\n")]);
    sim.stubborn("slow");
    sim.start("slow", &[], true);
    let main = sim.pid("slow", Main);
    let stop = sim.stop("slow", &[], true);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM]);

    sim.advance(1999);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM]);
    assert_eq!(sim.answer(stop), "(no reply)");

    sim.advance(1);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM, libc::SIGKILL]);
    assert_eq!(sim.answer(stop), "slow stop/waiting");
    assert_eq!(
        sim.event_env("stopped slow"),
        "JOB=slow INSTANCE= RESULT=ok"
    );
}

#[test]
fn default_kill_timeout_is_five_seconds() {
    let mut sim = Sim::new(&[("slow", "exec sleep 1000\n")]);
    sim.stubborn("slow");
    sim.start("slow", &[], true);
    let main = sim.pid("slow", Main);
    sim.stop("slow", &[], false);
    sim.advance(4999);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM]);
    sim.advance(1);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM, libc::SIGKILL]);
}

#[test]
fn no_sigkill_once_main_died_of_the_kill_signal() {
    let mut sim = Sim::new(&[SVC]);
    sim.start("svc", &[], true);
    let main = sim.pid("svc", Main);
    sim.stop("svc", &[], true);
    sim.advance(10_000);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM]);
}

// ----- expect -----

#[test]
fn expect_fork_waits_in_spawned_then_follows_the_child() {
    let mut sim = Sim::new(&[("d", "expect fork\nexec food\n")]);
    let start = sim.start("d", &[], true);
    let parent = sim.pid("d", Main);
    assert_eq!(
        sim.status_line("d"),
        format!("d start/spawned, process {parent}")
    );
    assert_eq!(sim.answer(start), "(no reply)");

    let child = sim.fork(parent);
    assert!(sim.detached().contains(&child), "the child runs untraced");
    assert_eq!(
        sim.answer(start),
        format!("d start/running, process {child}")
    );

    sim.exit(parent, 0);
    assert_eq!(
        sim.status_line("d"),
        format!("d start/running, process {child}"),
        "the parent's exit is not the job's"
    );
    let stop = sim.stop("d", &[], true);
    assert_eq!(sim.group_signals(child), [libc::SIGTERM]);
    assert_eq!(sim.answer(stop), "d stop/waiting");
}

#[test]
fn expect_daemon_follows_two_forks() {
    let mut sim = Sim::new(&[("d", "expect daemon\nexec food\n")]);
    let start = sim.start("d", &[], true);
    let parent = sim.pid("d", Main);
    let first = sim.fork(parent);
    sim.exit(parent, 0);
    assert_eq!(
        sim.status_line("d"),
        format!("d start/spawned, process {first}")
    );
    assert_eq!(sim.answer(start), "(no reply)");

    let daemon = sim.fork(first);
    sim.exit(first, 0);
    assert_eq!(
        sim.answer(start),
        format!("d start/running, process {daemon}")
    );
    assert_eq!(
        sim.status_line("d"),
        format!("d start/running, process {daemon}")
    );
}

#[test]
fn expect_stop_continues_the_process_after_its_sigstop() {
    let mut sim = Sim::new(&[("s", "expect stop\nexec food\n")]);
    let start = sim.start("s", &[], true);
    let main = sim.pid("s", Main);
    assert_eq!(
        sim.status_line("s"),
        format!("s start/spawned, process {main}")
    );
    assert!(sim.signals(main).is_empty());

    sim.raise_sigstop(main);
    assert_eq!(sim.signals(main), [libc::SIGCONT]);
    assert_eq!(
        sim.answer(start),
        format!("s start/running, process {main}")
    );
}

#[test]
fn stop_of_a_wrongly_guessed_expect_fork_still_reaches_waiting() {
    let mut sim = Sim::new(&[("nofork", "expect fork\nexec sleep 1000\n")]);
    sim.start("nofork", &[], false);
    let main = sim.pid("nofork", Main);
    assert_eq!(
        sim.status_line("nofork"),
        format!("nofork start/spawned, process {main}")
    );
    let stop = sim.stop("nofork", &[], true);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM]);
    assert_eq!(sim.answer(stop), "nofork stop/waiting");
}

#[test]
fn stop_of_a_wrongly_guessed_expect_stop_kills_after_the_timeout() {
    let mut sim = Sim::new(&[("nostop", "expect stop\nkill timeout 1\nexec sleep 1000\n")]);
    sim.stubborn("nostop");
    sim.start("nostop", &[], false);
    let main = sim.pid("nostop", Main);
    let stop = sim.stop("nostop", &[], true);
    sim.advance(1000);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM, libc::SIGKILL]);
    assert_eq!(sim.answer(stop), "nostop stop/waiting");
}

// ----- restart -----

#[test]
fn restart_gives_a_new_main_process_and_no_stopped_event() {
    let mut sim = Sim::new(&[SVC]);
    sim.start("svc", &[], true);
    let old = sim.pid("svc", Main);
    let restart = sim.restart("svc", &[], true);
    let new = sim.pid("svc", Main);
    assert_ne!(old, new);
    assert_eq!(sim.group_signals(old), [libc::SIGTERM]);
    assert_eq!(
        sim.answer(restart),
        format!("svc start/running, process {new}")
    );
    assert_eq!(
        sim.job_events("svc"),
        ["starting", "started", "stopping", "starting", "started"]
    );
    assert_eq!(sim.event_env("stopping svc"), "JOB=svc INSTANCE= RESULT=ok");
}

#[test]
fn restart_of_a_job_with_pre_stop_really_restarts() {
    let mut sim = Sim::new(&[(
        "j",
        "\
pre-start exec true
exec sleep 1000
pre-stop exec true
post-stop exec true
",
    )]);
    sim.hooks_exit(0);
    sim.start("j", &[], true);
    let old = sim.pid("j", Main);
    let restart = sim.restart("j", &[], true);
    let new = sim.pid("j", Main);
    assert_ne!(old, new, "pre-stop alone is not a restart");
    assert_eq!(
        sim.spawned(),
        [
            "j pre-start",
            "j main",
            "j pre-stop",
            "j post-stop",
            "j pre-start",
            "j main"
        ]
    );
    assert_eq!(
        sim.answer(restart),
        format!("j start/running, process {new}")
    );
    assert_eq!(
        sim.job_events("j"),
        ["starting", "started", "stopping", "starting", "started"],
        "never through waiting"
    );
}

#[test]
fn restart_keeps_the_definition_it_was_started_with() {
    let mut sim = Sim::new(&[("v", "exec sleep 1\n")]);
    sim.start("v", &[], true);
    sim.reconfigure(&[("v", "exec sleep 2\n")]);

    sim.restart("v", &[], true);
    let restarted = sim.pid("v", Main);
    assert_eq!(sim.process(restarted).command, "sleep 1");

    sim.stop("v", &[], true);
    sim.start("v", &[], true);
    let fresh = sim.pid("v", Main);
    assert_eq!(sim.process(fresh).command, "sleep 2");
}

#[test]
fn restart_with_env_replaces_the_start_env() {
    let mut sim = Sim::new(&[SVC]);
    sim.start("svc", &[("K", "1")], true);
    sim.restart("svc", &[("K", "2")], true);
    let main = sim.pid("svc", Main);
    assert_eq!(
        sim.env_of(main),
        [PATH, TERM, "K=2", "UPSTART_JOB=svc", "UPSTART_INSTANCE="]
    );
}

#[test]
fn failed_restart_answers_job_failed_to_restart() {
    let mut sim = Sim::new(&[("j", "pre-start exec check\nexec sleep 1000\n")]);
    sim.start("j", &[], true);
    sim.exit_process("j", PreStart, 0);
    let restart = sim.restart("j", &[], true);
    sim.exit_process("j", PreStart, 1);
    assert_eq!(sim.answer(restart), "error: Job failed to restart");
}

#[test]
fn restart_is_not_counted_by_the_respawn_limit() {
    let mut sim = Sim::new(&[("r", "respawn\nrespawn limit 1 100\nexec sleep 1000\n")]);
    sim.start("r", &[], true);
    for _ in 0..3 {
        let restart = sim.restart("r", &[], true);
        let main = sim.pid("r", Main);
        assert_eq!(
            sim.answer(restart),
            format!("r start/running, process {main}")
        );
    }
    assert_eq!(sim.spawn_count("r", Main), 4);
}

// ----- pre-start / pre-stop interplay (`start`/`stop` issued by the hook itself) -----

#[test]
fn stop_inside_pre_start_cancels_the_start_and_main_never_runs() {
    let mut sim = Sim::new(&[(
        "j",
        "pre-start exec sleep 1\nexec sleep 1000\npost-stop exec true\n",
    )]);
    sim.auto_exit("j", PostStop, 0);
    let start = sim.start("j", &[], true);
    let pre = sim.pid("j", PreStart);

    sim.stop("j", &[], false);
    assert_eq!(
        sim.answer(start),
        format!("j stop/pre-start, process {pre}"),
        "the start caller is released with success"
    );

    sim.exit(pre, 0);
    assert_eq!(sim.spawned(), ["j pre-start", "j post-stop"]);
    assert_eq!(sim.event_env("stopped j"), "JOB=j INSTANCE= RESULT=ok");
    assert_eq!(sim.status_line("j"), "j stop/waiting");
}

#[test]
fn start_inside_pre_stop_cancels_the_stop_and_keeps_main() {
    let mut sim = Sim::new(&[("j", "exec sleep 1000\npre-stop exec sleep 1\n")]);
    sim.start("j", &[], true);
    let main = sim.pid("j", Main);
    let stop = sim.stop("j", &[], true);
    let pre_stop = sim.pid("j", PreStop);

    let start = sim.start("j", &[], false);
    // The start from inside pre-stop is answered at once (it must never wait on itself)…
    assert!(
        sim.answer(start).starts_with("j start/pre-stop"),
        "{}",
        sim.answer(stop)
    );
    // …the waiting stop once the job is back to running (upstart.md §2.9).
    assert_eq!(sim.answer(stop), "(no reply)");
    sim.exit(pre_stop, 0);
    assert_eq!(sim.answer(stop), format!("j start/running, process {main}"));
    assert!(sim.group_signals(main).is_empty());
    assert_eq!(sim.job_events("j"), ["starting", "started"]);
    assert_eq!(
        sim.status_line("j"),
        format!("j start/running, process {main}")
    );
}

#[test]
fn start_while_killed_finishes_stopping_then_starts_without_stopped() {
    let mut sim = Sim::new(&[("slow", "kill timeout 1\nexec sleep 1000\n")]);
    sim.stubborn("slow");
    sim.start("slow", &[], true);
    let old = sim.pid("slow", Main);
    sim.stop("slow", &[], false);
    assert_eq!(
        sim.status_line("slow"),
        format!("slow stop/killed, process {old}")
    );

    let start = sim.start("slow", &[], true);
    assert_eq!(sim.answer(start), "(no reply)");
    sim.advance(1000);
    let new = sim.pid("slow", Main);
    assert_ne!(old, new);
    assert_eq!(
        sim.answer(start),
        format!("slow start/running, process {new}")
    );
    assert_eq!(
        sim.job_events("slow"),
        ["starting", "started", "stopping", "starting", "started"]
    );
}

// ----- reload -----

#[test]
fn reload_sends_the_reload_signal_to_main_alone() {
    let mut sim = Sim::new(&[SVC, ("u", "reload signal USR1\nexec sleep 1000\n")]);
    sim.start("svc", &[], true);
    sim.start("u", &[], true);
    let (svc, u) = (sim.pid("svc", Main), sim.pid("u", Main));

    let reload = sim.reload("svc", &[]);
    assert!(matches!(sim.reply(reload), Some(Reply::Status(_))));
    sim.reload("u", &[]);
    assert_eq!(sim.signals(svc), [libc::SIGHUP]);
    assert_eq!(sim.signals(u), [libc::SIGUSR1]);
    assert!(sim.group_signals(svc).is_empty() && sim.group_signals(u).is_empty());
    assert_eq!(sim.goal_state("svc").as_deref(), Some("start/running"));
}

#[test]
fn reload_without_a_main_process_or_instance_is_an_error() {
    let mut sim = Sim::new(&[SVC, ("nomain", "post-stop exec true\n")]);
    sim.start("nomain", &[], true);
    let reload = sim.reload("nomain", &[]);
    assert_eq!(sim.answer(reload), "error: Job is not running: nomain");
    let reload = sim.reload("svc", &[]);
    assert_eq!(sim.answer(reload), "error: Unknown instance: ");
}

#[test]
fn a_job_removed_while_running_and_put_back_unchanged_starts_on_its_events_again() {
    let job = ("j", "start on foo\nexec sleep 1\n");
    let mut sim = Sim::new(&[job]);
    sim.emit("foo", &[], false);
    assert_eq!(sim.spawn_count("j", Main), 1);
    sim.reconfigure(&[]);
    sim.reconfigure(&[job]);
    sim.stop("j", &[], true);
    sim.emit("foo", &[], false);
    assert_eq!(sim.spawn_count("j", Main), 2, "start on foo works again");
}
