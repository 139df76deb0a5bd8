//! Upstream's log priorities (libnih's `NihLogLevel`), the one log-level vocabulary of
//! kindling: what `initctl log-priority` sets, what `-q`/`-v`/`--debug` choose, and how
//! important each line the engine asks for is. Only the daemon's `logging` maps them onto
//! `tracing`'s levels.

/// Upstream's log priorities, most verbose first (`initctl log-priority`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LogPriority {
    Debug,
    Info,
    /// The default: informational and debugging messages are suppressed.
    #[default]
    Message,
    Warn,
    Error,
    Fatal,
}

impl LogPriority {
    pub const ALL: [LogPriority; 6] = [
        LogPriority::Debug,
        LogPriority::Info,
        LogPriority::Message,
        LogPriority::Warn,
        LogPriority::Error,
        LogPriority::Fatal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LogPriority::Debug => "debug",
            LogPriority::Info => "info",
            LogPriority::Message => "message",
            LogPriority::Warn => "warn",
            LogPriority::Error => "error",
            LogPriority::Fatal => "fatal",
        }
    }

    /// Exactly upstream's names; anything else is not a priority.
    pub fn parse(text: &str) -> Option<LogPriority> {
        LogPriority::ALL.into_iter().find(|p| p.name() == text)
    }
}
