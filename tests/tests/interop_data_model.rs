//! The atproto interop data-model vectors (`data-model/*.json`) against `atlex::types`.
//!
//! - `data-model-valid.json`, `data-model-fixtures.json`: every case's `json` reads as an
//!   [`Unknown`] and writes back as the same data (an integral float such as `123.0` comes
//!   back as the integer `123`); every `$link`, `$bytes` and blob object inside reads as a
//!   [`CidLink`], [`Bytes`] or [`Blob`] and writes back unchanged.
//! - `data-model-invalid.json`: no case's `json` reads as an [`Unknown`]; where a case holds
//!   `$link`, `$bytes` or blob objects, at least one of them is refused by its typed reader.
//! - In each file, every kind among `$link`, `$bytes` and blob that its text holds was read
//!   (or, for the invalid file, refused) by its typed reader at least once; the counts per
//!   kind are printed.
//!
//! Needs `ATLEX_INTEROP_DIR` (a copy of bluesky-social/atproto-interop-tests); skipped
//! without it (a failure with `ATLEX_REQUIRE_ALL=1`).

use atlex::types::{Blob, Bytes, CidLink, Unknown};
use serde_json::Value;
use std::path::PathBuf;

fn interop_dir() -> Option<PathBuf> {
    match std::env::var_os("ATLEX_INTEROP_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            atlex_tests::skip(
                "set ATLEX_INTEROP_DIR=/path/to/atproto-interop-tests to run the interop data-model vectors",
            );
            None
        }
    }
}

/// A vector file: its text and its `(name, json)` cases.
struct Vectors {
    text: String,
    cases: Vec<(String, Value)>,
}

/// The cases of a vector file.
fn load(file: &str) -> Option<Vectors> {
    let path = interop_dir()?.join("data-model").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let cases: Vec<Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    assert!(!cases.is_empty(), "{file} holds no cases");
    let cases = cases
        .into_iter()
        .enumerate()
        .map(|(i, case)| {
            let name = match case.get("note").and_then(Value::as_str) {
                Some(note) => format!("#{i} ({note})"),
                None => format!("#{i}"),
            };
            let json = case
                .get("json")
                .unwrap_or_else(|| panic!("{file} case {name} has no \"json\""))
                .clone();
            (name, json)
        })
        .collect();
    Some(Vectors { text, cases })
}

/// Which typed reader an object calls for, if any.
#[derive(Clone, Copy, Debug)]
enum Special {
    Link,
    Bytes,
    Blob,
}

impl Special {
    const ALL: [Special; 3] = [Special::Link, Special::Bytes, Special::Blob];

    fn index(self) -> usize {
        self as usize
    }

    fn name(self) -> &'static str {
        match self {
            Special::Link => "$link",
            Special::Bytes => "$bytes",
            Special::Blob => "blob",
        }
    }

    /// Whether the file's text holds a value of this kind at all: a `"$link"` or
    /// `"$bytes"` key, or `"blob"`. Read from the text, apart from [`special`].
    fn in_text(self, text: &str) -> bool {
        text.contains(&format!("\"{}\"", self.name()))
    }
}

/// Counts per kind, in the order of [`Special::ALL`].
type PerKind = [usize; 3];

/// `3 $link, 2 $bytes, 2 blob`.
fn per_kind(counts: &PerKind) -> String {
    Special::ALL
        .iter()
        .map(|k| format!("{} {}", counts[k.index()], k.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every kind that the file's text holds was handled at least once by its typed reader.
fn every_kind_read(file: &str, text: &str, counts: &PerKind, what: &str) -> Vec<String> {
    Special::ALL
        .iter()
        .filter(|k| k.in_text(text) && counts[k.index()] == 0)
        .map(|k| {
            format!(
                "{file}: it holds {} values, and none was {what} by its typed reader",
                k.name()
            )
        })
        .collect()
}

fn special(value: &Value) -> Option<Special> {
    let map = value.as_object()?;
    if map.contains_key("$link") {
        Some(Special::Link)
    } else if map.contains_key("$bytes") {
        Some(Special::Bytes)
    } else if map.get("$type").and_then(Value::as_str) == Some("blob") {
        Some(Special::Blob)
    } else {
        None
    }
}

/// The outermost `$link`, `$bytes` and blob objects in `value` (a blob's own `ref` is part
/// of the blob), with their JSON pointers.
fn specials<'a>(value: &'a Value, pointer: String, out: &mut Vec<(String, Special, &'a Value)>) {
    if let Some(kind) = special(value) {
        out.push((pointer, kind, value));
        return;
    }
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                specials(item, format!("{pointer}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                specials(v, format!("{pointer}/{k}"), out);
            }
        }
        _ => {}
    }
}

/// Reads `value` with the typed reader and writes it back.
fn typed_round_trip(kind: Special, value: &Value) -> Result<Value, String> {
    macro_rules! go {
        ($ty:ty) => {
            serde_json::from_value::<$ty>(value.clone())
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::to_value(&t).map_err(|e| e.to_string()))
        };
    }
    match kind {
        Special::Link => go!(CidLink),
        Special::Bytes => go!(Bytes),
        Special::Blob => go!(Blob),
    }
}

/// Runs the valid cases of `file`; returns the failures.
fn run_valid(file: &str) -> Option<Vec<String>> {
    let Vectors { text, cases } = load(file)?;
    let mut failures = Vec::new();
    let (mut passed, mut typed_run, mut typed_passed) = (0, 0, 0);
    let mut read: PerKind = [0; 3];
    for (name, json) in &cases {
        let before = failures.len();
        match serde_json::from_value::<Unknown>(json.clone()) {
            Err(e) => failures.push(format!("{file} {name}: Unknown rejected it: {e}")),
            Ok(u) => {
                let back = serde_json::to_value(&u).expect("Unknown serializes");
                if !atlex_tests::same_data(&back, json) {
                    failures.push(format!(
                        "{file} {name}: Unknown wrote back {back} for {json}"
                    ));
                }
                // Reading what was written gives the same value.
                match serde_json::from_value::<Unknown>(back) {
                    Ok(again) if again == u => {}
                    other => failures.push(format!("{file} {name}: second read gave {other:?}")),
                }
            }
        }
        let mut found = Vec::new();
        specials(json, String::new(), &mut found);
        for (pointer, kind, value) in found {
            typed_run += 1;
            match typed_round_trip(kind, value) {
                Ok(back) if &back == value => {
                    typed_passed += 1;
                    read[kind.index()] += 1;
                }
                Ok(back) => failures.push(format!(
                    "{file} {name} at {pointer}: {kind:?} wrote back {back} for {value}"
                )),
                Err(e) => failures.push(format!(
                    "{file} {name} at {pointer}: {kind:?} rejected {value}: {e}"
                )),
            }
        }
        if failures.len() == before {
            passed += 1;
        }
    }
    println!(
        "{file}: {passed} cases passed of {} cases run ({typed_passed} of {typed_run} $link/$bytes/blob values read and written back by CidLink/Bytes/Blob: {})",
        cases.len(),
        per_kind(&read)
    );
    failures.extend(every_kind_read(file, &text, &read, "read and written back"));
    Some(failures)
}

#[test]
fn data_model_valid() {
    let Some(failures) = run_valid("data-model-valid.json") else {
        return;
    };
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn data_model_fixtures() {
    let Some(failures) = run_valid("data-model-fixtures.json") else {
        return;
    };
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn data_model_invalid() {
    let file = "data-model-invalid.json";
    let Some(Vectors { text, cases }) = load(file) else {
        return;
    };
    let mut failures = Vec::new();
    let (mut passed, mut typed_run, mut typed_passed) = (0, 0, 0);
    let mut refused_by: PerKind = [0; 3];
    for (name, json) in &cases {
        let before = failures.len();
        if let Ok(u) = serde_json::from_value::<Unknown>(json.clone()) {
            failures.push(format!("{file} {name}: Unknown accepted {json} as {u:?}"));
        }
        let mut found = Vec::new();
        specials(json, String::new(), &mut found);
        if !found.is_empty() {
            typed_run += 1;
            let refused: Vec<Special> = found
                .iter()
                .filter(|(_, kind, value)| typed_round_trip(*kind, value).is_err())
                .map(|(_, kind, _)| *kind)
                .collect();
            for kind in &refused {
                refused_by[kind.index()] += 1;
            }
            if !refused.is_empty() {
                typed_passed += 1;
            } else {
                failures.push(format!(
                    "{file} {name}: every $link/$bytes/blob object in it was accepted by its typed reader: {json}"
                ));
            }
        }
        if failures.len() == before {
            passed += 1;
        }
    }
    println!(
        "{file}: {passed} cases passed of {} cases run ({typed_passed} of {typed_run} cases with $link/$bytes/blob objects refused by CidLink/Bytes/Blob: {})",
        cases.len(),
        per_kind(&refused_by)
    );
    failures.extend(every_kind_read(file, &text, &refused_by, "refused"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
