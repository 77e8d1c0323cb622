//! Event streams in process: a generated server route (`Router::subscription`) to the generated
//! client (`subscribe`) over a real WebSocket on loopback.
//!
//! - 100,000 messages arrive, in order;
//! - while the consumer is slow, the receiving side's memory stays bounded (the process's
//!   resident memory, sampled, against a server that could send 400 MB as fast as it is read);
//! - an error frame ends the stream with the typed error; an unknown message type is kept
//!   whole; a frame over the limit is a typed error;
//! - a server that drops the connection is reconnected with the last sequence number as the
//!   cursor, and no message is lost or repeated;
//! - com.atproto.label.subscribeLabels with typed labels (needs ATLEX_LEXICONS_DIR for the
//!   build).

use atlex::server::{Router, ServerError, XrpcRequest};
use futures_util::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

atlex::lexicon!({
    "lexicon": 1,
    "id": "com.example.ticks",
    "defs": {
        "main": {
            "type": "subscription",
            "parameters": { "type": "params", "properties": {
                "cursor": { "type": "integer" },
                "size": { "type": "integer", "minimum": 0, "maximum": 1000000 },
                "count": { "type": "integer", "minimum": 0 },
                "dropAfter": { "type": "integer", "minimum": 1 }
            } },
            "message": { "schema": { "type": "union", "refs": ["#tick", "#info"] } },
            "errors": [{ "name": "FutureCursor" }, { "name": "ConsumerTooSlow" }]
        },
        "tick": {
            "type": "object",
            "required": ["seq", "text"],
            "properties": {
                "seq": { "type": "integer" },
                "text": { "type": "string", "maxLength": 2000000 },
                "data": { "type": "bytes" }
            }
        },
        "info": {
            "type": "object",
            "required": ["name"],
            "properties": { "name": { "type": "string", "knownValues": ["OutdatedCursor"] }, "message": { "type": "string" } }
        }
    }
});

use com::example::ticks;

/// A server of `ticks`: from `cursor + 1` (or 1), `count` ticks of `size` bytes of text, made
/// only as fast as they are sent; a cursor past `count` is the FutureCursor error; with
/// `dropAfter`, each connection ends after that many ticks (the client reconnects).
async fn serve(connections: Arc<AtomicUsize>) -> String {
    let router =
        Router::new().subscription(ticks::Method, move |req: XrpcRequest<ticks::Params, ()>| {
            let connections = connections.clone();
            async move {
                connections.fetch_add(1, Ordering::SeqCst);
                let p = req.params;
                let count = p.count.unwrap_or(10);
                let start = p.cursor.unwrap_or(0);
                let text = "x".repeat(p.size.unwrap_or(4) as usize);
                let end = match p.drop_after {
                    Some(n) => (start + n).min(count),
                    None => count,
                };
                let future_cursor = start > count;
                futures_util::stream::unfold(start + 1, move |seq| {
                    let text = text.clone();
                    async move {
                        if future_cursor {
                            if seq == start + 1 {
                                let e =
                                    ticks::Error::FutureCursor(Some("cursor in the future".into()));
                                return Some((Err(ServerError::from(e)), seq + 1));
                            }
                            return None;
                        }
                        if seq > end {
                            return None;
                        }
                        let tick = ticks::Message::Tick(Box::new(ticks::Tick::new(seq, text)));
                        Some((Ok(tick), seq + 1))
                    }
                })
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(router.serve(listener));
    url
}

fn params(count: i64) -> ticks::Params {
    ticks::Params {
        count: Some(count),
        ..ticks::Params::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_messages_in_order() {
    let url = serve(Default::default()).await;
    let client = atlex::Client::new(&url).unwrap();
    let mut events = ticks::subscribe(&client, &params(100_000));
    let mut next = 1;
    while next <= 100_000 {
        match events.next().await {
            Some(Ok(ticks::Message::Tick(t))) => {
                assert_eq!(t.seq, next, "in order, none lost or repeated");
                next += 1;
            }
            other => panic!("at {next}: {other:?}"),
        }
    }
    println!("100000 messages received in order");
}

/// The process's resident memory, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_holds_the_stream_back() {
    // 20,000 messages of 20 kB: 400 MB the server could send at once if the client buffered.
    let url = serve(Default::default()).await;
    let client = atlex::Client::new(&url).unwrap();
    let p = ticks::Params {
        count: Some(20_000),
        size: Some(20_000),
        ..ticks::Params::default()
    };
    let mut events = ticks::subscribe(&client, &p);
    // Let the first message through, then measure from there. (The server then closes; the
    // client would reconnect from the cursor, so the loop stops at the count.)
    assert!(matches!(events.next().await, Some(Ok(_))));
    let base = rss();
    let mut peak = base;
    let mut received = 1;
    while received < 20_000 {
        events.next().await.unwrap().unwrap();
        received += 1;
        if received < 400 {
            // Slow: the server produces far faster than this.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if received % 100 == 0 {
            peak = peak.max(rss());
        }
    }
    assert_eq!(received, 20_000);
    let growth = peak.saturating_sub(base);
    println!(
        "slow consumer: 20000 messages of 20 kB (400 MB); resident memory grew by at most {:.1} MB",
        growth as f64 / 1e6
    );
    assert!(
        growth < 64_000_000,
        "memory grew by {growth} bytes while the consumer was slow"
    );
}

#[tokio::test]
async fn an_error_frame_ends_the_stream_with_the_typed_error() {
    let url = serve(Default::default()).await;
    let client = atlex::Client::new(&url).unwrap();
    let p = ticks::Params {
        cursor: Some(50),
        ..params(10)
    };
    let mut events = ticks::subscribe(&client, &p);
    let err = events.next().await.unwrap().unwrap_err();
    println!("error frame: {err}");
    assert!(
        matches!(err.known(), Some(ticks::Error::FutureCursor(Some(m))) if m == "cursor in the future"),
        "{err:?}"
    );
    assert!(events.next().await.is_none(), "the error ends the stream");
}

#[tokio::test]
async fn a_dropped_connection_resumes_from_the_cursor() {
    let connections = Arc::new(AtomicUsize::new(0));
    let url = serve(connections.clone()).await;
    let client = atlex::Client::new(&url).unwrap();
    let p = ticks::Params {
        drop_after: Some(7),
        ..params(50)
    };
    let mut events = ticks::subscribe(&client, &p);
    for next in 1..=50 {
        match events.next().await {
            Some(Ok(ticks::Message::Tick(t))) => assert_eq!(t.seq, next),
            other => panic!("at {next}: {other:?}"),
        }
    }
    let n = connections.load(Ordering::SeqCst);
    println!("50 messages over {n} connections, resumed from the cursor each time");
    assert_eq!(n, 8, "a new connection after every 7 messages");
}

#[tokio::test]
async fn an_unknown_message_type_is_kept_whole_and_big_frames_are_refused() {
    use atlex::types::Data;
    // A server that sends a message type the lexicon does not know, then a tick.
    let router = Router::new().subscription(
        ticks::Method,
        |_req: XrpcRequest<ticks::Params, ()>| async {
            let unknown: atlex::types::Unknown = serde_json::from_value(serde_json::json!({
                "$type": "com.example.ticks#mystery", "seq": 3, "what": {"$bytes": "AQID"}
            }))
            .unwrap();
            futures_util::stream::iter(vec![
                Ok(ticks::Message::Unknown(unknown)),
                Ok(ticks::Message::Tick(Box::new(ticks::Tick::new(
                    4,
                    "y".repeat(100_000),
                )))),
            ])
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(router.serve(listener));

    let client = atlex::Client::new(&url).unwrap();
    let mut events = ticks::subscribe(&client, &params(0));
    match events.next().await {
        Some(Ok(ticks::Message::Unknown(u))) => {
            assert_eq!(u.type_name(), Some("com.example.ticks#mystery"));
            assert_eq!(u.as_map()["what"], Data::Bytes(vec![1, 2, 3].into()));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        events.next().await,
        Some(Ok(ticks::Message::Tick(_)))
    ));

    // The same stream with a 50 kB frame limit: the 100 kB tick is refused, typed.
    let options = atlex::stream::StreamOptions {
        max_frame: 50_000,
        ..Default::default()
    };
    let mut events = atlex::stream::subscribe::<ticks::Method>(&url, &params(0), options);
    assert!(matches!(
        events.next().await,
        Some(Ok(ticks::Message::Unknown(_)))
    ));
    let err = events.next().await.unwrap().unwrap_err();
    println!("over the frame limit: {err}");
    assert!(
        matches!(&err, atlex::Error::Transport(t) if t.is_body_too_large()),
        "{err:?}"
    );
    assert!(events.next().await.is_none());
}

#[cfg(atlex_official)]
mod labels {
    atlex::lexicon! {
        path = "${ATLEX_LEXICONS_DIR}",
        include = ["com.atproto.label.subscribeLabels"],
    }
}

#[cfg(atlex_official)]
#[tokio::test]
async fn subscribe_labels_with_typed_labels() {
    use labels::com::atproto::label::{defs, subscribe_labels};
    let make = |seq: i64| {
        let label = defs::Label {
            neg: Some(seq % 2 == 0),
            ..defs::Label::new(
                "did:plc:abcdefghijklmnopqrstuvwx".parse().unwrap(),
                format!("at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3k{seq:011}")
                    .parse()
                    .unwrap(),
                "spam".into(),
                "2026-11-30T12:00:00.000Z".parse().unwrap(),
            )
        };
        subscribe_labels::Message::Labels(Box::new(subscribe_labels::Labels::new(seq, vec![label])))
    };
    let router = Router::new().subscription(
        subscribe_labels::Method,
        move |req: XrpcRequest<subscribe_labels::Params, ()>| async move {
            let from = req.params.cursor.unwrap_or(0);
            futures_util::stream::iter((from + 1..=from + 5).map(move |s| Ok(make(s))))
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(router.serve(listener));

    let client = atlex::Client::new(&url).unwrap();
    let p = subscribe_labels::Params { cursor: Some(10) };
    let mut events = subscribe_labels::subscribe(&client, &p);
    for seq in 11..=15 {
        match events.next().await {
            Some(Ok(m)) => assert_eq!(m, make(seq)),
            other => panic!("{other:?}"),
        }
    }
    println!("subscribeLabels: 5 typed label messages from cursor 10");
}

#[cfg(not(atlex_official))]
#[test]
fn subscribe_labels_with_typed_labels() {
    atlex_tests::skip(
        "set ATLEX_LEXICONS_DIR for the build to run the subscribeLabels stream test",
    );
}
