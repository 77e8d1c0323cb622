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
pub struct TransportError(Box<dyn std::error::Error + Send + Sync>);

impl TransportError {
    /// Wraps the underlying error.
    pub fn new(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        TransportError(err.into())
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
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
        })
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
        self.transport.send(req).await
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
}

#[cfg(feature = "reqwest")]
impl ReqwestTransport {
    /// The largest response body read by default: 64 MiB.
    pub const DEFAULT_MAX_BODY: usize = 64 << 20;

    /// A transport over a new `reqwest::Client`.
    pub fn new() -> Self {
        Self::from_client(reqwest::Client::new())
    }

    /// A transport over an existing `reqwest::Client` (for proxies, timeouts, user agent).
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport {
            client,
            max_body: Self::DEFAULT_MAX_BODY,
        }
    }

    /// Sets the largest response body this transport reads; a larger one is an error.
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
        let req = reqwest::Request::try_from(request).map_err(TransportError::new)?;
        let mut resp = self
            .client
            .execute(req)
            .await
            .map_err(TransportError::new)?;
        let mut builder = http::Response::builder().status(resp.status());
        if let Some(h) = builder.headers_mut() {
            *h = std::mem::take(resp.headers_mut());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(TransportError::new)? {
            if body.len() + chunk.len() > self.max_body {
                return Err(TransportError::new(format!(
                    "response body larger than the {} byte limit",
                    self.max_body
                )));
            }
            body.extend_from_slice(&chunk);
        }
        builder.body(Bytes::from(body)).map_err(TransportError::new)
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
    let body = input.encode().map_err(|e| request_error(ParamsError(e)))?;
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
    Error::InvalidRequest(crate::ValidationError::new(crate::validate::Rule::Other(
        e.0.into(),
    )))
}

/// Turns a response into the output or the error, never panicking on what the server sent.
pub(crate) fn decode_response<O: Payload, E: ErrorKind>(
    response: http::Response<Bytes>,
) -> Result<O, Error<E>> {
    let status = response.status();
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
