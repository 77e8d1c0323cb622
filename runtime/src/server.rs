//! The server side (feature `server`): an axum router built from generated `Method` types.
//!
//! ```no_run
//! # atlex::lexicon!("lexicons/com/atproto/server/createSession.json");
//! use atlex::server::{Router, ServerError, XrpcRequest};
//! use com::atproto::server::create_session;
//!
//! # async fn run() -> std::io::Result<()> {
//! let app = Router::new().procedure(
//!     create_session::Method,
//!     |req: XrpcRequest<atlex::xrpc::NoParams, create_session::Input>| async move {
//!         if req.input.password != "hunter2" {
//!             return Err(ServerError::new(401, "AuthenticationRequired", "Invalid identifier or password"));
//!         }
//!         Ok(create_session::Output::new(
//!             "access".into(),
//!             "refresh".into(),
//!             "alice.test".parse().unwrap(),
//!             "did:plc:abcdefghijklmnopqrstuvwx".parse().unwrap(),
//!         ))
//!     },
//! );
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! app.serve(listener).await
//! # }
//! ```
//!
//! Incoming parameters and input are decoded and validated against the lexicon before the
//! handler runs (a bad request gets `400 InvalidRequest`); the handler's output is validated
//! before it is sent (`500 InternalServerError` if it breaks the lexicon); unknown methods
//! get `501 MethodNotImplemented`.

use crate::xrpc::{ErrorKind, Params, Payload, Procedure, Query, StatusCode};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderValue, Uri};

pub use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use std::fmt;
use std::future::Future;

/// A decoded, validated request, handed to a handler.
#[derive(Debug)]
pub struct XrpcRequest<P, I> {
    /// The query parameters.
    pub params: P,
    /// The input body (`()` for queries and procedures without input).
    pub input: I,
    /// The request headers (authorization, labelers, proxy...).
    pub headers: HeaderMap,
}

/// An error a handler answers: a declared error of the method, or any XRPC error.
pub struct ServerError<E> {
    status: StatusCode,
    name: String,
    message: Option<String>,
    _declared: std::marker::PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for ServerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerError")
            .field("status", &self.status)
            .field("name", &self.name)
            .field("message", &self.message)
            .finish()
    }
}

impl<E> ServerError<E> {
    /// Any XRPC error: `status` (e.g. 401), `name` (`AuthenticationRequired`), `message`.
    pub fn new(status: u16, name: impl Into<String>, message: impl Into<String>) -> Self {
        ServerError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            name: name.into(),
            message: Some(message.into()),
            _declared: std::marker::PhantomData,
        }
    }

    /// `400 InvalidRequest` with `message`.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidRequest", message)
    }

    /// `500 InternalServerError` with `message`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalServerError", message)
    }

    /// Answers with another HTTP status (declared errors default to 400).
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = StatusCode::from_u16(status).unwrap_or(self.status);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<E: ErrorKind> From<E> for ServerError<E> {
    /// A declared error, answered as `400` with its name and message.
    fn from(e: E) -> Self {
        ServerError {
            status: StatusCode::BAD_REQUEST,
            name: e.name().to_owned(),
            message: e.message().map(str::to_owned),
            _declared: std::marker::PhantomData,
        }
    }
}

/// An XRPC error answer: `status` with the body `{"error": name, "message": message}`.
pub(crate) fn xrpc_error(status: StatusCode, name: &str, message: Option<&str>) -> Response {
    let body = match message {
        Some(m) => serde_json::json!({ "error": name, "message": m }),
        None => serde_json::json!({ "error": name }),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

fn answer<O: Payload, E>(result: Result<O, ServerError<E>>) -> Response {
    match result {
        Err(e) => xrpc_error(e.status, &e.name, e.message.as_deref()),
        Ok(output) => {
            if let Err(e) = output.check() {
                return xrpc_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    Some(&format!("the handler's output broke the lexicon: {e}")),
                );
            }
            match output.encode() {
                Ok(Some((bytes, content_type))) => {
                    let ct = HeaderValue::from_str(&content_type)
                        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
                    (StatusCode::OK, [(header::CONTENT_TYPE, ct)], bytes).into_response()
                }
                Ok(None) => StatusCode::OK.into_response(),
                Err(e) => xrpc_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    Some(&format!("could not encode the output: {e}")),
                ),
            }
        }
    }
}

/// Decodes and validates the query parameters; the error is the message for a 400.
fn decode_params<P: Params>(uri: &Uri) -> Result<P, String> {
    let pairs = crate::xrpc::parse_query_string(uri.query().unwrap_or(""));
    let params = P::from_query(&pairs).map_err(|e| e.to_string())?;
    params
        .validate()
        .map_err(|e| format!("invalid parameters: {e}"))?;
    Ok(params)
}

fn bad_request(message: &str) -> Response {
    xrpc_error(StatusCode::BAD_REQUEST, "InvalidRequest", Some(message))
}

/// An XRPC router: one route per method, `501 MethodNotImplemented` for the rest.
#[derive(Debug, Clone)]
pub struct Router {
    inner: axum::Router,
}

impl Default for Router {
    fn default() -> Self {
        Self::new()
    }
}

impl Router {
    /// A router with no methods.
    pub fn new() -> Self {
        Router {
            inner: axum::Router::new(),
        }
    }

    /// Serves the query `M` with `handler`, which gets validated parameters.
    pub fn query<M, H, F>(self, _method: M, handler: H) -> Self
    where
        M: Query,
        H: Fn(XrpcRequest<M::Params, ()>) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Result<M::Output, ServerError<M::Error>>> + Send + 'static,
    {
        let route = axum::routing::get(move |uri: Uri, headers: HeaderMap| {
            let handler = handler.clone();
            async move {
                let params = match decode_params::<M::Params>(&uri) {
                    Ok(p) => p,
                    Err(message) => return bad_request(&message),
                };
                answer(
                    handler(XrpcRequest {
                        params,
                        input: (),
                        headers,
                    })
                    .await,
                )
            }
        })
        .fallback(|| async { wrong_method("GET") });
        Router {
            inner: self.inner.route(&format!("/xrpc/{}", M::NSID), route),
        }
    }

    /// Serves the procedure `M` with `handler`, which gets validated parameters and input.
    pub fn procedure<M, H, F>(self, _method: M, handler: H) -> Self
    where
        M: Procedure,
        H: Fn(XrpcRequest<M::Params, M::Input>) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Result<M::Output, ServerError<M::Error>>> + Send + 'static,
    {
        let route = axum::routing::post(
            move |uri: Uri, headers: HeaderMap, body: Result<Bytes, BytesRejection>| {
                let handler = handler.clone();
                async move {
                    let body = match body {
                        Ok(b) => b,
                        Err(rejection) => {
                            let status = rejection.status();
                            let name = if status == StatusCode::PAYLOAD_TOO_LARGE {
                                "PayloadTooLarge"
                            } else {
                                "InvalidRequest"
                            };
                            return xrpc_error(status, name, Some(&rejection.body_text()));
                        }
                    };
                    let params = match decode_params::<M::Params>(&uri) {
                        Ok(p) => p,
                        Err(message) => return bad_request(&message),
                    };
                    let content_type = headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let input = match M::Input::decode(content_type.as_deref(), body) {
                        Ok(i) => i,
                        Err(e) => return bad_request(&format!("invalid input: {e}")),
                    };
                    if let Err(e) = input.check() {
                        return bad_request(&format!("invalid input: {e}"));
                    }
                    answer(
                        handler(XrpcRequest {
                            params,
                            input,
                            headers,
                        })
                        .await,
                    )
                }
            },
        )
        .fallback(|| async { wrong_method("POST") });
        Router {
            inner: self.inner.route(&format!("/xrpc/{}", M::NSID), route),
        }
    }

    /// Serves the subscription `M` (feature `stream`) on a WebSocket route: `handler` gets the
    /// validated parameters (with the `cursor` the client resumes from, where the
    /// subscription takes one) and returns the messages to publish, each with its own
    /// sequence number; an `Err` item is sent as the stream's error frame (the header
    /// `{op: -1}`, the body `{error, message}`) and ends it, as does the end of the stream.
    ///
    /// As the event-stream specification says: invalid parameters are the error frame
    /// `InvalidRequest`, sent as the first frame after the upgrade; a request without the
    /// WebSocket upgrade gets `426 Upgrade Required` (with an XRPC error body and
    /// `Upgrade: websocket`), another HTTP method `405`. After an error frame the connection
    /// is closed with code 1008 and the error's name as the reason, as the reference server
    /// does.
    ///
    /// Frames are written one at a time as the client reads them: a slow client holds the
    /// stream back instead of growing a buffer.
    #[cfg(feature = "stream")]
    pub fn subscription<M, H, F, S>(self, _method: M, handler: H) -> Self
    where
        M: crate::xrpc::Subscription,
        H: Fn(XrpcRequest<M::Params, ()>) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = S> + Send + 'static,
        S: futures_core::Stream<Item = Result<M::Message, ServerError<M::Error>>> + Send + 'static,
    {
        use axum::extract::ws::{close_code, CloseFrame, Message as WsMessage, WebSocketUpgrade};
        use futures_util::{SinkExt, StreamExt};
        let route = axum::routing::get(
            move |uri: Uri,
                  headers: HeaderMap,
                  upgrade: Result<
                WebSocketUpgrade,
                axum::extract::ws::rejection::WebSocketUpgradeRejection,
            >| {
                let handler = handler.clone();
                async move {
                    let upgrade = match upgrade {
                        Ok(u) => u,
                        Err(rejection) => {
                            let asked = headers
                                .get(header::UPGRADE)
                                .and_then(|v| v.to_str().ok())
                                .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
                            if !asked {
                                return upgrade_required::<M>();
                            }
                            // An upgrade asked for, but not a valid one (no key, another
                            // version, a connection that can not be upgraded).
                            return xrpc_error(
                                rejection.status(),
                                "InvalidRequest",
                                Some(&format!("the WebSocket upgrade: {}", rejection.body_text())),
                            );
                        }
                    };
                    let params = decode_params::<M::Params>(&uri);
                    upgrade.on_upgrade(move |socket| async move {
                        let (mut tx, mut rx) = socket.split();
                        // Read (and drop) what the client sends, so that its close is seen.
                        let mut closed = Box::pin(async move {
                            while let Some(Ok(m)) = rx.next().await {
                                if matches!(m, WsMessage::Close(_)) {
                                    break;
                                }
                            }
                        });
                        // Sends the error frame, then closes as the reference server does.
                        let end_with = |name: &str, message: Option<&str>| {
                            let frame = crate::stream::encode_error_frame(name, message);
                            let close = CloseFrame {
                                code: close_code::POLICY,
                                reason: name.chars().take(120).collect::<String>().into(),
                            };
                            [
                                WsMessage::Binary(frame.into()),
                                WsMessage::Close(Some(close)),
                            ]
                        };
                        let params = match params {
                            Ok(p) => p,
                            Err(message) => {
                                for m in end_with("InvalidRequest", Some(&message)) {
                                    if tx.send(m).await.is_err() {
                                        return;
                                    }
                                }
                                return;
                            }
                        };
                        let messages = handler(XrpcRequest {
                            params,
                            input: (),
                            headers,
                        })
                        .await;
                        let mut messages = Box::pin(messages);
                        let last = loop {
                            let next = tokio::select! {
                                next = messages.next() => next,
                                _ = &mut closed => return,
                            };
                            let frame = match next {
                                None => break vec![WsMessage::Close(None)],
                                Some(Ok(message)) => {
                                    match crate::stream::encode_frame::<M>(&message) {
                                        Ok(frame) => frame,
                                        Err(e) => {
                                            break end_with(
                                                "InternalServerError",
                                                Some(&e.to_string()),
                                            )
                                            .into()
                                        }
                                    }
                                }
                                Some(Err(e)) => {
                                    break end_with(&e.name, e.message.as_deref()).into()
                                }
                            };
                            if tx.send(WsMessage::Binary(frame.into())).await.is_err() {
                                return;
                            }
                        };
                        for m in last {
                            if tx.send(m).await.is_err() {
                                return;
                            }
                        }
                    })
                }
            },
        )
        .fallback(|| async { wrong_method("GET") });
        Router {
            inner: self.inner.route(&format!("/xrpc/{}", M::NSID), route),
        }
    }

    /// The axum router, with `501 MethodNotImplemented` for unknown methods.
    pub fn into_axum(self) -> axum::Router {
        self.inner.fallback(|uri: Uri| async move {
            if uri.path().starts_with("/xrpc/") {
                xrpc_error(
                    StatusCode::NOT_IMPLEMENTED,
                    "MethodNotImplemented",
                    Some("Method Not Implemented"),
                )
            } else {
                xrpc_error(StatusCode::NOT_FOUND, "NotFound", Some("Not Found"))
            }
        })
    }

    /// Serves the router on `listener` until the process ends.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.into_axum()).await
    }
}

/// `426 Upgrade Required` for a request to a subscription that is not a WebSocket upgrade.
#[cfg(feature = "stream")]
fn upgrade_required<M: crate::xrpc::Subscription>() -> Response {
    let mut response = xrpc_error(
        StatusCode::UPGRADE_REQUIRED,
        "InvalidRequest",
        Some(&format!(
            "{} is a subscription: connect with a WebSocket (an `Upgrade: websocket` request)",
            M::NSID
        )),
    );
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    response
}

fn wrong_method(expected: &str) -> Response {
    xrpc_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "InvalidRequest",
        Some(&format!("this method takes HTTP {expected}")),
    )
}
