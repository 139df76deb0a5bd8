//! Fuzz target `state_decode`: arbitrary bytes, lossily decoded, as the state one image of
//! init hands to the next — through `reexec::Handover::decode`, the tracer's and the engine's
//! state within it, and straight through `Engine::restore_partial`. Any panic is a bug: a new image that
//! panics on its state is a dead PID 1. What is read must also save to a state that reads
//! back in full and saves to the same text again.

#![no_main]

use kindling::daemon::reexec::Handover;
use kindling::engine::{Engine, EngineConfig};
use kindling::supervise::Tracer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((handover, _problems)) = Handover::decode(&text) {
        // What was read is written and read back exactly, without a problem.
        let again = Handover::decode(&handover.encode()).expect("own encoding");
        assert_eq!(again, (handover.clone(), Vec::new()));
        let _ = Tracer::restore(&handover.tracer).save();
        engine_state(&handover.engine);
    }
    engine_state(&text);
});

fn engine_state(text: &str) {
    let Ok(restored) = Engine::restore_partial(EngineConfig::default(), text) else {
        return;
    };
    let saved = restored.engine.save();
    let again = match Engine::restore(EngineConfig::default(), &saved) {
        Ok(engine) => engine,
        Err(error) => panic!("a saved state does not restore: {error}\n{saved}"),
    };
    assert_eq!(again.save(), saved, "save of a restored state differs");
}
