//! # atlex
//!
//! AT Protocol Lexicon documents as checked, typed Rust at compile time.
//!
//! [`lexicon!`] reads lexicon JSON (a file, a directory, or the document written inline),
//! checks it the way the protocol's own tooling does, and expands into typed records, request
//! and response structs, unions and enums, validation, and one validate-and-call function per
//! XRPC method. This crate supplies what the generated code stands on: the string format
//! types ([`types`]), validation ([`Validate`]), the XRPC client ([`Client`]) and, with the
//! `server` feature, an axum router built from the same documents.
//!
//! The binary half of the protocol: DAG-CBOR and CIDs (`cbor`), CAR files (`car`),
//! repositories, typed record operations and blobs (`repo`), all with the `cbor` feature (on
//! by default); event streams (`subscribe` of subscription documents, `stream`) with the
//! `stream` feature. Keys and signatures (P-256 and K-256, did:key, strict and lenient
//! verification) are in `crypto`, with the `crypto` feature.
//!
//! The official lexicons are generated in the `atlex-lexicons` crate, the one to add beside
//! this one. The `com.atproto` methods this crate's own helpers call (sessions, records,
//! blobs, service tokens) are in [`lexicons`], and `atlex-lexicons` re-exports them: one type each.
//!
//! Rich text ([`richtext`]): a post's text with its facets (mentions, links, tags) built from
//! parts or detected in a string as `@atproto/api` detects them, at UTF-8 byte offsets, with
//! grapheme counts, mentions resolved to DIDs, and segments for display. Pure logic, in every
//! build.
//!
//! | feature | default | what |
//! |---|---|---|
//! | `reqwest` | yes | the HTTP transport of [`Client::new`] |
//! | `cbor` | yes | DAG-CBOR, CIDs, CAR, repositories, record operations, blobs |
//! | `crypto` | no | P-256 and K-256 keys, did:key and Multikey, signing and verification |
//! | `stream` | no | event streams over WebSocket (implies `cbor`) |
//! | `server` | no | an axum router from generated methods (subscriptions too, with `stream`) |
//! | `identity` | no | handle and DID resolution, DID documents, PDS endpoints and keys (`identity`) |
//! | `auth` | no | inter-service auth: service tokens minted and verified, the verified caller on the server (`auth`; implies `identity`) |
//!
//! ```no_run
//! atlex::lexicon!("lexicons/com/atproto/server/createSession.json");
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use com::atproto::server::create_session;
//!
//! let client = atlex::Client::new("https://bsky.social")?;
//! let input = create_session::Input::new("alice.example.com".into(), "hunter2".into());
//! let session = create_session::call(&client, &input).await?;
//! println!("logged in as {}", session.did);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

extern crate self as atlex;

#[cfg(feature = "auth")]
pub mod auth;
#[cfg(feature = "cbor")]
pub mod car;
#[cfg(feature = "cbor")]
pub mod cbor;
#[cfg(feature = "crypto")]
pub mod crypto;
#[cfg(feature = "identity")]
pub mod identity;
pub mod lexicons;
mod private;
mod record;
#[cfg(feature = "cbor")]
pub mod repo;
pub mod richtext;
#[cfg(feature = "cbor")]
pub mod stream;
pub mod types;
pub mod validate;
pub mod xrpc;

#[cfg(feature = "server")]
pub mod server;

pub use atlex_macros::{
    at_identifier, at_uri, cid, datetime, did, handle, language, lexicon, nsid, record_key, tid,
    uri,
};
pub use record::{Record, RecordReader, RecordSet};
pub use validate::{Validate, ValidationError};
pub use xrpc::{Body, Client, Error};

/// What generated code uses. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::private::*;
    pub use crate::validate::{check, check_fields, check_str, Checks};
    pub use crate::xrpc::{call_procedure, call_query, JsonPayload, ParamKind};
    pub use serde;
    pub use serde_json;
    pub use std;

    /// Names that generated modules import (`use ::atlex::__private::prelude::*`). Public
    /// signatures use the plain standard names (`String`, `Option<..>`, `Vec<..>`, `Box<..>`,
    /// `Result<..>`), which is what rustdoc and editors show; a document that defines an item of
    /// one of those names spells the standard type in full instead. Generated bodies, which no
    /// one reads, use the short `__` names: they keep the expansion small and clear of
    /// generated names.
    pub mod prelude {
        pub use crate::__private as __p;
        pub use crate::types as __t;
        pub use ::core::fmt as __fmt;
        pub use ::core::option::Option as __Opt;
        pub use ::core::option::Option::{None as __None, Some as __Some};
        pub use ::core::result::Result as __Res;
        pub use ::core::result::Result::{Err as __Err, Ok as __Ok};
        pub use ::std::boxed::Box as __Box;
        pub use ::std::string::String as __Str;
        pub use ::std::vec::Vec as __Vec;
        // The plain names of public signatures (`String`, `Option<..>`...), also where the
        // standard prelude is not in scope.
        pub use ::core::option::Option;
        pub use ::core::result::Result;
        pub use ::std::boxed::Box;
        pub use ::std::string::String;
        pub use ::std::vec::Vec;
    }
}
