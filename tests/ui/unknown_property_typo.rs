// "maxLenght" is a typo for "maxLength".
atlex::lexicon!("../../../../tests/ui/lexicons/unknown_property_typo.json");

fn main() {}
