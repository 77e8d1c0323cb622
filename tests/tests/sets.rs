//! Lexicon sets: directories, lists, include patterns, extern paths, cross-document and
//! recursive refs, records referenced as records, the inline form.
#![deny(warnings)]

/// The base documents, generated once; the app set below refers to them by path.
mod base {
    atlex::lexicon!("lexicons/sets/com/example/base");
}

/// The app documents: only the note and what it references, with `com.example.base` taken
/// from the module above instead of being generated again.
mod app {
    atlex::lexicon! {
        path = "lexicons/sets/com/example/app",
        include = ["com.example.app.note"],
        extern_paths = { "com.example.base" = crate::base::com::example::base },
    }
}

/// The same note with `com.example.base` in the same invocation: what the app set above must
/// match.
mod app_in_set {
    atlex::lexicon! {
        path = ["lexicons/sets/com/example/app", "lexicons/sets/com/example/base"],
        include = ["com.example.app.note"],
    }
}

/// The note with `com.example.base` in the set and mapped to the module above: the base
/// documents are checked and resolved here, but their modules are `base`'s own, re-exported.
mod app_sharing_base {
    atlex::lexicon! {
        path = ["lexicons/sets/com/example/app", "lexicons/sets/com/example/base"],
        include = ["com.example.app.note"],
        extern_paths = { "com.example.base" = crate::base::com::example::base },
    }
}

/// Recursive types: a direct self-reference and a cycle through another document (every
/// field on the cycle is boxed).
mod tree {
    atlex::lexicon!("lexicons/sets/com/example/tree");
}

/// Refs written with the `lex:` prefix, as @atproto/api's exported schemas write them: into
/// the same document and into another, as a ref, an array's items and union variants.
mod lexref {
    atlex::lexicon!("lexicons/sets/com/example/lexref");
}

mod inline {
    atlex::lexicon!({
        "lexicon": 1,
        "id": "com.example.ping",
        "defs": { "main": { "type": "query",
            "parameters": { "type": "params", "properties": { "n": { "type": "integer", "default": 3 } } },
            "output": { "encoding": "application/json",
                        "schema": { "type": "object", "properties": { "pong": { "type": "boolean" } } } } } }
    });
}

/// Definitions named `String`, `Option`, `Vec`, `Box` and `Result`: the document's own items
/// keep those names, and its signatures name the standard types by full path.
mod clash {
    atlex::lexicon!("lexicons/clash");
}

use atlex::Validate;

#[test]
fn std_name_clash() {
    use clash::com::example::std_names as s;
    let mut out = s::Output::new(
        String::from("n"),
        s::String {
            text: Some(String::from("t")),
            ..Default::default()
        },
    );
    out.option = Some(s::Option::default());
    out.vec = Some(vec![s::Vec::X, s::Vec::Other(String::from("z"))]);
    out.result = Some(s::OutputResult::Result(Box::new(s::Result::new(true))));
    out.validate().unwrap();
    let json = serde_json::to_string(&out).unwrap();
    let back: s::Output = serde_json::from_str(&json).unwrap();
    assert_eq!(back, out);
    let s::Error::Nope(e) = s::Error::Nope(None);
    assert_eq!(e, None);
}

#[test]
fn extern_paths_reuse_the_existing_types() {
    let tag: base::com::example::base::defs::Tag =
        base::com::example::base::defs::Tag::new("rust".into());
    let note = app::com::example::app::note::Record {
        tags: Some(vec![tag]),
        color: Some(Some(base::com::example::base::defs::Color::Red)),
        ..app::com::example::app::note::Record::new(
            "hi".into(),
            atlex::datetime!("2024-01-01T00:00:00Z"),
        )
    };
    note.validate().unwrap();
    let json = serde_json::to_value(&note).unwrap();
    assert_eq!(json["$type"], "com.example.app.note");
    assert_eq!(json["color"], "red");
}

/// A document of the set that `extern_paths` covers is the extern module, not a copy: a value
/// of `base`'s type is a value of the set's, and the set knows its kinds (a union variant of
/// it converts into the union, which a ref to a document outside the set cannot).
#[test]
fn a_document_of_the_set_under_an_extern_path_is_the_extern_module() {
    use app_sharing_base::com::example::{app::note, base::defs};
    let tag: defs::Tag = base::com::example::base::defs::Tag::new("rust".into());
    let color: base::com::example::base::defs::Color = defs::Color::Red;
    let note = note::Record {
        tags: Some(vec![tag.clone()]),
        color: Some(Some(color)),
        attachment: Some(tag.into()),
        ..note::Record::new("hi".into(), atlex::datetime!("2024-01-01T00:00:00Z"))
    };
    note.validate().unwrap();
    let json = serde_json::to_value(&note).unwrap();
    assert_eq!(json["attachment"]["$type"], "com.example.base.defs#tag");
}

/// Whether `U: From<T>`, asked where both are known types (autoref specialization: the
/// `Converts` method is found first when it applies, `Falls back` after one more borrow).
struct Probe<T, U>(std::marker::PhantomData<(T, U)>);

trait Converts {
    fn converts(&self) -> bool {
        true
    }
}

impl<T, U: From<T>> Converts for Probe<T, U> {}

trait FallsBack {
    fn converts(&self) -> bool {
        false
    }
}

impl<T, U> FallsBack for &Probe<T, U> {}

macro_rules! converts {
    ($t:ty => $u:ty) => {
        (&Probe::<$t, $u>(std::marker::PhantomData)).converts()
    };
}

/// Each union variant's type converts into the union, so that a field takes
/// `Some(value.into())`: a record of another document, objects of this document and of another
/// one in the same invocation. A type reached through `extern_paths` does not (it could be an
/// alias of another variant's type); its variant is built by hand.
#[test]
fn union_variants_convert_into_the_union() {
    use app::com::example::app::{note, pin};
    let pinned = pin::Record::new(atlex::at_uri!(
        "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/com.example.app.note/3k43tv4rft22g"
    ));
    let note = note::Record {
        attachment: Some(pinned.clone().into()),
        ..note::Record::new("hi".into(), atlex::datetime!("2024-01-01T00:00:00Z"))
    };
    assert_eq!(
        note.attachment,
        Some(note::RecordAttachment::Pin(Box::new(pinned)))
    );
    let json = serde_json::to_value(&note).unwrap();
    assert_eq!(json["attachment"]["$type"], "com.example.app.pin");

    type Tag = base::com::example::base::defs::Tag;
    assert!(converts!(pin::Record => note::RecordAttachment));
    assert!(!converts!(Tag => note::RecordAttachment));
    assert!(!converts!(atlex::types::Unknown => note::RecordAttachment));
    let by_hand = note::RecordAttachment::DefsTag(Box::new(Tag::new("rust".into())));
    by_hand.validate().unwrap();

    // With `com.example.base` in the same invocation, its variant converts too.
    use app_in_set::com::example::{app::note as set_note, base::defs as set_defs};
    let tag: set_note::RecordAttachment = set_defs::Tag::new("rust".into()).into();
    assert_eq!(
        tag,
        set_note::RecordAttachment::DefsTag(Box::new(set_defs::Tag::new("rust".into())))
    );
    assert!(converts!(set_defs::Tag => set_note::RecordAttachment));

    // Variants of this document and of another, written with `lex:` refs.
    use lexref::com::example::lexref::{defs, post};
    let embed: post::RecordEmbed = post::Image::new("alt".into()).into();
    assert_eq!(
        embed,
        post::RecordEmbed::Image(Box::new(post::Image::new("alt".into())))
    );
    let label: post::RecordEmbed = defs::Label::new("x".into()).into();
    assert!(matches!(label, post::RecordEmbed::DefsLabel(_)));
    let site: post::RecordEmbed = defs::Main::new(atlex::uri!("https://example.com")).into();
    assert!(matches!(site, post::RecordEmbed::Defs(_)));
    let plain: post::RecordEmbed = post::Plain::default().into();
    assert!(matches!(plain, post::RecordEmbed::Plain(_)));
}

#[test]
fn include_emits_the_referenced_documents_only() {
    // The pin record is referenced by the note, so it is emitted, as a record.
    let pin = app::com::example::app::pin::Record::new(atlex::at_uri!(
        "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/com.example.app.note/3k43tv4rft22g"
    ));
    assert_eq!(
        <app::com::example::app::pin::Record as atlex::Record>::KEY,
        "literal:self"
    );
    let json = serde_json::to_value(&pin).unwrap();
    assert_eq!(json["$type"], "com.example.app.pin");
    // `app::com::example::app::unused` is not emitted: referring to it would not compile.
    assert_eq!(app::com::example::app::note::NSID, "com.example.app.note");
}

#[test]
fn nullable_keeps_absent_null_and_value_apart() {
    use app::com::example::app::note::Record;
    for (json, expected) in [
        (
            r#"{"$type":"com.example.app.note","text":"a","createdAt":"2024-01-01T00:00:00Z"}"#,
            None,
        ),
        (
            r#"{"$type":"com.example.app.note","text":"a","createdAt":"2024-01-01T00:00:00Z","color":null}"#,
            Some(None),
        ),
        (
            r#"{"$type":"com.example.app.note","text":"a","createdAt":"2024-01-01T00:00:00Z","color":"blue"}"#,
            Some(Some("blue")),
        ),
    ] {
        let r: Record = serde_json::from_str(json).unwrap();
        assert_eq!(
            r.color.as_ref().map(|c| c.as_ref().map(|c| c.as_str())),
            expected,
            "{json}"
        );
        assert_eq!(serde_json::to_string(&r).unwrap(), json);
    }
}

#[test]
fn constraints_of_referenced_definitions_apply() {
    let long = base::com::example::base::defs::Tag::new("ninechars".into());
    let note = app::com::example::app::note::Record {
        tags: Some(vec![long]),
        ..app::com::example::app::note::Record::new(
            "hi".into(),
            atlex::datetime!("2024-01-01T00:00:00Z"),
        )
    };
    let err = note.validate().unwrap_err();
    assert_eq!(err.path_string(), "tags[0].name");
}

/// What reading then validating a note gives: `Ok`, or the path and rule of the error.
macro_rules! verdicts {
    ($record:ty, $cases:expr) => {
        $cases
            .iter()
            .map(|json: &serde_json::Value| {
                let mut note = serde_json::json!({
                    "$type": "com.example.app.note",
                    "text": "hi",
                    "createdAt": "2024-01-01T00:00:00Z",
                });
                for (k, v) in json.as_object().unwrap() {
                    note[k] = v.clone();
                }
                let r: $record = serde_json::from_value(note).map_err(|e| e.to_string())?;
                r.validate()
                    .map_err(|e| format!("{}: {}", e.path_string(), e.rule()))
            })
            .collect::<Vec<Result<(), String>>>()
    };
}

#[test]
fn refs_to_aliases_through_extern_paths_carry_their_constraints() {
    use serde_json::json;
    let cases = [
        json!({ "subtitle": "short", "score": 10, "moreTags": [{ "name": "a" }], "scores": [0, 10] }),
        json!({ "subtitle": "too long" }),
        json!({ "score": 11 }),
        json!({ "score": -1 }),
        json!({ "moreTags": [{ "name": "a" }, { "name": "b" }, { "name": "c" }] }),
        json!({ "moreTags": [{ "name": "ninechars" }] }),
        json!({ "scores": [1, 20] }),
    ];
    let in_set = verdicts!(app_in_set::com::example::app::note::Record, cases);
    let through_extern = verdicts!(app::com::example::app::note::Record, cases);
    assert_eq!(
        in_set,
        [
            Ok(()),
            Err("subtitle: is 8 UTF-8 bytes long, more than maxLength 5".to_owned()),
            Err("score: is 11, more than maximum 10".to_owned()),
            Err("score: is -1, less than minimum 0".to_owned()),
            Err("moreTags: has 3 items, more than maxLength 2".to_owned()),
            Err("moreTags[0].name: has 9 graphemes, more than maxGraphemes 8".to_owned()),
            Err("scores[1]: is 20, more than maximum 10".to_owned()),
        ]
    );
    assert_eq!(through_extern, in_set);
}

#[test]
fn recursive_refs_are_boxed_and_round_trip() {
    use tree::com::example::tree::{link, node};
    let leaf = node::Main::new("leaf".into());
    let root = node::Main {
        parent: Some(Box::new(node::Main::new("up".into()))),
        children: Some(vec![leaf.clone()]),
        link: Some(Box::new(link::Main::new(Box::new(leaf)))),
        ..node::Main::new("root".into())
    };
    root.validate().unwrap();
    let json = serde_json::to_value(&root).unwrap();
    let link = root.link.as_ref().unwrap();
    assert_eq!(link.weight, 1, "the default is applied");
    assert!(
        json["link"].get("weight").is_none(),
        "an unchanged default is not written"
    );
    let back: node::Main = serde_json::from_value(json).unwrap();
    assert_eq!(back, root);
    let mut bad = root.clone();
    if let Some(l) = &mut bad.link {
        l.target.label = "x".repeat(65);
    }
    assert_eq!(
        bad.validate().unwrap_err().path_string(),
        "link.target.label"
    );
}

#[test]
fn inline_documents_expand_like_files() {
    use inline::com::example::ping;
    assert_eq!(ping::NSID, "com.example.ping");
    assert!(ping::LEXICON.contains("\"com.example.ping\""));
    assert_eq!(ping::Params::new().n, 3);
}

#[test]
fn lex_prefixed_refs_resolve_as_the_unprefixed_ones() {
    use lexref::com::example::lexref::{defs, post};
    let label = defs::Label::new("ok".into());
    let record = post::Record {
        label: Some(label.clone()),
        site: Some(defs::Main::new(atlex::uri!("https://example.com"))),
        reply: Some(post::ReplyRef {
            label: Some(label.clone()),
            ..post::ReplyRef::new(atlex::at_uri!(
                "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/com.example.lexref.post/3k43tv4rft22g"
            ))
        }),
        labels: Some(vec![label.clone()]),
        embed: Some(post::RecordEmbed::Image(Box::new(post::Image::new(
            "a cat".into(),
        )))),
        ..post::Record::new("hi".into())
    };
    record.validate().unwrap();
    let json = serde_json::to_value(&record).unwrap();
    // The union writes the tag without the prefix, as every other tool does.
    assert_eq!(json["embed"]["$type"], "com.example.lexref.post#image");
    let back: post::Record = serde_json::from_value(json).unwrap();
    assert_eq!(back, record);

    // Every variant reads from its unprefixed `$type` (a `main` also as `nsid#main`).
    for (embed, tag) in [
        (
            serde_json::json!({ "$type": "com.example.lexref.defs#label", "val": "x" }),
            "com.example.lexref.defs#label",
        ),
        (
            serde_json::json!({ "$type": "com.example.lexref.defs", "uri": "https://example.com" }),
            "com.example.lexref.defs",
        ),
        (
            serde_json::json!({ "$type": "com.example.lexref.defs#main", "uri": "https://example.com" }),
            "com.example.lexref.defs",
        ),
        (
            serde_json::json!({ "$type": "com.example.lexref.post#plain" }),
            "com.example.lexref.post#plain",
        ),
    ] {
        let value =
            serde_json::json!({ "$type": "com.example.lexref.post", "text": "hi", "embed": embed });
        let r: post::Record = serde_json::from_value(value).unwrap();
        assert!(
            !matches!(r.embed, Some(post::RecordEmbed::Unknown(_)) | None),
            "{tag} reads as a known variant"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["embed"]["$type"], tag);
    }

    // The constraints of the definitions behind `lex:` refs apply.
    let long = defs::Label::new("ninechars".into());
    let cases = [
        post::Record {
            label: Some(long.clone()),
            ..post::Record::new("hi".into())
        },
        post::Record {
            labels: Some(vec![label.clone(), long.clone()]),
            ..post::Record::new("hi".into())
        },
        post::Record {
            reply: Some(post::ReplyRef {
                label: Some(long.clone()),
                ..post::ReplyRef::new(atlex::at_uri!(
                    "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/com.example.lexref.post/3k43tv4rft22g"
                ))
            }),
            ..post::Record::new("hi".into())
        },
        post::Record {
            embed: Some(post::RecordEmbed::DefsLabel(Box::new(long.clone()))),
            ..post::Record::new("hi".into())
        },
    ];
    let paths: Vec<String> = cases
        .iter()
        .map(|r| r.validate().unwrap_err().path_string())
        .collect();
    assert_eq!(
        paths,
        ["label.val", "labels[1].val", "reply.label.val", "embed.val"]
    );
}
