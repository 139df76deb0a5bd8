//! init's side of the control socket: accept, read one bounded frame, authorise, hand the
//! request to the daemon loop, write its answer back.
//!
//! Runs on the daemon's tokio current-thread runtime inside a `LocalSet`: the accept loop
//! and one `spawn_local` task per connection, no threads. A connection that sends nothing
//! for [`READ_TIMEOUT`], announces a frame larger than [`protocol::MAX_REQUEST`], sends
//! garbage, or hangs up early is answered with an error where it can still read one, and
//! dropped; none of this ever reaches or blocks the daemon. Root's connections and other
//! users' are counted apart, so that users cannot crowd root out: at most
//! [`MAX_CONNECTIONS`] of root's are served at once (more wait in the listen backlog), and
//! at most [`MAX_USER_CONNECTIONS`] of everybody else's (more are closed at once).
//!
//! The daemon sees only [`Incoming`] values on an mpsc channel: the peer's credentials, a
//! request that already passed the permission check ([`Request::authorise`]) and argument
//! validation ([`Request::validate`]), and a [`Responder`]. A request the daemon answers later
//! (a waited `start`, `emit`) parks its responder in [`Pending`] under a fresh engine
//! `ClientId`.

use super::protocol::{self, DecodeError, Request, Response};
use super::SocketAddress;
use crate::engine::ClientId;
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// How long a client may take to send its whole request.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long writing an answer may take before the client is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Root's connections served at the same time (waiting `start`s and `emit`s hold one each).
pub const MAX_CONNECTIONS: usize = 256;
/// Other users' connections served at the same time (they may only read: answered at once).
pub const MAX_USER_CONNECTIONS: usize = 32;

/// Who is asking, from `SO_PEERCRED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub uid: u32,
    pub gid: u32,
    pub pid: Option<i32>,
}

/// One request for the daemon, and the way to answer it.
#[derive(Debug)]
pub struct Incoming {
    pub peer: Peer,
    pub request: Request,
    pub reply: Responder,
}

/// Answers one client, once. Dropping it without answering closes the connection.
#[derive(Debug)]
pub struct Responder {
    answer: oneshot::Sender<Response>,
    /// The client's connection, while a task of this server holds it (for a re-exec
    /// hand-over: the connection survives exec, the task does not).
    connection: Option<RawFd>,
}

impl Responder {
    /// Sends the answer; a client that has gone away is silently ignored.
    pub fn send(self, response: Response) {
        let _ = self.answer.send(response);
    }

    /// Whether the client has hung up (its answer would go nowhere).
    pub fn is_closed(&self) -> bool {
        self.answer.is_closed()
    }

    /// A responder and the receiving end its answer arrives on (for tests and tools).
    pub fn pair() -> (Responder, oneshot::Receiver<Response>) {
        let (tx, rx) = oneshot::channel();
        (
            Responder {
                answer: tx,
                connection: None,
            },
            rx,
        )
    }
}

/// Clients waiting for the engine, by the `ClientId` the engine knows them under.
#[derive(Debug, Default)]
pub struct Pending {
    last: ClientId,
    waiting: HashMap<ClientId, Responder>,
}

impl Pending {
    pub fn new() -> Self {
        Pending::default()
    }

    /// Parks a responder; the id is new and never reused.
    pub fn insert(&mut self, responder: Responder) -> ClientId {
        self.last = self.last.wrapping_add(1);
        self.waiting.insert(self.last, responder);
        self.last
    }

    /// Parks a responder under a known id (clients handed over by a re-exec); later
    /// [`Pending::insert`]s never reuse it.
    pub fn insert_as(&mut self, client: ClientId, responder: Responder) {
        self.last = self.last.max(client);
        self.waiting.insert(client, responder);
    }

    /// The connections of parked clients, for a re-exec hand-over.
    pub fn connections(&self) -> Vec<(ClientId, RawFd)> {
        self.waiting
            .iter()
            .filter_map(|(id, r)| r.connection.map(|fd| (*id, fd)))
            .collect()
    }

    /// The highest id handed out so far.
    pub fn last_id(&self) -> ClientId {
        self.last
    }

    /// Answers a parked client; false if there is none under that id.
    pub fn answer(&mut self, client: ClientId, response: Response) -> bool {
        match self.waiting.remove(&client) {
            Some(responder) => {
                responder.send(response);
                true
            }
            None => false,
        }
    }

    /// Forgets clients that have hung up; returns how many.
    pub fn prune(&mut self) -> usize {
        let before = self.waiting.len();
        self.waiting.retain(|_, responder| !responder.is_closed());
        before - self.waiting.len()
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

/// The listening control socket. See the module documentation.
#[derive(Debug)]
pub struct Server {
    listener: std::os::unix::net::UnixListener,
    address: SocketAddress,
    read_timeout: Duration,
    write_timeout: Duration,
    max_connections: usize,
    max_user_connections: usize,
}

impl Server {
    /// Binds and listens (close-on-exec, non-blocking). A path socket is created mode 0666
    /// (authorisation is by peer credentials) after removing a stale file; one that still
    /// answers is left alone (`AddrInUse`). Needs no runtime: may be called before it exists.
    pub fn bind(address: &SocketAddress) -> io::Result<Server> {
        let addr = address.to_socket_addr()?;
        if let SocketAddress::Path(path) = address {
            remove_stale(path)?;
        }
        let listener = std::os::unix::net::UnixListener::bind_addr(&addr)?;
        if let SocketAddress::Path(path) = address {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
        }
        listener.set_nonblocking(true)?;
        Ok(Server {
            listener,
            address: address.clone(),
            read_timeout: READ_TIMEOUT,
            write_timeout: WRITE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_user_connections: MAX_USER_CONNECTIONS,
        })
    }

    /// Changes how long a client may take to send its request.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Changes how long writing an answer may take.
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Changes how many of root's connections are served at once.
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Changes how many connections of other users are served at once.
    pub fn with_max_user_connections(mut self, max: usize) -> Self {
        self.max_user_connections = max.max(1);
        self
    }

    pub fn address(&self) -> &SocketAddress {
        &self.address
    }

    /// The listening descriptor (kept open across a re-exec).
    pub fn listener_fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }

    /// Takes over a listening socket handed over by a re-exec.
    ///
    /// # Safety
    /// `fd` must be an open, listening unix stream socket that nothing else owns.
    pub unsafe fn from_listener_fd(fd: RawFd, address: SocketAddress) -> io::Result<Server> {
        use std::os::fd::FromRawFd;
        // SAFETY: the caller guarantees fd is a listening socket we now own.
        let listener = unsafe { std::os::unix::net::UnixListener::from_raw_fd(fd) };
        listener.set_nonblocking(true)?;
        Ok(Server {
            listener,
            address,
            read_timeout: READ_TIMEOUT,
            write_timeout: WRITE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_user_connections: MAX_USER_CONNECTIONS,
        })
    }

    /// Serves clients until the daemon drops its receiver. Must run inside a `LocalSet` on
    /// the runtime (it uses `spawn_local`). Fails only if the socket cannot be registered
    /// with the runtime.
    pub async fn run(self, daemon: mpsc::Sender<Incoming>) -> io::Result<()> {
        let listener = UnixListener::from_std(self.listener)?;
        let limits = Limits {
            read: self.read_timeout,
            write: self.write_timeout,
        };
        let root_slots = Arc::new(Semaphore::new(self.max_connections));
        let user_slots = Arc::new(Semaphore::new(self.max_user_connections));
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = daemon.closed() => return Ok(()),
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // EMFILE and friends: do not spin, try again shortly.
                    tracing::warn!("Unable to accept control connection: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(cred) = stream.peer_cred() else {
                continue;
            };
            let peer = Peer {
                uid: cred.uid(),
                gid: cred.gid(),
                pid: cred.pid(),
            };
            let permit = if peer.uid == 0 {
                tokio::select! {
                    permit = root_slots.clone().acquire_owned() => match permit {
                        Ok(permit) => permit,
                        Err(_) => return Ok(()),
                    },
                    _ = daemon.closed() => return Ok(()),
                }
            } else {
                match user_slots.clone().try_acquire_owned() {
                    Ok(permit) => permit,
                    Err(_) => {
                        tracing::debug!(
                            "Too many control connections from users; {peer:?} dropped"
                        );
                        continue;
                    }
                }
            };
            let daemon = daemon.clone();
            tokio::task::spawn_local(async move {
                serve(stream, peer, daemon, limits).await;
                drop(permit);
            });
        }
    }
}

/// A socket file nobody answers on is removed; one that answers means another init, and
/// anything that is not a socket is left alone.
fn remove_stale(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)?;
                }
            }
            Ok(())
        }
        Err(error) => Err(error),
        Ok(meta) => {
            use std::os::unix::fs::FileTypeExt;
            if !meta.file_type().is_socket() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                ));
            }
            if someone_listens(path)? {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{} is in use by another init", path.display()),
                ));
            }
            std::fs::remove_file(path)
        }
    }
}

/// Whether a listener is behind the socket file, asked without blocking: a blocking
/// `connect` to a listener whose backlog is full (a stopped or wedged process) would wait
/// until it accepts, and this runs on PID 1's loop. A full backlog (`EAGAIN`) means someone
/// listens; only a refusal or a vanished file means the file is stale.
fn someone_listens(path: &Path) -> io::Result<bool> {
    use nix::errno::Errno;
    use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType, UnixAddr};
    let probe = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    let addr = UnixAddr::new(path)?;
    loop {
        return match connect(probe.as_raw_fd(), &addr) {
            Ok(()) | Err(Errno::EAGAIN) | Err(Errno::EINPROGRESS) => Ok(true),
            Err(Errno::EINTR) => continue,
            Err(_) => Ok(false),
        };
    }
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    read: Duration,
    write: Duration,
}

/// Why no request could be read.
enum ReadError {
    /// The client hung up (or half-closed) before a whole frame arrived: nobody to answer.
    Closed,
    /// The bytes are not a request: answer with an error, then drop.
    Invalid(DecodeError),
}

/// Serves one connection from start to end.
async fn serve(mut stream: UnixStream, peer: Peer, daemon: mpsc::Sender<Incoming>, limits: Limits) {
    let request = match tokio::time::timeout(limits.read, read_request(&mut stream)).await {
        Err(_) => {
            tracing::debug!("Control client {peer:?} too slow; dropped");
            return;
        }
        Ok(Err(ReadError::Closed)) => return,
        Ok(Err(ReadError::Invalid(error))) => {
            let response = Response::Error(format!("Invalid request: {error}"));
            respond(&mut stream, &response, limits).await;
            return;
        }
        Ok(Ok(request)) => request,
    };
    let refused = request
        .authorise(peer.uid)
        .and_then(|()| request.validate());
    if let Err(message) = refused {
        respond(&mut stream, &Response::Error(message), limits).await;
        return;
    }
    let (mut reply, answer) = Responder::pair();
    reply.connection = Some(stream.as_raw_fd());
    let incoming = Incoming {
        peer,
        request,
        reply,
    };
    if daemon.send(incoming).await.is_err() {
        return;
    }
    let response = tokio::select! {
        response = answer => match response {
            Ok(response) => response,
            // The daemon dropped the responder: nothing to say.
            Err(_) => return,
        },
        () = hang_up(&stream) => return,
    };
    respond(&mut stream, &response, limits).await;
}

/// Takes over the connection of a client that was waiting when a re-exec happened: the
/// returned responder answers it as if nothing had happened. Needs a `LocalSet`.
///
/// # Safety
/// `fd` must be an open unix stream socket connection that nothing else owns.
pub unsafe fn resume(fd: RawFd) -> io::Result<Responder> {
    use std::os::fd::FromRawFd;
    // SAFETY: the caller guarantees fd is a connected socket we now own.
    let stream = unsafe { std::os::unix::net::UnixStream::from_raw_fd(fd) };
    stream.set_nonblocking(true)?;
    let mut stream = UnixStream::from_std(stream)?;
    let (mut reply, answer) = Responder::pair();
    reply.connection = Some(fd);
    let limits = Limits {
        read: READ_TIMEOUT,
        write: WRITE_TIMEOUT,
    };
    tokio::task::spawn_local(async move {
        let response = tokio::select! {
            response = answer => match response {
                Ok(response) => response,
                Err(_) => return,
            },
            () = hang_up(&stream) => return,
        };
        respond(&mut stream, &response, limits).await;
    });
    Ok(reply)
}

/// Reads exactly one request frame.
async fn read_request(stream: &mut UnixStream) -> Result<Request, ReadError> {
    let mut prefix = [0u8; protocol::LENGTH_BYTES];
    if stream.read_exact(&mut prefix).await.is_err() {
        return Err(ReadError::Closed);
    }
    let len = protocol::body_length(prefix, protocol::MAX_REQUEST).map_err(ReadError::Invalid)?;
    let mut body = vec![0u8; len];
    if stream.read_exact(&mut body).await.is_err() {
        return Err(ReadError::Closed);
    }
    protocol::decode_request(&body).map_err(ReadError::Invalid)
}

/// Writes the answer and closes; a client that does not read within the limit is dropped.
async fn respond(stream: &mut UnixStream, response: &Response, limits: Limits) {
    let frame = protocol::encode_response(response);
    let write = async {
        stream.write_all(&frame).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(limits.write, write).await;
}

/// Resolves when the client has closed its connection while waiting for its answer.
///
/// A client must keep its connection open until answered. Reading end-of-file means it
/// either closed (then `POLLHUP` is set too: it is gone) or only shut down its writing side
/// (then it may still read: wait for the answer without watching any further).
async fn hang_up(stream: &UnixStream) {
    let mut scratch = [0u8; 256];
    loop {
        if stream.readable().await.is_err() {
            return;
        }
        match stream.try_read(&mut scratch) {
            // Bytes after the request are ignored.
            Ok(n) if n > 0 => continue,
            Ok(_) => {
                if peer_closed(stream) {
                    return;
                }
                std::future::pending::<()>().await;
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
            Err(_) => return,
        }
    }
}

/// `POLLHUP` on a unix stream socket: the peer has shut down both directions.
fn peer_closed(stream: &UnixStream) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut fds = [PollFd::new(stream.as_fd(), PollFlags::POLLOUT)];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) => fds
            .first()
            .and_then(PollFd::revents)
            .is_some_and(|revents| revents.contains(PollFlags::POLLHUP)),
        Err(_) => true,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pending_hands_out_fresh_ids_and_answers_once() {
        let mut pending = Pending::new();
        let (a, mut rx_a) = Responder::pair();
        let (b, rx_b) = Responder::pair();
        let id_a = pending.insert(a);
        let id_b = pending.insert(b);
        assert_ne!(id_a, id_b);
        assert_eq!(pending.len(), 2);
        assert!(pending.answer(id_a, Response::Ok));
        assert!(!pending.answer(id_a, Response::Ok));
        assert_eq!(rx_a.try_recv().unwrap(), Response::Ok);
        drop(rx_b);
        assert_eq!(pending.prune(), 1);
        assert!(pending.is_empty());
    }
}
