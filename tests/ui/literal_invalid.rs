fn main() {
    let _ = atlex::did!("did:plc:");
    let _ = atlex::handle!("alice..test");
    let _ = atlex::at_uri!("at://did:plc:abc/app.bsky.feed.post/3k2a?x");
    let _ = atlex::datetime!("2024-02-30T00:00:00Z");
}
