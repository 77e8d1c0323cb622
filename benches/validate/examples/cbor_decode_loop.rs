//! A fixed amount of DAG-CBOR decoding, for instruction counts (`valgrind --tool=callgrind`):
//! reads the corpus that `cargo bench --bench cbor` writes and decodes and validates every
//! record `ATLEX_LOOPS` times (default 5).

#[cfg(atlex_official)]
mod lexicons {
    atlex::lexicon! {
        path = "${ATLEX_LEXICONS_DIR}",
        include = ["app.bsky.feed.post"],
    }
}

#[cfg(not(atlex_official))]
fn main() {
    eprintln!("set ATLEX_LEXICONS_DIR when building this example");
}

#[cfg(atlex_official)]
fn main() {
    use lexicons::app::bsky::feed::post;
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/atlex-bench/cbor/posts.cbor".into());
    let data = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("read {path}: {e} (run the cbor bench first)"));
    let blocks = atlex_bench::read_blocks(&data).expect("a file of length-prefixed blocks");
    let loops: usize = std::env::var("ATLEX_LOOPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut n = 0;
    for _ in 0..loops {
        for b in &blocks {
            let r: post::Record = atlex::cbor::from_slice(b).expect("decodes");
            n += r.text.len();
        }
    }
    println!("{} records decoded ({n})", blocks.len() * loops);
}
