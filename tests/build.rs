//! Enables the tests over the official lexicons (cfg `atlex_official`) when
//! ATLEX_LEXICONS_DIR is set, and those over the interop lexicon catalog (cfg
//! `atlex_interop`) when ATLEX_INTEROP_DIR is set; without them they print how to run them.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(atlex_official)");
    println!("cargo::rerun-if-env-changed=ATLEX_LEXICONS_DIR");
    if std::env::var_os("ATLEX_LEXICONS_DIR").is_some() {
        println!("cargo::rustc-cfg=atlex_official");
    }
    println!("cargo::rustc-check-cfg=cfg(atlex_interop)");
    println!("cargo::rerun-if-env-changed=ATLEX_INTEROP_DIR");
    if std::env::var_os("ATLEX_INTEROP_DIR").is_some() {
        println!("cargo::rustc-cfg=atlex_interop");
    }
}
