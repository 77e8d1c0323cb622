//! Bad binary input never panics: a seeded mutation run over the DAG-CBOR reader (untyped,
//! `Unknown` and a generated record type) and over the CAR and repository reader.
//!
//! - DAG-CBOR: 100,000 inputs, mutated from valid encodings (bits flipped, bytes set to
//!   CBOR heads such as tags, floats, indefinite lengths and long counts, cuts, insertions,
//!   repeats) and some random bytes. Whatever a reader accepts writes back to exactly the
//!   bytes read (a value read from DAG-CBOR keeps its CID).
//! - CAR and repository: 100,000 inputs. Byte-level mutations of a valid repository export
//!   (truncated, wrong hash, bad varint, oversized lengths), and structural ones that keep
//!   every hash valid: a node or commit changed as data (keys, prefix lengths, links to
//!   missing, shared or wrong blocks, fields removed or added), then every block that links
//!   to it rehashed up to a new root, so the damage reaches the tree walk.
//!
//! Every result is checked, not only for panics: what the untyped reader accepts passes the
//! strict check and reads back from its JSON; what the typed reader accepts is accepted from
//! JSON too; the sync and the async CAR reader give the same blocks or the same error on
//! every input, `from_car` and `from_car_stream` the same repository; an accepted
//! repository's tree is the canonical tree of its entries and each record that decodes
//! re-hashes to its CID; a frame's decoded records re-hash to their ops' CIDs. The counts
//! of each outcome are asserted within bounds that a reader refusing (or accepting)
//! everything would break.
//!
//! `ATLEX_FUZZ_SEED` and `ATLEX_FUZZ_INPUTS` change the seed and the count of each run.

use atlex::car;
use atlex::cbor;
use atlex::repo::{build_tree, Repository};
use atlex::types::{CidLink, Data, DataMap, Unknown};
use atlex_tests::Rng;
use std::panic::{catch_unwind, AssertUnwindSafe};

atlex::lexicon!({
    "lexicon": 1,
    "id": "com.example.fuzz.thing",
    "defs": {
        "main": {
            "type": "record",
            "key": "any",
            "record": {
                "type": "object",
                "required": ["name", "at"],
                "nullable": ["maybe"],
                "properties": {
                    "name": { "type": "string", "maxLength": 64, "maxGraphemes": 32 },
                    "at": { "type": "string", "format": "datetime" },
                    "who": { "type": "string", "format": "did" },
                    "n": { "type": "integer", "minimum": -100, "maximum": 100000 },
                    "ok": { "type": "boolean" },
                    "data": { "type": "bytes", "maxLength": 32 },
                    "link": { "type": "cid-link" },
                    "file": { "type": "blob", "accept": ["image/*"], "maxSize": 1000000 },
                    "maybe": { "type": "integer" },
                    "tags": { "type": "array", "items": { "type": "string" }, "maxLength": 4 },
                    "inner": { "type": "ref", "ref": "#inner" },
                    "choice": { "type": "union", "refs": ["#a", "#b"] },
                    "any": { "type": "unknown" }
                }
            }
        },
        "inner": { "type": "object", "properties": { "x": { "type": "integer" }, "y": { "type": "string" } } },
        "a": { "type": "object", "required": ["a"], "properties": { "a": { "type": "integer" } } },
        "b": { "type": "object", "required": ["b"], "properties": { "b": { "type": "string" } } }
    }
});

use com::example::fuzz::thing;

fn settings() -> (u64, usize) {
    let seed = std::env::var("ATLEX_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0061_746c_6578_f022);
    let inputs = std::env::var("ATLEX_FUZZ_INPUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    (seed, inputs)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const CID_A: &str = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a";
const CID_B: &str = "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity";

/// A random value of the data model.
fn data(rng: &mut Rng, depth: u32) -> Data {
    let pick = if depth == 0 {
        rng.below(6)
    } else {
        rng.below(8)
    };
    match pick {
        0 => Data::Null,
        1 => Data::Bool(rng.percent(50)),
        2 => Data::Integer(match rng.below(4) {
            0 => rng.below(24) as i64,
            1 => -(rng.below(300) as i64),
            2 => rng.next_u64() as i64,
            _ => i64::MIN + rng.below(3) as i64,
        }),
        3 => Data::String(
            [
                "",
                "a",
                "$type",
                "héllo",
                "🦀🦀",
                "com.example.fuzz.thing",
                "x".repeat(30).as_str(),
            ][rng.below(7)]
            .to_owned(),
        ),
        4 => Data::Bytes(
            (0..rng.below(40))
                .map(|_| rng.next_u64() as u8)
                .collect::<Vec<_>>()
                .into(),
        ),
        5 => Data::Link(if rng.percent(50) { CID_A } else { CID_B }.parse().unwrap()),
        6 => Data::Array((0..rng.below(4)).map(|_| data(rng, depth - 1)).collect()),
        _ => {
            let mut m = DataMap::new();
            for _ in 0..rng.below(5) {
                let k = [
                    "a", "bb", "$type", "name", "ref", "size", "zz", "mimeType", "",
                ][rng.below(9)];
                m.insert(k.to_owned(), data(rng, depth - 1));
            }
            Data::Object(m)
        }
    }
}

/// A valid record of the fuzz lexicon, as JSON.
fn thing_json(rng: &mut Rng) -> serde_json::Value {
    let name = ["thing", "🦀 crab", "naïve", ""][rng.below(4)];
    let mut v = serde_json::json!({
        "$type": "com.example.fuzz.thing",
        "name": name,
        "at": "2026-11-30T12:00:00.000Z",
    });
    let o = v.as_object_mut().unwrap();
    if rng.percent(50) {
        o.insert("who".into(), "did:plc:abcdefghijklmnopqrstuvwx".into());
    }
    if rng.percent(50) {
        o.insert("n".into(), (rng.below(1000) as i64 - 50).into());
    }
    if rng.percent(50) {
        o.insert("ok".into(), rng.percent(50).into());
    }
    if rng.percent(50) {
        o.insert("data".into(), serde_json::json!({"$bytes": "AQIDBA"}));
    }
    if rng.percent(50) {
        o.insert("link".into(), serde_json::json!({"$link": CID_A}));
    }
    if rng.percent(50) {
        o.insert(
            "file".into(),
            serde_json::json!({"$type": "blob", "ref": {"$link": CID_B}, "mimeType": "image/png", "size": 1234}),
        );
    }
    if rng.percent(50) {
        o.insert(
            "maybe".into(),
            if rng.percent(50) {
                serde_json::Value::Null
            } else {
                7.into()
            },
        );
    }
    if rng.percent(50) {
        o.insert("tags".into(), serde_json::json!(["a", "b"]));
    }
    if rng.percent(50) {
        o.insert(
            "inner".into(),
            serde_json::json!({"x": 1, "y": "z", "extra": [1, 2]}),
        );
    }
    match rng.below(4) {
        0 => {
            o.insert(
                "choice".into(),
                serde_json::json!({"$type": "com.example.fuzz.thing#a", "a": 5}),
            );
        }
        1 => {
            o.insert(
                "choice".into(),
                serde_json::json!({"b": "late tag", "$type": "com.example.fuzz.thing#b"}),
            );
        }
        2 => {
            o.insert(
                "choice".into(),
                serde_json::json!({"$type": "com.example.other#c", "c": {"$link": CID_A}}),
            );
        }
        _ => {}
    }
    if rng.percent(50) {
        o.insert(
            "any".into(),
            serde_json::json!({"k": [1, {"$bytes": "AA"}], "$type": "x.y.z"}),
        );
    }
    if rng.percent(30) {
        o.insert(
            "unknownProp".into(),
            serde_json::json!({"l": {"$link": CID_B}}),
        );
    }
    v
}

/// Bytes that CBOR heads and special values are made of.
const INTERESTING: &[u8] = &[
    0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x38, 0x3b, 0x40, 0x58, 0x5b, 0x5f, 0x60,
    0x78, 0x7b, 0x7f, 0x80, 0x98, 0x9b, 0x9f, 0xa0, 0xb8, 0xbb, 0xbf, 0xc0, 0xd8, 0x2a, 0xd9, 0xf4,
    0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff, 0x01, 0x71, 0x12, 0x55,
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        let len = out.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => out.truncate(rng.below(len + 1)),
            3 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(9);
                let bytes: Vec<u8> = (0..n)
                    .map(|_| {
                        if rng.percent(60) {
                            INTERESTING[rng.below(INTERESTING.len())]
                        } else {
                            rng.next_u64() as u8
                        }
                    })
                    .collect();
                out.splice(i..i, bytes);
            }
            4 if len > 1 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(16)).min(len);
                out.drain(a..b);
            }
            5 if len > 1 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(32)).min(len);
                let piece = out[a..b].to_vec();
                let at = rng.below(out.len() + 1);
                out.splice(at..at, piece);
            }
            6 if len > 0 => {
                // A long length or count where a head was.
                let i = rng.below(len);
                let major = out[i] & 0xe0;
                out[i] = major | 0x1b;
                out.splice(i + 1..i + 1, [0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0]);
            }
            7 if len > 0 => {
                let i = rng.below(len);
                out[i] = rng.next_u64() as u8;
            }
            _ => {
                if rng.percent(20) {
                    out = (0..rng.below(48)).map(|_| rng.next_u64() as u8).collect();
                }
            }
        }
    }
    out
}

/// Runs `f`, turning a panic into a test failure that shows the input.
fn no_panic<T>(what: &str, input: &[u8], f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => panic!("{what} panicked on input {}", hex(input)),
    }
}

#[test]
fn the_cbor_reader_never_panics_and_round_trips_what_it_accepts() {
    let (seed, inputs) = settings();
    let mut rng = Rng(seed);
    // Seeds: records of the fuzz lexicon, and random data-model values.
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for _ in 0..200 {
        let record: thing::Record = serde_json::from_value(thing_json(&mut rng)).unwrap();
        atlex::Validate::validate(&record).unwrap();
        seeds.push(cbor::to_vec(&record).unwrap());
    }
    for _ in 0..200 {
        let mut m = DataMap::new();
        m.insert("v".into(), data(&mut rng, 4));
        seeds.push(cbor::to_vec(&Data::Object(m)).unwrap());
    }
    let (mut data_ok, mut unknown_ok, mut typed_ok, mut refused) = (0usize, 0usize, 0usize, 0usize);
    for i in 0..inputs {
        let input = mutate(&mut rng, &seeds[i % seeds.len()]);
        let checked = no_panic("cbor::check", &input, || cbor::check(&input));
        let as_data = no_panic("cbor::decode::<Data>", &input, || {
            cbor::decode::<Data>(&input)
        });
        let as_unknown = no_panic("cbor::from_slice::<Unknown>", &input, || {
            cbor::from_slice::<Unknown>(&input)
        });
        let as_thing = no_panic("cbor::from_slice::<thing::Record>", &input, || {
            cbor::from_slice::<thing::Record>(&input)
        });
        if let Ok(d) = &as_data {
            assert!(
                checked.is_ok(),
                "decoded but failed the check: {}",
                hex(&input)
            );
            assert_eq!(
                cbor::to_vec(d).unwrap(),
                input,
                "Data round trip of {}",
                hex(&input)
            );
            data_ok += 1;
        }
        if let Ok(u) = &as_unknown {
            assert_eq!(
                cbor::to_vec(u).unwrap(),
                input,
                "Unknown round trip of {}",
                hex(&input)
            );
            // What the untyped reader accepts is data-model data: the strict check and Data
            // accept it, and it reads back from its JSON as the same value.
            assert!(checked.is_ok() && as_data.is_ok(), "{}", hex(&input));
            let again = Unknown::try_from(u.to_json())
                .unwrap_or_else(|e| panic!("its JSON is refused ({e}): {}", hex(&input)));
            assert_eq!(&again, u, "{}", hex(&input));
            unknown_ok += 1;
        }
        if let Ok(t) = &as_thing {
            assert_eq!(
                cbor::to_vec(t).unwrap(),
                input,
                "typed round trip of {}",
                hex(&input)
            );
            // A record accepted from CBOR is accepted from JSON too, as the same record.
            assert!(checked.is_ok(), "{}", hex(&input));
            let json = serde_json::to_value(t).unwrap();
            let again: thing::Record = serde_json::from_value(json)
                .unwrap_or_else(|e| panic!("its JSON is refused ({e}): {}", hex(&input)));
            atlex::Validate::validate(&again)
                .unwrap_or_else(|e| panic!("its JSON is invalid ({e}): {}", hex(&input)));
            assert_eq!(&again, t, "{}", hex(&input));
            typed_ok += 1;
        }
        if as_data.is_err() && as_unknown.is_err() && as_thing.is_err() {
            refused += 1;
        }
        // Every refusal is an error with a message, never an empty one.
        if let Err(e) = &as_thing {
            assert!(!e.to_string().is_empty());
        }
    }
    println!(
        "DAG-CBOR reader: {inputs} inputs (seed {seed:#x}); accepted as Data {data_ok}, as Unknown {unknown_ok}, as the record type {typed_ok}; refused by all {refused}; no panic"
    );
    assert!(
        inputs < 1000
            || (data_ok > inputs / 100
                && unknown_ok > inputs / 100
                && typed_ok > inputs / 200
                && refused > inputs / 4
                && data_ok < inputs / 2),
        "the mutations should reach both sides of every reader"
    );
}

/// A valid repository: commit, tree and records, as blocks; returns the CAR's pieces.
fn repository(rng: &mut Rng, records: usize) -> (CidLink, Vec<(CidLink, Vec<u8>)>) {
    let mut blocks = Vec::new();
    let mut entries = Vec::new();
    for i in 0..records {
        let record: thing::Record = serde_json::from_value(thing_json(rng)).unwrap();
        let bytes = cbor::to_vec(&record).unwrap();
        let cid = cbor::cid_of(cbor::DAG_CBOR, &bytes);
        entries.push((
            format!("com.example.fuzz.thing/k{i:04}").into_bytes(),
            cid.clone(),
        ));
        blocks.push((cid, bytes));
    }
    let (root, nodes) = build_tree(entries).unwrap();
    blocks.extend(nodes.into_iter().map(|b| (b.cid, b.data.to_vec())));
    let mut commit = DataMap::new();
    commit.insert("did".into(), "did:plc:abcdefghijklmnopqrstuvwx".into());
    commit.insert("version".into(), Data::Integer(3));
    commit.insert("data".into(), Data::Link(root));
    commit.insert("rev".into(), "3lbqfr2ofx22k".into());
    commit.insert("prev".into(), Data::Null);
    commit.insert("sig".into(), Data::Bytes(vec![9u8; 64].into()));
    let bytes = cbor::to_vec(&Data::Object(commit)).unwrap();
    let cid = cbor::cid_of(cbor::DAG_CBOR, &bytes);
    blocks.push((cid.clone(), bytes));
    (cid, blocks)
}

fn write_car(root: &CidLink, blocks: &[(CidLink, Vec<u8>)]) -> Vec<u8> {
    let blocks: Vec<car::Block> = blocks
        .iter()
        .map(|(c, b)| car::Block {
            cid: c.clone(),
            data: b.clone().into(),
        })
        .collect();
    car::write(std::slice::from_ref(root), &blocks)
}

/// Everything a CAR holds, read by the sync reader: roots and blocks, or the first error.
fn read_car(input: &[u8]) -> Result<(Vec<CidLink>, Vec<car::Block>), car::CarError> {
    let r = car::CarReader::new(input.to_vec())?;
    let roots = r.roots().to_vec();
    Ok((roots, r.collect::<Result<_, _>>()?))
}

/// The same, read by the async reader.
async fn read_car_async(input: &[u8]) -> Result<(Vec<CidLink>, Vec<car::Block>), car::CarError> {
    let mut r = car::AsyncCarReader::new(input).await?;
    let roots = r.roots().to_vec();
    let mut blocks = Vec::new();
    while let Some(b) = r.next_block().await? {
        blocks.push(b);
    }
    Ok((roots, blocks))
}

/// Checks a repository the reader accepted: its entries are in the tree's order (the bytes of
/// `collection/rkey`), the tree is the one its entries build (the walk accepts only the
/// canonical tree), and every record that decodes writes back the bytes of its CID. Returns
/// how many records decoded.
fn accepted_repository(repo: &Repository, input: &[u8]) -> usize {
    let keys: Vec<Vec<u8>> = repo
        .entries()
        .iter()
        .map(|e| format!("{}/{}", e.collection, e.rkey).into_bytes())
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "entries out of order: {}",
        hex(input)
    );
    let (root, _) = build_tree(
        keys.iter()
            .cloned()
            .zip(repo.entries().iter().map(|e| e.cid.clone())),
    )
    .unwrap();
    assert_eq!(
        &root,
        &repo.commit().data,
        "an accepted tree that is not the canonical tree of its entries: {}",
        hex(input)
    );
    let mut decoded = 0;
    for e in repo.entries() {
        let (u, t) = no_panic("Repository::decode", input, || {
            (repo.decode::<Unknown>(e), repo.decode::<thing::Record>(e))
        });
        if let Ok(u) = u {
            assert_eq!(cbor::cid(&u).unwrap(), e.cid, "{}", hex(input));
            decoded += 1;
        }
        if let Ok(t) = t {
            assert_eq!(cbor::cid(&t).unwrap(), e.cid, "{}", hex(input));
        }
    }
    decoded
}

/// Replaces every link `from` with `to` inside `d`.
fn relink(d: &mut Data, from: &CidLink, to: &CidLink) -> bool {
    match d {
        Data::Link(l) if l == from => {
            *l = to.clone();
            true
        }
        Data::Array(items) => items.iter_mut().fold(false, |c, x| relink(x, from, to) | c),
        Data::Object(m) => m.values_mut().fold(false, |c, x| relink(x, from, to) | c),
        _ => false,
    }
}

/// A change to one value inside a block, as data.
fn damage(rng: &mut Rng, d: &mut Data, links: &[CidLink]) {
    match d {
        Data::Object(m) if !m.is_empty() && rng.percent(70) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = &keys[rng.below(keys.len())];
            match rng.below(5) {
                0 => {
                    m.remove(k);
                }
                1 => {
                    m.insert(format!("{k}x"), data(rng, 1));
                }
                _ => damage(rng, m.get_mut(k).unwrap(), links),
            }
        }
        Data::Array(items) if !items.is_empty() && rng.percent(70) => match rng.below(4) {
            0 => {
                let i = rng.below(items.len());
                items.remove(i);
            }
            1 => {
                let i = rng.below(items.len());
                let j = rng.below(items.len());
                items.swap(i, j);
            }
            2 => {
                let i = rng.below(items.len());
                let copy = items[i].clone();
                items.insert(rng.below(items.len() + 1), copy);
            }
            _ => {
                let i = rng.below(items.len());
                damage(rng, &mut items[i], links);
            }
        },
        Data::Integer(n) => {
            *n = match rng.below(4) {
                0 => *n + 1,
                1 => *n - 1,
                2 => 1000,
                _ => -1,
            }
        }
        Data::Bytes(b) => {
            let mut v = b.to_vec();
            match rng.below(4) {
                0 => v.push(b'/'),
                1 => v.push(0xff),
                2 => v.clear(),
                _ => {
                    if let Some(x) = v.first_mut() {
                        *x = x.wrapping_add(1);
                    }
                }
            }
            *b = v.into();
        }
        _ => {
            *d = match rng.below(4) {
                0 if !links.is_empty() => Data::Link(links[rng.below(links.len())].clone()),
                1 => Data::Link(cbor::cid_of(cbor::DAG_CBOR, &rng.next_u64().to_be_bytes())),
                2 => Data::Null,
                _ => data(rng, 2),
            }
        }
    }
}

#[test]
fn the_car_and_repository_reader_never_panics() {
    let (seed, inputs) = settings();
    let mut rng = Rng(seed ^ 0xca5);
    let repos: Vec<_> = [0usize, 1, 3, 12, 30]
        .iter()
        .map(|&n| repository(&mut rng, n))
        .collect();
    // The blocks of each, also as data, for the structural changes.
    let decoded: Vec<Vec<(CidLink, Data, Vec<u8>)>> = repos
        .iter()
        .map(|(_, blocks)| {
            blocks
                .iter()
                .map(|(c, b)| (c.clone(), cbor::decode::<Data>(b).unwrap(), b.clone()))
                .collect()
        })
        .collect();
    // Each seed reads back whole.
    for (root, blocks) in &repos {
        let repo = Repository::from_car(write_car(root, blocks)).unwrap();
        assert_eq!(repo.commit_cid(), root);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (mut ok, mut car_errors, mut other_errors, mut ran) = (0usize, 0usize, 0usize, 0usize);
    let (mut agreed, mut streamed, mut records_read, mut cars_read) =
        (0usize, 0usize, 0usize, 0usize);
    let mut i = 0;
    while ran < inputs {
        i += 1;
        let (root, blocks) = &repos[i % repos.len()];
        let input = if rng.percent(50) {
            // Byte level: the CAR itself damaged.
            mutate(&mut rng, &write_car(root, blocks))
        } else {
            // Structure level: one block changed as data, every hash kept valid.
            let mut blocks = decoded[i % decoded.len()].clone();
            let mut root = root.clone();
            let links: Vec<CidLink> = blocks.iter().map(|(c, _, _)| c.clone()).collect();
            let target = rng.below(blocks.len());
            damage(&mut rng, &mut blocks[target].1, &links);
            let Ok(bytes) = cbor::to_vec(&blocks[target].1) else {
                continue;
            };
            let new = cbor::cid_of(cbor::DAG_CBOR, &bytes);
            let mut changed = vec![(blocks[target].0.clone(), new.clone())];
            blocks[target].0 = new;
            blocks[target].2 = bytes;
            if rng.percent(10) {
                // A block left out.
                let gone = rng.below(blocks.len());
                blocks.remove(gone);
            }
            // Rehash every block that links to a changed one, up to the root (a bounded number
            // of times: a change may link a node to its own ancestor).
            let mut budget = 4 * blocks.len() + 4;
            while let Some((from, to)) = changed.pop() {
                if budget == 0 {
                    break;
                }
                budget -= 1;
                if root == from {
                    root = to.clone();
                }
                for (cid, value, bytes) in blocks.iter_mut() {
                    if relink(value, &from, &to) {
                        *bytes = cbor::to_vec(value).unwrap();
                        let new_cid = cbor::cid_of(cbor::DAG_CBOR, bytes);
                        changed.push((cid.clone(), new_cid.clone()));
                        *cid = new_cid;
                    }
                }
            }
            let plain: Vec<(CidLink, Vec<u8>)> =
                blocks.into_iter().map(|(c, _, b)| (c, b)).collect();
            write_car(&root, &plain)
        };
        // The sync and the async CAR reader read the same blocks, or fail with the same error
        // at the same offset.
        let sync = no_panic("CarReader", &input, || read_car(&input));
        let asynchronous = no_panic("AsyncCarReader", &input, || {
            rt.block_on(read_car_async(&input))
        });
        assert_eq!(
            sync,
            asynchronous,
            "sync and async readers differ on {}",
            hex(&input)
        );
        agreed += 1;
        if sync.is_ok() {
            cars_read += 1;
        }
        let result = no_panic("Repository::from_car", &input, || {
            Repository::from_car(input.clone())
        });
        if i % 10 == 0 {
            // Read from a stream, the repository is the same, or the same error.
            let stream = no_panic("Repository::from_car_stream", &input, || {
                rt.block_on(Repository::from_car_stream(&input[..]))
            });
            match (&result, &stream) {
                (Ok(a), Ok(b)) => {
                    assert_eq!((a.commit_cid(), a.entries()), (b.commit_cid(), b.entries()))
                }
                (Err(a), Err(b)) => assert_eq!(a, b),
                _ => panic!(
                    "from_car {result:?} and from_car_stream {stream:?} differ on {}",
                    hex(&input)
                ),
            }
            streamed += 1;
        }
        match result {
            Ok(repo) => {
                ok += 1;
                records_read += accepted_repository(&repo, &input);
            }
            Err(atlex::repo::RepoError::Car(_)) => car_errors += 1,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                other_errors += 1;
            }
        }
        ran += 1;
    }
    println!(
        "CAR and repository reader: {ran} inputs (seed {seed:#x}); read {ok} ({records_read} records decoded and re-hashed), refused as CAR {car_errors}, refused as repository (commit, tree, blocks) {other_errors}; sync and async CAR readers agree on {agreed} ({cars_read} read whole), from_car and from_car_stream on {streamed}; no panic"
    );
    assert_eq!(agreed, ran);
    assert!(
        inputs < 1000
            || (car_errors > inputs / 20
                && other_errors > inputs / 20
                && ok > inputs / 100
                && ok < inputs / 2
                && records_read > ok
                && cars_read > car_errors / 10
                && streamed >= ran / 10),
        "the mutations should reach the CAR reader, the tree walk and success"
    );
}

mod events {
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.example.fuzz.events",
        "defs": {
            "main": {
                "type": "subscription",
                "parameters": { "type": "params", "properties": { "cursor": { "type": "integer" } } },
                "message": { "schema": { "type": "union", "refs": ["#commit", "#note"] } },
                "errors": [{ "name": "FutureCursor" }]
            },
            "commit": {
                "type": "object",
                "required": ["seq", "repo", "blocks", "ops"],
                "properties": {
                    "seq": { "type": "integer" },
                    "repo": { "type": "string", "format": "did" },
                    "blocks": { "type": "bytes", "maxLength": 2000000 },
                    "ops": { "type": "array", "items": { "type": "ref", "ref": "#op" }, "maxLength": 200 }
                }
            },
            "op": {
                "type": "object",
                "required": ["action", "path"],
                "nullable": ["cid"],
                "properties": {
                    "action": { "type": "string", "knownValues": ["create", "update", "delete"] },
                    "path": { "type": "string" },
                    "cid": { "type": "cid-link" }
                }
            },
            "note": { "type": "object", "required": ["seq"], "properties": { "seq": { "type": "integer" }, "text": { "type": "string" } } }
        }
    });
}

#[test]
fn the_frame_decoder_never_panics() {
    use events::com::example::fuzz::events as ev;
    let (seed, inputs) = settings();
    let mut rng = Rng(seed ^ 0xf4a3e);
    // Seeds: commits whose blocks hold records of the fuzz lexicon, notes, unknown message
    // types and error frames.
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for i in 0..60i64 {
        let mut ops = Vec::new();
        let mut blocks = Vec::new();
        for k in 0..rng.below(4) {
            let record: thing::Record = serde_json::from_value(thing_json(&mut rng)).unwrap();
            let bytes = cbor::to_vec(&record).unwrap();
            let cid = cbor::cid_of(cbor::DAG_CBOR, &bytes);
            let action = ["create", "update", "delete"][rng.below(3)];
            let mut op = ev::Op::new(action.into(), format!("com.example.fuzz.thing/k{i}x{k}"));
            op.cid = if action == "delete" {
                Some(None)
            } else {
                Some(Some(cid.clone()))
            };
            ops.push(op);
            blocks.push(car::Block {
                cid,
                data: bytes.into(),
            });
        }
        let root = blocks
            .first()
            .map(|b| b.cid.clone())
            .unwrap_or_else(|| cbor::cid_of(cbor::DAG_CBOR, b"x"));
        let car = car::write(std::slice::from_ref(&root), &blocks);
        let commit = ev::Commit::new(
            i,
            "did:plc:abcdefghijklmnopqrstuvwx".parse().unwrap(),
            car.into(),
            ops,
        );
        seeds.push(
            atlex::stream::encode_frame::<ev::Method>(&ev::Message::Commit(Box::new(commit)))
                .unwrap(),
        );
        let note = ev::Note {
            text: Some("hé 🦀".into()),
            ..ev::Note::new(i)
        };
        seeds.push(
            atlex::stream::encode_frame::<ev::Method>(&ev::Message::Note(Box::new(note))).unwrap(),
        );
    }
    let unknown: Unknown = serde_json::from_value(
        serde_json::json!({"$type": "com.example.fuzz.events#other", "seq": 1}),
    )
    .unwrap();
    seeds.push(atlex::stream::encode_frame::<ev::Method>(&ev::Message::Unknown(unknown)).unwrap());
    // Error frames: written by atlex, and one by hand with a field the reader ignores
    // (header {op: -1}, body {error: "Foo", extra: 1, message: "hi"}).
    let error_frames = [
        ("FutureCursor", Some("too far")),
        ("Other", None),
        ("ConsumerTooSlow", Some("le flux est trop lent ✨")),
    ];
    for (name, message) in error_frames {
        seeds.push(atlex::stream::encode_error_frame(name, message));
    }
    seeds.push(vec![
        0xa1, 0x62, b'o', b'p', 0x20, 0xa3, 0x65, b'e', b'r', b'r', b'o', b'r', 0x63, b'F', b'o',
        b'o', 0x65, b'e', b'x', b't', b'r', b'a', 0x01, 0x67, b'm', b'e', b's', b's', b'a', b'g',
        b'e', 0x62, b'h', b'i',
    ]);
    let expected: Vec<_> = error_frames
        .into_iter()
        .chain([("Foo", Some("hi"))])
        .collect();
    // Every seed decodes as what it is: a message, or an error frame with its name and message.
    let first_error = seeds.len() - expected.len();
    for (i, s) in seeds.iter().enumerate() {
        let r = atlex::stream::decode_frame::<ev::Method>(&bytes::Bytes::from(s.clone()));
        match r {
            Ok(Some(_)) if i < first_error => {}
            Err(atlex::Error::Xrpc(e)) if i >= first_error => assert_eq!(
                (e.name.as_str(), e.message.as_deref()),
                expected[i - first_error]
            ),
            other => panic!("seed {i}: {other:?}"),
        }
    }
    let (mut messages, mut commits, mut ops_read, mut error_frames, mut skipped, mut refused) =
        (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let mut records_read = 0usize;
    for i in 0..inputs {
        let input = mutate(&mut rng, &seeds[i % seeds.len()]);
        let frame = bytes::Bytes::from(input.clone());
        let result = no_panic("decode_frame", &input, || {
            atlex::stream::decode_frame::<ev::Method>(&frame)
        });
        match result {
            Ok(Some(f)) => {
                messages += 1;
                if let Some(c) = &f.commit {
                    commits += 1;
                    let ops = no_panic("record_ops", &input, || {
                        atlex::stream::record_ops::<AnyRecord>(c)
                    });
                    // One item per op, in order, whatever the op's path.
                    assert_eq!(ops.len(), c.ops.len(), "input {}", hex(&input));
                    for (item, (action, path, _)) in ops.iter().zip(&c.ops) {
                        match item {
                            Ok(op) => {
                                assert_eq!(
                                    (op.action.as_str(), format!("{}/{}", op.collection, op.rkey)),
                                    (action.as_str(), path.clone())
                                );
                                // A record that decodes came from the block of its CID, and
                                // writes those bytes back.
                                if let (Some(cid), Some(Ok(record))) = (&op.cid, &op.record) {
                                    let again = match record {
                                        AnyRecord::ComExampleFuzzThing(t) => cbor::cid(&**t),
                                        AnyRecord::Unknown(u) => cbor::cid(u),
                                    };
                                    assert_eq!(&again.unwrap(), cid, "{}", hex(&input));
                                    records_read += 1;
                                }
                            }
                            Err(e) => assert!(e.to_string().contains(path.as_str()), "{e}"),
                        }
                    }
                    ops_read += ops.len();
                }
            }
            // An op the stream skips: neither 1 nor -1.
            Ok(None) => skipped += 1,
            Err(atlex::Error::Xrpc(_)) => error_frames += 1,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                refused += 1;
            }
        }
    }
    println!(
        "frame decoder: {inputs} inputs (seed {seed:#x}); messages {messages} (commits {commits}, {ops_read} ops read, one item per op, {records_read} records decoded and re-hashed), error frames {error_frames}, skipped ops {skipped}, refused {refused}; no panic"
    );
    assert_eq!(messages + error_frames + skipped + refused, inputs);
    assert!(
        inputs < 1000
            || (messages > inputs / 100
                && messages < inputs / 2
                && commits > inputs / 200
                && ops_read > commits / 2
                && records_read > ops_read / 4
                && error_frames > inputs / 1000
                && skipped > 0
                && refused > inputs / 4),
        "the mutations reach every outcome"
    );
}
