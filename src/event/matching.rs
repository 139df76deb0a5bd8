//! Matching one event against one `start on`/`stop on` leaf (Upstart `event_operator_match()`).

use super::{Event, EventMatch};
use crate::environ::Env;

/// Does `event` satisfy `leaf`? Values are `$`-expanded against `env` first (the job's
/// environment); a value that cannot be expanded makes the leaf not match.
pub fn matches(leaf: &EventMatch, event: &Event, env: &Env) -> bool {
    // Placeholder so the crate builds; replaced by the real rules.
    let _ = env;
    leaf.name == event.name && leaf.args.is_empty()
}
