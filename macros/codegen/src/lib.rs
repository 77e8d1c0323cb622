//! The code generator behind `atlex::lexicon!`: it reads AT Protocol Lexicon documents, checks
//! them the way the protocol's tooling does, resolves references, and emits Rust.
//!
//! The pipeline reads in order: [`read`] (files, directories, inline JSON; cached) ->
//! [`model`] (the document as typed Rust with source positions) -> [`check`] (every rule, all
//! errors collected) -> [`resolve`] (module paths, names, refs) -> `emit` (types, validation,
//! client). It depends only on `proc_macro2`, `quote` and `syn`, so it can run in a
//! `build.rs` or a CLI as well as in the macro.
#![deny(missing_docs)]

pub mod cache;
pub mod check;
pub mod diag;
mod emit;
pub mod json;
pub mod model;
pub mod naming;
pub mod read;
pub mod resolve;

use diag::{Ctxt, Diagnostic};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use read::Source;
use resolve::{ExternPath, Registry};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What one `lexicon!` invocation asks for.
#[derive(Debug, Clone)]
pub struct Request {
    /// Files, directories, or the inline document.
    pub sources: Vec<Source>,
    /// `include = [...]`: NSID patterns (`com.atproto.server.*`, `app.bsky.feed.post`); only
    /// the matching documents and what they reference are emitted. Empty means all.
    pub include: Vec<(String, Span)>,
    /// `extern_paths = { "com.atproto" = crate::atproto }`.
    pub extern_paths: Vec<ExternPath>,
}

/// Runs the whole pipeline. Paths are relative to `root` (the crate's `CARGO_MANIFEST_DIR`).
/// Never panics on any input: every problem becomes a `compile_error!`.
pub fn expand(request: &Request, root: &Path) -> TokenStream {
    expand_report(request, root).0
}

/// [`expand`], and whether the expansion is free of errors (only such an expansion may be
/// cached, see [`cache`]).
pub fn expand_report(request: &Request, root: &Path) -> (TokenStream, bool) {
    let mut cx = Ctxt::new();
    let read = read::read_sources(&mut cx, root, &request.sources);

    // Two documents with one NSID: the second is an error, not a silent replacement.
    let mut seen: std::collections::BTreeMap<&str, &model::Document> = Default::default();
    let mut dup = vec![false; read.docs.len()];
    for (i, doc) in read.docs.iter().enumerate() {
        if let Some(first) = seen.get(doc.id.as_str()) {
            let msg = format!(
                "two documents have the id {:?} (the first is {})",
                doc.id,
                first.origin.path.as_deref().unwrap_or("inline")
            );
            cx.error(
                &doc.origin,
                &doc.id_at,
                &msg,
                Some("each NSID may be defined once in a lexicon set"),
            );
            dup[i] = true;
        } else {
            seen.insert(&doc.id, doc);
        }
    }
    let docs: Vec<model::Document> = read
        .docs
        .iter()
        .zip(&dup)
        .filter(|(_, d)| !**d)
        .map(|(doc, _)| doc.clone())
        .collect();

    for doc in &docs {
        check::check_document(&mut cx, doc);
    }
    let mut registry = Registry::new(&docs, request.extern_paths.clone());
    registry.broken_files = read.broken_files.clone();
    let only = included(&mut cx, &registry, &request.include);
    registry.check_refs(&mut cx);

    // Every file read is tracked so cargo rebuilds when it changes: through `LEXICON`'s
    // `include_str!` for emitted documents, through a hidden constant for the others
    // (re-exported ones among them).
    let emitted: BTreeSet<&str> = registry
        .docs
        .iter()
        .filter(|(nsid, info)| {
            cx.is_empty()
                && info.reexport.is_none()
                && only.as_ref().is_none_or(|o| o.contains_key(*nsid))
        })
        .filter_map(|(_, info)| match &info.doc.text {
            model::DocText::File(path) => Some(path.as_str()),
            model::DocText::Inline(_) => None,
        })
        .collect();
    let tracking = read
        .files
        .iter()
        .filter(|f| !emitted.contains(f.as_str()))
        .map(|f| {
            quote!(
                const _: &str = ::core::include_str!(#f);
            )
        });
    let env_tracking = read.env_vars.iter().map(|v| {
        quote!(
            const _: ::core::option::Option<&str> = ::core::option_env!(#v);
        )
    });
    let tracking = quote!(#(#tracking)* #(#env_tracking)*);

    if !cx.is_empty() {
        let errors = cx.into_errors();
        let errors = errors.iter().map(Diagnostic::to_compile_error);
        return (quote!(#tracking #(#errors)*), false);
    }
    let body = emit::emit(&registry, only.as_ref());
    (quote!(#tracking #body), true)
}

/// What to emit of each document: every definition (`None`), or only those named.
pub(crate) type Selection = BTreeMap<String, Option<BTreeSet<String>>>;

/// What to emit under `include`: every definition of the matching documents and, transitively,
/// the definitions they reference (only those: a document included for one of its definitions
/// does not bring its others). `None` when there is no `include`.
fn included(cx: &mut Ctxt, reg: &Registry<'_>, include: &[(String, Span)]) -> Option<Selection> {
    if include.is_empty() {
        return None;
    }
    let mut out: Selection = BTreeMap::new();
    // (nsid, None) for a whole document, (nsid, Some(def)) for one definition.
    let mut queue: Vec<(String, Option<String>)> = Vec::new();
    for (pattern, span) in include {
        let matched: Vec<&String> = reg
            .docs
            .keys()
            .filter(|n| nsid_matches(pattern, n))
            .collect();
        if matched.is_empty() {
            let names: Vec<&str> = reg.docs.keys().map(String::as_str).collect();
            let shown: Vec<&str> = names.iter().take(8).copied().collect();
            let more = if names.len() > shown.len() {
                format!(" and {} more", names.len() - shown.len())
            } else {
                String::new()
            };
            cx.push(Diagnostic::spanned(
                *span,
                format!(
                    "include pattern {pattern:?} matches no document in this lexicon set\n  = help: the set holds {}{more}; a pattern is an NSID or a prefix ending in `.*`",
                    shown.join(", ")
                ),
            ));
        }
        queue.extend(matched.into_iter().map(|n| (n.clone(), None)));
    }
    while let Some((nsid, def_name)) = queue.pop() {
        let Some(info) = reg.docs.get(&nsid) else {
            continue;
        };
        // Newly selected: the whole document, or a definition not selected before.
        let entry = out
            .entry(nsid.clone())
            .or_insert_with(|| Some(BTreeSet::new()));
        match (&def_name, entry.as_mut()) {
            (_, None) => continue,
            (None, Some(_)) => *entry = None,
            (Some(d), Some(set)) => {
                if !set.insert(d.clone()) {
                    continue;
                }
            }
        }
        for def in &info.doc.defs {
            if def_name.as_ref().is_some_and(|d| *d != def.name) {
                continue;
            }
            let mut refs = Vec::new();
            resolve::for_each_schema(
                def,
                &mut |s: &model::Schema, acc: &mut Vec<String>| match &s.kind {
                    model::Kind::Ref(r) => acc.push(r.target.clone()),
                    model::Kind::Union(u) => acc.extend(u.refs.iter().map(|r| r.value.clone())),
                    _ => {}
                },
                &mut refs,
            );
            for r in refs {
                let (target, name) = resolve::split_ref(&nsid, &r);
                if reg.docs.contains_key(target) {
                    queue.push((target.to_owned(), Some(name.to_owned())));
                }
            }
        }
    }
    Some(out)
}

/// `com.atproto.server.*` matches every NSID under `com.atproto.server`; otherwise exact.
pub fn nsid_matches(pattern: &str, nsid: &str) -> bool {
    match pattern.strip_suffix(".*") {
        Some(prefix) => {
            nsid.len() > prefix.len() + 1
                && nsid.starts_with(prefix)
                && nsid.as_bytes()[prefix.len()] == b'.'
        }
        None if pattern == "*" => true,
        None => pattern == nsid,
    }
}

/// An error for the whole invocation, at `span`.
pub fn error_at(span: Span, message: &str) -> TokenStream {
    Diagnostic::spanned(span, message).to_compile_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `include` brings the matching documents whole, and of the others only the definitions
    /// reached through refs.
    #[test]
    fn include_emits_the_referenced_definitions_only() {
        let dir = std::env::temp_dir().join(format!("atlex-include-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("a.json"),
            r##"{"lexicon": 1, "id": "com.example.a", "defs": {
                "main": {"type": "record", "key": "tid", "record": {"type": "object",
                    "properties": {"b": {"type": "ref", "ref": "com.example.b#reached"}}}},
                "alsoHere": {"type": "object", "properties": {}}}}"##,
        )
        .unwrap();
        std::fs::write(
            dir.join("b.json"),
            r##"{"lexicon": 1, "id": "com.example.b", "defs": {
                "reached": {"type": "object", "properties": {
                    "u": {"type": "union", "refs": ["#throughUnion"]}}},
                "throughUnion": {"type": "object", "properties": {}},
                "notReached": {"type": "object", "properties": {}}}}"##,
        )
        .unwrap();
        let request = Request {
            sources: vec![Source::Path(".".into(), Span::call_site())],
            include: vec![("com.example.a".into(), Span::call_site())],
            extern_paths: Vec::new(),
        };
        let (tokens, ok) = expand_report(&request, &dir);
        let text = tokens.to_string();
        assert!(ok, "{text}");
        for present in [
            "struct Record",
            "struct AlsoHere",
            "struct Reached",
            "struct ThroughUnion",
        ] {
            assert!(text.contains(present), "{present} is missing");
        }
        assert!(
            !text.contains("NotReached"),
            "an unreferenced definition was emitted"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The expansion of the documents `files` (name, JSON) with `extern_paths`, as text
    /// without spaces.
    fn expand_files(tag: &str, files: &[(&str, &str)], externs: &[(&str, &str)]) -> String {
        let dir = std::env::temp_dir().join(format!("atlex-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let request = Request {
            sources: vec![Source::Path(".".into(), Span::call_site())],
            include: Vec::new(),
            extern_paths: externs
                .iter()
                .map(|(prefix, path)| ExternPath {
                    prefix: (*prefix).to_owned(),
                    path: path.parse().unwrap(),
                })
                .collect(),
        };
        let (tokens, ok) = expand_report(&request, &dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let text = tokens.to_string().replace(' ', "");
        assert!(ok, "{text}");
        text
    }

    const BASE: &str = r##"{"lexicon": 1, "id": "com.example.base.defs", "defs": {
        "tag": {"type": "object", "properties": {}},
        "main": {"type": "record", "key": "tid", "record": {"type": "object", "properties": {}}}}}"##;
    const NOTE: &str = r##"{"lexicon": 1, "id": "com.example.app.note", "defs": {
        "main": {"type": "object", "properties": {
            "tag": {"type": "ref", "ref": "com.example.base.defs#tag"},
            "base": {"type": "ref", "ref": "com.example.base.defs"},
            "either": {"type": "union", "refs": ["com.example.base.defs", "com.example.base.defs#tag"]}}}}}"##;

    /// A document of the set that `extern_paths` covers is checked and resolved as usual but
    /// not generated: its module is re-exported from the extern path, and refs to it name its
    /// types by the names the document gives them (its record `main` is `Record`).
    #[test]
    fn a_document_in_the_set_under_an_extern_path_is_re_exported() {
        let flat = expand_files(
            "reexport",
            &[("base.json", BASE), ("note.json", NOTE)],
            &[("com.example.base", "crate::shared::com::example::base")],
        );
        assert!(
            flat.contains("#[doc(inline)]pubusecrate::shared::com::example::base::defsasdefs;"),
            "{flat}"
        );
        assert!(
            !flat.contains("pubstructTag"),
            "the re-exported document was generated: {flat}"
        );
        assert!(!flat.contains("pubmoddefs"), "{flat}");
        for field in [
            "pubtag:Option<super::super::super::super::com::example::base::defs::Tag>",
            "pubbase:Option<super::super::super::super::com::example::base::defs::Record>",
        ] {
            assert!(flat.contains(field), "{field} is missing: {flat}");
        }
        // The variants' types are known, so each converts into the union.
        assert_eq!(
            flat.matches(
                "impl::core::convert::From<super::super::super::super::com::example::base::defs::"
            )
            .count(),
            2,
            "{flat}"
        );
        // Its file is still tracked, now through a hidden constant.
        assert_eq!(flat.matches("base.json\")").count(), 1, "{flat}");
    }

    /// Without the document in the set, a ref through `extern_paths` names the default item
    /// (`Main` for a `main`), and a record module has `Main` as a hidden alias of `Record`.
    #[test]
    fn a_ref_outside_the_set_names_the_default_item_which_records_alias() {
        let flat = expand_files(
            "externref",
            &[("note.json", NOTE)],
            &[("com.example.base", "crate::shared::com::example::base")],
        );
        assert!(
            flat.contains("pubbase:Option<crate::shared::com::example::base::defs::Main>"),
            "{flat}"
        );
        assert!(!flat.contains("pubuse"), "{flat}");
        let flat = expand_files("recordalias", &[("base.json", BASE)], &[]);
        assert!(flat.contains("#[doc(hidden)]pubtypeMain=Record;"), "{flat}");
    }

    /// A re-exported document whose NSID is the prefix of another document's (which the same
    /// extern path covers): its items are re-exported beside the other's module.
    #[test]
    fn a_re_exported_document_with_documents_under_it_keeps_them() {
        let outer = r##"{"lexicon": 1, "id": "com.example.outer", "defs": {
            "thing": {"type": "object", "properties": {}}}}"##;
        let inner = r##"{"lexicon": 1, "id": "com.example.outer.inner", "defs": {
            "main": {"type": "object", "properties": {
                "thing": {"type": "ref", "ref": "com.example.outer#thing"}}}}}"##;
        let flat = expand_files(
            "nested",
            &[("outer.json", outer), ("inner.json", inner)],
            &[("com.example.outer", "crate::shared::outer")],
        );
        assert!(
            flat.contains("pubmodouter{#[doc(inline)]pubusecrate::shared::outer::*;#[doc(inline)]pubusecrate::shared::outer::innerasinner;}"),
            "{flat}"
        );
        assert!(!flat.contains("pubstruct"), "{flat}");
    }

    /// A subscription's `subprotocol` (a newer version of the language) is no error, and
    /// `subscribe`'s doc says which framing the lexicon declares when it is not the spec's.
    #[test]
    fn a_declared_subprotocol_is_kept_in_the_docs() {
        let dir = std::env::temp_dir().join(format!("atlex-subprotocol-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let doc = |id: &str, subprotocol: &str| {
            format!(
                r##"{{"lexicon": 1, "id": "com.example.{id}", "defs": {{
                    "main": {{"type": "subscription", "subprotocol": {subprotocol},
                        "message": {{"schema": {{"type": "union", "refs": ["#event"]}}}}}},
                    "event": {{"type": "object", "properties": {{}}}}}}}}"##
            )
        };
        std::fs::write(dir.join("json.json"), doc("json", "\"xrpc.v1.json\"")).unwrap();
        std::fs::write(dir.join("cbor.json"), doc("cbor", "\"xrpc.v0.cbor\"")).unwrap();
        std::fs::write(dir.join("odd.json"), doc("odd", "[1, 2]")).unwrap();
        let request = Request {
            sources: vec![Source::Path(".".into(), Span::call_site())],
            include: Vec::new(),
            extern_paths: Vec::new(),
        };
        let (tokens, ok) = expand_report(&request, &dir);
        let text = tokens.to_string();
        assert!(ok, "{text}");
        let declared = "Its lexicon declares the subprotocol \\\"xrpc.v1.json\\\"";
        assert_eq!(text.matches(declared).count(), 1, "{text}");
        assert_eq!(text.matches("Its lexicon declares").count(), 1, "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
