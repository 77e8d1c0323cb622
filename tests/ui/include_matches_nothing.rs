// An `include` pattern that matches no document of the set.
atlex::lexicon! {
    path = "${ATLEX_UI_DIR}/ui/lexicons/valid.json",
    include = ["com.nope.*"],
}

fn main() {}
