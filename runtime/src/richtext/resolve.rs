//! Mentions resolved from handles to DIDs.

use super::{ByteSlice, Facet, Feature};
use crate::types::{Did, Handle};
use crate::xrpc::XrpcClient;
use crate::ValidationError;
use std::collections::HashMap;
use std::fmt;
use std::future::{poll_fn, Future};
use std::hash::BuildHasher;
use std::pin::Pin;
use std::task::Poll;

use crate::lexicons::com::atproto::identity::resolve_handle;

/// Finds the DID a mentioned handle points to, for [`RichText::resolve_mentions`].
///
/// Implemented for every XRPC client ([`Client`](crate::Client), a
/// [`Session`](crate::xrpc::Session)...), which asks `com.atproto.identity.resolveHandle` at
/// its service as `@atproto/api` does; for `atlex::identity::Resolver` (feature `identity`),
/// which asks DNS and HTTPS or its handle service; and for a map from handles to DIDs
/// (handles the caller already knows, such as those an autocomplete picked).
///
/// [`RichText::resolve_mentions`]: super::RichText::resolve_mentions
pub trait MentionResolver {
    /// Why a handle did not resolve.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The DID that `handle` (as written after the `@`) points to.
    fn resolve_mention(
        &self,
        handle: &str,
    ) -> impl Future<Output = Result<Did, Self::Error>> + Send;
}

impl<C: XrpcClient> MentionResolver for C {
    type Error = crate::Error<resolve_handle::Error>;

    fn resolve_mention(
        &self,
        handle: &str,
    ) -> impl Future<Output = Result<Did, Self::Error>> + Send {
        let handle = Handle::new(handle)
            .map_err(|e| crate::Error::InvalidRequest(ValidationError::from(e).in_field("handle")));
        async move {
            let params = resolve_handle::Params::new(handle?);
            Ok(resolve_handle::call(self, &params).await?.did)
        }
    }
}

#[cfg(feature = "identity")]
impl MentionResolver for crate::identity::Resolver {
    type Error = crate::identity::ResolveError;

    fn resolve_mention(
        &self,
        handle: &str,
    ) -> impl Future<Output = Result<Did, Self::Error>> + Send {
        self.resolve_handle(handle)
    }
}

impl<S: BuildHasher + Sync> MentionResolver for HashMap<String, Did, S> {
    type Error = UnknownHandle;

    fn resolve_mention(
        &self,
        handle: &str,
    ) -> impl Future<Output = Result<Did, Self::Error>> + Send {
        let found = self
            .get(handle)
            .cloned()
            .ok_or_else(|| UnknownHandle(handle.to_owned()));
        std::future::ready(found)
    }
}

/// A handle that a map of known handles does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownHandle(pub String);

impl fmt::Display for UnknownHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the handle `{}` is not among the known handles", self.0)
    }
}

impl std::error::Error for UnknownHandle {}

/// A mentioned handle that did not resolve, so that its mentions were dropped: an item of
/// what [`RichText::resolve_mentions`](super::RichText::resolve_mentions) returns.
#[derive(Debug)]
pub struct DroppedMention<E> {
    /// The handle as written after the `@`.
    pub handle: String,
    /// Where it was mentioned (its facets' slices, before they were dropped).
    pub at: Vec<ByteSlice>,
    /// Why it did not resolve.
    pub error: E,
}

pub(super) async fn resolve_mentions<R: MentionResolver>(
    facets: &mut Vec<Facet>,
    resolver: &R,
) -> Vec<DroppedMention<R::Error>> {
    // Each handle once, in the order of the text.
    let mut handles: Vec<String> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    for feature in facets.iter().flat_map(|f| &f.features) {
        if let Feature::UnresolvedMention { handle } = feature {
            if !position.contains_key(handle) {
                position.insert(handle.clone(), handles.len());
                handles.push(handle.clone());
            }
        }
    }
    if handles.is_empty() {
        return Vec::new();
    }
    let answers = join_all(
        handles
            .iter()
            .map(|h| resolver.resolve_mention(h))
            .collect(),
    )
    .await;
    let mut answers: Vec<Result<Did, DroppedMention<R::Error>>> = handles
        .into_iter()
        .zip(answers)
        .map(|(handle, answer)| {
            answer.map_err(|error| DroppedMention {
                handle,
                at: Vec::new(),
                error,
            })
        })
        .collect();
    facets.retain_mut(|facet| {
        let index = facet.index;
        let before = facet.features.len();
        facet.features.retain_mut(|feature| {
            let Feature::UnresolvedMention { handle } = feature else {
                return true;
            };
            match position
                .get(handle.as_str())
                .and_then(|&i| answers.get_mut(i))
            {
                Some(Ok(did)) => {
                    *feature = Feature::Mention { did: did.clone() };
                    true
                }
                Some(Err(dropped)) => {
                    dropped.at.push(index);
                    false
                }
                None => true,
            }
        });
        // A facet goes when its last feature was a dropped mention.
        before == 0 || !facet.features.is_empty()
    });
    answers.into_iter().filter_map(Result::err).collect()
}

/// Runs `futures` at once and gives their outputs in order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(&mut outputs) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
