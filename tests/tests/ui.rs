//! Compile-fail cases for `atlex::lexicon!`: every compile-time check has a case in `ui/`,
//! with the exact message the compiler shows in the `.stderr` beside it.
//!
//! trybuild compiles the cases as a crate of its own in `target/tests/trybuild/atlex-tests`,
//! and that directory is the `CARGO_MANIFEST_DIR` the macro resolves paths against; so the
//! fixture paths climb back to `tests/ui/lexicons` with `../../../../` (this assumes the
//! default target directory, `<workspace>/target`).

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("ui/*.rs");
}
