//! The transport's limits against misbehaving servers (raw TCP servers in process): a server
//! that dies mid-response, one slower than the timeout, a response over the size limit, and a
//! 429 with rate-limit headers. Each is a typed error, promptly, without a panic.

use atlex::xrpc::{ReqwestTransport, TransportErrorKind};
use atlex::Client;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

atlex::lexicon!({
    "lexicon": 1,
    "id": "com.example.ping",
    "defs": { "main": {
        "type": "query",
        "output": { "encoding": "application/json", "schema": {
            "type": "object", "required": ["pong"],
            "properties": { "pong": { "type": "string" } } } }
    } }
});

use com::example::ping;

/// Serves one connection at a time with `answer`, given the request's bytes.
async fn server<F, Fut>(answer: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            // Read the request head.
            let mut buf = vec![0u8; 8192];
            let mut got = 0;
            while !buf[..got].windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf[got..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n,
                }
            }
            answer(socket).await;
        }
    });
    url
}

fn client(url: &str, transport: ReqwestTransport) -> Client {
    Client::with_transport(url, transport).unwrap()
}

#[tokio::test]
async fn a_server_that_dies_mid_response() {
    let url = server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"pong\":")
            .await;
        // Gone before the rest of the body.
        drop(s);
    })
    .await;
    let err = ping::call(&client(&url, ReqwestTransport::new()))
        .await
        .unwrap_err();
    println!("died mid-response: {err}");
    match &err {
        atlex::Error::Transport(t) => assert_eq!(t.kind(), TransportErrorKind::Interrupted),
        other => panic!("expected a transport error, got {other:?}"),
    }

    let url = server(|s| async move { drop(s) }).await;
    let err = ping::call(&client(&url, ReqwestTransport::new()))
        .await
        .unwrap_err();
    println!("closed without an answer: {err}");
    assert!(matches!(err, atlex::Error::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn a_server_slower_than_the_timeout() {
    let url = server(|mut s| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await;
    })
    .await;
    let transport = ReqwestTransport::new().timeout(Duration::from_millis(300));
    let start = Instant::now();
    let err = ping::call(&client(&url, transport)).await.unwrap_err();
    let took = start.elapsed();
    println!("slow server: {err} after {took:?}");
    match &err {
        atlex::Error::Transport(t) => assert!(t.is_timeout(), "{t:?}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    // Not a hang: the call ends near the timeout, far before the server would answer.
    assert!(took < Duration::from_secs(10), "{took:?}");

    // A body that trickles in slower than the timeout is cut off as well.
    let url = server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{")
            .await;
        for _ in 0..60 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if s.write_all(b" ").await.is_err() {
                return;
            }
        }
    })
    .await;
    let transport = ReqwestTransport::new().timeout(Duration::from_millis(800));
    let start = Instant::now();
    let err = ping::call(&client(&url, transport)).await.unwrap_err();
    assert!(
        matches!(&err, atlex::Error::Transport(t) if t.is_timeout()),
        "{err:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_response_over_the_size_limit() {
    // With a content-length, and chunked (no length known up front).
    let url = server(|mut s| async move {
        let body = format!("{{\"pong\":\"{}\"}}", "x".repeat(200_000));
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(head.as_bytes()).await;
        let _ = s.write_all(body.as_bytes()).await;
    })
    .await;
    let err = ping::call(&client(&url, ReqwestTransport::new().max_body(100_000)))
        .await
        .unwrap_err();
    println!("over the limit: {err}");
    assert!(
        matches!(&err, atlex::Error::Transport(t) if t.is_body_too_large()),
        "{err:?}"
    );

    let url = server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
            .await;
        for _ in 0..50 {
            let chunk = "y".repeat(10_000);
            let frame = format!("{:x}\r\n{chunk}\r\n", chunk.len());
            if s.write_all(frame.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = s.write_all(b"0\r\n\r\n").await;
    })
    .await;
    let err = ping::call(&client(&url, ReqwestTransport::new().max_body(100_000)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, atlex::Error::Transport(t) if t.is_body_too_large()),
        "{err:?}"
    );
    // Under the limit, the same server's answer is read (and refused as not JSON).
    let err = ping::call(&client(&url, ReqwestTransport::new().max_body(1_000_000)))
        .await
        .unwrap_err();
    assert!(matches!(err, atlex::Error::Decode(_)), "{err:?}");
}

#[tokio::test]
async fn a_429_with_rate_limit_headers() {
    let url = server(|mut s| async move {
        let body = r#"{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}"#;
        let head = format!(
            "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nratelimit-limit: 3000\r\nratelimit-remaining: 0\r\nratelimit-reset: 42\r\nratelimit-policy: 3000;w=300\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = s.write_all(head.as_bytes()).await;
    })
    .await;
    let err = ping::call(&client(&url, ReqwestTransport::new()))
        .await
        .unwrap_err();
    println!("rate limited: {err}");
    assert!(err.is_rate_limited());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.xrpc_name(), Some("RateLimitExceeded"));
    let limit = err.rate_limit().expect("the rate limit is read");
    assert_eq!(limit.limit, Some(3000));
    assert_eq!(limit.remaining, Some(0));
    assert_eq!(limit.reset, Some(42));
    assert_eq!(limit.policy.as_deref(), Some("3000;w=300"));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));

    // On a successful response the client keeps the latest stated limit.
    let url = server(|mut s| async move {
        let body = r#"{"pong":"ok"}"#;
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nratelimit-limit: 100\r\nratelimit-remaining: 99\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = s.write_all(head.as_bytes()).await;
    })
    .await;
    let c = client(&url, ReqwestTransport::new());
    assert_eq!(c.rate_limit(), None);
    assert_eq!(ping::call(&c).await.unwrap().pong, "ok");
    let limit = c.rate_limit().expect("kept from the response");
    assert_eq!((limit.limit, limit.remaining), (Some(100), Some(99)));
}
