//! Validation of lexicon constraints: the [`Validate`] trait and [`ValidationError`].
//!
//! Deserializing a generated type with serde checks the wire shape and the string formats;
//! [`Validate::validate`] then checks every other constraint of the lexicon (lengths, grapheme
//! counts, ranges, enums, blob limits). Together they accept exactly what the spec accepts.

use std::borrow::Cow;
use std::fmt;

/// A value that can be checked against the constraints of the lexicon it was generated from.
pub trait Validate {
    /// Checks every lexicon constraint on this value and its children.
    ///
    /// The error names the path of the offending value (`embed.images[2].alt`), the rule that
    /// was broken with its limit, and the actual value.
    fn validate(&self) -> Result<(), ValidationError>;

    /// Checks this value against constraints stated by generated code (lengths, ranges,
    /// enums, array items), then its own [`Validate::validate`] where it has one. Not a stable
    /// API: generated code calls it.
    #[doc(hidden)]
    #[inline]
    fn __check(&self, checks: &Checks) -> Result<(), ValidationError> {
        let _ = checks;
        self.validate()
    }
}

/// The constraints of one value, as generated code states them. Not a stable API.
///
/// Lengths count UTF-8 bytes for strings, elements for arrays and bytes for byte strings.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    /// `minLength`.
    pub min_length: Option<u64>,
    /// `maxLength`.
    pub max_length: Option<u64>,
    /// `minGraphemes`.
    pub min_graphemes: Option<u64>,
    /// `maxGraphemes`.
    pub max_graphemes: Option<u64>,
    /// `minimum`.
    pub minimum: Option<i64>,
    /// `maximum`.
    pub maximum: Option<i64>,
    /// An integer `enum` or `const`.
    pub ints: Option<&'static [i64]>,
    /// A string `const`.
    pub strs: Option<&'static [&'static str]>,
    /// A boolean `const`.
    pub boolean: Option<bool>,
    /// A blob's `accept`.
    pub accept: Option<&'static [&'static str]>,
    /// A blob's `maxSize`.
    pub max_size: Option<u64>,
    /// The checks of each element of an array.
    pub items: Option<&'static Checks>,
}

impl Checks {
    /// No constraint (a nested value still validates itself).
    pub const NONE: Checks = Checks {
        min_length: None,
        max_length: None,
        min_graphemes: None,
        max_graphemes: None,
        minimum: None,
        maximum: None,
        ints: None,
        strs: None,
        boolean: None,
        accept: None,
        max_size: None,
        items: None,
    };

    /// The string checks.
    #[inline]
    pub(crate) fn string(&self, value: &str) -> Result<(), ValidationError> {
        if self.min_length.is_some() || self.max_length.is_some() {
            check::str_len(value, self.min_length, self.max_length)?;
        }
        if self.min_graphemes.is_some() || self.max_graphemes.is_some() {
            check::graphemes(value, self.min_graphemes, self.max_graphemes)?;
        }
        if let Some(allowed) = self.strs {
            check::str_in(value, allowed)?;
        }
        Ok(())
    }
}

/// Checks a string against `checks`. Not a stable API: generated string enums call it.
#[doc(hidden)]
#[inline]
pub fn check_str(value: &str, checks: &Checks) -> Result<(), ValidationError> {
    checks.string(value)
}

/// Checks the listed properties of an object: `(wire name, value, constraints)`, each error
/// placed at its property. Not a stable API: generated `validate` bodies call it.
#[doc(hidden)]
pub fn check_fields(
    fields: &[(&'static str, &dyn Validate, &Checks)],
) -> Result<(), ValidationError> {
    for (name, value, checks) in fields {
        value.__check(checks).map_err(|e| e.in_field(*name))?;
    }
    Ok(())
}

/// One segment of the path to a value inside a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// A property of an object, by its wire name.
    Field(Cow<'static, str>),
    /// An element of an array.
    Index(usize),
}

/// A lexicon constraint that a value broke.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A required property is absent.
    Required,
    /// A string is longer than `maxLength` (UTF-8 bytes).
    MaxLength {
        /// The limit from the lexicon.
        max: u64,
        /// The actual length.
        actual: u64,
    },
    /// A string is shorter than `minLength` (UTF-8 bytes).
    MinLength {
        /// The limit from the lexicon.
        min: u64,
        /// The actual length.
        actual: u64,
    },
    /// A string has more grapheme clusters than `maxGraphemes`.
    MaxGraphemes {
        /// The limit from the lexicon.
        max: u64,
        /// The actual count.
        actual: u64,
    },
    /// A string has fewer grapheme clusters than `minGraphemes`.
    MinGraphemes {
        /// The limit from the lexicon.
        min: u64,
        /// The actual count.
        actual: u64,
    },
    /// An array has more elements than `maxLength`.
    MaxItems {
        /// The limit from the lexicon.
        max: u64,
        /// The actual count.
        actual: u64,
    },
    /// An array has fewer elements than `minLength`.
    MinItems {
        /// The limit from the lexicon.
        min: u64,
        /// The actual count.
        actual: u64,
    },
    /// An integer is below `minimum`.
    Minimum {
        /// The limit from the lexicon.
        min: i64,
        /// The actual value.
        actual: i64,
    },
    /// An integer is above `maximum`.
    Maximum {
        /// The limit from the lexicon.
        max: i64,
        /// The actual value.
        actual: i64,
    },
    /// A value is not one of the lexicon's `enum` values, or differs from its `const`.
    NotAllowed {
        /// The actual value, as text.
        actual: String,
        /// The allowed values, as text (`"a", "b"` or `1, 2`).
        allowed: String,
    },
    /// Bytes are longer than `maxLength`.
    MaxBytes {
        /// The limit from the lexicon.
        max: u64,
        /// The actual length.
        actual: u64,
    },
    /// Bytes are shorter than `minLength`.
    MinBytes {
        /// The limit from the lexicon.
        min: u64,
        /// The actual length.
        actual: u64,
    },
    /// A string does not match its `format`.
    Format {
        /// The format's name in the lexicon (`did`, `handle`, ...).
        format: &'static str,
        /// Why it does not match.
        reason: Cow<'static, str>,
    },
    /// A blob's MIME type is not accepted.
    BlobAccept {
        /// The actual MIME type.
        actual: String,
    },
    /// A blob is larger than `maxSize`.
    BlobMaxSize {
        /// The limit from the lexicon.
        max: u64,
        /// The actual size.
        actual: u64,
    },
    /// Any other rule a value broke, described in words that follow the value's path (`is a
    /// blob with an empty mimeType`).
    Other(Cow<'static, str>),
    /// A rule the request as a whole broke rather than one value in it (a parameter that does
    /// not encode, a record key the record's type does not allow, a MIME type, the session),
    /// stated in a sentence of its own and shown as it is.
    Request(Cow<'static, str>),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Required => f.write_str("is required but absent"),
            Rule::MaxLength { max, actual } => {
                write!(f, "is {actual} UTF-8 bytes long, more than maxLength {max}")
            }
            Rule::MinLength { min, actual } => {
                write!(f, "is {actual} UTF-8 bytes long, less than minLength {min}")
            }
            Rule::MaxGraphemes { max, actual } => {
                write!(f, "has {actual} graphemes, more than maxGraphemes {max}")
            }
            Rule::MinGraphemes { min, actual } => {
                write!(f, "has {actual} graphemes, less than minGraphemes {min}")
            }
            Rule::MaxItems { max, actual } => {
                write!(f, "has {actual} items, more than maxLength {max}")
            }
            Rule::MinItems { min, actual } => {
                write!(f, "has {actual} items, less than minLength {min}")
            }
            Rule::Minimum { min, actual } => write!(f, "is {actual}, less than minimum {min}"),
            Rule::Maximum { max, actual } => write!(f, "is {actual}, more than maximum {max}"),
            Rule::NotAllowed { actual, allowed } => {
                write!(f, "is {actual}, not one of the allowed values ({allowed})")
            }
            Rule::MaxBytes { max, actual } => {
                write!(f, "is {actual} bytes long, more than maxLength {max}")
            }
            Rule::MinBytes { min, actual } => {
                write!(f, "is {actual} bytes long, less than minLength {min}")
            }
            Rule::Format { format, reason } => write!(f, "is not a valid {format}: {reason}"),
            Rule::BlobAccept { actual } => write!(f, "has MIME type {actual:?}, not accepted"),
            Rule::BlobMaxSize { max, actual } => {
                write!(f, "is {actual} bytes, more than maxSize {max}")
            }
            Rule::Other(text) | Rule::Request(text) => f.write_str(text),
        }
    }
}

/// A value broke a lexicon constraint: where, and which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    path: Vec<PathSegment>,
    rule: Rule,
}

impl ValidationError {
    /// An error for `rule` at the value itself (an empty path).
    pub fn new(rule: Rule) -> Self {
        ValidationError {
            path: Vec::new(),
            rule,
        }
    }

    /// The path from the validated value to the offending one, outermost first.
    pub fn path(&self) -> &[PathSegment] {
        &self.path
    }

    /// The path as text: `embed.images[2].alt` (empty for the value itself).
    pub fn path_string(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                PathSegment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                PathSegment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    /// The rule that was broken.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// Puts this error under the property `name` of an enclosing object.
    pub fn in_field(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.path.insert(0, PathSegment::Field(name.into()));
        self
    }

    /// Puts this error under element `index` of an enclosing array.
    pub fn in_index(mut self, index: usize) -> Self {
        self.path.insert(0, PathSegment::Index(index));
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.rule, self.path.is_empty()) {
            (Rule::Request(text), true) => f.write_str(text),
            (Rule::Request(text), false) => write!(f, "`{}`: {text}", self.path_string()),
            (rule, true) => write!(f, "value {rule}"),
            (rule, false) => write!(f, "`{}` {rule}", self.path_string()),
        }
    }
}

impl std::error::Error for ValidationError {}

impl Validate for bool {
    #[inline]
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }

    #[inline]
    fn __check(&self, checks: &Checks) -> Result<(), ValidationError> {
        match checks.boolean {
            Some(expected) => check::bool_eq(*self, expected),
            None => Ok(()),
        }
    }
}

impl Validate for i64 {
    #[inline]
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }

    #[inline]
    fn __check(&self, checks: &Checks) -> Result<(), ValidationError> {
        if checks.minimum.is_some() || checks.maximum.is_some() {
            check::int_range(*self, checks.minimum, checks.maximum)?;
        }
        match checks.ints {
            Some(allowed) => check::int_in(*self, allowed),
            None => Ok(()),
        }
    }
}

impl Validate for String {
    #[inline]
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }

    #[inline]
    fn __check(&self, checks: &Checks) -> Result<(), ValidationError> {
        checks.string(self)
    }
}

impl<T: Validate> Validate for Option<T> {
    #[inline]
    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Some(v) => v.validate(),
            None => Ok(()),
        }
    }

    #[inline]
    fn __check(&self, checks: &Checks) -> Result<(), ValidationError> {
        match self {
            Some(v) => v.__check(checks),
            None => Ok(()),
        }
    }
}

impl<T: Validate> Validate for Box<T> {
    #[inline]
    fn validate(&self) -> Result<(), ValidationError> {
        (**self).validate()
    }

    #[inline]
    fn __check(&self, checks: &Checks) -> Result<(), ValidationError> {
        (**self).__check(checks)
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate(&self) -> Result<(), ValidationError> {
        for (i, item) in self.iter().enumerate() {
            item.validate().map_err(|e| e.in_index(i))?;
        }
        Ok(())
    }

    fn __check(&self, checks: &Checks) -> Result<(), ValidationError> {
        if checks.min_length.is_some() || checks.max_length.is_some() {
            check::items(self.len(), checks.min_length, checks.max_length)?;
        }
        if let Some(items) = checks.items {
            for (i, item) in self.iter().enumerate() {
                item.__check(items).map_err(|e| e.in_index(i))?;
            }
        }
        Ok(())
    }
}

/// Checks used by generated `validate` implementations. Not a stable API.
#[doc(hidden)]
pub mod check {
    use super::{Rule, ValidationError};
    use unicode_segmentation::UnicodeSegmentation;

    /// UTF-8 length bounds of a string.
    #[inline]
    pub fn str_len(value: &str, min: Option<u64>, max: Option<u64>) -> Result<(), ValidationError> {
        let actual = value.len() as u64;
        if let Some(max) = max {
            if actual > max {
                return Err(ValidationError::new(Rule::MaxLength { max, actual }));
            }
        }
        if let Some(min) = min {
            if actual < min {
                return Err(ValidationError::new(Rule::MinLength { min, actual }));
            }
        }
        Ok(())
    }

    /// Grapheme-count bounds of a string.
    pub fn graphemes(
        value: &str,
        min: Option<u64>,
        max: Option<u64>,
    ) -> Result<(), ValidationError> {
        let len = value.len() as u64;
        // Fast paths: every grapheme holds at least one character and every character at
        // least one byte, so a string with no more bytes, or no more characters, than the
        // maximum has no more graphemes either; an ASCII string without CR has exactly one
        // grapheme per byte.
        if let Some(max) = max {
            if min.is_none_or(|min| min == 0) && (len <= max || value.chars().count() as u64 <= max)
            {
                return Ok(());
            }
        }
        let actual = if value.is_ascii() && !value.contains('\r') {
            len
        } else {
            value.graphemes(true).count() as u64
        };
        if let Some(max) = max {
            if actual > max {
                return Err(ValidationError::new(Rule::MaxGraphemes { max, actual }));
            }
        }
        if let Some(min) = min {
            if actual < min {
                return Err(ValidationError::new(Rule::MinGraphemes { min, actual }));
            }
        }
        Ok(())
    }

    /// Length bounds of an array.
    #[inline]
    pub fn items(len: usize, min: Option<u64>, max: Option<u64>) -> Result<(), ValidationError> {
        let actual = len as u64;
        if let Some(max) = max {
            if actual > max {
                return Err(ValidationError::new(Rule::MaxItems { max, actual }));
            }
        }
        if let Some(min) = min {
            if actual < min {
                return Err(ValidationError::new(Rule::MinItems { min, actual }));
            }
        }
        Ok(())
    }

    /// Range of an integer.
    #[inline]
    pub fn int_range(
        value: i64,
        min: Option<i64>,
        max: Option<i64>,
    ) -> Result<(), ValidationError> {
        if let Some(min) = min {
            if value < min {
                return Err(ValidationError::new(Rule::Minimum { min, actual: value }));
            }
        }
        if let Some(max) = max {
            if value > max {
                return Err(ValidationError::new(Rule::Maximum { max, actual: value }));
            }
        }
        Ok(())
    }

    fn not_allowed<T: std::fmt::Debug>(actual: T, allowed: &[T]) -> ValidationError {
        let allowed: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
        ValidationError::new(Rule::NotAllowed {
            actual: format!("{actual:?}"),
            allowed: allowed.join(", "),
        })
    }

    /// Membership of a string in an `enum` (or equality with a `const`).
    #[inline]
    pub fn str_in(value: &str, allowed: &[&str]) -> Result<(), ValidationError> {
        if allowed.contains(&value) {
            Ok(())
        } else {
            Err(not_allowed(value, allowed))
        }
    }

    /// Membership of an integer in an `enum` (or equality with a `const`).
    #[inline]
    pub fn int_in(value: i64, allowed: &[i64]) -> Result<(), ValidationError> {
        if allowed.contains(&value) {
            Ok(())
        } else {
            Err(not_allowed(value, allowed))
        }
    }

    /// Equality of a boolean with its `const`.
    #[inline]
    pub fn bool_eq(value: bool, expected: bool) -> Result<(), ValidationError> {
        if value == expected {
            Ok(())
        } else {
            Err(not_allowed(value, &[expected]))
        }
    }

    /// Length bounds of a byte string.
    #[inline]
    pub fn bytes_len(
        len: usize,
        min: Option<u64>,
        max: Option<u64>,
    ) -> Result<(), ValidationError> {
        let actual = len as u64;
        if let Some(max) = max {
            if actual > max {
                return Err(ValidationError::new(Rule::MaxBytes { max, actual }));
            }
        }
        if let Some(min) = min {
            if actual < min {
                return Err(ValidationError::new(Rule::MinBytes { min, actual }));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_renders_fields_and_indexes() {
        let e = ValidationError::new(Rule::Required)
            .in_field("alt")
            .in_index(2)
            .in_field("images")
            .in_field("embed");
        assert_eq!(e.path_string(), "embed.images[2].alt");
        assert_eq!(
            e.to_string(),
            "`embed.images[2].alt` is required but absent"
        );
    }

    #[test]
    fn a_rule_of_the_request_is_shown_as_stated_and_a_value_s_after_its_subject() {
        let request = || ValidationError::new(Rule::Request("not logged in".into()));
        assert_eq!(request().to_string(), "not logged in");
        assert_eq!(
            request().in_field("rkey").to_string(),
            "`rkey`: not logged in"
        );
        let other = || ValidationError::new(Rule::Other("is not an object".into()));
        assert_eq!(other().to_string(), "value is not an object");
        assert_eq!(
            other().in_field("embed").to_string(),
            "`embed` is not an object"
        );
        assert_eq!(
            ValidationError::new(Rule::Required).to_string(),
            "value is required but absent"
        );
    }

    #[test]
    fn graphemes_count_clusters_not_bytes() {
        // One family emoji is several code points but one grapheme cluster.
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert!(check::graphemes(family, None, Some(1)).is_ok());
        assert!(check::str_len(family, None, Some(1)).is_err());
        let e = check::graphemes("abc", None, Some(2)).unwrap_err();
        assert_eq!(e.rule(), &Rule::MaxGraphemes { max: 2, actual: 3 });
        let e = check::graphemes("a", Some(2), Some(5)).unwrap_err();
        assert_eq!(e.rule(), &Rule::MinGraphemes { min: 2, actual: 1 });
        // CR LF is one grapheme.
        assert!(check::graphemes("\r\n", None, Some(1)).is_ok());
        // Past the character fast path: 3 family emoji are 15 characters, 3 graphemes.
        let three = family.repeat(3);
        assert!(check::graphemes(&three, None, Some(3)).is_ok());
        assert_eq!(
            check::graphemes(&three, None, Some(2)).unwrap_err().rule(),
            &Rule::MaxGraphemes { max: 2, actual: 3 }
        );
        // Combining marks: "e" + U+0301 is 2 characters, 1 grapheme.
        assert!(check::graphemes("e\u{301}e\u{301}", None, Some(2)).is_ok());
        assert!(check::graphemes("e\u{301}e\u{301}", None, Some(1)).is_err());
    }

    #[test]
    fn checks_tables_apply_through_options_boxes_and_arrays() {
        const TAG: Checks = Checks {
            max_length: Some(3),
            ..Checks::NONE
        };
        const TAGS: Checks = Checks {
            max_length: Some(2),
            items: Some(&TAG),
            ..Checks::NONE
        };
        let tags: Option<Vec<String>> = Some(vec!["ok".into(), "long".into()]);
        let e = check_fields(&[("tags", &tags, &TAGS)]).unwrap_err();
        assert_eq!(e.path_string(), "tags[1]");
        assert_eq!(e.rule(), &Rule::MaxLength { max: 3, actual: 4 });
        let too_many: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let e = check_fields(&[("tags", &too_many, &TAGS)]).unwrap_err();
        assert_eq!(e.rule(), &Rule::MaxItems { max: 2, actual: 3 });
        let absent: Option<Vec<String>> = None;
        assert!(check_fields(&[("tags", &absent, &TAGS)]).is_ok());

        const RANGE: Checks = Checks {
            minimum: Some(1),
            maximum: Some(10),
            ..Checks::NONE
        };
        let boxed: Box<i64> = Box::new(11);
        let e = check_fields(&[("n", &boxed, &RANGE)]).unwrap_err();
        assert_eq!(e.path_string(), "n");
        assert_eq!(
            e.rule(),
            &Rule::Maximum {
                max: 10,
                actual: 11
            }
        );
        const ONE_OF: Checks = Checks {
            ints: Some(&[1, 2]),
            ..Checks::NONE
        };
        assert!(check_fields(&[("n", &2i64, &ONE_OF)]).is_ok());
        assert!(check_fields(&[("n", &3i64, &ONE_OF)]).is_err());
    }
}
