//! The licence files: the repository's root holds the standard texts of the licence that
//! Cargo.toml states (`MIT OR Apache-2.0`), each with the copyright "The atlex authors", and
//! every package that is published ships both, by cargo's own list of the files it packages
//! (`cargo package --list`).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace's root.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the test crate is inside the workspace")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The copyright line of both files.
const COPYRIGHT: &str = "Copyright (c) The atlex authors";

/// The CID (CIDv1, raw, sha-256) of the Apache License 2.0 as apache.org publishes it
/// (https://www.apache.org/licenses/LICENSE-2.0.txt, sha-256
/// cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30).
const APACHE_2_0: &str = "bafkreigpy52jxfxwhpjrypccwxchdp3vnakakpuepqiph2yagql3yur5ga";

/// The appendix's line that a project fills in with its copyright.
const APACHE_TEMPLATE_LINE: &str = "   Copyright [yyyy] [name of copyright owner]";

#[test]
fn licence_texts_are_the_standard_ones() {
    let manifest = read(&root().join("Cargo.toml"));
    assert!(
        manifest.contains("\nlicense = \"MIT OR Apache-2.0\"\n"),
        "the workspace's licence is not `MIT OR Apache-2.0`"
    );

    let apache = read(&root().join("LICENSE-APACHE"));
    let filled = format!("   {COPYRIGHT}");
    assert_eq!(
        apache.lines().filter(|l| *l == filled).count(),
        1,
        "LICENSE-APACHE has one copyright line, in the appendix"
    );
    let template = apache.replace(&filled, APACHE_TEMPLATE_LINE);
    assert_eq!(
        atlex::cbor::cid_of(atlex::cbor::RAW, template.as_bytes()).as_str(),
        APACHE_2_0,
        "LICENSE-APACHE, with its copyright line put back to the template, is not the Apache License 2.0 as published"
    );

    let mit = read(&root().join("LICENSE-MIT"));
    let lines: Vec<&str> = mit.lines().collect();
    assert_eq!(lines[..3], ["MIT License", "", COPYRIGHT]);
    let text = lines[3..].join(" ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let standard = [
        "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the \"Software\"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:",
        "The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.",
        "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.",
    ];
    assert_eq!(
        text,
        standard.join(" "),
        "LICENSE-MIT, past its copyright line and with its line breaks as spaces, is not the MIT License's text"
    );
}

fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(&cargo)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        out.status.success(),
        "cargo {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("cargo writes UTF-8")
}

/// Every package of the workspace that is published (`publish` not `false`) packages
/// LICENSE-MIT and LICENSE-APACHE, with the root's texts.
#[test]
fn every_published_package_ships_both_licences() {
    let metadata: Value = serde_json::from_str(&cargo(&[
        "metadata",
        "--no-deps",
        "--offline",
        "--format-version",
        "1",
    ]))
    .expect("cargo metadata writes JSON");
    let mut published = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("a name");
        if package["publish"].as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        assert_eq!(package["license"], "MIT OR Apache-2.0", "{name}'s licence");
        let files = cargo(&[
            "package",
            "--list",
            "--offline",
            "--allow-dirty",
            "-p",
            name,
        ]);
        let dir: PathBuf = Path::new(package["manifest_path"].as_str().expect("a path"))
            .parent()
            .expect("a package directory")
            .to_path_buf();
        for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
            assert!(
                files.lines().any(|f| f == licence),
                "{name} does not package {licence}; it packages:\n{files}"
            );
            assert_eq!(
                read(&dir.join(licence)),
                read(&root().join(licence)),
                "{name}'s {licence} is not the root's"
            );
        }
        published.push(name.to_owned());
    }
    published.sort();
    println!(
        "published packages shipping both licences: {}",
        published.join(", ")
    );
    assert_eq!(
        published,
        [
            "atlex",
            "atlex-codegen",
            "atlex-lexicons",
            "atlex-macros",
            "atlex-syntax"
        ]
    );
}
