// Record `key` "uuid" is not a record key type.
atlex::lexicon!("../../../../tests/ui/lexicons/bad_record_key.json");

fn main() {}
