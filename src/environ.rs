//! Ordered `KEY=VALUE` environments (job env, event env, start/stop env) and `$VAR` expansion.
//!
//! Order matters: positional event matching reads entries by position, and replacing a key
//! keeps its original position (Upstart's `environ_add()`). Expansion follows
//! `environ_expand_until()`: `$NAME`, `${NAME}`, `${NAME-x}`, `${NAME:-x}`, `${NAME+x}`,
//! `${NAME:+x}`, `${}` → `$`.

use std::fmt;

/// An ordered environment; at most one entry per key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    entries: Vec<(String, String)>,
}

impl Env {
    pub fn new() -> Self {
        Env::default()
    }

    /// Sets KEY to VALUE; an existing KEY keeps its position and takes the new value.
    pub fn set(&mut self, key: &str, value: &str) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_string(),
            None => self.entries.push((key.to_string(), value.to_string())),
        }
    }

    /// Adds a `KEY=VALUE` string; returns false (and changes nothing) when it has no `=`.
    pub fn set_pair(&mut self, pair: &str) -> bool {
        match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => {
                self.set(key, value);
                true
            }
            _ => false,
        }
    }

    /// Sets every entry of `other` in order.
    pub fn extend(&mut self, other: &Env) {
        for (key, value) in &other.entries {
            self.set(key, value);
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value at position `index` (positional event matching).
    pub fn value_at(&self, index: usize) -> Option<&str> {
        self.entries.get(index).map(|(_, v)| v.as_str())
    }

    pub fn remove(&mut self, key: &str) {
        self.entries.retain(|(k, _)| k != key);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `KEY=VALUE` strings, in order (what `execve` and `initctl list-env` want).
    pub fn to_pairs(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}

impl fmt::Display for Env {
    /// Space-separated `KEY=VALUE` entries, as init logs an event's environment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (key, value)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{key}={value}")?;
        }
        Ok(())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut env = Env::new();
        for (key, value) in iter {
            env.set(key.as_ref(), value.as_ref());
        }
        env
    }
}

/// Why a `$` expansion failed; the text is Upstart's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `Unknown parameter: NAME`
    UnknownParameter(String),
    /// `Expected operator`
    ExpectedOperator,
    /// `Mismatched braces`
    MismatchedBraces,
}

impl fmt::Display for ExpandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpandError::UnknownParameter(name) => write!(f, "Unknown parameter: {name}"),
            ExpandError::ExpectedOperator => f.write_str("Expected operator"),
            ExpandError::MismatchedBraces => f.write_str("Mismatched braces"),
        }
    }
}

impl std::error::Error for ExpandError {}

/// Expands `$NAME`, `${NAME}` and the `${NAME-x}` family in `text` against `env`.
pub fn expand(text: &str, env: &Env) -> Result<String, ExpandError> {
    expand::expand(text, env)
}

mod expand;
