//! DID documents: read and checked as the reference does (the `didDocument` schema of
//! @atproto/common-web), and the atproto parts found in them (handle, PDS, keys).

use crate::crypto::{KeyError, PublicKey};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::fmt;

/// A DID document, as a DID's PLC directory entry or `did.json` serves it.
///
/// Read with [`DidDocument::from_json`], which accepts what the reference (@atproto/identity)
/// accepts: `id` a string; `alsoKnownAs` a list of strings; each verification method with a
/// string `id`, `type` and `controller`; each service with a string `id` and `type` and a
/// string or object `serviceEndpoint`; `@context` the DID v1 context or a list of URLs. Other
/// members are ignored. Whether `id` is the DID that was asked is checked by the resolver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DidDocument {
    #[serde(
        rename = "@context",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    context: Option<Value>,
    id: String,
    #[serde(
        rename = "alsoKnownAs",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    also_known_as: Option<Vec<String>>,
    #[serde(
        rename = "verificationMethod",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    verification_method: Option<Vec<VerificationMethod>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    authentication: Option<Vec<Value>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    service: Option<Vec<Service>>,
}

/// One entry of a document's `verificationMethod`: a public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationMethod {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    controller: String,
    #[serde(
        rename = "publicKeyMultibase",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    public_key_multibase: Option<String>,
    #[serde(
        rename = "publicKeyJwk",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    public_key_jwk: Option<serde_json::Map<String, Value>>,
}

/// One entry of a document's `service`: an endpoint the DID uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "serviceEndpoint")]
    endpoint: Value,
}

/// A document, or a part of one, that is not what the protocol expects. The message says what
/// is wrong and where (`verificationMethod[0].controller: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError(String);

impl DocumentError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        DocumentError(message.into())
    }
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DocumentError {}

/// An optional member that, when present, must hold a value (not `null`), as the reference's
/// schema requires.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The context every DID document may name alone.
const DID_CONTEXT: &str = "https://www.w3.org/ns/did/v1";

impl DidDocument {
    /// Reads a DID document from JSON, with the checks described on [`DidDocument`].
    pub fn from_json(json: &[u8]) -> Result<Self, DocumentError> {
        let value: Value = serde_json::from_slice(json)
            .map_err(|e| DocumentError::new(format!("not JSON: {e}")))?;
        // serde would also read a struct from a list of its fields; the reference takes only
        // objects.
        require_object(&value, "the document")?;
        for list in ["verificationMethod", "service", "authentication"] {
            if let Some(Value::Array(items)) = value.get(list) {
                for (i, item) in items.iter().enumerate() {
                    if !(list == "authentication" && item.is_string()) {
                        require_object(item, &format!("{list}[{i}]"))?;
                    }
                }
            }
        }
        let doc: DidDocument = serde_path_to_error::deserialize(&value).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path.is_empty() || path == "." {
                DocumentError::new(inner.to_string())
            } else {
                DocumentError::new(format!("{path}: {inner}"))
            }
        })?;
        doc.check()?;
        Ok(doc)
    }

    /// The checks serde's types do not express: `@context`, `authentication` entries,
    /// service endpoints.
    fn check(&self) -> Result<(), DocumentError> {
        match &self.context {
            None => {}
            Some(Value::String(s)) if s == DID_CONTEXT => {}
            Some(Value::String(s)) => {
                return Err(DocumentError::new(format!(
                    "@context: the one context named alone must be {DID_CONTEXT:?}, not {s:?}"
                )))
            }
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.as_str().is_some_and(is_url) {
                        return Err(DocumentError::new(format!(
                            "@context[{i}]: expected a URL string, found {}",
                            json_kind(item)
                        )));
                    }
                }
            }
            Some(other) => {
                return Err(DocumentError::new(format!(
                    "@context: expected a string or a list of URLs, found {}",
                    json_kind(other)
                )))
            }
        }
        for (i, entry) in self.authentication.iter().flatten().enumerate() {
            if !entry.is_string() {
                VerificationMethod::deserialize(entry).map_err(|e| {
                    DocumentError::new(format!(
                        "authentication[{i}]: expected a reference or a verification method: {e}"
                    ))
                })?;
            }
        }
        for (i, service) in self.services().iter().enumerate() {
            if !(service.endpoint.is_string() || service.endpoint.is_object()) {
                return Err(DocumentError::new(format!(
                    "service[{i}].serviceEndpoint: expected a string or an object, found {}",
                    json_kind(&service.endpoint)
                )));
            }
        }
        Ok(())
    }

    /// The DID the document is about (its `id`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The document's `alsoKnownAs` (`at://<handle>` for an atproto account).
    pub fn also_known_as(&self) -> &[String] {
        self.also_known_as.as_deref().unwrap_or_default()
    }

    /// The handle the document claims: its first `alsoKnownAs` entry that starts with `at://`,
    /// without that prefix, as written (the resolver checks it and compares it without regard
    /// to case). Not verified: [`super::Resolver::resolve`] checks that the handle points back.
    pub fn handle(&self) -> Option<&str> {
        self.also_known_as()
            .iter()
            .find_map(|aka| aka.strip_prefix("at://"))
    }

    /// The document's verification methods.
    pub fn verification_methods(&self) -> &[VerificationMethod] {
        self.verification_method.as_deref().unwrap_or_default()
    }

    /// The first verification method with the id `#<fragment>` or `<did>#<fragment>`
    /// (`verification_method("atproto")`).
    pub fn verification_method(&self, fragment: &str) -> Option<&VerificationMethod> {
        self.find(self.verification_methods(), |m| &m.id, fragment)
    }

    /// The document's services.
    pub fn services(&self) -> &[Service] {
        self.service.as_deref().unwrap_or_default()
    }

    /// The first service with the id `#<fragment>` or `<did>#<fragment>`
    /// (`service("atproto_pds")`).
    pub fn service(&self, fragment: &str) -> Option<&Service> {
        self.find(self.services(), |s| &s.id, fragment)
    }

    /// The endpoint of the service `#<fragment>` if it has the type `kind` and its endpoint
    /// is an http or https URL, as the reference requires.
    pub fn service_endpoint(&self, fragment: &str, kind: &str) -> Option<&str> {
        let service = self.service(fragment)?;
        if service.kind != kind {
            return None;
        }
        service.endpoint().filter(|url| is_http_url(url))
    }

    /// The account's PDS: the endpoint of the `#atproto_pds` service of type
    /// `AtprotoPersonalDataServer`.
    pub fn pds_endpoint(&self) -> Option<&str> {
        self.service_endpoint("atproto_pds", "AtprotoPersonalDataServer")
    }

    /// The account's signing key (repository commits, service tokens): the `#atproto`
    /// verification method, in the `Multikey` form or a legacy one
    /// (`EcdsaSecp256k1VerificationKey2019`, `EcdsaSecp256r1VerificationKey2019`). `None` when
    /// there is no such method, it has no `publicKeyMultibase` or its type is another one (as
    /// the reference reads it); an error when the key itself is malformed.
    pub fn signing_key(&self) -> Result<Option<PublicKey>, DocumentError> {
        self.key("atproto")
    }

    /// The labeler's key (signed labels): the `#atproto_label` verification method, read as
    /// [`DidDocument::signing_key`] reads `#atproto`.
    pub fn labeler_key(&self) -> Result<Option<PublicKey>, DocumentError> {
        self.key("atproto_label")
    }

    fn key(&self, fragment: &str) -> Result<Option<PublicKey>, DocumentError> {
        match self.verification_method(fragment) {
            Some(method) => method.public_key(),
            None => Ok(None),
        }
    }

    /// The labeler's endpoint: the `#atproto_labeler` service of type `AtprotoLabeler`.
    pub fn labeler_endpoint(&self) -> Option<&str> {
        self.service_endpoint("atproto_labeler", "AtprotoLabeler")
    }

    /// The first of `items` whose id is `#<fragment>` or `<self.id>#<fragment>`.
    fn find<'a, T>(
        &self,
        items: &'a [T],
        id: impl Fn(&T) -> &str,
        fragment: &str,
    ) -> Option<&'a T> {
        items.iter().find(|item| {
            let id = id(item);
            let rest = id.strip_prefix(self.id.as_str()).unwrap_or(id);
            rest.strip_prefix('#') == Some(fragment)
        })
    }
}

impl VerificationMethod {
    /// Its id (`#atproto`, or `did:plc:...#atproto`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its type (`Multikey`, or the legacy `EcdsaSecp256k1VerificationKey2019` and
    /// `EcdsaSecp256r1VerificationKey2019`).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The DID that controls it.
    pub fn controller(&self) -> &str {
        &self.controller
    }

    /// The key as multibase text, if given that way.
    pub fn public_key_multibase(&self) -> Option<&str> {
        self.public_key_multibase.as_deref()
    }

    /// The key: `None` without `publicKeyMultibase` or for a type other than `Multikey` and
    /// the legacy `EcdsaSecp256k1VerificationKey2019` and `EcdsaSecp256r1VerificationKey2019`;
    /// an error when the key is malformed or not a point of its curve.
    pub fn public_key(&self) -> Result<Option<PublicKey>, DocumentError> {
        let Some(multibase) = &self.public_key_multibase else {
            return Ok(None);
        };
        match PublicKey::from_verification_method(&self.kind, multibase) {
            Ok(key) => Ok(Some(key)),
            Err(KeyError::UnknownVerificationMethod { .. }) => Ok(None),
            Err(e) => Err(DocumentError::new(format!(
                "verification method {}: {e}",
                self.id
            ))),
        }
    }
}

impl Service {
    /// Its id (`#atproto_pds`, or `did:plc:...#atproto_pds`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its type (`AtprotoPersonalDataServer`).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The endpoint, when it is a string (it may also be an object, see
    /// [`Service::endpoint_value`]).
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_str()
    }

    /// The endpoint as written: a string or an object.
    pub fn endpoint_value(&self) -> &Value {
        &self.endpoint
    }
}

/// `http://` or `https://` with a host, as the reference's check of service endpoints.
fn is_http_url(s: &str) -> bool {
    if !(s.starts_with("http://") || s.starts_with("https://")) {
        return false;
    }
    s.parse::<http::Uri>()
        .is_ok_and(|u| u.authority().is_some_and(|a| !a.host().is_empty()))
}

/// A scheme, then something: `https://w3id.org/security/multikey/v1`.
fn is_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
}

fn require_object(v: &Value, what: &str) -> Result<(), DocumentError> {
    if v.is_object() {
        Ok(())
    } else {
        Err(DocumentError::new(format!(
            "{what}: expected an object, found {}",
            json_kind(v)
        )))
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLC_DOC: &str = r##"{
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
        "alsoKnownAs": ["https://example.com", "at://Alice.Example.com", "at://other.example"],
        "verificationMethod": [{
            "id": "did:plc:ewvi7nxzyoun6zhxrhs64oiz#atproto",
            "type": "Multikey",
            "controller": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
            "publicKeyMultibase": "zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5w"
        }],
        "service": [
            {"id": "#other", "type": "X", "serviceEndpoint": {"a": 1}},
            {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
             "serviceEndpoint": "https://pds.example.com"}
        ]
    }"##;

    #[test]
    fn reads_the_atproto_parts() {
        let doc = DidDocument::from_json(PLC_DOC.as_bytes()).unwrap();
        assert_eq!(doc.id(), "did:plc:ewvi7nxzyoun6zhxrhs64oiz");
        assert_eq!(doc.handle(), Some("Alice.Example.com"));
        assert_eq!(doc.pds_endpoint(), Some("https://pds.example.com"));
        assert_eq!(
            doc.verification_method("atproto").map(|m| m.kind()),
            Some("Multikey")
        );
        assert!(doc.verification_method("atproto_label").is_none());
        assert_eq!(doc.service("other").and_then(|s| s.endpoint()), None);
        assert_eq!(doc.labeler_endpoint(), None);
        assert_eq!(
            doc.signing_key()
                .unwrap()
                .map(|k| k.to_did_key())
                .as_deref(),
            Some("did:key:zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5w")
        );
        assert_eq!(doc.labeler_key(), Ok(None));
        // Written back and read again: the same document.
        let again = DidDocument::from_json(&serde_json::to_vec(&doc).unwrap()).unwrap();
        assert_eq!(again, doc);
    }

    #[test]
    fn the_pds_needs_its_type_and_an_http_url() {
        let with = |service: &str| {
            let json = format!(r#"{{"id": "did:web:a.com", "service": [{service}]}}"#);
            DidDocument::from_json(json.as_bytes())
                .unwrap()
                .pds_endpoint()
                .map(str::to_owned)
        };
        let pds = r#"{"id": "did:web:a.com#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "#;
        assert_eq!(
            with(&format!(r#"{pds} "http://localhost:2583"}}"#)).as_deref(),
            Some("http://localhost:2583")
        );
        assert_eq!(with(&format!(r#"{pds} "ftp://a.com"}}"#)), None);
        assert_eq!(with(&format!(r#"{pds} "https://"}}"#)), None);
        assert_eq!(
            with(
                r##"{"id": "#atproto_pds", "type": "Other", "serviceEndpoint": "https://a.com"}"##
            ),
            None
        );
        // Another DID's fragment is not this document's.
        assert_eq!(
            with(
                r#"{"id": "did:web:b.com#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "https://a.com"}"#
            ),
            None
        );
    }

    #[test]
    fn keys_of_other_types_are_none_and_malformed_keys_errors() {
        let with = |kind: &str, key: &str| {
            let json = format!(
                r##"{{"id": "did:web:a.com", "verificationMethod": [{{"id": "#atproto",
                    "type": "{kind}", "controller": "did:web:a.com", "publicKeyMultibase": "{key}"}}]}}"##
            );
            DidDocument::from_json(json.as_bytes())
                .unwrap()
                .signing_key()
        };
        let key = "zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5w";
        assert!(with("Multikey", key).unwrap().is_some());
        assert_eq!(with("JsonWebKey2020", key), Ok(None));
        let err = with(
            "Multikey",
            "zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("verification method #atproto: "),
            "{err}"
        );
        assert!(with("EcdsaSecp256k1VerificationKey2019", key).is_err());
    }

    #[test]
    fn malformed_documents_say_what_is_wrong_and_where() {
        let cases: &[(&str, &str)] = &[
            ("[]", "the document: expected an object, found a list"),
            (
                r##"{"id": "did:web:a.com", "service": [["#a", "t", "https://a.com"]]}"##,
                "service[0]: expected an object, found a list",
            ),
            (r#"{"alsoKnownAs": []}"#, "missing field `id`"),
            (r#"{"id": 5}"#, "id: invalid type: integer"),
            (
                r#"{"id": "did:web:a.com", "alsoKnownAs": null}"#,
                "alsoKnownAs: invalid type: null",
            ),
            (
                r#"{"id": "did:web:a.com", "alsoKnownAs": [1]}"#,
                "alsoKnownAs[0]: invalid type",
            ),
            (
                r##"{"id": "did:web:a.com", "verificationMethod": [{"id": "#a", "type": "Multikey"}]}"##,
                "verificationMethod[0]: missing field `controller`",
            ),
            (
                r##"{"id": "did:web:a.com", "verificationMethod": [{"id": "#a", "type": "Multikey", "controller": "x", "publicKeyMultibase": null}]}"##,
                "verificationMethod[0].publicKeyMultibase: invalid type: null",
            ),
            (
                r##"{"id": "did:web:a.com", "service": [{"id": "#a", "type": "t", "serviceEndpoint": 3}]}"##,
                "service[0].serviceEndpoint: expected a string or an object, found a number",
            ),
            (
                r#"{"id": "did:web:a.com", "@context": "https://example.com"}"#,
                "@context: the one context",
            ),
            (
                r#"{"id": "did:web:a.com", "@context": ["nope"]}"#,
                "@context[0]: expected a URL",
            ),
            (
                r#"{"id": "did:web:a.com", "authentication": [3]}"#,
                "authentication[0]",
            ),
            (r#"{"id": "did:web:a.com""#, "not JSON: EOF"),
        ];
        for (json, expected) in cases {
            let err = DidDocument::from_json(json.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{json}: {err:?} lacks {expected:?}");
        }
        assert_eq!(cases.len(), 13);
    }
}
