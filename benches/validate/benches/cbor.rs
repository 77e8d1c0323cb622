//! DAG-CBOR throughput of `app.bsky.feed.post`, over the corpus of the validation benchmark
//! (see the crate docs) encoded with atlex (JSON text -> `post::Record` ->
//! `atlex::cbor::to_vec`): (a) `atlex::cbor::decode::<post::Record>` (strict DAG-CBOR check,
//! then the generated types, string formats checked), (b) `atlex::cbor::from_slice` ((a), then
//! `validate()`), (c) `atlex::cbor::cid` of records decoded beforehand (encode + SHA-256);
//! and, for context, (d) `serde_ipld_dagcbor::from_slice::<Ipld>` (untyped, no checks beyond
//! the decoder's own), (e) `atlex::cbor::to_vec` alone and (f) `atlex::cbor::check` alone (the
//! strict DAG-CBOR pass that (a) makes before decoding). One iteration handles the whole
//! corpus, so criterion's throughput is in records per second.
//!
//! Before timing it checks that every record decodes and validates, that decoding and
//! encoding again gives the same bytes and the same record, that `cid` agrees with the CID of
//! the bytes, and that serde_ipld_dagcbor reads the bytes and writes them back unchanged.
//!
//! Writes, for `node_cbor_bench.mjs`, to `$ATLEX_BENCH_CBOR` (default
//! `target/atlex-bench/cbor/posts.cbor`) the records as one file of blocks, each preceded by
//! its length as an unsigned LEB128 varint (`atlex_bench::write_blocks`); beside it
//! `posts.cids` (each record's CID, one a line) and `posts.jsonl` (the JSON text the records
//! were made from, one a line). Run everything with `./run_cbor.sh`. Needs ATLEX_LEXICONS_DIR
//! (the official lexicons) at build time.

#[cfg(atlex_official)]
mod lexicons {
    atlex::lexicon! {
        path = "${ATLEX_LEXICONS_DIR}",
        include = ["app.bsky.feed.post"],
    }
}

#[cfg(not(atlex_official))]
fn main() {
    eprintln!(
        "atlex-bench: ATLEX_LEXICONS_DIR was not set when this benchmark was built; set it to the official lexicons folder (e.g. ATLEX_LEXICONS_DIR=$PWD/../shared/lexicons) and run benches/validate/run_cbor.sh or `cargo bench -p atlex-bench --bench cbor` again"
    );
    std::process::exit(2);
}

#[cfg(atlex_official)]
fn main() {
    bench::main();
}

#[cfg(atlex_official)]
mod bench {
    use super::lexicons::app::bsky::feed::post;
    use atlex::cbor;
    use atlex::Validate;
    use criterion::{Criterion, Throughput};
    use ipld_core::ipld::Ipld;
    use std::hint::black_box;
    use std::path::PathBuf;
    use std::time::Duration;

    /// Records in the corpus.
    const RECORDS: usize = 1_000;

    fn corpus_path() -> PathBuf {
        if let Some(p) = std::env::var_os("ATLEX_BENCH_CBOR") {
            return PathBuf::from(p);
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../..")
                    .join("target")
            });
        target.join("atlex-bench").join("cbor").join("posts.cbor")
    }

    pub fn main() {
        let json = atlex_bench::corpus(RECORDS, atlex_bench::SEED);
        // JSON text -> generated types -> DAG-CBOR.
        let posts: Vec<post::Record> = json
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let post: post::Record = serde_json::from_str(r)
                    .unwrap_or_else(|e| panic!("corpus record {i} does not read: {e}\n{r}"));
                post.validate()
                    .unwrap_or_else(|e| panic!("corpus record {i} is invalid: {e}\n{r}"));
                post
            })
            .collect();
        let records: Vec<Vec<u8>> = posts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                cbor::to_vec(p).unwrap_or_else(|e| panic!("record {i} does not encode: {e}"))
            })
            .collect();
        assert_eq!(
            records,
            atlex_bench::corpus(RECORDS, atlex_bench::SEED)
                .iter()
                .map(
                    |r| cbor::to_vec(&serde_json::from_str::<post::Record>(r).expect("reads"))
                        .expect("encodes")
                )
                .collect::<Vec<_>>(),
            "corpus and its encoding are deterministic"
        );

        // Every record must decode and validate, or (a) and (b) would measure early exits;
        // and the encoding must be the one a PDS would store.
        let mut cids = String::new();
        for (i, ((post, bytes), text)) in posts.iter().zip(&records).zip(&json).enumerate() {
            let json_value: serde_json::Value = serde_json::from_str(text).expect("JSON");
            assert_eq!(
                serde_json::to_value(post).expect("to JSON"),
                json_value,
                "record {i} reads from JSON and writes back unchanged"
            );
            cbor::check(bytes).unwrap_or_else(|e| panic!("record {i} is not DAG-CBOR: {e}"));
            let decoded: post::Record = cbor::decode(bytes)
                .unwrap_or_else(|e| panic!("record {i} does not decode: {e}\n{text}"));
            assert_eq!(&decoded, post, "record {i}: decode(to_vec(r)) == r");
            let validated: post::Record = cbor::from_slice(bytes)
                .unwrap_or_else(|e| panic!("record {i} is invalid from CBOR: {e}\n{text}"));
            assert_eq!(&validated, post, "record {i}: from_slice(to_vec(r)) == r");
            assert_eq!(
                &cbor::to_vec(&decoded).expect("encodes"),
                bytes,
                "record {i}: to_vec(decode(bytes)) == bytes"
            );
            let cid = cbor::cid(post).expect("a CID");
            assert_eq!(
                cid,
                cbor::cid_of(cbor::DAG_CBOR, bytes),
                "record {i}: cid(r) is the CID of to_vec(r)"
            );
            let ipld: Ipld = serde_ipld_dagcbor::from_slice(bytes)
                .unwrap_or_else(|e| panic!("record {i}: serde_ipld_dagcbor does not read it: {e}"));
            assert_eq!(
                &serde_ipld_dagcbor::to_vec(&ipld).expect("encodes"),
                bytes,
                "record {i}: serde_ipld_dagcbor writes the same bytes back"
            );
            cids.push_str(cid.as_str());
            cids.push('\n');
        }

        let path = corpus_path();
        std::fs::create_dir_all(path.parent().expect("a file path"))
            .expect("create the corpus folder");
        let file = atlex_bench::write_blocks(&records);
        assert_eq!(
            atlex_bench::read_blocks(&file).expect("blocks read back"),
            records.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            "the blocks file reads back"
        );
        std::fs::write(&path, &file).expect("write the corpus");
        std::fs::write(path.with_extension("cids"), cids).expect("write the CIDs");
        let mut text = json.join("\n");
        text.push('\n');
        std::fs::write(path.with_extension("jsonl"), text).expect("write the JSON corpus");
        let bytes: usize = records.iter().map(Vec::len).sum();
        let json_bytes: usize = json.iter().map(String::len).sum();
        let blobs: usize = json
            .iter()
            .map(|r| r.matches(r#""$type":"blob""#).count())
            .sum();
        eprintln!(
            "corpus: {} records, {} bytes of DAG-CBOR (mean {} bytes; {} bytes of JSON, mean {}), {} blobs (CID links), written to {} ({} bytes with the length prefixes)",
            records.len(),
            bytes,
            bytes / records.len(),
            json_bytes,
            json_bytes / records.len(),
            blobs,
            path.display(),
            file.len()
        );
        drop(posts);

        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(3))
            .measurement_time(Duration::from_secs(8))
            .sample_size(60)
            .configure_from_args();
        let mut group = c.benchmark_group("post_cbor");
        group.throughput(Throughput::Elements(records.len() as u64));
        group.bench_function("a_decode", |b| {
            b.iter(|| {
                for r in &records {
                    let post: post::Record = cbor::decode(black_box(r)).expect("decodes");
                    black_box(post);
                }
            })
        });
        group.bench_function("b_from_slice", |b| {
            b.iter(|| {
                for r in &records {
                    let post: post::Record = cbor::from_slice(black_box(r)).expect("valid");
                    black_box(post);
                }
            })
        });
        let decoded: Vec<post::Record> = records
            .iter()
            .map(|r| cbor::from_slice(r).expect("valid"))
            .collect();
        group.bench_function("c_cid", |b| {
            b.iter(|| {
                for post in &decoded {
                    black_box(cbor::cid(black_box(post)).expect("a CID"));
                }
            })
        });
        // Context, not part of the ratios: untyped decoding (no types, no format checks, no
        // strict check beyond the decoder's own), encoding alone, the strict check alone.
        group.bench_function("d_ipld", |b| {
            b.iter(|| {
                for r in &records {
                    let v: Ipld = serde_ipld_dagcbor::from_slice(black_box(r)).expect("decodes");
                    black_box(v);
                }
            })
        });
        group.bench_function("e_to_vec", |b| {
            b.iter(|| {
                for post in &decoded {
                    black_box(cbor::to_vec(black_box(post)).expect("encodes"));
                }
            })
        });
        group.bench_function("f_check", |b| {
            b.iter(|| {
                for r in &records {
                    cbor::check(black_box(r)).expect("DAG-CBOR");
                }
            })
        });
        group.finish();
        c.final_summary();
    }
}
