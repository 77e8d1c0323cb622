use crate::{err, SyntaxError};

/// The longest handle accepted, in bytes.
pub(crate) const MAX_LEN: usize = 253;

/// Checks a `handle`: a domain name of at least two labels.
///
/// Labels hold ASCII letters, digits and hyphens, are 1 to 63 characters long and do not start
/// or end with a hyphen; the last label (the TLD) starts with a letter; at most 253 characters
/// in all. Upper case is allowed (handles compare case-insensitively; nothing is lower-cased
/// here). Reserved TLDs such as `.local` or `.onion` are syntactically valid and accepted.
pub fn handle(s: &str) -> Result<(), SyntaxError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return err("a handle can not be empty");
    }
    if b.len() > MAX_LEN {
        return err("a handle is at most 253 characters long");
    }
    let mut labels = 0usize;
    let mut start = 0usize;
    let mut last_start = 0usize;
    for i in 0..=b.len() {
        if i < b.len() && b[i] != b'.' {
            let c = b[i];
            if !(c.is_ascii_alphanumeric() || c == b'-') {
                return err("a handle holds only ASCII letters, digits, hyphens and periods");
            }
            continue;
        }
        let label = &b[start..i];
        if label.is_empty() {
            return err(
                "a handle can not have an empty part (no leading, trailing or double period)",
            );
        }
        if label.len() > 63 {
            return err("a part of a handle is at most 63 characters long");
        }
        if label[0] == b'-' || label[label.len() - 1] == b'-' {
            return err("a part of a handle can not start or end with a hyphen");
        }
        labels += 1;
        last_start = start;
        start = i + 1;
    }
    if labels < 2 {
        return err("a handle needs at least two parts, like example.com");
    }
    // The TLD: everything after the last period.
    if !b[last_start].is_ascii_alphabetic() {
        return err("the last part of a handle (the TLD) must start with a letter");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        let label63 = "a".repeat(63);
        assert!(handle(&format!("{label63}.test")).is_ok());
        assert!(handle(&format!("a{label63}.test")).is_err());
        // 253 characters in all is the limit.
        let long = format!("{}.{}.{}.{}", label63, label63, label63, "a".repeat(61));
        assert_eq!(long.len(), 253);
        assert!(handle(&long).is_ok());
        let too_long = format!("{}.{}.{}.{}", label63, label63, label63, "a".repeat(62));
        assert_eq!(
            handle(&too_long).unwrap_err().reason(),
            "a handle is at most 253 characters long"
        );
    }

    #[test]
    fn corner_cases() {
        assert!(handle("a.b").is_ok());
        assert!(handle("x.y-z").is_ok());
        assert!(handle("").is_err());
        assert!(handle(".").is_err());
        assert!(handle("a.1").is_err());
        assert!(handle("a.b-").is_err());
        assert!(handle("a\0.test").is_err());
        assert!(handle("a.test\n").is_err());
        assert!(handle("ALICE.TEST").is_ok());
    }
}
