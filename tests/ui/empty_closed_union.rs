// A closed union with no refs can hold no value.
atlex::lexicon!("../../../../tests/ui/lexicons/empty_closed_union.json");

fn main() {}
