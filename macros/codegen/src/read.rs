//! Reading: files, directories and inline JSON into documents, with a cache of parsed files
//! keyed by path and modification time (rust-analyzer's macro server expands many times).

use crate::diag::{Ctxt, Diagnostic, Origin};
use crate::json::{self, Json, Pos};
use crate::model::{read_document, DocText, Document};
use proc_macro2::{Span, TokenStream};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::SystemTime;

/// Where the macro was told to read from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A file or directory path, relative to the crate root, as written; and the literal's span.
    Path(String, Span),
    /// The document written inline: the brace group's span and its tokens.
    Inline(Span, TokenStream),
}

struct CachedFile {
    modified: Option<SystemTime>,
    len: u64,
    text: Rc<str>,
    parsed: Result<Rc<Json>, json::SyntaxError>,
}

thread_local! {
    static CACHE: RefCell<HashMap<PathBuf, CachedFile>> = RefCell::new(HashMap::new());
    static STATS: std::cell::Cell<CacheStats> = const { std::cell::Cell::new(CacheStats { hits: 0, misses: 0 }) };
}

/// How often this thread's cache of parsed files was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Files served from the cache (same path, modification time and length).
    pub hits: u64,
    /// Files read and parsed.
    pub misses: u64,
}

/// This thread's cache statistics.
pub fn cache_stats() -> CacheStats {
    STATS.with(|s| s.get())
}

fn count(hit: bool) {
    STATS.with(|s| {
        let mut v = s.get();
        if hit {
            v.hits += 1;
        } else {
            v.misses += 1;
        }
        s.set(v);
    });
}

/// Largest lexicon file read (lexicons are a few KiB; this stops a wrong path to a huge file).
const MAX_FILE: u64 = 16 << 20;

/// What reading produced: documents, and every file read (for rebuild tracking).
#[derive(Debug, Default)]
pub struct ReadResult {
    /// The documents that parsed.
    pub docs: Vec<Document>,
    /// Absolute paths of every file read, parsed or not.
    pub files: Vec<String>,
    /// Files that could not be parsed: refs to the NSIDs their paths spell are not reported
    /// again as unresolved.
    pub broken_files: Vec<PathBuf>,
    /// Environment variables used in paths (`${NAME}`), tracked so cargo rebuilds on change.
    pub env_vars: Vec<String>,
}

/// Replaces `${NAME}` in a path with the environment variable's value.
fn expand_env(path: &str, vars: &mut Vec<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("unclosed `${{` in path {path:?}"));
        };
        let name = &after[..end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!(
                "`${{{name}}}` in path {path:?} is not an environment variable name"
            ));
        }
        if !vars.iter().any(|v| v == name) {
            vars.push(name.to_owned());
        }
        match std::env::var(name) {
            Ok(value) => out.push_str(&value),
            Err(_) => {
                return Err(format!(
                    "path {path:?} uses the environment variable {name}, which is not set (or not UTF-8)\n  = help: set {name} for the build, e.g. `{name}=/path/to/lexicons cargo build`"
                ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Reads every source; errors go to `cx`.
pub fn read_sources(cx: &mut Ctxt, root: &Path, sources: &[Source]) -> ReadResult {
    let mut out = ReadResult::default();
    for source in sources {
        match source {
            Source::Inline(span, tokens) => {
                let origin = Origin {
                    path: None,
                    span: *span,
                };
                match json::parse_tokens(*span, tokens.clone()) {
                    Ok(j) => {
                        let text = DocText::Inline(j.to_json_text());
                        if let Some(doc) = read_document(cx, &origin, &j, text) {
                            out.docs.push(doc);
                        }
                    }
                    Err(e) => cx.push(syntax_diag(&origin, e)),
                }
            }
            Source::Path(written, span) => {
                let rel = match expand_env(written, &mut out.env_vars) {
                    Ok(p) => p,
                    Err(msg) => {
                        cx.push(Diagnostic::spanned(*span, msg));
                        continue;
                    }
                };
                let rel = &rel;
                let path = root.join(rel);
                match std::fs::metadata(&path) {
                    Err(e) => cx.push(Diagnostic::spanned(
                        *span,
                        format!(
                            "cannot read lexicon path {rel:?}: {e}\n  = note: paths are relative to the crate root (the folder of its Cargo.toml)\n  = help: check the spelling, or give the path of a .json file or a directory of them"
                        ),
                    )),
                    Ok(meta) if meta.is_dir() => {
                        let mut files = Vec::new();
                        if let Err(e) = collect_json_files(&path, &mut files, 0) {
                            cx.push(Diagnostic::spanned(*span, format!("cannot list lexicon directory {rel:?}: {e}")));
                            continue;
                        }
                        if files.is_empty() {
                            cx.push(Diagnostic::spanned(
                                *span,
                                format!("lexicon directory {rel:?} holds no .json files"),
                            ));
                        }
                        files.sort();
                        for f in files {
                            let shown = display_path(root, &f);
                            read_file(cx, &f, shown, *span, &mut out);
                        }
                    }
                    Ok(_) => {
                        read_file(cx, &path, rel.clone(), *span, &mut out);
                    }
                }
            }
        }
    }
    out
}

/// The files `read_sources` would read for these path sources, in the same order; `None` for an
/// inline source or when a path cannot be resolved or listed (reading reports why).
pub fn source_files(root: &Path, sources: &[Source]) -> Option<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut vars = Vec::new();
    for source in sources {
        let Source::Path(written, _) = source else {
            return None;
        };
        let path = root.join(expand_env(written, &mut vars).ok()?);
        if std::fs::metadata(&path).ok()?.is_dir() {
            let mut files = Vec::new();
            collect_json_files(&path, &mut files, 0).ok()?;
            files.sort();
            out.extend(files);
        } else {
            out.push(path);
        }
    }
    Some(out)
}

fn display_path(root: &Path, f: &Path) -> String {
    f.strip_prefix(root)
        .unwrap_or(f)
        .to_string_lossy()
        .into_owned()
}

fn collect_json_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> std::io::Result<()> {
    if depth > 32 {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let ty = entry.file_type()?;
        if ty.is_dir() {
            collect_json_files(&path, out, depth + 1)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

fn syntax_diag(origin: &Origin, e: json::SyntaxError) -> Diagnostic {
    match (&origin.path, e.pos) {
        (Some(path), Pos::LineCol(line, col)) => Diagnostic::spanned(
            origin.span,
            format!(
                "invalid JSON in {path} at line {line}, column {col}: {}\n  --> {path}:{line}:{col}\n  = help: the mistake is at or just before this position (a missing comma, quote or bracket is the usual cause)",
                e.message
            ),
        ),
        (_, Pos::Span(span)) => Diagnostic::spanned(span, format!("invalid JSON: {}", e.message)),
        (None, Pos::LineCol(..)) => Diagnostic::spanned(origin.span, format!("invalid JSON: {}", e.message)),
    }
}

fn read_file(cx: &mut Ctxt, path: &Path, shown: String, span: Span, out: &mut ReadResult) {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let abs_str = abs.to_string_lossy().into_owned();
    out.files.push(abs_str.clone());
    let origin = Origin {
        path: Some(shown.clone()),
        span,
    };
    let meta = match std::fs::metadata(&abs) {
        Ok(m) => m,
        Err(e) => {
            cx.push(Diagnostic::spanned(
                span,
                format!("cannot read {shown}: {e}"),
            ));
            return;
        }
    };
    if meta.len() > MAX_FILE {
        cx.push(Diagnostic::spanned(
            span,
            format!(
                "{shown} is {} bytes, larger than any lexicon document should be",
                meta.len()
            ),
        ));
        return;
    }
    let modified = meta.modified().ok();
    let cached = CACHE.with(|c| {
        c.borrow().get(&abs).and_then(|f| {
            (f.modified.is_some() && f.modified == modified && f.len == meta.len())
                .then(|| (f.text.clone(), f.parsed.clone()))
        })
    });
    count(cached.is_some());
    let (_text, parsed) = match cached {
        Some(hit) => hit,
        None => {
            let bytes = match std::fs::read(&abs) {
                Ok(b) => b,
                Err(e) => {
                    cx.push(Diagnostic::spanned(
                        span,
                        format!("cannot read {shown}: {e}"),
                    ));
                    return;
                }
            };
            let text: Rc<str> = match String::from_utf8(bytes) {
                Ok(t) => t.into(),
                Err(e) => {
                    cx.push(Diagnostic::spanned(
                        span,
                        format!(
                            "{shown} is not UTF-8 text (invalid byte at offset {})",
                            e.utf8_error().valid_up_to()
                        ),
                    ));
                    return;
                }
            };
            let parsed =
                json::parse_text(text.strip_prefix('\u{feff}').unwrap_or(&text)).map(Rc::new);
            CACHE.with(|c| {
                c.borrow_mut().insert(
                    abs.clone(),
                    CachedFile {
                        modified,
                        len: meta.len(),
                        text: text.clone(),
                        parsed: parsed.clone(),
                    },
                )
            });
            (text, parsed)
        }
    };
    match parsed {
        Ok(j) => {
            if let Some(doc) = read_document(cx, &origin, &j, DocText::File(abs_str)) {
                out.docs.push(doc);
            }
        }
        Err(e) => {
            out.broken_files.push(abs);
            cx.push(syntax_diag(&origin, e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_files_are_cached_by_path_mtime_and_length() {
        let dir = std::env::temp_dir().join(format!("atlex-cache-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.json");
        let doc =
            r#"{"lexicon": 1, "id": "com.example.cached", "defs": {"main": {"type": "token"}}}"#;
        std::fs::write(&file, doc).unwrap();
        let sources = [Source::Path("a.json".into(), Span::call_site())];
        let before = cache_stats();
        for _ in 0..3 {
            let mut cx = Ctxt::new();
            let out = read_sources(&mut cx, &dir, &sources);
            assert!(cx.is_empty());
            assert_eq!(out.docs[0].id, "com.example.cached");
        }
        let after = cache_stats();
        assert_eq!(after.misses - before.misses, 1);
        assert_eq!(after.hits - before.hits, 2);
        // A change of length is seen even within the file system's time resolution.
        std::fs::write(&file, doc.replace("cached", "changed")).unwrap();
        let mut cx = Ctxt::new();
        let out = read_sources(&mut cx, &dir, &sources);
        assert_eq!(out.docs[0].id, "com.example.changed");
        assert_eq!(cache_stats().misses - after.misses, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
