// An `include` pattern that matches no document of the set.
atlex::lexicon! {
    path = "../../../../tests/ui/lexicons/valid.json",
    include = ["com.nope.*"],
}

fn main() {}
