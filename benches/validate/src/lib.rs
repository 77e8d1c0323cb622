//! The corpus of the validation benchmark: realistic `app.bsky.feed.post` records, generated
//! deterministically from a seed.
//!
//! Each record has text with emoji (skin tones, ZWJ sequences, flags), accented and CJK
//! words, and facets (mentions, links, hashtags) whose byte slices point into the text; most
//! have `langs`; many have an images embed (one to four images with alt text, aspect ratio
//! and a blob) or another embed (external link card, quote, quote with media); some are
//! replies. All of them are valid: the benchmark checks that both validators accept every one.
//!
//! The benchmark itself is `benches/validate.rs` (criterion), and `run.sh` runs it next to
//! `node_bench.mjs`, which validates the same records with `@atproto/lexicon`.
//! `benches/cbor.rs` reads and validates the same records from DAG-CBOR, and `run_cbor.sh`
//! runs it next to `node_cbor_bench.mjs` (the `@atproto/*` packages a PDS uses); the records
//! go from one to the other as one file of length-prefixed blocks ([`write_blocks`]).
//! [`firehose`] plans the `#commit` events of the event-stream benchmark (`benches/firehose.rs`,
//! `run_firehose.sh`) from the same posts.
#![deny(missing_docs)]

pub mod firehose;

use serde_json::{json, Value};

/// The seed of [`corpus`] used by the benchmark.
pub const SEED: u64 = 0x706f_7374_7300_0001;

/// `n` post records as JSON text (one record per string, no newline), the same for the same
/// `n` and `seed`.
pub fn corpus(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| serde_json::to_string(&post(&mut rng)).expect("a JSON value serializes"))
        .collect()
}

/// Concatenates `blocks`, each preceded by its length in bytes as an unsigned LEB128 varint
/// (as blocks are framed in a CAR file, without the CIDs).
pub fn write_blocks<B: AsRef<[u8]>>(blocks: &[B]) -> Vec<u8> {
    let mut out = Vec::with_capacity(blocks.iter().map(|b| b.as_ref().len() + 3).sum());
    for block in blocks {
        let block = block.as_ref();
        let mut n = block.len() as u64;
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
        out.extend_from_slice(block);
    }
    out
}

/// The blocks of a file written by [`write_blocks`], or `None` if it is cut short or a
/// length is not a minimal varint.
pub fn read_blocks(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut blocks = Vec::new();
    while !bytes.is_empty() {
        let mut len = 0u64;
        let mut shift = 0;
        loop {
            let (&byte, rest) = bytes.split_first()?;
            bytes = rest;
            if shift > 56 || (byte == 0 && shift > 0) {
                return None;
            }
            len |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let len = usize::try_from(len).ok()?;
        if len > bytes.len() {
            return None;
        }
        let (block, rest) = bytes.split_at(len);
        blocks.push(block);
        bytes = rest;
    }
    Some(blocks)
}

/// SplitMix64: small, fast, and the same everywhere.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Inclusive.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    pub(crate) fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const WORDS: &[&str] = &[
    "the",
    "a",
    "just",
    "shipped",
    "new",
    "release",
    "today",
    "love",
    "this",
    "thread",
    "about",
    "rust",
    "protocol",
    "coffee",
    "morning",
    "sunset",
    "photo",
    "from",
    "my",
    "walk",
    "café",
    "naïve",
    "résumé",
    "über",
    "日本語",
    "こんにちは",
    "안녕하세요",
    "привет",
    "مرحبا",
    "olá",
    "what",
    "do",
    "you",
    "think",
    "?",
    "!",
    "lol",
    "so",
    "good",
    "weekend",
    "plans",
    "reading",
];
const EMOJI: &[&str] = &[
    "😀",
    "🎉",
    "❤️",
    "👋🏽",
    "👍🏻",
    "🔥",
    "🦀",
    "🌅",
    "📸",
    "✨",
    "🇧🇷",
    "🇯🇵",
    "🏳️‍🌈",
    "👩‍💻",
    "👨‍👩‍👧‍👦",
    "🧑🏾‍🚀",
    "☕",
    "🙏",
    "😂",
    "🤔",
];
const HANDLES: &[&str] = &[
    "alice.bsky.social",
    "bob.example.com",
    "carol.test",
    "dan.bsky.social",
    "eve.example.org",
];
pub(crate) const DIDS: &[&str] = &[
    "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
    "did:plc:z72i7hdynmk6r22z27h6tvur",
    "did:plc:44ybard66vv44zksje25o7dz",
    "did:plc:vpkhqolt662uhesyj6nxm7ys",
    "did:web:example.com",
];
pub(crate) const RECORD_CIDS: &[&str] = &[
    "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
    "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq",
    "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a",
];
const BLOB_CIDS: &[&str] = &[
    "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy",
    "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity",
];
const LANGS: &[&str] = &["en", "pt-BR", "ja", "es", "de", "fr", "ko", "zh-Hant"];
const TAGS: &[&str] = &[
    "rust",
    "atproto",
    "photography",
    "café",
    "日本",
    "bluesky",
    "art",
];

fn tid(rng: &mut Rng) -> String {
    const FIRST: &[u8] = b"234567abcdefghij";
    const REST: &[u8] = b"234567abcdefghijklmnopqrstuvwxyz";
    let mut s = String::with_capacity(13);
    s.push(*rng.pick(FIRST) as char);
    for _ in 0..12 {
        s.push(*rng.pick(REST) as char);
    }
    s
}

pub(crate) fn at_uri(rng: &mut Rng) -> String {
    format!("at://{}/app.bsky.feed.post/{}", rng.pick(DIDS), tid(rng))
}

fn strong_ref(rng: &mut Rng) -> Value {
    json!({ "uri": at_uri(rng), "cid": *rng.pick(RECORD_CIDS) })
}

fn datetime(rng: &mut Rng) -> String {
    format!(
        "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        rng.range(23, 26),
        rng.range(1, 12),
        rng.range(1, 28),
        rng.range(0, 23),
        rng.range(0, 59),
        rng.range(0, 59),
        rng.range(0, 999)
    )
}

fn words(rng: &mut Rng, n: u64) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        let pool = if rng.percent(15) { EMOJI } else { WORDS };
        let word = *rng.pick::<&str>(pool);
        s.push_str(word);
    }
    s
}

/// Text of at most 300 graphemes (counted as chars, an upper bound), with facets pointing at
/// its mentions, links and tags.
fn text_and_facets(rng: &mut Rng) -> (String, Vec<Value>) {
    let mut text = String::new();
    let mut chars = 0;
    let mut facets = Vec::new();
    let target = match rng.below(10) {
        0..=3 => rng.range(3, 15),
        4..=7 => rng.range(15, 35),
        _ => rng.range(35, 60),
    };
    for _ in 0..target {
        let (piece, feature) = match rng.below(24) {
            0 => {
                let feature =
                    json!({ "$type": "app.bsky.richtext.facet#mention", "did": *rng.pick(DIDS) });
                (format!("@{}", rng.pick(HANDLES)), Some(feature))
            }
            1 => {
                let uri = format!("https://example.com/posts/{}", tid(rng));
                let feature = json!({ "$type": "app.bsky.richtext.facet#link", "uri": uri });
                (uri, Some(feature))
            }
            2 => {
                let tag = *rng.pick(TAGS);
                let feature = json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag });
                (format!("#{tag}"), Some(feature))
            }
            3..=6 => ((*rng.pick(EMOJI)).to_owned(), None),
            _ => ((*rng.pick(WORDS)).to_owned(), None),
        };
        let n = piece.chars().count() + usize::from(!text.is_empty());
        if chars + n > 300 {
            break;
        }
        chars += n;
        if !text.is_empty() {
            text.push(' ');
        }
        let start = text.len();
        text.push_str(&piece);
        if let Some(feature) = feature {
            facets.push(json!({
                "index": { "byteStart": start, "byteEnd": text.len() },
                "features": [feature],
            }));
        }
    }
    (text, facets)
}

fn image(rng: &mut Rng) -> Value {
    let n = rng.range(0, 20);
    let mut image = json!({
        "alt": words(rng, n),
        "image": {
            "$type": "blob",
            "ref": { "$link": *rng.pick(BLOB_CIDS) },
            "mimeType": *rng.pick(&["image/jpeg", "image/png", "image/webp"]),
            "size": rng.range(20_000, 1_999_999),
        },
    });
    if rng.percent(80) {
        image["aspectRatio"] =
            json!({ "width": rng.range(300, 4000), "height": rng.range(300, 4000) });
    }
    image
}

fn images(rng: &mut Rng) -> Value {
    let n = rng.range(1, 4);
    json!({ "$type": "app.bsky.embed.images", "images": (0..n).map(|_| image(rng)).collect::<Vec<_>>() })
}

fn external(rng: &mut Rng) -> Value {
    let (t, d) = (rng.range(2, 8), rng.range(5, 25));
    let mut external = json!({
        "uri": format!("https://news.example.com/{}", tid(rng)),
        "title": words(rng, t),
        "description": words(rng, d),
    });
    if rng.percent(70) {
        external["thumb"] = json!({
            "$type": "blob",
            "ref": { "$link": *rng.pick(BLOB_CIDS) },
            "mimeType": "image/jpeg",
            "size": rng.range(5_000, 999_999),
        });
    }
    json!({ "$type": "app.bsky.embed.external", "external": external })
}

fn post(rng: &mut Rng) -> Value {
    let (text, facets) = text_and_facets(rng);
    let mut post =
        json!({ "$type": "app.bsky.feed.post", "text": text, "createdAt": datetime(rng) });
    if !facets.is_empty() {
        post["facets"] = Value::Array(facets);
    }
    if rng.percent(85) {
        let n = rng.range(1, 2);
        post["langs"] = Value::Array((0..n).map(|_| json!(*rng.pick(LANGS))).collect());
    }
    if rng.percent(40) {
        post["reply"] = json!({ "root": strong_ref(rng), "parent": strong_ref(rng) });
    }
    match rng.below(10) {
        0..=4 => post["embed"] = images(rng),
        5 => post["embed"] = external(rng),
        6 => post["embed"] = json!({ "$type": "app.bsky.embed.record", "record": strong_ref(rng) }),
        7 => {
            post["embed"] = json!({
                "$type": "app.bsky.embed.recordWithMedia",
                "record": { "$type": "app.bsky.embed.record", "record": strong_ref(rng) },
                "media": images(rng),
            })
        }
        _ => {}
    }
    post
}
