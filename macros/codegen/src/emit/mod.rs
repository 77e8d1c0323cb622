//! Rust emission: one module per document, following the NSIDs.

mod client;
mod types;
mod validate;

use crate::model::{Def, DefKind, DocText};
use crate::naming::Namer;
use crate::resolve::{DocInfo, Registry};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::cell::Cell;
use std::collections::BTreeMap;

/// The standard types that generated public signatures name, as users read them.
pub(crate) const STD_NAMES: [&str; 5] = ["String", "Option", "Vec", "Box", "Result"];

thread_local! {
    /// Whether the document being emitted defines an item named like one of [`STD_NAMES`]
    /// (a def `string`, say), which would shadow it: then that document spells them in full.
    static QUALIFY_STD: Cell<bool> = const { Cell::new(false) };
}

/// A standard type of public signatures: `String`, `Option`, `Vec`, `Box` or `Result` by its
/// plain name (the generated module's prelude import brings it, and rustdoc and editors show
/// it so), or by its full path in a document that defines an item of that name.
pub(crate) fn std_ty(name: &str) -> TokenStream {
    let ident = format_ident!("{}", name);
    if !QUALIFY_STD.with(Cell::get) {
        return quote!(#ident);
    }
    match name {
        "String" => quote!(::std::string::String),
        "Option" => quote!(::core::option::Option),
        "Vec" => quote!(::std::vec::Vec),
        "Box" => quote!(::std::boxed::Box),
        _ => quote!(::core::result::Result),
    }
}

/// A node of the module tree: a namespace, a document, or both.
#[derive(Default)]
struct ModNode {
    children: BTreeMap<String, ModNode>,
    items: Option<TokenStream>,
    /// The module a document covered by `extern_paths` is re-exported from.
    reexport: Option<TokenStream>,
    nsid_prefix: String,
}

/// Emits the module tree for every document in the registry (or only what `only` selects,
/// when given).
pub(crate) fn emit(reg: &Registry<'_>, only: Option<&crate::Selection>) -> TokenStream {
    let mut root = ModNode::default();
    let mut records = Vec::new();
    for (nsid, info) in &reg.docs {
        let defs = match only {
            None => None,
            Some(o) => match o.get(nsid) {
                None => continue,
                Some(defs) => defs.as_ref(),
            },
        };
        let wanted = |name: &str| defs.is_none_or(|d| d.contains(name));
        if info
            .doc
            .defs
            .iter()
            .any(|d| d.name == "main" && matches!(d.kind, DefKind::Record(_)))
            && wanted("main")
        {
            records.push((nsid.as_str(), &info.module));
        }
        let mut node = &mut root;
        let segs: Vec<&str> = nsid.split('.').collect();
        for (i, m) in info.module.iter().enumerate() {
            node = node.children.entry(m.clone()).or_default();
            if node.nsid_prefix.is_empty() {
                node.nsid_prefix = segs[..=i.min(segs.len() - 1)].join(".");
            }
        }
        match &info.reexport {
            Some(path) => node.reexport = Some(path.clone()),
            None => node.items = Some(emit_doc(reg, info, &wanted)),
        }
    }
    let children = root.children.iter().map(|(name, n)| emit_node(name, n));
    let any_record = emit_any_record(&records);
    quote!(#(#children)* #any_record)
}

/// `AnyRecord`: every record type of the invocation, by collection (`Unknown` for others),
/// to decode the records of a repository or an event stream into their types.
fn emit_any_record(records: &[(&str, &Vec<String>)]) -> TokenStream {
    if records.is_empty() {
        return quote!();
    }
    let variants: Vec<proc_macro2::Ident> = records
        .iter()
        .map(|(nsid, _)| {
            format_ident!(
                "{}",
                nsid.split('.')
                    .map(crate::naming::pascal_case)
                    .collect::<String>()
            )
        })
        .collect();
    let paths = records.iter().map(|(_, module)| {
        let segs = module.iter().map(|m| format_ident!("{}", m));
        quote!(#(#segs)::*::Record)
    });
    let docs = records
        .iter()
        .map(|(nsid, _)| format!(" A `{nsid}` record."));
    let nsids = records.iter().map(|(nsid, _)| *nsid);
    quote! {
        /// Every record type of these lexicons, by collection: a record read where its
        /// collection is only known at run time (a repository, the event stream) decodes into
        /// its type, and a record of any other collection is kept whole.
        #[derive(Clone, PartialEq)]
        pub enum AnyRecord {
            #(#[doc = #docs] #variants(::std::boxed::Box<#paths>),)*
            /// A record of a collection these lexicons do not define.
            Unknown(::atlex::types::Unknown),
        }

        impl ::core::fmt::Debug for AnyRecord {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #(Self::#variants(r) => ::core::fmt::Debug::fmt(r, f),)*
                    Self::Unknown(u) => ::core::fmt::Debug::fmt(u, f),
                }
            }
        }

        impl ::atlex::RecordSet for AnyRecord {
            fn read<X: ::atlex::RecordReader>(
                collection: &str,
                reader: X,
            ) -> ::core::result::Result<Self, X::Error> {
                ::core::result::Result::Ok(match collection {
                    #(#nsids => Self::#variants(::std::boxed::Box::new(reader.read()?)),)*
                    _ => Self::Unknown(reader.read_unknown()?),
                })
            }
        }
    }
}

fn emit_node(name: &str, node: &ModNode) -> TokenStream {
    let ident = format_ident!("{}", name);
    if let (Some(path), true) = (&node.reexport, node.children.is_empty()) {
        // The very module (not a copy), so that its types are the other invocation's.
        return quote! {
            #[doc(inline)]
            pub use #path as #ident;
        };
    }
    let children = node.children.iter().map(|(n, c)| emit_node(n, c));
    let items = match (&node.items, &node.reexport) {
        (Some(items), _) => items.clone(),
        // A re-exported document whose NSID is also the prefix of others in the set: its
        // items beside their modules.
        (None, Some(path)) => quote! {
            #[doc(inline)]
            pub use #path::*;
        },
        (None, None) => TokenStream::new(),
    };
    let doc = if node.items.is_some() {
        quote!()
    } else {
        let text = format!(" Lexicons under `{}`.", node.nsid_prefix);
        quote!(#[doc = #text])
    };
    quote! {
        #doc
        pub mod #ident {
            #items
            #(#children)*
        }
    }
}

/// Per-document emission state: the document, the registry for refs, names for anonymous
/// types, and the items emitted so far.
pub(crate) struct DocCx<'r, 'a> {
    pub reg: &'r Registry<'a>,
    pub info: &'r DocInfo<'a>,
    pub namer: Namer,
    pub items: Vec<TokenStream>,
    /// The definition being emitted, to find fields that recurse back into it.
    pub current_def: String,
}

impl DocCx<'_, '_> {
    pub fn nsid(&self) -> &str {
        &self.info.doc.id
    }

    /// The Rust name given to definition `name`.
    pub fn def_ident(&self, name: &str) -> proc_macro2::Ident {
        format_ident!(
            "{}",
            self.info
                .names
                .get(name)
                .cloned()
                .unwrap_or_else(|| crate::resolve::default_item_name(name))
        )
    }
}

fn emit_doc(reg: &Registry<'_>, info: &DocInfo<'_>, wanted: &dyn Fn(&str) -> bool) -> TokenStream {
    let doc = info.doc;
    let mut reserved: Vec<&str> = info.names.values().map(String::as_str).collect();
    reserved.extend(crate::resolve::METHOD_ITEMS);
    reserved.push("LEXICON");
    let clash = info.names.values().any(|n| STD_NAMES.contains(&n.as_str()));
    QUALIFY_STD.with(|q| q.set(clash));
    let mut cx = DocCx {
        reg,
        info,
        namer: Namer::with_reserved(&reserved),
        items: Vec::new(),
        current_def: String::new(),
    };
    let nsid = &doc.id;
    let lexicon = match &doc.text {
        DocText::File(path) => quote!(::core::include_str!(#path)),
        DocText::Inline(text) => quote!(#text),
    };
    let mut module_doc = match &doc.description {
        Some(d) => format!(" {d}\n\n"),
        None => String::new(),
    };
    module_doc.push_str(&format!(" Generated from the lexicon `{nsid}`."));
    let mut defs: Vec<&Def> = doc.defs.iter().collect();
    // `main` first, then by name: the output does not depend on key order in the file.
    defs.sort_by(|a, b| (a.name != "main", &a.name).cmp(&(b.name != "main", &b.name)));
    for def in defs.into_iter().filter(|d| wanted(&d.name)) {
        emit_def(&mut cx, def);
    }
    let items = cx.items;
    quote! {
        #![doc = #module_doc]
        #[allow(unused_imports)]
        use ::atlex::__private::prelude::*;
        /// The NSID of this lexicon document.
        pub const NSID: &str = #nsid;
        /// The lexicon document's JSON text, as read at compile time.
        pub const LEXICON: &str = #lexicon;
        #(#items)*
    }
}

/// The doc text of a generated item: the lexicon's description, then where it came from.
pub(crate) fn doc_attr(description: Option<&str>, origin: &str) -> TokenStream {
    let mut lines = Vec::new();
    if let Some(d) = description.filter(|d| !d.trim().is_empty()) {
        for line in d.lines() {
            lines.push(format!(" {line}"));
        }
        lines.push(String::new());
    }
    lines.push(format!(" {origin}"));
    quote!(#(#[doc = #lines])*)
}

fn emit_def(cx: &mut DocCx<'_, '_>, def: &Def) {
    let nsid = cx.nsid().to_owned();
    cx.current_def = def.name.clone();
    let full = if def.name == "main" {
        nsid.clone()
    } else {
        format!("{nsid}#{}", def.name)
    };
    match &def.kind {
        DefKind::Record(r) => types::emit_record(cx, def, r),
        DefKind::Query(m) => client::emit_method(cx, def, m, false),
        DefKind::Procedure(m) => client::emit_method(cx, def, m, true),
        DefKind::Subscription(s) => client::emit_subscription(cx, def, s),
        DefKind::PermissionSet => {
            let ident = cx.def_ident(&def.name);
            let doc = doc_attr(
                def.description.as_deref(),
                &format!("The permission set `{full}`; its permissions are in [`LEXICON`]."),
            );
            cx.items.push(quote! {
                #doc
                pub const #ident: &str = #full;
            });
        }
        DefKind::Broken => {}
        DefKind::Token => {
            let ident = cx.def_ident(&def.name);
            let doc = doc_attr(def.description.as_deref(), &format!("The token `{full}`."));
            cx.items.push(quote! {
                #doc
                pub const #ident: &str = #full;
            });
        }
        DefKind::Schema(s) => {
            let ident = cx.def_ident(&def.name);
            let origin = format!("`{full}` ({})", s.kind.type_name());
            types::emit_named_schema(cx, &ident, s, def.description.as_deref(), &origin);
        }
    }
}
