//! Property tests of the engine state format (a child of `snapshot`, to see the engine's
//! insides): every value a job file or the engine can hold survives save → text → restore,
//! a restored engine saves to the same text, and no input makes the reader panic.
//!
//! Three sources of states: engines assembled field by field from arbitrary values (every
//! value of every type, not only the parser's), job files written stanza by stanza (every
//! stanza of the parser's table, with unusual but valid arguments) then driven through
//! random facts so that their instances pass through every state, and corrupted texts.

use super::*;
use crate::engine::{Command, Effect, ExitStatus, Fact, Pid};
use crate::job::parse_job;
use proptest::collection::{btree_map, vec};
use proptest::option::of as opt;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

fn config() -> EngineConfig {
    let mut config = EngineConfig::default();
    config.job_env.set("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    config.job_env.set("TERM", "linux");
    config.init_env.extend(&config.job_env);
    config.init_env.set("HOME", "/");
    config
}

/// Panics naming the first part in which the two engines differ.
fn assert_same(a: &Engine, b: &Engine) {
    assert_eq!(a.next_event, b.next_event, "next event id");
    assert_eq!(a.next_timer, b.next_timer, "next timer id");
    let names = |e: &Engine| e.classes.names().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "job names");
    for (name, x) in a.classes.iter() {
        let y = &b.classes[name];
        assert_eq!(*x.class, *y.class, "class {name}");
        assert_eq!(x.env, y.env, "environment of {name}");
        assert_eq!(x.start_on, y.start_on, "start on of {name}");
        assert_eq!(x.deleted, y.deleted, "deleted flag of {name}");
        assert_eq!(x.instances, y.instances, "instances of {name}");
    }
    assert_eq!(a.events, b.events, "events");
    assert_eq!(a.timers, b.timers, "timers");
    assert_eq!(a.processes, b.processes, "processes");
    assert_eq!(a.interested, b.interested, "interest index");
    let deferred = |e: &Engine| {
        e.replies
            .iter()
            .filter_map(|(client, reply)| match reply {
                PendingReply::StatusAfterStop(key) => Some((*client, key.clone())),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(deferred(a), deferred(b), "deferred answers");
}

/// Saves, restores (all or nothing), compares, and checks that the restored engine saves
/// to the same text; returns the restored engine.
fn round_trip(engine: &Engine) -> Engine {
    let saved = engine.save();
    let restored = Engine::restore(config(), &saved)
        .unwrap_or_else(|error| panic!("restore failed: {error}\n{saved}"));
    assert_same(engine, &restored);
    assert_eq!(restored.save(), saved, "save ∘ restore is not the identity");
    restored
}

// ----- arbitrary values -----------------------------------------------------------------

/// Strings: plain words, printable ASCII, the bytes quoting and the state format care
/// about, and any Unicode at all.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[a-z0-9/._-]{0,8}",
        2 => "[ -~]{0,12}",
        2 => "[=%$ \t\r\n\"'\\\\#()*!,+a-z-]{0,10}",
        1 => any::<String>(),
    ]
    .boxed()
}

fn big() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(u64::MAX),
        Just(u64::MAX - 1),
        Just(1 << 63),
        Just((1 << 63) - 1),
        any::<u64>(),
    ]
}

fn u32s() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()]
}

fn i32s() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(0i32),
        Just(-1),
        Just(i32::MIN),
        Just(i32::MAX),
        -1000..=1000,
        any::<i32>(),
    ]
}

fn match_arg() -> impl Strategy<Value = MatchArg> {
    prop_oneof![
        text().prop_map(MatchArg::Positional),
        (text(), text()).prop_map(|(k, v)| MatchArg::Equal(k, v)),
        (text(), text()).prop_map(|(k, v)| MatchArg::NotEqual(k, v)),
    ]
}

fn expr() -> BoxedStrategy<EventExpr> {
    let leaf = (text(), vec(match_arg(), 0..3))
        .prop_map(|(name, args)| EventExpr::Match(EventMatch { name, args }));
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone())
                .prop_map(|(l, r)| EventExpr::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner).prop_map(|(l, r)| EventExpr::Or(Box::new(l), Box::new(r))),
        ]
    })
    .boxed()
}

fn process() -> impl Strategy<Value = Process> {
    (any::<bool>(), text()).prop_map(|(script, command)| Process { command, script })
}

fn resource() -> impl Strategy<Value = Resource> {
    prop::sample::select(RESOURCES.to_vec())
}

fn limit() -> impl Strategy<Value = Limit> {
    (resource(), opt(big()), opt(big())).prop_map(|(resource, soft, hard)| Limit {
        resource,
        soft,
        hard,
    })
}

fn cgroup() -> impl Strategy<Value = Cgroup> {
    (text(), opt(text()), opt((text(), text()))).prop_map(|(controller, name, setting)| Cgroup {
        controller,
        name,
        setting,
    })
}

fn class() -> BoxedStrategy<JobClass> {
    let names = (
        text(),
        opt(text()),
        opt(text()),
        opt(text()),
        opt(text()),
        text(),
        vec((text(), opt(text())), 0..3),
        vec(text(), 0..3),
        vec(text(), 0..3),
    );
    let processes = (
        opt(expr()),
        opt(expr()),
        vec(opt(process()), 5),
        prop::sample::select(vec![
            Expect::None,
            Expect::Stop,
            Expect::Daemon,
            Expect::Fork,
        ]),
    );
    let behaviour = (
        any::<bool>(),
        any::<bool>(),
        u32s(),
        u32s(),
        vec(i32s(), 0..4),
        u32s(),
        i32s(),
        i32s(),
        opt(prop::sample::select(vec![
            Console::None,
            Console::Log,
            Console::Output,
            Console::Owner,
        ])),
        u32s(),
        opt(i32s()),
        opt(i32s()),
    );
    let context = (
        vec(limit(), 0..4),
        opt(text()),
        opt(text()),
        opt(text()),
        opt(text()),
        any::<bool>(),
        opt(text()),
        opt(text()),
        vec(cgroup(), 0..3),
    );
    (names, processes, behaviour, context)
        .prop_map(
            |(
                (name, description, author, version, usage, instance, env, export, emits),
                (start_on, stop_on, mut processes, expect),
                (
                    task,
                    respawn,
                    respawn_limit,
                    respawn_interval,
                    normal_exit,
                    kill_timeout,
                    kill_signal,
                    reload_signal,
                    console,
                    umask,
                    nice,
                    oom_score_adj,
                ),
                (
                    limits,
                    chroot,
                    chdir,
                    setuid,
                    setgid,
                    debug,
                    apparmor_load,
                    apparmor_switch,
                    cgroups,
                ),
            )| {
                let mut take = || processes.pop().flatten();
                JobClass {
                    name,
                    description,
                    author,
                    version,
                    usage,
                    instance,
                    env: env
                        .into_iter()
                        .map(|(key, value)| EnvStanza { key, value })
                        .collect(),
                    export,
                    emits,
                    start_on,
                    stop_on,
                    main: take(),
                    pre_start: take(),
                    post_start: take(),
                    pre_stop: take(),
                    post_stop: take(),
                    expect,
                    task,
                    respawn,
                    respawn_limit,
                    respawn_interval,
                    normal_exit,
                    kill_timeout,
                    kill_signal,
                    reload_signal,
                    console,
                    umask,
                    nice,
                    oom_score_adj,
                    limits,
                    chroot,
                    chdir,
                    setuid,
                    setgid,
                    debug,
                    apparmor_load,
                    apparmor_switch,
                    cgroups,
                }
            },
        )
        .boxed()
}

fn env() -> impl Strategy<Value = Env> {
    vec((text(), text()), 0..4).prop_map(|pairs| pairs.into_iter().collect())
}

fn key() -> impl Strategy<Value = InstanceKey> {
    (text(), text()).prop_map(|(job, instance)| InstanceKey { job, instance })
}

/// A condition's live state, before it is fitted to an expression: present or not, and
/// the event each leaf holds (cut or padded to the number of leaves).
type ConditionParts = (bool, Vec<Option<u64>>);

fn condition_parts() -> impl Strategy<Value = ConditionParts> {
    (any::<bool>(), vec(opt(big()), 0..8))
}

fn fit(expr: Option<&EventExpr>, (present, mut matched): ConditionParts) -> Option<Condition> {
    let expr = expr.filter(|_| present)?;
    let mut condition = Condition::new(expr);
    matched.resize(condition.matched().len(), None);
    condition.restore(&matched);
    Some(condition)
}

/// Everything of an instance but its class and name.
#[derive(Debug, Clone)]
struct InstanceParts {
    own: Option<JobClass>,
    goal: Goal,
    state: State,
    envs: (Env, Option<Env>, Option<Env>),
    stop_on: ConditionParts,
    blocker: Option<u64>,
    blocking: Vec<Blocked>,
    pids: Vec<Option<i32>>,
    failure: Option<Failure>,
    respawn: (Option<u64>, u32),
    kill_timer: Option<u64>,
    forks_seen: u32,
    stopped_by_command: bool,
}

fn instance_parts() -> BoxedStrategy<InstanceParts> {
    let blocked = prop_oneof![
        big().prop_map(Blocked::Event),
        (
            big(),
            prop::sample::select(vec![Request::Start, Request::Stop, Request::Restart])
        )
            .prop_map(|(client, request)| Blocked::Client(client, request)),
    ];
    let failure = prop_oneof![
        Just(Failure::Respawn),
        (prop::sample::select(ProcessKind::ALL.to_vec()), opt(i32s()))
            .prop_map(|(kind, status)| Failure::Process { kind, status }),
    ];
    (
        (
            prop_oneof![3 => Just(None), 1 => class().prop_map(Some)],
            prop::sample::select(vec![Goal::Stop, Goal::Start, Goal::Respawn]),
            prop::sample::select(STATES.to_vec()),
            (env(), opt(env()), opt(env())),
            condition_parts(),
            opt(big()),
        ),
        (
            vec(blocked, 0..4),
            vec(opt(prop_oneof![2..=i32::MAX, Just(i32::MAX)]), 5),
            opt(failure),
            (opt(big()), u32s()),
            opt(big()),
            (u32s(), any::<bool>()),
        ),
    )
        .prop_map(
            |(
                (own, goal, state, envs, stop_on, blocker),
                (blocking, pids, failure, respawn, kill_timer, (forks_seen, stopped_by_command)),
            )| InstanceParts {
                own,
                goal,
                state,
                envs,
                stop_on,
                blocker,
                blocking,
                pids,
                failure,
                respawn,
                kill_timer,
                forks_seen,
                stopped_by_command,
            },
        )
        .boxed()
}

fn build_instance(current: &Rc<JobClass>, name: String, parts: InstanceParts) -> Instance {
    let class = match parts.own {
        Some(mut own) => {
            own.name = current.name.clone();
            Rc::new(own)
        }
        None => current.clone(),
    };
    let mut instance = Instance::new(class, name);
    instance.goal = parts.goal;
    instance.state = parts.state;
    (instance.env, instance.start_env, instance.stop_env) = parts.envs;
    instance.stop_on = fit(instance.class.stop_on.as_ref(), parts.stop_on);
    instance.blocker = parts.blocker;
    instance.blocking = parts.blocking;
    for (kind, pid) in ProcessKind::ALL.into_iter().zip(parts.pids) {
        instance.set_pid(kind, pid);
    }
    instance.failure = parts.failure;
    (instance.respawn_window, instance.respawn_count) = parts.respawn;
    instance.kill_timer = parts.kill_timer;
    instance.forks_seen = parts.forks_seen;
    instance.stopped_by_command = parts.stopped_by_command;
    instance
}

fn pending_event() -> impl Strategy<Value = PendingEvent> {
    let waiter = prop_oneof![key().prop_map(Waiter::Job), big().prop_map(Waiter::Client)];
    (
        text(),
        env(),
        any::<bool>(),
        prop_oneof![0..4usize, any::<usize>()],
        any::<bool>(),
        vec(waiter, 0..3),
        opt(text()),
    )
        .prop_map(
            |(name, env, handling, blockers, failed, waiters, spares)| PendingEvent {
                event: Event::new(name, env),
                progress: if handling {
                    Progress::Handling
                } else {
                    Progress::Pending
                },
                blockers,
                failed,
                waiters,
                spares,
            },
        )
}

/// An engine as a proptest value: shown as its saved state.
struct Built(Engine);

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.save())
    }
}

/// Whole engines, assembled field by field.
fn engine() -> impl Strategy<Value = Built> {
    let class_entry = (
        class(),
        any::<bool>(),
        condition_parts(),
        btree_map(text(), instance_parts(), 0..3),
    );
    (
        vec(class_entry, 0..4),
        btree_map(big(), pending_event(), 0..4),
        vec((big(), key()), 0..3),
        big(),
        big(),
    )
        .prop_map(|(classes, events, replies, next_event, next_timer)| {
            let mut engine = Engine::new(config());
            for (class, deleted, start_on, instances) in classes {
                if engine.classes.contains_key(&class.name) {
                    continue;
                }
                let start_on = fit(class.start_on.as_ref(), start_on);
                let current = engine.insert_class(class, deleted, start_on);
                let instances = instances
                    .into_iter()
                    .map(|(name, parts)| (name.clone(), build_instance(&current, name, parts)))
                    .collect();
                if let Some(entry) = engine.classes.get_mut(&current.name) {
                    entry.instances = instances;
                }
            }
            engine.events = events.into_iter().map(|(id, e)| (id, Rc::new(e))).collect();
            engine.replies = replies
                .into_iter()
                .map(|(client, key)| (client, PendingReply::StatusAfterStop(key)))
                .collect();
            engine.next_event = next_event;
            engine.next_timer = next_timer;
            engine.rebuild_tables();
            Built(engine)
        })
}

// ----- job files, stanza by stanza ------------------------------------------------------

/// `"x…"`: a quoted argument the lexer gives back as one token, whatever the text.
fn quoted(text: &str) -> String {
    format!("\"x{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn arg() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9/._$*?-]{1,8}",
        2 => text().prop_map(|t| quoted(&t)),
    ]
}

/// An `exec` command line: no newline, quotes balanced, never a backslash at the end.
fn command() -> impl Strategy<Value = String> {
    (
        "[a-zA-Z0-9 =$%/._,:;!*?<>|&{}\t-]{0,20}",
        opt(text().prop_map(|t| quoted(&t))),
    )
        .prop_map(|(plain, quoted)| format!("x{plain} {}", quoted.unwrap_or_default()))
}

/// A `script` block's body and end: lines of anything that never reads `end script`.
fn block() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", "  ", "\t"]),
        vec("[^\n]{0,30}", 0..5),
    )
        .prop_map(|(indent, lines)| {
            let mut out = String::new();
            for line in lines {
                out.push_str(&format!("{indent}x{line}\n"));
            }
            out.push_str("end script\n");
            out
        })
}

fn exec_or_script() -> impl Strategy<Value = String> {
    prop_oneof![
        command().prop_map(|c| format!("exec {c}\n")),
        block().prop_map(|b| format!("script\n{b}")),
    ]
}

/// A `start on`/`stop on` expression as text: grouped, with `$VAR`s and globs, across lines
/// inside parentheses.
fn on_expression() -> impl Strategy<Value = String> {
    let not_operator = |word: &String| word != "and" && word != "or";
    let value = prop_oneof![
        "[a-z0-9$*?!{}\\[\\]-]{1,6}".prop_filter("an operand", not_operator),
        "[^=\"\\\\\n]{0,8}".prop_map(|t| quoted(&t)),
    ];
    let named = (
        "[A-Z_]{1,4}",
        prop::sample::select(vec!["=", "!="]),
        "[a-z0-9$*?{}-]{0,6}",
    )
        .prop_map(|(k, op, v)| format!("{k}{op}{v}"));
    let leaf = (
        prop_oneof![
            "[a-z][a-z0-9/:-]{0,8}".prop_filter("an event name", not_operator),
            text().prop_map(|t| quoted(&t)),
        ],
        vec(value, 0..3),
        vec(named, 0..3),
    )
        .prop_map(|(name, positional, named)| {
            let mut out = name;
            for arg in positional.iter().chain(&named) {
                out.push(' ');
                out.push_str(arg);
            }
            out
        });
    leaf.prop_recursive(3, 8, 2, |inner| {
        (
            inner.clone(),
            prop::sample::select(vec!["and", "or"]),
            prop::sample::select(vec![" ", "\n  "]),
            inner,
        )
            .prop_map(|(l, op, gap, r)| format!("({l}) {op}{gap}({r})"))
    })
}

fn signal() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "TERM", "SIGINT", "HUP", "KILL", "USR1", "SIGUSR2", "CHLD"
        ])
        .prop_map(str::to_string),
        prop_oneof![Just(0u32), Just(64), Just(i32::MAX as u32), 0..100u32]
            .prop_map(|n| n.to_string()),
    ]
}

fn limit_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("unlimited".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551614".to_string()),
        big().prop_map(|n| n.to_string()),
    ]
}

/// One generator per stanza of the parser's table, by name.
fn stanza_generators() -> Vec<(&'static str, BoxedStrategy<String>)> {
    let simple = |name: &'static str| -> (&'static str, BoxedStrategy<String>) {
        (
            name,
            arg().prop_map(move |a| format!("{name} {a}\n")).boxed(),
        )
    };
    let hook = |name: &'static str| -> (&'static str, BoxedStrategy<String>) {
        (
            name,
            exec_or_script()
                .prop_map(move |p| format!("{name} {p}"))
                .boxed(),
        )
    };
    let word = |name: &'static str, words: Vec<&'static str>| {
        (
            name,
            prop::sample::select(words)
                .prop_map(move |w| format!("{name} {w}\n"))
                .boxed(),
        )
    };
    vec![
        simple("instance"),
        simple("description"),
        simple("author"),
        simple("version"),
        (
            "env",
            prop_oneof![
                ("[A-Z_]{1,4}", text())
                    .prop_map(|(k, v)| format!("env {}\n", quoted(&format!("{k}={v}")))),
                "[A-Z_]{1,4}".prop_map(|k| format!("env {k}\n")),
                text().prop_map(|v| format!("env {}\n", quoted(&v))),
            ]
            .boxed(),
        ),
        (
            "export",
            vec(arg(), 1..4)
                .prop_map(|a| format!("export {}\n", a.join(" ")))
                .boxed(),
        ),
        (
            "start",
            on_expression()
                .prop_map(|e| format!("start on ({e})\n"))
                .boxed(),
        ),
        (
            "stop",
            on_expression()
                .prop_map(|e| format!("stop on ({e})\n"))
                .boxed(),
        ),
        (
            "emits",
            vec(arg(), 1..4)
                .prop_map(|a| format!("emits {}\n", a.join(" ")))
                .boxed(),
        ),
        (
            "exec",
            command().prop_map(|c| format!("exec {c}\n")).boxed(),
        ),
        (
            "script",
            block().prop_map(|b| format!("script\n{b}")).boxed(),
        ),
        hook("pre-start"),
        hook("post-start"),
        hook("pre-stop"),
        hook("post-stop"),
        word("expect", vec!["stop", "daemon", "fork", "none"]),
        ("task", Just("task\n".to_string()).boxed()),
        (
            "kill",
            prop_oneof![
                prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()]
                    .prop_map(|n| format!("kill timeout {n}\n")),
                signal().prop_map(|s| format!("kill signal {s}\n")),
            ]
            .boxed(),
        ),
        (
            "reload",
            signal()
                .prop_map(|s| format!("reload signal {s}\n"))
                .boxed(),
        ),
        (
            "respawn",
            prop_oneof![
                Just("respawn\n".to_string()),
                Just("respawn limit unlimited\n".to_string()),
                (u32s(), u32s()).prop_map(|(c, i)| format!("respawn limit {c} {i}\n")),
            ]
            .boxed(),
        ),
        (
            "normal",
            vec(
                prop_oneof![
                    signal()
                        .prop_filter("a name", |s| !s.starts_with(|c: char| c.is_ascii_digit())),
                    prop_oneof![Just(0u32), Just(i32::MAX as u32), 0..256u32]
                        .prop_map(|n| n.to_string()),
                ],
                1..5,
            )
            .prop_map(|s| format!("normal exit {}\n", s.join(" ")))
            .boxed(),
        ),
        word("console", vec!["none", "output", "owner", "log"]),
        (
            "umask",
            (0..=0o777u32)
                .prop_map(|m| format!("umask 0{m:o}\n"))
                .boxed(),
        ),
        (
            "nice",
            (-20..=19i32).prop_map(|n| format!("nice {n}\n")).boxed(),
        ),
        (
            "oom",
            prop_oneof![
                (-17..=15i32).prop_map(|n| format!("oom {n}\n")),
                (-1000..=1000i32).prop_map(|n| format!("oom score {n}\n")),
                Just("oom never\n".to_string()),
                Just("oom score never\n".to_string()),
            ]
            .boxed(),
        ),
        (
            "limit",
            (
                resource().prop_map(resource_name),
                limit_value(),
                limit_value(),
            )
                .prop_map(|(r, s, h)| format!("limit {r} {s} {h}\n"))
                .boxed(),
        ),
        simple("chroot"),
        simple("chdir"),
        simple("setuid"),
        simple("setgid"),
        ("debug", Just("debug\n".to_string()).boxed()),
        ("manual", Just("manual\n".to_string()).boxed()),
        simple("usage"),
        (
            "apparmor",
            (prop::sample::select(vec!["load", "switch"]), arg())
                .prop_map(|(w, a)| format!("apparmor {w} {a}\n"))
                .boxed(),
        ),
        (
            "cgroup",
            vec(arg(), 1..5)
                .prop_map(|a| format!("cgroup {}\n", a.join(" ")))
                .boxed(),
        ),
    ]
}

fn job_file() -> impl Strategy<Value = String> {
    let stanzas: Vec<_> = stanza_generators().into_iter().map(|(_, s)| s).collect();
    vec(Union::new(stanzas), 1..14).prop_map(|stanzas| stanzas.concat())
}

// ----- driving an engine ----------------------------------------------------------------

/// What the world does next to the engine under test.
#[derive(Debug, Clone)]
enum Action {
    /// Emits the n-th event name the jobs know of, with this environment.
    Emit(prop::sample::Index, Env),
    Start(prop::sample::Index, Env),
    Stop(prop::sample::Index, Env),
    Restart(prop::sample::Index, Env),
    /// The n-th live process exits with this raw status (code, or signal when negative).
    Exit(prop::sample::Index, i32),
    Fork(prop::sample::Index),
    SelfStop(prop::sample::Index),
    Timer(prop::sample::Index),
}

fn action() -> impl Strategy<Value = Action> {
    let index = any::<prop::sample::Index>;
    prop_oneof![
        3 => (index(), env()).prop_map(|(i, e)| Action::Emit(i, e)),
        2 => (index(), env()).prop_map(|(i, e)| Action::Start(i, e)),
        1 => (index(), env()).prop_map(|(i, e)| Action::Stop(i, e)),
        1 => (index(), env()).prop_map(|(i, e)| Action::Restart(i, e)),
        3 => (index(), prop_oneof![Just(0), Just(1), Just(-9), Just(-15), 0..3]).prop_map(|(i, s)| Action::Exit(i, s)),
        1 => index().prop_map(Action::Fork),
        1 => index().prop_map(Action::SelfStop),
        1 => index().prop_map(Action::Timer),
    ]
}

/// The engine's world, as small as it can be: pids handed out in order, timers remembered.
struct World {
    engine: Engine,
    jobs: Vec<String>,
    events: Vec<String>,
    next_pid: Pid,
    next_client: u64,
    live: Vec<Pid>,
    timers: Vec<crate::engine::TimerId>,
    now: u64,
}

impl World {
    fn new(classes: Vec<JobClass>) -> World {
        let jobs = classes.iter().map(|c| c.name.clone()).collect();
        let mut events: Vec<String> = ["starting", "started", "stopping", "stopped", "startup"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for class in &classes {
            for expr in [&class.start_on, &class.stop_on].into_iter().flatten() {
                events.extend(expr.leaves().iter().map(|leaf| leaf.name.clone()));
            }
        }
        let mut world = World {
            engine: Engine::new(config()),
            jobs,
            events,
            next_pid: 100,
            next_client: 1,
            live: Vec::new(),
            timers: Vec::new(),
            now: 1_000_000,
        };
        world.feed(Fact::Configuration(classes));
        world
    }

    fn feed(&mut self, fact: Fact) {
        let mut facts = std::collections::VecDeque::from([fact]);
        let mut steps = 0;
        while let Some(fact) = facts.pop_front() {
            steps += 1;
            if steps > 1000 {
                break;
            }
            self.now += 7;
            for effect in self.engine.handle(self.now, fact) {
                match effect {
                    Effect::Spawn { key, process, .. } => {
                        let pid = self.next_pid;
                        self.next_pid += 1;
                        self.live.push(pid);
                        facts.push_back(Fact::Spawned { key, process, pid });
                        facts.push_back(Fact::Execed { pid });
                    }
                    Effect::ArmTimer { timer, .. } => self.timers.push(timer),
                    Effect::CancelTimer(timer) => self.timers.retain(|t| *t != timer),
                    _ => {}
                }
            }
        }
    }

    fn client(&mut self) -> u64 {
        self.next_client += 1;
        self.next_client
    }

    fn command(&mut self, command: Command) {
        let client = self.client();
        self.feed(Fact::Command { client, command });
    }

    fn act(&mut self, action: Action) {
        let job = |i: &prop::sample::Index, jobs: &[String]| jobs[i.index(jobs.len())].clone();
        match action {
            Action::Emit(i, env) => {
                let name = self.events[i.index(self.events.len())].clone();
                let client = self.client();
                self.feed(Fact::Emit {
                    event: Event::new(name, env),
                    client: Some(client),
                });
            }
            Action::Start(i, env) => {
                let job = job(&i, &self.jobs);
                self.command(Command::Start {
                    job,
                    env,
                    wait: true,
                });
            }
            Action::Stop(i, env) => {
                let job = job(&i, &self.jobs);
                self.command(Command::Stop {
                    job,
                    env,
                    wait: true,
                });
            }
            Action::Restart(i, env) => {
                let job = job(&i, &self.jobs);
                self.command(Command::Restart {
                    job,
                    env,
                    wait: true,
                });
            }
            Action::Exit(i, status) if !self.live.is_empty() => {
                let pid = self.live.remove(i.index(self.live.len()));
                let status = if status < 0 {
                    ExitStatus::Signaled(-status)
                } else {
                    ExitStatus::Exited(status)
                };
                self.feed(Fact::Exited { pid, status });
            }
            Action::Fork(i) if !self.live.is_empty() => {
                let pid = self.live[i.index(self.live.len())];
                let child = self.next_pid;
                self.next_pid += 1;
                self.live.push(child);
                self.feed(Fact::Forked { pid, child });
            }
            Action::SelfStop(i) if !self.live.is_empty() => {
                let pid = self.live[i.index(self.live.len())];
                self.feed(Fact::Stopped { pid });
            }
            Action::Timer(i) if !self.timers.is_empty() => {
                let timer = self.timers.remove(i.index(self.timers.len()));
                self.feed(Fact::TimerFired(timer));
            }
            _ => {}
        }
    }
}

// ----- the properties -------------------------------------------------------------------

#[test]
fn the_generator_writes_every_stanza_of_the_parser() {
    let mut generated: Vec<_> = stanza_generators().into_iter().map(|(n, _)| n).collect();
    let mut known = crate::job::stanza_names();
    generated.sort_unstable();
    known.sort_unstable();
    assert_eq!(generated, known);
}

#[test]
fn the_reported_value_survives() {
    // Issue 11: a soft limit above 2^63 was written as a negative number and the new
    // image could not read its state back.
    let class = parse_job(
        "j",
        "limit core 18446744073709551614 unlimited\nexec sleep 1\n",
    )
    .expect("parses");
    let mut world = World::new(vec![class]);
    world.command(Command::Start {
        job: world.jobs[0].clone(),
        env: Env::new(),
        wait: true,
    });
    let restored = round_trip(&world.engine);
    let entry = &restored.classes["j"];
    assert_eq!(entry.class.limits[0].soft, Some(18446744073709551614));
    assert_eq!(entry.class.limits[0].hard, None);
    assert_eq!(restored.list(), world.engine.list());
}

#[test]
fn expressions_as_deep_as_the_parser_allows_survive_and_deeper_are_refused() {
    let chain = |depth: usize| {
        let mut expr = EventExpr::Match(EventMatch {
            name: "e".into(),
            args: Vec::new(),
        });
        for _ in 1..depth {
            expr = EventExpr::And(
                Box::new(expr),
                Box::new(EventExpr::Match(EventMatch {
                    name: "f".into(),
                    args: Vec::new(),
                })),
            );
        }
        expr
    };
    let mut deepest = JobClass::new("deep");
    deepest.start_on = Some(chain(MAX_EXPRESSION_DEPTH));
    let mut engine = Engine::new(config());
    engine.handle(0, Fact::Configuration(vec![deepest.clone()]));
    round_trip(&engine);

    deepest.start_on = Some(chain(MAX_EXPRESSION_DEPTH + 1));
    let mut engine = Engine::new(config());
    engine.handle(0, Fact::Configuration(vec![deepest]));
    let restored = Engine::restore_partial(config(), &engine.save()).expect("header");
    assert_eq!(restored.skipped.len(), 1, "{:?}", restored.skipped);
    assert!(restored.skipped[0].contains("too deep"));
}

#[test]
fn version_1_states_are_still_read() {
    // Written by the version 1 writer (kindling before issue 11): its `limit core` soft
    // value 18446744073709551614 was written as -2.
    let text = include_str!("../../tests/data/engine-state-v1.txt");
    let engine = Engine::restore(config(), text).unwrap_or_else(|e| panic!("{e}"));
    let big = &engine.classes["big"];
    let core = big
        .class
        .limits
        .iter()
        .find(|l| l.resource == Resource::Core);
    assert_eq!(
        core.map(|l| (l.soft, l.hard)),
        Some((Some(u64::MAX - 1), None))
    );
    assert_eq!(
        engine.list(),
        [
            "ab stop/waiting",
            "big start/pre-start, process 100",
            "gone start/running, process 104",
            "slow stop/killed, process 103",
            "w (1) start/running, process 101",
            "w (2) start/running, process 102",
        ]
    );
    assert!(engine.classes["gone"].deleted);
    assert!(engine.classes["gone"].start_on.is_none());
    assert_eq!(
        engine.classes["ab"]
            .start_on
            .as_ref()
            .map(Condition::matched),
        Some(vec![Some(2), None])
    );
    assert_eq!(engine.waiting_clients().len(), 3);
    // Written again in today's format, it reads back the same.
    round_trip(&engine);
}

#[test]
fn a_skipped_instance_releases_what_it_held() {
    // `holder` blocks the `starting` event of `svc` from its pre-start; if the holder's
    // record is lost, svc must not wait for it forever.
    let classes = vec![
        parse_job("svc", "exec sleep 1\n").expect("svc"),
        parse_job(
            "holder",
            "start on starting svc\npre-start exec sleep 1\nexec sleep 2\n",
        )
        .expect("holder"),
    ];
    let mut world = World::new(classes);
    world.command(Command::Start {
        job: world.jobs[0].clone(),
        env: Env::new(),
        wait: true,
    });
    assert_eq!(world.engine.list()[1], "svc start/starting");
    let saved = world.engine.save();
    let corrupt: String = saved
        .lines()
        .map(|line| {
            if line.starts_with("instance =holder ") {
                line.replace(" pre-start ", " bogus ")
            } else {
                line.to_string()
            }
        })
        .map(|line| line + "\n")
        .collect();
    let restored = Engine::restore_partial(config(), &corrupt).expect("header");
    assert_eq!(restored.skipped.len(), 1, "{:?}", restored.skipped);
    assert!(
        restored.skipped[0].starts_with("instance holder: unknown state bogus"),
        "{:?}",
        restored.skipped
    );
    let mut engine = restored.engine;
    // The next fact lets the queue run: svc's starting event finishes and svc goes on.
    let effects = engine.handle(2_000_000, Fact::Configuration(world_classes(&world)));
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Spawn { key, process: ProcessKind::Main, .. } if key.job == "svc"
        )),
        "{effects:?}"
    );
    assert!(Engine::restore(config(), &engine.save()).is_ok());
}

#[test]
fn instances_in_every_state_survive() {
    let jobs = [
        // Their pre-start holds the `starting st` and `stopping sg` events.
        ("h1", "start on starting st\npre-start exec h\nexec h\n"),
        ("h2", "start on stopping sg\npre-start exec h\nexec h\n"),
        ("st", "exec st\n"),
        ("pre", "pre-start exec p\nexec p\n"),
        ("sp", "expect stop\nexec sp\n"),
        ("post", "post-start exec p\nexec p\n"),
        ("run", "exec r\n"),
        ("ps", "pre-stop exec p\nexec p\n"),
        ("sg", "exec sg\n"),
        ("kl", "exec kl\n"),
        ("pst", "post-stop exec p\nexec p\n"),
    ];
    let classes = jobs
        .iter()
        .map(|(name, text)| parse_job(name, text).expect("parses"))
        .collect();
    let mut world = World::new(classes);
    let start = |world: &mut World, job: &str| {
        world.command(Command::Start {
            job: job.into(),
            env: Env::new(),
            wait: false,
        })
    };
    let stop = |world: &mut World, job: &str| {
        world.command(Command::Stop {
            job: job.into(),
            env: Env::new(),
            wait: true,
        })
    };
    for job in ["st", "pre", "sp", "post", "run", "ps", "sg", "kl", "pst"] {
        start(&mut world, job);
    }
    for job in ["ps", "sg", "kl", "pst"] {
        stop(&mut world, job);
    }
    let main_of = |world: &World, job: &str| {
        world.engine.instances(job)[0]
            .pids
            .iter()
            .find(|(kind, _)| *kind == ProcessKind::Main)
            .map(|(_, pid)| *pid)
    };
    if let Some(pid) = main_of(&world, "pst") {
        world.feed(Fact::Exited {
            pid,
            status: ExitStatus::Signaled(libc::SIGTERM),
        });
    }
    let states: std::collections::BTreeSet<&str> = world
        .engine
        .classes
        .values()
        .flat_map(|entry| entry.instances.values())
        .map(|instance| instance.state.name())
        .collect();
    let expected: std::collections::BTreeSet<&str> = STATES
        .iter()
        .filter(|state| **state != State::Waiting)
        .map(|state| state.name())
        .collect();
    assert_eq!(states, expected, "{:#?}", world.engine.list());
    round_trip(&world.engine);
}

fn world_classes(world: &World) -> Vec<JobClass> {
    world
        .engine
        .classes
        .values()
        .map(|entry| (*entry.class).clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        .. ProptestConfig::default()
    })]

    /// Every value of every field, valid for the parser or not, survives.
    #[test]
    fn any_engine_state_round_trips(engine in engine()) {
        round_trip(&engine.0);
    }

    /// A corrupted state never panics the reader; what it restores saves to a state that
    /// restores in full.
    #[test]
    fn corrupted_states_never_panic(
        engine in engine(),
        edits in vec((any::<prop::sample::Index>(), 0..5u8, "[ -~\n]{0,3}"), 1..6),
    ) {
        let mut lines: Vec<String> = engine.0.save().lines().map(str::to_string).collect();
        for (at, how, text) in edits {
            if lines.is_empty() {
                break;
            }
            let i = at.index(lines.len());
            match how {
                0 => { lines.remove(i); }
                1 => { let line = lines[i].clone(); lines.insert(i, line); }
                2 => {
                    let line = &mut lines[i];
                    let cut = at.index(line.len() + 1);
                    line.truncate(line.floor_char_boundary_compat(cut));
                }
                3 => {
                    let line = &mut lines[i];
                    let at = line.floor_char_boundary_compat(at.index(line.len() + 1));
                    line.insert_str(at, &text);
                }
                _ => {
                    let j = (i + 1) % lines.len();
                    lines.swap(i, j);
                }
            }
        }
        let text = lines.join("\n");
        if let Ok(restored) = Engine::restore_partial(config(), &text) {
            let again = restored.engine.save();
            prop_assert!(Engine::restore(config(), &again).is_ok(), "{}", again);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = Engine::restore_partial(config(), &text);
        let _ = Engine::restore_partial(config(), &format!("kindling-engine-state 2 1 1\n{text}"));
        let _ = Engine::restore_partial(config(), &format!("kindling-engine-state 1 1 1 {text}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        .. ProptestConfig::default()
    })]

    /// Job files using every stanza parse, and the engine running them survives a re-exec
    /// after every step of a random history (and carries on as the restored engine).
    #[test]
    fn job_files_survive_at_every_step(
        files in vec(job_file(), 1..4),
        actions in vec(action(), 0..24),
    ) {
        let mut classes = Vec::new();
        for (i, text) in files.iter().enumerate() {
            match parse_job(&format!("j{i}"), text) {
                Ok(class) => classes.push(class),
                Err(error) => prop_assert!(false, "{error}\n{text}"),
            }
        }
        let mut world = World::new(classes);
        world.engine = round_trip(&world.engine);
        for action in actions {
            world.act(action);
            world.engine = round_trip(&world.engine);
        }
    }
}

/// `str::floor_char_boundary` is not stable yet.
trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, at: usize) -> usize;
}

impl FloorCharBoundary for String {
    fn floor_char_boundary_compat(&self, mut at: usize) -> usize {
        at = at.min(self.len());
        while !self.is_char_boundary(at) {
            at -= 1;
        }
        at
    }
}
