//! Helpers that generated code calls. Not a public API: reached through `atlex::__private`.

use crate::types::{Data, DataMap};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::SerializeMap;
use serde_json::Value;
use std::fmt;

/// A map key or short string, borrowed from the input when the deserializer allows.
#[derive(Debug)]
pub enum Key<'de> {
    /// Borrowed from the input.
    Borrowed(&'de str),
    /// Copied (escaped strings, readers).
    Owned(String),
    /// The `$type` a union put before its variant's properties (the union read it; the
    /// variant's own input may or may not have had it first). Never produced by an input's
    /// own keys: a union gives this key as bytes, which no format gives for a map key.
    UnionTag,
}

impl Key<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
            Key::UnionTag => "$type",
        }
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_owned(),
            Key::Owned(s) => s,
            Key::UnionTag => "$type".to_owned(),
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
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key<'de>, E> {
                if v == UNION_TAG {
                    Ok(Key::UnionTag)
                } else {
                    Err(E::invalid_type(de::Unexpected::Bytes(v), &self))
                }
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

/// The `$type` of a union value read whole.
fn union_tag<E: de::Error>(object: &DataMap) -> Result<String, E> {
    match object.get("$type") {
        Some(Data::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Data::String(_)) => Err(E::custom("a union value has an empty $type")),
        Some(_) => Err(E::custom("a union value's $type must be a string")),
        None => Err(E::custom("a union value needs a $type naming its variant")),
    }
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

/// A union's dispatch on `$type`, generated per union: deserializes the variant named `tag`
/// from `d` (the whole object, `$type` included).
pub trait UnionTag: Sized {
    /// The variant for `tag`, read from `d`.
    fn from_tagged<'de, D: Deserializer<'de>>(tag: &str, d: D) -> Result<Self, D::Error>;
}

/// The key a union gives its variant for the `$type` it read, as bytes (see [`Key::UnionTag`]).
pub(crate) const UNION_TAG: &[u8] = b"$type";

/// Deserializes a union: when `$type` is the object's first key (as writers put it), the
/// variant reads the rest of the object straight from the input; otherwise the object is
/// buffered first to find its `$type`.
pub fn deserialize_union<'de, U: UnionTag, D: Deserializer<'de>>(d: D) -> Result<U, D::Error> {
    struct V<U> {
        readable: bool,
        _u: std::marker::PhantomData<U>,
    }
    impl<'de, U: UnionTag> Visitor<'de> for V<U> {
        type Value = U;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object with a $type")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<U, A::Error> {
            let Some(first) = map.next_key::<Key<'de>>()? else {
                return Err(de::Error::custom(
                    "a union value needs a $type naming its variant",
                ));
            };
            if first.as_str() == "$type" {
                let tag: Key<'de> = map.next_value()?;
                check_type_ref(tag.as_str()).map_err(de::Error::custom)?;
                let rest = PrependType {
                    tag: Some(tag.as_str().to_owned()),
                    value_pending: false,
                    map,
                };
                return U::from_tagged(
                    tag.as_str(),
                    MapDe {
                        map: rest,
                        readable: self.readable,
                    },
                );
            }
            // `$type` comes later (in DAG-CBOR's key order it often does): the object is read
            // into the data model first, links and bytes kept as such.
            let mut object = DataMap::new();
            let value: Data = map.next_value()?;
            object.insert(first.into_string(), value);
            while let Some(k) = map.next_key::<String>()? {
                let v: Data = map.next_value()?;
                if object.contains_key(&k) {
                    return Err(de::Error::custom(format_args!("duplicate field `{k}`")));
                }
                object.insert(k, v);
            }
            let tag: String = union_tag(&object)?;
            check_type_ref(&tag).map_err(de::Error::custom)?;
            object.remove("$type");
            U::from_tagged(
                &tag,
                UnionReplay {
                    tag: Some(tag.clone()),
                    rest: object.into_iter(),
                    value: None,
                },
            )
            .map_err(de::Error::custom)
        }
    }
    let readable = d.is_human_readable();
    // Asked for as a struct of this name: a format that can find `$type` ahead (atlex's
    // DAG-CBOR reader) gives it first, so the object is not buffered; others read a map.
    d.deserialize_struct(
        UNION_STRUCT,
        &[],
        V {
            readable,
            _u: std::marker::PhantomData,
        },
    )
}

/// The struct name under which a union asks for its object (see [`deserialize_union`]).
pub(crate) const UNION_STRUCT: &str = "$atlex::union";

/// Deserializes a union value whose tag is given apart from it (an event stream's header
/// names the message type; the body has no `$type`): the variant for `tag` reads the body,
/// with the tag put first as a union's own.
#[cfg(feature = "cbor")]
pub(crate) fn deserialize_tagged<'de, U: UnionTag, D: Deserializer<'de>>(
    tag: &str,
    d: D,
) -> Result<U, D::Error> {
    struct V<'t, U>(&'t str, bool, std::marker::PhantomData<U>);
    impl<'de, U: UnionTag> Visitor<'de> for V<'_, U> {
        type Value = U;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a message body (an object)")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<U, A::Error> {
            let rest = PrependType {
                tag: Some(self.0.to_owned()),
                value_pending: false,
                map,
            };
            U::from_tagged(
                self.0,
                MapDe {
                    map: rest,
                    readable: self.1,
                },
            )
        }
    }
    let readable = d.is_human_readable();
    d.deserialize_map(V(tag, readable, std::marker::PhantomData))
}

/// A map access as a deserializer that keeps the readability of the input it comes from
/// (serde's `MapAccessDeserializer` always says human-readable).
struct MapDe<A> {
    map: A,
    readable: bool,
}

impl<'de, A: de::MapAccess<'de>> Deserializer<'de> for MapDe<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.map)
    }

    fn is_human_readable(&self) -> bool {
        self.readable
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A map that yields `"$type": tag` first, then the rest of `map`.
struct PrependType<A> {
    tag: Option<String>,
    value_pending: bool,
    map: A,
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for PrependType<A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if self.tag.is_some() && !self.value_pending {
            self.value_pending = true;
            return seed
                .deserialize(de::value::BytesDeserializer::<A::Error>::new(UNION_TAG))
                .map(Some);
        }
        self.map.next_key_seed(seed)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        if self.value_pending {
            if let Some(tag) = self.tag.take() {
                self.value_pending = false;
                return seed.deserialize(de::value::StringDeserializer::<A::Error>::new(tag));
            }
        }
        self.map.next_value_seed(seed)
    }
}

/// A union value read whole, given to its variant: `$type` first (as [`Key::UnionTag`]), then
/// the rest, as a binary format would (links and bytes as such).
struct UnionReplay {
    tag: Option<String>,
    rest: std::collections::btree_map::IntoIter<String, Data>,
    value: Option<Data>,
}

impl<'de> de::MapAccess<'de> for UnionReplay {
    type Error = crate::types::DataError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        if let Some(tag) = self.tag.take() {
            self.value = Some(Data::String(tag));
            return seed
                .deserialize(de::value::BytesDeserializer::new(UNION_TAG))
                .map(Some);
        }
        match self.rest.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(de::value::StringDeserializer::new(k))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(v),
            None => Err(de::Error::custom("a map value without a key")),
        }
    }
}

impl<'de> Deserializer<'de> for UnionReplay {
    type Error = crate::types::DataError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(self)
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

/// A union's `$type` names a lexicon definition: an NSID, optionally with `#name`. The few
/// tags seen last on this thread are remembered, since the same ones come again and again.
fn check_type_ref(tag: &str) -> Result<(), String> {
    use std::cell::RefCell;
    const KEPT: usize = 16;
    thread_local! {
        static RECENT: RefCell<(usize, [String; KEPT])> = RefCell::new(Default::default());
    }
    let known = RECENT.with(|r| r.borrow().1.iter().any(|t| t == tag));
    if known {
        return Ok(());
    }
    check_type_ref_uncached(tag)?;
    RECENT.with(|r| {
        let mut r = r.borrow_mut();
        let next = r.0;
        r.1[next] = tag.to_owned();
        r.0 = (next + 1) % KEPT;
    });
    Ok(())
}

fn check_type_ref_uncached(tag: &str) -> Result<(), String> {
    let (nsid, name) = match tag.split_once('#') {
        Some((nsid, name)) => (nsid, Some(name)),
        None => (tag, None),
    };
    let name_ok = name.is_none_or(|n| {
        n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    if atlex_syntax::nsid(nsid).is_ok() && name_ok {
        Ok(())
    } else {
        let shown: String = tag.chars().take(100).collect();
        Err(format!(
            "union $type {shown:?} is not an NSID reference (`nsid` or `nsid#name`)"
        ))
    }
}

/// The slot (see [`Slots`]) of a property whose value holds integers where serde reads them as
/// such: the value itself, inside `Option`s and inside arrays (`i64`, `Option<Option<i64>>`,
/// `Vec<i64>`, an alias of any of them, a type from another module that may be one). It is read
/// through `Ints`, so that each of those integers also reads from a float with no fractional
/// part (`4.0`), as the data model allows; any other float is refused as serde refuses it.
#[derive(Debug)]
pub struct IntSlot<T>(pub Option<T>);

impl<T> Default for IntSlot<T> {
    #[inline]
    fn default() -> Self {
        IntSlot(None)
    }
}

impl<'de, T: Deserialize<'de>> Slots<'de> for IntSlot<T> {
    const WIDTH: usize = 1;

    #[inline]
    fn read<M: de::MapAccess<'de>>(
        &mut self,
        _index: usize,
        map: &mut M,
        name: &'static str,
    ) -> Result<(), M::Error> {
        if self.0.is_some() {
            return Err(de::Error::duplicate_field(name));
        }
        self.0 = Some(map.next_value_seed(Ints(std::marker::PhantomData::<T>))?);
        Ok(())
    }
}

/// Reads integers leniently, wrapping serde's four roles: as a seed, it deserializes its value
/// through `Ints<D>`; as a deserializer, it asks the one it wraps for any value where an `i64`
/// is wanted, and wraps the visitor where an `Option` or a sequence is wanted; as a visitor, it
/// turns an integral float into an integer (`4.0` into 4) and wraps what an `Option` or a
/// sequence reads next; as a sequence, it reads each element as a seed. Every other request
/// goes through unchanged, so objects, strings and unknown data read exactly as they would.
struct Ints<T>(T);

impl<'de, S: de::DeserializeSeed<'de>> de::DeserializeSeed<'de> for Ints<S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Ints(d))
    }
}

/// Reads an integer of the data model: a signed 64-bit integer, or (from JSON) a float with
/// no fractional part.
struct AnInteger;

impl Visitor<'_> for AnInteger {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    #[inline]
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    #[inline]
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| {
            E::custom(format_args!(
                "integer {v} is out of the 64-bit signed range"
            ))
        })
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| {
            E::custom(format_args!(
                "integer {v} is out of the 64-bit signed range"
            ))
        })
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| {
            E::custom(format_args!(
                "integer {v} is out of the 64-bit signed range"
            ))
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // 2^63 is exactly representable; anything at or past it is out of range.
        if v.fract() == 0.0
            && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v)
        {
            Ok(v as i64)
        } else {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }
    }
}

/// Forwards `Deserializer` methods to the wrapped deserializer, unchanged.
macro_rules! forward_de {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* v: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* v)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Ints<D> {
    type Error = D::Error;

    #[inline]
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        // The integer is read here, so that an error names the lexicon's type.
        let n = self.0.deserialize_any(AnInteger)?;
        v.visit_i64(n)
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(Ints(v))
    }

    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_seq(Ints(v))
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }

    forward_de! {
        deserialize_any(); deserialize_bool(); deserialize_i8(); deserialize_i16();
        deserialize_i32(); deserialize_i128(); deserialize_u8(); deserialize_u16();
        deserialize_u32(); deserialize_u64(); deserialize_u128(); deserialize_f32();
        deserialize_f64(); deserialize_char(); deserialize_str(); deserialize_string();
        deserialize_bytes(); deserialize_byte_buf(); deserialize_unit(); deserialize_map();
        deserialize_identifier(); deserialize_ignored_any();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }
}

/// Forwards `Visitor` methods to the wrapped visitor, unchanged.
macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        #[inline]
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.0.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Ints<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    #[inline]
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        // 2^63 is exactly representable; anything at or past it is out of range.
        if v.fract() == 0.0
            && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v)
        {
            self.0.visit_i64(v as i64)
        } else {
            self.0.visit_f64(v)
        }
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Ints(d))
    }

    #[inline]
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Ints(seq))
    }

    #[inline]
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    #[inline]
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(d)
    }

    #[inline]
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }

    #[inline]
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(data)
    }

    forward_visit! {
        visit_bool(bool); visit_i64(i64); visit_u64(u64); visit_i128(i128); visit_u128(u128);
        visit_char(char); visit_str(&str); visit_borrowed_str(&'de str); visit_string(String);
        visit_bytes(&[u8]); visit_borrowed_bytes(&'de [u8]); visit_byte_buf(Vec<u8>);
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Ints<A> {
    type Error = A::Error;

    #[inline]
    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Ints(seed))
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// What the runtime needs to read a generated object: emitted as an associated constant.
#[derive(Debug)]
pub struct ObjectInfo {
    /// What the value is, for "invalid type" errors (`an object (Input)`).
    pub expecting: &'static str,
    /// The wire names of the properties, in slot order.
    pub keys: &'static [&'static str],
    /// For a record: its NSID, which `$type` must name (and must be present).
    pub record: Option<&'static str>,
    /// Whether properties the lexicon does not define are kept (otherwise skipped).
    pub keep_extra: bool,
    /// The indexes (into `keys`) of the required properties.
    pub required: &'static [usize],
}

/// The wire name of the first required property not seen (`seen`: a bit per index below 128).
fn missing(info: &ObjectInfo, seen: u128) -> &'static str {
    info.required
        .iter()
        .find(|&&i| i >= 128 || seen & (1 << i) == 0)
        .and_then(|&i| info.keys.get(i).copied())
        .unwrap_or("a required property")
}

/// Deserializes a generated object: one map loop for every object. The generated code gives
/// the object's [`ObjectInfo`] and its `build` function, which turns the slots (a tuple of
/// `Option`s, see [`Slots`]) into the value, or `None` when a required property is absent.
pub fn deserialize_object<'de, T, S: Slots<'de>, D: Deserializer<'de>>(
    d: D,
    info: &'static ObjectInfo,
    build: fn(S, crate::types::Extra) -> Option<T>,
) -> Result<T, D::Error> {
    struct V<T, S> {
        info: &'static ObjectInfo,
        build: fn(S, crate::types::Extra) -> Option<T>,
    }
    impl<'de, T, S: Slots<'de>> Visitor<'de> for V<T, S> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.info.expecting)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let info = self.info;
            let mut slots = S::default();
            let mut extra = crate::types::Extra::new();
            let mut has_type = false;
            let mut seen: u128 = 0;
            while let Some(key) = map.next_key::<Key<'de>>()? {
                let k = key.as_str();
                if let Some(i) = info.keys.iter().position(|n| *n == k) {
                    slots.read(i, &mut map, info.keys[i])?;
                    if i < 128 {
                        seen |= 1 << i;
                    }
                } else if k == "$type" {
                    match info.record {
                        Some(nsid) => {
                            let t: Key<'de> = map.next_value()?;
                            if t.as_str() != nsid {
                                return Err(de::Error::custom(format_args!(
                                    "expected $type {:?}, found {:?}",
                                    nsid,
                                    t.as_str()
                                )));
                            }
                            has_type = true;
                        }
                        // A union's tag is the union's to write; a `$type` the input carries
                        // at a plain `ref` is kept, so writing the value back changes nothing.
                        None if info.keep_extra && !matches!(key, Key::UnionTag) => {
                            let value: Data = map.next_value()?;
                            match &value {
                                Data::String(t) if !t.is_empty() => {}
                                _ => {
                                    return Err(de::Error::custom(
                                        "a $type must be a non-empty string (the data model)",
                                    ))
                                }
                            }
                            extra.insert(key.into_string(), value);
                        }
                        None => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                } else if info.keep_extra {
                    let value = map.next_value()?;
                    extra.insert(key.into_string(), value);
                } else {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            if info.record.is_some() && !has_type {
                return Err(de::Error::missing_field("$type"));
            }
            match (self.build)(slots, extra) {
                Some(value) => Ok(value),
                None => Err(de::Error::missing_field(missing(info, seen))),
            }
        }
    }
    d.deserialize_map(V { info, build })
}

/// The values of an object's properties while it is read: `Option<T>` for one property, and
/// tuples of slots for several (so the generated code only names the slot types).
pub trait Slots<'de>: Default {
    /// How many properties this holds.
    const WIDTH: usize;
    /// Reads property `index` (counted within this slot) from `map`; `name` is its wire name,
    /// for the error when it comes twice.
    fn read<M: de::MapAccess<'de>>(
        &mut self,
        index: usize,
        map: &mut M,
        name: &'static str,
    ) -> Result<(), M::Error>;
}

impl<'de, T: Deserialize<'de>> Slots<'de> for Option<T> {
    const WIDTH: usize = 1;

    #[inline]
    fn read<M: de::MapAccess<'de>>(
        &mut self,
        _index: usize,
        map: &mut M,
        name: &'static str,
    ) -> Result<(), M::Error> {
        if self.is_some() {
            return Err(de::Error::duplicate_field(name));
        }
        *self = Some(map.next_value()?);
        Ok(())
    }
}

macro_rules! tuple_slots {
    ($($t:ident $i:tt),*) => {
        impl<'de, $($t: Slots<'de>),*> Slots<'de> for ($($t,)*) {
            const WIDTH: usize = 0 $(+ $t::WIDTH)*;

            #[inline]
            #[allow(unused_assignments, unused_mut, unused_variables)]
            fn read<M: de::MapAccess<'de>>(
                &mut self,
                index: usize,
                map: &mut M,
                name: &'static str,
            ) -> Result<(), M::Error> {
                let mut start = 0;
                $(
                    if index < start + $t::WIDTH {
                        return self.$i.read(index - start, map, name);
                    }
                    start += $t::WIDTH;
                )*
                Ok(())
            }
        }
    };
}

tuple_slots!();
tuple_slots!(A 0);
tuple_slots!(A 0, B 1);
tuple_slots!(A 0, B 1, C 2);
tuple_slots!(A 0, B 1, C 2, D 3);
tuple_slots!(A 0, B 1, C 2, D 3, E 4);
tuple_slots!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// Writes a generated object as a map, one chained call per property, keeping the first error.
pub struct ObjectWriter<S: serde::Serializer> {
    state: Result<S::SerializeMap, S::Error>,
}

impl<S: serde::Serializer> fmt::Debug for ObjectWriter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectWriter")
            .field("failed", &self.state.is_err())
            .finish_non_exhaustive()
    }
}

impl<S: serde::Serializer> ObjectWriter<S> {
    /// Opens the map; a record writes `"$type": record` first.
    #[inline]
    pub fn new(serializer: S, record: Option<&'static str>) -> Self {
        let mut state = serializer.serialize_map(None);
        if let (Some(nsid), Ok(map)) = (record, &mut state) {
            if let Err(e) = map.serialize_entry("$type", nsid) {
                state = Err(e);
            }
        }
        ObjectWriter { state }
    }

    /// Writes `name: value`.
    #[inline]
    pub fn field<T: serde::Serialize + ?Sized>(mut self, name: &'static str, value: &T) -> Self {
        if let Ok(map) = &mut self.state {
            if let Err(e) = map.serialize_entry(name, value) {
                self.state = Err(e);
            }
        }
        self
    }

    /// Writes `name: value` when `write` holds (a defaulted property: written unless it was
    /// absent on input and is unchanged).
    #[inline]
    pub fn field_if<T: serde::Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
        write: bool,
    ) -> Self {
        if write {
            self.field(name, value)
        } else {
            self
        }
    }

    /// Writes `name: value` when the property is present.
    #[inline]
    pub fn optional<T: serde::Serialize>(self, name: &'static str, value: &Option<T>) -> Self {
        match value {
            Some(v) => self.field(name, v),
            None => self,
        }
    }

    /// Writes the properties the lexicon does not define, and ends the map.
    #[inline]
    pub fn extra(mut self, extra: &crate::types::Extra) -> Result<S::Ok, S::Error> {
        if let Ok(map) = &mut self.state {
            for (k, v) in extra {
                map.serialize_entry(k, v)?;
            }
        }
        self.end()
    }

    /// Ends the map.
    #[inline]
    pub fn end(self) -> Result<S::Ok, S::Error> {
        self.state?.end()
    }
}

/// Serializes a union variant: `"$type": tag`, then the variant's own properties (an object's
/// `Serialize` opens a map; this puts the tag first and drops a `$type` the variant writes
/// itself, as a record does).
#[inline]
pub fn serialize_variant<T: serde::Serialize + ?Sized, S: serde::Serializer>(
    value: &T,
    tag: &'static str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value.serialize(TypeFirst {
        inner: serializer,
        tag,
    })
}

/// The error of [`TypeFirst`] for anything but a map.
fn not_an_object<E: serde::ser::Error>() -> E {
    E::custom("a union variant must be an object")
}

/// A serializer that accepts a map only, and writes `"$type": tag` into it first.
struct TypeFirst<S> {
    inner: S,
    tag: &'static str,
}

/// The map of [`TypeFirst`]: entries keyed `$type` are skipped (the tag is already written).
struct TypeFirstMap<M> {
    map: M,
    skip_value: bool,
}

impl<M: SerializeMap> SerializeMap for TypeFirstMap<M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_key<K: serde::Serialize + ?Sized>(&mut self, key: &K) -> Result<(), M::Error> {
        if is_type_key(key) {
            self.skip_value = true;
            return Ok(());
        }
        self.map.serialize_key(key)
    }

    fn serialize_value<V: serde::Serialize + ?Sized>(&mut self, value: &V) -> Result<(), M::Error> {
        if std::mem::take(&mut self.skip_value) {
            return Ok(());
        }
        self.map.serialize_value(value)
    }

    fn serialize_entry<K: serde::Serialize + ?Sized, V: serde::Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), M::Error> {
        if is_type_key(key) {
            return Ok(());
        }
        self.map.serialize_entry(key, value)
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.map.end()
    }
}

/// Whether a map key serializes as the string `$type`.
fn is_type_key<K: serde::Serialize + ?Sized>(key: &K) -> bool {
    key.serialize(KeyProbe).unwrap_or(false)
}

/// Tells whether a value is the string `$type` (every other shape answers `false`).
struct KeyProbe;

/// The error type of [`KeyProbe`] (never produced for a plain key).
#[derive(Debug)]
struct ProbeError;

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a string key")
    }
}

impl std::error::Error for ProbeError {}

impl serde::ser::Error for ProbeError {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        ProbeError
    }
}

macro_rules! probe_false {
    ($($name:ident($($arg:ty),*);)*) => {$(
        fn $name(self, $(_: $arg),*) -> Result<bool, ProbeError> {
            Ok(false)
        }
    )*};
}

macro_rules! not_a_map {
    ($($name:ident($($arg:ty),*);)*) => {$(
        fn $name(self, $(_: $arg),*) -> Result<S::Ok, S::Error> {
            Err(not_an_object())
        }
    )*};
}

impl serde::Serializer for KeyProbe {
    type Ok = bool;
    type Error = ProbeError;
    type SerializeSeq = serde::ser::Impossible<bool, ProbeError>;
    type SerializeTuple = serde::ser::Impossible<bool, ProbeError>;
    type SerializeTupleStruct = serde::ser::Impossible<bool, ProbeError>;
    type SerializeTupleVariant = serde::ser::Impossible<bool, ProbeError>;
    type SerializeMap = serde::ser::Impossible<bool, ProbeError>;
    type SerializeStruct = serde::ser::Impossible<bool, ProbeError>;
    type SerializeStructVariant = serde::ser::Impossible<bool, ProbeError>;

    fn serialize_str(self, v: &str) -> Result<bool, ProbeError> {
        Ok(v == "$type")
    }

    probe_false! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_bytes(&[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: serde::Serialize + ?Sized>(self, _: &T) -> Result<bool, ProbeError> {
        Ok(false)
    }
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<bool, ProbeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<bool, ProbeError> {
        Ok(false)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, ProbeError> {
        Err(ProbeError)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, ProbeError> {
        Err(ProbeError)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, ProbeError> {
        Err(ProbeError)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ProbeError> {
        Err(ProbeError)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, ProbeError> {
        Err(ProbeError)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, ProbeError> {
        Err(ProbeError)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ProbeError> {
        Err(ProbeError)
    }
}

impl<S: serde::Serializer> serde::Serializer for TypeFirst<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = serde::ser::Impossible<S::Ok, S::Error>;
    type SerializeTuple = serde::ser::Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = serde::ser::Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = serde::ser::Impossible<S::Ok, S::Error>;
    type SerializeMap = TypeFirstMap<S::SerializeMap>;
    type SerializeStruct = serde::ser::Impossible<S::Ok, S::Error>;
    type SerializeStructVariant = serde::ser::Impossible<S::Ok, S::Error>;

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let mut map = self.inner.serialize_map(len.map(|n| n + 1))?;
        map.serialize_entry("$type", self.tag)?;
        Ok(TypeFirstMap {
            map,
            skip_value: false,
        })
    }

    not_a_map! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str); serialize_bytes(&[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_an_object())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Err(not_an_object())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, S::Error> {
        Err(not_an_object())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Err(not_an_object())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        Err(not_an_object())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Err(not_an_object())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        Err(not_an_object())
    }
}

/// `Debug` of a generated object: `Name { property: value, .. }` with what its `Serialize`
/// writes (present properties, by wire name, unknown ones included); the value of any property
/// whose name marks a secret (`password`, `*Jwt`, `*secret*`, `*token`) is `<redacted>`, at any
/// depth.
pub fn debug_object<T: serde::Serialize + ?Sized>(
    value: &T,
    name: &str,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => {
            let mut d = f.debug_struct(name);
            for (k, v) in &map {
                d.field(k, &Shown(k, v));
            }
            d.finish()
        }
        Ok(other) => f.debug_tuple(name).field(&Shown("", &other)).finish(),
        Err(e) => write!(f, "{name} {{ <not printable: {e}> }}"),
    }
}

/// Whether a property's name marks its value as a secret, kept out of `Debug` output.
pub fn is_secret(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.contains("password") || l.contains("jwt") || l.contains("secret") || l.ends_with("token")
}

/// A value inside `Debug` output, under property `key`.
struct Shown<'a>(&'a str, &'a Value);

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Shown(key, value) = *self;
        if !value.is_null() && is_secret(key) {
            return f.write_str("<redacted>");
        }
        match value {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Array(items) => f
                .debug_list()
                .entries(items.iter().map(|v| Shown("", v)))
                .finish(),
            Value::Object(map) => f
                .debug_map()
                .entries(map.iter().map(|(k, v)| (k, Shown(k, v))))
                .finish(),
        }
    }
}

/// Reads a union variant of type `T` from `d` and wraps it with `wrap` (the variant's
/// constructor).
#[inline]
pub fn variant<'de, T: Deserialize<'de>, U, D: Deserializer<'de>>(
    d: D,
    wrap: fn(Box<T>) -> U,
) -> Result<U, D::Error> {
    T::deserialize(d).map(|v| wrap(Box::new(v)))
}

/// Reads an open union's unknown variant whole.
#[inline]
pub fn unknown_variant<'de, U, D: Deserializer<'de>>(
    d: D,
    wrap: fn(crate::types::Unknown) -> U,
) -> Result<U, D::Error> {
    crate::types::Unknown::deserialize(d).map(wrap)
}

/// `Debug` of an enum's tuple variant: `Name(value)`.
#[inline]
pub fn debug_variant(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    value: &dyn fmt::Debug,
) -> fmt::Result {
    f.debug_tuple(name).field(value).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as generated code writes and reads one.
    #[derive(Debug, PartialEq)]
    struct Pin {
        note: String,
        count: Option<i64>,
        extra: crate::types::Extra,
    }

    const PIN: ObjectInfo = ObjectInfo {
        expecting: "a com.example.pin record",
        keys: &["note", "count"],
        record: Some("com.example.pin"),
        keep_extra: true,
        required: &[0],
    };

    fn build(s: (Option<String>, IntSlot<i64>), extra: crate::types::Extra) -> Option<Pin> {
        let (note, IntSlot(count)) = s;
        match (note,) {
            (Some(note),) => Some(Pin { note, count, extra }),
            _ => None,
        }
    }

    impl serde::Serialize for Pin {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            ObjectWriter::new(s, Some("com.example.pin"))
                .field("note", &self.note)
                .optional("count", &self.count)
                .extra(&self.extra)
        }
    }

    impl<'de> Deserialize<'de> for Pin {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deserialize_object(d, &PIN, build)
        }
    }

    #[test]
    fn objects_read_and_write_through_the_shared_loop() {
        let text = r#"{"$type":"com.example.pin","note":"hi","count":4.0,"other":[1]}"#;
        let pin: Pin = serde_json::from_str(text).unwrap();
        assert_eq!(pin.note, "hi");
        assert_eq!(pin.count, Some(4));
        assert_eq!(pin.extra["other"], serde_json::json!([1]));
        let back = serde_json::to_string(&pin).unwrap();
        assert_eq!(
            back,
            r#"{"$type":"com.example.pin","note":"hi","count":4,"other":[1]}"#
        );

        let missing = serde_json::from_str::<Pin>(r#"{"$type":"com.example.pin"}"#).unwrap_err();
        assert!(
            missing.to_string().contains("missing field `note`"),
            "{missing}"
        );
        let twice =
            serde_json::from_str::<Pin>(r#"{"$type":"com.example.pin","note":"a","note":"b"}"#)
                .unwrap_err();
        assert!(
            twice.to_string().contains("duplicate field `note`"),
            "{twice}"
        );
        let untyped = serde_json::from_str::<Pin>(r#"{"note":"a"}"#).unwrap_err();
        assert!(
            untyped.to_string().contains("missing field `$type`"),
            "{untyped}"
        );
        let wrong =
            serde_json::from_str::<Pin>(r#"{"$type":"com.example.other","note":"a"}"#).unwrap_err();
        assert!(wrong.to_string().contains("expected $type"), "{wrong}");
    }

    #[test]
    fn integers_read_from_integral_floats_where_serde_reads_integers() {
        fn read<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
            let mut d = serde_json::Deserializer::from_str(text);
            de::DeserializeSeed::deserialize(Ints(std::marker::PhantomData::<T>), &mut d)
                .map_err(|e| e.to_string())
        }
        assert_eq!(read::<i64>("4.0"), Ok(4));
        assert_eq!(read::<i64>("-0.0"), Ok(0));
        assert_eq!(read::<Option<Option<i64>>>("4.0"), Ok(Some(Some(4))));
        assert_eq!(read::<Option<i64>>("null"), Ok(None));
        assert_eq!(
            read::<Vec<Vec<i64>>>("[[4.0], [], [5]]"),
            Ok(vec![vec![4], vec![], vec![5]])
        );
        assert_eq!(
            read::<Option<Vec<Box<i64>>>>("[1e3]"),
            Ok(Some(vec![Box::new(1000)]))
        );
        for bad in ["4.5", "9223372036854775808.0", "1e300", "[4.5]"] {
            assert!(read::<Vec<i64>>(&format!("[{bad}]")).is_err(), "{bad}");
        }
        let err = read::<i64>("4.5").unwrap_err();
        assert!(
            err.contains("floating point `4.5`, expected an integer"),
            "{err}"
        );
        // Anything else reads as serde reads it.
        assert_eq!(
            read::<Option<String>>(r#""4.0""#),
            Ok(Some("4.0".to_owned()))
        );
        assert!(read::<i64>(r#""4""#).is_err());
        assert!(read::<Vec<i64>>("4").is_err());
        for text in ["4.0", "[4.0, 1]", r#"{"a": [4.0]}"#] {
            assert_eq!(
                read::<crate::types::Data>(text),
                serde_json::from_str(text).map_err(|e| e.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn a_union_variant_gets_one_type_first() {
        let pin = Pin {
            note: "hi".into(),
            count: None,
            extra: Default::default(),
        };
        // A record as a union variant: the union's tag first, the record's own `$type` dropped.
        let mut out = Vec::new();
        serialize_variant(
            &pin,
            "com.example.pin",
            &mut serde_json::Serializer::new(&mut out),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"$type":"com.example.pin","note":"hi"}"#
        );
        // Only objects can be variants.
        let mut out = Vec::new();
        let err = serialize_variant(&"text", "a.b.c", &mut serde_json::Serializer::new(&mut out))
            .unwrap_err();
        assert!(err.to_string().contains("must be an object"), "{err}");
    }

    #[test]
    fn debug_redacts_secrets_at_any_depth() {
        let value = serde_json::json!({
            "handle": "alice.test",
            "password": "hunter2",
            "nested": {"accessJwt": "eyJ", "items": [{"refreshToken": "r"}]},
            "emailAuthFactor": null
        });
        struct Shown<'a>(&'a serde_json::Value);
        impl fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                debug_object(self.0, "Input", f)
            }
        }
        let text = format!("{:?}", Shown(&value));
        for secret in ["hunter2", "eyJ", "\"r\""] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(
            text.contains("alice.test") && text.contains("<redacted>"),
            "{text}"
        );
        assert!(text.starts_with("Input {"), "{text}");
    }
}
