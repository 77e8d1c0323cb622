// A closed union with no refs can hold no value.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/empty_closed_union.json");

fn main() {}
