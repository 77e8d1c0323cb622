//! XRPC methods: `Params`, `Input`, `Output`, `Error`, the `Method` struct and `call`.

use super::types::{emit_object, emit_union, rust_type, ObjOpts};
use super::{doc_attr, std_ty, DocCx};
use crate::model::{BodySchema, Def, ErrorDecl, Kind, Method, Object, Schema, Subscription};
use crate::naming::pascal_case;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// Whether a method has query parameters (a generated `Params` struct).
fn emit_params(cx: &mut DocCx<'_, '_>, params: Option<&Object>, what: &str) -> Option<Ident> {
    let p = params.filter(|p| !p.properties.is_empty())?;
    let ident = format_ident!("Params");
    let origin = format!("Query parameters of `{}` ({what}).", cx.nsid());
    emit_object(
        cx,
        &ident,
        p,
        None,
        &origin,
        ObjOpts {
            record_nsid: None,
            extra: false,
        },
    );
    let kinds = p.properties.iter().map(|prop| {
        let name = &prop.name;
        let kind = param_kind(&prop.schema);
        quote!((#name, #kind))
    });
    cx.items.push(quote! {
        impl ::atlex::xrpc::Params for Params {
            const FIELDS: &'static [(&'static str, __p::ParamKind)] = &[#(#kinds),*];
        }
    });
    Some(ident)
}

fn param_kind(s: &Schema) -> TokenStream {
    match &s.kind {
        Kind::Boolean(_) => quote!(__p::ParamKind::Boolean),
        Kind::Integer(_) => quote!(__p::ParamKind::Integer),
        Kind::Array(items, _) => {
            let inner = param_kind(items);
            quote!(__p::ParamKind::Array(&#inner))
        }
        _ => quote!(__p::ParamKind::String),
    }
}

/// The body type: a struct or union named `name`, an alias to a ref, `Body` for other
/// encodings, `Unknown` for JSON without a schema.
fn emit_body(cx: &mut DocCx<'_, '_>, body: &BodySchema, name: &str, what: &str) -> TokenStream {
    let ident = format_ident!("{}", name);
    let origin = format!(
        "{name} of `{}` ({what}), encoded as `{}`.",
        cx.nsid(),
        body.encoding
    );
    let json = body.encoding.eq_ignore_ascii_case("application/json");
    let description = body.description.as_deref();
    match (&body.schema, json) {
        (Some(s), true) => match &s.kind {
            Kind::Object(o) => emit_object(
                cx,
                &ident,
                o,
                description.or(s.description.as_deref()),
                &origin,
                ObjOpts {
                    record_nsid: None,
                    extra: true,
                },
            ),
            Kind::Union(u) => emit_union(cx, &ident, u, description, &origin),
            _ => {
                let ty = rust_type(cx, s, name);
                let doc = doc_attr(description, &origin);
                cx.items.push(quote!(#doc pub type #ident = #ty;));
            }
        },
        (None, true) => {
            let doc = doc_attr(description, &origin);
            cx.items.push(quote!(#doc pub type #ident = __t::Unknown;));
        }
        (_, false) => {
            let doc = doc_attr(description, &origin);
            cx.items.push(quote!(#doc pub type #ident = ::atlex::Body;));
        }
    }
    quote!(#ident)
}

fn emit_errors(cx: &mut DocCx<'_, '_>, errors: &[ErrorDecl], what: &str) {
    let origin = format!("The errors `{}` ({what}) declares.", cx.nsid());
    let doc = doc_attr(None, &origin);
    let variants: Vec<Ident> = errors
        .iter()
        .map(|e| format_ident!("{}", pascal_case(&e.name)))
        .collect();
    let names: Vec<&str> = errors.iter().map(|e| e.name.as_str()).collect();
    let variant_names: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
    let variant_docs = errors.iter().map(|e| {
        let mut lines: Vec<String> = Vec::new();
        if let Some(d) = e.description.as_deref().filter(|d| !d.trim().is_empty()) {
            lines.extend(d.lines().map(|l| format!(" {l}")));
            lines.push(String::new());
        }
        lines.push(format!(" `{}`, with the server's message if any.", e.name));
        quote!(#(#[doc = #lines])*)
    });
    if errors.is_empty() {
        let doc = doc_attr(
            None,
            &format!(
                "`{}` ({what}) declares no errors: the empty enum `atlex::xrpc::NoError`.",
                cx.nsid()
            ),
        );
        cx.items.push(quote! {
            #doc
            pub type Error = ::atlex::xrpc::NoError;
        });
        return;
    }
    let option = std_ty("Option");
    let string = std_ty("String");
    let body = {
        quote! {
            impl ::atlex::xrpc::ErrorKind for Error {
                #[inline]
                fn from_parts(
                    name: &str,
                    message: #option<#string>,
                ) -> #option<Self> {
                    match name {
                        #( #names => __Some(Self::#variants(message)), )*
                        _ => __None,
                    }
                }
                #[inline]
                fn name(&self) -> &'static str {
                    match self {
                        #( Self::#variants(_) => #names, )*
                    }
                }
                #[inline]
                fn message(&self) -> #option<&str> {
                    match self {
                        #( Self::#variants(m) => m.as_deref(), )*
                    }
                }
            }
        }
    };
    cx.items.push(quote! {
        #doc
        #[derive(Clone, PartialEq)]
        pub enum Error {
            #( #variant_docs #variants(#option<#string>), )*
        }

        #body

        impl __fmt::Debug for Error {
            #[inline]
            fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                match self {
                    #( Self::#variants(m) => __p::debug_variant(f, #variant_names, m), )*
                }
            }
        }

        impl ::core::cmp::Eq for Error {}

        impl __fmt::Display for Error {
            #[inline]
            fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                __p::fmt_error(self, f)
            }
        }

        impl ::std::error::Error for Error {}
    });
}

/// A query or procedure.
pub(crate) fn emit_method(cx: &mut DocCx<'_, '_>, def: &Def, m: &Method, is_procedure: bool) {
    let what = if is_procedure { "procedure" } else { "query" };
    let nsid = cx.nsid().to_owned();
    let params = emit_params(cx, m.parameters.as_ref(), what);
    let input = if is_procedure {
        m.input.as_ref().map(|b| emit_body(cx, b, "Input", what))
    } else {
        None
    };
    let output = m.output.as_ref().map(|b| emit_body(cx, b, "Output", what));
    emit_errors(cx, &m.errors, what);

    let params_ty = match &params {
        Some(p) => quote!(#p),
        None => quote!(::atlex::xrpc::NoParams),
    };
    let input_ty = input.clone().unwrap_or_else(|| quote!(()));
    let output_ty = output.clone().unwrap_or_else(|| quote!(()));
    let method_doc = doc_attr(
        def.description.as_deref(),
        &format!("The XRPC {what} `{nsid}`, for generic code such as the server router."),
    );
    let trait_impl = if is_procedure {
        quote! {
            impl ::atlex::xrpc::Procedure for Method {
                const NSID: &'static str = NSID;
                type Params = #params_ty;
                type Input = #input_ty;
                type Output = #output_ty;
                type Error = Error;
            }
        }
    } else {
        quote! {
            impl ::atlex::xrpc::Query for Method {
                const NSID: &'static str = NSID;
                type Params = #params_ty;
                type Output = #output_ty;
                type Error = Error;
            }
        }
    };
    let result = std_ty("Result");
    let mut args = vec![quote!(client: &'a (impl ::atlex::xrpc::XrpcClient + ?Sized))];
    if let Some(p) = &params {
        args.push(quote!(params: &'a #p));
    }
    if let Some(i) = &input {
        args.push(quote!(input: &'a #i));
    }
    let params_arg = if params.is_some() {
        quote!(params)
    } else {
        quote!(&::atlex::xrpc::NoParams {})
    };
    let call_body = if is_procedure {
        let input_arg = if input.is_some() {
            quote!(input)
        } else {
            quote!(&())
        };
        quote!(__p::call_procedure::<Method>(client, #params_arg, #input_arg))
    } else {
        quote!(__p::call_query::<Method>(client, #params_arg))
    };
    let call_doc = doc_attr(
        def.description.as_deref(),
        &format!(
            "Calls `{nsid}`: validates the request (nothing is sent when it is invalid), sends it, decodes and validates the response, and maps declared errors to [`Error`]."
        ),
    );
    let method_struct = method_struct(&method_doc);
    cx.items.push(quote! {
        #method_struct

        #trait_impl

        #call_doc
        ///
        /// An `async fn` (written as a function returning a future): `call(..).await`.
        #[inline]
        pub fn call<'a>(#(#args),*) -> impl ::core::future::Future<
            Output = #result<#output_ty, ::atlex::Error<Error>>,
        > + 'a {
            #call_body
        }
    });
}

/// A subscription: its parameters, message union and errors, the `Method` struct and
/// `subscribe`.
pub(crate) fn emit_subscription(cx: &mut DocCx<'_, '_>, def: &Def, s: &Subscription) {
    let nsid = cx.nsid().to_owned();
    let params = emit_params(cx, s.parameters.as_ref(), "subscription");
    let mut has_message = false;
    if let Some(m) = &s.message {
        if let Kind::Union(u) = &m.kind {
            let origin = format!("A message of the subscription `{nsid}`.");
            emit_union(
                cx,
                &format_ident!("Message"),
                u,
                m.description.as_deref(),
                &origin,
            );
            has_message = true;
        }
    }
    emit_errors(cx, &s.errors, "subscription");
    let message_ty = if has_message {
        quote!(Message)
    } else {
        quote!(__t::Unknown)
    };
    let params_ty = match &params {
        Some(p) => quote!(#p),
        None => quote!(::atlex::xrpc::NoParams),
    };
    let (arg, params_arg) = match &params {
        Some(p) => (quote!(, params: &#p), quote!(params)),
        None => (quote!(), quote!(&::atlex::xrpc::NoParams {})),
    };
    let method_doc = doc_attr(
        def.description.as_deref(),
        &format!(
            "The event stream `{nsid}` (subscription), for generic code such as the server router."
        ),
    );
    // A framing other than the event-stream spec's, declared by a newer lexicon.
    let framing = match s.subprotocol.as_deref() {
        Some(p) if p != "xrpc.v0.cbor" => format!(
            " Its lexicon declares the subprotocol {p:?}: a server that follows it sends that framing to a client that does not ask for another, and this client reads the `xrpc.v0.cbor` framing (binary DAG-CBOR frames) only."
        ),
        _ => String::new(),
    };
    let subscribe_doc = doc_attr(
        def.description.as_deref(),
        &format!(
            "Subscribes to `{nsid}`: opens a WebSocket to the client's base URL (http becomes ws) and yields each message decoded and validated, or the stream's error; reconnects from the last sequence number. Needs atlex's `stream` feature.{framing}"
        ),
    );
    let method_struct = method_struct(&method_doc);
    cx.items.push(quote! {
        #method_struct

        impl ::atlex::xrpc::Subscription for Method {
            const NSID: &'static str = NSID;
            type Params = #params_ty;
            type Message = #message_ty;
            type Error = Error;
        }

        #subscribe_doc
        #[inline]
        pub fn subscribe(client: &impl ::atlex::xrpc::Connect #arg) -> ::atlex::xrpc::Events<Method> {
            client.subscribe::<Method>(#params_arg)
        }
    });
}

/// The `Method` marker type of a method or subscription document, with its doc and `Debug`.
fn method_struct(doc: &TokenStream) -> TokenStream {
    quote! {
        #doc
        #[derive(Clone, Copy)]
        pub struct Method;

        impl __fmt::Debug for Method {
            #[inline]
            fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                f.write_str("Method")
            }
        }
    }
}
