//! The atproto interop MST vectors against `atlex::repo`:
//!
//! - `mst/key_heights.json`: every key's height;
//! - `firehose/commit-proof-fixtures.json`: the tree built from each case's keys (every value
//!   the case's `leafValue`) has the case's `rootBeforeCommit`; with `adds` added and `dels`
//!   removed, its `rootAfterCommit`; every block the case lists as its proof is a node of one
//!   of the two trees; and walking each built tree gives back its keys, in order.
//!
//! Needs `ATLEX_INTEROP_DIR`; skipped without it (a failure when ATLEX_REQUIRE_ALL is set).

use atlex::repo::{build_tree, key_height, walk_tree};
use atlex::types::CidLink;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

fn interop_dir() -> Option<PathBuf> {
    match std::env::var_os("ATLEX_INTEROP_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            atlex_tests::skip("set ATLEX_INTEROP_DIR=/path/to/atproto-interop-tests to run the interop MST vectors");
            None
        }
    }
}

fn load(path: &str) -> Option<Value> {
    let path = interop_dir()?.join(path);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

#[test]
fn key_heights() {
    let Some(cases) = load("mst/key_heights.json") else {
        return;
    };
    let cases = cases.as_array().unwrap();
    let mut wrong = Vec::new();
    for case in cases {
        let key = case["key"].as_str().unwrap();
        let want = case["height"].as_u64().unwrap() as u32;
        let got = key_height(key.as_bytes());
        if got != want {
            wrong.push(format!("{key:?}: {got}, not {want}"));
        }
    }
    println!(
        "MST key heights: {}/{} pass",
        cases.len() - wrong.len(),
        cases.len()
    );
    assert!(wrong.is_empty(), "{wrong:?}");
    assert!(cases.len() >= 9);
}

fn tree(keys: &[String], value: &CidLink) -> (CidLink, HashMap<cid::Cid, bytes::Bytes>) {
    let (root, blocks) =
        build_tree(keys.iter().map(|k| (k.clone().into_bytes(), value.clone()))).unwrap();
    let map: HashMap<_, _> = blocks
        .into_iter()
        .map(|b| (b.cid.to_cid(), b.data))
        .collect();
    // Walking the tree gives back the keys, sorted.
    let mut sorted = keys.to_vec();
    sorted.sort();
    let walked: Vec<String> = walk_tree(&root, &map)
        .unwrap()
        .into_iter()
        .map(|(k, v)| {
            assert_eq!(&v, value);
            String::from_utf8(k).unwrap()
        })
        .collect();
    assert_eq!(walked, sorted);
    (root, map)
}

#[test]
fn commit_proof_trees() {
    let Some(cases) = load("firehose/commit-proof-fixtures.json") else {
        return;
    };
    let cases = cases.as_array().unwrap();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    let mut failures = Vec::new();
    for case in cases {
        let name = case["comment"].as_str().unwrap();
        let value: CidLink = case["leafValue"].as_str().unwrap().parse().unwrap();
        let keys = strings(&case["keys"]);
        let (before, before_blocks) = tree(&keys, &value);
        if before.as_str() != case["rootBeforeCommit"].as_str().unwrap() {
            failures.push(format!("{name}: root before {before}"));
        }
        let dels: HashSet<String> = strings(&case["dels"]).into_iter().collect();
        let mut after_keys: Vec<String> = keys.into_iter().filter(|k| !dels.contains(k)).collect();
        after_keys.extend(strings(&case["adds"]));
        let (after, after_blocks) = tree(&after_keys, &value);
        if after.as_str() != case["rootAfterCommit"].as_str().unwrap() {
            failures.push(format!("{name}: root after {after}"));
        }
        for cid in strings(&case["blocksInProof"]) {
            let cid: CidLink = cid.parse().unwrap();
            if !after_blocks.contains_key(cid.as_binary())
                && !before_blocks.contains_key(cid.as_binary())
            {
                failures.push(format!("{name}: proof block {cid} is in neither tree"));
            }
        }
    }
    println!(
        "MST commit-proof trees: {} cases, {} failures",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(cases.len(), 6, "the fixture file changed: review this test");
}
