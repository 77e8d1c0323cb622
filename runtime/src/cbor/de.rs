//! A serde deserializer over DAG-CBOR that checks, as it reads, everything [`super::check`]
//! checks (shortest heads, integers in range, string keys in canonical order with no repeat,
//! UTF-8, no floats or simple values but true/false/null, no tag but 42, bounded nesting), and
//! is strict about types: a string is asked for, only a text string is one. A value it skips
//! is checked whole by [`super::check`]'s checker.
//!
//! Decoding is done here rather than by `serde_ipld_dagcbor`: its reader (cbor4ii) masks the
//! major type out of a head when a string is asked for, so a byte string (and even an integer
//! head, read as a length) is taken for a text string. The same record could then be read from
//! two encodings, and written back to neither. Reading over the checked bytes also borrows
//! every string and byte string from the input.

use crate::types::data::CID_SERDE_NAME;
use serde::de::{self, Visitor};
use std::fmt;

/// A decoding error: the data model's own error (its text; the path is added by the caller).
pub(crate) type DeError = crate::types::DataError;

/// Reads one value from checked DAG-CBOR.
pub(crate) struct Deserializer<'de> {
    input: &'de [u8],
    pos: usize,
    /// Containers open around the value being read.
    depth: usize,
    /// The input was read through once already, checked: what is skipped needs no check.
    checked: bool,
}

/// A head: major type, argument.
#[derive(Clone, Copy)]
struct Head {
    major: u8,
    info: u8,
    arg: u64,
}

impl<'de> Deserializer<'de> {
    pub(crate) fn new(input: &'de [u8]) -> Self {
        Deserializer {
            input,
            pos: 0,
            depth: 0,
            checked: false,
        }
    }

    /// A second reading of input that a first one checked whole: values it skips are
    /// skipped by their heads alone.
    pub(crate) fn new_checked(input: &'de [u8]) -> Self {
        Deserializer {
            checked: true,
            ..Deserializer::new(input)
        }
    }

    /// Where reading stopped: the end of the value read.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Opens a container of `items` values: refuses a count the input can not hold and
    /// nesting past [`super::MAX_DEPTH`].
    fn open(&mut self, items: u64) -> Result<(), DeError> {
        if items > (self.input.len() - self.pos) as u64 {
            return Err(DeError::new("a count larger than the rest of the input"));
        }
        if self.depth >= super::MAX_DEPTH {
            return Err(DeError::new("values nest too deeply"));
        }
        self.depth += 1;
        Ok(())
    }

    fn eof() -> DeError {
        DeError::new("the input ends inside a value")
    }

    #[inline]
    fn peek_head(&self) -> Result<(Head, usize), DeError> {
        let first = *self.input.get(self.pos).ok_or_else(Self::eof)?;
        let major = first >> 5;
        let info = first & 0x1f;
        if info < 24 {
            // The common case: the argument is in the first byte.
            return Ok((
                Head {
                    major,
                    info,
                    arg: u64::from(info),
                },
                1,
            ));
        }
        self.peek_long_head(major, info)
    }

    fn peek_long_head(&self, major: u8, info: u8) -> Result<(Head, usize), DeError> {
        let (arg, len) = match info {
            0..=23 => (u64::from(info), 1),
            24..=27 => {
                let n = 1usize << (info - 24);
                let bytes = self
                    .input
                    .get(self.pos + 1..self.pos + 1 + n)
                    .ok_or_else(Self::eof)?;
                let v = bytes.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b));
                let min = [24, 0x100, 0x1_0000, 0x1_0000_0000][usize::from(info - 24)];
                if major != 7 && v < min {
                    return Err(DeError::new(
                        "a number or length is not in its shortest form",
                    ));
                }
                (v, 1 + n)
            }
            31 => return Err(DeError::new("indefinite lengths are not allowed")),
            _ => return Err(DeError::new("reserved additional information")),
        };
        if major <= 1 && arg > i64::MAX as u64 {
            return Err(DeError::new("an integer out of the signed 64-bit range"));
        }
        Ok((Head { major, info, arg }, len))
    }

    fn head(&mut self) -> Result<Head, DeError> {
        let (h, len) = self.peek_head()?;
        self.pos += len;
        Ok(h)
    }

    fn take(&mut self, n: u64) -> Result<&'de [u8], DeError> {
        let n = usize::try_from(n).map_err(|_| Self::eof())?;
        let end = self.pos.checked_add(n).ok_or_else(Self::eof)?;
        let out = self.input.get(self.pos..end).ok_or_else(Self::eof)?;
        self.pos = end;
        Ok(out)
    }

    /// What the next value is, for "invalid type" errors.
    fn unexpected(&self) -> String {
        match self.peek_head() {
            Ok((h, _)) => match h.major {
                0 => format!("integer `{}`", h.arg),
                1 => format!("integer `-{}`", u128::from(h.arg) + 1),
                2 => "bytes".into(),
                3 => "a string".into(),
                4 => "an array".into(),
                5 => "a map".into(),
                6 => "a link".into(),
                _ => match h.info {
                    20 | 21 => "a boolean".into(),
                    22 => "null".into(),
                    _ => "a simple value".into(),
                },
            },
            Err(_) => "the end of the input".into(),
        }
    }

    fn invalid<V: Visitor<'de>>(&self, visitor: &V) -> DeError {
        DeError::new(format!(
            "invalid type: {}, expected {}",
            self.unexpected(),
            Expected(visitor)
        ))
    }

    /// Skips one value, checking it whole (its strings UTF-8: it is not read otherwise).
    fn skip(&mut self) -> Result<(), DeError> {
        self.skip_checked(!self.checked)
    }

    /// Skips one value that is read afterwards (its strings are checked then).
    fn skip_unread(&mut self) -> Result<(), DeError> {
        self.skip_checked(false)
    }

    fn skip_checked(&mut self, utf8: bool) -> Result<(), DeError> {
        if !utf8 {
            return self.skip_raw();
        }
        let rest = &self.input[self.pos..];
        let len = super::checked_len(rest, utf8, super::MAX_DEPTH - self.depth)
            .map_err(|e| DeError::new(e.to_string()))?;
        self.pos += len;
        Ok(())
    }

    /// Skips one value by its heads alone (bounds checked): for a value that is read, and so
    /// checked, afterwards.
    fn skip_raw(&mut self) -> Result<(), DeError> {
        let mut left: u64 = 1;
        while left > 0 {
            left -= 1;
            let h = self.head()?;
            match h.major {
                2 | 3 => {
                    self.take(h.arg)?;
                }
                4 => left = left.saturating_add(h.arg),
                5 => left = left.saturating_add(h.arg.saturating_mul(2)),
                6 => left = left.saturating_add(1),
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads a tag-42 CID's bytes (without the leading zero).
    fn cid_bytes(&mut self) -> Result<&'de [u8], DeError> {
        let h = self.head()?;
        if h.major != 6 || h.arg != 42 {
            return Err(DeError::new(if h.major == 6 {
                "a tag other than 42 (CID)"
            } else {
                "expected a link (tag 42)"
            }));
        }
        let inner = self.head()?;
        if inner.major != 2 {
            return Err(DeError::new("tag 42 must hold a byte string"));
        }
        let bytes = self.take(inner.arg)?;
        match bytes.split_first() {
            Some((0, rest)) => Ok(rest),
            _ => Err(DeError::new("a CID must start with a zero byte")),
        }
    }
}

/// What a visitor expects, for errors.
struct Expected<'a, V>(&'a V);

impl<'de, V: Visitor<'de>> fmt::Display for Expected<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (h, hlen) = self.peek_head()?;
        match h.major {
            0 => {
                self.pos += hlen;
                visitor.visit_u64(h.arg)
            }
            1 => {
                self.pos += hlen;
                match i64::try_from(h.arg) {
                    Ok(n) => visitor.visit_i64(-1 - n),
                    Err(_) => visitor.visit_i128(-1 - i128::from(h.arg)),
                }
            }
            2 => {
                self.pos += hlen;
                let b = self.take(h.arg)?;
                visitor.visit_borrowed_bytes(b)
            }
            3 => self.deserialize_str(visitor),
            4 => {
                self.pos += hlen;
                self.open(h.arg)?;
                let out = visitor.visit_seq(Seq {
                    de: self,
                    left: h.arg,
                })?;
                self.depth -= 1;
                Ok(out)
            }
            5 => {
                self.pos += hlen;
                self.open(h.arg.saturating_mul(2))?;
                let out = visitor.visit_map(Map {
                    de: self,
                    left: h.arg,
                    last_key: None,
                })?;
                self.depth -= 1;
                Ok(out)
            }
            6 => {
                let bytes = self.cid_bytes()?;
                visitor.visit_newtype_struct(CidBytes(bytes))
            }
            _ => {
                self.pos += hlen;
                match h.info {
                    20 => visitor.visit_bool(false),
                    21 => visitor.visit_bool(true),
                    22 => visitor.visit_none(),
                    25..=27 => Err(DeError::new("floats are not in the data model")),
                    _ => Err(DeError::new("a simple value other than true, false, null")),
                }
            }
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (h, hlen) = self.peek_head()?;
        if h.major != 3 {
            return Err(self.invalid(&visitor));
        }
        self.pos += hlen;
        let bytes = self.take(h.arg)?;
        let s = super::utf8(bytes).ok_or_else(|| DeError::new("a string is not UTF-8"))?;
        visitor.visit_borrowed_str(s)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (h, hlen) = self.peek_head()?;
        if h.major != 2 {
            return Err(self.invalid(&visitor));
        }
        self.pos += hlen;
        let b = self.take(h.arg)?;
        visitor.visit_borrowed_bytes(b)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.input.get(self.pos) == Some(&0xf6) {
            self.pos += 1;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.input.get(self.pos) == Some(&0xf6) {
            self.pos += 1;
            visitor.visit_unit()
        } else {
            Err(self.invalid(&visitor))
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == CID_SERDE_NAME {
            let bytes = self.cid_bytes()?;
            visitor.visit_newtype_struct(CidBytes(bytes))
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Unit variants, written as their name.
        let (h, hlen) = self.peek_head()?;
        if h.major != 3 {
            return Err(self.invalid(&visitor));
        }
        self.pos += hlen;
        let bytes = self.take(h.arg)?;
        let s = super::utf8(bytes).ok_or_else(|| DeError::new("a string is not UTF-8"))?;
        visitor.visit_enum(de::value::BorrowedStrDeserializer::new(s))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == crate::private::UNION_STRUCT {
            return self.union_map(visitor);
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.skip()?;
        visitor.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        false
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        unit_struct seq tuple tuple_struct map identifier
    }
}

impl<'de> Deserializer<'de> {
    /// A union's object: its `$type` entry found ahead (values skipped, not decoded) and given
    /// first, then the other entries in order.
    fn union_map<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, DeError> {
        use de::Deserializer as _;
        let (h, hlen) = self.peek_head()?;
        if h.major != 5 {
            return self.deserialize_any(visitor);
        }
        self.pos += hlen;
        self.open(h.arg.saturating_mul(2))?;
        let start = self.pos;
        // Every key checked (order, UTF-8) and every value skipped, to find `$type`.
        let mut type_at = None;
        let mut last = None;
        for _ in 0..h.arg {
            let key_at = self.pos;
            let (key, key_end) = self.next_key_bytes(last)?;
            std::str::from_utf8(key).map_err(|_| DeError::new("a string is not UTF-8"))?;
            last = Some(key);
            self.pos = key_end;
            if key == b"$type" {
                type_at = Some((key_at, self.pos));
            }
            self.skip_unread()?;
        }
        let end = self.pos;
        self.pos = start;
        let out = match type_at {
            // No `$type`: read as a map, for the union's own error.
            None => visitor.visit_map(Map {
                de: self,
                left: h.arg,
                last_key: None,
            })?,
            Some((key_at, value_at)) => visitor.visit_map(TypeFirst {
                de: self,
                left: h.arg,
                key_at,
                value_at,
                state: TypeState::Key,
            })?,
        };
        self.depth -= 1;
        self.pos = end;
        Ok(out)
    }
}

/// Where [`TypeFirst`] is.
enum TypeState {
    /// The `$type` key comes next.
    Key,
    /// Its value.
    Value,
    /// The other entries.
    Rest,
}

/// A union's map: `$type` (as the union key) first, then the other entries.
struct TypeFirst<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    left: u64,
    key_at: usize,
    value_at: usize,
    state: TypeState,
}

impl<'de> de::MapAccess<'de> for TypeFirst<'_, 'de> {
    type Error = DeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.state {
            TypeState::Key => {
                self.state = TypeState::Value;
                seed.deserialize(de::value::BytesDeserializer::new(crate::private::UNION_TAG))
                    .map(Some)
            }
            TypeState::Value => Err(DeError::new("a key before the value of $type")),
            TypeState::Rest => loop {
                if self.left == 0 {
                    return Ok(None);
                }
                self.left -= 1;
                if self.de.pos == self.key_at {
                    // The `$type` entry, already given.
                    self.de.head()?;
                    self.de.take(5)?;
                    self.de.skip_unread()?;
                    continue;
                }
                return seed.deserialize(KeyDe(&mut *self.de)).map(Some);
            },
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DeError> {
        match self.state {
            TypeState::Value => {
                self.state = TypeState::Rest;
                let back = self.de.pos;
                self.de.pos = self.value_at;
                let v = seed.deserialize(&mut *self.de);
                self.de.pos = back;
                v
            }
            _ => seed.deserialize(&mut *self.de),
        }
    }
}

/// The items of an array.
struct Seq<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    left: u64,
}

impl<'de> de::SeqAccess<'de> for Seq<'_, 'de> {
    type Error = DeError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        usize::try_from(self.left).ok()
    }
}

/// The entries of a map.
struct Map<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    left: u64,
    /// The previous key, to check the canonical order.
    last_key: Option<&'de [u8]>,
}

impl<'de> Deserializer<'de> {
    /// The bytes of the map key that comes next, checked to come after `last` in DAG-CBOR's
    /// canonical order (shorter first, then bytewise), without reading it.
    fn next_key_bytes(&self, last: Option<&'de [u8]>) -> Result<(&'de [u8], usize), DeError> {
        let (h, hlen) = self.peek_head()?;
        if h.major != 3 {
            return Err(DeError::new("a map key must be a string"));
        }
        let start = self.pos + hlen;
        let end = usize::try_from(h.arg)
            .ok()
            .and_then(|n| start.checked_add(n))
            .ok_or_else(Self::eof)?;
        let key = self.input.get(start..end).ok_or_else(Self::eof)?;
        if let Some(prev) = last {
            match prev.len().cmp(&key.len()).then_with(|| prev.cmp(key)) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => {
                    return Err(DeError::new("a map has the same key twice"))
                }
                std::cmp::Ordering::Greater => {
                    return Err(DeError::new(
                        "map keys are not in canonical (length-first) order",
                    ))
                }
            }
        }
        Ok((key, end))
    }
}

impl<'de> de::MapAccess<'de> for Map<'_, 'de> {
    type Error = DeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let (key, end) = self.de.next_key_bytes(self.last_key)?;
        self.last_key = Some(key);
        self.de.pos = end;
        let key = std::str::from_utf8(key).map_err(|_| DeError::new("a string is not UTF-8"))?;
        // Keys are strings: given as one, whatever the seed asks for.
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DeError> {
        seed.deserialize(&mut *self.de)
    }

    fn size_hint(&self) -> Option<usize> {
        usize::try_from(self.left).ok()
    }
}

/// A map key: a string, given as a borrowed `str` for any request.
struct KeyDe<'a, 'de>(&'a mut Deserializer<'de>);

impl<'de> de::Deserializer<'de> for KeyDe<'_, 'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.0.deserialize_str(visitor)
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

/// The bytes of a CID (tag 42's content after its zero byte).
struct CidBytes<'de>(&'de [u8]);

impl<'de> de::Deserializer<'de> for CidBytes<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_bytes(self.0)
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
