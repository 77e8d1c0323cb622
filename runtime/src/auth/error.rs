//! Why a service token was refused, and why one could not be made.

use crate::crypto::{Curve, SignatureError};
use crate::identity::ResolveError;
use std::fmt;

/// Why a service token was refused. Each variant says what was wrong and what to do; none
/// holds the token. [`ServiceAuthError::name`] is the XRPC error name a server answers with
/// (those of `@atproto/xrpc-server` where it has one), always with status `401`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceAuthError {
    /// The request has no `Authorization` header.
    MissingToken,
    /// The `Authorization` header is not `Bearer <token>`.
    BadAuthorizationHeader {
        /// What is wrong with it.
        reason: String,
    },
    /// The token is not a well-formed JWT: not three base64url parts, not JSON, or a claim
    /// missing or of the wrong type.
    Malformed {
        /// What is wrong, and where.
        reason: String,
    },
    /// The header's `typ` says the token is something else: an access token (`at+jwt`), a
    /// refresh token (`refresh+jwt`) or a DPoP proof (`dpop+jwt`).
    WrongType {
        /// The `typ` given.
        typ: String,
    },
    /// The header's `alg` is not `ES256K` or `ES256` (`none`, `HS256`, `RS256`...).
    UnsupportedAlgorithm {
        /// The `alg` given.
        alg: String,
    },
    /// The token expired: `exp` is before now, by more than the leeway.
    Expired {
        /// The token's `exp`, in seconds since the Unix epoch.
        exp: i64,
        /// Now, in seconds since the Unix epoch.
        now: i64,
    },
    /// The token says it was issued in the future: `iat` is after now, by more than the
    /// leeway.
    IssuedInFuture {
        /// The token's `iat`, in seconds since the Unix epoch.
        iat: i64,
        /// Now, in seconds since the Unix epoch.
        now: i64,
    },
    /// The token is for another service: its `aud` is none of those accepted.
    WrongAudience {
        /// The token's `aud`.
        aud: String,
        /// The audiences the verifier accepts.
        accepted: Vec<String>,
    },
    /// The token names no method (`lxm`), and this method requires one.
    MissingLxm {
        /// The method called.
        expected: String,
    },
    /// The token is for another method: its `lxm` is not the method called.
    WrongLxm {
        /// The token's `lxm`.
        lxm: String,
        /// The method called.
        expected: String,
    },
    /// The token's `iss` is not a DID (nor a DID with one `#fragment`).
    BadIssuer {
        /// The token's `iss`.
        iss: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The token names a key (`kid`) that this verifier does not take keys from.
    KeyIdNotAccepted {
        /// The key the token names, without `#`.
        key_id: String,
        /// The keys the verifier accepts, without `#`.
        accepted: Vec<String>,
    },
    /// The issuer's DID document could not be resolved.
    Resolve {
        /// The issuer's DID.
        did: String,
        /// Why.
        error: ResolveError,
    },
    /// The issuer's DID document has no usable key under the id the token names, after the
    /// document was fetched again.
    NoKey {
        /// The issuer's DID.
        did: String,
        /// The verification method looked for, without `#`.
        key_id: String,
        /// Why the key is not usable, when there is a method but its key is malformed.
        reason: Option<String>,
    },
    /// The header's `alg` is not the curve of the issuer's key, after the document was
    /// fetched again.
    AlgorithmMismatch {
        /// The token's `alg`.
        alg: String,
        /// The curve of the key in the issuer's document.
        key_curve: Curve,
    },
    /// The signature does not verify with the issuer's key, after the document was fetched
    /// again.
    BadSignature {
        /// The issuer's DID.
        did: String,
        /// Why the signature was refused.
        error: SignatureError,
    },
    /// The verifier refuses replays, and the token has no `jti` to tell it by.
    MissingJti,
    /// A token with this `iss` and `jti` was already accepted.
    Replayed {
        /// The issuer's DID.
        iss: String,
        /// The token's `jti`.
        jti: String,
    },
}

impl ServiceAuthError {
    /// The XRPC error name a server answers with: `AuthenticationRequired` for a missing
    /// token, an issuer that can not be resolved or a key that is not there (as the
    /// reference), else the `BadJwt...` and `JwtExpired` names of `@atproto/xrpc-server`
    /// (`BadJwt` for what the reference does not check).
    pub fn name(&self) -> &'static str {
        match self {
            ServiceAuthError::MissingToken
            | ServiceAuthError::Resolve { .. }
            | ServiceAuthError::NoKey { .. } => "AuthenticationRequired",
            ServiceAuthError::BadAuthorizationHeader { .. }
            | ServiceAuthError::Malformed { .. }
            | ServiceAuthError::IssuedInFuture { .. }
            | ServiceAuthError::KeyIdNotAccepted { .. }
            | ServiceAuthError::MissingJti
            | ServiceAuthError::Replayed { .. } => "BadJwt",
            ServiceAuthError::WrongType { .. } => "BadJwtType",
            ServiceAuthError::Expired { .. } => "JwtExpired",
            ServiceAuthError::WrongAudience { .. } => "BadJwtAudience",
            ServiceAuthError::MissingLxm { .. } | ServiceAuthError::WrongLxm { .. } => {
                "BadJwtLexiconMethod"
            }
            ServiceAuthError::BadIssuer { .. } => "BadJwtIss",
            ServiceAuthError::UnsupportedAlgorithm { .. }
            | ServiceAuthError::AlgorithmMismatch { .. }
            | ServiceAuthError::BadSignature { .. } => "BadJwtSignature",
        }
    }

    /// The HTTP status a server answers with: `401`.
    pub fn status(&self) -> u16 {
        401
    }

    /// Whether the same token may pass later: the issuer's document could not be fetched for
    /// a reason that may pass (a timeout, a failed connection, a server error).
    pub fn is_transient(&self) -> bool {
        matches!(self, ServiceAuthError::Resolve { error, .. } if error.is_transient())
    }
}

impl fmt::Display for ServiceAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NEW_TOKEN: &str =
            "ask the caller's PDS for a new one (com.atproto.server.getServiceAuth)";
        match self {
            ServiceAuthError::MissingToken => f.write_str(
                "no service token: send `Authorization: Bearer <token>` with a token from the caller's PDS (com.atproto.server.getServiceAuth)",
            ),
            ServiceAuthError::BadAuthorizationHeader { reason } => write!(
                f,
                "bad Authorization header ({reason}): send `Authorization: Bearer <token>`"
            ),
            ServiceAuthError::Malformed { reason } => write!(
                f,
                "not a well-formed service token ({reason}): send the token as the PDS gave it"
            ),
            ServiceAuthError::WrongType { typ } => write!(
                f,
                "a token of type {typ:?} is not a service token (an access or refresh token, or a DPoP proof, is for the PDS alone): {NEW_TOKEN}"
            ),
            ServiceAuthError::UnsupportedAlgorithm { alg } => write!(
                f,
                "unsupported signature algorithm {alg:?}: service tokens are signed with ES256K or ES256"
            ),
            ServiceAuthError::Expired { exp, now } => write!(
                f,
                "the service token expired at {exp} (now {now}, seconds since the epoch): {NEW_TOKEN}, and check the clocks"
            ),
            ServiceAuthError::IssuedInFuture { iat, now } => write!(
                f,
                "the service token is issued at {iat}, after now ({now}, seconds since the epoch): the issuer's clock is ahead; correct it or ask again"
            ),
            ServiceAuthError::WrongAudience { aud, accepted } => write!(
                f,
                "the service token is for {aud:?}, and this service is {}: ask for a token with one of those as `aud`",
                quoted(accepted)
            ),
            ServiceAuthError::MissingLxm { expected } => write!(
                f,
                "the service token names no method (lxm): ask for one with lxm {expected:?}"
            ),
            ServiceAuthError::WrongLxm { lxm, expected } => write!(
                f,
                "the service token is for the method {lxm:?}, not {expected:?}: ask for one with lxm {expected:?}"
            ),
            ServiceAuthError::BadIssuer { iss, reason } => write!(
                f,
                "the service token's iss {iss:?} is not a DID ({reason}): the issuer is the DID whose key signs the token"
            ),
            ServiceAuthError::KeyIdNotAccepted { key_id, accepted } => write!(
                f,
                "the service token is signed with the key #{key_id}, and this service takes only {}: sign with the #atproto key",
                accepted
                    .iter()
                    .map(|k| format!("#{k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ServiceAuthError::Resolve { did, error } => write!(
                f,
                "the issuer {did} could not be resolved ({error}){}",
                if error.is_transient() {
                    ": try again later"
                } else {
                    ": the token's iss must be a DID with a document"
                }
            ),
            ServiceAuthError::NoKey {
                did,
                key_id,
                reason,
            } => {
                write!(f, "the DID document of {did} has no usable #{key_id} key")?;
                if let Some(reason) = reason {
                    write!(f, " ({reason})")?;
                }
                f.write_str(": the issuer must publish the key that signs its tokens")
            }
            ServiceAuthError::AlgorithmMismatch { alg, key_curve } => write!(
                f,
                "the service token says {alg}, and the issuer's key is {key_curve} ({}): sign with the key in the DID document",
                key_curve.jwt_alg()
            ),
            ServiceAuthError::BadSignature { did, error } => write!(
                f,
                "the service token's signature does not verify with the key of {did}, fetched again ({error}): sign with the key in the issuer's DID document"
            ),
            ServiceAuthError::MissingJti => f.write_str(
                "the service token has no jti, and this service refuses tokens it can not tell apart: sign tokens with a random jti",
            ),
            ServiceAuthError::Replayed { iss, jti } => write!(
                f,
                "a service token from {iss} with jti {jti:?} was already used: {NEW_TOKEN} for each request"
            ),
        }
    }
}

impl std::error::Error for ServiceAuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServiceAuthError::Resolve { error, .. } => Some(error),
            ServiceAuthError::BadSignature { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Why a service token could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MintError {
    /// `iss` is not a DID (nor a DID with one `#fragment`).
    BadIssuer {
        /// What was given.
        iss: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `aud` is not a DID nor `did#service_id`.
    BadAudience {
        /// What was given.
        aud: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `lxm` is not an NSID.
    BadLxm {
        /// What was given.
        lxm: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No `lxm` was given, and [`super::ServiceTokenBuilder::without_lxm`] was not called:
    /// tokens for XRPC calls name their method.
    MissingLxm,
    /// The key id is not `#<fragment>`.
    BadKeyId {
        /// What was given.
        key_id: String,
    },
    /// The token would expire before, or when, it is issued.
    BadLifetime {
        /// `iat`, in seconds since the Unix epoch.
        iat: i64,
        /// `exp`, in seconds since the Unix epoch.
        exp: i64,
    },
}

impl fmt::Display for MintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MintError::BadIssuer { iss, reason } => {
                write!(f, "iss {iss:?} is not a DID ({reason}): give the signer's DID")
            }
            MintError::BadAudience { aud, reason } => write!(
                f,
                "aud {aud:?} is not a DID or `did#service_id` ({reason}): give the called service's DID"
            ),
            MintError::BadLxm { lxm, reason } => write!(
                f,
                "lxm {lxm:?} is not an NSID ({reason}): give the XRPC method's NSID"
            ),
            MintError::MissingLxm => f.write_str(
                "no lxm: give the NSID of the XRPC method the token is for, or call without_lxm() for a token that is good for any method",
            ),
            MintError::BadKeyId { key_id } => write!(
                f,
                "key id {key_id:?} is not `#<fragment>`: give the verification method's id, as `#atproto`"
            ),
            MintError::BadLifetime { iat, exp } => write!(
                f,
                "the token would expire at {exp}, not after it is issued ({iat}): give a later expiry"
            ),
        }
    }
}

impl std::error::Error for MintError {}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(" or ")
}
