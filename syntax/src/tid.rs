use crate::{err, SyntaxError};

/// Checks a `tid`: exactly 13 characters of the base32-sortable alphabet `234567a-z`, the
/// first one in `234567a-j` (the top bit of the 64-bit value is always 0). Lower case only.
pub fn tid(s: &str) -> Result<(), SyntaxError> {
    let b = s.as_bytes();
    if b.len() != 13 {
        return err("a TID is exactly 13 characters long");
    }
    if !b.iter().all(|&c| matches!(c, b'2'..=b'7' | b'a'..=b'z')) {
        return err("a TID holds only the characters 2-7 and a-z (lower case)");
    }
    if !matches!(b[0], b'2'..=b'7' | b'a'..=b'j') {
        return err("a TID's first character is one of 2-7 or a-j (its top bit is zero)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_character_bound() {
        assert!(tid("jzzzzzzzzzzzz").is_ok());
        assert!(tid("kzzzzzzzzzzzz").is_err());
        assert!(tid("2222222222222").is_ok());
        assert!(tid("1222222222222").is_err());
        assert!(tid("222222222222é").is_err());
        assert!(tid("").is_err());
    }
}
