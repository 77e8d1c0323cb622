//! DAG-CBOR: the binary encoding of the AT Protocol data model, in which records are stored,
//! signed and named by CID (feature `cbor`).
//!
//! Every generated type and every [`crate::types`] value encodes and decodes: links
//! ([`CidLink`]) as CBOR tag 42, [`Bytes`](crate::types::Bytes) as byte strings, map keys in
//! DAG-CBOR's canonical order (shorter keys first, then bytewise), no floats. Reading checks
//! that the bytes are DAG-CBOR as the data model allows (minimal integers and lengths, sorted
//! unique string keys, no floats, no tag but 42, no indefinite lengths, nothing after the
//! value), then decodes, then validates the value against its lexicon, so that reading from
//! CBOR accepts exactly what reading from JSON does, with the same error paths.
//!
//! ```
//! atlex::lexicon!({
//!     "lexicon": 1,
//!     "id": "com.example.note",
//!     "defs": { "main": { "type": "record", "key": "tid", "record": {
//!         "type": "object", "required": ["text"],
//!         "properties": { "text": { "type": "string", "maxLength": 10 } } } } }
//! });
//! use com::example::note;
//!
//! let note = note::Record::new("hello".into());
//! let bytes = atlex::cbor::to_vec(&note)?;
//! let back: note::Record = atlex::cbor::from_slice(&bytes)?;
//! assert_eq!(back, note);
//! let cid = atlex::cbor::cid(&note)?; // what a PDS names the record by
//! assert!(cid.to_string().starts_with("bafyrei"));
//!
//! let long = note::Record::new("far too long for ten bytes".into());
//! let err = atlex::cbor::from_slice::<note::Record>(&atlex::cbor::to_vec(&long)?).unwrap_err();
//! assert_eq!(err.to_string(), "`text` is 26 UTF-8 bytes long, more than maxLength 10");
//! # Ok::<(), atlex::cbor::Error>(())
//! ```

pub(crate) mod de;

use crate::types::CidLink;
use crate::{Validate, ValidationError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Digest;
use std::fmt;

/// The multicodec of DAG-CBOR, the codec of records, commits and MST nodes.
pub const DAG_CBOR: u64 = 0x71;
/// The multicodec of raw bytes, the codec of blobs.
pub const RAW: u64 = 0x55;
/// The multihash code of SHA-256.
pub const SHA2_256: u64 = 0x12;

/// How deeply values may nest: deeper input is refused before it is decoded.
pub const MAX_DEPTH: usize = 128;

/// What went wrong reading or writing DAG-CBOR.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not DAG-CBOR as the data model allows.
    Malformed {
        /// Where in the input, in bytes from the start.
        offset: usize,
        /// What is wrong there.
        reason: &'static str,
    },
    /// The bytes are DAG-CBOR but not the shape of the type asked for.
    Decode {
        /// Where in the value (`embed.images[0].image`), empty at the top.
        path: String,
        /// What is wrong there.
        reason: String,
    },
    /// The value decoded but broke a lexicon constraint.
    Invalid(ValidationError),
    /// The value could not be written as DAG-CBOR.
    Encode(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed { offset, reason } => {
                write!(f, "not valid DAG-CBOR at byte {offset}: {reason}")
            }
            Error::Decode { path, reason } if path.is_empty() || path == "." => {
                write!(f, "could not decode DAG-CBOR: {reason}")
            }
            Error::Decode { path, reason } => {
                write!(f, "could not decode DAG-CBOR at `{path}`: {reason}")
            }
            Error::Invalid(e) => fmt::Display::fmt(e, f),
            Error::Encode(e) => write!(f, "could not encode DAG-CBOR: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Invalid(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        Error::Invalid(e)
    }
}

/// Encodes `value` as DAG-CBOR (canonical key order; links as tag 42, bytes as byte strings).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    serde_ipld_dagcbor::to_vec(value).map_err(|e| Error::Encode(e.to_string()))
}

/// Decodes a value (any generated type, [`crate::types::Unknown`], [`crate::types::Data`])
/// from DAG-CBOR and validates it against its lexicon.
pub fn from_slice<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, Error> {
    let value: T = decode(bytes)?;
    value.validate()?;
    Ok(value)
}

/// Decodes a value from DAG-CBOR without validating it against its lexicon (the bytes are
/// still checked to be DAG-CBOR of the data model). Call [`Validate::validate`] before
/// trusting the value.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let mut reader = de::Deserializer::new(bytes);
    match T::deserialize(&mut reader) {
        Ok(value) if reader.position() == bytes.len() => Ok(value),
        Ok(_) => Err(Error::Malformed {
            offset: reader.position(),
            reason: "bytes after the end of the value",
        }),
        Err(first) => {
            // Read again, tracking where the value went wrong.
            let mut de = de::Deserializer::new(bytes);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(located) => Err(Error::Decode {
                    path: located.path().to_string(),
                    reason: located.into_inner().to_string(),
                }),
                Ok(_) => Err(Error::Decode {
                    path: String::new(),
                    reason: first.to_string(),
                }),
            }
        }
    }
}

/// The CID of `value`'s DAG-CBOR encoding (CIDv1, dag-cbor, sha-256): for a record, the CID a
/// PDS gives it.
pub fn cid<T: Serialize + ?Sized>(value: &T) -> Result<CidLink, Error> {
    Ok(cid_of(DAG_CBOR, &to_vec(value)?))
}

/// The CIDv1 (sha-256) of `bytes` under `codec` ([`DAG_CBOR`] for encoded values, [`RAW`]
/// for blobs).
pub fn cid_of(codec: u64, bytes: &[u8]) -> CidLink {
    CidLink::from_cid(&raw_cid(codec, bytes))
}

/// A string's bytes as `&str` when they are UTF-8, checked with `simdutf8` (SIMD where the CPU
/// has it): most text in records is not ASCII, where the standard library's check is slowest.
/// It accepts exactly what `std::str::from_utf8` accepts.
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// The binary CIDv1 (sha-256) of `bytes` under `codec`.
pub(crate) fn raw_cid(codec: u64, bytes: &[u8]) -> ::cid::Cid {
    let digest = sha2::Sha256::digest(bytes);
    // A 32-byte digest always fits the 64-byte multihash.
    let hash = ::cid::multihash::Multihash::<64>::wrap(SHA2_256, &digest).unwrap_or_default();
    ::cid::Cid::new_v1(codec, hash)
}

/// Whether `cid` names `bytes`: its hash (SHA-256, the only one the protocol uses) is the
/// hash of `bytes`.
pub(crate) fn cid_matches(cid: &::cid::Cid, bytes: &[u8]) -> bool {
    let hash = cid.hash();
    hash.code() == SHA2_256
        && hash.size() == 32
        && hash.digest() == sha2::Sha256::digest(bytes).as_slice()
}

/// Checks that `bytes` hold exactly one value of DAG-CBOR as the AT Protocol data model allows:
/// integers and lengths in their shortest form, integers within 64-bit signed range, map keys
/// that are strings in canonical order with no repeat, valid UTF-8, no floats, no
/// `undefined`, no tag but 42 (a link: a byte string holding a zero byte then a CID the data
/// model allows, a CIDv1 with codec dag-cbor or raw and a 32-byte sha-256 hash, nothing
/// after it), no indefinite lengths, at most [`MAX_DEPTH`] levels, and nothing after the
/// value.
pub fn check(bytes: &[u8]) -> Result<(), Error> {
    let end = Checker {
        bytes,
        pos: 0,
        utf8: true,
        max_depth: MAX_DEPTH,
    }
    .run()?;
    if end != bytes.len() {
        return Err(Error::Malformed {
            offset: end,
            reason: "bytes after the end of the value",
        });
    }
    Ok(())
}

/// The length of the first value in `bytes`, checked as [`check`] does (UTF-8 too when
/// `utf8`), nesting at most `max_depth` levels.
pub(crate) fn checked_len(bytes: &[u8], utf8: bool, max_depth: usize) -> Result<usize, Error> {
    Checker {
        bytes,
        pos: 0,
        utf8,
        max_depth,
    }
    .run()
}

/// Checks the first value in `bytes` as [`check`] does, and returns where it ends (an event
/// stream frame is a header value followed by a body value).
pub fn check_first(bytes: &[u8]) -> Result<usize, Error> {
    Checker {
        bytes,
        pos: 0,
        utf8: true,
        max_depth: MAX_DEPTH,
    }
    .run()
}

struct Checker<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Whether to check that strings are UTF-8 (the decoder checks them itself).
    utf8: bool,
    /// How deeply containers may nest.
    max_depth: usize,
}

/// A container still being read: how many items are left, and for a map the previous key.
struct Open {
    left: u64,
    /// For a map: the span of the previous key, once there is one.
    map: Option<Option<(usize, usize)>>,
    /// In a map: whether the next item is a key.
    key_next: bool,
}

/// A head: major type, additional information, argument, and where it starts.
struct Head {
    major: u8,
    info: u8,
    arg: u64,
    at: usize,
}

impl Checker<'_> {
    fn err<T>(&self, offset: usize, reason: &'static str) -> Result<T, Error> {
        Err(Error::Malformed { offset, reason })
    }

    fn take(&mut self, n: u64) -> Result<(usize, usize), Error> {
        let start = self.pos;
        let left = (self.bytes.len() - self.pos) as u64;
        if n > left {
            return self.err(start, "the input ends inside a value");
        }
        self.pos += n as usize;
        Ok((start, self.pos))
    }

    /// Reads a head, checking that a number or length is in its shortest form.
    fn head(&mut self) -> Result<Head, Error> {
        let at = self.pos;
        let Some(&first) = self.bytes.get(at) else {
            return self.err(at, "the input ends where a value should start");
        };
        self.pos += 1;
        let major = first >> 5;
        let info = first & 0x1f;
        let arg = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let (s, e) = self.take(1 << (info - 24))?;
                let v = self.bytes[s..e]
                    .iter()
                    .fold(0u64, |v, b| (v << 8) | u64::from(*b));
                let min = [24, 0x100, 0x1_0000, 0x1_0000_0000][usize::from(info - 24)];
                if major != 7 && v < min {
                    return self.err(at, "a number or length is not in its shortest form");
                }
                v
            }
            31 => return self.err(at, "indefinite lengths are not allowed"),
            _ => return self.err(at, "reserved additional information"),
        };
        Ok(Head {
            major,
            info,
            arg,
            at,
        })
    }

    fn run(mut self) -> Result<usize, Error> {
        let mut stack: Vec<Open> = Vec::new();
        'items: loop {
            let is_key = stack.last().is_some_and(|o| o.map.is_some() && o.key_next);
            let Head {
                major,
                info,
                arg,
                at,
            } = self.head()?;
            if is_key && major != 3 {
                return self.err(at, "a map key must be a string");
            }
            match major {
                0 | 1 => {
                    if arg > i64::MAX as u64 {
                        return self.err(at, "an integer out of the signed 64-bit range");
                    }
                }
                2 => {
                    self.take(arg)?;
                }
                3 => {
                    let span = self.take(arg)?;
                    if self.utf8 && utf8(&self.bytes[span.0..span.1]).is_none() {
                        return self.err(at, "a string is not valid UTF-8");
                    }
                    if is_key {
                        if let Some(open) = stack.last_mut() {
                            if let Some(Some(prev)) = open.map {
                                let a = &self.bytes[prev.0..prev.1];
                                let b = &self.bytes[span.0..span.1];
                                match a.len().cmp(&b.len()).then_with(|| a.cmp(b)) {
                                    std::cmp::Ordering::Less => {}
                                    std::cmp::Ordering::Equal => {
                                        return self.err(at, "a map has the same key twice")
                                    }
                                    std::cmp::Ordering::Greater => {
                                        return self.err(
                                            at,
                                            "map keys are not in canonical (length-first) order",
                                        )
                                    }
                                }
                            }
                            open.map = Some(Some(span));
                        }
                    }
                }
                4 | 5 => {
                    // Every item takes at least one byte: a count past the input is a lie.
                    let items = if major == 5 {
                        arg.saturating_mul(2)
                    } else {
                        arg
                    };
                    if items > (self.bytes.len() - self.pos) as u64 {
                        return self.err(at, "a count larger than the rest of the input");
                    }
                    if arg > 0 {
                        if stack.len() >= self.max_depth {
                            return self.err(at, "values nest too deeply");
                        }
                        stack.push(Open {
                            left: arg,
                            map: (major == 5).then_some(None),
                            key_next: true,
                        });
                        continue 'items;
                    }
                }
                6 => {
                    if arg != 42 {
                        return self.err(at, "a tag other than 42 (CID)");
                    }
                    let inner = self.head()?;
                    if inner.major != 2 {
                        return self.err(inner.at, "tag 42 must hold a byte string");
                    }
                    let (s, e) = self.take(inner.arg)?;
                    match self.bytes[s..e].split_first() {
                        Some((0, cid)) => {
                            if let Err(reason) = crate::types::cid_link::blessed_from_bytes(cid) {
                                return self.err(inner.at, reason);
                            }
                        }
                        _ => return self.err(inner.at, "a CID must start with a zero byte"),
                    }
                }
                _ => match info {
                    20..=22 => {}
                    25..=27 => return self.err(at, "floats are not in the data model"),
                    _ => return self.err(at, "a simple value other than true, false, null"),
                },
            }
            // An item is complete: count it, closing every container it completes.
            loop {
                let Some(open) = stack.last_mut() else {
                    break 'items;
                };
                if open.map.is_some() {
                    open.key_next = !open.key_next;
                    if !open.key_next {
                        continue 'items;
                    }
                }
                open.left -= 1;
                if open.left > 0 {
                    continue 'items;
                }
                stack.pop();
            }
        }
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Data, Unknown};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn strict_reading() {
        // {"a": 1}
        assert!(check(&hex("a1616101")).is_ok());
        for (bad, why) in [
            ("a1616118 01", "shortest"),
            ("a2616201616101", "canonical"),
            ("a2616101616102", "twice"),
            ("a1016101", "key must be a string"),
            ("fb3ff8000000000000", "floats"),
            ("f7", "simple value"),
            ("bf616101ff", "indefinite"),
            ("c1 01", "tag other than 42"),
            ("d82a4401711220", "zero byte"),
            ("01 01", "after the end"),
            ("9fff", "indefinite"),
            ("9a ffffffff", "count larger"),
            ("62 c328", "UTF-8"),
            ("1b8000000000000000", "signed 64-bit"),
            ("a16161", "ends"),
        ] {
            let bytes = hex(&bad.replace(' ', ""));
            let e = check(&bytes).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let deep = [vec![0x81u8; MAX_DEPTH + 1], vec![0x01]].concat();
        assert!(check(&deep).unwrap_err().to_string().contains("deeply"));
        let ok = [vec![0x81u8; MAX_DEPTH], vec![0x01]].concat();
        assert!(check(&ok).is_ok());
    }

    /// `{"a": link}` with the link's CID bytes as given (after the zero byte).
    fn with_link(cid: &[u8]) -> Vec<u8> {
        let mut out = hex("a16161d82a");
        match cid.len() + 1 {
            n @ 0..=23 => out.push(0x40 | n as u8),
            n => out.extend([0x58, n as u8]),
        }
        out.push(0);
        out.extend_from_slice(cid);
        out
    }

    #[test]
    fn links_must_be_blessed_cids() {
        use crate::types::cid_link::tests::unblessed;
        let good = cid_of(DAG_CBOR, b"x").to_cid().to_bytes();
        check(&with_link(&good)).unwrap();
        assert!(decode::<Data>(&with_link(&good)).is_ok());
        let raw = cid_of(RAW, b"x").to_cid().to_bytes();
        assert!(decode::<Data>(&with_link(&raw)).is_ok());
        let mut cases: Vec<(Vec<u8>, &str)> = unblessed()
            .into_iter()
            .map(|(cid, why)| (cid.to_bytes(), why))
            .collect();
        cases.push(([good.clone(), vec![1]].concat(), "after"));
        cases.push((good[..20].to_vec(), "cut short"));
        cases.push((vec![0x01], "codec"));
        cases.push((vec![], "not a CIDv1"));
        cases.push((vec![0x02, 0x71, 0x12, 0x20], "not a CIDv1"));
        for (cid, why) in cases {
            let bytes = with_link(&cid);
            let e = check(&bytes).unwrap_err().to_string();
            assert!(e.contains(why), "check {cid:02x?}: {e}");
            let e = decode::<Data>(&bytes).unwrap_err().to_string();
            assert!(e.contains(why), "Data {cid:02x?}: {e}");
            let e = from_slice::<Unknown>(&bytes).unwrap_err().to_string();
            assert!(e.contains(why), "Unknown {cid:02x?}: {e}");
            #[derive(serde::Deserialize, Debug)]
            #[allow(dead_code)]
            struct Typed {
                a: CidLink,
            }
            let e = decode::<Typed>(&bytes).unwrap_err().to_string();
            assert!(e.contains(why), "typed {cid:02x?}: {e}");
        }
    }

    #[test]
    fn nested_containers_close_in_order() {
        // {"a": [1, {"b": 2}], "bb": []}
        let v: Data = serde_json::from_str(r#"{"a": [1, {"b": 2}], "bb": [], "c": {}}"#).unwrap();
        let bytes = to_vec(&v).unwrap();
        check(&bytes).unwrap();
        let back: Data = decode(&bytes).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn links_and_bytes_round_trip() {
        let json = serde_json::json!({
            "a": {"$link": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"},
            "b": {"$bytes": "nFERjvLLiw9qm45JrqH9QTzyC2Lu1Xb4ne6+sBrCzI0"},
        });
        let u = Unknown::try_from(json).unwrap();
        let bytes = to_vec(&u).unwrap();
        assert_eq!(bytes[1..5], [0x61, 0x61, 0xd8, 0x2a]); // "a", then tag 42
        let back: Unknown = from_slice(&bytes).unwrap();
        assert_eq!(back, u);
        assert_eq!(to_vec(&back).unwrap(), bytes);
    }

    #[test]
    fn cid_of_raw_bytes() {
        // The CID the reference implementation gives the bytes "hello".
        let cid = cid_of(RAW, b"hello");
        assert_eq!(
            cid.as_str(),
            "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
        );
        assert!(cid_matches(cid.as_binary(), b"hello"));
        assert!(!cid_matches(cid.as_binary(), b"hellO"));
    }

    #[test]
    fn utf8_accepts_exactly_what_std_accepts() {
        let edge: &[&[u8]] = &[
            b"",
            b"plain ascii",
            "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}".as_bytes(),
            b"\xc0\x80",         // overlong NUL
            b"\xe0\x80\xaf",     // overlong
            b"\xed\xa0\x80",     // a surrogate
            b"\xf4\x90\x80\x80", // above U+10FFFF
            b"\xe2\x82",         // cut short
            b"\xff",
        ];
        for bytes in edge {
            assert_eq!(utf8(bytes), std::str::from_utf8(bytes).ok(), "{bytes:?}");
        }
        // Long mixed text (past the SIMD block size) with one byte changed at every position
        // to values around the boundaries of UTF-8's ranges.
        let text = "Grüße, мир, 世界, 🌍! ".repeat(12);
        for at in 0..text.len() {
            for b in [
                0x00u8, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff,
            ] {
                let mut bytes = text.as_bytes().to_vec();
                bytes[at] = b;
                assert_eq!(
                    utf8(&bytes),
                    std::str::from_utf8(&bytes).ok(),
                    "byte {b:#x} at {at}"
                );
            }
        }
    }
}
