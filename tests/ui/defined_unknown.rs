// A definition of type "unknown" (invalid per the interop vectors).
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/defined_unknown.json");

fn main() {}
