//! A cache of expansions across builds. rustc runs a proc macro again on every build of the
//! crate that invokes it (after any edit), and the expansion of a large lexicon set takes a
//! noticeable part of that build. When the lexicon files, the request and the code generator
//! are all unchanged, the text of the previous expansion is served instead: reading it back
//! costs a hash of the lexicon files and one `TokenStream` parse.
//!
//! The cache lives in a directory the caller gives, in practice the invoking crate's `OUT_DIR`
//! (cargo sets it when the crate has a build script, such as the one-line script that makes
//! cargo watch the lexicon folder). One file per invocation (named by a hash of the request),
//! whose first line holds the fingerprint it was made from: the code generator's own sources,
//! the request, and every lexicon file's path and contents. Only expansions without errors are
//! stored; anything unexpected (no directory, not writable, a torn or foreign file) means no
//! cache, never an error.

use crate::read::{source_files, Source};
use crate::Request;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// The sources of this crate: a change to any of them changes every fingerprint, so that a
/// rebuilt code generator (a new version, or a local checkout being edited) never serves an
/// expansion made by an older one. `sources_are_all_listed` checks the list.
static SOURCES: &[&str] = &[
    include_str!("lib.rs"),
    include_str!("cache.rs"),
    include_str!("check.rs"),
    include_str!("diag.rs"),
    include_str!("json.rs"),
    include_str!("model.rs"),
    include_str!("naming.rs"),
    include_str!("read.rs"),
    include_str!("resolve.rs"),
    include_str!("emit/mod.rs"),
    include_str!("emit/client.rs"),
    include_str!("emit/types.rs"),
    include_str!("emit/validate.rs"),
];

/// What identifies one cached expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The cache file's name: a hash of the request (and the crate root).
    pub file: String,
    /// A hash of everything the expansion depends on.
    pub fingerprint: u64,
}

const HEADER: &str = "// atlex lexicon! expansion ";

/// The key of a request, or `None` when it is not cached: a document written inline (its
/// tokens carry spans that errors point at), or a path that cannot be listed or read (the
/// expansion reports it).
pub fn key(request: &Request, root: &Path) -> Option<Key> {
    let mut req = std::collections::hash_map::DefaultHasher::new();
    root.hash(&mut req);
    for s in &request.sources {
        match s {
            Source::Path(p, _) => p.hash(&mut req),
            Source::Inline(..) => return None,
        }
    }
    for (pattern, _) in &request.include {
        pattern.hash(&mut req);
    }
    for e in &request.extern_paths {
        e.prefix.hash(&mut req);
        e.path.to_string().hash(&mut req);
    }
    let file = format!("atlex-lexicon-{:016x}.rs", req.finish());

    let mut fp = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut fp);
    SOURCES.hash(&mut fp);
    atlex_syntax::__SOURCES.hash(&mut fp);
    file.hash(&mut fp);
    let files = source_files(root, &request.sources)?;
    for f in &files {
        f.hash(&mut fp);
        std::fs::read(f).ok()?.hash(&mut fp);
    }
    Some(Key {
        file,
        fingerprint: fp.finish(),
    })
}

fn header(key: &Key) -> String {
    format!("{HEADER}{:016x}\n", key.fingerprint)
}

/// The cached expansion for `key` in `dir`, if there is one made from the same fingerprint.
pub fn load(dir: &Path, key: &Key) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(&key.file)).ok()?;
    let body = text.strip_prefix(&header(key))?;
    Some(body.to_owned())
}

/// Stores an expansion (written to a temporary file, then renamed, so that a concurrent reader
/// such as an editor's macro server sees the old file or the new one). Failures are ignored.
pub fn store(dir: &Path, key: &Key, text: &str) {
    let tmp: PathBuf = dir.join(format!("{}.{}.tmp", key.file, std::process::id()));
    let mut out = header(key);
    out.push_str(text);
    if std::fs::write(&tmp, out).is_ok() && std::fs::rename(&tmp, dir.join(&key.file)).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    #[test]
    fn sources_are_all_listed() {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        walk(&src, &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(
                SOURCES.contains(&text.as_str()),
                "{} is not in cache::SOURCES",
                f.display()
            );
        }
    }

    #[test]
    fn a_changed_added_or_removed_file_changes_the_fingerprint() {
        let dir = std::env::temp_dir().join(format!("atlex-expcache-{}", std::process::id()));
        let lex = dir.join("lex");
        std::fs::create_dir_all(&lex).unwrap();
        let doc = |id: &str| {
            format!(r#"{{"lexicon": 1, "id": "{id}", "defs": {{"main": {{"type": "token"}}}}}}"#)
        };
        std::fs::write(lex.join("a.json"), doc("com.example.a")).unwrap();
        let request = Request {
            sources: vec![Source::Path("lex".into(), Span::call_site())],
            include: Vec::new(),
            extern_paths: Vec::new(),
        };
        let k1 = key(&request, &dir).unwrap();
        assert_eq!(key(&request, &dir).unwrap(), k1);
        store(&dir, &k1, "pub const A: u8 = 1;");
        assert_eq!(load(&dir, &k1).as_deref(), Some("pub const A: u8 = 1;"));

        std::fs::write(lex.join("b.json"), doc("com.example.b")).unwrap();
        let k2 = key(&request, &dir).unwrap();
        assert_eq!(k2.file, k1.file);
        assert_ne!(k2.fingerprint, k1.fingerprint);
        assert_eq!(load(&dir, &k2), None, "a stale expansion was served");

        std::fs::write(lex.join("b.json"), doc("com.example.c")).unwrap();
        assert_ne!(key(&request, &dir).unwrap().fingerprint, k2.fingerprint);
        std::fs::remove_file(lex.join("b.json")).unwrap();
        assert_eq!(key(&request, &dir).unwrap(), k1);

        let other = Request {
            include: vec![("com.example.a".into(), Span::call_site())],
            ..request.clone()
        };
        assert_ne!(key(&other, &dir).unwrap().file, k1.file);
        let inline = Request {
            sources: vec![Source::Inline(Span::call_site(), Default::default())],
            ..request
        };
        assert_eq!(key(&inline, &dir), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
