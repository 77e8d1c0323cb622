// A ref may not point at a token (tokens hold no data).
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/ref_to_token.json");

fn main() {}
