//! Facets as `app.bsky.richtext.facet` writes them.

use crate::types::{Did, Unknown, Uri};
use crate::validate::{check, Rule, Validate, ValidationError};
use serde::de::Error as _;
use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::ops::Range;

/// The `$type` of a mention feature.
pub const MENTION: &str = "app.bsky.richtext.facet#mention";
/// The `$type` of a link feature.
pub const LINK: &str = "app.bsky.richtext.facet#link";
/// The `$type` of a tag feature.
pub const TAG: &str = "app.bsky.richtext.facet#tag";

/// The most UTF-8 bytes in a tag (the lexicon's `maxLength`).
const TAG_MAX_LENGTH: u64 = 640;
/// The most graphemes in a tag (the lexicon's `maxGraphemes`).
const TAG_MAX_GRAPHEMES: u64 = 64;

/// Where a facet sits in the text: UTF-8 byte offsets, start inclusive, end exclusive
/// (`app.bsky.richtext.facet#byteSlice`).
///
/// Offsets count bytes of the UTF-8 text, not characters and not UTF-16 units: in
/// `"héllo @alice"` the mention starts at byte 7.
///
/// ```
/// use atlex::richtext::ByteSlice;
///
/// let text = "héllo @alice.test";
/// let slice = ByteSlice::from(7..18);
/// assert_eq!(&text[slice.range()], "@alice.test");
/// assert_eq!(serde_json::to_string(&slice)?, r#"{"byteStart":7,"byteEnd":18}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ByteSlice {
    /// The first byte (inclusive).
    pub byte_start: usize,
    /// The byte after the last (exclusive).
    pub byte_end: usize,
}

impl ByteSlice {
    /// The slice's bytes as a range, to index the text with.
    pub fn range(&self) -> Range<usize> {
        self.byte_start..self.byte_end
    }

    /// The number of bytes (0 when the end is before the start).
    pub fn len(&self) -> usize {
        self.byte_end.saturating_sub(self.byte_start)
    }

    /// Whether the slice holds no byte.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Range<usize>> for ByteSlice {
    fn from(range: Range<usize>) -> Self {
        ByteSlice {
            byte_start: range.start,
            byte_end: range.end,
        }
    }
}

/// What a facet says about its text: one member of the lexicon's open union of features.
///
/// Serializes as the lexicon has it, `$type` first:
/// `{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"}`. Reading one
/// needs the `$type`; a feature of a type this crate does not know is kept whole as
/// [`Feature::Unknown`]. Properties beyond the ones a known feature declares are not kept
/// (the generated `app.bsky.richtext.facet` types keep them, for a record read and written
/// back).
///
/// ```
/// use atlex::richtext::Feature;
///
/// let link = Feature::Link { uri: "https://example.com".into() };
/// let json = serde_json::to_string(&link)?;
/// assert_eq!(json, r#"{"$type":"app.bsky.richtext.facet#link","uri":"https://example.com"}"#);
/// assert_eq!(serde_json::from_str::<Feature>(&json)?, link);
///
/// let other: Feature = serde_json::from_str(r#"{"$type": "com.example.facet#color", "rgb": "f00"}"#)?;
/// assert!(matches!(other, Feature::Unknown(_)));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Feature {
    /// A mention of an account (`app.bsky.richtext.facet#mention`), by DID.
    Mention {
        /// The account mentioned.
        did: Did,
    },
    /// A link (`app.bsky.richtext.facet#link`).
    Link {
        /// The full URI (the text may show it shortened). The lexicon wants a `uri`;
        /// [`Validate`] checks it.
        uri: String,
    },
    /// A hashtag or a cashtag (`app.bsky.richtext.facet#tag`).
    Tag {
        /// The tag without its `#` (a cashtag keeps its `$`: `$AAPL`).
        tag: String,
    },
    /// A mention found in the text whose handle is not resolved to a DID yet (detection makes
    /// these; [`RichText::resolve_mentions`](super::RichText::resolve_mentions) replaces or
    /// drops them). It has no wire form: serializing it fails, and [`Validate`] refuses it.
    UnresolvedMention {
        /// The handle as written after the `@`.
        handle: String,
    },
    /// A feature of another type, kept whole (the lexicon's union is open).
    Unknown(Unknown),
}

impl Feature {
    /// The feature's `$type` (`None` for an unresolved mention, which has none yet).
    pub fn type_name(&self) -> Option<&str> {
        match self {
            Feature::Mention { .. } => Some(MENTION),
            Feature::Link { .. } => Some(LINK),
            Feature::Tag { .. } => Some(TAG),
            Feature::UnresolvedMention { .. } => None,
            Feature::Unknown(u) => u.type_name(),
        }
    }
}

impl Serialize for Feature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (type_name, key, value): (&str, &str, &str) = match self {
            Feature::Mention { did } => (MENTION, "did", did.as_str()),
            Feature::Link { uri } => (LINK, "uri", uri),
            Feature::Tag { tag } => (TAG, "tag", tag),
            Feature::UnresolvedMention { handle } => {
                return Err(S::Error::custom(format_args!(
                    "the mention of `{handle}` is not resolved to a DID: call \
                     RichText::resolve_mentions first"
                )))
            }
            Feature::Unknown(u) => return u.serialize(serializer),
        };
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("$type", type_name)?;
        map.serialize_entry(key, value)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Feature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct MentionFields {
            did: Did,
        }
        #[derive(Deserialize)]
        struct LinkFields {
            uri: String,
        }
        #[derive(Deserialize)]
        struct TagFields {
            tag: String,
        }
        let value = Unknown::deserialize(deserializer)?;
        let read = |e: crate::types::DataError| {
            D::Error::custom(format_args!(
                "a facet feature of type {}: {e}",
                value.type_name().unwrap_or_default()
            ))
        };
        match value.type_name() {
            Some(MENTION) => Ok(Feature::Mention {
                did: value.to_typed::<MentionFields>().map_err(read)?.did,
            }),
            Some(LINK) => Ok(Feature::Link {
                uri: value.to_typed::<LinkFields>().map_err(read)?.uri,
            }),
            Some(TAG) => Ok(Feature::Tag {
                tag: value.to_typed::<TagFields>().map_err(read)?.tag,
            }),
            Some(_) => Ok(Feature::Unknown(value)),
            None => Err(D::Error::custom(
                "a facet feature has no `$type` (a member of a union needs one)",
            )),
        }
    }
}

impl Validate for Feature {
    /// The lexicon's constraints: a link's `uri` format, a tag's `maxLength` 640 and
    /// `maxGraphemes` 64; an unresolved mention is refused.
    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Feature::Mention { .. } => Ok(()),
            Feature::Link { uri } => match Uri::new(uri.as_str()) {
                Ok(_) => Ok(()),
                Err(e) => Err(ValidationError::from(e).in_field("uri")),
            },
            Feature::Tag { tag } => check::str_len(tag, None, Some(TAG_MAX_LENGTH))
                .and_then(|()| check::graphemes(tag, None, Some(TAG_MAX_GRAPHEMES)))
                .map_err(|e| e.in_field("tag")),
            Feature::UnresolvedMention { handle } => {
                Err(ValidationError::new(Rule::Other(Cow::Owned(format!(
                    "is a mention of `{handle}` not resolved to a DID (call \
                     RichText::resolve_mentions)"
                )))))
            }
            Feature::Unknown(u) => u.validate(),
        }
    }
}

/// A facet: a byte range of the text and what it is (`app.bsky.richtext.facet`).
///
/// Serializes as the lexicon has it; `$type` on the facet itself is not written (the lexicon
/// refers to it by `ref`, not in a union) and is ignored when read. It converts to and from
/// the generated type of the official crate (`atlex_lexicons::app::bsky::richtext::facet::Main`)
/// with `TryFrom` (see `atlex_lexicons::richtext`), and to that of a `lexicon!` invocation of
/// your own through serde ([`RichText::facets_into`](super::RichText::facets_into)).
///
/// ```
/// use atlex::richtext::{ByteSlice, Facet, Feature};
///
/// let facet = Facet::new(0..5, Feature::Tag { tag: "rust".into() });
/// assert_eq!(
///     serde_json::to_string(&facet)?,
///     r##"{"index":{"byteStart":0,"byteEnd":5},"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"rust"}]}"##,
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facet {
    /// Where the facet sits in the text.
    pub index: ByteSlice,
    /// What the text there is (usually one feature).
    pub features: Vec<Feature>,
}

impl Facet {
    /// A facet with one feature.
    pub fn new(index: impl Into<ByteSlice>, feature: Feature) -> Self {
        Facet {
            index: index.into(),
            features: vec![feature],
        }
    }
}

impl Validate for Facet {
    /// The lexicon's constraints on each feature (see [`Feature`]'s). Where the slice sits in
    /// the text is checked by [`RichText::with_facets`](super::RichText::with_facets), which
    /// has the text.
    fn validate(&self) -> Result<(), ValidationError> {
        for (i, feature) in self.features.iter().enumerate() {
            feature
                .validate()
                .map_err(|e| e.in_index(i).in_field("features"))?;
        }
        Ok(())
    }
}
