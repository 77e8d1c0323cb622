// `"type": "float"` is not a lexicon type.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/unknown_type.json");

fn main() {}
