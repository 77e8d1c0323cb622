//! Rich text: a post's text with its facets (mentions, links, tags), as
//! `app.bsky.richtext.facet` has them.
//!
//! A facet marks a byte range of the text (UTF-8 bytes, not characters) with what it is. A
//! [`RichText`] is built from parts ([`RichText::builder`]), found in plain text
//! ([`RichText::detect`], with the rules of `@atproto/api`'s `RichText.detectFacets`), or
//! read back from a record ([`RichText::with_facets`]); it keeps its facets right through
//! edits ([`RichText::insert`], [`RichText::delete`]), counts graphemes as the lexicon does,
//! and cuts the text into [`segments`](RichText::segments) for display.
//!
//! Detected mentions hold the handle as written until [`RichText::resolve_mentions`] turns
//! each into the DID the handle points to, through any [`MentionResolver`]: an XRPC client
//! (`com.atproto.identity.resolveHandle` at its service), `atlex::identity::Resolver` with the
//! `identity` feature, or a map of known handles.
//!
//! ```
//! use atlex::richtext::{Feature, RichText};
//! use atlex::types::Did;
//! use std::collections::HashMap;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut post = RichText::detect("Grüße @alice.test! Notes: https://example.com/notes. #rust");
//! assert_eq!(post.facets().len(), 3);
//! assert_eq!(post.unresolved_mentions().collect::<Vec<_>>(), ["alice.test"]);
//!
//! // Any `atlex::Client` resolves handles too; a map is enough for this example.
//! let known = HashMap::from([("alice.test".to_owned(), Did::new("did:plc:alice")?)]);
//! let dropped = post.resolve_mentions(&known).await;
//! assert!(dropped.is_empty());
//!
//! let mention = &post.facets()[0];
//! assert_eq!(&post.text()[mention.index.range()], "@alice.test");
//! assert_eq!(mention.index.byte_start, 8); // "Grüße " is 8 bytes: ü and ß take two each.
//! assert!(matches!(&mention.features[0], Feature::Mention { did } if did == "did:plc:alice"));
//! assert!(!post.exceeds(300, 3000)); // app.bsky.feed.post's text: 300 graphemes, 3000 bytes
//!
//! // The facets as JSON, as the `facets` of an `app.bsky.feed.post` record have them. For the
//! // generated record, `atlex_lexicons::richtext::facets(&post)` gives them as
//! // `app.bsky.richtext.facet`'s type (`facet::Main`), each also a `TryFrom` of a `Facet`.
//! let facets = serde_json::to_value(post.facets())?;
//! assert_eq!(facets[1]["features"][0]["uri"], "https://example.com/notes");
//! # Ok(())
//! # }
//! # futures_util::FutureExt::now_or_never(run()).unwrap().unwrap();
//! ```

mod detect;
mod facet;
mod resolve;
mod tables;

pub use facet::{ByteSlice, Facet, Feature, LINK, MENTION, TAG};
pub use resolve::{DroppedMention, MentionResolver, UnknownHandle};

use crate::types::Did;
use std::fmt;
use std::ops::Range;
use unicode_segmentation::UnicodeSegmentation;

/// Text with facets, their byte offsets kept on the text's characters and in order.
///
/// Facets are sorted by their start (a stable sort, as `@atproto/api`'s `RichText` does);
/// each lies within the text, on character boundaries, and does not end before it starts.
///
/// ```
/// use atlex::richtext::RichText;
/// use atlex::types::Did;
///
/// let post = RichText::builder()
///     .text("héllo ")
///     .mention("alice.test", Did::new("did:plc:alice")?)
///     .text(" see ")
///     .link("https://example.com/a-long-path", "example.com")
///     .text(" ")
///     .tag("rust")
///     .build();
/// assert_eq!(post.text(), "héllo @alice.test see example.com #rust");
/// assert_eq!(post.facets()[0].index.range(), 7..18);
/// assert_eq!(post.grapheme_len(), 39);
/// assert_eq!(post.byte_len(), 40); // "é" is two bytes
/// # Ok::<(), atlex::types::FormatError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RichText {
    text: String,
    facets: Vec<Facet>,
}

impl RichText {
    /// Plain text, with no facet.
    pub fn new(text: impl Into<String>) -> Self {
        RichText {
            text: text.into(),
            facets: Vec::new(),
        }
    }

    /// The text with the facets that `@atproto/api`'s detection finds in it: mentions
    /// (`@handle`, as [`Feature::UnresolvedMention`] until
    /// [`resolve_mentions`](Self::resolve_mentions)), links (`https://...` and bare domains
    /// such as `example.com`, trailing punctuation left out) and tags (`#tag`, `＃tag`, and
    /// cashtags such as `$AAPL`).
    ///
    /// ```
    /// use atlex::richtext::{Feature, RichText};
    ///
    /// let post = RichText::detect("see example.com/docs. #rust");
    /// let uris: Vec<_> = post.facets().iter().map(|f| &f.features[0]).collect();
    /// assert_eq!(
    ///     uris,
    ///     [
    ///         &Feature::Link { uri: "https://example.com/docs".into() },
    ///         &Feature::Tag { tag: "rust".into() },
    ///     ]
    /// );
    /// ```
    pub fn detect(text: impl Into<String>) -> Self {
        let mut rich = RichText::new(text);
        rich.detect_facets();
        rich
    }

    /// Text and facets, such as a record's `text` and `facets`: the facets are sorted by
    /// their start, and refused when one does not fit the text (see [`FacetError`]).
    ///
    /// ```
    /// use atlex::richtext::{Facet, Feature, RichText};
    ///
    /// let tag = Feature::Tag { tag: "rust".into() };
    /// assert!(RichText::with_facets("né #rust", vec![Facet::new(4..9, tag.clone())]).is_ok());
    /// // Offsets in characters instead of bytes: the tag would start inside "é".
    /// let err = RichText::with_facets("né #rust", vec![Facet::new(2..7, tag)]).unwrap_err();
    /// assert_eq!(err.facet(), 0);
    /// ```
    pub fn with_facets(
        text: impl Into<String>,
        mut facets: Vec<Facet>,
    ) -> Result<Self, FacetError> {
        let text = text.into();
        for (position, facet) in facets.iter().enumerate() {
            check_slice(&text, facet.index).map_err(|problem| FacetError {
                facet: position,
                index: facet.index,
                problem,
            })?;
        }
        facets.sort_by_key(|f| f.index.byte_start);
        Ok(RichText { text, facets })
    }

    /// As [`with_facets`](Self::with_facets), but a facet that does not fit the text is left
    /// out instead of refused: for showing what others wrote, where a broken facet should not
    /// hide the text.
    pub fn with_facets_lossy(text: impl Into<String>, mut facets: Vec<Facet>) -> Self {
        let text = text.into();
        facets.retain(|f| check_slice(&text, f.index).is_ok());
        facets.sort_by_key(|f| f.index.byte_start);
        RichText { text, facets }
    }

    /// A builder that puts text and facets together piece by piece.
    pub fn builder() -> RichTextBuilder {
        RichTextBuilder::default()
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The facets, sorted by start.
    pub fn facets(&self) -> &[Facet] {
        &self.facets
    }

    /// The text and the facets.
    pub fn into_parts(self) -> (String, Vec<Facet>) {
        (self.text, self.facets)
    }

    /// The facets as another type with the same serde shape, converted through JSON: the
    /// `app.bsky.richtext.facet` type (`facet::Main`) of a `lexicon!` invocation of your own.
    /// Fails on an unresolved mention, or where the other type refuses a value (a link that
    /// is not a valid URI, for a type that checks the format).
    ///
    /// For the official crate's type, `atlex_lexicons::app::bsky::richtext::facet::Main`,
    /// convert without JSON: `atlex_lexicons::richtext::facets(&rich)`, or `TryFrom` of each
    /// [`Facet`] (and back to a `Facet`, to show a post's text).
    pub fn facets_into<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>, serde_json::Error> {
        serde_json::from_value(serde_json::to_value(&self.facets)?)
    }

    /// The length of the text in UTF-8 bytes (what the lexicon's `maxLength` counts).
    pub fn byte_len(&self) -> usize {
        self.text.len()
    }

    /// The number of grapheme clusters in the text (what the lexicon's `maxGraphemes`
    /// counts: extended grapheme clusters, so that a family emoji or a letter with combining
    /// marks counts one).
    pub fn grapheme_len(&self) -> usize {
        self.text.graphemes(true).count()
    }

    /// Whether the text has more than `max_graphemes` graphemes or more than `max_bytes`
    /// UTF-8 bytes: `exceeds(300, 3000)` for the text of an `app.bsky.feed.post`, whose
    /// lexicon sets `maxGraphemes` 300 and `maxLength` 3000.
    pub fn exceeds(&self, max_graphemes: usize, max_bytes: usize) -> bool {
        // A string has no more graphemes than bytes.
        self.text.len() > max_bytes
            || (self.text.len() > max_graphemes && self.grapheme_len() > max_graphemes)
    }

    /// The text cut at the facets' edges, for display: plain runs, and runs with the facet
    /// over them, in order, as `@atproto/api`'s `RichText.segments()` cuts them. A facet
    /// that starts before the previous one ends is left out, as is one that holds no byte;
    /// one over white space only gives a plain run. Text without facets is one plain
    /// segment (an empty one for empty text).
    ///
    /// ```
    /// use atlex::richtext::RichText;
    ///
    /// let post = RichText::detect("read example.com now");
    /// let parts: Vec<_> = post.segments().map(|s| (s.text(), s.link())).collect();
    /// assert_eq!(
    ///     parts,
    ///     [("read ", None), ("example.com", Some("https://example.com")), (" now", None)]
    /// );
    /// ```
    pub fn segments(&self) -> Segments<'_> {
        let text = self.text.as_str();
        let plain = |range: Range<usize>| Segment {
            text: &text[range],
            facet: None,
        };
        let mut out = Vec::new();
        if self.facets.is_empty() {
            out.push(plain(0..text.len()));
            return Segments(out.into_iter());
        }
        let mut cursor = 0;
        for facet in &self.facets {
            // Every facet fits (each way to make one checks it); this keeps the slicing
            // below from ever panicking.
            if check_slice(text, facet.index).is_err() {
                continue;
            }
            let ByteSlice {
                byte_start: start,
                byte_end: end,
            } = facet.index;
            if cursor < start {
                out.push(plain(cursor..start));
            } else if cursor > start {
                continue;
            }
            if start < end {
                let run = &text[start..end];
                out.push(Segment {
                    text: run,
                    facet: (!run.chars().all(detect::is_space)).then_some(facet),
                });
            }
            cursor = end;
        }
        if cursor < text.len() {
            out.push(plain(cursor..text.len()));
        }
        Segments(out.into_iter())
    }

    /// Inserts `text` at byte `at`, moving the facets after it and stretching a facet that
    /// holds it (as `@atproto/api`'s `RichText.insert`, counting the inserted text in bytes).
    ///
    /// ```
    /// use atlex::richtext::RichText;
    ///
    /// let mut post = RichText::detect("#rust");
    /// post.insert(0, "¡Olé! ")?;
    /// assert_eq!(&post.text()[post.facets()[0].index.range()], "#rust");
    /// # Ok::<(), atlex::richtext::OffsetError>(())
    /// ```
    pub fn insert(&mut self, at: usize, text: &str) -> Result<(), OffsetError> {
        check_offset(&self.text, at)?;
        self.text.insert_str(at, text);
        let added = text.len();
        for facet in &mut self.facets {
            let index = &mut facet.index;
            if at <= index.byte_start {
                index.byte_start += added;
                index.byte_end += added;
            } else if at < index.byte_end {
                index.byte_end += added;
            }
        }
        Ok(())
    }

    /// Deletes the bytes of `range`, moving and shrinking the facets as `@atproto/api`'s
    /// `RichText.delete` does; a facet left with no byte is removed (one that held no byte
    /// before is removed too).
    pub fn delete(&mut self, range: Range<usize>) -> Result<(), OffsetError> {
        let (start, end) = (range.start, range.end);
        check_slice(&self.text, ByteSlice::from(range.clone()))?;
        self.text.replace_range(range, "");
        let removed = end - start;
        for facet in &mut self.facets {
            let index = &mut facet.index;
            if start <= index.byte_start && end >= index.byte_end {
                // The whole facet.
                index.byte_start = 0;
                index.byte_end = 0;
            } else if start > index.byte_end {
                // After the facet.
            } else if start > index.byte_start && start <= index.byte_end && end > index.byte_end {
                // The facet's end and after.
                index.byte_end = start;
            } else if start >= index.byte_start && end <= index.byte_end {
                // Inside the facet.
                index.byte_end -= removed;
            } else if start < index.byte_start && end >= index.byte_start && end <= index.byte_end {
                // Before the facet and its start.
                index.byte_start = start;
                index.byte_end -= removed;
            } else if end < index.byte_start {
                // Before the facet.
                index.byte_start -= removed;
                index.byte_end -= removed;
            }
        }
        self.facets
            .retain(|f| f.index.byte_start < f.index.byte_end);
        Ok(())
    }

    /// Replaces the facets with those that [`detect`](Self::detect) finds in the text.
    pub fn detect_facets(&mut self) {
        self.facets = detect::detect(&self.text);
    }

    /// The handles of the mentions not resolved to a DID yet, in the order of the text (a
    /// handle mentioned twice is listed twice).
    pub fn unresolved_mentions(&self) -> impl Iterator<Item = &str> + '_ {
        self.facets
            .iter()
            .flat_map(|f| &f.features)
            .filter_map(|feature| match feature {
                Feature::UnresolvedMention { handle } => Some(handle.as_str()),
                _ => None,
            })
    }

    /// Resolves every unresolved mention to its DID through `resolver`, asking once per
    /// handle and for all handles at once. A mention whose handle does not resolve (for any
    /// reason: unknown, malformed, unreachable service) is dropped, and its facet with it
    /// when it had no other feature; the dropped handles come back with the error each
    /// gave, in the order of the text.
    ///
    /// `@atproto/api`'s `RichText.detectFacets` also resolves every handle and gives up on
    /// one that fails for any reason, but keeps its facet with an empty DID, which is not a
    /// valid DID for the lexicon; here it is dropped instead.
    pub async fn resolve_mentions<R: MentionResolver>(
        &mut self,
        resolver: &R,
    ) -> Vec<DroppedMention<R::Error>> {
        resolve::resolve_mentions(&mut self.facets, resolver).await
    }
}

/// Checks that byte `at` is in `text` and on a character boundary.
fn check_offset(text: &str, at: usize) -> Result<(), OffsetError> {
    if at > text.len() {
        Err(OffsetError::PastEnd {
            offset: at,
            len: text.len(),
        })
    } else if !text.is_char_boundary(at) {
        Err(OffsetError::NotCharBoundary { offset: at })
    } else {
        Ok(())
    }
}

/// Checks that `slice` lies in `text`, on character boundaries, and does not end before it
/// starts.
fn check_slice(text: &str, slice: ByteSlice) -> Result<(), OffsetError> {
    if slice.byte_start > slice.byte_end {
        return Err(OffsetError::Reversed {
            start: slice.byte_start,
            end: slice.byte_end,
        });
    }
    check_offset(text, slice.byte_start)?;
    check_offset(text, slice.byte_end)
}

/// A byte offset that does not fit the text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OffsetError {
    /// The offset is past the end of the text.
    PastEnd {
        /// The offset.
        offset: usize,
        /// The text's length in bytes.
        len: usize,
    },
    /// The offset falls inside a character's UTF-8 bytes.
    NotCharBoundary {
        /// The offset.
        offset: usize,
    },
    /// A range ends before it starts.
    Reversed {
        /// The start.
        start: usize,
        /// The end.
        end: usize,
    },
}

impl fmt::Display for OffsetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OffsetError::PastEnd { offset, len } => {
                write!(f, "byte {offset} is past the end of the text ({len} bytes)")
            }
            OffsetError::NotCharBoundary { offset } => write!(
                f,
                "byte {offset} is inside a character; offsets count UTF-8 bytes, so convert \
                 character or UTF-16 offsets to bytes"
            ),
            OffsetError::Reversed { start, end } => {
                write!(
                    f,
                    "the range ends (byte {end}) before it starts (byte {start})"
                )
            }
        }
    }
}

impl std::error::Error for OffsetError {}

/// A facet that does not fit its text: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetError {
    facet: usize,
    index: ByteSlice,
    problem: OffsetError,
}

impl FacetError {
    /// The facet's position in the list given.
    pub fn facet(&self) -> usize {
        self.facet
    }

    /// The facet's byte slice.
    pub fn index(&self) -> ByteSlice {
        self.index
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &OffsetError {
        &self.problem
    }
}

impl fmt::Display for FacetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "facet {} (bytes {}..{}) does not fit the text: {}",
            self.facet, self.index.byte_start, self.index.byte_end, self.problem
        )
    }
}

impl std::error::Error for FacetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.problem)
    }
}

/// Puts a [`RichText`] together from text and facets, each facet's offsets counted as its
/// text is added. Made by [`RichText::builder`].
#[derive(Debug, Clone, Default)]
pub struct RichTextBuilder {
    text: String,
    facets: Vec<Facet>,
}

impl RichTextBuilder {
    /// Plain text.
    pub fn text(mut self, text: impl AsRef<str>) -> Self {
        self.text.push_str(text.as_ref());
        self
    }

    /// `@handle` (give the handle without its `@`), a mention of `did`.
    pub fn mention(self, handle: impl AsRef<str>, did: Did) -> Self {
        let text = format!("@{}", handle.as_ref());
        self.facet(text, vec![Feature::Mention { did }])
    }

    /// `@handle` (give the handle without its `@`), a mention whose DID
    /// [`RichText::resolve_mentions`] finds later.
    pub fn unresolved_mention(self, handle: impl AsRef<str>) -> Self {
        let handle = handle.as_ref();
        self.facet(
            format!("@{handle}"),
            vec![Feature::UnresolvedMention {
                handle: handle.to_owned(),
            }],
        )
    }

    /// `label`, a link to `uri` (the label may be the URI itself, or a shorter text).
    pub fn link(self, uri: impl Into<String>, label: impl AsRef<str>) -> Self {
        self.facet(label, vec![Feature::Link { uri: uri.into() }])
    }

    /// `#tag` (give the tag without its `#`), a tag.
    pub fn tag(self, tag: impl Into<String>) -> Self {
        let tag = tag.into();
        self.facet(format!("#{tag}"), vec![Feature::Tag { tag }])
    }

    /// `text` with a facet of `features` over it.
    pub fn facet(mut self, text: impl AsRef<str>, features: Vec<Feature>) -> Self {
        let start = self.text.len();
        self.text.push_str(text.as_ref());
        self.facets.push(Facet {
            index: ByteSlice {
                byte_start: start,
                byte_end: self.text.len(),
            },
            features,
        });
        self
    }

    /// The rich text.
    pub fn build(self) -> RichText {
        RichText {
            text: self.text,
            facets: self.facets,
        }
    }
}

/// A run of the text, plain or under one facet: an item of [`RichText::segments`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    text: &'a str,
    facet: Option<&'a Facet>,
}

impl<'a> Segment<'a> {
    /// The run's text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The facet over the run (`None` for plain text).
    pub fn facet(&self) -> Option<&'a Facet> {
        self.facet
    }

    /// The features of the facet over the run (none for plain text).
    pub fn features(&self) -> &'a [Feature] {
        self.facet.map_or(&[], |f| &f.features)
    }

    /// The URI, when the run is a link.
    pub fn link(&self) -> Option<&'a str> {
        self.features().iter().find_map(|f| match f {
            Feature::Link { uri } => Some(uri.as_str()),
            _ => None,
        })
    }

    /// The DID, when the run is a resolved mention.
    pub fn mention(&self) -> Option<&'a Did> {
        self.features().iter().find_map(|f| match f {
            Feature::Mention { did } => Some(did),
            _ => None,
        })
    }

    /// The tag (without `#`), when the run is a tag.
    pub fn tag(&self) -> Option<&'a str> {
        self.features().iter().find_map(|f| match f {
            Feature::Tag { tag } => Some(tag.as_str()),
            _ => None,
        })
    }
}

/// The segments of a [`RichText`], in order: made by [`RichText::segments`].
#[derive(Debug, Clone)]
pub struct Segments<'a>(std::vec::IntoIter<Segment<'a>>);

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Segments<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back()
    }
}

impl ExactSizeIterator for Segments<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Validate;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn did(name: &str) -> Did {
        Did::new(format!("did:plc:{name}")).unwrap()
    }

    fn tag(t: &str) -> Feature {
        Feature::Tag { tag: t.into() }
    }

    #[test]
    fn facets_that_do_not_fit_are_refused_with_the_reason() {
        let text = "né #rust";
        let err = |facets| RichText::with_facets(text, facets).unwrap_err();
        let e = err(vec![
            Facet::new(4..9, tag("ok")),
            Facet::new(2..7, tag("x")),
        ]);
        assert_eq!((e.facet(), e.index()), (1, ByteSlice::from(2..7)));
        assert_eq!(e.problem(), &OffsetError::NotCharBoundary { offset: 2 });
        assert!(e
            .to_string()
            .contains("convert character or UTF-16 offsets to bytes"));
        let e = err(vec![Facet::new(4..10, tag("x"))]);
        assert_eq!(e.problem(), &OffsetError::PastEnd { offset: 10, len: 9 });
        let e = err(vec![Facet::new(
            ByteSlice {
                byte_start: 5,
                byte_end: 4,
            },
            tag("x"),
        )]);
        assert_eq!(e.problem(), &OffsetError::Reversed { start: 5, end: 4 });
        assert!(RichText::with_facets(text, vec![Facet::new(9..9, tag("end"))]).is_ok());

        let lossy = RichText::with_facets_lossy(
            text,
            vec![
                Facet::new(4..9, tag("b")),
                Facet::new(2..7, tag("x")),
                Facet::new(0..1, tag("a")),
            ],
        );
        let kept: Vec<_> = lossy.facets().iter().map(|f| f.index.range()).collect();
        assert_eq!(kept, [0..1, 4..9]);
    }

    #[test]
    fn edits_refuse_offsets_off_the_text() {
        let mut rich = RichText::detect("né #rust");
        assert_eq!(
            rich.insert(2, "x"),
            Err(OffsetError::NotCharBoundary { offset: 2 })
        );
        assert_eq!(
            rich.insert(10, "x"),
            Err(OffsetError::PastEnd { offset: 10, len: 9 })
        );
        assert!(rich.delete(1..2).is_err() && rich.delete(3..10).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = rich.delete(4..3);
        assert_eq!(reversed, Err(OffsetError::Reversed { start: 4, end: 3 }));
        assert_eq!(rich.text(), "né #rust", "nothing changed");
        rich.delete(0..4).unwrap();
        assert_eq!(
            (rich.text(), rich.facets()[0].index.range()),
            ("#rust", 0..5)
        );
        rich.delete(1..3).unwrap();
        assert_eq!((rich.text(), rich.facets()[0].index.range()), ("#st", 0..3));
        rich.delete(0..3).unwrap();
        assert!(rich.facets().is_empty());
    }

    #[test]
    fn lengths_count_graphemes_and_bytes() {
        let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
        let rich = RichText::new(family.repeat(100));
        assert_eq!((rich.grapheme_len(), rich.byte_len()), (100, 2500));
        assert!(!rich.exceeds(300, 3000));
        assert!(rich.exceeds(99, 3000) && rich.exceeds(300, 2499));
        let rich = RichText::new("e\u{301}".repeat(300));
        assert_eq!(rich.grapheme_len(), 300);
        assert!(!rich.exceeds(300, 3000) && rich.exceeds(299, 3000));
    }

    #[test]
    fn features_validate_as_the_lexicon_says() {
        let facet = |feature| Facet::new(0..1, feature).validate();
        assert!(facet(tag(&"a".repeat(64))).is_ok());
        let e = facet(tag(&"a".repeat(65))).unwrap_err();
        assert_eq!(e.path_string(), "features[0].tag");
        // 64 graphemes of 11 bytes each are over the 640 bytes.
        let e = facet(tag(&"e\u{301}\u{301}\u{301}\u{301}\u{301}".repeat(64))).unwrap_err();
        assert!(e.to_string().contains("maxLength 640"), "{e}");
        let e = facet(Feature::Link {
            uri: "http.foo".into(),
        })
        .unwrap_err();
        assert_eq!(e.path_string(), "features[0].uri");
        let e = facet(Feature::UnresolvedMention {
            handle: "alice.test".into(),
        })
        .unwrap_err();
        assert!(e.to_string().contains("resolve_mentions"), "{e}");
        assert!(facet(Feature::Mention { did: did("a") }).is_ok());
    }

    #[test]
    fn features_read_by_type_and_refuse_what_breaks_it() {
        let read = |json: &str| serde_json::from_str::<Feature>(json);
        assert_eq!(
            read(r#"{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:a"}"#).unwrap(),
            Feature::Mention { did: did("a") }
        );
        let e = read(r#"{"$type": "app.bsky.richtext.facet#mention", "did": "alice.test"}"#);
        assert!(e.unwrap_err().to_string().contains("did"));
        let e = read(r#"{"$type": "app.bsky.richtext.facet#tag"}"#).unwrap_err();
        assert!(e.to_string().contains("tag"), "{e}");
        let e = read(r#"{"tag": "x"}"#).unwrap_err();
        assert!(e.to_string().contains("$type"), "{e}");
        // The facet's own `$type`, which the reference writes on mention facets, is ignored.
        let facet: Facet = serde_json::from_str(
            r##"{"$type": "app.bsky.richtext.facet", "index": {"byteStart": 0, "byteEnd": 5},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "rust"}]}"##,
        )
        .unwrap();
        assert_eq!(facet, Facet::new(0..5, tag("rust")));
        let e = serde_json::from_str::<Facet>(
            r#"{"index": {"byteStart": -1, "byteEnd": 5}, "features": []}"#,
        );
        assert!(e.is_err());
        let unresolved = Feature::UnresolvedMention {
            handle: "alice.test".into(),
        };
        let e = serde_json::to_string(&unresolved).unwrap_err();
        assert!(e.to_string().contains("resolve_mentions"), "{e}");
    }

    /// Resolves from a map, counting the calls, each answer waiting until every call has
    /// started (so that handles resolved one after the other never finish).
    struct Counting {
        known: HashMap<String, Did>,
        calls: AtomicUsize,
        all_started: Arc<tokio::sync::Barrier>,
    }

    impl MentionResolver for Counting {
        type Error = UnknownHandle;

        fn resolve_mention(
            &self,
            handle: &str,
        ) -> impl std::future::Future<Output = Result<Did, UnknownHandle>> + Send {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let answer = self.known.resolve_mention(handle);
            let all_started = self.all_started.clone();
            async move {
                all_started.wait().await;
                answer.await
            }
        }
    }

    #[tokio::test]
    async fn mentions_resolve_once_per_handle_all_at_once_and_unknown_ones_drop() {
        let mut rich = RichText::builder()
            .unresolved_mention("alice.test")
            .text(" ")
            .unresolved_mention("nobody.test")
            .text(" ")
            .unresolved_mention("alice.test")
            .text(" ")
            .facet(
                "both",
                vec![
                    tag("kept"),
                    Feature::UnresolvedMention {
                        handle: "nobody.test".into(),
                    },
                ],
            )
            .text(" ")
            .unresolved_mention("bob.test")
            .build();
        let resolver = Counting {
            known: HashMap::from([
                ("alice.test".to_owned(), did("alice")),
                ("bob.test".to_owned(), did("bob")),
            ]),
            calls: AtomicUsize::new(0),
            all_started: Arc::new(tokio::sync::Barrier::new(3)),
        };
        let dropped = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            rich.resolve_mentions(&resolver),
        )
        .await
        .expect("the three handles are resolved at once");
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 3);
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].handle, "nobody.test");
        assert_eq!(
            dropped[0].at,
            [ByteSlice::from(12..24), ByteSlice::from(37..41)]
        );
        assert_eq!(dropped[0].error, UnknownHandle("nobody.test".into()));
        let features: Vec<(&str, &[Feature])> = rich
            .facets()
            .iter()
            .map(|f| (&rich.text()[f.index.range()], &f.features[..]))
            .collect();
        assert_eq!(
            features,
            [
                ("@alice.test", &[Feature::Mention { did: did("alice") }][..]),
                ("@alice.test", &[Feature::Mention { did: did("alice") }][..]),
                ("both", &[tag("kept")][..]),
                ("@bob.test", &[Feature::Mention { did: did("bob") }][..]),
            ]
        );
        assert!(rich.unresolved_mentions().next().is_none());
        assert!(rich.facets().iter().all(|f| f.validate().is_ok()));
        // Nothing left to resolve: no call.
        assert!(rich.resolve_mentions(&resolver).await.is_empty());
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn segments_put_back_together_are_the_text() {
        let rich = RichText::with_facets(
            "\u{FEFF}a b",
            vec![Facet::new(0..4, tag("bom")), Facet::new(5..6, tag("b"))],
        )
        .unwrap();
        let texts: Vec<&str> = rich.segments().map(|s| s.text()).collect();
        assert_eq!(texts, ["\u{FEFF}a", " ", "b"]);
        assert_eq!(rich.segments().len(), 3);
        let seg = rich.segments().next_back().unwrap();
        assert_eq!(
            (seg.tag(), seg.link(), seg.mention()),
            (Some("b"), None, None)
        );
        assert_eq!(
            RichText::new("")
                .segments()
                .map(|s| s.text())
                .collect::<Vec<_>>(),
            [""]
        );
    }
}
