// Two independent mistakes in one document: both are reported.
atlex::lexicon!("../../../../tests/ui/lexicons/two_errors.json");

fn main() {}
