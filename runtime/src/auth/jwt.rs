//! The compact JWS form of service tokens: reading one into its parts, writing one.

use super::ServiceAuthError;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde_json::{Map, Value};

/// base64url, written without padding, read with or without it (trailing bits must be zero).
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The longest token read: far more than a service token needs (about 500 bytes), so that a
/// hostile one costs little.
pub(super) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Token types that are not service tokens: OAuth and PDS access tokens, PDS refresh tokens,
/// DPoP proofs.
const REFUSED_TYPES: [&str; 3] = ["at+jwt", "refresh+jwt", "dpop+jwt"];

/// A token read into its parts; nothing is verified yet.
#[derive(Debug)]
pub(super) struct Token<'a> {
    /// `header.payload`, the signed text.
    pub(super) signing_input: &'a str,
    pub(super) alg: String,
    pub(super) kid: Option<String>,
    pub(super) claims: Claims,
    pub(super) signature: Vec<u8>,
}

/// The payload's claims, with their types checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Claims {
    pub(super) iss: String,
    pub(super) aud: String,
    pub(super) exp: i64,
    pub(super) iat: Option<i64>,
    pub(super) lxm: Option<String>,
    pub(super) jti: Option<String>,
}

fn malformed(reason: impl Into<String>) -> ServiceAuthError {
    ServiceAuthError::Malformed {
        reason: reason.into(),
    }
}

/// Reads `token` into its parts: three base64url parts, a JSON header with a string `alg`
/// and a `typ` that is not a refused type, a JSON payload with its claims' types checked.
pub(super) fn parse(token: &str) -> Result<Token<'_>, ServiceAuthError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed(format!(
            "{} bytes, more than the {MAX_TOKEN_LEN} read",
            token.len()
        )));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(
            "a JWT is three base64url parts joined by `.`".to_owned(),
        ));
    };
    let signing_input = &token[..header.len() + 1 + payload.len()];
    let header = json_object("header", header)?;
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.clone(),
        Some(_) => return Err(malformed("the header's alg is not a string")),
        None => return Err(malformed("the header has no alg")),
    };
    if let Some(typ) = optional_str(&header, "header", "typ")? {
        let lower = typ.to_ascii_lowercase();
        let media = lower.strip_prefix("application/").unwrap_or(&lower);
        if REFUSED_TYPES.contains(&media) {
            return Err(ServiceAuthError::WrongType {
                typ: typ.to_owned(),
            });
        }
    }
    if header.contains_key("crit") {
        return Err(malformed(
            "the header has crit, and no JWS extension is understood here",
        ));
    }
    let kid = optional_str(&header, "header", "kid")?.map(str::to_owned);
    let payload = json_object("payload", payload)?;
    let required_str = |name: &str| match payload.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(malformed(format!("the claim {name} is not a string"))),
        None => Err(malformed(format!("the claim {name} is missing"))),
    };
    let iss = required_str("iss")?;
    let aud = required_str("aud")?;
    let exp = match payload.get("exp") {
        Some(v) => numeric_date("exp", v, f64::floor)?,
        None => return Err(malformed("the claim exp is missing")),
    };
    let iat = match payload.get("iat") {
        Some(v) => Some(numeric_date("iat", v, f64::ceil)?),
        None => None,
    };
    let lxm = optional_str(&payload, "payload", "lxm")?.map(str::to_owned);
    let jti = optional_str(&payload, "payload", "jti")?.map(str::to_owned);
    let signature = B64
        .decode(signature)
        .map_err(|e| malformed(format!("the signature is not base64url: {e}")))?;
    Ok(Token {
        signing_input,
        alg,
        kid,
        claims: Claims {
            iss,
            aud,
            exp,
            iat,
            lxm,
            jti,
        },
        signature,
    })
}

/// A base64url part holding a JSON object.
fn json_object(what: &str, part: &str) -> Result<Map<String, Value>, ServiceAuthError> {
    let bytes = B64
        .decode(part)
        .map_err(|e| malformed(format!("the {what} is not base64url: {e}")))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed(format!("the {what} is not a JSON object"))),
        Err(e) => Err(malformed(format!("the {what} is not JSON: {e}"))),
    }
}

fn optional_str<'a>(
    map: &'a Map<String, Value>,
    what: &str,
    name: &str,
) -> Result<Option<&'a str>, ServiceAuthError> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(malformed(format!("the {what}'s {name} is not a string"))),
    }
}

/// A JWT NumericDate (seconds since the epoch; JWT allows a fraction, rounded by `round`).
fn numeric_date(name: &str, value: &Value, round: fn(f64) -> f64) -> Result<i64, ServiceAuthError> {
    if let Some(n) = value.as_i64() {
        return Ok(n);
    }
    match value.as_f64().map(round) {
        // Within ±2^53, where every integer is exact.
        Some(n) if n.abs() <= 9_007_199_254_740_992.0 => Ok(n as i64),
        Some(_) => Err(malformed(format!("the claim {name} is out of range"))),
        None => Err(malformed(format!(
            "the claim {name} is not a number of seconds"
        ))),
    }
}

/// `base64url(header).base64url(payload)` of two JSON values.
pub(super) fn signing_input(header: &Value, payload: &Value) -> String {
    let mut out = B64.encode(header.to_string());
    out.push('.');
    out.push_str(&B64.encode(payload.to_string()));
    out
}

/// `signing_input.base64url(signature)`.
pub(super) fn join(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", B64.encode(signature))
}
