use crate::{err, SyntaxError};

/// The longest URI accepted, in bytes (8 KiB).
pub(crate) const MAX_LEN: usize = 8192;

/// Checks a `uri`: a scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`), a colon,
/// and a non-empty remainder without whitespace or control characters that is not only
/// slashes. At most 8 KiB.
///
/// Non-ASCII characters are let through (as in internationalized URIs) rather than rejected:
/// the check is for shape, it does not resolve or normalize.
pub fn uri(s: &str) -> Result<(), SyntaxError> {
    let b = s.as_bytes();
    if b.len() > MAX_LEN {
        return err("a URI is at most 8192 characters long");
    }
    let Some(colon) = b.iter().position(|&c| c == b':') else {
        return err("a URI needs a scheme followed by \":\"");
    };
    let (scheme, rest) = (&b[..colon], &s[colon + 1..]);
    if scheme.is_empty() {
        return err("a URI needs a scheme before \":\"");
    }
    if !scheme[0].is_ascii_alphabetic() {
        return err("a URI scheme starts with a letter");
    }
    if !scheme
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return err("a URI scheme holds only ASCII letters, digits, \"+\", \"-\" and \".\"");
    }
    if rest.is_empty() || rest.bytes().all(|c| c == b'/') {
        return err("a URI needs something after its scheme");
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return err("a URI can not contain whitespace or control characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(uri("https://example.com").is_ok());
        assert!(uri("file:///etc/hosts").is_ok());
        assert!(uri("mailto:alice@example.com").is_ok());
        assert!(uri("https://example.com/caf\u{e9}").is_ok());
        assert!(uri("https://").is_err());
        assert!(uri("https:").is_err());
        assert!(uri("1https://example.com").is_err());
        assert!(uri("ht_tp://example.com").is_err());
        assert!(uri("https://example.com/\u{a0}").is_err());
        assert!(uri("https://example.com/\t").is_err());
        assert!(uri("https://example.com/\u{7f}").is_err());
    }

    #[test]
    fn length_limit() {
        let base = "https://example.com/";
        assert!(uri(&format!("{base}{}", "x".repeat(MAX_LEN - base.len()))).is_ok());
        assert!(uri(&format!("{base}{}", "x".repeat(MAX_LEN - base.len() + 1))).is_err());
    }
}
