// An `extern_paths` target written as a string instead of a Rust module path.
atlex::lexicon! {
    path = "${ATLEX_UI_DIR}/ui/lexicons/valid.json",
    extern_paths = { "com.atproto" = "crate::atproto" },
}

fn main() {}
