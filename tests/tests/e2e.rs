use atlex_codegen::read::Source;
use atlex_codegen::{expand, Request};
use proc_macro2::Span;
#[test]
fn dump() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let request = Request {
        sources: vec![Source::Path("lexicons/fixtures".into(), Span::call_site())],
        include: vec![],
        extern_paths: vec![],
    };
    let file: syn::File = syn::parse2(expand(&request, root)).unwrap();
    std::fs::write("/tmp/e2e_dump.rs", prettyplease::unparse(&file)).unwrap();
}
