//! Helpers shared by the tests of atlex.

/// The environment variable that turns every skipped test into a failed one. CI sets it
/// (`.ci/run`), so that missing outside data, a missing Node install or a missing PDS can not
/// pass unnoticed.
pub const REQUIRE_ALL: &str = "ATLEX_REQUIRE_ALL";

/// Whether [`REQUIRE_ALL`] is set for this run (to anything but an empty string or `0`). Read
/// at run time, also where a skip comes from a cfg set at build time.
pub fn require_all() -> bool {
    std::env::var_os(REQUIRE_ALL).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Says why a test is skipped (`skipped: <reason>`), so that the caller can return; with
/// [`REQUIRE_ALL`] set it fails the test instead.
#[track_caller]
pub fn skip(reason: impl std::fmt::Display) {
    if require_all() {
        panic!("{REQUIRE_ALL} is set, so this test may not be skipped: {reason}");
    }
    println!("skipped: {reason}");
}
