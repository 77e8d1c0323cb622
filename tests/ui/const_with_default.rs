// `const` and `default` on one schema.
atlex::lexicon!("../../../../tests/ui/lexicons/const_with_default.json");

fn main() {}
