//! A third-party lexicon set whose documents refer to official ones, generated with
//! `extern_paths` pointing at `atlex-lexicons`: refs to objects, to `#defs`, to a record's
//! `main`, to aliases and string enums with constraints, and union variants across the
//! boundary, all the official crate's own types; and official documents kept in the
//! third-party folder, re-exported from the official crate instead of generated again.
#![deny(warnings)]

use atlex::Validate;
use atlex_lexicons::app::bsky::{actor, embed, feed, richtext::facet};
use atlex_lexicons::com::atproto::{label, repo::strong_ref};
use serde_json::json;

/// The third-party documents, with the official namespaces mapped to the official crate.
mod shelf {
    atlex::lexicon! {
        path = "lexicons/third_party",
        extern_paths = {
            "app.bsky" = atlex_lexicons::app::bsky,
            "com.atproto" = atlex_lexicons::com::atproto,
        },
    }
}

/// The same with an official document kept beside them (as a user who copied it would):
/// it is checked, then re-exported from the official crate.
mod shelf_with_facet {
    atlex::lexicon! {
        path = ["lexicons/third_party", "../lexicons/lexicons/app/bsky/richtext/facet.json"],
        extern_paths = {
            "app.bsky" = atlex_lexicons::app::bsky,
            "com.atproto" = atlex_lexicons::com::atproto,
        },
    }
}

use shelf::com::example::shelf::{bookmark, get_bookmarks};

const CID: &str = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm";
const POST_URI: &str = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k43tv4rft22g";

fn sample() -> bookmark::Record {
    let note = "see @alice.test";
    let start = note.find('@').unwrap() as i64;
    let mention = facet::Main::new(
        facet::ByteSlice::new(start, note.len() as i64),
        vec![facet::Mention::new(atlex::did!("did:plc:ewvi7nxzyoun6zhxrhs64oiz")).into()],
    );
    let quoted = feed::post::Record::new("quoted".into(), atlex::datetime!("2024-01-01T00:00:00Z"));
    bookmark::Record {
        note: Some(note.into()),
        note_facets: Some(vec![mention]),
        // A record's `main` across the boundary: the official `Record` (through `Main`).
        preview: Some(bookmark::RecordPreview::Post(Box::new(quoted))),
        labels: Some(bookmark::RecordLabels::DefsSelfLabels(Box::new(
            label::defs::SelfLabels::new(vec![label::defs::SelfLabel::new("spoiler".into())]),
        ))),
        muted_in: Some(actor::defs::MutedWordTarget::Tag),
        ..bookmark::Record::new(
            strong_ref::Main::new(POST_URI.parse().unwrap(), CID.parse().unwrap()),
            atlex::datetime!("2024-11-26T15:36:49.000Z"),
        )
    }
}

#[test]
fn a_record_holding_official_types_round_trips() {
    let record = sample();
    record.validate().expect("the sample is valid");
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["$type"], "com.example.shelf.bookmark");
    assert_eq!(json["subject"], json!({ "uri": POST_URI, "cid": CID }));
    assert_eq!(
        json["noteFacets"][0]["features"][0]["$type"],
        "app.bsky.richtext.facet#mention"
    );
    assert_eq!(json["preview"]["$type"], "app.bsky.feed.post");
    assert_eq!(json["preview"]["text"], "quoted");
    assert_eq!(json["labels"]["$type"], "com.atproto.label.defs#selfLabels");
    assert_eq!(json["mutedIn"], "tag");
    let back: bookmark::Record = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, record);
    assert_eq!(serde_json::to_value(&back).unwrap(), json);
}

/// Each union variant across the boundary reads into its official type by `$type`; a variant
/// the union does not list is kept whole and written back.
#[test]
fn official_union_variants_read_by_type() {
    let base = serde_json::to_value(sample()).unwrap();
    let read = |preview: serde_json::Value| {
        let mut value = base.clone();
        value["preview"] = preview;
        let record: bookmark::Record = serde_json::from_value(value).unwrap();
        record.validate().unwrap();
        record.preview.unwrap()
    };
    let external = json!({ "$type": "app.bsky.embed.external",
        "external": { "uri": "https://example.com/", "title": "t", "description": "d" } });
    match read(external) {
        bookmark::RecordPreview::External(e) => {
            let e: embed::external::Main = *e;
            assert_eq!(e.external.uri.as_str(), "https://example.com/");
        }
        other => panic!("read as {other:?}"),
    }
    let post = json!({ "$type": "app.bsky.feed.post", "text": "hi",
        "createdAt": "2024-01-01T00:00:00Z" });
    match read(post) {
        bookmark::RecordPreview::Post(p) => {
            let p: feed::post::Record = *p;
            assert_eq!(p.text, "hi");
        }
        other => panic!("read as {other:?}"),
    }
    let quote = json!({ "$type": "com.example.shelf.bookmark#quote", "text": "q" });
    assert!(matches!(read(quote), bookmark::RecordPreview::Quote(_)));
    let unlisted = json!({ "$type": "app.bsky.embed.video", "video": { "x": 1 } });
    let kept = read(unlisted.clone());
    assert!(matches!(kept, bookmark::RecordPreview::Unknown(_)));
    assert_eq!(serde_json::to_value(&kept).unwrap(), unlisted);
}

/// The constraints of official definitions apply across the boundary: inside an object, a
/// record, a string enum, and an array alias (whose checks the official module keeps beside
/// it).
#[test]
fn official_constraints_are_checked_across_the_boundary() {
    let mut record = sample();
    record.note_facets.as_mut().unwrap()[0].index.byte_start = -1;
    let err = record.validate().unwrap_err();
    assert_eq!(err.path_string(), "noteFacets[0].index.byteStart");
    assert!(err.to_string().contains("minimum 0"), "{err}");

    let mut record = sample();
    if let Some(bookmark::RecordPreview::Post(post)) = &mut record.preview {
        post.text = "x".repeat(301);
    }
    let err = record.validate().unwrap_err();
    assert_eq!(err.path_string(), "preview.text");
    assert!(err.to_string().contains("maxGraphemes 300"), "{err}");

    let mut record = sample();
    record.muted_in = Some(actor::defs::MutedWordTarget::Other("x".repeat(65)));
    let err = record.validate().unwrap_err();
    assert_eq!(err.path_string(), "mutedIn");
    assert!(err.to_string().contains("maxGraphemes 64"), "{err}");

    let item = json!({ "$type": "app.bsky.draft.defs#draftEmbedImage",
        "localRef": { "path": "a.jpg" } });
    for (n, ok) in [(20, true), (21, false)] {
        let mut value = serde_json::to_value(sample()).unwrap();
        value["gallery"] = json!(vec![item.clone(); n]);
        let record: bookmark::Record = serde_json::from_value(value).unwrap();
        let result = record.validate();
        assert_eq!(result.is_ok(), ok, "{n} gallery items: {result:?}");
        if let Err(err) = result {
            assert_eq!(err.path_string(), "gallery");
            assert!(err.to_string().contains("maxLength 20"), "{err}");
        }
    }
}

/// A method's output holding official views (`#defs` of other documents) reads into them.
#[test]
fn a_method_output_holds_official_views() {
    let author = json!({ "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "handle": "alice.test" });
    let output = json!({ "bookmarks": [{
        "uri": "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/com.example.shelf.bookmark/3k43tv4rft22g",
        "author": author,
        "post": { "uri": POST_URI, "cid": CID, "author": author,
            "record": { "$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2024-01-01T00:00:00Z" },
            "indexedAt": "2024-01-01T00:00:01Z" }
    }] });
    let out: get_bookmarks::Output = serde_json::from_value(output.clone()).unwrap();
    out.validate().unwrap();
    let view = &out.bookmarks[0];
    let author: &actor::defs::ProfileViewBasic = &view.author;
    assert_eq!(author.handle.as_str(), "alice.test");
    let post: &feed::defs::PostView = view.post.as_ref().unwrap();
    assert_eq!(post.uri.as_str(), POST_URI);
    assert_eq!(serde_json::to_value(&out).unwrap(), output);
}

/// An official document kept in the third-party folder is the official crate's module: its
/// types are the official ones, and the set's refs to it use them.
#[test]
fn an_official_document_in_the_set_is_the_official_module() {
    use shelf_with_facet::app::bsky::richtext::facet as kept;
    let slice: kept::ByteSlice = facet::ByteSlice::new(0, 1);
    let tag: facet::Tag = kept::Tag::new("rust".into());
    let kept_facet: facet::Main = kept::Main::new(slice, vec![tag.into()]);
    let record = shelf_with_facet::com::example::shelf::bookmark::Record {
        note: Some("x".into()),
        note_facets: Some(vec![kept_facet]),
        ..shelf_with_facet::com::example::shelf::bookmark::Record::new(
            strong_ref::Main::new(POST_URI.parse().unwrap(), CID.parse().unwrap()),
            atlex::datetime!("2024-11-26T15:36:49.000Z"),
        )
    };
    record.validate().unwrap();
    assert_eq!(kept::NSID, "app.bsky.richtext.facet");
}
