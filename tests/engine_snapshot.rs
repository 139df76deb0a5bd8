//! The engine's state survives a save/restore (what a stateful re-exec does): instances,
//! partial matches holding events, waiting clients and kill timers carry on.

mod engine_sim;

use engine_sim::*;
use kindling::engine::Engine;
use kindling::job::ProcessKind::Main;

/// Swaps the simulator's engine for one rebuilt from its saved state, checking that saving
/// the rebuilt engine gives the same text.
fn reexec(sim: &mut Sim) {
    let saved = sim.engine.save();
    let restored = match Engine::restore(default_config(), &saved) {
        Ok(engine) => engine,
        Err(error) => panic!("restore failed: {error}\n{saved}"),
    };
    assert_eq!(restored.save(), saved, "save ∘ restore is the identity");
    sim.engine = restored;
}

#[test]
fn half_matched_and_condition_fires_after_the_reexec() {
    let mut sim = Sim::new(&[("ab", "start on a and b\ntask\nexec true\n")]);
    let a = sim.emit("a", &[("X", "1")], true);
    reexec(&mut sim);
    let b = sim.emit("b", &[], true);
    assert_eq!(
        sim.spawn_count("ab", Main),
        1,
        "B completes the match made before"
    );
    sim.exit_process("ab", Main, 0);
    assert_eq!(sim.answer(a), "ok", "the client waiting on A is answered");
    assert_eq!(sim.answer(b), "ok");
    assert!(sim.last_env("ab", Main).contains(&"X=1".to_string()));
}

#[test]
fn running_services_and_instances_keep_their_pids_and_env() {
    let mut sim = Sim::new(&[
        ("svc", "exec sleep 1000\n"),
        (
            "w",
            "start on foo\nstop on bar X=$X\ninstance $X\nexec sleep 1000\n",
        ),
    ]);
    sim.start("svc", &[("K", "v")], true);
    sim.emit("foo", &[("X", "1")], false);
    sim.emit("foo", &[("X", "2")], false);
    let before = sim.list_lines();
    let svc = sim.pid("svc", Main);
    reexec(&mut sim);
    assert_eq!(sim.list_lines(), before);
    assert_eq!(
        sim.view("svc").map(|v| v.env.get("K").map(str::to_string)),
        Some(Some("v".into()))
    );
    sim.emit("bar", &[("X", "1")], true);
    assert!(
        sim.view("w (1)").is_none(),
        "stop on with the instance's $X still works"
    );
    assert!(sim.view("w (2)").is_some());
    sim.kill_by_signal(svc, libc::SIGSEGV);
    assert_eq!(
        sim.event_env("stopped svc"),
        "JOB=svc INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=SEGV"
    );
}

#[test]
fn a_waiting_stop_and_its_kill_timer_survive() {
    let mut sim = Sim::new(&[("slow", "kill timeout 2\nexec sleep 1000\n")]);
    sim.stubborn("slow");
    sim.start("slow", &[], true);
    let main = sim.pid("slow", Main);
    let stop = sim.stop("slow", &[], true);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM]);
    reexec(&mut sim);
    sim.advance(2_000);
    assert_eq!(sim.group_signals(main), [libc::SIGTERM, libc::SIGKILL]);
    assert_eq!(sim.answer(stop), "slow stop/waiting");
}

#[test]
fn an_edited_job_keeps_the_definition_its_instance_started_with() {
    let mut sim = Sim::new(&[("j", "env V=old\nexec sleep 1000\n")]);
    sim.start("j", &[], true);
    sim.reconfigure(&[("j", "env V=new\nexec sleep 2000\n")]);
    reexec(&mut sim);
    sim.restart("j", &[], true);
    assert!(
        sim.last_env("j", Main).contains(&"V=old".to_string()),
        "restart keeps the old definition"
    );
    sim.stop("j", &[], true);
    sim.start("j", &[], true);
    assert!(sim.last_env("j", Main).contains(&"V=new".to_string()));
}

#[test]
fn garbage_and_truncated_states_are_errors() {
    let mut sim = Sim::new(&[
        ("svc", "exec sleep 1000\n"),
        ("t", "start on a and b\ntask\nexec true\n"),
    ]);
    sim.start("svc", &[], true);
    sim.emit("a", &[], false);
    let saved = sim.engine.save();
    assert!(Engine::restore(default_config(), "").is_err());
    assert!(Engine::restore(default_config(), "hello world").is_err());
    assert!(Engine::restore(default_config(), "kindling-engine-state 99").is_err());
    for cut in (0..saved.len()).step_by(7) {
        if let Some(prefix) = saved.get(..cut) {
            // Any prefix either fails cleanly or (at a token boundary that ends a list) loads.
            let _ = Engine::restore(default_config(), prefix);
        }
    }
}

#[test]
fn every_corpus_job_survives_the_state_format() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/upstart-jobs");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut classes = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(job) = name.strip_suffix(".conf") else {
            continue;
        };
        let text =
            String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap_or_default()).into_owned();
        if let Ok(class) = kindling::job::parse_job(job, &text) {
            classes.push(class);
        }
    }
    assert!(classes.len() > 300, "corpus read: {} jobs", classes.len());
    let mut engine = Engine::new(default_config());
    engine.handle(0, kindling::engine::Fact::Configuration(classes));
    let restored =
        Engine::restore(default_config(), &engine.save()).unwrap_or_else(|e| panic!("{e}"));
    let before: Vec<_> = engine.classes().collect();
    let after: Vec<_> = restored.classes().collect();
    assert_eq!(before, after);
}

/// The daemon's rollback after a panic (issue 11): a clone taken before a fact keeps the
/// engine exactly as it was, whatever the original does afterwards, while the two share
/// their unchanged classes.
#[test]
fn a_clone_taken_before_facts_is_the_engine_as_it_was() {
    let mut sim = Sim::new(&[
        ("svc", "exec sleep 1000\n"),
        ("ab", "start on a and b\ntask\nexec true\n"),
        ("w", "start on foo\ninstance $X\nexec sleep 1000\n"),
        ("idle", "start on never-comes\nexec true\n"),
    ]);
    sim.start("svc", &[("K", "v")], true);
    sim.emit("a", &[("X", "1")], false);
    let svc = sim.pid("svc", Main);
    let saved = sim.engine.save();
    let before = sim.engine.clone();
    sim.emit("b", &[], false);
    sim.emit("foo", &[("X", "2")], false);
    sim.stop("svc", &[], false);
    sim.reconfigure(&[("svc", "exec sleep 2000\n")]);
    assert_ne!(sim.engine.save(), saved);
    assert_eq!(before.save(), saved, "the clone did not move");
    sim.engine = before;
    assert_eq!(sim.engine.save(), saved);
    // The world moved on in the simulator; the engine is back where it was.
    assert_eq!(
        sim.status_line("svc"),
        format!("svc start/running, process {svc}")
    );
}
