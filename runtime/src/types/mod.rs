//! The lexicon's data types: string formats that cannot hold an invalid value, and the data
//! model's `bytes`, `cid-link`, `blob` and `unknown`.
//!
//! | lexicon | type |
//! |---|---|
//! | `string` format `did`, `handle`, `nsid`, `at-uri`, `cid`, `datetime`, `language`, `tid`, `record-key`, `at-identifier`, `uri` | [`Did`], [`Handle`], [`Nsid`], [`AtUri`], [`Cid`], [`Datetime`], [`Language`], [`Tid`], [`RecordKey`], [`AtIdentifier`], [`Uri`] |
//! | `bytes` | [`Bytes`] (`{"$bytes": "<base64>"}`) |
//! | `cid-link` | [`CidLink`] (`{"$link": "<cid>"}`) |
//! | `blob` | [`Blob`] (typed and legacy read, typed written) |
//! | `unknown` | [`Unknown`] (any data-model object) |
//! | any data-model value | [`Data`] (what is kept without a schema: unknown properties, `unknown`) |
//!
//! Every string format type is built through a check ([`Did::new`], `FromStr`, `TryFrom`,
//! serde), so holding one means holding a valid value; a failed check is a [`FormatError`]
//! naming the format, the value and the reason. The checks themselves are those of the
//! `atlex-syntax` crate.

mod at_identifier;
mod blob;
mod bytes;
pub(crate) mod cid_link;
pub(crate) mod data;
mod error;
mod format;
mod unknown;

pub use at_identifier::AtIdentifier;
pub use atlex_syntax::{Format, SyntaxError};
pub use blob::Blob;
pub use bytes::Bytes;
pub use cid_link::CidLink;
pub use data::{Data, DataError, DataMap};
pub use error::FormatError;
pub use format::{AtUri, Cid, Datetime, Did, Handle, Language, Nsid, RecordKey, Tid, Uri};
pub use unknown::Unknown;

/// Properties of an object that its lexicon does not define, kept by generated structs (in
/// their `extra` field) so that reading and writing a value back loses nothing: values of the
/// data model ([`Data`]), so links and bytes stay links and bytes in JSON and in DAG-CBOR.
pub type Extra = DataMap;

/// Helpers for generated code. Not a public API.
#[doc(hidden)]
pub mod __private {}
