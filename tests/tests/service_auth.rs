//! Inter-service auth, both ways against the reference: tokens the reference PDS mints
//! (`getServiceAuth`) accepted by atlex's verifier; tokens atlex mints, and tokens broken on
//! purpose, judged by `@atproto/xrpc-server`'s `verifyJwt` with `@atproto/identity` resolving
//! the key (`pds/service-auth.mjs`) and by atlex alike, with the same error names; tokens the
//! reference mints from a local key accepted by atlex; the PDS proxying calls to an atlex
//! server (`atproto-proxy`), whose handlers see the PDS's token; a key rotated on the reference
//! PLC directory; one refetch, never a loop; every refusal a typed error; the replay check;
//! 100,000 mutated tokens without a panic.

use atlex::auth::{
    mint_service_token, request_service_token, verify_service_token, Caller, MintError,
    ServiceAuthClient, ServiceAuthError, ServiceAuthVerifier, ServiceClaims, ServiceTokenBuilder,
};
use atlex::crypto::{Curve, Keypair, SignatureError};
use atlex::identity::Resolver;
use atlex::server::{Router, XrpcRequest};
use atlex::xrpc::{Session, Transport, TransportError};
use atlex::Client;
use atlex_tests::Rng;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use bytes::Bytes;
use futures_util::FutureExt;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod lex {
    // The parts of app.bsky.feed.getFeedSkeleton the test server answers.
    atlex::lexicon!({
        "lexicon": 1,
        "id": "app.bsky.feed.getFeedSkeleton",
        "defs": {
            "main": {
                "type": "query",
                "parameters": { "type": "params", "required": ["feed"], "properties": {
                    "feed": { "type": "string", "format": "at-uri" },
                    "limit": { "type": "integer", "minimum": 1, "maximum": 100, "default": 50 },
                    "cursor": { "type": "string" } } },
                "output": { "encoding": "application/json", "schema": {
                    "type": "object", "required": ["feed"], "properties": {
                        "cursor": { "type": "string" },
                        "feed": { "type": "array", "items": { "type": "ref", "ref": "#skeletonFeedPost" } } } } },
                "errors": [{ "name": "UnknownFeed" }]
            },
            "skeletonFeedPost": { "type": "object", "required": ["post"], "properties": {
                "post": { "type": "string", "format": "at-uri" } } }
        }
    });
}
use lex::app::bsky::feed::get_feed_skeleton;

const FEED_LXM: &str = "app.bsky.feed.getFeedSkeleton";
const WHOAMI: &str = "com.example.auth.whoami";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// ---------------------------------------------------------------------------------------
// DID documents: served in process (counted), or over HTTP by an atlex server

/// A DID document with `keys` as Multikey verification methods and a `#bsky_fg` feed
/// generator service at `endpoint`.
fn document(did: &str, keys: &[(&str, &Keypair)], endpoint: &str) -> Value {
    let methods = atlex_tests::multikey_methods(did, keys);
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "service": [{ "id": "#bsky_fg", "type": "BskyFeedGenerator", "serviceEndpoint": endpoint }],
    })
}

/// A did:web document served to a resolver in process, whatever URL it asks, with the
/// number of fetches.
#[derive(Clone, Default)]
struct Docs {
    doc: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

impl Docs {
    const DID: &'static str = "did:web:feed.example.com";

    fn with_keys(keys: &[(&str, &Keypair)]) -> Docs {
        let docs = Docs::default();
        docs.set_keys(keys);
        docs
    }
    fn set_keys(&self, keys: &[(&str, &Keypair)]) {
        *self.doc.lock().unwrap() = document(Self::DID, keys, "https://feed.example.com");
    }
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
    fn resolver(&self) -> Resolver {
        Resolver::builder().transport(self.clone()).build()
    }
}

impl Transport for Docs {
    async fn send(
        &self,
        _request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let body = self.doc.lock().unwrap().to_string();
        Ok(http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Bytes::from(body))
            .unwrap())
    }
}

/// An atlex server on loopback: its did:web document (`did:web:localhost%3A<port>`, with its
/// `#atproto` key and a `#bsky_fg` service at itself), `getFeedSkeleton` through the generated
/// router (the caller's DID as the cursor), and `com.example.auth.whoami` through the
/// [`Caller`] extractor; both verify service tokens for the bare DID and `did#bsky_fg`.
struct Host {
    did: String,
    url: String,
    key: Keypair,
}

async fn start_host(resolver: Resolver, key: Keypair) -> Host {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let did = format!("did:web:localhost%3A{port}");
    let url = format!("http://localhost:{port}");
    let doc = document(&did, &[("atproto", &key)], &url);
    let verifier = ServiceAuthVerifier::builder(resolver, did.clone())
        .audience(format!("{did}#bsky_fg"))
        .build();
    let feed_verifier = verifier.clone();
    let feed = Router::new().query(
        get_feed_skeleton::Method,
        move |req: XrpcRequest<get_feed_skeleton::Params, ()>| {
            let verifier = feed_verifier.clone();
            async move {
                let caller = verifier.authenticate(&req.headers, FEED_LXM).await?;
                let mut out = get_feed_skeleton::Output::new(Vec::new());
                out.cursor = Some(caller.iss.to_string());
                Ok(out)
            }
        },
    );
    async fn whoami(caller: Caller) -> Response {
        json_response(json!({
            "did": caller.did.as_str(),
            "aud": caller.claims.aud,
            "lxm": caller.claims.lxm,
        }))
    }
    let app = axum::Router::new()
        .route(
            "/.well-known/did.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { json_response(doc) }
            }),
        )
        .route(&format!("/xrpc/{WHOAMI}"), axum::routing::get(whoami))
        .merge(feed.into_axum())
        .layer(axum::Extension(verifier));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Host { did, url, key }
}

fn json_response(value: Value) -> Response {
    ([("content-type", "application/json")], value.to_string()).into_response()
}

/// The status and JSON body of a response.
async fn json_body(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{status}: not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, body)
}

// ---------------------------------------------------------------------------------------
// Tokens made by hand

/// A token with this header and payload, signed with `key` (its compact signature).
fn hand_token(header: &Value, payload: &Value, key: &Keypair) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(payload.to_string())
    );
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", B64.encode(sig))
}

/// The payload of a fresh token from `iss` to `aud` for `lxm`.
fn payload(iss: &str, aud: &str, lxm: &str) -> Value {
    let now = now();
    json!({ "iat": now, "iss": iss, "aud": aud, "exp": now + 60, "lxm": lxm, "jti": format!("{:x}", Rng(now as u64).next_u64()) })
}

fn header(alg: &str) -> Value {
    json!({ "typ": "JWT", "alg": alg })
}

/// `token` with its signature replaced by `sig`.
fn with_signature(token: &str, sig: &[u8]) -> String {
    let input = &token[..token.rfind('.').unwrap()];
    format!("{input}.{}", B64.encode(sig))
}

fn signature(token: &str) -> Vec<u8> {
    B64.decode(&token[token.rfind('.').unwrap() + 1..]).unwrap()
}

/// The curve's order n, big-endian.
fn order(curve: Curve) -> [u8; 32] {
    let hex = match curve {
        Curve::K256 => "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        Curve::P256 => "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
    };
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

/// The high-S twin of a compact low-S signature: (r, n - s), written out here so that the
/// test does not lean on the code it checks.
fn high_s(curve: Curve, sig: &[u8]) -> Vec<u8> {
    let n = order(curve);
    let mut out = sig.to_vec();
    let mut borrow = 0u16;
    for i in (0..32).rev() {
        let subtrahend = u16::from(sig[32 + i]) + borrow;
        let minuend = u16::from(n[i]);
        borrow = u16::from(minuend < subtrahend);
        out[32 + i] = (minuend + (borrow << 8) - subtrahend) as u8;
    }
    assert!(
        out[32..] > sig[32..],
        "the twin of a low-S signature is high"
    );
    out
}

/// The DER form of a compact signature.
fn der(sig: &[u8]) -> Vec<u8> {
    let integer = |half: &[u8]| {
        let skip = half.iter().take_while(|b| **b == 0).count().min(31);
        let mut v = half[skip..].to_vec();
        if v[0] >= 0x80 {
            v.insert(0, 0);
        }
        [vec![2, v.len() as u8], v].concat()
    };
    let body = [integer(&sig[..32]), integer(&sig[32..])].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

// ---------------------------------------------------------------------------------------
// The reference: pds/service-auth.mjs, and a did:plc on the reference PLC directory

fn node() -> Option<PathBuf> {
    atlex_tests::node(&[
        "@atproto/xrpc-server",
        "@atproto/identity",
        "@atproto/crypto",
        "@atproto/common-web",
    ])
}

/// What `pds/service-auth.mjs` says for `config`: one line per item.
async fn reference(node: &std::path::Path, config: Value) -> Vec<Value> {
    let node = node.to_path_buf();
    let args = [config.to_string()];
    // On a thread of its own: the servers the script asks run on this test's runtime.
    let out = tokio::task::spawn_blocking(move || {
        atlex_tests::run_node(&node, "pds/service-auth.mjs", &args, &[])
    })
    .await
    .unwrap();
    let lines = atlex_tests::json_lines(&out);
    let expected = ["verify", "mint"]
        .iter()
        .map(|k| config[k].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    assert_eq!(lines.len(), expected, "one line per item");
    lines
}

/// A did:plc registered on the reference PLC directory: its rotation key, and its last
/// operation.
struct PlcDid {
    did: String,
    rotation: Keypair,
    last: Value,
}

/// `op` signed with `key`: the signature over its DAG-CBOR, as `sig` in base64url.
fn sign_op(mut op: Value, key: &Keypair) -> Value {
    let bytes = atlex::cbor::to_vec(&op).unwrap();
    op["sig"] = B64.encode(key.sign(&bytes)).into();
    op
}

async fn plc_submit(plc: &str, did: &str, op: &Value) {
    let resp = reqwest::Client::new()
        .post(format!("{plc}/{did}"))
        .header("content-type", "application/json")
        .body(op.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.text().await.unwrap();
    assert!(
        status.is_success(),
        "PLC refused the operation for {did}: {status} {body}"
    );
}

/// Registers a new did:plc whose `#atproto` key is `signing`.
async fn plc_create(plc: &str, signing: &Keypair) -> PlcDid {
    let rotation = Keypair::generate_k256();
    let op = sign_op(
        json!({
            "type": "plc_operation",
            "rotationKeys": [rotation.public_key().to_did_key()],
            "verificationMethods": { "atproto": signing.public_key().to_did_key() },
            "alsoKnownAs": [],
            "services": {},
            "prev": null,
        }),
        &rotation,
    );
    // The DID: base32 of the SHA-256 of the signed operation's DAG-CBOR, 24 characters.
    let cid = atlex::cbor::cid(&op).unwrap();
    let digest = cid.as_binary().hash().digest().to_vec();
    let b32 = cid::multibase::encode(cid::multibase::Base::Base32Lower, digest);
    let did = format!("did:plc:{}", &b32[1..25]);
    plc_submit(plc, &did, &op).await;
    PlcDid {
        did,
        rotation,
        last: op,
    }
}

/// Rotates the `#atproto` key of `plc_did` to `signing`.
async fn plc_rotate(plc: &str, plc_did: &mut PlcDid, signing: &Keypair) {
    let mut op = plc_did.last.clone();
    op.as_object_mut().unwrap().remove("sig");
    op["verificationMethods"]["atproto"] = signing.public_key().to_did_key().into();
    op["prev"] = atlex::cbor::cid(&plc_did.last).unwrap().to_string().into();
    let op = sign_op(op, &plc_did.rotation);
    plc_submit(plc, &plc_did.did, &op).await;
    plc_did.last = op;
}

/// A new account on the PDS, logged in.
async fn session(pds: &str, prefix: &str) -> (atlex_tests::Account, Session<Client>) {
    let account = atlex_tests::create_account(pds, prefix).await;
    let session = Session::new(Client::new(pds).unwrap());
    session
        .login(&account.handle, &account.password, None)
        .await
        .unwrap();
    (account, session)
}

fn resolver_for(plc: &str) -> Resolver {
    Resolver::builder().plc_url(plc).build()
}

// ---------------------------------------------------------------------------------------
// Both ways against the reference

#[tokio::test]
async fn tokens_the_pds_mints_are_accepted() {
    let (Some(pds), Some(plc)) = (atlex_tests::pds_url(), atlex_tests::plc_url()) else {
        return;
    };
    let resolver = resolver_for(&plc);
    let host = start_host(resolver.clone(), Keypair::generate_k256()).await;
    let fg = format!("{}#bsky_fg", host.did);
    let verifier = ServiceAuthVerifier::builder(resolver.clone(), host.did.clone())
        .audience(fg.clone())
        .build();
    let mut accepted = 0;
    for _ in 0..3 {
        let (account, session) = session(&pds, "sauth").await;
        let exp = now() + 600;
        // (aud asked, lxm asked, exp asked)
        let asks = [
            (host.did.as_str(), FEED_LXM, None),
            (fg.as_str(), FEED_LXM, Some(exp)),
            (fg.as_str(), WHOAMI, None),
        ];
        for (aud, lxm, exp) in asks {
            let token = request_service_token(&session, aud, Some(lxm), exp)
                .await
                .unwrap();
            let claims = verifier.verify(&token, Some(lxm)).await.unwrap();
            assert_eq!(claims.iss, account.did);
            assert_eq!(claims.iss_service, None);
            assert_eq!(claims.aud, aud);
            assert_eq!(claims.lxm.as_deref(), Some(lxm));
            assert_eq!(claims.key_id, "atproto");
            let jti = claims.jti.as_deref().unwrap();
            assert!(jti.len() == 32 && jti.bytes().all(|b| b.is_ascii_hexdigit()));
            let iat = claims.iat.unwrap();
            assert!((iat - now()).abs() <= 5, "iat {iat}");
            assert_eq!(claims.exp, exp.unwrap_or(iat + 60));
            // The one-call form, for the audience the token names.
            assert_eq!(
                verify_service_token(&resolver, &token, aud, Some(lxm))
                    .await
                    .unwrap(),
                claims
            );
            accepted += 1;
        }
        // Another method, another audience.
        let token = request_service_token(&session, &fg, Some(FEED_LXM), None)
            .await
            .unwrap();
        assert_eq!(
            verifier.verify(&token, Some(WHOAMI)).await,
            Err(ServiceAuthError::WrongLxm {
                lxm: FEED_LXM.into(),
                expected: WHOAMI.into()
            })
        );
        let bare_only = ServiceAuthVerifier::new(resolver.clone(), host.did.clone());
        assert_eq!(
            bare_only.verify(&token, Some(FEED_LXM)).await,
            Err(ServiceAuthError::WrongAudience {
                aud: fg.clone(),
                accepted: vec![host.did.clone()]
            })
        );
        // A token for no method: refused where a method is checked, unless allowed.
        let any = request_service_token(&session, &host.did, None, None)
            .await
            .unwrap();
        assert_eq!(
            verifier.verify(&any, Some(FEED_LXM)).await,
            Err(ServiceAuthError::MissingLxm {
                expected: FEED_LXM.into()
            })
        );
        let lenient = ServiceAuthVerifier::builder(resolver.clone(), host.did.clone())
            .allow_missing_lxm(true)
            .build();
        assert_eq!(
            lenient.verify(&any, Some(FEED_LXM)).await.unwrap().lxm,
            None
        );
        assert!(verifier.verify(&any, None).await.is_ok());
        // The session's own tokens are not service tokens.
        let data = session.data().unwrap();
        assert_eq!(
            verifier.verify(data.access_jwt(), Some(FEED_LXM)).await,
            Err(ServiceAuthError::WrongType {
                typ: "at+jwt".into()
            })
        );
        assert_eq!(
            verifier.verify(data.refresh_jwt(), Some(FEED_LXM)).await,
            Err(ServiceAuthError::WrongType {
                typ: "refresh+jwt".into()
            })
        );
    }
    assert_eq!(accepted, 9);
}

/// One case judged by both verifiers.
struct Case {
    label: String,
    token: String,
    aud: String,
    lxm: Option<String>,
}

#[tokio::test]
async fn tokens_atlex_mints_are_judged_as_the_reference_judges_them() {
    let (Some(node), Some(plc)) = (node(), atlex_tests::plc_url()) else {
        return;
    };
    let resolver = resolver_for(&plc);
    let k256 = start_host(resolver.clone(), Keypair::generate_k256()).await;
    let p256 = start_host(resolver.clone(), Keypair::generate_p256()).await;
    let plc_key = Keypair::generate_k256();
    let plc_did = plc_create(&plc, &plc_key).await;
    let issuers: [(&str, &Keypair); 3] = [
        (&k256.did, &k256.key),
        (&p256.did, &p256.key),
        (&plc_did.did, &plc_key),
    ];
    let aud = "did:web:feed.example.com";
    let svc = "did:web:feed.example.com#bsky_fg";
    let mut cases = Vec::new();
    let mut case = |label: &str, iss: &str, token: String, aud: &str, lxm: Option<&str>| {
        cases.push(Case {
            label: format!("{label} ({iss})"),
            token,
            aud: aud.to_owned(),
            lxm: lxm.map(str::to_owned),
        })
    };
    for (iss, key) in issuers {
        let token = |b: ServiceTokenBuilder| b.sign(key).unwrap();
        let plain = token(ServiceTokenBuilder::new(iss, aud).lxm(FEED_LXM));
        let sig = signature(&plain);
        // Accepted by both.
        case("plain", iss, plain.clone(), aud, Some(FEED_LXM));
        case(
            "one-call mint",
            iss,
            mint_service_token(key, iss, svc, FEED_LXM).unwrap(),
            svc,
            Some(FEED_LXM),
        );
        case(
            "kid #atproto",
            iss,
            token(
                ServiceTokenBuilder::new(iss, aud)
                    .lxm(FEED_LXM)
                    .key_id("#atproto"),
            ),
            aud,
            Some(FEED_LXM),
        );
        case(
            "an hour",
            iss,
            token(
                ServiceTokenBuilder::new(iss, aud)
                    .lxm(FEED_LXM)
                    .expires_in(Duration::from_secs(3600)),
            ),
            aud,
            Some(FEED_LXM),
        );
        case(
            "no lxm, none checked",
            iss,
            token(ServiceTokenBuilder::new(iss, aud).without_lxm()),
            aud,
            None,
        );
        case(
            "high-S",
            iss,
            with_signature(&plain, &high_s(key.curve(), &sig)),
            aud,
            Some(FEED_LXM),
        );
        case(
            "DER",
            iss,
            with_signature(&plain, &der(&sig)),
            aud,
            Some(FEED_LXM),
        );
        case(
            "high-S DER",
            iss,
            with_signature(&plain, &der(&high_s(key.curve(), &sig))),
            aud,
            Some(FEED_LXM),
        );
        // Refused by both, for the same reason.
        let now = now();
        case(
            "expired",
            iss,
            token(
                ServiceTokenBuilder::new(iss, aud)
                    .lxm(FEED_LXM)
                    .issued_at(now - 300)
                    .expires_at(now - 120),
            ),
            aud,
            Some(FEED_LXM),
        );
        case("another audience", iss, plain.clone(), svc, Some(FEED_LXM));
        case("another method", iss, plain.clone(), aud, Some(WHOAMI));
        case(
            "no lxm, one checked",
            iss,
            token(ServiceTokenBuilder::new(iss, aud).without_lxm()),
            aud,
            Some(FEED_LXM),
        );
        for bit in [0, 77, 300, 511] {
            let mut bad = sig.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            case(
                &format!("signature bit {bit}"),
                iss,
                with_signature(&plain, &bad),
                aud,
                Some(FEED_LXM),
            );
        }
        let stranger = Keypair::generate(key.curve());
        let input = plain.rsplit_once('.').unwrap().0;
        case(
            "another key",
            iss,
            with_signature(&plain, &stranger.sign(input.as_bytes())),
            aud,
            Some(FEED_LXM),
        );
        let p = payload(iss, aud, FEED_LXM);
        case(
            "alg none",
            iss,
            format!(
                "{}.{}.",
                B64.encode(header("none").to_string()),
                B64.encode(p.to_string())
            ),
            aud,
            Some(FEED_LXM),
        );
        let input = format!(
            "{}.{}",
            B64.encode(header("HS256").to_string()),
            B64.encode(p.to_string())
        );
        case(
            "alg HS256",
            iss,
            format!("{input}.{}", B64.encode([7u8; 32])),
            aud,
            Some(FEED_LXM),
        );
        let other_alg = match key.curve() {
            Curve::K256 => "ES256",
            Curve::P256 => "ES256K",
        };
        case(
            "the other curve's alg",
            iss,
            hand_token(&header(other_alg), &p, key),
            aud,
            Some(FEED_LXM),
        );
        for typ in ["at+jwt", "refresh+jwt", "dpop+jwt"] {
            let h = json!({ "typ": typ, "alg": key.curve().jwt_alg() });
            case(
                &format!("typ {typ}"),
                iss,
                hand_token(&h, &p, key),
                aud,
                Some(FEED_LXM),
            );
        }
        let mut not_did = p.clone();
        not_did["iss"] = "alice.example.com".into();
        case(
            "iss not a DID",
            iss,
            hand_token(&header(key.curve().jwt_alg()), &not_did, key),
            aud,
            Some(FEED_LXM),
        );
    }
    let reference_minted: Vec<Value> = issuers
        .iter()
        .map(|(iss, key)| {
            json!({
                "iss": iss, "aud": svc, "lxm": FEED_LXM,
                "curve": match key.curve() { Curve::K256 => "k256", Curve::P256 => "p256" },
                "privateKey": key.to_private_key_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>(),
            })
        })
        .collect();
    let config = json!({
        "plcUrl": plc,
        "verify": cases.iter().map(|c| json!({ "token": c.token, "aud": c.aud, "lxm": c.lxm })).collect::<Vec<_>>(),
        "mint": reference_minted,
    });
    let lines = reference(&node, config).await;
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for (case, theirs) in cases.iter().zip(&lines) {
        let ours = ServiceAuthVerifier::new(resolver.clone(), case.aud.clone())
            .verify(&case.token, case.lxm.as_deref())
            .await;
        match (&ours, theirs.get("payload")) {
            (Ok(claims), Some(payload)) => {
                let expected = json!({
                    "iss": claims.iss.as_str(), "aud": claims.aud, "exp": claims.exp,
                    "iat": claims.iat, "lxm": claims.lxm, "jti": claims.jti,
                });
                let mut payload = payload.clone();
                if payload.get("lxm").is_none() {
                    payload["lxm"] = Value::Null;
                }
                assert_eq!(payload, expected, "{}: the claims differ", case.label);
                *outcomes.entry("accepted".into()).or_default() += 1;
            }
            (Err(e), None) => {
                assert_eq!(
                    Some(e.name()),
                    theirs["error"].as_str(),
                    "{}: atlex refused with {e:?}, the reference with {theirs}",
                    case.label
                );
                *outcomes.entry(e.name().to_owned()).or_default() += 1;
            }
            _ => panic!(
                "{}: atlex says {ours:?}, the reference {theirs}",
                case.label
            ),
        }
    }
    println!(
        "{} tokens judged alike by atlex and the reference: {outcomes:?}",
        cases.len()
    );
    let expected: BTreeMap<String, usize> = [
        ("accepted", 8),
        ("JwtExpired", 1),
        ("BadJwtAudience", 1),
        ("BadJwtLexiconMethod", 2),
        ("BadJwtSignature", 8),
        ("BadJwtType", 3),
        ("BadJwtIss", 1),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_owned(), n * issuers.len()))
    .collect();
    assert_eq!(outcomes, expected);

    // Tokens the reference makes from the same keys, accepted by atlex.
    let minted = &lines[cases.len()..];
    for ((iss, _), line) in issuers.iter().zip(minted) {
        let token = line["token"].as_str().unwrap();
        let claims = verify_service_token(&resolver, token, svc, Some(FEED_LXM))
            .await
            .unwrap();
        assert_eq!(claims.iss, *iss);
        assert_eq!(claims.aud, svc);
    }
    assert_eq!(minted.len(), 3);
}

#[tokio::test]
async fn the_pds_proxies_calls_to_atlex_handlers() {
    let (Some(pds), Some(plc)) = (atlex_tests::pds_url(), atlex_tests::plc_url()) else {
        return;
    };
    let host = start_host(resolver_for(&plc), Keypair::generate_k256()).await;
    let (account, session) = session(&pds, "proxy").await;
    let access = session.data().unwrap().access_jwt().to_owned();
    let http = reqwest::Client::new();
    let proxied = |nsid: &str, query: &str| {
        http.get(format!("{pds}/xrpc/{nsid}?{query}"))
            .bearer_auth(&access)
            .header("atproto-proxy", format!("{}#bsky_fg", host.did))
    };
    // Through the generated router: the handler answers with the caller it verified.
    let feed = format!("at://{}/app.bsky.feed.generator/words", host.did);
    let resp = proxied(FEED_LXM, &format!("feed={feed}"))
        .send()
        .await
        .unwrap();
    let (status, body) = json_body(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "feed": [], "cursor": account.did }));
    // Through the extractor: the PDS's token names the bare DID and the method.
    let resp = proxied(WHOAMI, "").send().await.unwrap();
    let (status, body) = json_body(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({ "did": account.did, "aud": host.did, "lxm": WHOAMI })
    );
    // The same routes, called directly without a good token: 401 and the XRPC error body.
    for (path, auth, error) in [
        (format!("/xrpc/{WHOAMI}"), None, "AuthenticationRequired"),
        (
            format!("/xrpc/{FEED_LXM}?feed={feed}"),
            None,
            "AuthenticationRequired",
        ),
        (
            format!("/xrpc/{WHOAMI}"),
            Some(format!("Bearer {access}")),
            "BadJwtType",
        ),
        (
            format!("/xrpc/{FEED_LXM}?feed={feed}"),
            Some("Basic YTpi".to_owned()),
            "BadJwt",
        ),
    ] {
        let mut req = http.get(format!("{}{path}", host.url));
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        let (status, body) = json_body(req.send().await.unwrap()).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(body["error"], error, "{path}: {body}");
        assert!(body["message"]
            .as_str()
            .is_some_and(|m| !m.contains(&access)));
    }
    // A token the PDS made for the feed method is refused by the other route.
    let token = request_service_token(&session, &host.did, Some(FEED_LXM), None)
        .await
        .unwrap();
    let resp = http
        .get(format!("{}/xrpc/{WHOAMI}", host.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, body) = json_body(resp).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "BadJwtLexiconMethod", "{body}");
}

#[tokio::test]
async fn a_service_calls_another_with_its_own_key() {
    // Two atlex servers on loopback, each with its did:web document: the caller signs a token
    // for each call with its key, the called one verifies it against the caller's document.
    let resolver = Resolver::new();
    let called = start_host(resolver.clone(), Keypair::generate_p256()).await;
    let caller = start_host(resolver.clone(), Keypair::generate_k256()).await;
    let feed: atlex::types::AtUri = format!("at://{}/app.bsky.feed.generator/words", called.did)
        .parse()
        .unwrap();
    let params = get_feed_skeleton::Params::new(feed);
    for aud in [called.did.clone(), format!("{}#bsky_fg", called.did)] {
        let client = ServiceAuthClient::new(
            Client::new(&called.url).unwrap(),
            caller.key.clone(),
            caller.did.clone(),
            aud,
        )
        .unwrap()
        .key_id("#atproto");
        let out = get_feed_skeleton::call(&client, &params).await.unwrap();
        assert_eq!(out.cursor.as_deref(), Some(caller.did.as_str()));
    }
    // Another audience: refused, with the XRPC error the server answered.
    let client = ServiceAuthClient::new(
        Client::new(&called.url).unwrap(),
        caller.key.clone(),
        caller.did.clone(),
        caller.did.clone(),
    )
    .unwrap();
    let err = get_feed_skeleton::call(&client, &params).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(
        matches!(&err, atlex::Error::Xrpc(e) if e.name == "BadJwtAudience"),
        "{err:?}"
    );
    assert!(matches!(
        ServiceAuthClient::new(
            Client::new(&called.url).unwrap(),
            caller.key.clone(),
            "me",
            "did:web:x"
        ),
        Err(MintError::BadIssuer { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Key rotation

#[tokio::test]
async fn a_key_rotated_on_the_plc_is_fetched_again() {
    let (Some(plc), Some(node)) = (atlex_tests::plc_url(), node()) else {
        return;
    };
    let old = Keypair::generate_k256();
    let new = Keypair::generate_p256();
    let mut plc_did = plc_create(&plc, &old).await;
    let aud = "did:web:feed.example.com";
    let verifier = ServiceAuthVerifier::new(resolver_for(&plc), aud);
    let before = mint_service_token(&old, &plc_did.did, aud, FEED_LXM).unwrap();
    verifier.verify(&before, Some(FEED_LXM)).await.unwrap();
    plc_rotate(&plc, &mut plc_did, &new).await;
    // The verifier's cached document has the old key: the new key's token fails with it, the
    // document is fetched again, and the token passes.
    let after = mint_service_token(&new, &plc_did.did, aud, FEED_LXM).unwrap();
    let claims = verifier.verify(&after, Some(FEED_LXM)).await.unwrap();
    assert_eq!(claims.iss, plc_did.did);
    // The old key is no longer the DID's.
    let stale = mint_service_token(&old, &plc_did.did, aud, FEED_LXM).unwrap();
    assert!(matches!(
        verifier.verify(&stale, Some(FEED_LXM)).await,
        Err(ServiceAuthError::AlgorithmMismatch {
            key_curve: Curve::P256,
            ..
        })
    ));
    // The reference sees the same document.
    let lines = reference(
        &node,
        json!({ "plcUrl": plc, "verify": [
            { "token": after, "aud": aud, "lxm": FEED_LXM },
            { "token": stale, "aud": aud, "lxm": FEED_LXM },
        ] }),
    )
    .await;
    assert_eq!(lines[0]["payload"]["iss"], plc_did.did.as_str());
    assert_eq!(lines[1]["error"], "BadJwtSignature");
}

#[tokio::test]
async fn a_key_in_no_document_costs_one_fetch_per_token() {
    let a = Keypair::generate_k256();
    let b = Keypair::generate_k256();
    let c = Keypair::generate_k256();
    let docs = Docs::with_keys(&[("atproto", &a)]);
    let aud = "did:web:service.example.com";
    let verifier = ServiceAuthVerifier::new(docs.resolver(), aud);
    let token = |key: &Keypair| mint_service_token(key, Docs::DID, aud, FEED_LXM).unwrap();
    verifier.verify(&token(&a), Some(FEED_LXM)).await.unwrap();
    verifier.verify(&token(&a), Some(FEED_LXM)).await.unwrap();
    assert_eq!(docs.fetches(), 1, "the document is cached");
    docs.set_keys(&[("atproto", &b)]);
    verifier.verify(&token(&b), Some(FEED_LXM)).await.unwrap();
    assert_eq!(
        docs.fetches(),
        2,
        "a failed signature fetches the document again"
    );
    for n in 1..=3 {
        assert!(matches!(
            verifier.verify(&token(&c), Some(FEED_LXM)).await,
            Err(ServiceAuthError::BadSignature {
                error: SignatureError::Mismatch,
                ..
            })
        ));
        assert_eq!(
            docs.fetches(),
            2 + n,
            "one fetch again per token, not a loop"
        );
    }
    verifier.verify(&token(&b), Some(FEED_LXM)).await.unwrap();
    assert_eq!(docs.fetches(), 5);
    // A key that is not there: refused after one fetch again.
    docs.set_keys(&[("other", &b)]);
    let fresh = ServiceAuthVerifier::new(docs.resolver(), aud);
    assert_eq!(
        fresh.verify(&token(&b), Some(FEED_LXM)).await,
        Err(ServiceAuthError::NoKey {
            did: Docs::DID.into(),
            key_id: "atproto".into(),
            reason: None
        })
    );
    assert_eq!(docs.fetches(), 7);
}

// ---------------------------------------------------------------------------------------
// Refusals, each a typed error

#[tokio::test]
async fn refusals_are_typed_errors() {
    let key = Keypair::generate_k256();
    let label = Keypair::generate_p256();
    let docs = Docs::with_keys(&[("atproto", &key), ("atproto_label", &label)]);
    let aud = "did:web:service.example.com";
    let did = Docs::DID;
    let verifier = ServiceAuthVerifier::new(docs.resolver(), aud);
    let check = |token: String, lxm: Option<&'static str>| {
        let verifier = verifier.clone();
        async move { verifier.verify(&token, lxm).await }
    };
    let good = mint_service_token(&key, did, aud, FEED_LXM).unwrap();
    check(good.clone(), Some(FEED_LXM)).await.unwrap();
    let now = now();
    let mut seen = Vec::new();
    let mut expect = |what: &str,
                      got: Result<ServiceClaims, ServiceAuthError>,
                      name: &str,
                      ok: fn(&ServiceAuthError) -> bool| {
        let e = got.expect_err(what);
        assert!(ok(&e), "{what}: {e:?}");
        assert_eq!(e.name(), name, "{what}");
        assert_eq!(e.status(), 401);
        let message = e.to_string();
        assert!(
            message.contains(':') && message.len() > 30,
            "{what}: {message}"
        );
        assert!(
            !message.contains(&good[..40]),
            "{what}: the message holds the token"
        );
        seen.push(
            format!("{e:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap()
                .to_owned(),
        );
    };

    // The token's form.
    for bad in [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!.e30.",
        "e30.e30.",
        "W10.e30.",
        "e30.W10.e30",
    ] {
        expect(bad, check(bad.into(), None).await, "BadJwt", |e| {
            matches!(e, ServiceAuthError::Malformed { .. })
        });
    }
    let p = payload(did, aud, FEED_LXM);
    let h = header("ES256K");
    for (field, value) in [
        ("iss", json!(1)),
        ("aud", json!(["a"])),
        ("exp", json!("soon")),
        ("lxm", json!(null)),
        ("jti", json!(2)),
    ] {
        let mut bad = p.clone();
        bad[field] = value;
        expect(
            field,
            check(hand_token(&h, &bad, &key), None).await,
            "BadJwt",
            |e| matches!(e, ServiceAuthError::Malformed { .. }),
        );
    }
    for field in ["iss", "aud", "exp"] {
        let mut bad = p.clone();
        bad.as_object_mut().unwrap().remove(field);
        expect(
            field,
            check(hand_token(&h, &bad, &key), None).await,
            "BadJwt",
            |e| matches!(e, ServiceAuthError::Malformed { .. }),
        );
    }
    let crit = json!({ "typ": "JWT", "alg": "ES256K", "crit": ["exp"] });
    expect(
        "crit",
        check(hand_token(&crit, &p, &key), None).await,
        "BadJwt",
        |e| matches!(e, ServiceAuthError::Malformed { .. }),
    );
    let huge = format!("{}.{}.", "e".repeat(20_000), "e");
    expect("huge", check(huge, None).await, "BadJwt", |e| {
        matches!(e, ServiceAuthError::Malformed { .. })
    });

    // Types and algorithms.
    for typ in ["at+jwt", "refresh+jwt", "dpop+jwt", "application/AT+JWT"] {
        let h = json!({ "typ": typ, "alg": "ES256K" });
        expect(
            typ,
            check(hand_token(&h, &p, &key), None).await,
            "BadJwtType",
            |e| matches!(e, ServiceAuthError::WrongType { .. }),
        );
    }
    for alg in ["none", "HS256", "RS256", "ES384", "EdDSA", "es256k"] {
        let token = hand_token(&header(alg), &p, &key);
        expect(alg, check(token, None).await, "BadJwtSignature", |e| {
            matches!(e, ServiceAuthError::UnsupportedAlgorithm { .. })
        });
    }
    let before = docs.fetches();
    expect(
        "ES256 on a K-256 key",
        check(hand_token(&header("ES256"), &p, &key), None).await,
        "BadJwtSignature",
        |e| {
            matches!(
                e,
                ServiceAuthError::AlgorithmMismatch {
                    key_curve: Curve::K256,
                    ..
                }
            )
        },
    );
    assert_eq!(
        docs.fetches(),
        before + 1,
        "the other curve fetches the document again once"
    );

    // Time, with the leeway of 5 seconds.
    let timed = |iat: i64, exp: i64| {
        ServiceTokenBuilder::new(did, aud)
            .lxm(FEED_LXM)
            .issued_at(iat)
            .expires_at(exp)
            .sign(&key)
            .unwrap()
    };
    expect(
        "expired",
        check(timed(now - 120, now - 60), None).await,
        "JwtExpired",
        |e| matches!(e, ServiceAuthError::Expired { .. }),
    );
    expect(
        "issued ahead",
        check(timed(now + 600, now + 660), None).await,
        "BadJwt",
        |e| matches!(e, ServiceAuthError::IssuedInFuture { .. }),
    );
    check(timed(now - 120, now - 2), None)
        .await
        .expect("expired within the leeway");
    check(timed(now + 2, now + 60), None)
        .await
        .expect("issued within the leeway");
    let exact = ServiceAuthVerifier::builder(docs.resolver(), aud)
        .leeway(Duration::ZERO)
        .build();
    assert!(matches!(
        exact.verify(&timed(now - 120, now - 2), None).await,
        Err(ServiceAuthError::Expired { .. })
    ));
    assert!(matches!(
        exact.verify(&timed(now + 2, now + 60), None).await,
        Err(ServiceAuthError::IssuedInFuture { .. })
    ));

    // Audience, method, issuer, key.
    let other = mint_service_token(&key, did, "did:web:other.example.com", FEED_LXM).unwrap();
    expect(
        "audience",
        check(other, None).await,
        "BadJwtAudience",
        |e| matches!(e, ServiceAuthError::WrongAudience { .. }),
    );
    let fragment = mint_service_token(&key, did, &format!("{aud}#bsky_fg"), FEED_LXM).unwrap();
    expect(
        "audience with a fragment",
        check(fragment, None).await,
        "BadJwtAudience",
        |e| matches!(e, ServiceAuthError::WrongAudience { .. }),
    );
    expect(
        "method",
        check(good.clone(), Some(WHOAMI)).await,
        "BadJwtLexiconMethod",
        |e| matches!(e, ServiceAuthError::WrongLxm { .. }),
    );
    let any = ServiceTokenBuilder::new(did, aud)
        .without_lxm()
        .sign(&key)
        .unwrap();
    expect(
        "no method",
        check(any, Some(FEED_LXM)).await,
        "BadJwtLexiconMethod",
        |e| matches!(e, ServiceAuthError::MissingLxm { .. }),
    );
    for iss in [
        "alice.example.com",
        "did:web:x#",
        "did:web:x#a#b",
        "did:plc:",
        "did:web:service.example.com #atproto",
    ] {
        let mut bad = p.clone();
        bad["iss"] = iss.into();
        expect(
            iss,
            check(hand_token(&h, &bad, &key), None).await,
            "BadJwtIss",
            |e| matches!(e, ServiceAuthError::BadIssuer { .. }),
        );
    }
    let kid = |kid: &str, key: &Keypair| json!({ "typ": "JWT", "alg": key.curve().jwt_alg(), "kid": kid });
    expect(
        "kid #atproto_label",
        check(hand_token(&kid("#atproto_label", &label), &p, &label), None).await,
        "BadJwt",
        |e| matches!(e, ServiceAuthError::KeyIdNotAccepted { .. }),
    );
    expect(
        "kid without #",
        check(hand_token(&kid("atproto", &key), &p, &key), None).await,
        "BadJwt",
        |e| matches!(e, ServiceAuthError::Malformed { .. }),
    );
    // A labeler's older token (iss#atproto_labeler): its key is #atproto_label, taken only when
    // the verifier takes that key.
    let mut labeler = p.clone();
    labeler["iss"] = format!("{did}#atproto_labeler").into();
    let labeler = hand_token(&header("ES256"), &labeler, &label);
    expect(
        "labeler",
        check(labeler.clone(), None).await,
        "BadJwt",
        |e| matches!(e, ServiceAuthError::KeyIdNotAccepted { .. }),
    );
    let labels = ServiceAuthVerifier::builder(docs.resolver(), aud)
        .key_ids(["atproto", "#atproto_label"])
        .build();
    let claims = labels.verify(&labeler, None).await.unwrap();
    assert_eq!(
        (
            claims.iss.as_str(),
            claims.iss_service.as_deref(),
            claims.key_id.as_str()
        ),
        (did, Some("atproto_labeler"), "atproto_label")
    );
    let claims = labels
        .verify(
            &hand_token(&kid(&format!("{did}#atproto_label"), &label), &p, &label),
            None,
        )
        .await
        .unwrap();
    assert_eq!(claims.key_id, "atproto_label");

    // The signature.
    let sig = signature(&good);
    for bit in 0..512 {
        let mut bad = sig.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        expect(
            "bit",
            check(with_signature(&good, &bad), Some(FEED_LXM)).await,
            "BadJwtSignature",
            |e| matches!(e, ServiceAuthError::BadSignature { .. }),
        );
    }
    let stranger = Keypair::generate_k256();
    expect(
        "another key",
        check(
            mint_service_token(&stranger, did, aud, FEED_LXM).unwrap(),
            None,
        )
        .await,
        "BadJwtSignature",
        |e| {
            matches!(
                e,
                ServiceAuthError::BadSignature {
                    error: SignatureError::Mismatch,
                    ..
                }
            )
        },
    );
    expect(
        "no signature",
        check(with_signature(&good, &[]), None).await,
        "BadJwtSignature",
        |e| matches!(e, ServiceAuthError::BadSignature { .. }),
    );
    // A change of the payload that keeps the signature.
    let (_, rest) = good.split_once('.').unwrap();
    let forged = format!(
        "{}.{rest}",
        B64.encode(json!({ "typ": "JWT", "alg": "ES256K", "x": 1 }).to_string())
    );
    expect(
        "another header",
        check(forged, None).await,
        "BadJwtSignature",
        |e| matches!(e, ServiceAuthError::BadSignature { .. }),
    );

    // Resolution.
    let nowhere = ServiceAuthVerifier::new(
        Resolver::builder().timeout(Duration::from_secs(2)).build(),
        aud,
    );
    let unreachable = mint_service_token(&key, "did:web:localhost%3A9", aud, FEED_LXM).unwrap();
    let e = nowhere.verify(&unreachable, None).await.unwrap_err();
    assert!(
        matches!(&e, ServiceAuthError::Resolve { .. }) && e.is_transient(),
        "{e:?}"
    );
    expect("unreachable", Err(e), "AuthenticationRequired", |e| {
        matches!(e, ServiceAuthError::Resolve { .. })
    });
    let plc = mint_service_token(&key, "did:example:abc", aud, FEED_LXM).unwrap();
    expect(
        "unsupported method",
        check(plc, None).await,
        "AuthenticationRequired",
        |e| matches!(e, ServiceAuthError::Resolve { .. }),
    );

    // Headers.
    let auth = |value: Option<&str>| {
        let mut headers = http::HeaderMap::new();
        if let Some(v) = value {
            headers.insert(http::header::AUTHORIZATION, v.parse().unwrap());
        }
        headers
    };
    expect(
        "no header",
        verifier.authenticate(&auth(None), FEED_LXM).await,
        "AuthenticationRequired",
        |e| *e == ServiceAuthError::MissingToken,
    );
    expect(
        "basic",
        verifier
            .authenticate(&auth(Some("Basic YTpi")), FEED_LXM)
            .await,
        "BadJwt",
        |e| matches!(e, ServiceAuthError::BadAuthorizationHeader { .. }),
    );
    let bearer = format!("Bearer {good}");
    verifier
        .authenticate(&auth(Some(&bearer)), FEED_LXM)
        .await
        .unwrap();
    expect(
        "bearer, another method",
        verifier.authenticate(&auth(Some(&bearer)), WHOAMI).await,
        "BadJwtLexiconMethod",
        |e| matches!(e, ServiceAuthError::WrongLxm { .. }),
    );

    seen.sort();
    seen.dedup();
    println!("refusals seen: {seen:?}");
    let mut all = [
        "Malformed",
        "WrongType",
        "UnsupportedAlgorithm",
        "AlgorithmMismatch",
        "Expired",
        "IssuedInFuture",
        "WrongAudience",
        "WrongLxm",
        "MissingLxm",
        "BadIssuer",
        "KeyIdNotAccepted",
        "BadSignature",
        "Resolve",
        "MissingToken",
        "BadAuthorizationHeader",
    ];
    all.sort();
    assert_eq!(seen, all);
}

#[tokio::test]
async fn malleable_signatures_are_accepted_unless_strict() {
    for key in [Keypair::generate_k256(), Keypair::generate_p256()] {
        let docs = Docs::with_keys(&[("atproto", &key)]);
        let aud = "did:web:service.example.com";
        let lenient = ServiceAuthVerifier::new(docs.resolver(), aud);
        let strict = ServiceAuthVerifier::builder(docs.resolver(), aud)
            .strict_signatures(true)
            .build();
        for _ in 0..8 {
            let token = mint_service_token(&key, Docs::DID, aud, FEED_LXM).unwrap();
            let sig = signature(&token);
            let twin = with_signature(&token, &high_s(key.curve(), &sig));
            let der = with_signature(&token, &der(&sig));
            for (what, token) in [("compact", &token), ("high-S", &twin), ("DER", &der)] {
                let claims = lenient.verify(token, Some(FEED_LXM)).await;
                assert!(claims.is_ok(), "{what}: {claims:?}");
            }
            strict.verify(&token, Some(FEED_LXM)).await.unwrap();
            assert!(matches!(
                strict.verify(&twin, Some(FEED_LXM)).await,
                Err(ServiceAuthError::BadSignature {
                    error: SignatureError::HighS,
                    ..
                })
            ));
            assert!(matches!(
                strict.verify(&der, Some(FEED_LXM)).await,
                Err(ServiceAuthError::BadSignature {
                    error: SignatureError::NotCompact { .. },
                    ..
                })
            ));
        }
    }
}

#[tokio::test]
async fn replays_are_refused_once_turned_on() {
    let key = Keypair::generate_p256();
    let docs = Docs::with_keys(&[("atproto", &key)]);
    let aud = "did:web:service.example.com";
    let open = ServiceAuthVerifier::new(docs.resolver(), aud);
    let once = ServiceAuthVerifier::builder(docs.resolver(), aud)
        .reject_replays(1000)
        .build();
    let token = mint_service_token(&key, Docs::DID, aud, FEED_LXM).unwrap();
    open.verify(&token, Some(FEED_LXM)).await.unwrap();
    open.verify(&token, Some(FEED_LXM)).await.unwrap();
    let claims = once.verify(&token, Some(FEED_LXM)).await.unwrap();
    assert_eq!(
        once.verify(&token, Some(FEED_LXM)).await,
        Err(ServiceAuthError::Replayed {
            iss: Docs::DID.into(),
            jti: claims.jti.clone().unwrap()
        })
    );
    // The signature's high-S twin is the same token.
    let twin = with_signature(&token, &high_s(Curve::P256, &signature(&token)));
    assert!(matches!(
        once.verify(&twin, Some(FEED_LXM)).await,
        Err(ServiceAuthError::Replayed { .. })
    ));
    // No jti: nothing to tell it by.
    let mut p = payload(Docs::DID, aud, FEED_LXM);
    p.as_object_mut().unwrap().remove("jti");
    let bare = hand_token(&header("ES256"), &p, &key);
    open.verify(&bare, Some(FEED_LXM)).await.unwrap();
    assert_eq!(
        once.verify(&bare, Some(FEED_LXM)).await,
        Err(ServiceAuthError::MissingJti)
    );
    // 32 concurrent uses of one new token: one passes.
    let token = mint_service_token(&key, Docs::DID, aud, FEED_LXM).unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (once, token) = (once.clone(), token.clone());
            tokio::spawn(async move { once.verify(&token, Some(FEED_LXM)).await })
        })
        .collect();
    let mut passed = 0;
    let mut replayed = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => passed += 1,
            Err(ServiceAuthError::Replayed { .. }) => replayed += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!((passed, replayed), (1, 31));
}

// ---------------------------------------------------------------------------------------
// Minting

#[test]
fn minted_tokens_have_the_reference_shape() {
    let mut jtis = std::collections::HashSet::new();
    for key in [Keypair::generate_k256(), Keypair::generate_p256()] {
        for _ in 0..500 {
            let token =
                ServiceTokenBuilder::new("did:web:a.example.com", "did:web:b.example.com#bsky_fg")
                    .lxm(FEED_LXM)
                    .sign(&key)
                    .unwrap();
            let parts: Vec<&str> = token.split('.').collect();
            let part = |i: usize| -> Value {
                serde_json::from_slice(&B64.decode(parts[i]).unwrap()).unwrap()
            };
            assert_eq!(
                part(0),
                json!({ "typ": "JWT", "alg": key.curve().jwt_alg() })
            );
            let p = part(1);
            let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 6, "{p}");
            assert_eq!(p["exp"].as_i64().unwrap() - p["iat"].as_i64().unwrap(), 60);
            let jti = p["jti"].as_str().unwrap();
            assert!(jti.len() == 32 && jti.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(jtis.insert(jti.to_owned()), "jti repeated");
            let sig = B64.decode(parts[2]).unwrap();
            assert_eq!(sig.len(), 64);
            assert!(sig[32..] < high_s(key.curve(), &sig)[32..], "low-S");
            key.public_key()
                .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
                .unwrap();
        }
    }
    let key = Keypair::generate_k256();
    let with_kid = ServiceTokenBuilder::new("did:web:a.example.com", "did:web:b.example.com")
        .lxm(FEED_LXM)
        .key_id("#atproto")
        .sign(&key)
        .unwrap();
    let h: Value =
        serde_json::from_slice(&B64.decode(with_kid.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(h["kid"], "#atproto");

    let b = |iss: &str, aud: &str| ServiceTokenBuilder::new(iss, aud).lxm(FEED_LXM);
    let err = |builder: ServiceTokenBuilder| builder.sign(&key).unwrap_err();
    assert!(matches!(
        err(b("alice", "did:web:b.example.com")),
        MintError::BadIssuer { .. }
    ));
    assert!(matches!(
        err(b("did:web:a.example.com", "did:web:b#")),
        MintError::BadAudience { .. }
    ));
    assert!(matches!(
        err(b("did:web:a.example.com", "b.example.com")),
        MintError::BadAudience { .. }
    ));
    assert!(matches!(
        err(b("did:web:a.example.com", "did:web:b.example.com").lxm("getFeed")),
        MintError::BadLxm { .. }
    ));
    assert_eq!(
        err(ServiceTokenBuilder::new(
            "did:web:a.example.com",
            "did:web:b.example.com"
        )),
        MintError::MissingLxm
    );
    assert!(matches!(
        err(b("did:web:a.example.com", "did:web:b.example.com").key_id("atproto")),
        MintError::BadKeyId { .. }
    ));
    assert_eq!(
        err(b("did:web:a.example.com", "did:web:b.example.com")
            .issued_at(100)
            .expires_at(100)),
        MintError::BadLifetime { iat: 100, exp: 100 }
    );
    for e in [MintError::MissingLxm, err(b("x", "y"))] {
        assert!(e.to_string().contains(':'), "{e}");
    }
}

// ---------------------------------------------------------------------------------------
// Mutation

/// One edit of a token's text: each takes the text and a position in it.
type Edit = fn(&mut Rng, &mut Vec<u8>, usize);

/// The edits of [`mutate_text`]: a cut, an inserted piece (separators, padding, other JSON),
/// a character of the base64url alphabet, a flipped bit, two parts exchanged.
const EDITS: [Edit; 5] = [
    |rng, s, at| {
        let end = (at + 1 + rng.below(8)).min(s.len());
        s.drain(at..end);
    },
    |rng, s, at| {
        let piece = *rng.pick(&[
            ".", "..", "=", "-", "_", "+", "/", "e30", "eyJ", "W10", " ", "\u{0}", "é",
        ]);
        s.splice(at..at, piece.bytes());
    },
    |rng, s, at| {
        s[at] = *rng.pick(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    },
    |rng, s, at| s[at] ^= 1 << rng.below(8),
    |rng, s, _| {
        let mut parts: Vec<Vec<u8>> = s.split(|b| *b == b'.').map(<[u8]>::to_vec).collect();
        let (i, j) = (rng.below(parts.len()), rng.below(parts.len()));
        parts.swap(i, j);
        *s = parts.join(&b'.');
    },
];

/// `token` changed at the level of its text, by one to three edits.
fn mutate_text(rng: &mut Rng, token: &str) -> String {
    let mut text = token.as_bytes().to_vec();
    for _ in 0..1 + rng.below(3) {
        if text.is_empty() {
            text.push(b'.');
        }
        let at = rng.below(text.len());
        rng.pick(&EDITS)(rng, &mut text, at);
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// A token whose header or payload JSON is changed, then signed again with `key`.
fn mutate_json(rng: &mut Rng, header: &Value, payload: &Value, key: &Keypair) -> String {
    let values = [
        json!(null),
        json!(0),
        json!(-1),
        json!(1e300),
        json!(""),
        json!("did:web:feed.example.com"),
        json!("did:web:service.example.com"),
        json!("#atproto"),
        json!("at+jwt"),
        json!("ES256"),
        json!("ES256K"),
        json!(FEED_LXM),
        json!([]),
        json!({}),
        json!(now() - 3600),
        json!(now() + 3600),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(0.5),
        json!("did:web:feed.example.com#atproto_labeler"),
    ];
    const FIELDS: &[&str] = &[
        "typ", "alg", "kid", "crit", "iss", "aud", "exp", "iat", "lxm", "jti", "nbf",
    ];
    let (mut header, mut payload) = (header.clone(), payload.clone());
    for _ in 0..1 + rng.below(2) {
        let target = if rng.percent(30) {
            &mut header
        } else {
            &mut payload
        };
        let field = *rng.pick(FIELDS);
        if rng.percent(25) {
            target.as_object_mut().unwrap().remove(field);
        } else {
            target[field] = rng.pick(&values).clone();
        }
    }
    if rng.percent(5) {
        payload = rng.pick(&values).clone();
    }
    hand_token(&header, &payload, key)
}

#[tokio::test]
async fn mutated_tokens_never_panic() {
    let aud = "did:web:service.example.com";
    let keys = [Keypair::generate_k256(), Keypair::generate_p256()];
    let label = Keypair::generate_k256();
    let mut verifiers = Vec::new();
    let mut seeds = Vec::new();
    for key in &keys {
        let docs = Docs::with_keys(&[("atproto", key), ("atproto_label", &label)]);
        verifiers.push(
            ServiceAuthVerifier::builder(docs.resolver(), aud)
                .key_ids(["atproto", "atproto_label"])
                .build(),
        );
        let token = ServiceTokenBuilder::new(Docs::DID, aud)
            .lxm(FEED_LXM)
            .expires_in(Duration::from_secs(3600))
            .sign(key)
            .unwrap();
        let claims = verifiers
            .last()
            .unwrap()
            .verify(&token, Some(FEED_LXM))
            .await
            .unwrap();
        seeds.push((token, claims));
    }
    let mut rng = Rng(0x5e_71ce);
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    const TOKENS: usize = 100_000;
    for i in 0..TOKENS {
        let which = i % 2;
        let (seed, seed_claims) = &seeds[which];
        let resigned = i % 4 >= 2;
        let token = if resigned {
            let parts: Vec<&str> = seed.split('.').collect();
            let part = |i: usize| -> Value {
                serde_json::from_slice(&B64.decode(parts[i]).unwrap()).unwrap()
            };
            mutate_json(&mut rng, &part(0), &part(1), &keys[which])
        } else {
            mutate_text(&mut rng, seed)
        };
        let lxm = if rng.percent(90) {
            Some(FEED_LXM)
        } else {
            None
        };
        let result = AssertUnwindSafe(verifiers[which].verify(&token, lxm))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| panic!("verifying panicked on {token:?}"));
        let kind = match &result {
            Ok(claims) => {
                if resigned {
                    // Signed again: what passed must still be what the checks allow.
                    assert_eq!(claims.aud, aud, "{token}");
                    assert_eq!(claims.iss, Docs::DID, "{token}");
                    assert!(claims.exp >= now() - 5, "{token}");
                    assert!(claims.iat.is_none_or(|iat| iat <= now() + 5), "{token}");
                    if let Some(lxm) = lxm {
                        assert_eq!(claims.lxm.as_deref(), Some(lxm), "{token}");
                    }
                } else {
                    // Not signed again: only the same claims can pass.
                    assert_eq!(claims, seed_claims, "{token}");
                }
                "ok".to_owned()
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                format!("{e:?}")
                    .split([' ', '{', '('])
                    .next()
                    .unwrap()
                    .to_owned()
            }
        };
        *outcomes.entry(kind).or_default() += 1;
    }
    println!("{TOKENS} mutated tokens verified without a panic: {outcomes:?}");
    assert_eq!(outcomes.values().sum::<usize>(), TOKENS);
    for kind in [
        "ok",
        "Malformed",
        "BadSignature",
        "Expired",
        "WrongAudience",
        "BadIssuer",
        "UnsupportedAlgorithm",
        "WrongType",
        "IssuedInFuture",
    ] {
        assert!(
            outcomes.get(kind).copied().unwrap_or(0) >= 20,
            "{kind}: {outcomes:?}"
        );
    }
}
