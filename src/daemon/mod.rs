//! The daemon: the one event loop of PID 1. It turns the world (signals, child exits, conf
//! directory changes, timers) into engine facts and carries out the engine's effects with
//! [`crate::supervise`].
//!
//! One thread: a tokio `current_thread` runtime with a `LocalSet`; helper tasks (timers, spawn
//! error pipes, job log ptys) only ever send a [`Wake`] to the loop, which alone owns the
//! engine. Nothing here may panic or exit: every failure is logged and the loop goes on.

pub mod confsource;
pub mod logging;
pub mod options;
pub mod pid1;
pub mod reexec;

use crate::control::{self, Action, Incoming, InitView, Pending, Response};
use crate::engine::{
    ClientId, Effect, Engine, EngineConfig, Fact, InstanceKey, InstanceView, LogPriority, Millis,
    Pid, Reply, TimerId,
};
use crate::environ::Env;
use crate::event::Event;
use crate::job::{confdir, ProcessKind};
use crate::supervise::{
    self, JobLog, LogBook, LogFile, LogProgress, SpawnCheck, SpawnConfig, SpawnRequest,
    TraceOutcome, Tracer,
};
use options::Options;
use std::collections::{HashMap, VecDeque};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::AbortHandle;

/// How long the conf directories must be quiet before a change is loaded.
const RELOAD_DELAY: Duration = Duration::from_millis(50);

/// What the loop's helper tasks report.
enum Wake {
    /// The spawn error pipe of `pid` became readable (a child error, or EOF after exec).
    SpawnChecked(Pid),
    /// A job log's pty closed (the log with this id); what could not be written yet is
    /// handed back.
    LogDone(u64, Option<LogFile>),
    Timer(TimerId),
    /// The conf directories were quiet for [`RELOAD_DELAY`] after a change.
    Reload,
    /// `telinit u` was answered: re-execute now.
    ReExec,
    /// The engine stopped short of idle (a loop of events): give it its next slice.
    Continue,
}

/// A spawned process whose exec has not been confirmed yet.
struct PendingSpawn {
    key: InstanceKey,
    kind: ProcessKind,
    errors: Rc<OwnedFd>,
    watcher: AbortHandle,
}

/// A raw fd an `AsyncFd` may watch without owning it.
struct Watched(RawFd);

impl AsRawFd for Watched {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// An `Rc<OwnedFd>` an `AsyncFd` can watch while the loop keeps reading rights to it.
struct SharedFd(Rc<OwnedFd>);

impl AsRawFd for SharedFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

pub struct Daemon {
    options: Options,
    /// init's own command line, for re-exec.
    args: Vec<String>,
    engine_config: EngineConfig,
    engine: Engine,
    spawn_config: SpawnConfig,
    tracer: Tracer,
    started: Instant,
    pending_spawns: HashMap<Pid, PendingSpawn>,
    timers: HashMap<TimerId, AbortHandle>,
    log_book: LogBook,
    /// Live job log ptys (log id → master fd and log path), for the re-exec hand-over.
    /// Keyed by id, not fd: a closed master's number may be reused by a new pty before the
    /// loop hears that the old log is done.
    logs: HashMap<u64, (RawFd, std::path::PathBuf)>,
    next_log: u64,
    /// Control clients waiting for the engine's answer.
    pending: Pending,
    log_priority: LogPriority,
    /// The listening control socket, for the re-exec hand-over.
    control_fd: Option<RawFd>,
    /// A listening socket handed over by the previous image.
    inherited_control: Option<RawFd>,
    watcher: Option<confsource::Watcher>,
    reload_scheduled: bool,
    /// A [`Wake::Continue`] is on its way.
    continue_scheduled: bool,
    wake: UnboundedSender<Wake>,
}

/// Runs init until the machine stops. Only returns if the runtime cannot even be built.
pub fn run(options: Options, args: Vec<String>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let (wake, woken) = unbounded_channel();
        let mut daemon = Daemon::new(options, args, wake);
        daemon.main_loop(woken).await;
    });
    Ok(())
}

impl Daemon {
    fn new(options: Options, args: Vec<String>, wake: UnboundedSender<Wake>) -> Daemon {
        let init_env: Env = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect();
        let mut job_env = Env::new();
        job_env.set("PATH", init_env.get("PATH").unwrap_or(pid1::PATH));
        if let Some(term) = init_env.get("TERM") {
            job_env.set("TERM", term);
        }
        let spawn_config = SpawnConfig {
            default_console: options.default_console,
            no_log: options.no_log,
            debug: options.verbosity == options::Verbosity::Debug,
            ..SpawnConfig::default()
        };
        let log_priority = options.verbosity.priority();
        let engine_config = EngineConfig {
            job_env,
            init_env,
            log_priority,
        };
        Daemon {
            engine: Engine::new(engine_config.clone()),
            engine_config,
            args,
            options,
            spawn_config,
            tracer: Tracer::new(),
            started: Instant::now(),
            pending_spawns: HashMap::new(),
            timers: HashMap::new(),
            log_book: LogBook::new(),
            logs: HashMap::new(),
            next_log: 0,
            pending: Pending::new(),
            log_priority,
            control_fd: None,
            inherited_control: None,
            watcher: None,
            reload_scheduled: false,
            continue_scheduled: false,
            wake,
        }
    }

    fn now(&self) -> Millis {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn main_loop(&mut self, mut woken: UnboundedReceiver<Wake>) {
        let mut sigchld = listen(SignalKind::child());
        let mut sighup = listen(SignalKind::hangup());
        let mut sigint = listen(SignalKind::interrupt());
        let mut sigwinch = listen(SignalKind::window_change());
        let mut sigpwr = listen(SignalKind::from_raw(libc::SIGPWR));
        let mut sigterm = listen(SignalKind::terminate());

        self.watcher = match confsource::Watcher::new() {
            Ok(watcher) => Some(watcher),
            Err(error) => {
                tracing::warn!("Unable to watch configuration directories: {error}");
                None
            }
        };
        if self.options.restart {
            self.restore();
        }
        self.load_configuration();
        // Only now does init answer on the control socket: a client that gets an answer
        // sees the whole configuration (scripts poll `initctl version` to know init is up).
        let (control_tx, mut control_rx) = tokio::sync::mpsc::channel(64);
        self.listen_control(control_tx);
        let inotify = self
            .watcher
            .as_ref()
            .and_then(|w| watch(Watched(w.fd().as_raw_fd())).ok());

        if !self.options.restart {
            if let Some(name) = self.options.startup_event.clone() {
                self.emit(&name, Env::new());
            }
        }
        // A SIGCHLD that arrived before the handler was installed must not leave a zombie.
        self.reap();
        self.trim_memory();

        // Signals are coalesced and SIGCHLD handlers can fail to install: a slow tick reaps
        // whatever was missed.
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = recv(&mut sigchld) => self.reap(),
                _ = tick.tick() => {
                    self.reap();
                    self.pending.prune();
                }
                Some(incoming) = control_rx.recv() => self.control(incoming),
                _ = recv(&mut sighup) => {
                    tracing::info!("Reloading configuration");
                    self.load_configuration();
                }
                _ = recv(&mut sigint) => self.emit("control-alt-delete", Env::new()),
                _ = recv(&mut sigwinch) => self.emit("keyboard-request", Env::new()),
                _ = recv(&mut sigpwr) => self.emit("power-status-changed", Env::new()),
                _ = recv(&mut sigterm) => self.reexec(),
                Some(wake) = woken.recv() => self.woke(wake),
                ready = readable(&inotify) => {
                    if let Some(mut guard) = ready {
                        guard.clear_ready();
                    }
                    self.conf_changed();
                }
            }
        }
    }

    fn woke(&mut self, wake: Wake) {
        match wake {
            Wake::SpawnChecked(pid) => self.check_spawn(pid),
            Wake::LogDone(id, file) => {
                self.logs.remove(&id);
                if let Some(file) = file {
                    self.log_book.keep(file);
                }
            }
            Wake::Timer(timer) => {
                if self.timers.remove(&timer).is_some() {
                    self.feed(Fact::TimerFired(timer));
                }
            }
            Wake::ReExec => self.reexec(),
            Wake::Reload => {
                self.reload_scheduled = false;
                self.load_configuration();
            }
            Wake::Continue => {
                self.continue_scheduled = false;
                self.feed(Fact::Continue);
            }
        }
    }

    fn conf_changed(&mut self) {
        let changed = self.watcher.as_ref().is_some_and(|w| w.drain());
        if changed && !self.reload_scheduled {
            self.reload_scheduled = true;
            let wake = self.wake.clone();
            tokio::task::spawn_local(async move {
                tokio::time::sleep(RELOAD_DELAY).await;
                let _ = wake.send(Wake::Reload);
            });
        }
    }

    /// Reads every conf directory, logs what is wrong, and hands the valid jobs over.
    fn load_configuration(&mut self) {
        let (sources, problems) = confsource::read_sources(&self.options.confdirs);
        for problem in problems {
            tracing::warn!("{problem}");
        }
        let loaded = confdir::load(&sources);
        for error in &loaded.errors {
            tracing::error!("{error}");
        }
        if let Some(watcher) = self.watcher.as_mut() {
            watcher.rewatch(&self.options.confdirs);
        }
        self.feed(Fact::Configuration(loaded.classes));
        self.trim_memory();
    }

    /// After start-up and each reload, give back the code pages that ran only then.
    fn trim_memory(&self) {
        if std::process::id() == 1 {
            pid1::trim_code_residency();
        }
    }

    fn emit(&mut self, name: &str, env: Env) {
        self.feed(Fact::Emit {
            event: Event::new(name, env),
            client: None,
        });
    }

    /// Hands one fact to the engine and carries out the effects, including the facts they
    /// produce in turn (a spawn's pid), until nothing is left.
    ///
    /// Each fact is a transaction: the engine is cloned before it (cheap, see
    /// [`Engine`]), and if handling it panics the engine goes back to that clone, so no
    /// half-made change and none of the fact's effects survive into the next one.
    fn feed(&mut self, fact: Fact) {
        let mut facts = VecDeque::from([fact]);
        let mut panicked = false;
        while let Some(fact) = facts.pop_front() {
            let now = self.now();
            let before = self.engine.clone();
            let aborted = Aborted::of(&fact);
            let engine = &mut self.engine;
            let effects =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.handle(now, fact)));
            let effects = match effects {
                Ok(effects) => {
                    // Dropped at once: while it shares the entries, changes copy them.
                    drop(before);
                    effects
                }
                Err(_) => {
                    self.engine = before;
                    panicked = true;
                    self.abort(aborted);
                    continue;
                }
            };
            for effect in effects {
                self.carry_out(effect, &mut facts);
            }
        }
        // After a panic the queue may hold what made it: the next real fact retries it,
        // never a hot loop of Continue.
        if self.engine.busy() && !self.continue_scheduled && !panicked {
            // The rest of the queue comes after whatever else is ready (a `stop` from the
            // admin, a child's exit): one fact never holds the loop for long.
            self.continue_scheduled = true;
            let wake = self.wake.clone();
            tokio::task::spawn_local(async move {
                tokio::task::yield_now().await;
                let _ = wake.send(Wake::Continue);
            });
        }
    }

    /// A fact was rolled back: say so, answer its client, and end a process nobody will
    /// supervise.
    fn abort(&mut self, aborted: Aborted) {
        tracing::error!(
            "Internal error while handling {}: it was undone, the jobs are as they were",
            aborted.what
        );
        if let Some(client) = aborted.client {
            self.reply(client, Reply::Error("Internal error".into()));
        }
        if let Some(pid) = aborted.orphan {
            if let Err(error) = supervise::kill_group(pid, libc::SIGKILL) {
                tracing::warn!("Failed to kill process group of {pid}: {error}");
            }
        }
    }

    fn carry_out(&mut self, effect: Effect, facts: &mut VecDeque<Fact>) {
        match effect {
            Effect::Spawn {
                key,
                process,
                class,
                env,
            } => {
                let request = SpawnRequest {
                    class: &class,
                    kind: process,
                    env: &env,
                    config: &self.spawn_config,
                };
                match supervise::spawn(&request) {
                    Ok(spawned) => {
                        for warning in &spawned.warnings {
                            tracing::warn!("{warning}");
                        }
                        let pid = spawned.pid;
                        if let Some(expect) = spawned.traced {
                            self.tracer.follow(pid, expect);
                        }
                        if let Some(master) = spawned.pty {
                            let path =
                                supervise::log_path(&self.options.logdir, &key.job, &key.instance);
                            self.watch_log(JobLog::new(master, path));
                        }
                        self.watch_spawn(pid, key.clone(), process, Rc::new(spawned.errors));
                        facts.push_back(Fact::Spawned { key, process, pid });
                    }
                    Err(error) => facts.push_back(Fact::SpawnFailed {
                        key,
                        process,
                        error: error.to_string(),
                    }),
                }
            }
            Effect::KillGroup { pid, signal } => {
                if let Err(error) = supervise::kill_group(pid, signal) {
                    tracing::warn!(
                        "Failed to send signal {signal} to process group of {pid}: {error}"
                    );
                }
            }
            Effect::Kill { pid, signal } => {
                if let Err(error) = supervise::kill(pid, signal) {
                    tracing::warn!("Failed to send signal {signal} to {pid}: {error}");
                }
            }
            Effect::Detach { pid } => self.tracer.detach(pid),
            Effect::ArmTimer { timer, after } => {
                let wake = self.wake.clone();
                let task = tokio::task::spawn_local(async move {
                    tokio::time::sleep(Duration::from_millis(after)).await;
                    let _ = wake.send(Wake::Timer(timer));
                });
                self.timers.insert(timer, task.abort_handle());
            }
            Effect::CancelTimer(timer) => {
                if let Some(task) = self.timers.remove(&timer) {
                    task.abort();
                }
            }
            Effect::Reply { client, reply } => self.reply(client, reply),
            Effect::EventFinished { event, failed } => {
                if logging::enabled(tracing::Level::DEBUG) {
                    tracing::debug!("Finished {event}{}", if failed { " (failed)" } else { "" });
                }
            }
            Effect::Log { level, message } => match level {
                LogPriority::Debug => tracing::debug!("{message}"),
                LogPriority::Info => tracing::info!("{message}"),
                LogPriority::Message | LogPriority::Warn => tracing::warn!("{message}"),
                LogPriority::Error | LogPriority::Fatal => tracing::error!("{message}"),
            },
        }
    }

    fn reply(&mut self, client: ClientId, reply: Reply) {
        self.pending.answer(client, reply.into());
    }

    /// Opens the control socket (or takes over the one handed over by a re-exec) and serves
    /// it; requests arrive on `tx`'s receiver in the main loop.
    fn listen_control(&mut self, tx: tokio::sync::mpsc::Sender<Incoming>) {
        let address = control::SocketAddress::from_env();
        let server = match self.inherited_control.take() {
            Some(fd) => {
                reexec::set_cloexec(fd, true);
                // SAFETY: the previous image kept its listening socket open across exec for
                // us and nothing else holds this descriptor.
                unsafe { control::Server::from_listener_fd(fd, address) }
            }
            None => control::Server::bind(&address),
        };
        match server {
            Ok(server) => {
                self.control_fd = Some(server.listener_fd());
                tokio::task::spawn_local(async move {
                    if let Err(error) = server.run(tx).await {
                        tracing::error!("Control socket stopped: {error}");
                    }
                });
            }
            Err(error) => tracing::error!("Unable to listen for control connections: {error}"),
        }
    }

    /// One control request: an engine fact, or an answer of the daemon's own.
    fn control(&mut self, incoming: Incoming) {
        let reply = incoming.reply;
        match control::route(incoming.request, &*self) {
            Action::Answer(response) => reply.send(response),
            Action::Command(command) => {
                let client = self.pending.insert(reply);
                self.feed(Fact::Command { client, command });
            }
            Action::Emit { event, wait: true } => {
                let client = self.pending.insert(reply);
                self.feed(Fact::Emit {
                    event,
                    client: Some(client),
                });
            }
            Action::Emit { event, wait: false } => {
                self.feed(Fact::Emit {
                    event,
                    client: None,
                });
                reply.send(Response::Ok);
            }
            Action::ReloadConfiguration => {
                self.load_configuration();
                reply.send(Response::Ok);
            }
            Action::SetLogPriority(priority) => {
                self.set_log_priority(priority);
                reply.send(Response::Ok);
            }
            Action::NotifyDiskWriteable => {
                self.log_book.flush();
                reply.send(Response::Ok);
            }
            Action::ReExec => {
                // Answer first; the exec follows once the answer had a moment to go out.
                reply.send(Response::Ok);
                let wake = self.wake.clone();
                tokio::task::spawn_local(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let _ = wake.send(Wake::ReExec);
                });
            }
        }
    }

    fn set_log_priority(&mut self, priority: LogPriority) {
        self.log_priority = priority;
        logging::set_priority(priority);
        self.engine.set_log_priority(priority);
    }

    /// Watches the error pipe of a fresh child: a record means setup failed, EOF that the
    /// exec happened.
    fn watch_spawn(&mut self, pid: Pid, key: InstanceKey, kind: ProcessKind, errors: Rc<OwnedFd>) {
        let wake = self.wake.clone();
        let fd = SharedFd(errors.clone());
        let task = tokio::task::spawn_local(async move {
            if let Ok(fd) = watch(fd) {
                let _ = fd.readable().await;
            }
            let _ = wake.send(Wake::SpawnChecked(pid));
        });
        self.pending_spawns.insert(
            pid,
            PendingSpawn {
                key,
                kind,
                errors,
                watcher: task.abort_handle(),
            },
        );
    }

    /// Reads a child's error pipe: a setup error becomes `SpawnFailed`, EOF (the exec
    /// closed it) `Execed`.
    fn check_spawn(&mut self, pid: Pid) {
        let Some(pending) = self.pending_spawns.get(&pid) else {
            return;
        };
        match supervise::read_spawn_error(&pending.errors) {
            SpawnCheck::Pending => {
                // Spurious readiness: watch again.
                if let Some(pending) = self.pending_spawns.remove(&pid) {
                    self.watch_spawn(pid, pending.key, pending.kind, pending.errors);
                }
            }
            SpawnCheck::Ok => {
                if let Some(pending) = self.pending_spawns.remove(&pid) {
                    pending.watcher.abort();
                    self.feed(Fact::Execed { pid });
                }
            }
            SpawnCheck::Failed(error) => {
                if let Some(pending) = self.pending_spawns.remove(&pid) {
                    pending.watcher.abort();
                    self.feed(Fact::SpawnFailed {
                        key: pending.key,
                        process: pending.kind,
                        error,
                    });
                }
            }
        }
    }

    fn watch_log(&mut self, log: JobLog) {
        let wake = self.wake.clone();
        let id = self.next_log;
        self.next_log += 1;
        self.logs
            .insert(id, (log.as_raw_fd(), log.file().path().to_path_buf()));
        tokio::task::spawn_local(async move {
            let Ok(fd) = watch(log) else {
                return;
            };
            let mut fd = fd;
            loop {
                let Ok(mut guard) = fd.readable_mut().await else {
                    break;
                };
                match guard.get_inner_mut().on_readable() {
                    Ok(LogProgress::Drained) => guard.clear_ready(),
                    Ok(LogProgress::More) => tokio::task::yield_now().await,
                    Ok(LogProgress::Eof) | Err(_) => break,
                }
            }
            let log = fd.into_inner();
            let _ = wake.send(Wake::LogDone(id, log.finish()));
        });
    }

    /// Hands everything to a fresh image of init (see [`reexec`]). Returns only if the exec
    /// failed, with init as it was.
    fn reexec(&mut self) {
        tracing::info!(
            "Re-executing {}",
            self.args.first().map(String::as_str).unwrap_or("init")
        );
        self.log_book.flush();
        let handover = reexec::Handover {
            engine: self.engine.save(),
            tracer: self.tracer.save(),
            clock: Some(self.now()),
            log_priority: Some(self.log_priority),
            logs: self.logs.values().cloned().collect(),
            spawns: self
                .pending_spawns
                .iter()
                .map(|(pid, p)| (*pid, p.errors.as_raw_fd(), p.key.clone(), p.kind))
                .collect(),
            control: self.control_fd,
            clients: self.pending.connections(),
        };
        let state = match reexec::write_state(&handover.encode()) {
            Ok(state) => state,
            Err(error) => {
                tracing::error!("Unable to save state for re-exec: {error}");
                return;
            }
        };
        let kept: Vec<RawFd> = handover
            .logs
            .iter()
            .map(|(fd, _)| *fd)
            .chain(handover.spawns.iter().map(|(_, fd, _, _)| *fd))
            .chain(handover.control)
            .chain(handover.clients.iter().map(|(_, fd)| *fd))
            .collect();
        for &fd in &kept {
            reexec::set_cloexec(fd, false);
        }
        let error = reexec::exec(&self.args, &state);
        for &fd in &kept {
            reexec::set_cloexec(fd, true);
        }
        tracing::error!("Failed to re-execute init: {error}");
    }

    /// Takes over from the previous image (`--restart --state-fd N`), in layers: first what
    /// the daemon itself holds (control socket, job logs, unconfirmed spawns, waiting
    /// clients, tracer, clock), then the job state, record by record. Whatever cannot be
    /// read, init still serves its control socket and reaps every process it had (they are
    /// its children); jobs it could not restore are known only from the configuration on
    /// disk, and their old processes are reaped as orphans.
    fn restore(&mut self) {
        let Some(fd) = self.options.state_fd else {
            tracing::warn!("Restarted without a state: jobs started before are not known");
            self.adopt_control(None);
            return;
        };
        let handover = reexec::read_state(fd).and_then(|text| reexec::Handover::decode(&text));
        let handover = match handover {
            Ok((handover, problems)) => {
                for problem in problems {
                    tracing::error!("Unable to read part of the state handed over: {problem}");
                }
                handover
            }
            Err(error) => {
                tracing::error!(
                    "Unable to read the state handed over: {error}; jobs started before are \
                     not known"
                );
                self.adopt_control(None);
                return;
            }
        };
        let resumed = self.take_over(&handover);
        let outcome = match Engine::restore_partial(self.engine_config.clone(), &handover.engine) {
            Ok(restored) => {
                for skipped in &restored.skipped {
                    tracing::error!("Unable to restore part of the job state: {skipped}");
                }
                self.engine = restored.engine;
                if restored.skipped.is_empty() {
                    "Restored state from the previous image"
                } else {
                    "Restored state from the previous image, but for the job state above"
                }
            }
            Err(error) => {
                tracing::error!("Unable to restore the job state: {error}");
                "Took over from the previous image without its job state"
            }
        };
        if let Some(priority) = handover.log_priority {
            self.set_log_priority(priority);
        }
        // A client the job state does not wait for would otherwise wait for ever.
        let waited: std::collections::HashSet<ClientId> =
            self.engine.waiting_clients().into_iter().collect();
        for client in resumed.into_iter().filter(|c| !waited.contains(c)) {
            self.pending.answer(
                client,
                Response::Error("Request lost: init restarted without its state".into()),
            );
        }
        for (timer, after) in self.engine.timers() {
            self.carry_out(Effect::ArmTimer { timer, after }, &mut VecDeque::new());
        }
        tracing::info!("{outcome}");
    }

    /// The daemon's own part of a hand-over; returns the waiting clients taken over. A
    /// descriptor that is not what the hand-over says, or was taken already (the control
    /// socket first), is left alone.
    fn take_over(&mut self, handover: &reexec::Handover) -> Vec<ClientId> {
        use reexec::FdKind;
        use std::os::fd::FromRawFd;
        self.adopt_control(handover.control);
        let mut taken: std::collections::HashSet<RawFd> =
            self.inherited_control.into_iter().collect();
        let mut take = |fd: RawFd, kind: FdKind| reexec::fd_is(fd, kind) && taken.insert(fd);
        if let Some(clock) = handover.clock {
            // The engine's times (respawn windows) are on the previous image's clock.
            if let Some(started) = Instant::now().checked_sub(Duration::from_millis(clock)) {
                self.started = started;
            }
        }
        self.tracer = Tracer::restore(&handover.tracer);
        for (fd, path) in &handover.logs {
            if !take(*fd, FdKind::Pty) {
                tracing::error!("Not taking over log {}: {fd} is no pty", path.display());
                continue;
            }
            reexec::set_cloexec(*fd, true);
            // SAFETY: the previous image kept this pty master open across exec for us, and
            // the hand-over names each descriptor once.
            let master = unsafe { OwnedFd::from_raw_fd(*fd) };
            self.watch_log(JobLog::new(master, path.clone()));
        }
        for (pid, fd, key, kind) in &handover.spawns {
            if !take(*fd, FdKind::Pipe) {
                tracing::error!("Not taking over the spawn of {pid}: {fd} is no pipe");
                continue;
            }
            reexec::set_cloexec(*fd, true);
            // SAFETY: as above, the error pipe of a child whose exec was not confirmed yet.
            let errors = unsafe { OwnedFd::from_raw_fd(*fd) };
            self.watch_spawn(*pid, key.clone(), *kind, Rc::new(errors));
        }
        let mut resumed = Vec::new();
        for &(client, fd) in &handover.clients {
            if !take(fd, FdKind::Connection) {
                tracing::error!("Not taking over a waiting client: {fd} is no connection");
                continue;
            }
            reexec::set_cloexec(fd, true);
            // SAFETY: a waiting client's connection, kept open across exec for us.
            match unsafe { control::server::resume(fd) } {
                Ok(responder) => {
                    self.pending.insert_as(client, responder);
                    resumed.push(client);
                }
                Err(error) => tracing::warn!("Unable to take over a waiting client: {error}"),
            }
        }
        resumed
    }

    /// Keeps the previous image's listening control socket for [`Daemon::listen_control`]:
    /// the one the hand-over names, else the one bound to our address among the inherited
    /// descriptors. Binding afresh would fail while it is open, and clients would queue on
    /// it unanswered.
    fn adopt_control(&mut self, handed: Option<RawFd>) {
        let listener = handed
            .filter(|&fd| reexec::fd_is(fd, reexec::FdKind::Listener))
            .or_else(|| reexec::find_listener(&control::SocketAddress::from_env()));
        if listener.is_none() && handed.is_some() {
            tracing::error!("The control socket handed over is gone");
        }
        self.inherited_control = listener;
    }

    /// Reaps every child that is ready and tells the engine.
    fn reap(&mut self) {
        loop {
            let events = supervise::reap();
            let full = events.len() >= supervise::REAP_BATCH;
            let mut facts = VecDeque::new();
            for event in events {
                for outcome in self.tracer.handle(event) {
                    self.trace_outcome(outcome, &mut facts);
                }
            }
            for fact in facts {
                self.feed(fact);
            }
            if !full {
                break;
            }
        }
    }

    fn trace_outcome(&mut self, outcome: TraceOutcome, facts: &mut VecDeque<Fact>) {
        match outcome {
            TraceOutcome::Exited { pid, status } => {
                // A child that failed its setup wrote why before it exited: read that first.
                if self.pending_spawns.contains_key(&pid) {
                    self.check_spawn(pid);
                    if let Some(pending) = self.pending_spawns.remove(&pid) {
                        pending.watcher.abort();
                    }
                }
                facts.push_back(Fact::Exited { pid, status });
            }
            TraceOutcome::Stopped { pid } => facts.push_back(Fact::Stopped { pid }),
            TraceOutcome::Forked { pid, child } => facts.push_back(Fact::Forked { pid, child }),
            TraceOutcome::ExecAfterFork { pid } => facts.push_back(Fact::ExecAfterFork { pid }),
            TraceOutcome::Warning(message) => tracing::warn!("{message}"),
        }
    }
}

/// What is left to do when handling a fact panicked and was undone.
struct Aborted {
    /// The fact, for the log.
    what: &'static str,
    /// A client waiting for this fact's answer, which will never come otherwise.
    client: Option<ClientId>,
    /// A process the engine would have supervised (its `Spawned` was undone).
    orphan: Option<Pid>,
}

impl Aborted {
    fn of(fact: &Fact) -> Aborted {
        let (what, client, orphan) = match fact {
            Fact::Configuration(_) => ("the configuration", None, None),
            Fact::Emit { client, .. } => ("an event", *client, None),
            Fact::Command { client, .. } => ("a control request", Some(*client), None),
            Fact::Spawned { pid, .. } => ("a new process", None, Some(*pid)),
            Fact::Execed { .. } | Fact::SpawnFailed { .. } => ("a spawn", None, None),
            Fact::Exited { .. } => ("a process exit", None, None),
            Fact::Forked { .. } | Fact::ExecAfterFork { .. } | Fact::Stopped { .. } => {
                ("a traced process", None, None)
            }
            Fact::TimerFired(_) => ("a timer", None, None),
            Fact::Continue => ("the event queue", None, None),
        };
        Aborted {
            what,
            client,
            orphan,
        }
    }
}

/// Registers an fd with the loop for readability.
fn watch<T: AsRawFd>(inner: T) -> std::io::Result<AsyncFd<T>> {
    // SAFETY: every `T` used here keeps its descriptor open for as long as the `AsyncFd`
    // lives: `JobLog` and `SharedFd` own it, and `Watched` is only made for the inotify fd,
    // which the daemon holds for the life of the loop.
    unsafe { AsyncFd::register_with_interest(inner, tokio::io::Interest::READABLE) }
        .map_err(std::io::Error::from)
}

fn listen(kind: SignalKind) -> Option<Signal> {
    match signal(kind) {
        Ok(signal) => Some(signal),
        Err(error) => {
            tracing::error!("Unable to handle signal {}: {error}", kind.as_raw_value());
            None
        }
    }
}

/// Waits for a signal; forever when its handler could not be installed.
async fn recv(signal: &mut Option<Signal>) {
    match signal {
        Some(signal) => {
            if signal.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

async fn readable(
    fd: &Option<AsyncFd<Watched>>,
) -> Option<tokio::io::unix::AsyncFdReadyGuard<'_, Watched>> {
    match fd {
        Some(fd) => fd.readable().await.ok(),
        None => std::future::pending().await,
    }
}

impl InitView for Daemon {
    fn classes(&self) -> Vec<&crate::job::JobClass> {
        self.engine.classes().collect()
    }

    fn instances(&self, job: &str) -> Vec<InstanceView> {
        self.engine.instances(job)
    }

    fn job_env(&self) -> Env {
        self.engine_config.job_env.clone()
    }

    fn log_priority(&self) -> LogPriority {
        self.log_priority
    }
}
