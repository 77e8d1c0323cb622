use super::format::FormatVisitor;
use super::{Did, FormatError, Handle};
use crate::{Validate, ValidationError};
use atlex_syntax::Format;
use serde::{Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

/// An `at-identifier`: a [`Did`] or a [`Handle`].
///
/// A value starting with `did:` is a DID, anything else a handle. It serializes as a plain
/// string. Equality, ordering and hashing are those of the text, so it can be looked up by
/// `&str` in maps and sets.
///
/// ```
/// use atlex::types::AtIdentifier;
///
/// let id: AtIdentifier = "did:plc:z72i7hdynmk6r22z27h6tvur".parse()?;
/// assert!(id.as_did().is_some());
/// let id: AtIdentifier = "alice.bsky.social".parse()?;
/// assert_eq!(id.as_handle().map(|h| h.as_str()), Some("alice.bsky.social"));
/// assert!("@alice".parse::<AtIdentifier>().is_err());
/// # Ok::<(), atlex::types::FormatError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum AtIdentifier {
    /// A DID.
    Did(Did),
    /// A handle.
    Handle(Handle),
}

impl AtIdentifier {
    /// Checks `value` and wraps it as a DID or a handle.
    pub fn new(value: impl Into<String>) -> Result<Self, FormatError> {
        let value = value.into();
        match atlex_syntax::at_identifier(&value) {
            Ok(()) => Ok(Self::from_checked(value)),
            Err(e) => Err(FormatError::new(Format::AtIdentifier, &value, e.reason())),
        }
    }

    fn from_checked(value: String) -> Self {
        if value.starts_with("did:") {
            AtIdentifier::Did(Did::from_checked(value))
        } else {
            AtIdentifier::Handle(Handle::from_checked(value))
        }
    }

    /// Wraps a literal that was checked at compile time. Not a public API.
    #[doc(hidden)]
    pub fn __new_unchecked_static(value: &'static str) -> Self {
        if value.starts_with("did:") {
            AtIdentifier::Did(Did::__new_unchecked_static(value))
        } else {
            AtIdentifier::Handle(Handle::__new_unchecked_static(value))
        }
    }

    /// The value as a string slice.
    pub fn as_str(&self) -> &str {
        match self {
            AtIdentifier::Did(did) => did.as_str(),
            AtIdentifier::Handle(handle) => handle.as_str(),
        }
    }

    /// The value as an owned string.
    pub fn into_string(self) -> String {
        match self {
            AtIdentifier::Did(did) => did.into_string(),
            AtIdentifier::Handle(handle) => handle.into_string(),
        }
    }

    /// The DID, if this is one.
    pub fn as_did(&self) -> Option<&Did> {
        match self {
            AtIdentifier::Did(did) => Some(did),
            AtIdentifier::Handle(_) => None,
        }
    }

    /// The handle, if this is one.
    pub fn as_handle(&self) -> Option<&Handle> {
        match self {
            AtIdentifier::Did(_) => None,
            AtIdentifier::Handle(handle) => Some(handle),
        }
    }
}

impl From<Did> for AtIdentifier {
    fn from(did: Did) -> Self {
        AtIdentifier::Did(did)
    }
}

impl From<Handle> for AtIdentifier {
    fn from(handle: Handle) -> Self {
        AtIdentifier::Handle(handle)
    }
}

impl From<AtIdentifier> for String {
    fn from(value: AtIdentifier) -> String {
        value.into_string()
    }
}

impl FromStr for AtIdentifier {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self, FormatError> {
        match atlex_syntax::at_identifier(s) {
            Ok(()) => Ok(Self::from_checked(s.to_owned())),
            Err(e) => Err(FormatError::new(Format::AtIdentifier, s, e.reason())),
        }
    }
}

impl TryFrom<String> for AtIdentifier {
    type Error = FormatError;

    fn try_from(value: String) -> Result<Self, FormatError> {
        AtIdentifier::new(value)
    }
}

impl TryFrom<&str> for AtIdentifier {
    type Error = FormatError;

    fn try_from(value: &str) -> Result<Self, FormatError> {
        value.parse()
    }
}

impl fmt::Display for AtIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AtIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AtIdentifier::Did(did) => did.fmt(f),
            AtIdentifier::Handle(handle) => handle.fmt(f),
        }
    }
}

// The variant follows from the text (a handle can not contain ":"), so comparing and hashing
// the text agrees with the derived equality.
impl Hash for AtIdentifier {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for AtIdentifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AtIdentifier {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl AsRef<str> for AtIdentifier {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for AtIdentifier {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for AtIdentifier {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for AtIdentifier {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for AtIdentifier {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl Serialize for AtIdentifier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for AtIdentifier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_string(FormatVisitor {
            format: Format::AtIdentifier,
            wrap: AtIdentifier::from_checked,
            marker: PhantomData,
        })
    }
}

impl Validate for AtIdentifier {
    /// Always `Ok`: the value was checked when it was built.
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }

    fn __check(&self, checks: &crate::validate::Checks) -> Result<(), ValidationError> {
        checks.string(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn variants_follow_the_text() {
        let did = AtIdentifier::new("did:plc:abc").unwrap();
        assert!(matches!(did, AtIdentifier::Did(_)));
        assert_eq!(format!("{did:?}"), "Did(\"did:plc:abc\")");
        let handle = AtIdentifier::new("alice.test").unwrap();
        assert!(matches!(handle, AtIdentifier::Handle(_)));
        assert_eq!(handle.to_string(), "alice.test");
        let e = AtIdentifier::new("did:plc:").unwrap_err();
        assert_eq!(e.format(), Format::AtIdentifier);
    }

    #[test]
    fn ordering_and_lookup_by_text() {
        let set: BTreeSet<AtIdentifier> = ["zed.test", "did:plc:abc", "alice.test"]
            .into_iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let order: Vec<&str> = set.iter().map(|i| i.as_str()).collect();
        assert_eq!(order, ["alice.test", "did:plc:abc", "zed.test"]);
        assert!(set.contains("did:plc:abc"));
    }

    #[test]
    fn serde() {
        let id: AtIdentifier = serde_json::from_str("\"did:web:example.com\"").unwrap();
        assert_eq!(id.as_did().unwrap().method(), "web");
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"did:web:example.com\""
        );
        let e = serde_json::from_str::<AtIdentifier>("\"@alice\"").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid at-identifier \"@alice\": "),
            "{e}"
        );
    }
}
