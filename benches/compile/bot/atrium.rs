//! The same bot as `atlex.rs` beside this file, on atrium-api 0.25.8 (its `agent` feature) and
//! atrium-xrpc-client 0.5 over reqwest (built by benches/compile/edit.sh, part `bot`). It logs
//! in, posts a text with a link facet, likes the post, follows an account, lists its posts page
//! by page and deletes the post. Set BOT_PDS, BOT_HANDLE, BOT_PASSWORD and BOT_FOLLOW (a DID)
//! to run it.

use atrium_api::agent::atp_agent::{store::MemorySessionStore, AtpAgent};
use atrium_api::app::bsky::feed::{like, post};
use atrium_api::app::bsky::graph::follow;
use atrium_api::app::bsky::richtext::facet;
use atrium_api::com::atproto::repo::{create_record, delete_record, list_records, strong_ref};
use atrium_api::record::KnownRecord;
use atrium_api::types::string::{AtIdentifier, Datetime, Did, Language, Nsid, RecordKey};
use atrium_api::types::{TryFromUnknown, TryIntoUnknown, Union};
use atrium_xrpc_client::reqwest::ReqwestClient;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;
type Agent = AtpAgent<MemorySessionStore, ReqwestClient>;

fn var(name: &str) -> Result<String> {
    std::env::var(name).map_err(|_| format!("set {name}").into())
}

fn nsid(s: &str) -> Result<Nsid> {
    Ok(Nsid::new(s.to_owned())?)
}

/// Writes `record` into the account's repository with a key chosen by the server.
async fn create(agent: &Agent, repo: &Did, record: KnownRecord) -> Result<create_record::Output> {
    let collection = match &record {
        KnownRecord::AppBskyFeedPost(_) => "app.bsky.feed.post",
        KnownRecord::AppBskyFeedLike(_) => "app.bsky.feed.like",
        KnownRecord::AppBskyGraphFollow(_) => "app.bsky.graph.follow",
        _ => return Err("a record this bot does not write".into()),
    };
    let input = create_record::InputData {
        collection: nsid(collection)?,
        record: record.try_into_unknown()?,
        repo: AtIdentifier::Did(repo.clone()),
        rkey: None,
        swap_commit: None,
        validate: None,
    };
    Ok(agent
        .api
        .com
        .atproto
        .repo
        .create_record(input.into())
        .await?)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let agent = AtpAgent::new(
        ReqwestClient::new(var("BOT_PDS")?),
        MemorySessionStore::default(),
    );
    let me = agent
        .login(var("BOT_HANDLE")?, var("BOT_PASSWORD")?)
        .await?;

    // A post whose link is a facet: UTF-8 byte offsets into the text.
    let url = "https://atproto.com/guides/lexicon";
    let text = format!("Lexicons, explained: {url}");
    let start = text.len() - url.len();
    let link = facet::MainData {
        features: vec![Union::Refs(facet::MainFeaturesItem::Link(Box::new(
            facet::LinkData { uri: url.into() }.into(),
        )))],
        index: facet::ByteSliceData {
            byte_start: start,
            byte_end: text.len(),
        }
        .into(),
    };
    let post = post::RecordData {
        created_at: Datetime::now(),
        embed: None,
        entities: None,
        facets: Some(vec![link.into()]),
        labels: None,
        langs: Some(vec![
            Language::new("en".into()).map_err(|_| "not a language tag")?
        ]),
        reply: None,
        tags: None,
        text,
    };
    let written = create(&agent, &me.did, post.into()).await?;
    println!("posted {}", written.uri);

    // Like it, and follow someone.
    let like = like::RecordData {
        created_at: Datetime::now(),
        subject: strong_ref::MainData {
            cid: written.cid.clone(),
            uri: written.uri.clone(),
        }
        .into(),
        via: None,
    };
    create(&agent, &me.did, like.into()).await?;
    let follow = follow::RecordData {
        created_at: Datetime::now(),
        subject: Did::new(var("BOT_FOLLOW")?)?,
    };
    let followed = create(&agent, &me.did, follow.into()).await?;
    println!("followed: {}", followed.uri);

    // Every post of the account, ten a page.
    let mut cursor = None;
    let mut count = 0;
    loop {
        let params = list_records::ParametersData {
            collection: nsid("app.bsky.feed.post")?,
            cursor: cursor.take(),
            limit: Some(10.try_into()?),
            repo: AtIdentifier::Did(me.did.clone()),
            reverse: None,
        };
        let page = agent
            .api
            .com
            .atproto
            .repo
            .list_records(params.into())
            .await?;
        for record in &page.records {
            count += 1;
            let value = post::Record::try_from_unknown(record.value.clone())?;
            let rkey = record.uri.rsplit('/').next().unwrap_or_default();
            println!("{rkey} {:?}", value.text);
        }
        match &page.cursor {
            Some(next) if !page.records.is_empty() => cursor = Some(next.clone()),
            _ => break,
        }
    }

    let rkey = written.uri.rsplit('/').next().unwrap_or_default();
    let input = delete_record::InputData {
        collection: nsid("app.bsky.feed.post")?,
        repo: AtIdentifier::Did(me.did.clone()),
        rkey: RecordKey::new(rkey.to_owned())?,
        swap_commit: None,
        swap_record: None,
    };
    agent
        .api
        .com
        .atproto
        .repo
        .delete_record(input.into())
        .await?;
    println!("edit 0: {count} posts listed, the new one deleted");
    Ok(())
}
