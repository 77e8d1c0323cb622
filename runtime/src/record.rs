use crate::Validate;

/// A record type: the `Record` struct generated for a record document's `main`.
pub trait Record:
    serde::Serialize + serde::de::DeserializeOwned + Validate + Clone + Send + Sync + 'static
{
    /// The record's collection NSID (also its `$type`).
    const NSID: &'static str;
    /// The record key kind: `tid`, `nsid`, `any` or `literal:<value>`.
    const KEY: &'static str;
}
