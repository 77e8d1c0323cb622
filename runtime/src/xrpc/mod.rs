//! XRPC: the method traits generated code implements, the client side and its errors.
//!
//! Every generated method module has a `Method` unit struct implementing [`Query`] or
//! [`Procedure`], and a `call` function that validates, sends through any [`XrpcClient`]
//! (such as [`Client`]), decodes and validates the answer.

pub(crate) mod client;
mod error;
mod payload;
mod query;
mod session;
mod subscription;

#[cfg(feature = "reqwest")]
pub use client::ReqwestTransport;
pub use client::{
    Client, ClientError, RateLimit, Transport, TransportError, TransportErrorKind, XrpcClient,
    XrpcRequest,
};
pub use error::{DecodeError, Error, InvalidOutput, NotLoggedIn, XrpcError};
pub use http::StatusCode;
pub use payload::{Body, Payload};
#[doc(hidden)]
pub use query::parse_query_string;
pub use query::{NoParams, ParamKind, Params, ParamsError};
pub use session::{methods as session_methods, Session, SessionData, SessionStore};
#[doc(hidden)]
pub use subscription::Decoded;
pub use subscription::{Connect, Events, RawCommit, Subscription};
#[cfg(feature = "cbor")]
pub use subscription::{Event, WithRecords};

#[doc(hidden)]
pub use client::{call_procedure, call_query};
#[doc(hidden)]
pub use payload::JsonPayload;

use std::fmt::Debug;

/// The errors a method declares, as a generated enum with one variant per name.
pub trait ErrorKind: Sized + Debug + Send + Sync + 'static {
    /// The variant for an error `name` the server answered, if the lexicon declares it.
    fn from_parts(name: &str, message: Option<String>) -> Option<Self>;
    /// The declared error name, as on the wire (`AuthFactorTokenRequired`).
    fn name(&self) -> &'static str;
    /// The message carried with the error, if any.
    fn message(&self) -> Option<&str>;
}

/// The errors of a method that declares none: an empty enum (no value exists). A server's
/// error answer to such a method stays [`Error::Xrpc`] with its name and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoError {}

impl ErrorKind for NoError {
    #[inline]
    fn from_parts(_name: &str, _message: Option<String>) -> Option<Self> {
        None
    }

    #[inline]
    fn name(&self) -> &'static str {
        match *self {}
    }

    #[inline]
    fn message(&self) -> Option<&str> {
        match *self {}
    }
}

impl std::fmt::Display for NoError {
    fn fmt(&self, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {}
    }
}

impl std::error::Error for NoError {}

/// An XRPC query (HTTP GET): generated as the `Method` struct of a query document.
pub trait Query: Send + Sync + 'static {
    /// The method's NSID.
    const NSID: &'static str;
    /// The query parameters ([`NoParams`] when the lexicon declares none).
    type Params: Params;
    /// The response body (`()` when the lexicon declares no output).
    type Output: Payload;
    /// The declared errors.
    type Error: ErrorKind;
}

/// An XRPC procedure (HTTP POST): generated as the `Method` struct of a procedure document.
pub trait Procedure: Send + Sync + 'static {
    /// The method's NSID.
    const NSID: &'static str;
    /// The query parameters ([`NoParams`] when the lexicon declares none).
    type Params: Params;
    /// The request body (`()` when the lexicon declares no input).
    type Input: Payload;
    /// The response body (`()` when the lexicon declares no output).
    type Output: Payload;
    /// The declared errors.
    type Error: ErrorKind;
}
