//! Compile-fail cases for `atlex::lexicon!`: every compile-time check has one, with the
//! exact message the compiler shows in the `.stderr` beside it.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("ui/*.rs");
}
