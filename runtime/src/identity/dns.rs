//! DNS TXT lookups for handles: the [`DnsTxtResolver`] trait, and [`HickoryDns`] over
//! hickory-resolver.

use crate::xrpc::{TransportError, TransportErrorKind};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::rr::RData;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

/// Looks up DNS TXT records. [`HickoryDns`] is the one the resolver uses unless told otherwise
/// ([`super::ResolverBuilder::dns`]); implement it to resolve through something else (DNS
/// over HTTPS, a platform resolver, a test double).
pub trait DnsTxtResolver: Send + Sync + 'static {
    /// The TXT records at `name` (a fully qualified name such as `_atproto.alice.example.com.`),
    /// each record's character strings joined into one string. A name with no TXT records, or
    /// that does not exist, gives an empty list, not an error.
    fn txt(&self, name: &str) -> impl Future<Output = Result<Vec<String>, TransportError>> + Send;
}

/// The object-safe form of [`DnsTxtResolver`], so that the resolver holds any of them.
pub(crate) trait ErasedDns: Send + Sync {
    fn txt<'a>(
        &'a self,
        name: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<String>, TransportError>> + Send + 'a>>;
}

impl<T: DnsTxtResolver> ErasedDns for T {
    fn txt<'a>(
        &'a self,
        name: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<String>, TransportError>> + Send + 'a>> {
        Box::pin(DnsTxtResolver::txt(self, name))
    }
}

/// Where [`HickoryDns`] sends its queries.
#[derive(Debug, Clone)]
enum Servers {
    /// The system's configuration (`/etc/resolv.conf` on Unix).
    System,
    /// These servers, over UDP then TCP.
    These(Vec<SocketAddr>),
}

/// DNS through hickory-resolver (on tokio), to the system's name servers or to the ones given.
///
/// The underlying resolver is made on the first lookup, so making a `HickoryDns` never fails;
/// a system configuration that cannot be read is reported by each lookup.
pub struct HickoryDns {
    servers: Servers,
    timeout: Duration,
    resolver: OnceLock<Result<hickory_resolver::TokioResolver, String>>,
}

impl std::fmt::Debug for HickoryDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HickoryDns")
            .field("servers", &self.servers)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl HickoryDns {
    /// How long one query may take by default: 3 seconds.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

    /// Asks the name servers of the system's configuration (`/etc/resolv.conf` on Unix, the
    /// registry on Windows).
    pub fn system() -> Self {
        Self::with(Servers::System)
    }

    /// Asks these name servers (UDP, then TCP when an answer is truncated), for private
    /// networks and tests.
    pub fn with_servers(servers: impl IntoIterator<Item = SocketAddr>) -> Self {
        Self::with(Servers::These(servers.into_iter().collect()))
    }

    fn with(servers: Servers) -> Self {
        HickoryDns {
            servers,
            timeout: Self::DEFAULT_TIMEOUT,
            resolver: OnceLock::new(),
        }
    }

    /// Sets how long one query may take (default [`Self::DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn make(&self) -> Result<hickory_resolver::TokioResolver, String> {
        use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
        let mut builder = match &self.servers {
            Servers::System => hickory_resolver::TokioResolver::builder_tokio().map_err(|e| {
                format!(
                    "the system's DNS configuration could not be read ({e}); give the servers \
                     to ask with ResolverBuilder::dns_servers"
                )
            })?,
            Servers::These(addrs) => {
                let servers = addrs
                    .iter()
                    .map(|addr| {
                        let mut udp = ConnectionConfig::udp();
                        udp.port = addr.port();
                        let mut tcp = ConnectionConfig::tcp();
                        tcp.port = addr.port();
                        NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
                    })
                    .collect();
                hickory_resolver::TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(servers),
                    TokioRuntimeProvider::default(),
                )
            }
        };
        let options = builder.options_mut();
        options.timeout = self.timeout;
        // The identity resolver keeps its own cache; a second one here would keep a refresh
        // from reaching the name servers.
        options.cache_size = 0;
        builder
            .build()
            .map_err(|e| format!("the DNS resolver could not be made: {e}"))
    }
}

impl DnsTxtResolver for HickoryDns {
    async fn txt(&self, name: &str) -> Result<Vec<String>, TransportError> {
        let resolver = self
            .resolver
            .get_or_init(|| self.make())
            .as_ref()
            .map_err(|e| TransportError::with_kind(TransportErrorKind::Other, e.clone()))?;
        match resolver.txt_lookup(name).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|chunk| String::from_utf8_lossy(chunk))
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect()),
            Err(NetError::Dns(DnsError::NoRecordsFound(_))) => Ok(Vec::new()),
            Err(NetError::Timeout) => Err(TransportError::with_kind(
                TransportErrorKind::Timeout,
                format!("DNS query for {name} timed out"),
            )),
            Err(e) => Err(TransportError::with_kind(
                TransportErrorKind::Other,
                format!("DNS query for {name}: {e}"),
            )),
        }
    }
}
