//! Event streams: the frames of an XRPC subscription, and (feature `stream`) the WebSocket
//! client that a generated `subscribe` opens.
//!
//! A frame is one binary WebSocket message: a DAG-CBOR header, `{op: 1, t: "#name"}` for a
//! message or `{op: -1, error, message}` for an error, followed by a DAG-CBOR body. The body
//! of a message is the union variant `t` names (`#commit` is `<nsid>#commit`); an error frame
//! ends the stream.
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
//!         Err(e) if matches!(e.known(), Some(ticks::Error::FutureCursor(_))) => break,
//!         Err(e) => return Err(e.into()),
//!     }
//! }
//! # Ok(()) }
//! ```

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

/// One operation of a commit, with its record read from the commit's blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordOp<R> {
    /// `create`, `update` or `delete`.
    pub action: String,
    /// The record's collection.
    pub collection: Nsid,
    /// The record's key.
    pub rkey: RecordKey,
    /// The record's CID; none for a delete.
    pub cid: Option<CidLink>,
    /// The record, decoded and validated, as its generated type or as
    /// [`crate::types::Unknown`]; none for a delete; an error when its block is missing or
    /// does not decode.
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

/// Each operation of a commit with its record, read through `R` from the commit's blocks.
pub fn record_ops<R: RecordSet>(commit: &RawCommit) -> Vec<RecordOp<R>> {
    // The blocks, each a slice of the frame (no copy). Only the blocks of the records are
    // read, and each is checked against its CID when it is (the commit and tree nodes a
    // commit also carries are not read here, so not hashed).
    let blocks: Result<Vec<(::cid::Cid, Bytes)>, String> =
        crate::car::unverified_blocks(commit.blocks.clone().into_inner())
            .map_err(|e| e.to_string());
    let mut out = Vec::with_capacity(commit.ops.len());
    for (action, path, cid) in &commit.ops {
        let Some((collection, rkey)) = path.split_once('/') else {
            continue;
        };
        let (Ok(collection), Ok(rkey)) = (collection.parse::<Nsid>(), rkey.parse::<RecordKey>())
        else {
            continue;
        };
        let record = cid.as_ref().map(|cid| {
            let found = match &blocks {
                Ok(list) => list
                    .iter()
                    .find(|(c, _)| c == cid.as_binary())
                    .map(|(_, b)| b),
                Err(e) => {
                    return Err(RepoError::Record {
                        path: path.clone(),
                        reason: e.clone(),
                    })
                }
            };
            match found {
                Some(bytes) if cbor::cid_matches(cid.as_binary(), bytes) => {
                    read_record::<R>(collection.as_str(), path, bytes)
                }
                Some(_) => Err(RepoError::Record {
                    path: path.clone(),
                    reason: format!("block {cid}: its bytes do not hash to its CID"),
                }),
                None => Err(RepoError::Record {
                    path: path.clone(),
                    reason: format!("its block {cid} is not in the commit's blocks"),
                }),
            }
        });
        out.push(RecordOp {
            action: action.clone(),
            collection,
            rkey,
            cid: cid.clone(),
            record,
        });
    }
    out
}

/// A frame's header.
#[derive(serde::Deserialize)]
struct Header {
    op: i64,
    #[serde(default)]
    t: Option<String>,
    #[serde(default)]
    error: Option<String>,
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

fn decode_error<E>(reason: String, frame: &[u8]) -> Error<E> {
    Error::Decode(DecodeError::new(
        StatusCode::SWITCHING_PROTOCOLS,
        Some("application/cbor"),
        reason,
        frame,
    ))
}

/// Decodes one frame of subscription `M`: the message (decoded and validated) with its
/// sequence number; an error frame is [`Error::Xrpc`] (status `101`, the exchange's) with the
/// declared error when its name is one; a frame that is not one is [`Error::Decode`].
pub fn decode_frame<M: Subscription>(frame: &Bytes) -> Result<Frame<M::Message>, Error<M::Error>> {
    let mut reader = cbor::de::Deserializer::new(frame);
    let header: Header = serde::Deserialize::deserialize(&mut reader)
        .map_err(|e| decode_error(format!("the frame header: {e}"), frame))?;
    let header_len = reader.position();
    let body = &frame[header_len..];
    match header.op {
        1 => {}
        -1 => {
            let name = header.error.unwrap_or_default();
            let known = M::Error::from_parts(&name, header.message.clone());
            return Err(Error::Xrpc(XrpcError {
                status: StatusCode::SWITCHING_PROTOCOLS,
                name,
                message: header.message,
                known,
                rate_limit: None,
                retry_after: None,
            }));
        }
        op => return Err(decode_error(format!("unknown frame op {op}"), frame)),
    }
    let Some(t) = header.t else {
        return Err(decode_error("a message frame without `t`".into(), frame));
    };
    let tag = match t.strip_prefix('#') {
        Some(name) => format!("{}#{name}", M::NSID),
        None => t,
    };
    let mut reader = cbor::de::Deserializer::new(body);
    let message: M::Message = crate::private::deserialize_tagged(&tag, &mut reader)
        .map_err(|e| decode_error(format!("the {tag} message: {e}"), frame))?;
    if reader.position() != body.len() {
        return Err(decode_error(
            format!("bytes after the {tag} message"),
            frame,
        ));
    }
    message.validate().map_err(|error| {
        Error::InvalidResponse(crate::xrpc::InvalidOutput {
            status: StatusCode::SWITCHING_PROTOCOLS,
            error,
        })
    })?;
    // The body was checked whole by the message's reading: this second one only picks fields.
    let view: BodyView<'_> =
        serde::Deserialize::deserialize(&mut cbor::de::Deserializer::new_checked(body))
            .map_err(|e| decode_error(format!("the {tag} message: {e}"), frame))?;
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
    Ok(Frame {
        message,
        seq: view.seq,
        commit,
    })
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

/// Writes an error frame: `{op: -1, error: name, message}` and an empty body.
pub fn encode_error_frame(name: &str, message: Option<&str>) -> Vec<u8> {
    let mut header = DataMap::new();
    header.insert("op".into(), Data::Integer(-1));
    header.insert("error".into(), Data::String(name.to_owned()));
    if let Some(m) = message {
        header.insert("message".into(), Data::String(m.to_owned()));
    }
    let mut out = cbor::to_vec(&Data::Object(header)).unwrap_or_default();
    out.extend(cbor::to_vec(&Data::Object(DataMap::new())).unwrap_or_default());
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

    #[test]
    fn a_record_block_is_checked_against_its_cid_when_read() {
        let record: Unknown =
            serde_json::from_value(serde_json::json!({"$type": "com.example.x", "n": 1})).unwrap();
        let bytes = cbor::to_vec(&record).unwrap();
        let cid = cbor::cid_of(cbor::DAG_CBOR, &bytes);
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
        assert!(matches!(&ok[0].record, Some(Ok(AnyData(u))) if *u == record));
        let bad = record_ops::<AnyData>(&commit(tampered));
        match &bad[0].record {
            Some(Err(e)) => assert!(e.to_string().contains("do not hash"), "{e}"),
            other => panic!("{other:?}"),
        }
        // A delete has no record; a missing block is an error.
        let mut missing = commit(Vec::new());
        missing.ops[0].2 = Some(cbor::cid_of(cbor::DAG_CBOR, b"other"));
        assert!(matches!(
            &record_ops::<AnyData>(&missing)[0].record,
            Some(Err(_))
        ));
    }
}
