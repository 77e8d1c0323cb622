//! DID -> DID document: `did:plc` through a PLC directory, `did:web` from the host's
//! `/.well-known/did.json`.

use super::net::Http;
use super::{DidDocument, ResolveError};

/// What DID documents are asked for with (as the reference does).
const ACCEPT: &str = "application/did+ld+json,application/json";

/// Where the document of `did` is: `<plc>/<did>` for did:plc (the DID percent-encoded, as the
/// reference sends it), `https://<host>/.well-known/did.json` for did:web (http for
/// `localhost`, `%3A` decoded to the port's colon; no path allowed).
pub(crate) fn document_url(did: &str, plc: &str) -> Result<String, ResolveError> {
    if did.starts_with("did:plc:") {
        return Ok(format!(
            "{plc}/{}",
            did.replace('%', "%25").replace(':', "%3A")
        ));
    }
    if let Some(rest) = did.strip_prefix("did:web:") {
        return web_url(did, rest);
    }
    Err(ResolveError::UnsupportedMethod {
        did: did.to_owned(),
    })
}

fn web_url(did: &str, rest: &str) -> Result<String, ResolveError> {
    if rest.contains(':') {
        return Err(ResolveError::UnsupportedDidWebPath {
            did: did.to_owned(),
        });
    }
    let invalid = |reason: &str| ResolveError::InvalidIdentifier {
        input: did.to_owned(),
        reason: format!("not a did:web host: {reason}"),
    };
    let authority = percent_decode(rest).ok_or_else(|| invalid("a bad %-escape"))?;
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority.as_str(), None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !host.starts_with(['.', '-']);
    if !host_ok {
        return Err(invalid(
            "the host may hold only letters, digits, dots and hyphens",
        ));
    }
    if let Some(port) = port {
        let port_ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
        if !port_ok {
            return Err(invalid("the port must be a number from 1 to 65535"));
        }
    }
    let scheme = if host.eq_ignore_ascii_case("localhost") {
        "http"
    } else {
        "https"
    };
    Ok(format!("{scheme}://{authority}/.well-known/did.json"))
}

/// `%XX` escapes decoded; `None` for a bad escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Fetches and checks the document of `did` at `url`: 404 and 410 are "not found", any other
/// status but success an error; the document must be well formed and its `id` must be `did`.
pub(crate) async fn fetch_document(
    http: &Http,
    did: &str,
    url: &str,
) -> Result<DidDocument, ResolveError> {
    let response = http.get(url, ACCEPT).await?;
    let status = response.status();
    if status == http::StatusCode::NOT_FOUND || status == http::StatusCode::GONE {
        return Err(ResolveError::DidNotFound {
            did: did.to_owned(),
            status: status.as_u16(),
        });
    }
    if !status.is_success() {
        return Err(ResolveError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
        });
    }
    let doc =
        DidDocument::from_json(response.body()).map_err(|e| ResolveError::MalformedDocument {
            did: did.to_owned(),
            reason: e.to_string(),
        })?;
    if doc.id() != did {
        return Err(ResolveError::DocumentIdMismatch {
            did: did.to_owned(),
            id: doc.id().to_owned(),
        });
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_documents() {
        let plc = "http://127.0.0.1:2582";
        let ok: &[(&str, &str)] = &[
            (
                "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
                "http://127.0.0.1:2582/did%3Aplc%3Aewvi7nxzyoun6zhxrhs64oiz",
            ),
            (
                "did:web:example.com",
                "https://example.com/.well-known/did.json",
            ),
            (
                "did:web:localhost%3A8080",
                "http://localhost:8080/.well-known/did.json",
            ),
            ("did:web:LocalHost", "http://LocalHost/.well-known/did.json"),
            (
                "did:web:example.com%3A8443",
                "https://example.com:8443/.well-known/did.json",
            ),
        ];
        for (did, url) in ok {
            assert_eq!(document_url(did, plc).as_deref(), Ok(*url), "{did}");
        }
        let refused = |did: &str| document_url(did, plc).unwrap_err();
        assert!(matches!(
            refused("did:web:example.com:alice"),
            ResolveError::UnsupportedDidWebPath { .. }
        ));
        assert!(matches!(
            refused("did:key:zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5w"),
            ResolveError::UnsupportedMethod { .. }
        ));
        for bad in [
            "did:web:",
            "did:web:a%2Fb",
            "did:web:a%40b",
            "did:web:%zz",
            "did:web:a%3A",
            "did:web:a%3A99999",
            "did:web:a%3A0",
            "did:web:-a.com",
            "did:web:a%3A1%3A2",
        ] {
            assert!(
                matches!(refused(bad), ResolveError::InvalidIdentifier { .. }),
                "{bad}: {:?}",
                refused(bad)
            );
        }
    }
}
