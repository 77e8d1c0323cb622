use super::{Cid, CidLink};
use crate::validate::Rule;
use crate::{Validate, ValidationError};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// The data model's `blob`: a reference to binary content stored apart from the record (an
/// image, a video), by CID, with its MIME type and size.
///
/// Two JSON forms exist, and both are read:
///
/// - typed, the current form:
///   `{"$type": "blob", "ref": {"$link": "bafkrei..."}, "mimeType": "image/jpeg", "size": 10000}`;
/// - legacy, found in old records: `{"cid": "bafkrei...", "mimeType": "image/jpeg"}`, which
///   has no size.
///
/// A legacy blob is kept as legacy: [`size`](Blob::size) is `None`, [`is_legacy`](Blob::is_legacy)
/// is true, and it is written back in the legacy form, so reading and writing a record does
/// not invent data. Every blob with a known size, including a legacy one given a size with
/// [`with_size`](Blob::with_size), is written in the typed form, which is the only form new
/// data should use. [`Blob::check`] refuses a legacy blob where the lexicon sets `maxSize`,
/// since its size can not be verified.
///
/// Reading is strict: a typed blob has exactly the four keys above, a non-negative integer
/// `size` and a `mimeType` holding a `/`; a legacy blob has exactly `cid` and a non-empty
/// `mimeType`; the CID must decode in both.
///
/// ```
/// use atlex::types::Blob;
///
/// let blob: Blob = serde_json::from_str(r#"{
///     "$type": "blob",
///     "ref": {"$link": "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity"},
///     "mimeType": "image/jpeg",
///     "size": 10000
/// }"#)?;
/// assert_eq!(blob.size(), Some(10000));
/// assert!(blob.check(Some(&["image/*"]), Some(1_000_000)).is_ok());
/// assert!(blob.check(Some(&["video/mp4"]), None).is_err());
///
/// let legacy: Blob = serde_json::from_str(r#"{
///     "cid": "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity",
///     "mimeType": "image/jpeg"
/// }"#)?;
/// assert!(legacy.is_legacy());
/// assert_eq!(legacy.size(), None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Blob {
    link: CidLink,
    mime_type: String,
    size: Option<u64>,
}

impl Blob {
    /// A typed blob.
    pub fn new(link: CidLink, mime_type: impl Into<String>, size: u64) -> Self {
        Blob {
            link,
            mime_type: mime_type.into(),
            size: Some(size),
        }
    }

    /// A legacy blob, without a size. Prefer [`Blob::new`] for new data.
    pub fn legacy(link: CidLink, mime_type: impl Into<String>) -> Self {
        Blob {
            link,
            mime_type: mime_type.into(),
            size: None,
        }
    }

    /// The same blob with a known size; a legacy blob becomes a typed one.
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// The link to the content (the typed form's `ref`).
    pub fn link(&self) -> &CidLink {
        &self.link
    }

    /// The content's CID, as text.
    pub fn cid(&self) -> &Cid {
        self.link.cid()
    }

    /// The MIME type, such as `image/jpeg`.
    pub fn mime_type(&self) -> &str {
        &self.mime_type
    }

    /// The size in bytes; `None` for a legacy blob.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Whether this blob was read in (and will be written in) the legacy form.
    pub fn is_legacy(&self) -> bool {
        self.size.is_none()
    }

    /// Checks the lexicon's blob constraints: `accept` (MIME types, with `type/*` and `*/*`
    /// wildcards, compared case-insensitively) and `maxSize` in bytes.
    ///
    /// A legacy blob has no size, so it fails wherever `maxSize` is set.
    pub fn check(
        &self,
        accept: Option<&[&str]>,
        max_size: Option<u64>,
    ) -> Result<(), ValidationError> {
        self.validate()?;
        if let Some(accept) = accept {
            if !accept
                .iter()
                .any(|pattern| mime_matches(pattern, &self.mime_type))
            {
                return Err(ValidationError::new(Rule::BlobAccept {
                    actual: self.mime_type.clone(),
                }));
            }
        }
        if let Some(max) = max_size {
            match self.size {
                Some(actual) if actual > max => {
                    return Err(ValidationError::new(Rule::BlobMaxSize { max, actual }))
                }
                Some(_) => {}
                None => {
                    return Err(ValidationError::new(Rule::Other(Cow::Borrowed(
                        "is a legacy blob without a size, so its maxSize can not be checked",
                    ))))
                }
            }
        }
        Ok(())
    }
}

/// Whether a MIME type matches an `accept` pattern: exact, `type/*`, or `*/*` (and `*`).
fn mime_matches(pattern: &str, mime: &str) -> bool {
    if pattern == "*/*" || pattern == "*" {
        return true;
    }
    match pattern.strip_suffix("/*") {
        Some(kind) => mime
            .split_once('/')
            .is_some_and(|(mime_kind, _)| mime_kind.eq_ignore_ascii_case(kind)),
        None => pattern.eq_ignore_ascii_case(mime),
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Blob");
        s.field("cid", &self.link.as_str());
        s.field("mime_type", &self.mime_type);
        match self.size {
            Some(size) => s.field("size", &size),
            None => s.field("legacy", &true),
        };
        s.finish()
    }
}

impl Validate for Blob {
    /// Checks the MIME type's shape: not empty, and holding a `/` unless the blob is legacy.
    fn validate(&self) -> Result<(), ValidationError> {
        if self.mime_type.is_empty() {
            return Err(ValidationError::new(Rule::Other(Cow::Borrowed(
                "is a blob with an empty mimeType",
            )))
            .in_field("mimeType"));
        }
        if self.size.is_some() && !self.mime_type.contains('/') {
            return Err(ValidationError::new(Rule::Other(Cow::Borrowed(
                "is a blob mimeType without a \"/\" (like image/jpeg)",
            )))
            .in_field("mimeType"));
        }
        Ok(())
    }

    fn __check(&self, checks: &crate::validate::Checks) -> Result<(), ValidationError> {
        self.check(checks.accept, checks.max_size)
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.size {
            Some(size) => {
                let mut map = serializer.serialize_map(Some(4))?;
                map.serialize_entry("$type", "blob")?;
                map.serialize_entry("ref", &self.link)?;
                map.serialize_entry("mimeType", &self.mime_type)?;
                map.serialize_entry("size", &size)?;
                map.end()
            }
            None => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("cid", self.link.as_str())?;
                map.serialize_entry("mimeType", &self.mime_type)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(BlobVisitor)
    }
}

/// A blob size: a non-negative integer, also when written as an integral float (`10000.0`).
struct Size(u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size)
                    .map_err(|_| E::custom("a blob size can not be negative"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Size, E> {
                if v.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&v) {
                    Ok(Size(v as u64))
                } else {
                    Err(E::custom("a blob size is a non-negative integer"))
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

struct BlobVisitor;

impl<'de> Visitor<'de> for BlobVisitor {
    type Value = Blob;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a blob object {"$type": "blob", "ref", "mimeType", "size"}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Blob, A::Error> {
        let mut type_: Option<String> = None;
        let mut link: Option<CidLink> = None;
        let mut mime_type: Option<String> = None;
        let mut size: Option<u64> = None;
        let mut cid: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            fn dup<E: de::Error>(seen: bool, name: &'static str) -> Result<(), E> {
                if seen {
                    Err(E::duplicate_field(name))
                } else {
                    Ok(())
                }
            }
            match key.as_str() {
                "$type" => {
                    dup(type_.is_some(), "$type")?;
                    type_ = Some(map.next_value::<Option<String>>()?.unwrap_or_default());
                }
                "ref" => {
                    dup(link.is_some(), "ref")?;
                    link = Some(map.next_value()?);
                }
                "mimeType" => {
                    dup(mime_type.is_some(), "mimeType")?;
                    mime_type =
                        Some(map.next_value().map_err(|_| {
                            de::Error::custom("a blob's mimeType must be a string")
                        })?);
                }
                "size" => {
                    dup(size.is_some(), "size")?;
                    size = Some(map.next_value::<Size>()?.0);
                }
                "cid" => {
                    dup(cid.is_some(), "cid")?;
                    cid =
                        Some(map.next_value().map_err(|_| {
                            de::Error::custom("a legacy blob's cid must be a string")
                        })?);
                }
                other => {
                    let _ = map.next_value::<IgnoredAny>()?;
                    return Err(de::Error::custom(format_args!(
                        "unexpected key {other:?} in a blob (a blob has \"$type\", \"ref\", \"mimeType\" and \"size\")"
                    )));
                }
            }
        }
        let mime_type = mime_type.ok_or_else(|| de::Error::missing_field("mimeType"))?;
        match type_ {
            Some(t) if t == "blob" => {
                if cid.is_some() {
                    return Err(de::Error::custom(
                        "a typed blob has \"ref\", not the legacy \"cid\"",
                    ));
                }
                let link = link.ok_or_else(|| de::Error::missing_field("ref"))?;
                let size = size.ok_or_else(|| de::Error::missing_field("size"))?;
                let blob = Blob::new(link, mime_type, size);
                blob.validate().map_err(de::Error::custom)?;
                Ok(blob)
            }
            Some(t) => Err(de::Error::custom(format_args!(
                "a blob's \"$type\" is \"blob\", not {t:?}"
            ))),
            None if cid.is_some() => {
                if link.is_some() || size.is_some() {
                    return Err(de::Error::custom(
                        "a legacy blob has only \"cid\" and \"mimeType\"",
                    ));
                }
                let link: CidLink = cid.unwrap_or_default().parse().map_err(de::Error::custom)?;
                let blob = Blob::legacy(link, mime_type);
                blob.validate().map_err(de::Error::custom)?;
                Ok(blob)
            }
            None => Err(de::Error::custom(
                "a blob needs \"$type\": \"blob\" (or, in the legacy form, \"cid\")",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CID: &str = "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity";

    fn typed() -> String {
        format!(
            r#"{{"$type":"blob","ref":{{"$link":"{CID}"}},"mimeType":"image/jpeg","size":10000}}"#
        )
    }

    #[test]
    fn typed_round_trip() {
        let blob: Blob = serde_json::from_str(&typed()).unwrap();
        assert_eq!(blob.cid(), CID);
        assert_eq!(blob.mime_type(), "image/jpeg");
        assert_eq!(blob.size(), Some(10000));
        assert!(!blob.is_legacy());
        assert_eq!(serde_json::to_string(&blob).unwrap(), typed());
        let float_size: Blob = serde_json::from_str(&typed().replace("10000", "10000.0")).unwrap();
        assert_eq!(float_size, blob);
    }

    #[test]
    fn legacy_round_trip_and_upgrade() {
        let json = format!(r#"{{"cid":"{CID}","mimeType":"image/jpeg"}}"#);
        let blob: Blob = serde_json::from_str(&json).unwrap();
        assert!(blob.is_legacy());
        assert_eq!(serde_json::to_string(&blob).unwrap(), json);
        let typed_blob = blob.with_size(10000);
        assert_eq!(serde_json::to_string(&typed_blob).unwrap(), typed());
    }

    #[test]
    fn rejects_malformed_blobs() {
        let cases = [
            typed().replace("10000", "\"10000\""),
            typed().replace("10000", "-1"),
            typed().replace("10000", "1.5"),
            typed().replace(r#""$type":"blob","#, ""),
            typed().replace(r#""$type":"blob""#, r#""type":"blob""#),
            typed().replace(r#""$type":"blob""#, r#""$type":"blobby""#),
            typed().replace(r#""$type":"blob""#, r#""$type":null"#),
            typed().replace(r#""mimeType":"image/jpeg""#, r#""mimeType":false"#),
            typed().replace(r#""mimeType":"image/jpeg""#, r#""mimeType":"jpeg""#),
            typed().replace(r#""mimeType":"image/jpeg","#, ""),
            typed().replace(r#","size":10000"#, ""),
            typed().replace(
                r#""ref":{"$link":"bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity"},"#,
                "",
            ),
            typed().replace(CID, "bafkfake"),
            typed().replace(r#""size":10000"#, r#""size":10000,"extra":1"#),
            format!(r#"{{"cid":"{CID}","mimeType":""}}"#),
            format!(r#"{{"cid":"{CID}"}}"#),
            format!(r#"{{"cid":"{CID}","mimeType":"image/jpeg","size":1}}"#),
            r#"{"cid":"bafkfake","mimeType":"image/jpeg"}"#.to_owned(),
            "\"blob\"".to_owned(),
        ];
        for bad in cases {
            assert!(serde_json::from_str::<Blob>(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn constraints() {
        let blob: Blob = serde_json::from_str(&typed()).unwrap();
        assert!(blob.check(None, None).is_ok());
        assert!(blob.check(Some(&["image/*"]), Some(10000)).is_ok());
        assert!(blob.check(Some(&["*/*"]), None).is_ok());
        assert!(blob.check(Some(&["IMAGE/JPEG"]), None).is_ok());
        assert!(blob.check(Some(&["image/png", "video/*"]), None).is_err());
        assert_eq!(
            blob.check(None, Some(9999)).unwrap_err().rule(),
            &Rule::BlobMaxSize {
                max: 9999,
                actual: 10000
            }
        );
        let legacy = Blob::legacy(blob.link().clone(), "image/jpeg");
        assert!(legacy.check(Some(&["image/*"]), None).is_ok());
        assert!(legacy.check(Some(&["video/*"]), None).is_err());
        assert!(legacy.check(None, Some(1_000_000)).is_err());
        assert!(Blob::new(blob.link().clone(), "", 1).validate().is_err());
    }
}
