//! atlex's rich text and the official crate's `app.bsky.richtext.facet` types
//! (`atlex_lexicons::richtext`): facets built and detected convert to the generated type with
//! the JSON the lexicon has, and back to the same facets; what has no equivalent (an
//! unresolved mention, a link that is not a URI, an offset out of range, an unknown feature
//! without a `$type`) is refused with a typed error, while a feature of another type stays
//! whole both ways; and a post made from rich text is accepted by the reference PDS (which
//! validates it against the lexicon) and reads back as the same rich text.

use atlex::richtext::{ByteSlice, Facet, Feature, RichText};
use atlex::types::{Datetime, Did, Unknown};
use atlex::Validate;
use atlex_lexicons::app::bsky::feed::post;
use atlex_lexicons::app::bsky::richtext::facet;
use atlex_lexicons::richtext::{facets, ConversionError, Problem};
use serde_json::json;
use std::collections::HashMap;

fn did(name: &str) -> Did {
    Did::new(format!("did:plc:{name}")).unwrap()
}

/// Texts with facets of every kind, in several scripts, built from parts and detected (their
/// mentions resolved through a map).
async fn cases() -> Vec<RichText> {
    let known = HashMap::from([
        ("alice.test".to_owned(), did("alice")),
        ("bob.example.com".to_owned(), did("bob")),
    ]);
    let detected = [
        "Grüße @alice.test! Notes: https://example.com/notes. #rust",
        "👨‍👩‍👧 @bob.example.com (see example.com/a_(b)) #タグ $AAPL",
        "שלום @alice.test https://example.com/ü?q=1#x #עברית",
        "e\u{301}\u{301} #tag... and @bob.example.com, www.example.org.",
        "no facets at all",
        "",
    ];
    let mut out = Vec::new();
    for text in detected {
        let mut rich = RichText::detect(text);
        assert!(rich.resolve_mentions(&known).await.is_empty(), "{text}");
        out.push(rich);
    }
    for prefix in ["", "héllo ", "👍🏽 ", "ك ", "a\u{200d}b "] {
        out.push(
            RichText::builder()
                .text(prefix)
                .mention("alice.test", did("alice"))
                .text(" ")
                .link("https://example.com/a-long-path", "example.com")
                .text(" ")
                .tag("rust")
                .build(),
        );
    }
    out
}

#[tokio::test]
async fn facets_convert_to_the_lexicon_type_and_back() {
    let cases = cases().await;
    let mut converted = 0;
    for rich in &cases {
        let typed = facets(rich).unwrap_or_else(|e| panic!("{:?}: {e}", rich.text()));
        assert_eq!(typed.len(), rich.facets().len());
        for facet in &typed {
            facet.validate().expect("valid for the lexicon");
        }
        // The generated type writes the JSON the lexicon has, as atlex's facets do.
        assert_eq!(json!(typed), json!(rich.facets()), "{:?}", rich.text());
        // Each facet alone, by reference and by value, gives the same.
        for (ours, theirs) in rich.facets().iter().zip(&typed) {
            assert_eq!(&facet::Main::try_from(ours).unwrap(), theirs);
            assert_eq!(&facet::Main::try_from(ours.clone()).unwrap(), theirs);
        }
        // And back: the same facets, which fit the text.
        let back: Vec<Facet> = typed
            .iter()
            .map(TryInto::try_into)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, rich.facets());
        let owned: Vec<Facet> = typed
            .into_iter()
            .map(Facet::try_from)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(RichText::with_facets(rich.text(), owned).as_ref(), Ok(rich));
        converted += rich.facets().len();
    }
    println!(
        "{} texts, {converted} facets converted both ways",
        cases.len()
    );
    assert_eq!(cases.len(), 11);
    // 3, 4, 3 and 3 detected in the first four texts, 3 in each of the five built ones.
    assert_eq!(converted, 13 + 5 * 3);

    // The features one by one.
    let mention: Feature = facet::Mention::new(did("alice")).into();
    assert_eq!(mention, Feature::Mention { did: did("alice") });
    let link: Feature = facet::Link::new("https://example.com".parse().unwrap()).into();
    assert_eq!(
        link,
        Feature::Link {
            uri: "https://example.com".into()
        }
    );
    let tag: Feature = facet::Tag::new("rust".into()).into();
    assert_eq!(tag, Feature::Tag { tag: "rust".into() });
}

/// The problem of a conversion that must fail.
fn problem<T: std::fmt::Debug>(result: Result<T, ConversionError>) -> (ConversionError, Problem) {
    let err = result.expect_err("refused");
    (err.clone(), err.problem().clone())
}

#[test]
fn what_has_no_equivalent_is_refused() {
    // A mention not resolved yet: the index of the facet and of the feature say where.
    let detected = RichText::detect("#first then @alice.test");
    let (err, why) = problem(facets(&detected));
    assert_eq!(
        why,
        Problem::UnresolvedMention {
            handle: "alice.test".into()
        }
    );
    assert_eq!((err.facet(), err.feature()), (Some(1), Some(0)));
    assert!(err.to_string().contains("resolve_mentions"), "{err}");

    // A link that is not a URI.
    let bad_link = Facet {
        index: ByteSlice::from(0..4),
        features: vec![
            Feature::Tag { tag: "ok".into() },
            Feature::Link {
                uri: "not a uri".into(),
            },
        ],
    };
    let (err, why) = problem(facet::Main::try_from(&bad_link));
    assert!(matches!(why, Problem::InvalidLink(_)), "{why:?}");
    assert_eq!((err.facet(), err.feature()), (None, Some(1)));

    // Offsets: beyond i64 one way, negative the other.
    let huge = Facet::new(
        ByteSlice {
            byte_start: 0,
            byte_end: usize::MAX,
        },
        Feature::Tag { tag: "t".into() },
    );
    let (_, why) = problem(facet::Main::try_from(huge));
    assert_eq!(
        why,
        Problem::OffsetOutOfRange {
            field: "byteEnd",
            value: usize::MAX as i128
        }
    );
    let largest = ByteSlice {
        byte_start: i64::MAX as usize,
        byte_end: i64::MAX as usize,
    };
    assert!(facet::ByteSlice::try_from(largest).is_ok());
    let negative = facet::Main::new(
        facet::ByteSlice::new(-1, 3),
        vec![facet::Tag::new("t".into()).into()],
    );
    let (err, why) = problem(Facet::try_from(&negative));
    assert_eq!(
        why,
        Problem::OffsetOutOfRange {
            field: "byteStart",
            value: -1
        }
    );
    assert!(err.to_string().contains("byteStart -1"), "{err}");
    assert!(ByteSlice::try_from(facet::ByteSlice::new(0, 0)).is_ok());

    // An unknown feature without a `$type`, either way.
    let untyped = Unknown::try_from(json!({"rgb": "f00"})).unwrap();
    let (_, why) = problem(facet::MainFeaturesItem::try_from(Feature::Unknown(
        untyped.clone(),
    )));
    assert!(matches!(why, Problem::MalformedFeature(_)), "{why:?}");
    let (_, why) = problem(Feature::try_from(facet::MainFeaturesItem::Unknown(untyped)));
    assert!(matches!(why, Problem::MalformedFeature(_)), "{why:?}");
    // An unknown feature with a known `$type` but not its fields.
    let no_uri =
        Unknown::try_from(json!({"$type": "app.bsky.richtext.facet#link", "url": "x"})).unwrap();
    let (_, why) = problem(Feature::try_from(facet::MainFeaturesItem::Unknown(
        no_uri.clone(),
    )));
    assert!(matches!(why, Problem::MalformedFeature(_)), "{why:?}");
    let (_, why) = problem(facet::MainFeaturesItem::try_from(Feature::Unknown(no_uri)));
    assert!(matches!(why, Problem::MalformedFeature(_)), "{why:?}");
}

#[test]
fn a_feature_of_another_type_is_kept_whole() {
    let color = json!({"$type": "com.example.facet#color", "rgb": "f00", "n": 2});
    let typed = facet::Main::new(
        facet::ByteSlice::new(0, 2),
        vec![facet::MainFeaturesItem::Unknown(
            Unknown::try_from(color.clone()).unwrap(),
        )],
    );
    let ours = Facet::try_from(&typed).unwrap();
    assert!(matches!(&ours.features[0], Feature::Unknown(u) if u.to_json() == color));
    let again = facet::Main::try_from(&ours).unwrap();
    assert_eq!(again, typed);
    assert_eq!(json!(again.features[0]), color);

    // An unknown that holds a known feature whole becomes that feature, either way.
    let link = json!({"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"});
    let known = Feature::Unknown(Unknown::try_from(link.clone()).unwrap());
    let item = facet::MainFeaturesItem::try_from(&known).unwrap();
    assert!(
        matches!(&item, facet::MainFeaturesItem::Link(l) if l.uri.as_str() == "https://example.com")
    );
    let back = Feature::try_from(facet::MainFeaturesItem::Unknown(
        Unknown::try_from(link).unwrap(),
    ))
    .unwrap();
    assert_eq!(
        back,
        Feature::Link {
            uri: "https://example.com".into()
        }
    );
}

#[tokio::test]
async fn a_post_from_rich_text_is_accepted_by_the_pds_and_reads_back() {
    use atlex_lexicons::com::atproto::repo::create_record;

    let Some(pds) = atlex_tests::pds_url() else {
        return;
    };
    let alice = atlex_tests::create_account(&pds, "rtl").await;
    let session = atlex::xrpc::Session::new(atlex::Client::new(&pds).unwrap());
    session
        .login(&alice.handle, &alice.password, None)
        .await
        .expect("login");

    // Detected, and the mention resolved at the PDS.
    let text = format!("Grüße 👨‍👩‍👧 @{}! https://example.com/ü. #rust", alice.handle);
    let mut rich = RichText::detect(text);
    let client = atlex::Client::new(&pds).unwrap();
    assert!(rich.resolve_mentions(&client).await.is_empty());
    assert_eq!(rich.facets().len(), 3);

    let record = post::Record {
        facets: Some(facets(&rich).expect("every facet converts")),
        ..post::Record::new(rich.text().into(), Datetime::now())
    };
    // Written with `validate` on: the PDS checks the post against the lexicon first.
    let mut input = create_record::Input::new(
        alice.did.parse().unwrap(),
        post::NSID.parse().unwrap(),
        Unknown::from_typed(&record).unwrap(),
    );
    input.validate = Some(true);
    let written = create_record::call(&session, &input)
        .await
        .expect("the PDS accepts the post");
    assert_eq!(
        written.validation_status,
        Some(create_record::OutputValidationStatus::Valid)
    );
    let rkey = written
        .uri
        .as_str()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let records = atlex::repo::Records::of_session(&session).unwrap();
    let fetched = records.get::<post::Record>(&rkey).await.expect("read back");
    assert_eq!(fetched.value, record);
    let read: Vec<Facet> = fetched
        .value
        .facets
        .iter()
        .flatten()
        .map(TryInto::try_into)
        .collect::<Result<_, _>>()
        .unwrap();
    let shown = RichText::with_facets(fetched.value.text, read).unwrap();
    assert_eq!(shown, rich);
    assert!(matches!(
        &shown.facets()[0].features[0],
        Feature::Mention { did } if did.as_str() == alice.did
    ));
}
