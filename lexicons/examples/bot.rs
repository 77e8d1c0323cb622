//! A bot's day on a PDS: log in with a handle, post text with a mention and a link (facets
//! detected, the mention resolved to a DID), reply, like, follow, post an image, page through
//! its posts, delete one. Every write is read back and compared; any difference fails the run.
//!
//! ```sh
//! bash pds/start.sh        # prints ATLEX_PDS_URL=http://127.0.0.1:2583
//! ATLEX_PDS_URL=http://127.0.0.1:2583 cargo run --example bot
//! ```

mod common;

use atlex::repo::{ListOptions, Records};
use atlex::richtext::{Feature, RichText};
use atlex::types::Datetime;
use atlex::Record;
use atlex_lexicons::app::bsky::embed::images;
use atlex_lexicons::app::bsky::feed::{like, post};
use atlex_lexicons::app::bsky::graph::follow;
use atlex_lexicons::com::atproto::repo::{get_record, strong_ref};
use common::BoxError;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let pds = common::pds_url();
    let friend = common::new_account(&pds, "f")
        .await?
        .data()
        .ok_or("logged out")?;
    let session = common::new_account(&pds, "b").await?;
    let records = Records::of_session(&session)?;

    // A post whose mention and link are found in the text; the handle becomes a DID.
    let mut text = RichText::detect(format!(
        "Grüße an @{}! Die Doku: https://example.com/atlex-doku. 🦀",
        friend.handle
    ));
    let dropped = text.resolve_mentions(&session).await;
    assert!(dropped.is_empty(), "unresolved: {dropped:?}");
    // Byte offsets: "Grüße an " is 11 bytes (ü and ß take two), the handle 14 characters.
    let facets = text.facets();
    assert_eq!(facets.len(), 2);
    assert_eq!(facets[0].index.range(), 11..26);
    assert_eq!(
        facets[0].features,
        [Feature::Mention {
            did: friend.did.clone()
        }]
    );
    assert_eq!(facets[1].index.range(), 38..68);
    let link = "https://example.com/atlex-doku".to_owned();
    assert_eq!(facets[1].features, [Feature::Link { uri: link }]);
    let hello = post::Record {
        facets: Some(text.facets_into()?),
        ..post::Record::new(text.text().into(), Datetime::now())
    };
    let hello = create_checked(&records, &hello).await?;

    // A reply, a like, a follow.
    let parent = strong_ref::Main::new(hello.uri.clone(), hello.cid.clone());
    let reply = post::Record {
        reply: Some(post::ReplyRef::new(parent.clone(), parent.clone())),
        ..post::Record::new("Und eine Antwort.".into(), Datetime::now())
    };
    let reply = create_checked(&records, &reply).await?;
    create_checked(&records, &like::Record::new(parent, Datetime::now())).await?;
    create_checked(&records, &follow::Record::new(friend.did, Datetime::now())).await?;

    // An image post: the blob uploaded first, then embedded.
    let blob = atlex::repo::upload_blob(&session, "image/png", png(4, 3, [200, 30, 30])).await?;
    let image = images::Image::new(blob, "One red pixel".into());
    let picture = post::Record {
        embed: Some(images::Main::new(vec![image]).into()),
        ..post::Record::new("Ein Bild 📷".into(), Datetime::now())
    };
    let picture = create_checked(&records, &picture).await?;

    // The posts, two per page.
    let mut options = ListOptions {
        limit: Some(2),
        ..Default::default()
    };
    let mut listed = Vec::new();
    loop {
        let page = records.list::<post::Record>(&options).await?;
        assert!(page.records.len() <= 2);
        listed.extend(page.records.into_iter().map(|r| r.uri));
        match page.cursor {
            Some(cursor) => options.cursor = Some(cursor),
            None => break,
        }
    }
    listed.sort();
    let mut posted = vec![hello.uri, reply.uri.clone(), picture.uri];
    posted.sort();
    assert_eq!(listed, posted);

    // Delete the reply: it is gone.
    records.delete::<post::Record>(reply.rkey()).await?;
    let gone = records.get::<post::Record>(reply.rkey()).await;
    assert!(matches!(
        gone.map_err(|e| e.known().cloned()),
        Err(Some(get_record::Error::RecordNotFound(_)))
    ));
    println!("bot: posted, replied, liked, followed, paged and deleted; all read back equal");
    Ok(())
}

/// Creates `record`, reads it back and checks that the PDS kept it as written.
async fn create_checked<R: Record + PartialEq + std::fmt::Debug>(
    records: &Records<'_, atlex::xrpc::Session<atlex::Client>>,
    record: &R,
) -> Result<atlex::repo::Written, BoxError> {
    let written = records.create(record).await?;
    let fetched = records.get::<R>(written.rkey()).await?;
    assert_eq!((&fetched.value, &fetched.cid), (record, &written.cid));
    println!("{} {}", R::NSID, written.uri);
    Ok(written)
}

/// A `width` x `height` PNG of one colour: 8-bit RGB rows in a stored (uncompressed) zlib
/// stream.
fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let row = [&[0][..], &rgb.repeat(width as usize)].concat(); // filter type 0, then pixels
    let pixels = row.repeat(height as usize);
    let len = pixels.len() as u16; // small images only: one stored block
    let mut zlib = [
        &[0x78, 0x01, 0x01][..],
        &len.to_le_bytes(),
        &(!len).to_le_bytes(),
    ]
    .concat();
    zlib.extend(&pixels);
    let (a, b) = pixels.iter().fold((1u32, 0u32), |(a, b), &x| {
        ((a + u32::from(x)) % 65521, (b + a + u32::from(x)) % 65521)
    });
    zlib.extend(((b << 16) | a).to_be_bytes()); // Adler-32
    let header = [
        &width.to_be_bytes()[..],
        &height.to_be_bytes(),
        &[8, 2, 0, 0, 0],
    ]
    .concat();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", header), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        let chunk = [&kind[..], &data].concat();
        let crc = !chunk.iter().fold(!0u32, |crc, &byte| {
            (0..8).fold(crc ^ u32::from(byte), |c, _| {
                (c >> 1) ^ (0xedb8_8320 & (c & 1).wrapping_neg())
            })
        });
        png.extend((data.len() as u32).to_be_bytes());
        png.extend(chunk);
        png.extend(crc.to_be_bytes());
    }
    png
}
