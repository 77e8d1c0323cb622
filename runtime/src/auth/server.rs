//! Service auth on the server side (feature `server`): the [`Caller`] extractor for axum
//! routes, and the `401` answers of refused tokens.

use super::{ServiceAuthError, ServiceAuthVerifier, ServiceClaims};
use crate::server::ServerError;
use crate::types::Did;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The verified caller of a request: an axum extractor that verifies the request's service
/// token (`Authorization: Bearer <token>`) with the [`ServiceAuthVerifier`] the router was
/// given as an [`Extension`](axum::Extension), for the XRPC method the path names
/// (`/xrpc/<nsid>`; on any other path the token's `lxm` is not checked). A request without a
/// valid token gets `401` with the XRPC error body (`{"error": "BadJwtSignature",
/// "message": ...}`, see [`ServiceAuthError::name`]).
///
/// ```no_run
/// use atlex::auth::{Caller, ServiceAuthVerifier};
/// use atlex::identity::Resolver;
///
/// async fn whoami(caller: Caller) -> String {
///     caller.did.to_string()
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let verifier = ServiceAuthVerifier::new(Resolver::new(), "did:web:feed.example.com");
/// let app: axum::Router = axum::Router::new()
///     .route("/xrpc/com.example.whoami", axum::routing::get(whoami))
///     .layer(axum::Extension(verifier));
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
///
/// Handlers of [`atlex::server::Router`](crate::server::Router) get the request's headers
/// rather than extractors; they call [`ServiceAuthVerifier::authenticate`] with the method's
/// NSID, and `?` turns a refusal into the same `401`:
///
/// ```no_run
/// # atlex::lexicon!({"lexicon": 1, "id": "com.example.whoami", "defs": {"main": {"type": "query",
/// #   "output": {"encoding": "application/json", "schema": {"type": "object", "required": ["did"],
/// #   "properties": {"did": {"type": "string", "format": "did"}}}}}}});
/// use atlex::auth::ServiceAuthVerifier;
/// use atlex::server::{Router, XrpcRequest};
/// use com::example::whoami;
///
/// # fn run(verifier: ServiceAuthVerifier) {
/// let app = Router::new().query(whoami::Method, move |req: XrpcRequest<_, ()>| {
///     let verifier = verifier.clone();
///     async move {
///         let caller = verifier.authenticate(&req.headers, whoami::NSID).await?;
///         Ok(whoami::Output::new(caller.iss))
///     }
/// });
/// # let _ = app;
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Caller {
    /// The caller's DID (the token's issuer).
    pub did: Did,
    /// The token's claims.
    pub claims: ServiceClaims,
}

impl From<ServiceClaims> for Caller {
    fn from(claims: ServiceClaims) -> Self {
        Caller {
            did: claims.iss.clone(),
            claims,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(verifier) = parts.extensions.get::<ServiceAuthVerifier>().cloned() else {
            return Err(crate::server::xrpc_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                Some(
                    "service auth is not set up: add `.layer(axum::Extension(verifier))` with an atlex::auth::ServiceAuthVerifier to the router",
                ),
            ));
        };
        let token =
            super::verify::bearer_token(&parts.headers).map_err(IntoResponse::into_response)?;
        let nsid = parts
            .uri
            .path()
            .strip_prefix("/xrpc/")
            .filter(|nsid| !nsid.is_empty() && !nsid.contains('/'));
        match verifier.verify(token, nsid).await {
            Ok(claims) => Ok(Caller::from(claims)),
            Err(e) => Err(e.into_response()),
        }
    }
}

impl IntoResponse for ServiceAuthError {
    /// `401` with the XRPC error body: `{"error": <name>, "message": <what to do>}`.
    fn into_response(self) -> Response {
        crate::server::xrpc_error(
            StatusCode::UNAUTHORIZED,
            self.name(),
            Some(&self.to_string()),
        )
    }
}

impl<E> From<ServiceAuthError> for ServerError<E> {
    /// `401` with the error's name and message, so that a handler of
    /// [`atlex::server::Router`](crate::server::Router) answers a refused token with `?`.
    fn from(e: ServiceAuthError) -> Self {
        ServerError::new(e.status(), e.name(), e.to_string())
    }
}
