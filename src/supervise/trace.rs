//! `expect fork|daemon`: following a job's main process through its forks with ptrace, as
//! Upstart's `job_process_trace_*()` do. Every ptrace request of kindling lives here.
//!
//! Never: leave a tracee stopped (every stop is answered with a continue or a detach), swallow
//! a signal meant for the job (signal-delivery stops re-inject it), or call ptrace from any
//! thread but the one that forked (ptrace is per thread; the daemon has one).
//!
//! The daemon owns one [`Tracer`], calls [`Tracer::follow`] for a spawn that says `traced`,
//! and passes *every* reaped [`ChildEvent`] through [`Tracer::handle`], which answers in
//! [`TraceOutcome`]s (the facts for the engine). The tracer counts forks itself (it knows the
//! `expect` mode), so it can detach the last child at its first stop even before the engine's
//! `Effect::Detach` arrives; that effect ([`Tracer::detach`]) is then a no-op. `Detach` for a
//! trace that is still running (the engine abandoned it on `stop`) is done at the tracee's
//! next stop, passing on the signal that stopped it.
//!
//! The tracer only ever acts on a tracee in a stop whose event it is handling. Events arrive
//! in batches ([`super::reap`]), so a new child's first SIGSTOP may come before or after its
//! parent's fork event: before, it is recognised as our tracee (`PTRACE_GETSIGINFO`) and kept
//! stopped until the fork event names it; after, it is handled when it comes. (Upstream
//! probes the child with a ptrace request at the fork event instead; with batched events that
//! resumes a child whose stop is still queued, and the queued event then acts on a running
//! process.)

use super::reaper::ChildEvent;
use super::spawn::strerror;
use crate::job::Expect;
use crate::process::{ExitStatus, Pid};
use std::collections::HashMap;

/// What the daemon turns into engine facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceOutcome {
    /// `Fact::Exited`.
    Exited { pid: Pid, status: ExitStatus },
    /// `Fact::Stopped`: a process stopped by SIGSTOP outside any trace (`expect stop`).
    Stopped { pid: Pid },
    /// `Fact::Forked`: the followed process forked; `child` is the job's main process now.
    Forked { pid: Pid, child: Pid },
    /// The followed process exec'd after at least one fork: upstream ends the trace there and
    /// moves the job on (so `expect daemon` + one fork + exec acts like `expect fork`).
    /// The engine has no fact for this yet; until it has, the daemon can answer with
    /// `Fact::Forked { pid, child: pid }` once per fork the engine still expects.
    ExecAfterFork { pid: Pid },
    /// A ptrace request failed (upstream logs these as warnings and carries on).
    Warning(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Spawned with PTRACE_TRACEME; its exec has not trapped yet.
    New,
    /// Options set; forks and execs are reported as events.
    Normal,
    /// Just forked off the followed process; its first SIGSTOP is due.
    NewChild,
}

#[derive(Debug, Clone, Copy)]
struct Trace {
    needed: u32,
    forks: u32,
    phase: Phase,
    detach_requested: bool,
}

/// New children stopped before their parent's fork event was seen; more is a bug elsewhere.
const MAX_EARLY: usize = 64;

/// The traces of all main processes in `spawned`.
#[derive(Debug, Default)]
pub struct Tracer {
    traces: HashMap<Pid, Trace>,
    /// Our tracees in their first SIGSTOP whose parent's fork event is still to come.
    early: Vec<Pid>,
}

fn ptrace(request: libc::c_uint, pid: Pid, data: usize) -> Result<(), i32> {
    // SAFETY: requests without an address argument; data is an integer (signal or options).
    let rc = unsafe { libc::ptrace(request, pid, 0usize, data) };
    if rc < 0 {
        Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO))
    } else {
        Ok(())
    }
}

/// Whether `pid` is our tracee, stopped in a signal-delivery stop right now.
fn in_signal_stop(pid: Pid) -> bool {
    // SAFETY: GETSIGINFO writes one siginfo_t into the zeroed buffer we pass.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        libc::ptrace(
            libc::PTRACE_GETSIGINFO,
            pid,
            0usize,
            &mut info as *mut libc::siginfo_t,
        ) == 0
    }
}

fn event_message(pid: Pid) -> Result<Pid, i32> {
    let mut message: libc::c_ulong = 0;
    // SAFETY: GETEVENTMSG writes one unsigned long at the address we pass.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_GETEVENTMSG,
            pid,
            0usize,
            &mut message as *mut libc::c_ulong,
        )
    };
    if rc < 0 {
        Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO))
    } else {
        Pid::try_from(message).map_err(|_| libc::EOVERFLOW)
    }
}

const OPTIONS: usize = (libc::PTRACE_O_TRACEFORK | libc::PTRACE_O_TRACEEXEC) as usize;

impl Tracer {
    pub fn new() -> Self {
        Tracer::default()
    }

    /// Starts following `pid`, just spawned with `traced: Some(expect)`.
    pub fn follow(&mut self, pid: Pid, expect: Expect) {
        let needed = match expect {
            Expect::Fork => 1,
            Expect::Daemon => 2,
            Expect::None | Expect::Stop => return,
        };
        self.traces.insert(
            pid,
            Trace {
                needed,
                forks: 0,
                phase: Phase::New,
                detach_requested: false,
            },
        );
    }

    /// Whether `pid` is being followed.
    pub fn is_traced(&self, pid: Pid) -> bool {
        self.traces.contains_key(&pid)
    }

    /// `Effect::Detach`: stop tracing `pid` at its next stop (every stop the tracer has seen
    /// was already answered, so the tracee is running). Unknown pids (already detached, or
    /// never traced) are fine.
    pub fn detach(&mut self, pid: Pid) {
        if let Some(trace) = self.traces.get_mut(&pid) {
            trace.detach_requested = true;
        }
    }

    /// Handles one reaped event; events of untraced processes pass through.
    pub fn handle(&mut self, event: ChildEvent) -> Vec<TraceOutcome> {
        let mut out = Vec::new();
        match event {
            ChildEvent::Exited { pid, status } => {
                self.traces.remove(&pid);
                self.early.retain(|p| *p != pid);
                out.push(TraceOutcome::Exited { pid, status });
            }
            ChildEvent::Stopped { pid, signal } => match self.traces.get(&pid).copied() {
                None if signal == libc::SIGSTOP && in_signal_stop(pid) => {
                    // A new child ahead of its parent's fork event.
                    if self.early.len() < MAX_EARLY {
                        self.early.push(pid);
                    } else if let Err(err) = ptrace(libc::PTRACE_DETACH, pid, 0) {
                        out.push(warning("detach traced", pid, err));
                    }
                }
                None => {
                    if signal == libc::SIGSTOP {
                        out.push(TraceOutcome::Stopped { pid });
                    }
                }
                Some(trace) => self.stopped(pid, signal, trace, &mut out),
            },
            ChildEvent::PtraceEvent { pid, event } => match self.traces.get(&pid).copied() {
                // Not followed (any more): let it go rather than leave it stopped.
                None => {
                    if let Err(err) = ptrace(libc::PTRACE_DETACH, pid, 0) {
                        if err != libc::ESRCH {
                            out.push(warning("detach traced", pid, err));
                        }
                    }
                }
                Some(trace) => self.ptrace_event(pid, event, trace, &mut out),
            },
        }
        out
    }

    fn stopped(&mut self, pid: Pid, signal: i32, trace: Trace, out: &mut Vec<TraceOutcome>) {
        match (trace.phase, signal) {
            // The exec of the spawn trapped: ask for fork and exec events.
            (Phase::New, libc::SIGTRAP) if !trace.detach_requested => {
                self.start_normal(pid, out);
            }
            (Phase::New, libc::SIGTRAP) => self.finish(pid, 0, out),
            // The new child's first stop.
            (Phase::NewChild, libc::SIGSTOP) => self.new_child(pid, out),
            // A signal for the process: deliver it.
            _ if trace.detach_requested => self.finish(pid, signal, out),
            _ => match ptrace(libc::PTRACE_CONT, pid, signal as usize) {
                Ok(()) => {}
                // Not a ptrace stop: `debug` stops the child before PTRACE_TRACEME.
                Err(libc::ESRCH) => {
                    if signal == libc::SIGSTOP {
                        out.push(TraceOutcome::Stopped { pid });
                    }
                }
                Err(err) => out.push(warning("deliver signal to traced", pid, err)),
            },
        }
    }

    fn ptrace_event(&mut self, pid: Pid, event: i32, trace: Trace, out: &mut Vec<TraceOutcome>) {
        if trace.detach_requested && event != libc::PTRACE_EVENT_FORK {
            self.finish(pid, 0, out);
            return;
        }
        match event {
            libc::PTRACE_EVENT_FORK => {
                let child = match event_message(pid) {
                    Ok(child) => child,
                    Err(err) => {
                        out.push(warning("obtain child process id of traced", pid, err));
                        if let Err(err) = ptrace(libc::PTRACE_CONT, pid, 0) {
                            out.push(warning("continue traced", pid, err));
                        }
                        return;
                    }
                };
                // Follow the child from now on; the parent goes about its business. An
                // abandoned trace still has to let go of the child, at its first stop.
                self.finish(pid, 0, out);
                self.traces.insert(
                    child,
                    Trace {
                        needed: trace.needed,
                        forks: trace.forks.saturating_add(1),
                        phase: Phase::NewChild,
                        detach_requested: trace.detach_requested,
                    },
                );
                if !trace.detach_requested {
                    out.push(TraceOutcome::Forked { pid, child });
                }
                if let Some(at) = self.early.iter().position(|p| *p == child) {
                    self.early.swap_remove(at);
                    self.new_child(child, out);
                }
            }
            libc::PTRACE_EVENT_EXEC if trace.forks > 0 => {
                self.finish(pid, 0, out);
                out.push(TraceOutcome::ExecAfterFork { pid });
            }
            _ => {
                if let Err(err) = ptrace(libc::PTRACE_CONT, pid, 0) {
                    out.push(warning("continue traced", pid, err));
                }
            }
        }
    }

    /// A new child in its first stop: detach it when enough forks were seen (or the engine
    /// asked), else follow its forks in turn.
    fn new_child(&mut self, pid: Pid, out: &mut Vec<TraceOutcome>) {
        let Some(trace) = self.traces.get(&pid).copied() else {
            return;
        };
        if trace.phase != Phase::NewChild {
            return;
        }
        if trace.forks >= trace.needed || trace.detach_requested {
            self.finish(pid, 0, out);
        } else {
            self.start_normal(pid, out);
        }
    }

    fn start_normal(&mut self, pid: Pid, out: &mut Vec<TraceOutcome>) {
        if let Err(err) = ptrace(libc::PTRACE_SETOPTIONS, pid, OPTIONS) {
            out.push(warning("set ptrace options for", pid, err));
            self.finish(pid, 0, out);
            return;
        }
        if let Some(trace) = self.traces.get_mut(&pid) {
            trace.phase = Phase::Normal;
        }
        if let Err(err) = ptrace(libc::PTRACE_CONT, pid, 0) {
            out.push(warning("continue traced", pid, err));
        }
    }

    /// Ends the trace of a stopped tracee, delivering `signal` (0 for none).
    fn finish(&mut self, pid: Pid, signal: i32, out: &mut Vec<TraceOutcome>) {
        self.traces.remove(&pid);
        if let Err(err) = ptrace(libc::PTRACE_DETACH, pid, signal as usize) {
            if err != libc::ESRCH {
                out.push(warning("detach traced", pid, err));
            }
        }
    }
}

/// Upstart's wording without the job name, which the daemon may prefix.
fn warning(what: &str, pid: Pid, err: i32) -> TraceOutcome {
    TraceOutcome::Warning(format!(
        "Failed to {what} process ({pid}): {}",
        strerror(err)
    ))
}

impl Tracer {
    /// The traces as text, for a re-exec: ptrace attachments survive `execve` of the tracer,
    /// so the new image only needs to know what it was following. One line per trace:
    /// `PID NEEDED FORKS PHASE DETACH`, then `early PID…`.
    pub fn save(&self) -> String {
        let mut out = String::new();
        for (pid, trace) in &self.traces {
            let phase = match trace.phase {
                Phase::New => "new",
                Phase::Normal => "normal",
                Phase::NewChild => "new-child",
            };
            out.push_str(&format!(
                "{pid} {} {} {phase} {}\n",
                trace.needed, trace.forks, trace.detach_requested as u8
            ));
        }
        out.push_str("early");
        for pid in &self.early {
            out.push_str(&format!(" {pid}"));
        }
        out.push('\n');
        out
    }

    /// Reads [`Tracer::save`]'s text; lines it cannot read are skipped (their processes
    /// then run on untraced at their next stop, as for any unknown tracee).
    pub fn restore(text: &str) -> Tracer {
        let mut tracer = Tracer::new();
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.first() == Some(&"early") {
                tracer.early = words
                    .iter()
                    .skip(1)
                    .filter_map(|w| w.parse().ok())
                    .take(MAX_EARLY)
                    .collect();
                continue;
            }
            let [pid, needed, forks, phase, detach] = words.as_slice() else {
                continue;
            };
            let phase = match *phase {
                "new" => Phase::New,
                "normal" => Phase::Normal,
                "new-child" => Phase::NewChild,
                _ => continue,
            };
            let (Ok(pid), Ok(needed), Ok(forks)) = (pid.parse(), needed.parse(), forks.parse())
            else {
                continue;
            };
            tracer.traces.insert(
                pid,
                Trace {
                    needed,
                    forks,
                    phase,
                    detach_requested: *detach == "1",
                },
            );
        }
        tracer
    }
}
