//! Helpers that generated code calls. Not a public API: reached through `atlex::__private`.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::SerializeMap;
use serde_json::{Map, Value};
use std::fmt;

/// Writes an object's properties into a map that the caller opened (so a union can put
/// `$type` first).
pub trait ObjectFields {
    /// Writes every present property, then the unknown ones.
    fn serialize_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

impl<T: ObjectFields + ?Sized> ObjectFields for Box<T> {
    fn serialize_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        (**self).serialize_fields(map)
    }
}

/// A map key or short string, borrowed from the input when the deserializer allows.
#[derive(Debug)]
pub enum Key<'de> {
    /// Borrowed from the input.
    Borrowed(&'de str),
    /// Copied (escaped strings, readers).
    Owned(String),
}

impl Key<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_owned(),
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// Stands in for a secret in `Debug` output.
#[derive(Clone, Copy)]
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Reads a union value as a whole object, so `$type` can be found wherever it is.
pub fn read_union_object<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    Map::<String, Value>::deserialize(d)
}

/// The `$type` of a union value.
pub fn union_tag<E: de::Error>(object: &Map<String, Value>) -> Result<String, E> {
    match object.get("$type") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(E::custom("a union value has an empty $type")),
        Some(_) => Err(E::custom("a union value's $type must be a string")),
        None => Err(E::custom("a union value needs a $type naming its variant")),
    }
}

/// Deserializes a union variant from the object read by [`read_union_object`].
pub fn from_object<T: de::DeserializeOwned>(
    object: Map<String, Value>,
) -> Result<T, serde_json::Error> {
    serde_json::from_value(Value::Object(object))
}

/// A string that is not one of a closed enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    type_name: &'static str,
    value: String,
}

impl UnknownValue {
    /// `value` is not a value of `type_name`.
    pub fn new(type_name: &'static str, value: &str) -> Self {
        UnknownValue {
            type_name,
            value: value.chars().take(100).collect(),
        }
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a value of {}", self.value, self.type_name)
    }
}

impl std::error::Error for UnknownValue {}

/// `Display` of a generated error enum: the name, then the message.
pub fn fmt_error<E: crate::xrpc::ErrorKind>(e: &E, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(e.name())?;
    if let Some(m) = e.message() {
        write!(f, ": {m}")?;
    }
    Ok(())
}
