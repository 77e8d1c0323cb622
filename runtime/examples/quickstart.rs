//! The quickstart: `cargo run --example quickstart`.
//!
//! One lexicon document, com.atproto.server.createSession, becomes both sides of an XRPC
//! method. This program starts the generated server on 127.0.0.1 with one in-memory account,
//! then uses the generated client to log in, to fail with a wrong password, and to get the
//! typed `AuthFactorTokenRequired` error once the account needs a second factor. It needs no
//! network beyond loopback and exits 0 when every step behaved as expected.

use atlex::server::{Router, ServerError, XrpcRequest};
use atlex::xrpc::NoParams;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

// Expands into `com::atproto::server::create_session` with Input, Output, OutputStatus,
// Error, Method and `call`.
atlex::lexicon!("lexicons/com/atproto/server/createSession.json");

use com::atproto::server::create_session::{self, Input, Output};

/// The server's one account.
struct Account {
    did: atlex::types::Did,
    handle: atlex::types::Handle,
    password: &'static str,
    /// When set, logging in also needs the emailed code.
    needs_token: AtomicBool,
    token: &'static str,
    sessions: AtomicU64,
}

/// The server side: checks the credentials and answers a session or an XRPC error.
async fn create_session(
    account: Arc<Account>,
    req: XrpcRequest<NoParams, Input>,
) -> Result<Output, ServerError<create_session::Error>> {
    let input = req.input;
    let known =
        input.identifier == account.handle.as_str() || input.identifier == account.did.as_str();
    if !known || input.password != account.password {
        return Err(ServerError::new(
            401,
            "AuthenticationRequired",
            "Invalid identifier or password",
        ));
    }
    if account.needs_token.load(Ordering::SeqCst)
        && input.auth_factor_token.as_deref() != Some(account.token)
    {
        return Err(create_session::Error::AuthFactorTokenRequired(Some(
            "A sign in code has been sent to your email address".into(),
        ))
        .into());
    }
    let n = account.sessions.fetch_add(1, Ordering::SeqCst);
    Ok(Output {
        email_auth_factor: Some(account.needs_token.load(Ordering::SeqCst)),
        active: Some(true),
        ..Output::new(
            format!("access-token-{n}"),
            format!("refresh-token-{n}"),
            account.handle.clone(),
            account.did.clone(),
        )
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let account = Arc::new(Account {
        did: "did:plc:ewvi7nxzyoun6zhxrhs64oiz".parse()?,
        handle: "alice.test".parse()?,
        password: "correct horse battery staple",
        needs_token: AtomicBool::new(false),
        token: "123456",
        sessions: AtomicU64::new(0),
    });

    // The server: an axum router built from the generated `Method` type.
    let state = account.clone();
    let app = Router::new().procedure(create_session::Method, move |req| {
        create_session(state.clone(), req)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(app.serve(listener));
    println!("server: com.atproto.server.createSession at {url}");

    // The client: the generated `call`, over reqwest.
    let client = atlex::Client::new(&url)?;

    // 1. Log in.
    let input = Input::new("alice.test".into(), "correct horse battery staple".into());
    println!("request: {input:?}");
    let session = create_session::call(&client, &input).await?;
    println!("1. logged in as {} ({})", session.handle, session.did);
    println!("   response: {session:?}");

    // 2. A wrong password: an XRPC error the lexicon does not declare, kept by name.
    let wrong = Input::new("alice.test".into(), "hunter2".into());
    match create_session::call(&client, &wrong).await {
        Err(e) if e.xrpc_name() == Some("AuthenticationRequired") && e.known().is_none() => {
            println!("2. wrong password refused: {e}");
        }
        other => return Err(format!("2. expected AuthenticationRequired, got {other:?}").into()),
    }

    // 3. The account now needs a second factor: the declared error arrives typed.
    account.needs_token.store(true, Ordering::SeqCst);
    match create_session::call(&client, &input).await {
        Err(e) => match e.known() {
            Some(create_session::Error::AuthFactorTokenRequired(message)) => {
                println!(
                    "3. second factor required (typed Error::AuthFactorTokenRequired): {}",
                    message.as_deref().unwrap_or("no message")
                );
            }
            _ => return Err(format!("3. expected AuthFactorTokenRequired, got {e}").into()),
        },
        Ok(_) => return Err("3. expected AuthFactorTokenRequired, but logged in".into()),
    }

    // 4. With the code, the login goes through.
    let with_token = Input {
        auth_factor_token: Some("123456".into()),
        ..input
    };
    let session = create_session::call(&client, &with_token).await?;
    println!(
        "4. logged in with the code; email auth factor on: {:?}",
        session.email_auth_factor
    );
    println!("done: every step behaved as expected");
    Ok(())
}
