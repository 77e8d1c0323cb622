//! Syntax checks for the AT Protocol's Lexicon string formats.
//!
//! One function per format (`did`, `handle`, `nsid`, `at-uri`, `cid`, `datetime`, `language`,
//! `tid`, `record-key`, `at-identifier`, `uri`), each returning `Ok(())` or a [`SyntaxError`]
//! that says in plain words what is wrong. The checks are hand-written, never allocate and
//! never panic, and follow, in this order: the atproto interop test vectors, the specification
//! at <https://atproto.com/specs>, and the reference TypeScript implementation.
//!
//! ```
//! use atlex_syntax::{nsid, Format};
//!
//! assert!(nsid("app.bsky.feed.post").is_ok());
//! let err = nsid("app.bsky").unwrap_err();
//! assert_eq!(err.reason(), "an NSID needs at least three segments");
//!
//! let format = Format::from_lexicon_name("at-uri").unwrap();
//! assert!(format.check("at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3k2la").is_ok());
//! ```
//!
//! These are syntax checks only: a valid DID need not resolve, a valid handle need not be
//! registered, and a valid CID string need not decode to a well-formed binary CID.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::fmt;

mod aturi;
mod cid;
mod datetime;
mod did;
mod handle;
mod language;
mod nsid;
mod recordkey;
mod tid;
mod uri;

/// This crate's sources, for the expansion cache of `atlex-codegen`: a change to a check
/// changes every cached expansion's fingerprint. Not a public API.
#[doc(hidden)]
pub static __SOURCES: &[&str] = &[
    include_str!("lib.rs"),
    include_str!("aturi.rs"),
    include_str!("cid.rs"),
    include_str!("datetime.rs"),
    include_str!("did.rs"),
    include_str!("handle.rs"),
    include_str!("language.rs"),
    include_str!("nsid.rs"),
    include_str!("recordkey.rs"),
    include_str!("tid.rs"),
    include_str!("uri.rs"),
];

pub use aturi::at_uri;
pub use cid::cid;
pub use datetime::datetime;
pub use did::did;
pub use handle::handle;
pub use language::language;
pub use nsid::nsid;
pub use recordkey::record_key;
pub use tid::tid;
pub use uri::uri;

/// Checks an `at-identifier`: a [`did`] or a [`handle`].
///
/// A value that starts with `did:` is checked as a DID, anything else as a handle.
pub fn at_identifier(s: &str) -> Result<(), SyntaxError> {
    if s.starts_with("did:") {
        did(s)
    } else {
        handle(s).map_err(|e| {
            if s.contains(':') {
                SyntaxError::new("an at-identifier is either a DID (did:...) or a handle")
            } else {
                e
            }
        })
    }
}

/// Why a string does not match its format, in plain words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SyntaxError {
    reason: &'static str,
}

impl SyntaxError {
    /// An error with the given reason.
    pub const fn new(reason: &'static str) -> Self {
        SyntaxError { reason }
    }

    /// The reason, e.g. "an NSID needs at least three segments".
    pub const fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

impl std::error::Error for SyntaxError {}

/// A Lexicon string format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// `did`: a decentralized identifier, `did:method:identifier`.
    Did,
    /// `handle`: a domain-name-like account name, `alice.bsky.social`.
    Handle,
    /// `nsid`: a namespaced identifier, `app.bsky.feed.post`.
    Nsid,
    /// `at-uri`: `at://authority[/collection[/rkey]]`.
    AtUri,
    /// `cid`: a content identifier in its string form.
    Cid,
    /// `datetime`: an RFC 3339 / ISO 8601 timestamp with a timezone.
    Datetime,
    /// `language`: a BCP 47 language tag.
    Language,
    /// `tid`: a timestamp identifier, 13 base32-sortable characters.
    Tid,
    /// `record-key`: the key of a record in a repository collection.
    RecordKey,
    /// `at-identifier`: a DID or a handle.
    AtIdentifier,
    /// `uri`: any URI with a scheme.
    Uri,
}

impl Format {
    /// Every format, in declaration order.
    pub const ALL: [Format; 11] = [
        Format::Did,
        Format::Handle,
        Format::Nsid,
        Format::AtUri,
        Format::Cid,
        Format::Datetime,
        Format::Language,
        Format::Tid,
        Format::RecordKey,
        Format::AtIdentifier,
        Format::Uri,
    ];

    /// The format named as in a lexicon's `"format"` field (`"at-uri"`, `"record-key"`, ...).
    pub fn from_lexicon_name(name: &str) -> Option<Format> {
        Some(match name {
            "did" => Format::Did,
            "handle" => Format::Handle,
            "nsid" => Format::Nsid,
            "at-uri" => Format::AtUri,
            "cid" => Format::Cid,
            "datetime" => Format::Datetime,
            "language" => Format::Language,
            "tid" => Format::Tid,
            "record-key" => Format::RecordKey,
            "at-identifier" => Format::AtIdentifier,
            "uri" => Format::Uri,
            _ => return None,
        })
    }

    /// The format's name in a lexicon's `"format"` field.
    pub const fn lexicon_name(self) -> &'static str {
        match self {
            Format::Did => "did",
            Format::Handle => "handle",
            Format::Nsid => "nsid",
            Format::AtUri => "at-uri",
            Format::Cid => "cid",
            Format::Datetime => "datetime",
            Format::Language => "language",
            Format::Tid => "tid",
            Format::RecordKey => "record-key",
            Format::AtIdentifier => "at-identifier",
            Format::Uri => "uri",
        }
    }

    /// Checks `s` against this format.
    pub fn check(self, s: &str) -> Result<(), SyntaxError> {
        match self {
            Format::Did => did(s),
            Format::Handle => handle(s),
            Format::Nsid => nsid(s),
            Format::AtUri => at_uri(s),
            Format::Cid => cid(s),
            Format::Datetime => datetime(s),
            Format::Language => language(s),
            Format::Tid => tid(s),
            Format::RecordKey => record_key(s),
            Format::AtIdentifier => at_identifier(s),
            Format::Uri => uri(s),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.lexicon_name())
    }
}

/// Shorthand for building an error inside the checks.
#[inline]
const fn err(reason: &'static str) -> Result<(), SyntaxError> {
    Err(SyntaxError::new(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_all_listed() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for e in std::fs::read_dir(src).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                assert!(
                    __SOURCES.contains(&text.as_str()),
                    "{} is not in __SOURCES",
                    p.display()
                );
            }
        }
    }

    #[test]
    fn lexicon_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_lexicon_name(f.lexicon_name()), Some(f));
            assert_eq!(f.to_string(), f.lexicon_name());
        }
        assert_eq!(Format::from_lexicon_name("AT-URI"), None);
        assert_eq!(Format::from_lexicon_name("at_uri"), None);
        assert_eq!(Format::from_lexicon_name("recordKey"), None);
        assert_eq!(Format::from_lexicon_name(""), None);
    }

    #[test]
    fn check_dispatches_to_the_right_function() {
        assert!(Format::Did.check("did:plc:abc").is_ok());
        assert!(Format::Did.check("alice.test").is_err());
        assert!(Format::Handle.check("alice.test").is_ok());
        assert!(Format::Tid.check("3jzfcijpj2z2a").is_ok());
        assert!(Format::RecordKey.check("self").is_ok());
        assert!(Format::RecordKey.check("..").is_err());
    }

    #[test]
    fn at_identifier_is_did_or_handle() {
        assert!(at_identifier("did:plc:abc").is_ok());
        assert!(at_identifier("alice.test").is_ok());
        assert!(at_identifier("did:plc:").is_err());
        assert!(at_identifier("alice").is_err());
        assert!(at_identifier("@alice.test").is_err());
        assert!(at_identifier("").is_err());
        assert_eq!(
            at_identifier("DID:plc:abc").unwrap_err().reason(),
            "an at-identifier is either a DID (did:...) or a handle"
        );
    }

    #[test]
    fn error_displays_its_reason() {
        let e = nsid("a.b").unwrap_err();
        assert_eq!(e.to_string(), e.reason());
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert_eq!(boxed.to_string(), "an NSID needs at least three segments");
    }
}
