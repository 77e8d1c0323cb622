//! Sessions against the generated server: login, the access token on every call, one shared
//! refresh on ExpiredToken, a store that sees every change, logout.

use atlex::server::{Router, ServerError, XrpcRequest};
use atlex::xrpc::session_methods::{create_session, delete_session, refresh_session};
use atlex::xrpc::{NoParams, Session, SessionData, SessionStore};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

mod lex {
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.example.session.whoami",
        "defs": { "main": { "type": "query",
            "output": { "encoding": "application/json", "schema": {
                "type": "object", "required": ["did"],
                "properties": { "did": { "type": "string", "format": "did" } } } } } }
    });
}
use lex::com::example::session::whoami;

const DID: &str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";

#[derive(Default)]
struct Server {
    /// The access token the server accepts now; any other is expired.
    valid_access: Mutex<String>,
    generation: AtomicUsize,
    refreshes: AtomicUsize,
    deleted: AtomicUsize,
}

fn bearer(headers: &atlex::server::HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned()
}

async fn serve(state: Arc<Server>) -> String {
    let (s1, s2, s3, s4) = (state.clone(), state.clone(), state.clone(), state);
    let router = Router::new()
        .procedure(
            create_session::Method,
            move |req: XrpcRequest<NoParams, create_session::Input>| {
                let s = s1.clone();
                async move {
                    if req.input.password != "pw" {
                        return Err(ServerError::new(
                            401,
                            "AuthenticationRequired",
                            "Invalid identifier or password",
                        ));
                    }
                    let n = s.generation.fetch_add(1, Ordering::SeqCst) + 1;
                    *s.valid_access.lock().unwrap() = format!("a{n}");
                    Ok(create_session::Output::new(
                        format!("a{n}"),
                        format!("r{n}"),
                        "alice.test".parse().unwrap(),
                        DID.parse().unwrap(),
                    ))
                }
            },
        )
        .procedure(
            refresh_session::Method,
            move |req: XrpcRequest<NoParams, ()>| {
                let s = s2.clone();
                async move {
                    let n = s.generation.load(Ordering::SeqCst);
                    if bearer(&req.headers) != format!("r{n}") {
                        return Err(refresh_session::Error::ExpiredToken(Some(
                            "refresh token expired".into(),
                        ))
                        .into());
                    }
                    s.refreshes.fetch_add(1, Ordering::SeqCst);
                    // A slow refresh, so that concurrent calls pile up behind it.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    let n = s.generation.fetch_add(1, Ordering::SeqCst) + 1;
                    *s.valid_access.lock().unwrap() = format!("a{n}");
                    Ok(refresh_session::Output::new(
                        format!("a{n}"),
                        format!("r{n}"),
                        "alice.test".parse().unwrap(),
                        DID.parse().unwrap(),
                    ))
                }
            },
        )
        .procedure(
            delete_session::Method,
            move |req: XrpcRequest<NoParams, ()>| {
                let s = s3.clone();
                async move {
                    assert!(
                        bearer(&req.headers).starts_with('r'),
                        "logout uses the refresh token"
                    );
                    s.deleted.fetch_add(1, Ordering::SeqCst);
                    Ok::<(), ServerError<delete_session::Error>>(())
                }
            },
        )
        .query(whoami::Method, move |req: XrpcRequest<NoParams, ()>| {
            let s = s4.clone();
            async move {
                if bearer(&req.headers) != *s.valid_access.lock().unwrap() {
                    return Err(ServerError::new(400, "ExpiredToken", "Token has expired"));
                }
                Ok(whoami::Output::new(DID.parse().unwrap()))
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(router.serve(listener));
    url
}

#[derive(Clone, Default)]
struct MemoryStore(Arc<Mutex<Vec<Option<SessionData>>>>);

impl SessionStore for MemoryStore {
    fn save(&self, session: Option<&SessionData>) {
        self.0.lock().unwrap().push(session.cloned());
    }
}

#[tokio::test]
async fn login_call_refresh_once_for_concurrent_calls_and_logout() {
    let server = Arc::new(Server::default());
    *server.valid_access.lock().unwrap() = "issued-to-nobody-yet".into();
    let url = serve(server.clone()).await;
    let store = MemoryStore::default();
    let session = Session::with_store(atlex::Client::new(&url).unwrap(), store.clone());

    // Not logged in: the protected call is sent without a token and refused.
    assert!(whoami::call(&session).await.is_err());

    let err = session.login("alice.test", "nope", None).await.unwrap_err();
    assert_eq!(err.xrpc_name(), Some("AuthenticationRequired"));
    let data = session.login("alice.test", "pw", None).await.unwrap();
    assert_eq!(data.access_jwt(), "a1");
    let debug = format!("{data:?} {session:?}");
    assert!(!debug.contains("a1") && !debug.contains("r1"), "{debug}");

    assert_eq!(whoami::call(&session).await.unwrap().did.as_str(), DID);
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 0);

    // The server expires the token: eight concurrent calls share one refresh.
    *server.valid_access.lock().unwrap() = "expired-for-everyone".into();
    let calls = (0..8).map(|_| {
        let s = session.clone();
        tokio::spawn(async move { whoami::call(&s).await })
    });
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().did.as_str(), DID);
    }
    assert_eq!(
        server.refreshes.load(Ordering::SeqCst),
        1,
        "one refresh for all calls"
    );
    assert_eq!(session.data().unwrap().access_jwt(), "a2");

    session.logout().await.unwrap();
    assert_eq!(server.deleted.load(Ordering::SeqCst), 1);
    assert!(session.data().is_none());

    let saves = store.0.lock().unwrap().clone();
    let tokens: Vec<Option<&str>> = saves
        .iter()
        .map(|s| s.as_ref().map(|d| d.access_jwt()))
        .collect();
    assert_eq!(tokens, vec![Some("a1"), Some("a2"), None]);
}

#[tokio::test]
async fn a_failed_refresh_forgets_the_session() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let session = Session::new(atlex::Client::new(&url).unwrap());
    session.login("alice.test", "pw", None).await.unwrap();
    // Another login elsewhere moves the server on: this session's refresh token is stale.
    server.generation.fetch_add(5, Ordering::SeqCst);
    *server.valid_access.lock().unwrap() = "someone-else".into();
    let err = whoami::call(&session).await.unwrap_err();
    assert_eq!(
        err.xrpc_name(),
        Some("ExpiredToken"),
        "the original answer is returned"
    );
    assert!(session.data().is_none(), "the session is forgotten");
}
