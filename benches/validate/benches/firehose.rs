//! Event-stream (firehose) decoding throughput: realistic `com.atproto.sync.subscribeRepos`
//! `#commit` frames, generated from the plan of `atlex_bench::firehose` (see there), decoded
//! by atlex: (a) `atlex::stream::decode_frame` (the header and the body into the generated
//! `Message` union, validated), (b) (a), then `atlex::stream::record_ops::<AnyRecord>` (the
//! CAR read, every block's hash checked, and each op's record decoded into its generated type
//! and validated: the headline); and, for context, (c) `record_ops` alone on frames decoded
//! beforehand and (d) the CAR read alone (`atlex::car::CarReader`, hashes checked). One
//! iteration decodes every frame, so criterion's throughput is in frames per second.
//!
//! Each frame is made as a PDS makes it: the records encoded with atlex; the repository's
//! Merkle Search Tree rebuilt with `atlex::repo::build_tree` over its keys; the `blocks` CAR
//! (root: the commit) holding the signed commit object (`did`, `version` 3, `data`, `rev`,
//! `prev` null, a 64-byte `sig`), the tree nodes that are new since the repository's previous
//! commit (the diff: the path from the root to each new key, and any node split on the way),
//! and the new records; the body with every property `#commit` requires (`seq`, `rebase`
//! false, `tooBig` false, `repo`, `commit`, `rev`, `since`, `blocks`, `ops`, `blobs` empty,
//! `time`) and `prevData`; written with `atlex::stream::encode_frame`.
//!
//! Before timing it checks every frame: it decodes to the message it was made from, with its
//! `seq`; its CAR's root is the commit, which decodes as a repository commit of the tree's
//! root; each new key is found by walking the tree from the root through the CAR's nodes, with
//! its record's CID; and `record_ops` gives each op with its record decoded, validated and
//! equal to the record it was made from.
//!
//! Writes, for `node_firehose_bench.mjs` and the atrium-api benchmark
//! (`benches/firehose-atrium`), to `$ATLEX_BENCH_FIREHOSE` (default
//! `target/atlex-bench/firehose/frames.bin`) the frames as one file, each preceded by its
//! length as an unsigned LEB128 varint (`atlex_bench::write_blocks`), and beside it
//! `frames.jsonl`: one line a frame with what it carries (`seq`, `repo`, `commit`, `rev`,
//! `since`, `time`, and each op's `action`, `path`, `cid` and `record` as JSON), for the other
//! sides' checks. Run everything with `./run_firehose.sh`. Needs ATLEX_LEXICONS_DIR (the
//! official lexicons) at build time.

#[cfg(atlex_official)]
mod lexicons {
    atlex::lexicon! {
        path = "${ATLEX_LEXICONS_DIR}",
        include = [
            "com.atproto.sync.subscribeRepos",
            "app.bsky.feed.post",
            "app.bsky.feed.like",
            "app.bsky.graph.follow",
        ],
    }
}

#[cfg(not(atlex_official))]
fn main() {
    eprintln!(
        "atlex-bench: ATLEX_LEXICONS_DIR was not set when this benchmark was built; set it to the official lexicons folder (e.g. ATLEX_LEXICONS_DIR=$PWD/../shared/lexicons) and run benches/validate/run_firehose.sh or `cargo bench -p atlex-bench --bench firehose` again"
    );
    std::process::exit(2);
}

#[cfg(atlex_official)]
fn main() {
    bench::main();
}

#[cfg(atlex_official)]
mod bench {
    use super::lexicons::app::bsky::{feed::like, feed::post, graph::follow};
    use super::lexicons::com::atproto::sync::subscribe_repos::{self, Message};
    use super::lexicons::AnyRecord;
    use atlex::car::{self, Block, CarReader};
    use atlex::cbor;
    use atlex::repo::{build_tree, Commit as RepoCommit};
    use atlex::stream::{decode_frame, encode_frame, record_ops};
    use atlex::types::{CidLink, Data, DataMap};
    use atlex::Validate;
    use atlex_bench::firehose::{self, Plan};
    use bytes::Bytes;
    use criterion::{Criterion, Throughput};
    use std::collections::{HashMap, HashSet};
    use std::hint::black_box;
    use std::path::PathBuf;
    use std::time::Duration;

    /// Frames in the corpus.
    const FRAMES: usize = 1_000;

    fn corpus_path() -> PathBuf {
        if let Some(p) = std::env::var_os("ATLEX_BENCH_FIREHOSE") {
            return PathBuf::from(p);
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../..")
                    .join("target")
            });
        target
            .join("atlex-bench")
            .join("firehose")
            .join("frames.bin")
    }

    /// A repository's state while the frames are made: its tree's entries, root and nodes.
    struct RepoState {
        entries: Vec<(Vec<u8>, CidLink)>,
        root: CidLink,
        /// The CIDs of its nodes, as text.
        nodes: HashSet<String>,
    }

    /// One frame and what it was made from.
    struct Made {
        frame: Vec<u8>,
        message: Message,
        seq: i64,
        commit_cid: CidLink,
        root: CidLink,
        /// `(path, cid, record, JSON text)` of each created record.
        creates: Vec<(String, CidLink, AnyRecord, String)>,
    }

    /// A record's JSON text in its generated type (validated), as `AnyRecord`, and its block.
    fn record(collection: &str, json: &str) -> (AnyRecord, Vec<u8>) {
        fn typed<R: serde::de::DeserializeOwned + serde::Serialize + Validate>(
            json: &str,
        ) -> (R, Vec<u8>) {
            let r: R = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("record does not read: {e}\n{json}"));
            r.validate()
                .unwrap_or_else(|e| panic!("record is invalid: {e}\n{json}"));
            let bytes = cbor::to_vec(&r).expect("a record encodes");
            (r, bytes)
        }
        match collection {
            "app.bsky.feed.post" => {
                let (r, b) = typed::<post::Record>(json);
                (AnyRecord::AppBskyFeedPost(Box::new(r)), b)
            }
            "app.bsky.feed.like" => {
                let (r, b) = typed::<like::Record>(json);
                (AnyRecord::AppBskyFeedLike(Box::new(r)), b)
            }
            "app.bsky.graph.follow" => {
                let (r, b) = typed::<follow::Record>(json);
                (AnyRecord::AppBskyGraphFollow(Box::new(r)), b)
            }
            other => panic!("no record type for {other}"),
        }
    }

    /// The CID of a key's value: a placeholder for the records a repository held before the
    /// stream (their blocks are in no frame).
    fn old_value(key: &str) -> CidLink {
        cbor::cid_of(cbor::DAG_CBOR, key.as_bytes())
    }

    fn make_frames(plan: &Plan) -> Vec<Made> {
        let mut repos: HashMap<usize, RepoState> = HashMap::new();
        let mut out = Vec::with_capacity(plan.events.len());
        for event in &plan.events {
            let repo = &plan.repos[event.repo];
            let state = repos.entry(event.repo).or_insert_with(|| {
                let entries: Vec<(Vec<u8>, CidLink)> = repo
                    .keys
                    .iter()
                    .map(|k| (k.clone().into_bytes(), old_value(k)))
                    .collect();
                let (root, nodes) = build_tree(entries.clone()).expect("a tree");
                RepoState {
                    entries,
                    root,
                    nodes: nodes.into_iter().map(|b| b.cid.to_string()).collect(),
                }
            });
            let mut record_blocks = Vec::new();
            let mut creates = Vec::new();
            let mut ops = Vec::new();
            for c in &event.creates {
                let (typed, bytes) = record(c.collection, &c.record);
                let cid = cbor::cid_of(cbor::DAG_CBOR, &bytes);
                let path = format!("{}/{}", c.collection, c.rkey);
                state.entries.push((path.clone().into_bytes(), cid.clone()));
                ops.push(subscribe_repos::RepoOp::new(
                    "create".into(),
                    path.clone(),
                    Some(cid.clone()),
                ));
                record_blocks.push(Block {
                    cid: cid.clone(),
                    data: bytes.into(),
                });
                creates.push((path, cid, typed, c.record.clone()));
            }
            let (root, nodes) = build_tree(state.entries.clone()).expect("a tree");
            // The nodes new since the previous commit, root first (build_tree writes it last).
            let diff: Vec<Block> = nodes
                .iter()
                .rev()
                .filter(|b| !state.nodes.contains(b.cid.as_str()))
                .cloned()
                .collect();
            let prev_data = std::mem::replace(&mut state.root, root.clone());
            state.nodes = nodes.into_iter().map(|b| b.cid.to_string()).collect();

            let mut commit = DataMap::new();
            commit.insert("did".into(), Data::String(repo.did.clone()));
            commit.insert("version".into(), Data::Integer(3));
            commit.insert("data".into(), Data::Link(root.clone()));
            commit.insert("rev".into(), Data::String(event.rev.clone()));
            commit.insert("prev".into(), Data::Null);
            commit.insert("sig".into(), Data::Bytes(event.sig.clone().into()));
            let commit_bytes = cbor::to_vec(&Data::Object(commit)).expect("a commit encodes");
            let commit_cid = cbor::cid_of(cbor::DAG_CBOR, &commit_bytes);
            let mut blocks = vec![Block {
                cid: commit_cid.clone(),
                data: commit_bytes.into(),
            }];
            blocks.extend(diff);
            blocks.extend(record_blocks);
            let car = car::write(std::slice::from_ref(&commit_cid), &blocks);

            let mut body = subscribe_repos::Commit::new(
                event.seq,
                false,
                false,
                repo.did.parse().expect("a DID"),
                commit_cid.clone(),
                event.rev.parse().expect("a TID"),
                Some(event.since.parse().expect("a TID")),
                car.into(),
                ops,
                Vec::new(),
                event.time.parse().expect("a datetime"),
            );
            body.prev_data = Some(prev_data);
            body.validate().expect("the message is valid");
            let message = Message::Commit(Box::new(body));
            let frame = encode_frame::<subscribe_repos::Method>(&message).expect("a frame");
            out.push(Made {
                frame,
                message,
                seq: event.seq,
                commit_cid,
                root,
                creates,
            });
        }
        out
    }

    /// A tree node, to find keys on their path.
    #[derive(serde::Deserialize)]
    struct Node {
        l: Option<CidLink>,
        e: Vec<NodeEntry>,
    }

    #[derive(serde::Deserialize)]
    struct NodeEntry {
        p: usize,
        k: atlex::types::Bytes,
        v: CidLink,
        t: Option<CidLink>,
    }

    /// The value of `key` found by walking from `root` through `blocks` (only the nodes on its
    /// path are needed); `None` if a node on the path is missing or the key is not there.
    fn find(root: &CidLink, blocks: &HashMap<String, Bytes>, key: &[u8]) -> Option<CidLink> {
        let mut at = root.clone();
        loop {
            let node: Node = cbor::decode(blocks.get(at.as_str())?).ok()?;
            let mut prev: Vec<u8> = Vec::new();
            let mut next = node.l.clone();
            for e in &node.e {
                let mut k = prev[..e.p].to_vec();
                k.extend_from_slice(e.k.as_ref());
                match k.as_slice().cmp(key) {
                    std::cmp::Ordering::Equal => return Some(e.v.clone()),
                    std::cmp::Ordering::Less => next = e.t.clone(),
                    std::cmp::Ordering::Greater => break,
                }
                prev = k;
            }
            at = next?;
        }
    }

    fn check(made: &[Made]) {
        for (i, m) in made.iter().enumerate() {
            let bytes = Bytes::from(m.frame.clone());
            let frame = decode_frame::<subscribe_repos::Method>(&bytes)
                .unwrap_or_else(|e| panic!("frame {i} does not decode: {e}"))
                .expect("a message frame");
            assert_eq!(frame.message, m.message, "frame {i}: the message");
            assert_eq!(frame.seq, Some(m.seq), "frame {i}: seq");
            let raw = frame.commit.expect("a commit's blocks and ops");
            let car = CarReader::new(raw.blocks.clone().into_inner())
                .unwrap_or_else(|e| panic!("frame {i}: the CAR: {e}"));
            assert_eq!(
                car.roots(),
                std::slice::from_ref(&m.commit_cid),
                "frame {i}"
            );
            let blocks: HashMap<String, Bytes> = car
                .map(|b| b.map(|b| (b.cid.to_string(), b.data)))
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("frame {i}: a block: {e}"));
            let commit: RepoCommit =
                cbor::decode(&blocks[m.commit_cid.as_str()]).expect("the commit decodes");
            let Message::Commit(body) = &m.message else {
                unreachable!()
            };
            assert_eq!(commit.did, body.repo, "frame {i}: the commit's did");
            assert_eq!(commit.version, 3);
            assert_eq!(commit.data, m.root, "frame {i}: the commit's tree");
            assert_eq!(commit.rev, body.rev.as_str(), "frame {i}: the commit's rev");
            assert_eq!(commit.sig.as_ref().len(), 64);
            let ops = record_ops::<AnyRecord>(&raw);
            assert_eq!(ops.len(), m.creates.len(), "frame {i}: ops");
            for (op, (path, cid, typed, json)) in ops.iter().zip(&m.creates) {
                let op = op
                    .as_ref()
                    .unwrap_or_else(|e| panic!("frame {i} {path}: {e}"));
                assert_eq!(op.action, atlex::stream::Action::Create);
                assert_eq!(&format!("{}/{}", op.collection, op.rkey), path);
                assert_eq!(op.cid.as_ref(), Some(cid), "frame {i} {path}: the op's CID");
                let record = op
                    .record
                    .as_ref()
                    .expect("a record")
                    .as_ref()
                    .unwrap_or_else(|e| panic!("frame {i} {path}: {e}\n{json}"));
                assert_eq!(record, typed, "frame {i} {path}: the record");
                assert_eq!(
                    find(&m.root, &blocks, path.as_bytes()).as_ref(),
                    Some(cid),
                    "frame {i} {path}: the key is on a path of the CAR's tree nodes"
                );
            }
        }
    }

    /// One line of `frames.jsonl`: what the frame carries, for the other sides' checks.
    fn summary(m: &Made) -> String {
        let Message::Commit(c) = &m.message else {
            unreachable!()
        };
        let ops: Vec<serde_json::Value> = m
            .creates
            .iter()
            .map(|(path, cid, _, json)| {
                serde_json::json!({
                    "action": "create",
                    "path": path,
                    "cid": cid.as_str(),
                    "record": serde_json::from_str::<serde_json::Value>(json).expect("JSON"),
                })
            })
            .collect();
        serde_json::json!({
            "seq": m.seq,
            "repo": c.repo.as_str(),
            "commit": m.commit_cid.as_str(),
            "rev": c.rev.as_str(),
            "since": c.since.as_ref().map(|s| s.as_str()),
            "time": c.time.as_str(),
            "ops": ops,
        })
        .to_string()
    }

    pub fn main() {
        assert_eq!(
            firehose::datetime(firehose::START_MICROS),
            "2026-11-30T12:00:00.000Z"
        );
        let plan = firehose::plan(FRAMES, firehose::SEED);
        let made = make_frames(&plan);
        assert!(
            made.iter()
                .map(|m| &m.frame)
                .eq(make_frames(&firehose::plan(FRAMES, firehose::SEED))
                    .iter()
                    .map(|m| &m.frame)),
            "the frames are deterministic"
        );
        // Every frame must decode, with its records, or the timings would measure early exits.
        check(&made);

        let path = corpus_path();
        std::fs::create_dir_all(path.parent().expect("a file path"))
            .expect("create the corpus folder");
        let raw: Vec<&[u8]> = made.iter().map(|m| m.frame.as_slice()).collect();
        let file = atlex_bench::write_blocks(&raw);
        assert_eq!(
            atlex_bench::read_blocks(&file).expect("frames read back"),
            raw,
            "the frames file reads back"
        );
        std::fs::write(&path, &file).expect("write the frames");
        let mut lines: String = made.iter().map(summary).collect::<Vec<_>>().join("\n");
        lines.push('\n');
        std::fs::write(path.with_extension("jsonl"), lines).expect("write frames.jsonl");

        let frames: Vec<Bytes> = made.iter().map(|m| Bytes::from(m.frame.clone())).collect();
        let total: usize = frames.iter().map(Bytes::len).sum();
        let ops: usize = made.iter().map(|m| m.creates.len()).sum();
        let count = |c: &str| {
            made.iter()
                .flat_map(|m| &m.creates)
                .filter(|(p, ..)| p.starts_with(c))
                .count()
        };
        let decoded: Vec<atlex::xrpc::RawCommit> = frames
            .iter()
            .map(|f| {
                decode_frame::<subscribe_repos::Method>(f)
                    .expect("decodes")
                    .expect("a message frame")
                    .commit
                    .expect("a commit")
            })
            .collect();
        let car_bytes: usize = decoded.iter().map(|c| c.blocks.as_ref().len()).sum();
        let blocks: usize = decoded
            .iter()
            .map(|c| {
                CarReader::new(c.blocks.clone().into_inner())
                    .expect("a CAR")
                    .count()
            })
            .sum();
        let nodes = blocks - ops - frames.len();
        eprintln!(
            "corpus: {} #commit frames over {} repositories ({} to {} records each before the stream), {} bytes (mean {}, largest {}; CARs {} bytes, mean {}); {} ops, all creates ({} posts, {} likes, {} follows; {} frames with 1 op, {} with 2, {} with 3); {} blocks: {} commits, {} tree nodes (mean {:.2} a frame), {} records; written to {} ({} bytes with the length prefixes)",
            frames.len(),
            plan.repos.len(),
            plan.repos.iter().map(|r| r.keys.len()).min().unwrap_or(0),
            plan.repos.iter().map(|r| r.keys.len()).max().unwrap_or(0),
            total,
            total / frames.len(),
            frames.iter().map(Bytes::len).max().unwrap_or(0),
            car_bytes,
            car_bytes / frames.len(),
            ops,
            count("app.bsky.feed.post/"),
            count("app.bsky.feed.like/"),
            count("app.bsky.graph.follow/"),
            made.iter().filter(|m| m.creates.len() == 1).count(),
            made.iter().filter(|m| m.creates.len() == 2).count(),
            made.iter().filter(|m| m.creates.len() == 3).count(),
            blocks,
            frames.len(),
            nodes,
            nodes as f64 / frames.len() as f64,
            ops,
            path.display(),
            file.len()
        );
        drop(made);

        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(3))
            .measurement_time(Duration::from_secs(8))
            .sample_size(60)
            .configure_from_args();
        let mut group = c.benchmark_group("firehose");
        group.throughput(Throughput::Elements(frames.len() as u64));
        group.bench_function("a_decode_frame", |b| {
            b.iter(|| {
                for f in &frames {
                    let frame = decode_frame::<subscribe_repos::Method>(black_box(f))
                        .expect("decodes")
                        .expect("a message frame");
                    black_box(frame);
                }
            })
        });
        group.bench_function("b_frame_and_records", |b| {
            b.iter(|| {
                for f in &frames {
                    let frame = decode_frame::<subscribe_repos::Method>(black_box(f))
                        .expect("decodes")
                        .expect("a message frame");
                    let ops = record_ops::<AnyRecord>(frame.commit.as_ref().expect("a commit"));
                    black_box((frame, ops));
                }
            })
        });
        // Context: the records alone (CAR read, hashes checked, records decoded and
        // validated) of frames decoded beforehand, and the CAR read alone.
        group.bench_function("c_record_ops", |b| {
            b.iter(|| {
                for commit in &decoded {
                    black_box(record_ops::<AnyRecord>(black_box(commit)));
                }
            })
        });
        group.bench_function("d_car", |b| {
            b.iter(|| {
                for commit in &decoded {
                    let car = CarReader::new(black_box(commit).blocks.clone().into_inner())
                        .expect("a CAR");
                    for block in car {
                        black_box(block.expect("a block"));
                    }
                }
            })
        });
        group.finish();
        c.final_summary();
    }
}
