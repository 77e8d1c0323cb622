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
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CidLink(Cid);

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
            Ok(_) => Ok(CidLink(cid)),
            Err(_) => Err(FormatError::new(
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
        CidLink(Cid::from_checked(v1.to_string()))
    }

    /// The CID as text.
    pub fn cid(&self) -> &Cid {
        &self.0
    }

    /// The CID as text, a string slice.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The CID as text, owned.
    pub fn into_cid(self) -> Cid {
        self.0
    }

    /// The decoded CID.
    pub fn to_cid(&self) -> ::cid::Cid {
        // Checked on construction, so decoding again succeeds; the default is never used.
        ::cid::Cid::try_from(self.0.as_str()).unwrap_or_default()
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
        link.0
    }
}

impl AsRef<str> for CidLink {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for CidLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Debug for CidLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CidLink").field(&self.0.as_str()).finish()
    }
}

impl Serialize for CidLink {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("$link", self.0.as_str())?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for CidLink {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(LinkVisitor)
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
