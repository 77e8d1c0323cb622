//! The atproto interop MST vectors against `atlex::repo`:
//!
//! - `mst/key_heights.json`: every key's height;
//! - `mst/common_prefix.json`: every case's shared prefix length (what a node's `p` holds);
//! - `mst/example_keys.txt`: every key is a valid tree key, and the tree built of all of them
//!   walks back to exactly those keys, in order;
//! - `firehose/commit-proof-fixtures.json`: the tree built from each case's keys (every value
//!   the case's `leafValue`) has the case's `rootBeforeCommit`; with `adds` added and `dels`
//!   removed, its `rootAfterCommit`; each built tree walks back to its keys; and the case's
//!   `blocksInProof` is exactly the set of nodes an inversion of the commit needs in the
//!   built trees: the nodes of the new tree that the old one lacks, the nodes on the lookup
//!   path of every changed key in the new tree, and, around each added key, the nodes along
//!   the edges of its neighbouring subtrees (which deleting it merges).
//!
//! Needs `ATLEX_INTEROP_DIR`; skipped without it (a failure when ATLEX_REQUIRE_ALL is set).

use atlex::repo::{build_tree, common_prefix_len, key_error, key_height, walk_tree};
use atlex::types::{CidLink, Data};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
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

type Blocks = HashMap<cid::Cid, bytes::Bytes>;

fn tree(keys: &[String], value: &CidLink) -> (CidLink, Blocks) {
    let (root, blocks) =
        build_tree(keys.iter().map(|k| (k.clone().into_bytes(), value.clone()))).unwrap();
    let map: Blocks = blocks
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

/// A node of a built tree, read as plain data: its left link, and each entry's whole key and
/// right link.
struct Node {
    l: Option<CidLink>,
    e: Vec<(Vec<u8>, Option<CidLink>)>,
}

fn node(blocks: &Blocks, cid: &CidLink) -> Node {
    let link = |d: &Data| match d {
        Data::Link(l) => Some(l.clone()),
        _ => None,
    };
    let data: Data = atlex::cbor::decode(&blocks[cid.as_binary()]).unwrap();
    let m = data.as_object().unwrap();
    let mut prev: Vec<u8> = Vec::new();
    let mut e = Vec::new();
    let Data::Array(items) = &m["e"] else {
        panic!("a node's e is an array")
    };
    for item in items {
        let item = item.as_object().unwrap();
        let p = item["p"].as_i64().unwrap() as usize;
        let Data::Bytes(k) = &item["k"] else {
            panic!("a key suffix is bytes")
        };
        let mut key = prev[..p].to_vec();
        key.extend_from_slice(k.as_slice());
        prev.clone_from(&key);
        e.push((key, link(&item["t"])));
    }
    Node {
        l: link(&m["l"]),
        e,
    }
}

/// The nodes an inversion of the commit needs for `key`, in the tree at `root`: those on the
/// key's lookup path and, when the key is in the tree (an added key, which the inversion
/// deletes), those along the inner edges of the subtrees on either side of it, which
/// deleting it merges.
fn needed(blocks: &Blocks, root: &CidLink, key: &[u8], added: bool, out: &mut BTreeSet<String>) {
    let mut at = Some(root.clone());
    while let Some(cid) = at {
        out.insert(cid.to_string());
        let n = node(blocks, &cid);
        if let Some(i) = n.e.iter().position(|(k, _)| k == key) {
            assert!(added, "a deleted key is still in the tree");
            // The left neighbour's rightmost edge, the right neighbour's leftmost edge.
            let mut left = if i == 0 {
                n.l.clone()
            } else {
                n.e[i - 1].1.clone()
            };
            while let Some(c) = left {
                out.insert(c.to_string());
                let m = node(blocks, &c);
                left = match m.e.last() {
                    Some((_, t)) => t.clone(),
                    None => m.l,
                };
            }
            let mut right = n.e[i].1.clone();
            while let Some(c) = right {
                out.insert(c.to_string());
                right = node(blocks, &c).l;
            }
            return;
        }
        assert!(!added, "an added key is missing from the tree");
        at = match n.e.iter().rev().find(|(k, _)| k.as_slice() < key) {
            Some((_, t)) => t.clone(),
            None => n.l,
        };
    }
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
    let (mut roots, mut proofs, mut proof_blocks) = (0, 0, 0);
    for case in cases {
        let name = case["comment"].as_str().unwrap();
        let value: CidLink = case["leafValue"].as_str().unwrap().parse().unwrap();
        let keys = strings(&case["keys"]);
        let (before, before_blocks) = tree(&keys, &value);
        let adds = strings(&case["adds"]);
        let dels = strings(&case["dels"]);
        let gone: HashSet<&String> = dels.iter().collect();
        let mut after_keys: Vec<String> =
            keys.iter().filter(|k| !gone.contains(k)).cloned().collect();
        after_keys.extend(adds.iter().cloned());
        let (after, after_blocks) = tree(&after_keys, &value);
        if before.as_str() != case["rootBeforeCommit"].as_str().unwrap() {
            failures.push(format!("{name}: root before {before}"));
        } else if after.as_str() != case["rootAfterCommit"].as_str().unwrap() {
            failures.push(format!("{name}: root after {after}"));
        } else {
            roots += 1;
        }
        // What an inversion needs, from the built trees.
        let old: BTreeSet<String> = before_blocks.keys().map(|c| c.to_string()).collect();
        let mut need: BTreeSet<String> = after_blocks
            .keys()
            .map(|c| c.to_string())
            .filter(|c| !old.contains(c))
            .collect();
        for k in &adds {
            needed(&after_blocks, &after, k.as_bytes(), true, &mut need);
        }
        for k in &dels {
            needed(&after_blocks, &after, k.as_bytes(), false, &mut need);
        }
        let proof: BTreeSet<String> = strings(&case["blocksInProof"]).into_iter().collect();
        proof_blocks += proof.len();
        if proof == need {
            proofs += 1;
        } else {
            failures.push(format!(
                "{name}: the proof's blocks {proof:?}, what an inversion needs in the built trees {need:?}"
            ));
        }
    }
    println!(
        "MST commit proofs: {} cases; roots before and after {roots}, proof blocks exactly the inversion's ({proof_blocks} blocks) {proofs}",
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(cases.len(), 6, "the fixture file changed: review this test");
    assert_eq!((roots, proofs, proof_blocks), (6, 6, 28));
}

#[test]
fn common_prefix_lengths() {
    let Some(cases) = load("mst/common_prefix.json") else {
        return;
    };
    let cases = cases.as_array().unwrap();
    let mut wrong = Vec::new();
    for case in cases {
        let (left, right) = (
            case["left"].as_str().unwrap(),
            case["right"].as_str().unwrap(),
        );
        let want = case["len"].as_u64().unwrap() as usize;
        let got = common_prefix_len(left.as_bytes(), right.as_bytes());
        if got != want {
            wrong.push(format!("{left:?} {right:?}: {got}, not {want}"));
        }
    }
    println!(
        "MST common prefix lengths: {}/{} pass",
        cases.len() - wrong.len(),
        cases.len()
    );
    assert!(wrong.is_empty(), "{wrong:?}");
    assert_eq!(cases.len(), 13, "the vector file changed: review this test");
}

#[test]
fn example_keys_build_and_walk_back() {
    let Some(dir) = interop_dir() else {
        return;
    };
    let path = dir.join("mst/example_keys.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let keys: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let invalid: Vec<&String> = keys
        .iter()
        .filter(|k| key_error(k.as_bytes()).is_some())
        .collect();
    assert!(invalid.is_empty(), "valid keys refused: {invalid:?}");
    let value: CidLink = "bafyreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454"
        .parse()
        .unwrap();
    // Built in the file's order and in reverse: the same tree, which walks back to the keys.
    let (root, blocks) = tree(&keys, &value);
    let mut reversed = keys.clone();
    reversed.reverse();
    let (again, _) = tree(&reversed, &value);
    assert_eq!(root, again);
    let heights: BTreeSet<u32> = keys.iter().map(|k| key_height(k.as_bytes())).collect();
    println!(
        "MST example keys: {} keys, all valid; one tree of {} nodes (heights {heights:?}) walks back to them",
        keys.len(),
        blocks.len()
    );
    assert_eq!(keys.len(), 156, "the key file changed: review this test");
    assert!(heights.len() >= 3, "{heights:?}");
}
