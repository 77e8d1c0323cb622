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

/// Recursive types: a direct self-reference and a cycle through another document (every
/// field on the cycle is boxed).
mod tree {
    atlex::lexicon!("lexicons/sets/com/example/tree");
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

use atlex::Validate;

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
