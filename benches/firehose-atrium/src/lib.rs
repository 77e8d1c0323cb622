//! The firehose decode a Rust user writes today, for context in atlex's event-stream
//! benchmark (`benches/validate/run_firehose.sh`): a `com.atproto.sync.subscribeRepos` frame
//! read with serde_ipld_dagcbor into atrium-api's types, and its records read from the CAR
//! with atrium-repo, as atrium's firehose example (`examples/firehose` of the atrium
//! repository) does:
//!
//! - [`Frame::parse`]: the header decoded into an untyped `Ipld` with
//!   `serde_ipld_dagcbor::from_reader` (whose "trailing data" error tells where the body
//!   starts), decoded again from its slice and checked; the body copied out;
//! - [`decode_commit`]: that, then the body decoded with `serde_ipld_dagcbor::from_reader`
//!   into atrium-api's `subscribe_repos::Commit`;
//! - [`commit_records`]: atrium-repo's `CarStore::open` over the commit's `blocks` (every
//!   block's hash checked), `Repository::open` at the commit, then for each created record
//!   `Repository::get::<C>(rkey)`, which walks the Merkle Search Tree from the commit's root
//!   to the record's key and decodes the record into atrium-api's type (the example's way:
//!   reading a record by the op's CID instead "bypasses the MST");
//! - [`commit_records_by_cid`] (context): `CarStore::open`, then each record's block read by
//!   the op's CID and decoded with `serde_ipld_dagcbor::from_slice`, as atlex's `record_ops`
//!   reads them.
//!
//! atrium-api's types check string formats (DIDs, datetimes, TIDs, record keys) as they
//! decode but not the lexicons' other constraints (lengths, grapheme counts): there is no
//! validation step. Neither this nor atlex verifies the commit's signature.
#![deny(missing_docs)]

use atrium_api::app::bsky::{feed, graph};
use atrium_api::com::atproto::sync::subscribe_repos::Commit;
use atrium_api::types::string::RecordKey;
use atrium_api::types::Collection;
use atrium_repo::blockstore::{AsyncBlockStoreRead, CarStore};
use atrium_repo::Repository;
use ipld_core::ipld::Ipld;
use std::io::Cursor;

/// What goes wrong, as text.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A frame split into its header and body, as the example's `Frame::try_from` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A message frame: its `t`, and its body's bytes.
    Message(Option<String>, Vec<u8>),
    /// An error frame.
    Error,
}

impl Frame {
    /// Splits `bytes` after the header, and reads the header.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let mut cursor = Cursor::new(bytes);
        let (left, right) = match serde_ipld_dagcbor::from_reader::<Ipld, _>(&mut cursor) {
            Err(serde_ipld_dagcbor::DecodeError::TrailingData) => {
                bytes.split_at(cursor.position() as usize)
            }
            _ => return Err("invalid frame type".into()),
        };
        let Ipld::Map(header) = serde_ipld_dagcbor::from_slice::<Ipld>(left)? else {
            return Err("invalid frame type".into());
        };
        match header.get("op") {
            Some(Ipld::Integer(1)) => {
                let t = match header.get("t") {
                    Some(Ipld::String(s)) => Some(s.clone()),
                    _ => None,
                };
                Ok(Frame::Message(t, right.to_vec()))
            }
            Some(Ipld::Integer(-1)) => Ok(Frame::Error),
            _ => Err("invalid frame type".into()),
        }
    }
}

/// A `#commit` frame's body in atrium-api's type.
pub fn decode_commit(bytes: &[u8]) -> Result<Commit, Error> {
    match Frame::parse(bytes)? {
        Frame::Message(Some(t), body) if t == "#commit" => {
            Ok(serde_ipld_dagcbor::from_reader(body.as_slice())?)
        }
        _ => Err("not a #commit frame".into()),
    }
}

/// A record of the collections the benchmark writes, in atrium-api's types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// `app.bsky.feed.post`.
    Post(Box<feed::post::Record>),
    /// `app.bsky.feed.like`.
    Like(Box<feed::like::Record>),
    /// `app.bsky.graph.follow`.
    Follow(Box<graph::follow::Record>),
}

/// The records a commit creates, each with its path (`collection/rkey`), found through the
/// Merkle Search Tree in the commit's blocks (atrium's example); `None` for an op that
/// creates nothing or a collection without a type here.
pub async fn commit_records(commit: &Commit) -> Result<Vec<(String, Option<Record>)>, Error> {
    let mut repo = Repository::open(
        CarStore::open(Cursor::new(commit.blocks.as_slice())).await?,
        commit.commit.0,
    )
    .await?;
    let mut out = Vec::with_capacity(commit.ops.len());
    for op in &commit.ops {
        let (collection, rkey) = op.path.split_once('/').ok_or("op.path has no '/'")?;
        if op.action != "create" {
            out.push((op.path.clone(), None));
            continue;
        }
        let rkey = RecordKey::new(rkey.to_string())?;
        let missing = || format!("{} is not in the commit's tree", op.path);
        let record = match collection {
            feed::Post::NSID => Record::Post(Box::new(
                repo.get::<feed::Post>(rkey).await?.ok_or_else(missing)?,
            )),
            feed::Like::NSID => Record::Like(Box::new(
                repo.get::<feed::Like>(rkey).await?.ok_or_else(missing)?,
            )),
            graph::Follow::NSID => Record::Follow(Box::new(
                repo.get::<graph::Follow>(rkey).await?.ok_or_else(missing)?,
            )),
            _ => {
                out.push((op.path.clone(), None));
                continue;
            }
        };
        out.push((op.path.clone(), Some(record)));
    }
    Ok(out)
}

/// [`commit_records`], but each record read by the op's CID (no tree walk).
pub async fn commit_records_by_cid(
    commit: &Commit,
) -> Result<Vec<(String, Option<Record>)>, Error> {
    let mut car = CarStore::open(Cursor::new(commit.blocks.as_slice())).await?;
    let mut out = Vec::with_capacity(commit.ops.len());
    for op in &commit.ops {
        let Some(cid) = op.cid.as_ref().filter(|_| op.action == "create") else {
            out.push((op.path.clone(), None));
            continue;
        };
        let bytes = car.read_block(cid.0).await?;
        let collection = op.path.split_once('/').map_or("", |(c, _)| c);
        let record = match collection {
            feed::Post::NSID => Some(Record::Post(serde_ipld_dagcbor::from_slice(&bytes)?)),
            feed::Like::NSID => Some(Record::Like(serde_ipld_dagcbor::from_slice(&bytes)?)),
            graph::Follow::NSID => Some(Record::Follow(serde_ipld_dagcbor::from_slice(&bytes)?)),
            _ => None,
        };
        out.push((op.path.clone(), record));
    }
    Ok(out)
}

/// The frames of a file of frames each preceded by its length as an unsigned LEB128 varint
/// (as `atlex_bench::write_blocks` writes them), or `None` if it is cut short.
pub fn read_frames(mut bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let mut len = 0u64;
        let mut shift = 0;
        loop {
            let (&byte, rest) = bytes.split_first()?;
            bytes = rest;
            if shift > 56 {
                return None;
            }
            len |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let len = usize::try_from(len).ok()?;
        if len > bytes.len() {
            return None;
        }
        let (frame, rest) = bytes.split_at(len);
        frames.push(frame.to_vec());
        bytes = rest;
    }
    Some(frames)
}
