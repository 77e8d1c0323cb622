// A record's `record` schema without `"type": "object"`.
atlex::lexicon!("../../../../tests/ui/lexicons/record_missing_type_object.json");

fn main() {}
