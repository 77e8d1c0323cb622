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
use std::collections::BTreeSet;
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
    // `include_str!` for emitted documents, through a hidden constant for the others.
    let emitted: BTreeSet<&str> = registry
        .docs
        .iter()
        .filter(|(nsid, _)| cx.is_empty() && only.as_ref().is_none_or(|o| o.contains(*nsid)))
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

/// The NSIDs to emit under `include`: the matching documents and, transitively, every document
/// they reference. `None` when there is no `include`.
fn included(
    cx: &mut Ctxt,
    reg: &Registry<'_>,
    include: &[(String, Span)],
) -> Option<BTreeSet<String>> {
    if include.is_empty() {
        return None;
    }
    let mut out = BTreeSet::new();
    let mut queue: Vec<String> = Vec::new();
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
        queue.extend(matched.into_iter().cloned());
    }
    while let Some(nsid) = queue.pop() {
        if !out.insert(nsid.clone()) {
            continue;
        }
        let Some(info) = reg.docs.get(&nsid) else {
            continue;
        };
        for def in &info.doc.defs {
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
                let (target, _) = resolve::split_ref(&nsid, &r);
                if reg.docs.contains_key(target) && !out.contains(target) {
                    queue.push(target.to_owned());
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
