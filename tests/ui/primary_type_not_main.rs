// A query must be the `main` definition.
atlex::lexicon!("../../../../tests/ui/lexicons/primary_type_not_main.json");

fn main() {}
