//! Making service tokens: signed here with a local key, or asked of a PDS.

use super::methods::get_service_auth;
use super::{jwt, now_secs, MintError};
use crate::crypto::Keypair;
use crate::types::{Did, Nsid};
use crate::xrpc::{TransportError, XrpcClient, XrpcRequest};
use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::HeaderValue;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// A service token to sign with a local key: the claims, then [`ServiceTokenBuilder::sign`].
///
/// ```
/// use atlex::auth::ServiceTokenBuilder;
/// use atlex::crypto::Keypair;
///
/// let keypair = Keypair::generate_k256();
/// let token = ServiceTokenBuilder::new("did:web:labeler.example.com", "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
///     .lxm("com.atproto.moderation.createReport")
///     .key_id("#atproto")
///     .sign(&keypair)?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), atlex::auth::MintError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServiceTokenBuilder {
    iss: String,
    aud: String,
    lxm: Option<String>,
    any_method: bool,
    key_id: Option<String>,
    iat: Option<i64>,
    exp: Option<i64>,
    lifetime: Duration,
    jti: Option<String>,
}

impl ServiceTokenBuilder {
    /// The default lifetime of a token: 60 seconds, as the reference.
    pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);

    /// A token from `iss` (the signer's DID) for `aud` (the called service's DID, or
    /// `did#service_id`), issued now, expiring after [`Self::DEFAULT_LIFETIME`], with a
    /// random `jti`. Give the method with [`ServiceTokenBuilder::lxm`].
    pub fn new(iss: impl Into<String>, aud: impl Into<String>) -> Self {
        ServiceTokenBuilder {
            iss: iss.into(),
            aud: aud.into(),
            lxm: None,
            any_method: false,
            key_id: None,
            iat: None,
            exp: None,
            lifetime: Self::DEFAULT_LIFETIME,
            jti: None,
        }
    }

    /// The XRPC method (NSID) the token is good for. Required, unless
    /// [`ServiceTokenBuilder::without_lxm`].
    pub fn lxm(mut self, nsid: impl Into<String>) -> Self {
        self.lxm = Some(nsid.into());
        self
    }

    /// A token that names no method, good for any (services that follow the revised
    /// service-auth proposal refuse it for XRPC calls).
    pub fn without_lxm(mut self) -> Self {
        self.lxm = None;
        self.any_method = true;
        self
    }

    /// Names the signing key in the header's `kid`: the id of its verification method in the
    /// issuer's DID document (`#atproto`, the default of verifiers when there is none).
    pub fn key_id(mut self, kid: impl Into<String>) -> Self {
        self.key_id = Some(kid.into());
        self
    }

    /// Issued at `iat`, in seconds since the Unix epoch (default: now).
    pub fn issued_at(mut self, iat: i64) -> Self {
        self.iat = Some(iat);
        self
    }

    /// Expires at `exp`, in seconds since the Unix epoch (default: issued time plus the
    /// lifetime).
    pub fn expires_at(mut self, exp: i64) -> Self {
        self.exp = Some(exp);
        self
    }

    /// Expires `lifetime` after it is issued (default [`Self::DEFAULT_LIFETIME`]); whole
    /// seconds.
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self.exp = None;
        self
    }

    /// The nonce `jti` (default: 16 random bytes in hex, as the reference).
    pub fn jti(mut self, jti: impl Into<String>) -> Self {
        self.jti = Some(jti.into());
        self
    }

    /// The token, signed with `keypair` (`alg` `ES256K` or `ES256` after its curve): a
    /// compact low-S signature, as every verifier takes.
    pub fn sign(&self, keypair: &Keypair) -> Result<String, MintError> {
        check_did_ref(&self.iss).map_err(|reason| MintError::BadIssuer {
            iss: self.iss.clone(),
            reason,
        })?;
        check_did_ref(&self.aud).map_err(|reason| MintError::BadAudience {
            aud: self.aud.clone(),
            reason,
        })?;
        if let Some(lxm) = &self.lxm {
            Nsid::new(lxm.as_str()).map_err(|e| MintError::BadLxm {
                lxm: lxm.clone(),
                reason: e.to_string(),
            })?;
        } else if !self.any_method {
            return Err(MintError::MissingLxm);
        }
        let mut header = Map::new();
        header.insert("typ".into(), "JWT".into());
        header.insert("alg".into(), keypair.curve().jwt_alg().into());
        if let Some(kid) = &self.key_id {
            if !kid.strip_prefix('#').is_some_and(is_fragment) {
                return Err(MintError::BadKeyId {
                    key_id: kid.clone(),
                });
            }
            header.insert("kid".into(), kid.as_str().into());
        }
        let iat = self.iat.unwrap_or_else(now_secs);
        let lifetime = i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX);
        let exp = self.exp.unwrap_or(iat.saturating_add(lifetime));
        if exp <= iat {
            return Err(MintError::BadLifetime { iat, exp });
        }
        let jti = self.jti.clone().unwrap_or_else(random_jti);
        let mut payload = json!({ "iat": iat, "iss": self.iss, "aud": self.aud, "exp": exp });
        if let Some(lxm) = &self.lxm {
            payload["lxm"] = lxm.as_str().into();
        }
        payload["jti"] = jti.into();
        let input = jwt::signing_input(&Value::Object(header), &payload);
        Ok(jwt::join(&input, &keypair.sign(input.as_bytes())))
    }
}

/// A token from `iss` for `aud` and the method `lxm`, signed with `keypair`: issued now, good
/// for 60 seconds, with a random `jti` (see [`ServiceTokenBuilder`] for the rest).
pub fn mint_service_token(
    keypair: &Keypair,
    iss: &str,
    aud: &str,
    lxm: &str,
) -> Result<String, MintError> {
    ServiceTokenBuilder::new(iss, aud).lxm(lxm).sign(keypair)
}

/// An XRPC client that calls a service in the name of `iss`: each request carries a new
/// token signed with `keypair`, for the method it calls (`lxm` is the request's NSID), the
/// audience `aud`, good for 60 seconds (see [`ServiceTokenBuilder`]). What a feed generator,
/// labeler or AppView uses to call another service with its own key.
///
/// ```no_run
/// # atlex::lexicon!({"lexicon": 1, "id": "com.example.whoami", "defs": {"main": {"type": "query",
/// #   "output": {"encoding": "application/json", "schema": {"type": "object", "required": ["did"],
/// #   "properties": {"did": {"type": "string", "format": "did"}}}}}}});
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use atlex::auth::ServiceAuthClient;
/// use atlex::crypto::Keypair;
///
/// let keypair = Keypair::generate_k256();
/// let client = atlex::Client::new("https://feed.example.com")?;
/// let client = ServiceAuthClient::new(client, keypair, "did:web:me.example.com", "did:web:feed.example.com")?;
/// let me = com::example::whoami::call(&client).await?;
/// println!("the service sees {}", me.did);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ServiceAuthClient<C> {
    client: C,
    keypair: Keypair,
    iss: String,
    aud: String,
    key_id: Option<String>,
    lifetime: Duration,
}

impl<C> ServiceAuthClient<C> {
    /// Calls through `client` with tokens from `iss` (a DID, whose document's `#atproto` key
    /// is `keypair`'s) for `aud` (the called service's DID, or `did#service_id`).
    pub fn new(
        client: C,
        keypair: Keypair,
        iss: impl Into<String>,
        aud: impl Into<String>,
    ) -> Result<Self, MintError> {
        let (iss, aud) = (iss.into(), aud.into());
        check_did_ref(&iss).map_err(|reason| MintError::BadIssuer {
            iss: iss.clone(),
            reason,
        })?;
        check_did_ref(&aud).map_err(|reason| MintError::BadAudience {
            aud: aud.clone(),
            reason,
        })?;
        Ok(ServiceAuthClient {
            client,
            keypair,
            iss,
            aud,
            key_id: None,
            lifetime: ServiceTokenBuilder::DEFAULT_LIFETIME,
        })
    }

    /// Names the signing key in each token's `kid` (as [`ServiceTokenBuilder::key_id`]).
    pub fn key_id(mut self, kid: impl Into<String>) -> Self {
        self.key_id = Some(kid.into());
        self
    }

    /// How long each token is good for (default [`ServiceTokenBuilder::DEFAULT_LIFETIME`]).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The client calls go through.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// A token for the method `nsid`.
    fn token(&self, nsid: &str) -> Result<String, MintError> {
        let mut builder = ServiceTokenBuilder::new(self.iss.as_str(), self.aud.as_str())
            .lxm(nsid)
            .expires_in(self.lifetime);
        if let Some(kid) = &self.key_id {
            builder = builder.key_id(kid.as_str());
        }
        builder.sign(&self.keypair)
    }
}

impl<C: XrpcClient> XrpcClient for ServiceAuthClient<C> {
    async fn send_xrpc(
        &self,
        mut request: XrpcRequest,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let token = self.token(request.nsid).map_err(TransportError::new)?;
        let value =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(TransportError::new)?;
        request.headers.insert(AUTHORIZATION, value);
        self.client.send_xrpc(request).await
    }
}

/// Asks a PDS for a service token in the name of the account logged in on `client` (a
/// [`Session`](crate::xrpc::Session)): `com.atproto.server.getServiceAuth` for the audience
/// `aud` (a DID or `did#service_id`), the method `lxm`, expiring at `exp` (seconds since the
/// epoch; the PDS's default is 60 seconds from now, and it refuses more than an hour, or more
/// than a minute without `lxm`).
pub async fn request_service_token<C: XrpcClient>(
    client: &C,
    aud: &str,
    lxm: Option<&str>,
    exp: Option<i64>,
) -> Result<String, crate::Error<get_service_auth::Error>> {
    let lxm = lxm.map(Nsid::new).transpose().map_err(|e| {
        crate::Error::InvalidRequest(crate::ValidationError::from(e).in_field("lxm"))
    })?;
    let params = get_service_auth::Params {
        aud: aud.to_owned(),
        exp,
        lxm,
    };
    Ok(get_service_auth::call(client, &params).await?.token)
}

/// Checks a DID, or a DID with one `#fragment`; gives the DID and the fragment.
pub(super) fn check_did_ref(value: &str) -> Result<(Did, Option<&str>), String> {
    let (did, fragment) = match value.split_once('#') {
        Some((did, fragment)) => {
            if !is_fragment(fragment) {
                return Err(format!(
                    "the fragment {fragment:?} is not a service or key id"
                ));
            }
            (did, Some(fragment))
        }
        None => (value, None),
    };
    let did = Did::new(did).map_err(|e| e.to_string())?;
    Ok((did, fragment))
}

/// A fragment of a DID URL as atproto uses them (`atproto`, `bsky_fg`): not empty, with no
/// `#` and no character outside printable ASCII.
pub(super) fn is_fragment(fragment: &str) -> bool {
    !fragment.is_empty() && fragment.bytes().all(|b| b.is_ascii_graphic() && b != b'#')
}

/// 16 random bytes as 32 lowercase hex digits.
fn random_jti() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
