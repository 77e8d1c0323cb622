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
//!   record key check, for the reason it is about: the refusal is at the value the case
//!   breaks and names the rule broken (a table here gives each case's reason, read from its
//!   name and data against the catalog's `record.json`).
//! - `lexicon-invalid.json`: the compile error names the place in the document (its JSON
//!   pointer) and the rule broken, again from a table of each case's reason.
//!
//! - The repository's own cases in the same format (`tests/lexicons/documents/`):
//!   `unknown-properties-valid.json`, documents with properties the lexicon language does not
//!   define (yet) at every level, each judged as a valid interop document (and its `LEXICON`
//!   keeps them); `near-miss-invalid.json`, documents with a misspelled property, each a
//!   compile error at that key naming the property meant, and valid once spelled right.
//! - The reference validators (`@atproto/lexicon` and `@atproto/lex-document`, through
//!   `tests/diff/documents.mjs` on Node 22) judge those cases too, each verdict asserted; and
//!   the properties their schemas define at each position of a document are all ones atlex
//!   knows there.
//!
//! Every test prints `<file>: N cases passed of M cases run` and fails listing each case that
//! went wrong, with the reason. The interop vectors need `ATLEX_INTEROP_DIR` (a copy of
//! bluesky-social/atproto-interop-tests), the reference checks Node 22 and the packages in
//! `pds/` (`bash pds/install.sh`); skipped without them (a failure with
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

/// The cases of `lexicon/<file>` under the interop directory.
fn load(dir: &Path, file: &str) -> Vec<Case> {
    load_path(&dir.join("lexicon").join(file))
}

/// The cases of an interop-style file: a JSON array of `{"name": ..., "lexicon": ...}`.
fn load_path(path: &Path) -> Vec<Case> {
    let file = path.display();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
    let cases: Vec<Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} is not a JSON array: {e}"));
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

/// What `read` makes of the tokens after each identifier `name` in an expansion, at any depth.
fn after_ident(
    tokens: TokenStream,
    name: &str,
    read: &dyn Fn(&[TokenTree]) -> Option<String>,
) -> Vec<String> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::new();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == name => out.extend(read(&trees[i + 1..])),
            TokenTree::Group(g) => out.extend(after_ident(g.stream(), name, read)),
            _ => {}
        }
    }
    out
}

/// The first string literal among `trees`.
fn first_string(trees: impl IntoIterator<Item = TokenTree>) -> Option<String> {
    trees.into_iter().find_map(|t| match t {
        TokenTree::Literal(lit) => syn::parse2::<syn::LitStr>(TokenTree::Literal(lit).into())
            .ok()
            .map(|s| s.value()),
        _ => None,
    })
}

/// The messages of every `compile_error!` in an expansion.
fn compile_errors(tokens: TokenStream) -> Vec<String> {
    after_ident(tokens, "compile_error", &|rest| {
        // `compile_error ! { "..." }`
        Some(match rest.get(1) {
            Some(TokenTree::Group(args)) => {
                first_string(args.stream()).unwrap_or_else(|| args.stream().to_string())
            }
            _ => "(compile_error without arguments)".to_owned(),
        })
    })
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

/// The problems of one valid case: its expansion, inline and from a file (written as
/// `<prefix>_<i>.json`), must hold no `compile_error!`, the inline one must keep the whole
/// document in `LEXICON`, and the file must compile and run as a crate of its own (trybuild),
/// where its module's `NSID` is the document's id.
fn judge_valid_case(file: &str, prefix: &str, i: usize, case: &Case) -> Vec<String> {
    let scratch = scratch_dir();
    let doc = case.field(file, "lexicon");
    let mut problems = Vec::new();
    let inline = expand_inline(doc);
    if let Ok(tokens) = &inline {
        match lexicon_consts(tokens.clone()).as_slice() {
            [text] => match serde_json::from_str::<Value>(text) {
                Ok(kept) if kept == *doc => {}
                Ok(kept) => problems.push(format!(
                    "inline: LEXICON is not the document written: {kept}"
                )),
                Err(e) => problems.push(format!("inline: LEXICON is not JSON: {e}")),
            },
            other => problems.push(format!(
                "inline: expected one LEXICON string, found {}",
                other.len()
            )),
        }
    }
    problems.extend(judge_valid_expansion("inline", inline));

    let json_path = scratch.join(format!("{prefix}_{i}.json"));
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
    let rs_path = scratch.join(format!("{prefix}_{i}.rs"));
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
    problems
}

/// The text of every `LEXICON` constant written as a string literal in an expansion.
fn lexicon_consts(tokens: TokenStream) -> Vec<String> {
    // `LEXICON : & str = "..."`
    after_ident(tokens, "LEXICON", &|rest| {
        first_string(rest.iter().take(6).cloned())
    })
}

/// Prints a case's verdict and adds it to `wrong` when it has problems.
fn tally(case: &Case, problems: Vec<String>, shown: &str, wrong: &mut Vec<String>) {
    if problems.is_empty() {
        println!("  ok {}{shown}", case.name);
    } else {
        wrong.push(format!("  {}: {}", case.name, problems.join("; ")));
    }
}

/// Every valid document expands without an error, inline and from a file, and compiles and
/// runs as a crate of its own (trybuild), where its module's `NSID` is the document's id.
#[test]
fn lexicon_valid() {
    let Some(dir) = interop_dir() else { return };
    let file = "lexicon-valid.json";
    let cases = load(&dir, file);
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let problems = judge_valid_case(file, "lexicon_valid", i, case);
        tally(case, problems, "", &mut wrong);
    }
    report(file, cases.len(), &wrong);
}

/// Why each case of `lexicon-invalid.json` is invalid, read from its name and its document:
/// the case's name, the JSON pointer of what is wrong, and words naming the rule broken.
const LEXICON_INVALID: &[(&str, &str, &[&str])] = &[
    (
        "invalid lexicon field",
        "/lexicon",
        &["`lexicon` must be 1", "\"one\""],
    ),
    ("invalid id field", "/id", &["`id` must be a string"]),
    (
        "invalid NSID",
        "/id",
        &["\"one-two-three\"", "not a valid NSID"],
    ),
    (
        "defined unknown",
        "/defs/demo/type",
        &["definition cannot be of type \"unknown\""],
    ),
    (
        "defined ref",
        "/defs/demo/type",
        &["definition cannot be of type \"ref\""],
    ),
    (
        "non-main primary",
        "/defs/demo",
        &["a record must be the `main` definition", "\"demo\""],
    ),
    (
        "record missing type object",
        "/defs/main/record",
        &["`record` schema has no `type`"],
    ),
];

/// Whether a compile error names the expected place (`(at /id)` inline, `(JSON pointer /id)`
/// from a file) and the rule.
fn names_reason(message: &str, pointer: &str, words: &[&str]) -> bool {
    (message.contains(&format!("(at {pointer})"))
        || message.contains(&format!("(JSON pointer {pointer})")))
        && words.iter().all(|w| message.contains(w))
}

/// The problems of one invalid case: its expansion, inline and from a file (written as
/// `<prefix>_<i>.json`), must be a `compile_error!` that names `pointer` and says `words`;
/// `Ok` holds the first such message.
fn judge_invalid_case(
    file: &str,
    prefix: &str,
    i: usize,
    case: &Case,
    pointer: &str,
    words: &[&str],
) -> Result<String, Vec<String>> {
    let doc = case.field(file, "lexicon");
    let json_path = scratch_dir().join(format!("{prefix}_{i}.json"));
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
            Ok(tokens) => {
                let errors = compile_errors(tokens);
                match errors.iter().find(|m| names_reason(m, pointer, words)) {
                    Some(message) => {
                        first_message.get_or_insert(message.clone());
                    }
                    None if errors.is_empty() => problems.push(format!(
                        "{how}: expanded into code without a compile_error!"
                    )),
                    None => problems.push(format!(
                        "{how}: no compile error names {pointer} and {words:?}: {}",
                        errors.join(" | ").replace('\n', " / ")
                    )),
                }
            }
        }
    }
    match first_message {
        Some(message) if problems.is_empty() => Ok(message.replace('\n', " / ")),
        _ => Err(problems),
    }
}

/// Asserts that a file's cases are, in order, those a table knows.
fn assert_case_names(file: &str, cases: &[Case], names: &[&str]) {
    let case_names: Vec<&str> = cases
        .iter()
        .map(|c| c.value["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        case_names, names,
        "{file}: the cases are not those whose reasons this test knows"
    );
}

/// Every invalid document's expansion, inline and from a file, is a `compile_error!` that
/// names what is wrong: the place in the document and the rule it breaks.
#[test]
fn lexicon_invalid() {
    let Some(dir) = interop_dir() else { return };
    let file = "lexicon-invalid.json";
    let cases = load(&dir, file);
    let names: Vec<&str> = LEXICON_INVALID.iter().map(|(name, ..)| *name).collect();
    assert_case_names(file, &cases, &names);
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let (_, pointer, words) = LEXICON_INVALID[i];
        match judge_invalid_case(file, "lexicon_invalid", i, case, pointer, words) {
            Ok(message) => tally(case, Vec::new(), &format!(": {message}"), &mut wrong),
            Err(problems) => tally(case, problems, "", &mut wrong),
        }
    }
    report(file, cases.len(), &wrong);
}

/// The cases of `tests/lexicons/documents/<file>`: the repository's own, in the format of the
/// interop files.
fn repo_cases(file: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lexicons/documents");
    load_path(&dir.join(file))
}

/// Documents with properties the lexicon language does not define (yet), at every level.
const UNKNOWN_PROPERTIES_VALID: &str = "unknown-properties-valid.json";
/// How many cases it holds.
const UNKNOWN_PROPERTIES_CASES: usize = 10;
/// Documents with one misspelled property each.
const NEAR_MISS_INVALID: &str = "near-miss-invalid.json";

/// Properties that a newer version of the lexicon language defines (a subscription's
/// `subprotocol`), or that tools add, at every level of a document: the document, each kind
/// of definition, objects, params, every field type, bodies, messages, errors, permissions,
/// with values of every JSON type. Each document expands without an error, inline and from a
/// file, keeps them in `LEXICON`, and compiles as a crate of its own, as both reference
/// validators accept it (`reference_validators_on_the_repo_cases`).
#[test]
fn unknown_properties_valid() {
    let file = UNKNOWN_PROPERTIES_VALID;
    let cases = repo_cases(file);
    assert_eq!(
        cases.len(),
        UNKNOWN_PROPERTIES_CASES,
        "{file}: the number of cases"
    );
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let problems = judge_valid_case(file, "unknown_properties_valid", i, case);
        tally(case, problems, "", &mut wrong);
    }
    report(file, cases.len(), &wrong);
}

/// One case of `near-miss-invalid.json`, read from its document.
struct NearMiss {
    /// The case's name.
    name: &'static str,
    /// The JSON pointer of the misspelled key.
    pointer: &'static str,
    /// The property meant.
    meant: &'static str,
    /// Whether `@atproto/lexicon` refuses the document: only when the property meant is one
    /// it requires, since it ignores the misspelled one as it ignores any unknown property.
    lexicon_refuses: bool,
    /// The same for `@atproto/lex-document` (which also requires a record's `key`).
    lex_document_refuses: bool,
}

const NEAR_MISSES: &[NearMiss] = &[
    NearMiss {
        name: "string maxLenght",
        pointer: "/defs/main/maxLenght",
        meant: "maxLength",
        lexicon_refuses: false,
        lex_document_refuses: false,
    },
    NearMiss {
        name: "object requried",
        pointer: "/defs/main/requried",
        meant: "required",
        lexicon_refuses: false,
        lex_document_refuses: false,
    },
    NearMiss {
        name: "string knownValue",
        pointer: "/defs/main/properties/status/knownValue",
        meant: "knownValues",
        lexicon_refuses: false,
        lex_document_refuses: false,
    },
    NearMiss {
        name: "params MaxLength",
        pointer: "/defs/main/parameters/properties/q/MaxLength",
        meant: "maxLength",
        lexicon_refuses: false,
        lex_document_refuses: false,
    },
    NearMiss {
        name: "integer maximun",
        pointer: "/defs/main/maximun",
        meant: "maximum",
        lexicon_refuses: false,
        lex_document_refuses: false,
    },
    NearMiss {
        name: "blob max_size",
        pointer: "/defs/main/max_size",
        meant: "maxSize",
        lexicon_refuses: false,
        lex_document_refuses: false,
    },
    NearMiss {
        name: "document descripton",
        pointer: "/descripton",
        meant: "description",
        lexicon_refuses: false,
        lex_document_refuses: false,
    },
    NearMiss {
        name: "error decription",
        pointer: "/defs/main/errors/0/decription",
        meant: "description",
        lexicon_refuses: false,
        lex_document_refuses: false,
    },
    NearMiss {
        name: "record Key",
        pointer: "/defs/main/Key",
        meant: "key",
        lexicon_refuses: false,
        lex_document_refuses: true,
    },
    NearMiss {
        name: "array itmes",
        pointer: "/defs/main/itmes",
        meant: "items",
        lexicon_refuses: true,
        lex_document_refuses: true,
    },
    NearMiss {
        name: "output encodign",
        pointer: "/defs/main/output/encodign",
        meant: "encoding",
        lexicon_refuses: true,
        lex_document_refuses: true,
    },
    NearMiss {
        name: "union Refs",
        pointer: "/defs/main/properties/embed/Refs",
        meant: "refs",
        lexicon_refuses: true,
        lex_document_refuses: true,
    },
    NearMiss {
        name: "subscription mesage",
        pointer: "/defs/main/mesage",
        meant: "message",
        lexicon_refuses: true,
        lex_document_refuses: true,
    },
    NearMiss {
        name: "message schmea",
        pointer: "/defs/main/message/schmea",
        meant: "schema",
        lexicon_refuses: true,
        lex_document_refuses: true,
    },
];

/// The document with the misspelled key at `pointer` renamed to the property meant.
fn corrected(doc: &Value, pointer: &str, meant: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer to a key");
    let mut doc = doc.clone();
    let object = doc
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{parent} is not an object of the document"));
    let value = object
        .remove(key)
        .unwrap_or_else(|| panic!("the document has no {pointer}"));
    object.insert(meant.to_owned(), value);
    doc
}

/// A property that is a near miss of one the lexicon language defines there (a misspelling)
/// is a compile error at that key, naming the property meant; the document with the property
/// spelled right expands without an error.
#[test]
fn near_miss_invalid() {
    let file = NEAR_MISS_INVALID;
    let cases = repo_cases(file);
    let names: Vec<&str> = NEAR_MISSES.iter().map(|n| n.name).collect();
    assert_case_names(file, &cases, &names);
    let mut wrong = Vec::new();
    for (i, (case, near)) in cases.iter().zip(NEAR_MISSES).enumerate() {
        let key = near.pointer.rsplit('/').next().expect("a pointer to a key");
        let words = [
            &format!("unknown property `{key}`") as &str,
            &format!("did you mean `{}`?", near.meant),
        ];
        let mut problems = Vec::new();
        let shown =
            match judge_invalid_case(file, "near_miss_invalid", i, case, near.pointer, &words) {
                Ok(message) => format!(": {message}"),
                Err(p) => {
                    problems.extend(p);
                    String::new()
                }
            };
        let right = corrected(case.field(file, "lexicon"), near.pointer, near.meant);
        problems.extend(judge_valid_expansion(
            "spelled right, inline",
            expand_inline(&right),
        ));
        tally(case, problems, &shown, &mut wrong);
    }
    report(file, cases.len(), &wrong);
}

/// Runs `tests/diff/documents.mjs` (Node 22, `@atproto/lexicon` and `@atproto/lex-document`
/// from `pds/`) with `args`, `input` on its stdin; its stdout, or `None` after `skip` said why.
fn reference_script(args: &[&str], input: String) -> Option<String> {
    let node = atlex_tests::node(&["@atproto/lexicon", "@atproto/lex-document"])?;
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    Some(atlex_tests::run_node(
        &node,
        "tests/diff/documents.mjs",
        &args,
        input.as_bytes(),
    ))
}

/// One reference validator's verdict: `Err` holds its message.
type RefVerdict = Result<(), String>;

/// The verdicts of `@atproto/lexicon` and `@atproto/lex-document` on each document, in order.
fn reference_verdicts(docs: &[Value]) -> Option<Vec<(RefVerdict, RefVerdict)>> {
    let input: String = docs
        .iter()
        .map(|d| serde_json::to_string(d).expect("a JSON value serializes") + "\n")
        .collect();
    let output = reference_script(&[], input)?;
    let verdict = |v: &Value| match v.get("ok") {
        Some(Value::Bool(true)) => Ok(()),
        Some(Value::Bool(false)) => Err(v["error"].as_str().unwrap_or("(no message)").to_owned()),
        _ => panic!("documents.mjs wrote {v}"),
    };
    let verdicts: Vec<_> = output
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("documents.mjs wrote {line:?}: {e}"));
            (verdict(&v["lexicon"]), verdict(&v["lexDocument"]))
        })
        .collect();
    assert_eq!(
        verdicts.len(),
        docs.len(),
        "documents.mjs answered every document"
    );
    Some(verdicts)
}

/// atlex and both reference validators judge the repository's cases: all three accept every
/// document with unknown properties; atlex refuses every misspelled one, the references only
/// those that misspell a property they require (they ignore the others as unknown), and all
/// three accept every one of them spelled right. Each verdict is asserted, and the counts.
#[test]
fn reference_validators_on_the_repo_cases() {
    let valid = repo_cases(UNKNOWN_PROPERTIES_VALID);
    let invalid = repo_cases(NEAR_MISS_INVALID);
    assert_eq!(valid.len(), UNKNOWN_PROPERTIES_CASES);
    assert_eq!(invalid.len(), NEAR_MISSES.len());
    let mut docs: Vec<Value> = valid
        .iter()
        .map(|c| c.field(UNKNOWN_PROPERTIES_VALID, "lexicon").clone())
        .collect();
    for (case, near) in invalid.iter().zip(NEAR_MISSES) {
        let doc = case.field(NEAR_MISS_INVALID, "lexicon");
        docs.push(doc.clone());
        docs.push(corrected(doc, near.pointer, near.meant));
    }
    let Some(verdicts) = reference_verdicts(&docs) else {
        return;
    };
    // atlex's verdict: whether the document, written inline, expands without an error.
    let atlex: Vec<bool> = docs
        .iter()
        .map(|d| {
            let tokens = expand_inline(d).unwrap_or_else(|e| panic!("{e}"));
            compile_errors(tokens).is_empty()
        })
        .collect();
    let mut wrong = Vec::new();
    let mut all_accept = 0;
    for ((case, (lexicon, lex_document)), atlex) in valid.iter().zip(&verdicts).zip(&atlex) {
        match (lexicon, lex_document, atlex) {
            (Ok(()), Ok(()), true) => {
                all_accept += 1;
                println!("  ok {}: accepted by atlex and both", case.name);
            }
            _ => wrong.push(format!(
                "  {}: atlex accepts: {atlex}, @atproto/lexicon {lexicon:?}, @atproto/lex-document {lex_document:?}",
                case.name
            )),
        }
    }
    let (mut lexicon_refuses, mut lex_document_refuses, mut right_accepted) = (0, 0, 0);
    let mut atlex_refuses = 0;
    for (((case, near), pair), atlex_pair) in invalid
        .iter()
        .zip(NEAR_MISSES)
        .zip(verdicts[valid.len()..].chunks(2))
        .zip(atlex[valid.len()..].chunks(2))
    {
        let [(lexicon, lex_document), (right_lexicon, right_lex_document)] = pair else {
            unreachable!("two verdicts per case")
        };
        let mut problems = Vec::new();
        match atlex_pair {
            [false, true] => atlex_refuses += 1,
            [misspelled, right] => problems.push(format!(
                "atlex accepts the misspelling: {misspelled}, spelled right: {right}"
            )),
            _ => unreachable!("two verdicts per case"),
        }
        if lexicon.is_err() != near.lexicon_refuses {
            problems.push(format!("@atproto/lexicon: {lexicon:?}"));
        }
        if lex_document.is_err() != near.lex_document_refuses {
            problems.push(format!("@atproto/lex-document: {lex_document:?}"));
        }
        if right_lexicon.is_ok() && right_lex_document.is_ok() && atlex_pair[1] {
            right_accepted += 1;
        } else {
            problems.push(format!(
                "spelled right: @atproto/lexicon {right_lexicon:?}, @atproto/lex-document {right_lex_document:?}"
            ));
        }
        lexicon_refuses += usize::from(lexicon.is_err());
        lex_document_refuses += usize::from(lex_document.is_err());
        let shown = format!(
            ": atlex refuses, @atproto/lexicon {}, @atproto/lex-document {}; spelled right, all three accept",
            if lexicon.is_err() {
                "refuses"
            } else {
                "ignores it"
            },
            if lex_document.is_err() {
                "refuses"
            } else {
                "ignores it"
            },
        );
        tally(case, problems, &shown, &mut wrong);
    }
    println!(
        "{UNKNOWN_PROPERTIES_VALID}: atlex, @atproto/lexicon and @atproto/lex-document accept {all_accept} of {} documents",
        valid.len()
    );
    println!(
        "{NEAR_MISS_INVALID}: atlex refuses {atlex_refuses} of {} misspellings; @atproto/lexicon refuses {lexicon_refuses} and @atproto/lex-document {lex_document_refuses} (a required property misspelled), ignoring the others as unknown; spelled right, all three accept {right_accepted}",
        invalid.len()
    );
    report(
        "the reference validators on the repository's cases",
        valid.len() + invalid.len(),
        &wrong,
    );
    assert_eq!(all_accept, UNKNOWN_PROPERTIES_CASES);
    assert_eq!(atlex_refuses, NEAR_MISSES.len());
    assert_eq!((lexicon_refuses, lex_document_refuses), (5, 6));
    assert_eq!(right_accepted, NEAR_MISSES.len());
}

/// Every property the reference validators' schemas define, at every position of a document,
/// is one atlex knows there (so none is ignored, or taken for a misspelling); the properties
/// atlex knows beyond them are listed here.
#[test]
fn known_properties_cover_the_reference() {
    use atlex_codegen::model::POSITIONS;
    let Some(output) = reference_script(&["known"], String::new()) else {
        return;
    };
    let known: Value = serde_json::from_str(&output).expect("documents.mjs writes JSON");
    let mut wrong = Vec::new();
    let mut compared = 0;
    for package in ["@atproto/lexicon", "@atproto/lex-document"] {
        let reference = &known[package];
        let positions = reference["positions"]
            .as_object()
            .unwrap_or_else(|| panic!("no positions for {package}: {known}"));
        let mut extra = Vec::new();
        for atlex in POSITIONS {
            let Some(keys) = positions.get(atlex.name) else {
                extra.push(format!("{} (a position it does not have)", atlex.name));
                continue;
            };
            let keys: Vec<&str> = keys
                .as_array()
                .expect("an array of keys")
                .iter()
                .map(|k| k.as_str().expect("a string key"))
                .collect();
            for key in &keys {
                compared += 1;
                let base = key.split_once(':').map_or(*key, |(base, _)| base);
                if !atlex.known.contains(&base) {
                    wrong.push(format!("{package} {}: `{key}`", atlex.name));
                }
            }
            extra.extend(
                atlex
                    .known
                    .iter()
                    .filter(|k| !keys.contains(k))
                    .map(|k| format!("{} `{k}`", atlex.name)),
            );
        }
        for name in positions.keys() {
            if !POSITIONS.iter().any(|p| p.name == name) {
                wrong.push(format!(
                    "{package}: the position {name} is not one atlex has"
                ));
            }
        }
        println!(
            "{package} {}: atlex knows more: {}",
            reference["version"].as_str().unwrap_or("(no version)"),
            extra.join(", ")
        );
        assert_eq!(
            extra,
            [
                "document `$type`",
                "params `nullable`",
                "null (a position it does not have)"
            ],
            "{package}: the properties atlex knows beyond it"
        );
    }
    println!(
        "{compared} properties of {} positions compared with both references",
        POSITIONS.len()
    );
    assert!(
        wrong.is_empty(),
        "properties the references define that atlex does not know:\n{}",
        wrong.join("\n")
    );
    assert!(compared > 100, "only {compared} properties compared");
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
    use super::{assert_case_names, interop_dir, load, report};
    use atlex::types::{Nsid, RecordKey, Tid};
    use atlex::validate::Rule;
    use atlex::Validate;
    use serde_json::Value;
    use std::collections::BTreeMap;
    use std::fmt;

    /// What became of one case.
    enum Verdict {
        /// Refused: where and why.
        Rejected(Refusal),
        /// Accepted; `Err` when writing it back does not give the same JSON.
        Accepted(Result<(), String>),
    }

    /// Where a case was refused, and why.
    struct Refusal {
        /// `read`, `validate` or `record key`.
        stage: &'static str,
        /// The path of the offending value (`formats.handle`; `.` for the record itself).
        path: String,
        /// The error's text.
        message: String,
        /// The rule broken, for `validate()`.
        rule: Option<Rule>,
    }

    impl fmt::Display for Refusal {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} at `{}`: {}", self.stage, self.path, self.message)
        }
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
            Err(e) => {
                // Read again, keeping track of where the reader was when it failed.
                let path = match serde_path_to_error::deserialize::<_, R>(data.clone()) {
                    Err(located) => located.path().to_string(),
                    Ok(_) => "(none: read with its path, it was accepted)".to_owned(),
                };
                return Verdict::Rejected(Refusal {
                    stage: "read",
                    path,
                    message: e.to_string(),
                    rule: None,
                });
            }
        };
        if let Err(e) = record.validate() {
            let path = e.path_string();
            return Verdict::Rejected(Refusal {
                stage: "validate",
                path: if path.is_empty() { ".".into() } else { path },
                message: e.to_string(),
                rule: Some(e.rule().clone()),
            });
        }
        if let Err(e) = check_rkey(R::KEY, rkey) {
            return Verdict::Rejected(Refusal {
                stage: "record key",
                path: "rkey".into(),
                message: format!("{rkey:?} ({}): {e}", R::KEY),
                rule: None,
            });
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

    /// Why an invalid case is invalid.
    enum Reason {
        /// Refused when read: at this path, by an error that says these words (the kind of
        /// value expected, the format, the missing field).
        Read(&'static str, &'static [&'static str]),
        /// Refused by `validate()`: at this path, for this rule with these numbers.
        Validate(&'static str, Rule),
    }

    /// The reason of each case of `record-data-invalid.json`, in order, read from its name
    /// and its data against the catalog's `record.json` (not from atlex's messages).
    fn record_data_invalid_reasons() -> Vec<(&'static str, Reason)> {
        use Reason::{Read, Validate};
        let format = |path, words| Read(path, words);
        let not_allowed = |actual: &str, allowed: &str| Rule::NotAllowed {
            actual: actual.into(),
            allowed: allowed.into(),
        };
        vec![
            (
                "missing required field",
                Read(".", &["missing field `integer`"]),
            ),
            (
                "invalid boolean field",
                Read("boolean", &["expected a boolean"]),
            ),
            (
                "invalid integer field",
                Read("integer", &["expected an integer"]),
            ),
            (
                "invalid non-nullable string field",
                Read("string", &["null", "expected a string"]),
            ),
            (
                "invalid string field",
                Read("string", &["expected a string"]),
            ),
            (
                "invalid bytes field",
                Read("bytes", &["expected a bytes object"]),
            ),
            (
                "invalid bytes: empty object",
                Read("bytes", &["missing field `$bytes`"]),
            ),
            (
                "invalid bytes: wrong type",
                Read("bytes", &["only the key \"$bytes\""]),
            ),
            (
                "invalid cid-link field",
                Read("cid-link", &["expected a link object"]),
            ),
            (
                "invalid blob field",
                Read("blob", &["expected a blob object"]),
            ),
            (
                "invalid blob: wrong type",
                Read("blob.mimeType", &["mimeType must be a string"]),
            ),
            ("invalid array", Read("array", &["expected a sequence"])),
            (
                "invalid array element",
                Read("array[0]", &["expected an integer"]),
            ),
            (
                "object wrong data type",
                Read("object", &["expected an object"]),
            ),
            (
                "object nested wrong data type",
                Read("object.a", &["expected an integer"]),
            ),
            (
                "invalid token ref type",
                Read("ref", &["expected an object"]),
            ),
            ("invalid ref value", Read("ref", &["expected an object"])),
            (
                "invalid string format handle",
                format("formats.handle", &["invalid handle \"123\""]),
            ),
            (
                "invalid string format did",
                format("formats.did", &["invalid did \"123\""]),
            ),
            (
                "invalid string format atidentifier",
                format("formats.atidentifier", &["invalid at-identifier \"123\""]),
            ),
            (
                "invalid string format nsid",
                format("formats.nsid", &["invalid nsid \"123\""]),
            ),
            (
                "invalid string format aturi",
                format("formats.aturi", &["invalid at-uri \"123\""]),
            ),
            (
                "invalid string format cid",
                format("formats.cid", &["invalid cid \"123\""]),
            ),
            (
                "invalid string format datetime",
                format("formats.datetime", &["invalid datetime \"123\""]),
            ),
            (
                "invalid string format language",
                format("formats.language", &["invalid language \"123\""]),
            ),
            (
                "invalid string format uri",
                format("formats.uri", &["invalid uri \"123\""]),
            ),
            (
                "invalid string format tid",
                format("formats.tid", &["invalid tid \"000\""]),
            ),
            (
                "invalid string format recordkey",
                format("formats.recordkey", &["invalid record-key \".\""]),
            ),
            (
                "wrong const value",
                Validate("constInteger", not_allowed("41", "42")),
            ),
            (
                "integer not in enum",
                Validate("enumInteger", not_allowed("7", "4, 9, 16, 25")),
            ),
            (
                "out of integer range",
                Validate(
                    "rangeInteger",
                    Rule::Maximum {
                        max: 20,
                        actual: 9000,
                    },
                ),
            ),
            (
                "string too short",
                Validate("lenString", Rule::MinLength { min: 10, actual: 1 }),
            ),
            (
                "string too long",
                Validate(
                    "lenString",
                    Rule::MaxLength {
                        max: 20,
                        actual: 23,
                    },
                ),
            ),
            (
                "string too short (graphemes)",
                Validate("graphemeString", Rule::MinGraphemes { min: 10, actual: 2 }),
            ),
            (
                "string too long (graphemes)",
                Validate(
                    "graphemeString",
                    Rule::MaxGraphemes {
                        max: 20,
                        actual: 23,
                    },
                ),
            ),
            (
                "out of enum string",
                Read(
                    "enumString",
                    &["\"unexpected\"", "expected one of the values"],
                ),
            ),
            (
                "bytes too short",
                Validate("sizeBytes", Rule::MinBytes { min: 10, actual: 3 }),
            ),
            (
                "bytes too long",
                Validate(
                    "sizeBytes",
                    Rule::MaxBytes {
                        max: 20,
                        actual: 33,
                    },
                ),
            ),
            (
                "array too short",
                Validate("lenArray", Rule::MinItems { min: 2, actual: 1 }),
            ),
            (
                "array too long",
                Validate("lenArray", Rule::MaxItems { max: 5, actual: 10 }),
            ),
            (
                "blob too large",
                Validate(
                    "sizeBlob",
                    Rule::BlobMaxSize {
                        max: 20,
                        actual: 12345,
                    },
                ),
            ),
            (
                "blob wrong type",
                Validate(
                    "acceptBlob",
                    Rule::BlobAccept {
                        actual: "text/plain".into(),
                    },
                ),
            ),
            (
                "open union wrong data type",
                Read("union", &["expected an object with a $type"]),
            ),
            (
                "open union missing $type",
                Read("union", &["needs a $type"]),
            ),
            (
                "out of closed union",
                Read(
                    "closedUnion",
                    &[
                        "\"example.unknown-lexicon.blah\"",
                        "not one of this closed union's variants",
                    ],
                ),
            ),
            (
                "union inner invalid",
                Read(
                    "closedUnion",
                    &[
                        "\"example.lexicon.record#demoObjectTwo\"",
                        "not one of this closed union's variants",
                    ],
                ),
            ),
            (
                "union inner invalid",
                Read("union.a", &["expected an integer"]),
            ),
            (
                "unknown wrong type (bool)",
                Read("unknown", &["a boolean, not an object"]),
            ),
            (
                "unknown wrong type (bytes)",
                Read("unknown", &["a bytes object, not an object"]),
            ),
            (
                "unknown wrong type (blob)",
                Read("unknown", &["a blob, not an object"]),
            ),
        ]
    }

    /// Whether a refusal gives the expected reason; `Err` says how it differs.
    fn gives_reason(refusal: &Refusal, reason: &Reason) -> Result<(), String> {
        match reason {
            Reason::Read(path, words) => {
                if refusal.stage != "read" || refusal.path != *path {
                    return Err(format!("expected a refusal when read, at `{path}`"));
                }
                match words.iter().find(|w| !refusal.message.contains(*w)) {
                    Some(w) => Err(format!("expected the error to say {w:?}")),
                    None => Ok(()),
                }
            }
            Reason::Validate(path, rule) => {
                if refusal.stage != "validate" || refusal.path != *path {
                    Err(format!("expected a refusal by validate(), at `{path}`"))
                } else if refusal.rule.as_ref() != Some(rule) {
                    Err(format!(
                        "expected the rule {rule:?}, got {:?}",
                        refusal.rule
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Each invalid case is refused by reading, `validate()` or the record key check, for
    /// the reason the case is about: at the value it breaks, naming the rule it breaks. Where
    /// a case also leaves out the record's required `integer` (the `unknown` cases), the
    /// reason is checked on its data with `integer` added, so that only that one thing is
    /// wrong; the data as given must be refused too.
    #[test]
    fn record_data_invalid() {
        let Some(dir) = interop_dir() else { return };
        let file = "record-data-invalid.json";
        let cases = load(&dir, file);
        let reasons = record_data_invalid_reasons();
        let names: Vec<&str> = reasons.iter().map(|(name, _)| *name).collect();
        assert_case_names(file, &cases, &names);
        let types = record_types();
        let mut wrong = Vec::new();
        for (case, (_, reason)) in cases.iter().zip(&reasons) {
            let (data, rkey) = data_and_rkey(file, case);
            let mut problems = Vec::new();
            let mut only_broken = data.clone();
            let missing_required = !matches!(reason, Reason::Read(".", _));
            if missing_required && data.get("integer").is_none() {
                only_broken["integer"] = Value::from(1);
                if let Ok(Verdict::Accepted(_)) = judge_case(&types, data, rkey) {
                    problems.push(format!("accepted as given: {data}"));
                }
            }
            let mut shown = String::new();
            match judge_case(&types, &only_broken, rkey) {
                Ok(Verdict::Rejected(refusal)) => match gives_reason(&refusal, reason) {
                    Ok(()) => shown = refusal.to_string(),
                    Err(e) => problems.push(format!("rejected by {refusal}; {e}")),
                },
                Ok(Verdict::Accepted(_)) => problems.push(format!(
                    "accepted (read, validated, record key fits): {only_broken}"
                )),
                Err(e) => problems.push(e),
            }
            if problems.is_empty() {
                println!("  ok {}: rejected by {shown}", case.name);
            } else {
                wrong.push(format!("  {}: {}", case.name, problems.join("; ")));
            }
        }
        report(file, cases.len(), &wrong);
    }
}
