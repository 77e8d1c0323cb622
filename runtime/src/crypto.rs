//! Keys and signatures: P-256 and K-256 (secp256k1), the two curves of the AT Protocol.
//!
//! - [`PublicKey`] reads and writes `did:key` identifiers and the `publicKeyMultibase` of DID
//!   document verification methods: `Multikey` and the legacy
//!   `EcdsaSecp256k1VerificationKey2019` / `EcdsaSecp256r1VerificationKey2019` forms that
//!   DID documents still carry (a PLC directory publishes them).
//! - [`Keypair`] generates keys and signs: the signature is always the 64-byte compact `r‖s`
//!   form over the SHA-256 of the data, with a low S, on both curves.
//! - [`PublicKey::verify`] is the protocol's strict check (compact and low-S only), for commits,
//!   labels and anything else whose signature is part of signed or content-addressed data;
//!   [`PublicKey::verify_lenient`] also takes high-S and DER signatures, as the reference
//!   verifier does for inter-service tokens.
//!
//! ```
//! use atlex::crypto::{Keypair, PublicKey};
//!
//! let keypair = Keypair::generate_k256();
//! let signature = keypair.sign(b"hello");
//! let did_key = keypair.public_key().to_did_key();
//! let key = PublicKey::from_did_key(&did_key)?;
//! key.verify(b"hello", &signature)?;
//! assert!(key.verify(b"hello!", &signature).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use cid::multibase::Base;
use sha2::{Digest, Sha256};

/// The two elliptic curves the AT Protocol signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// secp256k1 (`ES256K` in JWTs, multicodec `secp256k1-pub` 0xe7).
    K256,
    /// NIST P-256 / secp256r1 (`ES256` in JWTs, multicodec `p256-pub` 0x1200).
    P256,
}

impl Curve {
    /// The JWT `alg` of signatures on this curve: `ES256K` or `ES256`.
    pub fn jwt_alg(self) -> &'static str {
        match self {
            Curve::K256 => "ES256K",
            Curve::P256 => "ES256",
        }
    }

    /// The curve whose JWT `alg` is `alg` (`ES256K` or `ES256`), or `None`.
    pub fn from_jwt_alg(alg: &str) -> Option<Curve> {
        match alg {
            "ES256K" => Some(Curve::K256),
            "ES256" => Some(Curve::P256),
            _ => None,
        }
    }

    /// The multicodec varint that prefixes a compressed public key in `did:key` and `Multikey`.
    fn multicodec_prefix(self) -> &'static [u8] {
        match self {
            // 0xe7 as an unsigned varint.
            Curve::K256 => &[0xe7, 0x01],
            // 0x1200 as an unsigned varint.
            Curve::P256 => &[0x80, 0x24],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Curve::K256 => "K-256 (secp256k1)",
            Curve::P256 => "P-256",
        }
    }
}

impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a public or private key could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// A `did:key` that does not start with `did:key:`.
    NotDidKey,
    /// A multibase string whose first character names a base that is not accepted here: `did:key`
    /// and `Multikey` take only base58btc (`z`).
    UnsupportedMultibase {
        /// The first character (`None` for an empty string).
        prefix: Option<char>,
    },
    /// The text after the multibase prefix is not valid in its base.
    BadMultibase {
        /// The multibase prefix.
        prefix: char,
    },
    /// The multicodec prefix is not `secp256k1-pub` (0xe7) or `p256-pub` (0x1200).
    UnknownMulticodec {
        /// The multicodec code read, or `None` when not even a varint could be read.
        code: Option<u64>,
    },
    /// A verification method whose `type` is none of `Multikey`,
    /// `EcdsaSecp256k1VerificationKey2019` and `EcdsaSecp256r1VerificationKey2019`.
    UnknownVerificationMethod {
        /// The `type` given.
        kind: String,
    },
    /// A public key of the wrong length or SEC1 tag: a point is 33 bytes compressed (tag 2 or
    /// 3) or 65 bytes uncompressed (tag 4).
    BadEncoding {
        /// The curve the key was read for.
        curve: Curve,
        /// The number of bytes given.
        len: usize,
    },
    /// A well-formed SEC1 encoding of a point that is not on the curve.
    NotOnCurve {
        /// The curve the key was read for.
        curve: Curve,
    },
    /// A private key that is not 32 bytes.
    PrivateKeyLength {
        /// The number of bytes given.
        len: usize,
    },
    /// A 32-byte private key that is zero or not below the curve's order.
    PrivateKeyOutOfRange {
        /// The curve the key was read for.
        curve: Curve,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::NotDidKey => f.write_str("not a did:key: it must start with `did:key:z`"),
            KeyError::UnsupportedMultibase { prefix: None } => {
                f.write_str("empty multibase string: expected `z` and base58btc text")
            }
            KeyError::UnsupportedMultibase { prefix: Some(c) } => write!(
                f,
                "unsupported multibase prefix {c:?}: did:key and Multikey are base58btc, written with a leading `z`"
            ),
            KeyError::BadMultibase { prefix } => write!(
                f,
                "the text after the multibase prefix {prefix:?} is not valid in that base"
            ),
            KeyError::UnknownMulticodec { code: Some(code) } => write!(
                f,
                "unsupported key type: multicodec 0x{code:x} (the AT Protocol uses secp256k1-pub 0xe7 and p256-pub 0x1200)"
            ),
            KeyError::UnknownMulticodec { code: None } => f.write_str(
                "the key has no readable multicodec prefix (expected secp256k1-pub 0xe7 or p256-pub 0x1200)",
            ),
            KeyError::UnknownVerificationMethod { kind } => write!(
                f,
                "unsupported verification method type {kind:?}: expected Multikey, EcdsaSecp256k1VerificationKey2019 or EcdsaSecp256r1VerificationKey2019"
            ),
            KeyError::BadEncoding { curve, len } => write!(
                f,
                "not a {curve} public key: {len} bytes, where a SEC1 point is 33 bytes compressed (starting 02 or 03) or 65 uncompressed (starting 04)"
            ),
            KeyError::NotOnCurve { curve } => {
                write!(f, "the public key is not a point on the {curve} curve")
            }
            KeyError::PrivateKeyLength { len } => {
                write!(f, "a private key is 32 bytes, not {len}")
            }
            KeyError::PrivateKeyOutOfRange { curve } => write!(
                f,
                "not a {curve} private key: the 32 bytes are zero or not below the curve's order"
            ),
        }
    }
}

impl std::error::Error for KeyError {}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// [`PublicKey::verify`]: the signature is not 64 bytes. AT Protocol signatures are the
    /// compact `r‖s` form; a DER signature (70 to 72 bytes) is taken only by
    /// [`PublicKey::verify_lenient`].
    NotCompact {
        /// The number of bytes given.
        len: usize,
    },
    /// [`PublicKey::verify_lenient`]: the signature is neither DER nor 64 compact bytes.
    BadEncoding {
        /// The number of bytes given.
        len: usize,
    },
    /// `r` or `s` is zero or not below the curve's order.
    OutOfRange,
    /// [`PublicKey::verify`]: `s` is in the upper half of the curve's order. The signature
    /// would be valid ECDSA, but the AT Protocol takes only its low-S twin, so that each message
    /// and key have one signature.
    HighS,
    /// The signature is well-formed but was not made by this key over this data.
    Mismatch,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::NotCompact { len } => write!(
                f,
                "a signature of {len} bytes: AT Protocol signatures are 64 bytes (compact r and s); DER is not accepted here"
            ),
            SignatureError::BadEncoding { len } => write!(
                f,
                "a signature of {len} bytes that is neither DER nor compact (64 bytes)"
            ),
            SignatureError::OutOfRange => {
                f.write_str("malformed signature: r or s is zero or not below the curve's order")
            }
            SignatureError::HighS => f.write_str(
                "high-S signature: the AT Protocol takes only low-S signatures (normalize s before signing)",
            ),
            SignatureError::Mismatch => {
                f.write_str("the signature was not made by this key over this data")
            }
        }
    }
}

impl std::error::Error for SignatureError {}

/// A public key on one of the AT Protocol's two curves.
///
/// `Display` and `FromStr` use the `did:key` form; two keys are equal when they are the same
/// point on the same curve, however they were written.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(Public);

#[derive(Clone, PartialEq, Eq)]
enum Public {
    K256(k256::ecdsa::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
}

/// The multibase prefixes that the legacy verification-method forms may use, as the reference
/// resolver (`@atproto/crypto`'s `multibaseToBytes`) reads them; `did:key` and `Multikey` take
/// `z` alone.
const LEGACY_MULTIBASE: &[char] = &['z', 'f', 'F', 'b', 'B', 'm', 'u', 'U'];

impl PublicKey {
    /// Reads a `did:key:z…` identifier: base58btc of the multicodec varint (`secp256k1-pub`
    /// 0xe7 or `p256-pub` 0x1200) followed by the SEC1 point (written compressed; an
    /// uncompressed point is accepted too).
    pub fn from_did_key(did: &str) -> Result<PublicKey, KeyError> {
        let multikey = did.strip_prefix("did:key:").ok_or(KeyError::NotDidKey)?;
        PublicKey::from_multikey(multikey)
    }

    /// Reads the `publicKeyMultibase` of a `Multikey` verification method (`z…`): the same
    /// encoding as a `did:key` without its `did:key:` prefix.
    pub fn from_multikey(multibase: &str) -> Result<PublicKey, KeyError> {
        let bytes = decode_multibase(multibase, &['z'])?;
        for curve in [Curve::K256, Curve::P256] {
            if let Some(point) = bytes.strip_prefix(curve.multicodec_prefix()) {
                return PublicKey::from_sec1_bytes(curve, point);
            }
        }
        Err(KeyError::UnknownMulticodec {
            code: read_varint(&bytes),
        })
    }

    /// Reads the key of a DID document verification method from its `type` and
    /// `publicKeyMultibase`:
    /// - `Multikey`: as [`PublicKey::from_multikey`];
    /// - `EcdsaSecp256k1VerificationKey2019` and `EcdsaSecp256r1VerificationKey2019` (the legacy
    ///   forms; a PLC directory writes them): the SEC1 point itself, compressed or
    ///   uncompressed, with no multicodec prefix, in base58btc (`z`) or, as the reference
    ///   resolver also reads, base16, base32 or base64 (`f`, `F`, `b`, `B`, `m`, `u`, `U`).
    pub fn from_verification_method(
        kind: &str,
        public_key_multibase: &str,
    ) -> Result<PublicKey, KeyError> {
        let curve = match kind {
            "Multikey" => return PublicKey::from_multikey(public_key_multibase),
            "EcdsaSecp256k1VerificationKey2019" => Curve::K256,
            "EcdsaSecp256r1VerificationKey2019" => Curve::P256,
            _ => {
                return Err(KeyError::UnknownVerificationMethod {
                    kind: kind.to_owned(),
                })
            }
        };
        let bytes = decode_multibase(public_key_multibase, LEGACY_MULTIBASE)?;
        PublicKey::from_sec1_bytes(curve, &bytes)
    }

    /// Reads a SEC1 point on `curve`: 33 bytes compressed (`02`/`03` then x) or 65 bytes
    /// uncompressed (`04` then x and y). Points not on the curve are refused.
    pub fn from_sec1_bytes(curve: Curve, bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let well_formed = matches!(
            (bytes.len(), bytes.first()),
            (33, Some(2 | 3)) | (65, Some(4))
        );
        if !well_formed {
            return Err(KeyError::BadEncoding {
                curve,
                len: bytes.len(),
            });
        }
        let not_on_curve = |_| KeyError::NotOnCurve { curve };
        Ok(PublicKey(match curve {
            Curve::K256 => Public::K256(
                k256::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map_err(not_on_curve)?,
            ),
            Curve::P256 => Public::P256(
                p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map_err(not_on_curve)?,
            ),
        }))
    }

    /// The key's curve.
    pub fn curve(&self) -> Curve {
        match self.0 {
            Public::K256(_) => Curve::K256,
            Public::P256(_) => Curve::P256,
        }
    }

    /// The JWT `alg` of this key's signatures: `ES256K` or `ES256`.
    pub fn jwt_alg(&self) -> &'static str {
        self.curve().jwt_alg()
    }

    /// The compressed SEC1 point (33 bytes).
    pub fn to_compressed_bytes(&self) -> [u8; 33] {
        let mut out = [0; 33];
        out.copy_from_slice(&self.sec1(true));
        out
    }

    /// The uncompressed SEC1 point (65 bytes, starting `04`).
    pub fn to_uncompressed_bytes(&self) -> [u8; 65] {
        let mut out = [0; 65];
        out.copy_from_slice(&self.sec1(false));
        out
    }

    fn sec1(&self, compress: bool) -> Vec<u8> {
        match &self.0 {
            Public::K256(k) => k.to_encoded_point(compress).as_bytes().to_vec(),
            Public::P256(k) => k.to_encoded_point(compress).as_bytes().to_vec(),
        }
    }

    /// The `publicKeyMultibase` of a `Multikey` verification method: `z` and base58btc of the
    /// multicodec varint and the compressed point.
    pub fn to_multikey(&self) -> String {
        let mut bytes = self.curve().multicodec_prefix().to_vec();
        bytes.extend_from_slice(&self.to_compressed_bytes());
        cid::multibase::encode(Base::Base58Btc, bytes)
    }

    /// The `did:key:z…` identifier of this key (the compressed point, as the reference writes
    /// it).
    pub fn to_did_key(&self) -> String {
        format!("did:key:{}", self.to_multikey())
    }

    /// Checks `sig` over `data` the AT Protocol's strict way: the 64-byte compact `r‖s` form
    /// of an ECDSA signature over SHA-256(`data`), with a low S, on both curves. This is the
    /// check for repository commits, labels and everything else whose signature is part of
    /// signed or content-addressed data, where the protocol wants exactly one signature per
    /// key and message; it agrees with `@atproto/crypto`'s `verifySignature` with
    /// `allowMalleableSig` off, and with the interop signature fixtures.
    pub fn verify(&self, data: &[u8], sig: &[u8]) -> Result<(), SignatureError> {
        self.check(data, sig, false)
    }

    /// Checks `sig` over `data` as [`PublicKey::verify`] does, but also accepts a high-S
    /// signature and a DER-encoded one: what `@atproto/crypto` accepts with
    /// `allowMalleableSig: true`, the setting of the reference's inter-service token verifier
    /// (`@atproto/xrpc-server`'s `verifyJwt`).
    ///
    /// Use it for inter-service tokens (JWTs), not for commits or labels. Accepting the
    /// malleable forms there costs nothing: the token's claims are what is trusted, and the
    /// `s` or `n - s` twin of a signature authenticates the same claims, so nothing an attacker
    /// can make from a token they hold is worth more than the token. A replay check must then
    /// key on the claims (`iss` and `jti`), never on the token's bytes, which the twin changes.
    /// Refusing them would turn away tokens the reference accepts, from signers that give high-S
    /// P-256 signatures (WebCrypto, some key stores) or DER.
    pub fn verify_lenient(&self, data: &[u8], sig: &[u8]) -> Result<(), SignatureError> {
        self.check(data, sig, true)
    }

    fn check(&self, data: &[u8], sig: &[u8], lenient: bool) -> Result<(), SignatureError> {
        let digest = Sha256::new_with_prefix(data);
        match &self.0 {
            Public::K256(k) => k256_ops::verify(k, digest, sig, lenient),
            Public::P256(k) => p256_ops::verify(k, digest, sig, lenient),
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey")
            .field(&self.to_did_key())
            .finish()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_did_key())
    }
}

impl std::str::FromStr for PublicKey {
    type Err = KeyError;

    /// Reads a `did:key`, as [`PublicKey::from_did_key`].
    fn from_str(s: &str) -> Result<PublicKey, KeyError> {
        PublicKey::from_did_key(s)
    }
}

/// A private key with its public key, on either curve.
///
/// `Debug` shows the curve and the public key, never the private key. The private key is
/// overwritten with zeros when the keypair is dropped.
#[derive(Clone)]
pub struct Keypair(Private);

#[derive(Clone)]
enum Private {
    K256(k256::ecdsa::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

impl Keypair {
    /// A new random K-256 (secp256k1) keypair, from the operating system's random source.
    pub fn generate_k256() -> Keypair {
        Keypair::generate(Curve::K256)
    }

    /// A new random P-256 keypair, from the operating system's random source.
    pub fn generate_p256() -> Keypair {
        Keypair::generate(Curve::P256)
    }

    /// A new random keypair on `curve`, from the operating system's random source.
    pub fn generate(curve: Curve) -> Keypair {
        let rng = &mut rand_core::OsRng;
        Keypair(match curve {
            Curve::K256 => Private::K256(k256::ecdsa::SigningKey::random(rng)),
            Curve::P256 => Private::P256(p256::ecdsa::SigningKey::random(rng)),
        })
    }

    /// The keypair of a private key: 32 big-endian bytes, not zero and below the curve's order
    /// (what `@atproto/crypto`'s `export()` gives and `import()` takes).
    pub fn from_private_key_bytes(curve: Curve, bytes: &[u8]) -> Result<Keypair, KeyError> {
        let bytes: &[u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::PrivateKeyLength { len: bytes.len() })?;
        let out_of_range = |_| KeyError::PrivateKeyOutOfRange { curve };
        Ok(Keypair(match curve {
            Curve::K256 => Private::K256(
                k256::ecdsa::SigningKey::from_bytes(bytes.into()).map_err(out_of_range)?,
            ),
            Curve::P256 => Private::P256(
                p256::ecdsa::SigningKey::from_bytes(bytes.into()).map_err(out_of_range)?,
            ),
        }))
    }

    /// The private key: 32 big-endian bytes. Keep them secret.
    pub fn to_private_key_bytes(&self) -> [u8; 32] {
        match &self.0 {
            Private::K256(k) => k.to_bytes().into(),
            Private::P256(k) => k.to_bytes().into(),
        }
    }

    /// The keypair's curve.
    pub fn curve(&self) -> Curve {
        match self.0 {
            Private::K256(_) => Curve::K256,
            Private::P256(_) => Curve::P256,
        }
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(match &self.0 {
            Private::K256(k) => Public::K256(*k.verifying_key()),
            Private::P256(k) => Public::P256(*k.verifying_key()),
        })
    }

    /// Signs `data`: an ECDSA signature over SHA-256(`data`) with a deterministic nonce
    /// (RFC 6979), in the 64-byte compact `r‖s` form, always low-S (on P-256 too, where ECDSA
    /// gives a high S half of the time), so that [`PublicKey::verify`] and every strict
    /// verifier of the network accept it.
    pub fn sign(&self, data: &[u8]) -> [u8; 64] {
        let digest = Sha256::new_with_prefix(data);
        match &self.0 {
            Private::K256(k) => k256_ops::sign(k, digest),
            Private::P256(k) => p256_ops::sign(k, digest),
        }
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keypair")
            .field("curve", &self.curve())
            .field("public_key", &self.public_key().to_did_key())
            .finish_non_exhaustive()
    }
}

/// Signing and verification on one curve; the two curves' crates have the same API.
macro_rules! curve_ops {
    ($ops:ident, $krate:ident) => {
        mod $ops {
            use super::SignatureError;
            use sha2::Sha256;
            use $krate::ecdsa::signature::{DigestSigner, DigestVerifier};
            use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};

            /// A low-S compact signature of the SHA-256 `digest` (not yet finalized).
            pub(super) fn sign(key: &SigningKey, digest: Sha256) -> [u8; 64] {
                let sig: Signature = key.sign_digest(digest);
                // k256 gives low-S already; p256 gives high-S half of the time.
                let sig = sig.normalize_s().unwrap_or(sig);
                sig.to_bytes().into()
            }

            /// Checks `sig` over the SHA-256 `digest` (not yet finalized): strict (compact,
            /// low-S) or lenient (DER or compact, any S).
            pub(super) fn verify(
                key: &VerifyingKey,
                digest: Sha256,
                sig: &[u8],
                lenient: bool,
            ) -> Result<(), SignatureError> {
                let len = sig.len();
                let sig = if lenient {
                    // DER first, then compact, as the reference's parser tries them.
                    match Signature::from_der(sig) {
                        Ok(sig) => sig,
                        Err(_) if len == 64 => {
                            Signature::from_slice(sig).map_err(|_| SignatureError::OutOfRange)?
                        }
                        Err(_) => return Err(SignatureError::BadEncoding { len }),
                    }
                } else {
                    if len != 64 {
                        return Err(SignatureError::NotCompact { len });
                    }
                    let sig = Signature::from_slice(sig).map_err(|_| SignatureError::OutOfRange)?;
                    // p256 accepts high-S signatures; the protocol does not.
                    if sig.normalize_s().is_some() {
                        return Err(SignatureError::HighS);
                    }
                    sig
                };
                // k256 refuses high-S signatures, so the lenient check verifies the low-S twin.
                let sig = sig.normalize_s().unwrap_or(sig);
                key.verify_digest(digest, &sig)
                    .map_err(|_| SignatureError::Mismatch)
            }
        }
    };
}

curve_ops!(k256_ops, k256);
curve_ops!(p256_ops, p256);

/// Decodes a multibase string whose prefix is one of `accepted`.
fn decode_multibase(text: &str, accepted: &[char]) -> Result<Vec<u8>, KeyError> {
    let prefix = text.chars().next();
    let base = match prefix {
        Some(c) if accepted.contains(&c) => Base::from_code(c),
        _ => return Err(KeyError::UnsupportedMultibase { prefix }),
    };
    let bad = |_| KeyError::BadMultibase {
        prefix: prefix.unwrap_or_default(),
    };
    base.and_then(|base| base.decode(&text[1..])).map_err(bad)
}

/// The unsigned varint at the start of `bytes` (at most 9 bytes, as multiformats allows).
fn read_varint(bytes: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().take(9).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each curve's order n, big-endian: a high-S twin of a signature has s' = n - s.
    const K256_ORDER: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];
    const P256_ORDER: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];

    fn order(curve: Curve) -> [u8; 32] {
        match curve {
            Curve::K256 => K256_ORDER,
            Curve::P256 => P256_ORDER,
        }
    }

    /// `sig` with s replaced by n - s (big-endian subtraction, written out so that the test
    /// does not rely on the code under test).
    fn twin(curve: Curve, sig: &[u8; 64]) -> [u8; 64] {
        let n = order(curve);
        let mut out = *sig;
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = i16::from(n[i]) - i16::from(sig[32 + i]) - borrow;
            borrow = i16::from(d < 0);
            out[32 + i] = d.rem_euclid(256) as u8;
        }
        assert_eq!(borrow, 0, "s is below n");
        out
    }

    /// DER of a compact signature: SEQUENCE of two minimal positive INTEGERs.
    fn der(sig: &[u8; 64]) -> Vec<u8> {
        fn int(bytes: &[u8]) -> Vec<u8> {
            let start = bytes.iter().position(|&b| b != 0).unwrap_or(31);
            let mut v = bytes[start..].to_vec();
            if v[0] & 0x80 != 0 {
                v.insert(0, 0);
            }
            let mut out = vec![0x02, v.len() as u8];
            out.extend(v);
            out
        }
        let body = [int(&sig[..32]), int(&sig[32..])].concat();
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    }

    fn is_high(curve: Curve, sig: &[u8; 64]) -> bool {
        // s > n / 2  <=>  s > n - s
        sig[32..] > twin(curve, sig)[32..]
    }

    /// `n` random keypairs on each curve.
    fn keypairs(n: usize) -> Vec<Keypair> {
        (0..n)
            .flat_map(|_| [Keypair::generate_k256(), Keypair::generate_p256()])
            .collect()
    }

    #[test]
    fn signatures_are_low_s_and_verify() {
        for kp in keypairs(8) {
            for i in 0..16u32 {
                let msg = format!("message {i}");
                let sig = kp.sign(msg.as_bytes());
                assert!(!is_high(kp.curve(), &sig), "{kp:?} signed high-S");
                kp.public_key().verify(msg.as_bytes(), &sig).unwrap();
                kp.public_key()
                    .verify_lenient(msg.as_bytes(), &sig)
                    .unwrap();
            }
        }
    }

    #[test]
    fn high_s_refused_strictly_and_accepted_leniently() {
        for kp in keypairs(8) {
            let key = kp.public_key();
            let sig = kp.sign(b"data");
            let high = twin(kp.curve(), &sig);
            assert!(is_high(kp.curve(), &high));
            assert_eq!(key.verify(b"data", &high), Err(SignatureError::HighS));
            assert_eq!(key.verify_lenient(b"data", &high), Ok(()));
            assert_eq!(
                key.verify_lenient(b"other", &high),
                Err(SignatureError::Mismatch)
            );
        }
    }

    #[test]
    fn der_accepted_only_leniently() {
        for kp in keypairs(8) {
            let key = kp.public_key();
            let sig = kp.sign(b"data");
            for s in [sig, twin(kp.curve(), &sig)] {
                let der = der(&s);
                assert_eq!(
                    key.verify(b"data", &der),
                    Err(SignatureError::NotCompact { len: der.len() })
                );
                assert_eq!(key.verify_lenient(b"data", &der), Ok(()));
                assert_eq!(
                    key.verify_lenient(b"datA", &der),
                    Err(SignatureError::Mismatch)
                );
            }
            let mut broken = der(&sig);
            broken[0] = 0x31;
            assert_eq!(
                key.verify_lenient(b"data", &broken),
                Err(SignatureError::BadEncoding { len: broken.len() })
            );
        }
    }

    #[test]
    fn one_bit_changed_is_refused() {
        for kp in keypairs(2) {
            let key = kp.public_key();
            let data = b"the data that was signed".to_vec();
            let sig = kp.sign(&data);
            for bit in 0..512 {
                let mut bad = sig;
                bad[bit / 8] ^= 1 << (bit % 8);
                assert!(key.verify(&data, &bad).is_err(), "{kp:?} bit {bit}");
                assert!(key.verify_lenient(&data, &bad).is_err(), "{kp:?} bit {bit}");
            }
            for bit in 0..data.len() * 8 {
                let mut bad = data.clone();
                bad[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(key.verify(&bad, &sig), Err(SignatureError::Mismatch));
            }
            let other = Keypair::generate(kp.curve()).public_key();
            assert_eq!(other.verify(&data, &sig), Err(SignatureError::Mismatch));
        }
    }

    #[test]
    fn out_of_range_signatures() {
        let kp = Keypair::generate_p256();
        let key = kp.public_key();
        assert_eq!(key.verify(b"x", &[0; 64]), Err(SignatureError::OutOfRange));
        let mut r_is_n = kp.sign(b"x");
        r_is_n[..32].copy_from_slice(&P256_ORDER);
        assert_eq!(key.verify(b"x", &r_is_n), Err(SignatureError::OutOfRange));
        assert_eq!(
            key.verify(b"x", &[1; 63]),
            Err(SignatureError::NotCompact { len: 63 })
        );
        assert_eq!(
            key.verify_lenient(b"x", &[1; 63]),
            Err(SignatureError::BadEncoding { len: 63 })
        );
    }

    #[test]
    fn keys_round_trip() {
        for kp in keypairs(8) {
            let key = kp.public_key();
            let did = key.to_did_key();
            assert!(did.starts_with(match kp.curve() {
                Curve::K256 => "did:key:zQ3s",
                Curve::P256 => "did:key:zDna",
            }));
            assert_eq!(PublicKey::from_did_key(&did), Ok(key.clone()));
            assert_eq!(did.parse::<PublicKey>(), Ok(key.clone()));
            assert_eq!(key.to_string(), did);
            assert_eq!(
                PublicKey::from_multikey(&key.to_multikey()),
                Ok(key.clone())
            );
            assert_eq!(
                PublicKey::from_verification_method("Multikey", &key.to_multikey()),
                Ok(key.clone())
            );
            let legacy = match kp.curve() {
                Curve::K256 => "EcdsaSecp256k1VerificationKey2019",
                Curve::P256 => "EcdsaSecp256r1VerificationKey2019",
            };
            for point in [
                &key.to_compressed_bytes()[..],
                &key.to_uncompressed_bytes()[..],
            ] {
                for base in [Base::Base58Btc, Base::Base16Lower, Base::Base64] {
                    let mb = cid::multibase::encode(base, point);
                    assert_eq!(
                        PublicKey::from_verification_method(legacy, &mb),
                        Ok(key.clone())
                    );
                }
                assert_eq!(
                    PublicKey::from_sec1_bytes(kp.curve(), point),
                    Ok(key.clone())
                );
            }
            let private = kp.to_private_key_bytes();
            let again = Keypair::from_private_key_bytes(kp.curve(), &private).unwrap();
            assert_eq!(again.public_key(), key);
            assert_eq!(again.sign(b"m"), kp.sign(b"m"), "RFC 6979 is deterministic");
        }
    }

    #[test]
    fn debug_hides_the_private_key() {
        for kp in keypairs(8) {
            let debug = format!("{kp:?}");
            let private = kp.to_private_key_bytes();
            let hex: String = private.iter().map(|b| format!("{b:02x}")).collect();
            assert!(!debug.contains(&hex), "{debug}");
            assert!(!debug.contains(&format!("{private:?}")), "{debug}");
            assert!(debug.contains(&kp.public_key().to_did_key()), "{debug}");
        }
    }

    #[test]
    fn bad_keys_get_typed_errors() {
        let key = Keypair::generate_k256().public_key();
        let did = key.to_did_key();
        assert_eq!(
            PublicKey::from_did_key(&did["did:key:".len()..]),
            Err(KeyError::NotDidKey)
        );
        assert_eq!(
            PublicKey::from_did_key("did:key:"),
            Err(KeyError::UnsupportedMultibase { prefix: None })
        );
        assert_eq!(
            PublicKey::from_multikey(&format!("f{}", &did[9..])),
            Err(KeyError::UnsupportedMultibase { prefix: Some('f') })
        );
        assert_eq!(
            PublicKey::from_did_key("did:key:z0OIl"),
            Err(KeyError::BadMultibase { prefix: 'z' })
        );
        // An ed25519-pub (0xed) did:key, from the did:key specification.
        assert_eq!(
            PublicKey::from_did_key("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
            Err(KeyError::UnknownMulticodec { code: Some(0xed) })
        );
        assert_eq!(
            PublicKey::from_verification_method("Ed25519VerificationKey2020", &key.to_multikey()),
            Err(KeyError::UnknownVerificationMethod {
                kind: "Ed25519VerificationKey2020".into()
            })
        );
        // Right prefix, point cut short.
        let mut bytes = Curve::P256.multicodec_prefix().to_vec();
        bytes.extend_from_slice(&key.to_compressed_bytes()[..32]);
        assert_eq!(
            PublicKey::from_multikey(&cid::multibase::encode(Base::Base58Btc, &bytes)),
            Err(KeyError::BadEncoding {
                curve: Curve::P256,
                len: 32
            })
        );
        // A multicodec prefix on a legacy method, which takes the bare point.
        assert_eq!(
            PublicKey::from_verification_method(
                "EcdsaSecp256k1VerificationKey2019",
                &key.to_multikey()
            ),
            Err(KeyError::BadEncoding {
                curve: Curve::K256,
                len: 35
            })
        );
        // A bad SEC1 tag and an x with no point on the curve.
        let mut point = key.to_compressed_bytes();
        point[0] = 4;
        assert_eq!(
            PublicKey::from_sec1_bytes(Curve::K256, &point),
            Err(KeyError::BadEncoding {
                curve: Curve::K256,
                len: 33
            })
        );
        let mut off_curve = key.to_uncompressed_bytes();
        off_curve[64] ^= 1;
        assert_eq!(
            PublicKey::from_sec1_bytes(Curve::K256, &off_curve),
            Err(KeyError::NotOnCurve { curve: Curve::K256 })
        );
        // x = 0 on K-256: 0^3 + 7 = 7 has no square root mod p, so no point has it.
        let mut no_y = [0u8; 33];
        no_y[0] = 2;
        assert_eq!(
            PublicKey::from_sec1_bytes(Curve::K256, &no_y),
            Err(KeyError::NotOnCurve { curve: Curve::K256 })
        );
        assert_eq!(
            Keypair::from_private_key_bytes(Curve::K256, &[1; 31]).unwrap_err(),
            KeyError::PrivateKeyLength { len: 31 }
        );
        for curve in [Curve::K256, Curve::P256] {
            for bad in [[0; 32], order(curve), [0xff; 32]] {
                assert_eq!(
                    Keypair::from_private_key_bytes(curve, &bad).unwrap_err(),
                    KeyError::PrivateKeyOutOfRange { curve }
                );
            }
        }
    }

    #[test]
    fn jwt_algs() {
        for curve in [Curve::K256, Curve::P256] {
            assert_eq!(Curve::from_jwt_alg(curve.jwt_alg()), Some(curve));
        }
        assert_eq!(Curve::K256.jwt_alg(), "ES256K");
        assert_eq!(Curve::P256.jwt_alg(), "ES256");
        assert_eq!(Curve::from_jwt_alg("HS256"), None);
    }
}
