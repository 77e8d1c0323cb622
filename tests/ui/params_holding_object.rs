// Query parameters cannot be objects.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/params_holding_object.json");

fn main() {}
