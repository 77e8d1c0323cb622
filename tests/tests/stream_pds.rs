//! The event stream of the reference PDS (com.atproto.sync.subscribeRepos) through the
//! generated `subscribe`: the `#commit` events of creates, an update and a delete arrive in
//! order with their repo, rev, ops (action, path, CID) and the created records decoded into
//! their generated types, equal to what was sent; after a disconnect, more writes, and a resume
//! from the last sequence number, every event arrives once; a handle change and a deactivation
//! arrive as typed `#identity` and `#account` events.
//!
//! Every event type the PDS can be made to send, with the values the PDS itself gives
//! elsewhere: a new account's `#identity`, `#account`, `#commit` and `#sync` (the sync's CAR
//! root and rev are the PDS's latest commit); each later `#commit`'s `prevData` and `since`
//! are the previous commit's tree root and rev, read from the PDS's own commit block;
//! deactivation, activation (with its `#identity` and `#sync`) and an administrator's takedown
//! as `#account` with the PDS's statuses; and a cursor in the future as the PDS's error frame,
//! `FutureCursor` with its message. (`#info` `OutdatedCursor` needs a cursor older than the
//! PDS's backfill window, one day: a fresh PDS has none.)
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
            "com.atproto.sync.getLatestCommit",
        ],
    }
}

#[cfg(atlex_official)]
mod firehose {
    use super::lexicons::app::bsky::{feed::post, graph::follow};
    use super::lexicons::com::atproto::identity::update_handle;
    use super::lexicons::com::atproto::server::{activate_account, deactivate_account};
    use super::lexicons::com::atproto::sync::{get_latest_commit, subscribe_repos};
    use super::lexicons::AnyRecord;
    use atlex::car::CarReader;
    use atlex::repo::Records;
    use atlex::stream::Action;
    use atlex::types::{CidLink, Data, Datetime, RecordKey};
    use atlex::xrpc::Session;
    use atlex::Client;
    use atlex_tests::{pds_url, unique_letters as unique};
    use futures_util::StreamExt;
    use std::time::Duration;
    use tokio::sync::mpsc;

    type Event = atlex::xrpc::Event<subscribe_repos::Message, AnyRecord>;

    /// Subscribes (from `cursor`, or live), connected when this returns, and forwards every
    /// event to a channel from a task of its own; dropping the returned handle's task
    /// disconnects.
    async fn listen(
        pds: &str,
        cursor: Option<i64>,
    ) -> (
        mpsc::UnboundedReceiver<Result<Event, String>>,
        tokio::task::JoinHandle<()>,
    ) {
        let client = Client::new(pds).unwrap();
        let params = subscribe_repos::Params { cursor };
        let mut events = subscribe_repos::subscribe(&client, &params).with_records::<AnyRecord>();
        assert!(!events.is_connected(), "not connected before connect()");
        events
            .connect()
            .await
            .expect("the PDS accepts the subscription");
        assert!(events.is_connected());
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
                M::Info(_) => "",
                // Every type the PDS sends is in the lexicon it was built with.
                M::Unknown(u) => panic!("a message type the lexicon does not know: {u:?}"),
            };
            if about == did {
                return e;
            }
        }
    }

    /// The one op of a commit event: (action, path, cid), and the record decoded.
    fn one_op(e: &Event) -> (&Action, String, Option<String>, Option<&AnyRecord>) {
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
        assert_eq!(typed.action.as_str(), op.action.as_str());
        assert_eq!(
            op.cid.as_ref().map(|c| c.to_string()),
            typed.cid.as_ref().map(|c| c.to_string())
        );
        let record = typed.record.as_ref().map(|r| {
            r.as_ref()
                .unwrap_or_else(|e| panic!("record of {}: {e}", op.path))
        });
        (
            &typed.action,
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
        // An account, then a live subscription (shown connected by a probe account's write).
        let account = atlex_tests::create_account(&pds, "fh").await;
        let session = Session::new(Client::new(&pds).unwrap());
        let did = session
            .login(&account.handle, &account.password, None)
            .await
            .unwrap()
            .did;
        let records = Records::of_session(&session).unwrap();
        let (mut rx, task, mut last_seq) = live(&pds).await;

        // Creates, an update and a delete: the matching #commit events, in order.
        let mut sent = Vec::new();
        for i in 0..3 {
            let p = post("created", i);
            let w = records.create(&p).await.unwrap();
            sent.push((w, p));
        }
        let rkey: RecordKey = sent[0].0.rkey().clone();
        let updated = post("updated", 9);
        let wu = records.put(&rkey, &updated).await.unwrap();
        let deleted: RecordKey = sent[1].0.rkey().clone();
        records.delete::<post::Record>(&deleted).await.unwrap();

        let mut revs = Vec::new();
        for (w, p) in &sent {
            let e = next_for(&mut rx, did.as_str(), &mut last_seq).await;
            let (action, path, cid, record) = one_op(&e);
            assert_eq!(action, &Action::Create);
            assert_eq!(path, format!("app.bsky.feed.post/{}", w.rkey()));
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
            (
                &Action::Update,
                format!("app.bsky.feed.post/{rkey}").as_str()
            )
        );
        assert_eq!(cid.as_deref(), Some(wu.cid.as_str()));
        assert!(matches!(record, Some(AnyRecord::AppBskyFeedPost(p)) if **p == updated));
        let e = next_for(&mut rx, did.as_str(), &mut last_seq).await;
        let (action, path, cid, record) = one_op(&e);
        assert_eq!(
            (action, path.as_str()),
            (
                &Action::Delete,
                format!("app.bsky.feed.post/{deleted}").as_str()
            )
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
        let (mut rx, task) = listen(&pds, Some(resume_from)).await;
        for w in &more {
            let e = next_for(&mut rx, did.as_str(), &mut last_seq).await;
            let (action, _, cid, _) = one_op(&e);
            assert_eq!(
                (action, cid.as_deref()),
                (&Action::Create, Some(w.cid.as_str()))
            );
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
                assert_eq!(a.status.as_ref().map(|s| s.as_str()), Some("deactivated"));
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

    /// A live subscription, shown to be live once `connect` returned: the first write of a
    /// throwaway account after it comes through. Also the last sequence number seen.
    async fn live(
        pds: &str,
    ) -> (
        mpsc::UnboundedReceiver<Result<Event, String>>,
        tokio::task::JoinHandle<()>,
        i64,
    ) {
        let probe = atlex_tests::create_account(pds, "probe").await;
        let session = Session::new(Client::new(pds).unwrap());
        session
            .login(&probe.handle, &probe.password, None)
            .await
            .unwrap();
        let records = Records::of_session(&session).unwrap();
        let (mut rx, task) = listen(pds, None).await;
        let f = follow::Record::new(
            "did:plc:abcdefghijklmnopqrstuvwx".parse().unwrap(),
            Datetime::now(),
        );
        let w = records.create(&f).await.unwrap();
        let seen = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match rx.recv().await {
                    Some(Ok(e)) => {
                        if let subscribe_repos::Message::Commit(c) = &e.message {
                            if c.repo.as_str() == probe.did
                                && c.ops.iter().any(|o| {
                                    o.cid.as_ref().map(|c| c.to_string()) == Some(w.cid.to_string())
                                })
                            {
                                return c.seq;
                            }
                        }
                    }
                    other => panic!("stream ended: {other:?}"),
                }
            }
        })
        .await
        .expect("the first write after connect() comes on the stream");
        (rx, task, seen)
    }

    /// The `data` (tree root) and `rev` of the commit block `cid` in the CAR `blocks`, and the
    /// CAR's root: the PDS's own values, read from its bytes (each block's hash checked).
    fn commit_in(blocks: &[u8], cid: &str) -> (CidLink, String, Vec<String>) {
        let car = CarReader::new(blocks.to_vec()).expect("the PDS's CAR reads");
        let roots: Vec<String> = car.roots().iter().map(|r| r.to_string()).collect();
        for block in car {
            let block = block.expect("every block of the PDS's CAR hashes to its CID");
            if block.cid.as_str() != cid {
                continue;
            }
            let commit: Data = atlex::cbor::decode(&block.data).expect("the commit block");
            let map = commit.as_object().expect("a commit is an object");
            let (Some(Data::Link(data)), Some(Data::String(rev))) =
                (map.get("data"), map.get("rev"))
            else {
                panic!("a commit without data or rev: {map:?}");
            };
            return (data.clone(), rev.clone(), roots);
        }
        panic!("the commit block {cid} is not in the CAR");
    }

    /// The PDS's latest commit of `did`: (cid, rev).
    async fn latest(pds: &str, did: &str) -> (String, String) {
        let client = Client::new(pds).unwrap();
        let p = get_latest_commit::Params::new(did.parse().unwrap());
        let out = get_latest_commit::call(&client, &p).await.unwrap();
        (out.cid.to_string(), out.rev.to_string())
    }

    /// Sets or lifts an administrator's takedown of `did` (the PDS's admin password).
    async fn takedown(pds: &str, did: &str, applied: bool) {
        let body = serde_json::json!({
            "subject": { "$type": "com.atproto.admin.defs#repoRef", "did": did },
            "takedown": { "applied": applied, "ref": "atlex-test" },
        });
        let resp = reqwest::Client::new()
            .post(format!("{pds}/xrpc/com.atproto.admin.updateSubjectStatus"))
            .basic_auth("admin", Some("admin-pass"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status();
        assert!(
            status.is_success(),
            "updateSubjectStatus: {status} {}",
            resp.text().await.unwrap_or_default()
        );
    }

    /// The next event about `did` (sequence numbers checked), as its message.
    async fn next_message(
        rx: &mut mpsc::UnboundedReceiver<Result<Event, String>>,
        did: &str,
        last_seq: &mut i64,
    ) -> subscribe_repos::Message {
        next_for(rx, did, last_seq).await.message
    }

    /// A `#sync` event: its rev and the CAR's root are the PDS's latest commit (and the
    /// commit block in it says the same rev).
    async fn check_sync(pds: &str, did: &str, m: &subscribe_repos::Message) {
        let subscribe_repos::Message::Sync(sync) = m else {
            panic!("expected #sync, got {m:?}");
        };
        assert_eq!(sync.did.as_str(), did);
        let (cid, rev) = latest(pds, did).await;
        assert_eq!(
            sync.rev.to_string(),
            rev,
            "#sync rev is the latest commit's"
        );
        let (_, block_rev, roots) = commit_in(sync.blocks.as_ref(), &cid);
        assert_eq!(roots, [cid], "#sync's CAR root is the latest commit");
        assert_eq!(block_rev, rev);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_event_type_the_pds_sends() {
        use subscribe_repos::Message as M;
        let Some(pds) = pds_url() else {
            return;
        };
        let (mut rx, task, mut last_seq) = live(&pds).await;

        // A new account: #identity, #account, #commit (its first), #sync, in that order.
        let account = atlex_tests::create_account(&pds, "ev").await;
        let did = account.did.as_str();
        match next_message(&mut rx, did, &mut last_seq).await {
            M::Identity(i) => assert_eq!(
                i.handle.as_ref().map(|h| h.to_string()),
                Some(account.handle.clone())
            ),
            other => panic!("expected #identity, got {other:?}"),
        }
        match next_message(&mut rx, did, &mut last_seq).await {
            M::Account(a) => assert!(a.active && a.status.is_none(), "{a:?}"),
            other => panic!("expected #account, got {other:?}"),
        }
        let genesis = match next_message(&mut rx, did, &mut last_seq).await {
            M::Commit(c) => c,
            other => panic!("expected #commit, got {other:?}"),
        };
        assert!(
            genesis.ops.is_empty() && genesis.prev_data.is_none() && genesis.since.is_none(),
            "{genesis:?}"
        );
        let (mut prev_data, mut prev_rev, roots) =
            commit_in(genesis.blocks.as_ref(), genesis.commit.as_str());
        assert_eq!(roots, [genesis.commit.to_string()]);
        assert_eq!(prev_rev, genesis.rev.to_string());
        let sync = next_message(&mut rx, did, &mut last_seq).await;
        check_sync(&pds, did, &sync).await;
        println!("new account: #identity, #account, #commit, #sync (its CAR root and rev the PDS's latest commit)");

        // Writes: each #commit's prevData and since are the previous commit's tree root and rev.
        let session = Session::new(Client::new(&pds).unwrap());
        session
            .login(&account.handle, &account.password, None)
            .await
            .unwrap();
        let records = Records::of_session(&session).unwrap();
        let a = records.create(&post("chain", 1)).await.unwrap();
        records.create(&post("chain", 2)).await.unwrap();
        records.put(a.rkey(), &post("chain", 3)).await.unwrap();
        records.delete::<post::Record>(a.rkey()).await.unwrap();
        for write in 0..4 {
            let c = match next_message(&mut rx, did, &mut last_seq).await {
                M::Commit(c) => c,
                other => panic!("expected #commit, got {other:?}"),
            };
            assert_eq!(
                c.prev_data.as_ref().map(|d| d.to_string()),
                Some(prev_data.to_string()),
                "commit {write}: prevData is the previous commit's data"
            );
            assert_eq!(
                c.since.as_ref().map(|s| s.to_string()),
                Some(prev_rev.clone()),
                "commit {write}: since is the previous commit's rev"
            );
            let (data, rev, roots) = commit_in(c.blocks.as_ref(), c.commit.as_str());
            assert_eq!(roots, [c.commit.to_string()]);
            assert_eq!(rev, c.rev.to_string());
            (prev_data, prev_rev) = (data, rev);
        }
        assert_eq!(
            latest(&pds, did).await.1,
            prev_rev,
            "the last #commit is the PDS's latest"
        );
        println!(
            "4 writes: each #commit's prevData and since are the previous commit's data and rev"
        );

        // Deactivation, activation (#account, #identity, #sync), an administrator's takedown and
        // its reversal.
        deactivate_account::call(&session, &deactivate_account::Input::default())
            .await
            .unwrap();
        match next_message(&mut rx, did, &mut last_seq).await {
            M::Account(a) => assert_eq!(
                (a.active, a.status.as_ref().map(|s| s.as_str())),
                (false, Some("deactivated"))
            ),
            other => panic!("expected #account, got {other:?}"),
        }
        activate_account::call(&session).await.unwrap();
        match next_message(&mut rx, did, &mut last_seq).await {
            M::Account(a) => assert!(a.active && a.status.is_none(), "{a:?}"),
            other => panic!("expected #account, got {other:?}"),
        }
        match next_message(&mut rx, did, &mut last_seq).await {
            M::Identity(i) => assert_eq!(
                i.handle.as_ref().map(|h| h.to_string()),
                Some(account.handle.clone())
            ),
            other => panic!("expected #identity, got {other:?}"),
        }
        let sync = next_message(&mut rx, did, &mut last_seq).await;
        check_sync(&pds, did, &sync).await;
        takedown(&pds, did, true).await;
        match next_message(&mut rx, did, &mut last_seq).await {
            M::Account(a) => assert_eq!(
                (a.active, a.status.as_ref().map(|s| s.as_str())),
                (false, Some("takendown"))
            ),
            other => panic!("expected #account, got {other:?}"),
        }
        takedown(&pds, did, false).await;
        match next_message(&mut rx, did, &mut last_seq).await {
            M::Account(a) => assert!(a.active && a.status.is_none(), "{a:?}"),
            other => panic!("expected #account, got {other:?}"),
        }
        println!(
            "#account deactivated, activated (with #identity and #sync), taken down, restored"
        );
        task.abort();
    }

    #[tokio::test]
    async fn a_cursor_in_the_future_is_the_pds_error_frame() {
        let Some(pds) = pds_url() else {
            return;
        };
        let client = Client::new(&pds).unwrap();
        let params = subscribe_repos::Params {
            cursor: Some(1_000_000_000_000),
        };
        let mut events = subscribe_repos::subscribe(&client, &params);
        let item = tokio::time::timeout(Duration::from_secs(30), events.next())
            .await
            .expect("an answer within 30 s");
        let err = match item {
            Some(Err(e)) => e,
            other => panic!("expected the error frame, got {other:?}"),
        };
        println!("cursor in the future: {err}");
        // The PDS's words (api/com/atproto/sync/subscribeRepos.js).
        assert!(
            matches!(err.known(), Some(subscribe_repos::Error::FutureCursor(Some(m))) if m == "Cursor in the future."),
            "{err:?}"
        );
        assert_eq!(err.xrpc_name(), Some("FutureCursor"));
        assert_eq!(err.status().map(|s| s.as_u16()), Some(101));
        assert!(
            tokio::time::timeout(Duration::from_secs(10), events.next())
                .await
                .expect("the stream ends at once")
                .is_none(),
            "the error frame ends the stream"
        );
    }
}
