use super::{ErrorKind, StatusCode, TransportError};
use crate::ValidationError;
use std::fmt;

/// What went wrong with an XRPC call. `E` is the method's declared error enum.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E> {
    /// The params or input broke the lexicon; nothing was sent.
    InvalidRequest(ValidationError),
    /// The server answered with an XRPC error (`{"error": name, "message": ...}`).
    Xrpc(XrpcError<E>),
    /// The request could not be sent or the response not received.
    Transport(TransportError),
    /// The response could not be decoded: not the declared encoding, not valid JSON, not the
    /// lexicon's shape, or an error status without an XRPC error body.
    Decode(DecodeError),
    /// The response decoded but broke a lexicon constraint.
    InvalidResponse(InvalidOutput),
}

/// A response that decoded but broke the lexicon: the status it came with and the broken
/// rule. Derefs to the [`ValidationError`].
#[derive(Debug, Clone)]
pub struct InvalidOutput {
    /// The HTTP status of the response.
    pub status: StatusCode,
    /// What was broken, and where.
    pub error: ValidationError,
}

impl std::ops::Deref for InvalidOutput {
    type Target = ValidationError;
    fn deref(&self) -> &ValidationError {
        &self.error
    }
}

impl fmt::Display for InvalidOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<E> Error<E> {
    /// The declared error the server answered, if the name is one the lexicon declares.
    pub fn known(&self) -> Option<&E> {
        match self {
            Error::Xrpc(e) => e.known.as_ref(),
            _ => None,
        }
    }

    /// The HTTP status of the response, where there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Xrpc(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::InvalidResponse(e) => Some(e.status),
            Error::InvalidRequest(_) | Error::Transport(_) => None,
        }
    }

    /// Whether the server refused the call for its rate limit (HTTP 429): retry after
    /// [`Error::retry_after`].
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// The rate limit the server stated with its error answer.
    pub fn rate_limit(&self) -> Option<&super::RateLimit> {
        match self {
            Error::Xrpc(e) => e.rate_limit.as_deref(),
            _ => None,
        }
    }

    /// How long to wait before retrying, when the server said: its `retry-after` header, or
    /// else the reset of its rate limit.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::Xrpc(e) => e
                .retry_after
                .map(std::time::Duration::from_secs)
                .or_else(|| e.rate_limit.as_ref().and_then(|r| r.reset_after())),
            _ => None,
        }
    }

    /// The XRPC error name the server answered (declared or not).
    pub fn xrpc_name(&self) -> Option<&str> {
        match self {
            Error::Xrpc(e) => Some(&e.name),
            _ => None,
        }
    }
}

impl<E: ErrorKind> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidRequest(e) => write!(f, "invalid request, nothing was sent: {e}"),
            Error::Xrpc(e) => fmt::Display::fmt(e, f),
            Error::Transport(e) => write!(f, "transport error: {e}"),
            Error::Decode(e) => fmt::Display::fmt(e, f),
            Error::InvalidResponse(e) => write!(f, "the response broke the lexicon: {e}"),
        }
    }
}

impl<E: ErrorKind> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidRequest(e) => Some(e),
            Error::InvalidResponse(e) => Some(&e.error),
            Error::Transport(e) => Some(e),
            Error::Xrpc(_) | Error::Decode(_) => None,
        }
    }
}

/// An XRPC error answered by the server.
#[derive(Debug, Clone)]
pub struct XrpcError<E> {
    /// The HTTP status.
    pub status: StatusCode,
    /// The error name (`error` in the body), declared or not.
    pub name: String,
    /// The human-readable message (`message` in the body), if any.
    pub message: Option<String>,
    /// The declared error, when the lexicon declares `name`.
    pub known: Option<E>,
    /// The rate limit the server stated with the error (`ratelimit-*` headers).
    pub rate_limit: Option<Box<super::RateLimit>>,
    /// The `retry-after` header, in seconds, if the server sent one.
    pub retry_after: Option<u64>,
}

impl<E> fmt::Display for XrpcError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server answered {} {}", self.status.as_u16(), self.name)?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

/// A response that could not be decoded.
#[derive(Debug, Clone)]
pub struct DecodeError {
    /// The HTTP status of the response.
    pub status: StatusCode,
    /// What was wrong.
    pub reason: String,
    /// The start of the body as text (at most 200 characters), to help diagnose. Empty for a
    /// JSON (or untyped) body with a success status: such a body may hold session tokens or
    /// other secrets.
    pub body_excerpt: String,
}

impl DecodeError {
    pub(crate) fn new(
        status: StatusCode,
        content_type: Option<&str>,
        reason: impl Into<String>,
        body: &[u8],
    ) -> Self {
        let json_or_untyped =
            content_type.is_none_or(|ct| ct.to_ascii_lowercase().contains("json"));
        let body_excerpt = if status.is_success() && json_or_untyped {
            String::new()
        } else {
            let text = String::from_utf8_lossy(&body[..body.len().min(800)]);
            text.chars().take(200).collect()
        };
        DecodeError {
            status,
            reason: reason.into(),
            body_excerpt,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not decode the {} response: {}",
            self.status.as_u16(),
            self.reason
        )?;
        if !self.body_excerpt.is_empty() {
            write!(f, " (body starts {:?})", self.body_excerpt)?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// An operation that needs a logged-in [`Session`](super::Session) was given one that is not
/// (before [`Session::login`](super::Session::login), or after a logout or a refused refresh).
/// Nothing was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NotLoggedIn;

impl fmt::Display for NotLoggedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the session is not logged in: call Session::login first")
    }
}

impl std::error::Error for NotLoggedIn {}

/// As [`Error::InvalidRequest`]: nothing was sent.
impl<E> From<NotLoggedIn> for Error<E> {
    fn from(e: NotLoggedIn) -> Self {
        Error::InvalidRequest(ValidationError::new(crate::validate::Rule::Request(
            e.to_string().into(),
        )))
    }
}
