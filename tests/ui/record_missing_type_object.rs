// A record's `record` schema without `"type": "object"`.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/record_missing_type_object.json");

fn main() {}
