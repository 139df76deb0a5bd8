//! The control channel: how `initctl` (and its `start`, `stop`, … links) talks to init.
//!
//! One unix stream socket, one request and one response per connection, in the small
//! versioned binary format of [`protocol`]. [`client`] is the blocking side initctl uses;
//! [`server`] is init's side (tokio, current-thread, `spawn_local` only): it reads one bounded
//! frame per connection, authorises it by the peer's credentials (`SO_PEERCRED`: root may do
//! everything, other users only read) and hands it to the daemon's loop. [`dispatch`] tells
//! the daemon what each request means (an engine fact, or an answer of its own; the
//! answers to `show-config`, `check-config` and `usage` come from [`crate::inspect`]).
//!
//! Must never: panic on anything a client sends, block the daemon loop, grow a buffer
//! beyond [`protocol::MAX_REQUEST`] for a client, or hold more connections than the shares
//! in [`server`]'s "Limits" (root, root's waiting clients, other users, each user).
//!
//! # The socket address
//!
//! By default the Linux abstract socket `@/org/kindling/control` ([`DEFAULT_ADDRESS`]): it
//! needs no file system, so it works while `/` is still read-only and `/run` not mounted,
//! and it is scoped to the network namespace, so tests in `unshare --net` get their own.
//! Abstract sockets have no permissions; every request is authorised by the peer's uid
//! instead. The environment variable `KINDLING_SOCKET` overrides the address for both sides
//! (tests run a private init with it): a value starting with `@` names an abstract socket,
//! anything else a file system path (created mode 0666, a stale one replaced).
//!
//! # Wiring into the daemon
//!
//! ```ignore
//! // Once the configuration is loaded (initctl version must work within a second):
//! let (control_tx, mut control_rx) = tokio::sync::mpsc::channel(64);
//! match control::Server::bind(&control::SocketAddress::from_env()) {
//!     Ok(server) => { tokio::task::spawn_local(server.run(control_tx)); }
//!     Err(error) => tracing::error!("Unable to listen for control connections: {error}"),
//! }
//! // In the select! loop:    Some(incoming) = control_rx.recv() => self.control(incoming),
//! // On the 1 s tick:         self.pending.prune();
//!
//! fn control(&mut self, incoming: control::Incoming) {
//!     let reply = incoming.reply;
//!     match control::route(incoming.request, &*self) {   // Daemon implements InitView
//!         Action::Answer(response) => reply.send(response),
//!         Action::Command(command) => {
//!             let client = self.pending.insert(reply);
//!             self.feed(Fact::Command { client, command });
//!         }
//!         Action::Emit { event, wait: true } => {
//!             let client = self.pending.insert(reply);
//!             self.feed(Fact::Emit { event, client: Some(client) });
//!         }
//!         Action::Emit { event, wait: false } => {
//!             self.feed(Fact::Emit { event, client: None });
//!             reply.send(Response::Ok);
//!         }
//!         Action::ReloadConfiguration => { self.load_configuration(); reply.send(Response::Ok) }
//!         Action::SetLogPriority(priority) => { self.set_log_priority(priority); reply.send(Response::Ok) }
//!         Action::NotifyDiskWriteable => { /* flush the LogBook */ reply.send(Response::Ok) }
//!     }
//! }
//! // and Effect::Reply { client, reply } => { self.pending.answer(client, reply.into()); }
//! ```

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod client;
pub mod dispatch;
pub mod protocol;
pub mod server;

pub use client::ClientError;
pub use dispatch::{route, Action, InitView, LogPriority};
pub use protocol::{JobTarget, Request, Response};
pub use server::{Incoming, Peer, Pending, Responder, Server};

use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::PathBuf;

/// The default control socket: abstract, so it works before any file system is writable.
pub const DEFAULT_ADDRESS: &str = "@/org/kindling/control";

/// The environment variable that overrides the socket address (for tests).
pub const SOCKET_ENV: &str = "KINDLING_SOCKET";

/// Where the control socket lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketAddress {
    /// A Linux abstract socket name (without the leading NUL byte).
    Abstract(Vec<u8>),
    /// A socket file.
    Path(PathBuf),
}

impl SocketAddress {
    /// `@name` is an abstract socket, anything else a path.
    pub fn parse(text: &str) -> SocketAddress {
        match text.strip_prefix('@') {
            Some(name) => SocketAddress::Abstract(name.as_bytes().to_vec()),
            None => SocketAddress::Path(PathBuf::from(text)),
        }
    }

    /// `$KINDLING_SOCKET` when set and not empty, else [`DEFAULT_ADDRESS`].
    pub fn from_env() -> SocketAddress {
        match std::env::var(SOCKET_ENV) {
            Ok(value) if !value.is_empty() => SocketAddress::parse(&value),
            _ => SocketAddress::parse(DEFAULT_ADDRESS),
        }
    }

    /// The address in the form std's sockets take.
    pub fn to_socket_addr(&self) -> io::Result<SocketAddr> {
        match self {
            SocketAddress::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                SocketAddr::from_abstract_name(name)
            }
            SocketAddress::Path(path) => SocketAddr::from_pathname(path),
        }
    }
}

impl Default for SocketAddress {
    fn default() -> Self {
        SocketAddress::parse(DEFAULT_ADDRESS)
    }
}

impl fmt::Display for SocketAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketAddress::Abstract(name) => write!(f, "@{}", String::from_utf8_lossy(name)),
            SocketAddress::Path(path) => write!(f, "{}", path.display()),
        }
    }
}

/// An I/O error's text without Rust's ` (os error N)` suffix, as C programs print it.
pub(crate) fn plain_error(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(at) => text.get(..at).unwrap_or(&text).to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_print() {
        assert_eq!(
            SocketAddress::parse("@/org/kindling/control"),
            SocketAddress::Abstract(b"/org/kindling/control".to_vec())
        );
        assert_eq!(
            SocketAddress::parse("/run/kindling/control"),
            SocketAddress::Path("/run/kindling/control".into())
        );
        assert_eq!(SocketAddress::default().to_string(), DEFAULT_ADDRESS);
        assert_eq!(
            SocketAddress::parse("/tmp/x").to_string(),
            "/tmp/x".to_string()
        );
    }

    #[test]
    fn os_error_suffix_is_dropped() {
        let error = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(plain_error(&error), "Connection refused");
    }
}
