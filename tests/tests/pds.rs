//! The generated client against the reference PDS (@atproto/pds from @atproto/dev-env).
//!
//! Start it with `bash pds/start.sh`, then run with the URL it prints:
//! `ATLEX_PDS_URL=http://127.0.0.1:2583 cargo test -p atlex-tests --test pds`; stop it with
//! `bash pds/stop.sh`. Without `ATLEX_PDS_URL` every test says so and passes (and fails with
//! `ATLEX_REQUIRE_ALL=1`).

use atlex::types::{Did, Handle};
use atlex::xrpc::StatusCode;

atlex::lexicon!("../runtime/lexicons/com/atproto/server/createSession.json");

use com::atproto::server::create_session;

use atlex_tests::{create_account, pds_url, unique_letters};

fn client(pds: &str) -> atlex::Client {
    atlex::Client::new(pds).unwrap()
}

#[tokio::test]
async fn create_session_by_handle_returns_the_typed_account_and_working_tokens() {
    let Some(pds) = pds_url() else { return };
    let account = create_account(&pds, "").await;
    let input = create_session::Input::new(account.handle.clone(), account.password.clone());
    let out = create_session::call(&client(&pds), &input).await.unwrap();

    let did: &Did = &out.did;
    let handle: &Handle = &out.handle;
    assert_eq!(did.as_str(), account.did);
    assert_eq!(did.method(), "plc");
    assert_eq!(handle.as_str(), account.handle);
    assert!(!out.access_jwt.is_empty());
    assert!(!out.refresh_jwt.is_empty());
    assert_ne!(out.access_jwt, out.refresh_jwt);
    assert_eq!(
        out.access_jwt.split('.').count(),
        3,
        "the access token is a JWT"
    );
    assert_eq!(
        out.refresh_jwt.split('.').count(),
        3,
        "the refresh token is a JWT"
    );
    assert!(
        out.did_doc.is_none(),
        "this PDS sends no didDoc on createSession"
    );
    assert_eq!(out.email.as_deref(), Some(account.email.as_str()));
    assert_eq!(out.email_confirmed, Some(false));
    assert_eq!(out.active, Some(true));
    assert_eq!(out.status, None);

    // Debug keeps the real tokens out.
    let text = format!("{out:?}");
    assert!(
        !text.contains(&out.access_jwt) && !text.contains(&out.refresh_jwt),
        "{text}"
    );
    let text = format!("{input:?}");
    assert!(!text.contains(&account.password), "{text}");

    // The access token works: getSession with it names the same account.
    let resp = reqwest::Client::new()
        .get(format!("{pds}/xrpc/com.atproto.server.getSession"))
        .header("authorization", format!("Bearer {}", out.access_jwt))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let session: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(session["did"], account.did.as_str());
    assert_eq!(session["handle"], account.handle.as_str());
}

#[tokio::test]
async fn wrong_password_is_an_undeclared_401_authentication_required() {
    let Some(pds) = pds_url() else { return };
    let account = create_account(&pds, "").await;
    let input = create_session::Input::new(account.handle.clone(), "not the password".into());
    let err = create_session::call(&client(&pds), &input)
        .await
        .unwrap_err();
    assert!(err.known().is_none(), "{err:?}");
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(err.xrpc_name(), Some("AuthenticationRequired"));
    match &err {
        atlex::Error::Xrpc(e) => {
            assert_eq!(e.status, StatusCode::UNAUTHORIZED);
            assert_eq!(e.name, "AuthenticationRequired");
            assert_eq!(e.message.as_deref(), Some("Invalid identifier or password"));
            assert!(e.known.is_none());
        }
        other => panic!("expected Error::Xrpc, got {other:?}"),
    }

    // An identifier nobody has gets the same answer.
    let nobody = create_session::Input::new(
        format!("{}.test", unique_letters(10)),
        account.password.clone(),
    );
    let err = create_session::call(&client(&pds), &nobody)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(err.xrpc_name(), Some("AuthenticationRequired"));
    assert!(err.known().is_none());
}

#[tokio::test]
async fn create_session_by_did_and_by_email() {
    let Some(pds) = pds_url() else { return };
    let account = create_account(&pds, "").await;
    let c = client(&pds);
    for identifier in [account.did.clone(), account.email.clone()] {
        let input = create_session::Input::new(identifier.clone(), account.password.clone());
        let out = create_session::call(&c, &input)
            .await
            .unwrap_or_else(|e| panic!("login with {identifier:?}: {e}"));
        assert_eq!(out.did.as_str(), account.did, "login with {identifier:?}");
        assert_eq!(
            out.handle.as_str(),
            account.handle,
            "login with {identifier:?}"
        );
        assert!(!out.access_jwt.is_empty() && !out.refresh_jwt.is_empty());
    }
}

mod get_session_lex {
    // The part of com.atproto.server.getSession this test reads: an authenticated query.
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.server.getSession",
        "defs": { "main": { "type": "query",
            "output": { "encoding": "application/json", "schema": {
                "type": "object", "required": ["handle", "did"],
                "properties": {
                    "handle": { "type": "string", "format": "handle" },
                    "did": { "type": "string", "format": "did" }
                } } } } }
    });
}

#[tokio::test]
async fn session_logs_in_calls_with_the_token_refreshes_and_logs_out() {
    use get_session_lex::com::atproto::server::get_session;
    let Some(pds) = pds_url() else { return };
    let account = create_account(&pds, "").await;
    let session = atlex::xrpc::Session::new(client(&pds));

    // Without a session the PDS refuses the authenticated query.
    let err = get_session::call(&session).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED), "{err}");

    let data = session
        .login(&account.handle, &account.password, None)
        .await
        .unwrap();
    assert_eq!(data.did.as_str(), account.did);
    let me = get_session::call(&session).await.unwrap();
    assert_eq!(me.did.as_str(), account.did);
    assert_eq!(me.handle.as_str(), account.handle);

    // An explicit refresh rotates the refresh token (the access token may be byte-identical
    // when issued within the same second), and the new access token works.
    let refreshed = session.refresh().await.unwrap();
    assert_ne!(refreshed.refresh_jwt(), data.refresh_jwt());
    assert_eq!(
        get_session::call(&session).await.unwrap().did.as_str(),
        account.did
    );

    // Logging out revokes the refresh token on the PDS.
    session.logout().await.unwrap();
    assert!(session.data().is_none());
    let stale = atlex::xrpc::Session::resume(client(&pds), refreshed, None);
    let err = stale.refresh().await.unwrap_err();
    assert!(
        matches!(err.xrpc_name(), Some("ExpiredToken" | "InvalidToken")),
        "a revoked refresh token is refused: {err}"
    );
}
