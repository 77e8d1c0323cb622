//! Why a resolution failed, and why a login through the resolver failed.

use crate::xrpc::TransportErrorKind;
use std::fmt;
use std::time::Duration;

/// Why a handle or DID could not be resolved. Every variant names what was asked and what went
/// wrong; [`ResolveError::is_transient`] tells the ones worth retrying later.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolveError {
    /// The input is neither a valid handle nor a valid DID.
    InvalidIdentifier {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A DID of a method atproto does not use (only `did:plc` and `did:web` resolve).
    UnsupportedMethod {
        /// The DID.
        did: String,
    },
    /// A `did:web` with a path (`did:web:example.com:alice`), which atproto does not allow.
    UnsupportedDidWebPath {
        /// The DID.
        did: String,
    },
    /// No DID was found for the handle: each way of asking said so (or failed), as `detail`
    /// tells.
    HandleNotFound {
        /// The handle, lowercased.
        handle: String,
        /// What each way of asking answered (DNS, HTTPS, the handle service).
        detail: String,
    },
    /// The DID has no document: the PLC directory or the web host answered 404 or 410.
    DidNotFound {
        /// The DID.
        did: String,
        /// The HTTP status of the answer.
        status: u16,
    },
    /// The handle leads to a DID whose document does not claim the handle back (the first
    /// `at://` entry of its `alsoKnownAs` is another handle, or there is none).
    HandleMismatch {
        /// The handle asked, lowercased.
        handle: String,
        /// The DID the handle pointed to.
        did: String,
        /// The handle the document claims instead, if any.
        claimed: Option<String>,
    },
    /// The document served for a DID has another DID as its `id`.
    DocumentIdMismatch {
        /// The DID asked.
        did: String,
        /// The `id` of the document that came back.
        id: String,
    },
    /// What came back for a DID is not a valid DID document.
    MalformedDocument {
        /// The DID asked.
        did: String,
        /// What is wrong, with the JSON path where there is one.
        reason: String,
    },
    /// A handle service answered something that is not a `resolveHandle` answer.
    MalformedResponse {
        /// Where the answer came from.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A response body was larger than the limit ([`super::ResolverBuilder::max_response_size`]).
    TooLarge {
        /// Where it came from.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A request or DNS lookup took longer than the timeout
    /// ([`super::ResolverBuilder::timeout`]).
    Timeout {
        /// What was asked (a URL, or a DNS name).
        what: String,
        /// The timeout.
        after: Duration,
    },
    /// A server answered with an HTTP status that is neither success nor "not found".
    Status {
        /// The URL asked.
        url: String,
        /// The status.
        status: u16,
    },
    /// A request failed on the way (connection refused, TLS, the host's name did not
    /// resolve...).
    Transport {
        /// The URL asked.
        url: String,
        /// What kind of failure.
        kind: TransportErrorKind,
        /// The underlying error.
        message: String,
    },
    /// The resolver is not usable as configured (a PLC or handle-service URL that is not an
    /// http(s) URL, no HTTP transport).
    Config {
        /// What is wrong.
        reason: String,
    },
}

impl ResolveError {
    /// Whether trying again later may succeed: a timeout, a failed connection, a server error
    /// (5xx) or a rate limit (429). Answers that say what is there (not found, a mismatch, a
    /// malformed document) are not transient.
    pub fn is_transient(&self) -> bool {
        match self {
            ResolveError::Timeout { .. } | ResolveError::Transport { .. } => true,
            ResolveError::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// Whether this says the name does not exist (no DID for the handle, no document for the
    /// DID).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            ResolveError::HandleNotFound { .. } | ResolveError::DidNotFound { .. }
        )
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::InvalidIdentifier { input, reason } => write!(
                f,
                "{input:?} is neither a handle nor a DID ({reason}); give a handle such as \
                 alice.example.com or a DID such as did:plc:..."
            ),
            ResolveError::UnsupportedMethod { did } => write!(
                f,
                "{did}: unsupported DID method; atproto identities are did:plc or did:web"
            ),
            ResolveError::UnsupportedDidWebPath { did } => write!(
                f,
                "{did}: did:web with a path is not allowed in atproto (host name only)"
            ),
            ResolveError::HandleNotFound { handle, detail } => {
                write!(f, "no DID found for the handle {handle}: {detail}")
            }
            ResolveError::DidNotFound { did, status } => {
                write!(f, "{did} has no DID document (HTTP {status})")
            }
            ResolveError::HandleMismatch {
                handle,
                did,
                claimed,
            } => match claimed {
                Some(c) => write!(
                    f,
                    "the handle {handle} points to {did}, whose DID document claims the handle \
                     {c} instead: the handle is not verified"
                ),
                None => write!(
                    f,
                    "the handle {handle} points to {did}, whose DID document claims no handle \
                     (no at:// entry in alsoKnownAs): the handle is not verified"
                ),
            },
            ResolveError::DocumentIdMismatch { did, id } => write!(
                f,
                "the DID document served for {did} is the document of {id}: refused"
            ),
            ResolveError::MalformedDocument { did, reason } => {
                write!(f, "the DID document of {did} is malformed: {reason}")
            }
            ResolveError::MalformedResponse { url, reason } => {
                write!(f, "malformed answer from {url}: {reason}")
            }
            ResolveError::TooLarge { url, limit } => write!(
                f,
                "the answer from {url} is larger than the {limit} byte limit \
                 (ResolverBuilder::max_response_size)"
            ),
            ResolveError::Timeout { what, after } => write!(
                f,
                "{what}: no answer within {} ms (ResolverBuilder::timeout)",
                after.as_millis()
            ),
            ResolveError::Status { url, status } => {
                write!(f, "{url} answered with HTTP status {status}")
            }
            ResolveError::Transport { url, message, .. } => {
                write!(f, "request to {url} failed: {message}")
            }
            ResolveError::Config { reason } => write!(f, "identity resolver: {reason}"),
        }
    }
}

impl std::error::Error for ResolveError {}

/// Why [`crate::xrpc::Session::login_with`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoginError {
    /// The handle or DID did not resolve.
    Resolve(ResolveError),
    /// The DID document names no PDS (no `#atproto_pds` service).
    NoPds {
        /// The account's DID.
        did: crate::types::Did,
    },
    /// The PDS the DID document names is not a usable base URL.
    InvalidPds {
        /// The account's DID.
        did: crate::types::Did,
        /// The endpoint as the document gives it.
        pds: String,
        /// What is wrong with it.
        reason: crate::xrpc::ClientError,
    },
    /// The PDS refused the login (`createSession`): a wrong password, a missing
    /// `auth_factor_token`...
    Login(crate::Error<crate::xrpc::session_methods::create_session::Error>),
    /// The PDS logged in another account than the one resolved (the session was logged out
    /// again).
    WrongAccount {
        /// The DID resolved.
        expected: crate::types::Did,
        /// The DID the PDS's session is for.
        got: crate::types::Did,
    },
}

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginError::Resolve(e) => write!(f, "could not find the account's PDS: {e}"),
            LoginError::NoPds { did } => write!(
                f,
                "the DID document of {did} names no PDS (no #atproto_pds service)"
            ),
            LoginError::InvalidPds { did, pds, reason } => {
                write!(f, "the PDS of {did}, {pds:?}, is not usable: {reason}")
            }
            LoginError::Login(e) => write!(f, "login refused: {e}"),
            LoginError::WrongAccount { expected, got } => write!(
                f,
                "the PDS logged in {got} where {expected} was asked; logged out again"
            ),
        }
    }
}

impl std::error::Error for LoginError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoginError::Resolve(e) => Some(e),
            LoginError::InvalidPds { reason, .. } => Some(reason),
            LoginError::Login(e) => Some(e),
            LoginError::NoPds { .. } | LoginError::WrongAccount { .. } => None,
        }
    }
}

impl From<ResolveError> for LoginError {
    fn from(e: ResolveError) -> Self {
        LoginError::Resolve(e)
    }
}
