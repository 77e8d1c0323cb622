// A misspelled option name.
atlex::lexicon! {
    path = "${ATLEX_UI_DIR}/ui/lexicons/valid.json",
    includes = ["com.example.*"],
}

fn main() {}
