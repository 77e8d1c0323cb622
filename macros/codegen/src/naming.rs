//! Rust names for lexicon names: one place, one test table.

/// Rust keywords (strict and reserved, all editions) that cannot be plain identifiers.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop",
    "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "union",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield", "abstract", "become",
];

/// Splits a lexicon name into lower-case words: `createSession` -> [create, session],
/// `getDIDDoc` -> [get, did, doc], `cid-link` -> [cid, link], `v2Thing` -> [v2, thing].
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            // A new word starts at an upper-case letter after a lower-case letter or digit,
            // or at the last upper-case letter of an acronym followed by lower case.
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `createSession` -> `create_session`; keywords get a trailing underscore (`type_`).
pub fn snake_case(name: &str) -> String {
    let mut s = words(name).join("_");
    if s.is_empty() {
        s.push_str("field");
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// `strongRef` -> `StrongRef`, `app.bsky.feed.defs#requestLess` -> `AppBskyFeedDefsRequestLess`.
pub fn pascal_case(name: &str) -> String {
    let mut s = String::new();
    for w in words(name) {
        let mut cs = w.chars();
        if let Some(first) = cs.next() {
            s.push(first.to_ascii_uppercase());
            s.extend(cs);
        }
    }
    if s.is_empty() {
        s.push_str("Empty");
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'V');
    }
    if s == "Self" {
        s.push('_');
    }
    s
}

/// `reasonSpam` -> `REASON_SPAM`.
pub fn screaming_snake_case(name: &str) -> String {
    let mut s = words(name).join("_").to_ascii_uppercase();
    if s.is_empty() {
        s.push_str("MAIN");
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// The name of a variant for a known string value: the part after `#` for a token reference
/// (`app.bsky.feed.defs#requestLess` -> `RequestLess`), else the PascalCase of the value
/// (`!no-unauthenticated` -> `NoUnauthenticated`).
pub fn value_variant(value: &str) -> String {
    match value.rsplit_once('#') {
        Some((_, frag)) if !frag.is_empty() => pascal_case(frag),
        _ => pascal_case(value),
    }
}

/// Hands out unique names in one scope: the first to ask gets the name, later ones get a
/// numbered name (`Name2`, `Name3`), so the result depends only on the order of requests.
#[derive(Debug, Default)]
pub struct Namer {
    taken: std::collections::BTreeSet<String>,
}

impl Namer {
    /// A namer with `reserved` names already taken.
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Namer {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Claims `wanted` if it is free; never a numbered variant.
    pub fn claim_exact(&mut self, wanted: &str) -> bool {
        self.taken.insert(wanted.to_owned())
    }

    /// Claims `wanted`, or the first free numbered variant of it.
    pub fn claim(&mut self, wanted: &str) -> String {
        if self.taken.insert(wanted.to_owned()) {
            return wanted.to_owned();
        }
        let sep = if wanted.ends_with(|c: char| c.is_ascii_digit()) {
            "_"
        } else {
            ""
        };
        for n in 2.. {
            let candidate = format!("{wanted}{sep}{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
        unreachable!("the loop above always returns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_table() {
        let table = [
            // (lexicon name, snake_case, PascalCase)
            ("createSession", "create_session", "CreateSession"),
            ("strongRef", "strong_ref", "StrongRef"),
            ("did", "did", "Did"),
            ("getDIDDoc", "get_did_doc", "GetDidDoc"),
            ("type", "type_", "Type"),
            ("self", "self_", "Self_"),
            ("cid-link", "cid_link", "CidLink"),
            ("v2Thing", "v2_thing", "V2Thing"),
            ("imagesV2", "images_v2", "ImagesV2"),
            ("3d", "_3d", "V3d"),
            ("$type", "type_", "Type"),
            ("ref", "ref_", "Ref"),
            ("authFactorToken", "auth_factor_token", "AuthFactorToken"),
            ("getRepoCAR", "get_repo_car", "GetRepoCar"),
        ];
        for (name, snake, pascal) in table {
            assert_eq!(snake_case(name), snake, "snake_case({name:?})");
            assert_eq!(pascal_case(name), pascal, "pascal_case({name:?})");
        }
        assert_eq!(screaming_snake_case("reasonSpam"), "REASON_SPAM");
        assert_eq!(
            value_variant("app.bsky.feed.defs#requestLess"),
            "RequestLess"
        );
        assert_eq!(value_variant("!no-unauthenticated"), "NoUnauthenticated");
        assert_eq!(value_variant("en-US"), "EnUs");
    }

    #[test]
    fn namer_is_deterministic() {
        let mut n = Namer::with_reserved(&["Input"]);
        assert_eq!(n.claim("Input"), "Input2");
        assert_eq!(n.claim("Foo"), "Foo");
        assert_eq!(n.claim("Foo"), "Foo2");
        assert_eq!(n.claim("V2"), "V2");
        assert_eq!(n.claim("V2"), "V2_2");
        assert!(!n.claim_exact("Foo"));
        assert!(n.claim_exact("Bar"));
        assert!(!n.claim_exact("Bar"));
    }
}
