//! Validation: the checks of a schema as expressions of type `Result<(), ValidationError>`.

use super::DocCx;
use crate::model::{DefKind, Kind, Schema};
use crate::resolve::Target;
use proc_macro2::TokenStream;
use quote::quote;

/// Check expressions for one value.
pub(crate) struct ValueChecks(pub Vec<TokenStream>);

/// How deep refs to aliases are followed (a recursive alias would otherwise never end).
const MAX_ALIAS_DEPTH: usize = 8;

fn opt_u64(v: Option<u64>) -> TokenStream {
    match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

fn opt_i64(v: Option<i64>) -> TokenStream {
    match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

/// The checks of `schema` on the value `v` (an expression of type `&T`).
pub(crate) fn checks_for(
    cx: &DocCx<'_, '_>,
    schema: &Schema,
    v: &TokenStream,
    depth: usize,
) -> ValueChecks {
    let mut out = Vec::new();
    match &schema.kind {
        Kind::Null | Kind::CidLink => {}
        Kind::Boolean(c) => {
            if let Some(k) = &c.const_ {
                let k = k.value;
                out.push(quote!(::atlex::__private::check::bool_eq(*#v, #k)));
            }
        }
        Kind::Integer(c) => {
            let min = c.minimum.as_ref().map(|m| m.value);
            let max = c.maximum.as_ref().map(|m| m.value);
            if min.is_some() || max.is_some() {
                let (min, max) = (opt_i64(min), opt_i64(max));
                out.push(quote!(::atlex::__private::check::int_range(*#v, #min, #max)));
            }
            if let Some(e) = &c.enum_ {
                let vals = &e.value;
                out.push(quote!(::atlex::__private::check::int_in(*#v, &[#(#vals),*])));
            }
            if let Some(k) = &c.const_ {
                let k = k.value;
                out.push(quote!(::atlex::__private::check::int_in(*#v, &[#k])));
            }
        }
        Kind::String(c) => {
            if c.format.is_none() && (c.enum_.is_some() || !c.known_values.is_empty()) {
                // A generated enum: its own `Validate` holds the checks.
                out.push(quote!(::atlex::Validate::validate(#v)));
            } else {
                let s = quote!(::core::convert::AsRef::<str>::as_ref(#v));
                let (minl, maxl) = (
                    c.min_length.as_ref().map(|m| m.value),
                    c.max_length.as_ref().map(|m| m.value),
                );
                if minl.is_some() || maxl.is_some() {
                    let (minl, maxl) = (opt_u64(minl), opt_u64(maxl));
                    out.push(quote!(::atlex::__private::check::str_len(#s, #minl, #maxl)));
                }
                let (ming, maxg) = (
                    c.min_graphemes.as_ref().map(|m| m.value),
                    c.max_graphemes.as_ref().map(|m| m.value),
                );
                if ming.is_some() || maxg.is_some() {
                    let (ming, maxg) = (opt_u64(ming), opt_u64(maxg));
                    out.push(quote!(::atlex::__private::check::graphemes(#s, #ming, #maxg)));
                }
                if let Some(k) = &c.const_ {
                    let k = &k.value;
                    out.push(quote!(::atlex::__private::check::str_in(#s, &[#k])));
                }
            }
        }
        Kind::Bytes(c) => {
            let (minl, maxl) = (
                c.min_length.as_ref().map(|m| m.value),
                c.max_length.as_ref().map(|m| m.value),
            );
            if minl.is_some() || maxl.is_some() {
                let (minl, maxl) = (opt_u64(minl), opt_u64(maxl));
                out.push(quote!(::atlex::__private::check::items(
                    ::atlex::types::Bytes::as_slice(#v).len(), #minl, #maxl
                )));
            }
        }
        Kind::Blob(c) => {
            let accept: Vec<&str> = c
                .accept
                .as_ref()
                .map(|a| a.value.iter().map(|x| x.value.as_str()).collect())
                .unwrap_or_default();
            let max = opt_u64(c.max_size.as_ref().map(|m| m.value));
            if c.accept.is_some() || c.max_size.is_some() {
                let accept_expr = if c.accept.is_some() {
                    quote!(::core::option::Option::Some(&[#(#accept),*]))
                } else {
                    quote!(::core::option::Option::None)
                };
                out.push(quote!(::atlex::types::Blob::check(#v, #accept_expr, #max)));
            }
        }
        Kind::Array(items, c) => {
            let (minl, maxl) = (
                c.min_length.as_ref().map(|m| m.value),
                c.max_length.as_ref().map(|m| m.value),
            );
            if minl.is_some() || maxl.is_some() {
                let (minl, maxl) = (opt_u64(minl), opt_u64(maxl));
                out.push(quote!(::atlex::__private::check::items(#v.len(), #minl, #maxl)));
            }
            let ValueChecks(inner) = checks_for(cx, items, &quote!(item), depth);
            if !inner.is_empty() {
                out.push(quote! {
                    ::atlex::__private::check::each(#v, |item| {
                        #( #inner?; )*
                        ::core::result::Result::Ok(())
                    })
                });
            }
        }
        Kind::Object(_) | Kind::Union(_) | Kind::Unknown => {
            out.push(quote!(::atlex::Validate::validate(#v)));
        }
        Kind::Ref(r) => match cx.reg.lookup(cx.nsid(), &r.target) {
            Ok(Target::Local(info, def)) => match &def.kind {
                DefKind::Schema(target)
                    if !matches!(target.kind, Kind::Object(_) | Kind::Union(_)) =>
                {
                    let is_enum = matches!(&target.kind, Kind::String(c)
                        if c.format.is_none() && (c.enum_.is_some() || !c.known_values.is_empty()));
                    if is_enum {
                        out.push(quote!(::atlex::Validate::validate(#v)));
                    } else if depth < MAX_ALIAS_DEPTH {
                        // An alias: the target's checks apply here, seen from its own document.
                        let target_cx = DocCx {
                            reg: cx.reg,
                            info,
                            namer: crate::naming::Namer::default(),
                            items: Vec::new(),
                            current_def: String::new(),
                        };
                        let ValueChecks(inner) = checks_for(&target_cx, target, v, depth + 1);
                        out.extend(inner);
                    }
                }
                _ => out.push(quote!(::atlex::Validate::validate(#v))),
            },
            _ => out.push(quote!(::atlex::Validate::validate(#v))),
        },
    }
    ValueChecks(out)
}
