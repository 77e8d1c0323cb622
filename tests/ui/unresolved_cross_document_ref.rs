// A ref to a document that is not in the lexicon set.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/unresolved_cross_document_ref.json");

fn main() {}
