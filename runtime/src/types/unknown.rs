use super::data::{Data, DataError, DataMap};
use super::Blob;
use crate::validate::Rule;
use crate::{Validate, ValidationError};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

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
/// The value holds the data model itself ([`Data`]): links and bytes as such, so a value read
/// from DAG-CBOR writes back the same bytes. Writing JSON gives the object back as read (keys
/// in sorted order).
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
#[derive(Clone, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Unknown(DataMap);

impl Unknown {
    /// Checks `map` against the data model (see the type's documentation) and wraps it.
    pub fn new(map: DataMap) -> Result<Self, ValidationError> {
        check_object(&map)?;
        if map.get("$type").and_then(Data::as_str) == Some("blob") {
            return Err(other("is a blob, not an object of the data model"));
        }
        Ok(Unknown(map))
    }

    /// The object's `$type`, if it has a string one.
    pub fn type_name(&self) -> Option<&str> {
        self.0.get("$type").and_then(Data::as_str)
    }

    /// The object's properties.
    pub fn as_map(&self) -> &DataMap {
        &self.0
    }

    /// The object's properties, owned.
    pub fn into_map(self) -> DataMap {
        self.0
    }

    /// The object as JSON.
    pub fn to_json(&self) -> Value {
        Data::Object(self.0.clone()).to_json()
    }

    /// A typed value (a generated record or object) as an `unknown`, e.g. the `record` of
    /// `com.atproto.repo.createRecord`.
    pub fn from_typed<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, ValidationError> {
        match Data::from_serialize(value) {
            Ok(Data::Object(map)) => Unknown::new(map),
            Ok(_) => Err(other("is not an object")),
            Err(e) => Err(other_owned(format!("can not be serialized: {e}"))),
        }
    }

    /// Reads this value as a typed one, e.g. the `record` of a post view as a post record.
    /// The caller validates the result (`atlex::Validate`) where the lexicon's constraints
    /// matter.
    pub fn to_typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, DataError> {
        T::deserialize(Data::Object(self.0.clone()))
    }
}

impl fmt::Debug for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Unknown").field(&self.0).finish()
    }
}

impl TryFrom<DataMap> for Unknown {
    type Error = ValidationError;

    fn try_from(map: DataMap) -> Result<Self, ValidationError> {
        Unknown::new(map)
    }
}

impl TryFrom<Map<String, Value>> for Unknown {
    type Error = ValidationError;

    fn try_from(map: Map<String, Value>) -> Result<Self, ValidationError> {
        Unknown::try_from(Value::Object(map))
    }
}

impl TryFrom<Value> for Unknown {
    type Error = ValidationError;

    fn try_from(value: Value) -> Result<Self, ValidationError> {
        match value {
            Value::Object(_) => match Data::from_json(&value) {
                Ok(Data::Object(map)) => Unknown::new(map),
                Ok(_) => Err(top_level_special(&value)),
                Err(e) => Err(other_owned(format!("is not in the data model: {e}"))),
            },
            other => Err(not_an_object(&other)),
        }
    }
}

impl From<Unknown> for Value {
    fn from(u: Unknown) -> Value {
        u.to_json()
    }
}

impl From<Unknown> for Data {
    fn from(u: Unknown) -> Data {
        Data::Object(u.0)
    }
}

impl<'de> Deserialize<'de> for Unknown {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let data = Data::deserialize(deserializer).map_err(|e| {
            serde::de::Error::custom(format_args!("invalid data-model object: {e}"))
        })?;
        let map =
            match data {
                Data::Object(map) => map,
                Data::Link(_) => return Err(serde::de::Error::custom(
                    "invalid data-model object: is a link object, not an object of the data model",
                )),
                Data::Bytes(_) => return Err(serde::de::Error::custom(
                    "invalid data-model object: is a bytes object, not an object of the data model",
                )),
                other => {
                    return Err(serde::de::Error::custom(format_args!(
                        "invalid data-model object: {}",
                        not_an_object_data(&other)
                    )))
                }
            };
        Unknown::new(map)
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

fn top_level_special(value: &Value) -> ValidationError {
    match value.as_object() {
        Some(m) if m.contains_key("$bytes") => {
            other("is a bytes object, not an object of the data model")
        }
        _ => other("is a link object, not an object of the data model"),
    }
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

fn not_an_object_data(value: &Data) -> &'static str {
    match value {
        Data::Array(_) => "is an array, not an object",
        Data::String(_) => "is a string, not an object",
        Data::Integer(_) => "is a number, not an object",
        Data::Bool(_) => "is a boolean, not an object",
        Data::Null => "is null, not an object",
        Data::Bytes(_) => "is bytes, not an object",
        Data::Link(_) => "is a link, not an object",
        Data::Object(_) => "is an object",
    }
}

fn check_value(value: &Data) -> Result<(), ValidationError> {
    match value {
        Data::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_value(item).map_err(|e| e.in_index(i))?;
            }
            Ok(())
        }
        Data::Object(map) => check_object(map),
        _ => Ok(()),
    }
}

/// The checks of the data model that reading does not already make: a `$type` is a non-empty
/// string, and an object with `"$type": "blob"` is a well-formed blob.
fn check_object(map: &DataMap) -> Result<(), ValidationError> {
    for (key, value) in map {
        check_value(value).map_err(|e| e.in_field(key.clone()))?;
    }
    match map.get("$type") {
        None => Ok(()),
        Some(Data::String(t)) if t.is_empty() => Err(other("has an empty \"$type\"")),
        Some(Data::String(t)) if t == "blob" => Blob::deserialize(Data::Object(map.clone()))
            .map(drop)
            .map_err(|e| other_owned(format!("is not a valid blob: {e}"))),
        Some(Data::String(_)) => Ok(()),
        Some(_) => Err(other("has a \"$type\" that is not a string")),
    }
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
        let e = Unknown::try_from(json!({"x": {"$type": 1}})).unwrap_err();
        assert_eq!(e.path_string(), "x");
        // Errors about the object itself read after "value".
        let e = Unknown::from_typed(&[1]).unwrap_err();
        assert_eq!(e.to_string(), "value is not an object");
        let e = Unknown::try_from(json!({"a": 1.5})).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("value is not in the data model: "),
            "{e}"
        );
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
