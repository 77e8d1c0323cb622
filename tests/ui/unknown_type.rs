// `"type": "float"` is not a lexicon type.
atlex::lexicon!("../../../../tests/ui/lexicons/unknown_type.json");

fn main() {}
