//! A small bot on atlex and the official lexicons crate (built by benches/compile/edit.sh, part
//! `bot`; the same bot on atrium-api is `atrium.rs` beside this file). It logs in, posts a text
//! with a link facet, likes the post, follows an account, lists its posts page by page and
//! deletes the post. Set BOT_PDS, BOT_HANDLE, BOT_PASSWORD and BOT_FOLLOW (a DID) to run it.

use atlex::repo::{ListOptions, Records};
use atlex::types::Datetime;
use atlex::xrpc::Session;
use atlex_lexicons::app::bsky::feed::{like, post};
use atlex_lexicons::app::bsky::graph::follow;
use atlex_lexicons::app::bsky::richtext::facet;
use atlex_lexicons::com::atproto::repo::strong_ref;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn var(name: &str) -> Result<String> {
    std::env::var(name).map_err(|_| format!("set {name}").into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let session = Session::new(atlex::Client::new(&var("BOT_PDS")?)?);
    session
        .login(&var("BOT_HANDLE")?, &var("BOT_PASSWORD")?, None)
        .await?;
    let records = Records::of_session(&session)?;

    // A post whose link is a facet: UTF-8 byte offsets into the text.
    let url = "https://atproto.com/guides/lexicon";
    let text = format!("Lexicons, explained: {url}");
    let start = text.len() - url.len();
    let link = facet::Main::new(
        facet::ByteSlice::new(start as i64, text.len() as i64),
        vec![facet::Link::new(url.parse()?).into()],
    );
    let post = post::Record {
        facets: Some(vec![link]),
        langs: Some(vec!["en".parse()?]),
        ..post::Record::new(text, Datetime::now())
    };
    let written = records.create(&post).await?;
    println!("posted {}", written.uri);

    // Like it, and follow someone.
    let subject = strong_ref::Main::new(written.uri.clone(), written.cid.clone());
    records
        .create(&like::Record::new(subject, Datetime::now()))
        .await?;
    let followed = records
        .create(&follow::Record::new(
            var("BOT_FOLLOW")?.parse()?,
            Datetime::now(),
        ))
        .await?;
    println!("followed: {}", followed.uri);

    // Every post of the account, ten a page.
    let mut options = ListOptions {
        limit: Some(10),
        ..ListOptions::default()
    };
    let mut count = 0;
    loop {
        let page = records.list::<post::Record>(&options).await?;
        for fetched in &page.records {
            count += 1;
            println!("{} {:?}", fetched.rkey(), fetched.value.text);
        }
        match page.cursor {
            Some(cursor) if !page.records.is_empty() => options.cursor = Some(cursor),
            _ => break,
        }
    }

    records.delete::<post::Record>(written.rkey()).await?;
    println!("edit 0: {count} posts listed, the new one deleted");
    Ok(())
}
