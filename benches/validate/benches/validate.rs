//! Validation throughput of `app.bsky.feed.post`, over a corpus of realistic records (see the
//! crate docs): (a) `serde_json::from_slice::<post::Record>` alone, (b) `from_slice` then
//! `validate()`; and, to see where the time goes, (c) `validate()` alone on records read
//! beforehand and (v) `serde_json::from_slice::<serde_json::Value>` (untyped parsing, no
//! format checks). One iteration handles the whole corpus, so criterion's throughput is in
//! records per second.
//!
//! Writes the corpus as JSON lines to `$ATLEX_BENCH_CORPUS` (default
//! `target/atlex-bench/posts.jsonl`) for `node_bench.mjs`. Run everything with `./run.sh`.
//! Needs ATLEX_LEXICONS_DIR (the official lexicons) at build time.

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
        "atlex-bench: ATLEX_LEXICONS_DIR was not set when this benchmark was built; set it to the official lexicons folder (e.g. ATLEX_LEXICONS_DIR=$PWD/../shared/lexicons) and run benches/validate/run.sh or `cargo bench -p atlex-bench` again"
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
    use atlex::Validate;
    use criterion::{Criterion, Throughput};
    use std::hint::black_box;
    use std::path::PathBuf;
    use std::time::Duration;

    /// Records in the corpus.
    const RECORDS: usize = 1_000;

    fn corpus_path() -> PathBuf {
        if let Some(p) = std::env::var_os("ATLEX_BENCH_CORPUS") {
            return PathBuf::from(p);
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../..")
                    .join("target")
            });
        target.join("atlex-bench").join("posts.jsonl")
    }

    pub fn main() {
        let records = atlex_bench::corpus(RECORDS, atlex_bench::SEED);
        assert_eq!(
            records,
            atlex_bench::corpus(RECORDS, atlex_bench::SEED),
            "corpus is deterministic"
        );
        // The corpus is as described in the crate docs and BENCHMARKS.md.
        let with = |needle: &str| records.iter().filter(|r| r.contains(needle)).count();
        assert!(
            with("\"app.bsky.embed.images\"") > RECORDS / 3,
            "images embeds"
        );
        assert!(with("\"reply\"") > RECORDS / 4, "replies");
        assert!(with("facet#mention") > RECORDS / 10, "mentions");
        assert!(with("\"langs\"") > RECORDS / 2, "langs");
        assert!(
            records.iter().filter(|r| !r.is_ascii()).count() > RECORDS / 2,
            "non-ASCII text"
        );
        // Every record must be valid, or (b) would measure early exits.
        for (i, r) in records.iter().enumerate() {
            let post: post::Record = serde_json::from_str(r)
                .unwrap_or_else(|e| panic!("corpus record {i} does not read: {e}\n{r}"));
            post.validate()
                .unwrap_or_else(|e| panic!("corpus record {i} is invalid: {e}\n{r}"));
        }
        let path = corpus_path();
        std::fs::create_dir_all(path.parent().expect("a file path"))
            .expect("create the corpus folder");
        let mut text = records.join("\n");
        text.push('\n');
        std::fs::write(&path, text).expect("write the corpus");
        let bytes: usize = records.iter().map(String::len).sum();
        eprintln!(
            "corpus: {} records, {} bytes of JSON (mean {} bytes), written to {}",
            records.len(),
            bytes,
            bytes / records.len(),
            path.display()
        );
        let records: Vec<Vec<u8>> = records.into_iter().map(String::into_bytes).collect();

        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(3))
            .measurement_time(Duration::from_secs(8))
            .sample_size(60)
            .configure_from_args();
        let mut group = c.benchmark_group("post");
        group.throughput(Throughput::Elements(records.len() as u64));
        group.bench_function("a_from_slice", |b| {
            b.iter(|| {
                for r in &records {
                    let post: post::Record = serde_json::from_slice(black_box(r)).expect("reads");
                    black_box(post);
                }
            })
        });
        group.bench_function("b_from_slice_validate", |b| {
            b.iter(|| {
                for r in &records {
                    let post: post::Record = serde_json::from_slice(black_box(r)).expect("reads");
                    black_box(post.validate()).expect("valid");
                    black_box(post);
                }
            })
        });
        // Context, not part of the ratios: JSON parsing alone into a generic
        // serde_json::Value (no types, no format checks), and validate() alone.
        group.bench_function("v_from_slice_value", |b| {
            b.iter(|| {
                for r in &records {
                    let v: serde_json::Value = serde_json::from_slice(black_box(r)).expect("reads");
                    black_box(v);
                }
            })
        });
        let parsed: Vec<post::Record> = records
            .iter()
            .map(|r| serde_json::from_slice(r).expect("reads"))
            .collect();
        group.bench_function("c_validate_only", |b| {
            b.iter(|| {
                for post in &parsed {
                    black_box(black_box(post).validate()).expect("valid");
                }
            })
        });
        group.finish();
        c.final_summary();
    }
}
