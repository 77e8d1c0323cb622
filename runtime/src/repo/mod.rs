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
//! use atlex::repo::{Records, Swap};
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
//! let fetched = records.get::<post::Record>(written.rkey()).await?;
//! assert_eq!(fetched.value, post);
//!
//! // Edit it only if nobody changed it since it was read (else `InvalidSwap`).
//! let edited = post::Record { text: "hello, world".into(), ..fetched.value.clone() };
//! records.put_if(fetched.rkey(), &edited, Swap::Cid(fetched.cid.clone())).await?;
//! records.delete::<post::Record>(written.rkey()).await?;
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
    Body, DecodeError, Error, InvalidOutput, NoError, NotLoggedIn, Session, StatusCode, XrpcClient,
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
    rkey: RecordKey,
}

impl Written {
    /// The record's key: the last segment of [`Written::uri`] (a URI from the server without
    /// a valid one is a decode error of the call that returned it).
    pub fn rkey(&self) -> &RecordKey {
        &self.rkey
    }
}

/// A record read: where it is, its CID, and its value in its type (validated).
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<R> {
    /// `at://did/collection/rkey`.
    pub uri: AtUri,
    /// The record's CID (an answer without it is a decode error).
    pub cid: Cid,
    /// The record.
    pub value: R,
    rkey: RecordKey,
}

impl<R> Fetched<R> {
    /// The record's key: the last segment of [`Fetched::uri`] (a URI from the server without
    /// a valid one is a decode error of the call that returned it).
    pub fn rkey(&self) -> &RecordKey {
        &self.rkey
    }
}

/// One page of [`Records::list`].
#[derive(Debug, Clone, PartialEq)]
pub struct Page<R> {
    /// The records of this page.
    pub records: Vec<Fetched<R>>,
    /// Where the next page starts; `None` on the last page.
    pub cursor: Option<String>,
}

/// The condition [`Records::put_if`] puts on the record currently at the key: a
/// compare-and-swap (the lexicon's `swapRecord`). When the record there does not meet it, the
/// server refuses the write with `InvalidSwap`
/// ([`put_record::Error::InvalidSwap`]) and nothing changes.
///
/// ```no_run
/// # mod lexicons { atlex::lexicon!({ "lexicon": 1, "id": "app.bsky.actor.profile", "defs": { "main": {
/// #   "type": "record", "key": "literal:self", "record": { "type": "object",
/// #   "properties": { "displayName": { "type": "string" } } } } } }); }
/// # use lexicons::app::bsky::actor::profile;
/// use atlex::repo::{methods::put_record, Records, Swap};
/// use atlex::types::RecordKey;
///
/// # async fn run(records: Records<'_, atlex::xrpc::Session<atlex::Client>>) -> Result<(), Box<dyn std::error::Error>> {
/// let me = RecordKey::new("self")?;
/// let current = records.get::<profile::Record>(&me).await?;
/// let renamed = profile::Record { display_name: Some("Alice".into()), ..current.value.clone() };
/// match records.put_if(&me, &renamed, Swap::Cid(current.cid.clone())).await {
///     Ok(_) => println!("renamed"),
///     Err(e) if matches!(e.known(), Some(put_record::Error::InvalidSwap(_))) => {
///         println!("changed elsewhere since it was read: read it again and redo the edit");
///     }
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Swap {
    /// No condition: create the record, or replace whatever is there ([`Records::put`]).
    #[default]
    Any,
    /// Replace the record only if it is the one with this CID (as read with
    /// [`Records::get`]): no change made elsewhere since is lost. Refused when there is no
    /// record at the key.
    Cid(Cid),
    /// Create the record only if there is none at the key: never replace one.
    Absent,
}

impl Swap {
    /// The `swapRecord` of `com.atproto.repo.putRecord`: absent, a CID, or null.
    fn swap_record(self) -> Option<Option<Cid>> {
        match self {
            Swap::Any => None,
            Swap::Cid(cid) => Some(Some(cid)),
            Swap::Absent => Some(None),
        }
    }
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
    ValidationError::new(crate::validate::Rule::Request(Cow::Owned(text)))
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

/// A response part that is not what the lexicon promises, as a decode error naming the method.
fn malformed<E>(nsid: &str, reason: String) -> Error<E> {
    Error::Decode(DecodeError::new(
        StatusCode::OK,
        Some("application/json"),
        format!("the {nsid} answer: {reason}"),
        b"",
    ))
}

/// The record key of a record's URI as the server gave it.
fn rkey_of<E>(nsid: &str, uri: &AtUri) -> Result<RecordKey, Error<E>> {
    let Some(rkey) = uri.rkey() else {
        return Err(malformed(
            nsid,
            format!("the URI {uri} has no record key (at://repo/collection/rkey expected)"),
        ));
    };
    rkey.parse()
        .map_err(|e| malformed(nsid, format!("the URI {uri}: its record key: {e}")))
}

impl Written {
    /// A write's answer, its URI checked for a record key.
    fn read<E>(nsid: &str, uri: AtUri, cid: Cid) -> Result<Written, Error<E>> {
        let rkey = rkey_of(nsid, &uri)?;
        Ok(Written { uri, cid, rkey })
    }
}

impl<R: Record> Fetched<R> {
    /// A read's answer: its URI checked for a record key, its CID required, its value read
    /// into `R` and validated.
    fn read<E>(
        nsid: &str,
        uri: AtUri,
        cid: Option<Cid>,
        value: &Unknown,
    ) -> Result<Fetched<R>, Error<E>> {
        let rkey = rkey_of(nsid, &uri)?;
        let Some(cid) = cid else {
            return Err(malformed(
                nsid,
                format!("the record {uri} comes without its `cid`, which a PDS always gives"),
            ));
        };
        Ok(Fetched {
            value: typed::<R, _>(value)?,
            uri,
            cid,
            rkey,
        })
    }
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
        Written::read(create_record::NSID, out.uri, out.cid)
    }

    /// Reads the record of type `R` at `rkey`.
    pub async fn get<R: Record>(
        &self,
        rkey: &RecordKey,
    ) -> Result<Fetched<R>, Error<get_record::Error>> {
        let params = get_record::Params::new(self.repo.clone(), nsid::<R>(), rkey.clone());
        let out = get_record::call(self.client, &params).await?;
        Fetched::read(get_record::NSID, out.uri, out.cid, &out.value)
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
            records.push(Fetched::read(
                list_records::NSID,
                r.uri,
                Some(r.cid),
                &r.value,
            )?);
        }
        Ok(Page {
            records,
            cursor: out.cursor,
        })
    }

    /// Writes `record` at `rkey`: creates it, or replaces the record there. To make the write
    /// depend on what is there, see [`Records::put_if`].
    pub async fn put<R: Record>(
        &self,
        rkey: &RecordKey,
        record: &R,
    ) -> Result<Written, Error<put_record::Error>> {
        self.put_if(rkey, record, Swap::Any).await
    }

    /// Writes `record` at `rkey` if the record there meets `swap` (see [`Swap`]): with
    /// [`Swap::Cid`] only over the record with that CID, with [`Swap::Absent`] only where there
    /// is none. Otherwise the server answers `InvalidSwap`
    /// ([`put_record::Error::InvalidSwap`]) and nothing changes.
    ///
    /// A record equal to the one already there is a success whatever `swap` says: the
    /// reference PDS writes nothing then, and checks nothing.
    pub async fn put_if<R: Record>(
        &self,
        rkey: &RecordKey,
        record: &R,
        swap: Swap,
    ) -> Result<Written, Error<put_record::Error>> {
        check_record(record, Some(rkey)).map_err(invalid)?;
        let value = Unknown::from_typed(record).map_err(invalid)?;
        let mut input = put_record::Input::new(self.repo.clone(), nsid::<R>(), rkey.clone(), value);
        input.swap_record = swap.swap_record();
        let out = put_record::call(self.client, &input).await?;
        Written::read(put_record::NSID, out.uri, out.cid)
    }

    /// Deletes the record of type `R` at `rkey` (a success when there is none). To make the
    /// delete depend on what is there, see [`Records::delete_if`].
    pub async fn delete<R: Record>(
        &self,
        rkey: &RecordKey,
    ) -> Result<(), Error<delete_record::Error>> {
        self.delete_inner::<R>(rkey, None).await
    }

    /// Deletes the record of type `R` at `rkey` only if it is the one with CID `cid`: otherwise
    /// the server answers `InvalidSwap` ([`delete_record::Error::InvalidSwap`]) and nothing
    /// changes. When there is no record at `rkey` this is a success, as [`Records::delete`].
    pub async fn delete_if<R: Record>(
        &self,
        rkey: &RecordKey,
        cid: &Cid,
    ) -> Result<(), Error<delete_record::Error>> {
        self.delete_inner::<R>(rkey, Some(cid.clone())).await
    }

    async fn delete_inner<R: Record>(
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
        let nsid = apply_writes::NSID;
        out.results
            .unwrap_or_default()
            .into_iter()
            .map(|r| match r {
                apply_writes::OutputResultsItem::CreateResult(c) => {
                    Written::read(nsid, c.uri, c.cid).map(WriteResult::Created)
                }
                apply_writes::OutputResultsItem::UpdateResult(u) => {
                    Written::read(nsid, u.uri, u.cid).map(WriteResult::Updated)
                }
                apply_writes::OutputResultsItem::DeleteResult(_) => Ok(WriteResult::Deleted),
            })
            .collect()
    }
}

impl<'c, C: XrpcClient> Records<'c, Session<C>> {
    /// Operations on the logged-in account's own repository; [`NotLoggedIn`] before
    /// [`Session::login`] (or after a logout).
    pub fn of_session(session: &'c Session<C>) -> Result<Self, NotLoggedIn> {
        match session.data() {
            Some(data) => Ok(Records::new(session, data.did)),
            None => Err(NotLoggedIn),
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
    use crate::xrpc::{Client, Transport, TransportError};
    use std::sync::{Arc, Mutex};

    crate::lexicon!({
        "lexicon": 1,
        "id": "com.example.note",
        "defs": { "main": { "type": "record", "key": "any", "record": {
            "type": "object", "required": ["text"],
            "properties": { "text": { "type": "string" } } } } }
    });
    use com::example::note;

    const DID: &str = "did:plc:abcdefghijklmnopqrstuvwx";
    const CID: &str = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a";

    /// A server that answers every request with one JSON body, and keeps the requests.
    #[derive(Clone)]
    struct Canned {
        answer: serde_json::Value,
        seen: Arc<Mutex<Vec<http::Request<bytes::Bytes>>>>,
    }

    impl Transport for Canned {
        async fn send(
            &self,
            request: http::Request<bytes::Bytes>,
        ) -> Result<http::Response<bytes::Bytes>, TransportError> {
            self.seen.lock().unwrap().push(request);
            Ok(http::Response::builder()
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&self.answer).unwrap().into())
                .unwrap())
        }
    }

    fn canned(answer: serde_json::Value) -> (Client<Canned>, Canned) {
        let t = Canned {
            answer,
            seen: Default::default(),
        };
        (
            Client::with_transport("http://pds.test", t.clone()).unwrap(),
            t,
        )
    }

    fn key(k: &str) -> RecordKey {
        k.parse().unwrap()
    }

    fn record() -> serde_json::Value {
        serde_json::json!({"$type": "com.example.note", "text": "hi"})
    }

    fn decode_reason<T: fmt::Debug, E: fmt::Debug>(r: Result<T, Error<E>>) -> String {
        match r {
            Err(Error::Decode(e)) => e.reason,
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_record_read_or_written_has_its_key_and_cid() {
        let uri = format!("at://{DID}/com.example.note/k1");
        let (client, _) = canned(serde_json::json!({"uri": uri, "cid": CID, "value": record()}));
        let records = Records::new(&client, DID.parse::<Did>().unwrap());
        let got = records.get::<note::Record>(&key("k1")).await.unwrap();
        assert_eq!((got.rkey().as_str(), got.cid.as_str()), ("k1", CID));
        let (client, _) = canned(serde_json::json!({"uri": uri, "cid": CID}));
        let records = Records::new(&client, DID.parse::<Did>().unwrap());
        let w = records
            .create(&note::Record::new("hi".into()))
            .await
            .unwrap();
        assert_eq!((w.rkey().as_str(), w.cid.as_str()), ("k1", CID));
    }

    #[tokio::test]
    async fn a_record_without_its_cid_or_key_is_a_decode_error() {
        let did: Did = DID.parse().unwrap();
        // getRecord's lexicon has `cid` optional: a PDS always gives it.
        let uri = format!("at://{DID}/com.example.note/k1");
        let (client, _) = canned(serde_json::json!({"uri": uri, "value": record()}));
        let reason = decode_reason(
            Records::new(&client, did.clone())
                .get::<note::Record>(&key("k1"))
                .await,
        );
        assert_eq!(
            reason,
            format!(
                "the com.atproto.repo.getRecord answer: the record {uri} comes without its \
                 `cid`, which a PDS always gives"
            )
        );
        // A URI without a record key, from each call that returns one.
        let bare = format!("at://{DID}/com.example.note");
        let no_key =
            format!("the URI {bare} has no record key (at://repo/collection/rkey expected)");
        let (client, _) = canned(serde_json::json!({"uri": bare, "cid": CID, "value": record()}));
        let records = Records::new(&client, did.clone());
        let reason = decode_reason(records.get::<note::Record>(&key("k1")).await);
        assert_eq!(
            reason,
            format!("the com.atproto.repo.getRecord answer: {no_key}")
        );
        let (client, _) = canned(serde_json::json!({"uri": bare, "cid": CID}));
        let records = Records::new(&client, did.clone());
        let note = note::Record::new("hi".into());
        let reason = decode_reason(records.create(&note).await);
        assert_eq!(
            reason,
            format!("the com.atproto.repo.createRecord answer: {no_key}")
        );
        let reason = decode_reason(records.put(&key("k1"), &note).await);
        assert_eq!(
            reason,
            format!("the com.atproto.repo.putRecord answer: {no_key}")
        );
        let (client, _) = canned(serde_json::json!({"records": [
            {"uri": uri, "cid": CID, "value": record()},
            {"uri": bare, "cid": CID, "value": record()},
        ]}));
        let records = Records::new(&client, did.clone());
        let reason = decode_reason(records.list::<note::Record>(&ListOptions::default()).await);
        assert_eq!(
            reason,
            format!("the com.atproto.repo.listRecords answer: {no_key}")
        );
        let (client, _) = canned(serde_json::json!({"results": [
            {"$type": "com.atproto.repo.applyWrites#createResult", "uri": bare, "cid": CID},
        ]}));
        let records = Records::new(&client, did.clone());
        let write = Write::create(&note, None).unwrap();
        let reason = decode_reason(records.apply_writes(vec![write]).await);
        assert_eq!(
            reason,
            format!("the com.atproto.repo.applyWrites answer: {no_key}")
        );
        // A key that is not a record key (refused with the URI itself).
        let odd = format!("at://{DID}/com.example.note/a%20b");
        let (client, _) = canned(serde_json::json!({"uri": odd, "cid": CID}));
        let records = Records::new(&client, did);
        let reason = decode_reason(records.create(&note).await);
        assert!(
            reason.contains("the record key of an AT URI must be a valid record key"),
            "{reason}"
        );
    }

    #[tokio::test]
    async fn each_swap_sends_its_swap_record() {
        let uri = format!("at://{DID}/com.example.note/k1");
        let (client, server) = canned(serde_json::json!({"uri": uri, "cid": CID}));
        let records = Records::new(&client, DID.parse::<Did>().unwrap());
        let note = note::Record::new("hi".into());
        let cid: Cid = CID.parse().unwrap();
        records.put(&key("k1"), &note).await.unwrap();
        for swap in [Swap::Any, Swap::Cid(cid.clone()), Swap::Absent] {
            records.put_if(&key("k1"), &note, swap).await.unwrap();
        }
        records.delete::<note::Record>(&key("k1")).await.unwrap();
        records
            .delete_if::<note::Record>(&key("k1"), &cid)
            .await
            .unwrap();
        let sent: Vec<(String, Option<serde_json::Value>)> = server
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|r| {
                let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
                let nsid = r.uri().path().trim_start_matches("/xrpc/").to_owned();
                (nsid, body.get("swapRecord").cloned())
            })
            .collect();
        let put = "com.atproto.repo.putRecord".to_owned();
        let delete = "com.atproto.repo.deleteRecord".to_owned();
        assert_eq!(
            sent,
            [
                (put.clone(), None),
                (put.clone(), None),
                (put.clone(), Some(serde_json::json!(CID))),
                (put, Some(serde_json::Value::Null)),
                (delete.clone(), None),
                (delete, Some(serde_json::json!(CID))),
            ]
        );
    }

    #[test]
    fn records_of_a_session_not_logged_in() {
        let session = Session::new(Client::new("http://pds.test").unwrap());
        let e = Records::of_session(&session).unwrap_err();
        assert_eq!(e, NotLoggedIn);
        assert_eq!(
            e.to_string(),
            "the session is not logged in: call Session::login first"
        );
        // As an XRPC error, where a call needs one: nothing was sent.
        let e: Error<NoError> = e.into();
        assert_eq!(
            e.to_string(),
            "invalid request, nothing was sent: the session is not logged in: call \
             Session::login first"
        );
    }

    #[tokio::test]
    async fn a_request_refused_before_sending_says_why_in_its_own_words() {
        let (client, server) = canned(serde_json::json!({}));
        let e = upload_blob(&client, "image/*", &b"x"[..])
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid request, nothing was sent: MIME type \"image/*\": give the content's own \
             type, such as image/png (not a wildcard)"
        );
        let e = upload_blob_from(&client, "image/png", &b"12345"[..], 4)
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid request, nothing was sent: the blob is larger than the 4 byte limit given"
        );
        // A record key the record's kind does not allow.
        crate::lexicon!({
            "lexicon": 1,
            "id": "com.example.profile",
            "defs": { "main": { "type": "record", "key": "literal:self", "record": {
                "type": "object", "properties": {} } } }
        });
        let records = Records::new(&client, DID.parse::<Did>().unwrap());
        let e = records
            .put(&key("other"), &com::example::profile::Record::default())
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid request, nothing was sent: record key \"other\": com.example.profile \
             records are keyed \"self\""
        );
        assert!(server.seen.lock().unwrap().is_empty(), "nothing was sent");
    }

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
