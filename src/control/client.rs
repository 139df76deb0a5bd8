//! The client side: connect, check who listens, send one request, read one response
//! (blocking, no runtime).
//!
//! Used by `initctl` and the compat tools. Connecting and writing have timeouts (init
//! accepts and reads a request at once or refuses it); reading the answer waits as long as
//! init takes, because a waited `start` returns only when the job is running, as Upstart's
//! initctl does.
//!
//! # Whom the client believes
//!
//! Only a server running as root. While sysvinit is still PID 1 (after the package is
//! installed, before the reboot) nobody listens on the abstract name, and any local user
//! could bind it and answer `initctl list` (which `sendsigs` parses for pids to spare) or
//! `status` with anything. So before sending anything the client asks the kernel who
//! created the listening socket (`SO_PEERCRED` on the connected socket) and refuses with
//! [`ClientError::NotRoot`] unless it is uid 0. This holds for every address, also a
//! `KINDLING_SOCKET` given for tests (their init runs as root in a namespace).

use super::protocol::{self, DecodeError, Request, Response};
use super::{plain_error, SocketAddress};
use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// How long connecting may take: only a listener whose backlog is full makes `connect`
/// wait, and init never stops accepting.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long writing a request may take before the client gives up.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request got no answer.
#[derive(Debug)]
pub enum ClientError {
    /// Nobody listens at the address (init not running, or not kindling).
    Connect {
        address: SocketAddress,
        error: io::Error,
    },
    /// Someone other than root listens at the address: not init, so nothing was sent.
    NotRoot { address: SocketAddress, uid: u32 },
    /// The request cannot be encoded (too large).
    Request(protocol::TooLarge),
    /// The connection failed while sending or receiving.
    Io(io::Error),
    /// init closed the connection without answering.
    Closed,
    /// The answer is not a valid response frame.
    Protocol(DecodeError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect { address, error } => write!(
                f,
                "Unable to connect to init: Failed to connect to socket {address}: {}",
                plain_error(error)
            ),
            ClientError::NotRoot { address, uid } => write!(
                f,
                "Unable to connect to init: socket {address} is served by uid {uid}, not root"
            ),
            ClientError::Request(error) => write!(f, "{error}"),
            ClientError::Io(error) => {
                write!(f, "Lost connection to init: {}", plain_error(error))
            }
            ClientError::Closed => f.write_str("Lost connection to init: no reply"),
            ClientError::Protocol(error) => write!(f, "Invalid reply from init: {error}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// Sends `request` to the init listening at `address` and waits for its answer.
pub fn request(address: &SocketAddress, request: &Request) -> Result<Response, ClientError> {
    request_with_timeout(address, request, None)
}

/// Like [`request`], but gives up reading the answer after `timeout` (`None`: wait forever).
pub fn request_with_timeout(
    address: &SocketAddress,
    request: &Request,
    timeout: Option<Duration>,
) -> Result<Response, ClientError> {
    let frame = protocol::encode_request(request).map_err(ClientError::Request)?;
    let mut stream = connect(address)?;
    stream
        .set_write_timeout(Some(WRITE_TIMEOUT))
        .map_err(ClientError::Io)?;
    stream.set_read_timeout(timeout).map_err(ClientError::Io)?;
    if let Err(error) = stream.write_all(&frame) {
        // A server short of slots answers with an error and closes before reading the
        // request; that answer is still there to read.
        let closed = matches!(
            error.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        );
        if closed {
            return read_response(&mut stream).map_err(|_| ClientError::Io(error));
        }
        return Err(ClientError::Io(error));
    }
    read_response(&mut stream)
}

/// Connects within [`CONNECT_TIMEOUT`] and checks that root listens (see the module
/// documentation).
fn connect(address: &SocketAddress) -> Result<UnixStream, ClientError> {
    use nix::errno::Errno;
    use nix::sys::socket::{
        connect, getsockopt, setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType,
        UnixAddr,
    };
    use nix::sys::time::TimeVal;
    let connect_error = |error: io::Error| ClientError::Connect {
        address: address.clone(),
        error,
    };
    let addr = match address {
        SocketAddress::Abstract(name) => UnixAddr::new_abstract(name),
        SocketAddress::Path(path) => UnixAddr::new(path.as_path()),
    }
    .map_err(|errno| connect_error(errno.into()))?;
    let fd = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(|errno| connect_error(errno.into()))?;
    // A unix socket's send timeout bounds a blocking connect too.
    let limit = TimeVal::new(CONNECT_TIMEOUT.as_secs() as _, 0);
    setsockopt(&fd, sockopt::SendTimeout, &limit).map_err(|errno| connect_error(errno.into()))?;
    loop {
        match connect(fd.as_raw_fd(), &addr) {
            Ok(()) => break,
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => {
                return Err(connect_error(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "Connection timed out",
                )))
            }
            Err(errno) => return Err(connect_error(errno.into())),
        }
    }
    let peer =
        getsockopt(&fd, sockopt::PeerCredentials).map_err(|errno| connect_error(errno.into()))?;
    if peer.uid() != 0 {
        return Err(ClientError::NotRoot {
            address: address.clone(),
            uid: peer.uid(),
        });
    }
    Ok(UnixStream::from(fd))
}

/// Reads one response frame.
fn read_response(stream: &mut impl Read) -> Result<Response, ClientError> {
    let mut prefix = [0u8; protocol::LENGTH_BYTES];
    read_exact(stream, &mut prefix)?;
    let len =
        protocol::body_length(prefix, protocol::MAX_RESPONSE).map_err(ClientError::Protocol)?;
    let mut body = vec![0u8; len];
    read_exact(stream, &mut body)?;
    protocol::decode_response(&body).map_err(ClientError::Protocol)
}

fn read_exact(stream: &mut impl Read, buf: &mut [u8]) -> Result<(), ClientError> {
    match stream.read_exact(buf) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Err(ClientError::Closed),
        Err(error) => Err(ClientError::Io(error)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn nobody_listening_is_a_connect_error() {
        let address = SocketAddress::parse("@/org/kindling/test/nobody-listens-here");
        let error = request(&address, &Request::Version).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Unable to connect to init: Failed to connect to socket \
             @/org/kindling/test/nobody-listens-here: Connection refused"
        );
    }

    #[test]
    fn responses_are_read_from_a_stream() {
        let frame = protocol::encode_response(&Response::Value("x".into()));
        assert_eq!(
            read_response(&mut &frame[..]).unwrap(),
            Response::Value("x".into())
        );
        assert!(matches!(
            read_response(&mut &frame[..3]),
            Err(ClientError::Closed)
        ));
        assert!(matches!(
            read_response(&mut &[0xffu8, 0xff, 0xff, 0xff][..]),
            Err(ClientError::Protocol(DecodeError::TooLarge(_)))
        ));
    }
}
