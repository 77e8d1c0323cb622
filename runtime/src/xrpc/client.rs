use super::{
    DecodeError, Error, ErrorKind, Params, ParamsError, Payload, Procedure, Query, XrpcError,
};
use crate::Validate;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method};
use std::fmt;
use std::future::Future;

/// Sends one HTTP request and returns the whole response. Implement it to use another HTTP
/// stack than reqwest, or to add middleware; [`Client::with_transport`] takes it.
pub trait Transport: Send + Sync {
    /// Sends `request` and reads the response body to the end.
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> impl Future<Output = Result<http::Response<Bytes>, TransportError>> + Send;
}

/// The request could not be sent or the response not received.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    inner: Box<dyn std::error::Error + Send + Sync>,
}

/// What kind of failure a [`TransportError`] is, to decide whether to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, unreachable, DNS).
    Connect,
    /// The request took longer than the transport's timeout.
    Timeout,
    /// The connection broke during the exchange (the server went away mid-response).
    Interrupted,
    /// The response body is larger than the transport's limit; the rest was not read.
    BodyTooLarge,
    /// Anything else (a request that could not be built, a protocol error...).
    Other,
}

impl TransportError {
    /// Wraps the underlying error, of kind [`TransportErrorKind::Other`].
    pub fn new(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::with_kind(TransportErrorKind::Other, err)
    }

    /// Wraps the underlying error, of the given kind.
    pub fn with_kind(
        kind: TransportErrorKind,
        err: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        TransportError {
            kind,
            inner: err.into(),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportErrorKind::Timeout
    }

    /// Whether the response was larger than the transport's limit.
    pub fn is_body_too_large(&self) -> bool {
        self.kind == TransportErrorKind::BodyTooLarge
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TransportErrorKind::Timeout => f.write_str("timed out: ")?,
            TransportErrorKind::Interrupted => f.write_str("connection lost: ")?,
            TransportErrorKind::Connect => f.write_str("could not connect: ")?,
            TransportErrorKind::BodyTooLarge | TransportErrorKind::Other => {}
        }
        fmt::Display::fmt(&self.inner, f)?;
        let mut source = self.inner.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.inner)
    }
}

/// One XRPC request, before it becomes HTTP.
#[derive(Debug, Clone)]
pub struct XrpcRequest {
    /// GET for queries, POST for procedures.
    pub method: Method,
    /// The method's NSID.
    pub nsid: &'static str,
    /// The query parameters, arrays as repeated keys.
    pub query: Vec<(String, String)>,
    /// The body and its content type, if any.
    pub body: Option<(Bytes, String)>,
    /// Extra headers (authorization is added by sessions).
    pub headers: HeaderMap,
}

/// Something that can send XRPC requests: [`Client`], or a session that adds authentication.
pub trait XrpcClient: Send + Sync {
    /// Sends `request` and returns the raw response.
    fn send_xrpc(
        &self,
        request: XrpcRequest,
    ) -> impl Future<Output = Result<http::Response<Bytes>, TransportError>> + Send;
}

impl<C: XrpcClient> XrpcClient for &C {
    fn send_xrpc(
        &self,
        request: XrpcRequest,
    ) -> impl Future<Output = Result<http::Response<Bytes>, TransportError>> + Send {
        (**self).send_xrpc(request)
    }
}

/// The base URL given to [`Client::new`] is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError(String);

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClientError {}

/// An XRPC client for one service (a PDS, an AppView...), over a [`Transport`].
#[derive(Clone)]
pub struct Client<T = DefaultTransport> {
    base: String,
    transport: T,
    rate_limit: std::sync::Arc<std::sync::Mutex<Option<RateLimit>>>,
}

#[cfg(feature = "reqwest")]
type DefaultTransport = ReqwestTransport;
#[cfg(not(feature = "reqwest"))]
type DefaultTransport = ();

impl<T> fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("base", &self.base).finish()
    }
}

#[cfg(feature = "reqwest")]
impl Client<ReqwestTransport> {
    /// A client for the service at `base_url` (`https://bsky.social`), over reqwest with rustls.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::with_transport(base_url, ReqwestTransport::new())
    }
}

impl<T: Transport> Client<T> {
    /// A client for the service at `base_url`, sending through `transport`.
    pub fn with_transport(base_url: &str, transport: T) -> Result<Self, ClientError> {
        let uri: http::Uri = base_url
            .parse()
            .map_err(|e| ClientError(format!("base URL {base_url:?} is not a URL: {e}")))?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => {
                return Err(ClientError(format!(
                    "base URL {base_url:?} must start with http:// or https://"
                )))
            }
        }
        if uri.authority().is_none() {
            return Err(ClientError(format!("base URL {base_url:?} has no host")));
        }
        if uri.query().is_some() {
            return Err(ClientError(format!(
                "base URL {base_url:?} must not have a query string"
            )));
        }
        Ok(Client {
            base: base_url.trim_end_matches('/').to_owned(),
            transport,
            rate_limit: Default::default(),
        })
    }

    /// The rate limit the server stated with its latest response (the `ratelimit-*`
    /// headers), if it stated one.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit.lock().ok().and_then(|r| r.clone())
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }
}

impl<T: Transport> XrpcClient for Client<T> {
    async fn send_xrpc(
        &self,
        request: XrpcRequest,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let mut url = format!("{}/xrpc/{}", self.base, request.nsid);
        if !request.query.is_empty() {
            url.push('?');
            for (i, (k, v)) in request.query.iter().enumerate() {
                if i > 0 {
                    url.push('&');
                }
                percent_encode(k, &mut url);
                url.push('=');
                percent_encode(v, &mut url);
            }
        }
        let mut builder = http::Request::builder().method(request.method).uri(url);
        let (body, content_type) = match request.body {
            Some((b, ct)) => (b, Some(ct)),
            None => (Bytes::new(), None),
        };
        if let Some(headers) = builder.headers_mut() {
            *headers = request.headers;
            if let Some(ct) = content_type {
                let value = HeaderValue::from_str(&ct).map_err(TransportError::new)?;
                headers.insert(header::CONTENT_TYPE, value);
            }
        }
        let req = builder.body(body).map_err(TransportError::new)?;
        let response = self.transport.send(req).await?;
        if let Some(limit) = RateLimit::from_headers(response.headers()) {
            if let Ok(mut slot) = self.rate_limit.lock() {
                *slot = Some(limit);
            }
        }
        Ok(response)
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

/// The default transport: reqwest with rustls, reading at most `max_body` bytes of a response.
#[cfg(feature = "reqwest")]
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_body: usize,
    timeout: Option<std::time::Duration>,
}

#[cfg(feature = "reqwest")]
impl ReqwestTransport {
    /// The largest response body read by default: 64 MiB.
    pub const DEFAULT_MAX_BODY: usize = 64 << 20;

    /// How long a request may take by default, from connecting to the end of the response
    /// body: 60 seconds.
    pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

    /// A transport over a new `reqwest::Client`.
    pub fn new() -> Self {
        Self::from_client(reqwest::Client::new())
    }

    /// A transport over an existing `reqwest::Client` (for proxies, timeouts, user agent).
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport {
            client,
            max_body: Self::DEFAULT_MAX_BODY,
            timeout: Some(Self::DEFAULT_TIMEOUT),
        }
    }

    /// Sets how long a request may take, from connecting to the end of the response body
    /// (default [`Self::DEFAULT_TIMEOUT`]); a slower one is a
    /// [`TransportErrorKind::Timeout`] error.
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Lets requests take as long as they take (a timeout set on the `reqwest::Client` given
    /// to [`Self::from_client`] still applies).
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// Sets the largest response body this transport reads; a larger one is a
    /// [`TransportErrorKind::BodyTooLarge`] error.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }
}

#[cfg(feature = "reqwest")]
impl Default for ReqwestTransport {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "reqwest")]
impl Transport for ReqwestTransport {
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let mut req = reqwest::Request::try_from(request).map_err(TransportError::new)?;
        if let Some(timeout) = self.timeout {
            req.timeout_mut().get_or_insert(timeout);
        }
        let mut resp = self.client.execute(req).await.map_err(reqwest_error)?;
        let mut builder = http::Response::builder().status(resp.status());
        if let Some(h) = builder.headers_mut() {
            *h = std::mem::take(resp.headers_mut());
        }
        if let Some(len) = resp.content_length() {
            if len > self.max_body as u64 {
                return Err(too_large(self.max_body));
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(reqwest_error)? {
            if body.len() + chunk.len() > self.max_body {
                return Err(too_large(self.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        builder.body(Bytes::from(body)).map_err(TransportError::new)
    }
}

#[cfg(feature = "reqwest")]
fn too_large(max: usize) -> TransportError {
    TransportError::with_kind(
        TransportErrorKind::BodyTooLarge,
        format!(
            "the response body is larger than the {max} byte limit (ReqwestTransport::max_body)"
        ),
    )
}

#[cfg(feature = "reqwest")]
fn reqwest_error(e: reqwest::Error) -> TransportError {
    let kind = if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_body() || e.is_request() || e.is_decode() {
        TransportErrorKind::Interrupted
    } else {
        TransportErrorKind::Other
    };
    // reqwest's error names the URL, which holds the query string: keep it out of the text.
    TransportError::with_kind(kind, e.without_url())
}

/// A rate limit stated by a server in its `ratelimit-*` headers (the draft IETF RateLimit
/// header fields, as the Bluesky services send them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RateLimit {
    /// `ratelimit-limit`: requests allowed in the window.
    pub limit: Option<u64>,
    /// `ratelimit-remaining`: requests left in the window.
    pub remaining: Option<u64>,
    /// `ratelimit-reset`: when the window resets. Bluesky services send a Unix time in
    /// seconds; the IETF draft, seconds from now. [`RateLimit::reset_after`] reads both.
    pub reset: Option<u64>,
    /// `ratelimit-policy`, as sent (`100;w=300`).
    pub policy: Option<String>,
}

impl RateLimit {
    /// The rate limit in `headers`, if any `ratelimit-*` header is there.
    pub fn from_headers(headers: &http::HeaderMap) -> Option<RateLimit> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let number = |name: &str| text(name).and_then(|v| v.trim().parse::<u64>().ok());
        let limit = RateLimit {
            limit: number("ratelimit-limit"),
            remaining: number("ratelimit-remaining"),
            reset: number("ratelimit-reset"),
            policy: text("ratelimit-policy").map(|p| p.chars().take(200).collect()),
        };
        (limit != RateLimit::default()).then_some(limit)
    }

    /// How long until the window resets, if the server said: a `reset` past 1,000,000,000
    /// is a Unix time, a smaller one a number of seconds.
    pub fn reset_after(&self) -> Option<std::time::Duration> {
        let reset = self.reset?;
        if reset > 1_000_000_000 {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_secs();
            Some(std::time::Duration::from_secs(reset.saturating_sub(now)))
        } else {
            Some(std::time::Duration::from_secs(reset))
        }
    }
}

/// Validates, sends and decodes a query. Generated `call` functions use it.
#[doc(hidden)]
pub async fn call_query<M: Query>(
    client: &(impl XrpcClient + ?Sized),
    params: &M::Params,
) -> Result<M::Output, Error<M::Error>> {
    params.validate().map_err(Error::InvalidRequest)?;
    let query = params.to_query().map_err(request_error)?;
    let request = XrpcRequest {
        method: Method::GET,
        nsid: M::NSID,
        query,
        body: None,
        headers: HeaderMap::new(),
    };
    let response = client.send_xrpc(request).await.map_err(Error::Transport)?;
    decode_response::<M::Output, M::Error>(response)
}

/// Validates, sends and decodes a procedure. Generated `call` functions use it.
#[doc(hidden)]
pub async fn call_procedure<M: Procedure>(
    client: &(impl XrpcClient + ?Sized),
    params: &M::Params,
    input: &M::Input,
) -> Result<M::Output, Error<M::Error>> {
    params.validate().map_err(Error::InvalidRequest)?;
    input.check().map_err(Error::InvalidRequest)?;
    let query = params.to_query().map_err(request_error)?;
    let body = input
        .encode()
        .map_err(|e| request_error(ParamsError(format!("the input does not encode: {e}"))))?;
    let request = XrpcRequest {
        method: Method::POST,
        nsid: M::NSID,
        query,
        body,
        headers: HeaderMap::new(),
    };
    let response = client.send_xrpc(request).await.map_err(Error::Transport)?;
    decode_response::<M::Output, M::Error>(response)
}

fn request_error<E>(e: ParamsError) -> Error<E> {
    Error::InvalidRequest(crate::ValidationError::new(crate::validate::Rule::Request(
        e.0.into(),
    )))
}

/// Turns a response into the output or the error, never panicking on what the server sent.
pub(crate) fn decode_response<O: Payload, E: ErrorKind>(
    response: http::Response<Bytes>,
) -> Result<O, Error<E>> {
    let status = response.status();
    let rate_limit = RateLimit::from_headers(response.headers()).map(Box::new);
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.into_body();
    if status.is_success() {
        let output = O::decode(content_type.as_deref(), body.clone()).map_err(|reason| {
            Error::Decode(DecodeError::new(
                status,
                content_type.as_deref(),
                reason,
                &body,
            ))
        })?;
        output
            .check()
            .map_err(|error| Error::InvalidResponse(super::InvalidOutput { status, error }))?;
        return Ok(output);
    }
    match parse_error_body(&body) {
        Some((name, message)) => {
            let known = E::from_parts(&name, message.clone());
            Err(Error::Xrpc(XrpcError {
                status,
                name,
                message,
                known,
                rate_limit,
                retry_after,
            }))
        }
        None => Err(Error::Decode(DecodeError::new(
            status,
            content_type.as_deref(),
            format!(
                "error status {} without an XRPC error body",
                status.as_u16()
            ),
            &body,
        ))),
    }
}

/// Reads `{"error": "Name", "message": "..."}`; `None` when the body is not that.
pub(crate) fn parse_error_body(body: &[u8]) -> Option<(String, Option<String>)> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
        #[serde(default)]
        message: Option<serde_json::Value>,
    }
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    if parsed.error.is_empty() {
        return None;
    }
    let message = match parsed.message {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    Some((parsed.error, message))
}
