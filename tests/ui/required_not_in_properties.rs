// `required` names "txt", but the property is "text".
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/required_not_in_properties.json");

fn main() {}
