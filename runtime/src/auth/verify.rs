//! Verifying service tokens: the verifier a server keeps, and its replay store.

use super::mint::{check_did_ref, is_fragment};
use super::{jwt, now_secs, ServiceAuthError, ServiceClaims};
use crate::crypto::{Curve, PublicKey};
use crate::identity::{Identity, Resolver};
use crate::types::Did;
use http::header::AUTHORIZATION;
use http::HeaderMap;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Verifies service tokens for one service: its resolver (with its cache of DID documents),
/// the audiences it answers to, the clock leeway, the keys it takes, and, when turned on, the
/// store of tokens already accepted. Clones share all of it; build one at start-up and give
/// it to every handler.
///
/// See [the module](super) for what is checked, in which order.
#[derive(Clone)]
pub struct ServiceAuthVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    resolver: Resolver,
    audiences: Vec<String>,
    leeway: i64,
    key_ids: Vec<String>,
    strict: bool,
    allow_missing_lxm: bool,
    replay: Option<ReplayStore>,
}

impl fmt::Debug for ServiceAuthVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("ServiceAuthVerifier")
            .field("audiences", &inner.audiences)
            .field("leeway_secs", &inner.leeway)
            .field("key_ids", &inner.key_ids)
            .field("strict_signatures", &inner.strict)
            .field("allow_missing_lxm", &inner.allow_missing_lxm)
            .field(
                "replay_capacity",
                &inner.replay.as_ref().map(|r| r.capacity),
            )
            .field("resolver", &inner.resolver)
            .finish()
    }
}

/// Settings for a [`ServiceAuthVerifier`]: from [`ServiceAuthVerifier::builder`], ended by
/// [`ServiceAuthVerifierBuilder::build`].
#[derive(Debug)]
pub struct ServiceAuthVerifierBuilder {
    resolver: Resolver,
    audiences: Vec<String>,
    leeway: Duration,
    key_ids: Vec<String>,
    strict: bool,
    allow_missing_lxm: bool,
    replay_capacity: Option<usize>,
}

impl ServiceAuthVerifierBuilder {
    /// The default of [`ServiceAuthVerifierBuilder::leeway`]: 5 seconds, as indigo's verifier
    /// (the reference allows none on `exp` and does not check `iat`).
    pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);

    /// The default capacity of [`ServiceAuthVerifierBuilder::reject_replays`]: 100,000 tokens
    /// (about 8 MB).
    pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

    /// Accepts tokens for `aud` too: a service that answers to its bare DID and to
    /// `did#service_id` (as `did:web:feed.example.com` and `did:web:feed.example.com#bsky_fg`)
    /// lists both. A PDS that proxies a call sends the bare DID; a token asked for with
    /// `did#service_id` carries that.
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        let aud = aud.into();
        if !self.audiences.contains(&aud) {
            self.audiences.push(aud);
        }
        self
    }

    /// How far the clocks of the issuer and of this service may disagree: a token is
    /// accepted until `exp` plus the leeway, and from `iat` minus it (default
    /// [`Self::DEFAULT_LEEWAY`]; whole seconds).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The verification methods whose keys may sign tokens, by id without `#` (default: only
    /// `atproto`, as the revised service-auth proposal advises). A service that takes tokens
    /// from labelers adds `atproto_label`.
    pub fn key_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.key_ids = ids
            .into_iter()
            .map(|id| {
                let id: String = id.into();
                id.strip_prefix('#').map(str::to_owned).unwrap_or(id)
            })
            .collect();
        self
    }

    /// Verifies signatures the protocol's strict way (64 compact bytes, low-S only:
    /// [`PublicKey::verify`]) instead of the reference's lenient way for service tokens
    /// (high-S and DER accepted too: [`PublicKey::verify_lenient`]), the default.
    pub fn strict_signatures(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Accepts a token that names no method (`lxm`) for any method, as services did before
    /// `lxm` became required (default: refused when a method is checked). A token that names
    /// another method is still refused.
    pub fn allow_missing_lxm(mut self, allow: bool) -> Self {
        self.allow_missing_lxm = allow;
        self
    }

    /// Turns the replay check on: a token is accepted once per (`iss`, `jti`), and a token
    /// without `jti` is refused. Accepted pairs are kept until the token's `exp` plus the
    /// leeway, at most `capacity` of them (at least 1); when the store is full the pair that
    /// expires first is dropped, so a store too small for the traffic lets that token be used
    /// again before it expires.
    pub fn reject_replays(mut self, capacity: usize) -> Self {
        self.replay_capacity = Some(capacity.max(1));
        self
    }

    /// The verifier.
    pub fn build(self) -> ServiceAuthVerifier {
        ServiceAuthVerifier {
            inner: Arc::new(Inner {
                resolver: self.resolver,
                audiences: self.audiences,
                leeway: i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX),
                key_ids: self.key_ids,
                strict: self.strict,
                allow_missing_lxm: self.allow_missing_lxm,
                replay: self.replay_capacity.map(ReplayStore::new),
            }),
        }
    }
}

impl ServiceAuthVerifier {
    /// A verifier for the audience `aud` (the service's DID, or `did#service_id`) with the
    /// defaults of [`ServiceAuthVerifierBuilder`].
    pub fn new(resolver: Resolver, aud: impl Into<String>) -> Self {
        Self::builder(resolver, aud).build()
    }

    /// Settings for a verifier for the audience `aud`, which [`ServiceAuthVerifierBuilder`]
    /// can add to: 5 seconds of leeway, the `#atproto` key only, lenient signatures, `lxm`
    /// required when a method is checked, no replay check.
    pub fn builder(resolver: Resolver, aud: impl Into<String>) -> ServiceAuthVerifierBuilder {
        ServiceAuthVerifierBuilder {
            resolver,
            audiences: vec![aud.into()],
            leeway: ServiceAuthVerifierBuilder::DEFAULT_LEEWAY,
            key_ids: vec!["atproto".to_owned()],
            strict: false,
            allow_missing_lxm: false,
            replay_capacity: None,
        }
    }

    /// The audiences accepted.
    pub fn audiences(&self) -> &[String] {
        &self.inner.audiences
    }

    /// The resolver that finds issuers' keys.
    pub fn resolver(&self) -> &Resolver {
        &self.inner.resolver
    }

    /// Verifies the bearer token of a request's `headers` (`Authorization: Bearer <token>`)
    /// for the XRPC method `nsid`.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        nsid: &str,
    ) -> Result<ServiceClaims, ServiceAuthError> {
        let token = bearer_token(headers)?;
        self.verify(token, Some(nsid)).await
    }

    /// Verifies `token` for the XRPC method `lxm` (`None`: the method is not checked).
    pub async fn verify(
        &self,
        token: &str,
        lxm: Option<&str>,
    ) -> Result<ServiceClaims, ServiceAuthError> {
        let inner = &*self.inner;
        let token = jwt::parse(token)?;
        let curve = Curve::from_jwt_alg(&token.alg).ok_or_else(|| {
            ServiceAuthError::UnsupportedAlgorithm {
                alg: token.alg.clone(),
            }
        })?;
        let claims = &token.claims;
        let now = now_secs();
        if now > claims.exp.saturating_add(inner.leeway) {
            return Err(ServiceAuthError::Expired {
                exp: claims.exp,
                now,
            });
        }
        if let Some(iat) = claims.iat {
            if iat > now.saturating_add(inner.leeway) {
                return Err(ServiceAuthError::IssuedInFuture { iat, now });
            }
        }
        if !inner.audiences.contains(&claims.aud) {
            return Err(ServiceAuthError::WrongAudience {
                aud: claims.aud.clone(),
                accepted: inner.audiences.clone(),
            });
        }
        if let Some(expected) = lxm {
            match &claims.lxm {
                Some(got) if got != expected => {
                    return Err(ServiceAuthError::WrongLxm {
                        lxm: got.clone(),
                        expected: expected.to_owned(),
                    })
                }
                None if !inner.allow_missing_lxm => {
                    return Err(ServiceAuthError::MissingLxm {
                        expected: expected.to_owned(),
                    })
                }
                _ => {}
            }
        }
        let (did, iss_service) =
            check_did_ref(&claims.iss).map_err(|reason| ServiceAuthError::BadIssuer {
                iss: claims.iss.clone(),
                reason,
            })?;
        let key_id = key_id(token.kid.as_deref(), &did, iss_service)?;
        if !inner.key_ids.contains(&key_id) {
            return Err(ServiceAuthError::KeyIdNotAccepted {
                key_id,
                accepted: inner.key_ids.clone(),
            });
        }
        self.check_signature(&did, &key_id, curve, &token).await?;
        if let Some(store) = &inner.replay {
            let jti = claims.jti.as_deref().ok_or(ServiceAuthError::MissingJti)?;
            store.insert(&did, jti, claims.exp.saturating_add(inner.leeway), now)?;
        }
        Ok(ServiceClaims {
            iss: did,
            iss_service: iss_service.map(str::to_owned),
            aud: claims.aud.clone(),
            lxm: claims.lxm.clone(),
            exp: claims.exp,
            iat: claims.iat,
            jti: claims.jti.clone(),
            key_id,
        })
    }

    /// Checks the signature with the key of the issuer's document; when the key is missing,
    /// of another curve, or does not verify, fetches the document once more (the key may have
    /// been rotated) and checks with its key if that is another one.
    async fn check_signature(
        &self,
        did: &Did,
        key_id: &str,
        curve: Curve,
        token: &jwt::Token<'_>,
    ) -> Result<(), ServiceAuthError> {
        let resolver = &self.inner.resolver;
        let resolve_error = |error| ServiceAuthError::Resolve {
            did: did.to_string(),
            error,
        };
        let cached = resolver
            .resolve_did(did.as_str())
            .await
            .map_err(resolve_error)?;
        let cached_key = document_key(&cached, key_id);
        let first = match &cached_key {
            Ok(key) => self.check_with(key, did, curve, token),
            Err(e) => Err(e.clone()),
        };
        let Err(first) = first else { return Ok(()) };
        let fresh = resolver
            .refresh_did(did.as_str())
            .await
            .map_err(resolve_error)?;
        let fresh_key = document_key(&fresh, key_id);
        if fresh_key.as_ref().ok() == cached_key.as_ref().ok() && cached_key.is_ok() {
            // The same key: the first answer stands.
            return Err(first);
        }
        self.check_with(&fresh_key?, did, curve, token)
    }

    fn check_with(
        &self,
        key: &PublicKey,
        did: &Did,
        curve: Curve,
        token: &jwt::Token<'_>,
    ) -> Result<(), ServiceAuthError> {
        if key.curve() != curve {
            return Err(ServiceAuthError::AlgorithmMismatch {
                alg: token.alg.clone(),
                key_curve: key.curve(),
            });
        }
        let data = token.signing_input.as_bytes();
        let checked = if self.inner.strict {
            key.verify(data, &token.signature)
        } else {
            key.verify_lenient(data, &token.signature)
        };
        checked.map_err(|error| ServiceAuthError::BadSignature {
            did: did.to_string(),
            error,
        })
    }
}

/// The id (without `#`) of the key a token is signed with: its `kid` (`#id`, or the issuer's
/// DID then `#id`); without one, `atproto`, or `atproto_label` for an older labeler token
/// whose `iss` ends in `#atproto_labeler` (as the reference PDS reads it).
fn key_id(
    kid: Option<&str>,
    did: &Did,
    iss_service: Option<&str>,
) -> Result<String, ServiceAuthError> {
    match kid {
        Some(kid) => {
            let (prefix, id) = kid.split_once('#').unwrap_or((kid, ""));
            if (prefix.is_empty() || prefix == did.as_str()) && is_fragment(id) {
                Ok(id.to_owned())
            } else {
                Err(ServiceAuthError::Malformed {
                    reason: format!(
                        "the header's kid {kid:?} is not `#<id>` of a key in the issuer's document"
                    ),
                })
            }
        }
        None if iss_service == Some("atproto_labeler") => Ok("atproto_label".to_owned()),
        None => Ok("atproto".to_owned()),
    }
}

/// The key `#key_id` of a resolved document, or why there is none.
fn document_key(identity: &Identity, key_id: &str) -> Result<PublicKey, ServiceAuthError> {
    let no_key = |reason: Option<String>| ServiceAuthError::NoKey {
        did: identity.did.to_string(),
        key_id: key_id.to_owned(),
        reason,
    };
    let method = identity
        .document
        .verification_method(key_id)
        .ok_or_else(|| no_key(None))?;
    match method.public_key() {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(no_key(Some(format!(
            "a verification method of type {:?} with no publicKeyMultibase atproto reads",
            method.kind()
        )))),
        Err(e) => Err(no_key(Some(e.to_string()))),
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case, as HTTP says).
pub(super) fn bearer_token(headers: &HeaderMap) -> Result<&str, ServiceAuthError> {
    let bad = |reason: &str| ServiceAuthError::BadAuthorizationHeader {
        reason: reason.to_owned(),
    };
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(ServiceAuthError::MissingToken)?;
    if values.next().is_some() {
        return Err(bad("more than one Authorization header"));
    }
    let value = value
        .to_str()
        .map_err(|_| bad("it is not printable ASCII"))?;
    let (scheme, token) = value.split_once(' ').ok_or_else(|| bad("no scheme"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ServiceAuthError::BadAuthorizationHeader {
            reason: format!("the scheme is {scheme:?}, not Bearer"),
        });
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(bad("no token after Bearer"));
    }
    Ok(token)
}

/// The (`iss`, `jti`) pairs accepted, as SHA-256 digests (a hostile `jti` costs no more than
/// another), each until the time its token stops being accepted.
struct ReplayStore {
    capacity: usize,
    state: Mutex<ReplayState>,
}

#[derive(Default)]
struct ReplayState {
    seen: HashMap<[u8; 32], i64>,
    /// The same pairs by the time they may be forgotten, soonest first.
    by_expiry: BTreeSet<(i64, [u8; 32])>,
}

impl ReplayStore {
    fn new(capacity: usize) -> Self {
        ReplayStore {
            capacity,
            state: Mutex::new(ReplayState::default()),
        }
    }

    /// Records (`iss`, `jti`) until `until`, or refuses it if it is there already.
    fn insert(&self, iss: &Did, jti: &str, until: i64, now: i64) -> Result<(), ServiceAuthError> {
        let mut hasher = Sha256::new();
        hasher.update(iss.as_str().as_bytes());
        // A DID never holds a zero byte, so `iss` ends here whatever `jti` holds.
        hasher.update([0]);
        hasher.update(jti.as_bytes());
        let key: [u8; 32] = hasher.finalize().into();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(&(t, k)) = state.by_expiry.first() {
            if t >= now {
                break;
            }
            state.by_expiry.pop_first();
            state.seen.remove(&k);
        }
        if state.seen.contains_key(&key) {
            return Err(ServiceAuthError::Replayed {
                iss: iss.to_string(),
                jti: jti.to_owned(),
            });
        }
        while state.seen.len() >= self.capacity {
            let Some((_, k)) = state.by_expiry.pop_first() else {
                break;
            };
            state.seen.remove(&k);
        }
        state.seen.insert(key, until);
        state.by_expiry.insert((until, key));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn did(s: &str) -> Did {
        Did::new(s).unwrap()
    }

    #[test]
    fn replays_are_refused_until_they_expire() {
        let store = ReplayStore::new(10);
        let a = did("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa");
        let b = did("did:plc:bbbbbbbbbbbbbbbbbbbbbbbb");
        store.insert(&a, "1", 100, 50).unwrap();
        assert!(matches!(
            store.insert(&a, "1", 100, 60),
            Err(ServiceAuthError::Replayed { .. })
        ));
        // Another issuer's jti is another pair.
        store.insert(&b, "1", 100, 60).unwrap();
        // At the time it stops being accepted it is still kept; after, it is forgotten (both
        // pairs).
        assert!(store.insert(&a, "1", 100, 100).is_err());
        store.insert(&a, "1", 200, 101).unwrap();
        assert_eq!(store.state.lock().unwrap().seen.len(), 1);
    }

    #[test]
    fn a_full_store_drops_the_pair_that_expires_first() {
        let store = ReplayStore::new(3);
        let a = did("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa");
        for (jti, until) in [("x", 300), ("y", 100), ("z", 200)] {
            store.insert(&a, jti, until, 0).unwrap();
        }
        store.insert(&a, "w", 400, 0).unwrap();
        let state = store.state.lock().unwrap();
        assert_eq!(state.seen.len(), 3);
        assert_eq!(
            state.by_expiry.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            [200, 300, 400]
        );
        drop(state);
        // The others are still refused; "y" was dropped.
        for jti in ["x", "z", "w"] {
            assert!(store.insert(&a, jti, 500, 0).is_err(), "{jti}");
        }
        store.insert(&a, "y", 100, 0).unwrap();
    }

    #[test]
    fn bearer_tokens() {
        let headers = |values: &[&str]| {
            let mut h = HeaderMap::new();
            for v in values {
                h.append(AUTHORIZATION, v.parse().unwrap());
            }
            h
        };
        assert_eq!(bearer_token(&headers(&["Bearer a.b.c"])), Ok("a.b.c"));
        assert_eq!(bearer_token(&headers(&["bearer  a.b.c "])), Ok("a.b.c"));
        assert_eq!(
            bearer_token(&headers(&[])),
            Err(ServiceAuthError::MissingToken)
        );
        for bad in [
            &["Basic abc"][..],
            &["DPoP a.b.c"],
            &["Bearer"],
            &["Bearer "],
            &["Bearer a", "Bearer b"],
        ] {
            assert!(
                matches!(
                    bearer_token(&headers(bad)),
                    Err(ServiceAuthError::BadAuthorizationHeader { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn key_ids() {
        let d = did("did:web:example.com");
        assert_eq!(key_id(None, &d, None).unwrap(), "atproto");
        assert_eq!(
            key_id(None, &d, Some("atproto_labeler")).unwrap(),
            "atproto_label"
        );
        assert_eq!(key_id(None, &d, Some("bsky_fg")).unwrap(), "atproto");
        assert_eq!(key_id(Some("#atproto"), &d, None).unwrap(), "atproto");
        assert_eq!(
            key_id(Some("did:web:example.com#other"), &d, None).unwrap(),
            "other"
        );
        for bad in ["atproto", "#", "did:web:other.com#atproto", "#a#b", ""] {
            assert!(
                matches!(
                    key_id(Some(bad), &d, None),
                    Err(ServiceAuthError::Malformed { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
