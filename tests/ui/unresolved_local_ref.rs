// A ref to "#replyRefs"; the definition is "replyRef".
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/unresolved_local_ref.json");

fn main() {}
