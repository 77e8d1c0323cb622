use crate::{Validate, ValidationError};
use bytes::Bytes;
use std::fmt;

/// A request or response body: JSON for generated types, raw bytes for [`Body`], none for `()`.
pub trait Payload: Sized + Send + Sync + 'static {
    /// Encodes the body: its bytes and content type, or `None` for no body.
    fn encode(&self) -> Result<Option<(Bytes, String)>, String>;
    /// Decodes a body received with `content_type`.
    fn decode(content_type: Option<&str>, body: Bytes) -> Result<Self, String>;
    /// Checks the lexicon's constraints on the decoded body.
    fn check(&self) -> Result<(), ValidationError>;
}

/// Generated JSON body types implement this marker; they are then a [`Payload`].
#[doc(hidden)]
pub trait JsonPayload:
    serde::Serialize + serde::de::DeserializeOwned + Validate + Send + Sync + 'static
{
}

/// Every type that reads and writes JSON and validates (every generated type) is a JSON body.
impl<T> JsonPayload for T where
    T: serde::Serialize + serde::de::DeserializeOwned + Validate + Send + Sync + 'static
{
}

impl<T: JsonPayload> Payload for T {
    fn encode(&self) -> Result<Option<(Bytes, String)>, String> {
        let bytes = serde_json::to_vec(self).map_err(|e| e.to_string())?;
        Ok(Some((Bytes::from(bytes), "application/json".to_owned())))
    }

    fn decode(content_type: Option<&str>, body: Bytes) -> Result<Self, String> {
        match content_type {
            Some(ct) if is_json(ct) => {}
            Some(ct) => {
                return Err(format!(
                    "expected application/json, got content type {ct:?}"
                ))
            }
            None => return Err("expected application/json, got no content type".to_owned()),
        }
        // The fast path; on failure, read again to name where the body went wrong.
        serde_json::from_slice(&body).map_err(|e| {
            let mut de = serde_json::Deserializer::from_slice(&body);
            match serde_path_to_error::deserialize::<_, Self>(&mut de) {
                Err(located) if located.path().iter().next().is_some() => {
                    format!(
                        "invalid JSON body at `{}`: {}",
                        located.path(),
                        located.inner()
                    )
                }
                _ => format!("invalid JSON body: {e}"),
            }
        })
    }

    fn check(&self) -> Result<(), ValidationError> {
        self.validate()
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

impl Payload for () {
    fn encode(&self) -> Result<Option<(Bytes, String)>, String> {
        Ok(None)
    }
    fn decode(_: Option<&str>, _: Bytes) -> Result<Self, String> {
        Ok(())
    }
    fn check(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// A body in an encoding other than JSON (`*/*`, `application/vnd.ipld.car`, `image/png`...):
/// the bytes and their content type.
#[derive(Clone, PartialEq, Eq)]
pub struct Body {
    /// The MIME type sent as `Content-Type`.
    pub content_type: String,
    /// The bytes.
    pub bytes: Bytes,
}

impl Body {
    /// A body of `bytes` with `content_type`.
    pub fn new(content_type: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Body {
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Payload for Body {
    fn encode(&self) -> Result<Option<(Bytes, String)>, String> {
        Ok(Some((self.bytes.clone(), self.content_type.clone())))
    }
    fn decode(content_type: Option<&str>, body: Bytes) -> Result<Self, String> {
        Ok(Body {
            content_type: content_type
                .unwrap_or("application/octet-stream")
                .to_owned(),
            bytes: body,
        })
    }
    fn check(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}
