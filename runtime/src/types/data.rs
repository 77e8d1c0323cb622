//! The AT Protocol data model as a value: what atlex keeps where no schema says more (the
//! lexicon's `unknown`, properties a lexicon does not define, a union value read before its
//! `$type`).

use super::{Bytes, CidLink};
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// The serde name `cid` gives a CID (a newtype struct around its bytes), which DAG-CBOR
/// serializers and deserializers turn into CBOR tag 42.
pub(crate) const CID_SERDE_NAME: &str = "$__private__serde__identifier__for__cid";

/// The properties of a data-model object, by name.
pub type DataMap = BTreeMap<String, Data>;

/// One value of the AT Protocol data model.
///
/// Links and bytes are held as such, not as their JSON objects: a value read from DAG-CBOR is
/// written back to the same bytes (and so hashes to the same CID), and a value read from JSON
/// is written back to equal JSON. There is no float: the data model has only integers (JSON
/// reading takes a float with no fractional part, `4.0`, as the integer `4`).
///
/// | data model | JSON | DAG-CBOR |
/// |---|---|---|
/// | [`Data::Link`] | `{"$link": "bafy..."}` | tag 42 |
/// | [`Data::Bytes`] | `{"$bytes": "base64"}` | byte string |
///
/// ```
/// use atlex::types::Data;
///
/// let d: Data = serde_json::from_str(r#"{"a": {"$bytes": "AQID"}, "n": 4.0}"#)?;
/// let Data::Object(map) = &d else { unreachable!() };
/// assert_eq!(map["a"], Data::Bytes(vec![1, 2, 3].into()));
/// assert_eq!(map["n"], Data::Integer(4));
/// assert_eq!(serde_json::to_string(&d)?, r#"{"a":{"$bytes":"AQID"},"n":4}"#);
/// assert!(serde_json::from_str::<Data>("1.5").is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub enum Data {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A signed 64-bit integer.
    Integer(i64),
    /// A UTF-8 string.
    String(String),
    /// Raw bytes.
    Bytes(Bytes),
    /// A link to other content by CID.
    Link(CidLink),
    /// A list.
    Array(Vec<Data>),
    /// An object (a map with string keys).
    Object(DataMap),
}

impl Data {
    /// The object's properties, if this is an object.
    pub fn as_object(&self) -> Option<&DataMap> {
        match self {
            Data::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Data::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Data::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The value as JSON (links and bytes as their `$link` and `$bytes` objects).
    pub fn to_json(&self) -> serde_json::Value {
        // Writing the data model to JSON can not fail: keys are strings, there are no floats.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Reads a JSON value into the data model (`$link` and `$bytes` objects become links and
    /// bytes; floats with no fractional part become integers, others are refused).
    pub fn from_json(value: &serde_json::Value) -> Result<Data, DataError> {
        <Data as de::Deserialize>::deserialize(value).map_err(|e| DataError(e.to_string()))
    }

    /// Writes any serializable value (a generated type, a string format...) into the data
    /// model.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Data, DataError> {
        value.serialize(DataSerializer)
    }

    /// Reads a typed value (a generated type) from this value. The caller validates the
    /// result ([`crate::Validate`]) where the lexicon's constraints matter.
    pub fn to_typed<T: de::DeserializeOwned>(&self) -> Result<T, DataError> {
        T::deserialize(self.clone())
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::Null => f.write_str("null"),
            Data::Bool(b) => write!(f, "{b}"),
            Data::Integer(n) => write!(f, "{n}"),
            Data::String(s) => write!(f, "{s:?}"),
            Data::Bytes(b) => fmt::Debug::fmt(b, f),
            Data::Link(l) => fmt::Debug::fmt(l, f),
            Data::Array(items) => f.debug_list().entries(items).finish(),
            Data::Object(map) => f.debug_map().entries(map).finish(),
        }
    }
}

impl PartialEq<serde_json::Value> for Data {
    /// Equal when this value written as JSON is `other`.
    fn eq(&self, other: &serde_json::Value) -> bool {
        self.to_json() == *other
    }
}

impl From<bool> for Data {
    fn from(v: bool) -> Data {
        Data::Bool(v)
    }
}

impl From<i64> for Data {
    fn from(v: i64) -> Data {
        Data::Integer(v)
    }
}

impl From<String> for Data {
    fn from(v: String) -> Data {
        Data::String(v)
    }
}

impl From<&str> for Data {
    fn from(v: &str) -> Data {
        Data::String(v.to_owned())
    }
}

impl From<Bytes> for Data {
    fn from(v: Bytes) -> Data {
        Data::Bytes(v)
    }
}

impl From<CidLink> for Data {
    fn from(v: CidLink) -> Data {
        Data::Link(v)
    }
}

impl From<Vec<Data>> for Data {
    fn from(v: Vec<Data>) -> Data {
        Data::Array(v)
    }
}

impl From<DataMap> for Data {
    fn from(v: DataMap) -> Data {
        Data::Object(v)
    }
}

impl TryFrom<serde_json::Value> for Data {
    type Error = DataError;

    fn try_from(value: serde_json::Value) -> Result<Data, DataError> {
        Data::from_json(&value)
    }
}

impl From<Data> for serde_json::Value {
    fn from(d: Data) -> serde_json::Value {
        d.to_json()
    }
}

/// A value that is not in the data model, or could not be read as the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError(String);

impl DataError {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        DataError(text.into())
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DataError {}

impl de::Error for DataError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DataError(msg.to_string())
    }
}

impl ser::Error for DataError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DataError(msg.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

impl Serialize for Data {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Data::Null => serializer.serialize_none(),
            Data::Bool(b) => serializer.serialize_bool(*b),
            Data::Integer(n) => serializer.serialize_i64(*n),
            Data::String(s) => serializer.serialize_str(s),
            Data::Bytes(b) => b.serialize(serializer),
            Data::Link(l) => l.serialize(serializer),
            Data::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Data::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    out.serialize_entry(k, v)?;
                }
                out.end()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Where a value sits inside the one being read, for error messages (`a.b[2].c`).
#[derive(Default)]
struct Path(Vec<Seg>);

enum Seg {
    Key(String),
    Index(usize),
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl Path {
    fn error<E: de::Error>(&self, reason: fmt::Arguments<'_>) -> E {
        if self.0.is_empty() {
            E::custom(reason)
        } else {
            E::custom(format_args!("`{self}` {reason}"))
        }
    }
}

impl<'de> de::Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let readable = deserializer.is_human_readable();
        let mut path = Path::default();
        deserializer.deserialize_any(DataVisitor {
            path: &mut path,
            readable,
        })
    }
}

/// Reads one value, knowing where it sits.
struct DataVisitor<'p> {
    path: &'p mut Path,
    /// JSON (`$link` and `$bytes` objects) rather than a binary format (tags, byte strings).
    readable: bool,
}

impl<'de> DeserializeSeed<'de> for DataVisitor<'_> {
    type Value = Data;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Data, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The largest integer a float can stand for and still be below 2^63.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

impl<'de> de::Visitor<'de> for DataVisitor<'_> {
    type Value = Data;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a data-model value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Data, E> {
        Ok(Data::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Data, E> {
        Ok(Data::Integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Data, E> {
        match i64::try_from(v) {
            Ok(n) => Ok(Data::Integer(n)),
            Err(_) => Err(self.path.error(format_args!(
                "is {v}, out of the signed 64-bit integer range"
            ))),
        }
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Data, E> {
        match i64::try_from(v) {
            Ok(n) => Ok(Data::Integer(n)),
            Err(_) => Err(self.path.error(format_args!(
                "is {v}, out of the signed 64-bit integer range"
            ))),
        }
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Data, E> {
        match i64::try_from(v) {
            Ok(n) => Ok(Data::Integer(n)),
            Err(_) => Err(self.path.error(format_args!(
                "is {v}, out of the signed 64-bit integer range"
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Data, E> {
        // JSON has one number type: `123.0` is the integer 123. A binary format's float is a
        // float, which the data model does not have.
        if self.readable && v.fract() == 0.0 && (-TWO_63..TWO_63).contains(&v) {
            return Ok(Data::Integer(v as i64));
        }
        Err(self.path.error(format_args!(
            "is {v}, a float; the data model has only integers"
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Data, E> {
        Ok(Data::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Data, E> {
        Ok(Data::String(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Data, E> {
        Ok(Data::Bytes(Bytes::from(v.to_vec())))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Data, E> {
        Ok(Data::Bytes(Bytes::from(v)))
    }

    fn visit_none<E: de::Error>(self) -> Result<Data, E> {
        Ok(Data::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Data, E> {
        Ok(Data::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Data, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Data, D::Error> {
        // A CID (DAG-CBOR tag 42, or a link replayed from a buffered value): its bytes.
        let path = self.path;
        let cid = d.deserialize_bytes(CidBytes)?;
        CidLink::from_binary(cid)
            .map(Data::Link)
            .map_err(|e| path.error(format_args!("is not a valid link: {e}")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Data, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        loop {
            self.path.0.push(Seg::Index(items.len()));
            let item = seq.next_element_seed(DataVisitor {
                path: self.path,
                readable: self.readable,
            })?;
            self.path.0.pop();
            match item {
                Some(item) => items.push(item),
                None => return Ok(Data::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Data, A::Error> {
        let mut map = DataMap::new();
        while let Some(key) = access.next_key::<crate::private::Key<'de>>()? {
            let key = key.into_string();
            self.path.0.push(Seg::Key(key));
            let value = access.next_value_seed(DataVisitor {
                path: self.path,
                readable: self.readable,
            })?;
            let Some(Seg::Key(key)) = self.path.0.pop() else {
                unreachable!("the segment pushed above")
            };
            if map.contains_key(&key) {
                return Err(self.path.error(format_args!("has the key {key:?} twice")));
            }
            map.insert(key, value);
        }
        special_object(map, self.path, self.readable)
    }
}

/// An object read whole: a `$link` or `$bytes` object in JSON is a link or bytes; in a binary
/// format those keys are reserved.
fn special_object<E: de::Error>(map: DataMap, path: &Path, readable: bool) -> Result<Data, E> {
    let link = map.contains_key("$link");
    let bytes = map.contains_key("$bytes");
    if !link && !bytes {
        return Ok(Data::Object(map));
    }
    if !readable {
        return Err(path.error(format_args!(
            "has a key \"$link\" or \"$bytes\", which the data model reserves for JSON"
        )));
    }
    if link {
        return match (map.len(), map.get("$link")) {
            (1, Some(Data::String(text))) => text
                .parse::<CidLink>()
                .map(Data::Link)
                .map_err(|e| path.error(format_args!("is not a valid link: {e}"))),
            (1, Some(_)) => Err(path.error(format_args!(
                "is not a valid link: \"$link\" must be a CID string"
            ))),
            _ => Err(path.error(format_args!(
                "is not a valid link: a link object has only the key \"$link\""
            ))),
        };
    }
    match (map.len(), map.get("$bytes")) {
        (1, Some(Data::String(text))) => Bytes::from_base64(text)
            .map(Data::Bytes)
            .map_err(|e| path.error(format_args!("is not a valid bytes object: {e}"))),
        (1, Some(_)) => Err(path.error(format_args!(
            "is not a valid bytes object: \"$bytes\" must be a base64 string"
        ))),
        _ => Err(path.error(format_args!(
            "is not a valid bytes object: a bytes object has only the key \"$bytes\""
        ))),
    }
}

/// The bytes of a binary CID.
struct CidBytes;

impl<'de> de::Visitor<'de> for CidBytes {
    type Value = ::cid::Cid;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the bytes of a CID")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<::cid::Cid, E> {
        // Only a CIDv1 with codec dag-cbor or raw and a sha-256 hash is a link of the data
        // model; its bytes have one form, so nothing else (a longer number, bytes after the
        // CID) can stand for it.
        super::cid_link::blessed_from_bytes(v).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<::cid::Cid, A::Error> {
        let mut bytes = Vec::new();
        while let Some(b) = seq.next_element::<u8>()? {
            if bytes.len() > 256 {
                return Err(de::Error::custom("a CID is at most 256 bytes"));
            }
            bytes.push(b);
        }
        self.visit_bytes(&bytes)
    }
}

/// Reads a binary CID from a deserializer that holds one (CBOR tag 42's content).
pub(crate) fn cid_from_newtype<'de, D: Deserializer<'de>>(d: D) -> Result<::cid::Cid, D::Error> {
    d.deserialize_bytes(CidBytes)
}

// ---------------------------------------------------------------------------------------------
// Replaying a value into a typed one

impl<'de> IntoDeserializer<'de, DataError> for Data {
    type Deserializer = Data;

    fn into_deserializer(self) -> Data {
        self
    }
}

/// Replays the value into a typed one, as a binary format would (links as CIDs, bytes as byte
/// strings).
impl<'de> Deserializer<'de> for Data {
    type Error = DataError;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DataError> {
        match self {
            Data::Null => visitor.visit_unit(),
            Data::Bool(b) => visitor.visit_bool(b),
            Data::Integer(n) => visitor.visit_i64(n),
            Data::String(s) => visitor.visit_string(s),
            Data::Bytes(b) => visitor.visit_byte_buf(b.into()),
            Data::Link(l) => visitor.visit_newtype_struct(CidReplay(l.to_cid().to_bytes())),
            Data::Array(items) => {
                let mut seq = de::value::SeqDeserializer::new(items.into_iter());
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Data::Object(map) => {
                let mut m = de::value::MapDeserializer::new(map.into_iter());
                let out = visitor.visit_map(&mut m)?;
                m.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DataError> {
        match self {
            Data::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    // A string is asked for: only a string is one (serde's own visitors would also take bytes
    // that are UTF-8, which the data model keeps apart).
    fn deserialize_str<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DataError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DataError> {
        match self {
            Data::String(s) => visitor.visit_string(s),
            other => Err(DataError(format!(
                "invalid type: {}, expected {}",
                kind(&other),
                Expected(&visitor)
            ))),
        }
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DataError> {
        match self {
            Data::Link(l) if name == CID_SERDE_NAME => {
                visitor.visit_newtype_struct(CidReplay(l.to_cid().to_bytes()))
            }
            other if name == CID_SERDE_NAME => Err(DataError(format!(
                "expected a link, found {}",
                kind(&other)
            ))),
            other => visitor.visit_newtype_struct(other),
        }
    }

    fn is_human_readable(&self) -> bool {
        false
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// What a visitor expects, for errors.
struct Expected<'a, V>(&'a V);

impl<'de, V: de::Visitor<'de>> fmt::Display for Expected<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

/// What kind of value this is, for errors.
fn kind(d: &Data) -> &'static str {
    match d {
        Data::Null => "null",
        Data::Bool(_) => "a boolean",
        Data::Integer(_) => "an integer",
        Data::String(_) => "a string",
        Data::Bytes(_) => "bytes",
        Data::Link(_) => "a link",
        Data::Array(_) => "an array",
        Data::Object(_) => "an object",
    }
}

/// The bytes of a link, replayed.
struct CidReplay(Vec<u8>);

impl<'de> Deserializer<'de> for CidReplay {
    type Error = DataError;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DataError> {
        visitor.visit_byte_buf(self.0)
    }

    fn is_human_readable(&self) -> bool {
        false
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

// ---------------------------------------------------------------------------------------------
// Writing a typed value into the data model

/// A serializer whose output is a [`Data`] value (as a binary format: links and bytes kept).
struct DataSerializer;

fn float_error() -> DataError {
    DataError::new("a float is not in the data model (it has only integers)")
}

impl Serializer for DataSerializer {
    type Ok = Data;
    type Error = DataError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = ser::Impossible<Data, DataError>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = ser::Impossible<Data, DataError>;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, v: bool) -> Result<Data, DataError> {
        Ok(Data::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Data, DataError> {
        Ok(Data::Integer(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Data, DataError> {
        Ok(Data::Integer(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Data, DataError> {
        Ok(Data::Integer(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Data, DataError> {
        Ok(Data::Integer(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Data, DataError> {
        Ok(Data::Integer(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Data, DataError> {
        Ok(Data::Integer(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Data, DataError> {
        Ok(Data::Integer(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Data, DataError> {
        i64::try_from(v)
            .map(Data::Integer)
            .map_err(|_| DataError(format!("{v} is out of the signed 64-bit integer range")))
    }
    fn serialize_f32(self, _: f32) -> Result<Data, DataError> {
        Err(float_error())
    }
    fn serialize_f64(self, _: f64) -> Result<Data, DataError> {
        Err(float_error())
    }
    fn serialize_char(self, v: char) -> Result<Data, DataError> {
        Ok(Data::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Data, DataError> {
        Ok(Data::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Data, DataError> {
        Ok(Data::Bytes(Bytes::from(v.to_vec())))
    }
    fn serialize_none(self) -> Result<Data, DataError> {
        Ok(Data::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Data, DataError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Data, DataError> {
        Ok(Data::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Data, DataError> {
        Ok(Data::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Data, DataError> {
        Ok(Data::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Data, DataError> {
        if name == CID_SERDE_NAME {
            let Data::Bytes(bytes) = value.serialize(DataSerializer)? else {
                return Err(DataError::new("a CID must serialize as bytes"));
            };
            let cid = ::cid::Cid::try_from(bytes.as_slice())
                .map_err(|e| DataError(format!("bad CID bytes: {e}")))?;
            return CidLink::from_binary(cid)
                .map(Data::Link)
                .map_err(|e| DataError(e.to_string()));
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Data, DataError> {
        let mut map = DataMap::new();
        map.insert(variant.to_owned(), value.serialize(DataSerializer)?);
        Ok(Data::Object(map))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, DataError> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0).min(1024))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, DataError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, DataError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, DataError> {
        Err(DataError::new("tuple variants are not in the data model"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapBuilder, DataError> {
        Ok(MapBuilder {
            map: DataMap::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder, DataError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, DataError> {
        Err(DataError::new("struct variants are not in the data model"))
    }
}

struct SeqBuilder(Vec<Data>);

impl SerializeSeq for SeqBuilder {
    type Ok = Data;
    type Error = DataError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), DataError> {
        self.0.push(value.serialize(DataSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Data, DataError> {
        Ok(Data::Array(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Data;
    type Error = DataError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), DataError> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Data, DataError> {
        SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Data;
    type Error = DataError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), DataError> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Data, DataError> {
        SerializeSeq::end(self)
    }
}

struct MapBuilder {
    map: DataMap,
    key: Option<String>,
}

impl SerializeMap for MapBuilder {
    type Ok = Data;
    type Error = DataError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), DataError> {
        match key.serialize(DataSerializer)? {
            Data::String(k) => {
                self.key = Some(k);
                Ok(())
            }
            other => Err(DataError(format!(
                "a map key must be a string, not {}",
                kind(&other)
            ))),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), DataError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| DataError::new("a map value without a key"))?;
        let value = value.serialize(DataSerializer)?;
        if self.map.insert(key, value).is_some() {
            return Err(DataError::new("a map key written twice"));
        }
        Ok(())
    }
    fn end(self) -> Result<Data, DataError> {
        Ok(Data::Object(self.map))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Data;
    type Error = DataError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), DataError> {
        self.key = Some(key.to_owned());
        SerializeMap::serialize_value(self, value)
    }
    fn end(self) -> Result<Data, DataError> {
        SerializeMap::end(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CID: &str = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a";

    #[test]
    fn json_round_trip_keeps_links_and_bytes() {
        let v = json!({"l": {"$link": CID}, "b": {"$bytes": "AQID"}, "n": [1, -2], "s": "x", "z": null});
        let d = Data::from_json(&v).unwrap();
        let map = d.as_object().unwrap();
        assert!(matches!(map["l"], Data::Link(_)));
        assert_eq!(map["b"], Data::Bytes(vec![1, 2, 3].into()));
        assert_eq!(d.to_json(), v);
        assert_eq!(d, v);
    }

    #[test]
    fn errors_name_the_path() {
        let e = Data::from_json(&json!({"a": [1, {"b": 1.5}]})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`a[1].b` is 1.5, a float; the data model has only integers"
        );
        let e = Data::from_json(&json!({"a": {"$link": CID, "x": 1}})).unwrap_err();
        assert!(e.to_string().starts_with("`a` is not a valid link"), "{e}");
        assert!(Data::from_json(&json!({"a": {"$bytes": 1}})).is_err());
        assert!(Data::from_json(&json!(u64::MAX)).is_err());
        assert_eq!(Data::from_json(&json!(3.0)).unwrap(), Data::Integer(3));
    }

    #[test]
    fn replays_into_typed_values() {
        let d = Data::from_json(&json!({"l": {"$link": CID}, "b": {"$bytes": "AQID"}})).unwrap();
        #[derive(serde::Deserialize)]
        struct T {
            l: CidLink,
            b: Bytes,
        }
        let t: T = d.to_typed().unwrap();
        assert_eq!(t.l.as_str(), CID);
        assert_eq!(t.b.as_slice(), [1, 2, 3]);
        let again = Data::from_serialize(&d).unwrap();
        assert_eq!(again, d);
        assert!(Data::from_serialize(&1.5f64).is_err());
    }
}
