//! The atproto interop syntax vectors (`syntax/*.txt`) against both the `atlex-syntax` checks
//! and the runtime format types of `atlex::types`.
//!
//! Every line of `<format>_syntax_valid.txt` must be accepted, and every line of
//! `<format>_syntax_invalid.txt` and `<format>_parse_invalid.txt` rejected, by the syntax
//! function and by each way of building the runtime type (`new`, `FromStr`, `TryFrom<&str>`,
//! serde). Blank lines and lines starting with `#` are not cases. Needs
//! `ATLEX_INTEROP_DIR` (a copy of bluesky-social/atproto-interop-tests); skipped without it
//! (a failure with `ATLEX_REQUIRE_ALL=1`).

use atlex::types::{
    AtIdentifier, AtUri, Cid, Datetime, Did, FormatError, Handle, Language, Nsid, RecordKey, Tid,
    Uri,
};
use atlex_syntax::{Format, SyntaxError};
use std::path::{Path, PathBuf};

fn interop_dir() -> Option<PathBuf> {
    match std::env::var_os("ATLEX_INTEROP_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            atlex_tests::skip(
                "set ATLEX_INTEROP_DIR=/path/to/atproto-interop-tests to run the interop syntax vectors",
            );
            None
        }
    }
}

/// Judges one way of building the runtime type: `Ok(text)` is the value it holds.
fn judge(
    out: &mut Vec<String>,
    how: &str,
    value: &str,
    format: Format,
    expect_valid: bool,
    result: Result<String, String>,
) {
    match (result, expect_valid) {
        (Ok(held), true) => {
            if held != value {
                out.push(format!("{how} changed the value to {held:?}"));
            }
        }
        (Err(e), false) => {
            let prefix = format!("invalid {} ", format.lexicon_name());
            if !e.starts_with(&prefix) {
                out.push(format!(
                    "{how} rejected it, but its error does not start with {prefix:?}: {e}"
                ));
            }
        }
        (Ok(held), false) => out.push(format!("{how} accepted it as {held:?}")),
        (Err(e), true) => out.push(format!("{how} rejected it: {e}")),
    }
}

/// Builds the runtime type `$ty` every way there is (`new`, `FromStr`, `TryFrom<&str>`,
/// `TryFrom<String>`, serde) and reports each way that disagrees with the expectation, or
/// that does not hold (and, for serde, write back) the value unchanged.
macro_rules! runtime_disagreements {
    ($ty:ty, $format:expr, $value:expr, $expect_valid:expr) => {{
        let (value, format, expect_valid): (&str, Format, bool) = ($value, $format, $expect_valid);
        let mut out = Vec::new();
        let held = |r: Result<$ty, FormatError>| {
            r.map(|v| v.as_str().to_owned()).map_err(|e| e.to_string())
        };
        judge(
            &mut out,
            "new",
            value,
            format,
            expect_valid,
            held(<$ty>::new(value)),
        );
        judge(
            &mut out,
            "FromStr",
            value,
            format,
            expect_valid,
            held(value.parse::<$ty>()),
        );
        judge(
            &mut out,
            "TryFrom<&str>",
            value,
            format,
            expect_valid,
            held(<$ty>::try_from(value)),
        );
        judge(
            &mut out,
            "TryFrom<String>",
            value,
            format,
            expect_valid,
            held(<$ty>::try_from(value.to_owned())),
        );
        let json = serde_json::Value::String(value.to_owned());
        let decoded = serde_json::from_value::<$ty>(json.clone());
        if let Ok(v) = &decoded {
            match serde_json::to_value(v) {
                Ok(back) if back == json => {}
                other => out.push(format!("serde wrote back {other:?}")),
            }
        }
        judge(
            &mut out,
            "serde",
            value,
            format,
            expect_valid,
            decoded
                .map(|v| v.as_str().to_owned())
                .map_err(|e| e.to_string()),
        );
        out
    }};
}

/// A check of one format: the syntax function and the runtime type.
struct Checker {
    file: &'static str,
    format: Format,
    syntax: fn(&str) -> Result<(), SyntaxError>,
    runtime: fn(&str, bool) -> Vec<String>,
}

macro_rules! checker {
    ($file:literal, $format:ident, $syntax:path, $ty:ty) => {
        Checker {
            file: $file,
            format: Format::$format,
            syntax: $syntax,
            runtime: |value, expect_valid| {
                runtime_disagreements!($ty, Format::$format, value, expect_valid)
            },
        }
    };
}

fn checkers() -> Vec<Checker> {
    vec![
        checker!(
            "atidentifier",
            AtIdentifier,
            atlex_syntax::at_identifier,
            AtIdentifier
        ),
        checker!("aturi", AtUri, atlex_syntax::at_uri, AtUri),
        checker!("cid", Cid, atlex_syntax::cid, Cid),
        checker!("datetime", Datetime, atlex_syntax::datetime, Datetime),
        checker!("did", Did, atlex_syntax::did, Did),
        checker!("handle", Handle, atlex_syntax::handle, Handle),
        checker!("language", Language, atlex_syntax::language, Language),
        checker!("nsid", Nsid, atlex_syntax::nsid, Nsid),
        checker!("recordkey", RecordKey, atlex_syntax::record_key, RecordKey),
        checker!("tid", Tid, atlex_syntax::tid, Tid),
        checker!("uri", Uri, atlex_syntax::uri, Uri),
    ]
}

/// The cases of a vector file: (line number, value). Lines are split on `\n` only, so that
/// the cases with leading or trailing spaces keep them.
fn cases(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.split('\n')
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(i, line)| (i + 1, line.to_owned()))
        .collect()
}

fn shorten(value: &str) -> String {
    if value.len() <= 80 {
        format!("{value:?}")
    } else {
        let mut end = 60;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        format!("{:?}... ({} bytes)", &value[..end], value.len())
    }
}

#[test]
fn interop_syntax_vectors() {
    let Some(dir) = interop_dir() else { return };
    let dir = dir.join("syntax");
    let mut failures = Vec::new();
    let mut total_run = 0;
    for checker in checkers() {
        assert_eq!(
            Format::from_lexicon_name(checker.format.lexicon_name()),
            Some(checker.format)
        );
        for (kind, expect_valid, required) in [
            ("syntax_valid", true, true),
            ("syntax_invalid", false, true),
            ("parse_invalid", false, false),
        ] {
            let name = format!("{}_{kind}.txt", checker.file);
            let path = dir.join(&name);
            if !path.exists() {
                assert!(!required, "missing vector file {}", path.display());
                continue;
            }
            let cases = cases(&path);
            assert!(!cases.is_empty(), "{name} holds no cases");
            let mut passed = 0;
            for (line, value) in &cases {
                let mut wrong = Vec::new();
                match ((checker.syntax)(value), expect_valid) {
                    (Ok(()), false) => wrong.push("atlex-syntax accepted it".to_owned()),
                    (Err(e), true) => wrong.push(format!("atlex-syntax rejected it: {e}")),
                    _ => {}
                }
                wrong.extend((checker.runtime)(value, expect_valid));
                if wrong.is_empty() {
                    passed += 1;
                } else {
                    failures.push(format!(
                        "{name}:{line} {} (expected {}): {}",
                        shorten(value),
                        if expect_valid { "valid" } else { "invalid" },
                        wrong.join("; ")
                    ));
                }
            }
            total_run += cases.len();
            println!("{name}: {passed} cases passed of {} cases run", cases.len());
        }
    }
    println!("all syntax files: {} cases run", total_run);
    assert!(
        failures.is_empty(),
        "{} interop syntax cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
