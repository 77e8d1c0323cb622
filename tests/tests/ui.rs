//! Compile-fail cases for `atlex::lexicon!`: every compile-time check has a case in `ui/`,
//! with the exact message the compiler shows in the `.stderr` beside it.
//!
//! trybuild compiles the cases as a crate of its own under the target directory, and that is
//! the `CARGO_MANIFEST_DIR` the macro resolves relative paths against; so the fixtures are
//! named through `${ATLEX_UI_DIR}` (this folder), which works wherever the target directory is.

#[test]
fn ui() {
    // Inherited by the cargo and rustc processes trybuild starts, and so by the macro.
    std::env::set_var("ATLEX_UI_DIR", env!("CARGO_MANIFEST_DIR"));
    trybuild::TestCases::new().compile_fail("ui/*.rs");
}
