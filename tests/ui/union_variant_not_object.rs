// Union variants must be objects or records; "#label" is a string.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/union_variant_not_object.json");

fn main() {}
