use crate::{err, SyntaxError};

/// Checks a `cid` string: 8 to 256 characters among ASCII letters, digits, `+` and `=`, and not
/// a legacy CIDv0 (`Qm...`).
///
/// This is the string syntax the Lexicon `cid` format asks for; it does not decode the CID.
/// Links in data (`{"$link": ...}`) are decoded in full by the runtime.
pub fn cid(s: &str) -> Result<(), SyntaxError> {
    let b = s.as_bytes();
    if b.len() < 8 {
        return err("a CID is at least 8 characters long");
    }
    if b.len() > 256 {
        return err("a CID is at most 256 characters long");
    }
    if !b
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'=')
    {
        return err("a CID holds only ASCII letters, digits, \"+\" and \"=\"");
    }
    if s.starts_with("Qm") {
        return err("legacy CIDv0 strings (\"Qm...\") are not allowed; use CIDv1");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert!(cid("bafyabcd").is_ok());
        assert!(cid("bafyabc").is_err());
        assert!(cid(&"b".repeat(256)).is_ok());
        assert!(cid(&"b".repeat(257)).is_err());
        assert!(cid("bafy/abc").is_err());
    }
}
