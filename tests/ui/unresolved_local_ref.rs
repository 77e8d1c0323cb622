// A ref to "#replyRefs"; the definition is "replyRef".
atlex::lexicon!("../../../../tests/ui/lexicons/unresolved_local_ref.json");

fn main() {}
