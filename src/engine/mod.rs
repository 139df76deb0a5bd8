//! The job engine: goals, the ten states, the event queue, blocking and respawn.
//!
//! Pure and deterministic: [`Engine::handle`] takes the time and one [`Fact`] and returns the
//! [`Effect`]s the daemon must carry out. It never forks, signals, sleeps or reads a clock;
//! process ids are opaque numbers the daemon hands in.

mod api;

pub use api::*;
