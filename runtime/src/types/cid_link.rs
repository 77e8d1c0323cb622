use super::data::CID_SERDE_NAME;
use super::{Cid, FormatError};
use crate::{Validate, ValidationError};
use atlex_syntax::Format;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The data model's `cid-link`: a link to other content by its CID.
///
/// In JSON it is an object with a single `$link` key holding the CID string:
/// `{"$link": "bafyrei..."}`; any other key is an error. Unlike the plain [`Cid`] string
/// format, the CID of a link is decoded in full when it is read, so [`CidLink::to_cid`] can
/// not fail, and it must be one the data model allows (its "blessed" form): a CIDv1 with
/// codec dag-cbor (`0x71`) or raw (`0x55`) and a 32-byte sha-256 hash (`0x12`). Any other
/// CID is refused where a link is read (JSON `$link`, DAG-CBOR tag 42, blob refs, the CIDs
/// of a CAR), while the [`Cid`] string format takes any CID that parses, as the syntax of
/// the `cid` format allows.
///
/// ```
/// use atlex::types::CidLink;
///
/// let link: CidLink =
///     serde_json::from_str(r#"{"$link":"bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"}"#)?;
/// assert_eq!(link.to_cid().version(), cid::Version::V1);
/// assert!(serde_json::from_str::<CidLink>(r#"{"$link":"bafyfake"}"#).is_err());
/// // A valid CID, but dag-pb: not a link of the data model.
/// let dag_pb = r#"{"$link":"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"}"#;
/// assert!(serde_json::from_str::<CidLink>(dag_pb).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct CidLink {
    binary: ::cid::Cid,
    /// The text, written when first asked for (a link read from DAG-CBOR may never be).
    text: std::sync::OnceLock<Cid>,
}

impl PartialEq for CidLink {
    fn eq(&self, other: &Self) -> bool {
        self.binary == other.binary
    }
}

impl Eq for CidLink {}

impl std::hash::Hash for CidLink {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::hash::Hash::hash(&self.binary, state)
    }
}

impl PartialOrd for CidLink {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CidLink {
    /// By the CID's bytes.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.binary.cmp(&other.binary)
    }
}

/// The multicodec of DAG-CBOR.
const DAG_CBOR: u64 = 0x71;
/// The multicodec of raw bytes.
const RAW: u64 = 0x55;
/// The multihash code of sha-256.
const SHA2_256: u64 = 0x12;

/// Why the data model does not allow `cid` in a link (see "Link and CID Formats" in the data
/// model spec), or `None` when it does.
pub(crate) fn not_blessed(cid: &::cid::Cid) -> Option<&'static str> {
    if cid.version() != ::cid::Version::V1 {
        return Some("a link's CID must be a CIDv1, as the data model requires");
    }
    if cid.codec() != DAG_CBOR && cid.codec() != RAW {
        return Some(
            "a link's CID must have codec dag-cbor (0x71) or raw (0x55), as the data model requires",
        );
    }
    let hash = cid.hash();
    if hash.code() != SHA2_256 || hash.size() != 32 {
        return Some("a link's CID must have a 32-byte sha-256 hash, as the data model requires");
    }
    None
}

/// Reads the bytes of a binary CID as a link of the data model: exactly a CIDv1 with codec
/// dag-cbor or raw and a 32-byte sha-256 hash (36 bytes: `01`, the codec, `12 20`, the
/// digest), nothing before or after. Those are the only bytes such a CID has, so this is
/// also the check that the bytes are the CID's canonical form.
pub(crate) fn blessed_from_bytes(bytes: &[u8]) -> Result<::cid::Cid, &'static str> {
    match bytes {
        [0x01, codec @ (0x71 | 0x55), 0x12, 0x20, digest @ ..] if digest.len() == 32 => {
            // A 32-byte digest always fits the 64-byte multihash.
            let hash = ::cid::multihash::Multihash::<64>::wrap(SHA2_256, digest)
                .map_err(|_| "a link's hash does not decode")?;
            Ok(::cid::Cid::new_v1(u64::from(*codec), hash))
        }
        [0x01, 0x71 | 0x55, 0x12, 0x20, digest @ ..] if digest.len() > 32 => {
            Err("bytes after the end of a link's CID")
        }
        [0x01, 0x71 | 0x55, 0x12, 0x20, ..] => Err("a link's CID is cut short"),
        [0x12, 0x20, ..] => Err("a link's CID must be a CIDv1, as the data model requires (this is a CIDv0)"),
        [0x01, 0x71 | 0x55, ..] => {
            Err("a link's CID must have a 32-byte sha-256 hash, as the data model requires")
        }
        [0x01, ..] => Err(
            "a link's CID must have codec dag-cbor (0x71) or raw (0x55), as the data model requires",
        ),
        _ => Err("a link's bytes are not a CIDv1"),
    }
}

fn with_text(binary: ::cid::Cid, text: Option<Cid>) -> CidLink {
    let cell = std::sync::OnceLock::new();
    if let Some(t) = text {
        let _ = cell.set(t);
    }
    CidLink { binary, text: cell }
}

impl CidLink {
    /// Checks that `cid` decodes to a binary CID and wraps it.
    pub fn new(cid: Cid) -> Result<Self, FormatError> {
        if !cid.as_str().starts_with('b') {
            return Err(FormatError::new(
                Format::Cid,
                cid.as_str(),
                "a link's CID must be written in base32 (starting with `b`), as the data model requires",
            ));
        }
        match ::cid::Cid::try_from(cid.as_str()) {
            Ok(binary) => match not_blessed(&binary) {
                None => Ok(with_text(binary, Some(cid))),
                Some(reason) => Err(FormatError::new(Format::Cid, cid.as_str(), reason)),
            },
            Err(_) => Err(FormatError::new(
                Format::Cid,
                cid.as_str(),
                "a link's CID does not decode (bad multibase, version, codec or multihash)",
            )),
        }
    }

    /// The link to a decoded CID, written as text: CIDv1 in base32, and a CIDv0 turned into
    /// the equivalent CIDv1. The CID is taken as it is, for CIDs the program made itself
    /// ([`crate::cbor::cid_of`] makes blessed ones): a link whose CID the data model does
    /// not allow fails [`Validate::validate`]. Read CIDs from input with
    /// [`CidLink::from_binary`], which refuses them.
    pub fn from_cid(cid: &::cid::Cid) -> Self {
        let v1 = match cid.version() {
            ::cid::Version::V0 => ::cid::Cid::new_v1(cid.codec(), *cid.hash()),
            ::cid::Version::V1 => *cid,
        };
        with_text(v1, None)
    }

    /// The link to a decoded CID as found in binary data (DAG-CBOR's tag 42), kept as it is
    /// when the data model allows it (a CIDv1, dag-cbor or raw, sha-256); any other CID is
    /// refused, a CIDv0 too.
    pub fn from_binary(cid: ::cid::Cid) -> Result<Self, FormatError> {
        if let Some(reason) = not_blessed(&cid) {
            return Err(FormatError::new(Format::Cid, &cid.to_string(), reason));
        }
        Ok(with_text(cid, None))
    }

    /// Whether the CID is one the data model allows in a link: a CIDv1 with codec dag-cbor
    /// or raw and a 32-byte sha-256 hash. Links read from input always are; one built with
    /// [`CidLink::from_cid`] may not be.
    pub fn is_blessed(&self) -> bool {
        not_blessed(&self.binary).is_none()
    }

    /// The CID as text.
    pub fn cid(&self) -> &Cid {
        self.text
            .get_or_init(|| Cid::from_checked(self.binary.to_string()))
    }

    /// The CID as text, a string slice.
    pub fn as_str(&self) -> &str {
        self.cid().as_str()
    }

    /// The CID as text, owned.
    pub fn into_cid(self) -> Cid {
        self.cid();
        self.text
            .into_inner()
            .unwrap_or_else(|| Cid::from_checked(self.binary.to_string()))
    }

    /// The decoded CID.
    pub fn to_cid(&self) -> ::cid::Cid {
        self.binary
    }

    /// The decoded CID, borrowed.
    pub fn as_binary(&self) -> &::cid::Cid {
        &self.binary
    }
}

impl From<::cid::Cid> for CidLink {
    fn from(cid: ::cid::Cid) -> Self {
        CidLink::from_cid(&cid)
    }
}

impl TryFrom<Cid> for CidLink {
    type Error = FormatError;

    fn try_from(cid: Cid) -> Result<Self, FormatError> {
        CidLink::new(cid)
    }
}

impl FromStr for CidLink {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self, FormatError> {
        CidLink::new(s.parse()?)
    }
}

impl From<CidLink> for Cid {
    fn from(link: CidLink) -> Cid {
        link.into_cid()
    }
}

impl AsRef<str> for CidLink {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for CidLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CidLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CidLink").field(&self.as_str()).finish()
    }
}

impl Serialize for CidLink {
    /// JSON: `{"$link": "<cid>"}`; a binary format: the CID's bytes as `cid` gives them to
    /// serde (DAG-CBOR writes them as tag 42).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry("$link", self.as_str())?;
            map.end()
        } else {
            serializer.serialize_newtype_struct(CID_SERDE_NAME, &CidBytesOut(&self.binary))
        }
    }
}

/// A CID's bytes, as a byte string.
struct CidBytesOut<'a>(&'a ::cid::Cid);

impl Serialize for CidBytesOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 96];
        let len = self.0.encoded_len();
        if len <= buf.len() {
            // Writing into a slice of the right size can not fail.
            if self.0.write_bytes(&mut buf[..len]).is_ok() {
                return serializer.serialize_bytes(&buf[..len]);
            }
        }
        serializer.serialize_bytes(&self.0.to_bytes())
    }
}

impl<'de> Deserialize<'de> for CidLink {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_map(LinkVisitor)
        } else {
            deserializer.deserialize_newtype_struct(CID_SERDE_NAME, LinkVisitor)
        }
    }
}

struct LinkVisitor;

impl<'de> Visitor<'de> for LinkVisitor {
    type Value = CidLink;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a link object {"$link": "<cid>"}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CidLink, A::Error> {
        let mut text: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "$link" {
                return Err(de::Error::custom(format_args!(
                    "a link object has only the key \"$link\", not {key:?}"
                )));
            }
            if text.is_some() {
                return Err(de::Error::duplicate_field("$link"));
            }
            text = Some(
                map.next_value::<String>()
                    .map_err(|_| de::Error::custom("\"$link\" must be a CID string"))?,
            );
        }
        let text = text.ok_or_else(|| de::Error::missing_field("$link"))?;
        text.parse().map_err(de::Error::custom)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<CidLink, D::Error> {
        let cid = super::data::cid_from_newtype(d)?;
        CidLink::from_binary(cid).map_err(de::Error::custom)
    }
}

impl Validate for CidLink {
    /// `Ok` when the CID is one the data model allows (always, for a link read from input;
    /// see [`CidLink::from_cid`]).
    fn validate(&self) -> Result<(), ValidationError> {
        match not_blessed(&self.binary) {
            None => Ok(()),
            Some(reason) => Err(ValidationError::new(crate::validate::Rule::Other(
                std::borrow::Cow::Owned(format!("is the link {}: {reason}", self.as_str())),
            ))),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const CID: &str = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a";

    #[test]
    fn decodes_and_round_trips() {
        let link: CidLink = CID.parse().unwrap();
        assert_eq!(link.as_str(), CID);
        assert_eq!(CidLink::from_cid(&link.to_cid()), link);
        let json = serde_json::to_string(&link).unwrap();
        assert_eq!(json, format!(r#"{{"$link":"{CID}"}}"#));
        assert_eq!(serde_json::from_str::<CidLink>(&json).unwrap(), link);
        assert_eq!(format!("{link:?}"), format!("CidLink(\"{CID}\")"));
    }

    #[test]
    fn cid_v0_becomes_v1() {
        let v0 = ::cid::Cid::try_from("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR").unwrap();
        let link = CidLink::from(v0);
        assert!(link.as_str().starts_with("bafy"));
        assert_eq!(link.to_cid().hash(), v0.hash());
        // dag-pb: made by the program, so kept, but not a link the data model allows.
        assert!(!link.is_blessed());
        assert_eq!(
            link.validate().unwrap_err().to_string(),
            format!(
                "value is the link {link}: a link's CID must have codec dag-cbor (0x71) or raw \
                 (0x55), as the data model requires"
            )
        );
        assert!(CidLink::from_binary(link.to_cid()).is_err());
    }

    /// CIDs that parse but that the data model does not allow in a link, with what the
    /// refusal names.
    pub(crate) fn unblessed() -> Vec<(::cid::Cid, &'static str)> {
        use ::cid::multihash::Multihash;
        let sha256 = Multihash::<64>::wrap(0x12, &[7; 32]).unwrap();
        vec![
            (::cid::Cid::new_v1(0x70, sha256), "codec"),
            (::cid::Cid::new_v1(0x0129, sha256), "codec"),
            (
                ::cid::Cid::new_v1(0x71, Multihash::wrap(0x13, &[7; 64]).unwrap()),
                "sha-256",
            ),
            (
                ::cid::Cid::new_v1(0x55, Multihash::wrap(0x00, b"abc").unwrap()),
                "sha-256",
            ),
            (
                ::cid::Cid::new_v1(0x71, Multihash::wrap(0x12, &[7; 20]).unwrap()),
                "sha-256",
            ),
            (::cid::Cid::new_v0(sha256).unwrap(), "CIDv1"),
        ]
    }

    #[test]
    fn only_blessed_cids_are_links() {
        use ::cid::multihash::Multihash;
        for codec in [0x71, 0x55] {
            let ok = ::cid::Cid::new_v1(codec, Multihash::wrap(0x12, &[7; 32]).unwrap());
            assert!(CidLink::from_binary(ok).is_ok());
            let text = ok.to_string();
            assert!(text.parse::<CidLink>().is_ok(), "{text}");
            assert_eq!(blessed_from_bytes(&ok.to_bytes()), Ok(ok));
        }
        for (cid, why) in unblessed() {
            // As binary, as text (the syntax of the `cid` format still takes it), as JSON.
            let e = CidLink::from_binary(cid).unwrap_err().to_string();
            assert!(e.contains(why), "{cid}: {e}");
            let e = blessed_from_bytes(&cid.to_bytes()).unwrap_err();
            assert!(e.contains(why), "{cid}: {e}");
            let text = cid.to_string();
            if text.starts_with('b') {
                assert!(text.parse::<Cid>().is_ok(), "{text}");
                let e = text.parse::<CidLink>().unwrap_err().to_string();
                assert!(e.contains(why), "{text}: {e}");
                let json = format!(r#"{{"$link":"{text}"}}"#);
                assert!(serde_json::from_str::<CidLink>(&json).is_err(), "{json}");
            }
        }
        // The bytes of a blessed CID with more after it, or cut short.
        let ok = ::cid::Cid::new_v1(0x71, Multihash::wrap(0x12, &[7; 32]).unwrap()).to_bytes();
        let long = [ok.clone(), vec![0]].concat();
        assert!(blessed_from_bytes(&long).unwrap_err().contains("after"));
        assert!(blessed_from_bytes(&ok[..35])
            .unwrap_err()
            .contains("cut short"));
        // A codec written in a longer varint than it needs.
        let padded = [&[0x01, 0xf1, 0x00][..], &ok[2..]].concat();
        assert!(blessed_from_bytes(&padded).is_err());
    }

    #[test]
    fn rejects_bad_links() {
        for bad in [
            r#"{"$link":"."}"#,
            r#"{"$link":1234}"#,
            r#"{"$link":"bafyreidfayvfuwqa"}"#,
            r#"{"$link":"QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"}"#,
            &format!(r#"{{"$link":"{CID}","other":"blah"}}"#),
            r#"{}"#,
            &format!(r#""{CID}""#),
        ] {
            assert!(serde_json::from_str::<CidLink>(bad).is_err(), "{bad}");
        }
    }
}
