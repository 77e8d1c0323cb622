//! The event stream of the reference PDS (com.atproto.sync.subscribeRepos) through the
//! generated `subscribe`: the `#commit` events of creates, an update and a delete arrive in
//! order with their repo, rev, ops (action, path, CID) and the created records decoded into
//! their generated types, equal to what was sent; after a disconnect, more writes, and a resume
//! from the last sequence number, every event arrives once; a handle change and a deactivation
//! arrive as typed `#identity` and `#account` events.
//!
//! Needs ATLEX_LEXICONS_DIR for the build (cfg `atlex_official`) and ATLEX_PDS_URL at run
//! time; skipped with a message otherwise (a failure when ATLEX_REQUIRE_ALL is set).

#[cfg(not(atlex_official))]
#[test]
fn firehose_against_the_reference_pds() {
    atlex_tests::skip(
        "set ATLEX_LEXICONS_DIR for the build and ATLEX_PDS_URL (bash pds/start.sh) to run the event stream tests",
    );
}

#[cfg(atlex_official)]
mod lexicons {
    atlex::lexicon! {
        path = "${ATLEX_LEXICONS_DIR}",
        include = [
            "com.atproto.sync.subscribeRepos",
            "app.bsky.feed.post",
            "app.bsky.graph.follow",
            "com.atproto.identity.updateHandle",
            "com.atproto.server.deactivateAccount",
            "com.atproto.server.activateAccount",
        ],
    }
}

#[cfg(atlex_official)]
mod firehose {
    use super::lexicons::app::bsky::{feed::post, graph::follow};
    use super::lexicons::com::atproto::identity::update_handle;
    use super::lexicons::com::atproto::server::{activate_account, deactivate_account};
    use super::lexicons::com::atproto::sync::subscribe_repos;
    use super::lexicons::AnyRecord;
    use atlex::repo::Records;
    use atlex::types::{Datetime, RecordKey};
    use atlex::xrpc::Session;
    use atlex::Client;
    use atlex_tests::{pds_url, unique_letters as unique};
    use futures_util::StreamExt;
    use std::time::Duration;
    use tokio::sync::mpsc;

    type Event = atlex::xrpc::Event<subscribe_repos::Message, AnyRecord>;

    /// Subscribes (from `cursor`, or live) and forwards every event to a channel, from a task
    /// of its own; dropping the returned handle's task disconnects.
    fn listen(
        pds: &str,
        cursor: Option<i64>,
    ) -> (
        mpsc::UnboundedReceiver<Result<Event, String>>,
        tokio::task::JoinHandle<()>,
    ) {
        let client = Client::new(pds).unwrap();
        let params = subscribe_repos::Params { cursor };
        let mut events = subscribe_repos::subscribe(&client, &params).with_records::<AnyRecord>();
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Some(e) = events.next().await {
                let stop = e.is_err();
                if tx.send(e.map_err(|e| e.to_string())).is_err() || stop {
                    return;
                }
            }
        });
        (rx, task)
    }

    /// The sequence number of any message.
    fn seq(m: &subscribe_repos::Message) -> Option<i64> {
        use subscribe_repos::Message as M;
        match m {
            M::Commit(c) => Some(c.seq),
            M::Identity(i) => Some(i.seq),
            M::Account(a) => Some(a.seq),
            M::Sync(s) => Some(s.seq),
            _ => None,
        }
    }

    /// The next event about `did`, skipping others (and checking that sequence numbers rise).
    async fn next_for(
        rx: &mut mpsc::UnboundedReceiver<Result<Event, String>>,
        did: &str,
        last_seq: &mut i64,
    ) -> Event {
        use subscribe_repos::Message as M;
        loop {
            let e = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .expect("an event within 30 s")
                .expect("the stream is open")
                .unwrap_or_else(|e| panic!("stream error: {e}"));
            if let Some(s) = seq(&e.message) {
                assert!(
                    s > *last_seq,
                    "seq {s} after {last_seq}: out of order or repeated"
                );
                *last_seq = s;
            }
            let about = match &e.message {
                M::Commit(c) => c.repo.as_str(),
                M::Identity(i) => i.did.as_str(),
                M::Account(a) => a.did.as_str(),
                M::Sync(s) => s.did.as_str(),
                _ => "",
            };
            if about == did {
                return e;
            }
        }
    }

    /// The one op of a commit event: (action, path, cid), and the record decoded.
    fn one_op(e: &Event) -> (&str, String, Option<String>, Option<&AnyRecord>) {
        let subscribe_repos::Message::Commit(c) = &e.message else {
            panic!("expected a #commit, got {:?}", e.message);
        };
        assert_eq!(c.ops.len(), 1, "{:?}", c.ops);
        assert_eq!(e.ops.len(), 1);
        let op = &c.ops[0];
        let typed = e.ops[0]
            .as_ref()
            .unwrap_or_else(|e| panic!("op {}: {e}", op.path));
        assert_eq!(op.path, format!("{}/{}", typed.collection, typed.rkey));
        assert_eq!(
            op.cid.as_ref().map(|c| c.to_string()),
            typed.cid.as_ref().map(|c| c.to_string())
        );
        let record = typed.record.as_ref().map(|r| {
            r.as_ref()
                .unwrap_or_else(|e| panic!("record of {}: {e}", op.path))
        });
        (
            op.action.as_str(),
            op.path.clone(),
            op.cid.as_ref().map(|c| c.to_string()),
            record,
        )
    }

    fn post(text: &str, i: usize) -> post::Record {
        post::Record {
            langs: Some(vec!["en".parse().unwrap()]),
            ..post::Record::new(
                format!("{text} {i} — ✨ 日本"),
                format!("2026-11-30T12:00:{:02}.000Z", i % 60)
                    .parse()
                    .unwrap(),
            )
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_in_order_typed_and_resumed_without_loss() {
        let Some(pds) = pds_url() else {
            return;
        };
        // An account, then a live subscription; a first write shows it is connected.
        let account = atlex_tests::create_account(&pds, "fh").await;
        let session = Session::new(Client::new(&pds).unwrap());
        let did = session
            .login(&account.handle, &account.password, None)
            .await
            .unwrap()
            .did;
        let records = Records::of_session(&session).unwrap();
        let mut last_seq = 0;
        let (mut rx, task) = listen(&pds, None);
        let mut first = None;
        for attempt in 0..50 {
            let f = follow::Record::new(
                "did:plc:abcdefghijklmnopqrstuvwx".parse().unwrap(),
                Datetime::now(),
            );
            let w = records.create(&f).await.unwrap();
            // Wait briefly for its event; the subscription may not be open yet.
            let got = tokio::time::timeout(Duration::from_millis(500 + 100 * attempt), async {
                loop {
                    match rx.recv().await {
                        Some(Ok(e)) => {
                            if let subscribe_repos::Message::Commit(c) = &e.message {
                                if c.repo == did
                                    && c.ops.iter().any(|o| {
                                        o.cid.as_ref().map(|c| c.to_string())
                                            == Some(w.cid.to_string())
                                    })
                                {
                                    return e;
                                }
                            }
                        }
                        other => panic!("stream ended: {other:?}"),
                    }
                }
            })
            .await;
            if let Ok(e) = got {
                first = Some(e);
                break;
            }
        }
        let first = first.expect("the subscription sees our writes");
        last_seq = seq(&first.message).unwrap().max(last_seq);

        // Creates, an update and a delete: the matching #commit events, in order.
        let mut sent = Vec::new();
        for i in 0..3 {
            let p = post("created", i);
            let w = records.create(&p).await.unwrap();
            sent.push((w, p));
        }
        let rkey: RecordKey = sent[0].0.rkey().unwrap();
        let updated = post("updated", 9);
        let wu = records.put(&rkey, &updated, None).await.unwrap();
        let deleted: RecordKey = sent[1].0.rkey().unwrap();
        records
            .delete::<post::Record>(&deleted, None)
            .await
            .unwrap();

        let mut revs = Vec::new();
        for (w, p) in &sent {
            let e = next_for(&mut rx, did.as_str(), &mut last_seq).await;
            let (action, path, cid, record) = one_op(&e);
            assert_eq!(action, "create");
            assert_eq!(path, format!("app.bsky.feed.post/{}", w.rkey().unwrap()));
            assert_eq!(cid.as_deref(), Some(w.cid.as_str()));
            match record {
                Some(AnyRecord::AppBskyFeedPost(got)) => assert_eq!(&**got, p),
                other => panic!("expected a typed post, got {other:?}"),
            }
            if let subscribe_repos::Message::Commit(c) = &e.message {
                revs.push(c.rev.to_string());
            }
        }
        let e = next_for(&mut rx, did.as_str(), &mut last_seq).await;
        let (action, path, cid, record) = one_op(&e);
        assert_eq!(
            (action, path.as_str()),
            ("update", format!("app.bsky.feed.post/{rkey}").as_str())
        );
        assert_eq!(cid.as_deref(), Some(wu.cid.as_str()));
        assert!(matches!(record, Some(AnyRecord::AppBskyFeedPost(p)) if **p == updated));
        let e = next_for(&mut rx, did.as_str(), &mut last_seq).await;
        let (action, path, cid, record) = one_op(&e);
        assert_eq!(
            (action, path.as_str()),
            ("delete", format!("app.bsky.feed.post/{deleted}").as_str())
        );
        assert_eq!(
            (cid, record.is_none()),
            (None, true),
            "a deleted record has none"
        );
        let mut sorted = revs.clone();
        sorted.sort();
        assert_eq!(revs, sorted, "revs rise with each commit");
        println!("live: 3 creates, 1 update, 1 delete received in order, records typed; last seq {last_seq}");

        // Disconnect; write more; resume from the last seq: each new event once, none again.
        task.abort();
        drop(rx);
        let mut more = Vec::new();
        for i in 0..4 {
            let p = post("while away", i);
            more.push(records.create(&p).await.unwrap());
        }
        let resume_from = last_seq;
        let (mut rx, task) = listen(&pds, Some(resume_from));
        for w in &more {
            let e = next_for(&mut rx, did.as_str(), &mut last_seq).await;
            let (action, _, cid, _) = one_op(&e);
            assert_eq!((action, cid.as_deref()), ("create", Some(w.cid.as_str())));
        }
        println!("resumed from seq {resume_from}: the 4 commits written while away, once each");

        // Identity and account events, typed.
        let new_handle = format!("fh{}.test", unique(10));
        update_handle::call(
            &session,
            &update_handle::Input::new(new_handle.parse().unwrap()),
        )
        .await
        .unwrap();
        let e = next_for(&mut rx, did.as_str(), &mut last_seq).await;
        match &e.message {
            subscribe_repos::Message::Identity(i) => {
                assert_eq!(i.did, did);
                assert_eq!(
                    i.handle.as_ref().map(|h| h.to_string()),
                    Some(new_handle.clone())
                );
            }
            other => panic!("expected #identity, got {other:?}"),
        }
        deactivate_account::call(&session, &deactivate_account::Input::default())
            .await
            .unwrap();
        let e = loop {
            let e = next_for(&mut rx, did.as_str(), &mut last_seq).await;
            if matches!(e.message, subscribe_repos::Message::Account(_)) {
                break e;
            }
        };
        match &e.message {
            subscribe_repos::Message::Account(a) => {
                assert_eq!(a.did, did);
                assert!(!a.active, "deactivated");
            }
            other => panic!("expected #account, got {other:?}"),
        }
        activate_account::call(&session).await.unwrap();
        let e = loop {
            let e = next_for(&mut rx, did.as_str(), &mut last_seq).await;
            if matches!(e.message, subscribe_repos::Message::Account(_)) {
                break e;
            }
        };
        assert!(matches!(&e.message, subscribe_repos::Message::Account(a) if a.active));
        println!("typed #identity and #account events received");
        task.abort();
    }
}
