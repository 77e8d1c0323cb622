//! Validation: the checks of a schema as `atlex::__private::Checks` tables.

use super::DocCx;
use crate::model::{DefKind, Kind, Located, Schema};
use crate::resolve::{alias_checks_name, default_item_name, split_ref, DocInfo, Target};
use proc_macro2::TokenStream;
use quote::quote;

/// How deep refs to aliases are followed (a recursive alias would otherwise never end).
const MAX_ALIAS_DEPTH: usize = 8;

/// The constraints of `schema` as an `atlex::__private::Checks` expression, for
/// `Validate::__check`; `None` when a value of it needs no checking at all. A nested object,
/// union, unknown value or string enum gets `Checks::NONE`: it validates itself.
pub(crate) fn checks_desc(
    cx: &DocCx<'_, '_>,
    schema: &Schema,
    depth: usize,
) -> Option<TokenStream> {
    let mut set: Vec<TokenStream> = Vec::new();
    // `name: Some(limit)` for a limit the lexicon gives.
    let u = |name: &str, v: &Option<Located<u64>>, set: &mut Vec<TokenStream>| {
        if let Some(v) = v {
            let (id, v) = (quote::format_ident!("{}", name), v.value);
            set.push(quote!(#id: __Some(#v)));
        }
    };
    // `min_<what>` and `max_<what>`.
    let bounds = |what: &str,
                  min: &Option<Located<u64>>,
                  max: &Option<Located<u64>>,
                  set: &mut Vec<TokenStream>| {
        u(&format!("min_{what}"), min, set);
        u(&format!("max_{what}"), max, set);
    };
    match &schema.kind {
        Kind::Null | Kind::CidLink => return None,
        Kind::Boolean(c) => {
            let k = c.const_.as_ref()?.value;
            set.push(quote!(boolean: __Some(#k)));
        }
        Kind::Integer(c) => {
            if let Some(m) = &c.minimum {
                let v = m.value;
                set.push(quote!(minimum: __Some(#v)));
            }
            if let Some(m) = &c.maximum {
                let v = m.value;
                set.push(quote!(maximum: __Some(#v)));
            }
            let allowed: Option<Vec<i64>> = match (&c.enum_, &c.const_) {
                (Some(e), Some(k)) => {
                    Some(e.value.iter().copied().filter(|v| *v == k.value).collect())
                }
                (Some(e), None) => Some(e.value.clone()),
                (None, Some(k)) => Some(vec![k.value]),
                (None, None) => None,
            };
            if let Some(vals) = allowed {
                set.push(quote!(ints: __Some(&[#(#vals),*])));
            }
        }
        Kind::String(c) => {
            if c.format.is_none() && (c.enum_.is_some() || !c.known_values.is_empty()) {
                return Some(quote!(__p::Checks::NONE));
            }
            bounds("length", &c.min_length, &c.max_length, &mut set);
            bounds("graphemes", &c.min_graphemes, &c.max_graphemes, &mut set);
            if let Some(k) = &c.const_ {
                let k = &k.value;
                set.push(quote!(strs: __Some(&[#k])));
            }
        }
        Kind::Bytes(c) => {
            bounds("length", &c.min_length, &c.max_length, &mut set);
        }
        Kind::Blob(c) => {
            if let Some(a) = &c.accept {
                let accept = a.value.iter().map(|x| x.value.as_str());
                set.push(quote!(accept: __Some(&[#(#accept),*])));
            }
            u("max_size", &c.max_size, &mut set);
        }
        Kind::Array(items, c) => {
            bounds("length", &c.min_length, &c.max_length, &mut set);
            if let Some(inner) = checks_desc(cx, items, depth) {
                set.push(quote!(items: __Some(&#inner)));
            }
        }
        Kind::Object(_) | Kind::Union(_) | Kind::Unknown => {
            return Some(quote!(__p::Checks::NONE));
        }
        Kind::Ref(r) => {
            return match cx.reg.lookup(cx.nsid(), &r.target) {
                Ok(Target::Local(info, def)) => match &def.kind {
                    DefKind::Schema(target)
                        if !matches!(target.kind, Kind::Object(_) | Kind::Union(_)) =>
                    {
                        if depth >= MAX_ALIAS_DEPTH {
                            return None;
                        }
                        // An alias: the target's checks apply here, seen from its own document.
                        checks_desc(&reading(cx, info), target, depth + 1)
                    }
                    _ => Some(quote!(__p::Checks::NONE)),
                },
                Ok(Target::Extern) => Some(extern_checks(cx, &r.target)),
                Err(_) => Some(quote!(__p::Checks::NONE)),
            };
        }
    }
    if set.is_empty() {
        return None;
    }
    Some(quote!(__p::Checks { #(#set,)* ..__p::Checks::NONE }))
}

/// The constraints of a named alias (a definition that is not an object, union or string enum),
/// for the hidden constant emitted beside it; `None` when a value of it needs no checks beyond
/// its own `validate`, which is what a ref that finds no constant applies.
pub(crate) fn alias_checks(cx: &DocCx<'_, '_>, schema: &Schema) -> Option<TokenStream> {
    let desc = checks_desc(cx, schema, 0)?;
    let none = quote!(__p::Checks::NONE);
    (desc.to_string() != none.to_string()).then_some(desc)
}

/// The constraints of a definition in an `extern_paths` module, whose kind is not known here:
/// the hidden constant a generated alias has beside it (`__Name`), and `Checks::NONE` when there
/// is none (an object, a union, a string enum, or a hand-written module). A glob import in an
/// inner block takes precedence over an item of the block around it, so the constant is used
/// when the module has one.
fn extern_checks(cx: &DocCx<'_, '_>, raw: &str) -> TokenStream {
    let (nsid, name) = split_ref(cx.nsid(), raw);
    let Some(module) = cx.reg.extern_module(nsid) else {
        return quote!(__p::Checks::NONE);
    };
    let hidden = alias_checks_name(&default_item_name(name));
    quote!(const {
        #[allow(dead_code, non_upper_case_globals)]
        const #hidden: __p::Checks = __p::Checks::NONE;
        {
            #[allow(unused_imports)]
            use #module::*;
            #hidden
        }
    })
}

/// Whether a value of `schema` holds integers where serde reads them as such (the value, or
/// inside arrays), so that its slot must read them also from floats such as `4.0`. A ref to an
/// alias follows the alias; a ref through `extern_paths` may be one, so it counts.
pub(crate) fn holds_ints(cx: &DocCx<'_, '_>, schema: &Schema, depth: usize) -> bool {
    match &schema.kind {
        Kind::Integer(_) => true,
        Kind::Array(items, _) => holds_ints(cx, items, depth),
        Kind::Ref(r) => match cx.reg.lookup(cx.nsid(), &r.target) {
            Ok(Target::Local(info, def)) => match &def.kind {
                DefKind::Schema(target) if depth < MAX_ALIAS_DEPTH => {
                    holds_ints(&reading(cx, info), target, depth + 1)
                }
                _ => false,
            },
            Ok(Target::Extern) => true,
            Err(_) => false,
        },
        _ => false,
    }
}

/// A context for reading the definitions of document `info` (nothing is emitted through it),
/// so that the refs of an alias resolve from the alias's own document.
fn reading<'r, 'a>(cx: &DocCx<'r, 'a>, info: &'r DocInfo<'a>) -> DocCx<'r, 'a> {
    DocCx {
        reg: cx.reg,
        info,
        namer: crate::naming::Namer::default(),
        items: Vec::new(),
        current_def: String::new(),
    }
}
