//! A lexicon folder that `lexicon!` reads is watched when the crate has the one-line build
//! script the README shows (`println!("cargo:rerun-if-changed=lex")`): a file added to the
//! folder, with a mistake in it or not, and a file removed, rebuild the crate on the next
//! `cargo build` without any other edit.
//!
//! The test writes a small crate under cargo's temporary directory for tests (its own target
//! dir there, kept between runs), builds it with the same lock file as this workspace, and asks
//! its binary which collections its `AnyRecord` knows.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The build script the README recommends, word for word.
const BUILD_RS: &str = r#"fn main() {
    println!("cargo:rerun-if-changed=lex");
}
"#;

const MAIN_RS: &str = r#"mod lexicons {
    atlex::lexicon!("lex");
}

/// Says, for each collection given, whether the lexicons define a record for it.
struct Probe;

impl atlex::RecordReader for Probe {
    type Error = String;
    fn read<R: atlex::Record>(self) -> Result<R, String> {
        Err(format!("defined {}", R::NSID))
    }
    fn read_unknown(self) -> Result<atlex::types::Unknown, String> {
        Err("undefined".to_owned())
    }
}

fn main() {
    for c in std::env::args().skip(1) {
        let said = <lexicons::AnyRecord as atlex::RecordSet>::read(&c, Probe).err().unwrap_or_default();
        println!("{c}: {said}");
    }
}
"#;

fn record(nsid: &str, extra: &str) -> String {
    format!(
        r#"{{"lexicon": 1, "id": "{nsid}", "defs": {{"main": {{"type": "record", "key": "tid",
  "record": {{"type": "object", "required": ["text"], "properties": {{"text": {{"type": "string"{extra}}}}}}}}}}}}}"#
    )
}

struct Probe {
    dir: PathBuf,
    target: PathBuf,
}

impl Probe {
    fn cargo(&self) -> Command {
        let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        c.current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("RUSTFLAGS")
            .env("CARGO_TERM_COLOR", "never");
        c
    }

    /// `cargo build`: Ok(stderr) or Err(stderr).
    fn build(&self) -> Result<String, String> {
        let out = self
            .cargo()
            .args(["build", "--offline", "--quiet"])
            .output()
            .expect("cargo runs");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.success() {
            Ok(err)
        } else {
            Err(err)
        }
    }

    /// What the built binary says of each collection.
    fn knows(&self, collections: &[&str]) -> Vec<String> {
        let exe = self.target.join("debug").join("watch-probe");
        let out = Command::new(&exe)
            .args(collections)
            .output()
            .expect("the probe runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// The file system's modification times must tell a later change from the build before it.
fn tick() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

#[test]
fn added_and_removed_files_rebuild_the_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("folder-watch");
    let probe = Probe {
        dir: base.join("crate"),
        target: base.join("target"),
    };
    let _ = std::fs::remove_dir_all(&probe.dir);
    probe.write(
        "Cargo.toml",
        &format!(
            r#"[package]
name = "watch-probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
atlex = {{ path = {:?}, default-features = false }}

[workspace]
"#,
            root.join("runtime")
        ),
    );
    std::fs::copy(root.join("Cargo.lock"), probe.dir.join("Cargo.lock")).unwrap();
    probe.write("build.rs", BUILD_RS);
    probe.write("src/main.rs", MAIN_RS);
    probe.write("lex/com/example/a.json", &record("com.example.a", ""));
    if let Err(e) = probe.build() {
        panic!("the probe crate does not build:\n{e}");
    }
    let both = ["com.example.a", "com.example.c"];
    assert_eq!(
        probe.knows(&both),
        [
            "com.example.a: defined com.example.a",
            "com.example.c: undefined"
        ]
    );

    // A new document with a mistake in it: the next build reads it and fails on it.
    tick();
    probe.write(
        "lex/com/example/c.json",
        &record("com.example.c", r#", "maxLength": "ten""#),
    );
    match probe.build() {
        Ok(_) => panic!(
            "a document added to the folder (with a mistake in it) did not rebuild the crate: `cargo build` succeeded"
        ),
        Err(e) => assert!(
            e.contains("c.json") && e.contains("maxLength"),
            "the error should name the new file and the property:\n{e}"
        ),
    };

    // Corrected: the new module exists.
    tick();
    probe.write("lex/com/example/c.json", &record("com.example.c", ""));
    if let Err(e) = probe.build() {
        panic!("the corrected document does not build:\n{e}");
    }
    assert_eq!(
        probe.knows(&both),
        [
            "com.example.a: defined com.example.a",
            "com.example.c: defined com.example.c"
        ],
        "a document added to the folder is missing after `cargo build`"
    );

    // Removed: gone after the next build.
    tick();
    std::fs::remove_file(probe.dir.join("lex/com/example/c.json")).unwrap();
    if let Err(e) = probe.build() {
        panic!("the crate does not build after a document was removed:\n{e}");
    }
    assert_eq!(
        probe.knows(&both),
        [
            "com.example.a: defined com.example.a",
            "com.example.c: undefined"
        ],
        "a document removed from the folder is still there after `cargo build`"
    );

    // Renamed into a new folder (a new directory inside the watched one).
    tick();
    std::fs::create_dir_all(probe.dir.join("lex/com/example/more")).unwrap();
    std::fs::rename(
        probe.dir.join("lex/com/example/a.json"),
        probe.dir.join("lex/com/example/more/a.json"),
    )
    .unwrap();
    probe.write("lex/com/example/more/c.json", &record("com.example.c", ""));
    if let Err(e) = probe.build() {
        panic!("the crate does not build after a rename:\n{e}");
    }
    assert_eq!(
        probe.knows(&both),
        [
            "com.example.a: defined com.example.a",
            "com.example.c: defined com.example.c"
        ],
        "documents moved within the folder are not read after `cargo build`"
    );
}
