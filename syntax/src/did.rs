use crate::{err, SyntaxError};

/// The longest DID accepted, in bytes.
pub(crate) const MAX_LEN: usize = 2048;

/// Checks a `did`: `did:` + a method of lower-case letters + `:` + an identifier.
///
/// The identifier holds ASCII letters, digits and `._:%-`, does not end in `:`, and uses `%`
/// only as percent-encoding (`%` and two hex digits). At most 2048 characters. Any method is
/// accepted, not only `plc` and `web`.
pub fn did(s: &str) -> Result<(), SyntaxError> {
    let b = s.as_bytes();
    if b.len() > MAX_LEN {
        return err("a DID is at most 2048 characters long");
    }
    let Some(rest) = s.strip_prefix("did:") else {
        return err("a DID starts with \"did:\" (lower case)");
    };
    let Some(colon) = rest.find(':') else {
        return err("a DID needs a method and an identifier: did:method:identifier");
    };
    let (method, id) = (&rest[..colon], &rest.as_bytes()[colon + 1..]);
    if method.is_empty() {
        return err("a DID method can not be empty");
    }
    if !method.bytes().all(|c| c.is_ascii_lowercase()) {
        return err("a DID method is made of lower-case ASCII letters only");
    }
    if id.is_empty() {
        return err("a DID needs an identifier after the method");
    }
    let mut i = 0;
    while i < id.len() {
        match id[i] {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'_' | b':' | b'-' => i += 1,
            b'%' => {
                if i + 2 < id.len()
                    && id[i + 1].is_ascii_hexdigit()
                    && id[i + 2].is_ascii_hexdigit()
                {
                    i += 3;
                } else {
                    return err("a \"%\" in a DID must be followed by two hex digits");
                }
            }
            _ => return err(
                "a DID identifier holds only ASCII letters, digits and the characters . _ : % -",
            ),
        }
    }
    if id.last() == Some(&b':') {
        return err("a DID can not end with \":\"");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        let base = "did:web:";
        assert!(did(&format!("{base}{}", "a".repeat(MAX_LEN - base.len()))).is_ok());
        assert_eq!(
            did(&format!("{base}{}", "a".repeat(MAX_LEN - base.len() + 1)))
                .unwrap_err()
                .reason(),
            "a DID is at most 2048 characters long"
        );
        assert!(did("did:a:b").is_ok());
        assert!(did("did:a:").is_err());
        assert!(did("did::b").is_err());
        assert!(did("did:").is_err());
    }

    #[test]
    fn percent_encoding() {
        assert!(did("did:web:localhost%3A8080").is_ok());
        assert!(did("did:web:a%3a").is_ok());
        assert!(did("did:web:a%3").is_err());
        assert!(did("did:web:a%zz").is_err());
        assert!(did("did:web:a%").is_err());
        assert!(did("did:web:%%41").is_err());
    }

    #[test]
    fn characters() {
        assert!(did("did:plc:abc/def").is_err());
        assert!(did("did:plc:abc#frag").is_err());
        assert!(did("did:plc:abc?q").is_err());
        assert!(did("did:plc:ab\u{e9}").is_err());
        assert!(did("did:pl1:abc").is_err());
        assert!(did("did:plc:a:").is_err());
        assert!(did("did:plc:a::b").is_ok());
    }
}
