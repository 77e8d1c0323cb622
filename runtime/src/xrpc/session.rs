//! Sessions: log in with `com.atproto.server.createSession`, send the access token with every
//! call, refresh it once with `com.atproto.server.refreshSession` when the server answers
//! `ExpiredToken` (one refresh shared by concurrent calls), persist through a store, log out.

use super::{Error, TransportError, XrpcClient, XrpcRequest};
use crate::types::{Did, Handle};
use bytes::Bytes;
use http::{header, HeaderValue};
use std::fmt;
use std::sync::{Arc, RwLock};

/// The methods sessions use: the modules of [`crate::lexicons`].
pub mod methods {
    pub use crate::lexicons::com::atproto::server::{
        create_session, delete_session, refresh_session,
    };
}

use methods::{create_session, delete_session, refresh_session};

/// The tokens and identity of a logged-in account. `Debug` shows no token.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionData {
    /// The account's DID.
    pub did: Did,
    /// The account's handle.
    pub handle: Handle,
    #[serde(rename = "accessJwt")]
    access_jwt: String,
    #[serde(rename = "refreshJwt")]
    refresh_jwt: String,
}

impl SessionData {
    /// Session data from its parts (e.g. restored by your own storage).
    pub fn new(did: Did, handle: Handle, access_jwt: String, refresh_jwt: String) -> Self {
        SessionData {
            did,
            handle,
            access_jwt,
            refresh_jwt,
        }
    }

    /// The access token, sent as `Authorization: Bearer` with every call.
    pub fn access_jwt(&self) -> &str {
        &self.access_jwt
    }

    /// The refresh token, used only to refresh or delete the session.
    pub fn refresh_jwt(&self) -> &str {
        &self.refresh_jwt
    }
}

impl fmt::Debug for SessionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionData")
            .field("did", &self.did)
            .field("handle", &self.handle)
            .field("access_jwt", &crate::private::Redacted)
            .field("refresh_jwt", &crate::private::Redacted)
            .finish()
    }
}

/// Where a session is kept between runs: called after every login, refresh and logout.
pub trait SessionStore: Send + Sync {
    /// Saves the session, or forgets it (`None`, after logout or a failed refresh).
    fn save(&self, session: Option<&SessionData>);
}

struct Inner {
    data: RwLock<Option<SessionData>>,
    refresh: tokio::sync::Mutex<()>,
    store: Option<Box<dyn SessionStore>>,
}

/// An authenticated [`XrpcClient`]: wraps a client (such as [`super::Client`]), adds the
/// access token to every call, refreshes it once on `ExpiredToken` and retries.
///
/// Clones share the session.
pub struct Session<C> {
    client: C,
    inner: Arc<Inner>,
}

impl<C: Clone> Clone for Session<C> {
    fn clone(&self) -> Self {
        Session {
            client: self.client.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<C> fmt::Debug for Session<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("data", &self.data())
            .finish_non_exhaustive()
    }
}

/// A client that adds one bearer token to each request.
struct Bearer<'a, C> {
    client: &'a C,
    token: &'a str,
}

impl<C: XrpcClient> XrpcClient for Bearer<'_, C> {
    async fn send_xrpc(
        &self,
        mut request: XrpcRequest,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let value = HeaderValue::from_str(&format!("Bearer {}", self.token))
            .map_err(TransportError::new)?;
        request.headers.insert(header::AUTHORIZATION, value);
        self.client.send_xrpc(request).await
    }
}

impl<C> Session<C> {
    /// The current session, if logged in.
    pub fn data(&self) -> Option<SessionData> {
        self.inner.data.read().ok().and_then(|d| d.clone())
    }
}

impl<C: XrpcClient> Session<C> {
    /// A session over `client`, not logged in yet.
    pub fn new(client: C) -> Self {
        Self::build(client, None, None)
    }

    /// A session over `client` that saves itself into `store` after every change.
    pub fn with_store(client: C, store: impl SessionStore + 'static) -> Self {
        Self::build(client, None, Some(Box::new(store)))
    }

    /// A session resumed from saved data (see [`SessionStore`]).
    pub fn resume(client: C, data: SessionData, store: Option<Box<dyn SessionStore>>) -> Self {
        Self::build(client, Some(data), store)
    }

    fn build(client: C, data: Option<SessionData>, store: Option<Box<dyn SessionStore>>) -> Self {
        Session {
            client,
            inner: Arc::new(Inner {
                data: RwLock::new(data),
                refresh: tokio::sync::Mutex::new(()),
                store,
            }),
        }
    }

    /// The underlying client.
    pub fn client(&self) -> &C {
        &self.client
    }

    fn set(&self, data: Option<SessionData>) {
        if let Some(store) = &self.inner.store {
            store.save(data.as_ref());
        }
        if let Ok(mut slot) = self.inner.data.write() {
            *slot = data;
        }
    }

    /// Logs in with `com.atproto.server.createSession` (handle, DID or email, and password or
    /// app password; `auth_factor_token` when the server asks for one).
    pub async fn login(
        &self,
        identifier: &str,
        password: &str,
        auth_factor_token: Option<&str>,
    ) -> Result<SessionData, Error<create_session::Error>> {
        let input = create_session::Input {
            auth_factor_token: auth_factor_token.map(str::to_owned),
            ..create_session::Input::new(identifier.to_owned(), password.to_owned())
        };
        let out = create_session::call(&self.client, &input).await?;
        let data = SessionData::new(out.did, out.handle, out.access_jwt, out.refresh_jwt);
        self.set(Some(data.clone()));
        Ok(data)
    }

    /// Refreshes the tokens now with `com.atproto.server.refreshSession`. On `ExpiredToken`
    /// or `InvalidToken` the session is forgotten (log in again).
    pub async fn refresh(&self) -> Result<SessionData, Error<refresh_session::Error>> {
        let _guard = self.inner.refresh.lock().await;
        self.refresh_locked().await
    }

    async fn refresh_locked(&self) -> Result<SessionData, Error<refresh_session::Error>> {
        let Some(current) = self.data() else {
            return Err(not_logged_in());
        };
        let client = Bearer {
            client: &self.client,
            token: current.refresh_jwt(),
        };
        match refresh_session::call(&client).await {
            Ok(out) => {
                let data = SessionData::new(out.did, out.handle, out.access_jwt, out.refresh_jwt);
                self.set(Some(data.clone()));
                Ok(data)
            }
            Err(e) => {
                if matches!(
                    e.known(),
                    Some(
                        refresh_session::Error::ExpiredToken(_)
                            | refresh_session::Error::InvalidToken(_)
                            | refresh_session::Error::AccountTakedown(_)
                    )
                ) {
                    self.set(None);
                }
                Err(e)
            }
        }
    }

    /// Logs out with `com.atproto.server.deleteSession`; the session is forgotten either way.
    pub async fn logout(&self) -> Result<(), Error<delete_session::Error>> {
        let Some(current) = self.data() else {
            return Ok(());
        };
        let client = Bearer {
            client: &self.client,
            token: current.refresh_jwt(),
        };
        let result = delete_session::call(&client).await;
        self.set(None);
        result
    }
}

/// Logging in through identity resolution: from a handle or DID to the account's PDS.
#[cfg(feature = "identity")]
impl<T: super::Transport> Session<super::Client<T>> {
    /// Resolves `identifier` (a handle or a DID) with `resolver`, the handle checked both
    /// ways, then logs in with `com.atproto.server.createSession` at the PDS its DID document
    /// names, over `transport`, as the resolved DID. The session's client is a
    /// [`super::Client`] for that PDS. A PDS that logs in another account is refused.
    pub async fn login_with_transport(
        resolver: &crate::identity::Resolver,
        transport: T,
        identifier: &str,
        password: &str,
        auth_factor_token: Option<&str>,
    ) -> Result<Self, crate::identity::LoginError> {
        use crate::identity::LoginError;
        let identity = resolver.resolve(identifier).await?;
        let Some(pds) = identity.pds else {
            return Err(LoginError::NoPds { did: identity.did });
        };
        let client = super::Client::with_transport(&pds, transport).map_err(|reason| {
            LoginError::InvalidPds {
                did: identity.did.clone(),
                pds: pds.clone(),
                reason,
            }
        })?;
        let session = Session::new(client);
        let data = session
            .login(identity.did.as_str(), password, auth_factor_token)
            .await
            .map_err(LoginError::Login)?;
        if data.did != identity.did {
            // Best effort: the error below is what matters.
            let _ = session.logout().await;
            return Err(LoginError::WrongAccount {
                expected: identity.did,
                got: data.did,
            });
        }
        Ok(session)
    }
}

#[cfg(all(feature = "identity", feature = "reqwest"))]
impl Session<super::Client> {
    /// Logs in with a handle or a DID, finding the account's PDS through `resolver`: the
    /// handle or DID is resolved (the handle checked both ways), then
    /// `com.atproto.server.createSession` is called at the PDS its DID document names, over
    /// reqwest. See [`Session::login_with_transport`] for another transport or a two-factor
    /// token; to log in with an email address, make a [`Session`] for the PDS and call
    /// [`Session::login`].
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), atlex::identity::LoginError> {
    /// let resolver = atlex::identity::Resolver::new();
    /// let session = atlex::xrpc::Session::login_with(&resolver, "alice.example.com", "app-password").await?;
    /// println!("logged in at {}", session.client().base_url());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login_with(
        resolver: &crate::identity::Resolver,
        identifier: &str,
        password: &str,
    ) -> Result<Self, crate::identity::LoginError> {
        Self::login_with_transport(
            resolver,
            super::ReqwestTransport::new(),
            identifier,
            password,
            None,
        )
        .await
    }
}

fn not_logged_in<E>() -> Error<E> {
    super::NotLoggedIn.into()
}

/// True when the response is the XRPC error `ExpiredToken`.
fn is_expired(response: &http::Response<Bytes>) -> bool {
    let status = response.status().as_u16();
    (status == 400 || status == 401)
        && super::client::parse_error_body(response.body())
            .is_some_and(|(name, _)| name == "ExpiredToken")
}

impl<C: XrpcClient> XrpcClient for Session<C> {
    async fn send_xrpc(
        &self,
        request: XrpcRequest,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let Some(data) = self.data() else {
            return self.client.send_xrpc(request).await;
        };
        let sent_with = data.access_jwt().to_owned();
        let first = Bearer {
            client: &self.client,
            token: &sent_with,
        }
        .send_xrpc(request.clone())
        .await?;
        if !is_expired(&first) {
            return Ok(first);
        }
        // One refresh for all the calls that found the token expired: whoever gets the lock
        // first refreshes; the others see a new token and only retry.
        let refreshed = {
            let _guard = self.inner.refresh.lock().await;
            match self.data() {
                Some(now) if now.access_jwt() != sent_with => Some(now),
                Some(_) => self.refresh_locked().await.ok(),
                None => None,
            }
        };
        match refreshed {
            Some(now) => {
                Bearer {
                    client: &self.client,
                    token: now.access_jwt(),
                }
                .send_xrpc(request)
                .await
            }
            None => Ok(first),
        }
    }
}
