//! The resolver's HTTP side: any [`Transport`], with a timeout and a size limit on every answer.

use super::ResolveError;
use crate::xrpc::{Transport, TransportError, TransportErrorKind};
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

type Sending<'a> =
    Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, TransportError>> + Send + 'a>>;

/// The object-safe form of [`Transport`], so that the resolver holds any of them.
pub(crate) trait ErasedTransport: Send + Sync {
    fn send(&self, request: http::Request<Bytes>) -> Sending<'_>;
}

impl<T: Transport> ErasedTransport for T {
    fn send(&self, request: http::Request<Bytes>) -> Sending<'_> {
        Box::pin(Transport::send(self, request))
    }
}

/// Stands in for the transport when the `reqwest` feature is off and none was given.
pub(crate) struct NoTransport;

impl Transport for NoTransport {
    async fn send(
        &self,
        _request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        Err(TransportError::new(
            "no HTTP transport: enable the reqwest feature of atlex or give one with \
             ResolverBuilder::transport",
        ))
    }
}

/// A transport with the resolver's timeout and response size limit.
#[derive(Clone)]
pub(crate) struct Http {
    pub(crate) transport: Arc<dyn ErasedTransport>,
    pub(crate) timeout: Duration,
    pub(crate) max_body: usize,
}

impl Http {
    /// GETs `url` with an `accept` header.
    pub(crate) async fn get(
        &self,
        url: &str,
        accept: &str,
    ) -> Result<http::Response<Bytes>, ResolveError> {
        let request = http::Request::get(url)
            .header(http::header::ACCEPT, accept)
            .body(Bytes::new())
            .map_err(|e| ResolveError::Transport {
                url: url.to_owned(),
                kind: TransportErrorKind::Other,
                message: format!("the request could not be made: {e}"),
            })?;
        Transport::send(self, request)
            .await
            .map_err(|e| self.error(url, e))
    }

    /// The resolver's error for a transport failure on `url`.
    pub(crate) fn error(&self, url: &str, e: TransportError) -> ResolveError {
        match e.kind() {
            TransportErrorKind::Timeout => ResolveError::Timeout {
                what: url.to_owned(),
                after: self.timeout,
            },
            TransportErrorKind::BodyTooLarge => ResolveError::TooLarge {
                url: url.to_owned(),
                limit: self.max_body,
            },
            kind => ResolveError::Transport {
                url: url.to_owned(),
                kind,
                message: e.to_string(),
            },
        }
    }
}

impl Transport for Http {
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let response = tokio::time::timeout(self.timeout, self.transport.send(request))
            .await
            .map_err(|_| {
                TransportError::with_kind(
                    TransportErrorKind::Timeout,
                    format!("no answer within {} ms", self.timeout.as_millis()),
                )
            })??;
        // Also for transports that read whole bodies whatever their size.
        if response.body().len() > self.max_body {
            return Err(TransportError::with_kind(
                TransportErrorKind::BodyTooLarge,
                format!("the answer is larger than the {} byte limit", self.max_body),
            ));
        }
        Ok(response)
    }
}
