//! What users read is plain Rust: the public items of an expansion (fields, variants,
//! constructor parameters, function signatures, aliases, constants and the signatures of trait
//! impls, all of which rustdoc and editors show) name `String`, `Option<..>`, `Vec<..>`,
//! `Box<..>` and `Result<..>`, never the short `__` names that generated bodies use.
//!
//! rustdoc shows a type by the last segment of its path (`__t::Did` reads `Did`), so that segment
//! and every type argument must be free of `__`. Items marked `#[doc(hidden)]` and private items
//! are not shown and not checked.
//!
//! Checked on the seed document (the quickstart's createSession), every fixture lexicon that
//! expands without errors, and the official lexicons when `ATLEX_LEXICONS_DIR` is set.

use atlex_codegen::read::Source;
use atlex_codegen::{expand, Request};
use proc_macro2::Span;
use quote::ToTokens;
use std::path::{Path, PathBuf};

/// Expands `paths` (relative to the tests crate) and returns the `__` names found in public
/// signatures, each with where it was found.
fn leaks(paths: &[PathBuf]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let request = Request {
        sources: paths
            .iter()
            .map(|p| Source::Path(p.to_string_lossy().into_owned(), Span::call_site()))
            .collect(),
        include: Vec::new(),
        extern_paths: Vec::new(),
    };
    let tokens = expand(&request, root);
    let file: syn::File = syn::parse2(tokens).expect("the expansion parses as a Rust file");
    let mut v = Public {
        path: Vec::new(),
        found: Vec::new(),
    };
    v.items(&file.items);
    v.found
}

fn hidden(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("doc")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string().contains("hidden"))
    })
}

fn is_pub(v: &syn::Visibility) -> bool {
    matches!(v, syn::Visibility::Public(_))
}

/// Walks the items users see.
struct Public {
    path: Vec<String>,
    found: Vec<String>,
}

impl Public {
    fn where_(&self, what: &str) -> String {
        format!("{}: {what}", self.path.join("::"))
    }

    fn ty(&mut self, ty: &syn::Type, what: &str) {
        let mut names = Vec::new();
        shown_names(ty.to_token_stream(), &mut names);
        for n in names {
            let w = self.where_(what);
            self.found
                .push(format!("{w}: `{n}` in `{}`", ty.to_token_stream()));
        }
    }

    fn sig(&mut self, sig: &syn::Signature, what: &str) {
        let mut names = Vec::new();
        shown_names(sig.to_token_stream(), &mut names);
        for n in names {
            let w = self.where_(what);
            self.found
                .push(format!("{w}: `{n}` in `{}`", sig.to_token_stream()));
        }
    }

    fn fields(&mut self, fields: &syn::Fields, owner: &str) {
        for (i, f) in fields.iter().enumerate() {
            if hidden(&f.attrs) {
                continue;
            }
            let name = f
                .ident
                .as_ref()
                .map_or_else(|| i.to_string(), ToString::to_string);
            self.ty(&f.ty, &format!("{owner}.{name}"));
        }
    }
}

/// The names rustdoc shows of a type or signature: the last segment of each path (an ident
/// not followed by `::`), at any depth; a body (`{ .. }`) is not shown.
fn shown_names(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
    use proc_macro2::{Delimiter, TokenTree};
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tt) in tts.iter().enumerate() {
        match tt {
            TokenTree::Ident(id) => {
                let name = id.to_string();
                let prefix =
                    matches!(tts.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':');
                if name.starts_with("__") && !prefix {
                    out.push(name);
                }
            }
            TokenTree::Group(g) if g.delimiter() != Delimiter::Brace => {
                shown_names(g.stream(), out);
            }
            _ => {}
        }
    }
}

impl Public {
    fn items(&mut self, items: &[syn::Item]) {
        for item in items {
            match item {
                syn::Item::Mod(m) => self.item_mod(m),
                syn::Item::Struct(s) => self.item_struct(s),
                syn::Item::Enum(e) => self.item_enum(e),
                syn::Item::Type(t) => self.item_type(t),
                syn::Item::Const(c) => self.item_const(c),
                syn::Item::Fn(f) => self.item_fn(f),
                syn::Item::Impl(i) => self.item_impl(i),
                _ => {}
            }
        }
    }

    fn item_mod(&mut self, m: &syn::ItemMod) {
        if hidden(&m.attrs) || !is_pub(&m.vis) {
            return;
        }
        self.path.push(m.ident.to_string());
        if let Some((_, items)) = &m.content {
            self.items(items);
        }
        self.path.pop();
    }

    fn item_struct(&mut self, s: &syn::ItemStruct) {
        if hidden(&s.attrs) || !is_pub(&s.vis) {
            return;
        }
        for f in &s.fields {
            if is_pub(&f.vis) && !hidden(&f.attrs) {
                let name = f
                    .ident
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                self.ty(&f.ty, &format!("{}.{name}", s.ident));
            }
        }
    }

    fn item_enum(&mut self, e: &syn::ItemEnum) {
        if hidden(&e.attrs) || !is_pub(&e.vis) {
            return;
        }
        for v in &e.variants {
            if !hidden(&v.attrs) {
                self.fields(&v.fields, &format!("{}::{}", e.ident, v.ident));
            }
        }
    }

    fn item_type(&mut self, t: &syn::ItemType) {
        if !hidden(&t.attrs) && is_pub(&t.vis) {
            self.ty(&t.ty, &format!("type {}", t.ident));
        }
    }

    fn item_const(&mut self, c: &syn::ItemConst) {
        if !hidden(&c.attrs) && is_pub(&c.vis) {
            self.ty(&c.ty, &format!("const {}", c.ident));
        }
    }

    fn item_fn(&mut self, f: &syn::ItemFn) {
        if !hidden(&f.attrs) && is_pub(&f.vis) {
            self.sig(&f.sig, &format!("fn {}", f.sig.ident));
        }
    }

    fn item_impl(&mut self, i: &syn::ItemImpl) {
        if hidden(&i.attrs) {
            return;
        }
        let self_ty = &i.self_ty;
        let owner = self_ty.to_token_stream().to_string();
        let trait_impl = i.trait_.is_some();
        if let Some((_, path, _)) = &i.trait_ {
            // A trait impl is shown with its trait's generic arguments (`From<String>`).
            let mut names = Vec::new();
            shown_names(path.to_token_stream(), &mut names);
            for n in names {
                let w = self.where_(&format!("impl for {owner}"));
                self.found
                    .push(format!("{w}: `{n}` in `{}`", path.to_token_stream()));
            }
        }
        for item in &i.items {
            match item {
                // Every method of a trait impl is shown; of an inherent impl, the public ones.
                syn::ImplItem::Fn(f) if !hidden(&f.attrs) && (trait_impl || is_pub(&f.vis)) => {
                    self.sig(&f.sig, &format!("{owner}::{}", f.sig.ident));
                }
                syn::ImplItem::Type(t) if !hidden(&t.attrs) => {
                    self.ty(&t.ty, &format!("{owner}::{}", t.ident));
                }
                syn::ImplItem::Const(c) if !hidden(&c.attrs) && (trait_impl || is_pub(&c.vis)) => {
                    self.ty(&c.ty, &format!("{owner}::{}", c.ident));
                }
                _ => {}
            }
        }
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

fn assert_plain(label: &str, paths: &[PathBuf]) {
    let found = leaks(paths);
    assert!(
        found.is_empty(),
        "{label}: {} public signature(s) name a `__` item (rustdoc and editors would show it):\n{}",
        found.len(),
        found
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The seed document, as the quickstart uses it.
#[test]
fn seed_reads_as_plain_rust() {
    assert_plain(
        "createSession",
        &[PathBuf::from(
            "../runtime/lexicons/com/atproto/server/createSession.json",
        )],
    );
}

/// Each fixture set that expands (the sets directory, whose documents reference each other).
#[test]
fn fixtures_read_as_plain_rust() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_plain("lexicons/sets", &[root.join("lexicons/sets")]);
    assert_plain("lexicons/fixtures", &[root.join("lexicons/fixtures")]);
}

/// The official lexicons, all in one invocation.
#[test]
fn official_lexicons_read_as_plain_rust() {
    let Some(dir) = std::env::var_os("ATLEX_LEXICONS_DIR") else {
        atlex_tests::skip("ATLEX_LEXICONS_DIR is not set");
        return;
    };
    let mut files = Vec::new();
    json_files(Path::new(&dir), &mut files);
    assert!(
        files.len() > 300,
        "expected the official lexicons in {dir:?}"
    );
    assert_plain("official lexicons", &[PathBuf::from(dir)]);
}

/// A document that defines `String`, `Option`, `Vec`, `Box` and `Result` keeps them for its own
/// items; its signatures name the standard types by full path (the expansion compiles: see
/// `std_name_clash` in tests/tests/sets.rs).
#[test]
fn clashing_document_is_qualified() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("lexicons/clash");
    let found = leaks(std::slice::from_ref(&file));
    assert!(found.is_empty(), "{found:#?}");
}
