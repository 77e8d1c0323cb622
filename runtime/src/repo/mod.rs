//! Repositories: typed record operations, blobs, and reading a repository export (feature
//! `cbor`).
//!
//! [`Records`] creates, reads, lists, updates and deletes records of any generated record type
//! in one repository, the collection taken from the type's NSID, so that no collection string
//! is spelled for a type you have. Each record is validated against its lexicon before it is
//! sent, and read back into its type and validated. [`upload_blob`], [`get_blob`] and
//! [`get_repo`] move binary content; [`Repository`] reads a repository export (a CAR) and walks
//! its tree to `(collection, rkey, cid)`.
//!
//! ```no_run
//! # mod lexicons { atlex::lexicon!({ "lexicon": 1, "id": "app.bsky.feed.post", "defs": { "main": {
//! #   "type": "record", "key": "tid", "record": { "type": "object", "required": ["text", "createdAt"],
//! #   "properties": { "text": { "type": "string" }, "createdAt": { "type": "string", "format": "datetime" } } } } } }); }
//! # use lexicons::app::bsky::feed::post;
//! use atlex::repo::Records;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let session = atlex::xrpc::Session::new(atlex::Client::new("https://bsky.social")?);
//! session.login("alice.bsky.social", "app-password", None).await?;
//! let records = Records::of_session(&session)?;
//!
//! let post = post::Record::new("hello".into(), atlex::types::Datetime::now());
//! let expected = atlex::cbor::cid(&post)?; // the CID the PDS will give it
//! let written = records.create(&post).await?;
//! assert_eq!(written.cid.as_str(), expected.as_str());
//!
//! let rkey = written.uri.rkey().unwrap_or_default().parse()?;
//! let fetched = records.get::<post::Record>(&rkey).await?;
//! assert_eq!(fetched.value, post);
//! records.delete::<post::Record>(&rkey, None).await?;
//! # Ok(()) }
//! ```

pub mod methods;
mod mst;

pub use mst::{
    build_tree, common_prefix_len, key_error, key_height, walk_tree, Commit, Entry, RepoError,
    Repository, MAX_RECORD_SIZE,
};

use crate::types::{AtIdentifier, AtUri, Blob, Cid, Did, RecordKey, Unknown};
use crate::xrpc::{
    Body, DecodeError, Error, InvalidOutput, NoError, Session, StatusCode, XrpcClient,
};
use crate::{Record, ValidationError};
use methods::{
    apply_writes, create_record, delete_record, get_blob as get_blob_m, get_record,
    get_repo as get_repo_m, list_records, put_record, upload_blob as upload_blob_m,
};
use std::borrow::Cow;
use std::fmt;

/// A record written: its AT-URI and the CID the server gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `at://did/collection/rkey`.
    pub uri: AtUri,
    /// The record's CID.
    pub cid: Cid,
}

impl Written {
    /// The record key, from the URI.
    pub fn rkey(&self) -> Option<RecordKey> {
        self.uri.rkey().and_then(|k| k.parse().ok())
    }
}

/// A record read: where it is, its CID, and its value in its type (validated).
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<R> {
    /// `at://did/collection/rkey`.
    pub uri: AtUri,
    /// The record's CID (always given by a PDS).
    pub cid: Option<Cid>,
    /// The record.
    pub value: R,
}

/// One page of [`Records::list`].
#[derive(Debug, Clone, PartialEq)]
pub struct Page<R> {
    /// The records of this page.
    pub records: Vec<Fetched<R>>,
    /// Where the next page starts; `None` on the last page.
    pub cursor: Option<String>,
}

/// How [`Records::list`] pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Records per page, 1 to 100 (the server's default, 50, when `None`).
    pub limit: Option<i64>,
    /// Where to start: the `cursor` of the previous page.
    pub cursor: Option<String>,
    /// Oldest first instead of newest first.
    pub reverse: bool,
}

/// One write of [`Records::apply_writes`].
#[derive(Debug, Clone)]
pub struct Write(apply_writes::InputWritesItem);

impl Write {
    /// Creates `record` (with a new TID key unless `rkey` is given).
    pub fn create<R: Record>(record: &R, rkey: Option<RecordKey>) -> Result<Self, ValidationError> {
        check_record(record, rkey.as_ref())?;
        let mut op = apply_writes::Create::new(nsid::<R>(), Unknown::from_typed(record)?);
        op.rkey = rkey;
        Ok(Write(apply_writes::InputWritesItem::Create(Box::new(op))))
    }

    /// Replaces the record at `rkey` with `record`.
    pub fn update<R: Record>(rkey: RecordKey, record: &R) -> Result<Self, ValidationError> {
        check_record(record, Some(&rkey))?;
        let op = apply_writes::Update::new(nsid::<R>(), rkey, Unknown::from_typed(record)?);
        Ok(Write(apply_writes::InputWritesItem::Update(Box::new(op))))
    }

    /// Deletes the record of type `R` at `rkey`.
    pub fn delete<R: Record>(rkey: RecordKey) -> Self {
        let op = apply_writes::Delete::new(nsid::<R>(), rkey);
        Write(apply_writes::InputWritesItem::Delete(Box::new(op)))
    }
}

/// What one write of [`Records::apply_writes`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteResult {
    /// A record was created.
    Created(Written),
    /// A record was replaced.
    Updated(Written),
    /// A record was deleted.
    Deleted,
}

/// Typed record operations on one repository, through any [`XrpcClient`] (writes need an
/// authenticated one, such as a logged-in [`Session`]).
pub struct Records<'c, C> {
    client: &'c C,
    repo: AtIdentifier,
}

impl<C> fmt::Debug for Records<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records").field("repo", &self.repo).finish()
    }
}

impl<C> Clone for Records<'_, C> {
    fn clone(&self) -> Self {
        Records {
            client: self.client,
            repo: self.repo.clone(),
        }
    }
}

/// The NSID of `R`, as the generated record's constant gives it (checked by the macro).
fn nsid<R: Record>() -> crate::types::Nsid {
    crate::types::Nsid::__new_unchecked_static(R::NSID)
}

fn invalid<E>(e: ValidationError) -> Error<E> {
    Error::InvalidRequest(e)
}

fn rule(text: String) -> ValidationError {
    ValidationError::new(crate::validate::Rule::Other(Cow::Owned(text)))
}

/// Validates a record before it is sent, and checks its key against the record's key kind.
fn check_record<R: Record>(record: &R, rkey: Option<&RecordKey>) -> Result<(), ValidationError> {
    record.validate()?;
    if let (Some(literal), Some(rkey)) = (R::KEY.strip_prefix("literal:"), rkey) {
        if rkey.as_str() != literal {
            return Err(rule(format!(
                "record key {:?}: {} records are keyed {literal:?}",
                rkey.as_str(),
                R::NSID
            )));
        }
    }
    if let (true, Some(rkey)) = (R::KEY == "tid", rkey) {
        if rkey.as_str().parse::<crate::types::Tid>().is_err() {
            return Err(rule(format!(
                "record key {:?}: {} records are keyed by TID",
                rkey.as_str(),
                R::NSID
            )));
        }
    }
    Ok(())
}

/// Reads a record's value into its type, as a response part.
fn typed<R: Record, E>(value: &Unknown) -> Result<R, Error<E>> {
    let record: R = value.to_typed().map_err(|e| {
        Error::Decode(DecodeError::new(
            StatusCode::OK,
            Some("application/json"),
            format!("the record is not a valid {}: {e}", R::NSID),
            b"",
        ))
    })?;
    record.validate().map_err(|error| {
        Error::InvalidResponse(InvalidOutput {
            status: StatusCode::OK,
            error,
        })
    })?;
    Ok(record)
}

impl<'c, C: XrpcClient> Records<'c, C> {
    /// Operations on the repository `repo` (a DID or handle) through `client`.
    pub fn new(client: &'c C, repo: impl Into<AtIdentifier>) -> Self {
        Records {
            client,
            repo: repo.into(),
        }
    }

    /// The repository these operations act on.
    pub fn repo(&self) -> &AtIdentifier {
        &self.repo
    }

    /// Creates `record` with a new key (a TID chosen by the server).
    pub async fn create<R: Record>(
        &self,
        record: &R,
    ) -> Result<Written, Error<create_record::Error>> {
        self.create_inner(record, None).await
    }

    /// Creates `record` at `rkey`.
    pub async fn create_at<R: Record>(
        &self,
        rkey: &RecordKey,
        record: &R,
    ) -> Result<Written, Error<create_record::Error>> {
        self.create_inner(record, Some(rkey.clone())).await
    }

    async fn create_inner<R: Record>(
        &self,
        record: &R,
        rkey: Option<RecordKey>,
    ) -> Result<Written, Error<create_record::Error>> {
        check_record(record, rkey.as_ref()).map_err(invalid)?;
        let value = Unknown::from_typed(record).map_err(invalid)?;
        let mut input = create_record::Input::new(self.repo.clone(), nsid::<R>(), value);
        input.rkey = rkey;
        let out = create_record::call(self.client, &input).await?;
        Ok(Written {
            uri: out.uri,
            cid: out.cid,
        })
    }

    /// Reads the record of type `R` at `rkey`.
    pub async fn get<R: Record>(
        &self,
        rkey: &RecordKey,
    ) -> Result<Fetched<R>, Error<get_record::Error>> {
        let params = get_record::Params::new(self.repo.clone(), nsid::<R>(), rkey.clone());
        let out = get_record::call(self.client, &params).await?;
        Ok(Fetched {
            value: typed::<R, _>(&out.value)?,
            uri: out.uri,
            cid: out.cid,
        })
    }

    /// One page of the records of type `R`.
    pub async fn list<R: Record>(&self, options: &ListOptions) -> Result<Page<R>, Error<NoError>> {
        let mut params = list_records::Params::new(self.repo.clone(), nsid::<R>());
        if let Some(limit) = options.limit {
            params.limit = limit;
        }
        params.cursor = options.cursor.clone();
        params.reverse = options.reverse.then_some(true);
        let out = list_records::call(self.client, &params).await?;
        let mut records = Vec::with_capacity(out.records.len());
        for r in out.records {
            records.push(Fetched {
                value: typed::<R, _>(&r.value)?,
                uri: r.uri,
                cid: Some(r.cid),
            });
        }
        Ok(Page {
            records,
            cursor: out.cursor,
        })
    }

    /// Writes `record` at `rkey`, creating or replacing it. With `swap`, only if the current
    /// record has that CID (`Some(None)`: only if there is none); otherwise the server answers
    /// `InvalidSwap` ([`put_record::Error::InvalidSwap`]).
    pub async fn put<R: Record>(
        &self,
        rkey: &RecordKey,
        record: &R,
        swap: Option<Option<Cid>>,
    ) -> Result<Written, Error<put_record::Error>> {
        check_record(record, Some(rkey)).map_err(invalid)?;
        let value = Unknown::from_typed(record).map_err(invalid)?;
        let mut input = put_record::Input::new(self.repo.clone(), nsid::<R>(), rkey.clone(), value);
        input.swap_record = swap;
        let out = put_record::call(self.client, &input).await?;
        Ok(Written {
            uri: out.uri,
            cid: out.cid,
        })
    }

    /// Deletes the record of type `R` at `rkey` (nothing happens when there is none). With
    /// `swap`, only if the current record has that CID.
    pub async fn delete<R: Record>(
        &self,
        rkey: &RecordKey,
        swap: Option<Cid>,
    ) -> Result<(), Error<delete_record::Error>> {
        let mut input = delete_record::Input::new(self.repo.clone(), nsid::<R>(), rkey.clone());
        input.swap_record = swap;
        delete_record::call(self.client, &input).await.map(drop)
    }

    /// Applies `writes` in one commit: all or none.
    pub async fn apply_writes(
        &self,
        writes: Vec<Write>,
    ) -> Result<Vec<WriteResult>, Error<apply_writes::Error>> {
        let input =
            apply_writes::Input::new(self.repo.clone(), writes.into_iter().map(|w| w.0).collect());
        let out = apply_writes::call(self.client, &input).await?;
        Ok(out
            .results
            .unwrap_or_default()
            .into_iter()
            .map(|r| match r {
                apply_writes::OutputResultsItem::CreateResult(c) => WriteResult::Created(Written {
                    uri: c.uri,
                    cid: c.cid,
                }),
                apply_writes::OutputResultsItem::UpdateResult(u) => WriteResult::Updated(Written {
                    uri: u.uri,
                    cid: u.cid,
                }),
                apply_writes::OutputResultsItem::DeleteResult(_) => WriteResult::Deleted,
            })
            .collect())
    }
}

impl<'c, C: XrpcClient> Records<'c, Session<C>> {
    /// Operations on the logged-in account's own repository.
    pub fn of_session(session: &'c Session<C>) -> Result<Self, Error<NoError>> {
        match session.data() {
            Some(data) => Ok(Records::new(session, data.did)),
            None => Err(invalid(rule(
                "not logged in: call Session::login first".to_owned(),
            ))),
        }
    }
}

/// Checks a MIME type given for an upload: `type/subtype`, no wildcard.
fn check_mime(mime_type: &str) -> Result<(), ValidationError> {
    let essence = mime_type.split(';').next().unwrap_or("").trim();
    let ok = essence
        .split_once('/')
        .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty() && !essence.contains('*'))
        && mime_type.is_ascii()
        && !mime_type.chars().any(|c| c.is_ascii_control());
    if ok {
        Ok(())
    } else {
        Err(rule(format!(
            "MIME type {:?}: give the content's own type, such as image/png (not a wildcard)",
            mime_type.chars().take(100).collect::<String>()
        )))
    }
}

/// Uploads a blob with its MIME type (`image/png`; never a wildcard) and returns the blob to
/// embed in a record. Needs an authenticated client.
pub async fn upload_blob(
    client: &impl XrpcClient,
    mime_type: &str,
    bytes: impl Into<bytes::Bytes>,
) -> Result<Blob, Error<NoError>> {
    check_mime(mime_type).map_err(invalid)?;
    let body = Body::new(mime_type, bytes);
    upload_blob_m::call(client, &body).await.map(|out| out.blob)
}

/// Uploads a blob read from `reader` (a file, a stream), at most `max_bytes` of it: the bytes
/// are read into memory, then sent as [`upload_blob`] does. More than `max_bytes` is an
/// error and nothing is sent.
pub async fn upload_blob_from<R: tokio::io::AsyncRead + Unpin>(
    client: &impl XrpcClient,
    mime_type: &str,
    reader: R,
    max_bytes: u64,
) -> Result<Blob, Error<NoError>> {
    use tokio::io::AsyncReadExt;
    check_mime(mime_type).map_err(invalid)?;
    let mut buf = Vec::new();
    let read = reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut buf)
        .await
        .map_err(|e| Error::Transport(crate::xrpc::TransportError::new(e)))?;
    if read as u64 > max_bytes {
        return Err(invalid(rule(format!(
            "the blob is larger than the {max_bytes} byte limit given"
        ))));
    }
    upload_blob(client, mime_type, buf).await
}

/// Downloads a blob: its bytes and content type.
pub async fn get_blob(
    client: &impl XrpcClient,
    did: &Did,
    cid: &Cid,
) -> Result<Body, Error<get_blob_m::Error>> {
    get_blob_m::call(client, &get_blob_m::Params::new(did.clone(), cid.clone())).await
}

/// Downloads a repository export (a CAR; read it with [`Repository::from_car`]).
pub async fn get_repo(
    client: &impl XrpcClient,
    did: &Did,
) -> Result<Body, Error<get_repo_m::Error>> {
    get_repo_m::call(client, &get_repo_m::Params::new(did.clone())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types() {
        for ok in [
            "image/png",
            "application/octet-stream",
            "text/plain; charset=utf-8",
        ] {
            assert!(check_mime(ok).is_ok(), "{ok}");
        }
        for bad in ["*/*", "image/*", "", "png", "/png", "image/", "a/b\n"] {
            assert!(check_mime(bad).is_err(), "{bad}");
        }
    }
}
