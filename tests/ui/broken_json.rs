// A JSON syntax error (a missing comma): the message gives line:column.
atlex::lexicon!("../../../../tests/ui/lexicons/broken_json.json");

fn main() {}
