// Query parameters cannot be objects.
atlex::lexicon!("../../../../tests/ui/lexicons/params_holding_object.json");

fn main() {}
