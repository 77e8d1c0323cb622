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
    /// Opens the subscription `M` with `params`; the stream connects when first polled or by
    /// [`Events::connect`].
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

/// An item of the raw stream behind [`Events`]: `Ok(None)` when a connection has just opened,
/// `Ok(Some(..))` for a message, `Err` for a problem.
type RawItem<M> =
    Result<Option<Decoded<<M as Subscription>::Message>>, Error<<M as Subscription>::Error>>;

type Inner<M> = Pin<Box<dyn futures_core::Stream<Item = RawItem<M>> + Send>>;

/// A message of [`Events`] with its commit's blocks, or a problem.
type DecodedItem<M> =
    Result<Decoded<<M as Subscription>::Message>, Error<<M as Subscription>::Error>>;

/// The messages of a subscription, as a [`futures_core::Stream`] of
/// `Result<Message, atlex::Error<Error>>`: each message decoded and validated, and each
/// problem met on the way as an `Err` item. Returned by a generated `subscribe`; the module
/// `atlex::stream` (feature `cbor`) states the rules for frames and sequence numbers.
///
/// # Life cycle
///
/// - **Connecting.** `subscribe` only prepares the stream: the WebSocket is opened when the
///   stream is first polled, or by [`Events::connect`], which returns once the server has
///   accepted the subscription (so that what is written after it is sent on this stream).
///   [`Events::is_connected`] tells whether a connection is open now.
/// - **Reading.** Frames are read only as fast as the stream is polled: a slow consumer holds
///   the server back instead of filling a buffer.
/// - **Errors.** Every problem is an `Err` item, and the stream goes on after it unless it is
///   final. Not final: a frame that does not decode or breaks the lexicon, a `seq` that does
///   not rise, a connection refused for a while (408, 425, 429, most 5xx) or lost, a server
///   that stopped answering (the heartbeat): the stream reconnects with backoff. Final (the
///   next poll gives `None`): the server's error frame ([`Error::Xrpc`], typed when the
///   lexicon declares it, such as `FutureCursor` or `ConsumerTooSlow`), a refusal that will
///   not change (a bad parameter's 400, 401, 404, 501), parameters or a base URL that can not
///   make a request ([`Error::InvalidRequest`]), a frame over `StreamOptions::max_frame`, and
///   the retry limit `StreamOptions::max_retries` reached. With `StreamOptions::reconnect`
///   off, a lost connection ends the stream too.
/// - **Reconnecting.** After a connection is lost, the stream connects again with the `seq`
///   of the last message it delivered as `cursor` (for a subscription that takes one), so no
///   message is missed or repeated as far as the server keeps its history. To resume after
///   the process restarts, keep the `seq` of the last message you have finished with and pass
///   it as `cursor` to `subscribe`.
/// - **Stopping.** Drop the stream: its connection is closed at once, and nothing runs in
///   the background. To stop it from elsewhere, select between the stream and a signal
///   (`tokio::select!`, `futures_util::StreamExt::take_until`), or abort the task that reads
///   it.
///
/// ```no_run
/// # mod lexicons { atlex::lexicon!({ "lexicon": 1, "id": "com.example.ticks", "defs": {
/// #   "main": { "type": "subscription", "parameters": { "type": "params", "properties": {
/// #     "cursor": { "type": "integer" } } },
/// #     "message": { "schema": { "type": "union", "refs": ["#tick"] } } },
/// #   "tick": { "type": "object", "required": ["seq"], "properties": { "seq": { "type": "integer" } } } } }); }
/// # use lexicons::com::example::ticks;
/// use futures_util::StreamExt;
///
/// # async fn run(
/// #     saved_cursor: Option<i64>,
/// #     mut stop: tokio::sync::oneshot::Receiver<()>,
/// # ) -> Result<(), Box<dyn std::error::Error>> {
/// let client = atlex::Client::new("https://relay.example.com")?;
/// let mut events = ticks::subscribe(&client, &ticks::Params { cursor: saved_cursor });
/// events.connect().await?; // live from here
/// assert!(events.is_connected());
/// loop {
///     tokio::select! {
///         _ = &mut stop => break, // a signal from elsewhere; dropping `events` closes it
///         item = events.next() => match item {
///             Some(Ok(ticks::Message::Tick(t))) => println!("tick {}", t.seq), // keep t.seq
///             Some(Ok(_)) => {}
///             Some(Err(e)) => eprintln!("event stream: {e}"), // it goes on unless final
///             None => break, // after a final error
///         },
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Events<M: Subscription> {
    inner: Inner<M>,
    connected: Option<Arc<AtomicBool>>,
    /// A message read by [`Events::connect`] from a stream that does not mark its
    /// connections, given by the next poll.
    pending: Option<Box<Decoded<M::Message>>>,
}

impl<M: Subscription> fmt::Debug for Events<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("nsid", &M::NSID)
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl<M: Subscription> Events<M> {
    /// Events from a raw stream (what [`Connect`] implementations build): `Ok(None)` marks a
    /// connection just opened.
    #[doc(hidden)]
    pub fn from_stream(
        inner: impl futures_core::Stream<Item = RawItem<M>> + Send + 'static,
    ) -> Self {
        Events {
            inner: Box::pin(inner),
            connected: None,
            pending: None,
        }
    }

    /// The same events, with the flag [`Events::is_connected`] reads (set by the stream).
    #[doc(hidden)]
    pub fn with_connected(mut self, connected: Arc<AtomicBool>) -> Self {
        self.connected = Some(connected);
        self
    }

    /// Whether the stream has a WebSocket connection open now: false before it first
    /// connects (see [`Events::connect`]), while it connects again or waits to, and after it
    /// ended (and always for a stream not opened by atlex's client).
    pub fn is_connected(&self) -> bool {
        is_connected(&self.connected)
    }

    /// Opens the connection now, if none is open, and returns once the server has accepted
    /// the subscription: from then on the server sends its events on this stream (a live
    /// subscription, without a cursor, gets what happens after this point). No message is
    /// read or lost.
    ///
    /// An error is the failed attempt, as the stream would have given it as an item: call
    /// `connect` again (after the stream's backoff) or poll the stream to go on, unless it
    /// was final. A stream that has ended is an error too.
    pub async fn connect(&mut self) -> Result<(), Error<M::Error>> {
        if self.is_connected() || self.pending.is_some() {
            return Ok(());
        }
        match std::future::poll_fn(|cx| self.inner.as_mut().poll_next(cx)).await {
            Some(Ok(None)) => Ok(()),
            Some(Ok(Some(message))) => {
                self.pending = Some(Box::new(message));
                Ok(())
            }
            Some(Err(e)) => Err(e),
            None => Err(Error::Transport(super::TransportError::with_kind(
                super::TransportErrorKind::Other,
                "the event stream has ended; subscribe again to open a new one",
            ))),
        }
    }

    /// The next message with its commit's blocks, skipping connection marks.
    fn poll_decoded(&mut self, cx: &mut Context<'_>) -> Poll<Option<DecodedItem<M>>> {
        if let Some(message) = self.pending.take() {
            return Poll::Ready(Some(Ok(*message)));
        }
        loop {
            return match self.inner.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(None))) => continue,
                Poll::Ready(Some(Ok(Some(message)))) => Poll::Ready(Some(Ok(message))),
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }

    /// The same stream, each message with the records its commit wrote (for `#commit`
    /// messages of `com.atproto.sync.subscribeRepos`), read through the record set `R` (such as
    /// a `lexicon!` invocation's `AnyRecord`) from the commit's blocks.
    #[cfg(feature = "cbor")]
    pub fn with_records<R: crate::RecordSet>(self) -> WithRecords<M, R> {
        WithRecords {
            events: self,
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
        self.poll_decoded(cx)
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

/// The stream of [`Events::with_records`]: the same life cycle as [`Events`].
#[cfg(feature = "cbor")]
pub struct WithRecords<M: Subscription, R> {
    events: Events<M>,
    _records: std::marker::PhantomData<fn() -> R>,
}

#[cfg(feature = "cbor")]
impl<M: Subscription, R> WithRecords<M, R> {
    /// Whether the stream has a WebSocket connection open now: see [`Events::is_connected`].
    pub fn is_connected(&self) -> bool {
        self.events.is_connected()
    }

    /// Opens the connection now and returns once the server has accepted the subscription:
    /// see [`Events::connect`].
    pub async fn connect(&mut self) -> Result<(), Error<M::Error>> {
        self.events.connect().await
    }
}

#[cfg(feature = "cbor")]
impl<M: Subscription, R> fmt::Debug for WithRecords<M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithRecords")
            .field("nsid", &M::NSID)
            .field("connected", &self.is_connected())
            .finish()
    }
}

#[cfg(feature = "cbor")]
impl<M: Subscription, R: crate::RecordSet> futures_core::Stream for WithRecords<M, R> {
    type Item = Result<Event<M::Message, R>, Error<M::Error>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_decoded(cx).map(|item| {
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
