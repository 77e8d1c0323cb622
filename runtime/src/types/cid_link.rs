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
/// format, the CID of a link is decoded in full when it is built (version, codec and
/// multihash must parse), so [`CidLink::to_cid`] can not fail.
///
/// ```
/// use atlex::types::CidLink;
///
/// let link: CidLink =
///     serde_json::from_str(r#"{"$link":"bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"}"#)?;
/// assert_eq!(link.to_cid().version(), cid::Version::V1);
/// assert!(serde_json::from_str::<CidLink>(r#"{"$link":"bafyfake"}"#).is_err());
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
            Ok(binary) if binary.version() == ::cid::Version::V1 => {
                Ok(with_text(binary, Some(cid)))
            }
            _ => Err(FormatError::new(
                Format::Cid,
                cid.as_str(),
                "a link's CID does not decode (bad multibase, version, codec or multihash)",
            )),
        }
    }

    /// The link to a decoded CID, written as text: CIDv1 in base32, and a CIDv0 turned into
    /// the equivalent CIDv1.
    pub fn from_cid(cid: &::cid::Cid) -> Self {
        let v1 = match cid.version() {
            ::cid::Version::V0 => ::cid::Cid::new_v1(cid.codec(), *cid.hash()),
            ::cid::Version::V1 => *cid,
        };
        with_text(v1, None)
    }

    /// The link to a decoded CID as found in binary data (DAG-CBOR's tag 42): a CIDv1, kept
    /// as it is; a CIDv0 is refused, as the data model requires CIDv1.
    pub fn from_binary(cid: ::cid::Cid) -> Result<Self, FormatError> {
        if cid.version() != ::cid::Version::V1 {
            return Err(FormatError::new(
                Format::Cid,
                &cid.to_string(),
                "a link's CID must be a CIDv1, as the data model requires",
            ));
        }
        Ok(with_text(cid, None))
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
    /// Always `Ok`: the CID was decoded when the link was built.
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
