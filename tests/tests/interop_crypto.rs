//! Keys and signatures (`atlex::crypto`) against the interop vectors and against the reference
//! (`@atproto/crypto` on Node, through `pds/crypto.mjs`).
//!
//! - `crypto/signature-fixtures.json`: every case's did:key and its DID-document form (legacy
//!   suite and `publicKeyMultibase`) read to the same key, and the strict verification agrees
//!   with `validSignature` (high-S and DER signatures refused).
//! - `crypto/w3c_didkey_K256.json`, `crypto/w3c_didkey_P256.json`: each private key gives its
//!   did:key.
//! - Both ways against the reference: signatures atlex makes with random keys over random
//!   messages pass the reference's strict `verifySignature`, and a changed bit fails it; the
//!   reference reads atlex's did:keys and Multikeys to the same points and derives the same
//!   did:key from atlex's private keys; atlex reads the reference's did:keys, makes the same
//!   (deterministic) signatures from its private keys, and gives the reference's verdicts,
//!   strict and lenient, on its signatures, their high-S twins and their DER forms; the
//!   documents a PLC directory writes (`@did-plc/lib`, legacy verification methods with
//!   uncompressed points) give atlex the key `@atproto/identity` reads from them; changed
//!   did:keys are refused or read to the same point by both.
//!
//! Needs `ATLEX_INTEROP_DIR` for the vectors and Node 22 with the reference packages in `pds/`
//! (`bash pds/install.sh`) for the rest; each part is skipped without what it needs.

use atlex::crypto::{Curve, Keypair, PublicKey, SignatureError};
use atlex_tests::Rng;
use base64::Engine;
use serde_json::{json, Value};
use std::path::Path;

/// One file of the interop `crypto/` folder, or `None` after a skip.
fn vectors(file: &str) -> Option<Vec<Value>> {
    let Some(dir) = std::env::var_os("ATLEX_INTEROP_DIR") else {
        atlex_tests::skip(
            "set ATLEX_INTEROP_DIR=/path/to/atproto-interop-tests to run the interop crypto vectors",
        );
        return None;
    };
    let path = Path::new(&dir).join("crypto").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Some(
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a JSON array: {e}", path.display())),
    )
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field:?} in {case}"))
}

fn unhex(text: &str) -> Vec<u8> {
    assert_eq!(text.len() % 2, 0, "odd-length hex {text:?}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Base64 with or without padding, as the fixtures write it.
fn unbase64(text: &str) -> Vec<u8> {
    let config = base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent);
    base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, config)
        .decode(text)
        .expect("base64 in the fixtures")
}

fn curve_of(jwt_alg: &str) -> Curve {
    Curve::from_jwt_alg(jwt_alg).unwrap_or_else(|| panic!("unknown alg {jwt_alg:?}"))
}

#[test]
fn signature_fixtures() {
    let Some(cases) = vectors("signature-fixtures.json") else {
        return;
    };
    assert_eq!(cases.len(), 6, "signature-fixtures.json cases");
    let (mut valid, mut high_s, mut der) = (0, 0, 0);
    for case in &cases {
        let comment = text(case, "comment");
        let key = PublicKey::from_did_key(text(case, "publicKeyDid"))
            .unwrap_or_else(|e| panic!("{comment}: {e}"));
        let from_document = PublicKey::from_verification_method(
            text(case, "didDocSuite"),
            text(case, "publicKeyMultibase"),
        )
        .unwrap_or_else(|e| panic!("{comment}: {e}"));
        assert_eq!(from_document, key, "{comment}: the document's key");
        assert_eq!(key.jwt_alg(), text(case, "algorithm"), "{comment}");
        let message = unbase64(text(case, "messageBase64"));
        let signature = unbase64(text(case, "signatureBase64"));
        let verdict = key.verify(&message, &signature);
        let want = case["validSignature"].as_bool().expect("validSignature");
        assert_eq!(verdict.is_ok(), want, "{comment}: {verdict:?}");
        let tags: Vec<&str> = case["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .map(|t| t.as_str().expect("tag"))
            .collect();
        match tags[..] {
            [] => valid += 1,
            ["high-s"] => {
                assert_eq!(verdict, Err(SignatureError::HighS), "{comment}");
                high_s += 1;
            }
            ["der-encoded"] => {
                assert_eq!(
                    verdict,
                    Err(SignatureError::NotCompact {
                        len: signature.len()
                    }),
                    "{comment}"
                );
                der += 1;
            }
            _ => panic!("{comment}: tags {tags:?}"),
        }
    }
    assert_eq!((valid, high_s, der), (2, 2, 2), "cases by tag");
    println!("signature-fixtures.json: 6 of 6 cases agree (2 valid, 2 high-S, 2 DER)");
}

#[test]
fn w3c_did_keys() {
    for (file, curve, count) in [
        ("w3c_didkey_K256.json", Curve::K256, 5),
        ("w3c_didkey_P256.json", Curve::P256, 1),
    ] {
        let Some(cases) = vectors(file) else {
            return;
        };
        assert_eq!(cases.len(), count, "{file} cases");
        for case in &cases {
            let private = match (
                case["privateKeyBytesHex"].as_str(),
                case["privateKeyBytesBase58"].as_str(),
            ) {
                (Some(h), None) => unhex(h),
                (None, Some(b58)) => cid::multibase::Base::Base58Btc
                    .decode(b58)
                    .expect("base58 in the vectors"),
                _ => panic!("{file}: no private key in {case}"),
            };
            let did = text(case, "publicDidKey");
            let keypair = Keypair::from_private_key_bytes(curve, &private)
                .unwrap_or_else(|e| panic!("{file} {did}: {e}"));
            assert_eq!(keypair.public_key().to_did_key(), did, "{file}");
            assert_eq!(
                PublicKey::from_did_key(did),
                Ok(keypair.public_key()),
                "{file}"
            );
        }
        println!("{file}: {count} of {count} private keys give their did:key");
    }
}

/// `pds/crypto.mjs` answering `request`, or `None` after a skip.
fn reference(request: Value) -> Option<Value> {
    let node = atlex_tests::node(&["@atproto/crypto", "@atproto/identity", "@did-plc/lib"])?;
    let out = atlex_tests::run_node(&node, "pds/crypto.mjs", &[], request.to_string().as_bytes());
    let answer: Value = serde_json::from_str(&out).expect("crypto.mjs answers JSON");
    assert_eq!(answer["crypto"], "0.5.5", "the @atproto/crypto version");
    Some(answer)
}

/// The answer's list `field`, which must have `len` entries.
fn answers<'a>(answer: &'a Value, field: &str, len: usize) -> &'a [Value] {
    let list = answer[field]
        .as_array()
        .unwrap_or_else(|| panic!("no {field:?} in the answer"));
    assert_eq!(list.len(), len, "answers to {field:?}");
    list
}

fn random_message(rng: &mut Rng) -> Vec<u8> {
    let len = rng.below(300);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

fn seed() -> u64 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    println!("seed {seed}");
    seed
}

/// Keys per curve and messages per key of the tests that make them. The reference makes fewer:
/// each of its signatures is checked in five forms, two ways, and its verification is slow.
const KEYS: usize = 20;
const REFERENCE_KEYS: usize = 10;
const MESSAGES: usize = 10;

#[test]
fn reference_verifies_atlex_signatures_and_keys() {
    let mut rng = Rng(seed());
    let keypairs: Vec<Keypair> = (0..KEYS)
        .flat_map(|_| [Keypair::generate_k256(), Keypair::generate_p256()])
        .collect();
    // Each signature as made, then with one bit changed.
    let mut checks = Vec::new();
    let mut want = Vec::new();
    for keypair in &keypairs {
        for _ in 0..MESSAGES {
            let message = random_message(&mut rng);
            let signature = keypair.sign(&message);
            let mut changed = signature;
            changed[rng.below(64)] ^= 1 << rng.below(8);
            for (sig, ok) in [(signature, true), (changed, false)] {
                checks.push(json!({
                    "didKey": keypair.public_key().to_did_key(),
                    "message": hex(&message),
                    "signature": hex(&sig),
                }));
                want.push(ok);
            }
        }
    }
    let dids: Vec<String> = keypairs
        .iter()
        .map(|k| k.public_key().to_did_key())
        .collect();
    let multikeys: Vec<String> = keypairs
        .iter()
        .map(|k| k.public_key().to_multikey())
        .collect();
    let privates: Vec<Value> = keypairs
        .iter()
        .map(|k| json!({ "jwtAlg": k.curve().jwt_alg(), "privateKey": hex(&k.to_private_key_bytes()) }))
        .collect();
    let Some(answer) = reference(json!({
        "verify": checks,
        "parseDidKey": dids,
        "parseMultikey": multikeys,
        "fromPrivateKey": privates,
    })) else {
        return;
    };

    let verdicts = answers(&answer, "verify", 2 * 2 * KEYS * MESSAGES);
    let mut accepted = 0;
    for ((check, verdict), ok) in checks.iter().zip(verdicts).zip(&want) {
        assert_eq!(verdict["strict"], *ok, "the reference on {check}");
        accepted += usize::from(*ok);
    }
    assert_eq!(accepted, 2 * KEYS * MESSAGES);

    for (field, list) in [("parseDidKey", &dids), ("parseMultikey", &multikeys)] {
        for ((keypair, written), parsed) in
            keypairs
                .iter()
                .zip(list)
                .zip(answers(&answer, field, 2 * KEYS))
        {
            let key = keypair.public_key();
            assert_eq!(parsed["jwtAlg"], key.jwt_alg(), "{field} of {written}");
            assert_eq!(
                parsed["keyBytes"],
                hex(&key.to_uncompressed_bytes()),
                "{field} of {written}"
            );
        }
    }
    for (did, theirs) in dids
        .iter()
        .zip(answers(&answer, "fromPrivateKey", 2 * KEYS))
    {
        assert_eq!(theirs, did, "the did:key of the same private key");
    }
    println!(
        "the reference's strict verifySignature: {accepted} atlex signatures accepted, {accepted} with a changed bit refused, over {} keys; {} did:keys and Multikeys read to the same points",
        2 * KEYS,
        2 * KEYS
    );
}

#[test]
fn atlex_verifies_reference_signatures_and_keys() {
    let Some(made) =
        reference(json!({ "generate": { "keys": REFERENCE_KEYS, "messages": MESSAGES } }))
    else {
        return;
    };
    let generated = answers(&made, "generate", 2 * REFERENCE_KEYS);
    // Each signature as made, its high-S twin, both in DER, and with one bit changed; the
    // reference's own verdicts on each.
    const FORMS: [&str; 5] = ["signature", "highS", "der", "derHighS", "changed"];
    let mut checks = Vec::new();
    let mut rng = Rng(seed());
    for key in generated {
        for signed in key["signed"].as_array().expect("signed") {
            for form in FORMS {
                let sig = if form == "changed" {
                    let mut sig = unhex(text(signed, "signature"));
                    sig[rng.below(64)] ^= 1 << rng.below(8);
                    hex(&sig)
                } else {
                    text(signed, form).to_owned()
                };
                checks.push(json!({
                    "didKey": key["didKey"],
                    "message": signed["message"],
                    "signature": sig,
                    "jwtAlg": key["jwtAlg"],
                    "privateKey": key["privateKey"],
                    "form": form,
                }));
            }
        }
    }
    let Some(answer) = reference(json!({ "verify": checks })) else {
        return;
    };
    let verdicts = answers(
        &answer,
        "verify",
        FORMS.len() * 2 * REFERENCE_KEYS * MESSAGES,
    );

    for key in generated {
        let did = text(key, "didKey");
        let public = PublicKey::from_did_key(did).unwrap_or_else(|e| panic!("{did}: {e}"));
        assert_eq!(public.jwt_alg(), text(key, "jwtAlg"), "{did}");
        assert_eq!(
            PublicKey::from_multikey(text(key, "multikey")),
            Ok(public.clone())
        );
        assert_eq!(hex(&public.to_uncompressed_bytes()), text(key, "publicKey"));
        assert_eq!(public.to_did_key(), did, "atlex writes the same did:key");
        let keypair = Keypair::from_private_key_bytes(
            curve_of(text(key, "jwtAlg")),
            &unhex(text(key, "privateKey")),
        )
        .unwrap_or_else(|e| panic!("{did}: {e}"));
        assert_eq!(keypair.public_key(), public, "{did} from its private key");
    }

    let mut counts = std::collections::BTreeMap::<(&str, bool, bool), usize>::new();
    for (check, verdict) in checks.iter().zip(verdicts) {
        let key = PublicKey::from_did_key(text(check, "didKey")).expect("read above");
        let message = unhex(text(check, "message"));
        let sig = unhex(text(check, "signature"));
        let form = text(check, "form");
        let strict = key.verify(&message, &sig);
        let lenient = key.verify_lenient(&message, &sig);
        assert_eq!(
            strict.is_ok(),
            verdict["strict"],
            "strict, {check}: {strict:?}"
        );
        assert_eq!(
            lenient.is_ok(),
            verdict["lenient"],
            "lenient, {check}: {lenient:?}"
        );
        let want_strict = match form {
            "signature" => Some(Ok(())),
            "highS" => Some(Err(SignatureError::HighS)),
            "der" | "derHighS" => Some(Err(SignatureError::NotCompact { len: sig.len() })),
            _ => None,
        };
        match want_strict {
            Some(want) => {
                assert_eq!(strict, want, "{check}");
                assert_eq!(lenient, Ok(()), "{check}");
            }
            None => assert!(strict.is_err() && lenient.is_err(), "{check}"),
        }
        if form == "signature" {
            let keypair = Keypair::from_private_key_bytes(
                curve_of(text(check, "jwtAlg")),
                &unhex(text(check, "privateKey")),
            )
            .expect("read above");
            assert_eq!(
                hex(&keypair.sign(&message)),
                text(check, "signature"),
                "atlex signs as the reference does (RFC 6979, low-S)"
            );
        }
        *counts
            .entry((form, strict.is_ok(), lenient.is_ok()))
            .or_default() += 1;
    }
    let n = 2 * REFERENCE_KEYS * MESSAGES;
    let want: std::collections::BTreeMap<_, _> = [
        (("changed", false, false), n),
        (("der", false, true), n),
        (("derHighS", false, true), n),
        (("highS", false, true), n),
        (("signature", true, true), n),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts, want, "verdicts by form (strict, lenient)");
    println!(
        "{} reference signatures over {} keys: atlex gives the reference's strict and lenient verdict on all {} forms ({counts:?}) and signs the same bytes",
        n,
        2 * REFERENCE_KEYS,
        FORMS.len() * n
    );
}

#[test]
fn plc_documents_give_the_same_key() {
    let keypairs: Vec<Keypair> = (0..KEYS)
        .flat_map(|_| [Keypair::generate_k256(), Keypair::generate_p256()])
        .collect();
    let dids: Vec<String> = keypairs
        .iter()
        .map(|k| k.public_key().to_did_key())
        .collect();
    let Some(answer) = reference(json!({ "plcDocs": dids })) else {
        return;
    };
    for ((keypair, did), method) in
        keypairs
            .iter()
            .zip(&dids)
            .zip(answers(&answer, "plcDocs", 2 * KEYS))
    {
        let key = keypair.public_key();
        let kind = text(method, "type");
        assert_eq!(
            kind,
            match key.curve() {
                Curve::K256 => "EcdsaSecp256k1VerificationKey2019",
                Curve::P256 => "EcdsaSecp256r1VerificationKey2019",
            }
        );
        let multibase = text(method, "publicKeyMultibase");
        // What a PLC directory writes: base58btc of the bare uncompressed point.
        let (base, raw) = cid::multibase::decode(multibase).expect("multibase");
        assert_eq!(
            (base, raw),
            (
                cid::multibase::Base::Base58Btc,
                key.to_uncompressed_bytes().to_vec()
            )
        );
        assert_eq!(
            PublicKey::from_verification_method(kind, multibase),
            Ok(key.clone()),
            "{did}"
        );
        assert_eq!(text(method, "didKey"), did, "@atproto/identity's key");
    }
    println!(
        "{} @did-plc/lib documents: atlex reads the key @atproto/identity reads",
        2 * KEYS
    );
}

#[test]
fn changed_did_keys_agree_with_the_reference() {
    let mut rng = Rng(seed());
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut dids = Vec::new();
    for _ in 0..100 {
        for keypair in [Keypair::generate_k256(), Keypair::generate_p256()] {
            let mut did = keypair.public_key().to_did_key().into_bytes();
            // One base58 character after `did:key:z` changed.
            let at = "did:key:z".len() + rng.below(did.len() - "did:key:z".len());
            did[at] = *rng.pick(ALPHABET);
            dids.push(String::from_utf8(did).expect("ASCII"));
        }
    }
    // Some that no one should read.
    let k = Keypair::generate_k256().public_key().to_did_key();
    dids.extend([
        k.replacen("did:key:", "did:web:", 1),
        k.replacen("did:key:z", "did:key:f", 1),
        k[..k.len() - 5].to_owned(),
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK".to_owned(),
    ]);
    let Some(answer) = reference(json!({ "parseDidKey": dids })) else {
        return;
    };
    let (mut read, mut refused) = (0, 0);
    for (did, theirs) in dids.iter().zip(answers(&answer, "parseDidKey", dids.len())) {
        match (PublicKey::from_did_key(did), theirs.get("keyBytes")) {
            (Ok(key), Some(bytes)) => {
                assert_eq!(*bytes, hex(&key.to_uncompressed_bytes()), "{did}");
                assert_eq!(theirs["jwtAlg"], key.jwt_alg(), "{did}");
                read += 1;
            }
            (Err(_), None) => refused += 1,
            (ours, _) => panic!("{did}: atlex {ours:?}, the reference {theirs}"),
        }
    }
    assert_eq!(read + refused, 204);
    assert!(refused >= 4, "the four bad did:keys are refused");
    println!(
        "204 changed did:keys: {read} read to the same point by both, {refused} refused by both"
    );
}
