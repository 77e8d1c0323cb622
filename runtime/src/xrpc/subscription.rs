//! Subscriptions (event streams): the trait generated `Method` types implement, and the
//! stream of messages `subscribe` returns. Opening one needs the `stream` feature.

use super::{Error, ErrorKind, Params};
use crate::types::{Bytes, CidLink};
use crate::Validate;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// An XRPC subscription (an event stream over WebSocket): generated as the `Method` struct of
/// a subscription document.
pub trait Subscription: Send + Sync + 'static {
    /// The subscription's NSID.
    const NSID: &'static str;
    /// The query parameters ([`super::NoParams`] when the lexicon declares none).
    type Params: Params;
    /// The message union.
    type Message: serde::Serialize
        + serde::de::DeserializeOwned
        + Validate
        + crate::__private::UnionTag
        + Send
        + 'static;
    /// The declared errors.
    type Error: ErrorKind;
}

/// What can open an event stream: [`super::Client`] with atlex's `stream` feature (its
/// `http(s)://` base URL becomes `ws(s)://`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` can not open event streams",
    note = "enable the `stream` feature of atlex: `atlex = {{ version = \"..\", features = [\"stream\"] }}`"
)]
pub trait Connect {
    /// Opens the subscription `M` with `params`; the stream connects when first polled.
    fn subscribe<M: Subscription>(&self, params: &M::Params) -> Events<M>;
}

/// One item of the raw stream behind [`Events`]: the decoded message and, for a `#commit`
/// message carrying `blocks` and `ops`, those.
#[doc(hidden)]
#[derive(Debug)]
pub struct Decoded<M> {
    /// The message.
    pub message: M,
    /// A commit's blocks and operations.
    pub commit: Option<RawCommit>,
}

/// A commit's CAR of blocks and its operations, as the stream carried them.
#[derive(Debug, Clone)]
pub struct RawCommit {
    /// The CAR holding the commit and the records written.
    pub blocks: Bytes,
    /// `(action, path, cid)` for each operation: `create`, `update` or `delete`; the record's
    /// `collection/rkey`; its CID (none for a delete).
    pub ops: Vec<(String, String, Option<CidLink>)>,
}

type Inner<M> = Pin<
    Box<
        dyn futures_core::Stream<
                Item = Result<
                    Decoded<<M as Subscription>::Message>,
                    Error<<M as Subscription>::Error>,
                >,
            > + Send,
    >,
>;

/// The messages of a subscription, as a [`futures_core::Stream`] of
/// `Result<Message, atlex::Error<Error>>`: each message decoded and validated, and each
/// problem met on the way as an `Err` item. The stream goes on after an error that is not
/// final (a bad frame, a connection lost or refused for a while: it reconnects from the last
/// sequence number) and ends after one that is (the server's error frame, typed; a refusal
/// that will not change; the retry limit). Returned by a generated `subscribe`; the module
/// `atlex::stream` (feature `cbor`) states the rules.
pub struct Events<M: Subscription> {
    inner: Inner<M>,
    connected: Option<Arc<AtomicBool>>,
}

impl<M: Subscription> fmt::Debug for Events<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events").field("nsid", &M::NSID).finish()
    }
}

impl<M: Subscription> Events<M> {
    /// Events from a stream of decoded messages (what [`Connect`] implementations build).
    #[doc(hidden)]
    pub fn from_stream(
        inner: impl futures_core::Stream<Item = Result<Decoded<M::Message>, Error<M::Error>>>
            + Send
            + 'static,
    ) -> Self {
        Events {
            inner: Box::pin(inner),
            connected: None,
        }
    }

    /// The same events, with the flag [`Events::is_connected`] reads (set by the stream).
    #[doc(hidden)]
    pub fn with_connected(mut self, connected: Arc<AtomicBool>) -> Self {
        self.connected = Some(connected);
        self
    }

    /// Whether the stream has a WebSocket connection open now: false before the first poll,
    /// while it connects or waits to reconnect, and after it ended (and always for a stream
    /// not opened by atlex's client).
    pub fn is_connected(&self) -> bool {
        is_connected(&self.connected)
    }

    /// The same stream, each message with the records its commit wrote (for `#commit`
    /// messages of `com.atproto.sync.subscribeRepos`), read through the record set `R` (such as
    /// a `lexicon!` invocation's `AnyRecord`) from the commit's blocks.
    #[cfg(feature = "cbor")]
    pub fn with_records<R: crate::RecordSet>(self) -> WithRecords<M, R> {
        WithRecords {
            inner: self.inner,
            connected: self.connected,
            _records: std::marker::PhantomData,
        }
    }
}

fn is_connected(flag: &Option<Arc<AtomicBool>>) -> bool {
    flag.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
}

impl<M: Subscription> futures_core::Stream for Events<M> {
    type Item = Result<M::Message, Error<M::Error>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(|r| r.map(|d| d.message)))
    }
}

/// A message with the records its commit wrote: see [`Events::with_records`].
#[cfg(feature = "cbor")]
#[derive(Debug)]
pub struct Event<Msg, R> {
    /// The message.
    pub message: Msg,
    /// For a commit: one item per operation, in the order of the commit's `ops`, each with its
    /// record (see [`crate::stream::record_ops`]); empty for other messages.
    pub ops: Vec<Result<crate::stream::RecordOp<R>, crate::repo::RepoError>>,
}

/// The stream of [`Events::with_records`].
#[cfg(feature = "cbor")]
pub struct WithRecords<M: Subscription, R> {
    inner: Inner<M>,
    connected: Option<Arc<AtomicBool>>,
    _records: std::marker::PhantomData<fn() -> R>,
}

#[cfg(feature = "cbor")]
impl<M: Subscription, R> WithRecords<M, R> {
    /// Whether the stream has a WebSocket connection open now: see [`Events::is_connected`].
    pub fn is_connected(&self) -> bool {
        is_connected(&self.connected)
    }
}

#[cfg(feature = "cbor")]
impl<M: Subscription, R> fmt::Debug for WithRecords<M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithRecords")
            .field("nsid", &M::NSID)
            .finish()
    }
}

#[cfg(feature = "cbor")]
impl<M: Subscription, R: crate::RecordSet> futures_core::Stream for WithRecords<M, R> {
    type Item = Result<Event<M::Message, R>, Error<M::Error>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx).map(|item| {
            item.map(|r| {
                r.map(|d| Event {
                    ops: match &d.commit {
                        Some(c) => crate::stream::record_ops::<R>(c),
                        None => Vec::new(),
                    },
                    message: d.message,
                })
            })
        })
    }
}
