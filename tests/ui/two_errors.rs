// Two independent mistakes in one document: both are reported.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/two_errors.json");

fn main() {}
