//! Event streams: the frames of an XRPC subscription, and (feature `stream`) the WebSocket
//! client that a generated `subscribe` opens.
//!
//! A frame is one binary WebSocket message holding two DAG-CBOR values: a header, then a body.
//! A message's header is `{op: 1, t: "#name"}` and its body the union variant `t` names
//! (`#commit` is `<nsid>#commit`), without its `$type`. An error frame's header is `{op: -1}`
//! and its body `{error: "Name", message?: "..."}`; it ends the stream. A frame with another
//! `op` is skipped, as the event-stream specification says.
//!
//! The client's stream ([`Events`](crate::xrpc::Events)) has a life cycle, stated in full
//! on its page:
//! - it connects when first polled, or when [`Events::connect`](crate::xrpc::Events::connect)
//!   is awaited, which returns once the server has accepted the subscription;
//!   [`Events::is_connected`](crate::xrpc::Events::is_connected) tells whether a connection
//!   is open now;
//! - it yields every message decoded and validated, and every problem as an `Err` item: the
//!   stream goes on after an item that is not final (a frame that does not decode, a
//!   connection lost or refused for a while) and ends after one that is (the server's error
//!   frame, a refusal that will not change, the retry limit of `StreamOptions` reached);
//! - after a lost connection it connects again from the last sequence number it delivered;
//! - it stops when dropped, closing its connection (nothing runs in the background).
//!
//! So a consumer reads it to the end and decides what to do with each error:
//!
//! ```no_run
//! # mod lexicons { atlex::lexicon!({ "lexicon": 1, "id": "com.example.ticks", "defs": {
//! #   "main": { "type": "subscription", "parameters": { "type": "params", "properties": {
//! #     "cursor": { "type": "integer" } } },
//! #     "message": { "schema": { "type": "union", "refs": ["#tick"] } },
//! #     "errors": [{ "name": "FutureCursor" }] },
//! #   "tick": { "type": "object", "required": ["seq"], "properties": { "seq": { "type": "integer" } } } } }); }
//! # use lexicons::com::example::ticks;
//! use futures_util::StreamExt;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = atlex::Client::new("https://relay.example.com")?;
//! let mut events = ticks::subscribe(&client, &ticks::Params { cursor: Some(42) });
//! while let Some(message) = events.next().await {
//!     match message {
//!         Ok(ticks::Message::Tick(t)) => println!("tick {}", t.seq),
//!         Ok(other) => println!("something else: {other:?}"),
//!         Err(e) if matches!(e.known(), Some(ticks::Error::FutureCursor(_))) => {
//!             return Err(format!("the relay lost its history: {e}").into());
//!         }
//!         // A bad frame, a lost connection, a relay restarting: the stream reconnects from
//!         // the last sequence number and goes on (or ends, after a final error).
//!         Err(e) => eprintln!("event stream: {e}"),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Sequence numbers: a subscription that takes a `cursor` has messages whose `seq` rises. The
//! client resumes from the last one it delivered; a message whose `seq` is not above it
//! (repeated, or out of order) is not delivered: it is an error item and the connection is
//! dropped and made again from the cursor, as the specification suggests. The one exception is
//! the first message after connecting with a cursor, when its `seq` equals the cursor (a server
//! may resend the message the cursor names): it is skipped without an error.

#[cfg(feature = "stream")]
mod client;
#[cfg(feature = "stream")]
pub use client::{subscribe, StreamOptions};

use crate::cbor;
use crate::repo::RepoError;
use crate::types::{CidLink, Data, DataMap, Nsid, RecordKey, Unknown};
use crate::xrpc::{
    DecodeError, Decoded, Error, ErrorKind, RawCommit, StatusCode, Subscription, XrpcError,
};
use crate::{Record, RecordReader, RecordSet, Validate};
use bytes::Bytes;
use std::fmt;

/// What an operation of a commit did to its record: the `action` of
/// `com.atproto.sync.subscribeRepos#repoOp`, an open set of values (`knownValues`), read as
/// generated code reads one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// `create`: a new record.
    Create,
    /// `update`: the record replaced.
    Update,
    /// `delete`: the record removed.
    Delete,
    /// A value the lexicon does not list, kept as it came.
    Other(String),
}

impl Action {
    /// The value as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Other(s) => s,
        }
    }

    /// The variant for a value the lexicon lists.
    pub fn known(s: &str) -> Option<Self> {
        match s {
            "create" => Some(Action::Create),
            "update" => Some(Action::Update),
            "delete" => Some(Action::Delete),
            _ => None,
        }
    }
}

impl From<&str> for Action {
    fn from(s: &str) -> Self {
        Action::known(s).unwrap_or_else(|| Action::Other(s.to_owned()))
    }
}

impl From<String> for Action {
    fn from(s: String) -> Self {
        Action::known(&s).unwrap_or(Action::Other(s))
    }
}

impl std::str::FromStr for Action {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Action::from(s))
    }
}

impl AsRef<str> for Action {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Action::from)
    }
}

impl Validate for Action {
    /// Always `Ok`: any string is an action (the lexicon's values are known, not required).
    fn validate(&self) -> Result<(), crate::ValidationError> {
        Ok(())
    }
}

/// One operation of a commit, with its record read from the commit's blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordOp<R> {
    /// What the operation did: create, update or delete.
    pub action: Action,
    /// The record's collection.
    pub collection: Nsid,
    /// The record's key.
    pub rkey: RecordKey,
    /// The record's CID; none for a delete.
    pub cid: Option<CidLink>,
    /// The record, decoded and validated, as its generated type or as
    /// [`crate::types::Unknown`]; none for a delete; an error when its block is missing, does
    /// not hash to its CID or does not decode, or when a create or update has no CID.
    pub record: Option<Result<R, RepoError>>,
}

/// Reads records from DAG-CBOR blocks, for [`RecordSet::read`].
struct BlockReader<'a> {
    bytes: &'a [u8],
    path: &'a str,
}

impl RecordReader for BlockReader<'_> {
    type Error = RepoError;

    fn read<R: Record>(self) -> Result<R, RepoError> {
        cbor::from_slice(self.bytes).map_err(|e| RepoError::Record {
            path: self.path.to_owned(),
            reason: e.to_string(),
        })
    }

    fn read_unknown(self) -> Result<Unknown, RepoError> {
        self.read::<UnknownRecord>().map(|r| r.0)
    }
}

/// [`Unknown`] as a record of no collection, so that [`BlockReader::read`] serves both.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
struct UnknownRecord(Unknown);

impl Validate for UnknownRecord {
    fn validate(&self) -> Result<(), crate::ValidationError> {
        Ok(())
    }
}

impl Record for UnknownRecord {
    const NSID: &'static str = "";
    const KEY: &'static str = "any";
}

/// Reads a record of any collection through `R` from DAG-CBOR bytes.
pub fn read_record<R: RecordSet>(
    collection: &str,
    path: &str,
    bytes: &[u8],
) -> Result<R, RepoError> {
    R::read(collection, BlockReader { bytes, path })
}

/// Each operation of a commit with its record, read through `R` from the commit's blocks: one
/// item per operation, in the order of the commit's `ops`, so that item `i` is about
/// `ops[i]`. An operation whose path is not `collection/rkey` is an error item
/// ([`RepoError::Record`] naming the path); a record that can not be read is an error in its
/// [`RecordOp::record`].
pub fn record_ops<R: RecordSet>(commit: &RawCommit) -> Vec<Result<RecordOp<R>, RepoError>> {
    // The blocks, each a slice of the frame (no copy). Only the blocks of the records are
    // read, and each is checked against its CID when it is (the commit and tree nodes a
    // commit also carries are not read here, so not hashed).
    let blocks: Result<Vec<(::cid::Cid, Bytes)>, String> =
        crate::car::unverified_blocks(commit.blocks.clone().into_inner())
            .map_err(|e| e.to_string());
    commit
        .ops
        .iter()
        .map(|(action, path, cid)| {
            let (collection, rkey) = parse_path(path)?;
            let action = Action::from(action.as_str());
            let record = match (cid, &action) {
                (Some(cid), _) => Some(record_of::<R>(&blocks, collection.as_str(), path, cid)),
                (None, Action::Create | Action::Update) => Some(Err(RepoError::Record {
                    path: path.clone(),
                    reason: format!("a {action} without a CID"),
                })),
                (None, _) => None,
            };
            Ok(RecordOp {
                action,
                collection,
                rkey,
                cid: cid.clone(),
                record,
            })
        })
        .collect()
}

/// An operation's path as its collection and record key.
fn parse_path(path: &str) -> Result<(Nsid, RecordKey), RepoError> {
    let bad = |reason: String| RepoError::Record {
        path: path.to_owned(),
        reason,
    };
    let Some((collection, rkey)) = path.split_once('/') else {
        return Err(bad("the path is not `collection/rkey`".into()));
    };
    let collection = collection
        .parse::<Nsid>()
        .map_err(|e| bad(format!("the path's collection: {e}")))?;
    let rkey = rkey
        .parse::<RecordKey>()
        .map_err(|e| bad(format!("the path's record key: {e}")))?;
    Ok((collection, rkey))
}

/// The record `cid` names, read from the commit's blocks and checked against its CID.
fn record_of<R: RecordSet>(
    blocks: &Result<Vec<(::cid::Cid, Bytes)>, String>,
    collection: &str,
    path: &str,
    cid: &CidLink,
) -> Result<R, RepoError> {
    let bad = |reason: String| RepoError::Record {
        path: path.to_owned(),
        reason,
    };
    let list = blocks.as_ref().map_err(|e| bad(e.clone()))?;
    match list.iter().find(|(c, _)| c == cid.as_binary()) {
        // The sync spec's hard limit on a record in a `#commit`.
        Some((_, bytes)) if bytes.len() > crate::repo::MAX_RECORD_SIZE => Err(bad(format!(
            "block {cid}: {} bytes, over the record size limit of {} bytes",
            bytes.len(),
            crate::repo::MAX_RECORD_SIZE
        ))),
        Some((_, bytes)) if cbor::cid_matches(cid.as_binary(), bytes) => {
            read_record::<R>(collection, path, bytes)
        }
        Some(_) => Err(bad(format!(
            "block {cid}: its bytes do not hash to its CID"
        ))),
        None => Err(bad(format!(
            "its block {cid} is not in the commit's blocks"
        ))),
    }
}

/// A frame's header: `op` and, for a message, `t`. Other fields are ignored.
#[derive(serde::Deserialize)]
struct Header {
    op: i64,
    #[serde(default)]
    t: Option<String>,
}

/// An error frame's body.
#[derive(serde::Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    message: Option<String>,
}

/// What the runtime reads of every body besides the message: its sequence number, and a
/// commit's blocks and operations.
#[derive(serde::Deserialize)]
struct BodyView<'a> {
    #[serde(default)]
    seq: Option<i64>,
    #[serde(default, borrow = "'a")]
    blocks: Option<Borrowed<'a>>,
    #[serde(default)]
    ops: Option<Vec<OpView>>,
}

/// Bytes borrowed from the input.
struct Borrowed<'a>(&'a [u8]);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Borrowed<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Borrowed<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_borrowed_bytes<E: serde::de::Error>(
                self,
                v: &'de [u8],
            ) -> Result<Borrowed<'de>, E> {
                Ok(Borrowed(v))
            }
        }
        d.deserialize_bytes(V)
    }
}

#[derive(serde::Deserialize)]
struct OpView {
    action: String,
    path: String,
    #[serde(default)]
    cid: Option<CidLink>,
}

/// A frame decoded: the message, its sequence number, and a commit's blocks and operations.
#[derive(Debug)]
pub struct Frame<Msg> {
    /// The message.
    pub message: Msg,
    /// Its `seq`, when it has one (the cursor to resume after it).
    pub seq: Option<i64>,
    /// A commit's blocks and operations.
    pub commit: Option<RawCommit>,
}

/// A frame that could not be read: the reason alone (a frame's bytes as text say nothing).
fn decode_error<E>(reason: String) -> Error<E> {
    Error::Decode(DecodeError::new(
        StatusCode::SWITCHING_PROTOCOLS,
        Some("application/cbor"),
        reason,
        b"",
    ))
}

/// What one frame is, for the client: what it yields, and whether it keeps the connection.
pub(crate) enum Read<M: Subscription> {
    /// A message.
    Message(Frame<M::Message>),
    /// A frame to skip: its `op` is neither 1 nor -1.
    Skip,
    /// The stream's error frame ([`Error::Xrpc`]): it ends the stream.
    ErrorFrame(Error<M::Error>),
    /// A message that is well-formed DAG-CBOR but not its lexicon type, or that breaks it: an
    /// error item; the connection is kept.
    Invalid(Error<M::Error>),
    /// Invalid framing or DAG-CBOR: an error item; the connection is dropped.
    Broken(Error<M::Error>),
}

/// Decodes one frame of subscription `M`: the message (decoded and validated) with its
/// sequence number, or `None` for a frame to skip (an `op` other than 1 and -1, which the
/// specification says to ignore). An error frame is [`Error::Xrpc`] (status `101`, the
/// exchange's) with its name and message, and the declared error when the name is one; a
/// frame that is not one is [`Error::Decode`]; a message that breaks its lexicon is
/// [`Error::InvalidResponse`].
pub fn decode_frame<M: Subscription>(
    frame: &Bytes,
) -> Result<Option<Frame<M::Message>>, Error<M::Error>> {
    match read_frame::<M>(frame) {
        Read::Message(f) => Ok(Some(f)),
        Read::Skip => Ok(None),
        Read::ErrorFrame(e) | Read::Invalid(e) | Read::Broken(e) => Err(e),
    }
}

/// Reads one frame: see [`Read`].
pub(crate) fn read_frame<M: Subscription>(frame: &Bytes) -> Read<M> {
    let broken = |reason: String| Read::Broken(decode_error(reason));
    let mut reader = cbor::de::Deserializer::new(frame);
    let header: Header = match serde::Deserialize::deserialize(&mut reader) {
        Ok(h) => h,
        Err(e) => return broken(format!("the frame header: {e}")),
    };
    if header.op != 1 && header.op != -1 {
        return Read::Skip;
    }
    // The body: one DAG-CBOR object, and nothing after it.
    let body = &frame[reader.position()..];
    match body.first() {
        None => return broken("a frame without a body".into()),
        Some(0xa0..=0xbf) => {}
        Some(_) => return broken("the frame body is not an object".into()),
    }
    if header.op == -1 {
        return read_error_frame::<M>(body);
    }
    let Some(t) = header.t else {
        return broken("a message frame without `t` in its header".into());
    };
    let tag = match t.strip_prefix('#') {
        Some(name) => format!("{}#{name}", M::NSID),
        None => t,
    };
    let mut reader = cbor::de::Deserializer::new(body);
    let read: Result<M::Message, _> = crate::private::deserialize_tagged(&tag, &mut reader);
    let message = match read {
        Ok(m) if reader.position() == body.len() => m,
        Ok(_) => return broken(format!("bytes after the {tag} message")),
        // Not the lexicon's shape: is it DAG-CBOR at all?
        Err(e) => {
            let error = decode_error(format!("the {tag} message: {e}"));
            return match cbor::check(body) {
                Ok(()) => Read::Invalid(error),
                Err(_) => Read::Broken(error),
            };
        }
    };
    if let Err(error) = message.validate() {
        return Read::Invalid(Error::InvalidResponse(crate::xrpc::InvalidOutput {
            status: StatusCode::SWITCHING_PROTOCOLS,
            error,
        }));
    }
    // The body was checked whole by the message's reading: this second one only picks fields.
    let view: BodyView<'_> =
        match serde::Deserialize::deserialize(&mut cbor::de::Deserializer::new_checked(body)) {
            Ok(v) => v,
            Err(e) => return Read::Invalid(decode_error(format!("the {tag} message: {e}"))),
        };
    let commit = match (view.blocks, view.ops) {
        (Some(blocks), Some(ops)) => {
            // The blocks as a slice of the frame, not a copy.
            Some(RawCommit {
                blocks: crate::types::Bytes::from(frame.slice_ref(blocks.0)),
                ops: ops.into_iter().map(|o| (o.action, o.path, o.cid)).collect(),
            })
        }
        _ => None,
    };
    Read::Message(Frame {
        message,
        seq: view.seq,
        commit,
    })
}

/// Reads an error frame's body, `{error, message?}`, as the event-stream specification and the
/// reference implementation put it (the header holds only `op`). An error name in the header
/// is not read: the specification defines the error's fields as the payload's, and the
/// reference reader (`@atproto/xrpc-server`) refuses an error frame whose body lacks them, so
/// such a frame is a bad frame here too.
fn read_error_frame<M: Subscription>(body: &[u8]) -> Read<M> {
    let mut reader = cbor::de::Deserializer::new(body);
    let parsed: Result<ErrorBody, _> = serde::Deserialize::deserialize(&mut reader);
    match parsed {
        Ok(_) if reader.position() != body.len() => {
            Read::Broken(decode_error("bytes after the error frame's body".into()))
        }
        Ok(ErrorBody { error, .. }) if error.is_empty() => Read::Broken(decode_error(
            "an error frame with an empty error name".into(),
        )),
        Ok(ErrorBody { error, message }) => {
            let known = M::Error::from_parts(&error, message.clone());
            Read::ErrorFrame(Error::Xrpc(XrpcError {
                status: StatusCode::SWITCHING_PROTOCOLS,
                name: error,
                message,
                known,
                rate_limit: None,
                retry_after: None,
            }))
        }
        Err(e) => Read::Broken(decode_error(format!(
            "the error frame's body (`{{error, message?}}`): {e}"
        ))),
    }
}

impl<Msg> From<Frame<Msg>> for Decoded<Msg> {
    fn from(f: Frame<Msg>) -> Self {
        Decoded {
            message: f.message,
            commit: f.commit,
        }
    }
}

/// A frame that could not be written.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeError(String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not write the frame: {}", self.0)
    }
}

impl std::error::Error for EncodeError {}

/// Writes a message frame of subscription `M`: the header names the message's union variant
/// (`#name` when it is a definition of `M`'s own document), the body is the variant without
/// its `$type`.
pub fn encode_frame<M: Subscription>(message: &M::Message) -> Result<Vec<u8>, EncodeError> {
    let Data::Object(mut body) =
        Data::from_serialize(message).map_err(|e| EncodeError(e.to_string()))?
    else {
        return Err(EncodeError("a message must be an object".into()));
    };
    let tag = match body.remove("$type") {
        Some(Data::String(tag)) => tag,
        _ => return Err(EncodeError("the message has no $type".into())),
    };
    let t = match tag.strip_prefix(M::NSID) {
        Some(rest) if rest.starts_with('#') => rest.to_owned(),
        _ => tag,
    };
    let mut header = DataMap::new();
    header.insert("op".into(), Data::Integer(1));
    header.insert("t".into(), Data::String(t));
    let mut out = cbor::to_vec(&Data::Object(header)).map_err(|e| EncodeError(e.to_string()))?;
    out.extend(cbor::to_vec(&Data::Object(body)).map_err(|e| EncodeError(e.to_string()))?);
    Ok(out)
}

/// Writes an error frame: the header `{op: -1}`, the body `{error: name, message}`.
pub fn encode_error_frame(name: &str, message: Option<&str>) -> Vec<u8> {
    let mut header = DataMap::new();
    header.insert("op".into(), Data::Integer(-1));
    let mut body = DataMap::new();
    body.insert("error".into(), Data::String(name.to_owned()));
    if let Some(m) = message {
        body.insert("message".into(), Data::String(m.to_owned()));
    }
    // Maps of strings and an integer: encoding them can not fail.
    let mut out = cbor::to_vec(&Data::Object(header)).unwrap_or_default();
    out.extend(cbor::to_vec(&Data::Object(body)).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::car::{self, Block};

    /// Every record as data.
    #[derive(Debug)]
    struct AnyData(Unknown);

    impl RecordSet for AnyData {
        fn read<X: RecordReader>(_collection: &str, reader: X) -> Result<Self, X::Error> {
            reader.read_unknown().map(AnyData)
        }
    }

    /// A record `{"$type": "com.example.x", "n": 1}`, its DAG-CBOR bytes and its CID.
    fn a_record() -> (Unknown, Vec<u8>, CidLink) {
        let record: Unknown =
            serde_json::from_value(serde_json::json!({"$type": "com.example.x", "n": 1})).unwrap();
        let bytes = cbor::to_vec(&record).unwrap();
        let cid = cbor::cid_of(cbor::DAG_CBOR, &bytes);
        (record, bytes, cid)
    }

    #[test]
    fn a_record_block_is_checked_against_its_cid_when_read() {
        let (record, bytes, cid) = a_record();
        let mut tampered = bytes.clone();
        *tampered.last_mut().unwrap() = 2; // "n": 2, the CID unchanged
        let commit = |data: Vec<u8>| RawCommit {
            blocks: crate::types::Bytes::from(car::write(
                std::slice::from_ref(&cid),
                &[Block {
                    cid: cid.clone(),
                    data: data.into(),
                }],
            )),
            ops: vec![(
                "create".into(),
                "com.example.x/abc".into(),
                Some(cid.clone()),
            )],
        };
        let ok = record_ops::<AnyData>(&commit(bytes));
        assert!(
            matches!(&ok[0], Ok(RecordOp { record: Some(Ok(AnyData(u))), .. }) if *u == record)
        );
        let bad = record_ops::<AnyData>(&commit(tampered));
        match &bad[0] {
            Ok(RecordOp {
                record: Some(Err(e)),
                ..
            }) => assert!(e.to_string().contains("do not hash"), "{e}"),
            other => panic!("{other:?}"),
        }
        // A missing block is an error.
        let mut missing = commit(Vec::new());
        missing.ops[0].2 = Some(cbor::cid_of(cbor::DAG_CBOR, b"other"));
        assert!(matches!(
            &record_ops::<AnyData>(&missing)[0],
            Ok(RecordOp {
                record: Some(Err(_)),
                ..
            })
        ));
    }

    #[test]
    fn record_ops_keep_one_item_per_op_in_order() {
        let (_, bytes, cid) = a_record();
        let blocks = car::write(
            std::slice::from_ref(&cid),
            &[Block {
                cid: cid.clone(),
                data: bytes.into(),
            }],
        );
        let op = |action: &str, path: &str, cid: Option<&CidLink>| {
            (action.to_owned(), path.to_owned(), cid.cloned())
        };
        let commit = RawCommit {
            blocks: crate::types::Bytes::from(blocks),
            ops: vec![
                op("create", "com.example.x/a", Some(&cid)),
                op("create", "no-slash", Some(&cid)),
                op("update", "com.example.x/b", None),
                op("create", "not an nsid/c", Some(&cid)),
                op("delete", "com.example.x/d", None),
                op("update", "com.example.x/bad key!", Some(&cid)),
                op("create", "com.example.x/e", Some(&cid)),
                // An action the lexicon does not list: kept, its record read.
                op("archive", "com.example.x/f", Some(&cid)),
                op("archive", "com.example.x/g", None),
            ],
        };
        let items = record_ops::<AnyData>(&commit);
        assert_eq!(items.len(), commit.ops.len(), "one item per op");
        let summary: Vec<String> = items
            .iter()
            .map(|item| match item {
                Ok(op) => format!(
                    "{} {}/{} {}",
                    op.action,
                    op.collection,
                    op.rkey,
                    match &op.record {
                        None => "none",
                        Some(Ok(_)) => "record",
                        Some(Err(_)) => "error",
                    }
                ),
                Err(RepoError::Record { path, .. }) => format!("bad path {path}"),
                Err(e) => panic!("{e}"),
            })
            .collect();
        assert_eq!(
            summary,
            [
                "create com.example.x/a record",
                "bad path no-slash",
                "update com.example.x/b error",
                "bad path not an nsid/c",
                "delete com.example.x/d none",
                "bad path com.example.x/bad key!",
                "create com.example.x/e record",
                "archive com.example.x/f record",
                "archive com.example.x/g none",
            ]
        );
        let actions: Vec<&Action> = items.iter().flatten().map(|op| &op.action).collect();
        assert_eq!(
            actions,
            [
                &Action::Create,
                &Action::Update,
                &Action::Delete,
                &Action::Create,
                &Action::Other("archive".into()),
                &Action::Other("archive".into()),
            ]
        );
    }

    #[test]
    fn an_action_is_an_open_enum_of_the_lexicon_s_known_values() {
        for (text, action) in [
            ("create", Action::Create),
            ("update", Action::Update),
            ("delete", Action::Delete),
            ("Create", Action::Other("Create".into())),
            ("", Action::Other(String::new())),
        ] {
            assert_eq!(Action::from(text), action);
            assert_eq!(Action::from(text.to_owned()), action);
            assert_eq!(text.parse::<Action>(), Ok(action.clone()));
            assert_eq!(action.as_str(), text);
            assert_eq!(action.to_string(), text);
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, serde_json::to_string(text).unwrap());
            assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), action);
            let cbor = cbor::to_vec(&action).unwrap();
            assert_eq!(cbor, cbor::to_vec(&text).unwrap());
            assert_eq!(cbor::from_slice::<Action>(&cbor).unwrap(), action);
        }
        assert_eq!(Action::known("archive"), None);
    }

    #[test]
    fn a_record_over_the_size_limit_is_refused() {
        // A record of exactly the limit is read; one byte more is refused before hashing.
        // {"$type": "com.example.x", "t": "aaa..."}: with a text of 64 KiB or more the
        // string's head is 5 bytes, so the encoding is a fixed overhead plus the text.
        let encode = |len: usize| {
            let u: Unknown = serde_json::from_value(
                serde_json::json!({"$type": "com.example.x", "t": "a".repeat(len)}),
            )
            .unwrap();
            cbor::to_vec(&u).unwrap()
        };
        let overhead = encode(1 << 16).len() - (1 << 16);
        let sized = |n: usize| {
            let bytes = encode(n - overhead);
            assert_eq!(bytes.len(), n);
            ((), bytes)
        };
        for (n, ok) in [
            (crate::repo::MAX_RECORD_SIZE, true),
            (crate::repo::MAX_RECORD_SIZE + 1, false),
        ] {
            let (_, bytes) = sized(n);
            let cid = cbor::cid_of(cbor::DAG_CBOR, &bytes);
            let commit = RawCommit {
                blocks: crate::types::Bytes::from(car::write(
                    std::slice::from_ref(&cid),
                    &[Block {
                        cid: cid.clone(),
                        data: bytes.into(),
                    }],
                )),
                ops: vec![("create".into(), "com.example.x/a".into(), Some(cid))],
            };
            match &record_ops::<AnyData>(&commit)[0] {
                Ok(RecordOp {
                    record: Some(Ok(_)),
                    ..
                }) if ok => {}
                Ok(RecordOp {
                    record: Some(Err(e)),
                    ..
                }) if !ok => assert!(e.to_string().contains("size limit"), "{e}"),
                other => panic!("{n} bytes: {other:?}"),
            }
        }
    }
}
