//! The code generator never panics: thousands of mutated lexicon documents (broken JSON,
//! wrong types, odd names, deep nesting) each expand to code or to compile errors.
//!
//! Each document is written to a file of its own: the codegen caches parsed files by path,
//! modification time and length, so rewriting one path could hand back the previous
//! document's parse (a same-length rewrite within one tick of a coarse clock).

use atlex_codegen::read::{cache_stats, Source};
use atlex_codegen::{expand, Request};
use proc_macro2::Span;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    include_str!("../../runtime/lexicons/com/atproto/server/createSession.json"),
    include_str!("../lexicons/fixtures/com/example/e2e/echo.json"),
    include_str!("../lexicons/fixtures/com/example/e2e/search.json"),
    include_str!("../lexicons/sets/com/example/app/note.json"),
    include_str!("../lexicons/sets/com/example/tree/node.json"),
];

/// Replacement fragments that exercise the model and checks, not only the JSON parser.
const FRAGMENTS: &[&str] = &[
    "\"type\": \"union\"",
    "\"refs\": []",
    "\"closed\": true",
    "\"ref\": \"#\"",
    "\"ref\": \"#main\"",
    "\"ref\": \"com.example.missing#x\"",
    "\"type\": \"params\"",
    "\"type\": \"record\"",
    "\"key\": \"literal:\"",
    "\"format\": \"did\"",
    "\"format\": \"nope\"",
    "\"default\": 5",
    "\"const\": \"x\"",
    "\"minimum\": 9",
    "\"maximum\": -9",
    "\"enum\": []",
    "\"knownValues\": [\"a\", \"a\"]",
    "\"maxLength\": -1",
    "\"required\": [\"zz\"]",
    "\"nullable\": [5]",
    "\"items\": {}",
    "\"accept\": [\"*/png\"]",
    "\"errors\": [{\"name\": \"\"}]",
    "\"encoding\": \"\"",
    "[[[[[[[[",
    "]]]]",
    "{}",
    "null",
    "1e400",
    "-0",
    "\"\\ud800\"",
    "\"\u{1F600}\"",
    "\"self\"",
    "\"type\"",
    "\"lexicon\": 2",
    "\"id\": \"a.b\"",
    "\"defs\": []",
    "\"main\": {\"type\": \"token\"}",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut s: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        if s.is_empty() {
            break;
        }
        let at = rng.below(s.len());
        match rng.below(4) {
            0 => {
                let len = 1 + rng.below(12);
                s.drain(at..(at + len).min(s.len()));
            }
            1 => {
                let frag = FRAGMENTS[rng.below(FRAGMENTS.len())];
                for (i, c) in frag.chars().enumerate() {
                    s.insert(at + i, c);
                }
            }
            2 => {
                const PUNCT: &[char] = &['{', '}', '[', ']', ',', ':', '"', '\\', '#', '.'];
                s[at] = PUNCT[rng.below(PUNCT.len())];
            }
            _ => {
                // Swap a "type" value for another known one.
                let t = [
                    "object", "string", "ref", "union", "array", "blob", "token", "query",
                    "integer", "unknown",
                ];
                let text: String = s.iter().collect();
                if let Some(pos) = text
                    .match_indices("\"type\": \"")
                    .nth(rng.below(4))
                    .map(|(p, _)| p)
                {
                    let start = pos + 9;
                    if let Some(end) = text[start..].find('"') {
                        let new = format!(
                            "{}{}{}",
                            &text[..start],
                            t[rng.below(t.len())],
                            &text[start + end..]
                        );
                        s = new.chars().collect();
                    }
                }
            }
        }
    }
    s.into_iter().collect()
}

#[test]
fn mutated_documents_never_panic_the_generator() {
    let dir = std::env::temp_dir().join(format!("atlex-no-panic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut cases, mut with_errors, mut inline_cases) = (0, 0, 0);
    let stats_before = cache_stats();
    for round in 0..1500 {
        let seed = SEEDS[round % SEEDS.len()];
        let text = mutate(&mut rng, seed);
        let file = dir.join(format!("case{round}.json"));
        std::fs::write(&file, &text).unwrap();
        let request = Request {
            sources: vec![Source::Path(
                file.file_name().unwrap().to_string_lossy().into_owned(),
                Span::call_site(),
            )],
            include: Vec::new(),
            extern_paths: Vec::new(),
        };
        let out = catch_unwind(AssertUnwindSafe(|| expand(&request, &dir)));
        let out = out.unwrap_or_else(|_| panic!("expand panicked on this document:\n{text}"));
        std::fs::remove_file(&file).ok();
        cases += 1;
        if out.to_string().contains("compile_error") {
            with_errors += 1;
        }
        // The same text as the macro's inline form, when Rust can tokenize it.
        if let Some(inner) = text
            .trim()
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
        {
            if let Ok(tokens) = inner.parse::<proc_macro2::TokenStream>() {
                let request = Request {
                    sources: vec![Source::Inline(Span::call_site(), tokens)],
                    include: Vec::new(),
                    extern_paths: Vec::new(),
                };
                catch_unwind(AssertUnwindSafe(|| expand(&request, &dir)))
                    .unwrap_or_else(|_| panic!("inline expand panicked on:\n{text}"));
                inline_cases += 1;
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    let stats = cache_stats();
    assert_eq!(
        (
            stats.hits - stats_before.hits,
            stats.misses - stats_before.misses
        ),
        (0, 1500),
        "every document was read and parsed afresh, none served from the cache"
    );
    println!("{cases} mutated documents expanded ({with_errors} with compile errors), {inline_cases} also inline; no panic");
    assert_eq!(cases, 1500);
    assert!(
        with_errors > 300 && with_errors < cases,
        "the mutations reach both outcomes: {with_errors}"
    );
}
