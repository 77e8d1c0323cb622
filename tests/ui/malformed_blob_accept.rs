// Blob `accept` entry "jpeg" is not a MIME type.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/malformed_blob_accept.json");

fn main() {}
