//! A profile edit that loses nothing: the profile holds a field this program's lexicon does
//! not know (written by another app), the display name is changed through the typed record,
//! and the field is still there afterwards. The write swaps on the CID that was read, so an
//! edit made elsewhere in between is refused (`InvalidSwap`) instead of overwritten.
//!
//! ```sh
//! bash pds/start.sh        # prints ATLEX_PDS_URL=http://127.0.0.1:2583
//! ATLEX_PDS_URL=http://127.0.0.1:2583 cargo run --example profile
//! ```

mod common;

use atlex::repo::{Records, Swap};
use atlex_lexicons::app::bsky::actor::profile;
use atlex_lexicons::com::atproto::repo::{get_record, put_record};
use common::BoxError;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let session = common::new_account(&common::pds_url(), "pr").await?;
    let records = Records::of_session(&session)?;
    let (me, collection) = (
        atlex::record_key!("self"),
        atlex::nsid!("app.bsky.actor.profile"),
    );

    // Another app's profile, with a field of its own.
    let written = json!({
        "$type": profile::NSID,
        "displayName": "Ada",
        "description": "Writes programs.",
        "exampleBadge": { "color": "teal", "level": 3 },
    });
    let input = put_record::Input::new(
        records.repo().clone(),
        collection.clone(),
        me.clone(),
        serde_json::from_value(written.clone())?,
    );
    put_record::call(&session, &input).await?;

    // The typed edit, only over the profile just read.
    let current = records.get::<profile::Record>(&me).await?;
    let renamed = profile::Record {
        display_name: Some("Ada Lovelace".into()),
        ..current.value.clone()
    };
    records
        .put_if(&me, &renamed, Swap::Cid(current.cid.clone()))
        .await?;

    // Read back raw: the new name, and the unknown field as it was.
    let params = get_record::Params::new(records.repo().clone(), collection, me.clone());
    let raw = get_record::call(&session, &params).await?.value.to_json();
    assert_eq!(raw["displayName"], "Ada Lovelace");
    assert_eq!(raw["description"], written["description"]);
    assert_eq!(raw["exampleBadge"], written["exampleBadge"]);

    // The same edit again over the CID read before: that profile is gone, so it is refused.
    let stale = profile::Record {
        display_name: Some("Someone else".into()),
        ..current.value
    };
    match records.put_if(&me, &stale, Swap::Cid(current.cid)).await {
        Err(e) if matches!(e.known(), Some(put_record::Error::InvalidSwap(_))) => {
            println!("stale write refused: {e}")
        }
        other => return Err(format!("a stale swap went through: {other:?}").into()),
    }
    let after = records.get::<profile::Record>(&me).await?;
    assert_eq!(after.value, renamed);
    println!("profile: renamed, unknown field kept, stale swap refused");
    Ok(())
}
