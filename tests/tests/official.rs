//! All the official lexicons (ATLEX_LEXICONS_DIR) in one `lexicon!` invocation, compiled
//! under `#![deny(warnings)]`, and used: records built, written, read back; methods called
//! against the generated server. Skipped without ATLEX_LEXICONS_DIR at build time (a failure
//! with `ATLEX_REQUIRE_ALL=1`).
#![deny(warnings)]

#[cfg(atlex_official)]
mod lexicons {
    atlex::lexicon!("${ATLEX_LEXICONS_DIR}");
}

#[cfg(not(atlex_official))]
#[test]
fn official_lexicons() {
    atlex_tests::skip("set ATLEX_LEXICONS_DIR to the official lexicons folder (../shared/lexicons) to compile and test them");
}

#[cfg(atlex_official)]
mod official {
    use super::lexicons::app::bsky::embed::images;
    use super::lexicons::app::bsky::feed::post;
    use super::lexicons::app::bsky::richtext::facet;
    use super::lexicons::com::atproto::repo::strong_ref;
    use atlex::types::{Blob, CidLink};
    use atlex::Validate;

    const CID: &str = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm";

    fn sample_post() -> post::Record {
        let target = strong_ref::Main::new(
            "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k43tv4rft22g"
                .parse()
                .unwrap(),
            CID.parse().unwrap(),
        );
        let text = "hello 👋🏽 @alice.test, see #rust";
        let mention_start = text.find("@alice").unwrap() as i64;
        let tag_start = text.find("#rust").unwrap() as i64;
        let facets = vec![
            facet::Main::new(
                facet::ByteSlice::new(mention_start, mention_start + 11),
                vec![facet::MainFeaturesItem::Mention(Box::new(
                    facet::Mention::new("did:plc:ewvi7nxzyoun6zhxrhs64oiz".parse().unwrap()),
                ))],
            ),
            facet::Main::new(
                facet::ByteSlice::new(tag_start, tag_start + 5),
                vec![facet::MainFeaturesItem::Tag(Box::new(facet::Tag::new(
                    "rust".into(),
                )))],
            ),
        ];
        let blob = Blob::new(
            CidLink::new(
                "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"
                    .parse()
                    .unwrap(),
            )
            .unwrap(),
            "image/jpeg",
            123_456,
        );
        post::Record {
            facets: Some(facets),
            reply: Some(post::ReplyRef::new(target.clone(), target)),
            embed: Some(post::RecordEmbed::Images(Box::new(images::Main::new(
                vec![images::Image::new(blob, "a cat".into())],
            )))),
            langs: Some(vec!["en".parse().unwrap(), "pt-BR".parse().unwrap()]),
            ..post::Record::new(text.into(), "2024-11-26T15:36:49.000Z".parse().unwrap())
        }
    }

    #[test]
    fn post_with_reply_facets_and_images_round_trips() {
        let record = sample_post();
        record.validate().expect("the sample post is valid");
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["$type"], "app.bsky.feed.post");
        assert_eq!(json["embed"]["$type"], "app.bsky.embed.images");
        assert_eq!(json["embed"]["images"][0]["image"]["$type"], "blob");
        assert_eq!(
            json["embed"]["images"][0]["image"]["ref"]["$link"],
            "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"
        );
        assert_eq!(
            json["facets"][0]["features"][0]["$type"],
            "app.bsky.richtext.facet#mention"
        );
        assert_eq!(json["reply"]["root"]["cid"], CID);
        let back: post::Record = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, record);
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
    }

    #[test]
    fn post_constraints_are_checked() {
        let mut record = sample_post();
        record.text = "x".repeat(301);
        let err = record.validate().unwrap_err();
        assert_eq!(err.path_string(), "text");
        assert!(err.to_string().contains("maxGraphemes 300"), "{err}");

        let mut record = sample_post();
        if let Some(post::RecordEmbed::Images(images)) = &mut record.embed {
            let one = images.images[0].clone();
            images.images = vec![one; 5];
        }
        let err = record.validate().unwrap_err();
        assert_eq!(err.path_string(), "embed.images");
        assert!(err.to_string().contains("maxLength 4"), "{err}");

        let mut record = sample_post();
        if let Some(post::RecordEmbed::Images(images)) = &mut record.embed {
            images.images[0].alt = String::new();
            images.images[0].image =
                Blob::new(images.images[0].image.link().clone(), "text/html", 10);
        }
        let err = record.validate().unwrap_err();
        assert_eq!(err.path_string(), "embed.images[0].image");
    }

    #[test]
    fn unknown_union_variants_and_fields_survive_a_round_trip() {
        let json = serde_json::json!({
            "$type": "app.bsky.feed.post",
            "text": "hi",
            "createdAt": "2024-11-26T15:36:49.000Z",
            "embed": { "$type": "com.example.embed.poll", "options": ["a", "b"] },
            "futureField": { "nested": [1, 2, 3] }
        });
        let record: post::Record = serde_json::from_value(json.clone()).unwrap();
        assert!(matches!(record.embed, Some(post::RecordEmbed::Unknown(_))));
        assert_eq!(
            record.extra.get("futureField").map(|d| d.to_json()),
            Some(json["futureField"].clone())
        );
        assert_eq!(serde_json::to_value(&record).unwrap(), json);
    }

    #[test]
    fn union_type_may_come_anywhere_in_the_object() {
        let first: post::Record = serde_json::from_value(serde_json::json!({
            "$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2024-11-26T15:36:49.000Z",
            "embed": { "$type": "app.bsky.embed.external",
                       "external": { "uri": "https://example.com", "title": "t", "description": "d" } }
        }))
        .unwrap();
        let last: post::Record = serde_json::from_value(serde_json::json!({
            "text": "hi", "createdAt": "2024-11-26T15:36:49.000Z",
            "embed": { "external": { "description": "d", "uri": "https://example.com", "title": "t" },
                       "$type": "app.bsky.embed.external" },
            "$type": "app.bsky.feed.post"
        }))
        .unwrap();
        assert!(matches!(first.embed, Some(post::RecordEmbed::External(_))));
        assert_eq!(first, last);
        // Through a reader (no borrowing) as well as from a slice.
        let text = serde_json::to_string(&first).unwrap();
        let from_reader: post::Record = serde_json::from_reader(text.as_bytes()).unwrap();
        assert_eq!(from_reader, first);
        // A union value without $type, or with a non-string one, is rejected.
        for embed in [
            serde_json::json!({ "external": {} }),
            serde_json::json!({ "$type": 5 }),
        ] {
            let json = serde_json::json!({
                "$type": "app.bsky.feed.post", "text": "hi",
                "createdAt": "2024-11-26T15:36:49.000Z", "embed": embed
            });
            assert!(serde_json::from_value::<post::Record>(json).is_err());
        }
    }

    #[test]
    fn wrong_record_type_is_rejected() {
        let json = serde_json::json!({
            "$type": "app.bsky.feed.like",
            "text": "hi",
            "createdAt": "2024-11-26T15:36:49.000Z"
        });
        let err = serde_json::from_value::<post::Record>(json).unwrap_err();
        assert!(err.to_string().contains("app.bsky.feed.post"), "{err}");
    }

    mod methods {
        use super::super::lexicons::app::bsky::actor::defs as actor;
        use super::super::lexicons::app::bsky::feed::{defs as feed, get_timeline};
        use super::super::lexicons::com::atproto::repo::create_record;
        use super::sample_post;
        use atlex::server::{Router, ServerError, XrpcRequest};
        use atlex::types::Unknown;
        use atlex::xrpc::NoParams;
        use std::sync::{Arc, Mutex};

        const DID: &str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";

        /// A repo of posts in memory, served through the generated method types.
        async fn serve(store: Arc<Mutex<Vec<(String, Unknown)>>>) -> atlex::Client {
            let for_create = store.clone();
            let router = Router::new()
                .procedure(create_record::Method, move |req: XrpcRequest<NoParams, create_record::Input>| {
                    let store = for_create.clone();
                    async move {
                        let input = req.input;
                        if input.collection.as_str() != "app.bsky.feed.post" {
                            return Err(ServerError::invalid_request("only posts here"));
                        }
                        let mut posts = store.lock().unwrap();
                        let rkey = format!("3k43tv4rft2{}g", posts.len());
                        let uri = format!("at://{}/{}/{rkey}", input.repo, input.collection);
                        posts.push((uri.clone(), input.record));
                        Ok(create_record::Output::new(
                            uri.parse().unwrap(),
                            "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm".parse().unwrap(),
                        ))
                    }
                })
                .query(get_timeline::Method, move |req: XrpcRequest<get_timeline::Params, ()>| {
                    let store = store.clone();
                    async move {
                        let posts = store.lock().unwrap();
                        let limit = usize::try_from(req.params.limit).unwrap_or(0);
                        let feed = posts
                            .iter()
                            .rev()
                            .take(limit)
                            .map(|(uri, record)| {
                                let author = actor::ProfileViewBasic::new(
                                    DID.parse().unwrap(),
                                    "alice.test".parse().unwrap(),
                                );
                                feed::FeedViewPost::new(feed::PostView::new(
                                    uri.parse().unwrap(),
                                    "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm".parse().unwrap(),
                                    author,
                                    record.clone(),
                                    "2024-11-26T15:36:50.000Z".parse().unwrap(),
                                ))
                            })
                            .collect();
                        Ok::<_, ServerError<get_timeline::Error>>(get_timeline::Output::new(feed))
                    }
                });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(router.serve(listener));
            atlex::Client::new(&url).unwrap()
        }

        #[tokio::test]
        async fn create_record_then_read_the_timeline() {
            let store = Arc::new(Mutex::new(Vec::new()));
            let client = serve(store.clone()).await;
            let post = sample_post();
            let input = create_record::Input::new(
                DID.parse().unwrap(),
                "app.bsky.feed.post".parse().unwrap(),
                Unknown::from_typed(&post).unwrap(),
            );
            let created = create_record::call(&client, &input).await.unwrap();
            assert_eq!(created.uri.collection(), Some("app.bsky.feed.post"));
            assert_eq!(store.lock().unwrap().len(), 1);

            let params = get_timeline::Params {
                limit: 10,
                ..get_timeline::Params::new()
            };
            let timeline = get_timeline::call(&client, &params).await.unwrap();
            assert_eq!(timeline.feed.len(), 1);
            let view = &timeline.feed[0].post;
            assert_eq!(view.uri, created.uri);
            assert_eq!(view.author.handle.as_str(), "alice.test");
            let back: super::post::Record = view.record.to_typed().unwrap();
            assert_eq!(back, post);

            // The lexicon's limit (1..=100) is checked before anything is sent.
            let params = get_timeline::Params {
                limit: 101,
                ..get_timeline::Params::new()
            };
            let err = get_timeline::call(&client, &params).await.unwrap_err();
            assert!(matches!(err, atlex::Error::InvalidRequest(_)), "{err:?}");
            assert_eq!(get_timeline::Params::new().limit, 50, "the lexicon default");
        }
    }
}
