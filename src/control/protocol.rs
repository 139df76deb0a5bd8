//! The control protocol: one request, one response, each a bounded, versioned binary frame.
//!
//! A connection carries exactly one exchange: the client writes one request frame, the
//! server answers with one response frame and closes. Encoding and decoding are pure
//! functions over byte slices; decoding never panics and never allocates more than the
//! input could hold.
//!
//! # Frame layout (version 1)
//!
//! ```text
//! offset  size  field
//! 0       4     body length N, unsigned 32-bit big-endian (not counting these 4 bytes)
//! 4       1     protocol version, 1
//! 5       1     message kind (table below)
//! 6       N-2   the kind's fields, in the order listed
//! ```
//!
//! A request body may be at most [`MAX_REQUEST`] bytes (64 KiB), a response body at most
//! [`MAX_RESPONSE`] bytes (4 MiB); a larger length is refused before anything is read, and the
//! server answers it with an `Error` and drops the connection. A body must be consumed
//! exactly: trailing bytes are an error.
//!
//! Field types:
//!
//! | type      | encoding                                                            |
//! |-----------|---------------------------------------------------------------------|
//! | `str`     | u32 BE byte length, then that many bytes of UTF-8                   |
//! | `bool`    | one byte, 0 or 1 (anything else is an error)                        |
//! | `opt<T>`  | one byte 0 (absent) or 1 followed by a `T`                          |
//! | `list<T>` | u32 BE count, then the items                                        |
//! | `target`  | `opt<(str job, str instance)>`: the job instance env commands act on, absent = init's global job environment |
//!
//! Requests (client → init):
//!
//! | kind | request                | fields                                                  |
//! |------|------------------------|---------------------------------------------------------|
//! | 0x01 | `Start`                | `str job, opt<str> instance, list<str> env, bool wait` |
//! | 0x02 | `Stop`                 | `str job, opt<str> instance, list<str> env, bool wait` |
//! | 0x03 | `Restart`              | `str job, opt<str> instance, list<str> env, bool wait` |
//! | 0x04 | `Reload`               | `str job, opt<str> instance, list<str> env` |
//! | 0x05 | `Status`               | `str job, opt<str> instance, list<str> env` |
//! | 0x06 | `List`                 | —                                                       |
//! | 0x07 | `Emit`                 | `str name, list<str> env, bool wait` |
//! | 0x08 | `ReloadConfiguration`  | —                                                       |
//! | 0x09 | `Version`              | —                                                       |
//! | 0x0a | `LogPriority`          | `opt<str> priority (absent = query)` |
//! | 0x0b | `ShowConfig`           | `opt<str> job, bool enumerate` |
//! | 0x0c | `CheckConfig`          | `opt<str> job, list<str> ignore_events, bool warn` |
//! | 0x0d | `Usage`                | `str job` |
//! | 0x0e | `GetEnv`               | `target, str name` |
//! | 0x0f | `ListEnv`              | `target` |
//! | 0x10 | `SetEnv`               | `target, list<str> vars, bool retain` |
//! | 0x11 | `UnsetEnv`             | `target, list<str> names` |
//! | 0x12 | `ResetEnv`             | `target` |
//! | 0x13 | `NotifyDiskWriteable`  | —                                                       |
//! | 0x14 | `ReExec`               | — (`telinit u`: stateful re-exec of init)               |
//!
//! `instance` present means "this exact instance, by name" (initctl inside a job, from
//! `$UPSTART_INSTANCE`); absent means "the instance `env` selects", as Upstart's
//! `GetInstance(env)`.
//!
//! Responses (init → client):
//!
//! | kind | response | fields          | initctl prints                          |
//! |------|----------|-----------------|-----------------------------------------|
//! | 0x80 | `Ok`     | —               | nothing                                 |
//! | 0x81 | `Lines`  | `list<str> lines` | each line on stdout                     |
//! | 0x82 | `Error`  | `str message` | `PROG: message` on stderr, exit 1       |
//! | 0x83 | `Value`  | `str value` | the value on stdout                     |
//!
//! A new field or kind means a new version number; a server answers a frame of another
//! version with `Error("Unsupported protocol version N")` in its own version.

use std::fmt;

/// The protocol version this build speaks.
pub const VERSION: u8 = 1;
/// Bytes of the length prefix.
pub const LENGTH_BYTES: usize = 4;
/// Largest request body accepted, in bytes.
pub const MAX_REQUEST: usize = 64 * 1024;
/// Largest response body accepted, in bytes.
pub const MAX_RESPONSE: usize = 4 * 1024 * 1024;

/// The instance an environment command acts on; `None` in a request means the global table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTarget {
    pub job: String,
    pub instance: String,
}

/// What a client asks init to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Start {
        job: String,
        instance: Option<String>,
        env: Vec<String>,
        wait: bool,
    },
    Stop {
        job: String,
        instance: Option<String>,
        env: Vec<String>,
        wait: bool,
    },
    Restart {
        job: String,
        instance: Option<String>,
        env: Vec<String>,
        wait: bool,
    },
    Reload {
        job: String,
        instance: Option<String>,
        env: Vec<String>,
    },
    Status {
        job: String,
        instance: Option<String>,
        env: Vec<String>,
    },
    List,
    Emit {
        name: String,
        env: Vec<String>,
        wait: bool,
    },
    ReloadConfiguration,
    Version,
    /// `None` asks for the current priority; `Some` sets it.
    LogPriority(Option<String>),
    ShowConfig {
        job: Option<String>,
        enumerate: bool,
    },
    CheckConfig {
        job: Option<String>,
        ignore_events: Vec<String>,
        warn: bool,
    },
    Usage {
        job: String,
    },
    GetEnv {
        target: Option<JobTarget>,
        name: String,
    },
    ListEnv {
        target: Option<JobTarget>,
    },
    SetEnv {
        target: Option<JobTarget>,
        vars: Vec<String>,
        retain: bool,
    },
    UnsetEnv {
        target: Option<JobTarget>,
        names: Vec<String>,
    },
    ResetEnv {
        target: Option<JobTarget>,
    },
    NotifyDiskWriteable,
    /// `telinit u`: init re-executes itself, keeping its state. Answered `Ok` before the exec.
    ReExec,
}

/// What init answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Ok,
    /// Lines for stdout (status lines, `list`, `show-config`, …).
    Lines(Vec<String>),
    /// An error in Upstart's words, without the program prefix.
    Error(String),
    /// A single value for stdout (`version`, `log-priority`, `get-env`, `usage`).
    Value(String),
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The frame ends before a field does.
    Truncated,
    /// The length prefix announces more than the limit.
    TooLarge(usize),
    /// A frame of another protocol version.
    Version(u8),
    /// A message kind this version does not know (or a request where a response was due).
    UnknownKind(u8),
    /// A string that is not UTF-8.
    BadUtf8,
    /// A `bool` or `opt` tag that is neither 0 nor 1.
    BadTag(u8),
    /// Bytes left over after the last field.
    TrailingBytes,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("Truncated message"),
            DecodeError::TooLarge(len) => write!(f, "Message too large ({len} bytes)"),
            DecodeError::Version(v) => write!(
                f,
                "Unsupported protocol version {v} (this side speaks {VERSION})"
            ),
            DecodeError::UnknownKind(kind) => write!(f, "Unknown message kind {kind:#04x}"),
            DecodeError::BadUtf8 => f.write_str("String is not UTF-8"),
            DecodeError::BadTag(tag) => write!(f, "Invalid flag byte {tag:#04x}"),
            DecodeError::TrailingBytes => f.write_str("Trailing bytes after message"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A request too large to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge(pub usize);

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Request too large ({} bytes, at most {MAX_REQUEST})",
            self.0
        )
    }
}

impl std::error::Error for TooLarge {}

/// The body length a 4-byte prefix announces, if it is within `max`.
pub fn body_length(prefix: [u8; LENGTH_BYTES], max: usize) -> Result<usize, DecodeError> {
    let len = u32::from_be_bytes(prefix) as usize;
    if len > max {
        Err(DecodeError::TooLarge(len))
    } else if len < 2 {
        Err(DecodeError::Truncated)
    } else {
        Ok(len)
    }
}

// Request kinds.
const START: u8 = 0x01;
const STOP: u8 = 0x02;
const RESTART: u8 = 0x03;
const RELOAD: u8 = 0x04;
const STATUS: u8 = 0x05;
const LIST: u8 = 0x06;
const EMIT: u8 = 0x07;
const RELOAD_CONFIGURATION: u8 = 0x08;
const GET_VERSION: u8 = 0x09;
const LOG_PRIORITY: u8 = 0x0a;
const SHOW_CONFIG: u8 = 0x0b;
const CHECK_CONFIG: u8 = 0x0c;
const USAGE: u8 = 0x0d;
const GET_ENV: u8 = 0x0e;
const LIST_ENV: u8 = 0x0f;
const SET_ENV: u8 = 0x10;
const UNSET_ENV: u8 = 0x11;
const RESET_ENV: u8 = 0x12;
const NOTIFY_DISK_WRITEABLE: u8 = 0x13;
const RE_EXEC: u8 = 0x14;

// Response kinds.
const OK: u8 = 0x80;
const LINES: u8 = 0x81;
const ERROR: u8 = 0x82;
const VALUE: u8 = 0x83;

/// Builds one frame: the length prefix is filled in by [`Writer::finish`].
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn new(kind: u8) -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; LENGTH_BYTES]);
        buf.push(VERSION);
        buf.push(kind);
        Writer { buf }
    }

    fn u32(&mut self, value: usize) {
        let value = u32::try_from(value).unwrap_or(u32::MAX);
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    fn str(&mut self, value: &str) {
        self.u32(value.len());
        self.buf.extend_from_slice(value.as_bytes());
    }

    fn bool(&mut self, value: bool) {
        self.buf.push(u8::from(value));
    }

    fn opt_str(&mut self, value: Option<&str>) {
        match value {
            Some(value) => {
                self.buf.push(1);
                self.str(value);
            }
            None => self.buf.push(0),
        }
    }

    fn list(&mut self, values: &[String]) {
        self.u32(values.len());
        for value in values {
            self.str(value);
        }
    }

    fn target(&mut self, target: &Option<JobTarget>) {
        match target {
            Some(target) => {
                self.buf.push(1);
                self.str(&target.job);
                self.str(&target.instance);
            }
            None => self.buf.push(0),
        }
    }

    /// The frame, or the body length when it exceeds `max`.
    fn finish(mut self, max: usize) -> Result<Vec<u8>, usize> {
        let body = self.buf.len() - LENGTH_BYTES;
        if body > max {
            return Err(body);
        }
        let prefix = u32::try_from(body).map_err(|_| body)?.to_be_bytes();
        for (slot, byte) in self.buf.iter_mut().zip(prefix) {
            *slot = byte;
        }
        Ok(self.buf)
    }
}

/// Reads fields from a body; every read is bounds-checked.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        match self.take(1)? {
            [byte] => Ok(*byte),
            _ => Err(DecodeError::Truncated),
        }
    }

    fn u32(&mut self) -> Result<usize, DecodeError> {
        let bytes = self.take(4)?;
        let mut word = [0u8; 4];
        word.copy_from_slice(bytes);
        Ok(u32::from_be_bytes(word) as usize)
    }

    fn str(&mut self) -> Result<String, DecodeError> {
        let len = self.u32()?;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::BadUtf8)
    }

    fn flag(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(DecodeError::BadTag(other)),
        }
    }

    fn opt_str(&mut self) -> Result<Option<String>, DecodeError> {
        if self.flag()? {
            Ok(Some(self.str()?))
        } else {
            Ok(None)
        }
    }

    fn list(&mut self) -> Result<Vec<String>, DecodeError> {
        let count = self.u32()?;
        // Every string takes at least its 4-byte length: a count the rest cannot hold is a
        // lie, refused before allocating for it.
        if count > self.rest.len() / 4 {
            return Err(DecodeError::Truncated);
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(self.str()?);
        }
        Ok(out)
    }

    fn target(&mut self) -> Result<Option<JobTarget>, DecodeError> {
        if self.flag()? {
            let job = self.str()?;
            let instance = self.str()?;
            Ok(Some(JobTarget { job, instance }))
        } else {
            Ok(None)
        }
    }

    fn end(&self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// Checks the version byte and returns the kind and a reader over the fields.
fn open(body: &[u8]) -> Result<(u8, Reader<'_>), DecodeError> {
    let mut reader = Reader { rest: body };
    let version = reader.u8()?;
    if version != VERSION {
        return Err(DecodeError::Version(version));
    }
    let kind = reader.u8()?;
    Ok((kind, reader))
}

/// Encodes a request as a complete frame (length prefix included).
pub fn encode_request(request: &Request) -> Result<Vec<u8>, TooLarge> {
    let mut w;
    match request {
        Request::Start {
            job,
            instance,
            env,
            wait,
        }
        | Request::Stop {
            job,
            instance,
            env,
            wait,
        }
        | Request::Restart {
            job,
            instance,
            env,
            wait,
        } => {
            let kind = match request {
                Request::Start { .. } => START,
                Request::Stop { .. } => STOP,
                _ => RESTART,
            };
            w = Writer::new(kind);
            w.str(job);
            w.opt_str(instance.as_deref());
            w.list(env);
            w.bool(*wait);
        }
        Request::Reload { job, instance, env } | Request::Status { job, instance, env } => {
            w = Writer::new(if matches!(request, Request::Reload { .. }) {
                RELOAD
            } else {
                STATUS
            });
            w.str(job);
            w.opt_str(instance.as_deref());
            w.list(env);
        }
        Request::List => w = Writer::new(LIST),
        Request::Emit { name, env, wait } => {
            w = Writer::new(EMIT);
            w.str(name);
            w.list(env);
            w.bool(*wait);
        }
        Request::ReloadConfiguration => w = Writer::new(RELOAD_CONFIGURATION),
        Request::Version => w = Writer::new(GET_VERSION),
        Request::LogPriority(priority) => {
            w = Writer::new(LOG_PRIORITY);
            w.opt_str(priority.as_deref());
        }
        Request::ShowConfig { job, enumerate } => {
            w = Writer::new(SHOW_CONFIG);
            w.opt_str(job.as_deref());
            w.bool(*enumerate);
        }
        Request::CheckConfig {
            job,
            ignore_events,
            warn,
        } => {
            w = Writer::new(CHECK_CONFIG);
            w.opt_str(job.as_deref());
            w.list(ignore_events);
            w.bool(*warn);
        }
        Request::Usage { job } => {
            w = Writer::new(USAGE);
            w.str(job);
        }
        Request::GetEnv { target, name } => {
            w = Writer::new(GET_ENV);
            w.target(target);
            w.str(name);
        }
        Request::ListEnv { target } => {
            w = Writer::new(LIST_ENV);
            w.target(target);
        }
        Request::SetEnv {
            target,
            vars,
            retain,
        } => {
            w = Writer::new(SET_ENV);
            w.target(target);
            w.list(vars);
            w.bool(*retain);
        }
        Request::UnsetEnv { target, names } => {
            w = Writer::new(UNSET_ENV);
            w.target(target);
            w.list(names);
        }
        Request::ResetEnv { target } => {
            w = Writer::new(RESET_ENV);
            w.target(target);
        }
        Request::NotifyDiskWriteable => w = Writer::new(NOTIFY_DISK_WRITEABLE),
        Request::ReExec => w = Writer::new(RE_EXEC),
    }
    w.finish(MAX_REQUEST).map_err(TooLarge)
}

/// Decodes a request body (the bytes after the length prefix).
pub fn decode_request(body: &[u8]) -> Result<Request, DecodeError> {
    if body.len() > MAX_REQUEST {
        return Err(DecodeError::TooLarge(body.len()));
    }
    let (kind, mut r) = open(body)?;
    let request = match kind {
        START | STOP | RESTART => {
            let job = r.str()?;
            let instance = r.opt_str()?;
            let env = r.list()?;
            let wait = r.flag()?;
            match kind {
                START => Request::Start {
                    job,
                    instance,
                    env,
                    wait,
                },
                STOP => Request::Stop {
                    job,
                    instance,
                    env,
                    wait,
                },
                _ => Request::Restart {
                    job,
                    instance,
                    env,
                    wait,
                },
            }
        }
        RELOAD | STATUS => {
            let job = r.str()?;
            let instance = r.opt_str()?;
            let env = r.list()?;
            if kind == RELOAD {
                Request::Reload { job, instance, env }
            } else {
                Request::Status { job, instance, env }
            }
        }
        LIST => Request::List,
        EMIT => {
            let name = r.str()?;
            let env = r.list()?;
            let wait = r.flag()?;
            Request::Emit { name, env, wait }
        }
        RELOAD_CONFIGURATION => Request::ReloadConfiguration,
        GET_VERSION => Request::Version,
        LOG_PRIORITY => Request::LogPriority(r.opt_str()?),
        SHOW_CONFIG => {
            let job = r.opt_str()?;
            let enumerate = r.flag()?;
            Request::ShowConfig { job, enumerate }
        }
        CHECK_CONFIG => {
            let job = r.opt_str()?;
            let ignore_events = r.list()?;
            let warn = r.flag()?;
            Request::CheckConfig {
                job,
                ignore_events,
                warn,
            }
        }
        USAGE => Request::Usage { job: r.str()? },
        GET_ENV => {
            let target = r.target()?;
            let name = r.str()?;
            Request::GetEnv { target, name }
        }
        LIST_ENV => Request::ListEnv {
            target: r.target()?,
        },
        SET_ENV => {
            let target = r.target()?;
            let vars = r.list()?;
            let retain = r.flag()?;
            Request::SetEnv {
                target,
                vars,
                retain,
            }
        }
        UNSET_ENV => {
            let target = r.target()?;
            let names = r.list()?;
            Request::UnsetEnv { target, names }
        }
        RESET_ENV => Request::ResetEnv {
            target: r.target()?,
        },
        NOTIFY_DISK_WRITEABLE => Request::NotifyDiskWriteable,
        RE_EXEC => Request::ReExec,
        other => return Err(DecodeError::UnknownKind(other)),
    };
    r.end()?;
    Ok(request)
}

/// Encodes a response as a complete frame. A response larger than [`MAX_RESPONSE`] is
/// replaced by an `Error` saying so, so that the client is never left without an answer.
pub fn encode_response(response: &Response) -> Vec<u8> {
    let build = |response: &Response| {
        let mut w;
        match response {
            Response::Ok => w = Writer::new(OK),
            Response::Lines(lines) => {
                w = Writer::new(LINES);
                w.list(lines);
            }
            Response::Error(message) => {
                w = Writer::new(ERROR);
                w.str(message);
            }
            Response::Value(value) => {
                w = Writer::new(VALUE);
                w.str(value);
            }
        }
        w.finish(MAX_RESPONSE)
    };
    match build(response) {
        Ok(frame) => frame,
        Err(len) => {
            let message = format!("Response too large ({len} bytes, at most {MAX_RESPONSE})");
            build(&Response::Error(message)).unwrap_or_default()
        }
    }
}

/// Decodes a response body (the bytes after the length prefix).
pub fn decode_response(body: &[u8]) -> Result<Response, DecodeError> {
    if body.len() > MAX_RESPONSE {
        return Err(DecodeError::TooLarge(body.len()));
    }
    let (kind, mut r) = open(body)?;
    let response = match kind {
        OK => Response::Ok,
        LINES => Response::Lines(r.list()?),
        ERROR => Response::Error(r.str()?),
        VALUE => Response::Value(r.str()?),
        other => return Err(DecodeError::UnknownKind(other)),
    };
    r.end()?;
    Ok(response)
}

/// Splits one complete frame off the front of `bytes`: the body, and the bytes after it.
pub fn split_frame(bytes: &[u8], max: usize) -> Result<(&[u8], &[u8]), DecodeError> {
    if bytes.len() < LENGTH_BYTES {
        return Err(DecodeError::Truncated);
    }
    let (prefix, rest) = bytes.split_at(LENGTH_BYTES);
    let mut word = [0u8; LENGTH_BYTES];
    word.copy_from_slice(prefix);
    let len = body_length(word, max)?;
    if rest.len() < len {
        return Err(DecodeError::Truncated);
    }
    Ok(rest.split_at(len))
}

/// `KEY=VALUE` strings only (Upstart's `environ_all_valid()`: each must contain `=`).
fn env_valid(env: &[String]) -> bool {
    env.iter().all(|entry| entry.contains('='))
}

fn target_valid(target: &Option<JobTarget>) -> Result<(), String> {
    match target {
        Some(target) if target.job.is_empty() => Err("Job may not be empty string".into()),
        _ => Ok(()),
    }
}

impl Request {
    /// The job a job command names (for the permission message), if any.
    pub fn job(&self) -> Option<&str> {
        match self {
            Request::Start { job, .. }
            | Request::Stop { job, .. }
            | Request::Restart { job, .. }
            | Request::Reload { job, .. }
            | Request::Status { job, .. }
            | Request::Usage { job } => Some(job),
            _ => None,
        }
    }

    /// Checks the arguments the way Upstart's control methods do before acting, with its
    /// messages: empty names, env entries without `=`.
    pub fn validate(&self) -> Result<(), String> {
        const EMPTY_NAME: &str = "Name may not be empty string";
        const BAD_ENV: &str = "Env must be KEY=VALUE pairs";
        const EMPTY_VARIABLE: &str = "Variable may not be empty string";
        match self {
            Request::Start { job, env, .. }
            | Request::Stop { job, env, .. }
            | Request::Restart { job, env, .. }
            | Request::Reload { job, env, .. }
            | Request::Status { job, env, .. } => {
                if job.is_empty() {
                    Err(EMPTY_NAME.into())
                } else if !env_valid(env) {
                    Err(BAD_ENV.into())
                } else {
                    Ok(())
                }
            }
            Request::Emit { name, env, .. } => {
                if name.is_empty() {
                    Err(EMPTY_NAME.into())
                } else if !env_valid(env) {
                    Err(BAD_ENV.into())
                } else {
                    Ok(())
                }
            }
            Request::Usage { job } | Request::ShowConfig { job: Some(job), .. }
                if job.is_empty() =>
            {
                Err(EMPTY_NAME.into())
            }
            Request::GetEnv { target, name } => {
                if name.is_empty() {
                    return Err(EMPTY_VARIABLE.into());
                }
                target_valid(target)
            }
            Request::SetEnv { target, vars, .. } => {
                if vars.iter().any(String::is_empty) {
                    return Err(EMPTY_VARIABLE.into());
                }
                target_valid(target)
            }
            Request::UnsetEnv { target, names } => {
                if names.iter().any(String::is_empty) {
                    return Err(EMPTY_VARIABLE.into());
                }
                target_valid(target)
            }
            Request::ListEnv { target } | Request::ResetEnv { target } => target_valid(target),
            _ => Ok(()),
        }
    }

    /// Whether a user other than root may make this request: only those that read
    /// (status, list, version, log priority query, show-config, check-config, usage).
    pub fn read_only(&self) -> bool {
        matches!(
            self,
            Request::Status { .. }
                | Request::List
                | Request::Version
                | Request::LogPriority(None)
                | Request::ShowConfig { .. }
                | Request::CheckConfig { .. }
                | Request::Usage { .. }
        )
    }

    /// Decides whether the peer with user id `uid` may make this request; the refusal is
    /// Upstart's message for the method.
    pub fn authorise(&self, uid: u32) -> Result<(), String> {
        if uid == 0 || self.read_only() {
            return Ok(());
        }
        Err(match self {
            Request::Start { job, .. }
            | Request::Stop { job, .. }
            | Request::Restart { job, .. }
            | Request::Reload { job, .. } => {
                format!("You do not have permission to modify job: {job}")
            }
            Request::Emit { .. } => "You do not have permission to emit an event".into(),
            Request::ReloadConfiguration => {
                "You do not have permission to reload configuration".into()
            }
            Request::LogPriority(_) => "You do not have permission to set log priority".into(),
            Request::GetEnv { .. } | Request::ListEnv { .. } => {
                "You do not have permission to query job environment".into()
            }
            Request::SetEnv { .. } | Request::UnsetEnv { .. } | Request::ResetEnv { .. } => {
                "You do not have permission to modify job environment".into()
            }
            Request::NotifyDiskWriteable => {
                "You do not have permission to notify disk is writeable".into()
            }
            Request::ReExec => "You do not have permission to restart init".into(),
            // Read-only requests were allowed above.
            _ => "Permission denied".into(),
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    fn body(frame: &[u8]) -> &[u8] {
        let (body, rest) = split_frame(frame, MAX_RESPONSE).unwrap();
        assert!(rest.is_empty());
        body
    }

    fn target() -> Option<JobTarget> {
        Some(JobTarget {
            job: "svc".into(),
            instance: "".into(),
        })
    }

    fn all_requests() -> Vec<Request> {
        let env = vec!["A=1".to_string(), "B=two words".to_string()];
        vec![
            Request::Start {
                job: "ssh".into(),
                instance: None,
                env: env.clone(),
                wait: true,
            },
            Request::Stop {
                job: "ssh".into(),
                instance: Some("".into()),
                env: vec![],
                wait: false,
            },
            Request::Restart {
                job: "net/eth".into(),
                instance: Some("eth0".into()),
                env: env.clone(),
                wait: true,
            },
            Request::Reload {
                job: "cron".into(),
                instance: None,
                env: env.clone(),
            },
            Request::Status {
                job: "tty".into(),
                instance: Some("1".into()),
                env: vec![],
            },
            Request::List,
            Request::Emit {
                name: "net-device-up".into(),
                env: env.clone(),
                wait: false,
            },
            Request::ReloadConfiguration,
            Request::Version,
            Request::LogPriority(None),
            Request::LogPriority(Some("debug".into())),
            Request::ShowConfig {
                job: None,
                enumerate: true,
            },
            Request::ShowConfig {
                job: Some("foo".into()),
                enumerate: false,
            },
            Request::CheckConfig {
                job: None,
                ignore_events: vec!["runlevel".into(), "foo".into()],
                warn: true,
            },
            Request::Usage { job: "foo".into() },
            Request::GetEnv {
                target: None,
                name: "PATH".into(),
            },
            Request::GetEnv {
                target: target(),
                name: "TERM".into(),
            },
            Request::ListEnv { target: target() },
            Request::SetEnv {
                target: None,
                vars: vec!["A=1".into(), "B".into()],
                retain: true,
            },
            Request::UnsetEnv {
                target: target(),
                names: vec!["A".into()],
            },
            Request::ResetEnv { target: None },
            Request::NotifyDiskWriteable,
            Request::ReExec,
        ]
    }

    fn all_responses() -> Vec<Response> {
        vec![
            Response::Ok,
            Response::Lines(vec![]),
            Response::Lines(vec!["svc start/running, process 42".into(), "\tx".into()]),
            Response::Error("Unknown job: nosuch".into()),
            Response::Value("init (kindling 0.1.0)".into()),
            Response::Value(String::new()),
        ]
    }

    #[test]
    fn every_request_round_trips() {
        for request in all_requests() {
            let frame = encode_request(&request).unwrap();
            assert_eq!(frame[4], VERSION);
            assert_eq!(
                u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize,
                frame.len() - 4
            );
            assert_eq!(decode_request(body(&frame)).unwrap(), request);
        }
    }

    #[test]
    fn every_response_round_trips() {
        for response in all_responses() {
            let frame = encode_response(&response);
            assert_eq!(decode_response(body(&frame)).unwrap(), response);
        }
    }

    #[test]
    fn known_layout_of_a_start_request() {
        let frame = encode_request(&Request::Start {
            job: "ab".into(),
            instance: None,
            env: vec!["K=V".into()],
            wait: true,
        })
        .unwrap();
        let expected: Vec<u8> = [
            &[0, 0, 0, 21][..],
            &[1, 0x01],
            &[0, 0, 0, 2],
            b"ab",
            &[0],
            &[0, 0, 0, 1],
            &[0, 0, 0, 3],
            b"K=V",
            &[1],
        ]
        .concat();
        assert_eq!(frame, expected);
    }

    #[test]
    fn every_truncation_is_an_error() {
        for request in all_requests() {
            let frame = encode_request(&request).unwrap();
            let body = &frame[4..];
            for cut in 0..body.len() {
                assert!(
                    decode_request(&body[..cut]).is_err(),
                    "{request:?} cut {cut}"
                );
            }
            assert!(split_frame(&frame[..frame.len() - 1], MAX_REQUEST).is_err());
        }
        for response in all_responses() {
            let frame = encode_response(&response);
            let body = &frame[4..];
            for cut in 0..body.len() {
                assert!(decode_response(&body[..cut]).is_err());
            }
        }
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let mut frame = encode_request(&Request::List).unwrap();
        frame.push(0);
        assert_eq!(decode_request(&frame[4..]), Err(DecodeError::TrailingBytes));
    }

    #[test]
    fn other_versions_and_kinds_are_refused() {
        assert_eq!(decode_request(&[2, 0x06]), Err(DecodeError::Version(2)));
        assert_eq!(
            decode_request(&[1, 0x7f]),
            Err(DecodeError::UnknownKind(0x7f))
        );
        // A response is not a request, and the other way round.
        assert_eq!(decode_request(&[1, OK]), Err(DecodeError::UnknownKind(OK)));
        assert_eq!(
            decode_response(&[1, LIST]),
            Err(DecodeError::UnknownKind(LIST))
        );
        assert_eq!(decode_request(&[]), Err(DecodeError::Truncated));
    }

    #[test]
    fn bad_flags_and_utf8_are_refused() {
        // Emit "" [] wait=2
        let body = [1, EMIT, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        assert_eq!(decode_request(&body), Err(DecodeError::BadTag(2)));
        // Usage with an invalid UTF-8 name.
        let body = [1, USAGE, 0, 0, 0, 2, 0xff, 0xfe];
        assert_eq!(decode_request(&body), Err(DecodeError::BadUtf8));
        // LogPriority with opt tag 7.
        assert_eq!(
            decode_request(&[1, LOG_PRIORITY, 7]),
            Err(DecodeError::BadTag(7))
        );
    }

    #[test]
    fn huge_counts_and_lengths_do_not_allocate() {
        // A list claiming 4 billion entries in a 10-byte body.
        let body = [1, LINES, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
        assert_eq!(decode_response(&body), Err(DecodeError::Truncated));
        // A string claiming 4 GiB.
        let body = [1, ERROR, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(decode_response(&body), Err(DecodeError::Truncated));
    }

    #[test]
    fn oversized_frames_are_refused() {
        assert_eq!(
            body_length([0, 1, 0, 1], MAX_REQUEST),
            Err(DecodeError::TooLarge(65537))
        );
        assert_eq!(body_length([0, 1, 0, 0], MAX_REQUEST), Ok(65536));
        assert_eq!(
            body_length([0xff; 4], MAX_RESPONSE),
            Err(DecodeError::TooLarge(u32::MAX as usize))
        );
        assert_eq!(
            body_length([0, 0, 0, 1], MAX_REQUEST),
            Err(DecodeError::Truncated)
        );
        let big = Request::Emit {
            name: "x".into(),
            env: vec!["A=".to_string() + &"x".repeat(MAX_REQUEST)],
            wait: true,
        };
        assert!(encode_request(&big).is_err());
        let mut body = vec![1, USAGE];
        body.resize(MAX_REQUEST + 1, 0);
        assert!(matches!(
            decode_request(&body),
            Err(DecodeError::TooLarge(_))
        ));
    }

    #[test]
    fn an_oversized_response_becomes_an_error() {
        let lines = vec!["x".repeat(1024); MAX_RESPONSE / 1024 + 1];
        let frame = encode_response(&Response::Lines(lines));
        match decode_response(body(&frame)).unwrap() {
            Response::Error(message) => assert!(message.starts_with("Response too large")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garbage_never_panics() {
        // A small deterministic generator: every decode of random bytes returns.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 64) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if bytes.len() >= 2 && next() % 2 == 0 {
                bytes[0] = VERSION;
                bytes[1] = (next() % 0x14) as u8;
            }
            let _ = decode_request(&bytes);
            let _ = decode_response(&bytes);
            let _ = split_frame(&bytes, MAX_REQUEST);
        }
        // Mutations of valid frames.
        for request in all_requests() {
            let frame = encode_request(&request).unwrap();
            for i in 4..frame.len() {
                for delta in [1u8, 0x7f, 0xff] {
                    let mut mutated = frame[4..].to_vec();
                    mutated[i - 4] = mutated[i - 4].wrapping_add(delta);
                    let _ = decode_request(&mutated);
                }
            }
        }
    }

    #[test]
    fn validation_uses_upstream_messages() {
        let start = |job: &str, env: &[&str]| Request::Start {
            job: job.into(),
            instance: None,
            env: env.iter().map(|s| s.to_string()).collect(),
            wait: true,
        };
        assert_eq!(start("svc", &["A=1", "B="]).validate(), Ok(()));
        assert_eq!(
            start("", &[]).validate(),
            Err("Name may not be empty string".into())
        );
        assert_eq!(
            start("svc", &["A"]).validate(),
            Err("Env must be KEY=VALUE pairs".into())
        );
        let emit = Request::Emit {
            name: "".into(),
            env: vec![],
            wait: true,
        };
        assert_eq!(emit.validate(), Err("Name may not be empty string".into()));
        let emit = Request::Emit {
            name: "e".into(),
            env: vec!["bad".into()],
            wait: true,
        };
        assert_eq!(emit.validate(), Err("Env must be KEY=VALUE pairs".into()));
        let get = Request::GetEnv {
            target: None,
            name: "".into(),
        };
        assert_eq!(
            get.validate(),
            Err("Variable may not be empty string".into())
        );
        let list = Request::ListEnv {
            target: Some(JobTarget {
                job: "".into(),
                instance: "".into(),
            }),
        };
        assert_eq!(list.validate(), Err("Job may not be empty string".into()));
    }

    #[test]
    fn only_root_may_change_things() {
        for request in all_requests() {
            assert_eq!(request.authorise(0), Ok(()));
            let allowed = request.authorise(1000).is_ok();
            let expected = matches!(
                request,
                Request::Status { .. }
                    | Request::List
                    | Request::Version
                    | Request::LogPriority(None)
                    | Request::ShowConfig { .. }
                    | Request::CheckConfig { .. }
                    | Request::Usage { .. }
            );
            assert_eq!(allowed, expected, "{request:?}");
        }
        let stop = Request::Stop {
            job: "ssh".into(),
            instance: None,
            env: vec![],
            wait: true,
        };
        assert_eq!(
            stop.authorise(1000),
            Err("You do not have permission to modify job: ssh".into())
        );
        assert_eq!(
            Request::ReloadConfiguration.authorise(1),
            Err("You do not have permission to reload configuration".into())
        );
        assert_eq!(
            Request::LogPriority(Some("info".into())).authorise(1),
            Err("You do not have permission to set log priority".into())
        );
        let emit = Request::Emit {
            name: "x".into(),
            env: vec![],
            wait: false,
        };
        assert_eq!(
            emit.authorise(1),
            Err("You do not have permission to emit an event".into())
        );
    }
}
