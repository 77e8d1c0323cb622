//! Generated-code snapshots: the expansion of fixture lexicons, formatted with prettyplease,
//! compared with the files in tests/snapshots. Set ATLEX_BLESS=1 to rewrite them after an
//! intended change, then review the diff.

use atlex_codegen::read::Source;
use atlex_codegen::resolve::ExternPath;
use atlex_codegen::{expand, Request};
use proc_macro2::Span;
use std::path::Path;

fn snapshot(name: &str, paths: &[&str]) {
    snapshot_with(name, paths, Vec::new());
}

fn snapshot_with(name: &str, paths: &[&str], extern_paths: Vec<ExternPath>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let request = Request {
        sources: paths
            .iter()
            .map(|p| Source::Path((*p).to_owned(), Span::call_site()))
            .collect(),
        include: Vec::new(),
        extern_paths,
    };
    let tokens = expand(&request, root);
    let file: syn::File = syn::parse2(tokens).expect("the expansion parses as a Rust file");
    let mut text = prettyplease::unparse(&file);
    // Absolute paths differ between machines.
    let root_str = root.parent().unwrap().to_string_lossy().into_owned();
    text = text.replace(&root_str, "$WORKSPACE");
    let snap = root.join("snapshots").join(format!("{name}.rs"));
    if std::env::var_os("ATLEX_BLESS").is_some() {
        std::fs::write(&snap, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&snap).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run with ATLEX_BLESS=1 to create it",
            snap.display()
        )
    });
    if expected != text {
        let actual = snap.with_extension("rs.actual");
        std::fs::write(&actual, &text).unwrap();
        panic!(
            "generated code for {name} differs from {}; the new output is in {}. If the change is intended, rerun with ATLEX_BLESS=1",
            snap.display(),
            actual.display()
        );
    }
}

#[test]
fn create_session() {
    snapshot(
        "create_session",
        &["../runtime/lexicons/com/atproto/server/createSession.json"],
    );
}

/// Aliases with constraints (each with its hidden constant), integers in every position (their
/// slots), and a record whose refs go through `extern_paths`.
#[test]
fn aliases_and_extern_refs() {
    snapshot("base_defs", &["lexicons/sets/com/example/base/defs.json"]);
    snapshot("ints", &["lexicons/sets/com/example/ints"]);
    snapshot_with(
        "note_extern",
        &[
            "lexicons/sets/com/example/app/note.json",
            "lexicons/sets/com/example/app/pin.json",
        ],
        vec![ExternPath {
            prefix: "com.example.base".to_owned(),
            path: "crate::base::com::example::base".parse().unwrap(),
        }],
    );
}
