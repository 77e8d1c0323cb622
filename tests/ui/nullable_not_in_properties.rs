// `nullable` names a property the object does not have.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/nullable_not_in_properties.json");

fn main() {}
