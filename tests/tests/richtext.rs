//! Rich text against the reference: `@atproto/api`'s `RichText` (0.20.44, on Node 22 through
//! `pds/richtext.mjs`, started once per test with every case streamed through it).
//!
//! - Detection: over 800 strings, hand-picked for each tricky category (emoji and ZWJ
//!   sequences, combining marks, right-to-left text and bidi controls, URLs with trailing
//!   punctuation or parentheses, bare domains and the TLD check, handles with dots, tags
//!   with punctuation, digits, variation selectors and zero-width characters, cashtags,
//!   spaces that ECMAScript's `\s` holds and Rust's `char::is_whitespace` does not) and
//!   generated from them with a seeded generator: the text, the facets (byte offsets,
//!   features, handles, URIs, tags), the byte and grapheme lengths and the segments of
//!   `RichText::detect` equal the reference's `detectFacetsWithoutResolution()`, for every
//!   case (the count is asserted, with a floor, and each kind of facet is seen often enough).
//! - Sweeps: every top-level domain of the reference's list (and near misses) as a link and
//!   a mention, and every code point of planes 0 and 1 and of plane 14's tags and variation
//!   selectors (and a sample of the others) after a `#` and inside a tag, against the
//!   reference.
//! - Segments of facets given (overlapping, empty, over white space, unsorted) and edits
//!   (insert, delete) against the reference's `segments()`, `insert` and `delete`.
//! - Built from parts: text before a mention, a link and a tag in many scripts, fed to the
//!   reference's detection, gives the offsets the builder computed.
//! - Mentions resolved against the reference PDS through an XRPC client and through
//!   `identity::Resolver`, as the reference's `detectFacets(agent)` resolves them; an unknown
//!   handle dropped (the reference keeps it with an empty DID); a post with the facets
//!   accepted by the PDS (which validates it against the lexicon) and read back the same.
//!
//! Needs Node 22 with `@atproto/api` in `pds/` (`bash pds/install.sh`), and for the PDS test
//! ATLEX_PDS_URL and ATLEX_LEXICONS_DIR (for the build); skipped with a message otherwise (a
//! failure with ATLEX_REQUIRE_ALL=1).

use atlex::richtext::{Facet, Feature, RichText, MENTION};
use atlex_tests::Rng;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// The reference

/// The reference's answers to `requests`, in order: `pds/richtext.mjs` run once with the
/// requests as JSON lines; `None` after a skip when Node or `@atproto/api` is missing.
fn reference(requests: &[Value]) -> Option<Vec<Value>> {
    let node = atlex_tests::node(&["@atproto/api", "tlds"])?;
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let answers = atlex_tests::json_lines(&atlex_tests::run_node(
        &node,
        "pds/richtext.mjs",
        &[],
        input.as_bytes(),
    ));
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    for (request, answer) in requests.iter().zip(&answers) {
        assert!(
            answer.get("error").is_none(),
            "the reference failed on {request}: {answer}"
        );
    }
    Some(answers)
}

/// A facet as both sides are compared: the index and the features as the lexicon writes
/// them; an unresolved mention as the reference writes it before resolution (the handle in
/// `did`).
fn facet_json(facet: &Facet) -> Value {
    let features: Vec<Value> = facet
        .features
        .iter()
        .map(|feature| match feature {
            Feature::UnresolvedMention { handle } => json!({"$type": MENTION, "did": handle}),
            other => serde_json::to_value(other).expect("a resolved feature serializes"),
        })
        .collect();
    json!({"index": facet.index, "features": features})
}

/// What atlex gives for `rich`, in the shape of the script's answers.
fn ours(rich: &RichText) -> Value {
    let segments: Vec<Value> = rich
        .segments()
        .map(|s| match s.facet() {
            Some(f) => json!({"text": s.text(), "facet": facet_json(f)}),
            None => json!({"text": s.text()}),
        })
        .collect();
    json!({
        "text": rich.text(),
        "length": rich.byte_len(),
        "graphemeLength": rich.grapheme_len(),
        "facets": rich.facets().iter().map(facet_json).collect::<Vec<_>>(),
        "segments": segments,
    })
}

/// A reference facet as compared: without the `$type` the reference puts on mention
/// facets alone (the lexicon refers to a facet by `ref`, so it carries none).
fn their_facet(facet: &Value) -> Value {
    json!({"index": facet["index"], "features": facet["features"]})
}

/// A detected facet in brief: its slice and its one feature as `kind:value`.
type Brief = (usize, usize, String);

fn brief(facet: &Facet) -> Brief {
    let feature = match &facet.features[..] {
        [Feature::UnresolvedMention { handle }] => format!("mention:{handle}"),
        [Feature::Link { uri }] => format!("link:{uri}"),
        [Feature::Tag { tag }] => format!("tag:{tag}"),
        other => panic!("detection gave {other:?}"),
    };
    (facet.index.byte_start, facet.index.byte_end, feature)
}

fn their_brief(facet: &Value) -> Brief {
    let index = |key: &str| facet["index"][key].as_u64().expect("an offset") as usize;
    let features = facet["features"].as_array().expect("features");
    assert_eq!(features.len(), 1, "{facet}");
    let f = &features[0];
    let feature = match f["$type"].as_str() {
        Some(MENTION) => format!("mention:{}", f["did"].as_str().expect("did")),
        Some(atlex::richtext::LINK) => format!("link:{}", f["uri"].as_str().expect("uri")),
        Some(atlex::richtext::TAG) => format!("tag:{}", f["tag"].as_str().expect("tag")),
        other => panic!("the reference gave a feature of type {other:?}"),
    };
    (index("byteStart"), index("byteEnd"), feature)
}

/// The reference's facets in an answer, as compared (none: an empty list).
fn their_facets(answer: &Value) -> Vec<Value> {
    answer["facets"]
        .as_array()
        .map_or_else(Vec::new, |fs| fs.iter().map(their_facet).collect())
}

/// The reference's answer in the compared shape (no facets: an empty list).
fn theirs(answer: &Value) -> Value {
    let facets = their_facets(answer);
    let segments: Vec<Value> = answer["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| match s.get("facet") {
            Some(f) => json!({"text": s["text"], "facet": their_facet(f)}),
            None => json!({"text": s["text"]}),
        })
        .collect();
    json!({
        "text": answer["text"],
        "length": answer["length"],
        "graphemeLength": answer["graphemeLength"],
        "facets": facets,
        "segments": segments,
    })
}

/// Our answer as the reference's `segments()` gives it: the reference cuts a segment's text
/// out of the UTF-8 bytes with a default `TextDecoder`, which drops a leading U+FEFF (a byte
/// order mark), so that a segment starting with one comes out without it. atlex keeps it:
/// its segments put back together are the text.
fn as_text_decoder_gives_it(ours: &Value) -> Value {
    let mut out = ours.clone();
    for segment in out["segments"].as_array_mut().into_iter().flatten() {
        if let Some(text) = segment["text"]
            .as_str()
            .and_then(|t| t.strip_prefix('\u{FEFF}'))
        {
            segment["text"] = text.into();
        }
    }
    out
}

/// Compares every case; prints the first disagreements in full; gives the agreement count.
/// A case agrees when both answers are the same, or when they differ only by the leading
/// U+FEFF that the reference's segments drop ([`as_text_decoder_gives_it`]), counted apart.
fn agreements(what: &str, cases: &[String], ours: &[Value], theirs: &[Value]) -> usize {
    let (mut same, mut bom) = (0, 0);
    let mut shown = 0;
    for ((case, ours), theirs) in cases.iter().zip(ours).zip(theirs) {
        if ours == theirs {
            same += 1;
        } else if &as_text_decoder_gives_it(ours) == theirs {
            bom += 1;
        } else if shown < 10 {
            shown += 1;
            println!(
                "{what}: disagreement on {case:?}\n  atlex:     {ours}\n  reference: {theirs}"
            );
        }
    }
    println!(
        "{what}: {} of {} cases agree ({same} the same, {bom} but for a segment's leading U+FEFF that the reference drops)",
        same + bom,
        cases.len()
    );
    same + bom
}

// ---------------------------------------------------------------------------------------
// The corpus

/// Hand-picked strings, by category.
const HAND_PICKED: &[(&str, &[&str])] = &[
    (
        "emoji and ZWJ sequences",
        &[
            "👨‍👩‍👧‍👦 @alice.test",
            "🏳️‍🌈 https://example.com 🏳️‍🌈",
            "🧑🏾‍💻#rust",
            "🧑🏾‍💻 #rust 👋🏽",
            "1️⃣ #️⃣ #1️⃣ *️⃣",
            "#️⃣tag",
            "#👨‍👩‍👧‍👦",
            "#a👨‍👩‍👧‍👦b",
            "❤️ example.com ❤️",
            "🇯🇵🇫🇷 @bob.bsky.social 🇯🇵",
            "😀😀😀 $AAPL 😀",
            "👋🏽\u{200D}@alice.test",
            "🫨 🫩 🪾 bsky.app",
            "☺\u{FE0E} #tag\u{FE0F} ☺\u{FE0F}",
            "#\u{FE0F}",
            "# \u{FE0F}",
            "#a\u{FE0F}",
            "https://x.com/😀/👨‍👩‍👧 next",
            "🏴󠁧󠁢󠁳󠁣󠁴󠁿 #scotland 🏴󠁧󠁢󠁷󠁬󠁳󠁿",
            "👩🏻‍❤️‍💋‍👨🏼 https://example.com/love.",
        ],
    ),
    (
        "combining marks",
        &[
            "e\u{301}e\u{301} @alice.test",
            "#cafe\u{301}",
            "#e\u{301}\u{301}\u{301}",
            "#\u{301}",
            "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ #zalgo",
            "a\u{308}\u{301} example.com a\u{308}",
            "\u{301}@alice.test",
            "@alice.test\u{301}",
            "https://example.com\u{301}",
            "#\u{20E3}",
            "#a\u{20DD}",
            "#tag\u{20E2}rest",
            "हिन्दी #हिन्दी क्षत्रिय",
            "ไทย #ภาษาไทย ที่นี่",
            "각 #한국어 각\u{11A8}",
        ],
    ),
    (
        "right-to-left text and bidi controls",
        &[
            "שלום @alice.test עולם",
            "مرحبا https://example.com/مرحبا بالعالم",
            "#שלום #مرحبا",
            "\u{202E}@alice.test\u{202C}",
            "\u{200F}#tag\u{200F}",
            "#tag\u{200E}",
            "\u{2067}example.com\u{2069}",
            "abc \u{200F}example.com",
            "ערבית example.com. עברית",
            "(שלום) (@alice.test) (example.com)",
            "‏‏‎ ‎#x",
            "اَلْعَرَبِيَّةُ #اَلْعَرَبِيَّةُ",
        ],
    ),
    (
        "URLs with trailing punctuation or parentheses",
        &[
            "https://example.com.",
            "https://example.com,",
            "https://example.com;",
            "https://example.com:",
            "https://example.com!",
            "https://example.com?",
            "https://example.com!?",
            "https://example.com...",
            "https://example.com)",
            "https://example.com).",
            "https://example.com.)",
            "(https://example.com)",
            "(https://example.com).",
            "(https://example.com/path_(thing))",
            "https://en.wikipedia.org/wiki/Rust_(programming_language)",
            "https://en.wikipedia.org/wiki/Rust_(programming_language))",
            "see https://example.com/a?b=c&d=e#frag.",
            "https://example.com/\"quoted\"",
            "https://example.com/'",
            "https://example.com/…",
            "https://example.com/。",
            "https://example.com)(",
            "((https://example.com))",
            "https://example.com/(",
            "x (see https://example.com/path).",
            "http://",
            "https://",
            "https:// x",
            "https://a",
            "http://localhost:3000/x",
            "HTTPS://EXAMPLE.COM",
            "Https://example.com",
            "hTtP://example.com",
            "ftp://example.com",
            "https://例え.jp/パス",
            "https://xn--r8jz45g.jp",
            "url:https://example.com",
            "<https://example.com>",
            "\"https://example.com\"",
            "https://example.com\nnext",
            "line\nhttps://example.com",
            "line\r\nexample.com",
            "a\u{2028}example.com",
        ],
    ),
    (
        "bare domains",
        &[
            "example.com",
            "example.com/path",
            "example.com/path.",
            "Example.com",
            "EXAMPLE.COM",
            "example.COM",
            "sub.example.co.uk",
            "my-site.com",
            "example.my-site.com",
            "1example.com",
            "x.notatld",
            "foo.test",
            "a.b",
            "a.co",
            "http.example.com",
            "httpbin.org",
            "https.com",
            "www.google.com/search?q=a.b",
            "example.com...",
            "example.com:",
            "example.com:8080/x",
            "(example.com)",
            "example.com)",
            "bsky.app/profile/alice.test",
            "e.g. i.e. etc.",
            "node.js deno.land bun.sh",
            "file.txt index.html main.rs",
            "v1.2.3 1.2.3",
            "example.com.",
            "example..com",
            "example.c_m",
            "a.ai b.io c.app d.dev",
            "xn--bcher-kva.example",
            "ünïcödé.com",
            "例え.jp",
            "text,example.com",
            "text.example.com",
            "$example.com",
            "#example.com",
            "@example.com",
        ],
    ),
    (
        "handles with dots",
        &[
            "@alice.test",
            "@bob.bsky.social",
            "@Alice.Example.COM",
            "@alice.example.com",
            "@a.b.c.d.e.com",
            "@handle.with.many.dots.test",
            "@foo",
            "@foo.notatld",
            "@-foo.com",
            "@foo-.com",
            "@123.com",
            "@foo..com",
            "@foo.com.",
            "@foo.test.",
            "@foo.test..",
            "@foo_bar.com",
            "@foo.com_",
            "@foo.com_x",
            "@foo.com-",
            "@ü.com",
            "@ab.üx.com",
            "@xn--bcher-kva.example",
            "@foo.co.uk",
            "@@alice.test",
            "@alice.test@bob.test",
            "email@example.com",
            "mail me: a.b@example.com",
            "(@alice.test)",
            "(@alice.test",
            "@a",
            "@.com",
            "@-.test",
            "@.test",
            "@alice.test's post",
            "@alice.test’s post",
            "@alice.test!",
            "@alice.test: hi",
            "@alice.test,@bob.test",
            "@alice.test @bob.test",
            "hi\n@alice.test",
            "hi\u{3000}@alice.test",
            "hi\u{A0}@alice.test",
            "hi\u{FEFF}@alice.test",
            "hi\u{85}@alice.test",
            "hi\u{200B}@alice.test",
            "hi\u{180E}@alice.test",
            "＠alice.test",
        ],
    ),
    (
        "tags with punctuation",
        &[
            "#rust",
            "#Rust2024",
            "#日本語",
            "#tag!",
            "#tag!!",
            "#tag.",
            "#tag...",
            "#tag's",
            "#tag’s",
            "#tag?!",
            "#tag)",
            "(#tag)",
            "#tag#",
            "#tag#tag",
            "##double",
            "###triple",
            "#123",
            "#1a",
            "#a1",
            "#١٢٣",
            "#１２３",
            "#_",
            "#__a",
            "#c++",
            "#c#",
            "#a-b",
            "#a/b",
            "#a(b)",
            "#a.b.c",
            "#!",
            "#-",
            "#",
            "# ",
            "#.a",
            "#...a...",
            "＃fullwidth",
            "＃１",
            "＃ａｂｃ！",
            "#a\u{200B}b",
            "#a\u{200C}b",
            "#a\u{200D}b",
            "#a\u{AD}b",
            "#a\u{2060}b",
            "#a\u{200A}b",
            "#a\u{2009}b",
            "#a\u{85}b",
            "#é",
            "#😀",
            "#😀!",
            "#tag1 #tag2 #tag3",
            "#tag1#tag2 #tag3",
            "text#notatag",
            "text #tag",
            "(#tag",
            "\n#tag",
            "\u{3000}#tag",
            "\u{FEFF}#tag",
            "$#tag",
            "#$AAPL",
            "#«quoted»",
            "#¿qué?",
            "#tag、",
            "#tag。",
            "#a💩!",
            "#@alice.test",
            "#https://example.com",
            "#example.com",
        ],
    ),
    (
        "cashtags",
        &[
            "$AAPL",
            "$aapl",
            "$A",
            "$ABCDE",
            "$ABCDEF",
            "$AB1",
            "$1AB",
            "$A.",
            "$A)",
            "$A\"",
            "$A'",
            "$A’",
            "$A!",
            "$A-",
            "$A/",
            "($TSLA)",
            "($TSLA",
            "$BRK.B",
            "$€",
            "$",
            "$$AAPL",
            "price $5",
            "$AAPL,$MSFT",
            "$AAPL $MSFT $GOOG",
            "a$AAPL",
            "$AAPL\u{2019}s",
            "$AAPL\u{3000}",
            "$aB1.",
            "$ÄPL",
        ],
    ),
    (
        "mixed",
        &[
            "",
            " ",
            "\n\n\n",
            "plain text, nothing here",
            "Héllo @alice.test, look: https://example.com/a). #rust!! ($AAPL) ＃タグ",
            "@alice.test example.com #tag $AAPL",
            "(@alice.test)(example.com)(#tag)($AAPL)",
            "https://x.com/(@alice.test)",
            "https://x.com/($AAPL)",
            "https://x.com/#tag",
            "example.com/@alice.test",
            "@alice.test/example.com",
            "#tag@alice.test",
            "@alice.test#tag",
            "http://example.com/@alice.test #x",
            "😀 @alice.test 😀 https://example.com 😀 #tag 😀 $AAPL 😀",
            "a\tb\u{B}c\u{C}d example.com",
            "\r\n\r\n@alice.test\r\n",
        ],
    ),
];

/// Pieces the generator puts together, by kind.
const WORDS: &[&str] = &[
    "hello",
    "héllo",
    "Grüße",
    "naïve",
    "日本語",
    "中文",
    "한국어",
    "שלום",
    "مرحبا",
    "Ελληνικά",
    "кириллица",
    "ไทย",
    "हिन्दी",
    "e\u{301}",
    "a\u{308}\u{301}",
    "Z̤͔ͧ̑̓",
    "ﷺ",
    "ß",
    "İ",
    "ǅ",
    "x",
    "A",
    "42",
    "3.14",
    "1,000",
];
const EMOJI: &[&str] = &[
    "👋",
    "👋🏽",
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "❤️",
    "1️⃣",
    "#️⃣",
    "🇯🇵",
    "🧑🏾‍💻",
    "😀",
    "☺\u{FE0E}",
    "🫨",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "\u{FE0F}",
];
const MENTIONS: &[&str] = &[
    "@alice.test",
    "@bob.bsky.social",
    "@Alice.Example.COM",
    "@a.b.c.com",
    "@foo",
    "@foo.notatld",
    "@-foo.com",
    "@foo.com.",
    "@foo.test.",
    "@foo_bar.com",
    "@foo.co.uk",
    "@@alice.test",
    "@alice.test@bob.test",
    "a@example.com",
    "@123.com",
    "@x.io",
    "@x.app",
];
const LINKS: &[&str] = &[
    "https://example.com",
    "http://example.com/path?q=1&r=2#frag",
    "https://example.com/path.",
    "https://example.com/(foo)",
    "https://en.wikipedia.org/wiki/Rust_(programming_language)",
    "https://example.com).",
    "https://example.com.)",
    "HTTPS://EXAMPLE.COM",
    "Https://x.com",
    "https://",
    "https://a",
    "https://例え.jp/パス",
    "https://x.com/😀",
    "example.com",
    "example.com/path",
    "Example.com",
    "example.COM",
    "sub.example.co.uk",
    "my-site.com",
    "x.notatld",
    "foo.test",
    "http.example.com",
    "www.google.com/search?q=a.b",
    "bsky.app/profile/alice.test",
    "a.b",
];
const TAGS: &[&str] = &[
    "#rust",
    "#Rust2024",
    "#日本語",
    "#tag!",
    "#tag...",
    "#123",
    "#1a",
    "#c++",
    "##double",
    "#tag's",
    "＃fullwidth",
    "#\u{FE0F}tag",
    "#a\u{200B}b",
    "#a\u{200D}b",
    "#e\u{301}",
    "#👋",
    "#שלום",
    "#",
    "#!",
    "#a-b",
    "#a(b)",
    "$AAPL",
    "$aapl",
    "$ABCDEF",
    "$A.",
    "($TSLA)",
];
const SEPARATORS: &[&str] = &[
    " ", " ", " ", "\n", "\r\n", "\t", "\u{A0}", "\u{3000}", "\u{2028}", "\u{FEFF}", "\u{200B}",
    "\u{85}", "\u{180E}", "\u{202F}", "", "(", ")", "\u{200F}", "\u{202E}", "\u{2066}",
];
const PUNCTUATION: &[&str] = &[
    ".", ",", ";", ":", "!", "?", ")", "(", "\"", "'", "’", "…", "。", "、", "！", "?!", ").", ".)",
];

/// A generated string: pieces of every kind, joined by separators, some with punctuation
/// stuck to them.
fn generated(rng: &mut Rng) -> String {
    let kinds: [&[&str]; 5] = [WORDS, EMOJI, MENTIONS, LINKS, TAGS];
    let mut text = String::new();
    for i in 0..1 + rng.below(7) {
        if i > 0 || rng.percent(20) {
            text.push_str(rng.pick::<&str>(SEPARATORS));
        }
        if rng.percent(10) {
            text.push_str(rng.pick::<&str>(PUNCTUATION));
        }
        let kind = *rng.pick(&kinds);
        text.push_str(rng.pick::<&str>(kind));
        if rng.percent(30) {
            text.push_str(rng.pick::<&str>(PUNCTUATION));
        }
        if rng.percent(10) {
            text.push_str(rng.pick::<&str>(WORDS));
        }
    }
    text
}

/// Strings generated per run.
const GENERATED: usize = 600;
/// The generator's seed: the same seed gives the same strings.
const SEED: u64 = 0x7269_6368_7465_7874;

/// Every case: the hand-picked strings, then the generated ones.
fn corpus() -> Vec<String> {
    let mut cases: Vec<String> = HAND_PICKED
        .iter()
        .flat_map(|(_, texts)| texts.iter().map(|t| (*t).to_owned()))
        .collect();
    let mut rng = Rng(SEED);
    cases.extend((0..GENERATED).map(|_| generated(&mut rng)));
    cases
}

// ---------------------------------------------------------------------------------------
// Detection

/// Counts of what the reference found, to show that the corpus exercises every rule.
#[derive(Debug, Default)]
struct Seen {
    mentions: usize,
    links: usize,
    bare_domains: usize,
    tags: usize,
    cashtags: usize,
    /// Facets with non-ASCII text before them, where bytes and characters differ.
    after_non_ascii: usize,
}

impl Seen {
    fn count(&mut self, text: &str, answer: &Value) {
        for facet in answer["facets"].as_array().into_iter().flatten() {
            let start = facet["index"]["byteStart"].as_u64().expect("byteStart") as usize;
            if !text.as_bytes()[..start.min(text.len())].is_ascii() {
                self.after_non_ascii += 1;
            }
            for feature in facet["features"].as_array().expect("features") {
                match feature["$type"].as_str() {
                    Some(MENTION) => self.mentions += 1,
                    Some(atlex::richtext::LINK) => {
                        self.links += 1;
                        let shown = text.get(start..).unwrap_or_default();
                        if !shown.to_ascii_lowercase().starts_with("http") {
                            self.bare_domains += 1;
                        }
                    }
                    Some(atlex::richtext::TAG) => {
                        if feature["tag"].as_str().is_some_and(|t| t.starts_with('$')) {
                            self.cashtags += 1;
                        } else {
                            self.tags += 1;
                        }
                    }
                    other => panic!("the reference found a feature of type {other:?}"),
                }
            }
        }
    }
}

#[test]
fn detection_agrees_with_the_reference() {
    let cases = corpus();
    let requests: Vec<Value> = cases
        .iter()
        .map(|text| json!({"op": "detect", "text": text}))
        .collect();
    let Some(answers) = reference(&requests) else {
        return;
    };
    let mine: Vec<Value> = cases
        .iter()
        .map(|t| ours(&RichText::detect(t.as_str())))
        .collect();
    let theirs: Vec<Value> = answers.iter().map(theirs).collect();
    let mut seen = Seen::default();
    for (text, answer) in cases.iter().zip(&answers) {
        seen.count(text, answer);
    }
    println!("the reference found: {seen:?}");
    let hand_picked: usize = HAND_PICKED.iter().map(|(_, t)| t.len()).sum();
    println!(
        "{} cases: {hand_picked} hand-picked in {} categories, {GENERATED} generated",
        cases.len(),
        HAND_PICKED.len()
    );
    let agree = agreements("detection", &cases, &mine, &theirs);
    assert_eq!(agree, cases.len(), "every case agrees with the reference");
    assert!(cases.len() >= 800, "at least 800 cases ({})", cases.len());
    assert!(
        seen.mentions >= 150
            && seen.links >= 200
            && seen.bare_domains >= 60
            && seen.tags >= 150
            && seen.cashtags >= 40
            && seen.after_non_ascii >= 300,
        "the corpus exercises every rule: {seen:?}"
    );
}

/// A line of the sweeps: `pieces` joined by spaces.
fn line(pieces: impl Iterator<Item = String>) -> String {
    pieces.collect::<Vec<_>>().join(" ")
}

#[test]
fn every_tld_and_code_point_as_the_reference() {
    let Some(tables) = reference(&[json!({"op": "tables"})]) else {
        return;
    };
    let tables = &tables[0];
    println!(
        "reference: @atproto/api {}, tlds {}, Unicode {}",
        tables["api"], tables["tldsVersion"], tables["unicode"]
    );
    // The detection rules were written from this version; another needs them read again.
    assert_eq!(
        tables["api"], "0.20.44",
        "the @atproto/api these rules follow"
    );
    let tlds: Vec<&str> = tables["tlds"]
        .as_array()
        .expect("tlds")
        .iter()
        .map(|t| t.as_str().expect("a TLD"))
        .collect();
    let ascii_tlds = tlds.iter().filter(|t| t.is_ascii()).count();

    // Each TLD as a bare domain and a handle, and near misses: one letter more or less, in
    // upper case, as a label before another TLD.
    let mut texts: Vec<String> = tlds
        .chunks(40)
        .map(|chunk| {
            line(chunk.iter().map(|tld| {
                let shorter = &tld[..tld.char_indices().last().map_or(0, |(i, _)| i)];
                format!(
                    "a.{tld} @b.{tld} c.{tld}x d.{shorter} e.{} f.{tld}.zz g.{tld}-x",
                    tld.to_uppercase()
                )
            }))
        })
        .collect();
    // Every code point of planes 0 and 1 (where all punctuation is) and of the tags and
    // variation selectors of plane 14, and every 251st elsewhere: after a `#` alone (a
    // digit, punctuation, or a tag) and at the end of a tag (punctuation is trimmed, a space
    // or a zero-width character ends it, anything else stays).
    let code_points: Vec<char> = (0..=0x10FFFFu32)
        .filter(|&c| c <= 0x1FFFF || (0xE0000..=0xE0FFF).contains(&c) || c % 251 == 0)
        .filter_map(char::from_u32)
        .collect();
    texts.extend(
        code_points
            .chunks(100)
            .map(|chunk| line(chunk.iter().map(|c| format!("#{c} #a{c}")))),
    );
    let requests: Vec<Value> = texts
        .iter()
        .map(|text| json!({"op": "facets", "text": text}))
        .collect();
    let Some(answers) = reference(&requests) else {
        return;
    };
    // Compared in brief (hundreds of thousands of facets): slice and feature.
    let mine: Vec<Vec<Brief>> = texts
        .iter()
        .map(|t| {
            RichText::detect(t.as_str())
                .facets()
                .iter()
                .map(brief)
                .collect()
        })
        .collect();
    let theirs: Vec<Vec<Brief>> = answers
        .iter()
        .map(|a| {
            a["facets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(their_brief)
                .collect()
        })
        .collect();
    let mut agree = 0;
    for ((text, mine), theirs) in texts.iter().zip(&mine).zip(&theirs) {
        if mine == theirs {
            agree += 1;
        } else {
            let first = mine.iter().zip(theirs).position(|(a, b)| a != b);
            println!(
                "sweeps: disagreement on {text:?} at facet {first:?}: atlex {:?}, reference {:?}",
                first.and_then(|i| mine.get(i)),
                first.and_then(|i| theirs.get(i))
            );
        }
    }
    println!("sweeps: {agree} of {} lines agree", texts.len());
    assert_eq!(
        agree,
        texts.len(),
        "every sweep line agrees with the reference"
    );

    // The sweeps are not vacuous: each ASCII TLD gave a link and a mention, and every
    // punctuation code point swept was trimmed from the end of a tag.
    let facets = |pred: &dyn Fn(&str) -> bool| {
        theirs
            .iter()
            .flatten()
            .filter(|(_, _, feature)| pred(feature))
            .count()
    };
    let links = facets(&|f| f.starts_with("link:"));
    let mentions = facets(&|f| f.starts_with("mention:"));
    println!(
        "{} TLDs ({ascii_tlds} ASCII): {links} links, {mentions} mentions",
        tlds.len()
    );
    assert!(links >= 2 * ascii_tlds && mentions >= ascii_tlds);
    let punctuation: Vec<(u32, u32)> = tables["punctuation"]
        .as_array()
        .expect("punctuation")
        .iter()
        .map(|r| (r[0].as_u64().unwrap() as u32, r[1].as_u64().unwrap() as u32))
        .collect();
    let is_punctuation = |c: char| {
        punctuation
            .iter()
            .any(|&(a, b)| (a..=b).contains(&(c as u32)))
    };
    let punctuation_swept = code_points.iter().filter(|&&c| is_punctuation(c)).count();
    let trimmed = facets(&|f| f == "tag:a");
    println!(
        "{} code points swept, {punctuation_swept} of them punctuation; tags trimmed to `a`: {trimmed}",
        code_points.len()
    );
    // `#a` plus a punctuation mark is trimmed to `a`, and so is `#a` before a code point
    // that ends a tag (spaces and zero-width characters, 31 of them).
    assert!(trimmed >= punctuation_swept && trimmed <= punctuation_swept + 40);
}

// ---------------------------------------------------------------------------------------
// Segments and edits

/// A DID for facets built by hand (any valid DID: nothing resolves it).
fn did(name: &str) -> atlex::types::Did {
    atlex::types::Did::new(format!("did:plc:{name}")).expect("a valid DID")
}

/// The byte offsets of `text`'s character boundaries, the end included.
fn boundaries(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect()
}

/// A feature of any resolved kind.
fn any_feature(rng: &mut Rng) -> Feature {
    match rng.below(3) {
        0 => Feature::Mention {
            did: did("segments"),
        },
        1 => Feature::Link {
            uri: "https://example.com/x".into(),
        },
        _ => Feature::Tag { tag: "tag".into() },
    }
}

/// A facet given by hand: `(start, end, feature)`, the feature `link:<uri>` or a tag.
type Given = (usize, usize, &'static str);

/// Texts with facets given by hand.
const GIVEN: &[(&str, &[Given])] = &[
    ("abcdef", &[(0, 4, "link:https://a.example"), (2, 6, "b")]),
    ("abcdef", &[(0, 6, "outer"), (1, 3, "inner")]),
    ("abcdef", &[(2, 2, "empty"), (2, 4, "after")]),
    ("a   b", &[(1, 4, "spaces")]),
    ("a\u{3000}\u{FEFF}b", &[(1, 7, "ideographic space and BOM")]),
    ("a\u{85}b", &[(1, 3, "next line")]),
    ("abcdef", &[(4, 5, "second"), (0, 1, "first")]),
    (
        "abcdef",
        &[(0, 3, "link:https://x.example"), (0, 2, "same start")],
    ),
    ("abcdef", &[(0, 6, "all")]),
    ("abcdef", &[(5, 6, "end")]),
    (
        "héllo wörld 👨‍👩‍👧‍👦",
        &[(7, 13, "wörld"), (14, 39, "link:https://family.example")],
    ),
    ("", &[]),
    ("", &[(0, 0, "nothing")]),
    ("text", &[]),
];

#[test]
fn segments_and_edits_agree_with_the_reference() {
    // Facets given by hand: overlapping, nested, empty, over white space, unsorted, starting
    // together, over the whole text, after non-ASCII text.
    let feature = |value: &str| match value.strip_prefix("link:") {
        Some(uri) => Feature::Link { uri: uri.into() },
        None => Feature::Tag { tag: value.into() },
    };
    let mut cases: Vec<(String, Vec<Facet>)> = GIVEN
        .iter()
        .map(|(text, facets)| {
            let facets = facets
                .iter()
                .map(|&(a, b, value)| Facet::new(a..b, feature(value)))
                .collect();
            ((*text).to_owned(), facets)
        })
        .collect();
    // Two features on one facet.
    cases.push((
        "abcdef".into(),
        vec![Facet {
            index: (1..3).into(),
            features: vec![feature("link:https://two.example"), feature("two")],
        }],
    ));
    // Built from parts.
    let built = RichText::builder()
        .text("¡Hola ")
        .mention("alice.test", did("alice"))
        .text("! ")
        .link("https://example.com/ñ", "example.com/ñ")
        .text(" ")
        .tag("español")
        .build();
    cases.push(built.into_parts());
    // Random facets over the corpus's texts: any char-boundary slices, overlapping or not.
    let texts = corpus();
    let mut rng = Rng(SEED ^ 1);
    for text in texts.iter().filter(|t| !t.is_empty()).step_by(4) {
        let bounds = boundaries(text);
        let facets = (0..rng.below(5))
            .map(|_| {
                let (a, b) = (*rng.pick(&bounds), *rng.pick(&bounds));
                Facet::new(a.min(b)..a.max(b), any_feature(&mut rng))
            })
            .collect();
        cases.push((text.clone(), facets));
    }
    let segment_cases = cases.len();

    // Edits of detected texts: inserts of ASCII text and deletes, at character boundaries.
    let mut edits: Vec<(String, Vec<Value>)> = Vec::new();
    for text in texts.iter().step_by(3) {
        let mut rich = RichText::detect(text.as_str());
        let mut steps = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let bounds = boundaries(rich.text());
            if rng.percent(50) {
                let at = *rng.pick(&bounds);
                let piece = *rng.pick(&["x", "hello ", "@", "#", " ", "", "https://"]);
                rich.insert(at, piece).expect("a character boundary");
                steps.push(json!({"insert": [at, piece]}));
            } else {
                let (a, b) = (*rng.pick(&bounds), *rng.pick(&bounds));
                rich.delete(a.min(b)..a.max(b))
                    .expect("character boundaries");
                steps.push(json!({"delete": [a.min(b), a.max(b)]}));
            }
        }
        edits.push((text.clone(), steps));
    }

    let mut requests: Vec<Value> = cases
        .iter()
        .map(|(text, facets)| json!({"op": "segments", "text": text, "facets": facets}))
        .collect();
    for (text, steps) in &edits {
        let detected: Vec<Value> = RichText::detect(text.as_str())
            .facets()
            .iter()
            .map(facet_json)
            .collect();
        requests.push(json!({"op": "edit", "text": text, "facets": detected, "edits": steps}));
    }
    // Non-ASCII text inserted before a mention: atlex moves the facet by the bytes inserted,
    // the reference by the UTF-16 units (`insertText.length`), off the mention.
    requests.push(json!({"op": "edit", "text": "@alice.test",
        "facets": RichText::detect("@alice.test").facets().iter().map(facet_json).collect::<Vec<_>>(),
        "edits": [{"insert": [0, "¡Olé! "]}]}));
    let Some(answers) = reference(&requests) else {
        return;
    };

    let mut names = Vec::new();
    let mut mine = Vec::new();
    for (text, facets) in &cases {
        names.push(format!("segments of {text:?} with {}", json!(facets)));
        let rich = RichText::with_facets(text.as_str(), facets.clone()).expect("facets that fit");
        mine.push(ours(&rich));
    }
    for (text, steps) in &edits {
        names.push(format!("{text:?} edited by {}", json!(steps)));
        let mut rich = RichText::detect(text.as_str());
        for step in steps {
            if let Some([at, piece]) = step["insert"].as_array().map(Vec::as_slice) {
                let at = at.as_u64().unwrap() as usize;
                rich.insert(at, piece.as_str().unwrap()).unwrap();
            } else {
                let range = &step["delete"];
                let (a, b) = (range[0].as_u64().unwrap(), range[1].as_u64().unwrap());
                rich.delete(a as usize..b as usize).unwrap();
            }
        }
        mine.push(ours(&rich));
    }
    let theirs: Vec<Value> = answers.iter().map(theirs).collect();
    let n = names.len();
    let agree = agreements("segments and edits", &names, &mine, &theirs[..n]);
    println!("{segment_cases} segment cases, {} edit cases", edits.len());
    assert_eq!(agree, n, "every case agrees with the reference");
    assert!(segment_cases >= 200 && edits.len() >= 250);

    let mut rich = RichText::detect("@alice.test");
    rich.insert(0, "¡Olé! ").unwrap();
    let slice = |v: &Value| {
        let index = &v["facets"][0]["index"];
        let (a, b) = (
            index["byteStart"].as_u64().unwrap(),
            index["byteEnd"].as_u64().unwrap(),
        );
        rich.text()[a as usize..b as usize].to_owned()
    };
    assert_eq!(slice(&ours(&rich)), "@alice.test");
    assert_ne!(
        slice(&answers[n]),
        "@alice.test",
        "the reference now moves facets by bytes on insert: this divergence is gone"
    );
}

// ---------------------------------------------------------------------------------------
// Built from parts

/// Texts in many scripts to put before the facets of a built text.
const PREFIXES: &[&str] = &[
    "",
    "héllo",
    "Grüße, naïve café",
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈🇯🇵👋🏽",
    "e\u{301}\u{301}",
    "Z̤͔ͧ̑̓ä͖̭̈̇",
    "שלום עולם",
    "مرحبا بالعالم",
    "\u{202E}reversed\u{202C}",
    "日本語のテキスト",
    "한국어 각\u{11A8}",
    "हिन्दी क्षत्रिय",
    "ไทย",
    "a\u{3000}b",
    "𝕏 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\u{FEFF}bom",
];

/// A text built from parts after `prefix`: a mention, a link shown as itself, a tag, a
/// link shown as a bare domain, and a cashtag.
fn built(prefix: &str) -> RichText {
    RichText::builder()
        .text(format!("{prefix} "))
        .mention("alice.test", did("alice"))
        .text(", ")
        .link("https://example.com/ü?q=1", "https://example.com/ü?q=1")
        .text(" ")
        .tag("rust")
        .text(" ")
        .link("https://example.com", "example.com")
        .text(" ")
        .facet(
            "$AAPL",
            vec![Feature::Tag {
                tag: "$AAPL".into(),
            }],
        )
        .text(" ")
        .tag("日本")
        .build()
}

#[test]
fn built_from_parts_matches_the_reference_detection() {
    let requests: Vec<Value> = PREFIXES
        .iter()
        .map(|p| json!({"op": "detect", "text": built(p).text()}))
        .collect();
    let Some(answers) = reference(&requests) else {
        return;
    };
    let (mut facets, mut agree) = (0, 0);
    for (prefix, answer) in PREFIXES.iter().zip(&answers) {
        let rich = built(prefix);
        // The reference's mention holds the handle until it is resolved.
        let ours: Vec<Value> = rich
            .facets()
            .iter()
            .map(|f| match &f.features[..] {
                [Feature::Mention { .. }] => {
                    json!({"index": f.index, "features": [{"$type": MENTION, "did": "alice.test"}]})
                }
                _ => facet_json(f),
            })
            .collect();
        let theirs = their_facets(answer);
        assert_eq!(ours.len(), 6);
        facets += ours.len();
        for i in 0..ours.len().max(theirs.len()) {
            if ours.get(i) == theirs.get(i) {
                agree += 1;
            } else {
                println!(
                    "{prefix:?}: atlex built {:?}, the reference detects {:?}",
                    ours.get(i),
                    theirs.get(i)
                );
            }
        }
    }
    println!(
        "{} built texts: {agree} of {facets} facets at the reference's offsets",
        PREFIXES.len()
    );
    assert_eq!(agree, facets);
    assert_eq!(facets, PREFIXES.len() * 6);
}

#[cfg(not(atlex_official))]
#[test]
fn facets_convert_to_the_generated_type() {
    atlex_tests::skip(
        "set ATLEX_LEXICONS_DIR for the build to convert facets to the generated type",
    );
}

#[cfg(atlex_official)]
mod lexicons {
    atlex::lexicon! {
        path = "${ATLEX_LEXICONS_DIR}",
        include = [
            "app.bsky.richtext.facet",
            "com.atproto.repo.createRecord",
            "com.atproto.repo.getRecord",
        ],
    }
}

#[cfg(atlex_official)]
#[test]
fn facets_convert_to_the_generated_type() {
    use atlex::Validate;
    use lexicons::app::bsky::richtext::facet;

    let rich = built("héllo");
    let typed: Vec<facet::Main> = rich.facets_into().expect("the generated type reads them");
    assert_eq!(typed.len(), 6);
    for facet in &typed {
        facet.validate().expect("valid for the lexicon");
    }
    assert_eq!(
        json!(typed),
        json!(rich.facets()),
        "the same JSON both ways"
    );
    let back: Vec<Facet> = serde_json::from_value(json!(typed)).unwrap();
    assert_eq!(back, rich.facets());
    // An unresolved mention has no wire form.
    let detected = RichText::detect("hi @alice.test");
    let err = detected.facets_into::<facet::Main>().unwrap_err();
    assert!(err.to_string().contains("resolve_mentions"), "{err}");
    // A feature of another type is kept whole, both ways.
    let other = json!({"index": {"byteStart": 0, "byteEnd": 2},
        "features": [{"$type": "com.example.facet#color", "rgb": "f00"}]});
    let ours: Facet = serde_json::from_value(other.clone()).unwrap();
    assert!(matches!(ours.features[0], Feature::Unknown(_)));
    assert_eq!(json!(ours), other);
    let typed: facet::Main = serde_json::from_value(json!(ours)).unwrap();
    assert_eq!(json!(typed), other);
}

// ---------------------------------------------------------------------------------------
// Mentions resolved against the PDS

#[cfg(not(atlex_official))]
#[test]
fn mentions_resolve_against_the_pds() {
    atlex_tests::skip(
        "set ATLEX_LEXICONS_DIR for the build and ATLEX_PDS_URL (bash pds/start.sh) to resolve mentions against the PDS",
    );
}

#[cfg(atlex_official)]
#[tokio::test]
async fn mentions_resolve_against_the_pds() {
    use atlex::richtext::ByteSlice;
    use lexicons::com::atproto::repo::{create_record, get_record};

    let Some(pds) = atlex_tests::pds_url() else {
        return;
    };
    if atlex_tests::node(&["@atproto/api"]).is_none() {
        return;
    }
    let (alice, bob) = tokio::join!(
        atlex_tests::create_account(&pds, "rta"),
        atlex_tests::create_account(&pds, "rtb")
    );
    let unknown = format!("nobody{}.test", atlex_tests::unique_letters(10));
    let text = format!(
        "Grüße @{} und @{} (@{}), nicht @{unknown}! https://example.com/ü #rust",
        alice.handle, bob.handle, alice.handle
    );
    let request = [json!({"op": "resolve", "service": pds, "text": text})];
    let reference = {
        let request = request.clone();
        tokio::task::spawn_blocking(move || reference(&request))
    };

    // Through an XRPC client (com.atproto.identity.resolveHandle at the PDS) and through the
    // identity resolver (the same method at its handle service), started together.
    let client = atlex::Client::new(&pds).unwrap();
    let resolver = atlex::identity::Resolver::builder()
        .handle_service(&pds)
        .build();
    let mut via_client = RichText::detect(text.as_str());
    let mut via_resolver = RichText::detect(text.as_str());
    assert_eq!(via_client.unresolved_mentions().count(), 4);
    let (dropped_client, dropped_resolver) = tokio::join!(
        via_client.resolve_mentions(&client),
        via_resolver.resolve_mentions(&resolver)
    );
    let answer = reference
        .await
        .expect("the thread that runs node")
        .expect("node is installed")
        .remove(0);

    // The reference resolved the same DIDs at the same places, and kept the unknown handle
    // with an empty DID where atlex dropped it.
    let unknown_at = text.find(&format!("@{unknown}")).unwrap();
    let unknown_slice = ByteSlice::from(unknown_at..unknown_at + unknown.len() + 1);
    let theirs = their_facets(&answer);
    let kept: Vec<&Value> = theirs
        .iter()
        .filter(|f| f["features"][0]["did"] != "")
        .collect();
    let emptied: Vec<&Value> = theirs
        .iter()
        .filter(|f| f["features"][0]["did"] == "")
        .collect();
    assert_eq!(emptied.len(), 1, "{answer}");
    assert_eq!(emptied[0]["index"], json!(unknown_slice));
    for rich in [&via_client, &via_resolver] {
        assert!(rich.unresolved_mentions().next().is_none());
        let ours: Vec<Value> = rich.facets().iter().map(facet_json).collect();
        assert_eq!(ours.iter().collect::<Vec<_>>(), kept, "{answer}");
    }
    let dids: Vec<&str> = kept
        .iter()
        .filter_map(|f| f["features"][0]["did"].as_str())
        .filter(|d| d.starts_with("did:"))
        .collect();
    assert_eq!(dids, [&alice.did, &bob.did, &alice.did]);
    println!("resolved: {dids:?}; dropped: {unknown}");

    // The unknown handle is reported once, with where it was and why.
    assert_eq!(dropped_client.len(), 1);
    assert_eq!(dropped_client[0].handle, unknown);
    assert_eq!(dropped_client[0].at, [unknown_slice]);
    let name = match &dropped_client[0].error {
        atlex::Error::Xrpc(e) => e.name.clone(),
        other => panic!("not an XRPC error: {other}"),
    };
    assert_eq!(name, "HandleNotFound");
    assert!(dropped_client[0].error.known().is_some());
    assert_eq!(dropped_resolver.len(), 1);
    assert_eq!(dropped_resolver[0].handle, unknown);
    assert!(
        matches!(
            dropped_resolver[0].error,
            atlex::identity::ResolveError::HandleNotFound { .. }
        ),
        "{}",
        dropped_resolver[0].error
    );

    // A post with these facets: the PDS validates it against the lexicon, and gives the
    // facets back as they were written.
    let session = atlex::xrpc::Session::new(atlex::Client::new(&pds).unwrap());
    session
        .login(&alice.handle, &alice.password, None)
        .await
        .expect("login");
    let record = json!({
        "$type": "app.bsky.feed.post",
        "text": via_client.text(),
        "facets": via_client.facets(),
        "createdAt": "2025-01-01T00:00:00.000Z",
    });
    let mut input = create_record::Input::new(
        alice.did.parse().unwrap(),
        "app.bsky.feed.post".parse().unwrap(),
        atlex::types::Unknown::try_from(record).unwrap(),
    );
    input.validate = Some(true);
    let created = create_record::call(&session, &input)
        .await
        .expect("the PDS accepts the post");
    let rkey = created.uri.as_str().rsplit('/').next().unwrap().to_owned();
    let params = get_record::Params::new(
        alice.did.parse().unwrap(),
        "app.bsky.feed.post".parse().unwrap(),
        rkey.parse().unwrap(),
    );
    let got = get_record::call(&session, &params).await.unwrap();
    let value = got.value.to_json();
    let facets: Vec<Facet> = serde_json::from_value(value["facets"].clone()).unwrap();
    assert_eq!(facets, via_client.facets());
    let read = RichText::with_facets(value["text"].as_str().unwrap(), facets).unwrap();
    assert_eq!(read, via_client);
}
