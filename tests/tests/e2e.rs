//! End to end: the generated client against the generated server, in process, over loopback
//! HTTP; and the generated client against a hostile server that writes raw bytes.
//!
//! The server is `atlex::server::Router` wrapped in an axum middleware that records every HTTP
//! request it receives (method, path, query, content type, body), so a test can tell that
//! nothing was sent, or exactly what was.

use atlex::server::{Router, ServerError, XrpcRequest};
use atlex::types::{Did, Handle};
use atlex::validate::Rule;
use atlex::xrpc::{NoParams, ReqwestTransport, StatusCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

atlex::lexicon!([
    "../runtime/lexicons/com/atproto/server/createSession.json",
    "lexicons/fixtures",
]);

use com::atproto::server::create_session;
use com::example::e2e::{echo, search};

const DID: &str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
const HANDLE: &str = "alice.test";
const PASSWORD: &str = "pw-Zq8uT3-never-printed";
const AUTH_TOKEN: &str = "code-71K9-never-printed";
const ACCESS_JWT: &str = "eyJ.access-Xy7Pq2-never-printed.sig";
const REFRESH_JWT: &str = "eyJ.refresh-Wm4Lk9-never-printed.sig";

// ---------------------------------------------------------------------------------------------
// The generated server, with a recorder in front of it.

/// One HTTP request as it reached the server.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// What the server saw: every HTTP request, and what each handler was called with.
#[derive(Default)]
struct State {
    http: Mutex<Vec<Seen>>,
    sessions: Mutex<Vec<create_session::Input>>,
    echoes: Mutex<Vec<echo::Input>>,
    searches: Mutex<Vec<search::Params>>,
    handler_calls: AtomicUsize,
}

impl State {
    fn http(&self) -> Vec<Seen> {
        self.http.lock().unwrap().clone()
    }
    fn handler_calls(&self) -> usize {
        self.handler_calls.load(Ordering::SeqCst)
    }
}

async fn record(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 20)
        .await
        .expect("request bodies in these tests are under 64 MiB");
    state.http.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        content_type: parts
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: bytes.to_vec(),
    });
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

async fn login(
    state: Arc<State>,
    req: XrpcRequest<NoParams, create_session::Input>,
) -> Result<create_session::Output, ServerError<create_session::Error>> {
    state.handler_calls.fetch_add(1, Ordering::SeqCst);
    state.sessions.lock().unwrap().push(req.input.clone());
    let input = req.input;
    match input.identifier.as_str() {
        "takendown.test" => {
            return Err(
                ServerError::from(create_session::Error::AccountTakedown(Some(
                    "Account has been taken down".into(),
                )))
                .with_status(401),
            )
        }
        "twofactor.test" if input.auth_factor_token.is_none() => {
            return Err(create_session::Error::AuthFactorTokenRequired(Some(
                "A sign in code has been sent to your email address".into(),
            ))
            .into())
        }
        _ => {}
    }
    if (input.identifier != HANDLE && input.identifier != DID) || input.password != PASSWORD {
        return Err(ServerError::new(
            401,
            "AuthenticationRequired",
            "Invalid identifier or password",
        ));
    }
    Ok(create_session::Output {
        email: Some("alice@example.test".into()),
        email_confirmed: Some(true),
        active: Some(true),
        ..create_session::Output::new(
            ACCESS_JWT.into(),
            REFRESH_JWT.into(),
            HANDLE.parse().unwrap(),
            DID.parse().unwrap(),
        )
    })
}

async fn echo_handler(
    state: Arc<State>,
    req: XrpcRequest<NoParams, echo::Input>,
) -> Result<echo::Output, ServerError<echo::Error>> {
    state.handler_calls.fetch_add(1, Ordering::SeqCst);
    state.echoes.lock().unwrap().push(req.input.clone());
    let input = req.input;
    match input.text.as_str() {
        "LOUD" => return Err(echo::Error::TooLoud(Some("inside voice please".into())).into()),
        // An output that breaks the lexicon (count below its minimum): the server must not send it.
        "oops" => return Ok(echo::Output::new(input.text, 0, Vec::new())),
        _ => {}
    }
    Ok(echo::Output {
        mood: input.mood.map(|m| echo::OutputMood::from(m.as_str())),
        author: input.author,
        extra: input.extra,
        ..echo::Output::new(input.text, input.count, input.tags.unwrap_or_default())
    })
}

async fn search_handler(
    state: Arc<State>,
    req: XrpcRequest<search::Params, ()>,
) -> Result<search::Output, ServerError<search::Error>> {
    state.handler_calls.fetch_add(1, Ordering::SeqCst);
    state.searches.lock().unwrap().push(req.params.clone());
    let p = req.params;
    Ok(search::Output {
        exact: p.exact,
        actor: p.actor,
        ..search::Output::new(p.q, p.tags.unwrap_or_default(), p.limit)
    })
}

/// Serves axum `app` on 127.0.0.1; returns the base URL.
async fn serve(app: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// The generated server for the three methods, recording what it sees.
async fn start() -> (String, Arc<State>) {
    let state = Arc::new(State::default());
    let (s1, s2, s3) = (state.clone(), state.clone(), state.clone());
    let app = Router::new()
        .procedure(create_session::Method, move |req| login(s1.clone(), req))
        .procedure(echo::Method, move |req| echo_handler(s2.clone(), req))
        .query(search::Method, move |req| search_handler(s3.clone(), req))
        .into_axum()
        .layer(axum::middleware::from_fn_with_state(state.clone(), record));
    (serve(app).await, state)
}

fn client(url: &str) -> atlex::Client {
    atlex::Client::new(url).unwrap()
}

/// A raw HTTP answer: status, content type, body as JSON (Null when not JSON).
async fn raw(req: reqwest::RequestBuilder) -> (u16, Option<String>, serde_json::Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.bytes().await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, ct, json)
}

/// Decodes a query string into pairs, in order (`%XX` bytes; the client never writes `+`).
fn pairs(query: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
    query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (decode(k), decode(v))
        })
        .collect()
}

fn strings(v: &[&str]) -> Vec<(String, String)> {
    v.chunks(2)
        .map(|kv| (kv[0].to_owned(), kv[1].to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// createSession: success, declared errors, undeclared errors.

#[tokio::test]
async fn create_session_success_is_typed_and_the_server_saw_exactly_the_input() {
    let (url, state) = start().await;
    let input = create_session::Input {
        auth_factor_token: Some(AUTH_TOKEN.into()),
        ..create_session::Input::new(HANDLE.into(), PASSWORD.into())
    };
    let out = create_session::call(&client(&url), &input).await.unwrap();

    let did: &Did = &out.did;
    let handle: &Handle = &out.handle;
    assert_eq!(did, &DID.parse::<Did>().unwrap());
    assert_eq!(did.method(), "plc");
    assert_eq!(handle.as_str(), HANDLE);
    assert_eq!(out.access_jwt, ACCESS_JWT);
    assert_eq!(out.refresh_jwt, REFRESH_JWT);
    assert_eq!(out.email.as_deref(), Some("alice@example.test"));
    assert_eq!(out.email_confirmed, Some(true));
    assert_eq!(out.active, Some(true));
    assert_eq!(out.email_auth_factor, None);
    assert_eq!(out.status, None);
    assert!(out.did_doc.is_none());
    assert!(out.extra.is_empty());

    // The handler got exactly the input sent.
    assert_eq!(*state.sessions.lock().unwrap(), vec![input]);
    // One HTTP request: POST, JSON, exactly these three properties.
    let http = state.http();
    assert_eq!(http.len(), 1);
    assert_eq!(http[0].method, "POST");
    assert_eq!(http[0].path, "/xrpc/com.atproto.server.createSession");
    assert_eq!(http[0].query, None);
    assert_eq!(http[0].content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&http[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"identifier": HANDLE, "password": PASSWORD, "authFactorToken": AUTH_TOKEN})
    );

    // Login by DID, no optional field: absent on the wire.
    let by_did = create_session::Input::new(DID.into(), PASSWORD.into());
    let out = create_session::call(&client(&url), &by_did).await.unwrap();
    assert_eq!(out.did.as_str(), DID);
    let body: serde_json::Value = serde_json::from_slice(&state.http()[1].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"identifier": DID, "password": PASSWORD})
    );
}

#[tokio::test]
async fn declared_errors_arrive_typed_with_message_and_status() {
    let (url, state) = start().await;
    let c = client(&url);

    let err = create_session::call(
        &c,
        &create_session::Input::new("takendown.test".into(), "x".into()),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.known(),
        Some(&create_session::Error::AccountTakedown(Some(
            "Account has been taken down".into()
        )))
    );
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(err.xrpc_name(), Some("AccountTakedown"));
    assert_eq!(
        err.to_string(),
        "server answered 401 AccountTakedown: Account has been taken down"
    );

    let err = create_session::call(
        &c,
        &create_session::Input::new("twofactor.test".into(), "x".into()),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.known(),
        Some(&create_session::Error::AuthFactorTokenRequired(Some(
            "A sign in code has been sent to your email address".into()
        )))
    );
    // A declared error answered without an explicit status is 400.
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    match &err {
        atlex::Error::Xrpc(e) => {
            assert_eq!(e.name, "AuthFactorTokenRequired");
            assert_eq!(
                e.message.as_deref(),
                Some("A sign in code has been sent to your email address")
            );
        }
        other => panic!("expected Error::Xrpc, got {other:?}"),
    }

    // A declared error of another method (echo's TooLoud).
    let err = echo::call(&c, &echo::Input::new("LOUD".into(), 1))
        .await
        .unwrap_err();
    assert_eq!(
        err.known(),
        Some(&echo::Error::TooLoud(Some("inside voice please".into())))
    );
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(state.handler_calls(), 3);
}

#[tokio::test]
async fn undeclared_error_is_kept_by_name_and_message() {
    let (url, state) = start().await;
    let wrong = create_session::Input::new(HANDLE.into(), "wrong password".into());
    let err = create_session::call(&client(&url), &wrong)
        .await
        .unwrap_err();
    assert!(err.known().is_none());
    assert_eq!(err.xrpc_name(), Some("AuthenticationRequired"));
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    match &err {
        atlex::Error::Xrpc(e) => {
            assert_eq!(e.status, StatusCode::UNAUTHORIZED);
            assert_eq!(e.name, "AuthenticationRequired");
            assert_eq!(e.message.as_deref(), Some("Invalid identifier or password"));
            assert!(e.known.is_none());
        }
        other => panic!("expected Error::Xrpc, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "server answered 401 AuthenticationRequired: Invalid identifier or password"
    );
    assert_eq!(state.http().len(), 1);

    // The server's own check of its output: a handler answer that breaks the lexicon becomes
    // 500 InternalServerError, which the client keeps by name.
    let err = echo::call(&client(&url), &echo::Input::new("oops".into(), 1))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(err.xrpc_name(), Some("InternalServerError"));
    assert!(err.known().is_none());
}

// ---------------------------------------------------------------------------------------------
// The client refuses invalid requests before sending anything.

#[tokio::test]
async fn invalid_input_is_rejected_before_anything_is_sent() {
    let (url, state) = start().await;
    let c = client(&url);
    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}"; // 1 grapheme, 25 bytes
    assert_eq!(family.len(), 25);

    let cases: Vec<(echo::Input, &str, Rule)> = vec![
        (
            echo::Input::new("abcdef".into(), 1),
            "text",
            Rule::MaxGraphemes { max: 5, actual: 6 },
        ),
        (
            echo::Input::new(format!("{family}{family}"), 1),
            "text",
            Rule::MaxLength {
                max: 40,
                actual: 50,
            },
        ),
        (
            echo::Input::new("hi".into(), 0),
            "count",
            Rule::Minimum { min: 1, actual: 0 },
        ),
        (
            echo::Input::new("hi".into(), 11),
            "count",
            Rule::Maximum {
                max: 10,
                actual: 11,
            },
        ),
        (
            echo::Input {
                tags: Some(vec!["a".into(), "b".into(), "c".into(), "d".into()]),
                ..echo::Input::new("hi".into(), 1)
            },
            "tags",
            Rule::MaxItems { max: 3, actual: 4 },
        ),
        (
            echo::Input {
                tags: Some(vec!["ok".into(), "elevenchars".into()]),
                ..echo::Input::new("hi".into(), 1)
            },
            "tags[1]",
            Rule::MaxLength {
                max: 10,
                actual: 11,
            },
        ),
    ];
    for (input, path, rule) in cases {
        match echo::call(&c, &input).await {
            Err(atlex::Error::InvalidRequest(e)) => {
                assert_eq!(e.path_string(), path, "path for {input:?}");
                assert_eq!(e.rule(), &rule, "rule for {input:?}");
            }
            other => {
                panic!("expected Error::InvalidRequest at {path} for {input:?}, got {other:?}")
            }
        }
    }
    let err = echo::call(&c, &echo::Input::new("abcdef".into(), 1))
        .await
        .unwrap_err();
    assert_eq!(err.status(), None);
    assert_eq!(
        err.to_string(),
        "invalid request, nothing was sent: `text` has 6 graphemes, more than maxGraphemes 5"
    );

    assert!(state.http().is_empty(), "the server saw {:?}", state.http());
    assert_eq!(state.handler_calls(), 0);

    // The limits are inclusive: 5 graphemes (in 40 bytes), 10, 3 tags of 10 bytes are sent.
    let at_limit = echo::Input {
        tags: Some(vec!["abcdefghij".into(); 3]),
        ..echo::Input::new(format!("{family}abcd"), 10)
    };
    let out = echo::call(&c, &at_limit).await.unwrap();
    assert_eq!(out.text, at_limit.text);
    assert_eq!(state.http().len(), 1);
}

#[tokio::test]
async fn invalid_params_are_rejected_before_anything_is_sent() {
    let (url, state) = start().await;
    let c = client(&url);
    let cases: Vec<(search::Params, &str, Rule)> = vec![
        (
            search::Params {
                limit: 0,
                ..search::Params::new("x".into())
            },
            "limit",
            Rule::Minimum { min: 1, actual: 0 },
        ),
        (
            search::Params {
                limit: 101,
                ..search::Params::new("x".into())
            },
            "limit",
            Rule::Maximum {
                max: 100,
                actual: 101,
            },
        ),
        (
            search::Params::new("q".repeat(51)),
            "q",
            Rule::MaxLength {
                max: 50,
                actual: 51,
            },
        ),
        (
            search::Params {
                tags: Some(vec!["t".into(); 5]),
                ..search::Params::new("x".into())
            },
            "tags",
            Rule::MaxItems { max: 4, actual: 5 },
        ),
        (
            search::Params {
                tags: Some(vec!["ok".into(), "ok".into(), "x".repeat(21)]),
                ..search::Params::new("x".into())
            },
            "tags[2]",
            Rule::MaxLength {
                max: 20,
                actual: 21,
            },
        ),
    ];
    for (params, path, rule) in cases {
        match search::call(&c, &params).await {
            Err(atlex::Error::InvalidRequest(e)) => {
                assert_eq!(e.path_string(), path, "path for {params:?}");
                assert_eq!(e.rule(), &rule, "rule for {params:?}");
            }
            other => {
                panic!("expected Error::InvalidRequest at {path} for {params:?}, got {other:?}")
            }
        }
    }
    assert!(state.http().is_empty(), "the server saw {:?}", state.http());
    assert_eq!(state.handler_calls(), 0);
}

// ---------------------------------------------------------------------------------------------
// Round trips through both sides.

#[tokio::test]
async fn procedure_input_round_trips_known_values_formats_and_unknown_fields() {
    let (url, state) = start().await;
    let c = client(&url);
    let mut extra = atlex::types::Extra::new();
    extra.insert(
        "future".into(),
        atlex::types::Data::from_json(&serde_json::json!({"kept": [1, 2]})).unwrap(),
    );
    let input = echo::Input {
        tags: Some(vec!["a".into(), "b c".into()]),
        mood: Some(echo::InputMood::Happy),
        author: Some(DID.parse().unwrap()),
        extra,
        ..echo::Input::new("héllo".into(), 3)
    };
    let out = echo::call(&c, &input).await.unwrap();
    assert_eq!(*state.echoes.lock().unwrap(), vec![input.clone()]);
    assert_eq!(out.text, "héllo");
    assert_eq!(out.count, 3);
    assert_eq!(out.tags, vec!["a".to_owned(), "b c".to_owned()]);
    assert_eq!(out.mood, Some(echo::OutputMood::Happy));
    assert_eq!(out.author.as_ref().map(Did::as_str), Some(DID));
    assert_eq!(out.extra, input.extra);
    let body: serde_json::Value = serde_json::from_slice(&state.http()[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "text": "héllo", "count": 3, "tags": ["a", "b c"], "mood": "happy",
            "author": DID, "future": {"kept": [1, 2]}
        })
    );

    // A value the lexicon does not list is still a valid knownValues string.
    let input = echo::Input {
        mood: Some(echo::InputMood::from("grumpy")),
        ..echo::Input::new("hi".into(), 1)
    };
    assert_eq!(input.mood, Some(echo::InputMood::Other("grumpy".into())));
    let out = echo::call(&c, &input).await.unwrap();
    assert_eq!(out.mood, Some(echo::OutputMood::Other("grumpy".into())));
    assert_eq!(state.echoes.lock().unwrap()[1], input);
}

#[tokio::test]
async fn query_params_round_trip_with_repeated_keys_and_defaults() {
    let (url, state) = start().await;
    let c = client(&url);
    let params = search::Params {
        tags: Some(vec![
            "a b".into(),
            "c&d=e".into(),
            "é+1=2".into(),
            "100%".into(),
        ]),
        exact: Some(true),
        actor: Some(DID.parse().unwrap()),
        ..search::Params::new("hello world?#%2B".into())
    };
    assert_eq!(params.limit, 25, "the lexicon default");
    // A default left unchanged is not sent (the server applies it); a changed one is.
    let out = search::call(&c, &params).await.unwrap();
    assert_eq!(out.q, "hello world?#%2B");
    assert_eq!(out.tags, ["a b", "c&d=e", "é+1=2", "100%"]);
    assert_eq!(out.limit, 25);
    assert_eq!(out.exact, Some(true));
    assert_eq!(out.actor.as_ref().map(Did::as_str), Some(DID));
    assert_eq!(*state.searches.lock().unwrap(), vec![params]);

    let http = state.http();
    assert_eq!(http[0].method, "GET");
    assert_eq!(http[0].path, "/xrpc/com.example.e2e.search");
    assert!(http[0].body.is_empty());
    assert_eq!(
        pairs(http[0].query.as_deref().unwrap()),
        strings(&[
            "q",
            "hello world?#%2B",
            "tags",
            "a b",
            "tags",
            "c&d=e",
            "tags",
            "é+1=2",
            "tags",
            "100%",
            "exact",
            "true",
            "actor",
            DID,
        ])
    );

    // Only the required parameter: absent optionals and the unchanged default are not
    // written; a changed default is.
    search::call(&c, &search::Params::new("x".into()))
        .await
        .unwrap();
    assert_eq!(
        pairs(state.http()[1].query.as_deref().unwrap()),
        strings(&["q", "x"])
    );
    let changed = search::Params {
        limit: 7,
        ..search::Params::new("x".into())
    };
    search::call(&c, &changed).await.unwrap();
    assert_eq!(
        pairs(state.http()[2].query.as_deref().unwrap()),
        strings(&["q", "x", "limit", "7"])
    );

    // The server applies the default when the request leaves it out, and reads repeated keys.
    let raw_client = reqwest::Client::new();
    let (status, _, body) = raw(raw_client.get(format!(
        "{url}/xrpc/com.example.e2e.search?q=y&tags=one&tags=two&exact=false&ignored=1"
    )))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({"q": "y", "tags": ["one", "two"], "limit": 25, "exact": false})
    );
    let seen = state.searches.lock().unwrap()[3].clone();
    assert_eq!(
        seen,
        search::Params {
            tags: Some(vec!["one".into(), "two".into()]),
            exact: Some(false),
            ..search::Params::new("y".into())
        }
    );
}

// ---------------------------------------------------------------------------------------------
// The server's own checks, seen with raw HTTP.

#[tokio::test]
async fn server_rejects_invalid_query_parameters() {
    let (url, state) = start().await;
    let http = reqwest::Client::new();
    let base = format!("{url}/xrpc/com.example.e2e.search");
    // Each message names the parameter and the rule it broke.
    let cases: [(&str, &[&str]); 9] = [
        (
            "?q=x&limit=abc",
            &["parameter `limit`", "must be an integer", "\"abc\""],
        ),
        (
            "?q=x&limit=101",
            &["`limit` is 101", "more than maximum 100"],
        ),
        ("?q=x&limit=0", &["`limit` is 0", "less than minimum 1"]),
        (
            "?q=x&limit=1&limit=2",
            &["parameter `limit`", "given 2 times"],
        ),
        (
            "?q=x&limit=99999999999999999999",
            &["parameter `limit`", "must be an integer"],
        ),
        (
            "?q=x&exact=yes",
            &["parameter `exact`", "must be true or false"],
        ),
        (
            "?q=x&actor=not-a-did",
            &["parameter `actor`", "invalid did \"not-a-did\""],
        ),
        ("?limit=5", &["missing field `q`"]),
        ("", &["missing field `q`"]),
    ];
    for (query, hints) in cases {
        let (status, ct, body) = raw(http.get(format!("{base}{query}"))).await;
        assert_eq!(status, 400, "status for {query:?}");
        assert_eq!(
            ct.as_deref(),
            Some("application/json"),
            "content type for {query:?}"
        );
        assert_eq!(
            body["error"], "InvalidRequest",
            "error for {query:?}: {body}"
        );
        let message = body["message"].as_str().unwrap_or_default();
        for hint in hints {
            assert!(
                message.contains(hint),
                "message for {query:?} says {hint:?}: {message:?}"
            );
        }
    }
    assert_eq!(state.handler_calls(), 0);
    assert_eq!(state.http().len(), cases.len());
}

#[tokio::test]
async fn unknown_methods_get_501_and_wrong_http_methods_an_xrpc_error() {
    let (url, state) = start().await;
    let http = reqwest::Client::new();

    let (status, _, body) = raw(http.get(format!("{url}/xrpc/com.example.e2e.nothingHere"))).await;
    assert_eq!(status, 501);
    assert_eq!(body["error"], "MethodNotImplemented");
    let (status, _, body) = raw(http.post(format!("{url}/xrpc/com.example.e2e.nothingHere"))).await;
    assert_eq!(status, 501);
    assert_eq!(body["error"], "MethodNotImplemented");

    // The generated client gets it as an XRPC error: a server that lacks `search`.
    let only_login = Router::new()
        .procedure(create_session::Method, |_req| async {
            Err::<create_session::Output, _>(ServerError::internal("unused"))
        })
        .into_axum();
    let other = serve(only_login).await;
    let err = search::call(&client(&other), &search::Params::new("x".into()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::NOT_IMPLEMENTED));
    assert_eq!(err.xrpc_name(), Some("MethodNotImplemented"));
    assert!(err.known().is_none());

    // A query called with POST, a procedure with GET.
    let (status, ct, body) = raw(http.post(format!("{url}/xrpc/com.example.e2e.search?q=x"))).await;
    assert_eq!(status, 405);
    assert_eq!(ct.as_deref(), Some("application/json"));
    assert_eq!(body["error"], "InvalidRequest");
    assert_eq!(body["message"], "this method takes HTTP GET");
    let (status, _, body) =
        raw(http.get(format!("{url}/xrpc/com.atproto.server.createSession"))).await;
    assert_eq!(status, 405);
    assert_eq!(body["error"], "InvalidRequest");
    assert_eq!(body["message"], "this method takes HTTP POST");
    let (status, _, body) = raw(http
        .delete(format!("{url}/xrpc/com.example.e2e.echo"))
        .header("content-type", "application/json")
        .body(r#"{"text":"hi","count":1}"#))
    .await;
    assert_eq!(status, 405);
    assert_eq!(body["error"], "InvalidRequest");

    assert_eq!(state.handler_calls(), 0);
}

#[tokio::test]
async fn server_validates_input_before_the_handler_runs() {
    let (url, state) = start().await;
    let http = reqwest::Client::new();
    let echo_url = format!("{url}/xrpc/com.example.e2e.echo");
    let json = Some("application/json");
    // Each message names the property (or the body, or the content type) and the rule broken.
    let cases: Vec<(Option<&str>, &str, &[&str])> = vec![
        (
            json,
            r#"{"text":"abcdef","count":1}"#,
            &["`text` has 6 graphemes", "more than maxGraphemes 5"],
        ),
        (
            json,
            r#"{"text":"hi","count":11}"#,
            &["`count` is 11", "more than maximum 10"],
        ),
        (
            json,
            r#"{"text":"hi","count":0}"#,
            &["`count` is 0", "less than minimum 1"],
        ),
        (
            json,
            r#"{"text":"hi","count":1,"tags":["a","b","c","d"]}"#,
            &["`tags` has 4 items", "more than maxLength 3"],
        ),
        (
            json,
            r#"{"text":"hi","count":1,"tags":["ok","elevenchars"]}"#,
            &["`tags[1]` is 11 UTF-8 bytes long", "more than maxLength 10"],
        ),
        (json, r#"{"text":"hi"}"#, &["missing field `count`"]),
        (
            json,
            r#"{"text":5,"count":1}"#,
            &["at `text`", "integer `5`, expected a string"],
        ),
        (
            json,
            r#"{"text":"hi","count":1.5}"#,
            &["at `count`", "floating point `1.5`, expected an integer"],
        ),
        (
            json,
            r#"{"text":"hi","count":1,"author":"not-a-did"}"#,
            &["at `author`", "invalid did \"not-a-did\""],
        ),
        (
            json,
            r#"{"text":"hi","count":1,"text":"dup"}"#,
            &["duplicate field `text`"],
        ),
        (
            json,
            r#"["text","hi"]"#,
            &["invalid JSON body", "sequence, expected an object"],
        ),
        (
            json,
            "null",
            &["invalid JSON body", "null, expected an object"],
        ),
        (
            json,
            "",
            &["invalid JSON body", "EOF while parsing a value"],
        ),
        (
            json,
            "\u{0}\u{1}garbage{{{",
            &["invalid JSON body", "expected value at line 1 column 1"],
        ),
        (
            json,
            r#"{"text":"hi","count":1"#,
            &["invalid JSON body", "EOF while parsing an object"],
        ),
        (
            Some("text/plain"),
            r#"{"text":"hi","count":1}"#,
            &["expected application/json", "content type \"text/plain\""],
        ),
        (
            Some("application/x-www-form-urlencoded"),
            "text=hi&count=1",
            &[
                "expected application/json",
                "content type \"application/x-www-form-urlencoded\"",
            ],
        ),
        (
            None,
            r#"{"text":"hi","count":1}"#,
            &["expected application/json", "got no content type"],
        ),
    ];
    for (ct, body, hints) in &cases {
        let mut req = http.post(&echo_url).body(*body);
        if let Some(ct) = ct {
            req = req.header("content-type", *ct);
        }
        let (status, rct, answer) = raw(req).await;
        assert_eq!(status, 400, "status for {ct:?} {body:?}: {answer}");
        assert_eq!(rct.as_deref(), Some("application/json"));
        assert_eq!(answer["error"], "InvalidRequest", "for {ct:?} {body:?}");
        let message = answer["message"].as_str().unwrap_or_default();
        for hint in *hints {
            assert!(
                message.contains(hint),
                "message for {ct:?} {body:?} says {hint:?}: {message:?}"
            );
        }
    }
    // createSession without the password.
    let (status, _, answer) = raw(http
        .post(format!("{url}/xrpc/com.atproto.server.createSession"))
        .header("content-type", "application/json")
        .body(r#"{"identifier":"alice.test"}"#))
    .await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"], "InvalidRequest");
    assert!(state.sessions.lock().unwrap().is_empty());
    assert_eq!(
        state.handler_calls(),
        0,
        "no invalid request reached a handler"
    );

    // The same route accepts a valid body (a content type with parameters is still JSON).
    let (status, _, answer) = raw(http
        .post(&echo_url)
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"text":"hi","count":1,"mood":"sad"}"#))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        serde_json::json!({"text": "hi", "count": 1, "tags": [], "mood": "sad"})
    );
    assert_eq!(state.handler_calls(), 1);
}

// ---------------------------------------------------------------------------------------------
// A hostile server: raw bytes over TCP.

/// Serves `response` (raw bytes, then close) to every connection; records each request head.
async fn hostile(response: Vec<u8>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let response = response.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let head = read_request(&mut sock).await;
                seen.lock().unwrap().push(head);
                let _ = sock.write_all(&response).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (url, heads)
}

/// Reads one request (head, then Content-Length bytes of body); returns the request line.
async fn read_request(sock: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return String::new(),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    head.lines().next().unwrap_or_default().to_owned()
}

/// An HTTP/1.1 response with a correct Content-Length.
fn response(status: &str, content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        out.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

const SESSION: &str = r#"{"accessJwt":"a","refreshJwt":"r","handle":"alice.test","did":"did:plc:ewvi7nxzyoun6zhxrhs64oiz"}"#;

async fn login_against(
    response: Vec<u8>,
    transport: ReqwestTransport,
) -> Result<create_session::Output, atlex::Error<create_session::Error>> {
    let (url, heads) = hostile(response).await;
    let c = atlex::Client::with_transport(&url, transport).unwrap();
    let result = create_session::call(
        &c,
        &create_session::Input::new("alice.test".into(), "pw".into()),
    )
    .await;
    assert_eq!(
        heads.lock().unwrap().first().map(String::as_str),
        Some("POST /xrpc/com.atproto.server.createSession HTTP/1.1"),
        "the request reached the hostile server"
    );
    if let Err(e) = &result {
        // Display walks the whole error without panicking.
        assert!(!e.to_string().is_empty());
    }
    result
}

async fn login_hostile(
    response: Vec<u8>,
) -> Result<create_session::Output, atlex::Error<create_session::Error>> {
    login_against(response, ReqwestTransport::new()).await
}

#[track_caller]
fn expect_decode<T: std::fmt::Debug, E: std::fmt::Debug>(
    r: Result<T, atlex::Error<E>>,
    status: u16,
    excerpt_starts: &str,
) -> atlex::xrpc::DecodeError {
    match r {
        Err(atlex::Error::Decode(e)) => {
            assert_eq!(e.status.as_u16(), status, "{e:?}");
            if excerpt_starts.is_empty() {
                assert!(e.body_excerpt.is_empty(), "{e:?}");
            } else {
                assert!(e.body_excerpt.starts_with(excerpt_starts), "{e:?}");
            }
            e
        }
        other => panic!("expected Error::Decode with status {status}, got {other:?}"),
    }
}

#[track_caller]
fn expect_transport<T: std::fmt::Debug, E: std::fmt::Debug>(r: Result<T, atlex::Error<E>>) {
    match &r {
        Err(e @ atlex::Error::Transport(_)) => assert_eq!(e.status(), None),
        other => panic!("expected Error::Transport, got {other:?}"),
    }
}

#[tokio::test]
async fn hostile_server_garbage_and_broken_connections_are_transport_errors() {
    // Not HTTP at all.
    expect_transport(login_hostile(b"\x00\xffthis is not HTTP\r\n\r\n".to_vec()).await);
    // Closes without a byte.
    expect_transport(login_hostile(Vec::new()).await);
    // A 200 JSON body cut short: Content-Length promises more than is sent, then close.
    let mut cut = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        SESSION.len() + 100
    )
    .into_bytes();
    cut.extend_from_slice(&SESSION.as_bytes()[..40]);
    expect_transport(login_hostile(cut).await);
    // A chunked body that stops mid-chunk.
    let chunked = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n{\"accessJwt\":".to_vec();
    expect_transport(login_hostile(chunked).await);
    // Nobody listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = atlex::Client::new(&format!("http://127.0.0.1:{port}")).unwrap();
    expect_transport(
        create_session::call(&c, &create_session::Input::new("a".into(), "b".into())).await,
    );
}

#[tokio::test]
async fn hostile_server_bodies_that_are_not_the_output_are_decode_errors() {
    // An HTML page with 200.
    let html = b"<!doctype html><html><body>Welcome to nginx!</body></html>";
    let e = expect_decode(
        login_hostile(response("200 OK", Some("text/html"), html)).await,
        200,
        "<!doctype html>",
    );
    assert!(e.reason.contains("text/html"), "{e:?}");
    // JSON of the wrong shape. A JSON (or untyped) 200 body may hold session tokens, so a
    // decode error keeps no excerpt of it.
    expect_decode(
        login_hostile(response(
            "200 OK",
            Some("application/json"),
            br#"{"foo":1}"#,
        ))
        .await,
        200,
        "",
    );
    expect_decode(
        login_hostile(response(
            "200 OK",
            Some("application/json"),
            br#"{"accessJwt":1,"refreshJwt":"r","handle":"alice.test","did":"did:plc:ewvi7nxzyoun6zhxrhs64oiz"}"#,
        ))
        .await,
        200,
        "",
    );
    expect_decode(
        login_hostile(response("200 OK", Some("application/json"), b"[1,2,3]")).await,
        200,
        "",
    );
    expect_decode(
        login_hostile(response("200 OK", Some("application/json"), b"null")).await,
        200,
        "",
    );
    // An invalid DID (and handle) in the typed fields.
    let bad_did = SESSION.replace("did:plc:ewvi7nxzyoun6zhxrhs64oiz", "did:NOPE");
    expect_decode(
        login_hostile(response(
            "200 OK",
            Some("application/json"),
            bad_did.as_bytes(),
        ))
        .await,
        200,
        "",
    );
    let bad_handle = SESSION.replace("alice.test", "not a handle");
    expect_decode(
        login_hostile(response(
            "200 OK",
            Some("application/json"),
            bad_handle.as_bytes(),
        ))
        .await,
        200,
        "",
    );
    // An empty 200 body, with and without a content type.
    expect_decode(
        login_hostile(response("200 OK", Some("application/json"), b"")).await,
        200,
        "",
    );
    expect_decode(login_hostile(response("200 OK", None, b"")).await, 200, "");
    // The right JSON without a content type.
    expect_decode(
        login_hostile(response("200 OK", None, SESSION.as_bytes())).await,
        200,
        "",
    );
    // Invalid UTF-8 inside a JSON string.
    let mut bad_utf8 = SESSION.as_bytes().to_vec();
    bad_utf8[16] = 0xff;
    expect_decode(
        login_hostile(response("200 OK", Some("application/json"), &bad_utf8)).await,
        200,
        "",
    );
    // Nesting far deeper than any real document, inside `didDoc` (the lexicon's `unknown`).
    let deep = format!(
        r#"{{"accessJwt":"a","refreshJwt":"r","handle":"alice.test","did":"{DID}","didDoc":{{"a":{}{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    expect_decode(
        login_hostile(response(
            "200 OK",
            Some("application/json"),
            deep.as_bytes(),
        ))
        .await,
        200,
        "",
    );
}

#[tokio::test]
async fn hostile_server_error_statuses_without_an_xrpc_body_are_decode_errors() {
    let html = b"<html><body><h1>500 Internal Server Error</h1></body></html>";
    expect_decode(
        login_hostile(response(
            "500 Internal Server Error",
            Some("text/html"),
            html,
        ))
        .await,
        500,
        "<html>",
    );
    expect_decode(
        login_hostile(response(
            "500 Internal Server Error",
            Some("application/json"),
            br#"{"error": 5}"#,
        ))
        .await,
        500,
        "{\"error\": 5}",
    );
    expect_decode(
        login_hostile(response(
            "502 Bad Gateway",
            Some("application/json"),
            br#"{"error": ""}"#,
        ))
        .await,
        502,
        "{\"error\": \"\"}",
    );
    expect_decode(
        login_hostile(response("503 Service Unavailable", None, b"")).await,
        503,
        "",
    );
    expect_decode(
        login_hostile(response(
            "404 Not Found",
            Some("text/plain"),
            b"404 page not found",
        ))
        .await,
        404,
        "404 page",
    );
}

#[tokio::test]
async fn hostile_server_xrpc_errors_are_read_leniently() {
    // A 500 with an XRPC body: kept by name.
    let r = login_hostile(response(
        "500 Internal Server Error",
        Some("application/json"),
        br#"{"error":"InternalServerError","message":"boom"}"#,
    ))
    .await;
    match &r {
        Err(atlex::Error::Xrpc(e)) => {
            assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(e.name, "InternalServerError");
            assert_eq!(e.message.as_deref(), Some("boom"));
            assert!(e.known.is_none());
        }
        other => panic!("expected Error::Xrpc 500, got {other:?}"),
    }
    // A declared error without a message, without a content type, with extra properties.
    let r = login_hostile(response(
        "401 Unauthorized",
        None,
        br#"{"error":"AuthFactorTokenRequired","extra":[1]}"#,
    ))
    .await;
    let e = r.unwrap_err();
    assert_eq!(
        e.known(),
        Some(&create_session::Error::AuthFactorTokenRequired(None))
    );
    assert_eq!(e.status(), Some(StatusCode::UNAUTHORIZED));
    // A message that is not a string is dropped, the name is kept.
    let e = login_hostile(response(
        "400 Bad Request",
        Some("application/json"),
        br#"{"error":"AccountTakedown","message":{"nested":true}}"#,
    ))
    .await
    .unwrap_err();
    assert_eq!(
        e.known(),
        Some(&create_session::Error::AccountTakedown(None))
    );
    assert_eq!(e.status(), Some(StatusCode::BAD_REQUEST));
}

#[tokio::test]
async fn hostile_server_output_breaking_the_lexicon_is_invalid_response() {
    let body = br#"{"text":"abcdefg","count":1,"tags":[]}"#;
    let (url, _) = hostile(response("200 OK", Some("application/json"), body)).await;
    let r = echo::call(&client(&url), &echo::Input::new("hi".into(), 1)).await;
    match &r {
        Err(e @ atlex::Error::InvalidResponse(v)) => {
            assert_eq!(v.path_string(), "text");
            assert_eq!(v.rule(), &Rule::MaxGraphemes { max: 5, actual: 7 });
            assert_eq!(e.status(), Some(StatusCode::OK));
        }
        other => panic!("expected Error::InvalidResponse, got {other:?}"),
    }
    let body = br#"{"text":"hi","count":1,"tags":["a","b","c","d"]}"#;
    let (url, _) = hostile(response("200 OK", Some("application/json"), body)).await;
    match echo::call(&client(&url), &echo::Input::new("hi".into(), 1)).await {
        Err(atlex::Error::InvalidResponse(v)) => {
            assert_eq!(v.path_string(), "tags");
            assert_eq!(v.rule(), &Rule::MaxItems { max: 3, actual: 4 });
        }
        other => panic!("expected Error::InvalidResponse, got {other:?}"),
    }
    // And a well-formed answer with a charset parameter is accepted.
    let out = login_hostile(response(
        "200 OK",
        Some("application/json; charset=utf-8"),
        SESSION.as_bytes(),
    ))
    .await
    .unwrap();
    assert_eq!(out.did.as_str(), DID);
}

#[tokio::test]
async fn hostile_server_huge_body_is_refused_over_the_limit() {
    // 4 KiB of valid session JSON (a long token) against a 1 KiB limit.
    let big = SESSION.replace("\"a\"", &format!("\"{}\"", "a".repeat(4096)));
    let limited = || ReqwestTransport::new().max_body(1024);
    expect_transport(
        login_against(
            response("200 OK", Some("application/json"), big.as_bytes()),
            limited(),
        )
        .await,
    );
    // The same with no Content-Length (chunked).
    let mut chunked =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for part in big.as_bytes().chunks(500) {
        chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend_from_slice(part);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    expect_transport(login_against(chunked, limited()).await);
    // A huge error body too.
    let big_error = format!(
        r#"{{"error":"AuthenticationRequired","message":"{}"}}"#,
        "x".repeat(4096)
    );
    expect_transport(
        login_against(
            response(
                "401 Unauthorized",
                Some("application/json"),
                big_error.as_bytes(),
            ),
            limited(),
        )
        .await,
    );
    // Under the limit, the same transport works.
    let out = login_against(
        response("200 OK", Some("application/json"), SESSION.as_bytes()),
        limited(),
    )
    .await
    .unwrap();
    assert_eq!(out.handle.as_str(), HANDLE);
    // Without the small limit the big answer is fine.
    let out = login_hostile(response("200 OK", Some("application/json"), big.as_bytes()))
        .await
        .unwrap();
    assert_eq!(out.access_jwt.len(), 4096);
}

// ---------------------------------------------------------------------------------------------
// Secrets stay out of Debug.

#[tokio::test]
async fn debug_of_input_and_output_redacts_password_and_tokens() {
    let input = create_session::Input {
        auth_factor_token: Some(AUTH_TOKEN.into()),
        ..create_session::Input::new(HANDLE.into(), PASSWORD.into())
    };
    let output = create_session::Output::new(
        ACCESS_JWT.into(),
        REFRESH_JWT.into(),
        HANDLE.parse().unwrap(),
        DID.parse().unwrap(),
    );
    let request = XrpcRequest {
        params: NoParams {},
        input: input.clone(),
        headers: Default::default(),
    };
    for text in [
        format!("{input:?}"),
        format!("{input:#?}"),
        format!("{output:?}"),
        format!("{output:#?}"),
        format!("{request:?}"),
        format!("{:?}", Some(&input)),
    ] {
        for secret in [PASSWORD, AUTH_TOKEN, ACCESS_JWT, REFRESH_JWT] {
            assert!(!text.contains(secret), "Debug shows {secret:?}: {text}");
        }
    }
    // What is not secret is still shown.
    assert!(format!("{input:?}").contains(HANDLE));
    assert!(format!("{output:?}").contains(DID));

    // A real round trip: the output that came back is redacted too.
    let (url, _) = start().await;
    let out = create_session::call(&client(&url), &input).await.unwrap();
    assert_eq!(out.access_jwt, ACCESS_JWT);
    let text = format!("{out:?}");
    assert!(
        !text.contains(ACCESS_JWT) && !text.contains(REFRESH_JWT),
        "{text}"
    );
}

#[tokio::test]
async fn status_of_an_invalid_response_is_the_status_the_server_sent() {
    let body = br#"{"text":"abcdefg","count":1,"tags":[]}"#;
    let (url, _) = hostile(response("201 Created", Some("application/json"), body)).await;
    let err = echo::call(&client(&url), &echo::Input::new("hi".into(), 1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, atlex::Error::InvalidResponse(_)),
        "expected Error::InvalidResponse, got {err:?}"
    );
    assert_eq!(
        err.status(),
        Some(StatusCode::CREATED),
        "BUG (runtime/src/xrpc/error.rs, Error::status): InvalidResponse reports a hardcoded 200, \
         not the 201 the server answered"
    );
}

#[tokio::test]
async fn decode_error_of_a_session_response_does_not_show_the_tokens() {
    // A session answer that fails to decode (bad handle) but carries both tokens.
    let body = format!(
        r#"{{"accessJwt":"{ACCESS_JWT}","refreshJwt":"{REFRESH_JWT}","handle":"not a handle","did":"{DID}"}}"#
    );
    let err = login_hostile(response(
        "200 OK",
        Some("application/json"),
        body.as_bytes(),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(err, atlex::Error::Decode(_)),
        "expected Error::Decode, got {err:?}"
    );
    for text in [format!("{err:?}"), err.to_string()] {
        for secret in [ACCESS_JWT, REFRESH_JWT] {
            assert!(
                !text.contains(secret),
                "BUG (runtime/src/xrpc/error.rs, DecodeError::body_excerpt): the error of a \
                 createSession response that failed to decode shows the token {secret:?} in \
                 Debug/Display: {text}"
            );
        }
    }
}

#[tokio::test]
async fn server_answers_an_oversized_body_with_an_xrpc_error() {
    let (url, state) = start().await;
    // 3 MiB of valid input (the extra property is kept), over axum's default 2 MB body limit.
    let mut input = echo::Input::new("hi".into(), 1);
    input.extra.insert(
        "pad".into(),
        atlex::types::Data::String("x".repeat(3 << 20)),
    );
    let err = echo::call(&client(&url), &input).await.unwrap_err();
    assert_eq!(state.handler_calls(), 0);
    assert_eq!(err.status(), Some(StatusCode::PAYLOAD_TOO_LARGE), "{err:?}");
    assert!(
        matches!(err, atlex::Error::Xrpc(_)),
        "BUG (runtime/src/server.rs, Router::procedure): a request body over axum's default \
         limit is answered 413 text/plain \"Failed to buffer the request body: length limit \
         exceeded\", not an XRPC error body, so the client sees {err:?}"
    );
}
