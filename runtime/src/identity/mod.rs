//! Identity resolution: from a handle or a DID to the account's DID document, its PDS and its
//! keys, with the handle checked both ways (feature `identity`).
//!
//! ```no_run
//! # async fn run() -> Result<(), atlex::identity::ResolveError> {
//! let resolver = atlex::identity::Resolver::new();
//! let alice = resolver.resolve("alice.example.com").await?;
//! println!("{} is at {:?}", alice.did, alice.pds);
//! # Ok(())
//! # }
//! ```
//!
//! How a name resolves, as the reference (@atproto/identity) does it:
//! - A handle: the DNS TXT record `_atproto.<handle>` (`did=<DID>`) and
//!   `https://<handle>/.well-known/atproto-did` are asked at once; the DNS answer wins, the
//!   HTTPS one is used when DNS has none. With [`ResolverBuilder::handle_service`], handles are
//!   asked of that service (`com.atproto.identity.resolveHandle`) instead, for private networks
//!   and tests. Handles are compared without regard to case and given back in lowercase.
//! - A DID: `did:plc` from the PLC directory (`GET <plc>/<did>`), `did:web` from
//!   `https://<host>/.well-known/did.json` (http for `localhost`, `%3A` for a port's colon; a
//!   did:web with a path is refused). The document's `id` must be the DID asked.
//! - Both ways: a handle resolves only when the DID document's handle (its first `at://`
//!   `alsoKnownAs` entry) is that handle; a DID's [`Identity::handle`] is set only when that
//!   handle resolves back to the DID.
//!
//! Answers are cached (bounded, with an age after which an entry is fetched again and one
//! after which it is dropped), and concurrent resolutions of one name share one request.
//! Every request has a timeout and a size limit; nothing a server sends can make the resolver
//! panic.
//!
//! Requests go to the hosts that handles and did:web DIDs name, over http for `localhost` and
//! with any port. A service that resolves names it is sent and must not reach its own network
//! gives [`ResolverBuilder::transport`] a transport that refuses private addresses.

mod cache;
mod did;
mod dns;
mod document;
mod error;
mod handle;
mod net;

pub use dns::{DnsTxtResolver, HickoryDns};
pub use document::{DidDocument, DocumentError, Service, VerificationMethod};
pub use error::{LoginError, ResolveError};

use crate::crypto::PublicKey;
use crate::types::{Did, Handle};
use crate::xrpc::{Client, Transport};
use cache::{Cache, CachePolicy};
use dns::ErasedDns;
use handle::HandleSource;
use net::{ErasedTransport, Http};
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// An account's identity, as [`Resolver::resolve`] found it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Identity {
    /// The DID.
    pub did: Did,
    /// The handle, in lowercase, only when it checks both ways: the DID document claims it and
    /// it resolves to the DID.
    pub handle: Option<Handle>,
    /// The PDS: the document's `#atproto_pds` service endpoint (type
    /// `AtprotoPersonalDataServer`, an http(s) URL).
    pub pds: Option<String>,
    /// The signing key: the `#atproto` verification method (see [`DidDocument::signing_key`];
    /// `None` also when that key is malformed, which `signing_key` reports).
    pub signing_key: Option<PublicKey>,
    /// The labeler key: the `#atproto_label` verification method, read the same way.
    pub labeler_key: Option<PublicKey>,
    /// The whole DID document.
    pub document: DidDocument,
}

/// Resolves handles and DIDs to [`Identity`]s, with a cache. Clones share the cache.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

struct Inner {
    plc: Result<String, ResolveError>,
    handles: Result<HandleSource, ResolveError>,
    documents: Http,
    timeout: Duration,
    handle_cache: Cache<Did>,
    /// Documents with their parts read (keys parsed once), the handle not checked.
    document_cache: Cache<Arc<Identity>>,
    described: String,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.described)
    }
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new()
    }
}

/// Settings for a [`Resolver`]: from [`Resolver::builder`], ended by
/// [`ResolverBuilder::build`].
pub struct ResolverBuilder {
    plc_url: String,
    handle_service: Option<String>,
    dns: Option<Arc<dyn ErasedDns>>,
    dns_servers: Option<Vec<SocketAddr>>,
    transport: Option<Arc<dyn ErasedTransport>>,
    timeout: Duration,
    max_response_size: usize,
    cache: CachePolicy,
}

impl fmt::Debug for ResolverBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolverBuilder")
            .field("plc_url", &self.plc_url)
            .field("handle_service", &self.handle_service)
            .field("dns_servers", &self.dns_servers)
            .field("timeout", &self.timeout)
            .field("max_response_size", &self.max_response_size)
            .finish_non_exhaustive()
    }
}

impl ResolverBuilder {
    /// The public PLC directory, the default of [`ResolverBuilder::plc_url`].
    pub const PUBLIC_PLC: &'static str = "https://plc.directory";
    /// The default of [`ResolverBuilder::timeout`]: 3 seconds, as the reference.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
    /// The default of [`ResolverBuilder::max_response_size`]: 1 MiB.
    pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 1 << 20;
    /// The default of [`ResolverBuilder::cache_size`]: 10,000 handles and 10,000 documents.
    pub const DEFAULT_CACHE_SIZE: usize = 10_000;
    /// The default of [`ResolverBuilder::cache_stale_after`]: one hour, as the reference.
    pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(60 * 60);
    /// The default of [`ResolverBuilder::cache_expire_after`]: one day, as the reference.
    pub const DEFAULT_EXPIRE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

    /// The PLC directory that did:plc documents come from (default
    /// [`Self::PUBLIC_PLC`]).
    pub fn plc_url(mut self, url: impl Into<String>) -> Self {
        self.plc_url = url.into();
        self
    }

    /// Resolves handles with `com.atproto.identity.resolveHandle` at this service (a PDS, an
    /// AppView) instead of DNS and HTTPS: for private networks and tests. The DID's document
    /// must still claim the handle.
    pub fn handle_service(mut self, url: impl Into<String>) -> Self {
        self.handle_service = Some(url.into());
        self
    }

    /// Asks these DNS servers for `_atproto` TXT records (UDP, then TCP), instead of the
    /// system's.
    pub fn dns_servers(mut self, servers: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.dns_servers = Some(servers.into_iter().collect());
        self.dns = None;
        self
    }

    /// Looks up `_atproto` TXT records through `dns` instead of hickory-resolver.
    pub fn dns(mut self, dns: impl DnsTxtResolver) -> Self {
        self.dns = Some(Arc::new(dns));
        self.dns_servers = None;
        self
    }

    /// Sends HTTP requests through `transport` (default: reqwest, following no redirect for
    /// DID documents and up to 10 for handles). The resolver's timeout and size limit apply
    /// on top of the transport's own.
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// How long one request or DNS lookup may take (default [`Self::DEFAULT_TIMEOUT`]);
    /// slower is [`ResolveError::Timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest answer read, in bytes (default [`Self::DEFAULT_MAX_RESPONSE_SIZE`]);
    /// larger is [`ResolveError::TooLarge`].
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// How many handles, and how many DID documents, are kept (default
    /// [`Self::DEFAULT_CACHE_SIZE`]); past it the oldest go first. 0 keeps none, while
    /// concurrent resolutions of one name still share one request.
    pub fn cache_size(mut self, entries: usize) -> Self {
        self.cache.capacity = entries;
        self
    }

    /// The age after which a cached entry is fetched again on its next use (default
    /// [`Self::DEFAULT_STALE_AFTER`]). Should that fetch fail on a timeout or a connection
    /// error, the old entry is used until it expires.
    pub fn cache_stale_after(mut self, age: Duration) -> Self {
        self.cache.stale_after = age;
        self
    }

    /// The age after which a cached entry is never used (default
    /// [`Self::DEFAULT_EXPIRE_AFTER`]).
    pub fn cache_expire_after(mut self, age: Duration) -> Self {
        self.cache.expire_after = age;
        self
    }

    /// The resolver. A setting that is wrong (a PLC or handle-service URL that is not an http(s)
    /// URL) makes every resolution that needs it fail with [`ResolveError::Config`];
    /// [`ResolverBuilder::try_build`] reports it now instead.
    pub fn build(self) -> Resolver {
        let timeout = self.timeout;
        let (documents, handles_http) = match self.transport {
            Some(t) => (t.clone(), t),
            None => default_transports(timeout, self.max_response_size),
        };
        let http = |transport| Http {
            transport,
            timeout,
            max_body: self.max_response_size,
        };
        let documents = http(documents);
        let handles_http = http(handles_http);
        let plc = base_url("PLC directory", &self.plc_url);
        let handles = match &self.handle_service {
            Some(url) => Client::with_transport(url, handles_http)
                .map(HandleSource::Service)
                .map_err(|e| ResolveError::Config {
                    reason: format!("handle service: {e}"),
                }),
            None => {
                let dns: Arc<dyn ErasedDns> = match (self.dns, self.dns_servers) {
                    (Some(dns), _) => dns,
                    (None, Some(servers)) => {
                        Arc::new(HickoryDns::with_servers(servers).timeout(timeout))
                    }
                    (None, None) => Arc::new(HickoryDns::system().timeout(timeout)),
                };
                Ok(HandleSource::Network {
                    dns,
                    http: handles_http,
                })
            }
        };
        let described = format!(
            "Resolver {{ plc_url: {:?}, handle_service: {:?}, timeout: {:?}, cache: {:?} }}",
            self.plc_url, self.handle_service, timeout, self.cache
        );
        Resolver {
            inner: Arc::new(Inner {
                plc,
                handles,
                documents,
                timeout,
                handle_cache: Cache::new(self.cache),
                document_cache: Cache::new(self.cache),
                described,
            }),
        }
    }

    /// The resolver, or the first setting that is wrong.
    pub fn try_build(self) -> Result<Resolver, ResolveError> {
        let resolver = self.build();
        if let Err(e) = &resolver.inner.plc {
            return Err(e.clone());
        }
        if let Err(e) = &resolver.inner.handles {
            return Err(e.clone());
        }
        Ok(resolver)
    }
}

/// `url` checked as a [`Client`]'s base URL is, without its trailing slash.
fn base_url(what: &str, url: &str) -> Result<String, ResolveError> {
    Client::with_transport(url, net::NoTransport)
        .map(|c| c.base_url().to_owned())
        .map_err(|e| ResolveError::Config {
            reason: format!("{what}: {e}"),
        })
}

/// reqwest: no redirects for DID documents (as the reference), up to 10 for handles.
#[cfg(feature = "reqwest")]
fn default_transports(
    timeout: Duration,
    max_body: usize,
) -> (Arc<dyn ErasedTransport>, Arc<dyn ErasedTransport>) {
    use crate::xrpc::ReqwestTransport;
    let transport = |redirects| -> Arc<dyn ErasedTransport> {
        match reqwest::Client::builder().redirect(redirects).build() {
            Ok(client) => Arc::new(
                ReqwestTransport::from_client(client)
                    .timeout(timeout)
                    .max_body(max_body),
            ),
            Err(e) => Arc::new(Failing(format!("the HTTP client could not be made: {e}"))),
        }
    };
    (
        transport(reqwest::redirect::Policy::none()),
        transport(reqwest::redirect::Policy::limited(10)),
    )
}

#[cfg(not(feature = "reqwest"))]
fn default_transports(
    _timeout: Duration,
    _max_body: usize,
) -> (Arc<dyn ErasedTransport>, Arc<dyn ErasedTransport>) {
    (Arc::new(net::NoTransport), Arc::new(net::NoTransport))
}

/// A transport that could not be made: every request fails with the reason.
#[cfg(feature = "reqwest")]
struct Failing(String);

#[cfg(feature = "reqwest")]
impl Transport for Failing {
    async fn send(
        &self,
        _request: ::http::Request<bytes::Bytes>,
    ) -> Result<::http::Response<bytes::Bytes>, crate::xrpc::TransportError> {
        Err(crate::xrpc::TransportError::new(self.0.clone()))
    }
}

impl Resolver {
    /// A resolver for the public network: the public PLC directory, the system's DNS, reqwest,
    /// and the defaults of [`ResolverBuilder`].
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Settings for a resolver, starting from those of [`Resolver::new`].
    pub fn builder() -> ResolverBuilder {
        ResolverBuilder {
            plc_url: ResolverBuilder::PUBLIC_PLC.to_owned(),
            handle_service: None,
            dns: None,
            dns_servers: None,
            transport: None,
            timeout: ResolverBuilder::DEFAULT_TIMEOUT,
            max_response_size: ResolverBuilder::DEFAULT_MAX_RESPONSE_SIZE,
            cache: CachePolicy {
                capacity: ResolverBuilder::DEFAULT_CACHE_SIZE,
                stale_after: ResolverBuilder::DEFAULT_STALE_AFTER,
                expire_after: ResolverBuilder::DEFAULT_EXPIRE_AFTER,
            },
        }
    }

    /// Resolves a handle (`alice.example.com`) or a DID (`did:plc:...`, `did:web:...`) to its
    /// identity, checking the handle both ways: a handle that its DID's document does not
    /// claim back is [`ResolveError::HandleMismatch`]; a DID whose document's handle does not
    /// resolve back to it has `handle: None`. Uses the cache.
    pub async fn resolve(&self, handle_or_did: &str) -> Result<Identity, ResolveError> {
        self.resolve_with(handle_or_did, false).await
    }

    /// As [`Resolver::resolve`], but fetches everything again instead of using the cache (and
    /// caches the new answers): after a signature failed to verify with a cached key, say.
    pub async fn refresh(&self, handle_or_did: &str) -> Result<Identity, ResolveError> {
        self.resolve_with(handle_or_did, true).await
    }

    /// The DID a handle points to, one way only (the DID's document is not read, so the
    /// handle is not verified: use [`Resolver::resolve`] for that). Uses the cache.
    pub async fn resolve_handle(&self, handle: &str) -> Result<Did, ResolveError> {
        let handle = parse_handle(handle)?;
        self.handle_did(&handle, false).await
    }

    /// The identity of `did` from its document alone, one way: the document's `id` is checked,
    /// the handle is not, so [`Identity::handle`] is `None` (use [`Resolver::resolve`] for a
    /// checked handle). What a verifier needs for a DID's keys, with no handle lookup. Uses the
    /// cache.
    pub async fn resolve_did(&self, did: &str) -> Result<Identity, ResolveError> {
        let did = parse_did(did)?;
        Ok((*self.document(&did, false).await?).clone())
    }

    /// As [`Resolver::resolve_did`], but fetches the document again instead of using the
    /// cache: after a signature failed to verify with the cached key (key rotation).
    pub async fn refresh_did(&self, did: &str) -> Result<Identity, ResolveError> {
        let did = parse_did(did)?;
        Ok((*self.document(&did, true).await?).clone())
    }

    /// Forgets every cached handle and document.
    pub fn clear_cache(&self) {
        self.inner.handle_cache.clear();
        self.inner.document_cache.clear();
    }

    async fn resolve_with(&self, input: &str, fresh: bool) -> Result<Identity, ResolveError> {
        if input.starts_with("did:") {
            let did = parse_did(input)?;
            let mut identity = (*self.document(&did, fresh).await?).clone();
            if let Some(claimed) = identity.document.handle() {
                identity.handle = self.verified_handle(&did, claimed, fresh).await;
            }
            Ok(identity)
        } else {
            let handle = parse_handle(input)?;
            let did = self.handle_did(&handle, fresh).await?;
            let mut identity = (*self.document(&did, fresh).await?).clone();
            let claimed = identity.document.handle();
            if !claimed.is_some_and(|c| c.eq_ignore_ascii_case(handle.as_str())) {
                return Err(ResolveError::HandleMismatch {
                    handle: handle.into_string(),
                    did: did.into_string(),
                    claimed: claimed.map(str::to_owned),
                });
            }
            identity.handle = Some(handle);
            Ok(identity)
        }
    }

    /// `claimed` (from the document of `did`), lowercased, if it is a handle that points back
    /// to `did`.
    async fn verified_handle(&self, did: &Did, claimed: &str, fresh: bool) -> Option<Handle> {
        let handle = Handle::new(claimed.to_ascii_lowercase()).ok()?;
        let points_to = self.handle_did(&handle, fresh).await.ok()?;
        (points_to == *did).then_some(handle)
    }

    async fn handle_did(&self, handle: &Handle, fresh: bool) -> Result<Did, ResolveError> {
        let source = self.inner.handles.as_ref().map_err(Clone::clone)?;
        let timeout = self.inner.timeout;
        self.inner
            .handle_cache
            .get(handle.as_str(), fresh, || {
                handle::resolve(source, handle.as_str(), timeout)
            })
            .await
    }

    /// The identity in the document of `did`, without a handle.
    async fn document(&self, did: &Did, fresh: bool) -> Result<Arc<Identity>, ResolveError> {
        let plc = self.inner.plc.as_ref().map_err(Clone::clone)?;
        let url = did::document_url(did.as_str(), plc)?;
        self.inner
            .document_cache
            .get(did.as_str(), fresh, || async {
                let document =
                    did::fetch_document(&self.inner.documents, did.as_str(), &url).await?;
                Ok(Arc::new(Identity {
                    did: did.clone(),
                    handle: None,
                    pds: document.pds_endpoint().map(str::to_owned),
                    signing_key: document.signing_key().ok().flatten(),
                    labeler_key: document.labeler_key().ok().flatten(),
                    document,
                }))
            })
            .await
    }
}

/// A handle, lowercased (handles compare without regard to case).
fn parse_handle(input: &str) -> Result<Handle, ResolveError> {
    Handle::new(input.to_ascii_lowercase()).map_err(|e| ResolveError::InvalidIdentifier {
        input: input.to_owned(),
        reason: e.to_string(),
    })
}

fn parse_did(input: &str) -> Result<Did, ResolveError> {
    Did::new(input).map_err(|e| ResolveError::InvalidIdentifier {
        input: input.to_owned(),
        reason: e.to_string(),
    })
}
