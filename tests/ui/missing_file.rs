atlex::lexicon!("ui/lexicons/does_not_exist.json");

fn main() {}
