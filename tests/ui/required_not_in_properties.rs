// `required` names "txt", but the property is "text".
atlex::lexicon!("../../../../tests/ui/lexicons/required_not_in_properties.json");

fn main() {}
