//! init's side of the control socket: accept, read one bounded frame, authorise, hand the
//! request to the daemon loop, write its answer back.
//!
//! Runs on the daemon's tokio current-thread runtime inside a `LocalSet`: the accept loop
//! and one `spawn_local` task per connection, no threads. A connection that sends nothing
//! for [`READ_TIMEOUT`], announces a frame larger than [`protocol::MAX_REQUEST`], sends
//! garbage, or hangs up early is answered with an error where it can still read one, and
//! dropped; none of this ever reaches or blocks the daemon.
//!
//! The daemon sees only [`Incoming`] values on an mpsc channel: the peer's credentials, a
//! request that already passed the permission check ([`Request::authorise`]) and argument
//! validation ([`Request::validate`]), and a [`Responder`]. A request the daemon answers later
//! (a waited `start`, `emit`) parks its responder in [`Pending`] under a fresh engine
//! `ClientId`.
//!
//! # Limits
//!
//! Every connection costs PID 1 a descriptor and a task (about 2 KiB of memory, measured in
//! the sandbox), so their number is bounded, at worst some 640 KiB, and the bound is shared
//! out so that no class of client can lock out another:
//!
//! | limit | value | beyond it |
//! |---|---|---|
//! | root's connections at once ([`MAX_ROOT_CONNECTIONS`]) | 256 | refused at once: `Too many control connections; try again later` |
//! | root clients waiting on a waited `start`, `restart` or `emit` ([`MAX_WAITING`]) | 192 | that request refused: `Too many clients are waiting for init; try again later, or use --no-wait` |
//! | root clients waiting, waited `stop`s included ([`MAX_WAITING_WITH_STOPS`]) | 248 | that `stop` refused the same way |
//! | other users' connections at once, all users together ([`MAX_USER_CONNECTIONS`]) | 64 | refused at once: `Too many control connections from users; try again later` |
//! | one user's connections at once ([`MAX_CONNECTIONS_PER_USER`]) | 8 | refused at once: `Too many control connections from uid N; try again later` |
//! | time to send the whole request ([`READ_TIMEOUT`]) | 5 s | dropped |
//! | time to take the answer ([`WRITE_TIMEOUT`]) | 5 s | dropped |
//!
//! Why these shares:
//!
//! * A waited request holds its connection until the job or event gets there, which may be
//!   never. Waiting clients may fill at most 248 of root's 256 slots, so the last 8 always
//!   serve requests answered at once (`status`, `list`, `stop --no-wait`, `telinit u`, …).
//! * A waited `stop` is what releases waiting clients (stopping the job or task they wait
//!   for answers them), so the 56 slots between 192 and 248 are kept for it: however many
//!   clients wait on jobs that never get there, root's plain `stop JOB` still gets in.
//! * Other users may only read, and reads are answered at once; their connections are counted
//!   apart from root's, so users can never take root's slots, and per uid, so one user's idle
//!   connections (each dropped after [`READ_TIMEOUT`]) cost only that user's share.
//! * 256 + 64 connections stay well below PID 1's descriptor limit (1024 by default), which
//!   job logs and spawn pipes share.
//!
//! A refused connection gets one `Error` frame, written without waiting (it fits in the empty
//! socket buffer), and is closed: the accept loop never waits for a slot, so one class being
//! full never delays another. Clients handed over by a re-exec ([`resume`]) count as root's
//! waiting clients until answered.

use super::protocol::{self, DecodeError, Request, Response};
use super::SocketAddress;
use crate::engine::ClientId;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

/// How long a client may take to send its whole request.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long writing an answer may take before the client is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Root's connections served at the same time, waiting ones included.
pub const MAX_ROOT_CONNECTIONS: usize = 256;
/// Root clients that may wait on a waited `start`, `restart` or `emit` at the same time.
pub const MAX_WAITING: usize = 192;
/// Root clients that may wait at the same time when the newcomer is a waited `stop`.
pub const MAX_WAITING_WITH_STOPS: usize = 248;
/// Other users' connections served at the same time, all users together.
pub const MAX_USER_CONNECTIONS: usize = 64;
/// One user's (other than root's) connections served at the same time.
pub const MAX_CONNECTIONS_PER_USER: usize = 8;

/// What a client refused for lack of a slot is told (initctl prints `PROG: message`).
const TOO_MANY_ROOT: &str = "Too many control connections; try again later";
const TOO_MANY_USERS: &str = "Too many control connections from users; try again later";
const TOO_MANY_WAITING: &str =
    "Too many clients are waiting for init; try again later, or use --no-wait";

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
    caps: Caps,
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
        Ok(Server::new(listener, address.clone()))
    }

    fn new(listener: std::os::unix::net::UnixListener, address: SocketAddress) -> Server {
        Server {
            listener,
            address,
            read_timeout: READ_TIMEOUT,
            write_timeout: WRITE_TIMEOUT,
            caps: Caps::default(),
        }
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

    /// Changes how many of root's connections are served at once (at least 1). The waiting
    /// limits shrink with it, so that one slot always stays free of waiting clients.
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.caps.root = max.max(1);
        self
    }

    /// Changes how many root clients may wait at once: `waiting` for waited `start`,
    /// `restart` and `emit`, `with_stops` when the newcomer is a waited `stop`.
    pub fn with_max_waiting(mut self, waiting: usize, with_stops: usize) -> Self {
        self.caps.waiting = waiting;
        self.caps.waiting_with_stops = with_stops;
        self
    }

    /// Changes how many connections of other users are served at once (at least 1).
    pub fn with_max_user_connections(mut self, max: usize) -> Self {
        self.caps.users = max.max(1);
        self
    }

    /// Changes how many connections one user other than root may have at once (at least 1).
    pub fn with_max_connections_per_user(mut self, max: usize) -> Self {
        self.caps.per_user = max.max(1);
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
        Ok(Server::new(listener, address))
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
        let budget = Rc::new(Budget::new(self.caps));
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
            let slot = match Budget::connect(&budget, peer.uid) {
                Ok(slot) => slot,
                Err(message) => {
                    tracing::debug!("Control client {peer:?} refused: {message}");
                    refuse(&stream, message);
                    continue;
                }
            };
            let daemon = daemon.clone();
            tokio::task::spawn_local(async move {
                serve(stream, peer, daemon, limits, &slot).await;
                drop(slot);
            });
        }
    }
}

/// Answers a connection that gets no slot with one error frame, without waiting: a fresh
/// connection's send buffer is empty, so the small frame fits or the client is lost anyway.
fn refuse(stream: &UnixStream, message: String) {
    use nix::sys::socket::{send, MsgFlags};
    let frame = protocol::encode_response(&Response::Error(message));
    let _ = send(
        stream.as_raw_fd(),
        &frame,
        MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL,
    );
}

/// The limits of the module documentation, as one server applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Caps {
    root: usize,
    waiting: usize,
    waiting_with_stops: usize,
    users: usize,
    per_user: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            root: MAX_ROOT_CONNECTIONS,
            waiting: MAX_WAITING,
            waiting_with_stops: MAX_WAITING_WITH_STOPS,
            users: MAX_USER_CONNECTIONS,
            per_user: MAX_CONNECTIONS_PER_USER,
        }
    }
}

impl Caps {
    /// The same limits made consistent: waiting clients never fill the last root slot, and
    /// the waiting limit for `stop` is never below the other one.
    fn consistent(self) -> Caps {
        let root = self.root.max(1);
        let waiting_with_stops = self.waiting_with_stops.min(root - 1);
        Caps {
            root,
            waiting: self.waiting.min(waiting_with_stops),
            waiting_with_stops,
            users: self.users.max(1),
            per_user: self.per_user.max(1).min(self.users.max(1)),
        }
    }
}

thread_local! {
    /// Clients taken over from the previous image by [`resume`] and not answered yet. They
    /// count as root's waiting connections: without that, every re-exec with waiting clients
    /// would add another full share.
    static HANDED_OVER: Cell<usize> = const { Cell::new(0) };
}

/// Counts one handed-over client for as long as it lives.
struct HandedOver;

impl HandedOver {
    fn new() -> HandedOver {
        HANDED_OVER.with(|count| count.set(count.get() + 1));
        HandedOver
    }

    fn count() -> usize {
        HANDED_OVER.with(Cell::get)
    }
}

impl Drop for HandedOver {
    fn drop(&mut self) {
        HANDED_OVER.with(|count| count.set(count.get().saturating_sub(1)));
    }
}

/// Which waiting limit a request falls under, if it waits at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waits {
    /// A waited `start`, `restart` or `emit`.
    ForChange,
    /// A waited `stop`: what releases the other waiting clients.
    ForStop,
}

fn waits(request: &Request) -> Option<Waits> {
    match request {
        Request::Start { wait: true, .. }
        | Request::Restart { wait: true, .. }
        | Request::Emit { wait: true, .. } => Some(Waits::ForChange),
        Request::Stop { wait: true, .. } => Some(Waits::ForStop),
        _ => None,
    }
}

/// The connections open now, by class, against the server's [`Caps`].
#[derive(Debug)]
struct Budget {
    caps: Caps,
    root: Cell<usize>,
    waiting: Cell<usize>,
    users: Cell<usize>,
    /// Open connections per uid other than 0; an entry goes when its count reaches zero, so
    /// the map never holds more than `caps.users` entries.
    per_user: RefCell<HashMap<u32, usize>>,
}

/// One connection's place in the [`Budget`], given back when dropped.
struct Slot {
    budget: Rc<Budget>,
    uid: u32,
    /// Set while the connection waits on a waited request.
    waiting: Cell<bool>,
}

impl Budget {
    fn new(caps: Caps) -> Budget {
        Budget {
            caps: caps.consistent(),
            root: Cell::new(0),
            waiting: Cell::new(0),
            users: Cell::new(0),
            per_user: RefCell::new(HashMap::new()),
        }
    }

    /// A slot for a new connection of `uid`, or the message that refuses it.
    fn connect(budget: &Rc<Budget>, uid: u32) -> Result<Slot, String> {
        if uid == 0 {
            if budget.root.get() + HandedOver::count() >= budget.caps.root {
                return Err(TOO_MANY_ROOT.to_string());
            }
            budget.root.set(budget.root.get() + 1);
        } else {
            let mut per_user = budget.per_user.borrow_mut();
            let mine = per_user.get(&uid).copied().unwrap_or(0);
            if mine >= budget.caps.per_user {
                return Err(format!(
                    "Too many control connections from uid {uid}; try again later"
                ));
            }
            if budget.users.get() >= budget.caps.users {
                return Err(TOO_MANY_USERS.to_string());
            }
            per_user.insert(uid, mine + 1);
            budget.users.set(budget.users.get() + 1);
        }
        Ok(Slot {
            budget: budget.clone(),
            uid,
            waiting: Cell::new(false),
        })
    }
}

impl Slot {
    /// Counts this connection as waiting, if there is room for one more of its kind.
    fn wait(&self, kind: Waits) -> bool {
        let budget = &self.budget;
        let cap = match kind {
            Waits::ForChange => budget.caps.waiting,
            Waits::ForStop => budget.caps.waiting_with_stops,
        };
        if self.waiting.get() || budget.waiting.get() + HandedOver::count() >= cap {
            return false;
        }
        budget.waiting.set(budget.waiting.get() + 1);
        self.waiting.set(true);
        true
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let budget = &self.budget;
        if self.waiting.get() {
            budget.waiting.set(budget.waiting.get().saturating_sub(1));
        }
        if self.uid == 0 {
            budget.root.set(budget.root.get().saturating_sub(1));
            return;
        }
        budget.users.set(budget.users.get().saturating_sub(1));
        let mut per_user = budget.per_user.borrow_mut();
        match per_user.get(&self.uid).copied() {
            Some(count) if count > 1 => {
                per_user.insert(self.uid, count - 1);
            }
            _ => {
                per_user.remove(&self.uid);
            }
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

/// Serves one connection from start to end, in the budget `slot` holds for it.
async fn serve(
    mut stream: UnixStream,
    peer: Peer,
    daemon: mpsc::Sender<Incoming>,
    limits: Limits,
    slot: &Slot,
) {
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
    if let Some(kind) = waits(&request) {
        if !slot.wait(kind) {
            let response = Response::Error(TOO_MANY_WAITING.to_string());
            respond(&mut stream, &response, limits).await;
            return;
        }
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
/// returned responder answers it as if nothing had happened. Needs a `LocalSet`. Until it
/// is answered (or hangs up) the client counts as one of root's waiting connections.
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
    let counted = HandedOver::new();
    tokio::task::spawn_local(async move {
        let _counted = counted;
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

    #[test]
    fn budgets_are_counted_apart_and_given_back() {
        let caps = Caps {
            root: 3,
            waiting: 1,
            waiting_with_stops: 9,
            users: 3,
            per_user: 2,
        };
        let budget = Rc::new(Budget::new(caps));
        // Waiting clients never fill root's last slot.
        assert_eq!(budget.caps.waiting_with_stops, 2);

        let first = Budget::connect(&budget, 0).unwrap();
        let second = Budget::connect(&budget, 0).unwrap();
        assert!(first.wait(Waits::ForChange));
        assert!(
            !second.wait(Waits::ForChange),
            "only one waits for a change"
        );
        assert!(second.wait(Waits::ForStop), "a stop may wait beyond that");
        let third = Budget::connect(&budget, 0).unwrap();
        assert!(!third.wait(Waits::ForStop), "the last slot answers at once");
        assert_eq!(
            Budget::connect(&budget, 0).err().as_deref(),
            Some(TOO_MANY_ROOT)
        );

        // Users are counted apart from root, and per uid.
        let a1 = Budget::connect(&budget, 1000).unwrap();
        let _a2 = Budget::connect(&budget, 1000).unwrap();
        assert_eq!(
            Budget::connect(&budget, 1000).err().as_deref(),
            Some("Too many control connections from uid 1000; try again later")
        );
        let _b = Budget::connect(&budget, 1001).unwrap();
        assert_eq!(
            Budget::connect(&budget, 1002).err().as_deref(),
            Some(TOO_MANY_USERS)
        );

        // Slots come back when connections end.
        drop((first, second));
        drop(a1);
        assert!(Budget::connect(&budget, 1002).is_ok());
        let fourth = Budget::connect(&budget, 0).unwrap();
        assert!(
            fourth.wait(Waits::ForChange),
            "the waiting slots were given back"
        );
        drop((third, fourth));
        assert_eq!((budget.root.get(), budget.waiting.get()), (0, 0));
        assert_eq!(budget.per_user.borrow().len(), 2);
    }
}
