//! Typed posts from the firehose: subscribe to a PDS's `com.atproto.sync.subscribeRepos`, wait
//! until the stream is live, write posts, and see each arrive as an `app.bsky.feed.post` with
//! its action (create, update, delete); then stop by dropping the stream.
//!
//! ```sh
//! bash pds/start.sh        # prints ATLEX_PDS_URL=http://127.0.0.1:2583
//! ATLEX_PDS_URL=http://127.0.0.1:2583 cargo run --example firehose_posts
//! ```

mod common;

use atlex::repo::Records;
use atlex::stream::Action;
use atlex::types::Datetime;
use atlex::Client;
use atlex_lexicons::app::bsky::feed::post;
use atlex_lexicons::com::atproto::sync::subscribe_repos::{self, Message};
use atlex_lexicons::AnyRecord;
use common::BoxError;
use futures_util::StreamExt;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let pds = common::pds_url();
    let client = Client::new(&pds)?;
    let mut events = subscribe_repos::subscribe(&client, &subscribe_repos::Params::new())
        .with_records::<AnyRecord>();
    events.connect().await?; // live: what is written from here on comes through

    // Three posts, one edited and one deleted.
    let session = common::new_account(&pds, "fh").await?;
    let me = session.data().ok_or("logged out")?.did;
    let records = Records::of_session(&session)?;
    let mut expected = Vec::new();
    for i in 1..=3 {
        let record = post::Record::new(format!("Post {i} 🔥"), Datetime::now());
        let rkey = records.create(&record).await?.rkey().clone();
        expected.push((Action::Create, rkey, Some(record)));
    }
    let (first, third) = (expected[0].1.clone(), expected[2].1.clone());
    let edited = post::Record::new("Post 1, edited".into(), Datetime::now());
    records.put(&first, &edited).await?;
    expected.push((Action::Update, first, Some(edited)));
    records.delete::<post::Record>(&third).await?;
    expected.push((Action::Delete, third, None));

    // The account's post operations, in order, as they arrive.
    let mut seen = Vec::new();
    let read = async {
        while seen.len() < expected.len() {
            let event = events.next().await.ok_or("the stream ended")??;
            let Message::Commit(commit) = &event.message else {
                continue;
            };
            if commit.repo != me {
                continue; // another account's
            }
            for op in event.ops {
                let op = op?;
                if op.collection.as_str() != post::NSID {
                    continue;
                }
                let post = match op.record.transpose()? {
                    Some(AnyRecord::AppBskyFeedPost(post)) => Some(*post),
                    Some(other) => return Err(format!("not a post: {other:?}").into()),
                    None => None,
                };
                println!(
                    "{} {} {:?}",
                    op.action,
                    op.rkey,
                    post.as_ref().map(|p| &p.text)
                );
                seen.push((op.action, op.rkey, post));
            }
        }
        Ok::<_, BoxError>(())
    };
    tokio::time::timeout(Duration::from_secs(30), read).await??;
    drop(events); // closes the connection

    assert_eq!(seen, expected);
    println!(
        "firehose_posts: {} post operations seen, typed, in order",
        seen.len()
    );
    Ok(())
}
