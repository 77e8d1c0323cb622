//! The firehose decode with atrium-api, atrium-repo and serde_ipld_dagcbor (see the crate
//! docs), on the frames atlex's benchmark wrote (`$ATLEX_BENCH_FIREHOSE`, with
//! `frames.jsonl` beside it): (A) [`decode_commit`] alone, (B) [`decode_commit`] then
//! [`commit_records`] (the example's way, through the tree), (C) [`decode_commit`] then
//! [`commit_records_by_cid`]. One iteration decodes every frame, on a current-thread Tokio
//! runtime (`block_on` once per iteration), so criterion's throughput is in frames per second.
//!
//! Before timing it checks that every frame decodes with the seq, repo, commit, rev, since,
//! time and ops it was made with, and that both ways give each record back equal to the
//! record it was made from (as JSON).

use atlex_bench_atrium::{commit_records, commit_records_by_cid, decode_commit, Record};
use criterion::{Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

fn record_json(r: &Record) -> serde_json::Value {
    let (nsid, mut v) = match r {
        Record::Post(p) => ("app.bsky.feed.post", serde_json::to_value(p)),
        Record::Like(l) => ("app.bsky.feed.like", serde_json::to_value(l)),
        Record::Follow(f) => ("app.bsky.graph.follow", serde_json::to_value(f)),
    };
    let v = v.as_mut().expect("a record writes as JSON");
    // atrium-api's record types do not write their own `$type`.
    if let Some(map) = v.as_object_mut() {
        map.entry("$type").or_insert_with(|| nsid.into());
    }
    v.clone()
}

fn main() {
    let Some(path) = std::env::var_os("ATLEX_BENCH_FIREHOSE") else {
        eprintln!("set ATLEX_BENCH_FIREHOSE to the frames file that `cargo bench -p atlex-bench --bench firehose` writes (benches/validate/run_firehose.sh does)");
        std::process::exit(2);
    };
    let path = std::path::PathBuf::from(path);
    let file = std::fs::read(&path).expect("read the frames");
    let frames = atlex_bench_atrium::read_frames(&file).expect("a frames file");
    let expected: Vec<serde_json::Value> = std::fs::read_to_string(path.with_extension("jsonl"))
        .expect("read frames.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(frames.len(), expected.len(), "frames and frames.jsonl");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");

    // Every frame must decode, with every record, or the timings would measure early exits.
    let mut ops = 0;
    for (i, (frame, want)) in frames.iter().zip(&expected).enumerate() {
        let commit = decode_commit(frame).unwrap_or_else(|e| panic!("frame {i}: {e}"));
        assert_eq!(commit.seq, want["seq"], "frame {i}: seq");
        assert_eq!(commit.repo.as_str(), want["repo"], "frame {i}: repo");
        assert_eq!(
            commit.commit.0.to_string(),
            want["commit"],
            "frame {i}: commit"
        );
        assert_eq!(commit.rev.as_str(), want["rev"], "frame {i}: rev");
        assert_eq!(
            commit.since.as_ref().map(|s| s.as_str()),
            want["since"].as_str(),
            "frame {i}: since"
        );
        assert_eq!(commit.time.as_str(), want["time"], "frame {i}: time");
        let want_ops = want["ops"].as_array().expect("ops");
        assert_eq!(commit.ops.len(), want_ops.len(), "frame {i}: ops");
        for (op, w) in commit.ops.iter().zip(want_ops) {
            assert_eq!(op.action, w["action"]);
            assert_eq!(op.path, w["path"]);
            assert_eq!(
                op.cid.as_ref().map(|c| c.0.to_string()),
                w["cid"].as_str().map(str::to_owned)
            );
        }
        for records in [
            rt.block_on(commit_records(&commit)),
            rt.block_on(commit_records_by_cid(&commit)),
        ] {
            let records = records.unwrap_or_else(|e| panic!("frame {i}: records: {e}"));
            assert_eq!(records.len(), want_ops.len());
            for ((path, record), w) in records.iter().zip(want_ops) {
                assert_eq!(path, &w["path"]);
                let record = record
                    .as_ref()
                    .unwrap_or_else(|| panic!("frame {i} {path}: no record"));
                assert_eq!(
                    record_json(record),
                    w["record"],
                    "frame {i} {path}: the record"
                );
            }
        }
        ops += want_ops.len();
    }
    eprintln!(
        "atrium: all {} frames decode ({ops} records, through the tree and by CID); messages and records equal those they were made from",
        frames.len()
    );

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(8))
        .sample_size(60)
        .configure_from_args();
    let mut group = c.benchmark_group("firehose_atrium");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function("a_frame", |b| {
        b.iter(|| {
            for f in &frames {
                black_box(decode_commit(black_box(f)).expect("decodes"));
            }
        })
    });
    group.bench_function("b_records_tree", |b| {
        b.iter(|| {
            rt.block_on(async {
                for f in &frames {
                    let commit = decode_commit(black_box(f)).expect("decodes");
                    let records = commit_records(&commit).await.expect("records");
                    black_box((commit, records));
                }
            })
        })
    });
    group.bench_function("c_records_by_cid", |b| {
        b.iter(|| {
            rt.block_on(async {
                for f in &frames {
                    let commit = decode_commit(black_box(f)).expect("decodes");
                    let records = commit_records_by_cid(&commit).await.expect("records");
                    black_box((commit, records));
                }
            })
        })
    });
    group.finish();
    c.final_summary();
}
