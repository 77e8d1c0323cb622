// `default` 0 is below `minimum` 1.
atlex::lexicon!("../../../../tests/ui/lexicons/default_out_of_range.json");

fn main() {}
