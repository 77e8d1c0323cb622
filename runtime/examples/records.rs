//! Records, blobs and the repository export, against a PDS: a new account on the local
//! reference PDS, a record written with the CID computed before sending, read back typed,
//! listed, updated with a swap, an image uploaded and embedded, and the repository exported as
//! a CAR and walked.
//!
//! ```sh
//! bash pds/start.sh        # prints ATLEX_PDS_URL=http://127.0.0.1:2583
//! ATLEX_PDS_URL=http://127.0.0.1:2583 cargo run --example records
//! ```

use atlex::repo::{ListOptions, Records, Repository, Swap};
use atlex::types::Datetime;
use atlex::xrpc::Session;
use atlex::Client;

// An app's own record type: a diary entry with an optional picture.
atlex::lexicon!({
    "lexicon": 1,
    "id": "com.example.diary.entry",
    "defs": { "main": {
        "type": "record",
        "key": "tid",
        "record": {
            "type": "object",
            "required": ["text", "createdAt"],
            "properties": {
                "text": { "type": "string", "maxLength": 3000, "maxGraphemes": 300 },
                "mood": { "type": "string", "knownValues": ["happy", "tired"] },
                "picture": { "type": "blob", "accept": ["image/*"], "maxSize": 1000000 },
                "createdAt": { "type": "string", "format": "datetime" }
            }
        }
    } }
});

mod account {
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.server.createAccount",
        "defs": { "main": {
            "type": "procedure",
            "input": { "encoding": "application/json", "schema": {
                "type": "object", "required": ["handle"],
                "properties": {
                    "handle": { "type": "string", "format": "handle" },
                    "email": { "type": "string" },
                    "password": { "type": "string" }
                } } },
            "output": { "encoding": "application/json", "schema": {
                "type": "object", "required": ["did", "handle"],
                "properties": {
                    "did": { "type": "string", "format": "did" },
                    "handle": { "type": "string", "format": "handle" }
                } } }
        } }
    });
}

use account::com::atproto::server::create_account;
use com::example::diary::entry;

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(pds) = std::env::var("ATLEX_PDS_URL") else {
        eprintln!("set ATLEX_PDS_URL to a PDS (start the local one with `bash pds/start.sh`)");
        std::process::exit(2);
    };
    let client = Client::new(&pds)?;

    // A throwaway account, then a session (tokens attached and refreshed for us).
    let name = format!("diary{}", std::process::id());
    let password = format!("pw-{}", std::process::id());
    let input = create_account::Input {
        email: Some(format!("{name}@example.test")),
        password: Some(password.clone()),
        ..create_account::Input::new(format!("{name}.test").parse()?)
    };
    create_account::call(&client, &input).await?;
    let session = Session::new(client);
    session
        .login(&format!("{name}.test"), &password, None)
        .await?;
    let records = Records::of_session(&session)?;
    println!("logged in to {pds} as {}", records.repo());

    // Upload a picture (with its own MIME type) and embed it in a record.
    let picture = atlex::repo::upload_blob(&session, "image/png", PNG).await?;
    let first = entry::Record {
        mood: Some(entry::RecordMood::Happy),
        picture: Some(picture.clone()),
        ..entry::Record::new("Wrote my first record 🦀".into(), Datetime::now())
    };
    let expected = atlex::cbor::cid(&first)?; // computed here, before sending
    let written = records.create(&first).await?;
    println!("created {} with CID {}", written.uri, written.cid);
    assert_eq!(
        written.cid.as_str(),
        expected.as_str(),
        "the PDS names the record by the CID computed locally"
    );

    // Read it back as its type, list the collection, update it only if unchanged.
    let rkey = written.rkey();
    let fetched = records.get::<entry::Record>(rkey).await?;
    assert_eq!(fetched.value, first);
    for i in 0..3 {
        let more = entry::Record::new(format!("entry {i}"), Datetime::now());
        records.create(&more).await?;
    }
    let page = records
        .list::<entry::Record>(&ListOptions {
            limit: Some(2),
            ..Default::default()
        })
        .await?;
    println!(
        "first page: {} entries, next cursor {:?}",
        page.records.len(),
        page.cursor
    );

    let edited = entry::Record {
        mood: Some(entry::RecordMood::Tired),
        ..first.clone()
    };
    records
        .put_if(rkey, &edited, Swap::Cid(fetched.cid.clone()))
        .await?;
    match records
        .put_if(rkey, &first, Swap::Cid(fetched.cid.clone()))
        .await
    {
        Err(e) if e.known().is_some() => println!("a stale swap is refused: {e}"),
        other => println!("unexpected: {other:?}"),
    }

    // The picture, downloaded: the same bytes and type.
    let did = session.data().ok_or("logged out")?.did;
    let blob = atlex::repo::get_blob(&session, &did, picture.cid()).await?;
    println!(
        "blob {}: {} bytes of {}",
        picture.cid(),
        blob.bytes.len(),
        blob.content_type
    );

    // The whole repository as a CAR, walked to its records.
    let car = atlex::repo::get_repo(&session, &did).await?;
    let repo = Repository::from_car(car.bytes)?;
    println!(
        "repository of {} at rev {}:",
        repo.commit().did,
        repo.commit().rev
    );
    for e in repo.entries() {
        println!("  {}/{} {}", e.collection, e.rkey, e.cid);
    }
    for item in repo.records::<entry::Record>() {
        let (e, record) = item?;
        println!("  {} says {:?}", e.rkey, record.text);
    }
    Ok(())
}
