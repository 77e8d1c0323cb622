use crate::validate::{Rule, ValidationError};
use atlex_syntax::Format;
use std::borrow::Cow;
use std::fmt;

/// How much of a rejected value an error keeps, in bytes (cut at a character boundary).
const KEPT: usize = 100;

/// A string that does not match its Lexicon format: which format, the value, and why.
///
/// ```
/// use atlex::types::Handle;
///
/// let err = Handle::new("foo..bar").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"invalid handle "foo..bar": a handle can not have an empty part (no leading, trailing or double period)"#,
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    format: Format,
    value: String,
    len: usize,
    reason: &'static str,
}

impl FormatError {
    /// An error for `value` not matching `format`. Only the first 100 bytes or so of `value`
    /// are kept.
    pub fn new(format: Format, value: &str, reason: &'static str) -> Self {
        let mut end = value.len().min(KEPT);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        FormatError {
            format,
            value: value[..end].to_owned(),
            len: value.len(),
            reason,
        }
    }

    /// The format the value was checked against.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The rejected value, cut to its first 100 bytes or so when it was longer.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether [`value`](Self::value) was cut short.
    pub fn is_truncated(&self) -> bool {
        self.len > self.value.len()
    }

    /// Why the value does not match, in plain words.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} {:?}", self.format.lexicon_name(), self.value)?;
        if self.is_truncated() {
            write!(f, " (cut, {} bytes in all)", self.len)?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for FormatError {}

impl From<FormatError> for ValidationError {
    fn from(e: FormatError) -> Self {
        ValidationError::new(Rule::Format {
            format: e.format.lexicon_name(),
            reason: Cow::Borrowed(e.reason),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_at_a_char_boundary() {
        let value = format!("{}{}", "a".repeat(99), "\u{e9}\u{e9}");
        let e = FormatError::new(Format::Handle, &value, "why");
        assert_eq!(e.value(), "a".repeat(99));
        assert!(e.is_truncated());
        assert_eq!(
            e.to_string(),
            format!(
                "invalid handle \"{}\" (cut, 103 bytes in all): why",
                "a".repeat(99)
            )
        );
        let short = FormatError::new(Format::Did, "x\ny", "why");
        assert!(!short.is_truncated());
        assert_eq!(short.to_string(), "invalid did \"x\\ny\": why");
    }

    #[test]
    fn converts_to_a_validation_error() {
        let e: ValidationError = FormatError::new(Format::AtUri, "x", "why").into();
        assert_eq!(
            e.rule(),
            &Rule::Format {
                format: "at-uri",
                reason: Cow::Borrowed("why")
            }
        );
    }
}
