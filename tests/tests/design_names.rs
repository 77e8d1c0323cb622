//! The public names of DESIGN.md sections 8 (DAG-CBOR, CIDs, event streams) and 9 (keys,
//! identity, service auth), written as a user outside this repository writes them: the test
//! compiles only while each name, argument and field is where the design says, and runs what
//! needs no network.

use atlex::auth::{verify_service_token, ServiceClaims};
use atlex::crypto::{Keypair, PublicKey};
use atlex::identity::{Identity, Resolver};
use atlex::types::{CidLink, Unknown};

mod lexicons {
    atlex::lexicon!({ "lexicon": 1, "id": "com.example.design.ticks", "defs": {
        "main": { "type": "subscription",
            "parameters": { "type": "params", "properties": { "cursor": { "type": "integer" } } },
            "message": { "schema": { "type": "union", "refs": ["#tick"] } },
            "errors": [{ "name": "FutureCursor" }] },
        "tick": { "type": "object", "required": ["seq"],
            "properties": { "seq": { "type": "integer" } } } } });
}
use lexicons::com::example::design::ticks;

#[test]
fn section_8_dag_cbor_and_cids() {
    let value: Unknown = serde_json::from_str(r#"{"text": "hello", "n": 1}"#).unwrap();
    let bytes: Vec<u8> = atlex::cbor::to_vec(&value).unwrap();
    let back: Unknown = atlex::cbor::from_slice::<Unknown>(&bytes).unwrap();
    assert_eq!(back, value);
    let cid: CidLink = atlex::cbor::cid(&value).unwrap();
    // CIDv1, dag-cbor, sha-256, in base32: the `bafyrei` prefix.
    assert!(cid.to_string().starts_with("bafyrei"), "{cid}");
}

/// Never called: it only has to compile, as a subscriber's code does.
#[allow(dead_code)]
async fn section_8_subscribe(client: &atlex::Client) {
    use futures_util::StreamExt;
    let mut events = ticks::subscribe(client, &ticks::Params::default());
    let item: Option<Result<ticks::Message, atlex::Error<ticks::Error>>> = events.next().await;
    if let Some(Ok(ticks::Message::Tick(tick))) = item {
        let _: i64 = tick.seq;
    }
}

#[test]
fn section_9_keys() {
    for keypair in [Keypair::generate_k256(), Keypair::generate_p256()] {
        let key: PublicKey = keypair.public_key();
        let sig = keypair.sign(b"data");
        assert!(key.verify(b"data", &sig).is_ok());
        assert!(key.verify(b"other data", &sig).is_err());
        let did_key: String = key.to_did_key();
        assert_eq!(PublicKey::from_did_key(&did_key).unwrap(), key);
        let multikey = did_key.strip_prefix("did:key:").unwrap();
        assert_eq!(PublicKey::from_multikey(multikey).unwrap(), key);
    }
}

#[test]
fn section_9_resolver_builder() {
    let _public: Resolver = Resolver::new();
    let _private: Resolver = Resolver::builder()
        .plc_url("http://127.0.0.1:2582")
        .handle_service("http://127.0.0.1:2583")
        .build();
}

/// Never called: resolution and verification as a user's code calls them.
#[allow(dead_code)]
async fn section_9_resolve_and_verify(resolver: &Resolver, token: &str) {
    let identity: Identity = resolver.resolve("alice.example.com").await.unwrap();
    let _: &atlex::types::Did = &identity.did;
    let _: Option<&atlex::types::Handle> = identity.handle.as_ref();
    let _: Option<&String> = identity.pds.as_ref();
    let _: Option<&PublicKey> = identity.signing_key.as_ref();
    let claims: ServiceClaims = verify_service_token(
        resolver,
        token,
        "did:web:feed.example.com",
        Some("app.bsky.feed.getFeedSkeleton"),
    )
    .await
    .unwrap();
    let _: (&atlex::types::Did, &String, Option<&String>, i64) =
        (&claims.iss, &claims.aud, claims.lxm.as_ref(), claims.exp);
}
