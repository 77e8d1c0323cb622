//! Sets cfg `atlex_official` when ATLEX_LEXICONS_DIR is set. Without it the crate still builds
//! (so `cargo build --workspace` works anywhere) and the benchmark exits saying what to set.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(atlex_official)");
    println!("cargo::rerun-if-env-changed=ATLEX_LEXICONS_DIR");
    if std::env::var_os("ATLEX_LEXICONS_DIR").is_some() {
        println!("cargo::rustc-cfg=atlex_official");
    }
}
