use super::{Blob, Bytes, CidLink};
use crate::validate::Rule;
use crate::{Validate, ValidationError};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Any data-model object (the lexicon's `unknown`), kept whole.
///
/// Reading checks the value against the AT Protocol data model, as the interop vectors do:
///
/// - the value is an object (not an array, string, number, ...), and not itself a `$bytes`
///   object, a `$link` object or a blob;
/// - numbers are integers in the signed 64-bit range; a float with no fractional part
///   (`123.0`) is accepted and kept as the integer `123`, any other float is refused;
/// - anywhere inside, an object with a `$link` key is exactly `{"$link": "<cid>"}` with a CID
///   that decodes, an object with a `$bytes` key is exactly `{"$bytes": "<base64>"}`, a
///   `$type` is a non-empty string, and an object with `"$type": "blob"` is a well-formed
///   blob.
///
/// Writing gives the object back as read.
///
/// ```
/// use atlex::types::Unknown;
///
/// let u: Unknown = serde_json::from_str(r#"{"$type": "com.example.thing", "n": 1.0}"#)?;
/// assert_eq!(u.type_name(), Some("com.example.thing"));
/// assert_eq!(serde_json::to_string(&u)?, r#"{"$type":"com.example.thing","n":1}"#);
///
/// assert!(serde_json::from_str::<Unknown>(r#"{"n": 1.5}"#).is_err());
/// assert!(serde_json::from_str::<Unknown>(r#"[1, 2]"#).is_err());
/// assert!(serde_json::from_str::<Unknown>(r#"{"$type": ""}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct Unknown(Map<String, Value>);

impl Unknown {
    /// Checks `map` against the data model (see the type's documentation) and wraps it.
    /// Integral floats are turned into integers.
    pub fn new(mut map: Map<String, Value>) -> Result<Self, ValidationError> {
        check_object(&mut map)?;
        let top_level_kind = if map.contains_key("$bytes") {
            Some("is a bytes object, not an object of the data model")
        } else if map.contains_key("$link") {
            Some("is a link object, not an object of the data model")
        } else if map.get("$type").and_then(Value::as_str) == Some("blob") {
            Some("is a blob, not an object of the data model")
        } else {
            None
        };
        match top_level_kind {
            Some(text) => Err(ValidationError::new(Rule::Other(Cow::Borrowed(text)))),
            None => Ok(Unknown(map)),
        }
    }

    /// The object's `$type`, if it has a string one.
    pub fn type_name(&self) -> Option<&str> {
        self.0.get("$type").and_then(Value::as_str)
    }

    /// The object's properties.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The object's properties, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// A typed value (a generated record or object) as an `unknown`, e.g. the `record` of
    /// `com.atproto.repo.createRecord`.
    pub fn from_typed<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, ValidationError> {
        let json = serde_json::to_value(value).map_err(|e| {
            ValidationError::new(Rule::Other(Cow::Owned(format!("cannot serialize: {e}"))))
        })?;
        Unknown::try_from(json)
    }

    /// Reads this value as a typed one, e.g. the `record` of a post view as a post record.
    /// The caller validates the result (`atlex::Validate`) where the lexicon's constraints
    /// matter.
    pub fn to_typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&Value::Object(self.0.clone()))
    }
}

impl TryFrom<Map<String, Value>> for Unknown {
    type Error = ValidationError;

    fn try_from(map: Map<String, Value>) -> Result<Self, ValidationError> {
        Unknown::new(map)
    }
}

impl TryFrom<Value> for Unknown {
    type Error = ValidationError;

    fn try_from(value: Value) -> Result<Self, ValidationError> {
        match value {
            Value::Object(map) => Unknown::new(map),
            other => Err(not_an_object(&other)),
        }
    }
}

impl From<Unknown> for Value {
    fn from(u: Unknown) -> Value {
        Value::Object(u.0)
    }
}

impl<'de> Deserialize<'de> for Unknown {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Unknown::try_from(value)
            .map_err(|e| serde::de::Error::custom(format_args!("invalid data-model object: {e}")))
    }
}

impl Validate for Unknown {
    /// Always `Ok`: the object was checked when it was built.
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

fn other(text: &'static str) -> ValidationError {
    ValidationError::new(Rule::Other(Cow::Borrowed(text)))
}

fn other_owned(text: String) -> ValidationError {
    ValidationError::new(Rule::Other(Cow::Owned(text)))
}

fn not_an_object(value: &Value) -> ValidationError {
    other(match value {
        Value::Array(_) => "is an array, not an object",
        Value::String(_) => "is a string, not an object",
        Value::Number(_) => "is a number, not an object",
        Value::Bool(_) => "is a boolean, not an object",
        Value::Null => "is null, not an object",
        Value::Object(_) => "is an object",
    })
}

fn check_value(value: &mut Value) -> Result<(), ValidationError> {
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
        Value::Number(n) => {
            if n.is_i64() {
                return Ok(());
            }
            if n.is_u64() {
                return Err(other_owned(format!(
                    "is {n}, out of the signed 64-bit integer range"
                )));
            }
            let f = n.as_f64().unwrap_or(f64::NAN);
            // -2^63 <= f < 2^63, with no fractional part.
            if f.fract() == 0.0
                && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
            {
                *value = Value::Number(Number::from(f as i64));
                Ok(())
            } else {
                Err(other_owned(format!(
                    "is {n}, a float; the data model has only integers"
                )))
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                check_value(item).map_err(|e| e.in_index(i))?;
            }
            Ok(())
        }
        Value::Object(map) => check_object(map),
    }
}

fn check_object(map: &mut Map<String, Value>) -> Result<(), ValidationError> {
    for (key, value) in map.iter_mut() {
        check_value(value).map_err(|e| e.in_field(key.clone()))?;
    }
    if map.contains_key("$link") {
        return from_map::<CidLink>(map)
            .map(drop)
            .map_err(|e| other_owned(format!("is not a valid link: {e}")));
    }
    if map.contains_key("$bytes") {
        return from_map::<Bytes>(map)
            .map(drop)
            .map_err(|e| other_owned(format!("is not a valid bytes object: {e}")));
    }
    match map.get("$type") {
        None => Ok(()),
        Some(Value::String(t)) if t.is_empty() => Err(other("has an empty \"$type\"")),
        Some(Value::String(t)) if t == "blob" => from_map::<Blob>(map)
            .map(drop)
            .map_err(|e| other_owned(format!("is not a valid blob: {e}"))),
        Some(Value::String(_)) => Ok(()),
        Some(_) => Err(other("has a \"$type\" that is not a string")),
    }
}

/// Lets the typed data-model values be read from a borrowed JSON object.
struct MapRef<'a>(&'a Map<String, Value>);

impl<'de> serde::Deserializer<'de> for MapRef<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        use serde::de::value::MapDeserializer;
        let mut de = MapDeserializer::new(self.0.iter().map(|(k, v)| (k.as_str(), v)));
        let out = visitor.visit_map(&mut de)?;
        de.end()?;
        Ok(out)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Reads a typed data-model value from a borrowed JSON object, without cloning it.
fn from_map<'a, T: Deserialize<'a>>(map: &'a Map<String, Value>) -> Result<T, serde_json::Error> {
    T::deserialize(MapRef(map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Unknown, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn integral_floats_become_integers() {
        let u = parse(json!({"a": 123.0, "b": [1.0, -2.0], "c": {"d": 0.0}})).unwrap();
        assert_eq!(
            Value::from(u),
            json!({"a": 123, "b": [1, -2], "c": {"d": 0}})
        );
        assert!(parse(json!({"a": 1e300})).is_err());
        assert!(parse(json!({"a": u64::MAX})).is_err());
        assert!(parse(json!({"a": i64::MIN})).is_ok());
    }

    #[test]
    fn errors_name_the_path() {
        let e = parse(json!({"rcrd": {"list": [1, {"a": 1.5}]}})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid data-model object: `rcrd.list[1].a` is 1.5, a float; the data model has only integers"
        );
        let e = Unknown::new(json!({"x": {"$type": 1}}).as_object().unwrap().clone()).unwrap_err();
        assert_eq!(e.path_string(), "x");
    }

    #[test]
    fn special_objects_inside() {
        let cid = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a";
        assert!(parse(json!({"l": {"$link": cid}, "b": {"$bytes": "AQID"}})).is_ok());
        assert!(parse(json!({"l": {"$link": cid, "x": 1}})).is_err());
        assert!(parse(json!({"l": {"$link": null}})).is_err());
        assert!(parse(json!({"b": {"$bytes": "AQID", "x": 1}})).is_err());
        assert!(parse(json!({"b": {"$bytes": 1}})).is_err());
        assert!(parse(
            json!({"t": {"$type": "blob", "ref": {"$link": cid}, "mimeType": "a/b", "size": 1}})
        )
        .is_ok());
        assert!(
            parse(json!({"t": {"$type": "blob", "ref": {"$link": cid}, "mimeType": "a/b"}}))
                .is_err()
        );
        // A legacy blob is an ordinary object to the data model.
        assert!(parse(json!({"t": {"cid": cid, "mimeType": "a/b"}})).is_ok());
    }

    #[test]
    fn top_level_must_be_a_plain_object() {
        let cid = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a";
        assert!(parse(json!([])).is_err());
        assert!(parse(json!("blah")).is_err());
        assert!(parse(json!(null)).is_err());
        assert!(parse(json!({"$bytes": "123"})).is_err());
        assert!(parse(json!({"$link": cid})).is_err());
        assert!(parse(
            json!({"$type": "blob", "ref": {"$link": cid}, "mimeType": "a/b", "size": 1})
        )
        .is_err());
        assert!(parse(json!({})).is_ok());
    }
}
