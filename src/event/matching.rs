//! Matching one event against one `start on`/`stop on` leaf (Upstart `event_operator_match()`).
//!
//! The event name must be equal (no glob). Then each argument in turn: a positional value
//! is compared with the value of the event's env entry at the same position, `KEY=VALUE`
//! and `KEY!=VALUE` with the value of KEY wherever it is. An argument whose entry is missing
//! fails the leaf, even for `!=` (Upstart 1.13; a later Chromium patch changed this). The
//! argument's value is `$`-expanded against the job's environment — an expansion error
//! fails the leaf — and used as an fnmatch(3) pattern; `!=` negates the result.
//!
//! This runs for every leaf of every job on every event, so it allocates only to expand a
//! value that holds a `$`.

use super::fnmatch::fnmatch;
use super::{Event, EventMatch, MatchArg};
use crate::environ::{expand, Env};

/// Does `event` satisfy `leaf`? Values are `$`-expanded against `env` first (the job's
/// environment); a value that cannot be expanded makes the leaf not match.
pub fn matches(leaf: &EventMatch, event: &Event, env: &Env) -> bool {
    if leaf.name != event.name {
        return false;
    }
    // Upstart walks the event env alongside the arguments; a named argument moves this
    // cursor to the entry it found (which matters only if a positional followed it, which
    // the parser does not allow).
    let mut position = 0;
    for arg in &leaf.args {
        let (found, pattern, negate) = match arg {
            MatchArg::Positional(pattern) => (event.env.value_at(position), pattern, false),
            MatchArg::Equal(key, pattern) => (named(event, key, &mut position), pattern, false),
            MatchArg::NotEqual(key, pattern) => (named(event, key, &mut position), pattern, true),
        };
        position += 1;

        let Some(value) = found else {
            return false;
        };
        let matched = if pattern.contains('$') {
            match expand(pattern, env) {
                Ok(pattern) => fnmatch(&pattern, value),
                Err(_) => return false,
            }
        } else {
            fnmatch(pattern, value)
        };
        if matched == negate {
            return false;
        }
    }
    true
}

/// The value of KEY in the event's env; moves the positional cursor to its entry.
fn named<'e>(event: &'e Event, key: &str, position: &mut usize) -> Option<&'e str> {
    let (index, (_, value)) = event.env.iter().enumerate().find(|(_, (k, _))| *k == key)?;
    *position = index;
    Some(value)
}
