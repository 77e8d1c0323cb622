// "maxLenght" is a typo for "maxLength".
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/unknown_property_typo.json");

fn main() {}
