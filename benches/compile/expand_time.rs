//! Times `atlex_codegen::expand` (what `lexicon!` runs) outside rustc.
//!
//! Built by `benches/compile/run.sh` as a standalone binary in a generated crate under
//! `target/compile-bench/expand-time`, once in release and once in the dev profile.
//!
//! Usage: `expand-time <lexicons dir> <iterations> [include pattern ...]`, or
//! `expand-time --write <lexicons dir> <out.rs> [Trait,Trait | all | inline]` to write the
//! expansion as a Rust file with the fn bodies of the impls of the given traits (or all fn
//! bodies) replaced by `loop {}`, or with `#[inline]` on every fn: compiling the variants tells
//! what each kind of generated code costs rustc.
//!
//! Outside a proc macro, proc_macro2 uses its own token representation, so this measures the
//! generator's work but not the proc_macro bridge (every token built inside rustc is an RPC to
//! the compiler) nor the conversion of the result to `proc_macro::TokenStream`; the probe
//! crate of run.sh measures those inside rustc.
//!
//! The reader keeps a per-thread cache of parsed files, as rust-analyzer expands many times.
//! rustc runs a crate's `lexicon!` once, with an empty cache, so "cold" iterations run each in
//! a new thread; "warm" ones reuse one thread.
//!
//! Lines starting with `RESULT` are read by run.sh: `RESULT <key> <value>`.

use atlex_codegen::diag::Ctxt;
use atlex_codegen::read::{read_sources, Source};
use atlex_codegen::resolve::Registry;
use atlex_codegen::{check, expand, json, Request};
use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn request(dir: &str, include: &[String]) -> Request {
    Request {
        sources: vec![Source::Path(dir.to_owned(), Span::call_site())],
        include: include
            .iter()
            .map(|p| (p.clone(), Span::call_site()))
            .collect(),
        extern_paths: Vec::new(),
    }
}

fn count_tokens(ts: &TokenStream) -> usize {
    ts.clone()
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => 2 + count_tokens(&g.stream()),
            _ => 1,
        })
        .sum()
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the lexicons directory") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// The name of the trait in an impl header (`impl<'de> ::a::b::Deserialize<'de> for X`), or
/// `None` for an inherent impl.
fn impl_trait(header: &[TokenTree]) -> Option<String> {
    let for_at = header
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i == "for"))?;
    let mut depth = 0i32;
    let mut last = None;
    for t in &header[..for_at] {
        match t {
            TokenTree::Punct(p) if p.as_char() == '<' => depth += 1,
            TokenTree::Punct(p) if p.as_char() == '>' => depth -= 1,
            TokenTree::Ident(i) if depth == 0 && i != "impl" => last = Some(i.to_string()),
            _ => {}
        }
    }
    last
}

/// Token counts of the emitted items by kind (trait impls by trait), recursing into modules;
/// derive attributes counted by derive.
fn breakdown(ts: &TokenStream, out: &mut std::collections::BTreeMap<String, (usize, usize)>) {
    let tokens: Vec<TokenTree> = ts.clone().into_iter().collect();
    let mut i = 0;
    let add =
        |out: &mut std::collections::BTreeMap<String, (usize, usize)>, k: String, n: usize| {
            let e = out.entry(k).or_default();
            e.0 += 1;
            e.1 += n;
        };
    let size =
        |ts: &[TokenTree]| -> usize { ts.iter().map(|t| count_tokens(&t.clone().into())).sum() };
    while i < tokens.len() {
        // Attributes: `#[...]` / `#![...]`.
        if matches!(&tokens[i], TokenTree::Punct(p) if p.as_char() == '#') {
            let mut j = i + 1;
            if matches!(tokens.get(j), Some(TokenTree::Punct(p)) if p.as_char() == '!') {
                j += 1;
            }
            if let Some(TokenTree::Group(g)) = tokens.get(j) {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                let kind = match inner.first() {
                    Some(TokenTree::Ident(id)) if id == "doc" => "attribute: doc".to_owned(),
                    Some(TokenTree::Ident(id)) if id == "derive" => {
                        if let Some(TokenTree::Group(d)) = inner.get(1) {
                            for name in d.stream().to_string().split(',') {
                                add(out, format!("derive({})", name.trim()), 0);
                            }
                        }
                        "attribute: derive".to_owned()
                    }
                    Some(TokenTree::Ident(id)) => format!("attribute: {id}"),
                    _ => "attribute: other".to_owned(),
                };
                add(out, kind, size(&tokens[i..=j]));
                i = j + 1;
                continue;
            }
        }
        // An item: up to its body (a brace group) or a `;` at this level.
        let start = i;
        let mut end = i;
        while end < tokens.len() {
            match &tokens[end] {
                TokenTree::Punct(p) if p.as_char() == ';' => break,
                TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace => {
                    // `struct X { .. }`, `impl .. { .. }`, `mod x { .. }`, `fn f() { .. }`;
                    // but a `const` initializer may contain braces before its `;`.
                    let is_const = tokens[start..end]
                        .iter()
                        .any(|t| matches!(t, TokenTree::Ident(i) if i == "const" || i == "static"))
                        && !tokens[start..end]
                            .iter()
                            .any(|t| matches!(t, TokenTree::Ident(i) if i == "fn"));
                    if !is_const {
                        break;
                    }
                }
                _ => {}
            }
            end += 1;
        }
        let end = end.min(tokens.len() - 1);
        let item = &tokens[start..=end];
        let keyword = item.iter().find_map(|t| match t {
            TokenTree::Ident(i)
                if matches!(
                    i.to_string().as_str(),
                    "impl"
                        | "struct"
                        | "enum"
                        | "mod"
                        | "const"
                        | "static"
                        | "fn"
                        | "type"
                        | "use"
                        | "trait"
                ) =>
            {
                Some(i.to_string())
            }
            _ => None,
        });
        match keyword.as_deref() {
            Some("mod") => {
                if let Some(TokenTree::Group(g)) = item.last() {
                    add(
                        out,
                        "mod (header)".to_owned(),
                        size(item) - count_tokens(&g.stream()),
                    );
                    breakdown(&g.stream(), out);
                } else {
                    add(out, "mod (header)".to_owned(), size(item));
                }
            }
            Some("impl") => {
                let kind = match impl_trait(item) {
                    Some(t) => format!("impl {t} for .."),
                    None => "impl (inherent: new(), accessors, client..)".to_owned(),
                };
                add(out, kind, size(item));
            }
            Some(k) => add(out, k.to_owned(), size(item)),
            None => add(out, "other".to_owned(), size(item)),
        }
        i = end + 1;
    }
}

/// `{ loop {} }` in place of the body of every `fn` of an impl body (or only of the fn named
/// `only`).
fn stub_fns(body: TokenStream, only: Option<&str>) -> TokenStream {
    let mut out = Vec::new();
    let mut in_fn = false;
    let mut after_fn = false;
    for tt in body {
        match &tt {
            TokenTree::Ident(i) if i == "fn" => {
                after_fn = true;
                out.push(tt);
            }
            TokenTree::Ident(i) if after_fn => {
                after_fn = false;
                in_fn = only.is_none_or(|n| i == n);
                out.push(tt);
            }
            TokenTree::Group(g) if in_fn && g.delimiter() == Delimiter::Brace => {
                in_fn = false;
                out.push(stub_body(g.span()));
            }
            _ => out.push(tt),
        }
    }
    out.into_iter().collect()
}

fn stub_body(span: Span) -> TokenTree {
    // `loop {}` (type `!`): no call, no panic machinery, nearly nothing to check or compile.
    let mut g = Group::new(Delimiter::Brace, "loop {}".parse::<TokenStream>().unwrap());
    g.set_span(span);
    TokenTree::Group(g)
}

/// The expansion with the fn bodies of the impls of `traits` stubbed out; with `all`, every fn
/// body (every impl, inherent or not, and free functions).
fn stub(ts: TokenStream, traits: &[String], all: bool) -> TokenStream {
    let tokens: Vec<TokenTree> = ts.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    let body_at = |from: usize| {
        (from..tokens.len()).find(
            |&j| matches!(&tokens[j], TokenTree::Group(g) if g.delimiter() == Delimiter::Brace),
        )
    };
    while i < tokens.len() {
        let TokenTree::Ident(id) = &tokens[i] else {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        };
        let word = id.to_string();
        let Some(j) = (matches!(word.as_str(), "impl" | "mod" | "fn"))
            .then(|| body_at(i))
            .flatten()
        else {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        };
        let TokenTree::Group(g) = &tokens[j] else {
            unreachable!()
        };
        out.extend_from_slice(&tokens[i..j]);
        let new_body = match word.as_str() {
            "mod" => stub(g.stream(), traits, all),
            "impl" if all || impl_trait(&tokens[i..j]).is_some_and(|t| traits.contains(&t)) => {
                stub_fns(g.stream(), None)
            }
            // `Trait.fn`: only that fn of the trait's impls.
            "impl"
                if impl_trait(&tokens[i..j]).is_some_and(|t| {
                    traits.iter().any(|w| w.split_once('.').is_some_and(|(tr, _)| tr == t))
                }) =>
            {
                let t = impl_trait(&tokens[i..j]).unwrap_or_default();
                let only = traits
                    .iter()
                    .filter_map(|w| w.split_once('.'))
                    .find(|(tr, _)| *tr == t)
                    .map(|(_, f)| f.to_owned());
                stub_fns(g.stream(), only.as_deref())
            }
            "fn" if all => {
                // A fn returning `impl Future` (a generated `call`) needs a future as its body.
                let returns_impl = tokens[i..j]
                    .iter()
                    .any(|t| matches!(t, TokenTree::Ident(id) if id == "impl"));
                if returns_impl {
                    let mut ng = Group::new(
                        Delimiter::Brace,
                        "async { loop {} }".parse::<TokenStream>().unwrap(),
                    );
                    ng.set_span(g.span());
                    out.push(TokenTree::Group(ng));
                } else {
                    out.push(stub_body(g.span()));
                }
                i = j + 1;
                continue;
            }
            _ => g.stream(),
        };
        let mut ng = Group::new(Delimiter::Brace, new_body);
        ng.set_span(g.span());
        out.push(TokenTree::Group(ng));
        i = j + 1;
    }
    out.into_iter().collect()
}

/// The items of a module or impl body with `#[inline]` added to every `fn`, recursively: an
/// `#[inline]` function is only compiled to machine code in the crates that call it.
fn inline_fns(ts: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = ts.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
    let mut item_start = 0;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                // An attribute (`#[..]`, `#![..]`): the next item starts after it.
                let mut j = i + 1;
                if matches!(tokens.get(j), Some(TokenTree::Punct(p)) if p.as_char() == '!') {
                    j += 1;
                }
                let end = (j + 1).min(tokens.len());
                out.extend_from_slice(&tokens[i..end]);
                item_start = out.len();
                i = end;
            }
            TokenTree::Punct(p) if p.as_char() == ';' => {
                out.push(tokens[i].clone());
                item_start = out.len();
                i += 1;
            }
            TokenTree::Ident(id)
                if (id == "fn" && matches!(tokens.get(i + 1), Some(TokenTree::Ident(_))))
                    || id == "mod"
                    || id == "impl" =>
            {
                let is_fn = id == "fn";
                if is_fn {
                    let attr: TokenStream = "#[inline]".parse().unwrap();
                    out.splice(item_start..item_start, attr);
                }
                let Some(j) = (i..tokens.len()).find(
                    |&j| matches!(&tokens[j], TokenTree::Group(g) if g.delimiter() == Delimiter::Brace),
                ) else {
                    out.extend_from_slice(&tokens[i..]);
                    break;
                };
                out.extend_from_slice(&tokens[i..j]);
                let TokenTree::Group(g) = &tokens[j] else {
                    unreachable!()
                };
                let body = if is_fn {
                    g.stream()
                } else {
                    inline_fns(g.stream())
                };
                let mut ng = Group::new(Delimiter::Brace, body);
                ng.set_span(g.span());
                out.push(TokenTree::Group(ng));
                item_start = out.len();
                i = j + 1;
            }
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                // `struct X { .. }`, `enum E { .. }`: the item ends here.
                out.push(tokens[i].clone());
                item_start = out.len();
                i += 1;
            }
            _ => {
                out.push(tokens[i].clone());
                i += 1;
            }
        }
    }
    out.into_iter().collect()
}

/// `expand-time --write <lexicons dir> <out.rs> [Trait,Trait | all | inline]`: writes the expansion
/// (optionally stubbed) as a Rust file, for compiling it without the macro.
fn write_expansion(args: &[String]) {
    let dir = std::fs::canonicalize(&args[0]).expect("the lexicons directory exists");
    let out = expand(&request(&dir.to_string_lossy(), &[]), Path::new("/"));
    // A comma-separated list: trait names (their impls' fn bodies stubbed), `all` (every fn body
    // stubbed), `inline` (`#[inline]` on every fn, applied last); `none` changes nothing.
    let spec = args.get(2).map(String::as_str).unwrap_or("none");
    let words: Vec<String> = spec
        .split(',')
        .filter(|w| !matches!(*w, "none" | "inline" | ""))
        .map(str::to_owned)
        .collect();
    let mut out = match words.iter().any(|w| w == "all") {
        true => stub(out, &[], true),
        false if words.is_empty() => out,
        false => stub(out, &words, false),
    };
    if spec.split(',').any(|w| w == "inline") {
        out = inline_fns(out);
    }
    let text = format!("{out}\n");
    std::fs::write(&args[1], text).expect("write the expansion");
}

/// One cold pass, phase by phase, in the current (fresh) thread.
struct Phases {
    read: f64,
    check: f64,
    resolve: f64,
    expand_warm: f64,
    read_warm: f64,
}

fn phases(root: &Path, req: &Request) -> Phases {
    let mut cx = Ctxt::new();
    let t = Instant::now();
    let read = read_sources(&mut cx, root, &req.sources);
    let read_ms = ms(t.elapsed());
    assert!(cx.is_empty(), "the lexicons read without errors");

    let t = Instant::now();
    for doc in &read.docs {
        check::check_document(&mut cx, doc);
    }
    let check_ms = ms(t.elapsed());

    let t = Instant::now();
    let registry = Registry::new(&read.docs, Vec::new());
    registry.check_refs(&mut cx);
    let resolve_ms = ms(t.elapsed());
    assert!(cx.is_empty(), "the lexicons check without errors");
    drop(registry);

    // With the file cache now warm, expand = read (cached) + check + resolve + emit.
    let t = Instant::now();
    let out = expand(req, root);
    let expand_warm = ms(t.elapsed());
    drop(out);
    let mut cx = Ctxt::new();
    let t = Instant::now();
    let again = read_sources(&mut cx, root, &req.sources);
    let read_warm = ms(t.elapsed());
    drop(again);
    Phases {
        read: read_ms,
        check: check_ms,
        resolve: resolve_ms,
        expand_warm,
        read_warm,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--write") {
        return write_expansion(&args[2..]);
    }
    if args.len() < 3 {
        eprintln!("usage: expand-time <lexicons dir> <iterations> [include pattern ...]");
        std::process::exit(2);
    }
    let dir = std::fs::canonicalize(&args[1]).expect("the lexicons directory exists");
    let dir_str = dir.to_string_lossy().into_owned();
    let iters: usize = args[2].parse().expect("iterations is a number");
    let include: Vec<String> = args[3..].to_vec();
    let root = PathBuf::from("/");
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };

    // Size of the input and of the output.
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let req_all = request(&dir_str, &[]);
    let out = expand(&req_all, &root);
    let text = out.to_string();
    assert!(
        !text.contains("compile_error"),
        "the expansion has errors: {}",
        &text[..text.len().min(2000)]
    );
    println!(
        "input: {} files, {} KiB of JSON; output: {} tokens, {} KiB as text ({profile} build)",
        files.len(),
        bytes / 1024,
        count_tokens(&out),
        text.len() / 1024
    );
    // The same in both builds: the release one prints it.
    if !cfg!(debug_assertions) {
        let mut kinds = std::collections::BTreeMap::new();
        breakdown(&out, &mut kinds);
        let total_tokens = count_tokens(&out) as f64;
        let mut kinds: Vec<(String, (usize, usize))> = kinds.into_iter().collect();
        kinds.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(b.1 .0.cmp(&a.1 .0)));
        println!("emitted code by kind (items, tokens, share of all tokens):");
        for (kind, (n, tokens)) in &kinds {
            if *tokens == 0 {
                println!("  {kind:<48} {n:>6}");
            } else {
                println!(
                    "  {kind:<48} {n:>6} {tokens:>9} {:>5.1}%",
                    100.0 * *tokens as f64 / total_tokens
                );
            }
        }
    }
    println!("RESULT files {}", files.len());
    println!("RESULT tokens {}", count_tokens(&out));
    println!("RESULT text_kib {}", text.len() / 1024);
    drop((out, text));

    // Cold: each iteration in a new thread (empty file cache), like one rustc run.
    // (proc_macro2 values are not Send: each thread builds its own request.)
    let cold = |include: Vec<String>| -> Vec<f64> {
        (0..iters)
            .map(|_| {
                let (dir, include, root) = (dir_str.clone(), include.clone(), root.clone());
                std::thread::spawn(move || {
                    let req = request(&dir, &include);
                    let t = Instant::now();
                    let out = expand(&req, &root);
                    let e = ms(t.elapsed());
                    drop(out);
                    e
                })
                .join()
                .unwrap()
            })
            .collect()
    };
    let all_cold = cold(Vec::new());
    // Warm: the same thread, files already parsed (rust-analyzer's case).
    let _ = expand(&req_all, &root);
    let all_warm: Vec<f64> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            let out = expand(&req_all, &root);
            let e = ms(t.elapsed());
            drop(out);
            e
        })
        .collect();

    // Phases, cold, each pass in a new thread.
    let passes: Vec<Phases> = (0..iters)
        .map(|_| {
            let (dir, root) = (dir_str.clone(), root.clone());
            std::thread::spawn(move || phases(&root, &request(&dir, &[])))
                .join()
                .unwrap()
        })
        .collect();
    let read = median(passes.iter().map(|p| p.read).collect());
    let check = median(passes.iter().map(|p| p.check).collect());
    let resolve = median(passes.iter().map(|p| p.resolve).collect());
    // emit is private: what the cold total leaves after the phases above (it also holds
    // expand's copy of the documents and the first use of fresh memory in a new thread).
    let emit = median(all_cold.clone()) - read - check - resolve;
    // Cross-check, all in one thread: expand with the file cache warm, minus a warm read.
    let emit_warm = median(
        passes
            .iter()
            .map(|p| p.expand_warm - p.read_warm - p.check - p.resolve)
            .collect(),
    );

    // The read phase split further: file I/O, JSON parse, the rest (model building).
    let io: Vec<f64> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            for f in &files {
                std::hint::black_box(std::fs::read_to_string(f).unwrap());
            }
            ms(t.elapsed())
        })
        .collect();
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let parse: Vec<f64> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            for text in &texts {
                std::hint::black_box(json::parse_text(text).unwrap());
            }
            ms(t.elapsed())
        })
        .collect();
    let io = median(io);
    let parse = median(parse);

    // include = [...]: the subset crate of run.sh.
    let include_cold = if include.is_empty() {
        None
    } else {
        Some(cold(include.clone()))
    };

    let p = profile;
    println!(
        "expand, all {} documents, cold (new thread each): median {:.1} ms, min {:.1} ms ({iters} runs)",
        files.len(),
        median(all_cold.clone()),
        min(&all_cold)
    );
    println!(
        "expand, all documents, warm (parsed-file cache hit): median {:.1} ms",
        median(all_warm.clone())
    );
    println!("phases (cold, medians):");
    println!("  read_sources (file I/O + JSON parse + model) {read:8.1} ms");
    println!(
        "    of which file I/O ~{io:.1} ms, JSON parse ~{parse:.1} ms, model ~{:.1} ms",
        (read - io - parse).max(0.0)
    );
    println!("  check (check_document)                       {check:8.1} ms");
    println!("  resolve (Registry::new + check_refs)         {resolve:8.1} ms");
    println!("  emit + rest (cold total - above)             {emit:8.1} ms");
    println!("  (emit cross-check: warm expand - warm read - check - resolve: {emit_warm:.1} ms)");
    println!(
        "RESULT expand_{p}_cold_median_ms {:.1}",
        median(all_cold.clone())
    );
    println!("RESULT expand_{p}_cold_min_ms {:.1}", min(&all_cold));
    println!("RESULT expand_{p}_warm_median_ms {:.1}", median(all_warm));
    println!("RESULT phase_{p}_read_ms {read:.1}");
    println!("RESULT phase_{p}_read_io_ms {io:.1}");
    println!("RESULT phase_{p}_read_json_ms {parse:.1}");
    println!(
        "RESULT phase_{p}_read_model_ms {:.1}",
        (read - io - parse).max(0.0)
    );
    println!("RESULT phase_{p}_check_ms {check:.1}");
    println!("RESULT phase_{p}_resolve_ms {resolve:.1}");
    println!("RESULT phase_{p}_emit_ms {emit:.1}");
    if let Some(inc) = include_cold {
        println!(
            "expand, include {:?}, cold: median {:.1} ms",
            include,
            median(inc.clone())
        );
        println!(
            "RESULT expand_{p}_include_cold_median_ms {:.1}",
            median(inc)
        );
    }
}
