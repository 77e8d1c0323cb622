// `nullable` names a property the object does not have.
atlex::lexicon!("../../../../tests/ui/lexicons/nullable_not_in_properties.json");

fn main() {}
