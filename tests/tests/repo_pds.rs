//! Records, blobs and repository exports against the reference PDS (@atproto/pds from
//! @atproto/dev-env, started by `bash pds/start.sh`).
//!
//! - Over 200 varied records (posts with facets, replies, langs, image and external embeds,
//!   non-ASCII text and unknown properties holding links and bytes; a profile; follows; records
//!   of this test's own lexicon): the CID atlex computes before sending is the CID the PDS
//!   returns, for every one; getRecord gives back an equal typed value; listRecords pages
//!   through them with a cursor; putRecord with a stale swapRecord is the typed InvalidSwap;
//!   deleteRecord; one applyWrites with a create, an update and a delete; then sync.getRepo's
//!   CAR is read and every record is found through the tree under the CID the PDS reported,
//!   and decodes into its type, equal to what was sent.
//! - Blobs: a PNG and a 2 MB binary uploaded with their MIME types, a post embedding the PNG,
//!   getBlob giving back the same bytes and type; a blob over the PDS's limit is a clear error.
//! - 40 records in five collections whose NSIDs extend one another (`com.atlex.test.repo`,
//!   `.repo.issue`, `.repo.issue.comment`, `.repoz`, `.rep`), keyed by TIDs and by keys with
//!   `-`, `.`, `:` and `~`: the getRepo export lists them in the tree's byte order, and every
//!   one is found by `Repository::entry` (under the CID the PDS reported) and by
//!   `Repository::record` (equal to what was sent).
//! - 50 concurrent calls with an expired access token issued by the PDS (pds/server.mjs gives
//!   accounts named `shortlived-*` one-second access tokens) make exactly one refreshSession,
//!   counted on the wire.
//!
//! Needs ATLEX_LEXICONS_DIR for the build (cfg `atlex_official`) and ATLEX_PDS_URL at run
//! time; skipped with a message otherwise (a failure when ATLEX_REQUIRE_ALL is set).

#[cfg(not(atlex_official))]
#[test]
fn repository_against_the_reference_pds() {
    atlex_tests::skip(
        "set ATLEX_LEXICONS_DIR for the build and ATLEX_PDS_URL (bash pds/start.sh) to run the repository tests",
    );
}

#[cfg(atlex_official)]
mod lexicons {
    atlex::lexicon! {
        path = "${ATLEX_LEXICONS_DIR}",
        include = [
            "app.bsky.feed.post",
            "app.bsky.actor.profile",
            "app.bsky.graph.follow",
            "com.atproto.server.getSession",
        ],
    }
}

/// This test's own record type: every kind of field, so that its CBOR covers the data model.
#[cfg(atlex_official)]
mod own {
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.atlex.test.note",
        "defs": {
            "main": {
                "type": "record",
                "key": "any",
                "record": {
                    "type": "object",
                    "required": ["title", "at"],
                    "nullable": ["maybe"],
                    "properties": {
                        "title": { "type": "string", "maxLength": 300, "maxGraphemes": 100 },
                        "count": { "type": "integer", "minimum": -1000000, "maximum": 1000000 },
                        "flags": { "type": "array", "items": { "type": "boolean" }, "maxLength": 8 },
                        "data": { "type": "bytes", "maxLength": 64 },
                        "link": { "type": "cid-link" },
                        "at": { "type": "string", "format": "datetime" },
                        "kind": { "type": "string", "knownValues": ["plain", "fancy"] },
                        "maybe": { "type": "integer" },
                        "tags": { "type": "array", "items": { "type": "string", "maxLength": 32 } },
                        "file": { "type": "blob", "maxSize": 3000000 },
                        "inner": { "type": "ref", "ref": "#inner" },
                        "choice": { "type": "union", "refs": ["#a", "#b"] }
                    }
                }
            },
            "inner": { "type": "object", "properties": {
                "n": { "type": "integer" }, "s": { "type": "string" } } },
            "a": { "type": "object", "required": ["x"], "properties": { "x": { "type": "integer" } } },
            "b": { "type": "object", "required": ["y"], "properties": { "y": { "type": "string" } } }
        }
    });
}

/// Record types of five collections whose NSIDs extend one another, so that their keys'
/// order in the tree (`collection/rkey` as bytes: `.` sorts before `/`) is not the order of
/// `(collection, rkey)`.
#[cfg(atlex_official)]
macro_rules! nested_collection {
    ($module:ident, $nsid:tt) => {
        mod $module {
            atlex::lexicon!({
                "lexicon": 1,
                "id": $nsid,
                "defs": { "main": { "type": "record", "key": "any", "record": {
                    "type": "object", "required": ["text"],
                    "properties": {
                        "text": { "type": "string", "maxLength": 100 },
                        "n": { "type": "integer" } } } } }
            });
        }
    };
}

#[cfg(atlex_official)]
nested_collection!(nested_repo, "com.atlex.test.repo");
#[cfg(atlex_official)]
nested_collection!(nested_issue, "com.atlex.test.repo.issue");
#[cfg(atlex_official)]
nested_collection!(nested_comment, "com.atlex.test.repo.issue.comment");
#[cfg(atlex_official)]
nested_collection!(nested_repoz, "com.atlex.test.repoz");
#[cfg(atlex_official)]
nested_collection!(nested_rep, "com.atlex.test.rep");

#[cfg(atlex_official)]
mod pds {
    use super::lexicons::app::bsky::{actor::profile, feed::post, graph::follow};
    use super::lexicons::com::atproto::server::get_session;
    use super::own::com::atlex::test::note;
    use atlex::repo::{ListOptions, Records, Repository, Swap, Write, WriteResult};
    use atlex::types::{Blob, Cid, RecordKey};
    use atlex::xrpc::{ReqwestTransport, Session, Transport, TransportError};
    use atlex::{Client, Record};
    use atlex_tests::{pds_url, Rng};
    use bytes::Bytes;
    use serde_json::{json, Value};
    use std::collections::{BTreeMap, HashMap, HashSet};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// A new account on the PDS, logged in through `session`.
    async fn account<T: Transport + Clone>(
        pds: &str,
        session: &Session<Client<T>>,
        prefix: &str,
    ) -> atlex::types::Did {
        let account = atlex_tests::create_account(pds, prefix).await;
        let data = session
            .login(&account.handle, &account.password, None)
            .await
            .expect("login");
        data.did
    }

    fn session(pds: &str) -> Session<Client> {
        Session::new(Client::new(pds).unwrap())
    }

    /// A 1x1 PNG.
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
        0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];

    const WORDS: &[&str] = &[
        "hello",
        "world",
        "rust",
        "lexicon",
        "café",
        "naïve",
        "Zürich",
        "日本語",
        "テスト",
        "한국어",
        "Привет",
        "مرحبا",
        "🦀",
        "👩🏽‍💻",
        "🇫🇷",
        "👨‍👩‍👧‍👦",
        "e\u{301}",
        "ok",
    ];

    fn datetime(i: usize) -> String {
        format!(
            "2026-11-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            1 + i % 28,
            i % 24,
            (i * 7) % 60,
            (i * 13) % 60,
            i % 1000
        )
    }

    /// A post as JSON: varied text, facets with byte slices into it, langs, a reply to an
    /// earlier post, an embed, unknown properties (with a link and bytes inside).
    fn post_json(
        rng: &mut Rng,
        i: usize,
        earlier: &[(String, String)],
        png: &Value,
        did: &str,
    ) -> Value {
        let mut text = String::new();
        for _ in 0..1 + rng.below(12) {
            if !text.is_empty() {
                text.push(' ');
            }
            let word: &&str = rng.pick(WORDS);
            text.push_str(word);
        }
        let mut facets = Vec::new();
        let mut facet = |text: &mut String, shown: &str, feature: Value| {
            text.push(' ');
            let start = text.len();
            text.push_str(shown);
            facets.push(json!({
                "index": {"byteStart": start, "byteEnd": text.len()},
                "features": [feature],
            }));
        };
        if rng.percent(40) {
            facet(
                &mut text,
                "@alice.test",
                json!({"$type": "app.bsky.richtext.facet#mention", "did": did}),
            );
        }
        if rng.percent(40) {
            facet(
                &mut text,
                "example.com/ü",
                json!({"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/%C3%BC"}),
            );
        }
        if rng.percent(30) {
            facet(
                &mut text,
                "#日本",
                json!({"$type": "app.bsky.richtext.facet#tag", "tag": "日本"}),
            );
        }
        let mut post = json!({
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": datetime(i),
        });
        let o = post.as_object_mut().unwrap();
        if !facets.is_empty() {
            o.insert("facets".into(), Value::Array(facets));
        }
        if rng.percent(70) {
            let langs: &[&[&str]] = &[&["en"], &["ja", "en"], &["fr-CA"], &["zh-Hant"]];
            o.insert("langs".into(), json!(rng.pick(langs)));
        }
        if !earlier.is_empty() && rng.percent(35) {
            let (root_uri, root_cid) = &earlier[0];
            let (uri, cid) = rng.pick(earlier);
            let mut root = json!({"uri": root_uri, "cid": root_cid});
            if rng.percent(50) {
                // A `$type` at a plain ref is kept on write-back (it is part of the CID).
                root["$type"] = json!("com.atproto.repo.strongRef");
            }
            o.insert(
                "reply".into(),
                json!({"root": root, "parent": {"uri": uri, "cid": cid}}),
            );
        }
        match rng.below(4) {
            0 => {
                let images: Vec<Value> = (0..1 + rng.below(4))
                    .map(|k| {
                        let mut img = json!({"image": png, "alt": format!("alt {k} — ✨")});
                        if rng.percent(60) {
                            img["aspectRatio"] = json!({"width": 1 + rng.below(4000), "height": 1 + rng.below(4000)});
                        }
                        img
                    })
                    .collect();
                o.insert(
                    "embed".into(),
                    json!({"$type": "app.bsky.embed.images", "images": images}),
                );
            }
            1 => {
                let mut external = json!({
                    "uri": format!("https://example.com/article/{i}"),
                    "title": "Ein Titel — 标题",
                    "description": "",
                });
                if rng.percent(50) {
                    external["thumb"] = png.clone();
                }
                o.insert(
                    "embed".into(),
                    json!({"$type": "app.bsky.embed.external", "external": external}),
                );
            }
            _ => {}
        }
        if rng.percent(30) {
            o.insert(
                "atlexExtra".into(),
                json!({
                    "n": i,
                    "list": [1, "two", {"three": [3]}, null, true],
                    "link": {"$link": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"},
                    "bytes": {"$bytes": "AQIDBAU"},
                }),
            );
        }
        post
    }

    fn note_json(rng: &mut Rng, i: usize) -> Value {
        let mut note = json!({
            "$type": "com.atlex.test.note",
            "title": format!("note {i} {}", *rng.pick(WORDS)),
            "at": datetime(i),
        });
        let o = note.as_object_mut().unwrap();
        if rng.percent(70) {
            o.insert("count".into(), json!(rng.next_u64() as i64 % 1_000_000));
        }
        if rng.percent(50) {
            o.insert("flags".into(), json!([true, false, rng.percent(50)]));
        }
        if rng.percent(60) {
            let b: Vec<u8> = (0..rng.below(64)).map(|_| rng.next_u64() as u8).collect();
            o.insert(
                "data".into(),
                serde_json::to_value(atlex::types::Bytes::from(b)).unwrap(),
            );
        }
        if rng.percent(50) {
            let cid = atlex::cbor::cid_of(atlex::cbor::RAW, &i.to_be_bytes());
            o.insert("link".into(), json!({"$link": cid.as_str()}));
        }
        o.insert(
            "kind".into(),
            json!(rng.pick(&["plain", "fancy", "something-else"])),
        );
        match rng.below(3) {
            0 => {
                o.insert("maybe".into(), Value::Null);
            }
            1 => {
                o.insert("maybe".into(), json!(i));
            }
            _ => {}
        }
        if rng.percent(50) {
            o.insert("tags".into(), json!(["a", "ü", "🦀"]));
        }
        if rng.percent(50) {
            o.insert(
                "inner".into(),
                json!({"n": -5, "s": "x", "futureField": [1]}),
            );
        }
        match rng.below(3) {
            0 => {
                o.insert(
                    "choice".into(),
                    json!({"$type": "com.atlex.test.note#a", "x": 42}),
                );
            }
            1 => {
                o.insert(
                    "choice".into(),
                    json!({"$type": "com.atlex.test.note#b", "y": "why"}),
                );
            }
            _ => {}
        }
        note
    }

    /// A record as the type `R`, read from JSON and validated.
    /// A record as the type `R`, read from JSON and validated; the typed value writes the
    /// same data as the JSON it was read from (its CID is the JSON's, read untyped), so
    /// nothing was lost on the way (unknown properties, a `$type` at a plain ref).
    fn typed<R: Record>(v: Value) -> R {
        let r: R = serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("{} does not read: {e}\n{v}", R::NSID));
        atlex::Validate::validate(&r).unwrap_or_else(|e| panic!("{}: {e}\n{v}", R::NSID));
        let untyped = atlex::types::Unknown::try_from(v.clone()).unwrap();
        assert_eq!(
            atlex::cbor::cid(&r).unwrap(),
            atlex::cbor::cid(&untyped).unwrap(),
            "the typed {} changed the data of {v}",
            R::NSID
        );
        r
    }

    /// Creates `record`, checking the CID computed before sending against the PDS's.
    async fn create<R: Record, C: atlex::xrpc::XrpcClient>(
        records: &Records<'_, C>,
        record: &R,
        rkey: Option<&RecordKey>,
        cids: &mut Vec<(String, String)>,
    ) -> atlex::repo::Written {
        let local = atlex::cbor::cid(record).unwrap();
        let written = match rkey {
            Some(k) => records.create_at(k, record).await,
            None => records.create(record).await,
        }
        .unwrap_or_else(|e| panic!("create {}: {e}", R::NSID));
        cids.push((local.to_string(), written.cid.to_string()));
        written
    }

    /// Everything written, by collection and rkey: the CID the PDS reported, and the value.
    type Kept = BTreeMap<(String, String), (String, Value)>;

    fn keep<R: Record>(kept: &mut Kept, w: &atlex::repo::Written, value: &R) {
        kept.insert(
            (R::NSID.to_owned(), w.rkey().to_string()),
            (w.cid.to_string(), serde_json::to_value(value).unwrap()),
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_repository_end_to_end() {
        let Some(pds) = pds_url() else {
            return;
        };
        let session = session(&pds);
        let did = account(&pds, &session, "repo").await;
        let records = Records::of_session(&session).unwrap();
        let mut rng = Rng(0x0061_746c_6578_0008);
        let mut cids: Vec<(String, String)> = Vec::new();
        let mut kept = Kept::new();

        let png: Blob = atlex::repo::upload_blob(&session, "image/png", PNG)
            .await
            .expect("upload a PNG");
        let png_json = serde_json::to_value(&png).unwrap();

        // 150 posts, some replying to earlier ones.
        let mut earlier: Vec<(String, String)> = Vec::new();
        let mut posts: Vec<(RecordKey, post::Record)> = Vec::new();
        for i in 0..150 {
            let v = post_json(&mut rng, i, &earlier, &png_json, did.as_str());
            let record: post::Record = typed(v);
            let w = create(&records, &record, None, &mut cids).await;
            earlier.push((w.uri.to_string(), w.cid.to_string()));
            keep(&mut kept, &w, &record);
            posts.push((w.rkey().clone(), record));
        }
        // A profile (its key is the literal "self"), 30 follows, 25 notes of our own lexicon.
        let profile: profile::Record = typed(json!({
            "$type": "app.bsky.actor.profile",
            "displayName": "Ålex the ✨ tester",
            "description": "Ein Profil — プロフィール",
            "avatar": png_json,
            "createdAt": datetime(1),
        }));
        let self_key: RecordKey = "self".parse().unwrap();
        let w = create(&records, &profile, Some(&self_key), &mut cids).await;
        keep(&mut kept, &w, &profile);
        let profile_cid = w.cid.clone();
        let mut follows = Vec::new();
        for i in 0..30 {
            const B32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
            let mut x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let subject: String = "did:plc:"
                .chars()
                .chain((0..24).map(|_| {
                    let c = B32[(x % 32) as usize] as char;
                    x = x / 32 + 7;
                    c
                }))
                .collect();
            let f: follow::Record = typed(json!({
                "$type": "app.bsky.graph.follow",
                "subject": subject,
                "createdAt": datetime(i),
            }));
            let w = create(&records, &f, None, &mut cids).await;
            keep(&mut kept, &w, &f);
            follows.push(w.rkey().clone());
        }
        let mut notes = Vec::new();
        for i in 0..25 {
            let n: note::Record = typed(note_json(&mut rng, i));
            let key: RecordKey = format!("note-{i}.x:y~z").parse().unwrap();
            let w = create(&records, &n, Some(&key), &mut cids).await;
            keep(&mut kept, &w, &n);
            notes.push((key, n));
        }

        // Every CID atlex computed before sending is the PDS's.
        let mismatched: Vec<_> = cids.iter().filter(|(a, b)| a != b).collect();
        println!(
            "records created: {}, local CID = PDS CID for {}",
            cids.len(),
            cids.len() - mismatched.len()
        );
        assert!(cids.len() >= 200, "{} records", cids.len());
        assert!(mismatched.is_empty(), "CIDs differ: {mismatched:?}");

        // getRecord gives back equal typed values.
        for (rkey, p) in &posts {
            let got = records.get::<post::Record>(rkey).await.unwrap();
            assert_eq!(&got.value, p, "post {rkey}");
        }
        for (rkey, n) in &notes {
            let got = records.get::<note::Record>(rkey).await.unwrap();
            assert_eq!(&got.value, n, "note {rkey}");
        }
        let got = records.get::<profile::Record>(&self_key).await.unwrap();
        assert_eq!(got.value, profile);

        // listRecords pages through the 150 posts with a cursor, in pages of 37.
        let mut seen = Vec::new();
        let mut pages = 0;
        let mut options = ListOptions {
            limit: Some(37),
            ..Default::default()
        };
        loop {
            let page = records.list::<post::Record>(&options).await.unwrap();
            pages += 1;
            assert!(page.records.len() <= 37);
            seen.extend(page.records.into_iter().map(|r| r.uri.to_string()));
            match page.cursor {
                Some(c) if pages < 20 => options.cursor = Some(c),
                _ => break,
            }
        }
        let unique: HashSet<_> = seen.iter().collect();
        let created: HashSet<_> = earlier.iter().map(|(u, _)| u).collect();
        println!("listRecords: {} posts in {pages} pages", seen.len());
        assert_eq!(seen.len(), 150, "every post once");
        assert_eq!(unique.len(), 150);
        assert_eq!(unique, created);
        assert!(pages >= 5);

        // putRecord: with the current CID as swapRecord it succeeds; with the stale one it
        // is the typed InvalidSwap, and nothing changes.
        let mut profile2 = profile.clone();
        profile2.display_name = Some("Renamed".into());
        let w = records
            .put_if(&self_key, &profile2, Swap::Cid(profile_cid.clone()))
            .await
            .unwrap();
        assert_eq!(
            w.cid.as_str(),
            atlex::cbor::cid(&profile2).unwrap().as_str()
        );
        keep(&mut kept, &w, &profile2);
        let stale = records
            .put_if(&self_key, &profile, Swap::Cid(profile_cid.clone()))
            .await
            .unwrap_err();
        assert!(
            matches!(
                stale.known(),
                Some(atlex::repo::methods::put_record::Error::InvalidSwap(_))
            ),
            "{stale:?}"
        );
        assert_eq!(
            records
                .get::<profile::Record>(&self_key)
                .await
                .unwrap()
                .value,
            profile2
        );

        // deleteRecord: a follow is gone afterwards (getRecord's RecordNotFound).
        let gone = follows.pop().unwrap();
        records.delete::<follow::Record>(&gone).await.unwrap();
        kept.remove(&(follow::NSID.to_owned(), gone.to_string()));
        let err = records.get::<follow::Record>(&gone).await.unwrap_err();
        assert!(
            matches!(
                err.known(),
                Some(atlex::repo::methods::get_record::Error::RecordNotFound(_))
            ),
            "{err:?}"
        );

        // applyWrites: a create, an update and a delete in one commit.
        let new_note: note::Record = typed(note_json(&mut rng, 99));
        let new_key: RecordKey = "applied".parse().unwrap();
        let (upd_key, mut upd) = notes[0].clone();
        upd.title = "updated through applyWrites".into();
        let del_key = follows.pop().unwrap();
        let results = records
            .apply_writes(vec![
                Write::create(&new_note, Some(new_key.clone())).unwrap(),
                Write::update(upd_key.clone(), &upd).unwrap(),
                Write::delete::<follow::Record>(del_key.clone()),
            ])
            .await
            .unwrap();
        assert_eq!(results.len(), 3, "{results:?}");
        match (&results[0], &results[1], &results[2]) {
            (WriteResult::Created(c), WriteResult::Updated(u), WriteResult::Deleted) => {
                assert_eq!(
                    c.cid.as_str(),
                    atlex::cbor::cid(&new_note).unwrap().as_str()
                );
                assert_eq!(u.cid.as_str(), atlex::cbor::cid(&upd).unwrap().as_str());
                keep(&mut kept, c, &new_note);
                keep(&mut kept, u, &upd);
            }
            other => panic!("applyWrites results: {other:?}"),
        }
        kept.remove(&(follow::NSID.to_owned(), del_key.to_string()));
        assert_eq!(
            records.get::<note::Record>(&upd_key).await.unwrap().value,
            upd
        );

        // sync.getRepo: the CAR reads, and every record is in the tree under the CID the PDS
        // reported, decoding into its type as sent.
        let car = atlex::repo::get_repo(&session, &did).await.unwrap();
        assert_eq!(car.content_type, "application/vnd.ipld.car");
        let repo = Repository::from_car(car.bytes.clone()).unwrap();
        assert_eq!(repo.commit().did, did);
        let in_tree: HashMap<(String, String), String> = repo
            .entries()
            .iter()
            .map(|e| {
                (
                    (e.collection.to_string(), e.rkey.to_string()),
                    e.cid.to_string(),
                )
            })
            .collect();
        assert_eq!(in_tree.len(), kept.len(), "records in the tree");
        for ((collection, rkey), (cid, value)) in &kept {
            let key = (collection.clone(), rkey.clone());
            assert_eq!(in_tree.get(&key), Some(cid), "{collection}/{rkey}");
            let entry = repo.entry(collection, rkey).unwrap();
            let back = match collection.as_str() {
                post::NSID => serde_json::to_value(repo.decode::<post::Record>(entry).unwrap()),
                profile::NSID => {
                    serde_json::to_value(repo.decode::<profile::Record>(entry).unwrap())
                }
                follow::NSID => serde_json::to_value(repo.decode::<follow::Record>(entry).unwrap()),
                note::NSID => serde_json::to_value(repo.decode::<note::Record>(entry).unwrap()),
                other => panic!("unexpected collection {other}"),
            }
            .unwrap();
            assert_eq!(&back, value, "{collection}/{rkey}");
        }
        let typed_posts: Vec<_> = repo
            .records::<post::Record>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(typed_posts.len(), 150);
        println!(
            "getRepo: {} bytes, {} records found in the tree, all under the reported CIDs",
            car.bytes.len(),
            repo.entries().len()
        );
    }

    /// What [`records_in_collections_that_extend_one_another`] wrote: collection, rkey, the
    /// CID the PDS reported, the value.
    type Nested = Vec<(String, String, String, Value)>;

    /// Writes eight records of `R`: half with keys the PDS makes (TIDs), half with keys whose
    /// characters sort around `/` and `.`.
    async fn write_eight<R: Record, C: atlex::xrpc::XrpcClient>(
        records: &Records<'_, C>,
        written: &mut Nested,
    ) {
        let mut cids = Vec::new();
        for i in 0..8usize {
            let value = json!({"$type": R::NSID, "text": format!("{} {i}", R::NSID), "n": i});
            let record: R = typed(value.clone());
            let rkey: Option<RecordKey> = match i % 2 {
                0 => None,
                _ => Some(["a-b", "a.b", "a:b", "Z~1"][i / 2].parse().unwrap()),
            };
            let w = create(records, &record, rkey.as_ref(), &mut cids).await;
            written.push((
                R::NSID.to_owned(),
                w.rkey().to_string(),
                w.cid.to_string(),
                value,
            ));
        }
        assert!(cids.iter().all(|(a, b)| a == b), "{cids:?}");
    }

    /// How many of the records of `R` in `written` the repository finds by key: through
    /// `entry` (under the CID the PDS reported) and through `record` (equal to what was
    /// sent).
    fn found<R: Record>(repo: &Repository, written: &Nested) -> (usize, usize) {
        let (mut by_entry, mut by_record) = (0, 0);
        for (collection, rkey, cid, value) in written.iter().filter(|w| w.0 == R::NSID) {
            if repo
                .entry(collection, rkey)
                .is_some_and(|e| e.cid.as_str() == cid && e.collection.as_str() == collection)
            {
                by_entry += 1;
            }
            let got: Option<R> = repo.record::<R>(rkey).expect("the record decodes");
            if got.is_some_and(|r| &serde_json::to_value(r).unwrap() == value) {
                by_record += 1;
            }
        }
        (by_entry, by_record)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn records_in_collections_that_extend_one_another() {
        use super::{nested_comment, nested_issue, nested_rep, nested_repo, nested_repoz};
        use nested_comment::com::atlex::test::repo::issue::comment;
        use nested_issue::com::atlex::test::repo::issue;
        use nested_rep::com::atlex::test::rep;
        use nested_repo::com::atlex::test::repo;
        use nested_repoz::com::atlex::test::repoz;
        let Some(pds) = pds_url() else {
            return;
        };
        let session = session(&pds);
        let did = account(&pds, &session, "nest").await;
        let records = Records::of_session(&session).unwrap();
        let mut written = Nested::new();
        write_eight::<repo::Record, _>(&records, &mut written).await;
        write_eight::<issue::Record, _>(&records, &mut written).await;
        write_eight::<comment::Record, _>(&records, &mut written).await;
        write_eight::<repoz::Record, _>(&records, &mut written).await;
        write_eight::<rep::Record, _>(&records, &mut written).await;

        // The PDS's export: its tree holds the 40 records in the order of their keys' bytes.
        let car = atlex::repo::get_repo(&session, &did).await.unwrap();
        let export = Repository::from_car(car.bytes.clone()).unwrap();
        let keys: Vec<String> = export
            .entries()
            .iter()
            .map(|e| format!("{}/{}", e.collection, e.rkey))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "the tree's order is the keys' byte order");
        assert_eq!(keys.len(), 40);
        let counts = [
            found::<repo::Record>(&export, &written),
            found::<issue::Record>(&export, &written),
            found::<comment::Record>(&export, &written),
            found::<repoz::Record>(&export, &written),
            found::<rep::Record>(&export, &written),
        ];
        let by_entry: usize = counts.iter().map(|c| c.0).sum();
        let by_record: usize = counts.iter().map(|c| c.1).sum();
        println!(
            "getRepo with five nested collections: {} records written; found by entry() {by_entry}, by record() {by_record}",
            written.len()
        );
        assert_eq!(written.len(), 40);
        assert_eq!(by_entry, 40, "found by entry(): {counts:?}");
        assert_eq!(by_record, 40, "found by record(): {counts:?}");
        assert!(export.entry("com.atlex.test.repo", "nothing").is_none());
        assert!(export.entry("com.atlex.test.re", "a-b").is_none());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn blobs_up_and_down() {
        let Some(pds) = pds_url() else {
            return;
        };
        let session = session(&pds);
        let did = account(&pds, &session, "blob").await;

        let png = atlex::repo::upload_blob(&session, "image/png", PNG)
            .await
            .unwrap();
        assert_eq!(png.mime_type(), "image/png");
        assert_eq!(png.size(), Some(PNG.len() as u64));
        assert_eq!(
            png.cid().as_str(),
            atlex::cbor::cid_of(atlex::cbor::RAW, PNG).as_str()
        );

        let big: Vec<u8> = (0..2_000_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let bin = atlex::repo::upload_blob_from(
            &session,
            "application/octet-stream",
            &big[..],
            3_000_000,
        )
        .await
        .unwrap();
        assert_eq!(bin.size(), Some(big.len() as u64));
        assert_eq!(bin.mime_type(), "application/octet-stream");

        // A post embedding the PNG; the blob is then the account's, and getBlob serves it.
        let records = Records::of_session(&session).unwrap();
        let post: post::Record = typed(json!({
            "$type": "app.bsky.feed.post",
            "text": "a picture",
            "createdAt": datetime(3),
            "embed": {"$type": "app.bsky.embed.images", "images": [
                {"image": serde_json::to_value(&png).unwrap(), "alt": "one pixel"}
            ]},
        }));
        let w = records.create(&post).await.unwrap();
        assert_eq!(w.cid.as_str(), atlex::cbor::cid(&post).unwrap().as_str());

        // The binary, in a record of this test's own lexicon (a PDS serves only blobs that
        // some record holds).
        let holder: note::Record = typed(json!({
            "$type": "com.atlex.test.note",
            "title": "holds a file",
            "at": datetime(4),
            "file": serde_json::to_value(&bin).unwrap(),
        }));
        let w = records.create(&holder).await.unwrap();
        assert_eq!(w.cid.as_str(), atlex::cbor::cid(&holder).unwrap().as_str());

        let got = atlex::repo::get_blob(&session, &did, png.cid())
            .await
            .unwrap();
        assert_eq!(&got.bytes[..], PNG);
        assert_eq!(got.content_type, "image/png");
        let got = atlex::repo::get_blob(&session, &did, bin.cid())
            .await
            .unwrap();
        assert_eq!(got.bytes.len(), big.len());
        assert!(got.bytes[..] == big[..]);
        assert_eq!(got.content_type, "application/octet-stream");

        // Over the PDS's limit (5 MB by default): a clear error, not a panic or a hang.
        let huge = vec![7u8; 5 * 1024 * 1024 + 1];
        let err = atlex::repo::upload_blob(&session, "application/octet-stream", huge)
            .await
            .unwrap_err();
        println!("a blob over the limit: {err}");
        let status = err.status().map(|s| s.as_u16());
        assert!(
            matches!(status, Some(400 | 413)),
            "a 4xx answer naming the problem, got {err:?}"
        );
        assert!(
            err.to_string().to_lowercase().contains("large")
                || err.to_string().to_lowercase().contains("size"),
            "{err}"
        );

        // Wildcards are refused before anything is sent.
        let err = atlex::repo::upload_blob(&session, "*/*", PNG)
            .await
            .unwrap_err();
        assert!(matches!(err, atlex::Error::InvalidRequest(_)), "{err:?}");
        let err = atlex::repo::get_blob(
            &session,
            &did,
            &Cid::new(atlex::cbor::cid_of(atlex::cbor::RAW, b"nothing").as_str()).unwrap(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                err.known(),
                Some(atlex::repo::methods::get_blob::Error::BlobNotFound(_))
            ) || err.status().map(|s| s.as_u16()) == Some(404)
                || err.status().map(|s| s.as_u16()) == Some(400),
            "{err:?}"
        );
    }

    /// Each [`Swap`] of `put_if`, and `delete_if`, against the PDS: `InvalidSwap` when the
    /// record there is not the one named, success when it is, creation only where there is
    /// none; a refused write changes nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_swap_against_the_reference_pds() {
        use atlex::repo::methods::{delete_record, get_record, put_record};
        let Some(pds) = pds_url() else {
            return;
        };
        let session = session(&pds);
        account(&pds, &session, "swap").await;
        let records = Records::of_session(&session).unwrap();
        let note = |title: &str| -> note::Record {
            typed(json!({"$type": "com.atlex.test.note", "title": title, "at": datetime(1)}))
        };
        let cid_of =
            |title: &str| Cid::new(atlex::cbor::cid(&note(title)).unwrap().as_str()).unwrap();
        let refused = |e: atlex::Error<put_record::Error>| {
            assert!(
                matches!(e.known(), Some(put_record::Error::InvalidSwap(_))),
                "expected InvalidSwap, got {e:?}"
            );
        };
        let current = |key: RecordKey| {
            let records = records.clone();
            async move {
                match records.get::<note::Record>(&key).await {
                    Ok(got) => {
                        assert_eq!(got.rkey(), &key);
                        assert_eq!(got.cid, cid_of(&got.value.title));
                        Some(got.value.title)
                    }
                    Err(e) if matches!(e.known(), Some(get_record::Error::RecordNotFound(_))) => {
                        None
                    }
                    Err(e) => panic!("getRecord: {e}"),
                }
            }
        };
        let key: RecordKey = "swapped".parse().unwrap();
        let mut cases = 0;

        // Absent: creates where there is no record, never replaces one.
        let a = records
            .put_if(&key, &note("a"), Swap::Absent)
            .await
            .unwrap();
        assert_eq!((a.rkey(), &a.cid), (&key, &cid_of("a")));
        refused(
            records
                .put_if(&key, &note("b"), Swap::Absent)
                .await
                .unwrap_err(),
        );
        assert_eq!(current(key.clone()).await.as_deref(), Some("a"));
        cases += 2;

        // Cid: refused with another CID, done with the current one; the old one is stale after.
        refused(
            records
                .put_if(&key, &note("b"), Swap::Cid(cid_of("z")))
                .await
                .unwrap_err(),
        );
        assert_eq!(current(key.clone()).await.as_deref(), Some("a"));
        let b = records
            .put_if(&key, &note("b"), Swap::Cid(a.cid.clone()))
            .await
            .unwrap();
        assert_eq!(b.cid, cid_of("b"));
        assert_eq!(current(key.clone()).await.as_deref(), Some("b"));
        refused(
            records
                .put_if(&key, &note("c"), Swap::Cid(a.cid.clone()))
                .await
                .unwrap_err(),
        );
        assert_eq!(current(key.clone()).await.as_deref(), Some("b"));
        cases += 3;

        // Cid where there is no record: refused, nothing created.
        let fresh: RecordKey = "never-written".parse().unwrap();
        refused(
            records
                .put_if(&fresh, &note("x"), Swap::Cid(b.cid.clone()))
                .await
                .unwrap_err(),
        );
        assert_eq!(current(fresh.clone()).await, None);
        cases += 1;

        // Any, and put: replace whatever is there, or create.
        records.put_if(&key, &note("c"), Swap::Any).await.unwrap();
        assert_eq!(current(key.clone()).await.as_deref(), Some("c"));
        let d = records.put(&key, &note("d")).await.unwrap();
        assert_eq!(current(key.clone()).await.as_deref(), Some("d"));
        records.put(&fresh, &note("e")).await.unwrap();
        assert_eq!(current(fresh.clone()).await.as_deref(), Some("e"));
        cases += 3;

        // The record already there, sent again: a success whatever the swap (nothing written).
        let same = records
            .put_if(&key, &note("d"), Swap::Absent)
            .await
            .unwrap();
        assert_eq!(same.cid, d.cid);
        cases += 1;

        // delete_if: refused with a stale CID (the record stays), done with the current one;
        // where there is no record, a success, as delete.
        let e = records
            .delete_if::<note::Record>(&key, &b.cid)
            .await
            .unwrap_err();
        assert!(
            matches!(e.known(), Some(delete_record::Error::InvalidSwap(_))),
            "expected InvalidSwap, got {e:?}"
        );
        assert_eq!(current(key.clone()).await.as_deref(), Some("d"));
        records
            .delete_if::<note::Record>(&key, &d.cid)
            .await
            .unwrap();
        assert_eq!(current(key.clone()).await, None);
        records
            .delete_if::<note::Record>(&key, &d.cid)
            .await
            .unwrap();
        records.delete::<note::Record>(&fresh).await.unwrap();
        assert_eq!(current(fresh.clone()).await, None);
        records.delete::<note::Record>(&fresh).await.unwrap();
        cases += 4;
        println!("swaps against the PDS: {cases} cases as documented");
        assert_eq!(cases, 14);
    }

    /// A transport that counts requests by NSID, and holds every ExpiredToken answer until
    /// `hold` of them have arrived, so that the calls overlap for certain.
    #[derive(Clone)]
    struct Counting {
        inner: ReqwestTransport,
        sent: Arc<Mutex<HashMap<String, usize>>>,
        expired: Arc<AtomicUsize>,
        barrier: Arc<tokio::sync::Barrier>,
    }

    impl Transport for Counting {
        async fn send(
            &self,
            request: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, TransportError> {
            let nsid = request.uri().path().trim_start_matches("/xrpc/").to_owned();
            *self.sent.lock().unwrap().entry(nsid).or_default() += 1;
            let response = self.inner.send(request).await?;
            if String::from_utf8_lossy(response.body()).contains("ExpiredToken") {
                self.expired.fetch_add(1, Ordering::SeqCst);
                // Every expired answer waits for the others: all calls are in flight with the
                // expired token before any of them may refresh.
                let wait = self.barrier.wait();
                if tokio::time::timeout(std::time::Duration::from_secs(60), wait)
                    .await
                    .is_err()
                {
                    return Err(TransportError::new("not all calls saw ExpiredToken"));
                }
            }
            Ok(response)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fifty_calls_with_an_expired_token_refresh_once() {
        let Some(pds) = pds_url() else {
            return;
        };
        const CALLS: usize = 50;
        let transport = Counting {
            inner: ReqwestTransport::new(),
            sent: Default::default(),
            expired: Default::default(),
            barrier: Arc::new(tokio::sync::Barrier::new(CALLS)),
        };
        let session = Session::new(Client::with_transport(&pds, transport.clone()).unwrap());
        let did = account(&pds, &session, "shortlived-").await;
        // The access token the PDS issued lives one second.
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;

        let tasks: Vec<_> = (0..CALLS)
            .map(|_| {
                let session = session.clone();
                tokio::spawn(async move { get_session::call(&session).await })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            let out = t
                .await
                .unwrap()
                .expect("the call succeeds after the refresh");
            assert_eq!(out.did, did);
            ok += 1;
        }
        let sent = transport.sent.lock().unwrap().clone();
        let refreshes = sent
            .get("com.atproto.server.refreshSession")
            .copied()
            .unwrap_or(0);
        println!(
            "{ok} calls; on the wire: {} getSession, {refreshes} refreshSession; {} ExpiredToken answers",
            sent.get("com.atproto.server.getSession").copied().unwrap_or(0),
            transport.expired.load(Ordering::SeqCst)
        );
        assert_eq!(ok, CALLS);
        assert_eq!(transport.expired.load(Ordering::SeqCst), CALLS);
        assert_eq!(refreshes, 1, "exactly one refreshSession on the wire");
        assert_eq!(
            sent.get("com.atproto.server.getSession").copied(),
            Some(2 * CALLS),
            "each call sent twice: expired, then with the refreshed token"
        );
    }
}
