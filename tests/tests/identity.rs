//! Identity resolution, both ways against the reference: accounts of the reference PDS and its
//! PLC directory, did:web documents served by an atlex server, handles in DNS served on
//! loopback, each resolved by atlex and by @atproto/identity (`pds/identity.mjs`) and
//! compared; the cache's one request per name; every refusal a typed error; 100,000 mutated
//! documents and answers without a panic; a session that logs in through the resolver.

use atlex::crypto::Keypair;
use atlex::identity::{DidDocument, DnsTxtResolver, Identity, ResolveError, Resolver};
use atlex::xrpc::{ReqwestTransport, Session, Transport, TransportError};
use atlex_tests::Rng;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::FutureExt;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod lex {
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.server.getSession",
        "defs": { "main": { "type": "query",
            "output": { "encoding": "application/json", "schema": {
                "type": "object", "required": ["did", "handle"],
                "properties": {
                    "did": { "type": "string", "format": "did" },
                    "handle": { "type": "string", "format": "handle" }
                } } } } }
    });
}
use lex::com::atproto::server::get_session;

// ---------------------------------------------------------------------------------------
// Where the reference is

/// Node 22 with @atproto/identity installed in pds/, or `None` after a skip.
fn node() -> Option<PathBuf> {
    atlex_tests::node(&["@atproto/identity", "@atproto/common-web"])
}

/// What @atproto/identity resolves for each of `config.names`, by name (`pds/identity.mjs`).
async fn reference(node: &std::path::Path, config: Value) -> HashMap<String, Value> {
    let node = node.to_path_buf();
    let args = [config.to_string()];
    // On a thread of its own: the servers the script asks run on this test's runtime.
    let out = tokio::task::spawn_blocking(move || {
        atlex_tests::run_node(&node, "pds/identity.mjs", &args, &[])
    })
    .await
    .expect("the thread that runs node");
    let lines: HashMap<String, Value> = atlex_tests::json_lines(&out)
        .into_iter()
        .map(|v| (v["name"].as_str().expect("a name").to_owned(), v))
        .collect();
    assert_eq!(
        lines.len(),
        config["names"].as_array().map_or(0, Vec::len),
        "one line per name"
    );
    lines
}

/// Checks that atlex's answer for `name` is the reference's: the same DID, verified handle,
/// PDS and keys, or an error on both sides. Returns whether it resolved.
fn same_as_reference(name: &str, ours: &Result<Identity, ResolveError>, theirs: &Value) -> bool {
    match ours {
        Ok(id) => {
            assert!(
                theirs.get("error").is_none(),
                "{name}: atlex resolved {id:?}, the reference failed: {theirs}"
            );
            let key = |k: &Option<atlex::crypto::PublicKey>| {
                k.as_ref().map_or(Value::Null, |k| k.to_did_key().into())
            };
            let ours = json!({
                "name": name,
                "did": id.did.as_str(),
                "handle": id.handle.as_ref().map(|h| h.as_str()),
                "pds": id.pds,
                "signingKey": key(&id.signing_key),
                "labelKey": key(&id.labeler_key),
            });
            assert_eq!(
                &ours, theirs,
                "{name}: atlex (left) and the reference differ"
            );
            true
        }
        Err(e) => {
            assert!(
                theirs.get("error").is_some(),
                "{name}: atlex failed ({e}), the reference resolved {theirs}"
            );
            false
        }
    }
}

// ---------------------------------------------------------------------------------------
// A PLC directory, a handle service and a did:web host, on loopback, whose answers a test
// sets and which counts what it is asked

#[derive(Clone)]
struct Reply {
    status: u16,
    body: Vec<u8>,
    delay: Duration,
}

impl Reply {
    fn json(value: Value) -> Reply {
        Reply::raw(200, value.to_string().into_bytes())
    }
    fn raw(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            body,
            delay: Duration::ZERO,
        }
    }
    fn after(self, delay: Duration) -> Reply {
        Reply { delay, ..self }
    }
}

#[derive(Clone, Default)]
struct Fake {
    state: Arc<Mutex<FakeState>>,
}

#[derive(Default)]
struct FakeState {
    /// Documents by DID (the PLC route), and the did:web document under "web".
    docs: HashMap<String, Reply>,
    /// `resolveHandle` answers by handle.
    handles: HashMap<String, Reply>,
    /// Requests by what was asked: "plc <did>", "handle <handle>", "web".
    hits: HashMap<String, usize>,
}

impl Fake {
    fn doc(&self, key: &str, reply: Reply) {
        self.state
            .lock()
            .unwrap()
            .docs
            .insert(key.to_owned(), reply);
    }
    fn handle(&self, handle: &str, reply: Reply) {
        let mut state = self.state.lock().unwrap();
        state.handles.insert(handle.to_owned(), reply);
    }
    fn hits(&self, what: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .get(what)
            .copied()
            .unwrap_or(0)
    }

    async fn answer(&self, hit: String, reply: Option<Reply>) -> Response {
        *self.state.lock().unwrap().hits.entry(hit).or_default() += 1;
        let reply = reply.unwrap_or_else(|| {
            Reply::raw(
                400,
                br#"{"error":"HandleNotFound","message":"Unable to resolve handle"}"#.to_vec(),
            )
        });
        tokio::time::sleep(reply.delay).await;
        let status = axum::http::StatusCode::from_u16(reply.status).unwrap();
        (
            status,
            [("content-type", "application/json")],
            reply.body.clone(),
        )
            .into_response()
    }
}

async fn plc_route(State(fake): State<Fake>, Path(did): Path<String>) -> Response {
    let reply = fake.state.lock().unwrap().docs.get(&did).cloned();
    let reply = reply.or_else(|| Some(Reply::raw(404, b"DID not registered".to_vec())));
    fake.answer(format!("plc {did}"), reply).await
}

async fn web_route(State(fake): State<Fake>) -> Response {
    let reply = fake.state.lock().unwrap().docs.get("web").cloned();
    let reply = reply.or_else(|| Some(Reply::raw(404, b"not found".to_vec())));
    fake.answer("web".into(), reply).await
}

async fn handle_route(
    State(fake): State<Fake>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let handle = q.get("handle").cloned().unwrap_or_default();
    let reply = fake.state.lock().unwrap().handles.get(&handle).cloned();
    fake.answer(format!("handle {handle}"), reply).await
}

/// Serves `fake` on a loopback port: `http://127.0.0.1:<port>`, which is also the host of
/// `did:web:localhost%3A<port>`.
async fn serve(fake: &Fake) -> u16 {
    let app = axum::Router::new()
        .route(
            "/xrpc/com.atproto.identity.resolveHandle",
            axum::routing::get(handle_route),
        )
        .route("/.well-known/did.json", axum::routing::get(web_route))
        .route("/{did}", axum::routing::get(plc_route))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

/// An atproto DID document.
fn document(did: &str, handle: Option<&str>, pds: &str, keys: &[(&str, &Keypair)]) -> Value {
    let methods = atlex_tests::multikey_methods(did, keys);
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "alsoKnownAs": handle.map(|h| vec![format!("at://{h}")]).unwrap_or_default(),
        "verificationMethod": methods,
        "service": [{
            "id": "#atproto_pds",
            "type": "AtprotoPersonalDataServer",
            "serviceEndpoint": pds,
        }],
    })
}

// ---------------------------------------------------------------------------------------
// A DNS server on loopback that answers TXT queries from a table and counts them

#[derive(Clone, Default)]
struct Dns {
    /// TXT records by name (`_atproto.alice.test`); a name that is not here is NXDOMAIN.
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
    /// Names whose queries get no answer at all.
    silent: Arc<Mutex<Vec<String>>>,
    queries: Arc<Mutex<HashMap<String, usize>>>,
}

impl Dns {
    fn set(&self, name: &str, records: &[&str]) {
        self.records.lock().unwrap().insert(
            name.to_owned(),
            records.iter().map(|r| r.to_string()).collect(),
        );
    }
    fn queries(&self, name: &str) -> usize {
        self.queries.lock().unwrap().get(name).copied().unwrap_or(0)
    }

    async fn serve(&self) -> SocketAddr {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let dns = self.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                if let Some(answer) = dns.answer(&buf[..n]) {
                    let _ = socket.send_to(&answer, from).await;
                }
            }
        });
        addr
    }

    /// The response to one query (RFC 1035 4.1), or `None` to stay silent.
    fn answer(&self, query: &[u8]) -> Option<Vec<u8>> {
        if query.len() < 12 {
            return None;
        }
        let mut i = 12;
        let mut labels = Vec::new();
        loop {
            let len = *query.get(i)? as usize;
            i += 1;
            if len == 0 {
                break;
            }
            labels.push(String::from_utf8_lossy(query.get(i..i + len)?).to_ascii_lowercase());
            i += len;
        }
        let qtype = u16::from_be_bytes([*query.get(i)?, *query.get(i + 1)?]);
        let end = i + 4;
        query.get(..end)?;
        let name = labels.join(".");
        *self
            .queries
            .lock()
            .unwrap()
            .entry(name.clone())
            .or_default() += 1;
        if self.silent.lock().unwrap().contains(&name) {
            return None;
        }
        let records = self.records.lock().unwrap().get(&name).cloned();
        let (rcode, txts) = match records {
            Some(r) if qtype == 16 => (0, r),
            Some(_) => (0, Vec::new()),
            None => (3, Vec::new()),
        };
        let mut r = query[..2].to_vec();
        r.push(0x84 | (query[2] & 0x01)); // QR, AA, RD as asked
        r.push(0x80 | rcode); // RA
        r.extend_from_slice(&[0, 1]);
        r.extend_from_slice(&(txts.len() as u16).to_be_bytes());
        r.extend_from_slice(&[0, 0, 0, 0]);
        r.extend_from_slice(&query[12..end]);
        for txt in &txts {
            r.extend_from_slice(&[0xC0, 0x0C, 0, 16, 0, 1, 0, 0, 0, 60]);
            let mut data = Vec::new();
            for chunk in txt.as_bytes().chunks(255) {
                data.push(chunk.len() as u8);
                data.extend_from_slice(chunk);
            }
            r.extend_from_slice(&(data.len() as u16).to_be_bytes());
            r.extend_from_slice(&data);
        }
        Some(r)
    }
}

/// A transport that refuses every request at once (for handles only in DNS).
struct Refuse;

impl Transport for Refuse {
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        Err(TransportError::new(format!("refused: {}", request.uri())))
    }
}

/// DNS that has no records anywhere.
struct NoDns;

impl DnsTxtResolver for NoDns {
    async fn txt(&self, _name: &str) -> Result<Vec<String>, TransportError> {
        Ok(Vec::new())
    }
}

/// reqwest, with `https://<handle>/.well-known/atproto-did` sent to the reference PDS with
/// `Host: <handle>`, as @atproto/dev-env's mockResolvers does for `.test` handles.
struct WellKnownAtPds {
    pds: String,
    inner: ReqwestTransport,
}

impl Transport for WellKnownAtPds {
    async fn send(
        &self,
        mut request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let uri = request.uri().clone();
        if uri.scheme_str() == Some("https") && uri.path() == "/.well-known/atproto-did" {
            let host = uri.host().unwrap_or_default().to_owned();
            *request.uri_mut() = format!("{}/.well-known/atproto-did", self.pds)
                .parse()
                .unwrap();
            request
                .headers_mut()
                .insert(http::header::HOST, host.parse().unwrap());
        }
        self.inner.send(request).await
    }
}

// ---------------------------------------------------------------------------------------
// Both ways against the reference

#[tokio::test]
async fn pds_accounts_resolve_as_the_reference_resolves_them() {
    let (Some(pds), Some(plc)) = (atlex_tests::pds_url(), atlex_tests::plc_url()) else {
        return;
    };
    let Some(node) = node() else { return };
    let mut accounts = Vec::new();
    for prefix in ["ida", "idb", "idc"] {
        accounts.push(atlex_tests::create_account(&pds, prefix).await);
    }
    let mut names: Vec<String> = Vec::new();
    for a in &accounts {
        names.push(a.handle.clone());
        names.push(a.did.clone());
    }
    names.push(accounts[0].handle.to_uppercase());
    names.push(format!("nobody{}.test", atlex_tests::unique_letters(8)));
    names.push("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa".to_owned());
    let theirs = reference(
        &node,
        json!({ "plcUrl": plc, "pdsUrl": pds, "names": names }),
    )
    .await;

    // Handles through the PDS's resolveHandle, and through the HTTPS well-known route.
    let through_service = Resolver::builder()
        .plc_url(&plc)
        .handle_service(&pds)
        .build();
    let through_well_known = Resolver::builder()
        .plc_url(&plc)
        .dns(NoDns)
        .transport(WellKnownAtPds {
            pds: pds.clone(),
            inner: ReqwestTransport::new(),
        })
        .build();
    for resolver in [&through_service, &through_well_known] {
        let mut resolved = 0;
        for name in &names {
            let ours = resolver.resolve(name).await;
            if same_as_reference(name, &ours, &theirs[name]) {
                resolved += 1;
            }
        }
        assert_eq!(resolved, 7, "3 handles, 3 DIDs and one handle in capitals");
    }

    // What the accounts are, in detail: their PDS, a legacy secp256k1 key from the PLC.
    let alice = through_service.resolve(&accounts[0].did).await.unwrap();
    assert_eq!(
        alice.handle.as_ref().map(|h| h.as_str()),
        Some(accounts[0].handle.as_str())
    );
    assert!(alice
        .pds
        .as_deref()
        .unwrap()
        .starts_with("http://localhost:"));
    let method = alice.document.verification_method("atproto").unwrap();
    assert_eq!(method.kind(), "EcdsaSecp256k1VerificationKey2019");
    assert_eq!(
        alice.signing_key.as_ref().unwrap().curve(),
        atlex::crypto::Curve::K256
    );
    // One way only: the keys without the handle.
    let fresh = Resolver::builder()
        .plc_url(&plc)
        .handle_service(&pds)
        .build();
    let one_way = fresh.resolve_did(&accounts[0].did).await.unwrap();
    assert_eq!(one_way.handle, None, "not checked, so not given");
    assert_eq!(
        (&one_way.signing_key, &one_way.pds),
        (&alice.signing_key, &alice.pds)
    );
    // The misses, typed.
    let nobody = &names[names.len() - 2];
    assert!(matches!(
        through_service.resolve(nobody).await,
        Err(ResolveError::HandleNotFound { .. })
    ));
    assert!(matches!(
        through_well_known.resolve(nobody).await,
        Err(ResolveError::HandleNotFound { .. })
    ));
    assert!(matches!(
        through_service
            .resolve("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
            .await,
        Err(ResolveError::DidNotFound { status: 404, .. })
    ));
    println!(
        "{} names resolved by atlex twice (resolveHandle, well-known) and by @atproto/identity: \
         the same 7 identities, the same 2 misses",
        names.len()
    );
}

#[tokio::test]
async fn did_web_and_dns_resolve_as_the_reference_resolves_them() {
    let Some(node) = node() else { return };
    let fake = Fake::default();
    let port = serve(&fake).await;
    let did = format!("did:web:localhost%3A{port}");
    let handle = format!("web{}.test", atlex_tests::unique_letters(10));
    let signing = Keypair::generate_k256();
    let labeler = Keypair::generate_p256();
    fake.doc(
        "web",
        Reply::json(document(
            &did,
            Some(&handle),
            "https://pds.example.com",
            &[("atproto", &signing), ("atproto_label", &labeler)],
        )),
    );
    let dns = Dns::default();
    dns.set(&format!("_atproto.{handle}"), &[&format!("did={did}")]);
    // A handle whose DNS record names the DID, but which the document does not claim.
    let stranger = format!("other{}.test", atlex_tests::unique_letters(10));
    dns.set(&format!("_atproto.{stranger}"), &[&format!("did={did}")]);
    let dns_addr = dns.serve().await;

    let resolver = Resolver::builder()
        .dns_servers([dns_addr])
        .transport(WellKnownAtPds {
            // No PDS here: the well-known route is asked of a closed port and fails.
            pds: "http://127.0.0.1:9".into(),
            inner: ReqwestTransport::new(),
        })
        .build();
    let names = [handle.clone(), did.clone(), stranger.clone()];
    let mut ours = Vec::new();
    for name in &names {
        ours.push(resolver.resolve(name).await);
    }
    let atlex_queries = dns.queries(&format!("_atproto.{handle}"));
    let atlex_fetches = fake.hits("web");
    let theirs = reference(
        &node,
        json!({ "dnsServers": [dns_addr.to_string()], "names": names }),
    )
    .await;
    let mut resolved = 0;
    for (name, ours) in names.iter().zip(&ours) {
        if same_as_reference(name, ours, &theirs[name]) {
            resolved += 1;
        }
    }
    assert_eq!(resolved, 2);
    assert!(matches!(
        &ours[2],
        Err(ResolveError::HandleMismatch { claimed: Some(c), .. }) if *c == handle
    ));
    // The expected keys are the ones the document was made with; the reference read them too.
    let id = ours[0].as_ref().unwrap();
    assert_eq!(
        id.signing_key.as_ref().map(|k| k.to_did_key()),
        Some(signing.public_key().to_did_key())
    );
    assert_eq!(
        id.labeler_key.as_ref().map(|k| k.to_did_key()),
        Some(labeler.public_key().to_did_key())
    );
    assert_eq!(id.pds.as_deref(), Some("https://pds.example.com"));
    // atlex asked DNS once for the handle (the DID's check back used the cache); the
    // reference asked too.
    assert_eq!(atlex_queries, 1);
    assert!(dns.queries(&format!("_atproto.{handle}")) > atlex_queries);
    assert_eq!(
        atlex_fetches, 1,
        "one document fetch for the handle and the DID"
    );
}

// ---------------------------------------------------------------------------------------
// DNS

#[tokio::test]
async fn dns_txt_records_as_the_reference_reads_them() {
    let dns = Dns::default();
    let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    dns.set("_atproto.one.test", &[&format!("did={did}")]);
    dns.set(
        "_atproto.noise.test",
        &["v=spf1 -all", &format!("did={did}"), "other"],
    );
    dns.set(
        "_atproto.two.test",
        &[
            &format!("did={did}"),
            "did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
        ],
    );
    dns.set("_atproto.none.test", &["v=spf1 -all"]);
    dns.set("_atproto.notdid.test", &["did=not a did"]);
    // A record longer than one 255-byte character string: its strings are joined.
    let long = format!("did:web:{}.example.com", "a".repeat(300));
    dns.set("_atproto.long.test", &[&format!("did={long}")]);
    dns.silent
        .lock()
        .unwrap()
        .push("_atproto.silent.test".into());
    let addr = dns.serve().await;
    let resolver = Resolver::builder()
        .dns_servers([addr])
        .transport(Refuse)
        .timeout(Duration::from_millis(500))
        .build();

    assert_eq!(resolver.resolve_handle("one.test").await.unwrap(), did);
    assert_eq!(resolver.resolve_handle("ONE.test").await.unwrap(), did);
    assert_eq!(resolver.resolve_handle("noise.test").await.unwrap(), did);
    assert_eq!(resolver.resolve_handle("long.test").await.unwrap(), long);
    for missing in ["two.test", "none.test", "notdid.test", "absent.test"] {
        let e = resolver.resolve_handle(missing).await.unwrap_err();
        assert!(
            matches!(e, ResolveError::HandleNotFound { .. }),
            "{missing}: {e}"
        );
    }
    let e = resolver.resolve_handle("silent.test").await.unwrap_err();
    assert!(matches!(e, ResolveError::Timeout { .. }), "{e}");

    // The cache: one query for two lookups, and one more for a refresh.
    assert_eq!(dns.queries("_atproto.one.test"), 1);
    let count = |name: &str| dns.queries(name);
    let before = count("_atproto.noise.test");
    resolver.resolve_handle("noise.test").await.unwrap();
    assert_eq!(count("_atproto.noise.test"), before);
    resolver.clear_cache();
    resolver.resolve_handle("noise.test").await.unwrap();
    assert_eq!(count("_atproto.noise.test"), before + 1);

    // Fifty at once on a fresh resolver: one query.
    let fresh = Resolver::builder()
        .dns_servers([addr])
        .transport(Refuse)
        .build();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let r = fresh.clone();
            tokio::spawn(async move { r.resolve_handle("long.test").await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), long);
    }
    assert_eq!(count("_atproto.long.test"), 2);
}

// ---------------------------------------------------------------------------------------
// The cache

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_resolutions_make_one_request() {
    let fake = Fake::default();
    let port = serve(&fake).await;
    let base = format!("http://127.0.0.1:{port}");
    let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    let key = Keypair::generate_k256();
    let slow = Duration::from_millis(300);
    fake.doc(
        did,
        Reply::json(document(
            did,
            Some("fifty.test"),
            &base,
            &[("atproto", &key)],
        ))
        .after(slow),
    );
    fake.handle("fifty.test", Reply::json(json!({ "did": did })).after(slow));

    for (name, first) in [
        ("fifty.test", "handle fifty.test"),
        (did, "plc did:plc:ewvi7nxzyoun6zhxrhs64oiz"),
    ] {
        let resolver = Resolver::builder()
            .plc_url(&base)
            .handle_service(&base)
            .build();
        let before = (
            fake.hits("handle fifty.test"),
            fake.hits(&format!("plc {did}")),
        );
        // Every task started before any is awaited.
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let r = resolver.clone();
                let name = name.to_owned();
                tokio::spawn(async move { r.resolve(&name).await })
            })
            .collect();
        let mut identities = Vec::new();
        for t in tasks {
            identities.push(t.await.unwrap().unwrap());
        }
        assert!(identities.iter().all(|i| *i == identities[0]));
        assert_eq!(
            identities[0].handle.as_ref().map(|h| h.as_str()),
            Some("fifty.test")
        );
        let after = (
            fake.hits("handle fifty.test"),
            fake.hits(&format!("plc {did}")),
        );
        assert_eq!(
            (after.0 - before.0, after.1 - before.1),
            (1, 1),
            "50 resolutions of {name} (first asked: {first}): one request of each kind"
        );
    }
}

#[tokio::test]
async fn cached_entries_go_stale_refresh_and_expire() {
    let fake = Fake::default();
    let port = serve(&fake).await;
    let base = format!("http://127.0.0.1:{port}");
    let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    let key = Keypair::generate_k256();
    let doc = document(did, None, &base, &[("atproto", &key)]);
    fake.doc(did, Reply::json(doc.clone()));
    let resolver = Resolver::builder()
        .plc_url(&base)
        .handle_service(&base)
        .cache_stale_after(Duration::from_millis(150))
        .cache_expire_after(Duration::from_millis(600))
        .build();
    let hits = || fake.hits(&format!("plc {did}"));
    resolver.resolve(did).await.unwrap();
    resolver.resolve(did).await.unwrap();
    assert_eq!(hits(), 1, "fresh: from the cache");
    resolver.refresh(did).await.unwrap();
    assert_eq!(hits(), 2, "refresh: fetched again");
    // The key rotates: a refresh sees the new one at once, a cached resolve does not.
    let rotated = Keypair::generate_k256();
    fake.doc(
        did,
        Reply::json(document(did, None, &base, &[("atproto", &rotated)])),
    );
    let cached = resolver.resolve(did).await.unwrap();
    assert_eq!(cached.signing_key, Some(key.public_key()));
    let fresh = resolver.refresh_did(did).await.unwrap();
    assert_eq!(fresh.signing_key, Some(rotated.public_key()));
    assert_eq!(
        fresh.document.signing_key().unwrap(),
        Some(rotated.public_key())
    );
    assert_eq!(hits(), 3);
    // Stale: fetched again on use; when that fails with a server error, the stale entry is
    // served until it expires.
    tokio::time::sleep(Duration::from_millis(200)).await;
    fake.doc(did, Reply::raw(503, b"down".to_vec()));
    let stale = resolver.resolve(did).await.unwrap();
    assert_eq!(stale.signing_key, Some(rotated.public_key()));
    assert_eq!(hits(), 4);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(matches!(
        resolver.resolve(did).await,
        Err(ResolveError::Status { status: 503, .. })
    ));
    assert_eq!(hits(), 5);
}

// ---------------------------------------------------------------------------------------
// Refusals

#[tokio::test]
async fn refusals_are_typed_errors() {
    let fake = Fake::default();
    let port = serve(&fake).await;
    let base = format!("http://127.0.0.1:{port}");
    let key = Keypair::generate_k256();
    let did = |n: u8| format!("did:plc:{}", (b'a' + n) as char).repeat(1) + &"b".repeat(23);
    let doc = |d: &str, handle: Option<&str>| document(d, handle, &base, &[("atproto", &key)]);

    // The document of another DID.
    fake.doc(&did(0), Reply::json(doc(&did(1), None)));
    // A handle whose DID claims another handle, and one whose DID claims none.
    fake.handle("claimed.test", Reply::json(json!({ "did": did(2) })));
    fake.doc(
        &did(2),
        Reply::json(doc(&did(2), Some("someone-else.test"))),
    );
    fake.handle("unclaimed.test", Reply::json(json!({ "did": did(3) })));
    fake.doc(&did(3), Reply::json(doc(&did(3), None)));
    // Over the 1 MiB limit (padding in an ignored member).
    let mut big = doc(&did(4), None);
    big["padding"] = "x".repeat(1 << 20).into();
    fake.doc(&did(4), Reply::json(big));
    // Slower than the timeout.
    fake.doc(
        &did(5),
        Reply::json(doc(&did(5), None)).after(Duration::from_secs(5)),
    );
    // Not JSON, and JSON of the wrong shape.
    fake.doc(&did(6), Reply::raw(200, br#"{"id": "did:plc:"#.to_vec()));
    fake.doc(
        &did(7),
        Reply::json(json!({ "id": did(7), "alsoKnownAs": "at://x.test" })),
    );
    fake.doc(&did(8), Reply::raw(500, b"oops".to_vec()));
    // A handle service that answers nonsense.
    fake.handle("nonsense.test", Reply::json(json!({ "did": 5 })));
    // A DID whose document claims a handle that points elsewhere: resolves, handle None.
    fake.doc(&did(9), Reply::json(doc(&did(9), Some("claimed.test"))));

    let resolver = Resolver::builder()
        .plc_url(&base)
        .handle_service(&base)
        .timeout(Duration::from_millis(300))
        .build();
    let r = |name: String| {
        let resolver = resolver.clone();
        async move { resolver.resolve(&name).await }
    };
    let mut refused = 0;
    let mut check =
        |name: &str, e: Result<Identity, ResolveError>, ok: fn(&ResolveError) -> bool| {
            let e = e.expect_err(name);
            assert!(ok(&e), "{name}: {e:?}");
            // Every error says what it is about.
            assert!(!e.to_string().is_empty());
            refused += 1;
        };
    check(
        "id",
        r(did(0)).await,
        |e| matches!(e, ResolveError::DocumentIdMismatch { id, .. } if id.ends_with("bbb") && id.starts_with("did:plc:b")),
    );
    check(
        "claimed",
        r("claimed.test".into()).await,
        |e| matches!(e, ResolveError::HandleMismatch { claimed: Some(c), .. } if c == "someone-else.test"),
    );
    check("unclaimed", r("unclaimed.test".into()).await, |e| {
        matches!(e, ResolveError::HandleMismatch { claimed: None, .. })
    });
    check(
        "big",
        r(did(4)).await,
        |e| matches!(e, ResolveError::TooLarge { limit, .. } if *limit == 1 << 20),
    );
    check(
        "slow",
        r(did(5)).await,
        |e| matches!(e, ResolveError::Timeout { after, .. } if *after == Duration::from_millis(300)),
    );
    check(
        "not JSON",
        r(did(6)).await,
        |e| matches!(e, ResolveError::MalformedDocument { reason, .. } if reason.contains("not JSON")),
    );
    check(
        "wrong shape",
        r(did(7)).await,
        |e| matches!(e, ResolveError::MalformedDocument { reason, .. } if reason.starts_with("alsoKnownAs:")),
    );
    check("500", r(did(8)).await, |e| {
        matches!(e, ResolveError::Status { status: 500, .. }) && e.is_transient()
    });
    check("404", r(did(10)).await, |e| {
        matches!(e, ResolveError::DidNotFound { status: 404, .. }) && e.is_not_found()
    });
    check("no handle", r("nobody.test".into()).await, |e| {
        matches!(e, ResolveError::HandleNotFound { .. })
    });
    check("nonsense", r("nonsense.test".into()).await, |e| {
        matches!(e, ResolveError::MalformedResponse { .. })
    });
    check(
        "did:key",
        r("did:key:zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5w".into()).await,
        |e| matches!(e, ResolveError::UnsupportedMethod { .. }),
    );
    check(
        "did:web path",
        r("did:web:example.com:alice".into()).await,
        |e| matches!(e, ResolveError::UnsupportedDidWebPath { .. }),
    );
    check("not a name", r("not a handle".into()).await, |e| {
        matches!(e, ResolveError::InvalidIdentifier { .. })
    });
    assert_eq!(refused, 14);

    let elsewhere = resolver.resolve(&did(9)).await.unwrap();
    assert_eq!(elsewhere.handle, None, "the handle points to another DID");
    assert_eq!(elsewhere.document.handle(), Some("claimed.test"));

    // A smaller limit, and a bad PLC URL reported by try_build.
    let small = Resolver::builder()
        .plc_url(&base)
        .max_response_size(100)
        .build();
    assert!(matches!(
        small.resolve(&did(9)).await,
        Err(ResolveError::TooLarge { limit: 100, .. })
    ));
    assert!(matches!(
        Resolver::builder().plc_url("ftp://plc").try_build(),
        Err(ResolveError::Config { .. })
    ));
    assert!(matches!(
        Resolver::builder()
            .plc_url("ftp://plc")
            .build()
            .resolve(&did(9))
            .await,
        Err(ResolveError::Config { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Mutations

/// Serves fixed bytes for every DID document and every handle answer.
#[derive(Clone, Default)]
struct Canned {
    doc: Arc<Mutex<Vec<u8>>>,
    handle: Arc<Mutex<Vec<u8>>>,
}

impl Transport for Canned {
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let path = request.uri().path();
        let body = if path.ends_with("did.json") || path.starts_with("/did") {
            self.doc.lock().unwrap().clone()
        } else {
            self.handle.lock().unwrap().clone()
        };
        Ok(http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Bytes::from(body))
            .unwrap())
    }
}

/// DNS whose only record is set by the test.
#[derive(Clone, Default)]
struct CannedDns(Arc<Mutex<Vec<String>>>);

impl DnsTxtResolver for CannedDns {
    async fn txt(&self, _name: &str) -> Result<Vec<String>, TransportError> {
        Ok(self.0.lock().unwrap().clone())
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    const FRAGMENTS: &[&str] = &[
        "null",
        "[]",
        "{}",
        "\"\"",
        "1e999",
        "-0",
        "\"#atproto\"",
        "\"at://\"",
        "\"did:web:example.com\"",
        "\"Multikey\"",
        "\"EcdsaSecp256r1VerificationKey2019\"",
        "\"zQ3s\"",
        "\"z\"",
        "\"http://\"",
        "\"\\ud800\"",
        "[[[[[[[[",
        "\"serviceEndpoint\": {}",
        "\"id\": 1",
        "did=",
        "\n",
        "\u{0}",
    ];
    let mut s = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if s.is_empty() {
            s.push(b'{');
        }
        let at = rng.below(s.len());
        match rng.below(5) {
            0 => {
                let len = 1 + rng.below(16);
                s.drain(at..(at + len).min(s.len()));
            }
            1 => {
                let frag = rng.pick(FRAGMENTS).as_bytes();
                s.splice(at..at, frag.iter().copied());
            }
            2 => {
                const PUNCT: &[u8] = b"{}[],:\"\\#.z0";
                s[at] = *rng.pick(PUNCT);
            }
            3 => s[at] = rng.next_u64() as u8,
            _ => {
                let from = rng.below(s.len());
                let len = rng.below(40).min(s.len() - from);
                let piece = s[from..from + len].to_vec();
                s.splice(at..at, piece);
            }
        }
    }
    s
}

#[tokio::test]
async fn mutated_documents_and_answers_never_panic() {
    let signing = Keypair::generate_k256();
    let labeler = Keypair::generate_p256();
    let web = "did:web:example.com";
    let seeds: Vec<Vec<u8>> = vec![
        document(
            web,
            Some("alice.example.com"),
            "https://pds.example.com",
            &[("atproto", &signing), ("atproto_label", &labeler)],
        )
        .to_string()
        .into_bytes(),
        // The shape the reference PLC directory serves: legacy key types.
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/secp256k1-2019/v1"],
            "id": web,
            "alsoKnownAs": ["at://alice.example.com"],
            "verificationMethod": [{
                "id": "#atproto", "type": "EcdsaSecp256k1VerificationKey2019", "controller": web,
                "publicKeyMultibase": "zRnoh1NhkdRaJsy3poSMDivfdxuRbuPFVckRNo46Rq9oTRCqqNDBgu1wNLKjYadtQPTo27Mj44rDPc998LT18kn5Q"
            }],
            "service": [{ "id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "http://localhost:2583" }]
        })
        .to_string()
        .into_bytes(),
    ];
    let handle_seeds: Vec<Vec<u8>> = vec![
        json!({ "did": web }).to_string().into_bytes(),
        format!("{web}\n").into_bytes(),
    ];
    let canned = Canned::default();
    let dns = CannedDns::default();
    let service = Resolver::builder()
        .handle_service("https://handles.example.com")
        .transport(canned.clone())
        .cache_size(0)
        .build();
    let network = Resolver::builder()
        .dns(dns.clone())
        .transport(canned.clone())
        .cache_size(0)
        .build();
    *canned.doc.lock().unwrap() = seeds[0].clone();
    *canned.handle.lock().unwrap() = handle_seeds[0].clone();

    let mut rng = Rng(0x1d_e417);
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    let mut note = |r: &Result<Identity, ResolveError>| {
        let kind = match r {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("{e:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap()
                .to_owned(),
        };
        *outcomes.entry(kind).or_default() += 1;
    };
    const DOCS: usize = 100_000;
    const ANSWERS: usize = 20_000;
    for i in 0..DOCS {
        let bytes = mutate(&mut rng, &seeds[i % seeds.len()]);
        if let Ok(doc) = DidDocument::from_json(&bytes) {
            // Everything read from a document that parsed.
            let _ = (doc.handle(), doc.pds_endpoint(), doc.labeler_endpoint());
            let _ = (doc.signing_key(), doc.labeler_key());
            for m in doc.verification_methods() {
                let _ = m.public_key();
            }
        }
        *canned.doc.lock().unwrap() = bytes.clone();
        // The DID itself, or a handle that leads to it.
        let name = if i % 2 == 0 { web } else { "alice.example.com" };
        let result = AssertUnwindSafe(service.resolve(name)).catch_unwind().await;
        let result = result.unwrap_or_else(|_| {
            panic!(
                "resolving panicked on:\n{}",
                String::from_utf8_lossy(&bytes)
            )
        });
        note(&result);
    }
    *canned.doc.lock().unwrap() = seeds[0].clone();
    for i in 0..ANSWERS {
        let bytes = mutate(&mut rng, &handle_seeds[i % 2]);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        *canned.handle.lock().unwrap() = bytes.clone();
        *dns.0.lock().unwrap() = vec![format!("did={}", text.trim())];
        let resolver = if i % 2 == 0 { &service } else { &network };
        let result = AssertUnwindSafe(resolver.resolve("alice.example.com"))
            .catch_unwind()
            .await;
        let result = result.unwrap_or_else(|_| panic!("resolving panicked on the answer:\n{text}"));
        note(&result);
    }
    let mut sorted: Vec<_> = outcomes.iter().collect();
    sorted.sort();
    println!("{DOCS} mutated DID documents and {ANSWERS} mutated handle answers resolved without a panic: {sorted:?}");
    assert_eq!(outcomes.values().sum::<usize>(), DOCS + ANSWERS);
    for kind in [
        "ok",
        "MalformedDocument",
        "DocumentIdMismatch",
        "HandleMismatch",
        "HandleNotFound",
        "MalformedResponse",
    ] {
        assert!(
            outcomes.get(kind).copied().unwrap_or(0) > 100,
            "{kind}: {sorted:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Sessions

#[tokio::test]
async fn sessions_log_in_with_a_handle_or_a_did_through_the_resolver() {
    let (Some(pds), Some(plc)) = (atlex_tests::pds_url(), atlex_tests::plc_url()) else {
        return;
    };
    let account = atlex_tests::create_account(&pds, "login").await;
    let resolver = Resolver::builder()
        .plc_url(&plc)
        .handle_service(&pds)
        .build();
    let identity = resolver.resolve(&account.handle).await.unwrap();
    for identifier in [&account.handle, &account.did] {
        let session = Session::login_with(&resolver, identifier, &account.password)
            .await
            .unwrap_or_else(|e| panic!("login as {identifier}: {e}"));
        assert_eq!(
            Some(session.client().base_url()),
            identity.pds.as_deref(),
            "the session talks to the PDS of the DID document"
        );
        let data = session.data().unwrap();
        assert_eq!(data.did, account.did);
        assert_eq!(data.handle, account.handle);
        // An authenticated call goes through.
        let me = get_session::call(&session).await.unwrap();
        assert_eq!(me.did, account.did);
        session.logout().await.unwrap();
    }
    let wrong = Session::login_with(&resolver, &account.handle, "not-the-password").await;
    match wrong {
        Err(atlex::identity::LoginError::Login(e)) => {
            assert_eq!(e.status().map(|s| s.as_u16()), Some(401), "{e}")
        }
        other => panic!("a wrong password: {other:?}"),
    }
    let nobody = format!("nobody{}.test", atlex_tests::unique_letters(8));
    assert!(matches!(
        Session::login_with(&resolver, &nobody, "x").await,
        Err(atlex::identity::LoginError::Resolve(
            ResolveError::HandleNotFound { .. }
        ))
    ));
}
