// A definition of type "unknown" (invalid per the interop vectors).
atlex::lexicon!("../../../../tests/ui/lexicons/defined_unknown.json");

fn main() {}
