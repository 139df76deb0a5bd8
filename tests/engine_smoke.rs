//! Engine checks that build job classes by hand, so they do not depend on the parser.

use kindling::engine::*;
use kindling::environ::Env;
use kindling::event::{Event, EventExpr, EventMatch};
use kindling::job::{JobClass, Process, ProcessKind};

fn on(name: &str) -> Option<EventExpr> {
    Some(EventExpr::Match(EventMatch {
        name: name.into(),
        args: vec![],
    }))
}

fn exec(cmd: &str) -> Option<Process> {
    Some(Process {
        command: cmd.into(),
        script: false,
    })
}

struct Sim {
    engine: Engine,
    now: Millis,
    next_pid: Pid,
    log: Vec<String>,
    replies: Vec<(ClientId, Reply)>,
    running: Vec<(Pid, InstanceKey, ProcessKind)>,
}

impl Sim {
    fn new(classes: Vec<JobClass>) -> Sim {
        let mut sim = Sim {
            engine: Engine::new(EngineConfig::default()),
            now: 0,
            next_pid: 100,
            log: vec![],
            replies: vec![],
            running: vec![],
        };
        sim.fact(Fact::Configuration(classes));
        sim
    }

    fn fact(&mut self, fact: Fact) {
        let mut queue = vec![fact];
        while let Some(fact) = queue.pop() {
            for effect in self.engine.handle(self.now, fact) {
                match effect {
                    Effect::Spawn { key, process, .. } => {
                        let pid = self.next_pid;
                        self.next_pid += 1;
                        self.log.push(format!("spawn {} {}", key.job, process));
                        self.running.push((pid, key.clone(), process));
                        // A stack: Execed goes under Spawned so it is handled after it.
                        queue.push(Fact::Execed { pid });
                        queue.push(Fact::Spawned { key, process, pid });
                    }
                    Effect::EventFinished { event, failed } => self.log.push(format!(
                        "event {}{}",
                        event,
                        if failed { " (failed)" } else { "" }
                    )),
                    Effect::Reply { client, reply } => self.replies.push((client, reply)),
                    Effect::KillGroup { pid, signal } => {
                        self.log.push(format!("kill {pid} {signal}"));
                        queue.insert(
                            0,
                            Fact::Exited {
                                pid,
                                status: ExitStatus::Signaled(signal),
                            },
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    fn pid_of(&self, job: &str, kind: ProcessKind) -> Pid {
        self.engine.instances(job)[0]
            .pids
            .iter()
            .find(|(k, _)| *k == kind)
            .unwrap()
            .1
    }

    fn exit(&mut self, pid: Pid, code: i32) {
        self.fact(Fact::Exited {
            pid,
            status: ExitStatus::Exited(code),
        });
    }

    fn cmd(&mut self, client: ClientId, command: Command) -> Option<Reply> {
        self.fact(Fact::Command { client, command });
        self.replies
            .iter()
            .find(|(c, _)| *c == client)
            .map(|(_, r)| r.clone())
    }
}

#[test]
fn service_start_status_stop() {
    let mut svc = JobClass::new("svc");
    svc.main = exec("sleep 1000");
    let mut sim = Sim::new(vec![svc]);
    assert_eq!(sim.engine.list(), vec!["svc stop/waiting"]);
    let reply = sim.cmd(
        1,
        Command::Start {
            job: "svc".into(),
            env: Env::new(),
            wait: true,
        },
    );
    assert_eq!(
        reply,
        Some(Reply::Status(vec!["svc start/running, process 100".into()]))
    );
    let reply = sim.cmd(
        2,
        Command::Start {
            job: "svc".into(),
            env: Env::new(),
            wait: true,
        },
    );
    assert_eq!(
        reply,
        Some(Reply::Error("Job is already running: svc".into()))
    );
    let reply = sim.cmd(
        3,
        Command::Stop {
            job: "svc".into(),
            env: Env::new(),
            wait: true,
        },
    );
    assert_eq!(reply, Some(Reply::Status(vec!["svc stop/waiting".into()])));
    let reply = sim.cmd(
        4,
        Command::Stop {
            job: "svc".into(),
            env: Env::new(),
            wait: true,
        },
    );
    assert_eq!(reply, Some(Reply::Error("Unknown instance: ".into())));
    assert_eq!(
        sim.log,
        vec![
            "event starting JOB=svc INSTANCE=",
            "spawn svc main",
            "event started JOB=svc INSTANCE=",
            "event stopping JOB=svc INSTANCE= RESULT=ok",
            "kill 100 15",
            "event stopped JOB=svc INSTANCE= RESULT=ok",
        ]
    );
}

#[test]
fn failing_task_fails_start_and_its_event() {
    let mut t = JobClass::new("t");
    t.task = true;
    t.start_on = on("boom");
    t.main = exec("false");
    let mut sim = Sim::new(vec![t]);
    sim.fact(Fact::Emit {
        event: Event::new("boom", Env::from_iter([("K", "v")])),
        client: Some(9),
    });
    assert!(sim.replies.is_empty(), "emit waits for the task");
    let pid = sim.pid_of("t", ProcessKind::Main);
    sim.exit(pid, 3);
    assert_eq!(sim.replies, vec![(9, Reply::Error("Event failed".into()))]);
    assert!(sim.log.contains(
        &"event stopped JOB=t INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=3".to_string()
    ));
    assert!(sim.log.contains(&"event boom/failed K=v".to_string()));
}

#[test]
fn respawn_limit_allows_count_plus_one_runs() {
    let mut r = JobClass::new("r");
    r.main = exec("false");
    r.respawn = true;
    r.respawn_limit = 3;
    let mut sim = Sim::new(vec![r]);
    sim.cmd(
        1,
        Command::Start {
            job: "r".into(),
            env: Env::new(),
            wait: false,
        },
    );
    let mut runs = 1;
    while let Some(view) = sim.engine.instances("r").first().cloned() {
        let Some(&(_, pid)) = view.pids.iter().find(|(k, _)| *k == ProcessKind::Main) else {
            break;
        };
        sim.exit(pid, 1);
        if !sim.engine.instances("r").is_empty() {
            runs += 1;
        }
        assert!(runs < 20);
    }
    assert_eq!(runs, 4);
    assert!(sim
        .log
        .contains(&"event stopped JOB=r INSTANCE= RESULT=failed PROCESS=respawn".to_string()));
}

#[test]
fn and_condition_holds_first_event_until_second() {
    let mut j = JobClass::new("j");
    j.task = true;
    j.start_on = Some(EventExpr::And(
        Box::new(on("a").unwrap()),
        Box::new(on("b").unwrap()),
    ));
    j.main = exec("true");
    let mut sim = Sim::new(vec![j]);
    sim.fact(Fact::Emit {
        event: Event::new("a", Env::new()),
        client: Some(1),
    });
    assert!(sim.replies.is_empty());
    sim.fact(Fact::Emit {
        event: Event::new("b", Env::new()),
        client: Some(2),
    });
    assert!(sim.replies.is_empty());
    let pid = sim.pid_of("j", ProcessKind::Main);
    sim.exit(pid, 0);
    assert_eq!(sim.replies.len(), 2);
    assert!(sim.replies.iter().all(|(_, r)| *r == Reply::EventOk));
}
