//! Names and references: every document gets a module path, every definition a Rust name, and
//! every `ref` a target, or an error that says what is missing and where it was referenced.

use crate::diag::{At, Ctxt};
use crate::model::{Def, DefKind, Document, Kind, Schema};
use crate::naming::{pascal_case, screaming_snake_case, snake_case, Namer};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::BTreeMap;

/// Names every generated method module reserves.
pub const METHOD_ITEMS: &[&str] = &[
    "NSID",
    "LEXICON",
    "Params",
    "Input",
    "Output",
    "Error",
    "Method",
    "Message",
    "call",
    "subscribe",
];

/// A document with its module path and the Rust names of its definitions.
#[derive(Debug)]
pub struct DocInfo<'a> {
    /// The document.
    pub doc: &'a Document,
    /// The module path from the invocation (`["com", "atproto", "server", "create_session"]`).
    pub module: Vec<String>,
    /// Definition name -> Rust item name.
    pub names: BTreeMap<String, String>,
    /// The module that already holds this document's items, when `extern_paths` covers a
    /// document of the set: the document is not generated again, its module is re-exported
    /// from there (`pub use <path> as <module>;`).
    pub reexport: Option<TokenStream>,
}

/// `extern_paths`: where the types of an NSID prefix (a namespace such as `com.atproto`, or
/// one whole NSID) already are.
///
/// A ref to a document outside the set under the prefix names the type in that module by its
/// default name (`#strongRef` -> `StrongRef`, `main` -> `Main`; a record's module has `Main`
/// as a hidden alias of `Record`). A document of the set under the prefix is checked and
/// resolved as usual but not generated: its module is re-exported from that path, so both
/// invocations share one type for each of its definitions.
#[derive(Debug, Clone)]
pub struct ExternPath {
    /// The NSID prefix (`com.atproto`).
    pub prefix: String,
    /// The Rust module it maps to (`crate::atproto`).
    pub path: TokenStream,
}

/// All documents of one invocation.
#[derive(Debug)]
pub struct Registry<'a> {
    /// By NSID.
    pub docs: BTreeMap<String, DocInfo<'a>>,
    /// `extern_paths`, longest prefix first.
    pub externs: Vec<ExternPath>,
    /// Files that failed to parse (see [`crate::read::ReadResult::broken_files`]).
    pub broken_files: Vec<std::path::PathBuf>,
}

/// What a ref points at.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A definition inside the set.
    Local(&'a DocInfo<'a>, &'a Def),
    /// A definition in an extern module: the path is known, its kind is not.
    Extern,
}

/// The scheme @atproto/lexicon puts before the NSID of a ref (`lex:com.atproto.label.defs#label`),
/// as its exported schemas write them. A ref with it names what the ref without it names.
pub const LEX_SCHEME: &str = "lex:";

/// Splits `nsid#name`, `#name` or `nsid` (each NSID form also with the `lex:` scheme) into the
/// NSID (the current one for `#name`) and the definition name (`main` when absent).
pub fn split_ref<'r>(current: &'r str, raw: &'r str) -> (&'r str, &'r str) {
    let raw = raw.strip_prefix(LEX_SCHEME).unwrap_or(raw);
    match raw.split_once('#') {
        Some(("", name)) => (current, name),
        Some((nsid, name)) => (nsid, name),
        None => (raw, "main"),
    }
}

impl<'a> Registry<'a> {
    /// Builds the registry; module and item names are decided here, deterministically.
    pub fn new(docs: &'a [Document], externs: Vec<ExternPath>) -> Self {
        let mut sorted: Vec<&Document> = docs.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        let mut taken_modules: BTreeMap<Vec<String>, ()> = BTreeMap::new();
        let mut out = BTreeMap::new();
        for doc in sorted {
            let mut module: Vec<String> = doc.id.split('.').map(snake_case).collect();
            if taken_modules.contains_key(&module) {
                let last = module.len() - 1;
                let base = module[last].clone();
                for n in 2.. {
                    module[last] = format!("{base}_{n}");
                    if !taken_modules.contains_key(&module) {
                        break;
                    }
                }
            }
            taken_modules.insert(module.clone(), ());
            let names = def_names(doc);
            out.insert(
                doc.id.clone(),
                DocInfo {
                    doc,
                    module,
                    names,
                    reexport: None,
                },
            );
        }
        let mut externs = externs;
        externs.sort_by_key(|e| std::cmp::Reverse(e.prefix.len()));
        let mut registry = Registry {
            docs: out,
            externs,
            broken_files: Vec::new(),
        };
        let reexports: Vec<(String, TokenStream)> = registry
            .docs
            .keys()
            .filter_map(|nsid| Some((nsid.clone(), registry.extern_module(nsid)?)))
            .collect();
        for (nsid, path) in reexports {
            if let Some(info) = registry.docs.get_mut(&nsid) {
                info.reexport = Some(path);
            }
        }
        registry
    }

    /// The extern module for `nsid`, if `extern_paths` covers it.
    fn extern_for(&self, nsid: &str) -> Option<&ExternPath> {
        self.externs.iter().find(|e| {
            nsid == e.prefix
                || (nsid.starts_with(&e.prefix)
                    && nsid.as_bytes().get(e.prefix.len()) == Some(&b'.'))
        })
    }

    /// Resolves `raw` as written in `from`.
    pub fn lookup(&'a self, from: &str, raw: &str) -> Result<Target<'a>, RefError> {
        // @atproto/lexicon keeps a `lex:` ref as written and looks it up among `lex:nsid#name`
        // and `lex:nsid`: with no NSID after the scheme it names nothing.
        if let Some(rest) = raw.strip_prefix(LEX_SCHEME) {
            if rest.is_empty() || rest.starts_with('#') {
                return Err(RefError::SchemeWithoutNsid);
            }
        }
        let (nsid, name) = split_ref(from, raw);
        if name.is_empty() {
            return Err(RefError::Malformed("the part after `#` is empty"));
        }
        if atlex_syntax::nsid(nsid).is_err() {
            return Err(RefError::Malformed(
                "the part before `#` is not a valid NSID",
            ));
        }
        match self.docs.get(nsid) {
            Some(info) => match info.doc.defs.iter().find(|d| d.name == name) {
                Some(def) => Ok(Target::Local(info, def)),
                None => Err(RefError::NoDef {
                    nsid: nsid.to_owned(),
                    name: name.to_owned(),
                    available: info.doc.defs.iter().map(|d| d.name.clone()).collect(),
                }),
            },
            None => {
                if self.extern_for(nsid).is_some() {
                    Ok(Target::Extern)
                } else {
                    Err(RefError::NoDoc(nsid.to_owned()))
                }
            }
        }
    }

    /// The Rust path of the type `raw` names, seen from the module of document `from`.
    pub fn type_path(&self, from: &str, raw: &str) -> TokenStream {
        let (nsid, name) = split_ref(from, raw);
        if let Some(info) = self.docs.get(nsid) {
            let item = format_ident!(
                "{}",
                info.names
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| pascal_case(name))
            );
            if nsid == from {
                return quote!(#item);
            }
            let depth = self.docs.get(from).map_or(0, |f| f.module.len());
            let supers = (0..depth).map(|_| quote!(super));
            let segs = info.module.iter().map(|m| format_ident!("{}", m));
            return quote!(#(#supers::)* #(#segs::)* #item);
        }
        if let Some(module) = self.extern_module(nsid) {
            let item = format_ident!("{}", default_item_name(name));
            return quote!(#module :: #item);
        }
        // Unreachable after a successful check; keep the output well-formed anyway.
        let item = format_ident!("{}", default_item_name(name));
        quote!(#item)
    }

    /// The Rust module of document `nsid` when `extern_paths` maps it.
    pub fn extern_module(&self, nsid: &str) -> Option<TokenStream> {
        let ext = self.extern_for(nsid)?;
        let base = &ext.path;
        let rest = nsid[ext.prefix.len()..].trim_start_matches('.');
        let segs = rest
            .split('.')
            .filter(|s| !s.is_empty())
            .map(|s| format_ident!("{}", snake_case(s)));
        Some(quote!(#base #(::#segs)*))
    }

    /// Reports every ref of every document that resolves to nothing, to a token, or (in a
    /// union) to something other than an object or record.
    pub fn check_refs(&'a self, cx: &mut Ctxt) {
        for info in self.docs.values() {
            for def in &info.doc.defs {
                let mut visit = |s: &Schema, cx: &mut Ctxt| self.check_schema_refs(info.doc, s, cx);
                for_each_schema(def, &mut visit, cx);
            }
        }
    }

    fn check_schema_refs(&'a self, doc: &Document, s: &Schema, cx: &mut Ctxt) {
        match &s.kind {
            Kind::Ref(r) => {
                if let Some(err) = self.check_one(doc, &r.target, false) {
                    self.report(cx, doc, &r.at, &r.target, err, "ref");
                }
            }
            Kind::Union(u) => {
                for r in &u.refs {
                    if let Some(err) = self.check_one(doc, &r.value, true) {
                        self.report(cx, doc, &r.at, &r.value, err, "union variant");
                    }
                }
            }
            _ => {}
        }
    }

    fn check_one(&'a self, doc: &Document, raw: &str, in_union: bool) -> Option<RefError> {
        match self.lookup(&doc.id, raw) {
            Err(e) => Some(e),
            Ok(Target::Extern) => None,
            Ok(Target::Local(_, def)) => match &def.kind {
                DefKind::Token => Some(RefError::Token),
                DefKind::Broken => None,
                DefKind::Record(_) => None,
                DefKind::Schema(Schema {
                    kind: Kind::Object(_),
                    ..
                }) => None,
                other if in_union => Some(RefError::NotObject(other.type_name())),
                DefKind::Schema(_) => None,
                other => Some(RefError::NotObject(other.type_name())),
            },
        }
    }

    fn report(&self, cx: &mut Ctxt, doc: &Document, at: &At, raw: &str, err: RefError, what: &str) {
        let (msg, hint) = match err {
            RefError::Malformed(why) => (
                format!("{what} {raw:?} is malformed: {why}"),
                Some("write `#localName`, `com.example.doc` or `com.example.doc#name`".to_owned()),
            ),
            RefError::SchemeWithoutNsid => {
                let local = raw[LEX_SCHEME.len()..].trim_start_matches('#');
                (
                    format!("{what} {raw:?} is malformed: `lex:` must be followed by an NSID"),
                    Some(if local.is_empty() {
                        "write `lex:com.example.doc#name`, or the ref without `lex:`".to_owned()
                    } else {
                        format!(
                            "write `#{local}` for a definition of this document (`lex:` goes only before an NSID: `lex:{}#{local}`)",
                            doc.id
                        )
                    }),
                )
            }
            RefError::NoDoc(nsid) if self.is_broken_file(&nsid) => return,
            RefError::NoDoc(nsid) => (
                format!("{what} {raw:?} does not resolve: no document {nsid:?} is in this lexicon set"),
                Some(format!(
                    "add the file defining {nsid} to the macro's paths, or map its namespace with `extern_paths`"
                )),
            ),
            RefError::NoDef {
                nsid,
                name,
                available,
            } => {
                let names: Vec<&str> = available.iter().map(String::as_str).collect();
                let hint = match crate::model::closest(&name, &names) {
                    Some(best) => format!("did you mean `#{best}`?"),
                    None => format!("{nsid} defines: {}", names.join(", ")),
                };
                (
                    format!("{what} {raw:?} does not resolve: {nsid} has no definition {name:?}"),
                    Some(hint),
                )
            }
            RefError::Token => (
                format!("{what} {raw:?} points at a token, which holds no data"),
                Some("tokens are values of strings: use a string property with `knownValues` instead".to_owned()),
            ),
            RefError::NotObject(kind) => (
                format!("{what} {raw:?} points at a {kind}, but union variants must be objects or records"),
                None,
            ),
        };
        cx.error(&doc.origin, at, &msg, hint.as_deref());
    }
}

impl Registry<'_> {
    /// True when the type `raw` (seen from document `from`) contains, through fields that are
    /// not boxed or in a `Vec` (refs inside objects, nested objects), the definition `owner`.
    pub fn ref_reaches(&self, from: &str, raw: &str, owner: &(String, String)) -> bool {
        let (nsid, name) = split_ref(from, raw);
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![(nsid.to_owned(), name.to_owned())];
        while let Some(key) = stack.pop() {
            if &key == owner {
                return true;
            }
            if !seen.insert(key.clone()) {
                continue;
            }
            let Some(info) = self.docs.get(&key.0) else {
                continue;
            };
            let Some(def) = info.doc.defs.iter().find(|d| d.name == key.1) else {
                continue;
            };
            let object = match &def.kind {
                DefKind::Record(r) => &r.record,
                DefKind::Schema(Schema {
                    kind: Kind::Object(o),
                    ..
                }) => o,
                _ => continue,
            };
            direct_refs(&key.0, object, &mut stack);
        }
        false
    }

    /// True when a file that failed to parse is where `nsid` would be (`a/b/c.json`).
    fn is_broken_file(&self, nsid: &str) -> bool {
        let tail: std::path::PathBuf = format!("{}.json", nsid.replace('.', "/")).into();
        self.broken_files.iter().any(|f| f.ends_with(&tail))
    }
}

/// The definitions an object holds by value: refs in its properties and in nested objects'
/// properties (arrays and unions hold theirs behind a pointer).
fn direct_refs(nsid: &str, o: &crate::model::Object, out: &mut Vec<(String, String)>) {
    for p in &o.properties {
        match &p.schema.kind {
            Kind::Ref(r) => {
                let (n, name) = split_ref(nsid, &r.target);
                out.push((n.to_owned(), name.to_owned()));
            }
            Kind::Object(inner) => direct_refs(nsid, inner, out),
            _ => {}
        }
    }
}

/// Why a ref does not resolve.
#[derive(Debug)]
pub enum RefError {
    /// Not `nsid#name` syntax.
    Malformed(&'static str),
    /// `lex:` with no NSID after it (`lex:#name`), which @atproto/lexicon resolves to nothing.
    SchemeWithoutNsid,
    /// No document with that NSID.
    NoDoc(String),
    /// The document exists; the definition does not.
    NoDef {
        /// The document.
        nsid: String,
        /// The missing name.
        name: String,
        /// The names it does define.
        available: Vec<String>,
    },
    /// The target is a token.
    Token,
    /// The target is not an object or record (for union variants).
    NotObject(&'static str),
}

/// The Rust item name a definition gets when nothing collides.
pub fn default_item_name(def_name: &str) -> String {
    if def_name == "main" {
        "Main".to_owned()
    } else {
        pascal_case(def_name)
    }
}

/// The hidden constant that holds the constraints of the alias named `item` (`ShortText` ->
/// `__ShortText`), beside it in its module: how a ref from another invocation finds them. No
/// generated name starts with `_`, so it is clear of every other item.
pub fn alias_checks_name(item: &str) -> proc_macro2::Ident {
    format_ident!("__{}", item)
}

/// Decides every definition's Rust name in a document: the items of `main` first, then the
/// other definitions in name order, so the result does not depend on the file's key order.
fn def_names(doc: &Document) -> BTreeMap<String, String> {
    let mut namer = Namer::with_reserved(&["NSID", "LEXICON"]);
    let mut names = BTreeMap::new();
    let main = doc.defs.iter().find(|d| d.name == "main");
    let is_method = matches!(
        main.map(|d| &d.kind),
        Some(DefKind::Query(_) | DefKind::Procedure(_) | DefKind::Subscription(_))
    );
    if is_method {
        for item in METHOD_ITEMS {
            namer.claim(item);
        }
    }
    if let Some(main) = main {
        let name = match &main.kind {
            DefKind::Record(_) => namer.claim("Record"),
            DefKind::Token => namer.claim("MAIN"),
            DefKind::Broken => "Main".to_owned(),
            DefKind::Query(_) | DefKind::Procedure(_) | DefKind::Subscription(_) => {
                "Method".to_owned()
            }
            DefKind::PermissionSet => namer.claim("PERMISSIONS"),
            DefKind::Schema(_) => namer.claim("Main"),
        };
        names.insert("main".to_owned(), name);
    }
    let mut others: Vec<&Def> = doc.defs.iter().filter(|d| d.name != "main").collect();
    others.sort_by(|a, b| a.name.cmp(&b.name));
    for def in others {
        let wanted = match def.kind {
            DefKind::Token => screaming_snake_case(&def.name),
            _ => pascal_case(&def.name),
        };
        names.insert(def.name.clone(), namer.claim(&wanted));
    }
    names
}

/// Calls `f` on every schema inside a definition, depth first.
pub fn for_each_schema<C>(def: &Def, f: &mut impl FnMut(&Schema, &mut C), cx: &mut C) {
    fn walk<C>(s: &Schema, f: &mut impl FnMut(&Schema, &mut C), cx: &mut C) {
        f(s, cx);
        match &s.kind {
            Kind::Array(items, _) => walk(items, f, cx),
            Kind::Object(o) => {
                for p in &o.properties {
                    walk(&p.schema, f, cx);
                }
            }
            _ => {}
        }
    }
    let walk_obj = |o: &crate::model::Object, f: &mut dyn FnMut(&Schema, &mut C), cx: &mut C| {
        for p in &o.properties {
            walk(&p.schema, &mut |s: &Schema, c: &mut C| f(s, c), cx);
        }
    };
    match &def.kind {
        DefKind::Record(r) => walk_obj(&r.record, f, cx),
        DefKind::Query(m) | DefKind::Procedure(m) => {
            if let Some(p) = &m.parameters {
                walk_obj(p, f, cx);
            }
            for b in [&m.input, &m.output].into_iter().flatten() {
                if let Some(s) = &b.schema {
                    walk(s, f, cx);
                }
            }
        }
        DefKind::Subscription(s) => {
            if let Some(p) = &s.parameters {
                walk_obj(p, f, cx);
            }
            if let Some(m) = &s.message {
                walk(m, f, cx);
            }
        }
        DefKind::Schema(s) => walk(s, f, cx),
        DefKind::PermissionSet | DefKind::Token | DefKind::Broken => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Source;

    /// The expansion of one inline document, as text.
    fn expand_inline(json: &str) -> String {
        let tokens: TokenStream = json.parse().expect("the document tokenizes");
        let Some(proc_macro2::TokenTree::Group(group)) = tokens.into_iter().next() else {
            panic!("the document is a brace group");
        };
        let request = crate::Request {
            sources: vec![Source::Inline(group.span(), group.stream())],
            include: Vec::new(),
            extern_paths: Vec::new(),
        };
        crate::expand(&request, std::path::Path::new(".")).to_string()
    }

    const WITH_SCHEME: &str = r##"{
        "lexicon": 1, "id": "com.example.labeled",
        "defs": {
            "main": { "type": "object", "properties": {
                "label": { "type": "ref", "ref": "lex:com.example.labeled#label" },
                "self": { "type": "ref", "ref": "lex:com.example.labeled" },
                "embed": { "type": "union", "refs": ["lex:com.example.labeled#label", "#other"] }
            } },
            "label": { "type": "object", "properties": { "val": { "type": "string", "maxLength": 8 } } },
            "other": { "type": "object", "properties": {} }
        }
    }"##;

    #[test]
    fn a_lex_ref_names_what_the_ref_without_the_scheme_names() {
        assert_eq!(
            split_ref("a.b.c", "lex:com.example.x#d"),
            ("com.example.x", "d")
        );
        assert_eq!(
            split_ref("a.b.c", "lex:com.example.x"),
            ("com.example.x", "main")
        );
        let with = expand_inline(WITH_SCHEME);
        assert!(!with.contains("compile_error"), "{with}");
        // The same expansion, down to the `LEXICON` text once the scheme is taken out of both.
        assert_eq!(
            with.replace("lex:", ""),
            expand_inline(&WITH_SCHEME.replace("lex:", ""))
        );
    }

    #[test]
    fn lex_without_an_nsid_is_refused() {
        for (raw, hint) in [
            (
                "lex:#label",
                "write `#label` for a definition of this document",
            ),
            (
                "lex:",
                "write `lex:com.example.doc#name`, or the ref without `lex:`",
            ),
        ] {
            let doc = WITH_SCHEME.replace(
                "\"lex:com.example.labeled#label\" }",
                &format!("{raw:?} }}"),
            );
            let out = expand_inline(&doc);
            let msg = format!("ref \\\"{raw}\\\" is malformed: `lex:` must be followed by an NSID");
            assert!(out.contains(&msg), "{raw}: {out}");
            assert!(out.contains(hint), "{raw}: {out}");
            assert_eq!(out.matches("compile_error").count(), 1, "{raw}: {out}");
        }
    }

    #[test]
    fn one_definition_under_two_spellings_in_a_union_is_listed_twice() {
        for (a, b) in [
            ("#label", "lex:com.example.labeled#label"),
            ("com.example.labeled#label", "lex:com.example.labeled#label"),
            ("lex:com.example.labeled", "com.example.labeled#main"),
        ] {
            let doc = WITH_SCHEME.replace(
                r##"["lex:com.example.labeled#label", "#other"]"##,
                &format!("[{a:?}, {b:?}]"),
            );
            let out = expand_inline(&doc);
            assert!(out.contains("union lists"), "{a} {b}: {out}");
            assert_eq!(out.matches("compile_error").count(), 1, "{a} {b}: {out}");
        }
    }
}
