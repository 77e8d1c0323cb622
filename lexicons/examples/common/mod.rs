//! What the examples share: the PDS to run against and a new account on it.
//!
//! A real program logs in to an account it already has; the examples make their own on a
//! test PDS (`bash pds/start.sh` starts the reference PDS locally), so that every run starts
//! from nothing.

use atlex::xrpc::Session;
use atlex::Client;
use atlex_lexicons::com::atproto::server::create_account;
use std::hash::BuildHasher;

/// The error type of the examples' `main`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The PDS named by `ATLEX_PDS_URL`; without it, says how to start one and exits with 2.
pub fn pds_url() -> String {
    std::env::var("ATLEX_PDS_URL").unwrap_or_else(|_| {
        eprintln!("set ATLEX_PDS_URL to a PDS (start the local one with `bash pds/start.sh`)");
        std::process::exit(2);
    })
}

/// A new account `<prefix><8 random digits>.test` on the PDS at `pds`, logged in with its
/// handle and password.
pub async fn new_account(pds: &str, prefix: &str) -> Result<Session<Client>, BoxError> {
    let n = std::collections::hash_map::RandomState::new().hash_one(prefix) % 100_000_000;
    let handle = format!("{prefix}{n:08}.test");
    let password = format!("pw-{n}");
    let input = create_account::Input {
        email: Some(format!("{prefix}{n:08}@example.test")),
        password: Some(password.clone()),
        ..create_account::Input::new(handle.parse()?)
    };
    let client = Client::new(pds)?;
    create_account::call(&client, &input).await?;
    let session = Session::new(client);
    session.login(&handle, &password, None).await?;
    Ok(session)
}
