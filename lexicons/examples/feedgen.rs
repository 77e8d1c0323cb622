//! A feed generator: the posts of a PDS's firehose that contain a word, newest first, served as
//! `app.bsky.feed.getFeedSkeleton` behind service auth, with `describeFeedGenerator` and the
//! service's did:web document.
//!
//! ```sh
//! bash pds/start.sh        # prints ATLEX_PDS_URL=http://127.0.0.1:2583 (its PLC: port 2582)
//! # serve the feed of posts containing "atlex" until stopped, on port 3000:
//! ATLEX_PDS_URL=http://127.0.0.1:2583 ATLEX_PLC_URL=http://127.0.0.1:2582 \
//!     cargo run --example feedgen -- --port 3000 --word atlex
//! # or: a scripted run that creates an account, posts with and without the word, asks the PDS
//! # for service tokens, reads the feed directly and through the PDS, checks it, and stops
//! ATLEX_PDS_URL=http://127.0.0.1:2583 ATLEX_PLC_URL=http://127.0.0.1:2582 \
//!     cargo run --example feedgen -- --demo
//! ```
//!
//! The service is `did:web:localhost%3A<port>` (did:web resolves over http for `localhost`),
//! and its feed is `at://<that DID>/app.bsky.feed.generator/<word>`. A feed on the network is
//! announced by an `app.bsky.feed.generator` record in its author's repository, whose `did` is
//! the service's; the AppView then asks the service for the feed with a token from the reader's
//! PDS, as the PDS does here when a call carries `atproto-proxy: <DID>#bsky_fg`. Callers are
//! identified by their DID documents: did:plc through `ATLEX_PLC_URL` (or `ATLEX_PLC_PORT`;
//! default the public directory).
//!
//! Uses atlex's `auth`, `server` and `stream` features, and the official lexicons of this
//! crate.

use atlex::auth::{request_service_token, ServiceAuthVerifier, ServiceAuthVerifierBuilder};
use atlex::identity::Resolver;
use atlex::repo::Records;
use atlex::server::{Router, ServerError, XrpcRequest};
use atlex::types::{AtUri, Datetime, Did};
use atlex::xrpc::{TransportError, XrpcClient};
use atlex::Client;
use futures_util::StreamExt;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

use atlex::stream::Action;
use atlex_lexicons::app::bsky::feed::{defs, describe_feed_generator, get_feed_skeleton, post};
use atlex_lexicons::com::atproto::sync::subscribe_repos::{self, Message};
use atlex_lexicons::AnyRecord;
use common::BoxError;

/// The most posts kept; older ones are dropped.
const MAX_POSTS: usize = 10_000;

/// The feed: post URIs newest first, each with a sequence number that paging counts down from,
/// so that a cursor stays valid while new posts arrive.
#[derive(Clone, Default)]
struct Feed {
    state: Arc<Mutex<FeedState>>,
}

#[derive(Default)]
struct FeedState {
    next: u64,
    posts: VecDeque<(u64, AtUri)>,
    /// The accounts the firehose has shown an event of (the scripted run waits for its own).
    seen: HashSet<Did>,
}

impl Feed {
    fn add(&self, uri: AtUri) {
        let mut state = self.state.lock().unwrap();
        state.next += 1;
        let seq = state.next;
        state.posts.push_front((seq, uri));
        state.posts.truncate(MAX_POSTS);
    }

    fn remove(&self, uri: &AtUri) {
        self.state.lock().unwrap().posts.retain(|(_, u)| u != uri);
    }

    fn saw(&self, did: &Did) {
        self.state.lock().unwrap().seen.insert(did.clone());
    }

    fn has_seen(&self, did: &Did) -> bool {
        self.state.lock().unwrap().seen.contains(did)
    }

    fn contains(&self, uri: &AtUri) -> bool {
        self.state
            .lock()
            .unwrap()
            .posts
            .iter()
            .any(|(_, u)| u == uri)
    }

    /// Up to `limit` posts older than `cursor` (a sequence number), and the cursor of the next
    /// page when there are more.
    fn page(&self, cursor: Option<u64>, limit: usize) -> (Vec<AtUri>, Option<u64>) {
        let state = self.state.lock().unwrap();
        let mut older = state
            .posts
            .iter()
            .filter(|(seq, _)| cursor.is_none_or(|c| *seq < c));
        let page: Vec<(u64, AtUri)> = older.by_ref().take(limit).cloned().collect();
        let next = match (page.last(), older.next()) {
            (Some((seq, _)), Some(_)) => Some(*seq),
            _ => None,
        };
        (page.into_iter().map(|(_, uri)| uri).collect(), next)
    }
}

/// Reads the PDS's firehose into `feed`: creates of posts whose text contains `word` (in any
/// case), and deletes of posts.
async fn follow(pds: String, word: String, feed: Feed) {
    let client = match Client::new(&pds) {
        Ok(c) => c,
        Err(e) => return eprintln!("firehose: {e}"),
    };
    let params = subscribe_repos::Params { cursor: None };
    let mut events = subscribe_repos::subscribe(&client, &params).with_records::<AnyRecord>();
    let word = word.to_lowercase();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                eprintln!("firehose: {e}");
                continue;
            }
        };
        let repo = match &event.message {
            Message::Commit(commit) => &commit.repo,
            Message::Identity(identity) => &identity.did,
            Message::Account(account) => &account.did,
            _ => continue,
        };
        feed.saw(repo);
        for op in event.ops.iter().flatten() {
            if op.collection.as_str() != post::NSID {
                continue;
            }
            let Ok(uri) = format!("at://{repo}/{}/{}", op.collection, op.rkey).parse::<AtUri>()
            else {
                continue;
            };
            match (&op.action, &op.record) {
                (Action::Create, Some(Ok(AnyRecord::AppBskyFeedPost(p))))
                    if p.text.to_lowercase().contains(&word) =>
                {
                    println!("feed: + {uri} {:?}", p.text);
                    feed.add(uri);
                }
                (Action::Delete, _) => feed.remove(&uri),
                _ => {}
            }
        }
    }
}

/// The service: its DID document, `describeFeedGenerator`, and `getFeedSkeleton` for the feed
/// `feed_uri`, behind service auth.
fn service(
    did: &str,
    endpoint: &str,
    feed_uri: AtUri,
    feed: Feed,
    auth: ServiceAuthVerifier,
) -> axum::Router {
    let document = serde_json::json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "service": [{ "id": "#bsky_fg", "type": "BskyFeedGenerator", "serviceEndpoint": endpoint }],
    })
    .to_string();
    let service_did: Did = did.parse().expect("a did:web of localhost and a port");
    let described = describe_feed_generator::Output::new(
        service_did,
        vec![describe_feed_generator::Feed::new(feed_uri.clone())],
    );
    let xrpc = Router::new()
        // Public, as the lexicon says: the AppView asks it without a reader.
        .query(
            describe_feed_generator::Method,
            move |_req: XrpcRequest<_, ()>| {
                let described = described.clone();
                async move { Ok(described) }
            },
        )
        .query(
            get_feed_skeleton::Method,
            move |req: XrpcRequest<get_feed_skeleton::Params, ()>| {
                let (auth, feed, feed_uri) = (auth.clone(), feed.clone(), feed_uri.clone());
                async move {
                    // 401 with the XRPC error body, unless the token is good for this service
                    // and this method.
                    let caller = auth
                        .authenticate(&req.headers, get_feed_skeleton::NSID)
                        .await?;
                    let params = req.params;
                    if params.feed != feed_uri {
                        return Err(get_feed_skeleton::Error::UnknownFeed(Some(format!(
                            "this service serves {feed_uri} only"
                        )))
                        .into());
                    }
                    let cursor = match params.cursor.as_deref().map(str::parse::<u64>) {
                        None => None,
                        Some(Ok(c)) => Some(c),
                        Some(Err(_)) => {
                            return Err(ServerError::invalid_request(
                                "a cursor is a number this feed gave",
                            ))
                        }
                    };
                    let limit = usize::try_from(params.limit).unwrap_or(50);
                    let (posts, next) = feed.page(cursor, limit);
                    println!("getFeedSkeleton for {}: {} posts", caller.iss, posts.len());
                    let mut out = get_feed_skeleton::Output::new(
                        posts.into_iter().map(defs::SkeletonFeedPost::new).collect(),
                    );
                    out.cursor = next.map(|n| n.to_string());
                    Ok(out)
                }
            },
        );
    axum::Router::new()
        .route(
            "/.well-known/did.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { ([("content-type", "application/json")], document) }
            }),
        )
        .merge(xrpc.into_axum())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let pds = common::pds_url();
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let demo = args.iter().any(|a| a == "--demo");
    let port: u16 = arg("--port")
        .and_then(|p| p.parse().ok())
        .unwrap_or(if demo { 0 } else { 3000 });
    // A word of its own for the scripted run, so that older posts on the PDS do not count.
    let word = arg("--word").unwrap_or_else(|| {
        if demo {
            format!("atlex{}", std::process::id())
        } else {
            "atlex".to_owned()
        }
    });
    let plc = std::env::var("ATLEX_PLC_URL")
        .ok()
        .or_else(|| {
            std::env::var("ATLEX_PLC_PORT")
                .ok()
                .map(|p| format!("http://127.0.0.1:{p}"))
        })
        .unwrap_or_else(|| "https://plc.directory".to_owned());

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let port = listener.local_addr()?.port();
    let did = format!("did:web:localhost%3A{port}");
    let endpoint = format!("http://localhost:{port}");
    let feed_uri: AtUri = format!("at://{did}/app.bsky.feed.generator/{word}").parse()?;

    // Tokens for this service, under either audience a PDS may use, each accepted once.
    let auth =
        ServiceAuthVerifier::builder(Resolver::builder().plc_url(&plc).build(), did.as_str())
            .audience(format!("{did}#bsky_fg"))
            .reject_replays(ServiceAuthVerifierBuilder::DEFAULT_REPLAY_CAPACITY)
            .build();
    let feed = Feed::default();
    tokio::spawn(follow(pds.clone(), word.clone(), feed.clone()));
    let app = service(&did, &endpoint, feed_uri.clone(), feed.clone(), auth);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    println!("feed generator {did} at {endpoint}, serving {feed_uri} (posts containing {word:?})");

    if !demo {
        server.await??;
        return Ok(());
    }
    let run = Demo {
        pds,
        did,
        endpoint,
        feed_uri,
        word,
        feed,
    };
    tokio::time::timeout(Duration::from_secs(60), run.run())
        .await
        .map_err(|_| "the scripted run took more than a minute")??;
    println!("feedgen: the feed is right, directly and through the PDS");
    Ok(())
}

/// The scripted run.
struct Demo {
    pds: String,
    did: String,
    endpoint: String,
    feed_uri: AtUri,
    word: String,
    feed: Feed,
}

impl Demo {
    async fn run(self) -> Result<(), BoxError> {
        // An account, seen on the firehose before it posts.
        let session = common::new_account(&self.pds, "fg").await?;
        let me = session.data().ok_or("logged in")?.did;
        self.wait("the account's first event", || self.feed.has_seen(&me))
            .await?;

        // Posts with and without the word.
        let records = Records::of_session(&session)?;
        let texts = [
            format!("first post with {}", self.word),
            "a post without it".to_owned(),
            format!("{} again, in capitals", self.word.to_uppercase()),
            "nothing to see".to_owned(),
            format!("#{} the third", self.word),
        ];
        let mut expected = Vec::new();
        for text in &texts {
            let written = records
                .create(&post::Record::new(text.clone(), Datetime::now()))
                .await?;
            if text.to_lowercase().contains(&self.word) {
                expected.push(written.uri);
            }
        }
        expected.reverse(); // newest first
        self.wait("the posts on the firehose", || {
            expected.iter().all(|u| self.feed.contains(u))
        })
        .await?;

        // Directly, a page of two then the rest, each with a new token from the PDS.
        let aud = format!("{}#bsky_fg", self.did);
        let mut params = get_feed_skeleton::Params::new(self.feed_uri.clone());
        params.limit = 2;
        let mut pages = Vec::new();
        loop {
            let token =
                request_service_token(&session, &aud, Some(get_feed_skeleton::NSID), None).await?;
            let client = WithHeader::new(
                Client::new(&self.endpoint)?,
                "authorization",
                &format!("Bearer {token}"),
            )?;
            let page = get_feed_skeleton::call(&client, &params).await?;
            println!(
                "page: {:?}",
                page.feed
                    .iter()
                    .map(|p| p.post.as_str())
                    .collect::<Vec<_>>()
            );
            pages.push(page.feed.into_iter().map(|p| p.post).collect::<Vec<_>>());
            match page.cursor {
                Some(cursor) => params.cursor = Some(cursor),
                None => break,
            }
        }
        check(
            pages.len() == 2 && pages[0].len() == 2,
            "two pages, of two posts then one",
        )?;
        check(
            pages.concat() == expected,
            "the posts with the word, newest first",
        )?;

        // Through the PDS: it resolves this service's DID and calls it with its own token.
        let proxied = WithHeader::new(&session, "atproto-proxy", &aud)?;
        let all = get_feed_skeleton::call(
            &proxied,
            &get_feed_skeleton::Params::new(self.feed_uri.clone()),
        )
        .await?;
        let all: Vec<AtUri> = all.feed.into_iter().map(|p| p.post).collect();
        check(all == expected, "the same feed through the PDS")?;

        // Without a token, and with the token of another method: 401.
        let anonymous = Client::new(&self.endpoint)?;
        let refused = get_feed_skeleton::call(&anonymous, &params).await;
        check(
            matches!(&refused, Err(atlex::Error::Xrpc(e)) if e.status == 401 && e.name == "AuthenticationRequired"),
            "401 without a token",
        )?;
        let other =
            request_service_token(&session, &aud, Some(describe_feed_generator::NSID), None)
                .await?;
        let client = WithHeader::new(
            Client::new(&self.endpoint)?,
            "authorization",
            &format!("Bearer {other}"),
        )?;
        let refused = get_feed_skeleton::call(&client, &params).await;
        check(
            matches!(&refused, Err(atlex::Error::Xrpc(e)) if e.status == 401 && e.name == "BadJwtLexiconMethod"),
            "401 with a token for another method",
        )?;

        let described = describe_feed_generator::call(&anonymous).await?;
        check(
            described.did.as_str() == self.did,
            "describeFeedGenerator names the service",
        )?;
        check(
            described.feeds.len() == 1 && described.feeds[0].uri == self.feed_uri,
            "and its feed",
        )?;
        Ok(())
    }

    /// Waits up to 15 seconds for `done`.
    async fn wait(&self, what: &str, done: impl Fn() -> bool) -> Result<(), BoxError> {
        for _ in 0..150 {
            if done() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("waited 15 seconds for {what}").into())
    }
}

fn check(ok: bool, what: &str) -> Result<(), BoxError> {
    if ok {
        println!("ok: {what}");
        Ok(())
    } else {
        Err(format!("not so: {what}").into())
    }
}

/// An XRPC client that adds one header to each request.
struct WithHeader<C> {
    client: C,
    name: http::HeaderName,
    value: http::HeaderValue,
}

impl<C> WithHeader<C> {
    fn new(client: C, name: &'static str, value: &str) -> Result<Self, BoxError> {
        Ok(WithHeader {
            client,
            name: http::HeaderName::from_static(name),
            value: value.parse()?,
        })
    }
}

impl<C: XrpcClient> XrpcClient for WithHeader<C> {
    async fn send_xrpc(
        &self,
        mut request: atlex::xrpc::XrpcRequest,
    ) -> Result<http::Response<bytes::Bytes>, TransportError> {
        request
            .headers
            .insert(self.name.clone(), self.value.clone());
        self.client.send_xrpc(request).await
    }
}
