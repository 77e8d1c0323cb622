//! The WebSocket client of event streams (feature `stream`).

use super::decode_frame;
use crate::xrpc::{
    Client, Connect, Decoded, Error, Events, Params, Subscription, TransportError,
    TransportErrorKind,
};
use crate::Validate;
use bytes::Bytes;
use futures_util::StreamExt;
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// How an event stream connects, reconnects and limits what it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    /// The largest frame read (the WebSocket message); a larger one ends the connection with
    /// an error. Default 8 MiB (a commit's blocks are at most 2 MB).
    pub max_frame: usize,
    /// Reconnect when the connection drops, resuming from the last sequence number as
    /// `cursor` (when the subscription takes one). Default true.
    pub reconnect: bool,
    /// The wait before the first reconnection; it doubles with each failed one. Default 250 ms.
    pub backoff: Duration,
    /// The longest wait between reconnections. Default 30 s.
    pub max_backoff: Duration,
    /// How many reconnections in a row may fail before the stream ends with the error; `None`
    /// for no limit. Default 10.
    pub max_retries: Option<u32>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            max_frame: 8 << 20,
            reconnect: true,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            max_retries: Some(10),
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
    cursor: Option<i64>,
    options: StreamOptions,
    socket: Option<Socket>,
    failures: u32,
    done: bool,
    _m: std::marker::PhantomData<fn() -> M>,
}

/// Opens subscription `M` at `base_url` (`https://host` becomes `wss://host/xrpc/<nsid>`) with
/// `params` and `options`; the connection is made when the stream is first polled.
///
/// The stream reads a frame only when polled, so a slow consumer holds back the connection
/// (the server sees a full TCP window) instead of growing a buffer.
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
    let state = State::<M> {
        url,
        query,
        takes_cursor,
        cursor,
        options,
        socket: None,
        failures: 0,
        done: false,
        _m: std::marker::PhantomData,
    };
    Events::from_stream(futures_util::stream::unfold(state, |mut s| async move {
        let item = s.next_decoded().await?;
        Some((item, s))
    }))
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

    fn backoff(&self) -> Duration {
        let factor = 1u32 << self.failures.saturating_sub(1).min(16);
        self.options
            .backoff
            .saturating_mul(factor)
            .min(self.options.max_backoff)
    }

    async fn connect(&mut self) -> Result<(), Error<M::Error>> {
        let url = self.url().map_err(|e| {
            Error::InvalidRequest(crate::ValidationError::new(crate::validate::Rule::Other(
                e.into(),
            )))
        })?;
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.options.max_frame))
            .max_frame_size(Some(self.options.max_frame));
        match tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true).await {
            Ok((socket, _)) => {
                self.socket = Some(socket);
                Ok(())
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                // The server refused the upgrade: its XRPC error, if it sent one.
                let status = response.status();
                let body = response.body().clone().unwrap_or_default();
                let response = http::Response::builder()
                    .status(status)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Bytes::from(body))
                    .map_err(|e| transport(TransportErrorKind::Other, e))?;
                match crate::xrpc::client::decode_response::<(), M::Error>(response) {
                    Err(e) => Err(e),
                    Ok(()) => Err(transport(
                        TransportErrorKind::Other,
                        format!("the server refused the WebSocket upgrade with {status}"),
                    )),
                }
            }
            Err(e) => Err(transport(TransportErrorKind::Connect, e)),
        }
    }

    /// The next item: a message, the stream's error, or the end.
    async fn next_decoded(&mut self) -> Option<Result<Decoded<M::Message>, Error<M::Error>>> {
        loop {
            if self.done {
                return None;
            }
            if self.socket.is_none() {
                if self.failures > 0 {
                    tokio::time::sleep(self.backoff()).await;
                }
                if let Err(e) = self.connect().await {
                    self.failures += 1;
                    let give_up = !self.options.reconnect
                        || matches!(e, Error::InvalidRequest(_) | Error::Xrpc(_))
                        || self.options.max_retries.is_some_and(|m| self.failures > m);
                    if give_up {
                        self.done = true;
                        return Some(Err(e));
                    }
                    continue;
                }
            }
            let socket = self.socket.as_mut()?;
            let read = socket.next().await;
            let frame: Bytes = match read {
                Some(Ok(WsMessage::Binary(bytes))) => bytes,
                Some(Ok(WsMessage::Text(_))) => {
                    return Some(Err(super::decode_error(
                        "a text frame: event streams send binary frames".into(),
                        b"",
                    )));
                }
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => continue,
                Some(Ok(WsMessage::Close(_))) | None => {
                    self.socket = None;
                    if !self.options.reconnect {
                        self.done = true;
                        return None;
                    }
                    // Reconnect; a server that keeps closing without a message is given up
                    // on like one that can not be reached.
                    self.failures += 1;
                    if self.options.max_retries.is_some_and(|m| self.failures > m) {
                        self.done = true;
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
                Some(Err(e)) => {
                    self.socket = None;
                    let too_big = matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_));
                    let err = if too_big {
                        transport(
                            TransportErrorKind::BodyTooLarge,
                            format!(
                                "a frame larger than the {} byte limit (StreamOptions::max_frame): {e}",
                                self.options.max_frame
                            ),
                        )
                    } else {
                        transport(TransportErrorKind::Interrupted, e)
                    };
                    self.failures += 1;
                    if too_big
                        || !self.options.reconnect
                        || self.options.max_retries.is_some_and(|m| self.failures > m)
                    {
                        self.done = true;
                        return Some(Err(err));
                    }
                    continue;
                }
            };
            match decode_frame::<M>(&frame) {
                Ok(f) => {
                    self.failures = 0;
                    if f.seq.is_some() {
                        self.cursor = f.seq;
                    }
                    return Some(Ok(f.into()));
                }
                Err(e @ Error::Xrpc(_)) => {
                    // An error frame ends the stream.
                    self.done = true;
                    if let Some(mut s) = self.socket.take() {
                        let _ = s.close(None).await;
                    }
                    return Some(Err(e));
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
