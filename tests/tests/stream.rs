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
//!
//! The client against the event-stream specification, with a scripted server (refusals and
//! frames written by hand):
//! - an upgrade refused with 429, 503 (JSON or an HTML page) or 502 is retried after the
//!   server's `Retry-After` (seconds, or an HTTP date; a long one cut to the option's cap),
//!   or the backoff without one; a 400 ends the stream with the server's error (waits
//!   measured between the server's connections);
//! - a frame with an unknown `op` is skipped on the same connection; invalid DAG-CBOR, a frame
//!   without a body, a text frame, a repeated or backward `seq` are error items and the
//!   connection is made again from the last delivered `seq` (the server sees each cursor);
//!   a message that is DAG-CBOR but not its type is an error item on a kept connection;
//! - a connection that goes silent without answering pings is found dead by the heartbeat;
//!   a quiet one that answers is kept;
//! - a consumer outlives its relay: fifteen refused connections in a row (jittered waits),
//!   then the relay is back and the stream resumes from the cursor.
//!
//! The reference client (`Subscription` of @atproto/xrpc-server, with @atproto/sync's
//! validation and parsing) reads what an atlex server sends: `#commit`, `#identity`,
//! `#account`, `#sync`, `#info` and error frames (needs ATLEX_LEXICONS_DIR for the build and
//! Node with the reference packages in pds/).

use atlex::server::{Router, ServerError, XrpcRequest};
use futures_util::{SinkExt, StreamExt};
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(ticks_router(connections).serve(listener));
    url
}

/// The router of [`serve`].
fn ticks_router(connections: Arc<AtomicUsize>) -> Router {
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
                            let e = ticks::Error::FutureCursor(Some("cursor in the future".into()));
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
    })
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
    assert!(!events.is_connected(), "not connected after the end");
    assert!(events.next().await.is_none(), "and it stays ended");
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
mod official {
    atlex::lexicon! {
        path = "${ATLEX_LEXICONS_DIR}",
        include = ["com.atproto.label.subscribeLabels", "com.atproto.sync.subscribeRepos"],
    }
}

#[cfg(atlex_official)]
#[tokio::test]
async fn subscribe_labels_with_typed_labels() {
    use official::com::atproto::label::{defs, subscribe_labels};
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

// -------------------------------------------------------------------------------------------
// The client against the event-stream specification, with a scripted server: each connection
// is answered by the next step of a script (a refusal, or frames written by hand).

/// What the scripted server does on one WebSocket connection, in order, before closing.
#[derive(Clone)]
enum Out {
    /// A binary frame.
    Bin(Vec<u8>),
    /// A text frame.
    Text(&'static str),
    /// Waits, reading (so that pings are answered).
    Pause(Duration),
    /// Holds the connection without ever reading or writing again.
    Silent,
    /// Reads until the client ends the connection, then says so on the channel.
    AwaitClose(tokio::sync::mpsc::UnboundedSender<()>),
}

/// How the scripted server answers one connection.
#[derive(Clone)]
enum Step {
    /// Refuses the upgrade: status, headers, body.
    Refuse(u16, Vec<(&'static str, String)>, &'static str),
    /// Upgrades, then does these.
    Upgrade(Vec<Out>),
}

/// Each connection the scripted server saw: when, and its `cursor` parameter.
type Seen = Arc<std::sync::Mutex<Vec<(std::time::Instant, Option<String>)>>>;

/// Serves `ticks` by `script`, one step per connection (a connection past the end gets 400).
async fn scripted(script: Vec<Step>) -> (String, Seen) {
    use axum::extract::ws::{Message as WsMessage, WebSocketUpgrade};
    use axum::response::IntoResponse;
    let seen: Seen = Default::default();
    let log = seen.clone();
    let script = Arc::new(script);
    let route = axum::routing::get(move |uri: axum::http::Uri, upgrade: WebSocketUpgrade| {
        let (log, script) = (log.clone(), script.clone());
        async move {
            let cursor = uri.query().and_then(|q| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("cursor="))
                    .map(str::to_owned)
            });
            let n = {
                let mut log = log.lock().unwrap();
                log.push((std::time::Instant::now(), cursor));
                log.len() - 1
            };
            let step = script.get(n).cloned().unwrap_or(Step::Refuse(
                400,
                vec![("content-type", "application/json".into())],
                r#"{"error":"InvalidRequest","message":"past the end of the script"}"#,
            ));
            match step {
                Step::Refuse(status, headers, body) => {
                    let mut response = (
                        axum::http::StatusCode::from_u16(status).unwrap(),
                        body.to_owned(),
                    )
                        .into_response();
                    for (k, v) in headers {
                        response.headers_mut().insert(k, v.parse().unwrap());
                    }
                    response
                }
                Step::Upgrade(outs) => upgrade.on_upgrade(move |socket| async move {
                    let (mut tx, mut rx) = socket.split();
                    for out in outs {
                        let sent = match out {
                            Out::Bin(b) => tx.send(WsMessage::Binary(b.into())).await,
                            Out::Text(t) => tx.send(WsMessage::Text(t.into())).await,
                            Out::Pause(d) => {
                                let _ = tokio::time::timeout(d, async {
                                    while let Some(Ok(_)) = rx.next().await {}
                                })
                                .await;
                                Ok(())
                            }
                            Out::Silent => std::future::pending().await,
                            Out::AwaitClose(tell) => {
                                while let Some(Ok(_)) = rx.next().await {}
                                let _ = tell.send(());
                                return;
                            }
                        };
                        if sent.is_err() {
                            return;
                        }
                    }
                    let _ = tx.send(WsMessage::Close(None)).await;
                }),
            }
        }
    });
    let app = axum::Router::new().route("/xrpc/com.example.ticks", route);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// A tick frame.
fn tick(seq: i64) -> Out {
    let message = ticks::Message::Tick(Box::new(ticks::Tick::new(seq, format!("t{seq}"))));
    Out::Bin(atlex::stream::encode_frame::<ticks::Method>(&message).unwrap())
}

/// Bytes from hex, spaces allowed (frames written by hand).
fn hex(s: &str) -> Out {
    let s: String = s.split_whitespace().collect();
    Out::Bin(
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect(),
    )
}

/// Options with short waits, for tests.
fn quick() -> atlex::stream::StreamOptions {
    atlex::stream::StreamOptions {
        backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(200),
        heartbeat: None,
        ..Default::default()
    }
}

/// An item of the stream, in short: `tick N`, or the error's status and text.
fn summary(item: Option<Result<ticks::Message, atlex::Error<ticks::Error>>>) -> String {
    match item {
        None => "end".into(),
        Some(Ok(ticks::Message::Tick(t))) => format!("tick {}", t.seq),
        Some(Ok(other)) => format!("{other:?}"),
        Some(Err(e)) => format!(
            "error {}: {e}",
            e.status().map(|s| s.as_u16()).unwrap_or_default()
        ),
    }
}

async fn next(events: &mut atlex::xrpc::Events<ticks::Method>) -> String {
    let item = tokio::time::timeout(Duration::from_secs(30), events.next())
        .await
        .expect("an item within 30 s");
    summary(item)
}

#[tokio::test]
async fn refusals_are_retried_after_retry_after_and_a_bad_parameter_ends_the_stream() {
    let json = || vec![("content-type", "application/json".to_owned())];
    let with = |k: &'static str, v: String| {
        let mut h = json();
        h.push((k, v));
        h
    };
    // Reached about 2.2 s from now (after the first two refusals): a wait of 1.8 to 2.8 s,
    // whole seconds.
    let in_five_seconds =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(5));
    let (url, seen) = scripted(vec![
        Step::Refuse(
            429,
            with("retry-after", "2".into()),
            r#"{"error":"RateLimitExceeded","message":"slow down"}"#,
        ),
        Step::Refuse(503, json(), r#"{"error":"NotEnoughResources"}"#),
        Step::Refuse(
            503,
            vec![
                ("content-type", "text/html".into()),
                ("retry-after", in_five_seconds),
            ],
            "<html><body>502 Bad Gateway</body></html>",
        ),
        Step::Refuse(502, with("retry-after", "3600".into()), "{}"),
        Step::Upgrade(vec![tick(1), tick(2)]),
        Step::Refuse(
            400,
            json(),
            r#"{"error":"InvalidRequest","message":"bad cursor"}"#,
        ),
    ])
    .await;
    let options = atlex::stream::StreamOptions {
        max_retry_after: Duration::from_millis(2500),
        ..quick()
    };
    let mut events = atlex::stream::subscribe::<ticks::Method>(&url, &params(2), options);
    let mut items = Vec::new();
    loop {
        let item = next(&mut events).await;
        let end = item == "end";
        items.push(item);
        if end {
            break;
        }
    }
    println!("refusals: {items:#?}");
    let expected = [
        "error 429: server answered 429 RateLimitExceeded: slow down",
        "error 503: server answered 503 NotEnoughResources",
        "error 503: could not decode the 503 response: error status 503 without an XRPC error body (body starts \"<html><body>502 Bad Gateway</body></html>\")",
        "error 502: could not decode the 502 response: error status 502 without an XRPC error body (body starts \"{}\")",
        "tick 1",
        "tick 2",
        "error 400: server answered 400 InvalidRequest: bad cursor",
        "end",
    ];
    assert_eq!(items, expected);
    // No connection after the 400; the cursor of the last is the last tick's seq.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = seen.lock().unwrap().clone();
    let cursors: Vec<Option<&str>> = seen.iter().map(|(_, c)| c.as_deref()).collect();
    assert_eq!(cursors, [None, None, None, None, None, Some("2")]);
    let gaps: Vec<Duration> = seen.windows(2).map(|w| w[1].0 - w[0].0).collect();
    println!("waits between connections: {gaps:?}");
    // Retry-After: 2 (seconds).
    assert!(gaps[0] >= Duration::from_secs(2), "{gaps:?}");
    // No Retry-After: the backoff of a second failure in a row, 200 ms with jitter.
    assert!(
        gaps[1] >= Duration::from_millis(100) && gaps[1] < Duration::from_secs(2),
        "{gaps:?}"
    );
    // Retry-After as an HTTP date.
    assert!(gaps[2] >= Duration::from_millis(1500), "{gaps:?}");
    // Retry-After: 3600, cut to StreamOptions::max_retry_after.
    assert!(
        gaps[3] >= Duration::from_millis(2500) && gaps[3] < Duration::from_secs(10),
        "{gaps:?}"
    );
}

#[tokio::test]
async fn unknown_ops_are_skipped_and_bad_frames_or_repeated_seqs_drop_the_connection() {
    // Headers and bodies written by hand, keys in DAG-CBOR order: {t: "#tick", op: N}.
    let header = |op: &str| format!("a2 61 74 65 23 74 69 63 6b 62 6f 70 {op}");
    let (url, seen) = scripted(vec![
        Step::Upgrade(vec![
            tick(1),
            // op 2: skipped, the connection kept. Body {seq: 9, text: "x"}.
            hex(&format!(
                "{} a2 63 73 65 71 09 64 74 65 78 74 61 78",
                header("02")
            )),
            tick(2),
            tick(3),
            // A float in the body: not DAG-CBOR as atproto has it. The connection is dropped.
            hex(&format!("{} a1 63 73 65 71 f9 3e 00", header("01"))),
            tick(4),
        ]),
        // From cursor 3: the message the cursor names again (skipped), 4, then 4 again.
        Step::Upgrade(vec![tick(3), tick(4), tick(4), tick(5)]),
        // From cursor 4: 5, then 2 (backwards).
        Step::Upgrade(vec![tick(5), tick(2), tick(6)]),
        // From cursor 5: 6, then a frame with a header and no body.
        Step::Upgrade(vec![tick(6), hex(&header("01")), tick(7)]),
        // From cursor 6: 7, then a text frame.
        Step::Upgrade(vec![tick(7), Out::Text("hello"), tick(8)]),
        // From cursor 7: 8, a #tick that is DAG-CBOR but not a tick ({seq: "x", text: "y"}):
        // an error item, the connection kept; then 9.
        Step::Upgrade(vec![
            tick(8),
            hex(&format!(
                "{} a2 63 73 65 71 61 78 64 74 65 78 74 61 79",
                header("01")
            )),
            tick(9),
            Out::Pause(Duration::from_secs(5)),
        ]),
    ])
    .await;
    let mut events = atlex::stream::subscribe::<ticks::Method>(&url, &params(0), quick());
    assert!(
        !events.is_connected(),
        "not connected before the first poll"
    );
    let mut items = Vec::new();
    while items.len() < 15 {
        items.push(next(&mut events).await);
    }
    println!("frames: {items:#?}");
    let expected = [
        "tick 1",
        "tick 2",
        "tick 3",
        "error 101: could not decode the 101 response: the com.example.ticks#tick message: ",
        "tick 4",
        "error 101: could not decode the 101 response: message seq 4 is not after seq 4 (repeated or out of order): not delivered; reconnecting from seq 4",
        "tick 5",
        "error 101: could not decode the 101 response: message seq 2 is not after seq 5 (repeated or out of order): not delivered; reconnecting from seq 5",
        "tick 6",
        "error 101: could not decode the 101 response: a frame without a body",
        "tick 7",
        "error 101: could not decode the 101 response: a text frame: event streams send binary frames; reconnecting",
        "tick 8",
        "error 101: could not decode the 101 response: the com.example.ticks#tick message: ",
        "tick 9",
    ];
    assert_eq!(items.len(), expected.len());
    for (i, (got, want)) in items.iter().zip(expected).enumerate() {
        assert!(
            got.starts_with(want),
            "item {i}: {got:?} is not {want:?}..."
        );
    }
    let seen = seen.lock().unwrap().clone();
    let cursors: Vec<Option<&str>> = seen.iter().map(|(_, c)| c.as_deref()).collect();
    assert_eq!(
        cursors,
        [None, Some("3"), Some("4"), Some("5"), Some("6"), Some("7")],
        "one connection per dropped one, each from the last delivered seq"
    );
    assert!(events.is_connected(), "connected while the server holds it");
}

#[tokio::test]
async fn connect_opens_the_stream_without_reading_and_dropping_it_closes_the_connection() {
    let (closed_tx, mut closed) = tokio::sync::mpsc::unbounded_channel();
    let (url, seen) = scripted(vec![
        Step::Refuse(
            503,
            vec![("content-type", "application/json".into())],
            r#"{"error":"Unavailable","message":"warming up"}"#,
        ),
        Step::Upgrade(vec![tick(1), tick(2), Out::AwaitClose(closed_tx)]),
    ])
    .await;
    let connections = || seen.lock().unwrap().len();
    let mut events = atlex::stream::subscribe::<ticks::Method>(&url, &params(0), quick());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        connections(),
        0,
        "nothing connects before connect() or a poll"
    );
    assert!(!events.is_connected());
    // A refusal for a while is what connect() answers, as the stream would yield it...
    let refused = events.connect().await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "server answered 503 Unavailable: warming up"
    );
    assert!(!events.is_connected());
    // ... and the stream goes on: connect() again waits for the backoff and connects.
    events
        .connect()
        .await
        .expect("connected on the second attempt");
    assert!(events.is_connected());
    assert_eq!(connections(), 2);
    events.connect().await.expect("already connected");
    assert_eq!(connections(), 2, "no new connection when one is open");
    // connect() read no message: the first is tick 1.
    assert_eq!(next(&mut events).await, "tick 1");
    assert_eq!(next(&mut events).await, "tick 2");
    // Dropping the stream closes its connection: nothing is left running.
    drop(events);
    tokio::time::timeout(Duration::from_secs(5), closed.recv())
        .await
        .expect("the server sees the connection end within 5 s of the drop")
        .expect("the server's connection reports its end");
}

#[tokio::test]
async fn a_final_error_ends_the_stream_and_connect_says_so() {
    let (url, seen) = scripted(Vec::new()).await;
    let bad = ticks::Params {
        size: Some(-1),
        ..params(0)
    };
    let mut events = atlex::stream::subscribe::<ticks::Method>(&url, &bad, quick());
    let e = events.connect().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid request, nothing was sent: invalid parameters: `size` is -1, less than minimum 0"
    );
    let ended = events.connect().await.unwrap_err();
    assert_eq!(
        ended.to_string(),
        "transport error: the event stream has ended; subscribe again to open a new one"
    );
    assert!(events.next().await.is_none(), "the stream has ended");
    assert!(!events.is_connected());
    let mut events =
        atlex::stream::subscribe::<ticks::Method>("ftp://relay.test", &params(0), quick());
    assert_eq!(
        summary(events.next().await),
        "error 0: invalid request, nothing was sent: base URL \"ftp://relay.test\" must start \
         with http(s):// or ws(s)://"
    );
    assert!(events.next().await.is_none(), "the stream has ended");
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_dead_connection_is_found_by_the_heartbeat_and_a_quiet_one_is_kept() {
    let (url, seen) = scripted(vec![
        // Goes silent without reading: pings are not answered.
        Step::Upgrade(vec![tick(1), Out::Silent]),
        // Quiet for 1.5 s but reading: pings are answered.
        Step::Upgrade(vec![
            tick(2),
            Out::Pause(Duration::from_millis(1500)),
            tick(3),
        ]),
    ])
    .await;
    let options = atlex::stream::StreamOptions {
        heartbeat: Some(Duration::from_millis(300)),
        ..quick()
    };
    let mut events = atlex::stream::subscribe::<ticks::Method>(&url, &params(0), options);
    assert_eq!(next(&mut events).await, "tick 1");
    let start = std::time::Instant::now();
    let dead = next(&mut events).await;
    let waited = start.elapsed();
    println!("heartbeat: {dead} (after {waited:?})");
    assert!(
        dead.starts_with("error 0: transport error: timed out: nothing from the server for 600ms"),
        "{dead}"
    );
    assert!(
        waited >= Duration::from_millis(600) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    assert_eq!(next(&mut events).await, "tick 2");
    assert_eq!(next(&mut events).await, "tick 3");
    let cursors: Vec<Option<String>> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, c)| c.clone())
        .collect();
    assert_eq!(
        cursors,
        [None, Some("1".to_owned())],
        "the quiet connection was kept"
    );
}

#[tokio::test]
async fn a_consumer_outlives_its_relay_restarting() {
    // The relay: ticks 1 to 5 on a first connection, then it goes away.
    let connections = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let relay = tokio::spawn(ticks_router(connections.clone()).serve(listener));
    let p = ticks::Params {
        drop_after: Some(5),
        ..params(100)
    };
    // The default options (no retry limit) but for shorter waits.
    let options = atlex::stream::StreamOptions {
        backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(200),
        ..Default::default()
    };
    let url = format!("http://{addr}");
    let mut events = atlex::stream::subscribe::<ticks::Method>(&url, &p, options);
    for seq in 1..=5 {
        assert_eq!(next(&mut events).await, format!("tick {seq}"));
    }
    relay.abort();
    // Down for 15 connection attempts in a row (the old default gave up after 10), each an
    // error item, with jittered waits between them.
    let mut refused = Vec::new();
    while refused.len() < 15 {
        let item = next(&mut events).await;
        assert!(
            item.contains("could not connect"),
            "while the relay is down: {item}"
        );
        assert!(!events.is_connected());
        refused.push(std::time::Instant::now());
    }
    let gaps: Vec<Duration> = refused.windows(2).map(|w| w[1] - w[0]).collect();
    println!("relay down: 15 connections refused, waits {gaps:?}");
    for g in &gaps[1..] {
        assert!(
            *g >= Duration::from_millis(100) && *g < Duration::from_secs(3),
            "{gaps:?}"
        );
    }
    // Jitter: each wait is drawn between half the backoff and all of it (200 ms here, from
    // the second failure on; without jitter no wait would be shorter).
    assert!(
        gaps[1..].iter().any(|g| *g < Duration::from_millis(200)),
        "jitter: {gaps:?}"
    );
    // Back on the same address: the stream resumes from the cursor.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    tokio::spawn(ticks_router(connections.clone()).serve(listener));
    for seq in 6..=12 {
        assert_eq!(next(&mut events).await, format!("tick {seq}"));
    }
    assert!(events.is_connected());
    println!(
        "relay back: ticks 6 to 12 resumed from the cursor over {} connections in all",
        connections.load(Ordering::SeqCst)
    );
}

// -------------------------------------------------------------------------------------------
// The reference client against an atlex server.

/// Runs pds/reference/subscribe.mjs against `url` (from `cursor`): its JSON lines, or `None`
/// after a skip when Node or the reference packages are not installed.
#[cfg(atlex_official)]
fn reference_client(url: &str, cursor: Option<i64>) -> Option<Vec<serde_json::Value>> {
    let node = atlex_tests::node(&["@atproto/xrpc-server", "@atproto/sync", "@atproto/lex-json"])?;
    let mut args = vec![url.to_owned()];
    if let Some(c) = cursor {
        args.push(c.to_string());
    }
    let out = atlex_tests::run_node(&node, "pds/reference/subscribe.mjs", &args, &[]);
    Some(atlex_tests::json_lines(&out))
}

#[cfg(atlex_official)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_client_reads_what_an_atlex_server_sends() {
    use atlex::car::{self, Block};
    use atlex::cbor;
    use atlex::types::Data;
    use official::com::atproto::sync::subscribe_repos;
    use serde_json::json;

    let did = "did:plc:abcdefghijklmnopqrstuvwx";
    let rev = "3l3qo2vutsw2b";
    // A post and a commit as blocks, in a CAR whose root is the commit.
    let post = json!({
        "$type": "app.bsky.feed.post",
        "text": "héllo from atlex ✨",
        "langs": ["en", "ja"],
        "createdAt": "2026-11-30T12:00:00.000Z",
    });
    let post_bytes = cbor::to_vec(&serde_json::from_value::<Data>(post.clone()).unwrap()).unwrap();
    let post_cid = cbor::cid_of(cbor::DAG_CBOR, &post_bytes);
    let tree_cid = cbor::cid_of(cbor::DAG_CBOR, b"\xa2\x61\x65\x80\x61\x6c\xf6");
    let commit = json!({
        "did": did, "version": 3, "data": { "$link": tree_cid.to_string() }, "rev": rev,
        "prev": null, "sig": { "$bytes": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw" },
    });
    let commit_bytes = cbor::to_vec(&serde_json::from_value::<Data>(commit).unwrap()).unwrap();
    let commit_cid = cbor::cid_of(cbor::DAG_CBOR, &commit_bytes);
    let blocks = |with_post: bool| {
        let mut list = vec![Block {
            cid: commit_cid.clone(),
            data: commit_bytes.clone().into(),
        }];
        if with_post {
            list.push(Block {
                cid: post_cid.clone(),
                data: post_bytes.clone().into(),
            });
        }
        let car = car::write(std::slice::from_ref(&commit_cid), &list);
        json!({ "$bytes": base64::Engine::encode(&base64::engine::general_purpose::STANDARD_NO_PAD, car) })
    };
    let nsid = "com.atproto.sync.subscribeRepos";
    // The messages, as the reference should read them (its JSON form, $type included).
    let expected = vec![
        json!({
            "$type": format!("{nsid}#commit"), "seq": 11, "rebase": false, "tooBig": false,
            "repo": did, "commit": { "$link": commit_cid.to_string() }, "rev": rev, "since": null,
            "blocks": blocks(true),
            "ops": [
                { "action": "create", "path": "app.bsky.feed.post/3l3qo2vuowo2b", "cid": { "$link": post_cid.to_string() } },
                { "action": "delete", "path": "app.bsky.feed.post/3l3qo2vuoxx2b", "cid": null },
            ],
            "blobs": [], "prevData": { "$link": tree_cid.to_string() },
            "time": "2026-11-30T12:00:01.000Z",
        }),
        json!({
            "$type": format!("{nsid}#identity"), "seq": 12, "did": did,
            "handle": "alice.example.com", "time": "2026-11-30T12:00:02.000Z",
        }),
        json!({
            "$type": format!("{nsid}#account"), "seq": 13, "did": did, "active": false,
            "status": "takendown", "time": "2026-11-30T12:00:03.000Z",
        }),
        json!({
            "$type": format!("{nsid}#sync"), "seq": 14, "did": did, "rev": rev,
            "blocks": blocks(false), "time": "2026-11-30T12:00:04.000Z",
        }),
        json!({
            "$type": format!("{nsid}#info"), "name": "OutdatedCursor",
            "message": "Requested cursor exceeded limit. Possibly missing events",
        }),
    ];
    let messages: Vec<subscribe_repos::Message> = expected
        .iter()
        .map(|m| serde_json::from_value(m.clone()).unwrap_or_else(|e| panic!("{m}: {e}")))
        .collect();

    // The server: a cursor in the future is FutureCursor; otherwise the messages, then the
    // stream's end with ConsumerTooSlow.
    let router = Router::new().subscription(
        subscribe_repos::Method,
        move |req: XrpcRequest<subscribe_repos::Params, ()>| {
            let messages = messages.clone();
            async move {
                let items: Vec<Result<_, ServerError<subscribe_repos::Error>>> =
                    if req.params.cursor.is_some_and(|c| c > 1000) {
                        vec![Err(subscribe_repos::Error::FutureCursor(Some(
                            "Cursor in the future.".into(),
                        ))
                        .into())]
                    } else {
                        let mut items: Vec<_> = messages.into_iter().map(Ok).collect();
                        items.push(Err(subscribe_repos::Error::ConsumerTooSlow(Some(
                            "Stream consumer too slow".into(),
                        ))
                        .into()));
                        items
                    };
                futures_util::stream::iter(items)
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    tokio::spawn(router.serve(listener));

    let run = |cursor| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || reference_client(&url, cursor))
    };
    let Some(lines) = run(None).await.unwrap() else {
        return;
    };
    for line in &lines {
        assert!(
            line.get("message").is_some() || line.get("error").is_some(),
            "the reference refused something: {line}"
        );
    }
    assert_eq!(lines.len(), expected.len() + 1, "{lines:#?}");
    for (line, want) in lines.iter().zip(&expected) {
        assert_eq!(&line["message"], want, "the reference read {line}");
    }
    // What @atproto/sync makes of them: the commit's ops with the record read from the CAR
    // (its CIDs checked), the sync's root and rev, the account's status.
    let ops = lines[0]["parsed"].as_array().expect("the commit's ops");
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert_eq!(
        (
            &ops[0]["event"],
            &ops[0]["collection"],
            &ops[0]["rkey"],
            &ops[0]["cid"],
            &ops[0]["record"]
        ),
        (
            &json!("create"),
            &json!("app.bsky.feed.post"),
            &json!("3l3qo2vuowo2b"),
            &json!({ "$link": post_cid.to_string() }),
            &post
        )
    );
    assert_eq!(
        (&ops[1]["event"], &ops[1]["rkey"]),
        (&json!("delete"), &json!("3l3qo2vuoxx2b"))
    );
    assert_eq!(&lines[2]["parsed"]["status"], "takendown");
    assert_eq!(&lines[2]["parsed"]["active"], false);
    assert_eq!(
        lines[3]["parsed"]["cid"],
        json!({ "$link": commit_cid.to_string() })
    );
    assert_eq!(lines[3]["parsed"]["rev"], rev);
    assert_eq!(
        lines[5],
        json!({ "error": "ConsumerTooSlow", "message": "Stream consumer too slow" })
    );
    // A connection-time error: the error frame first and alone.
    let lines = run(Some(1_000_000))
        .await
        .unwrap()
        .expect("ran once already");
    assert_eq!(
        lines,
        [json!({ "error": "FutureCursor", "message": "Cursor in the future." })]
    );
    println!(
        "reference client (@atproto/xrpc-server Subscription, @atproto/sync): 5 messages read and valid (#commit, #identity, #account, #sync, #info) with every field, 2 commit ops with 1 record from the CAR, the sync's root and rev; error frames ConsumerTooSlow and FutureCursor with their messages"
    );
}

#[cfg(not(atlex_official))]
#[test]
fn the_reference_client_reads_what_an_atlex_server_sends() {
    atlex_tests::skip(
        "set ATLEX_LEXICONS_DIR for the build to run the reference client against an atlex server",
    );
}

#[tokio::test]
async fn a_subscription_route_answers_plain_http_and_bad_parameters_as_the_spec_says() {
    let url = serve(Default::default()).await;
    let http = reqwest::Client::new();
    let route = format!("{url}/xrpc/com.example.ticks");
    // A GET without the upgrade: 426 Upgrade Required, an XRPC error body, `Upgrade: websocket`.
    let resp = http.get(&route).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 426);
    assert_eq!(resp.headers()["upgrade"], "websocket");
    let body: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"], "InvalidRequest");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("connect with a WebSocket"),
        "{body}"
    );
    // Another method: 405.
    let resp = http.post(&route).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    // Bad parameters on a WebSocket: the error frame InvalidRequest, first and alone. (The
    // client checks parameters itself: this one is built from a looser copy of the lexicon.)
    let p = loose::com::example::ticks::Params { count: Some(-1) };
    let mut events =
        atlex::stream::subscribe::<loose::com::example::ticks::Method>(&url, &p, quick());
    let err = match events.next().await {
        Some(Err(e)) => e,
        other => panic!("expected the error frame, got {other:?}"),
    };
    println!("bad parameters: {err}");
    assert_eq!(err.xrpc_name(), Some("InvalidRequest"));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(101));
    assert!(err.to_string().contains("count"), "{err}");
    assert!(
        events.next().await.is_none(),
        "the error frame ends the stream"
    );
}

/// `com.example.ticks` with a `count` that takes any integer.
mod loose {
    atlex::lexicon!({ "lexicon": 1, "id": "com.example.ticks", "defs": {
        "main": { "type": "subscription",
            "parameters": { "type": "params", "properties": { "count": { "type": "integer" } } },
            "message": { "schema": { "type": "union", "refs": ["#tick"] } } },
        "tick": { "type": "object", "required": ["seq"], "properties": { "seq": { "type": "integer" } } }
    } });
}
