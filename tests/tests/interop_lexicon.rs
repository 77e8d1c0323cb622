//! The atproto interop lexicon vectors (`lexicon/`) against `atlex::lexicon!` and the code it
//! generates.
//!
//! - `lexicon-valid.json`: every document expands (written inline, and read from a file)
//!   into Rust items without a `compile_error!`, and compiles and runs as a crate of its own
//!   under `#![deny(warnings)]` through trybuild.
//! - `lexicon-invalid.json`: every document's expansion, inline and from a file, is a
//!   `compile_error!`; the expansion is exactly what the macro produces, so this is the
//!   macro's verdict.
//! - `catalog/`: all the catalog documents compile in one invocation, in this file, under
//!   `#![deny(warnings)]`.
//! - `record-data-valid.json`: each case's `data` reads (serde) into the `Record` of the
//!   catalog document its `$type` names, passes `validate()`, writes back as the same JSON
//!   data (every property kept, none added; `$bytes` compared by the bytes they encode), and
//!   its `rkey` fits the record's key kind (`atlex::Record::KEY`).
//! - `record-data-invalid.json`: each case is refused by reading, by `validate()` or by the
//!   record key check.
//!
//! Every test prints `<file>: N cases passed of M cases run` and fails listing each case that
//! went wrong, with the reason. Needs `ATLEX_INTEROP_DIR` (a copy of
//! bluesky-social/atproto-interop-tests); skipped without it (a failure with
//! `ATLEX_REQUIRE_ALL=1`). The catalog is compiled only when the variable is set for the build
//! (cfg `atlex_interop`, from build.rs).
#![deny(warnings)]

use atlex_codegen::read::Source;
use atlex_codegen::{expand, naming, Request};
use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use serde_json::Value;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The whole catalog in one invocation. Its procedure document refers to
/// `app.bsky.actor.defs#preferences`, a document the catalog does not hold; a ref that
/// resolves to nothing is a compile error (see `catalog_alone_fails_only_on_its_outside_ref`),
/// so that namespace is mapped to the stand-in module below.
#[cfg(atlex_interop)]
mod catalog {
    atlex::lexicon! {
        path = "${ATLEX_INTEROP_DIR}/lexicon/catalog",
        extern_paths = { "app.bsky" = crate::bsky },
    }
}

/// What the catalog takes from `app.bsky`.
#[cfg(atlex_interop)]
mod bsky {
    pub mod actor {
        pub mod defs {
            /// `app.bsky.actor.defs#preferences`: an array of an open union of preference
            /// objects, here any data-model objects.
            pub type Preferences = Vec<atlex::types::Unknown>;
        }
    }
}

fn interop_dir() -> Option<PathBuf> {
    match std::env::var_os("ATLEX_INTEROP_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            atlex_tests::skip(
                "set ATLEX_INTEROP_DIR=/path/to/atproto-interop-tests to run the interop lexicon vectors",
            );
            None
        }
    }
}

/// One case of a vector file: `#index name` (names repeat) and the case object.
struct Case {
    name: String,
    value: Value,
}

impl Case {
    fn field(&self, file: &str, key: &str) -> &Value {
        self.value
            .get(key)
            .unwrap_or_else(|| panic!("{file} case {} has no {key:?}", self.name))
    }
}

/// The cases of `lexicon/<file>`.
fn load(dir: &Path, file: &str) -> Vec<Case> {
    let path = dir.join("lexicon").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let cases: Vec<Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a JSON array: {e}", path.display()));
    assert!(!cases.is_empty(), "{file} holds no cases");
    cases
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let name = match value.get("name").and_then(Value::as_str) {
                Some(name) => format!("#{i} {name}"),
                None => format!("#{i}"),
            };
            Case { name, value }
        })
        .collect()
}

/// Prints the count and fails listing every wrong case.
fn report(file: &str, run: usize, wrong: &[String]) {
    println!(
        "{file}: {} cases passed of {run} cases run",
        run - wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{file}: {} of {run} cases went wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The directory, under the cargo target dir, that holds the files written for the cases.
fn scratch_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop_lexicon");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn write_file(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// What `lexicon!` expands to for `source`; a panic of the codegen is an `Err`.
fn expand_source(source: Source) -> Result<TokenStream, String> {
    let request = Request {
        sources: vec![source],
        include: Vec::new(),
        extern_paths: Vec::new(),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    catch_unwind(AssertUnwindSafe(|| expand(&request, root)))
        .map_err(|p| format!("the codegen panicked: {}", panic_message(&*p)))
}

/// `lexicon!({ ... })` with the document written inline, as the macro receives it: the
/// brace group's span and its tokens.
fn expand_inline(doc: &Value) -> Result<TokenStream, String> {
    let text = serde_json::to_string(doc).expect("a JSON value serializes");
    let tokens: TokenStream = text
        .parse()
        .map_err(|e| format!("the document does not lex as Rust tokens: {e}"))?;
    let mut trees = tokens.into_iter();
    match (trees.next(), trees.next()) {
        (Some(TokenTree::Group(g)), None) if g.delimiter() == Delimiter::Brace => {
            expand_source(Source::Inline(g.span(), g.stream()))
        }
        _ => Err("the document is not one JSON object".to_owned()),
    }
}

/// `lexicon!("<absolute path>")`.
fn expand_file(path: &Path) -> Result<TokenStream, String> {
    let path = path.to_str().expect("the target dir is a UTF-8 path");
    expand_source(Source::Path(path.to_owned(), Span::call_site()))
}

/// The messages of every `compile_error!` in an expansion.
fn compile_errors(tokens: TokenStream) -> Vec<String> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::new();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                let message = match trees.get(i + 2) {
                    Some(TokenTree::Group(args)) => args
                        .stream()
                        .into_iter()
                        .find_map(|t| match t {
                            TokenTree::Literal(lit) => {
                                syn::parse2::<syn::LitStr>(TokenTree::Literal(lit).into())
                                    .ok()
                                    .map(|s| s.value())
                            }
                            _ => None,
                        })
                        .unwrap_or_else(|| args.stream().to_string()),
                    _ => "(compile_error without arguments)".to_owned(),
                };
                out.push(message);
            }
            TokenTree::Group(g) => out.extend(compile_errors(g.stream())),
            _ => {}
        }
    }
    out
}

/// A valid document's expansion: no `compile_error!`, and a Rust file that holds the
/// document's module.
fn judge_valid_expansion(how: &str, expansion: Result<TokenStream, String>) -> Option<String> {
    let tokens = match expansion {
        Ok(t) => t,
        Err(e) => return Some(format!("{how}: {e}")),
    };
    let errors = compile_errors(tokens.clone());
    if !errors.is_empty() {
        return Some(format!(
            "{how}: the expansion is a compile error: {}",
            errors.join(" | ")
        ));
    }
    if let Err(e) = syn::parse2::<syn::File>(tokens) {
        return Some(format!(
            "{how}: the expansion does not parse as Rust items: {e}"
        ));
    }
    None
}

/// The module `lexicon!` generates for an NSID: `a.b.methodName` -> `a::b::method_name`.
fn module_path(nsid: &str) -> String {
    nsid.split('.')
        .map(naming::snake_case)
        .collect::<Vec<_>>()
        .join("::")
}

/// Every valid document expands without an error, inline and from a file, and compiles and
/// runs as a crate of its own (trybuild), where its module's `NSID` is the document's id.
#[test]
fn lexicon_valid() {
    let Some(dir) = interop_dir() else { return };
    let file = "lexicon-valid.json";
    let cases = load(&dir, file);
    let scratch = scratch_dir();
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let doc = case.field(file, "lexicon");
        let mut problems = Vec::new();
        problems.extend(judge_valid_expansion("inline", expand_inline(doc)));

        let json_path = scratch.join(format!("lexicon_valid_{i}.json"));
        write_file(
            &json_path,
            &serde_json::to_string_pretty(doc).expect("a JSON value serializes"),
        );
        problems.extend(judge_valid_expansion(
            "from a file",
            expand_file(&json_path),
        ));

        let nsid = doc
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{file} case {} has no string id", case.name));
        let rs_path = scratch.join(format!("lexicon_valid_{i}.rs"));
        write_file(
            &rs_path,
            &format!(
                "//! {file} case {name}\n#![deny(warnings)]\n\natlex::lexicon!({path:?});\n\nfn main() {{\n    assert_eq!({module}::NSID, {nsid:?});\n}}\n",
                name = case.name,
                path = json_path.to_str().expect("the target dir is a UTF-8 path"),
                module = module_path(nsid),
            ),
        );
        let compiled = catch_unwind(|| trybuild::TestCases::new().pass(&rs_path));
        if let Err(p) = compiled {
            problems.push(format!(
                "compiled with trybuild ({}): {} (its output is above)",
                rs_path.display(),
                panic_message(&*p)
            ));
        }

        if problems.is_empty() {
            println!("  ok {}", case.name);
        } else {
            wrong.push(format!("  {}: {}", case.name, problems.join("; ")));
        }
    }
    report(file, cases.len(), &wrong);
}

/// Every invalid document's expansion, inline and from a file, is a `compile_error!`.
#[test]
fn lexicon_invalid() {
    let Some(dir) = interop_dir() else { return };
    let file = "lexicon-invalid.json";
    let cases = load(&dir, file);
    let scratch = scratch_dir();
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let doc = case.field(file, "lexicon");
        let json_path = scratch.join(format!("lexicon_invalid_{i}.json"));
        write_file(
            &json_path,
            &serde_json::to_string_pretty(doc).expect("a JSON value serializes"),
        );
        let mut problems = Vec::new();
        let mut first_message = None;
        for (how, expansion) in [
            ("inline", expand_inline(doc)),
            ("from a file", expand_file(&json_path)),
        ] {
            match expansion {
                Err(e) => problems.push(format!("{how}: {e}")),
                Ok(tokens) => match compile_errors(tokens).into_iter().next() {
                    Some(message) => {
                        first_message.get_or_insert(message);
                    }
                    None => problems.push(format!(
                        "{how}: expanded into code without a compile_error!"
                    )),
                },
            }
        }
        if problems.is_empty() {
            println!(
                "  ok {}: {}",
                case.name,
                first_message.unwrap_or_default().replace('\n', " / ")
            );
        } else {
            wrong.push(format!("  {}: {}", case.name, problems.join("; ")));
        }
    }
    report(file, cases.len(), &wrong);
}

/// The catalog as it is, without `extern_paths`: its one compile error is the ref to the
/// document outside it.
#[test]
fn catalog_alone_fails_only_on_its_outside_ref() {
    let Some(dir) = interop_dir() else { return };
    let expansion =
        expand_file(&dir.join("lexicon").join("catalog")).unwrap_or_else(|e| panic!("{e}"));
    let errors = compile_errors(expansion);
    assert!(
        errors.len() == 1 && errors[0].contains("app.bsky.actor.defs#preferences"),
        "expected one error, for the ref to app.bsky.actor.defs#preferences; got {errors:#?}"
    );
}

#[cfg(not(atlex_interop))]
#[test]
fn record_data() {
    atlex_tests::skip(
        "set ATLEX_INTEROP_DIR=/path/to/atproto-interop-tests for the build to compile the interop catalog and run the record-data vectors",
    );
}

/// Record data read, validated and written through the types generated from the catalog.
#[cfg(atlex_interop)]
mod record_data {
    use super::catalog::example::lexicon::record;
    use super::{interop_dir, load, report};
    use atlex::types::{Nsid, RecordKey, Tid};
    use atlex::Validate;
    use serde_json::Value;
    use std::collections::BTreeMap;

    /// What became of one case.
    enum Verdict {
        /// Refused: the stage (read, validate, record key) and its error.
        Rejected(String),
        /// Accepted; `Err` when writing it back does not give the same JSON.
        Accepted(Result<(), String>),
    }

    /// A record type of the catalog: its NSID, key kind, and the judge over its `Record`.
    struct RecordType {
        nsid: &'static str,
        key: &'static str,
        judge: fn(&Value, &str) -> Verdict,
    }

    fn record_type<R: atlex::Record>() -> RecordType {
        RecordType {
            nsid: R::NSID,
            key: R::KEY,
            judge: judge::<R>,
        }
    }

    /// The catalog's record documents, by hand.
    fn record_types() -> Vec<RecordType> {
        assert_eq!(<record::Record as atlex::Record>::NSID, record::NSID);
        vec![record_type::<record::Record>()]
    }

    /// Whether `rkey` is a record key of the kind `key` (`tid`, `nsid`, `any`, `literal:x`).
    fn check_rkey(key: &str, rkey: &str) -> Result<(), String> {
        RecordKey::new(rkey).map_err(|e| e.to_string())?;
        match key {
            "any" => Ok(()),
            "tid" => Tid::new(rkey).map(drop).map_err(|e| e.to_string()),
            "nsid" => Nsid::new(rkey).map(drop).map_err(|e| e.to_string()),
            other => match other.strip_prefix("literal:") {
                Some(literal) if rkey == literal => Ok(()),
                Some(literal) => Err(format!(
                    "record key {rkey:?} is not the literal {literal:?} the record requires"
                )),
                None => Err(format!(
                    "unknown record key kind {other:?} in atlex::Record::KEY"
                )),
            },
        }
    }

    fn judge<R: atlex::Record>(data: &Value, rkey: &str) -> Verdict {
        let record: R = match serde_json::from_value(data.clone()) {
            Ok(r) => r,
            Err(e) => return Verdict::Rejected(format!("read: {e}")),
        };
        if let Err(e) = record.validate() {
            return Verdict::Rejected(format!("validate: {e}"));
        }
        if let Err(e) = check_rkey(R::KEY, rkey) {
            return Verdict::Rejected(format!("record key {rkey:?} ({}): {e}", R::KEY));
        }
        Verdict::Accepted(match serde_json::to_value(&record) {
            Err(e) => Err(format!("writing it back failed: {e}")),
            Ok(written) => {
                let mut diffs = Vec::new();
                differences("", data, &written, &mut diffs);
                if diffs.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "written back as different data: {}",
                        diffs.join("; ")
                    ))
                }
            }
        })
    }

    /// Where `written` differs from the case's `data`, by JSON pointer. Two `{"$bytes"}`
    /// objects are the same data when their base64 text encodes the same bytes: a case may
    /// set the unused low bits of its last character (`"123"` is the bytes of `"120"`), and
    /// only the bytes are data.
    fn differences(at: &str, data: &Value, written: &Value, out: &mut Vec<String>) {
        match (data, written) {
            (Value::Object(d), Value::Object(w)) => {
                if let (Some(a), Some(b)) = (bytes_of(d), bytes_of(w)) {
                    if a != b {
                        out.push(format!("{at}: {data} written as {written}"));
                    }
                    return;
                }
                for (key, value) in d {
                    let here = format!("{at}/{key}");
                    match w.get(key) {
                        Some(other) => differences(&here, value, other, out),
                        None => out.push(format!("{here}: {value} in the case, not written")),
                    }
                }
                for (key, value) in w {
                    if !d.contains_key(key) {
                        out.push(format!(
                            "{at}/{key}: absent in the case, written as {value}"
                        ));
                    }
                }
            }
            (Value::Array(d), Value::Array(w)) if d.len() == w.len() => {
                for (i, (a, b)) in d.iter().zip(w).enumerate() {
                    differences(&format!("{at}/{i}"), a, b, out);
                }
            }
            _ if data == written => {}
            _ => out.push(format!("{at}: {data} written as {written}")),
        }
    }

    /// The bytes of a `{"$bytes": "<base64>"}` object (standard alphabet, padding optional).
    fn bytes_of(object: &serde_json::Map<String, Value>) -> Option<Vec<u8>> {
        let text = match object.get("$bytes") {
            Some(Value::String(text)) if object.len() == 1 => text.trim_end_matches('='),
            _ => return None,
        };
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for c in text.bytes() {
            let sextet = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            };
            acc = (acc << 6) | u32::from(sextet);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        Some(out)
    }

    /// Dispatches on the case's `$type`.
    fn judge_case(types: &[RecordType], data: &Value, rkey: &str) -> Result<Verdict, String> {
        let ty = data
            .get("$type")
            .and_then(Value::as_str)
            .ok_or("the case's data has no string $type")?;
        let found = types.iter().find(|t| t.nsid == ty).ok_or_else(|| {
            let known: Vec<&str> = types.iter().map(|t| t.nsid).collect();
            format!("$type {ty:?} is not a record type of the catalog (known: {known:?})")
        })?;
        Ok((found.judge)(data, rkey))
    }

    /// The `$type` and `rkey` of a case.
    fn data_and_rkey<'a>(file: &str, case: &'a super::Case) -> (&'a Value, &'a str) {
        let rkey = case
            .field(file, "rkey")
            .as_str()
            .unwrap_or_else(|| panic!("{file} case {} has a non-string rkey", case.name));
        (case.field(file, "data"), rkey)
    }

    /// The procedure's input holds the `app.bsky` type through `extern_paths`.
    #[test]
    fn procedure_input_uses_the_extern_type() {
        use super::catalog::example::lexicon::procedure;
        let preferences: super::bsky::actor::defs::Preferences = vec![serde_json::from_value(
            serde_json::json!({ "$type": "app.bsky.actor.defs#adultContentPref", "enabled": false }),
        )
        .expect("an object is an Unknown")];
        let input = procedure::Input::new(preferences);
        input.validate().expect("the input is valid");
        let json = serde_json::to_value(&input).expect("the input writes");
        assert_eq!(
            json,
            serde_json::json!({ "preferences": [{ "$type": "app.bsky.actor.defs#adultContentPref", "enabled": false }] })
        );
        let back: procedure::Input = serde_json::from_value(json).expect("the input reads back");
        assert_eq!(back, input);
    }

    /// The dispatch covers every record document of the catalog, with its key kind.
    #[test]
    fn every_catalog_record_is_dispatched() {
        let Some(dir) = interop_dir() else { return };
        let catalog = dir.join("lexicon").join("catalog");
        let mut records = BTreeMap::new();
        for entry in std::fs::read_dir(&catalog)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", catalog.display()))
        {
            let path = entry.expect("a catalog entry").path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a catalog file reads");
            let doc: Value = serde_json::from_str(&text).expect("a catalog file is JSON");
            let main = &doc["defs"]["main"];
            if main["type"] == "record" {
                records.insert(
                    doc["id"].as_str().expect("a string id").to_owned(),
                    main["key"].as_str().unwrap_or("(none)").to_owned(),
                );
            }
        }
        assert!(!records.is_empty(), "the catalog holds no record documents");
        let dispatched: BTreeMap<String, String> = record_types()
            .iter()
            .map(|t| (t.nsid.to_owned(), t.key.to_owned()))
            .collect();
        assert_eq!(
            dispatched, records,
            "the record types dispatched on (left) are not the catalog's records with their keys (right)"
        );
    }

    /// Each valid case reads, validates, fits its record key and writes back unchanged.
    #[test]
    fn record_data_valid() {
        let Some(dir) = interop_dir() else { return };
        let file = "record-data-valid.json";
        let cases = load(&dir, file);
        let types = record_types();
        let mut wrong = Vec::new();
        for case in &cases {
            let (data, rkey) = data_and_rkey(file, case);
            match judge_case(&types, data, rkey) {
                Ok(Verdict::Accepted(Ok(()))) => println!("  ok {}", case.name),
                Ok(Verdict::Accepted(Err(e))) => wrong.push(format!("  {}: {e}", case.name)),
                Ok(Verdict::Rejected(e)) => wrong.push(format!("  {}: rejected by {e}", case.name)),
                Err(e) => wrong.push(format!("  {}: {e}", case.name)),
            }
        }
        report(file, cases.len(), &wrong);
    }

    /// Each invalid case is refused by reading, `validate()` or the record key check.
    #[test]
    fn record_data_invalid() {
        let Some(dir) = interop_dir() else { return };
        let file = "record-data-invalid.json";
        let cases = load(&dir, file);
        let types = record_types();
        let mut wrong = Vec::new();
        for case in &cases {
            let (data, rkey) = data_and_rkey(file, case);
            match judge_case(&types, data, rkey) {
                Ok(Verdict::Rejected(e)) => println!("  ok {}: rejected by {e}", case.name),
                Ok(Verdict::Accepted(_)) => wrong.push(format!(
                    "  {}: accepted (read, validated, record key fits): {data}",
                    case.name
                )),
                Err(e) => wrong.push(format!("  {}: {e}", case.name)),
            }
        }
        report(file, cases.len(), &wrong);
    }
}
