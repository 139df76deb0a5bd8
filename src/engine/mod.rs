//! The job engine: goals, the ten states, the event queue, blocking and respawn.
//!
//! Pure and deterministic: [`Engine::handle`] takes the time and one [`Fact`] and returns the
//! [`Effect`]s the daemon must carry out. It never forks, signals, sleeps or reads a clock;
//! process ids are opaque numbers the daemon hands in.

mod api;

pub use api::*;

/// The engine. See the module documentation.
pub struct Engine {
    config: EngineConfig,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        Engine { config }
    }

    /// Handles one fact at time `now` and runs the event queue until it is idle.
    pub fn handle(&mut self, now: Millis, fact: Fact) -> Vec<Effect> {
        let _ = (now, fact, &self.config);
        Vec::new()
    }

    /// Every instance of `job` (none when it is stopped or unknown).
    pub fn instances(&self, job: &str) -> Vec<InstanceView> {
        let _ = job;
        Vec::new()
    }

    /// Is `job` a known class?
    pub fn has_job(&self, job: &str) -> bool {
        let _ = job;
        false
    }

    /// `initctl list` lines: one status block per instance, `NAME stop/waiting` for idle classes.
    pub fn list(&self) -> Vec<String> {
        Vec::new()
    }
}
