use crate::{Validate, ValidationError};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Deref;

/// Writes standard base64 without padding, as the data model asks.
const ENCODE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_encode_padding(false),
);

/// Reads standard base64 with or without padding, and tolerates non-zero trailing bits (the
/// reference implementation does too).
const DECODE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The data model's `bytes`: raw binary data.
///
/// In JSON it is an object with a single `$bytes` key holding standard base64 without
/// padding: `{"$bytes": "AQID"}`. Reading accepts padding too; any other key is an error. In
/// a binary (non human-readable) serde format it is a plain byte string.
///
/// ```
/// use atlex::types::Bytes;
///
/// let b = Bytes::from(vec![1, 2, 3]);
/// assert_eq!(serde_json::to_string(&b).unwrap(), r#"{"$bytes":"AQID"}"#);
/// let back: Bytes = serde_json::from_str(r#"{"$bytes":"AQID"}"#).unwrap();
/// assert_eq!(back, b);
/// assert!(serde_json::from_str::<Bytes>(r#"{"$bytes":"AQID","x":1}"#).is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes(bytes::Bytes);

impl Bytes {
    /// Wraps the bytes.
    pub fn new(bytes: impl Into<bytes::Bytes>) -> Self {
        Bytes(bytes.into())
    }

    /// Decodes standard base64 (padding optional), the text of a `$bytes` object.
    pub fn from_base64(text: &str) -> Result<Self, base64::DecodeError> {
        DECODE.decode(text).map(|v| Bytes(v.into()))
    }

    /// The bytes as standard base64 without padding, the text of a `$bytes` object.
    pub fn to_base64(&self) -> String {
        ENCODE.encode(&self.0)
    }

    /// The bytes as a slice.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The underlying [`bytes::Bytes`].
    pub fn into_inner(self) -> bytes::Bytes {
        self.0
    }
}

impl From<bytes::Bytes> for Bytes {
    fn from(b: bytes::Bytes) -> Self {
        Bytes(b)
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(b: Vec<u8>) -> Self {
        Bytes(b.into())
    }
}

impl From<&'static [u8]> for Bytes {
    fn from(b: &'static [u8]) -> Self {
        Bytes(bytes::Bytes::from_static(b))
    }
}

impl From<Bytes> for bytes::Bytes {
    fn from(b: Bytes) -> Self {
        b.0
    }
}

impl From<Bytes> for Vec<u8> {
    fn from(b: Bytes) -> Self {
        b.0.into()
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Bytes").field(&self.0).finish()
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry("$bytes", &self.to_base64())?;
            map.end()
        } else {
            serializer.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_map(BytesVisitor)
        } else {
            deserializer.deserialize_byte_buf(BytesVisitor)
        }
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Bytes;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a bytes object {"$bytes": "<base64>"}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Bytes, A::Error> {
        let mut text: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "$bytes" {
                return Err(de::Error::custom(format_args!(
                    "a bytes object has only the key \"$bytes\", not {:?}",
                    key
                )));
            }
            if text.is_some() {
                return Err(de::Error::duplicate_field("$bytes"));
            }
            text = Some(
                map.next_value::<String>()
                    .map_err(|_| de::Error::custom("\"$bytes\" must be a base64 string"))?,
            );
        }
        let text = text.ok_or_else(|| de::Error::missing_field("$bytes"))?;
        Bytes::from_base64(&text)
            .map_err(|e| de::Error::custom(format_args!("\"$bytes\" is not valid base64: {e}")))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
        Ok(Bytes(bytes::Bytes::copy_from_slice(v)))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
        Ok(Bytes(v.into()))
    }
}

impl Validate for Bytes {
    /// Always `Ok`: any bytes are valid; length limits are checked by the containing type.
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }

    fn __check(&self, checks: &crate::validate::Checks) -> Result<(), ValidationError> {
        if checks.min_length.is_some() || checks.max_length.is_some() {
            crate::validate::check::bytes_len(
                self.as_slice().len(),
                checks.min_length,
                checks.max_length,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_forms() {
        // Unpadded, padded, and with non-zero trailing bits (as in the interop vectors).
        assert_eq!(Bytes::from_base64("AQI").unwrap().as_slice(), [1, 2]);
        assert_eq!(Bytes::from_base64("AQI=").unwrap().as_slice(), [1, 2]);
        assert_eq!(Bytes::from_base64("123").unwrap().len(), 2);
        assert!(Bytes::from_base64("A").is_err());
        assert!(Bytes::from_base64("AQ_-").is_err());
        assert_eq!(Bytes::from(vec![0xfb, 0xff]).to_base64(), "+/8");
        assert_eq!(Bytes::default().to_base64(), "");
    }

    #[test]
    fn json_shape() {
        let ok: Bytes = serde_json::from_str(r#"{"$bytes":""}"#).unwrap();
        assert!(ok.is_empty());
        for bad in [
            r#"{}"#,
            r#"{"$bytes":[1,2]}"#,
            r#"{"$bytes":null}"#,
            r#"{"$bytes":"AQID","other":"x"}"#,
            r#"{"bytes":"AQID"}"#,
            r#"{"$bytes":"AQID","$bytes":"AQID"}"#,
            r#"{"$bytes":"not base64!"}"#,
            r#""AQID""#,
            r#"[1,2,3]"#,
        ] {
            assert!(serde_json::from_str::<Bytes>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Bytes>(r#"{"$bytes":"AQID","other":"x"}"#).unwrap_err();
        assert!(e.to_string().contains("not \"other\""), "{e}");
    }
}
