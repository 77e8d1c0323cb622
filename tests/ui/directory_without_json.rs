// A directory that holds no .json files.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/no_json");

fn main() {}
