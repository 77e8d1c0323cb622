//! A proc macro that times `atlex_codegen::expand` inside rustc, where proc_macro2 talks to
//! the compiler through the proc_macro bridge, the way `lexicon!` runs.
//!
//! Built by `benches/compile/run.sh` in a generated crate under `target/compile-bench/probe`.
//! `expand_timed!("<lexicons dir>", <iterations>)` expands the directory `iterations` times in
//! one rustc run (the first with an empty file cache, the others warm), converts each result
//! to `proc_macro::TokenStream` as `lexicon!` does, drops it, and emits nothing. It appends
//! one line per iteration to the file named by `ATLEX_PROBE_OUT`:
//! `<iteration> <expand ms> <conversion ms> <drop ms>` (drop: of the previous result).
//!
//! `expand_timed!("<dir>", 1, parse)` returns the expansion inside `#[cfg(any())] mod { .. }`:
//! rustc parses it into its AST and then drops it, so the difference between the two forms'
//! `cargo check` times is the cost of parsing the expansion (name resolution, type checking
//! and the rest never see it).

use proc_macro2::{Span, TokenTree};
use std::io::Write;
use std::time::Instant;

#[proc_macro]
pub fn expand_timed(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let tokens: Vec<TokenTree> = proc_macro2::TokenStream::from(input).into_iter().collect();
    let lit = |tt: &TokenTree| tt.to_string().trim_matches('"').to_owned();
    let path = lit(&tokens[0]);
    let iterations: usize = tokens.get(2).map_or(1, |t| lit(t).parse().unwrap());
    let parse_only = matches!(tokens.get(4), Some(TokenTree::Ident(i)) if i == "parse");
    let request = atlex_codegen::Request {
        sources: vec![atlex_codegen::read::Source::Path(path, Span::call_site())],
        include: Vec::new(),
        extern_paths: Vec::new(),
    };
    let root = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut lines = String::new();
    let mut last = proc_macro::TokenStream::new();
    for i in 0..iterations {
        let t0 = Instant::now();
        let out = atlex_codegen::expand(&request, &root);
        let t1 = Instant::now();
        let converted = proc_macro::TokenStream::from(out);
        let t2 = Instant::now();
        drop(std::mem::replace(&mut last, converted));
        let t3 = Instant::now();
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        lines.push_str(&format!(
            "{i} {:.2} {:.2} {:.2}\n",
            ms(t0, t1),
            ms(t1, t2),
            ms(t2, t3)
        ));
    }
    if let Ok(file) = std::env::var("ATLEX_PROBE_OUT") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
            .unwrap();
        f.write_all(lines.as_bytes()).unwrap();
    }
    if !parse_only {
        return proc_macro::TokenStream::new();
    }
    let mut wrapped: proc_macro::TokenStream = "#[cfg(any())] mod __parsed_only".parse().unwrap();
    wrapped.extend([proc_macro::TokenTree::Group(proc_macro::Group::new(
        proc_macro::Delimiter::Brace,
        last,
    ))]);
    wrapped
}

/// `include_tokens!("<file.rs>")`: the file's items, returned as a macro's output. Tokens parsed
/// from a string inside a proc macro all carry the call site's span, as `lexicon!`'s output
/// does, so rustc compiles them as it compiles the real expansion. (The same code read from a
/// source file, where every token has a position of its own, built about 1.7 times slower in
/// the dev profile here: more distinct debug-info locations, presumably.)
#[proc_macro]
pub fn include_tokens(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let path = input.to_string().trim_matches('"').to_owned();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    text.parse()
        .unwrap_or_else(|e| panic!("{path} does not parse: {e:?}"))
}
