use crate::{err, SyntaxError};

/// The longest NSID accepted, in bytes: a 253-character domain, a period and a 63-character name.
pub(crate) const MAX_LEN: usize = 317;

/// Checks an `nsid`: a reversed domain name (the authority) followed by a name.
///
/// At least three period-separated segments of ASCII letters, digits and hyphens, each 1 to 63
/// characters long and not starting or ending with a hyphen; the first segment does not start
/// with a digit; the last segment (the name) holds only letters and digits and starts with a
/// letter; at most 317 characters in all.
pub fn nsid(s: &str) -> Result<(), SyntaxError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return err("an NSID can not be empty");
    }
    if b.len() > MAX_LEN {
        return err("an NSID is at most 317 characters long");
    }
    let mut segments = 0usize;
    let mut start = 0usize;
    let mut last_start = 0usize;
    for i in 0..=b.len() {
        if i < b.len() && b[i] != b'.' {
            let c = b[i];
            if !(c.is_ascii_alphanumeric() || c == b'-') {
                return err("an NSID holds only ASCII letters, digits, hyphens and periods");
            }
            continue;
        }
        let seg = &b[start..i];
        if seg.is_empty() {
            return err(
                "an NSID can not have an empty segment (no leading, trailing or double period)",
            );
        }
        if seg.len() > 63 {
            return err("a segment of an NSID is at most 63 characters long");
        }
        if seg[0] == b'-' || seg[seg.len() - 1] == b'-' {
            return err("a segment of an NSID can not start or end with a hyphen");
        }
        segments += 1;
        last_start = start;
        start = i + 1;
    }
    if segments < 3 {
        return err("an NSID needs at least three segments");
    }
    if b[0].is_ascii_digit() {
        return err("the first segment of an NSID can not start with a digit");
    }
    let name = &b[last_start..];
    if !name[0].is_ascii_alphabetic() || name.contains(&b'-') {
        return err("the name (last segment) of an NSID holds only letters and digits and starts with a letter");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        let seg63 = "a".repeat(63);
        assert!(nsid(&format!("com.{seg63}.foo")).is_ok());
        assert!(nsid(&format!("com.a{seg63}.foo")).is_err());
        assert!(nsid(&format!("com.example.{seg63}")).is_ok());
        assert!(nsid(&format!("com.example.a{seg63}")).is_err());
        // 317 characters in all is the limit.
        let authority = format!("{seg63}.{seg63}.{seg63}.{}", "a".repeat(61));
        assert_eq!(authority.len(), 253);
        let ok = format!("{authority}.{}", "b".repeat(63));
        assert_eq!(ok.len(), 317);
        assert!(nsid(&ok).is_ok());
        let too_long = format!("{ok}b");
        assert_eq!(
            nsid(&too_long).unwrap_err().reason(),
            "an NSID is at most 317 characters long"
        );
    }

    #[test]
    fn corner_cases() {
        assert!(nsid("a.b.c").is_ok());
        assert!(nsid("a.b.C").is_ok());
        assert!(nsid("a.b.c1").is_ok());
        assert!(nsid("a.b.1c").is_err());
        assert!(nsid("a.b.c-d").is_err());
        assert!(nsid("a.b-.c").is_err());
        assert!(nsid("a.-b.c").is_err());
        assert!(nsid("a..c").is_err());
        assert!(nsid("").is_err());
        assert!(nsid("a.b.c.").is_err());
        assert!(nsid("a.b.c\n").is_err());
    }
}
