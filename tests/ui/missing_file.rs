// A path to a file that does not exist.
atlex::lexicon!("ui/lexicons/does_not_exist.json");

fn main() {}
