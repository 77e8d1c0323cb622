use crate::{err, SyntaxError};

/// Grandfathered tags of RFC 5646 (matched exactly, case-sensitively as written there).
const GRANDFATHERED: [&str; 26] = [
    "en-GB-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-BE-FR",
    "sgn-BE-NL",
    "sgn-CH-DE",
    "art-lojban",
    "cel-gaulish",
    "no-bok",
    "no-nyn",
    "zh-guoyu",
    "zh-hakka",
    "zh-min",
    "zh-min-nan",
    "zh-xiang",
];

/// Checks a `language`: a well-formed BCP 47 language tag (RFC 5646 section 2.1) without
/// repeated variants or extension singletons (section 2.2.9).
///
/// The primary language subtag is 2 or 3 lower-case letters (`en`, `pt-BR`, `zh-Hant`,
/// `en-GB-boont-r-extended-sequence-x-private`); a private-use tag (`x-whatever`) and the
/// grandfathered tags (`i-default`, `zh-hakka`, ...) are accepted too. Whether a subtag is
/// registered with IANA is not checked.
pub fn language(s: &str) -> Result<(), SyntaxError> {
    if s.is_empty() {
        return err("a language tag can not be empty");
    }
    if GRANDFATHERED.contains(&s) {
        return Ok(());
    }
    if !s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
        return err("a language tag holds only ASCII letters, digits and hyphens");
    }
    if s.split('-').any(str::is_empty) {
        return err(
            "a language tag can not have an empty subtag (no leading, trailing or double hyphen)",
        );
    }
    let mut tags = s.split('-').peekable();
    let first = tags.next().unwrap_or_default();
    if first.eq_ignore_ascii_case("x") {
        return private_use(tags);
    }
    if !(2..=3).contains(&first.len()) || !first.bytes().all(|c| c.is_ascii_lowercase()) {
        return err("a language tag starts with a language of 2 or 3 lower-case letters (like en or ban), or with x- for private use");
    }

    // extlang: up to three subtags of three letters.
    let mut n = 0;
    while n < 3 && tags.peek().is_some_and(|t| t.len() == 3 && alpha(t)) {
        tags.next();
        n += 1;
    }
    // script: four letters.
    if tags.peek().is_some_and(|t| t.len() == 4 && alpha(t)) {
        tags.next();
    }
    // region: two letters or three digits.
    if tags
        .peek()
        .is_some_and(|t| (t.len() == 2 && alpha(t)) || (t.len() == 3 && digit(t)))
    {
        tags.next();
    }
    // variants: 5 to 8 letters or digits, or a digit and 3 letters or digits; no repeats
    // (compared case-insensitively with the variants before).
    let variants = tags.clone();
    let mut count = 0;
    while let Some(t) = tags.peek().copied().filter(|t| is_variant(t)) {
        if variants
            .clone()
            .take(count)
            .any(|v| v.eq_ignore_ascii_case(t))
        {
            return err("a language tag can not repeat a variant subtag");
        }
        count += 1;
        tags.next();
    }
    // extensions: a singleton (not x) then one or more subtags of 2 to 8 letters or digits;
    // each singleton at most once.
    let mut seen: u64 = 0;
    while let Some(t) = tags.peek().copied() {
        if t.len() != 1 || t.eq_ignore_ascii_case("x") {
            break;
        }
        let c = t.as_bytes()[0].to_ascii_lowercase();
        let bit = 1u64
            << if c.is_ascii_digit() {
                c - b'0'
            } else {
                c - b'a' + 10
            };
        if seen & bit != 0 {
            return err("a language tag can not repeat an extension singleton");
        }
        seen |= bit;
        tags.next();
        let mut count = 0;
        while tags.peek().is_some_and(|t| (2..=8).contains(&t.len())) {
            tags.next();
            count += 1;
        }
        if count == 0 {
            return err("an extension in a language tag needs subtags of 2 to 8 letters or digits after its singleton");
        }
    }
    match tags.next() {
        None => Ok(()),
        Some(t) if t.eq_ignore_ascii_case("x") => private_use(tags),
        Some(_) => err("a language tag's subtags are out of order or malformed (language, script, region, variants, extensions, x-private)"),
    }
}

/// The subtags after an `x` singleton: one or more of 1 to 8 letters or digits.
fn private_use<'a>(mut rest: impl Iterator<Item = &'a str>) -> Result<(), SyntaxError> {
    let mut count = 0;
    for t in rest.by_ref() {
        if t.len() > 8 {
            return err("a private-use subtag in a language tag is at most 8 characters long");
        }
        count += 1;
    }
    if count == 0 {
        return err("a private-use language tag needs at least one subtag after x-");
    }
    Ok(())
}

#[inline]
fn alpha(t: &str) -> bool {
    t.bytes().all(|c| c.is_ascii_alphabetic())
}

#[inline]
fn digit(t: &str) -> bool {
    t.bytes().all(|c| c.is_ascii_digit())
}

#[inline]
fn is_variant(t: &str) -> bool {
    (5..=8).contains(&t.len()) || (t.len() == 4 && t.as_bytes()[0].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure() {
        assert!(language("en").is_ok());
        assert!(language("en-US").is_ok());
        assert!(language("zh-yue-HK").is_ok());
        assert!(language("zh-abc-def-ghi").is_ok());
        assert!(language("zh-abc-def-ghi-jkl").is_err());
        assert!(language("en-Latn-US-1996-valencia").is_ok());
        assert!(language("en-US-u-ca-gregory-x-foo").is_ok());
        assert!(language("en-u").is_err());
        assert!(language("en-u-x").is_err());
        assert!(language("en-x").is_err());
        assert!(language("en-x-123456789").is_err());
        assert!(language("x-a").is_ok());
        assert!(language("en-US-Latn").is_err());
        assert!(language("en-123").is_ok());
        assert!(language("en-1234").is_ok());
        assert!(language("en-abcdefghi").is_err());
        assert!(language("En").is_err());
        assert!(language("en_US").is_err());
        assert!(language("").is_err());
        assert!(language("-").is_err());
    }

    #[test]
    fn repeats() {
        assert!(language("de-1901-1996").is_ok());
        assert!(language("de-1901-1996-1901").is_err());
        assert!(language("en-a-bbb-b-ccc").is_ok());
        assert!(language("en-a-bbb-0-ccc-A-ddd").is_err());
        assert!(language("en-1-aa-9-bb-z-cc").is_ok());
        // The private-use part may repeat anything.
        assert!(language("en-x-a-a-a").is_ok());
    }
}
