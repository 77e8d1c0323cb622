//! Inter-service auth (feature `auth`): the short-lived JWTs that a PDS signs with an
//! account's key when it calls a feed generator, a labeler or an AppView for that account, and
//! that such a service verifies against the account's DID document.
//!
//! - Mint: [`ServiceTokenBuilder`] (or [`mint_service_token`]) signs a token with a local
//!   [`Keypair`](crate::crypto::Keypair), for a service that calls another one in its own
//!   name ([`ServiceAuthClient`] signs one for each call it sends); [`request_service_token`] asks a PDS for one in a logged-in account's name
//!   (`com.atproto.server.getServiceAuth`).
//! - Verify: [`verify_service_token`] checks one token; a server keeps a
//!   [`ServiceAuthVerifier`], which holds the resolver, the audiences it answers to, the clock
//!   leeway and, when turned on, the store of tokens already seen. With the `server` feature,
//!   `Caller` is an axum extractor that gives a handler the verified caller, and every
//!   [`ServiceAuthError`] answers `401` with the XRPC error body.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use atlex::auth::{ServiceAuthVerifier, ServiceTokenBuilder};
//! use atlex::crypto::Keypair;
//! use atlex::identity::Resolver;
//!
//! // A service that calls another in its own name.
//! let keypair = Keypair::generate_k256();
//! let token = ServiceTokenBuilder::new("did:web:caller.example.com", "did:web:feed.example.com#bsky_fg")
//!     .lxm("app.bsky.feed.getFeedSkeleton")
//!     .sign(&keypair)?;
//!
//! // The service called: its DID, with and without the service's fragment.
//! let verifier = ServiceAuthVerifier::builder(Resolver::new(), "did:web:feed.example.com")
//!     .audience("did:web:feed.example.com#bsky_fg")
//!     .build();
//! let claims = verifier.verify(&token, Some("app.bsky.feed.getFeedSkeleton")).await?;
//! println!("called by {}", claims.iss);
//! # Ok(())
//! # }
//! ```
//!
//! # The token
//!
//! A compact JWS: the header `{"typ": "JWT", "alg": "ES256K" | "ES256"}` (with `kid` when the
//! issuer names its key, as `#atproto`), the claims `iss` (the caller's DID), `aud` (the
//! service's DID, or `did#service_id` as the revised service-auth proposal allows), `exp`,
//! `iat`, `lxm` (the NSID of the one XRPC method the token is good for) and `jti` (a random
//! nonce), and an ECDSA signature over SHA-256 of `header.payload` with the key of the
//! issuer's DID document, as 64 compact bytes, low-S. This is what `@atproto/xrpc-server`'s
//! `createServiceJwt` makes, with `kid` added when asked for.
//!
//! # What verification checks, and where it differs from the reference
//!
//! In order (cheap checks first, so that a bad token costs no DID resolution):
//! 1. The token's form: three base64url parts, a JSON header with a string `alg` and no
//!    `crit`, a JSON payload with string `iss` and `aud`, integer `exp`, and `iat`, `lxm`,
//!    `jti` of the right types where present.
//! 2. `typ`: `at+jwt` (an OAuth or PDS access token), `refresh+jwt` (a PDS refresh token) and
//!    `dpop+jwt` (a DPoP proof) are refused, as the reference refuses them.
//! 3. `alg`: `ES256K` or `ES256` only (`none`, `HS256`, `RS256`... are refused), and it must be
//!    the curve of the issuer's key.
//! 4. Time: `exp` must not be past and `iat`, when present, not ahead, each with a leeway
//!    (default [`ServiceAuthVerifierBuilder::DEFAULT_LEEWAY`], 5 seconds, as indigo). The
//!    reference (`verifyJwt` of `@atproto/xrpc-server` 0.13) checks `exp` with no leeway and
//!    does not read `iat`.
//! 5. `aud`: one of the audiences the service accepts, compared exactly. A bare DID and
//!    `did#service_id` are different audiences; a service that answers to both lists both.
//! 6. `lxm`: when the caller names a method, the token's `lxm` must be that method; a token
//!    without `lxm` is refused (the revised proposal makes `lxm` required), unless
//!    [`ServiceAuthVerifierBuilder::allow_missing_lxm`] says otherwise.
//! 7. `iss`: a DID, or a DID with a `#fragment` (the older form of labelers); the key comes
//!    from that DID's document.
//! 8. The key: the verification method named by `kid` (`#atproto` when absent; for an older
//!    token whose `iss` ends in `#atproto_labeler`, `#atproto_label`, as the reference PDS
//!    reads it), which must be one the verifier accepts (only `atproto` unless
//!    [`ServiceAuthVerifierBuilder::key_ids`] adds others, as the revised proposal advises).
//!    The document is resolved through the [`Resolver`] and its
//!    cache; when the key is missing, of the other curve, or does not verify the signature,
//!    the document is fetched again once (the key may have been rotated), never more.
//! 9. The signature. The reference verifies service tokens with `allowMalleableSig: true`, and
//!    so does atlex by default ([`PublicKey::verify_lenient`](crate::crypto::PublicKey::verify_lenient)):
//!    a high-S signature and a DER one are accepted. A token is not content-addressed, so its
//!    signature's twin authenticates the same claims and is worth no more than the token; the
//!    replay check keys on the claims (`iss`, `jti`), never on the token's bytes. Refusing
//!    them would turn away tokens the reference accepts (signers that give high-S P-256
//!    signatures, or DER). [`ServiceAuthVerifierBuilder::strict_signatures`] makes the check
//!    the protocol's strict one (compact and low-S only) for services that want it.
//! 10. Replay, when turned on ([`ServiceAuthVerifierBuilder::reject_replays`]): a token
//!     whose (`iss`, `jti`) was already accepted is refused, and a token without `jti` too.
//!     Seen pairs are kept until their `exp` (plus the leeway) in a bounded store.
//!
//! Every refusal is a [`ServiceAuthError`] variant whose message says what to do; none
//! contains the token.
//!
//! A verifier resolves the `iss` of tokens it has not verified yet: a did:web issuer makes the
//! service fetch `https://<host>/.well-known/did.json` of any host a caller names, and a bad
//! signature one more fetch (as in the reference). A service that must not reach its own
//! network builds its [`Resolver`] with a transport that refuses private addresses
//! ([`ResolverBuilder::transport`](crate::identity::ResolverBuilder::transport)).

mod error;
mod jwt;
mod mint;
#[cfg(feature = "server")]
mod server;
mod verify;

pub use error::{MintError, ServiceAuthError};
pub use mint::{mint_service_token, request_service_token, ServiceAuthClient, ServiceTokenBuilder};
#[cfg(feature = "server")]
pub use server::Caller;
pub use verify::{ServiceAuthVerifier, ServiceAuthVerifierBuilder};

use crate::identity::Resolver;
use crate::types::Did;

/// The methods this module calls: the official `com.atproto` documents of
/// [`atlex::lexicons`](crate::lexicons), re-exported here.
pub mod methods {
    pub use crate::lexicons::com::atproto::server::get_service_auth;
}

/// The claims of a verified service token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceClaims {
    /// The caller: the DID the token was issued by (without the `#fragment` an older token's
    /// `iss` may carry; that is [`ServiceClaims::iss_service`]).
    pub iss: Did,
    /// The `#fragment` of `iss`, without `#` (`atproto_labeler`), when the token has one.
    pub iss_service: Option<String>,
    /// The audience the token was made for: one of those the verifier accepts.
    pub aud: String,
    /// The XRPC method the token is good for (an NSID), when the token names one.
    pub lxm: Option<String>,
    /// When the token expires, in seconds since the Unix epoch.
    pub exp: i64,
    /// When the token was issued, in seconds since the Unix epoch, when the token says.
    pub iat: Option<i64>,
    /// The token's nonce, when it has one.
    pub jti: Option<String>,
    /// The verification method whose key signed the token, without `#` (`atproto`).
    pub key_id: String,
}

/// Verifies a service token for a service whose audience is `aud` (its DID, or
/// `did#service_id`), for the XRPC method `lxm` (`None`: any method, or none), with the
/// defaults of [`ServiceAuthVerifier`]: 5 seconds of clock leeway, the `#atproto` key, lenient
/// signatures, no replay check. A service that verifies many tokens, accepts more than one
/// audience or wants the replay check keeps a [`ServiceAuthVerifier`] instead.
pub async fn verify_service_token(
    resolver: &Resolver,
    token: &str,
    aud: &str,
    lxm: Option<&str>,
) -> Result<ServiceClaims, ServiceAuthError> {
    ServiceAuthVerifier::new(resolver.clone(), aud)
        .verify(token, lxm)
        .await
}

/// Seconds since the Unix epoch, now.
fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
