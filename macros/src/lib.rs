//! The procedural macros of [atlex](https://docs.rs/atlex). Use them through the `atlex`
//! crate: `atlex::lexicon!`. This crate only parses the macro's own input and hands it to
//! `atlex-codegen`.

use atlex_codegen::read::Source;
use atlex_codegen::resolve::ExternPath;
use atlex_codegen::{cache, error_at, expand_report, Request};
use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};

/// Turns AT Protocol Lexicon documents into typed Rust. See the `atlex` crate's documentation.
#[proc_macro]
pub fn lexicon(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = TokenStream::from(input);
    let request = match parse_request(input) {
        Ok(r) => r,
        Err((span, msg)) => return error_at(span, &msg).into(),
    };
    let root = match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => {
            return error_at(
                Span::call_site(),
                "CARGO_MANIFEST_DIR is not set: lexicon! paths are relative to the crate root, so build with cargo",
            )
            .into()
        }
    };
    // Served from the expansion cache when the crate has an `OUT_DIR` (a build script, such as
    // the one-line script that makes cargo watch the lexicon folder) and nothing it depends on
    // changed; `ATLEX_EXPANSION_CACHE=0` turns it off.
    let cache_dir = std::env::var_os("OUT_DIR")
        .filter(|_| std::env::var_os("ATLEX_EXPANSION_CACHE").is_none_or(|v| v != "0"))
        .map(std::path::PathBuf::from);
    let key = cache_dir.as_ref().and_then(|_| cache::key(&request, &root));
    if let (Some(dir), Some(key)) = (&cache_dir, &key) {
        if let Some(text) = cache::load(dir, key) {
            if let Ok(tokens) = text.parse::<proc_macro::TokenStream>() {
                return tokens;
            }
        }
    }
    let (tokens, ok) = expand_report(&request, &root);
    if let (Some(dir), Some(key), true) = (&cache_dir, &key, ok) {
        cache::store(dir, key, &tokens.to_string());
    }
    tokens.into()
}

type ParseError = (Span, String);

fn parse_request(input: TokenStream) -> Result<Request, ParseError> {
    let tokens: Vec<TokenTree> = input.into_iter().collect();
    let usage = "expected a path (\"lexicons/com/example/thing.json\"), a list of paths ([\"a\", \"b\"]), the document inline ({ \"lexicon\": 1, ... }), or options (path = ..., include = [...], extern_paths = { ... })";
    match tokens.as_slice() {
        [] => Err((Span::call_site(), format!("lexicon! needs input: {usage}"))),
        [TokenTree::Group(g)] if g.delimiter() == Delimiter::Brace => Ok(Request {
            sources: vec![Source::Inline(g.span(), g.stream())],
            include: Vec::new(),
            extern_paths: Vec::new(),
        }),
        [TokenTree::Literal(_)] | [TokenTree::Group(_)] => Ok(Request {
            sources: parse_paths(&tokens[0])?,
            include: Vec::new(),
            extern_paths: Vec::new(),
        }),
        [TokenTree::Ident(_), ..] => parse_options(tokens),
        [first, ..] => Err((first.span(), format!("unexpected input: {usage}"))),
    }
}

/// A string literal's value, or an error naming what was expected.
fn lit_str(tt: &TokenTree, what: &str) -> Result<(String, Span), ParseError> {
    if let TokenTree::Literal(lit) = tt {
        if let Ok(s) = syn::parse2::<syn::LitStr>(TokenTree::Literal(lit.clone()).into()) {
            return Ok((s.value(), lit.span()));
        }
    }
    Err((tt.span(), format!("expected {what} as a string literal")))
}

fn comma_separated(stream: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut out = vec![Vec::new()];
    for tt in stream {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => out.push(Vec::new()),
            _ => out.last_mut().map(|v| v.push(tt)).unwrap_or(()),
        }
    }
    out.retain(|v| !v.is_empty());
    out
}

fn parse_paths(tt: &TokenTree) -> Result<Vec<Source>, ParseError> {
    match tt {
        TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => {
            let mut out = Vec::new();
            for item in comma_separated(g.stream()) {
                if item.len() != 1 {
                    return Err((item[0].span(), "expected a path string literal".into()));
                }
                let (path, span) = lit_str(&item[0], "a file or directory path")?;
                out.push(Source::Path(path, span));
            }
            if out.is_empty() {
                return Err((g.span(), "the list of paths is empty".into()));
            }
            Ok(out)
        }
        other => {
            let (path, span) = lit_str(other, "a file or directory path")?;
            Ok(vec![Source::Path(path, span)])
        }
    }
}

fn parse_options(tokens: Vec<TokenTree>) -> Result<Request, ParseError> {
    let mut request = Request {
        sources: Vec::new(),
        include: Vec::new(),
        extern_paths: Vec::new(),
    };
    let stream: TokenStream = tokens.into_iter().collect();
    let mut seen: Vec<String> = Vec::new();
    for option in comma_separated(stream) {
        let key = match &option[0] {
            TokenTree::Ident(i) => i.clone(),
            other => {
                return Err((
                    other.span(),
                    "expected an option name: path, include or extern_paths".into(),
                ))
            }
        };
        let name = key.to_string();
        if seen.contains(&name) {
            return Err((key.span(), format!("option `{name}` is given twice")));
        }
        seen.push(name.clone());
        match option.get(1) {
            Some(TokenTree::Punct(p)) if p.as_char() == '=' => {}
            _ => return Err((key.span(), format!("expected `=` after `{name}`"))),
        }
        let value = &option[2..];
        if value.is_empty() {
            return Err((key.span(), format!("option `{name}` needs a value")));
        }
        match name.as_str() {
            "path" | "paths" => {
                if value.len() != 1 {
                    return Err((value[1].span(), "expected one path or a [list] of paths".into()));
                }
                request.sources = parse_paths(&value[0])?;
            }
            "include" => match value {
                [TokenTree::Group(g)] if g.delimiter() == Delimiter::Bracket => {
                    for item in comma_separated(g.stream()) {
                        let (pattern, span) = lit_str(&item[0], "an NSID pattern")?;
                        let base = pattern.strip_suffix(".*").unwrap_or(&pattern);
                        if pattern != "*" && !valid_pattern_prefix(base) {
                            return Err((span, format!("include pattern {pattern:?} is not an NSID or an NSID prefix followed by `.*`")));
                        }
                        request.include.push((pattern, span));
                    }
                }
                _ => return Err((value[0].span(), "expected a list of NSID patterns: include = [\"com.atproto.server.*\", \"app.bsky.feed.post\"]".into())),
            },
            "extern_paths" => match value {
                [TokenTree::Group(g)] if g.delimiter() == Delimiter::Brace => {
                    for item in comma_separated(g.stream()) {
                        let (prefix, span) = lit_str(&item[0], "an NSID prefix")?;
                        if !valid_pattern_prefix(&prefix) {
                            return Err((span, format!("extern path key {prefix:?} is not an NSID prefix such as \"com.atproto\"")));
                        }
                        match item.get(1) {
                            Some(TokenTree::Punct(p)) if p.as_char() == '=' => {}
                            _ => return Err((span, "expected `=` and a Rust module path after the NSID prefix".into())),
                        }
                        let path: TokenStream = item[2..].iter().cloned().collect();
                        if syn::parse2::<syn::Path>(path.clone()).is_err() {
                            let at = item.get(2).map_or(span, |t| t.span());
                            return Err((at, format!("extern path for {prefix:?} is not a Rust module path such as `crate::atproto`\n  = help: write the path without quotes: \"{prefix}\" = crate::some::module")));
                        }
                        request.extern_paths.push(ExternPath { prefix, path });
                    }
                }
                _ => return Err((value[0].span(), "expected a map: extern_paths = { \"com.atproto\" = crate::atproto }".into())),
            },
            other => {
                let hint = match atlex_codegen::model::closest(other, &["path", "include", "extern_paths"]) {
                    Some(best) => format!(" (did you mean `{best}`?)"),
                    None => String::new(),
                };
                return Err((key.span(), format!("unknown option `{other}`{hint}: the options are path, include and extern_paths")));
            }
        }
    }
    if request.sources.is_empty() {
        return Err((
            Span::call_site(),
            "lexicon! options need `path = \"...\"`".into(),
        ));
    }
    Ok(request)
}

/// Dot-separated segments of letters, digits and `-`: an NSID or a prefix of one.
fn valid_pattern_prefix(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|seg| {
            !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Checks a string literal against a format at compile time and builds the typed value.
fn literal(
    input: proc_macro::TokenStream,
    format: atlex_syntax::Format,
) -> proc_macro::TokenStream {
    let input = TokenStream::from(input);
    let tokens: Vec<TokenTree> = input.into_iter().collect();
    let name = format.lexicon_name();
    let (value, span) = match tokens.as_slice() {
        [tt] => match lit_str(tt, &format!("a {name}")) {
            Ok(v) => v,
            Err((span, msg)) => return error_at(span, &msg).into(),
        },
        [] => {
            return error_at(
                Span::call_site(),
                &format!("expected a {name} string literal"),
            )
            .into()
        }
        [_, second, ..] => {
            return error_at(
                second.span(),
                &format!("expected one {name} string literal"),
            )
            .into()
        }
    };
    if let Err(e) = format.check(&value) {
        return error_at(span, &format!("invalid {name} {value:?}: {e}")).into();
    }
    let ty = proc_macro2::Ident::new(type_name(format), span);
    let expanded =
        quote::quote_spanned!(span=> ::atlex::types::#ty::__new_unchecked_static(#value));
    expanded.into()
}

fn type_name(f: atlex_syntax::Format) -> &'static str {
    use atlex_syntax::Format;
    match f {
        Format::Did => "Did",
        Format::Handle => "Handle",
        Format::Nsid => "Nsid",
        Format::AtUri => "AtUri",
        Format::Cid => "Cid",
        Format::Datetime => "Datetime",
        Format::Language => "Language",
        Format::Tid => "Tid",
        Format::RecordKey => "RecordKey",
        Format::AtIdentifier => "AtIdentifier",
        Format::Uri => "Uri",
    }
}

macro_rules! literal_macros {
    ($($(#[$doc:meta])* $name:ident => $format:ident;)*) => {$(
        $(#[$doc])*
        #[proc_macro]
        pub fn $name(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
            literal(input, atlex_syntax::Format::$format)
        }
    )*};
}

literal_macros! {
    /// A DID checked at compile time: `did!("did:plc:ewvi7nxzyoun6zhxrhs64oiz")`.
    did => Did;
    /// A handle checked at compile time: `handle!("alice.bsky.social")`.
    handle => Handle;
    /// An NSID checked at compile time: `nsid!("app.bsky.feed.post")`.
    nsid => Nsid;
    /// An AT-URI checked at compile time: `at_uri!("at://did:plc:abc/app.bsky.feed.post/3k2a")`.
    at_uri => AtUri;
    /// A CID string checked at compile time.
    cid => Cid;
    /// A datetime checked at compile time: `datetime!("2024-11-26T15:36:49.000Z")`.
    datetime => Datetime;
    /// A language tag checked at compile time: `language!("pt-BR")`.
    language => Language;
    /// A TID checked at compile time: `tid!("3jzfcijpj2z2a")`.
    tid => Tid;
    /// A record key checked at compile time: `record_key!("self")`.
    record_key => RecordKey;
    /// A DID or handle checked at compile time: `at_identifier!("alice.test")`.
    at_identifier => AtIdentifier;
    /// A URI checked at compile time: `uri!("https://example.com")`.
    uri => Uri;
}
