// A JSON syntax error (a missing comma): the message gives line:column.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/broken_json.json");

fn main() {}
