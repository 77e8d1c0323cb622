//! The WebSocket client of event streams (feature `stream`).

use super::{read_frame, Read};
use crate::xrpc::{
    Client, Connect, Decoded, Error, Events, Params, Subscription, TransportError,
    TransportErrorKind,
};
use crate::Validate;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// How an event stream connects, reconnects and limits what it reads.
///
/// The defaults suit a long-running consumer: it reconnects for as long as the stream is
/// read, through a relay's restart or an outage of any length, waiting longer after each
/// failure in a row (with jitter, so that many consumers do not come back at once) up to
/// `max_backoff`, or as long as the server's `Retry-After` says. Set `max_retries` to give up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    /// The largest frame read (the WebSocket message); a larger one ends the stream with an
    /// error. Default 8 MiB (a commit's blocks are at most 2 MB).
    pub max_frame: usize,
    /// Reconnect when the connection drops or is refused for a while, resuming from the last
    /// sequence number as `cursor` (when the subscription takes one). Default true.
    pub reconnect: bool,
    /// The wait before the first reconnection; it doubles with each failure in a row, and each
    /// wait is drawn at random between half of it and all of it. Default 250 ms.
    pub backoff: Duration,
    /// The longest wait between reconnections (but see `max_retry_after`). Default 30 s.
    pub max_backoff: Duration,
    /// How many connections in a row may fail (refused, lost before a message, or dropped for
    /// a bad frame) before the stream ends with the last error; `None` for no limit.
    /// Default `None`.
    pub max_retries: Option<u32>,
    /// The longest wait a server's `Retry-After` header (seconds, or an HTTP date) may ask
    /// for; a longer one is cut to this. Default 5 minutes.
    pub max_retry_after: Duration,
    /// How long connecting may take, from the TCP connection to the end of the WebSocket
    /// handshake; a slower attempt fails and is retried. Default 30 s.
    pub connect_timeout: Duration,
    /// How long the client waits for a frame while it is being read before it pings the
    /// server; when a second wait as long brings nothing either (not even the pong), the
    /// connection is taken as dead and made again. Only time spent waiting for the server
    /// counts, so a slow consumer never trips it. `None` turns it off. Default 10 s.
    pub heartbeat: Option<Duration>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            max_frame: 8 << 20,
            reconnect: true,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            max_retries: None,
            max_retry_after: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(30),
            heartbeat: Some(Duration::from_secs(10)),
        }
    }
}

impl<T: crate::xrpc::Transport> Connect for Client<T> {
    fn subscribe<M: Subscription>(&self, params: &M::Params) -> Events<M> {
        subscribe::<M>(self.base_url(), params, StreamOptions::default())
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The state of a subscription between messages.
struct State<M: Subscription> {
    url: Result<String, String>,
    query: Vec<(String, String)>,
    takes_cursor: bool,
    /// The sequence number to resume after: the last delivered, or the caller's `cursor`.
    cursor: Option<i64>,
    options: StreamOptions,
    socket: Option<Socket>,
    /// Whether a connection was made before (each later one waits first).
    reconnecting: bool,
    /// Connections in a row that failed: refused, lost before a message, or dropped for a bad
    /// frame. A delivered message sets it back to 0.
    failures: u32,
    /// The wait the server asked for with its last refusal.
    retry_after: Option<Duration>,
    /// Whether the connection has delivered a message yet.
    delivered: bool,
    /// Whether the connection has read no message yet (the first one may repeat the cursor).
    fresh: bool,
    /// A ping was sent and nothing has come since.
    pinged: bool,
    connected: Arc<AtomicBool>,
    done: bool,
    _m: std::marker::PhantomData<fn() -> M>,
}

/// Why a connection attempt failed, and whether to try again.
struct Failure<E> {
    error: Error<E>,
    retry: bool,
    retry_after: Option<Duration>,
}

/// Opens subscription `M` at `base_url` (`https://host` becomes `wss://host/xrpc/<nsid>`) with
/// `params` and `options`; the connection is made when the stream is first polled, or by
/// [`Events::connect`] (see [`Events`] for the whole life cycle).
///
/// The stream reads a frame only when polled, so a slow consumer holds back the connection
/// (the server sees a full TCP window) instead of growing a buffer.
///
/// How it treats what it meets, after the event-stream specification:
/// - an upgrade refused with 408, 425, 429 or a 5xx other than 501 and 505 is retried,
///   whatever the body (a proxy's HTML page as much as an XRPC error), after the server's
///   `Retry-After` when it gives one; another refusal (a bad parameter's 400, 401, 404, 501)
///   ends the stream with the server's error;
/// - an error frame ends the stream with the server's error (typed when declared);
/// - a frame with an unknown `op` is skipped;
/// - a frame that is not two DAG-CBOR values (header and body object), or not valid DAG-CBOR,
///   is an error item, and the connection is dropped and made again from the cursor;
/// - a message that is DAG-CBOR but not its lexicon type, or breaks it, is an error item, and
///   the connection is kept;
/// - a `seq` not above the last one is an error item (the message is not delivered) and the
///   connection is made again from the cursor; see the [module documentation](super).
///
/// Each failure is yielded as an `Err` item; the stream goes on after it unless the failure
/// is final, and then ends.
pub fn subscribe<M: Subscription>(
    base_url: &str,
    params: &M::Params,
    options: StreamOptions,
) -> Events<M> {
    let url = ws_url(base_url, M::NSID);
    let (query, url) = match params.to_query() {
        Ok(q) => (q, url),
        Err(e) => (Vec::new(), Err(format!("invalid parameters: {}", e.0))),
    };
    let url = match params.validate() {
        Ok(()) => url,
        Err(e) => Err(format!("invalid parameters: {e}")),
    };
    let takes_cursor = M::Params::FIELDS.iter().any(|(name, _)| *name == "cursor");
    let cursor = query
        .iter()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, v)| v.parse().ok());
    let connected = Arc::new(AtomicBool::new(false));
    let state = State::<M> {
        url,
        query,
        takes_cursor,
        cursor,
        options,
        socket: None,
        reconnecting: false,
        failures: 0,
        retry_after: None,
        delivered: false,
        fresh: true,
        pinged: false,
        connected: connected.clone(),
        done: false,
        _m: std::marker::PhantomData,
    };
    Events::from_stream(
        futures_util::stream::unfold(state, |mut s| async move {
            let item = s.next_decoded().await;
            if item.is_none() {
                s.connected.store(false, Ordering::Relaxed);
            }
            Some((item?, s))
        })
        // Polled again after its end, it stays ended.
        .fuse(),
    )
    .with_connected(connected)
}

/// `http(s)://host/path` as `ws(s)://host/path/xrpc/<nsid>`.
fn ws_url(base: &str, nsid: &str) -> Result<String, String> {
    let base = base.trim_end_matches('/');
    let rest = if let Some(r) = base.strip_prefix("https://") {
        format!("wss://{r}")
    } else if let Some(r) = base.strip_prefix("http://") {
        format!("ws://{r}")
    } else if base.starts_with("wss://") || base.starts_with("ws://") {
        base.to_owned()
    } else {
        return Err(format!(
            "base URL {base:?} must start with http(s):// or ws(s)://"
        ));
    };
    Ok(format!("{rest}/xrpc/{nsid}"))
}

fn percent_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

fn transport<E>(
    kind: TransportErrorKind,
    e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> Error<E> {
    Error::Transport(TransportError::with_kind(kind, e))
}

/// Whether an upgrade refused with `status` may succeed later: a timeout, a rate limit, or a
/// server error other than "not implemented" and "HTTP version not supported".
fn retryable(status: http::StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 425 | 429)
        || (status.is_server_error() && !matches!(status.as_u16(), 501 | 505))
}

/// The `Retry-After` header: a number of seconds, or an HTTP date (a date past is no wait).
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A duration drawn at random between half of `d` and all of it.
fn jitter(d: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|t| t.as_nanos())
            .unwrap_or_default(),
    );
    let unit = (h.finish() >> 11) as f64 / (1u64 << 53) as f64;
    d.mul_f64(0.5 + 0.5 * unit)
}

impl<M: Subscription> State<M> {
    fn url(&self) -> Result<String, String> {
        let mut url = self.url.clone()?;
        let mut pairs: Vec<(String, String)> = self
            .query
            .iter()
            .filter(|(k, _)| !(self.takes_cursor && k == "cursor"))
            .cloned()
            .collect();
        if let (true, Some(c)) = (self.takes_cursor, self.cursor) {
            pairs.push(("cursor".into(), c.to_string()));
        }
        for (i, (k, v)) in pairs.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            percent_encode(k, &mut url);
            url.push('=');
            percent_encode(v, &mut url);
        }
        Ok(url)
    }

    /// The wait before the next connection: the backoff for the failures in a row (at least
    /// one: a connection that ended is one), with jitter, or the server's `Retry-After` when
    /// longer.
    fn delay(&self) -> Duration {
        let exponent = self.failures.max(1) - 1;
        let backoff = self
            .options
            .backoff
            .saturating_mul(1u32 << exponent.min(20))
            .min(self.options.max_backoff);
        let asked = self
            .retry_after
            .map(|d| d.min(self.options.max_retry_after))
            .unwrap_or_default();
        jitter(backoff).max(asked)
    }

    /// Counts a failed connection; whether the stream ends with it.
    fn failed(&mut self) -> bool {
        self.failures = self.failures.saturating_add(1);
        let last =
            !self.options.reconnect || self.options.max_retries.is_some_and(|m| self.failures > m);
        if last {
            self.done = true;
        }
        last
    }

    async fn connect(&mut self) -> Result<Socket, Failure<M::Error>> {
        let url = self.url().map_err(|e| Failure {
            error: Error::InvalidRequest(crate::ValidationError::new(
                crate::validate::Rule::Request(e.into()),
            )),
            retry: false,
            retry_after: None,
        })?;
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.options.max_frame))
            .max_frame_size(Some(self.options.max_frame));
        let connecting =
            tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true);
        let result = match tokio::time::timeout(self.options.connect_timeout, connecting).await {
            Ok(result) => result,
            Err(_) => {
                return Err(Failure {
                    error: transport(
                        TransportErrorKind::Timeout,
                        format!(
                            "no WebSocket connection within {:?} (StreamOptions::connect_timeout)",
                            self.options.connect_timeout
                        ),
                    ),
                    retry: true,
                    retry_after: None,
                })
            }
        };
        use tokio_tungstenite::tungstenite::Error as WsError;
        match result {
            Ok((socket, _)) => Ok(socket),
            Err(WsError::Http(response)) => Err(refusal(*response)),
            Err(e @ WsError::Url(_)) => Err(Failure {
                error: transport(TransportErrorKind::Other, e),
                retry: false,
                retry_after: None,
            }),
            Err(e) => Err(Failure {
                error: transport(TransportErrorKind::Connect, e),
                retry: true,
                retry_after: None,
            }),
        }
    }

    /// Closes the connection (with `code`, when the client ends it for a reason of its own).
    async fn hang_up(&mut self, code: Option<CloseCode>) {
        self.connected.store(false, Ordering::Relaxed);
        if let Some(mut socket) = self.socket.take() {
            let frame = code.map(|code| CloseFrame {
                code,
                reason: "".into(),
            });
            // A server that does not read is not waited for long.
            let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(frame)).await;
        }
    }

    /// Reads the next WebSocket message; `Err` when the heartbeat found the connection dead.
    async fn read(
        &mut self,
    ) -> Result<Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>, Error<M::Error>>
    {
        let socket = match self.socket.as_mut() {
            Some(s) => s,
            None => return Ok(None),
        };
        let Some(beat) = self.options.heartbeat else {
            return Ok(socket.next().await);
        };
        loop {
            match tokio::time::timeout(beat, socket.next()).await {
                Ok(read) => {
                    self.pinged = false;
                    return Ok(read);
                }
                Err(_) if !self.pinged => {
                    self.pinged = true;
                    let ping = socket.send(WsMessage::Ping(Bytes::new()));
                    if !matches!(tokio::time::timeout(beat, ping).await, Ok(Ok(()))) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        Err(transport(
            TransportErrorKind::Timeout,
            format!(
                "nothing from the server for {:?}, not even an answer to a ping \
                 (StreamOptions::heartbeat): the connection is taken as dead",
                beat * 2
            ),
        ))
    }

    /// The next item: `Ok(None)` when a connection has just opened, a message, an error, or
    /// the end.
    async fn next_decoded(
        &mut self,
    ) -> Option<Result<Option<Decoded<M::Message>>, Error<M::Error>>> {
        loop {
            if self.done {
                return None;
            }
            if self.socket.is_none() {
                if self.reconnecting {
                    tokio::time::sleep(self.delay()).await;
                }
                self.reconnecting = true;
                self.retry_after = None;
                match self.connect().await {
                    Ok(socket) => {
                        self.socket = Some(socket);
                        self.connected.store(true, Ordering::Relaxed);
                        self.delivered = false;
                        self.fresh = true;
                        self.pinged = false;
                        return Some(Ok(None));
                    }
                    Err(failure) => {
                        if !failure.retry {
                            self.done = true;
                        } else {
                            self.failed();
                        }
                        self.retry_after = failure.retry_after;
                        return Some(Err(failure.error));
                    }
                }
            }
            let frame: Bytes = match self.read().await {
                Err(dead) => {
                    self.hang_up(None).await;
                    self.failed();
                    return Some(Err(dead));
                }
                Ok(Some(Ok(WsMessage::Binary(bytes)))) => bytes,
                Ok(Some(Ok(WsMessage::Text(_)))) => {
                    self.hang_up(Some(CloseCode::Unsupported)).await;
                    self.failed();
                    return Some(Err(super::decode_error(
                        "a text frame: event streams send binary frames; reconnecting".into(),
                    )));
                }
                Ok(Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_)))) => {
                    continue
                }
                Ok(Some(Ok(WsMessage::Close(_)))) | Ok(None) => {
                    self.hang_up(None).await;
                    if !self.options.reconnect {
                        self.done = true;
                        return None;
                    }
                    // A connection that ends after messages is made again at once (after the
                    // first backoff step); one that ends before any counts as a failure.
                    if !self.delivered && self.failed() {
                        return Some(Err(transport(
                            TransportErrorKind::Interrupted,
                            format!(
                                "the server closed the connection {} times in a row without a message",
                                self.failures
                            ),
                        )));
                    }
                    continue;
                }
                Ok(Some(Err(e))) => {
                    self.hang_up(None).await;
                    if matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_)) {
                        // The same frame would come again: a limit of this client.
                        self.done = true;
                        return Some(Err(transport(
                            TransportErrorKind::BodyTooLarge,
                            format!(
                                "a frame larger than the {} byte limit (StreamOptions::max_frame): {e}",
                                self.options.max_frame
                            ),
                        )));
                    }
                    self.failed();
                    return Some(Err(transport(TransportErrorKind::Interrupted, e)));
                }
            };
            match read_frame::<M>(&frame) {
                Read::Message(f) => {
                    let first = std::mem::replace(&mut self.fresh, false);
                    if let (true, Some(seq), Some(last)) = (self.takes_cursor, f.seq, self.cursor) {
                        if seq == last && first {
                            // The server resent the message the cursor names.
                            continue;
                        }
                        if seq <= last {
                            self.hang_up(Some(CloseCode::Policy)).await;
                            self.failed();
                            return Some(Err(super::decode_error(format!(
                                "message seq {seq} is not after seq {last} (repeated or out \
                                     of order): not delivered; reconnecting from seq {last}"
                            ))));
                        }
                    }
                    if f.seq.is_some() {
                        self.cursor = f.seq;
                    }
                    self.failures = 0;
                    self.delivered = true;
                    return Some(Ok(Some(f.into())));
                }
                Read::Skip => continue,
                Read::ErrorFrame(e) => {
                    // An error frame ends the stream.
                    self.done = true;
                    self.hang_up(None).await;
                    return Some(Err(e));
                }
                Read::Invalid(e) => {
                    self.fresh = false;
                    return Some(Err(e));
                }
                Read::Broken(e) => {
                    self.hang_up(Some(CloseCode::Invalid)).await;
                    self.failed();
                    return Some(Err(e));
                }
            }
        }
    }
}

/// The server refused the upgrade with `response`: its error (the XRPC error it sent, if any),
/// and whether to try again.
fn refusal<E: crate::xrpc::ErrorKind>(response: http::Response<Option<Vec<u8>>>) -> Failure<E> {
    let status = response.status();
    let wait = retry_after(response.headers());
    let (parts, body) = response.into_parts();
    let response = http::Response::from_parts(parts, Bytes::from(body.unwrap_or_default()));
    let mut error = match crate::xrpc::client::decode_response::<(), E>(response) {
        Err(e) => e,
        Ok(()) => transport(
            TransportErrorKind::Other,
            format!("the server answered {status} instead of upgrading to a WebSocket"),
        ),
    };
    if let (Error::Xrpc(e), Some(wait)) = (&mut error, wait) {
        // Also an HTTP date, as seconds from now (rounded up).
        e.retry_after = Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
    }
    Failure {
        error,
        retry: retryable(status),
        retry_after: wait,
    }
}
