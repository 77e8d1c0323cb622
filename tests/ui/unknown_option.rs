// A misspelled option name.
atlex::lexicon! {
    path = "../../../../tests/ui/lexicons/valid.json",
    includes = ["com.example.*"],
}

fn main() {}
