// `const` and `default` on one schema.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/const_with_default.json");

fn main() {}
