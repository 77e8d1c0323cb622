// A query must be the `main` definition.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/primary_type_not_main.json");

fn main() {}
