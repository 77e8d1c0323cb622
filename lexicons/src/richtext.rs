//! Conversions between atlex's rich text ([`atlex::richtext`]) and the facets of
//! `app.bsky.richtext.facet` ([`facet`]).
//!
//! [`atlex::richtext::RichText`] builds and detects facets; a post holds them as
//! [`facet::Main`]. Each way is a `TryFrom`, by value or by reference:
//!
//! - [`Facet`] to [`facet::Main`], [`Feature`] to [`facet::MainFeaturesItem`], [`ByteSlice`]
//!   to [`facet::ByteSlice`]: refused for a mention not resolved to a DID yet, a link that is
//!   not a URI, an offset beyond `i64`, or an unknown feature without a `$type` (or with the
//!   `$type` of a known feature and other fields).
//! - [`facet::Main`] to [`Facet`] and so on back: refused for a negative offset (or one beyond
//!   `usize`), or an unknown feature as above. A feature of a type neither side knows stays
//!   whole in `Unknown` both ways. Properties the lexicon does not define (the generated
//!   types' `extra`) are not kept: [`Facet`] has no place for them.
//!
//! Mentions, links and tags of the lexicon convert into a [`Feature`] with `From`.
//! [`facets`] converts all of a [`RichText`]'s facets at once.
//!
//! ```
//! use atlex::richtext::RichText;
//! use atlex::types::{Datetime, Did};
//! use atlex_lexicons::app::bsky::feed::post;
//! use atlex_lexicons::app::bsky::richtext::facet;
//!
//! let rich = RichText::builder()
//!     .text("Grüße ")
//!     .mention("alice.test", Did::new("did:plc:alice")?)
//!     .text(", see ")
//!     .link("https://example.com/notes", "example.com/notes")
//!     .build();
//! let post = post::Record {
//!     facets: Some(atlex_lexicons::richtext::facets(&rich)?),
//!     ..post::Record::new(rich.text().into(), Datetime::now())
//! };
//! let facets = post.facets.as_deref().unwrap_or_default();
//! assert_eq!(facets[0].index.byte_start, 8); // "Grüße " is 8 bytes
//! assert!(matches!(&facets[1].features[0], facet::MainFeaturesItem::Link(link)
//!     if link.uri.as_str() == "https://example.com/notes"));
//!
//! // And back, to show a post's text with its facets.
//! let facets = facets.iter().map(TryInto::try_into).collect::<Result<Vec<_>, _>>()?;
//! let shown = RichText::with_facets(post.text.clone(), facets)?;
//! assert_eq!(shown, rich);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::app::bsky::richtext::facet;
use atlex::richtext::{ByteSlice, Facet, Feature, RichText};
use atlex::types::{FormatError, Unknown, Uri};
use std::fmt;

/// A facet that has no equivalent on the other side: which facet and feature, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionError {
    facet: Option<usize>,
    feature: Option<usize>,
    problem: Problem,
}

/// Why a facet or feature does not convert.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A mention found in the text whose handle is not resolved to a DID: the lexicon's
    /// mention holds a DID. Call `RichText::resolve_mentions` first.
    UnresolvedMention {
        /// The handle as written.
        handle: String,
    },
    /// A link whose `uri` is not a URI, which the lexicon's link requires.
    InvalidLink(FormatError),
    /// A byte offset that does not fit the other side's integer: negative, or beyond `i64`
    /// (the lexicon's integers) or `usize`.
    OffsetOutOfRange {
        /// `byteStart` or `byteEnd`.
        field: &'static str,
        /// The offset, as given.
        value: i128,
    },
    /// A feature of another type that is not a union member: it has no `$type`, or it has
    /// the `$type` of a mention, link or tag and not that feature's fields.
    MalformedFeature(String),
}

impl ConversionError {
    /// The index of the facet that does not convert, when a list was converted.
    pub fn facet(&self) -> Option<usize> {
        self.facet
    }

    /// The index of the feature that does not convert, within its facet.
    pub fn feature(&self) -> Option<usize> {
        self.feature
    }

    /// What is wrong.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    fn at_facet(mut self, index: usize) -> Self {
        self.facet = Some(index);
        self
    }

    fn at_feature(mut self, index: usize) -> Self {
        self.feature = Some(index);
        self
    }
}

impl From<Problem> for ConversionError {
    fn from(problem: Problem) -> Self {
        ConversionError {
            facet: None,
            feature: None,
            problem,
        }
    }
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(i) = self.facet {
            write!(f, "facet {i}: ")?;
        }
        if let Some(i) = self.feature {
            write!(f, "feature {i}: ")?;
        }
        match &self.problem {
            Problem::UnresolvedMention { handle } => write!(
                f,
                "the mention of `{handle}` is not resolved to a DID: call \
                 RichText::resolve_mentions first"
            ),
            Problem::InvalidLink(e) => write!(
                f,
                "the link is not a URI ({e}): give the full address, with its scheme"
            ),
            Problem::OffsetOutOfRange { field, value } => write!(
                f,
                "{field} {value} is not a byte offset: offsets count the text's UTF-8 bytes \
                 from 0"
            ),
            Problem::MalformedFeature(e) => write!(f, "the feature is not a union member: {e}"),
        }
    }
}

impl std::error::Error for ConversionError {}

/// All of `rich`'s facets as the lexicon's, in order (the `facets` of an
/// `app.bsky.feed.post`); refused as a whole if one does not convert (see the module's
/// documentation), with that facet's index.
pub fn facets(rich: &RichText) -> Result<Vec<facet::Main>, ConversionError> {
    rich.facets()
        .iter()
        .enumerate()
        .map(|(i, f)| facet::Main::try_from(f).map_err(|e| e.at_facet(i)))
        .collect()
}

/// An offset of ours as a lexicon integer.
fn to_i64(field: &'static str, value: usize) -> Result<i64, ConversionError> {
    i64::try_from(value).map_err(|_| {
        Problem::OffsetOutOfRange {
            field,
            value: value as i128,
        }
        .into()
    })
}

/// A lexicon integer as an offset of ours.
fn to_usize(field: &'static str, value: i64) -> Result<usize, ConversionError> {
    usize::try_from(value).map_err(|_| {
        Problem::OffsetOutOfRange {
            field,
            value: i128::from(value),
        }
        .into()
    })
}

/// An unknown feature read as a member of a union (the `$type` decides which): refused
/// without a `$type`.
macro_rules! reread {
    ($unknown:expr) => {{
        let unknown: &Unknown = $unknown;
        if unknown.type_name().is_none() {
            return Err(Problem::MalformedFeature("it has no `$type`".into()).into());
        }
        unknown
            .to_typed()
            .map_err(|e| ConversionError::from(Problem::MalformedFeature(e.to_string())))?
    }};
}

impl TryFrom<ByteSlice> for facet::ByteSlice {
    type Error = ConversionError;

    fn try_from(slice: ByteSlice) -> Result<Self, ConversionError> {
        Ok(facet::ByteSlice::new(
            to_i64("byteStart", slice.byte_start)?,
            to_i64("byteEnd", slice.byte_end)?,
        ))
    }
}

impl TryFrom<&facet::ByteSlice> for ByteSlice {
    type Error = ConversionError;

    fn try_from(slice: &facet::ByteSlice) -> Result<Self, ConversionError> {
        Ok(ByteSlice {
            byte_start: to_usize("byteStart", slice.byte_start)?,
            byte_end: to_usize("byteEnd", slice.byte_end)?,
        })
    }
}

impl TryFrom<facet::ByteSlice> for ByteSlice {
    type Error = ConversionError;

    fn try_from(slice: facet::ByteSlice) -> Result<Self, ConversionError> {
        ByteSlice::try_from(&slice)
    }
}

impl TryFrom<&Feature> for facet::MainFeaturesItem {
    type Error = ConversionError;

    fn try_from(feature: &Feature) -> Result<Self, ConversionError> {
        Ok(match feature {
            Feature::Mention { did } => facet::Mention::new(did.clone()).into(),
            Feature::Link { uri } => facet::Link::new(
                Uri::new(uri.as_str())
                    .map_err(|e| ConversionError::from(Problem::InvalidLink(e)))?,
            )
            .into(),
            Feature::Tag { tag } => facet::Tag::new(tag.clone()).into(),
            Feature::UnresolvedMention { handle } => {
                return Err(Problem::UnresolvedMention {
                    handle: handle.clone(),
                }
                .into())
            }
            Feature::Unknown(unknown) => reread!(unknown),
            other => {
                return Err(Problem::MalformedFeature(format!(
                    "a feature of type {:?} that this version does not convert",
                    other.type_name()
                ))
                .into())
            }
        })
    }
}

impl TryFrom<Feature> for facet::MainFeaturesItem {
    type Error = ConversionError;

    fn try_from(feature: Feature) -> Result<Self, ConversionError> {
        facet::MainFeaturesItem::try_from(&feature)
    }
}

impl From<facet::Mention> for Feature {
    fn from(mention: facet::Mention) -> Self {
        Feature::Mention { did: mention.did }
    }
}

impl From<facet::Link> for Feature {
    fn from(link: facet::Link) -> Self {
        Feature::Link {
            uri: link.uri.as_str().to_owned(),
        }
    }
}

impl From<facet::Tag> for Feature {
    fn from(tag: facet::Tag) -> Self {
        Feature::Tag { tag: tag.tag }
    }
}

impl TryFrom<facet::MainFeaturesItem> for Feature {
    type Error = ConversionError;

    fn try_from(item: facet::MainFeaturesItem) -> Result<Self, ConversionError> {
        Ok(match item {
            facet::MainFeaturesItem::Mention(m) => (*m).into(),
            facet::MainFeaturesItem::Link(l) => (*l).into(),
            facet::MainFeaturesItem::Tag(t) => (*t).into(),
            facet::MainFeaturesItem::Unknown(unknown) => reread!(&unknown),
        })
    }
}

impl TryFrom<&facet::MainFeaturesItem> for Feature {
    type Error = ConversionError;

    fn try_from(item: &facet::MainFeaturesItem) -> Result<Self, ConversionError> {
        Feature::try_from(item.clone())
    }
}

impl TryFrom<&Facet> for facet::Main {
    type Error = ConversionError;

    fn try_from(facet: &Facet) -> Result<Self, ConversionError> {
        let features = facet
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| facet::MainFeaturesItem::try_from(f).map_err(|e| e.at_feature(i)))
            .collect::<Result<_, _>>()?;
        Ok(facet::Main::new(facet.index.try_into()?, features))
    }
}

impl TryFrom<Facet> for facet::Main {
    type Error = ConversionError;

    fn try_from(facet: Facet) -> Result<Self, ConversionError> {
        facet::Main::try_from(&facet)
    }
}

impl TryFrom<facet::Main> for Facet {
    type Error = ConversionError;

    fn try_from(main: facet::Main) -> Result<Self, ConversionError> {
        let index = ByteSlice::try_from(&main.index)?;
        let features = main
            .features
            .into_iter()
            .enumerate()
            .map(|(i, f)| Feature::try_from(f).map_err(|e| e.at_feature(i)))
            .collect::<Result<_, _>>()?;
        Ok(Facet { index, features })
    }
}

impl TryFrom<&facet::Main> for Facet {
    type Error = ConversionError;

    fn try_from(main: &facet::Main) -> Result<Self, ConversionError> {
        Facet::try_from(main.clone())
    }
}
