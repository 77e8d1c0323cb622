use crate::{Validate, ValidationError};
use serde_json::{Map, Value};
use std::fmt;

/// How one query parameter is written in and read from a query string.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A string (any format).
    String,
    /// An integer.
    Integer,
    /// A boolean (`true` / `false`).
    Boolean,
    /// Any of the above, as the lexicon's `unknown` is not allowed in params.
    Array(&'static ParamKind),
}

/// The query parameters of a method: a generated `Params` struct, or [`NoParams`].
pub trait Params:
    serde::Serialize + serde::de::DeserializeOwned + Validate + Send + Sync + 'static
{
    /// Every parameter's wire name and kind, in lexicon order.
    #[doc(hidden)]
    const FIELDS: &'static [(&'static str, ParamKind)];

    /// The parameters as query pairs, arrays as repeated keys, absent ones omitted.
    fn to_query(&self) -> Result<Vec<(String, String)>, ParamsError> {
        let value = serde_json::to_value(self).map_err(|e| ParamsError(e.to_string()))?;
        let mut out = Vec::new();
        if let Value::Object(map) = value {
            for (name, _) in Self::FIELDS {
                match map.get(*name) {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(items)) => {
                        for item in items {
                            out.push(((*name).to_owned(), scalar(item)?));
                        }
                    }
                    Some(v) => out.push(((*name).to_owned(), scalar(v)?)),
                }
            }
        }
        Ok(out)
    }

    /// Parses query pairs (arrays as repeated keys) into the parameters. Unknown keys are
    /// ignored, as XRPC servers do.
    fn from_query(pairs: &[(String, String)]) -> Result<Self, ParamsError> {
        let mut map = Map::new();
        for (name, kind) in Self::FIELDS {
            let values: Vec<&str> = pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect();
            if values.is_empty() {
                continue;
            }
            let value = match kind {
                ParamKind::Array(inner) => Value::Array(
                    values
                        .iter()
                        .map(|v| parse_scalar(name, inner, v))
                        .collect::<Result<_, _>>()?,
                ),
                _ => {
                    if values.len() > 1 {
                        return Err(ParamsError(format!(
                            "parameter `{name}` given {} times but takes one value",
                            values.len()
                        )));
                    }
                    parse_scalar(name, kind, values[0])?
                }
            };
            map.insert((*name).to_owned(), value);
        }
        serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
            if e.path().iter().next().is_some() {
                ParamsError(format!("parameter `{}`: {}", e.path(), e.inner()))
            } else {
                ParamsError(e.inner().to_string())
            }
        })
    }
}

fn scalar(v: &Value) -> Result<String, ParamsError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(ParamsError(format!(
            "a query parameter cannot hold {other}"
        ))),
    }
}

fn parse_scalar(name: &str, kind: &ParamKind, v: &str) -> Result<Value, ParamsError> {
    match kind {
        ParamKind::String => Ok(Value::String(v.to_owned())),
        ParamKind::Integer => v
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| ParamsError(format!("parameter `{name}` must be an integer, got {v:?}"))),
        ParamKind::Boolean => match v {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(ParamsError(format!(
                "parameter `{name}` must be true or false, got {v:?}"
            ))),
        },
        ParamKind::Array(_) => Err(ParamsError(format!(
            "parameter `{name}` is an array of arrays, which XRPC does not allow"
        ))),
    }
}

/// Query parameters that could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamsError(pub String);

impl fmt::Display for ParamsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid query parameters: {}", self.0)
    }
}

impl std::error::Error for ParamsError {}

/// The parameters of a method that declares none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NoParams {}

impl Validate for NoParams {
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

impl Params for NoParams {
    const FIELDS: &'static [(&'static str, ParamKind)] = &[];
}

/// Splits a query string into decoded pairs (`+` is a space, `%XX` a byte).
#[doc(hidden)]
pub fn parse_query_string(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (
                    bytes.get(i + 1).and_then(|b| hex(*b)),
                    bytes.get(i + 2).and_then(|b| hex(*b)),
                ) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        assert_eq!(
            parse_query_string("a=1&b=x+y&b=%F0%9F%98%80&c&d=%zz&e=%4"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("b".into(), "😀".into()),
                ("c".into(), "".into()),
                ("d".into(), "%zz".into()),
                ("e".into(), "%4".into()),
            ]
        );
    }
}
