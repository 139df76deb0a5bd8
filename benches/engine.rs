//! Benchmark: 10,000 events through a 200-job configuration in the pure engine.
//!
//! 200 jobs with varied `start on` expressions (event names, env patterns, `and`/`or`), most
//! of which only ever match in part; a handful of tasks really start, and two services start
//! and stop. A tiny simulated world answers every `Effect::Spawn` with `Fact::Spawned` and `Fact::Execed` and,
//! for tasks, `Fact::Exited`, and every `Effect::KillGroup` with the process's death, so
//! each task runs to `stop/waiting` and emits its own job events. Goal: ≥ 100,000 events/s.
//! It runs a second time with the engine cloned before every fact, as the daemon does for
//! its rollback on a panic. `cargo bench --bench engine` measures; `cargo test --benches`
//! runs it once.

mod support;

use kindling::engine::{Effect, Engine, EngineConfig, ExitStatus, Fact, LogPriority, Millis, Pid};
use kindling::environ::Env;
use kindling::event::{Event, EventExpr, EventMatch, MatchArg};
use kindling::job::{JobClass, Process, ProcessKind};
use std::collections::{HashSet, VecDeque};
use support::{group, per_second, Bencher};

const JOBS: usize = 200;
const EVENTS: usize = 10_000;

fn on(name: &str, args: &[(&str, &str)]) -> EventExpr {
    EventExpr::Match(EventMatch {
        name: name.to_string(),
        args: args
            .iter()
            .map(
                |(key, value)| match (key.is_empty(), key.strip_suffix('!')) {
                    (true, _) => MatchArg::Positional(value.to_string()),
                    (false, Some(key)) => MatchArg::NotEqual(key.to_string(), value.to_string()),
                    (false, None) => MatchArg::Equal(key.to_string(), value.to_string()),
                },
            )
            .collect(),
    })
}

fn and(left: EventExpr, right: EventExpr) -> EventExpr {
    EventExpr::And(Box::new(left), Box::new(right))
}

fn or(left: EventExpr, right: EventExpr) -> EventExpr {
    EventExpr::Or(Box::new(left), Box::new(right))
}

fn job(name: &str, start_on: EventExpr, task: bool) -> JobClass {
    let mut class = JobClass::new(name);
    class.start_on = Some(start_on);
    class.task = task;
    class.main = Some(Process {
        command: format!("/usr/bin/{name} --foreground"),
        script: false,
    });
    class
}

/// The 200 jobs. Event names `ev-0`…`ev-49` are emitted; `never-*` and `dep-*` never are,
/// so the `and` expressions that need them stay half-matched for ever, as in real systems.
fn configuration() -> Vec<JobClass> {
    let mut jobs = vec![
        job("tick-task", on("tick", &[]), true),
        job("tick-even", on("tick", &[("N", "*[02468]")]), true),
        job("after-tick", on("stopped", &[("JOB", "tick-task")]), true),
        job(
            "tock-task",
            or(on("tock", &[]), on("tick-other", &[])),
            true,
        ),
        job("ev7-and-tock", and(on("ev-7", &[]), on("tock", &[])), true),
    ];
    let mut daemon = job(
        "daemon",
        and(on("boot", &[]), on("runlevel", &[("", "[2345]")])),
        false,
    );
    daemon.stop_on = Some(on("halt", &[]));
    jobs.push(daemon);
    let mut logger = job("logger", on("started", &[("JOB", "daemon")]), false);
    logger.stop_on = Some(on("stopping", &[("JOB", "daemon")]));
    jobs.push(logger);

    for i in jobs.len()..JOBS {
        let start_on = match i % 8 {
            0 => and(
                on(&format!("ev-{}", i % 50), &[]),
                on(&format!("never-{i}"), &[]),
            ),
            1 => and(
                on("runlevel", &[("", "[2345]")]),
                on("started", &[("JOB", &format!("dep-{i}"))]),
            ),
            2 => on("net-device-up", &[("IFACE", &format!("eth{i}"))]),
            3 => and(
                or(
                    on(&format!("ev-{}", i % 50), &[]),
                    on(&format!("ev-{}", (i + 1) % 50), &[]),
                ),
                on(&format!("never-{i}"), &[]),
            ),
            4 => on(&format!("ev-{}", i % 50), &[("N", "no-such-value-*")]),
            5 => on(
                "stopped",
                &[("JOB", &format!("dep-{i}")), ("RESULT!", "failed")],
            ),
            6 => and(
                on(&format!("ev-{}", i % 50), &[("N", "[0-9]*")]),
                on(&format!("dep-{i}"), &[]),
            ),
            _ => on("starting", &[("JOB", &format!("dep-{i}"))]),
        };
        jobs.push(job(&format!("job-{i}"), start_on, false));
    }
    jobs
}

/// The 10,000 events of one iteration: `ev-K N=…` mostly, `tick` every 50, `tock` every
/// 100, `runlevel 2` then `boot` every 1,000 and `halt` 500 later.
fn events() -> Vec<Event> {
    (0..EVENTS)
        .map(|i| {
            let env = |pairs: &[(&str, String)]| -> Env {
                pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
            };
            match i {
                _ if i % 1000 == 0 => Event::new(
                    "runlevel",
                    env(&[("RUNLEVEL", "2".into()), ("PREVLEVEL", "N".into())]),
                ),
                _ if i % 1000 == 1 => Event::new("boot", Env::new()),
                _ if i % 1000 == 500 => Event::new("halt", Env::new()),
                _ if i % 100 == 0 => Event::new("tock", Env::new()),
                _ if i % 50 == 0 => Event::new("tick", env(&[("N", i.to_string())])),
                _ => Event::new(
                    format!("ev-{}", i % 50),
                    env(&[("N", i.to_string()), ("SOURCE", "bench".into())]),
                ),
            }
        })
        .collect()
}

/// The engine and a simulated process table that answers its effects at once.
struct World {
    engine: Engine,
    now: Millis,
    next_pid: Pid,
    /// Services' main processes still "running".
    running: HashSet<Pid>,
    spawned: u64,
    killed: u64,
    /// As the daemon does: clone the engine before each fact (its rollback on a panic).
    transactional: bool,
}

impl World {
    fn new() -> Self {
        let config = EngineConfig {
            job_env: [("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), ("TERM", "linux")]
                .into_iter()
                .collect(),
            init_env: Env::new(),
            log_priority: LogPriority::Warn,
        };
        let mut world = World {
            engine: Engine::new(config),
            now: 0,
            next_pid: 100,
            running: HashSet::new(),
            spawned: 0,
            killed: 0,
            transactional: false,
        };
        world.feed(Fact::Configuration(configuration()));
        world
    }

    /// Hands `fact` to the engine and answers every effect until nothing is left to answer.
    fn feed(&mut self, fact: Fact) {
        let mut queue = VecDeque::from([fact]);
        while let Some(fact) = queue.pop_front() {
            let before = self.transactional.then(|| self.engine.clone());
            let effects = self.engine.handle(self.now, fact);
            drop(before);
            for effect in effects {
                match effect {
                    Effect::Spawn {
                        key,
                        process,
                        class,
                        ..
                    } => {
                        self.spawned += 1;
                        self.next_pid += 1;
                        let pid = self.next_pid;
                        queue.push_back(Fact::Spawned { key, process, pid });
                        queue.push_back(Fact::Execed { pid });
                        if class.task || process != ProcessKind::Main {
                            let status = ExitStatus::Exited(0);
                            queue.push_back(Fact::Exited { pid, status });
                        } else {
                            self.running.insert(pid);
                        }
                    }
                    Effect::KillGroup { pid, signal } if self.running.remove(&pid) => {
                        self.killed += 1;
                        let status = ExitStatus::Signaled(signal);
                        queue.push_back(Fact::Exited { pid, status });
                    }
                    _ => {}
                }
            }
        }
    }

    fn run(&mut self, events: &[Event]) {
        for event in events {
            self.now += 1;
            let event = event.clone();
            self.feed(Fact::Emit {
                event,
                client: None,
            });
        }
    }
}

fn main() {
    let bencher = Bencher::from_args();
    let events = events();

    let mut probe = World::new();
    probe.run(&events);
    println!(
        "engine: {JOBS} jobs, {EVENTS} events per iteration: {} processes spawned, {} killed",
        probe.spawned, probe.killed
    );

    let mut world = World::new();
    let name = format!("engine/{EVENTS}-events-{JOBS}-jobs");
    if let Some(per_iter) = bencher.run(&name, || world.run(&events)) {
        if bencher.measuring() {
            println!(
                "  = {} events/s (goal: at least 100,000 events/s)",
                group(per_second(EVENTS as u64, per_iter))
            );
        }
    }

    // What the daemon's per-fact rollback clone costs on top.
    let mut world = World::new();
    world.transactional = true;
    let name = format!("engine/{EVENTS}-events-{JOBS}-jobs-cloned-per-fact");
    if let Some(per_iter) = bencher.run(&name, || world.run(&events)) {
        if bencher.measuring() {
            println!(
                "  = {} events/s with a clone of the engine before every fact",
                group(per_second(EVENTS as u64, per_iter))
            );
        }
    }
}
