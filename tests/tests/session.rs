//! Sessions against the generated server: login, the access token on every call, one shared
//! refresh on ExpiredToken, a store that sees every change, logout.

use atlex::server::{Router, ServerError, XrpcRequest};
use atlex::xrpc::session_methods::{create_session, delete_session, refresh_session};
use atlex::xrpc::{NoParams, Session, SessionData, SessionStore};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

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
    /// `whoami` calls answered with ExpiredToken, and those answered with the DID.
    expired_answers: AtomicUsize,
    served: AtomicUsize,
    /// The first `hold_expired` ExpiredToken answers are held until that many calls have
    /// come in with an expired token, so that the calls overlap for real (0: none held).
    hold_expired: AtomicUsize,
    all_expired_in: Notify,
    /// A held answer waited in vain: the calls did not overlap.
    hold_timed_out: AtomicBool,
}

impl Server {
    /// Holds this ExpiredToken answer, the `n`th, until `hold_expired` of them are waiting.
    async fn hold_expired_answer(&self, n: usize) {
        let hold = self.hold_expired.load(Ordering::SeqCst);
        if n > hold {
            return;
        }
        if n == hold {
            self.all_expired_in.notify_waiters();
            return;
        }
        let all_in = async {
            loop {
                // Registered before the count is read, so a notification in between is kept.
                let notified = self.all_expired_in.notified();
                if self.expired_answers.load(Ordering::SeqCst) >= hold {
                    break;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(10), all_in)
            .await
            .is_err()
        {
            self.hold_timed_out.store(true, Ordering::SeqCst);
        }
    }
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
                let valid = bearer(&req.headers) == *s.valid_access.lock().unwrap();
                if !valid {
                    let n = s.expired_answers.fetch_add(1, Ordering::SeqCst) + 1;
                    s.hold_expired_answer(n).await;
                    return Err(ServerError::new(400, "ExpiredToken", "Token has expired"));
                }
                s.served.fetch_add(1, Ordering::SeqCst);
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

    // The server expires the token: eight concurrent calls share one refresh. Every call is
    // started before any is awaited, and the server holds the ExpiredToken answers until all
    // eight calls have come in with the old token, so all of them find it expired at once.
    *server.valid_access.lock().unwrap() = "expired-for-everyone".into();
    const CALLS: usize = 8;
    let expired_before = server.expired_answers.load(Ordering::SeqCst);
    let served_before = server.served.load(Ordering::SeqCst);
    server
        .hold_expired
        .store(expired_before + CALLS, Ordering::SeqCst);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..CALLS {
        let s = session.clone();
        calls.spawn(async move { whoami::call(&s).await });
    }
    let results = tokio::time::timeout(Duration::from_secs(30), calls.join_all())
        .await
        .expect("the concurrent calls finish");
    assert!(
        !server.hold_timed_out.load(Ordering::SeqCst),
        "the calls did not overlap: fewer than {CALLS} were in flight together"
    );
    for result in results {
        assert_eq!(result.unwrap().did.as_str(), DID);
    }
    assert_eq!(
        server.expired_answers.load(Ordering::SeqCst) - expired_before,
        CALLS,
        "each call found the token expired once, and retried with a fresh one"
    );
    assert_eq!(
        server.served.load(Ordering::SeqCst) - served_before,
        CALLS,
        "every call succeeded on its retry"
    );
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
