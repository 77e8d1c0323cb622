//! The binary side of the atproto interop data-model vectors (`data-model/*.json`): DAG-CBOR
//! and CIDs through `atlex::cbor`, with every expected byte taken from the vectors or written
//! by hand from the data model's rules, never from atlex's own encoder.
//!
//! - `data-model-fixtures.json`: every case's `cbor_base64` hashes to its `cid` and passes the
//!   strict reader; it decodes (as [`Unknown`] and as [`Data`]) to the case's `json` and
//!   encodes back to the same bytes; the case's `json` encodes to exactly those bytes.
//! - `data-model-valid.json`: every case's canonical DAG-CBOR, written by hand here, passes
//!   the strict reader, decodes to the case's data and encodes back to the same bytes; the
//!   case's JSON encodes to it.
//! - `data-model-invalid.json`: every case is refused as JSON, and its CBOR form (each case
//!   has one, written by hand here: the float as a float, the bad `$type`, the blob, the
//!   `$bytes` and `$link` objects whose keys the binary form reserves, the bogus CID as tag
//!   42's bytes) is refused as CBOR, by the untyped and the typed reader; `Data` refuses the
//!   CBOR exactly where it refuses the JSON.
//! - Hand-written CBOR for each rule of the strict reader (indefinite lengths, floats,
//!   `undefined`, integer range, non-string keys, long heads, key order, bytes after the
//!   value, nesting depth, tags, links): refused by `check()`, by `Data`, by `Unknown`, and
//!   by a generated type through `from_slice` and `decode`, each naming the rule.
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

/// Bytes from hex, spaces ignored.
fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    assert_eq!(s.len() & 1, 0, "odd hex: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Generated types for the typed side of the hand-written cases.
mod typed {
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.example.cbor.numbers",
        "defs": { "main": { "type": "object", "properties": {
            "a": { "type": "integer" },
            "b": { "type": "integer" },
            "s": { "type": "string" },
            "l": { "type": "array", "items": { "type": "integer" } } } } }
    });
}
mod typed_link {
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.example.cbor.link",
        "defs": { "main": { "type": "object", "properties": {
            "a": { "type": "cid-link" } } } }
    });
}
mod typed_vectors {
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.example.cbor.vectors",
        "defs": { "main": { "type": "object", "properties": {
            "rcrd": { "type": "unknown" },
            "blb": { "type": "blob" },
            "lnk": { "type": "cid-link" } } } }
    });
}
use typed::com::example::cbor::numbers::Main as Numbers;
use typed_link::com::example::cbor::link::Main as Link;
use typed_vectors::com::example::cbor::vectors::Main as Vectors;

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
        // The fixture's own bytes: they pass the strict reader and hash to its CID.
        if let Err(e) = atlex::cbor::check(&want_cbor) {
            failures.push(format!("#{i}: the fixture's CBOR fails check(): {e}"));
        }
        let hashed = atlex::cbor::cid_of(atlex::cbor::DAG_CBOR, &want_cbor);
        if hashed.as_str() != want_cid {
            failures.push(format!("#{i}: its bytes hash to {hashed}, not {want_cid}"));
        }
        // Their bytes decode to their JSON's data, and encode back to the same bytes.
        match atlex::cbor::from_slice::<Unknown>(&want_cbor) {
            Ok(back) => {
                if !atlex_tests::same_data(&back.to_json(), json) {
                    failures.push(format!("#{i}: the CBOR decodes to other data"));
                }
                if atlex::cbor::to_vec(&back).expect("encodes") != want_cbor {
                    failures.push(format!("#{i}: the decoded value encodes to other bytes"));
                }
                if atlex::cbor::cid(&back).expect("hashes").as_str() != want_cid {
                    failures.push(format!("#{i}: the decoded value has another CID"));
                }
            }
            Err(e) => failures.push(format!("#{i}: the CBOR is refused: {e}")),
        }
        match atlex::cbor::decode::<Data>(&want_cbor) {
            Ok(back) => {
                if !atlex_tests::same_data(&back.to_json(), json) {
                    failures.push(format!("#{i}: the CBOR decodes to other Data"));
                }
                if atlex::cbor::to_vec(&back).expect("encodes") != want_cbor {
                    failures.push(format!("#{i}: the decoded Data encodes to other bytes"));
                }
            }
            Err(e) => failures.push(format!("#{i}: the CBOR is refused as Data: {e}")),
        }
        // Our side: the JSON encodes to exactly their bytes, and hashes to their CID.
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
    }
    println!(
        "data-model fixtures (DAG-CBOR bytes and CIDs, both ways): {}/{} pass",
        cases.len() - failures.len().min(cases.len()),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(cases.len(), 3, "the fixture file changed: review this test");
}

/// The canonical DAG-CBOR of each valid vector, by its note, written by hand (map keys
/// shortest first, then bytewise; integers in their shortest head; `123.0` is the integer
/// 123 in the data model).
const VALID_CBOR: &[(&str, &str)] = &[
    (
        "trivial record",
        "a1 64 72637264 a3 61 61 18 7b 61 62 64 626c6168 65 2474797065 70 636f6d2e6578616d706c652e626c6168",
    ),
    (
        "float, but integer-like",
        "a1 64 72637264 a3 61 61 18 7b 61 62 64 626c6168 65 2474797065 70 636f6d2e6578616d706c652e626c6168",
    ),
    (
        "empty list and object",
        "a1 64 72637264 a3 61 61 80 61 62 a0 65 2474797065 70 636f6d2e6578616d706c652e626c6168",
    ),
    ("list of nullable", "a1 63 617272 83 01 02 f6"),
    (
        "list of lists",
        "a2 63 617272 82 83 01 02 03 83 04 05 06 64 61727232 83 f6 f6 f6",
    ),
];

#[test]
fn valid_cases_match_their_canonical_cbor() {
    let Some(cases) = load("data-model-valid.json") else {
        return;
    };
    let mut failures = Vec::new();
    for case in &cases {
        let note = case["note"].as_str().unwrap_or("");
        let json = &case["json"];
        let Some((_, want)) = VALID_CBOR.iter().find(|(n, _)| *n == note) else {
            failures.push(format!("{note}: no hand-written CBOR for this case"));
            continue;
        };
        let want = hex(want);
        if let Err(e) = atlex::cbor::check(&want) {
            failures.push(format!("{note}: its canonical CBOR fails check(): {e}"));
        }
        match atlex::cbor::from_slice::<Unknown>(&want) {
            Ok(back) if atlex_tests::same_data(&back.to_json(), json) => {
                if atlex::cbor::to_vec(&back).unwrap() != want {
                    failures.push(format!("{note}: decoded, it encodes to other bytes"));
                }
            }
            Ok(_) => failures.push(format!("{note}: decodes to other data")),
            Err(e) => failures.push(format!("{note}: refused as CBOR: {e}")),
        }
        match atlex::cbor::decode::<Data>(&want) {
            Ok(back) if atlex_tests::same_data(&back.to_json(), json) => {
                if atlex::cbor::to_vec(&back).unwrap() != want {
                    failures.push(format!(
                        "{note}: decoded as Data, it encodes to other bytes"
                    ));
                }
            }
            Ok(_) => failures.push(format!("{note}: decodes to other Data")),
            Err(e) => failures.push(format!("{note}: refused as Data: {e}")),
        }
        match Unknown::try_from(json.clone()) {
            Ok(value) if atlex::cbor::to_vec(&value).unwrap() == want => {}
            Ok(value) => failures.push(format!(
                "{note}: the JSON encodes to {:02x?}",
                atlex::cbor::to_vec(&value).unwrap()
            )),
            Err(e) => failures.push(format!("{note}: the JSON is refused: {e}")),
        }
    }
    println!(
        "data-model valid cases against their canonical DAG-CBOR: {}/{} pass",
        cases.len() - failures.len().min(cases.len()),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        cases.len(),
        VALID_CBOR.len(),
        "the valid cases changed: review this test"
    );
}

/// The CID `bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity` of the vectors, as
/// tag 42 holds it (a zero byte, then the binary CID).
const VECTOR_LINK: &str =
    "d82a 5825 00 015512204258cfff78f613697697563f926c91e5d3574d2ea25ae7ed92d6ebfc23a3889e";

/// The CBOR form of each invalid vector, by its note, written by hand from what the vector
/// means.
fn invalid_cbor() -> Vec<(&'static str, String)> {
    let rcrd = |type_value: &str, a: &str| {
        // {"rcrd": {"a": .., "b": "blah", "$type": ..}}
        format!("a1 64 72637264 a3 61 61 {a} 61 62 64 626c6168 65 2474797065 {type_value}")
    };
    let blah_type = "70 636f6d2e6578616d706c652e626c6168";
    vec![
        // "blah"
        ("top-level not an object", "64 626c6168".to_owned()),
        // 123.456 as a 64-bit float
        ("float", rcrd(blah_type, "fb 405edd2f1a9fbe77")),
        ("record with $type null", rcrd("f6", "18 7b")),
        ("record with $type wrong type", rcrd("18 7b", "18 7b")),
        ("record with empty $type string", rcrd("60", "18 7b")),
        // {"blb": {"ref": link, "size": "10000", "$type": "blob", "mimeType": "image/jpeg"}}
        (
            "blob with string size",
            format!("a1 63 626c62 a4 63 726566 {VECTOR_LINK} 64 73697a65 65 3130303030 65 2474797065 64 626c6f62 68 6d696d6554797065 6a 696d6167652f6a706567"),
        ),
        // {"blb": {"size": 10000, "$type": "blob", "mimeType": "image/jpeg"}}
        (
            "blob with missing key",
            "a1 63 626c62 a3 64 73697a65 19 2710 65 2474797065 64 626c6f62 68 6d696d6554797065 6a 696d6167652f6a706567".to_owned(),
        ),
        // {"lnk": {"$bytes": [1, 2, 3]}}
        ("bytes with wrong field type", "a1 63 6c6e6b a1 66 246279746573 83 01 02 03".to_owned()),
        // {"lnk": {"other": "blah", "$bytes": h'9c51..'}}
        (
            "bytes with extra fields",
            "a1 63 6c6e6b a2 65 6f74686572 64 626c6168 66 246279746573 58 20 9c51118ef2cb8b0f6a9b8e49aea1fd413cf20b62eed576f89deebeb01ac2cc8d".to_owned(),
        ),
        // {"lnk": {"$link": 1234}}
        ("link with wrong field type", "a1 63 6c6e6b a1 65 246c696e6b 19 04d2".to_owned()),
        // {"lnk": tag 42 holding a zero byte then "."}
        ("link with bogus CID", "a1 63 6c6e6b d82a 42 00 2e".to_owned()),
        // {"lnk": {"$link": link, "other": "blah"}}
        (
            "link with extra fields",
            format!("a1 63 6c6e6b a2 65 246c696e6b {VECTOR_LINK} 65 6f74686572 64 626c6168"),
        ),
    ]
}

#[test]
fn invalid_cases_are_refused_as_json_and_as_cbor() {
    let Some(cases) = load("data-model-invalid.json") else {
        return;
    };
    let forms = invalid_cbor();
    let mut failures = Vec::new();
    let (mut json_refused, mut cbor_refused) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        let note = case["note"].as_str().unwrap_or("");
        let json = &case["json"];
        let name = format!("#{i} ({note})");
        // JSON: untyped, and the generated type (decoded, then validated).
        let json_untyped = Unknown::try_from(json.clone());
        let json_typed = serde_json::from_value::<Vectors>(json.clone())
            .map_err(|e| e.to_string())
            .and_then(|v| atlex::Validate::validate(&v).map_err(|e| e.to_string()));
        if json_untyped.is_ok() || json_typed.is_ok() {
            failures.push(format!("{name}: accepted as JSON"));
        } else {
            json_refused += 1;
        }
        // Its CBOR form.
        let Some((_, cbor)) = forms.iter().find(|(n, _)| *n == note) else {
            failures.push(format!("{name}: no CBOR form written for it"));
            continue;
        };
        let bytes = hex(cbor);
        let untyped = atlex::cbor::from_slice::<Unknown>(&bytes);
        let typed = atlex::cbor::from_slice::<Vectors>(&bytes);
        if let (Err(_), Err(_)) = (&untyped, &typed) {
            cbor_refused += 1;
        } else {
            failures.push(format!(
                "{name}: accepted as CBOR: untyped {untyped:?}, typed {typed:?}"
            ));
        }
        // Data reads any value: it refuses the CBOR exactly where it refuses the JSON.
        let data_json = Data::from_json(json);
        let data_cbor = atlex::cbor::decode::<Data>(&bytes);
        if data_json.is_ok() != data_cbor.is_ok() {
            failures.push(format!(
                "{name}: Data from JSON {data_json:?}, from CBOR {data_cbor:?}"
            ));
        }
    }
    println!(
        "data-model invalid cases: {}; refused as JSON {json_refused}, refused as CBOR (untyped and typed) {cbor_refused}",
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        cases.len(),
        12,
        "the invalid cases changed: review this test"
    );
    assert_eq!((json_refused, cbor_refused), (12, 12));
    assert_eq!(forms.len(), 12);
}

/// One hand-written input and what each reader must say about it.
struct Case {
    /// What the input is.
    what: &'static str,
    hex: String,
    /// The text every refusal names.
    why: &'static str,
}

fn case(what: &'static str, hex: impl Into<String>, why: &'static str) -> Case {
    Case {
        what,
        hex: hex.into(),
        why,
    }
}

/// A generated type's two readers (`from_slice`, which validates, and `decode`), their
/// results shown as text.
type TypedReaders = [fn(&[u8]) -> Result<String, atlex::cbor::Error>; 2];

/// The readers of the generated type `$t`.
macro_rules! typed_readers {
    ($t:ty) => {
        [
            |b: &[u8]| atlex::cbor::from_slice::<$t>(b).map(|v| format!("{v:?}")),
            |b: &[u8]| atlex::cbor::decode::<$t>(b).map(|v| format!("{v:?}")),
        ]
    };
}

/// Runs `cases` through `check()`, `check_first()`, `Data`, `Unknown` and a generated type
/// (`from_slice` and `decode`): each refuses, naming the rule. Returns how many were refused
/// by all of them.
fn refused_by_all(cases: &[Case], typed: TypedReaders) -> usize {
    let mut refused = 0;
    for c in cases {
        let bytes = hex(&c.hex);
        let results = [
            ("check", atlex::cbor::check(&bytes).map(|_| String::new())),
            (
                "Data",
                atlex::cbor::decode::<Data>(&bytes).map(|v| format!("{v:?}")),
            ),
            (
                "Unknown",
                atlex::cbor::from_slice::<Unknown>(&bytes).map(|v| format!("{v:?}")),
            ),
            ("from_slice", typed[0](&bytes)),
            ("decode", typed[1](&bytes)),
            (
                "check_first",
                atlex::cbor::check_first(&bytes).map(|n| n.to_string()),
            ),
        ];
        for (reader, result) in results {
            // check_first reads one value: bytes after it are not its business.
            if reader == "check_first" && c.why == "after the end" {
                assert!(result.is_ok(), "{}: check_first: {result:?}", c.what);
                continue;
            }
            match result {
                Err(e) => assert!(
                    e.to_string().contains(c.why),
                    "{}: {reader} refused it for another reason: {e}",
                    c.what
                ),
                Ok(v) => panic!("{}: {reader} accepted it: {v}", c.what),
            }
        }
        refused += 1;
    }
    refused
}

/// The strict reader's rules, each broken once in a value the typed reader reads (a field of
/// `Numbers` or `Link`): every reader refuses it, typed ones included.
#[test]
fn every_reader_applies_the_strict_rules() {
    let deep = format!("a2 61 61 01 61 78 {} 01", "81 ".repeat(128));
    let numbers = vec![
        case("an indefinite map", "bf 61 61 01 ff", "indefinite lengths"),
        case(
            "an indefinite array",
            "a1 61 6c 9f 01 ff",
            "indefinite lengths",
        ),
        case(
            "an indefinite string",
            "a1 61 73 7f 61 61 ff",
            "indefinite lengths",
        ),
        case(
            "an indefinite byte string",
            "a1 61 78 5f 41 61 ff",
            "indefinite lengths",
        ),
        case(
            "a half float",
            "a1 61 61 f9 3c00",
            "floats are not in the data model",
        ),
        case(
            "a single float",
            "a1 61 61 fa 3fc00000",
            "floats are not in the data model",
        ),
        case(
            "a double float",
            "a1 61 61 fb 3ff8000000000000",
            "floats are not in the data model",
        ),
        case(
            "undefined",
            "a1 61 61 f7",
            "a simple value other than true, false, null",
        ),
        case(
            "a one-byte simple value",
            "a1 61 61 f8 20",
            "a simple value other than true, false, null",
        ),
        case("2^63", "a1 61 61 1b 8000000000000000", "signed 64-bit"),
        case("-2^63 - 1", "a1 61 61 3b 8000000000000000", "signed 64-bit"),
        case("an integer key", "a1 01 01", "a map key must be a string"),
        case(
            "a byte-string key",
            "a1 41 61 01",
            "a map key must be a string",
        ),
        case(
            "a long head for a small integer",
            "a1 61 61 18 01",
            "shortest form",
        ),
        case("a long head for a 255", "a1 61 61 19 00ff", "shortest form"),
        case(
            "a long head for a key's length",
            "a1 78 01 61 01",
            "shortest form",
        ),
        case(
            "a long head for a map's length",
            "b8 01 61 61 01",
            "shortest form",
        ),
        case(
            "a long head for a negative integer",
            "a1 61 61 38 00",
            "shortest form",
        ),
        case(
            "keys out of canonical order",
            "a2 61 62 01 61 61 02",
            "canonical",
        ),
        case("a longer key first", "a2 62 6161 01 61 62 02", "canonical"),
        case("a key twice", "a2 61 61 01 61 61 02", "same key twice"),
        case("bytes after the value", "a1 61 61 01 00", "after the end"),
        case("129 levels of nesting", deep, "deeply"),
        case("a tag other than 42", "a1 61 61 c1 01", "tag other than 42"),
        case("a string that is not UTF-8", "a1 61 73 62 c328", "UTF-8"),
        case(
            "a count larger than the input",
            "a1 61 6c 9a ffffffff",
            "count larger",
        ),
        case("the input cut short", "a2 61 61 01 61", "ends"),
    ];
    let links = vec![
        case("a link without its zero byte", "a1 61 61 d82a 58 24 015512204258cfff78f613697697563f926c91e5d3574d2ea25ae7ed92d6ebfc23a3889e", "zero byte"),
        case("a link to dag-pb", "a1 61 61 d82a 58 25 00 017012204258cfff78f613697697563f926c91e5d3574d2ea25ae7ed92d6ebfc23a3889e", "codec"),
        case("a link with a sha-512 hash", format!("a1 61 61 d82a 58 45 00 01711340 {}", "ab".repeat(64)), "sha-256"),
        case("a CIDv0 link", "a1 61 61 d82a 58 23 00 12204258cfff78f613697697563f926c91e5d3574d2ea25ae7ed92d6ebfc23a3889e", "CIDv1"),
        case("a link with a byte after its CID", "a1 61 61 d82a 58 26 00 015512204258cfff78f613697697563f926c91e5d3574d2ea25ae7ed92d6ebfc23a3889e 00", "after the end of a link's CID"),
        case("a link holding a string", "a1 61 61 d82a 61 78", "tag 42 must hold a byte string"),
    ];
    let n = refused_by_all(&numbers, typed_readers!(Numbers));
    let l = refused_by_all(&links, typed_readers!(Link));
    println!(
        "strict DAG-CBOR rules: {n} inputs refused by check, Data, Unknown and a generated type (from_slice, decode); {l} link inputs likewise"
    );
    assert_eq!((n, l), (numbers.len(), links.len()));
    assert_eq!((n, l), (27, 6));
    // The valid neighbours of those inputs read, so the refusals are the rules' doing.
    for ok in [
        "a1 61 61 01",
        "a1 61 6c 81 01",
        "a1 61 61 18 18",
        "a1 61 61 1b 7fffffffffffffff",
        "a1 61 61 3b 7fffffffffffffff",
        "a2 61 61 01 61 62 02",
        "a1 61 73 62 c3a9",
    ] {
        let bytes = hex(ok);
        atlex::cbor::check(&bytes).unwrap();
        atlex::cbor::from_slice::<Numbers>(&bytes).unwrap();
        atlex::cbor::from_slice::<Unknown>(&bytes).unwrap();
    }
    let link = format!("a1 61 61 {VECTOR_LINK}");
    atlex::cbor::from_slice::<Link>(&hex(&link)).unwrap();
    let ok_deep = format!("a2 61 61 01 61 78 {} 01", "81 ".repeat(127));
    atlex::cbor::from_slice::<Numbers>(&hex(&ok_deep)).unwrap();
}

/// CBOR that the data model refuses, written by hand (the vectors have no invalid CBOR): each
/// is refused by the untyped, the `Data` and the typed reader where the rule is theirs, and
/// names what is wrong.
#[test]
fn invalid_cbor_is_refused_with_its_reason() {
    // (bytes, what the refusal names, Data refuses, the generated type refuses)
    let cases = [
        // {"a": 1.5}: a float
        ("a1 6161 fb3ff8000000000000", "floats are not in the data model", true, true),
        // {"b": 1, "a": 2}: keys out of order
        ("a2 6162 01 6161 02", "canonical", true, true),
        // {"a": 1, "a": 2}
        ("a2 6161 01 6161 02", "same key twice", true, true),
        // {"a": 24} with the 24 in two bytes
        ("a1 6161 1900 18", "shortest form", true, true),
        // {"a": tag 43}
        ("a1 6161 d82b 00", "tag other than 42", true, true),
        // {"a": CID without its zero byte}
        (
            "a1 6161 d82a 5824 01711220 6506 2a5a 5a00 fc16 d73c 6944 237c cbc1 5b1c 4a72 3448 9336 891d 0917 41a2 39d0",
            "zero byte",
            true,
            true,
        ),
        // {"$bytes": h'01'}: a key the data model reserves. A generated object keeps a
        // property it does not define, `$`-named ones too, as it does when read from JSON;
        // the reserved keys are a rule of data read without a schema.
        ("a1 66 246279746573 41 01", "reserves", true, false),
        // "x": not an object (Data takes any value)
        ("61 78", "not an object", false, true),
        // {"$type": ""}: an empty $type (Data keeps it: the rule is an object's)
        ("a1 65 2474797065 60", "empty", false, true),
    ];
    let mut refused = 0;
    for (bytes, why, data_refuses, typed_refuses) in cases {
        let bytes = hex(bytes);
        let untyped = atlex::cbor::from_slice::<Unknown>(&bytes)
            .unwrap_err()
            .to_string();
        assert!(untyped.contains(why), "{why}: {untyped}");
        let data = atlex::cbor::decode::<Data>(&bytes);
        assert_eq!(data.is_err(), data_refuses, "{why}: Data {data:?}");
        if let Err(e) = data {
            assert!(e.to_string().contains(why), "{why}: Data {e}");
        }
        let typed = atlex::cbor::from_slice::<Numbers>(&bytes);
        assert_eq!(typed.is_err(), typed_refuses, "{why}: typed {typed:?}");
        if let Err(e) = typed {
            // The same rule, or (for what is not an object of the type at all) the type it
            // expected.
            let e = e.to_string();
            assert!(
                e.contains(why) || e.contains("expected an object"),
                "{why}: typed {e}"
            );
        }
        refused += 1;
    }
    assert_eq!(refused, 9);
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
