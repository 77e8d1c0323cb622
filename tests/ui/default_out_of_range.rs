// `default` 0 is below `minimum` 1.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/default_out_of_range.json");

fn main() {}
