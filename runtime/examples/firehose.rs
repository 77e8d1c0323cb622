//! The firehose: `com.atproto.sync.subscribeRepos` of a PDS, printing each post as it is
//! created, typed.
//!
//! ```sh
//! bash pds/start.sh        # prints ATLEX_PDS_URL=http://127.0.0.1:2583
//! # print posts until stopped:
//! ATLEX_PDS_URL=http://127.0.0.1:2583 cargo run --example firehose
//! # or: write three posts from a new account, print them as they come, and stop
//! ATLEX_PDS_URL=http://127.0.0.1:2583 cargo run --example firehose -- --post 3
//! ```
//!
//! Uses the `stream` feature. The lexicons are written inline here to keep the example on its
//! own; an application would point `lexicon!` at the official lexicon files.

use atlex::repo::Records;
use atlex::types::Datetime;
use atlex::xrpc::Session;
use atlex::Client;
use futures_util::StreamExt;

mod lexicons {
    // The event stream (the parts of com.atproto.sync.subscribeRepos this example reads; other
    // message types arrive as `Message::Unknown`).
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.sync.subscribeRepos",
        "defs": {
            "main": {
                "type": "subscription",
                "parameters": { "type": "params", "properties": { "cursor": { "type": "integer" } } },
                "message": { "schema": { "type": "union", "refs": ["#commit", "#identity", "#account", "#info"] } },
                "errors": [{ "name": "FutureCursor" }, { "name": "ConsumerTooSlow" }]
            },
            "commit": {
                "type": "object",
                "required": ["seq", "repo", "commit", "rev", "ops", "blocks", "time"],
                "properties": {
                    "seq": { "type": "integer" },
                    "repo": { "type": "string", "format": "did" },
                    "commit": { "type": "cid-link" },
                    "rev": { "type": "string", "format": "tid" },
                    "blocks": { "type": "bytes", "maxLength": 2000000 },
                    "ops": { "type": "array", "items": { "type": "ref", "ref": "#repoOp" }, "maxLength": 200 },
                    "time": { "type": "string", "format": "datetime" }
                }
            },
            "repoOp": {
                "type": "object",
                "required": ["action", "path", "cid"],
                "nullable": ["cid"],
                "properties": {
                    "action": { "type": "string", "knownValues": ["create", "update", "delete"] },
                    "path": { "type": "string" },
                    "cid": { "type": "cid-link" }
                }
            },
            "identity": { "type": "object", "required": ["seq", "did", "time"], "properties": {
                "seq": { "type": "integer" }, "did": { "type": "string", "format": "did" },
                "time": { "type": "string", "format": "datetime" },
                "handle": { "type": "string", "format": "handle" } } },
            "account": { "type": "object", "required": ["seq", "did", "time", "active"], "properties": {
                "seq": { "type": "integer" }, "did": { "type": "string", "format": "did" },
                "time": { "type": "string", "format": "datetime" }, "active": { "type": "boolean" },
                "status": { "type": "string" } } },
            "info": { "type": "object", "required": ["name"], "properties": {
                "name": { "type": "string", "knownValues": ["OutdatedCursor"] },
                "message": { "type": "string" } } }
        }
    });
}

mod posts {
    // The record printed (a part of app.bsky.feed.post; its other properties are kept).
    atlex::lexicon!({
        "lexicon": 1,
        "id": "app.bsky.feed.post",
        "defs": { "main": {
            "type": "record", "key": "tid",
            "record": { "type": "object", "required": ["text", "createdAt"], "properties": {
                "text": { "type": "string", "maxLength": 3000, "maxGraphemes": 300 },
                "langs": { "type": "array", "items": { "type": "string", "format": "language" }, "maxLength": 3 },
                "createdAt": { "type": "string", "format": "datetime" } } }
        } }
    });
}

use lexicons::com::atproto::sync::subscribe_repos::{self, Message};
use posts::app::bsky::feed::post;
use posts::AnyRecord;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(pds) = std::env::var("ATLEX_PDS_URL") else {
        eprintln!("set ATLEX_PDS_URL to a PDS (start the local one with `bash pds/start.sh`)");
        std::process::exit(2);
    };
    let args: Vec<String> = std::env::args().collect();
    let demo: Option<usize> = args
        .iter()
        .position(|a| a == "--post")
        .map(|i| args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(3));

    let client = Client::new(&pds)?;
    let params = subscribe_repos::Params { cursor: None };
    // Each #commit with its records read into the types of `posts` (others: Unknown).
    let mut events = subscribe_repos::subscribe(&client, &params).with_records::<AnyRecord>();
    // Connected from here: every commit after this point comes on `events`. (Without it, the
    // first poll of the loop below connects.)
    events.connect().await?;
    println!("listening to {pds}/xrpc/{}", subscribe_repos::NSID);

    let writer = demo.map(|n| tokio::spawn(write_posts(pds.clone(), n)));
    let mut printed = 0;
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            // The PDS lost the history the cursor asks for: a person should look.
            Err(e) if e.known().is_some() => return Err(e.into()),
            // A bad frame, a lost connection, a PDS restarting: the stream reconnects from the
            // last sequence number by itself (and ends after an error it can not get past).
            Err(e) => {
                eprintln!("event stream: {e}");
                continue;
            }
        };
        match &event.message {
            Message::Commit(commit) => {
                // One item per op of the commit, in order: an op whose path is not
                // `collection/rkey` is an error there.
                for op in &event.ops {
                    match op {
                        Ok(op) => {
                            if let Some(Ok(AnyRecord::AppBskyFeedPost(p))) = &op.record {
                                println!("{} {} ({}): {}", commit.repo, op.action, op.rkey, p.text);
                                printed += 1;
                            }
                        }
                        Err(e) => eprintln!("{}: {e}", commit.repo),
                    }
                }
            }
            Message::Identity(i) => println!("{} is now {:?}", i.did, i.handle),
            Message::Account(a) => println!("{} active: {}", a.did, a.active),
            Message::Info(info) => println!("info: {:?}", info.name),
            _ => {}
        }
        if demo.is_some_and(|n| printed >= n) {
            break; // dropping `events` closes the connection
        }
    }
    if let Some(w) = writer {
        w.await?.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A new account on the PDS writes `n` posts.
async fn write_posts(
    pds: String,
    n: usize,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let name = format!("fire{}", std::process::id());
    let password = format!("pw-{}", std::process::id());
    let body = format!(
        r#"{{"handle":"{name}.test","email":"{name}@example.test","password":"{password}"}}"#
    );
    let client = Client::new(&pds)?;
    let request = atlex::xrpc::XrpcRequest {
        method: http::Method::POST,
        nsid: "com.atproto.server.createAccount",
        query: Vec::new(),
        body: Some((body.into(), "application/json".into())),
        headers: Default::default(),
    };
    let created = atlex::xrpc::XrpcClient::send_xrpc(&client, request).await?;
    if !created.status().is_success() {
        return Err(format!("createAccount: {}", String::from_utf8_lossy(created.body())).into());
    }
    let session = Session::new(client);
    session
        .login(&format!("{name}.test"), &password, None)
        .await?;
    let records = Records::of_session(&session)?;
    for i in 0..n {
        let p = post::Record::new(format!("hello firehose #{i} 🔥"), Datetime::now());
        records.create(&p).await?;
    }
    Ok(())
}
