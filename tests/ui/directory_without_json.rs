// A directory that holds no .json files.
atlex::lexicon!("../../../../tests/ui/lexicons/no_json");

fn main() {}
