//! Handle -> DID: DNS TXT `_atproto.<handle>` and HTTPS `/.well-known/atproto-did`, asked at
//! once with DNS preferred (as @atproto/identity's `HandleResolver` does), or
//! `com.atproto.identity.resolveHandle` at a handle service.

use super::dns::ErasedDns;
use super::net::Http;
use super::ResolveError;
use crate::types::Did;
use crate::xrpc::{Client, TransportErrorKind};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use crate::lexicons::com::atproto::identity::resolve_handle;

/// How handles are resolved.
pub(crate) enum HandleSource {
    /// `com.atproto.identity.resolveHandle` at this service.
    Service(Client<Http>),
    /// DNS and HTTPS, as on the public network.
    Network { dns: Arc<dyn ErasedDns>, http: Http },
}

/// What one way of asking found.
enum Answer {
    Did(Did),
    /// Nothing usable, and why.
    Nothing(String),
    /// No answer in time.
    Timeout,
}

/// The DID of `handle` (valid and lowercased), not yet checked against the DID's document.
pub(crate) async fn resolve(
    source: &HandleSource,
    handle: &str,
    timeout: Duration,
) -> Result<Did, ResolveError> {
    match source {
        HandleSource::Service(client) => through_service(client, handle).await,
        HandleSource::Network { dns, http } => through_network(&**dns, http, handle, timeout).await,
    }
}

async fn through_service(client: &Client<Http>, handle: &str) -> Result<Did, ResolveError> {
    let url = format!(
        "{}/xrpc/com.atproto.identity.resolveHandle",
        client.base_url()
    );
    let params = resolve_handle::Params::new(handle.parse().map_err(|e| {
        ResolveError::InvalidIdentifier {
            input: handle.to_owned(),
            reason: format!("{e}"),
        }
    })?);
    match resolve_handle::call(client, &params).await {
        Ok(out) => Ok(out.did),
        Err(crate::Error::Xrpc(e))
            if e.name == "HandleNotFound"
                || (e.status.as_u16() == 400 && e.name == "InvalidRequest") =>
        {
            Err(ResolveError::HandleNotFound {
                handle: handle.to_owned(),
                detail: format!(
                    "{url} answered {} {}",
                    e.name,
                    e.message.as_deref().unwrap_or("")
                )
                .trim_end()
                .to_owned(),
            })
        }
        Err(crate::Error::Xrpc(e)) => Err(ResolveError::Status {
            url,
            status: e.status.as_u16(),
        }),
        Err(crate::Error::Transport(e)) => Err(client.transport().error(&url, e)),
        Err(crate::Error::Decode(e)) => Err(ResolveError::MalformedResponse {
            url,
            reason: e.reason,
        }),
        Err(crate::Error::InvalidResponse(e)) => Err(ResolveError::MalformedResponse {
            url,
            reason: e.to_string(),
        }),
        Err(e) => Err(ResolveError::InvalidIdentifier {
            input: handle.to_owned(),
            reason: e.to_string(),
        }),
    }
}

async fn through_network(
    dns: &dyn ErasedDns,
    http: &Http,
    handle: &str,
    timeout: Duration,
) -> Result<Did, ResolveError> {
    let name = format!("_atproto.{handle}.");
    let url = format!("https://{handle}/.well-known/atproto-did");
    let mut by_dns = pin!(ask_dns(dns, &name, timeout));
    let mut by_https = pin!(ask_https(http, &url));
    // Both at once; DNS decides first, as in the reference: its DID wins, and HTTPS is only
    // waited for when DNS has none.
    let mut https_done = None;
    let dns_answer = poll_fn(|cx| {
        if https_done.is_none() {
            if let Poll::Ready(a) = by_https.as_mut().poll(cx) {
                https_done = Some(a);
            }
        }
        by_dns.as_mut().poll(cx)
    })
    .await;
    if let Answer::Did(did) = dns_answer {
        return Ok(did);
    }
    let https_answer = match https_done {
        Some(a) => a,
        None => by_https.await,
    };
    match (dns_answer, https_answer) {
        (_, Answer::Did(did)) => Ok(did),
        (Answer::Nothing(d), Answer::Nothing(h)) => Err(ResolveError::HandleNotFound {
            handle: handle.to_owned(),
            detail: format!("DNS TXT {name}: {d}; {url}: {h}"),
        }),
        _ => Err(ResolveError::Timeout {
            what: format!("{name} (DNS TXT) and {url}"),
            after: timeout,
        }),
    }
}

/// `_atproto.<handle>.`: exactly one TXT record starting with `did=`.
async fn ask_dns(dns: &dyn ErasedDns, name: &str, timeout: Duration) -> Answer {
    let records = match tokio::time::timeout(timeout, dns.txt(name)).await {
        Err(_) => return Answer::Timeout,
        Ok(Err(e)) if e.kind() == TransportErrorKind::Timeout => return Answer::Timeout,
        Ok(Err(e)) => return Answer::Nothing(format!("failed: {e}")),
        Ok(Ok(records)) => records,
    };
    let found: Vec<&str> = records
        .iter()
        .filter_map(|r| r.strip_prefix("did="))
        .collect();
    match found.as_slice() {
        [] => Answer::Nothing("no did= record".into()),
        [did] => match Did::new(*did) {
            Ok(did) => Answer::Did(did),
            Err(e) => Answer::Nothing(format!("the did= record is not a DID: {e}")),
        },
        more => Answer::Nothing(format!(
            "{} did= records, where there must be one",
            more.len()
        )),
    }
}

/// `https://<handle>/.well-known/atproto-did`: the first line of a success answer, trimmed.
async fn ask_https(http: &Http, url: &str) -> Answer {
    let response = match http.get(url, "text/plain").await {
        Ok(r) => r,
        Err(ResolveError::Timeout { .. }) => return Answer::Timeout,
        Err(e) => return Answer::Nothing(e.to_string()),
    };
    if !response.status().is_success() {
        return Answer::Nothing(format!("HTTP status {}", response.status().as_u16()));
    }
    let text = String::from_utf8_lossy(response.body());
    let line = text.split('\n').next().unwrap_or_default().trim();
    if !line.starts_with("did:") {
        return Answer::Nothing("the answer is not a DID".into());
    }
    match Did::new(line) {
        Ok(did) => Answer::Did(did),
        Err(e) => Answer::Nothing(format!("the answer is not a DID: {e}")),
    }
}
