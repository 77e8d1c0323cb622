// A ref may not point at a token (tokens hold no data).
atlex::lexicon!("../../../../tests/ui/lexicons/ref_to_token.json");

fn main() {}
