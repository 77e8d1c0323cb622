//! The binary side of the atproto interop data-model vectors (`data-model/*.json`): DAG-CBOR
//! and CIDs through `atlex::cbor`.
//!
//! - `data-model-fixtures.json`: every case's `json` encodes to exactly its `cbor_base64`, hashes
//!   to its `cid`, and the CBOR decodes back to the same data (as [`Unknown`] and as [`Data`]),
//!   which encodes to the same bytes again.
//! - `data-model-valid.json`: every case's `json` encodes, and the encoding passes the strict
//!   reader and decodes back to the same data.
//! - `data-model-invalid.json`: every case is refused, as JSON; where its JSON holds data the
//!   binary side can carry, written as CBOR by hand, the CBOR is refused too.
//!
//! Needs `ATLEX_INTEROP_DIR` (a copy of bluesky-social/atproto-interop-tests); skipped
//! without it.

use atlex::types::{Data, Unknown};
use base64::Engine;
use serde_json::Value;
use std::path::PathBuf;

fn interop_dir() -> Option<PathBuf> {
    match std::env::var_os("ATLEX_INTEROP_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            atlex_tests::skip("set ATLEX_INTEROP_DIR=/path/to/atproto-interop-tests to run the interop DAG-CBOR vectors");
            None
        }
    }
}

fn load(file: &str) -> Option<Vec<Value>> {
    let path = interop_dir()?.join("data-model").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let cases: Vec<Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    assert!(!cases.is_empty(), "{file} holds no cases");
    Some(cases)
}

fn base64_any(text: &str) -> Vec<u8> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(text)
        .unwrap_or_else(|e| panic!("bad base64 in the vectors: {e}"))
}

#[test]
fn fixtures_encode_to_their_bytes_and_cid() {
    let Some(cases) = load("data-model-fixtures.json") else {
        return;
    };
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let json = &case["json"];
        let want_cbor = base64_any(case["cbor_base64"].as_str().expect("cbor_base64"));
        let want_cid = case["cid"].as_str().expect("cid");
        let value = match Unknown::try_from(json.clone()) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("#{i}: the JSON is refused: {e}"));
                continue;
            }
        };
        let bytes = atlex::cbor::to_vec(&value).expect("encodes");
        if bytes != want_cbor {
            failures.push(format!(
                "#{i}: encodes to {} bytes, not the fixture's {}",
                bytes.len(),
                want_cbor.len()
            ));
        }
        let cid = atlex::cbor::cid(&value).expect("hashes");
        if cid.to_string() != want_cid {
            failures.push(format!("#{i}: CID {cid}, not {want_cid}"));
        }
        match atlex::cbor::from_slice::<Unknown>(&want_cbor) {
            Ok(back) => {
                if !atlex_tests::same_data(&back.to_json(), json) {
                    failures.push(format!("#{i}: the CBOR decodes to other data"));
                }
                if atlex::cbor::to_vec(&back).expect("encodes") != want_cbor {
                    failures.push(format!("#{i}: the decoded value encodes to other bytes"));
                }
            }
            Err(e) => failures.push(format!("#{i}: the CBOR is refused: {e}")),
        }
        match atlex::cbor::decode::<Data>(&want_cbor) {
            Ok(back) if atlex_tests::same_data(&back.to_json(), json) => {}
            Ok(_) => failures.push(format!("#{i}: the CBOR decodes to other Data")),
            Err(e) => failures.push(format!("#{i}: the CBOR is refused as Data: {e}")),
        }
    }
    println!(
        "data-model fixtures (DAG-CBOR bytes and CIDs): {}/{} pass",
        cases.len() - failures.len().min(cases.len()),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(cases.len(), 3, "the fixture file changed: review this test");
}

#[test]
fn valid_cases_round_trip_through_cbor() {
    let Some(cases) = load("data-model-valid.json") else {
        return;
    };
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let json = &case["json"];
        let value = match Unknown::try_from(json.clone()) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("#{i}: refused: {e}"));
                continue;
            }
        };
        let bytes = atlex::cbor::to_vec(&value).expect("encodes");
        if let Err(e) = atlex::cbor::check(&bytes) {
            failures.push(format!(
                "#{i}: our own encoding fails the strict reader: {e}"
            ));
        }
        match atlex::cbor::from_slice::<Unknown>(&bytes) {
            Ok(back) if atlex_tests::same_data(&back.to_json(), json) => {}
            Ok(_) => failures.push(format!("#{i}: decodes to other data")),
            Err(e) => failures.push(format!("#{i}: refused as CBOR: {e}")),
        }
    }
    println!(
        "data-model valid cases through DAG-CBOR: {}/{} pass",
        cases.len() - failures.len().min(cases.len()),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_cases_are_refused() {
    let Some(cases) = load("data-model-invalid.json") else {
        return;
    };
    let mut accepted = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let note = case["note"].as_str().unwrap_or("");
        let json = &case["json"];
        if let Ok(u) = Unknown::try_from(json.clone()) {
            accepted.push(format!("#{i} ({note}): accepted as JSON: {u:?}"));
        }
    }
    println!(
        "data-model invalid cases refused: {}/{}",
        cases.len() - accepted.len(),
        cases.len()
    );
    assert!(accepted.is_empty(), "{}", accepted.join("\n"));
}

/// CBOR that the data model refuses, written by hand (the vectors have no invalid CBOR): each
/// is refused by the typed and the untyped reader, and names what is wrong.
#[test]
fn invalid_cbor_is_refused_with_its_reason() {
    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
    let cases = [
        // {"a": 1.5}: a float
        ("a1 6161 fb3ff8000000000000", "floats are not in the data model"),
        // {"b": 1, "a": 2}: keys out of order
        ("a2 6162 01 6161 02", "canonical"),
        // {"a": 1, "a": 2}
        ("a2 6161 01 6161 02", "same key twice"),
        // {"a": 24} with the 24 in two bytes
        ("a1 6161 1900 18", "shortest form"),
        // {"a": tag 43}
        ("a1 6161 d82b 00", "tag other than 42"),
        // {"a": CID without its zero byte}
        (
            "a1 6161 d82a 5824 01711220 6506 2a5a 5a00 fc16 d73c 6944 237c cbc1 5b1c 4a72 3448 9336 891d 0917 41a2 39d0",
            "zero byte",
        ),
        // {"$bytes": h'01'}: a reserved key
        ("a1 66 246279746573 41 01", "reserves"),
        // "x": not an object
        ("61 78", "not an object"),
        // {"$type": ""}: an empty $type
        ("a1 65 2474797065 60", "empty"),
    ];
    for (bytes, why) in cases {
        let bytes = hex(bytes);
        let untyped = atlex::cbor::from_slice::<Unknown>(&bytes)
            .unwrap_err()
            .to_string();
        assert!(untyped.contains(why), "{why}: {untyped}");
    }
}

/// Whether path `inner` is `outer` or inside it (`blob.mimeType` is inside `blob`).
#[cfg(atlex_interop)]
fn within(inner: &str, outer: &str) -> bool {
    inner == outer
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(atlex_interop)]
mod catalog {
    atlex::lexicon!("${ATLEX_INTEROP_DIR}/lexicon/catalog/record.json");
}

/// Reading from DAG-CBOR checks what reading from JSON checks: every case of the interop
/// record-data vectors (valid and invalid) is written as DAG-CBOR (where its data is in the
/// data model at all) and read back as the catalog's record type; both readings accept the
/// same cases, an accepted case reads as an equal value, and a refused one is refused at the
/// same path (by `validate()` for the same rule).
#[cfg(atlex_interop)]
#[test]
fn cbor_reads_check_what_json_reads_check() {
    use atlex::Validate;
    use catalog::example::lexicon::record;
    let mut cases = Vec::new();
    for file in ["record-data-valid.json", "record-data-invalid.json"] {
        let Some(dir) = interop_dir() else {
            return;
        };
        let path = dir.join("lexicon").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let list: Vec<Value> = serde_json::from_str(&text).unwrap();
        for case in list {
            cases.push((file, case));
        }
    }
    let (mut agreed, mut not_data_model) = (0, 0);
    let mut failures = Vec::new();
    for (file, case) in &cases {
        let name = format!("{file} {}", case["name"].as_str().unwrap_or("?"));
        let data = &case["data"];
        if data.get("$type").and_then(Value::as_str) != Some(record::NSID) {
            continue;
        }
        let json: Result<record::Record, (String, Option<atlex::ValidationError>)> =
            match serde_path_to_error::deserialize::<_, record::Record>(data.clone()) {
                Err(e) => Err((e.path().to_string(), None)),
                Ok(r) => match r.validate() {
                    Ok(()) => Ok(r),
                    Err(v) => Err((v.path_string(), Some(v))),
                },
            };
        let Ok(model) = Data::from_json(data) else {
            // Not data-model data (a float, a malformed link...): it has no DAG-CBOR form.
            assert!(
                json.is_err(),
                "{name}: JSON accepted what the data model refuses"
            );
            not_data_model += 1;
            continue;
        };
        let bytes = atlex::cbor::to_vec(&model).unwrap();
        let cbor = atlex::cbor::from_slice::<record::Record>(&bytes);
        let same = match (&json, &cbor) {
            (Ok(a), Ok(b)) => a == b,
            (Err((_, Some(a))), Err(atlex::cbor::Error::Invalid(b))) => {
                a.path_string() == b.path_string() && a.rule() == b.rule()
            }
            // The same faulty value; where it has more than one fault, the one met first may
            // differ (JSON is read in the document's key order, DAG-CBOR in canonical order),
            // so one path may be within the other.
            (Err((path, None)), Err(atlex::cbor::Error::Decode { path: p, .. })) => {
                within(path, p) || within(p, path)
            }
            _ => false,
        };
        if same {
            agreed += 1;
        } else {
            failures.push(format!("{name}: JSON {json:?}\n    DAG-CBOR {cbor:?}"));
        }
    }
    println!(
        "record-data vectors read from JSON and from DAG-CBOR: {agreed} agree, {not_data_model} have no DAG-CBOR form, {} differ",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(agreed >= 40, "{agreed} cases compared");
}
