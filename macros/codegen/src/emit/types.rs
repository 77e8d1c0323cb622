//! Types: objects and records as structs with their own serde impls (unknown properties kept,
//! `$type` checked), unions as enums tagged by `$type`, strings with known values as enums.

use super::{doc_attr, std_ty, DocCx};
use crate::model::{Def, Kind, Object, Record, Schema, StrC, UnionC};
use crate::resolve::split_ref;
use atlex_syntax::Format;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// How a property is held in its struct.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `T`, must be present.
    Required,
    /// `Option<T>`, absent is `None`.
    Optional,
    /// `T`, the lexicon's default applied when absent.
    Defaulted,
    /// `Option<T>`, must be present, `null` is `None`.
    NullableRequired,
    /// `Option<Option<T>>`: absent, null and a value kept apart.
    NullableOptional,
}

/// Options for emitting an object struct.
pub(crate) struct ObjOpts<'o> {
    /// A record's NSID: `$type` is written and required on input.
    pub record_nsid: Option<&'o str>,
    /// Keep unknown properties in an `extra` field.
    pub extra: bool,
}

/// The Rust type of a schema; anonymous objects, unions and enums are emitted as items named
/// `parent` (already PascalCase).
pub(crate) fn rust_type(cx: &mut DocCx<'_, '_>, schema: &Schema, parent: &str) -> TokenStream {
    match &schema.kind {
        Kind::Null => quote!(()),
        Kind::Boolean(_) => quote!(bool),
        Kind::Integer(_) => quote!(i64),
        Kind::String(c) => string_type(cx, c, schema, parent),
        Kind::Bytes(_) => quote!(__t::Bytes),
        Kind::CidLink => quote!(__t::CidLink),
        Kind::Blob(_) => quote!(__t::Blob),
        Kind::Unknown => quote!(__t::Unknown),
        Kind::Array(items, _) => {
            let item = rust_type(cx, items, &format!("{parent}Item"));
            let vec = std_ty("Vec");
            quote!(#vec<#item>)
        }
        Kind::Ref(r) => {
            let from = cx.nsid().to_owned();
            cx.reg.type_path(&from, &r.target)
        }
        Kind::Object(o) => {
            let name = cx.namer.claim(parent);
            let ident = format_ident!("{}", name);
            let origin = format!("An object inside `{}`.", cx.nsid());
            emit_object(
                cx,
                &ident,
                o,
                schema.description.as_deref(),
                &origin,
                ObjOpts {
                    record_nsid: None,
                    extra: true,
                },
            );
            quote!(#ident)
        }
        Kind::Union(u) => {
            let name = cx.namer.claim(parent);
            let ident = format_ident!("{}", name);
            let origin = format!("A union inside `{}`.", cx.nsid());
            emit_union(cx, &ident, u, schema.description.as_deref(), &origin);
            quote!(#ident)
        }
    }
}

fn format_type(f: Format) -> TokenStream {
    match f {
        Format::Did => quote!(__t::Did),
        Format::Handle => quote!(__t::Handle),
        Format::Nsid => quote!(__t::Nsid),
        Format::AtUri => quote!(__t::AtUri),
        Format::Cid => quote!(__t::Cid),
        Format::Datetime => quote!(__t::Datetime),
        Format::Language => quote!(__t::Language),
        Format::Tid => quote!(__t::Tid),
        Format::RecordKey => quote!(__t::RecordKey),
        Format::AtIdentifier => quote!(__t::AtIdentifier),
        Format::Uri => quote!(__t::Uri),
    }
}

fn string_type(cx: &mut DocCx<'_, '_>, c: &StrC, schema: &Schema, parent: &str) -> TokenStream {
    if let Some(f) = &c.format {
        return format_type(f.value);
    }
    if c.enum_.is_some() || !c.known_values.is_empty() {
        let name = cx.namer.claim(parent);
        let ident = format_ident!("{}", name);
        let origin = format!("A string inside `{}`.", cx.nsid());
        emit_string_enum(
            cx,
            &ident,
            c,
            schema,
            schema.description.as_deref(),
            &origin,
        );
        return quote!(#ident);
    }
    std_ty("String")
}

/// A named non-primary definition: struct, enum, or type alias.
pub(crate) fn emit_named_schema(
    cx: &mut DocCx<'_, '_>,
    ident: &Ident,
    schema: &Schema,
    description: Option<&str>,
    origin: &str,
) {
    match &schema.kind {
        Kind::Object(o) => emit_object(
            cx,
            ident,
            o,
            description,
            origin,
            ObjOpts {
                record_nsid: None,
                extra: true,
            },
        ),
        Kind::Union(u) => emit_union(cx, ident, u, description, origin),
        Kind::String(c)
            if c.format.is_none() && (c.enum_.is_some() || !c.known_values.is_empty()) =>
        {
            emit_string_enum(cx, ident, c, schema, description, origin)
        }
        _ => {
            let ty = rust_type(cx, schema, &ident.to_string());
            let doc = doc_attr(description, origin);
            // The alias's constraints, for refs from other invocations (`extern_paths`), which
            // see the aliased type only.
            let checks = super::validate::alias_checks(cx, schema).map(|desc| {
                let hidden = crate::resolve::alias_checks_name(&ident.to_string());
                quote! {
                    #[doc(hidden)]
                    #[allow(non_upper_case_globals)]
                    pub const #hidden: __p::Checks = #desc;
                }
            });
            cx.items.push(quote! {
                #doc
                pub type #ident = #ty;
                #checks
            });
        }
    }
}

/// A record's `main`: the `Record` struct and its `atlex::Record` impl.
pub(crate) fn emit_record(cx: &mut DocCx<'_, '_>, def: &Def, r: &Record) {
    let ident = cx.def_ident(&def.name);
    let nsid = cx.nsid().to_owned();
    let key = r.key.clone().unwrap_or_else(|| "any".to_owned());
    let origin = format!("The record `{nsid}` (key: `{key}`).");
    emit_object(
        cx,
        &ident,
        &r.record,
        def.description.as_deref(),
        &origin,
        ObjOpts {
            record_nsid: Some(&nsid),
            extra: true,
        },
    );
    cx.items.push(quote! {
        impl ::atlex::Record for #ident {
            const NSID: &'static str = #nsid;
            const KEY: &'static str = #key;
        }
    });
    // A ref from another invocation (`extern_paths`) does not know that this `main` is a
    // record, and names it `Main`, as the `main` of any other type.
    if ident != "Main" && cx.namer.claim_exact("Main") {
        cx.items.push(quote! {
            #[doc(hidden)]
            pub type Main = #ident;
        });
    }
}

/// One property as emitted.
pub(crate) struct FieldInfo<'s> {
    pub wire: String,
    pub ident: Ident,
    pub inner: TokenStream,
    pub shape: Shape,
    pub default: Option<TokenStream>,
    pub schema: &'s Schema,
}

/// A struct for an object schema, with constructor, serde, `Debug`, `Validate`.
pub(crate) fn emit_object(
    cx: &mut DocCx<'_, '_>,
    ident: &Ident,
    o: &Object,
    description: Option<&str>,
    origin: &str,
    opts: ObjOpts<'_>,
) {
    let mut field_names = crate::naming::Namer::default();
    let mut fields: Vec<FieldInfo<'_>> = Vec::new();
    for p in &o.properties {
        let rust_name = field_names.claim(&crate::naming::snake_case(&p.name));
        let field_ident = format_ident!("{}", rust_name);
        let parent = format!("{}{}", ident, crate::naming::pascal_case(&p.name));
        let mut inner = rust_type(cx, &p.schema, &parent);
        if let Kind::Ref(r) = &p.schema.kind {
            // A field that leads back to the struct it is in (directly or through other
            // structs' fields) is boxed, or the type would have infinite size.
            let owner = (cx.nsid().to_owned(), cx.current_def.clone());
            if cx.reg.ref_reaches(cx.nsid(), &r.target, &owner) {
                let boxed = std_ty("Box");
                inner = quote!(#boxed<#inner>);
            }
        }
        let required = o.is_required(&p.name);
        let nullable = o.is_nullable(&p.name);
        let default = default_expr(&p.schema, &inner);
        let shape = match (required, nullable, default.is_some()) {
            (true, false, _) => Shape::Required,
            (true, true, _) => Shape::NullableRequired,
            (false, true, _) => Shape::NullableOptional,
            (false, false, true) => Shape::Defaulted,
            (false, false, false) => Shape::Optional,
        };
        fields.push(FieldInfo {
            wire: p.name.clone(),
            ident: field_ident,
            inner,
            shape,
            default,
            schema: &p.schema,
        });
    }
    let extra_ident = if opts.extra {
        Some(format_ident!("{}", field_names.claim("extra")))
    } else {
        None
    };
    // Defaulted properties that were absent on input stay absent on output (so a record
    // reads and writes back byte for byte), unless the value was changed: one bit each.
    let defaulted: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.shape == Shape::Defaulted)
        .map(|(i, _)| i)
        .take(64)
        .collect();
    let bit_of = |i: usize| defaulted.iter().position(|&d| d == i).map(|b| 1u64 << b);
    let all_bits: u64 = (0..defaulted.len()).fold(0, |acc, b| acc | (1u64 << b));
    let absent_field = (!defaulted.is_empty()).then(|| {
        quote! {
            /// Which defaulted properties were absent (not written back while unchanged).
            #[doc(hidden)]
            pub __absent: u64,
        }
    });
    let absent_init = (!defaulted.is_empty()).then(|| quote!(__absent: #all_bits,));

    let doc = doc_attr(description, origin);
    let struct_fields = fields.iter().map(|f| {
        let FieldInfo {
            ident: fi, inner, ..
        } = f;
        let ty = field_type(f.shape, inner);
        let fdoc = field_doc(f);
        quote!(#fdoc pub #fi: #ty,)
    });
    let extra_field = extra_ident.as_ref().map(|e| {
        quote! {
            /// Properties the lexicon does not define, kept so that writing the value back
            /// loses nothing.
            pub #e: __t::Extra,
        }
    });

    // Constructor: required properties in order; the rest absent or defaulted.
    let req: Vec<&FieldInfo<'_>> = fields
        .iter()
        .filter(|f| matches!(f.shape, Shape::Required | Shape::NullableRequired))
        .collect();
    let new_args = req.iter().map(|f| {
        let fi = &f.ident;
        let ty = field_type(f.shape, &f.inner);
        quote!(#fi: #ty)
    });
    let new_inits = fields.iter().map(|f| {
        let fi = &f.ident;
        match f.shape {
            Shape::Required | Shape::NullableRequired => quote!(#fi),
            Shape::Optional | Shape::NullableOptional => quote!(#fi: __None),
            Shape::Defaulted => {
                let d = f.default.clone().unwrap_or_default();
                quote!(#fi: #d)
            }
        }
    });
    let extra_init = extra_ident.as_ref().map(|e| quote!(#e: __t::Extra::new(),));
    let new_doc = if req.is_empty() {
        " A value with every optional property absent (or at its lexicon default).".to_owned()
    } else {
        let names: Vec<String> = req.iter().map(|f| format!("`{}`", f.ident)).collect();
        format!(
            " A value from its required properties ({}); optional ones absent or at their default. Set others with `{} {{ field: value, ..{}::new(..) }}`.",
            names.join(", "),
            ident,
            ident
        )
    };
    let too_many = if req.len() > 7 {
        quote!(#[allow(clippy::too_many_arguments)])
    } else {
        quote!()
    };
    let default_impl = if req.is_empty() {
        quote! {
            impl ::core::default::Default for #ident {
                #[inline]
                fn default() -> Self {
                    Self::new()
                }
            }
        }
    } else {
        quote!()
    };

    // Debug: the runtime prints what `Serialize` writes, secrets redacted by property name.
    let ident_str = ident.to_string();

    // PartialEq, written out (a derive would add a `StructuralPartialEq` impl per type).
    let mut eq_terms: Vec<TokenStream> = fields
        .iter()
        .map(|f| {
            let fi = &f.ident;
            quote!(self.#fi == other.#fi)
        })
        .collect();
    if let Some(e) = &extra_ident {
        eq_terms.push(quote!(self.#e == other.#e));
    }
    if !defaulted.is_empty() {
        eq_terms.push(quote!(self.__absent == other.__absent));
    }
    let eq_body = if eq_terms.is_empty() {
        quote!({
            let _ = other;
            true
        })
    } else {
        quote!(#(#eq_terms)&&*)
    };

    // Serialize: one chained call per property.
    let ser_fields = fields.iter().enumerate().map(|(i, f)| {
        let fi = &f.ident;
        let wire = &f.wire;
        match f.shape {
            Shape::Defaulted if bit_of(i).is_some() => {
                let bit = bit_of(i).unwrap_or(0);
                let lit = default_literal(f.schema).unwrap_or_default();
                let changed = match &f.schema.kind {
                    Kind::String(_) => {
                        quote!(::core::convert::AsRef::<str>::as_ref(&self.#fi) != #lit)
                    }
                    _ => quote!(self.#fi != #lit),
                };
                quote!(.field_if(#wire, &self.#fi, self.__absent & #bit == 0 || #changed))
            }
            Shape::Required | Shape::Defaulted | Shape::NullableRequired => {
                quote!(.field(#wire, &self.#fi))
            }
            Shape::Optional | Shape::NullableOptional => quote!(.optional(#wire, &self.#fi)),
        }
    });
    let ser_end = match &extra_ident {
        Some(e) => quote!(.extra(&self.#e)),
        None => quote!(.end()),
    };
    let ser_type = match opts.record_nsid {
        Some(nsid) => quote!(__Some(#nsid)),
        None => quote!(__None),
    };

    // Deserialize: one slot per property (nested tuples of at most 12, so `Default` holds),
    // read by index; the map loop is `atlex::__private::deserialize_object`. A property that
    // holds integers has an `IntSlot`, which reads them also from floats such as `4.0`.
    let int_slots: Vec<bool> = fields
        .iter()
        .map(|f| super::validate::holds_ints(cx, f.schema, 0))
        .collect();
    let slot_tys: Vec<TokenStream> = fields
        .iter()
        .zip(&int_slots)
        .map(|(f, &ints)| {
            let inner = &f.inner;
            let value = match f.shape {
                Shape::NullableRequired | Shape::NullableOptional => quote!(__Opt<#inner>),
                _ => quote!(#inner),
            };
            if ints {
                quote!(__p::IntSlot<#value>)
            } else {
                quote!(__Opt<#value>)
            }
        })
        .collect();
    let grouped = fields.len() > 12;
    let slots_ty = if grouped {
        let groups = slot_tys.chunks(12).map(|c| quote!((#(#c,)*)));
        quote!((#(#groups,)*))
    } else {
        quote!((#(#slot_tys,)*))
    };
    let keys = fields.iter().map(|f| f.wire.as_str());
    // `build` takes the slots apart, then matches the required ones all at once: one success
    // arm and one failure arm (a `?` per property would make a drop path per early return).
    let slot_vars: Vec<Ident> = (0..fields.len()).map(|i| format_ident!("f{}", i)).collect();
    let slot_pats: Vec<TokenStream> = slot_vars
        .iter()
        .zip(&int_slots)
        .map(|(v, &ints)| {
            if ints {
                quote!(__p::IntSlot(#v))
            } else {
                quote!(#v)
            }
        })
        .collect();
    let destructure = if grouped {
        let groups = slot_pats.chunks(12).map(|c| quote!((#(#c,)*)));
        quote!(let (#(#groups,)*) = s;)
    } else {
        quote!(let (#(#slot_pats,)*) = s;)
    };
    let builds = fields.iter().zip(&slot_vars).map(|(f, v)| {
        let fi = &f.ident;
        match f.shape {
            Shape::Required
            | Shape::NullableRequired
            | Shape::Optional
            | Shape::NullableOptional => quote!(#fi: #v,),
            Shape::Defaulted => {
                let d = f.default.clone().unwrap_or_default();
                quote! {
                    #fi: match #v {
                        __Some(v) => v,
                        __None => #d,
                    },
                }
            }
        }
    });
    let required_vars: Vec<&Ident> = fields
        .iter()
        .zip(&slot_vars)
        .filter(|(f, _)| matches!(f.shape, Shape::Required | Shape::NullableRequired))
        .map(|(_, v)| v)
        .collect();
    let absent_terms = fields
        .iter()
        .zip(&slot_vars)
        .enumerate()
        .filter_map(|(i, (_, v))| {
            let bit = bit_of(i)?;
            Some(quote!(if #v.is_none() { #bit } else { 0 }))
        });
    let absent_calc =
        (!defaulted.is_empty()).then(|| quote!(let absent: u64 = 0 #(| #absent_terms)*;));
    let absent_build = (!defaulted.is_empty()).then(|| quote!(__absent: absent,));
    let extra_build = extra_ident.as_ref().map(|e| quote!(#e: extra,));
    let value = quote! {
        __Some(Self {
            #(#builds)*
            #extra_build
            #absent_build
        })
    };
    let build_value = if required_vars.is_empty() {
        value
    } else {
        quote! {
            match (#(#required_vars,)*) {
                (#(__Some(#required_vars),)*) => #value,
                _ => __None,
            }
        }
    };
    let required_idx: Vec<proc_macro2::Literal> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.shape, Shape::Required | Shape::NullableRequired))
        .map(|(i, _)| proc_macro2::Literal::usize_unsuffixed(i))
        .collect();
    let extra_unused = extra_ident.is_none().then(|| quote!(let _ = extra;));
    let keep_extra = extra_ident.is_some();
    let expecting = match opts.record_nsid {
        Some(nsid) => format!("a {nsid} record"),
        None => format!("an object ({ident_str})"),
    };

    // Validate: the checked properties as a table for `atlex::__private::check_fields`.
    let checked: Vec<TokenStream> = fields
        .iter()
        .filter_map(|f| {
            let desc = super::validate::checks_desc(cx, f.schema, 0)?;
            let wire = &f.wire;
            let fi = &f.ident;
            Some(quote!((#wire, &self.#fi, &#desc),))
        })
        .collect();
    let validate_body = if checked.is_empty() {
        quote!(__Ok(()))
    } else {
        quote!(__p::check_fields(&[#(#checked)*]))
    };

    let result = std_ty("Result");
    cx.items.push(quote! {
        #doc
        #[derive(Clone)]
        pub struct #ident {
            #(#struct_fields)*
            #extra_field
            #absent_field
        }

        impl #ident {
            #[doc = #new_doc]
            #too_many
            #[inline]
            pub fn new(#(#new_args),*) -> Self {
                Self {
                    #(#new_inits,)*
                    #extra_init
                    #absent_init
                }
            }

            /// How the runtime reads this object.
            const __INFO: __p::ObjectInfo = __p::ObjectInfo {
                expecting: #expecting,
                keys: &[#(#keys),*],
                record: #ser_type,
                keep_extra: #keep_extra,
                required: &[#(#required_idx),*],
            };

            /// The value from the slots read, or `None` when a required property is absent.
            #[inline]
            fn __build(s: #slots_ty, extra: __t::Extra) -> __Opt<Self> {
                #extra_unused
                #destructure
                #absent_calc
                #build_value
            }
        }

        #default_impl

        impl ::core::cmp::PartialEq for #ident {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                #eq_body
            }
        }

        impl __fmt::Debug for #ident {
            #[inline]
            fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                __p::debug_object(self, #ident_str, f)
            }
        }

        impl __p::serde::Serialize for #ident {
            #[inline]
            fn serialize<S: __p::serde::Serializer>(
                &self,
                serializer: S,
            ) -> #result<S::Ok, S::Error> {
                __p::ObjectWriter::new(serializer, #ser_type) #(#ser_fields)* #ser_end
            }
        }

        impl<'de> __p::serde::Deserialize<'de> for #ident {
            fn deserialize<D: __p::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> #result<Self, D::Error> {
                __p::deserialize_object(deserializer, &Self::__INFO, Self::__build)
            }
        }

        impl ::atlex::Validate for #ident {
            #[inline]
            fn validate(&self) -> #result<(), ::atlex::ValidationError> {
                #validate_body
            }
        }
    });
}

fn field_type(shape: Shape, inner: &TokenStream) -> TokenStream {
    let option = std_ty("Option");
    match shape {
        Shape::Required | Shape::Defaulted => quote!(#inner),
        Shape::Optional | Shape::NullableRequired => quote!(#option<#inner>),
        Shape::NullableOptional => {
            quote!(#option<#option<#inner>>)
        }
    }
}

fn field_doc(f: &FieldInfo<'_>) -> TokenStream {
    let mut lines: Vec<String> = Vec::new();
    if let Some(d) = f
        .schema
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        lines.extend(d.lines().map(|l| format!(" {l}")));
        lines.push(String::new());
    }
    let how = match f.shape {
        Shape::Required => "required".to_owned(),
        Shape::Optional => "optional: `None` when absent".to_owned(),
        Shape::Defaulted => "optional: the lexicon default when absent".to_owned(),
        Shape::NullableRequired => "required, nullable: `None` is `null`".to_owned(),
        Shape::NullableOptional => {
            "optional, nullable: `None` when absent, `Some(None)` when `null`".to_owned()
        }
    };
    lines.push(format!(
        " `{}` ({}, {how}).",
        f.wire,
        f.schema.kind.type_name()
    ));
    quote!(#(#[doc = #lines])*)
}

/// The default value expression of a schema, if the lexicon gives one.
fn default_expr(s: &Schema, ty: &TokenStream) -> Option<TokenStream> {
    match &s.kind {
        Kind::String(c) => c.default.as_ref().map(|d| {
            let v = &d.value;
            if c.format.is_some() {
                quote!(#ty::__new_unchecked_static(#v))
            } else if c.enum_.is_some() || !c.known_values.is_empty() {
                match enum_variants(c).into_iter().find(|(value, _)| value == v) {
                    Some((_, variant)) => quote!(#ty::#variant),
                    // `check` reports a default outside `enum`; knownValues stay open.
                    None => quote!(#ty::Other(__Str::from(#v))),
                }
            } else {
                quote!(__Str::from(#v))
            }
        }),
        _ => default_literal(s),
    }
}

/// The variants of a string enum: each distinct value with its Rust name, in lexicon order.
fn enum_variants(c: &StrC) -> Vec<(String, Ident)> {
    let (values, open): (&[String], bool) = match &c.enum_ {
        Some(e) => (&e.value, false),
        None => (&c.known_values, true),
    };
    let mut namer = crate::naming::Namer::with_reserved(if open { &["Other"] } else { &[] });
    let mut seen = std::collections::BTreeSet::new();
    let mut variants = Vec::new();
    for v in values {
        if seen.insert(v.clone()) {
            let name = namer.claim(&crate::naming::value_variant(v));
            variants.push((v.clone(), format_ident!("{}", name)));
        }
    }
    variants
}

/// The lexicon's default as a literal to compare with: `5`, `true`, `"en"`.
fn default_literal(s: &Schema) -> Option<TokenStream> {
    match &s.kind {
        Kind::Boolean(c) => c.default.as_ref().map(|d| {
            let v = d.value;
            quote!(#v)
        }),
        Kind::Integer(c) => c.default.as_ref().map(|d| {
            let v = d.value;
            quote!(#v)
        }),
        Kind::String(c) => c.default.as_ref().map(|d| {
            let v = &d.value;
            quote!(#v)
        }),
        _ => None,
    }
}

/// A string with `knownValues` (open: unknown values kept in `Other`) or `enum` (closed).
pub(crate) fn emit_string_enum(
    cx: &mut DocCx<'_, '_>,
    ident: &Ident,
    c: &StrC,
    schema: &Schema,
    description: Option<&str>,
    origin: &str,
) {
    let open = c.enum_.is_none();
    let variants = enum_variants(c);
    let doc = doc_attr(description, origin);
    let variant_defs = variants.iter().map(|(v, i)| {
        let d = format!(" `{v}`");
        quote!(#[doc = #d] #i,)
    });
    let string = std_ty("String");
    let result = std_ty("Result");
    let option = std_ty("Option");
    let other_def = open.then(|| {
        quote! {
            /// A value the lexicon does not list.
            Other(#string),
        }
    });
    let as_str_arms = variants.iter().map(|(v, i)| quote!(Self::#i => #v,));
    let debug_arms = variants.iter().map(|(_, i)| {
        let name = i.to_string();
        quote!(Self::#i => f.write_str(#name),)
    });
    let debug_other = open.then(|| quote!(Self::Other(s) => __p::debug_variant(f, "Other", s),));
    let other_as_str = open.then(|| quote!(Self::Other(s) => s.as_str(),));
    let parse_arms = variants
        .iter()
        .map(|(v, i)| quote!(#v => __Some(Self::#i),));
    let checks = super::validate::checks_desc(
        cx,
        &Schema {
            at: schema.at.clone(),
            description: None,
            kind: Kind::String(StrC {
                known_values: Vec::new(),
                enum_: None,
                ..c.clone()
            }),
        },
        0,
    );
    let ident_str = ident.to_string();
    let (from_impls, deser_body) = if open {
        (
            quote! {
                impl ::core::convert::From<&str> for #ident {
                    #[inline]
                    fn from(s: &str) -> Self {
                        Self::known(s).unwrap_or_else(|| Self::Other(s.to_owned()))
                    }
                }
                impl ::core::convert::From<#string> for #ident {
                    #[inline]
                    fn from(s: #string) -> Self {
                        Self::known(&s).unwrap_or(Self::Other(s))
                    }
                }
                impl ::core::str::FromStr for #ident {
                    type Err = ::core::convert::Infallible;
                    #[inline]
                    fn from_str(s: &str) -> #result<Self, Self::Err> {
                        __Ok(Self::from(s))
                    }
                }
            },
            quote! {
                let s = <__p::Key<'de> as __p::serde::Deserialize>::deserialize(deserializer)?;
                __Ok(match Self::known(s.as_str()) {
                    __Some(v) => v,
                    __None => Self::Other(s.into_string()),
                })
            },
        )
    } else {
        let expected = format!("one of the values of {ident_str}");
        (
            quote! {
                impl ::core::str::FromStr for #ident {
                    type Err = __p::UnknownValue;
                    #[inline]
                    fn from_str(s: &str) -> #result<Self, Self::Err> {
                        Self::known(s).ok_or_else(|| __p::UnknownValue::new(#ident_str, s))
                    }
                }
            },
            quote! {
                let s = <__p::Key<'de> as __p::serde::Deserialize>::deserialize(deserializer)?;
                Self::known(s.as_str()).ok_or_else(|| {
                    <D::Error as __p::serde::de::Error>::invalid_value(
                        __p::serde::de::Unexpected::Str(s.as_str()),
                        &#expected,
                    )
                })
            },
        )
    };
    let validate_body = match checks {
        None => quote!(__Ok(())),
        Some(desc) => quote!(__p::check_str(self.as_str(), &#desc)),
    };
    cx.items.push(quote! {
        #doc
        #[derive(Clone, PartialEq, Hash)]
        pub enum #ident {
            #(#variant_defs)*
            #other_def
        }

        impl ::core::cmp::Eq for #ident {}

        impl __fmt::Debug for #ident {
            #[inline]
            fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                match self {
                    #(#debug_arms)*
                    #debug_other
                }
            }
        }

        impl #ident {
            /// The value as written on the wire.
            #[inline]
            pub fn as_str(&self) -> &str {
                match self {
                    #(#as_str_arms)*
                    #other_as_str
                }
            }

            /// The variant for a value the lexicon lists.
            #[inline]
            pub fn known(s: &str) -> #option<Self> {
                match s {
                    #(#parse_arms)*
                    _ => __None,
                }
            }
        }

        #from_impls

        impl ::core::convert::AsRef<str> for #ident {
            #[inline]
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl __fmt::Display for #ident {
            #[inline]
            fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl __p::serde::Serialize for #ident {
            fn serialize<S: __p::serde::Serializer>(
                &self,
                serializer: S,
            ) -> #result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> __p::serde::Deserialize<'de> for #ident {
            fn deserialize<D: __p::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> #result<Self, D::Error> {
                #deser_body
            }
        }

        impl ::atlex::Validate for #ident {
            #[inline]
            fn validate(&self) -> #result<(), ::atlex::ValidationError> {
                #validate_body
            }
        }
    });
}

/// A union: an enum tagged by `$type`, one boxed variant per ref, and `Unknown` when open.
pub(crate) fn emit_union(
    cx: &mut DocCx<'_, '_>,
    ident: &Ident,
    u: &UnionC,
    description: Option<&str>,
    origin: &str,
) {
    let result = std_ty("Result");
    let from = cx.nsid().to_owned();
    let mut namer = crate::naming::Namer::with_reserved(if u.closed { &[] } else { &["Unknown"] });
    struct Variant {
        ident: Ident,
        ty: TokenStream,
        tag: String,
        alt_tag: Option<String>,
        /// The type is one this invocation defines (not one reached through `extern_paths`).
        local: bool,
    }
    let mut variants = Vec::new();
    for r in &u.refs {
        let (nsid, name) = split_ref(&from, &r.value);
        let tag = if name == "main" {
            nsid.to_owned()
        } else {
            format!("{nsid}#{name}")
        };
        let alt_tag = (name == "main").then(|| format!("{nsid}#main"));
        // The variant is named after the definition, qualified by the document's last NSID
        // segment when the definition is a `main` or comes from another document.
        let base = if nsid == from {
            crate::naming::pascal_case(name)
        } else {
            let last = nsid.rsplit('.').next().unwrap_or(nsid);
            if name == "main" {
                crate::naming::pascal_case(last)
            } else {
                format!(
                    "{}{}",
                    crate::naming::pascal_case(last),
                    crate::naming::pascal_case(name)
                )
            }
        };
        let vname = namer.claim(&base);
        let ty = cx.reg.type_path(&from, &r.value);
        variants.push(Variant {
            ident: format_ident!("{}", vname),
            ty,
            tag,
            alt_tag,
            local: cx.reg.docs.contains_key(nsid),
        });
    }
    let doc = doc_attr(description, origin);
    // `From` each variant's type, so that a field takes `Some(value.into())`. Only for the
    // types this invocation defines: no two variants hold one of those (a definition listed
    // twice is an error), while a type reached through `extern_paths` may be an alias of
    // another variant's type or of `Unknown`, and two impls for one type would not compile.
    let from_impls = variants.iter().filter(|v| v.local).map(|v| {
        let Variant { ident: vi, ty, .. } = v;
        let boxed = std_ty("Box");
        quote! {
            impl ::core::convert::From<#ty> for #ident {
                #[inline]
                fn from(v: #ty) -> Self {
                    Self::#vi(#boxed::new(v))
                }
            }
        }
    });
    let from_doc = if variants.iter().all(|v| v.local) {
        " Each variant's type converts into it (`From`), so a field takes `Some(value.into())`."
    } else {
        " Each variant's type converts into it (`From`), so a field takes `Some(value.into())`; except a type reached through `extern_paths` (it may be another variant's type under a second name): build that variant by hand, `Variant(Box::new(value))`."
    };
    let from_doc = (!variants.is_empty()).then(|| quote!(#[doc = ""] #[doc = #from_doc]));
    let defs = variants.iter().map(|v| {
        let Variant {
            ident: vi, ty, tag, ..
        } = v;
        let d = format!(" `{tag}`");
        let boxed = std_ty("Box");
        quote!(#[doc = #d] #vi(#boxed<#ty>),)
    });
    let unknown_def = (!u.closed).then(|| {
        quote! {
            /// A variant this lexicon does not list, kept whole.
            Unknown(__t::Unknown),
        }
    });
    let ser_arms = variants.iter().map(|v| {
        let Variant { ident: vi, tag, .. } = v;
        quote!(Self::#vi(v) => __p::serialize_variant(&**v, #tag, serializer),)
    });
    let ser_unknown = (!u.closed)
        .then(|| quote!(Self::Unknown(v) => __p::serde::Serialize::serialize(v, serializer),));
    let de_arms = variants.iter().map(|v| {
        let Variant {
            ident: vi,
            tag,
            alt_tag,
            ..
        } = v;
        let pat = match alt_tag {
            Some(alt) => quote!(#tag | #alt),
            None => quote!(#tag),
        };
        quote!(#pat => __p::variant(d, Self::#vi),)
    });
    let tags: Vec<&str> = variants.iter().map(|v| v.tag.as_str()).collect();
    let expected = tags.join(", ");
    let de_other = if u.closed {
        quote! {
            other => __Err(
                <D::Error as __p::serde::de::Error>::custom(::core::format_args!(
                    "$type {:?} is not one of this closed union's variants ({})", other, #expected
                )),
            ),
        }
    } else {
        quote! {
            _ => __p::unknown_variant(d, Self::Unknown),
        }
    };
    let debug_arms = variants.iter().map(|v| {
        let vi = &v.ident;
        let name = vi.to_string();
        quote!(Self::#vi(v) => __p::debug_variant(f, #name, v),)
    });
    let debug_unknown =
        (!u.closed).then(|| quote!(Self::Unknown(v) => __p::debug_variant(f, "Unknown", v),));
    let val_arms = variants.iter().map(|v| {
        let vi = &v.ident;
        quote!(Self::#vi(v) => ::atlex::Validate::validate(&**v),)
    });
    let val_unknown =
        (!u.closed).then(|| quote!(Self::Unknown(v) => ::atlex::Validate::validate(v),));
    let empty_match = if variants.is_empty() && u.closed {
        quote!(#[allow(unreachable_code)])
    } else {
        quote!()
    };
    cx.items.push(quote! {
        #doc
        #from_doc
        #[derive(Clone, PartialEq)]
        pub enum #ident {
            #(#defs)*
            #unknown_def
        }

        #(#from_impls)*

        impl __fmt::Debug for #ident {
            #empty_match
            #[inline]
            fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                match self {
                    #(#debug_arms)*
                    #debug_unknown
                }
            }
        }

        impl __p::serde::Serialize for #ident {
            #empty_match
            #[inline]
            fn serialize<S: __p::serde::Serializer>(
                &self,
                serializer: S,
            ) -> #result<S::Ok, S::Error> {
                match self {
                    #(#ser_arms)*
                    #ser_unknown
                }
            }
        }

        impl<'de> __p::serde::Deserialize<'de> for #ident {
            fn deserialize<D: __p::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> #result<Self, D::Error> {
                __p::deserialize_union(deserializer)
            }
        }

        impl __p::UnionTag for #ident {
            fn from_tagged<'de, D: __p::serde::Deserializer<'de>>(
                tag: &str,
                d: D,
            ) -> #result<Self, D::Error> {
                match tag {
                    #(#de_arms)*
                    #de_other
                }
            }
        }

        impl ::atlex::Validate for #ident {
            #[inline]
            fn validate(&self) -> #result<(), ::atlex::ValidationError> {
                match self {
                    #(#val_arms)*
                    #val_unknown
                }
            }
        }

    });
}
