// `"lexicon": 2`: only version 1 of the lexicon language exists.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/lexicon_not_1.json");

fn main() {}
