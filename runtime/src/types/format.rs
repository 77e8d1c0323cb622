//! The Lexicon string formats as newtypes over `String` that cannot hold an invalid value.

use super::FormatError;
use crate::{Validate, ValidationError};
use atlex_syntax::{Format, SyntaxError};
use serde::de::{self, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

/// Deserializes a string, checks it against `format`, and wraps it.
pub(super) struct FormatVisitor<T> {
    pub(super) format: Format,
    pub(super) wrap: fn(String) -> T,
    pub(super) marker: PhantomData<fn() -> T>,
}

impl<T> FormatVisitor<T> {
    fn check<E: de::Error>(&self, v: &str) -> Result<(), E> {
        self.format
            .check(v)
            .map_err(|e: SyntaxError| E::custom(FormatError::new(self.format, v, e.reason())))
    }
}

impl<T> Visitor<'_> for FormatVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string in the {} format", self.format.lexicon_name())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        self.check(v)?;
        Ok((self.wrap)(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        self.check(&v)?;
        Ok((self.wrap)(v))
    }
}

macro_rules! string_format {
    (
        $(#[$meta:meta])*
        $name:ident: $format:ident, $check:path;
    ) => {
        $(#[$meta])*
        ///
        /// The value is checked once, on construction (including deserialization), and can not
        /// change afterwards. It compares with strings, serializes as a plain string, and gives
        /// its text with `as_str()` (or `AsRef<str>`, `Borrow<str>`, `Display`).
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks `value` against the format and wraps it.
            pub fn new(value: impl Into<String>) -> Result<Self, FormatError> {
                let value = value.into();
                match $check(&value) {
                    Ok(()) => Ok($name(value)),
                    Err(e) => Err(FormatError::new(Format::$format, &value, e.reason())),
                }
            }

            /// The value as a string slice.
            #[inline]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value as an owned string.
            #[inline]
            pub fn into_string(self) -> String {
                self.0
            }

            /// Wraps a literal that was checked at compile time. Not a public API.
            #[doc(hidden)]
            pub fn __new_unchecked_static(value: &'static str) -> Self {
                debug_assert!(
                    $check(value).is_ok(),
                    "{value:?} is not a valid {}",
                    Format::$format.lexicon_name()
                );
                $name(value.to_owned())
            }

            pub(crate) fn from_checked(value: String) -> Self {
                $name(value)
            }
        }

        impl FromStr for $name {
            type Err = FormatError;

            fn from_str(s: &str) -> Result<Self, FormatError> {
                match $check(s) {
                    Ok(()) => Ok($name(s.to_owned())),
                    Err(e) => Err(FormatError::new(Format::$format, s, e.reason())),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = FormatError;

            fn try_from(value: String) -> Result<Self, FormatError> {
                $name::new(value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = FormatError;

            fn try_from(value: &str) -> Result<Self, FormatError> {
                value.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl AsRef<str> for $name {
            #[inline]
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        // Hash, Eq and Ord are those of the inner string, so borrowing as `str` is sound for
        // maps and sets.
        impl Borrow<str> for $name {
            #[inline]
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_string(FormatVisitor {
                    format: Format::$format,
                    wrap: $name::from_checked,
                    marker: PhantomData,
                })
            }
        }

        impl Validate for $name {
            /// Always `Ok`: the value was checked when it was built.
            #[inline]
            fn validate(&self) -> Result<(), ValidationError> {
                Ok(())
            }

            #[inline]
            fn __check(&self, checks: &crate::validate::Checks) -> Result<(), ValidationError> {
                checks.string(self.as_str())
            }
        }
    };
}

string_format! {
    /// A `did`: a decentralized identifier, `did:method:identifier`.
    ///
    /// ```
    /// use atlex::types::Did;
    ///
    /// let did: Did = "did:plc:z72i7hdynmk6r22z27h6tvur".parse()?;
    /// assert_eq!(did.method(), "plc");
    /// assert_eq!(did.identifier(), "z72i7hdynmk6r22z27h6tvur");
    /// assert!(Did::new("did:PLC:x").is_err());
    /// # Ok::<(), atlex::types::FormatError>(())
    /// ```
    ///
    /// A `Did` is not a `str` (it has no `Deref` to one, so that its page lists its own
    /// methods): take the text with `as_str()` to use string methods.
    ///
    /// ```compile_fail
    /// # let did: atlex::types::Did = "did:plc:z72i7hdynmk6r22z27h6tvur".parse().unwrap();
    /// assert!(did.starts_with("did:plc:")); // did.as_str().starts_with(..)
    /// ```
    Did: Did, atlex_syntax::did;
}

impl Did {
    /// The DID method, such as `plc` or `web`.
    pub fn method(&self) -> &str {
        let rest = &self.0["did:".len()..];
        rest.split_once(':').map_or(rest, |(method, _)| method)
    }

    /// The method-specific identifier: everything after `did:method:`.
    pub fn identifier(&self) -> &str {
        let rest = &self.0["did:".len()..];
        rest.split_once(':').map_or("", |(_, id)| id)
    }
}

string_format! {
    /// A `handle`: a domain-name-like account name such as `alice.bsky.social`.
    ///
    /// The value is kept as written: upper case is allowed and is not lowered on construction.
    /// Handles compare case-insensitively in the protocol; use [`Handle::normalized`] before
    /// comparing or storing.
    ///
    /// ```
    /// use atlex::types::Handle;
    ///
    /// let handle = Handle::new("Alice.Bsky.Social")?;
    /// assert_eq!(handle.as_str(), "Alice.Bsky.Social");
    /// assert_eq!(handle.normalized(), "alice.bsky.social");
    /// assert!(Handle::new("alice").is_err());
    /// # Ok::<(), atlex::types::FormatError>(())
    /// ```
    Handle: Handle, atlex_syntax::handle;
}

impl Handle {
    /// The special handle a server reports when an account's handle does not verify.
    pub const INVALID: &'static str = "handle.invalid";

    /// The handle in lower case, its normal form.
    pub fn normalized(&self) -> Handle {
        Handle(self.0.to_ascii_lowercase())
    }

    /// The top-level domain, the last part of the handle (`social` in `alice.bsky.social`).
    pub fn tld(&self) -> &str {
        self.0.rsplit('.').next().unwrap_or_default()
    }
}

string_format! {
    /// An `nsid`: a namespaced identifier such as `app.bsky.feed.post`, a reversed domain name
    /// (the authority) followed by a name.
    ///
    /// ```
    /// use atlex::types::Nsid;
    ///
    /// let nsid = Nsid::new("app.bsky.feed.post")?;
    /// assert_eq!(nsid.authority(), "feed.bsky.app");
    /// assert_eq!(nsid.name(), "post");
    /// # Ok::<(), atlex::types::FormatError>(())
    /// ```
    Nsid: Nsid, atlex_syntax::nsid;
}

impl Nsid {
    /// The name: the last segment (`post` in `app.bsky.feed.post`).
    pub fn name(&self) -> &str {
        self.0.rsplit('.').next().unwrap_or_default()
    }

    /// The domain authority in the usual order of a domain name (`feed.bsky.app` for
    /// `app.bsky.feed.post`), as the specification defines it.
    pub fn authority(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for segment in self.namespace().rsplit('.') {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
        out
    }

    /// Everything before the name, as written (`app.bsky.feed` in `app.bsky.feed.post`).
    pub fn namespace(&self) -> &str {
        self.0.rsplit_once('.').map_or("", |(ns, _)| ns)
    }

    /// The period-separated segments, as written.
    pub fn segments(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.split('.')
    }
}

string_format! {
    /// An `at-uri`: `at://AUTHORITY[/COLLECTION[/RKEY]]`, pointing at a repository, a
    /// collection or a record.
    ///
    /// The restricted form Lexicon uses: no query, no fragment.
    ///
    /// ```
    /// use atlex::types::{AtUri, Did, Nsid, RecordKey};
    ///
    /// let uri = AtUri::new("at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3k2la")?;
    /// assert_eq!(uri.authority(), "did:plc:z72i7hdynmk6r22z27h6tvur");
    /// assert_eq!(uri.collection(), Some("app.bsky.feed.post"));
    /// assert_eq!(uri.rkey(), Some("3k2la"));
    ///
    /// let built = AtUri::from_parts(
    ///     Did::new("did:plc:z72i7hdynmk6r22z27h6tvur")?,
    ///     &Nsid::new("app.bsky.feed.post")?,
    ///     &RecordKey::new("3k2la")?,
    /// );
    /// assert_eq!(built, uri);
    /// # Ok::<(), atlex::types::FormatError>(())
    /// ```
    AtUri: AtUri, atlex_syntax::at_uri;
}

impl AtUri {
    /// The URI of a record, built from its parts (always valid).
    pub fn from_parts(
        authority: impl Into<super::AtIdentifier>,
        collection: &Nsid,
        rkey: &RecordKey,
    ) -> AtUri {
        let authority = authority.into();
        AtUri(format!("at://{authority}/{collection}/{rkey}"))
    }

    fn path(&self) -> &str {
        &self.0["at://".len()..]
    }

    /// The authority: a DID or a handle.
    pub fn authority(&self) -> &str {
        self.path().split('/').next().unwrap_or_default()
    }

    /// The collection (an NSID), if the URI has one.
    pub fn collection(&self) -> Option<&str> {
        self.path().split('/').nth(1)
    }

    /// The record key, if the URI points at a record.
    pub fn rkey(&self) -> Option<&str> {
        self.path().split('/').nth(2)
    }
}

string_format! {
    /// A `cid`: a content identifier in its string form, such as
    /// `bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a`.
    ///
    /// Only the string syntax is checked (legacy CIDv0 `Qm...` strings are refused); a link
    /// in data, [`CidLink`](super::CidLink), is decoded in full.
    Cid: Cid, atlex_syntax::cid;
}

string_format! {
    /// A `datetime`: an RFC 3339 / ISO 8601 timestamp with a timezone, such as
    /// `1985-04-12T23:20:50.123Z`.
    ///
    /// Ordering compares the text, which is chronological only between values written the
    /// same way (for example all in UTC with the same number of fraction digits, as
    /// [`Datetime::now`] writes them).
    ///
    /// ```
    /// use atlex::types::Datetime;
    ///
    /// assert!(Datetime::new("1985-04-12T23:20:50.123Z").is_ok());
    /// assert!(Datetime::new("1985-02-30T23:20:50Z").is_err());
    /// assert_eq!(Datetime::from_unix_millis(0).unwrap(), "1970-01-01T00:00:00.000Z");
    /// ```
    Datetime: Datetime, atlex_syntax::datetime;
}

impl Datetime {
    /// The current time in UTC with millisecond precision (`2024-05-01T12:34:56.789Z`).
    ///
    /// Falls back to the Unix epoch if the system clock is outside the years 0000 to 9999.
    pub fn now() -> Datetime {
        use std::time::{SystemTime, UNIX_EPOCH};
        let millis = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |m| -m),
        };
        Datetime::from_unix_millis(millis)
            .unwrap_or_else(|| Datetime("1970-01-01T00:00:00.000Z".to_owned()))
    }

    /// The instant `millis` milliseconds after the Unix epoch, in UTC with millisecond
    /// precision; `None` outside the years 0000 to 9999.
    pub fn from_unix_millis(millis: i64) -> Option<Datetime> {
        let days = millis.div_euclid(86_400_000);
        let ms_of_day = millis.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return None;
        }
        let secs = ms_of_day / 1000;
        Some(Datetime(format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            ms_of_day % 1000
        )))
    }
}

/// Year, month and day of the proleptic Gregorian calendar for a count of days since
/// 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

string_format! {
    /// A `language`: a BCP 47 language tag such as `en`, `pt-BR` or `zh-Hant`.
    Language: Language, atlex_syntax::language;
}

impl Language {
    /// The primary language subtag (`pt` in `pt-BR`); for a private-use or grandfathered tag,
    /// its first subtag.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }
}

string_format! {
    /// A `tid`: a timestamp identifier, 13 characters of base32-sortable text holding
    /// microseconds since the Unix epoch and a 10-bit clock identifier. Used as record keys.
    ///
    /// ```
    /// use atlex::types::Tid;
    ///
    /// let tid = Tid::from_parts(1_700_000_000_000_000, 7).unwrap();
    /// assert_eq!(tid.timestamp_micros(), 1_700_000_000_000_000);
    /// assert_eq!(tid.clock_id(), 7);
    /// assert_eq!(tid.as_str().parse::<Tid>().unwrap(), tid);
    /// ```
    Tid: Tid, atlex_syntax::tid;
}

/// The base32-sortable alphabet of TIDs.
const TID_ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

impl Tid {
    /// The TID for a timestamp (microseconds since the Unix epoch, below 2^53) and a clock
    /// identifier (below 1024); `None` when either is out of range.
    pub fn from_parts(timestamp_micros: u64, clock_id: u16) -> Option<Tid> {
        if timestamp_micros >= 1 << 53 || clock_id >= 1 << 10 {
            return None;
        }
        let value = (timestamp_micros << 10) | u64::from(clock_id);
        let text = (0..13)
            .map(|i| char::from(TID_ALPHABET[((value >> (5 * (12 - i))) & 31) as usize]))
            .collect();
        Some(Tid(text))
    }

    fn value(&self) -> u64 {
        self.0.bytes().fold(0u64, |acc, c| {
            let digit = TID_ALPHABET.iter().position(|&a| a == c).unwrap_or(0) as u64;
            (acc << 5) | digit
        })
    }

    /// The timestamp: microseconds since the Unix epoch.
    pub fn timestamp_micros(&self) -> u64 {
        self.value() >> 10
    }

    /// The clock identifier, the low 10 bits.
    pub fn clock_id(&self) -> u16 {
        (self.value() & 0x3ff) as u16
    }
}

string_format! {
    /// A `record-key`: the key of a record in a collection, such as `self` or a [`Tid`].
    RecordKey: RecordKey, atlex_syntax::record_key;
}

impl From<Tid> for RecordKey {
    /// A TID is always a valid record key.
    fn from(tid: Tid) -> RecordKey {
        RecordKey(tid.0)
    }
}

string_format! {
    /// A `uri`: any URI with a scheme, such as `https://example.com/a` or `did:plc:...`.
    Uri: Uri, atlex_syntax::uri;
}

impl Uri {
    /// The scheme, before the first `:` (`https` in `https://example.com`).
    pub fn scheme(&self) -> &str {
        self.0.split_once(':').map_or("", |(scheme, _)| scheme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-719_528), (0, 1, 1));
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
        assert!(Datetime::from_unix_millis(-62_167_219_200_000).is_some());
        assert!(Datetime::from_unix_millis(-62_167_219_200_001).is_none());
        assert_eq!(
            Datetime::from_unix_millis(1_700_000_000_123).unwrap(),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            Datetime::from_unix_millis(-1).unwrap(),
            "1969-12-31T23:59:59.999Z"
        );
        assert!(Datetime::from_unix_millis(i64::MAX).is_none());
        assert!(Datetime::from_unix_millis(i64::MIN).is_none());
        assert!(atlex_syntax::datetime(Datetime::now().as_str()).is_ok());
    }

    #[test]
    fn tid_layout() {
        let t = Tid::from_parts(0, 0).unwrap();
        assert_eq!(t, "2222222222222");
        let max = Tid::from_parts((1 << 53) - 1, 1023).unwrap();
        assert_eq!(max, "bzzzzzzzzzzzz");
        assert_eq!(max.timestamp_micros(), (1 << 53) - 1);
        assert_eq!(max.clock_id(), 1023);
        assert!(Tid::from_parts(1 << 53, 0).is_none());
        assert!(Tid::from_parts(0, 1024).is_none());
        let t = Tid::new("3jzfcijpj2z2a").unwrap();
        assert_eq!(
            Tid::from_parts(t.timestamp_micros(), t.clock_id()).unwrap(),
            t
        );
    }

    #[test]
    fn accessors() {
        let did = Did::new("did:web:example.com%3A8080").unwrap();
        assert_eq!(did.method(), "web");
        assert_eq!(did.identifier(), "example.com%3A8080");
        let nsid = Nsid::new("com.example.fooBar").unwrap();
        assert_eq!(nsid.authority(), "example.com");
        assert_eq!(nsid.namespace(), "com.example");
        assert_eq!(nsid.name(), "fooBar");
        assert_eq!(nsid.segments().count(), 3);
        let uri = AtUri::new("at://alice.test").unwrap();
        assert_eq!(uri.authority(), "alice.test");
        assert_eq!(uri.collection(), None);
        assert_eq!(uri.rkey(), None);
        let uri = AtUri::new("at://alice.test/app.bsky.feed.post").unwrap();
        assert_eq!(uri.collection(), Some("app.bsky.feed.post"));
        assert_eq!(uri.rkey(), None);
        assert_eq!(Uri::new("dns:example.com").unwrap().scheme(), "dns");
        assert_eq!(Language::new("pt-BR").unwrap().primary(), "pt");
        assert_eq!(Handle::new("a.b.Test").unwrap().tld(), "Test");
        let rkey: RecordKey = Tid::new("3jzfcijpj2z2a").unwrap().into();
        assert_eq!(rkey, "3jzfcijpj2z2a");
    }

    #[test]
    fn traits() {
        use std::collections::HashSet;
        let did: Did = "did:plc:abc".parse().unwrap();
        assert_eq!(format!("{did:?}"), "Did(\"did:plc:abc\")");
        assert_eq!(did.to_string(), "did:plc:abc");
        assert_eq!(did, "did:plc:abc");
        assert_eq!(did, *"did:plc:abc");
        assert_eq!(did, "did:plc:abc".to_owned());
        assert!(did.as_str().starts_with("did:"));
        let set: HashSet<Did> = [did.clone()].into();
        assert!(set.contains("did:plc:abc"));
        assert_eq!(Did::try_from("did:plc:abc").unwrap(), did);
        assert_eq!(Did::try_from("did:plc:abc".to_owned()).unwrap(), did);
        assert_eq!(String::from(did.clone()), "did:plc:abc");
        assert_eq!(did.clone().into_string(), "did:plc:abc");
        assert!(did.validate().is_ok());
        let e = "did:plc".parse::<Did>().unwrap_err();
        assert_eq!(e.format(), Format::Did);
        assert_eq!(e.value(), "did:plc");
        assert_eq!(Did::__new_unchecked_static("did:plc:abc"), did,);
    }

    #[test]
    fn serde_round_trip_and_errors() {
        let did: Did = serde_json::from_str("\"did:plc:abc\"").unwrap();
        assert_eq!(serde_json::to_string(&did).unwrap(), "\"did:plc:abc\"");
        let e = serde_json::from_str::<Did>("\"x\"")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid did \"x\": a DID starts with \"did:\" (lower case)"),
            "{e}"
        );
        let e = serde_json::from_str::<Handle>("12")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a string in the handle format"), "{e}");
        // From a borrowed and from an owned string.
        let v = serde_json::Value::String("alice.test".into());
        assert_eq!(Handle::deserialize(&v).unwrap(), "alice.test");
        assert_eq!(serde_json::from_value::<Handle>(v).unwrap(), "alice.test");
    }

    use serde::Deserialize;
}
