// Record `key` "uuid" is not a record key type.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/bad_record_key.json");

fn main() {}
