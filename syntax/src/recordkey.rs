use crate::{err, SyntaxError};

/// The longest record key accepted, in bytes.
pub(crate) const MAX_LEN: usize = 512;

/// Checks a `record-key`: 1 to 512 characters among ASCII letters, digits and `._:~-`, and
/// neither `.` nor `..`.
pub fn record_key(s: &str) -> Result<(), SyntaxError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return err("a record key can not be empty");
    }
    if b.len() > MAX_LEN {
        return err("a record key is at most 512 characters long");
    }
    if !b.iter().all(|&c| is_rkey_char(c)) {
        return err("a record key holds only ASCII letters, digits and the characters . _ : ~ -");
    }
    if s == "." || s == ".." {
        return err("a record key can not be \".\" or \"..\"");
    }
    Ok(())
}

#[inline]
fn is_rkey_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'~' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_dots() {
        assert!(record_key(&"a".repeat(512)).is_ok());
        assert!(record_key(&"a".repeat(513)).is_err());
        assert!(record_key("").is_err());
        assert!(record_key("...").is_ok());
        assert!(record_key(".a").is_ok());
        assert!(record_key("a/b").is_err());
        assert!(record_key("%20").is_err());
        assert!(record_key("é").is_err());
    }
}
