//! The rules of the lexicon language that relate several properties of a document. Every rule
//! reports into the context and goes on, so all mistakes are shown at once.

use crate::diag::{At, Ctxt};
use crate::model::{Def, DefKind, Document, Kind, Object, Schema};

/// Checks one document.
pub fn check_document(cx: &mut Ctxt, doc: &Document) {
    let mut c = Checker { cx, doc };
    for def in &doc.defs {
        c.def(def);
    }
}

struct Checker<'a> {
    cx: &'a mut Ctxt,
    doc: &'a Document,
}

impl Checker<'_> {
    fn err(&mut self, at: &At, message: &str, hint: Option<&str>) {
        self.cx.error(&self.doc.origin, at, message, hint);
    }

    fn def(&mut self, def: &Def) {
        if def.kind.is_primary() && def.name != "main" {
            let msg = format!(
                "a {} must be the `main` definition, but it is named {:?}",
                def.kind.type_name(),
                def.name
            );
            self.err(
                &def.at,
                &msg,
                Some("rename it to `main`, or move it into a document of its own"),
            );
        }
        match &def.kind {
            DefKind::Record(r) => {
                match &r.key {
                    None => self.err(
                        &r.key_at,
                        "a record definition needs a `key`",
                        Some("use \"tid\", \"nsid\", \"any\" or \"literal:<value>\""),
                    ),
                    Some(k) => {
                        if !valid_record_key_kind(k) {
                            let msg = format!("record `key` {k:?} is not a record key type");
                            self.err(
                                &r.key_at,
                                &msg,
                                Some("use \"tid\", \"nsid\", \"any\" or \"literal:<value>\" where <value> is a valid record key such as \"self\""),
                            );
                        }
                    }
                }
                self.object(&r.record);
            }
            DefKind::Query(m) | DefKind::Procedure(m) => {
                if let Some(p) = &m.parameters {
                    self.object(p);
                }
                for body in [&m.input, &m.output].into_iter().flatten() {
                    if !valid_mime(&body.encoding, true) {
                        let msg = format!("`encoding` {:?} is not a MIME type", body.encoding);
                        self.err(&body.at, &msg, Some("e.g. \"application/json\" or \"*/*\""));
                    }
                    if let Some(schema) = &body.schema {
                        if !matches!(schema.kind, Kind::Object(_) | Kind::Ref(_) | Kind::Union(_)) {
                            let msg = format!(
                                "a body schema must be an object, a ref or a union, found {:?}",
                                schema.kind.type_name()
                            );
                            self.err(&schema.at, &msg, None);
                        } else {
                            self.schema(schema);
                        }
                    }
                }
                self.errors(&m.errors);
            }
            DefKind::Subscription(s) => {
                if let Some(p) = &s.parameters {
                    self.object(p);
                }
                if let Some(m) = &s.message {
                    if !matches!(m.kind, Kind::Union(_)) {
                        let msg = format!(
                            "a subscription's message schema must be a union, found {:?}",
                            m.kind.type_name()
                        );
                        self.err(&m.at, &msg, None);
                    } else {
                        self.schema(m);
                    }
                }
                self.errors(&s.errors);
            }
            DefKind::PermissionSet | DefKind::Token | DefKind::Broken => {}
            DefKind::Schema(s) => self.schema(s),
        }
    }

    fn errors(&mut self, errors: &[crate::model::ErrorDecl]) {
        for (i, e) in errors.iter().enumerate() {
            if e.name.is_empty() || !e.name.chars().all(|c| c.is_ascii_alphanumeric()) {
                let msg = format!("error name {:?} is not a name", e.name);
                self.err(
                    &e.at,
                    &msg,
                    Some("error names are letters and digits, e.g. \"AccountTakedown\""),
                );
            } else if errors[..i].iter().any(|o| o.name == e.name) {
                let msg = format!("error {:?} is declared twice", e.name);
                self.err(&e.at, &msg, None);
            }
        }
    }

    fn object(&mut self, o: &Object) {
        for list in [&o.required, &o.nullable] {
            let which = if std::ptr::eq(list, &o.required) {
                "required"
            } else {
                "nullable"
            };
            for (i, name) in list.iter().enumerate() {
                if o.failed.contains(&name.value) {
                    // The property's own error is already reported.
                } else if !o.properties.iter().any(|p| p.name == name.value) {
                    let msg = format!("{which} property {:?} is not in `properties`", name.value);
                    let names: Vec<&str> = o.properties.iter().map(|p| p.name.as_str()).collect();
                    let hint = match crate::model::closest(&name.value, &names) {
                        Some(best) => format!("did you mean {best:?}?"),
                        None if names.is_empty() => "the object has no properties".to_owned(),
                        None => format!("the properties are: {}", names.join(", ")),
                    };
                    self.err(&name.at, &msg, Some(&hint));
                } else if list[..i].iter().any(|n| n.value == name.value) {
                    let msg = format!("{which} lists {:?} twice", name.value);
                    self.err(&name.at, &msg, None);
                }
            }
        }
        for p in &o.properties {
            if o.is_params {
                let ok = match &p.schema.kind {
                    Kind::Boolean(_) | Kind::Integer(_) | Kind::String(_) | Kind::Unknown => true,
                    Kind::Array(items, _) => {
                        matches!(
                            items.kind,
                            Kind::Boolean(_) | Kind::Integer(_) | Kind::String(_)
                        )
                    }
                    _ => false,
                };
                if !ok {
                    let msg = format!(
                        "query parameter {:?} is of type {:?}, which params cannot hold",
                        p.name,
                        p.schema.kind.type_name()
                    );
                    self.err(
                        &p.schema.at,
                        &msg,
                        Some("params hold only boolean, integer, string, unknown, and arrays of boolean, integer or string"),
                    );
                    continue;
                }
            }
            self.schema(&p.schema);
        }
    }

    fn schema(&mut self, s: &Schema) {
        match &s.kind {
            Kind::Null | Kind::CidLink | Kind::Unknown | Kind::Ref(_) => {}
            Kind::Boolean(b) => {
                if let (Some(d), Some(_)) = (&b.default, &b.const_) {
                    self.err(
                        &d.at,
                        "`default` and `const` cannot both be set",
                        Some("a constant needs no default: remove `default`"),
                    );
                }
            }
            Kind::Integer(c) => {
                if let (Some(min), Some(max)) = (&c.minimum, &c.maximum) {
                    if min.value > max.value {
                        let msg = format!(
                            "`minimum` {} is greater than `maximum` {}",
                            min.value, max.value
                        );
                        self.err(&min.at, &msg, None);
                    }
                }
                if let (Some(d), Some(_)) = (&c.default, &c.const_) {
                    self.err(
                        &d.at,
                        "`default` and `const` cannot both be set",
                        Some("a constant needs no default: remove `default`"),
                    );
                }
                for (what, v) in [("default", &c.default), ("const", &c.const_)] {
                    let Some(v) = v else { continue };
                    if c.minimum.as_ref().is_some_and(|m| v.value < m.value)
                        || c.maximum.as_ref().is_some_and(|m| v.value > m.value)
                    {
                        let msg = format!(
                            "`{what}` {} is outside [minimum, maximum] = [{}, {}]",
                            v.value,
                            c.minimum
                                .as_ref()
                                .map_or("-inf".to_owned(), |m| m.value.to_string()),
                            c.maximum
                                .as_ref()
                                .map_or("inf".to_owned(), |m| m.value.to_string()),
                        );
                        self.err(&v.at, &msg, None);
                    }
                    if let Some(e) = &c.enum_ {
                        if !e.value.contains(&v.value) {
                            let msg =
                                format!("`{what}` {} is not one of `enum` {:?}", v.value, e.value);
                            self.err(&v.at, &msg, None);
                        }
                    }
                }
            }
            Kind::String(c) => {
                self.len_pair(&c.min_length, &c.max_length, "minLength", "maxLength");
                self.len_pair(
                    &c.min_graphemes,
                    &c.max_graphemes,
                    "minGraphemes",
                    "maxGraphemes",
                );
                if let (Some(d), Some(_)) = (&c.default, &c.const_) {
                    self.err(
                        &d.at,
                        "`default` and `const` cannot both be set",
                        Some("a constant needs no default: remove `default`"),
                    );
                }
                for (what, v) in [("default", &c.default), ("const", &c.const_)] {
                    let Some(v) = v else { continue };
                    if let Some(e) = &c.enum_ {
                        if !e.value.contains(&v.value) {
                            let msg = format!(
                                "`{what}` {:?} is not one of `enum` {:?}",
                                v.value, e.value
                            );
                            self.err(&v.at, &msg, None);
                        }
                    }
                    if let Some(f) = &c.format {
                        if let Err(e) = f.value.check(&v.value) {
                            let msg = format!(
                                "`{what}` {:?} is not a valid {}: {e}",
                                v.value,
                                f.value.lexicon_name()
                            );
                            self.err(&v.at, &msg, None);
                        }
                    }
                    let len = v.value.len() as u64;
                    if c.max_length.as_ref().is_some_and(|m| len > m.value)
                        || c.min_length.as_ref().is_some_and(|m| len < m.value)
                    {
                        let msg = format!(
                            "`{what}` {:?} breaks the string's minLength/maxLength",
                            v.value
                        );
                        self.err(&v.at, &msg, None);
                    }
                }
            }
            Kind::Bytes(c) => self.len_pair(&c.min_length, &c.max_length, "minLength", "maxLength"),
            Kind::Blob(c) => {
                if let Some(accept) = &c.accept {
                    for a in &accept.value {
                        if !valid_mime(&a.value, true) {
                            let msg = format!(
                                "blob `accept` entry {:?} is not a MIME type or pattern",
                                a.value
                            );
                            self.err(&a.at, &msg, Some("use a MIME type like \"image/png\", a pattern like \"image/*\", or \"*/*\""));
                        }
                    }
                }
            }
            Kind::Array(items, c) => {
                self.len_pair(&c.min_length, &c.max_length, "minLength", "maxLength");
                self.schema(items);
            }
            Kind::Object(o) => self.object(o),
            Kind::Union(u) => {
                if u.closed && u.refs.is_empty() {
                    self.err(
                        &s.at,
                        "a closed union needs at least one ref",
                        Some("add refs, or remove `\"closed\": true`"),
                    );
                }
                // Two spellings of one definition (`#a`, `nsid#a`, `lex:nsid#a`; `nsid` and
                // `nsid#main`) are one variant listed twice.
                let id = self.doc.id.as_str();
                let target = |raw| union_target(id, raw);
                for (i, r) in u.refs.iter().enumerate() {
                    let Some(this) = target(&r.value) else {
                        continue;
                    };
                    if let Some(first) = u.refs[..i].iter().find(|o| target(&o.value) == Some(this))
                    {
                        let msg = if first.value == r.value {
                            format!("union lists {:?} twice", r.value)
                        } else {
                            format!(
                                "union lists {:?} twice (as {:?} and {:?})",
                                format!("{}#{}", this.0, this.1),
                                first.value,
                                r.value
                            )
                        };
                        self.err(&r.at, &msg, None);
                    }
                }
            }
        }
    }

    fn len_pair(
        &mut self,
        min: &Option<crate::model::Located<u64>>,
        max: &Option<crate::model::Located<u64>>,
        min_name: &str,
        max_name: &str,
    ) {
        if let (Some(min), Some(max)) = (min, max) {
            if min.value > max.value {
                let msg = format!(
                    "`{min_name}` {} is greater than `{max_name}` {}",
                    min.value, max.value
                );
                self.err(&min.at, &msg, None);
            }
        }
    }
}

/// `tid`, `nsid`, `any`, or `literal:<record key>`.
fn valid_record_key_kind(k: &str) -> bool {
    match k {
        "tid" | "nsid" | "any" => true,
        _ => k
            .strip_prefix("literal:")
            .is_some_and(|v| atlex_syntax::record_key(v).is_ok()),
    }
}

/// A MIME type `type/subtype` (parameters allowed), a `type/*` pattern, or `*/*`.
fn valid_mime(s: &str, allow_wildcards: bool) -> bool {
    let essence = s.split(';').next().unwrap_or("").trim();
    let Some((ty, sub)) = essence.split_once('/') else {
        return false;
    };
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    if allow_wildcards && ty == "*" && sub == "*" {
        return true;
    }
    token(ty) && ((allow_wildcards && sub == "*") || token(sub))
}

/// The definition a union ref names (`(nsid, name)`), or `None` for `lex:` with no NSID after
/// it (reported by `resolve`).
fn union_target<'r>(current: &'r str, raw: &'r str) -> Option<(&'r str, &'r str)> {
    let bare = raw.strip_prefix(crate::resolve::LEX_SCHEME);
    if bare.is_some_and(|b| b.is_empty() || b.starts_with('#')) {
        return None;
    }
    Some(crate::resolve::split_ref(current, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_patterns() {
        for ok in [
            "image/png",
            "image/*",
            "*/*",
            "application/vnd.ipld.car",
            "text/plain; charset=utf-8",
        ] {
            assert!(valid_mime(ok, true), "{ok}");
        }
        for bad in ["image", "image/", "/png", "*/png", "im age/png", ""] {
            assert!(!valid_mime(bad, true), "{bad}");
        }
    }

    #[test]
    fn record_key_kinds() {
        for ok in ["tid", "nsid", "any", "literal:self"] {
            assert!(valid_record_key_kind(ok), "{ok}");
        }
        for bad in ["", "uuid", "literal:", "literal:a/b", "Tid"] {
            assert!(!valid_record_key_kind(bad), "{bad}");
        }
    }
}
