//! Helpers that generated code calls. Not a public API: reached through `atlex::__private`.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::SerializeMap;
use serde_json::{Map, Value};
use std::fmt;

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

/// The `$type` of a union value.
pub fn union_tag<E: de::Error>(object: &Map<String, Value>) -> Result<String, E> {
    match object.get("$type") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(E::custom("a union value has an empty $type")),
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

/// Deserializes a union: when `$type` is the object's first key (as writers put it), the
/// variant reads the rest of the object straight from the input; otherwise the object is
/// buffered first to find its `$type`.
pub fn deserialize_union<'de, U: UnionTag, D: Deserializer<'de>>(d: D) -> Result<U, D::Error> {
    struct V<U>(std::marker::PhantomData<U>);
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
                return U::from_tagged(tag.as_str(), de::value::MapAccessDeserializer::new(rest));
            }
            let mut object = Map::new();
            let value: Value = map.next_value()?;
            object.insert(first.into_string(), value);
            while let Some(k) = map.next_key::<String>()? {
                let v: Value = map.next_value()?;
                object.insert(k, v);
            }
            let tag: String = union_tag(&object)?;
            check_type_ref(&tag).map_err(de::Error::custom)?;
            U::from_tagged(&tag, Value::Object(object)).map_err(de::Error::custom)
        }
    }
    d.deserialize_map(V(std::marker::PhantomData))
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
                .deserialize(de::value::StrDeserializer::<A::Error>::new("$type"))
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

/// Writes an optional property when it is present.
#[inline]
pub fn optional_entry<M: SerializeMap, T: serde::Serialize>(
    map: &mut M,
    name: &'static str,
    value: &Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => map.serialize_entry(name, v),
        None => Ok(()),
    }
}

/// A union's `$type` names a lexicon definition: an NSID, optionally with `#name`.
fn check_type_ref(tag: &str) -> Result<(), String> {
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

/// An integer of the data model: also read from a float with no fractional part (`4.0`),
/// as the data model allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LexInt(pub i64);

/// Integers read as [`LexInt`].
#[inline]
pub fn ints(items: Vec<LexInt>) -> Vec<i64> {
    items.into_iter().map(|v| v.0).collect()
}

/// An optional integer read as [`LexInt`].
#[inline]
pub fn opt_int(v: Option<LexInt>) -> Option<i64> {
    v.map(|v| v.0)
}

/// An optional, nullable integer read as [`LexInt`].
#[inline]
pub fn opt_opt_int(v: Option<Option<LexInt>>) -> Option<Option<i64>> {
    v.map(opt_int)
}

impl<'de> Deserialize<'de> for LexInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LexInt;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LexInt, E> {
                Ok(LexInt(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LexInt, E> {
                i64::try_from(v).map(LexInt).map_err(|_| {
                    E::custom(format!("integer {v} is out of the 64-bit signed range"))
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LexInt, E> {
                // 2^63 is exactly representable; anything at or past it is out of range.
                if v.fract() == 0.0
                    && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v)
                {
                    Ok(LexInt(v as i64))
                } else {
                    Err(de::Error::invalid_type(de::Unexpected::Float(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A generated object's reading side, driven by [`deserialize_object`]: the generated code
/// says only how to read each property and how to build the value, so every object shares one
/// map loop.
pub trait Object: Sized {
    /// What the value is, for "invalid type" errors (`an object (Input)`).
    const EXPECTING: &'static str;
    /// The wire names of the properties, in order; [`Object::read`] takes an index into it.
    const KEYS: &'static [&'static str];
    /// For a record: its NSID, which `$type` must name (and must be present).
    const RECORD: Option<&'static str> = None;
    /// Whether properties the lexicon does not define are kept (otherwise skipped).
    const KEEP_EXTRA: bool = true;
    /// The indexes (into `KEYS`) of the required properties.
    const REQUIRED: &'static [usize] = &[];
    /// The values read so far: a tuple (of at most 12, nested beyond) with one `Option` per
    /// property, in `KEYS` order.
    type Slots: Slots;
    /// The value, once the map ends, with defaults applied; `None` when a required property is
    /// absent.
    fn build(slots: Self::Slots, extra: crate::types::Extra) -> Option<Self>;
    /// Writes every present property, then the unknown ones, into a map the caller opened
    /// (so that a record or a union variant can put `$type` first).
    fn write<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// The wire name of the first required property not seen (`seen`: a bit per index below 128).
fn missing<T: Object>(seen: u128) -> &'static str {
    T::REQUIRED
        .iter()
        .find(|&&i| i >= 128 || seen & (1 << i) == 0)
        .and_then(|&i| T::KEYS.get(i).copied())
        .unwrap_or("a required property")
}

/// Deserializes a generated object (see [`Object`]).
pub fn deserialize_object<'de, T: Object, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Object> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(T::EXPECTING)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut slots = T::Slots::default();
            let mut extra = crate::types::Extra::new();
            let mut has_type = false;
            let mut seen: u128 = 0;
            while let Some(key) = map.next_key::<Key<'de>>()? {
                let k = key.as_str();
                if let Some(i) = T::KEYS.iter().position(|n| *n == k) {
                    slots.read(i, &mut map, T::KEYS[i])?;
                    if i < 128 {
                        seen |= 1 << i;
                    }
                } else if k == "$type" {
                    match T::RECORD {
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
                        None => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                } else if T::KEEP_EXTRA {
                    let value = map.next_value()?;
                    extra.insert(key.into_string(), value);
                } else {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            if T::RECORD.is_some() && !has_type {
                return Err(de::Error::missing_field("$type"));
            }
            match T::build(slots, extra) {
                Some(value) => Ok(value),
                None => Err(de::Error::missing_field(missing::<T>(seen))),
            }
        }
    }
    d.deserialize_map(V(std::marker::PhantomData))
}

/// The values of an object's properties while it is read: `Option<T>` for one property, and
/// tuples of slots for several (so the generated code only names the slot types).
pub trait Slots: Default {
    /// How many properties this holds.
    const WIDTH: usize;
    /// Reads property `index` (counted within this slot) from `map`; `name` is its wire name,
    /// for the error when it comes twice.
    fn read<'de, M: de::MapAccess<'de>>(
        &mut self,
        index: usize,
        map: &mut M,
        name: &'static str,
    ) -> Result<(), M::Error>;
}

impl<T: de::DeserializeOwned> Slots for Option<T> {
    const WIDTH: usize = 1;

    #[inline]
    fn read<'de, M: de::MapAccess<'de>>(
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
        impl<$($t: Slots),*> Slots for ($($t,)*) {
            const WIDTH: usize = 0 $(+ $t::WIDTH)*;

            #[inline]
            #[allow(unused_assignments, unused_mut, unused_variables)]
            fn read<'de, M: de::MapAccess<'de>>(
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

/// Writes an object's properties into a map, one call per property, keeping the first error
/// (generated `ObjectFields` bodies chain these calls).
pub struct Fields<'a, M: SerializeMap> {
    map: &'a mut M,
    result: Result<(), M::Error>,
}

impl<M: SerializeMap> fmt::Debug for Fields<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fields")
            .field("failed", &self.result.is_err())
            .finish_non_exhaustive()
    }
}

impl<'a, M: SerializeMap> Fields<'a, M> {
    /// Starts writing into `map`.
    #[inline]
    pub fn new(map: &'a mut M) -> Self {
        Fields {
            map,
            result: Ok(()),
        }
    }

    /// Writes `name: value`.
    #[inline]
    pub fn field<T: serde::Serialize + ?Sized>(mut self, name: &'static str, value: &T) -> Self {
        if self.result.is_ok() {
            self.result = self.map.serialize_entry(name, value);
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

    /// Writes the properties the lexicon does not define, and ends.
    #[inline]
    pub fn extra(mut self, extra: &crate::types::Extra) -> Result<(), M::Error> {
        for (k, v) in extra {
            if self.result.is_err() {
                break;
            }
            self.result = self.map.serialize_entry(k, v);
        }
        self.result
    }

    /// Ends.
    #[inline]
    pub fn end(self) -> Result<(), M::Error> {
        self.result
    }
}

/// Serializes an object: `$type` first for a record, then its properties.
#[inline]
pub fn serialize_object<T: Object, S: serde::Serializer>(
    value: &T,
    record: Option<&'static str>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    if let Some(nsid) = record {
        map.serialize_entry("$type", nsid)?;
    }
    value.write(&mut map)?;
    map.end()
}

/// Serializes a union variant: `$type` first, then the variant's properties.
#[inline]
pub fn serialize_variant<T: Object, S: serde::Serializer>(
    value: &T,
    tag: &'static str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serialize_object(value, Some(tag), serializer)
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
