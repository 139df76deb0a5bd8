//! The `$` expansion algorithm (Upstart `environ_expand_until()`).

use super::{Env, ExpandError};

pub(super) fn expand(text: &str, env: &Env) -> Result<String, ExpandError> {
    // Placeholder so the crate builds; replaced by the full algorithm.
    let _ = env;
    Ok(text.to_string())
}
