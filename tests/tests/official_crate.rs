//! The official-lexicons crate (`lexicons/`, package `atlex-lexicons`): its documents are the
//! official ones (ATLEX_LEXICONS_DIR) byte for byte, as are the runtime's copies of the
//! `com.atproto` documents its helpers use; the crate and the runtime share one type for each
//! of those; `AnyRecord` covers every record document; each namespace feature brings the
//! namespaces its documents refer to; and every definition a ref from another invocation can
//! name has the name such a ref gives it.
#![deny(warnings)]

use atlex_codegen::diag::Ctxt;
use atlex_codegen::model::{DefKind, Document};
use atlex_codegen::read::{read_sources, Source};
use atlex_codegen::resolve::{default_item_name, split_ref, Registry};
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

/// The workspace's root.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the test crate is inside the workspace")
}

/// The lexicon folder the official crate ships.
fn shipped_dir() -> PathBuf {
    root().join("lexicons/lexicons")
}

/// The folder of the runtime's `com.atproto` documents.
fn runtime_dir() -> PathBuf {
    root().join("runtime/lexicons")
}

/// Every `*.json` below `dir`, by path relative to it (with `/`), with its bytes.
fn json_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                let rel = path.strip_prefix(base).expect("below the base");
                let rel = rel.to_string_lossy().replace('\\', "/");
                let bytes = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The official lexicons folder, or `None` after saying why the test is skipped.
fn official_dir() -> Option<PathBuf> {
    match std::env::var_os("ATLEX_LEXICONS_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            atlex_tests::skip(
                "set ATLEX_LEXICONS_DIR to the official lexicons folder (../shared/lexicons) to compare the shipped copies with it",
            );
            None
        }
    }
}

/// The files of `ours` that are not byte for byte the official file at the same path.
fn differing(
    ours: &BTreeMap<String, Vec<u8>>,
    official: &BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    ours.iter()
        .filter(|(path, bytes)| official.get(*path) != Some(*bytes))
        .map(|(path, _)| path.clone())
        .collect()
}

/// The crate ships the official folder: the same 402 files, the same bytes.
#[test]
fn the_shipped_lexicons_are_the_official_ones() {
    let Some(dir) = official_dir() else { return };
    let official = json_files(&dir);
    let shipped = json_files(&shipped_dir());
    assert_eq!(
        official.len(),
        402,
        "the official folder at {}",
        dir.display()
    );
    let missing: Vec<&String> = official
        .keys()
        .filter(|p| !shipped.contains_key(*p))
        .collect();
    let extra: Vec<&String> = shipped
        .keys()
        .filter(|p| !official.contains_key(*p))
        .collect();
    assert!(missing.is_empty(), "not shipped: {missing:?}");
    assert!(extra.is_empty(), "shipped but not official: {extra:?}");
    assert_eq!(
        differing(&shipped, &official),
        Vec::<String>::new(),
        "shipped with other bytes"
    );
    println!("{} shipped files, each the official file", shipped.len());
}

/// The runtime's documents are official files, byte for byte, at their official paths.
#[test]
fn the_runtime_documents_are_official_files() {
    let Some(dir) = official_dir() else { return };
    let official = json_files(&dir);
    let runtime = json_files(&runtime_dir());
    assert_eq!(runtime.len(), SHARED.len(), "{:?}", runtime.keys());
    assert_eq!(
        differing(&runtime, &official),
        Vec::<String>::new(),
        "not the official bytes"
    );
}

/// The documents of `dir`, parsed (every one must).
fn documents(dir: &Path) -> Vec<Document> {
    let mut cx = Ctxt::new();
    let source = Source::Path(
        dir.to_string_lossy().into_owned(),
        proc_macro2::Span::call_site(),
    );
    let read = read_sources(&mut cx, Path::new("/"), &[source]);
    assert!(
        cx.is_empty(),
        "the documents of {} do not all read",
        dir.display()
    );
    read.docs
}

/// Whether the document's `main` is a record.
fn is_record(doc: &Document) -> bool {
    doc.defs
        .iter()
        .any(|d| d.name == "main" && matches!(d.kind, DefKind::Record(_)))
}

/// Asserts that `A` and `B` are one type (a call with two types does not compile).
fn same<T>(_: PhantomData<T>, _: PhantomData<T>) {}

/// For each document the runtime generates: its NSID, and an item of its module, which must be
/// one type in `atlex::lexicons` and in `atlex_lexicons`.
macro_rules! shared {
    ($($nsid:literal $($segment:ident)::+ => $item:ident;)*) => {
        const SHARED: &[&str] = &[$($nsid),*];

        /// Each document the runtime generates is one module in both crates: the official
        /// crate re-exports atlex's instead of generating it again.
        #[test]
        fn the_runtime_modules_are_the_official_crates() {
            $(
                same(
                    PhantomData::<atlex::lexicons::$($segment)::+::$item>,
                    PhantomData::<atlex_lexicons::$($segment)::+::$item>,
                );
                assert_eq!(atlex_lexicons::$($segment)::+::NSID, $nsid);
            )*
            let nsids: BTreeSet<String> =
                documents(&runtime_dir()).into_iter().map(|d| d.id).collect();
            let listed: BTreeSet<String> = SHARED.iter().map(|s| s.to_string()).collect();
            assert_eq!(nsids, listed, "the runtime's documents and the list above differ");
        }
    };
}

shared! {
    "com.atproto.identity.resolveHandle" com::atproto::identity::resolve_handle => Method;
    "com.atproto.repo.applyWrites" com::atproto::repo::apply_writes => InputWritesItem;
    "com.atproto.repo.createRecord" com::atproto::repo::create_record => Method;
    "com.atproto.repo.defs" com::atproto::repo::defs => CommitMeta;
    "com.atproto.repo.deleteRecord" com::atproto::repo::delete_record => Method;
    "com.atproto.repo.getRecord" com::atproto::repo::get_record => Error;
    "com.atproto.repo.listRecords" com::atproto::repo::list_records => Record;
    "com.atproto.repo.putRecord" com::atproto::repo::put_record => Error;
    "com.atproto.repo.uploadBlob" com::atproto::repo::upload_blob => Output;
    "com.atproto.server.createSession" com::atproto::server::create_session => Error;
    "com.atproto.server.deleteSession" com::atproto::server::delete_session => Method;
    "com.atproto.server.getServiceAuth" com::atproto::server::get_service_auth => Error;
    "com.atproto.server.refreshSession" com::atproto::server::refresh_session => Output;
    "com.atproto.sync.getBlob" com::atproto::sync::get_blob => Error;
    "com.atproto.sync.getRepo" com::atproto::sync::get_repo => Params;
}

/// What the helpers return is the official crate's types (this compiles only if so).
#[allow(dead_code)]
async fn helpers_return_the_official_types(
    session: &atlex::xrpc::Session<atlex::Client>,
    records: &atlex::repo::Records<'_, atlex::Client>,
    rkey: &atlex::types::RecordKey,
    post: &atlex_lexicons::app::bsky::feed::post::Record,
) {
    use atlex_lexicons::com::atproto::{repo, server};
    let _: Result<_, atlex::Error<server::create_session::Error>> =
        session.login("alice.test", "password", None).await;
    let _: Result<_, atlex::Error<repo::put_record::Error>> = records.put(rkey, post).await;
    let _: Result<_, atlex::Error<repo::get_record::Error>> = records
        .get::<atlex_lexicons::app::bsky::feed::post::Record>(rkey)
        .await;
    let _: Result<_, atlex::Error<repo::apply_writes::Error>> = records.apply_writes(vec![]).await;
}

/// `AnyRecord` has a variant for each record document of the crate, under its NSID.
#[test]
fn any_record_covers_every_record_document() {
    let records: BTreeSet<String> = documents(&shipped_dir())
        .into_iter()
        .filter(is_record)
        .map(|d| d.id)
        .collect();
    let covered: BTreeSet<String> = atlex_lexicons::AnyRecord::COLLECTIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(covered.len(), atlex_lexicons::AnyRecord::COLLECTIONS.len());
    assert_eq!(records.len(), 26);
    assert_eq!(covered, records);
}

/// The namespace of an NSID: its first two segments (`app.bsky`).
fn namespace(nsid: &str) -> String {
    nsid.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Each namespace of the shipped files has its feature, and each feature brings (directly or
/// through others) every namespace its documents refer to, so each builds alone.
#[test]
fn each_namespace_feature_brings_the_namespaces_it_refers_to() {
    let docs = documents(&shipped_dir());
    let mut refers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for doc in &docs {
        let from = namespace(&doc.id);
        let targets = refers.entry(from.clone()).or_default();
        for def in &doc.defs {
            let mut refs = Vec::new();
            atlex_codegen::resolve::for_each_schema(
                def,
                &mut |s: &atlex_codegen::model::Schema, acc: &mut Vec<String>| match &s.kind {
                    atlex_codegen::model::Kind::Ref(r) => acc.push(r.target.clone()),
                    atlex_codegen::model::Kind::Union(u) => {
                        acc.extend(u.refs.iter().map(|r| r.value.clone()))
                    }
                    _ => {}
                },
                &mut refs,
            );
            for r in refs {
                let target = namespace(split_ref(&doc.id, &r).0);
                if target != from {
                    targets.insert(target);
                }
            }
        }
    }
    let manifest = std::fs::read_to_string(root().join("lexicons/Cargo.toml")).unwrap();
    let features = features(&manifest);
    let brings = |feature: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![feature.to_owned()];
        while let Some(f) = stack.pop() {
            if seen.insert(f.clone()) {
                stack.extend(features.get(&f).cloned().unwrap_or_default());
            }
        }
        seen
    };
    assert_eq!(refers.len(), 7, "{:?}", refers.keys());
    for (ns, targets) in &refers {
        assert!(
            features.contains_key(ns),
            "no feature for the namespace {ns}"
        );
        let brought = brings(ns);
        let missing: Vec<&String> = targets.iter().filter(|t| !brought.contains(*t)).collect();
        assert!(
            missing.is_empty(),
            "feature {ns} refers to {missing:?} without bringing them"
        );
    }
}

/// The `[features]` table of a manifest: each feature and what it enables.
fn features(manifest: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[features]";
            continue;
        }
        let Some((name, value)) = line
            .split_once('=')
            .filter(|_| inside && !line.starts_with('#'))
        else {
            continue;
        };
        let list = value.trim().trim_start_matches('[').trim_end_matches(']');
        let enabled = list
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        out.insert(name.trim().trim_matches('"').to_owned(), enabled);
    }
    out
}

/// A ref from another invocation (`extern_paths`) names a definition by its default name
/// (`main` as `Main`, others in PascalCase), not knowing the names a document's own
/// invocation gives: so every definition a ref may name must have that name (a record's
/// `main` is `Record`, with `Main` as its alias).
#[test]
fn every_official_definition_has_the_name_an_extern_ref_gives_it() {
    let docs = documents(&shipped_dir());
    assert_eq!(docs.len(), 402);
    let registry = Registry::new(&docs, Vec::new());
    let mut checked = 0;
    for info in registry.docs.values() {
        for def in &info.doc.defs {
            let expected = match &def.kind {
                DefKind::Schema(_) => default_item_name(&def.name),
                DefKind::Record(_) => "Record".to_owned(),
                _ => continue,
            };
            assert_eq!(
                info.names[&def.name], expected,
                "{}#{}",
                info.doc.id, def.name
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 416 + 26);
}
