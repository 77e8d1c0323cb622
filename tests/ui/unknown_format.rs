// `"format": "date-time"`: the lexicon format is "datetime".
atlex::lexicon!("../../../../tests/ui/lexicons/unknown_format.json");

fn main() {}
