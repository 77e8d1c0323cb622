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

/// A set of record types, chosen by collection: what `lexicon!` generates as `AnyRecord` for
/// the records of its documents. A record whose collection is only known at run time (in a
/// repository, on the event stream) is read through it into its generated type, and a record
/// of any other collection into [`crate::types::Unknown`].
pub trait RecordSet: Sized + Send + 'static {
    /// Reads a record of `collection` with `reader`: as its generated type where the set has
    /// one, as [`crate::types::Unknown`] otherwise.
    fn read<X: RecordReader>(collection: &str, reader: X) -> Result<Self, X::Error>;
}

/// Reads one record, in whatever encoding it comes (DAG-CBOR in a repository or on the event
/// stream): given to [`RecordSet::read`].
pub trait RecordReader {
    /// What goes wrong.
    type Error;
    /// The record as its generated type, decoded and validated.
    fn read<R: Record>(self) -> Result<R, Self::Error>;
    /// The record as data, for a collection the set does not know.
    fn read_unknown(self) -> Result<crate::types::Unknown, Self::Error>;
}
