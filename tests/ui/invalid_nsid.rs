// `"id": "com.example"` has two segments; an NSID needs at least three.
atlex::lexicon!("../../../../tests/ui/lexicons/invalid_nsid.json");

fn main() {}
