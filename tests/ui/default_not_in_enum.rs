// `default` "newest" is not one of the `enum` values.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/default_not_in_enum.json");

fn main() {}
