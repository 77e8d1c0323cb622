//! The lexicon document as typed Rust, built from positioned JSON. Structural mistakes (a
//! property of the wrong JSON type, an unknown `type`) are reported here; the rules that relate
//! several properties are in `check`.

use crate::diag::{At, Ctxt, Origin};
use crate::json::{Json, Member, Number, Value};
use atlex_syntax::Format;

/// One lexicon document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The NSID in `id`.
    pub id: String,
    /// Where `id` is.
    pub id_at: At,
    /// The document's description.
    pub description: Option<String>,
    /// The definitions, in source order.
    pub defs: Vec<Def>,
    /// Where the document came from.
    pub origin: Origin,
    /// The document's text, for `LEXICON`.
    pub text: DocText,
}

/// How the generated `LEXICON` constant gets the document's text.
#[derive(Debug, Clone)]
pub enum DocText {
    /// `include_str!` of this absolute path (which also makes cargo track the file).
    File(String),
    /// The JSON written inline, as compact text.
    Inline(String),
}

/// A named definition.
#[derive(Debug, Clone)]
pub struct Def {
    /// The name in `defs` (`main`, `strongRef`).
    pub name: String,
    /// Where the definition is.
    pub at: At,
    /// The description.
    pub description: Option<String>,
    /// What it defines.
    pub kind: DefKind,
}

/// The kinds of definition.
#[derive(Debug, Clone)]
pub enum DefKind {
    /// A record type (primary, `main` only).
    Record(Record),
    /// An HTTP GET method (primary).
    Query(Method),
    /// An HTTP POST method (primary).
    Procedure(Method),
    /// An event stream (primary).
    Subscription(Subscription),
    /// A set of OAuth permissions (primary).
    PermissionSet,
    /// A named symbol with no data.
    Token,
    /// A named schema: object, string, array, ...
    Schema(Schema),
    /// A definition with an error already reported; nothing is emitted for it.
    Broken,
}

impl DefKind {
    /// The lexicon's name of this kind.
    pub fn type_name(&self) -> &'static str {
        match self {
            DefKind::Record(_) => "record",
            DefKind::Query(_) => "query",
            DefKind::Procedure(_) => "procedure",
            DefKind::Subscription(_) => "subscription",
            DefKind::PermissionSet => "permission-set",
            DefKind::Token => "token",
            DefKind::Broken => "invalid definition",
            DefKind::Schema(s) => s.kind.type_name(),
        }
    }

    /// True for the kinds that may only be `main`.
    pub fn is_primary(&self) -> bool {
        matches!(
            self,
            DefKind::Record(_)
                | DefKind::Query(_)
                | DefKind::Procedure(_)
                | DefKind::Subscription(_)
                | DefKind::PermissionSet
        )
    }
}

/// A record definition.
#[derive(Debug, Clone)]
pub struct Record {
    /// The record key kind: `tid`, `nsid`, `any`, `literal:<value>`.
    pub key: Option<String>,
    /// Where `key` is.
    pub key_at: At,
    /// The record's object schema.
    pub record: Object,
    /// Where the object schema is.
    pub record_at: At,
}

/// A query or procedure.
#[derive(Debug, Clone)]
pub struct Method {
    /// Query parameters.
    pub parameters: Option<Object>,
    /// Request body (procedures only).
    pub input: Option<BodySchema>,
    /// Response body.
    pub output: Option<BodySchema>,
    /// Declared errors.
    pub errors: Vec<ErrorDecl>,
}

/// A subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// Query parameters.
    pub parameters: Option<Object>,
    /// The message schema (a union).
    pub message: Option<Schema>,
    /// Declared errors.
    pub errors: Vec<ErrorDecl>,
    /// `subprotocol`, when it is a string: the framing a server sends a client that does not
    /// ask for one (`xrpc.v0.cbor`, the event-stream spec's, when absent; `xrpc.v1.json` for
    /// JSON frames). A property of a newer version of the language (proposal 0015, JSON event
    /// streams) that the reference validators do not define yet; kept for the docs.
    pub subprotocol: Option<String>,
}

/// An input or output body.
#[derive(Debug, Clone)]
pub struct BodySchema {
    /// The MIME type (`application/json`, `*/*`).
    pub encoding: String,
    /// The JSON schema of the body (object, ref or union).
    pub schema: Option<Schema>,
    /// The description.
    pub description: Option<String>,
    /// Where the body is.
    pub at: At,
}

/// A declared XRPC error.
#[derive(Debug, Clone)]
pub struct ErrorDecl {
    /// The name (`AccountTakedown`).
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// Where it is.
    pub at: At,
}

/// A schema for one value.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Where it is.
    pub at: At,
    /// The description.
    pub description: Option<String>,
    /// The type and its constraints.
    pub kind: Kind,
}

/// The field types.
#[derive(Debug, Clone)]
pub enum Kind {
    /// `null`
    Null,
    /// `boolean`
    Boolean(BoolC),
    /// `integer`
    Integer(IntC),
    /// `string`
    String(StrC),
    /// `bytes`
    Bytes(LenC),
    /// `cid-link`
    CidLink,
    /// `blob`
    Blob(BlobC),
    /// `array`
    Array(Box<Schema>, LenC),
    /// `object` (and `params`)
    Object(Object),
    /// `ref`
    Ref(RefSchema),
    /// `union`
    Union(UnionC),
    /// `unknown`
    Unknown,
}

impl Kind {
    /// The lexicon's name of this type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Boolean(_) => "boolean",
            Kind::Integer(_) => "integer",
            Kind::String(_) => "string",
            Kind::Bytes(_) => "bytes",
            Kind::CidLink => "cid-link",
            Kind::Blob(_) => "blob",
            Kind::Array(..) => "array",
            Kind::Object(o) if o.is_params => "params",
            Kind::Object(_) => "object",
            Kind::Ref(_) => "ref",
            Kind::Union(_) => "union",
            Kind::Unknown => "unknown",
        }
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where.
    pub at: At,
}

/// Boolean constraints.
#[derive(Debug, Clone, Default)]
pub struct BoolC {
    /// `default`
    pub default: Option<Located<bool>>,
    /// `const`
    pub const_: Option<Located<bool>>,
}

/// Integer constraints.
#[derive(Debug, Clone, Default)]
pub struct IntC {
    /// `minimum`
    pub minimum: Option<Located<i64>>,
    /// `maximum`
    pub maximum: Option<Located<i64>>,
    /// `enum`
    pub enum_: Option<Located<Vec<i64>>>,
    /// `default`
    pub default: Option<Located<i64>>,
    /// `const`
    pub const_: Option<Located<i64>>,
}

/// String constraints.
#[derive(Debug, Clone, Default)]
pub struct StrC {
    /// `format`
    pub format: Option<Located<Format>>,
    /// `minLength` (UTF-8 bytes)
    pub min_length: Option<Located<u64>>,
    /// `maxLength` (UTF-8 bytes)
    pub max_length: Option<Located<u64>>,
    /// `minGraphemes`
    pub min_graphemes: Option<Located<u64>>,
    /// `maxGraphemes`
    pub max_graphemes: Option<Located<u64>>,
    /// `knownValues`
    pub known_values: Vec<String>,
    /// `enum`
    pub enum_: Option<Located<Vec<String>>>,
    /// `default`
    pub default: Option<Located<String>>,
    /// `const`
    pub const_: Option<Located<String>>,
}

/// Length constraints of bytes and arrays.
#[derive(Debug, Clone, Default)]
pub struct LenC {
    /// `minLength`
    pub min_length: Option<Located<u64>>,
    /// `maxLength`
    pub max_length: Option<Located<u64>>,
}

/// Blob constraints.
#[derive(Debug, Clone, Default)]
pub struct BlobC {
    /// `accept`: MIME types, `type/*` patterns, or `*/*`.
    pub accept: Option<Located<Vec<Located<String>>>>,
    /// `maxSize` in bytes.
    pub max_size: Option<Located<u64>>,
}

/// An object (or params) schema.
#[derive(Debug, Clone)]
pub struct Object {
    /// True for `params`.
    pub is_params: bool,
    /// Properties, in source order.
    pub properties: Vec<Property>,
    /// `required`, with where each name is.
    pub required: Vec<Located<String>>,
    /// `nullable`, with where each name is.
    pub nullable: Vec<Located<String>>,
    /// Where the object is.
    pub at: At,
    /// Properties whose schema had an error (already reported); `required` and `nullable`
    /// may name them without a second error.
    pub failed: Vec<String>,
}

impl Object {
    /// True when `name` is required.
    pub fn is_required(&self, name: &str) -> bool {
        self.required.iter().any(|r| r.value == name)
    }

    /// True when `name` is nullable.
    pub fn is_nullable(&self, name: &str) -> bool {
        self.nullable.iter().any(|r| r.value == name)
    }
}

/// One property of an object.
#[derive(Debug, Clone)]
pub struct Property {
    /// The wire name.
    pub name: String,
    /// The schema.
    pub schema: Schema,
}

/// A `ref`.
#[derive(Debug, Clone)]
pub struct RefSchema {
    /// The target as written: `#local`, `nsid`, `nsid#name`.
    pub target: String,
    /// Where the `ref` value is.
    pub at: At,
}

/// A `union`.
#[derive(Debug, Clone)]
pub struct UnionC {
    /// The refs, as written, with their places.
    pub refs: Vec<Located<String>>,
    /// `closed`
    pub closed: bool,
}

/// Reads a document; returns `None` when it is too broken to go on (errors are in `cx`).
pub fn read_document(
    cx: &mut Ctxt,
    origin: &Origin,
    json: &Json,
    text: DocText,
) -> Option<Document> {
    let root = At {
        pos: json.pos,
        pointer: String::new(),
    };
    let mut r = Reader { cx, origin };
    let members = r.object(json, &root)?;
    r.check_keys(members, &root, &DOCUMENT);
    match field(members, "lexicon") {
        None => r.err(
            &root,
            "the document has no `lexicon` version",
            Some("add `\"lexicon\": 1` at the top"),
        ),
        Some(m) => {
            if !matches!(m.value.value, Value::Number(Number::Int(1))) {
                let at = root.child("lexicon", m.value.pos);
                let msg = format!("`lexicon` must be 1, found {}", describe(&m.value.value));
                r.err(
                    &at,
                    &msg,
                    Some("atlex reads version 1 of the lexicon language"),
                );
            }
        }
    }
    let (id, id_at) = match field(members, "id") {
        None => {
            r.err(
                &root,
                "the document has no `id`",
                Some("add the document's NSID, e.g. `\"id\": \"com.example.getThing\"`"),
            );
            return None;
        }
        Some(m) => {
            let at = root.child("id", m.value.pos);
            match &m.value.value {
                Value::String(s) => {
                    if let Err(e) = atlex_syntax::nsid(s) {
                        let msg = format!("`id` {s:?} is not a valid NSID: {e}");
                        r.err(
                            &at,
                            &msg,
                            Some("an NSID is a reversed domain name plus a name, e.g. `com.example.getThing`"),
                        );
                        return None;
                    }
                    (s.clone(), at)
                }
                other => {
                    let msg = format!("`id` must be a string NSID, found {}", describe(other));
                    r.err(&at, &msg, None);
                    return None;
                }
            }
        }
    };
    if let Some(m) = field(members, "revision") {
        if !matches!(m.value.value, Value::Number(Number::Int(i)) if i >= 0) {
            let at = root.child("revision", m.value.pos);
            r.err(&at, "`revision` must be a non-negative integer", None);
        }
    }
    let description = r.opt_string(members, &root, "description");
    let mut defs = Vec::new();
    match field(members, "defs") {
        None => r.err(
            &root,
            "the document has no `defs`",
            Some("add `\"defs\": { \"main\": { ... } }`"),
        ),
        Some(m) => {
            let at = root.child("defs", m.value.pos);
            if let Some(def_members) = r.object(&m.value, &at) {
                for dm in def_members {
                    let def_at = at.child(&dm.key, dm.value.pos);
                    if !valid_def_name(&dm.key) {
                        let msg = format!("definition name {:?} is not valid", dm.key);
                        r.err(
                            &def_at,
                            &msg,
                            Some("a definition name is letters, digits and `_`, starting with a letter"),
                        );
                        continue;
                    }
                    // A definition that could not be read stays as `Broken`, so refs to it
                    // do not add errors of their own: one mistake, one error.
                    let def = r.def(&dm.key, &dm.value, def_at.clone()).unwrap_or(Def {
                        name: dm.key.clone(),
                        at: def_at,
                        description: None,
                        kind: DefKind::Broken,
                    });
                    defs.push(def);
                }
            }
        }
    }
    Some(Document {
        id,
        id_at,
        description,
        defs,
        origin: origin.clone(),
        text,
    })
}

fn valid_def_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn field<'a>(members: &'a [Member], key: &str) -> Option<&'a Member> {
    members.iter().find(|m| m.key == key)
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {s:?}"),
        Value::Number(Number::Int(i)) => format!("the number {i}"),
        Value::Number(Number::Float(f)) => format!("the number {f}"),
        Value::Bool(b) => format!("`{b}`"),
        other => other.type_name().to_string(),
    }
}

/// The string formats, by their lexicon names.
const FORMAT_NAMES: &[&str] = &[
    "at-identifier",
    "at-uri",
    "cid",
    "datetime",
    "did",
    "handle",
    "nsid",
    "tid",
    "record-key",
    "uri",
    "language",
];

/// The field types allowed inside objects, arrays and defs.
const FIELD_TYPES: &[&str] = &[
    "null", "boolean", "integer", "string", "bytes", "cid-link", "blob", "array", "object", "ref",
    "union", "unknown",
];

/// The types a named definition may have.
const DEF_TYPES: &[&str] = &[
    "record",
    "query",
    "procedure",
    "subscription",
    "permission-set",
    "token",
    "object",
    "array",
    "string",
    "integer",
    "boolean",
    "bytes",
    "cid-link",
    "blob",
];

/// A place in a document where the lexicon language defines a set of properties: a document,
/// a definition of one type, a schema of one type, a body, a message, an error declaration.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// Its lexicon name: the `type` of a definition or schema (`string`, `subscription`), or
    /// `document`, `message`, `body`, `error`.
    pub name: &'static str,
    /// What messages call it ("a string schema").
    pub what: &'static str,
    /// The properties the lexicon language defines there, as the reference validators
    /// (`@atproto/lexicon`, `@atproto/lex-document`) know them. Any other property is ignored,
    /// as they ignore it, unless it is a [`near_miss`] of one of these.
    pub known: &'static [&'static str],
}

macro_rules! positions {
    ($($(#[$doc:meta])* $id:ident = $name:literal, $what:literal, [$($key:literal),* $(,)?];)*) => {
        $($(#[$doc])* pub const $id: Position = Position {
            name: $name,
            what: $what,
            known: &[$($key),*],
        };)*
        /// Every position, in the order above.
        pub const POSITIONS: &[Position] = &[$($id),*];
    };
}

positions! {
    /// The document itself; `$type` is there when it is stored as a `com.atproto.lexicon.schema`
    /// record.
    DOCUMENT = "document", "a lexicon document", ["lexicon", "id", "revision", "description", "defs", "$type"];
    /// A `record` definition.
    RECORD = "record", "a record definition", ["type", "description", "key", "record"];
    /// A `query` definition.
    QUERY = "query", "a query", ["type", "description", "parameters", "output", "errors"];
    /// A `procedure` definition.
    PROCEDURE = "procedure", "a procedure", ["type", "description", "parameters", "input", "output", "errors"];
    /// A `subscription` definition.
    SUBSCRIPTION = "subscription", "a subscription", ["type", "description", "parameters", "message", "errors"];
    /// The `message` of a subscription.
    MESSAGE = "message", "a subscription message", ["description", "schema"];
    /// A `permission-set` definition (`title:lang` and `detail:lang` are localised variants
    /// of `title` and `detail`).
    PERMISSION_SET = "permission-set", "a permission set", ["type", "description", "title", "detail", "permissions"];
    /// A `token` definition.
    TOKEN = "token", "a token", ["type", "description"];
    /// The `input` or `output` of a method.
    BODY = "body", "an input or output body", ["encoding", "schema", "description"];
    /// One entry of a method's `errors`.
    ERROR = "error", "an error declaration", ["name", "description"];
    /// An `object` schema.
    OBJECT = "object", "an object schema", ["type", "description", "properties", "required", "nullable"];
    /// The `params` schema of a method's `parameters`.
    PARAMS = "params", "a params schema", ["type", "description", "properties", "required", "nullable"];
    /// A `null` schema.
    NULL = "null", "a null schema", ["type", "description"];
    /// A `boolean` schema.
    BOOLEAN = "boolean", "a boolean schema", ["type", "description", "default", "const"];
    /// An `integer` schema.
    INTEGER = "integer", "an integer schema", ["type", "description", "default", "const", "minimum", "maximum", "enum"];
    /// A `string` schema.
    STRING = "string", "a string schema", [
        "type", "description", "format", "default", "const", "minLength", "maxLength",
        "minGraphemes", "maxGraphemes", "knownValues", "enum",
    ];
    /// A `bytes` schema.
    BYTES = "bytes", "a bytes schema", ["type", "description", "minLength", "maxLength"];
    /// A `cid-link` schema.
    CID_LINK = "cid-link", "a cid-link schema", ["type", "description"];
    /// A `blob` schema.
    BLOB = "blob", "a blob schema", ["type", "description", "accept", "maxSize"];
    /// An `array` schema.
    ARRAY = "array", "an array schema", ["type", "description", "items", "minLength", "maxLength"];
    /// A `ref` schema.
    REF = "ref", "a ref schema", ["type", "description", "ref"];
    /// A `union` schema.
    UNION = "union", "a union schema", ["type", "description", "refs", "closed"];
    /// An `unknown` schema.
    UNKNOWN = "unknown", "an unknown schema", ["type", "description"];
}

/// Reads JSON into the model, reporting mistakes into the context.
struct Reader<'c> {
    cx: &'c mut Ctxt,
    origin: &'c Origin,
}

impl Reader<'_> {
    fn err(&mut self, at: &At, message: &str, hint: Option<&str>) {
        self.cx.error(self.origin, at, message, hint);
    }

    /// The members of an object, or an error when `json` is not one.
    fn object<'j>(&mut self, json: &'j Json, at: &At) -> Option<&'j [Member]> {
        match &json.value {
            Value::Object(m) => Some(m),
            other => {
                let msg = format!("expected an object, found {}", describe(other));
                self.err(at, &msg, None);
                None
            }
        }
    }

    /// Reports the keys that are near misses of a property the lexicon language defines at
    /// `position` (a misspelling: `maxLenght`, `requried`); every other key it does not
    /// define is ignored, as the reference validators ignore it, so that a document written
    /// for a newer version of the language (a subscription's `subprotocol`) still reads.
    fn check_keys(&mut self, members: &[Member], at: &At, position: &Position) {
        let known = position.known;
        for m in members {
            if known.contains(&m.key.as_str()) {
                continue;
            }
            // `title:lang`-style localised keys are allowed next to their base key.
            if let Some((base, _)) = m.key.split_once(':') {
                if known.contains(&base) {
                    continue;
                }
            }
            let Some(intended) = near_miss(&m.key, known) else {
                continue;
            };
            let what = position.what;
            let key_at = at.child(&m.key, m.key_pos);
            let msg = format!("unknown property `{}` in {what}", m.key);
            let hint = format!(
                "did you mean `{intended}`? A property this close to one the lexicon language defines is taken for a misspelling (other unknown properties are ignored); {what} may have: {}",
                known.join(", ")
            );
            self.err(&key_at, &msg, Some(&hint));
        }
    }

    /// Reports an unknown `type` at its value, suggesting the closest known one; `label`
    /// introduces the list of known ones ("the field types are").
    fn unknown_type(
        &mut self,
        members: &[Member],
        at: &At,
        ty: &str,
        what: &str,
        label: &str,
        known: &[&str],
    ) {
        let msg = format!("unknown {what} {ty:?}");
        let list = known.join(", ");
        let hint = match closest(ty, known) {
            Some(best) => {
                let mut chars = label.chars();
                let capitalized: String = chars
                    .next()
                    .map(|c| c.to_ascii_uppercase())
                    .into_iter()
                    .chain(chars)
                    .collect();
                format!("did you mean {best:?}? {capitalized}: {list}")
            }
            None => format!("{label}: {list}"),
        };
        let pos = field(members, "type").map_or(at.pos, |m| m.value.pos);
        self.err(&at.child("type", pos), &msg, Some(&hint));
    }

    fn opt_string(&mut self, members: &[Member], at: &At, key: &str) -> Option<String> {
        let m = field(members, key)?;
        match &m.value.value {
            Value::String(s) => Some(s.clone()),
            other => {
                let msg = format!("`{key}` must be a string, found {}", describe(other));
                self.err(&at.child(key, m.value.pos), &msg, None);
                None
            }
        }
    }

    fn opt_bool(&mut self, members: &[Member], at: &At, key: &str) -> Option<Located<bool>> {
        let m = field(members, key)?;
        let a = at.child(key, m.value.pos);
        match &m.value.value {
            Value::Bool(b) => Some(Located { value: *b, at: a }),
            other => {
                let msg = format!("`{key}` must be a boolean, found {}", describe(other));
                self.err(&a, &msg, None);
                None
            }
        }
    }

    fn opt_int(&mut self, members: &[Member], at: &At, key: &str) -> Option<Located<i64>> {
        let m = field(members, key)?;
        let a = at.child(key, m.value.pos);
        match &m.value.value {
            Value::Number(Number::Int(i)) => Some(Located { value: *i, at: a }),
            other => {
                let msg = format!("`{key}` must be an integer, found {}", describe(other));
                self.err(&a, &msg, None);
                None
            }
        }
    }

    fn opt_count(&mut self, members: &[Member], at: &At, key: &str) -> Option<Located<u64>> {
        let m = field(members, key)?;
        let a = at.child(key, m.value.pos);
        match &m.value.value {
            Value::Number(Number::Int(i)) if *i >= 0 => Some(Located {
                value: *i as u64,
                at: a,
            }),
            other => {
                let msg = format!(
                    "`{key}` must be a non-negative integer, found {}",
                    describe(other)
                );
                self.err(&a, &msg, None);
                None
            }
        }
    }

    fn opt_string_list(
        &mut self,
        members: &[Member],
        at: &At,
        key: &str,
    ) -> Option<Located<Vec<Located<String>>>> {
        let m = field(members, key)?;
        let a = at.child(key, m.value.pos);
        match &m.value.value {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let ia = a.index(i, item.pos);
                    match &item.value {
                        Value::String(s) => out.push(Located {
                            value: s.clone(),
                            at: ia,
                        }),
                        other => {
                            let msg = format!(
                                "`{key}` must hold only strings, found {}",
                                describe(other)
                            );
                            self.err(&ia, &msg, None);
                        }
                    }
                }
                Some(Located { value: out, at: a })
            }
            other => {
                let msg = format!(
                    "`{key}` must be an array of strings, found {}",
                    describe(other)
                );
                self.err(&a, &msg, None);
                None
            }
        }
    }

    fn type_of<'j>(&mut self, members: &'j [Member], at: &At) -> Option<&'j str> {
        match field(members, "type") {
            None => {
                self.err(
                    at,
                    "this schema has no `type`",
                    Some("every schema needs a `type`, such as \"object\", \"string\" or \"ref\""),
                );
                None
            }
            Some(m) => match &m.value.value {
                Value::String(s) => Some(s.as_str()),
                other => {
                    let msg = format!("`type` must be a string, found {}", describe(other));
                    self.err(&at.child("type", m.value.pos), &msg, None);
                    None
                }
            },
        }
    }

    fn def(&mut self, name: &str, json: &Json, at: At) -> Option<Def> {
        let members = self.object(json, &at)?;
        let ty = self.type_of(members, &at)?;
        let description = self.opt_string(members, &at, "description");
        let kind = match ty {
            "record" => {
                self.check_keys(members, &at, &RECORD);
                let key = self.opt_string(members, &at, "key");
                let key_at = field(members, "key")
                    .map(|m| at.child("key", m.value.pos))
                    .unwrap_or_else(|| at.clone());
                let Some(rm) = field(members, "record") else {
                    self.err(
                        &at,
                        "a record definition needs a `record` object schema",
                        None,
                    );
                    return None;
                };
                let record_at = at.child("record", rm.value.pos);
                let rmembers = self.object(&rm.value, &record_at)?;
                if field(rmembers, "type").is_none() {
                    self.err(
                        &record_at,
                        "a record's `record` schema has no `type`",
                        Some("add `\"type\": \"object\"`: a record's `record` is an object schema"),
                    );
                    return None;
                }
                match self.type_of(rmembers, &record_at) {
                    Some("object") => {}
                    Some(other) => {
                        let msg = format!(
                            "a record's `record` must be of type \"object\", found {other:?}"
                        );
                        self.err(&record_at, &msg, None);
                        return None;
                    }
                    None => return None,
                }
                let record = self.object_schema(rmembers, &record_at, false)?;
                DefKind::Record(Record {
                    key,
                    key_at,
                    record,
                    record_at,
                })
            }
            "query" | "procedure" => {
                let is_proc = ty == "procedure";
                let position = if is_proc { &PROCEDURE } else { &QUERY };
                self.check_keys(members, &at, position);
                let parameters = self.params(members, &at);
                let input = if is_proc {
                    self.body(members, &at, "input")
                } else {
                    None
                };
                let output = self.body(members, &at, "output");
                let errors = self.errors(members, &at);
                let m = Method {
                    parameters,
                    input,
                    output,
                    errors,
                };
                if is_proc {
                    DefKind::Procedure(m)
                } else {
                    DefKind::Query(m)
                }
            }
            "subscription" => {
                self.check_keys(members, &at, &SUBSCRIPTION);
                let parameters = self.params(members, &at);
                let message = match field(members, "message") {
                    None => None,
                    Some(m) => {
                        let ma = at.child("message", m.value.pos);
                        let mm = self.object(&m.value, &ma)?;
                        self.check_keys(mm, &ma, &MESSAGE);
                        match field(mm, "schema") {
                            None => None,
                            Some(s) => {
                                let sa = ma.child("schema", s.value.pos);
                                self.schema(&s.value, sa)
                            }
                        }
                    }
                };
                let errors = self.errors(members, &at);
                // Not a property the reference validators define: any value is accepted, as
                // theirs accept it; only a string says something.
                let subprotocol = match field(members, "subprotocol").map(|m| &m.value.value) {
                    Some(Value::String(s)) => Some(s.clone()),
                    _ => None,
                };
                DefKind::Subscription(Subscription {
                    parameters,
                    message,
                    errors,
                    subprotocol,
                })
            }
            "permission-set" => {
                self.check_keys(members, &at, &PERMISSION_SET);
                if let Some(m) = field(members, "permissions") {
                    let pa = at.child("permissions", m.value.pos);
                    match &m.value.value {
                        Value::Array(items) => {
                            for (i, item) in items.iter().enumerate() {
                                let ia = pa.index(i, item.pos);
                                if let Some(pm) = self.object(item, &ia) {
                                    if self.type_of(pm, &ia) != Some("permission") {
                                        self.err(&ia, "a permission set holds only `\"type\": \"permission\"` entries", None);
                                    }
                                    if self.opt_string(pm, &ia, "resource").is_none() {
                                        self.err(
                                            &ia,
                                            "a permission needs a `resource` string",
                                            None,
                                        );
                                    }
                                }
                            }
                        }
                        other => {
                            let msg = format!(
                                "`permissions` must be an array, found {}",
                                describe(other)
                            );
                            self.err(&pa, &msg, None);
                        }
                    }
                } else {
                    self.err(&at, "a permission set needs `permissions`", None);
                }
                DefKind::PermissionSet
            }
            "token" => {
                self.check_keys(members, &at, &TOKEN);
                DefKind::Token
            }
            "unknown" | "ref" | "union" | "null" | "params" => {
                let msg = format!("a definition cannot be of type {ty:?}");
                self.err(
                    &at.child("type", field(members, "type").map(|m| m.value.pos).unwrap_or(at.pos)),
                    &msg,
                    Some("named definitions are records, methods, subscriptions, tokens, objects, arrays or primitive types; use the type inside an object property instead"),
                );
                return None;
            }
            other if !FIELD_TYPES.contains(&other) => {
                self.unknown_type(
                    members,
                    &at,
                    other,
                    "definition type",
                    "a definition is one of",
                    DEF_TYPES,
                );
                return None;
            }
            _ => DefKind::Schema(self.schema(json, at.clone())?),
        };
        Some(Def {
            name: name.to_owned(),
            at,
            description,
            kind,
        })
    }

    fn params(&mut self, members: &[Member], at: &At) -> Option<Object> {
        let m = field(members, "parameters")?;
        let pa = at.child("parameters", m.value.pos);
        let pm = self.object(&m.value, &pa)?;
        match self.type_of(pm, &pa)? {
            "params" => self.object_schema(pm, &pa, true),
            other => {
                let msg = format!("`parameters` must be of type \"params\", found {other:?}");
                self.err(&pa, &msg, None);
                None
            }
        }
    }

    fn body(&mut self, members: &[Member], at: &At, key: &str) -> Option<BodySchema> {
        let m = field(members, key)?;
        let ba = at.child(key, m.value.pos);
        let bm = self.object(&m.value, &ba)?;
        self.check_keys(bm, &ba, &BODY);
        let encoding = match self.opt_string(bm, &ba, "encoding") {
            Some(e) => e,
            None => {
                if field(bm, "encoding").is_none() {
                    let msg = format!("`{key}` needs an `encoding`");
                    self.err(
                        &ba,
                        &msg,
                        Some("for JSON bodies write `\"encoding\": \"application/json\"`"),
                    );
                }
                return None;
            }
        };
        let description = self.opt_string(bm, &ba, "description");
        let schema = match field(bm, "schema") {
            None => None,
            Some(s) => {
                let sa = ba.child("schema", s.value.pos);
                Some(self.schema(&s.value, sa)?)
            }
        };
        Some(BodySchema {
            encoding,
            schema,
            description,
            at: ba,
        })
    }

    fn errors(&mut self, members: &[Member], at: &At) -> Vec<ErrorDecl> {
        let mut out = Vec::new();
        let Some(m) = field(members, "errors") else {
            return out;
        };
        let ea = at.child("errors", m.value.pos);
        let Value::Array(items) = &m.value.value else {
            let msg = format!(
                "`errors` must be an array, found {}",
                describe(&m.value.value)
            );
            self.err(&ea, &msg, None);
            return out;
        };
        for (i, item) in items.iter().enumerate() {
            let ia = ea.index(i, item.pos);
            let Some(im) = self.object(item, &ia) else {
                continue;
            };
            self.check_keys(im, &ia, &ERROR);
            let description = self.opt_string(im, &ia, "description");
            match self.opt_string(im, &ia, "name") {
                Some(name) => out.push(ErrorDecl {
                    name,
                    description,
                    at: ia,
                }),
                None => {
                    if field(im, "name").is_none() {
                        self.err(&ia, "an error declaration needs a `name`", None);
                    }
                }
            }
        }
        out
    }

    fn object_schema(&mut self, members: &[Member], at: &At, is_params: bool) -> Option<Object> {
        let position = if is_params { &PARAMS } else { &OBJECT };
        self.check_keys(members, at, position);
        let mut properties = Vec::new();
        let mut failed = Vec::new();
        if let Some(m) = field(members, "properties") {
            let pa = at.child("properties", m.value.pos);
            if let Some(pm) = self.object(&m.value, &pa) {
                for p in pm {
                    let a = pa.child(&p.key, p.value.pos);
                    match self.schema(&p.value, a) {
                        Some(schema) => properties.push(Property {
                            name: p.key.clone(),
                            schema,
                        }),
                        None => failed.push(p.key.clone()),
                    }
                }
            }
        }
        let required = self
            .opt_string_list(members, at, "required")
            .map(|l| l.value)
            .unwrap_or_default();
        let nullable = self
            .opt_string_list(members, at, "nullable")
            .map(|l| l.value)
            .unwrap_or_default();
        Some(Object {
            is_params,
            properties,
            required,
            nullable,
            at: at.clone(),
            failed,
        })
    }

    /// Reads a field schema (any type but the primary ones).
    fn schema(&mut self, json: &Json, at: At) -> Option<Schema> {
        let members = self.object(json, &at)?;
        let ty = self.type_of(members, &at)?;
        let description = self.opt_string(members, &at, "description");
        let kind = match ty {
            "null" => {
                self.check_keys(members, &at, &NULL);
                Kind::Null
            }
            "boolean" => {
                self.check_keys(members, &at, &BOOLEAN);
                Kind::Boolean(BoolC {
                    default: self.opt_bool(members, &at, "default"),
                    const_: self.opt_bool(members, &at, "const"),
                })
            }
            "integer" => {
                self.check_keys(members, &at, &INTEGER);
                let enum_ = match field(members, "enum") {
                    None => None,
                    Some(m) => {
                        let ea = at.child("enum", m.value.pos);
                        match &m.value.value {
                            Value::Array(items) => {
                                let mut vals = Vec::new();
                                for (i, item) in items.iter().enumerate() {
                                    match item.value {
                                        Value::Number(Number::Int(v)) => vals.push(v),
                                        _ => self.err(
                                            &ea.index(i, item.pos),
                                            "integer `enum` values must be integers",
                                            None,
                                        ),
                                    }
                                }
                                Some(Located {
                                    value: vals,
                                    at: ea,
                                })
                            }
                            other => {
                                let msg =
                                    format!("`enum` must be an array, found {}", describe(other));
                                self.err(&ea, &msg, None);
                                None
                            }
                        }
                    }
                };
                Kind::Integer(IntC {
                    minimum: self.opt_int(members, &at, "minimum"),
                    maximum: self.opt_int(members, &at, "maximum"),
                    enum_,
                    default: self.opt_int(members, &at, "default"),
                    const_: self.opt_int(members, &at, "const"),
                })
            }
            "string" => {
                self.check_keys(members, &at, &STRING);
                let format = match field(members, "format") {
                    None => None,
                    Some(m) => {
                        let fa = at.child("format", m.value.pos);
                        match &m.value.value {
                            Value::String(f) => match Format::from_lexicon_name(f) {
                                Some(fmt) => Some(Located { value: fmt, at: fa }),
                                None => {
                                    let msg = format!("unknown string format {f:?}");
                                    let names = FORMAT_NAMES;
                                    let hint = match closest(f, names) {
                                        Some(best) => format!(
                                            "did you mean {best:?}? The formats are: {}",
                                            names.join(", ")
                                        ),
                                        None => format!("the formats are: {}", names.join(", ")),
                                    };
                                    self.err(&fa, &msg, Some(&hint));
                                    None
                                }
                            },
                            other => {
                                let msg =
                                    format!("`format` must be a string, found {}", describe(other));
                                self.err(&fa, &msg, None);
                                None
                            }
                        }
                    }
                };
                let known_values = self
                    .opt_string_list(members, &at, "knownValues")
                    .map(|l| l.value.into_iter().map(|v| v.value).collect())
                    .unwrap_or_default();
                let enum_ = self.opt_string_list(members, &at, "enum").map(|l| Located {
                    value: l.value.into_iter().map(|v| v.value).collect(),
                    at: l.at,
                });
                let default = self.opt_string(members, &at, "default").map(|v| Located {
                    value: v,
                    at: at.child(
                        "default",
                        field(members, "default")
                            .map(|m| m.value.pos)
                            .unwrap_or(at.pos),
                    ),
                });
                let const_ = self.opt_string(members, &at, "const").map(|v| Located {
                    value: v,
                    at: at.child(
                        "const",
                        field(members, "const")
                            .map(|m| m.value.pos)
                            .unwrap_or(at.pos),
                    ),
                });
                Kind::String(StrC {
                    format,
                    min_length: self.opt_count(members, &at, "minLength"),
                    max_length: self.opt_count(members, &at, "maxLength"),
                    min_graphemes: self.opt_count(members, &at, "minGraphemes"),
                    max_graphemes: self.opt_count(members, &at, "maxGraphemes"),
                    known_values,
                    enum_,
                    default,
                    const_,
                })
            }
            "bytes" => {
                self.check_keys(members, &at, &BYTES);
                Kind::Bytes(LenC {
                    min_length: self.opt_count(members, &at, "minLength"),
                    max_length: self.opt_count(members, &at, "maxLength"),
                })
            }
            "cid-link" => {
                self.check_keys(members, &at, &CID_LINK);
                Kind::CidLink
            }
            "blob" => {
                self.check_keys(members, &at, &BLOB);
                Kind::Blob(BlobC {
                    accept: self.opt_string_list(members, &at, "accept"),
                    max_size: self.opt_count(members, &at, "maxSize"),
                })
            }
            "array" => {
                self.check_keys(members, &at, &ARRAY);
                let Some(items) = field(members, "items") else {
                    self.err(
                        &at,
                        "an array schema needs `items`",
                        Some("add `\"items\": { \"type\": ... }`"),
                    );
                    return None;
                };
                let ia = at.child("items", items.value.pos);
                let item = self.schema(&items.value, ia)?;
                Kind::Array(
                    Box::new(item),
                    LenC {
                        min_length: self.opt_count(members, &at, "minLength"),
                        max_length: self.opt_count(members, &at, "maxLength"),
                    },
                )
            }
            "object" => Kind::Object(self.object_schema(members, &at, false)?),
            "params" => Kind::Object(self.object_schema(members, &at, true)?),
            "ref" => {
                self.check_keys(members, &at, &REF);
                match field(members, "ref") {
                    None => {
                        self.err(&at, "a ref schema needs `ref`", Some("e.g. `\"ref\": \"#localDef\"` or `\"ref\": \"com.atproto.repo.strongRef\"`"));
                        return None;
                    }
                    Some(m) => match &m.value.value {
                        Value::String(s) => Kind::Ref(RefSchema {
                            target: s.clone(),
                            at: at.child("ref", m.value.pos),
                        }),
                        other => {
                            let msg = format!("`ref` must be a string, found {}", describe(other));
                            self.err(&at.child("ref", m.value.pos), &msg, None);
                            return None;
                        }
                    },
                }
            }
            "union" => {
                self.check_keys(members, &at, &UNION);
                let refs = match self.opt_string_list(members, &at, "refs") {
                    Some(l) => l.value,
                    None => {
                        if field(members, "refs").is_none() {
                            self.err(&at, "a union schema needs `refs`", None);
                        }
                        return None;
                    }
                };
                let closed = self
                    .opt_bool(members, &at, "closed")
                    .map(|b| b.value)
                    .unwrap_or(false);
                Kind::Union(UnionC { refs, closed })
            }
            "unknown" => {
                self.check_keys(members, &at, &UNKNOWN);
                Kind::Unknown
            }
            "record" | "query" | "procedure" | "subscription" | "permission-set" | "token" => {
                let msg = format!("{ty:?} is a definition type and cannot be used here");
                let ta = at.child(
                    "type",
                    field(members, "type")
                        .map(|m| m.value.pos)
                        .unwrap_or(at.pos),
                );
                self.err(
                    &ta,
                    &msg,
                    Some("define it under `defs` and point at it with a `ref`"),
                );
                return None;
            }
            other => {
                self.unknown_type(
                    members,
                    &at,
                    other,
                    "type",
                    "the field types are",
                    FIELD_TYPES,
                );
                return None;
            }
        };
        Some(Schema {
            at,
            description,
            kind,
        })
    }
}

/// The property of `known` that `key` is a near miss of (a misspelling of it), if any.
///
/// `key` is a near miss of a known property `p` when `key` is not itself known, neither starts
/// with `$` (`$type`, `$schema`, `$comment` are metadata, never misspellings), and the two,
/// compared with ASCII case folded and `_` and `-` dropped, are
/// - the same word (`maxlength`, `max_length`, `MaxLength` for `maxLength`), or
/// - the same letters in another order (`requried`, `maxLenght`, `itmes`), or
/// - one edit apart, when `p` has five letters or more: one letter added, dropped or replaced,
///   or two neighbouring letters swapped (`knownValue`, `nulable`, `minimun`, `descripton`).
///
/// Anything else, a property of a newer version of the language included (a subscription's
/// `subprotocol`, a blob's `minSize`), is not a near miss. Two edits would be too many: they
/// take `minSize` for `maxSize`. When several known properties fit, the first rule wins, then
/// the first in `known`.
pub fn near_miss<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    if key.starts_with('$') || known.contains(&key) {
        return None;
    }
    let fold = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let sorted = |mut v: Vec<char>| {
        v.sort_unstable();
        v
    };
    let k = fold(key);
    let rank = |p: &str| -> Option<u8> {
        let f = fold(p);
        if f == k {
            Some(0)
        } else if sorted(f.clone()) == sorted(k.clone()) {
            Some(1)
        } else if f.len() >= 5 && osa_distance_is_one(&k, &f) {
            Some(2)
        } else {
            None
        }
    };
    let mut best: Option<(u8, &'a str)> = None;
    for p in known.iter().filter(|p| !p.starts_with('$')) {
        if let Some(r) = rank(p) {
            if best.is_none_or(|(b, _)| r < b) {
                best = Some((r, p));
            }
        }
    }
    best.map(|(_, p)| p)
}

/// Whether `a` and `b` are exactly one edit apart: one element inserted, deleted or
/// substituted, or two adjacent elements transposed.
fn osa_distance_is_one(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    match long.len() - short.len() {
        // Insertion: the rest of the long one, past one element, is the rest of the short one.
        1 => short[prefix..] == long[prefix + 1..],
        0 if prefix == short.len() => false,
        // Substitution, or the transposition of the first differing pair.
        0 => {
            short[prefix + 1..] == long[prefix + 1..]
                || (prefix + 1 < short.len()
                    && short[prefix] == long[prefix + 1]
                    && short[prefix + 1] == long[prefix]
                    && short[prefix + 2..] == long[prefix + 2..])
        }
        _ => false,
    }
}

/// The allowed word closest to `word`, when it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&word.to_ascii_lowercase(), &c.to_ascii_lowercase());
        if d <= 2.max(word.len() / 4) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Misspellings of each kind, at the position they are written in, and the property meant.
    #[test]
    fn near_misses_are_misspellings() {
        let cases: &[(&str, &Position, &str)] = &[
            // The same word but for case, `_` and `-`.
            ("MaxLength", &STRING, "maxLength"),
            ("max_length", &STRING, "maxLength"),
            ("max-size", &BLOB, "maxSize"),
            ("Key", &RECORD, "key"),
            ("ID", &DOCUMENT, "id"),
            ("Refs", &UNION, "refs"),
            // The same letters in another order.
            ("maxLenght", &STRING, "maxLength"),
            ("requried", &OBJECT, "required"),
            ("itmes", &ARRAY, "items"),
            ("tpye", &STRING, "type"),
            ("fer", &REF, "ref"),
            // One edit, for a property of five letters or more.
            ("knownValue", &STRING, "knownValues"),
            ("nulable", &OBJECT, "nullable"),
            ("minimun", &INTEGER, "minimum"),
            ("descripton", &DOCUMENT, "description"),
            ("decsription", &ERROR, "description"),
            ("parameter", &QUERY, "parameters"),
            ("permission", &PERMISSION_SET, "permissions"),
            ("recod", &RECORD, "record"),
            ("mesage", &SUBSCRIPTION, "message"),
            ("maxGraphems", &STRING, "maxGraphemes"),
        ];
        for (key, position, meant) in cases {
            assert_eq!(
                near_miss(key, position.known),
                Some(*meant),
                "{key:?} in {}",
                position.what
            );
        }
    }

    /// Properties of newer versions of the language (proposals 0015 and 0016), names tools
    /// and other schema languages use, and every property the language defines somewhere: at
    /// every position where the language does not define them, none is taken for a misspelling
    /// (two edits, `minSize` for `maxSize`, would have been).
    #[test]
    fn newer_and_foreign_properties_are_not_near_misses() {
        let newer = [
            "subprotocol",
            "name",
            "name:lang",
            "collections",
            "key",
            "$type",
            "$schema",
            "$comment",
            "$id",
            "deprecated",
            "examples",
            "example",
            "title",
            "pattern",
            "minSize",
            "minItems",
            "maxItems",
            "uniqueItems",
            "mimeType",
            "additionalProperties",
            "minProperties",
            "nullable",
            "optional",
            "readOnly",
            "since",
            "version",
            "status",
            "tags",
            "label",
            "unit",
        ];
        let defined = POSITIONS.iter().flat_map(|p| p.known.iter().copied());
        let mut checked = 0;
        for key in newer.into_iter().chain(defined) {
            for position in POSITIONS {
                if position.known.contains(&key) {
                    continue;
                }
                checked += 1;
                assert_eq!(
                    near_miss(key, position.known),
                    None,
                    "{key:?} in {}",
                    position.what
                );
            }
        }
        assert!(checked > 1000, "only {checked} pairs checked");
        assert_eq!(near_miss("minSize", &["maxSize"]), None);
        assert_eq!(near_miss("subprotocols", SUBSCRIPTION.known), None);
    }

    /// Words a short property is one edit from are not misspellings of it: a property of
    /// four letters or fewer needs the same letters.
    #[test]
    fn short_properties_need_the_same_letters() {
        assert_eq!(near_miss("refs", REF.known), None);
        assert_eq!(near_miss("keys", RECORD.known), None);
        assert_eq!(near_miss("types", STRING.known), None);
        assert_eq!(near_miss("enums", INTEGER.known), None);
        assert_eq!(near_miss("names", ERROR.known), None);
        assert_eq!(near_miss("ids", DOCUMENT.known), None);
    }

    #[test]
    fn one_edit() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        let one = |a: &str, b: &str| osa_distance_is_one(&chars(a), &chars(b));
        for (a, b) in [
            ("abc", "abd"),
            ("abc", "xbc"),
            ("abc", "acb"),
            ("abc", "bac"),
            ("abc", "ab"),
            ("abc", "bc"),
            ("abc", "abcd"),
            ("abc", "xabc"),
            ("", "a"),
            ("ab", "ba"),
        ] {
            assert!(one(a, b), "{a:?} {b:?}");
            assert!(one(b, a), "{b:?} {a:?}");
        }
        for (a, b) in [
            ("abc", "abc"),
            ("abc", "cba"),
            ("abcd", "badc"),
            ("abc", "a"),
            ("abc", "axc1"),
            ("abcd", "abdx"),
            ("", ""),
        ] {
            assert!(!one(a, b), "{a:?} {b:?}");
            assert!(!one(b, a), "{b:?} {a:?}");
        }
    }
}
