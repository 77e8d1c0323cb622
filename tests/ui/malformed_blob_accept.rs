// Blob `accept` entry "jpeg" is not a MIME type.
atlex::lexicon!("../../../../tests/ui/lexicons/malformed_blob_accept.json");

fn main() {}
