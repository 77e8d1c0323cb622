// `"id": "com.example"` has two segments; an NSID needs at least three.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/invalid_nsid.json");

fn main() {}
