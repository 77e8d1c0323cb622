//! The compile-time-checked literal macros give typed values equal to the runtime parse.

#[test]
fn literals_equal_their_runtime_parse() {
    use atlex::types::*;
    assert_eq!(
        atlex::did!("did:plc:ewvi7nxzyoun6zhxrhs64oiz"),
        "did:plc:ewvi7nxzyoun6zhxrhs64oiz".parse::<Did>().unwrap()
    );
    assert_eq!(
        atlex::handle!("alice.test"),
        "alice.test".parse::<Handle>().unwrap()
    );
    assert_eq!(
        atlex::nsid!("app.bsky.feed.post"),
        "app.bsky.feed.post".parse::<Nsid>().unwrap()
    );
    assert_eq!(
        atlex::at_uri!("at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k43tv4rft22g")
            .as_str(),
        "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k43tv4rft22g"
    );
    assert_eq!(
        atlex::cid!("bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm").as_str(),
        "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
    );
    assert_eq!(
        atlex::datetime!("2024-11-26T15:36:49.000Z").as_str(),
        "2024-11-26T15:36:49.000Z"
    );
    assert_eq!(atlex::language!("pt-BR").as_str(), "pt-BR");
    assert_eq!(atlex::tid!("3jzfcijpj2z2a").as_str(), "3jzfcijpj2z2a");
    assert_eq!(atlex::record_key!("self").as_str(), "self");
    assert!(matches!(
        atlex::at_identifier!("did:plc:ewvi7nxzyoun6zhxrhs64oiz"),
        AtIdentifier::Did(_)
    ));
    assert!(matches!(
        atlex::at_identifier!("alice.test"),
        AtIdentifier::Handle(_)
    ));
    assert_eq!(
        atlex::uri!("https://example.com/a?b#c").as_str(),
        "https://example.com/a?b#c"
    );
}
