//! Facet detection: the rules of `@atproto/api`'s `detectFacets`, written as scanners.
//!
//! The reference states its rules as JavaScript regular expressions run with the `g` flag
//! (each search starts where the previous match ended, whether or not the match became a
//! facet). Each scanner here walks the same positions in the same order and keeps the same
//! matches, so that the facets, their byte offsets and the text they take agree with the
//! reference on any text. The rules, in the reference's words:
//!
//! - mentions: `/(^|\s|\()(@)([a-zA-Z0-9.-]+)(\b)/g`, kept when the handle ends with a
//!   top-level domain of the [`TLDS`] list or with `.test`;
//! - links: `/(^|\s|\()((https?:\/\/[\S]+)|((?<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[\S]*))/gim`,
//!   a bare domain kept when it ends with a top-level domain and given `https://`; then one
//!   trailing `.,;:!?` dropped, then a trailing `)` when the link has no `(`;
//! - tags: `#` or `＃` after the start or a space, then a run of characters up to a space or
//!   one of U+00AD, U+2060, U+200A..U+200D, U+20E2, not starting with U+FE0F and holding one
//!   character that is neither a digit nor punctuation; trailing punctuation dropped, at most
//!   64 graphemes;
//! - cashtags: `/(^|\s|\()\$([A-Za-z][A-Za-z0-9]{0,4})(?=\s|$|[.,;:!?)"'\u2019])/gu`, a tag
//!   `$` + the ticker in upper case.
//!
//! `\s` is ECMAScript's white space ([`is_space`], which is not Rust's
//! [`char::is_whitespace`]), `\b` an ASCII word boundary, and `\p{P}` the Unicode general
//! category P ([`PUNCTUATION`]).

use super::tables::{PUNCTUATION, TLDS};
use super::{ByteSlice, Facet, Feature};
use unicode_segmentation::UnicodeSegmentation;

/// The most graphemes a detected tag may have (the lexicon's `maxGraphemes` of a tag).
const TAG_MAX_GRAPHEMES: usize = 64;

/// Every facet the reference's detection finds in `text`, sorted by start (stably: mentions,
/// then links, then tags, then cashtags, for facets that start at the same byte).
pub(super) fn detect(text: &str) -> Vec<Facet> {
    let mut facets = Vec::new();
    mentions(text, &mut facets);
    links(text, &mut facets);
    tags(text, &mut facets);
    cashtags(text, &mut facets);
    facets.sort_by_key(|f| f.index.byte_start);
    facets
}

/// ECMAScript's `\s` (WhiteSpace and LineTerminator), which `String.prototype.trim` removes
/// too: unlike [`char::is_whitespace`], it holds U+FEFF and not U+0085.
pub(super) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// ECMAScript's LineTerminator, where `^` matches in a multiline expression.
fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Unicode general category P (`\p{P}`).
fn is_punctuation(c: char) -> bool {
    let c = c as u32;
    PUNCTUATION
        .binary_search_by(|&(first, last)| {
            if last < c {
                std::cmp::Ordering::Less
            } else if first > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Whether `name` ends with `.` and a top-level domain of [`TLDS`] (the reference's
/// `isValidDomain`: case-sensitive, as the list is lower case).
fn is_valid_domain(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, tld)| TLDS.binary_search(&tld).is_ok())
}

/// The character at byte `at`, if any.
fn char_at(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

/// The character before byte `at`, if any.
fn char_before(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

/// Where a match may start: the byte after its leading part (the start of the text, a space,
/// or with `paren` a `(`), for each way the leading part matches at `at`, in the order the
/// reference's alternatives try them. With `multiline`, `^` also matches after a line
/// terminator.
fn leads(text: &str, at: usize, paren: bool, multiline: bool) -> impl Iterator<Item = usize> {
    let here = char_at(text, at);
    let start = at == 0 || (multiline && char_before(text, at).is_some_and(is_line_terminator));
    let after = at + here.map_or(0, char::len_utf8);
    let space = here.is_some_and(is_space);
    let open = paren && here == Some('(');
    [start.then_some(at), (space || open).then_some(after)]
        .into_iter()
        .flatten()
}

/// Runs `matcher` at every character boundary from the start, as a global regular expression
/// does: where it matches (giving the match's end), the next search starts at that end.
fn scan(text: &str, mut matcher: impl FnMut(usize) -> Option<usize>) {
    let mut at = 0;
    while at < text.len() {
        match matcher(at) {
            // Every match holds at least one character; the guard keeps that true.
            Some(end) if end > at => at = end,
            _ => at += char_at(text, at).map_or(1, char::len_utf8),
        }
    }
}

/// The end of the run of characters from `from` that `keep` accepts.
fn run_end(text: &str, from: usize, keep: impl Fn(char) -> bool) -> usize {
    text[from..]
        .char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(text.len(), |(i, _)| from + i)
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `@handle` mentions.
fn mentions(text: &str, out: &mut Vec<Facet>) {
    let bytes = text.as_bytes();
    scan(text, |at| {
        leads(text, at, true, false).find_map(|at_sign| {
            if bytes.get(at_sign) != Some(&b'@') {
                return None;
            }
            let from = at_sign + 1;
            let run = run_end(text, from, is_handle_char);
            // `[a-zA-Z0-9.-]+` gives characters back until `\b` holds after it (the run is
            // ASCII, so every byte is a character).
            let end = (from + 1..=run).rev().find(|&end| {
                let before = bytes[end - 1] as char;
                let after = char_at(text, end);
                is_word(before) != after.is_some_and(is_word)
            })?;
            let handle = &text[from..end];
            if is_valid_domain(handle) || handle.ends_with(".test") {
                out.push(facet(
                    at_sign,
                    end,
                    Feature::UnresolvedMention {
                        handle: handle.to_owned(),
                    },
                ));
            }
            Some(end)
        })
    });
}

/// Links: `http://` and `https://` URLs in any case, and bare domains.
fn links(text: &str, out: &mut Vec<Facet>) {
    scan(text, |at| {
        leads(text, at, true, true).find_map(|from| {
            let (end, domain) = link_at(text, from)?;
            let found = &text[from..end];
            let uri = if found.starts_with("http") {
                found.to_owned()
            } else {
                // A URL whose scheme is not in lower case is no link, and a bare domain needs
                // a top-level domain.
                match domain {
                    Some(domain) if is_valid_domain(&text[from..domain]) => {
                        format!("https://{found}")
                    }
                    _ => return Some(end),
                }
            };
            let (uri, stop) = strip_link_end(uri, end);
            out.push(facet(from, stop, Feature::Link { uri }));
            Some(end)
        })
    });
}

/// The end of a link at `from` and, for a bare domain, the end of its domain: a URL is
/// `http://` or `https://` (in any case) and at least one more character; a bare domain is an
/// ASCII letter, letters and digits, then at least one `.` with letters or digits. Either
/// runs on to the next space.
fn link_at(text: &str, from: usize) -> Option<(usize, Option<usize>)> {
    let rest = &text.as_bytes()[from..];
    // Found only once the start matched: a long run of `(` stays linear.
    let end = || run_end(text, from, |c| !is_space(c));
    for scheme in ["https://", "http://"] {
        if rest.len() > scheme.len() && rest[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
        {
            let end = end();
            if from + scheme.len() < end {
                return Some((end, None));
            }
        }
    }
    if !rest.first()?.is_ascii_alphabetic() {
        return None;
    }
    let alnum_end = |i: usize| {
        i + rest[i..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count()
    };
    let mut domain = alnum_end(1);
    let mut labels = 0;
    while rest.get(domain) == Some(&b'.') {
        let label_end = alnum_end(domain + 1);
        if label_end == domain + 1 {
            break;
        }
        domain = label_end;
        labels += 1;
    }
    (labels > 0).then(|| (end(), Some(from + domain)))
}

/// The reference's trimming of a link's end: one of `.,;:!?`, then a `)` when the link holds
/// no `(`. Gives the link and where its text stops.
fn strip_link_end(mut uri: String, mut end: usize) -> (String, usize) {
    if uri.ends_with(['.', ',', ';', ':', '!', '?']) {
        uri.pop();
        end -= 1;
    }
    if uri.ends_with(')') && !uri.contains('(') {
        uri.pop();
        end -= 1;
    }
    (uri, end)
}

/// The characters that end a tag besides spaces: a soft hyphen, a word joiner and the
/// zero-width space and (non-)joiners, and the enclosing circle backslash.
fn ends_tag(c: char) -> bool {
    is_space(c)
        || matches!(
            c,
            '\u{AD}' | '\u{2060}' | '\u{200A}'..='\u{200D}' | '\u{20E2}'
        )
}

/// `#tag` and `＃tag`.
fn tags(text: &str, out: &mut Vec<Facet>) {
    scan(text, |at| {
        leads(text, at, false, false).find_map(|hash| {
            let mark = char_at(text, hash).filter(|&c| c == '#' || c == '＃')?;
            let from = hash + mark.len_utf8();
            let end = run_end(text, from, |c| !ends_tag(c));
            let run = &text[from..end];
            let is_tag = !run.starts_with('\u{FE0F}')
                && run
                    .chars()
                    .any(|c| !c.is_ascii_digit() && !is_punctuation(c));
            if !is_tag {
                // The tag part is optional: the match is the mark alone.
                return Some(from);
            }
            let tag = run.trim_end_matches(is_punctuation);
            if !tag.is_empty() && tag.graphemes(true).count() <= TAG_MAX_GRAPHEMES {
                out.push(facet(
                    hash,
                    from + tag.len(),
                    Feature::Tag {
                        tag: tag.to_owned(),
                    },
                ));
            }
            Some(end)
        })
    });
}

/// `$TICKER` cashtags, as tags.
fn cashtags(text: &str, out: &mut Vec<Facet>) {
    let bytes = text.as_bytes();
    scan(text, |at| {
        leads(text, at, true, false).find_map(|dollar| {
            if bytes.get(dollar) != Some(&b'$') || !bytes.get(dollar + 1)?.is_ascii_alphabetic() {
                return None;
            }
            let from = dollar + 1;
            let end = run_end(text, from, |c| c.is_ascii_alphanumeric());
            // `[A-Za-z][A-Za-z0-9]{0,4}` followed by what the lookahead allows: a shorter
            // ticker would be followed by a letter or digit, which it does not allow.
            let follows = char_at(text, end).is_none_or(|c| {
                is_space(c)
                    || matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')' | '"' | '\'')
                    || c == '\u{2019}'
            });
            if end - from > 5 || !follows {
                return None;
            }
            let tag = format!("${}", text[from..end].to_ascii_uppercase());
            out.push(facet(dollar, end, Feature::Tag { tag }));
            Some(end)
        })
    });
}

fn facet(start: usize, end: usize, feature: Feature) -> Facet {
    Facet {
        index: ByteSlice {
            byte_start: start,
            byte_end: end,
        },
        features: vec![feature],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&str, String)> {
        detect(text)
            .into_iter()
            .map(|f| {
                let what = match &f.features[0] {
                    Feature::UnresolvedMention { handle } => format!("@{handle}"),
                    Feature::Link { uri } => uri.clone(),
                    Feature::Tag { tag } => format!("#{tag}"),
                    other => format!("{other:?}"),
                };
                (&text[f.index.range()], what)
            })
            .collect()
    }

    #[test]
    fn the_tables_are_sorted_for_binary_search() {
        assert!(TLDS.windows(2).all(|w| w[0] < w[1]));
        assert!(PUNCTUATION
            .windows(2)
            .all(|w| w[0].0 <= w[0].1 && w[0].1 < w[1].0));
        assert!(is_valid_domain("example.com") && is_valid_domain("a.b.co.uk"));
        assert!(
            !is_valid_domain("example.COM") && !is_valid_domain("com") && !is_valid_domain("x.")
        );
        assert!(is_punctuation('!') && is_punctuation('、') && !is_punctuation('+'));
    }

    #[test]
    fn detects_each_kind_at_byte_offsets() {
        assert_eq!(
            found("héllo @alice.test, see https://x.com/a). #rust!! ($AAPL) ＃タグ"),
            [
                ("@alice.test", "@alice.test".to_owned()),
                ("https://x.com/a", "https://x.com/a".to_owned()),
                ("#rust", "#rust".to_owned()),
                ("$AAPL", "#$AAPL".to_owned()),
                ("＃タグ", "#タグ".to_owned()),
            ]
        );
    }

    #[test]
    fn follows_the_reference_quirks() {
        // A scheme in upper case is no link, and its run is not searched again.
        assert!(found("HTTPS://example.com").is_empty());
        // A bare domain starting with `http` keeps no scheme and skips the TLD check.
        assert_eq!(found("http.foo")[0].1, "http.foo");
        // Only one trailing punctuation is dropped, then a `)` without `(`.
        assert_eq!(found("x.com).")[0].1, "https://x.com");
        assert_eq!(found("x.com.)")[0].1, "https://x.com.");
        assert_eq!(found("(x.com/(a))")[0].1, "https://x.com/(a))");
        // `\b` gives back the handle's trailing dot.
        assert_eq!(found("@alice.test.")[0].0, "@alice.test");
        assert!(found("@alice.test_x").is_empty());
        // Tags: digits alone are no tag; a variation selector first is no tag.
        assert!(found("#123 #\u{FE0F}x").is_empty());
        assert_eq!(found("#1a")[0].1, "#1a");
        assert!(found(&format!("#{}", "a".repeat(65))).is_empty());
        assert_eq!(found(&format!("#{}", "a".repeat(64))).len(), 1);
        // Cashtags: up to five characters, followed by a space, the end or punctuation.
        assert!(found("$ABCDEF $AB1x2y").is_empty());
        assert_eq!(found("$aB1.")[0].1, "#$AB1");
        // U+0085 is no space for the reference.
        assert!(found("a\u{85}x.com").is_empty());
        assert_eq!(found("a\u{FEFF}x.com").len(), 1);
    }
}
