//! Events and the `start on` / `stop on` expressions that wait for them.
//!
//! An [`Event`] is a name and an ordered environment. An [`EventExpr`] is the parsed tree of
//! a `start on`/`stop on` stanza: `and`/`or` nodes over [`EventMatch`] leaves. Matching one
//! event against one leaf lives in [`matching`]; values are fnmatch(3) patterns ([`fnmatch`]).

pub mod fnmatch;
pub mod matching;

use crate::environ::Env;
use std::fmt;

/// One event: `runlevel RUNLEVEL=2 PREVLEVEL=N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub env: Env,
}

impl Event {
    pub fn new(name: impl Into<String>, env: Env) -> Self {
        Event {
            name: name.into(),
            env,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.env.is_empty() {
            write!(f, " {}", self.env)?;
        }
        Ok(())
    }
}

/// The tree of a `start on`/`stop on` expression. `and` and `or` have equal precedence
/// and associate to the left, so `a or b and c` is `((a or b) and c)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventExpr {
    Match(EventMatch),
    And(Box<EventExpr>, Box<EventExpr>),
    Or(Box<EventExpr>, Box<EventExpr>),
}

/// A leaf: an event name and the arguments its environment must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMatch {
    pub name: String,
    pub args: Vec<MatchArg>,
}

/// One argument of a leaf. Values are fnmatch(3) patterns after `$` expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchArg {
    /// `VALUE`: compared with the event's env entry at the same position.
    Positional(String),
    /// `KEY=VALUE`
    Equal(String, String),
    /// `KEY!=VALUE`
    NotEqual(String, String),
}

impl fmt::Display for MatchArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchArg::Positional(value) => f.write_str(value),
            MatchArg::Equal(key, value) => write!(f, "{key}={value}"),
            MatchArg::NotEqual(key, value) => write!(f, "{key}!={value}"),
        }
    }
}

impl fmt::Display for EventMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for arg in &self.args {
            write!(f, " {arg}")?;
        }
        Ok(())
    }
}

impl fmt::Display for EventExpr {
    /// Fully parenthesised, as `initctl show-config` prints it: `((a or b) and c)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventExpr::Match(leaf) => write!(f, "{leaf}"),
            EventExpr::And(left, right) => write!(f, "({left} and {right})"),
            EventExpr::Or(left, right) => write!(f, "({left} or {right})"),
        }
    }
}

impl EventExpr {
    /// Every leaf, left to right.
    pub fn leaves(&self) -> Vec<&EventMatch> {
        let mut out = Vec::new();
        self.collect_leaves(&mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, out: &mut Vec<&'a EventMatch>) {
        match self {
            EventExpr::Match(leaf) => out.push(leaf),
            EventExpr::And(left, right) | EventExpr::Or(left, right) => {
                left.collect_leaves(out);
                right.collect_leaves(out);
            }
        }
    }
}
