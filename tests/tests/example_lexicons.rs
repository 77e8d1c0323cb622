//! The lexicons of the runtime's examples (`runtime/examples/lexicons`) are official documents,
//! byte for byte (ATLEX_LEXICONS_DIR), and exactly those the examples name and the documents
//! they refer to, no more.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The documents the examples name in `lexicon!`'s `include` (runtime/examples/feedgen.rs).
const NAMED: [&str; 4] = [
    "app.bsky.feed.getFeedSkeleton",
    "app.bsky.feed.describeFeedGenerator",
    "app.bsky.feed.post",
    "com.atproto.sync.subscribeRepos",
];

fn path_of(root: &Path, nsid: &str) -> PathBuf {
    root.join(format!("{}.json", nsid.replace('.', "/")))
}

/// The NSIDs of the other documents that `value` refers to (refs and union members).
fn refers_to(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            let targets = match map.get("type").and_then(Value::as_str) {
                Some("ref") => map.get("ref").into_iter().collect(),
                Some("union") => map
                    .get("refs")
                    .and_then(Value::as_array)
                    .map(|refs| refs.iter().collect())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            for target in targets.into_iter().filter_map(Value::as_str) {
                let nsid = target.split('#').next().unwrap_or_default();
                if !nsid.is_empty() {
                    out.insert(nsid.to_owned());
                }
            }
            map.values().for_each(|v| refers_to(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refers_to(v, out)),
        _ => {}
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn example_lexicons_are_the_official_documents_they_need() {
    let Ok(official) = std::env::var("ATLEX_LEXICONS_DIR") else {
        return atlex_tests::skip("set ATLEX_LEXICONS_DIR to the official lexicons folder");
    };
    let official = PathBuf::from(official);
    let copies = atlex_tests::workspace().join("runtime/examples/lexicons");

    // What the named documents need: their closure over refs, in the official set.
    let mut needed = BTreeSet::new();
    let mut todo: Vec<String> = NAMED.iter().map(|s| s.to_string()).collect();
    while let Some(nsid) = todo.pop() {
        if !needed.insert(nsid.clone()) {
            continue;
        }
        let doc: Value =
            serde_json::from_slice(&std::fs::read(path_of(&official, &nsid)).unwrap()).unwrap();
        let mut refs = BTreeSet::new();
        refers_to(&doc, &mut refs);
        todo.extend(refs);
    }

    let mut found = Vec::new();
    files(&copies, &mut found);
    let (documents, others): (Vec<PathBuf>, Vec<PathBuf>) = found
        .into_iter()
        .partition(|f| f.extension().is_some_and(|e| e == "json"));
    assert_eq!(
        others,
        [copies.join("NOTICE")],
        "only documents and their notice"
    );
    let mut have = BTreeSet::new();
    for file in &documents {
        let relative = file.strip_prefix(&copies).unwrap();
        let ours = std::fs::read(file).unwrap();
        let theirs = std::fs::read(official.join(relative))
            .unwrap_or_else(|e| panic!("{}: no official document ({e})", relative.display()));
        assert!(
            ours == theirs,
            "{} differs from the official file",
            relative.display()
        );
        let doc: Value = serde_json::from_slice(&ours).unwrap();
        let id = doc["id"].as_str().unwrap().to_owned();
        assert_eq!(path_of(&copies, &id), *file, "{id} is at its NSID's path");
        have.insert(id);
    }
    assert_eq!(have, needed);
    assert_eq!(have.len(), 22);
}
