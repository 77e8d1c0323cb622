//! A repository read from its CAR: the signed commit, the Merkle Search Tree walked to
//! `(collection, rkey, cid)`, and records decoded into their generated types.

use crate::car::{AsyncCarReader, Block, CarError, CarReader};
use crate::types::{Bytes as DataBytes, CidLink, Did, Nsid, RecordKey};
use crate::{cbor, Record};
use bytes::Bytes;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A repository that can not be read: a bad CAR, a missing or malformed commit or tree node,
/// or a record that does not decode into its type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RepoError {
    /// The CAR itself is malformed.
    Car(CarError),
    /// The CAR holds no commit, or the commit is not one.
    Commit(String),
    /// The tree is malformed (a node that does not decode, keys out of order, a node reached
    /// twice, a key at the wrong height, a block missing).
    Tree(String),
    /// A record's block is missing or does not decode into its type.
    Record {
        /// The record's path, `collection/rkey`.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for RepoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RepoError::Car(e) => fmt::Display::fmt(e, f),
            RepoError::Commit(e) => write!(f, "invalid repository commit: {e}"),
            RepoError::Tree(e) => write!(f, "invalid repository tree: {e}"),
            RepoError::Record { path, reason } => write!(f, "record {path}: {reason}"),
        }
    }
}

impl std::error::Error for RepoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RepoError::Car(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CarError> for RepoError {
    fn from(e: CarError) -> Self {
        RepoError::Car(e)
    }
}

/// The largest record a repository holds, in bytes of DAG-CBOR: one million.
///
/// The sync spec states it for the record blocks of a `#commit` event ("a hard limit of one
/// million bytes") and as the record size limit services check. A larger record block is
/// refused where a record is read ([`Repository::decode`]); the CAR reader's own block limit
/// ([`crate::car::DEFAULT_MAX_BLOCK`]) is a looser bound on any block.
pub const MAX_RECORD_SIZE: usize = 1_000_000;

/// A repository's signed commit, as the repository spec and `@atproto/repo` define it.
///
/// Version 3: `did`, `version`, `data`, `rev` (a TID) and `sig` are required, and `prev` must
/// be present, `null` or a link. Version 2 (still read): the same, but `rev` may be absent.
/// Other versions are refused. `data` and `prev` link to DAG-CBOR blocks (codec `0x71`).
/// Decoding a `Commit` checks all of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "RawCommit")]
pub struct Commit {
    /// The account the repository belongs to.
    pub did: Did,
    /// The repository format version (3, or 2 for an old repository).
    pub version: i64,
    /// The root of the record tree.
    pub data: CidLink,
    /// The revision, a TID that grows with every commit (checked to be one); empty only for a
    /// version 2 commit that has none.
    pub rev: String,
    /// The previous commit (`null` in nearly every version 3 commit, kept as found).
    pub prev: Option<CidLink>,
    /// The signature over the unsigned commit, by the account's signing key (not checked
    /// here: that needs the account's DID document).
    pub sig: DataBytes,
}

/// A commit as written, before its rules are checked.
#[derive(serde::Deserialize)]
struct RawCommit {
    did: Did,
    version: i64,
    data: CidLink,
    /// `None` when absent (`null` is refused: it is not a string).
    #[serde(default, deserialize_with = "present")]
    rev: Option<String>,
    /// `None` when absent, `Some(None)` when `null`.
    #[serde(default, deserialize_with = "present")]
    prev: Option<Option<CidLink>>,
    sig: DataBytes,
}

/// A field that is present (with whatever value `T` takes, `null` included for an `Option`).
fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A field that must be present and may be `null`.
fn nullable<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d)
}

/// Why a link to a tree node or a commit is not one the repository spec allows (it must name
/// a DAG-CBOR block).
fn not_dag_cbor(cid: &CidLink) -> Option<String> {
    let codec = cid.as_binary().codec();
    (codec != cbor::DAG_CBOR)
        .then(|| format!("{cid} has codec 0x{codec:x}: commits and tree nodes are DAG-CBOR (0x71)"))
}

impl TryFrom<RawCommit> for Commit {
    type Error = String;

    fn try_from(raw: RawCommit) -> Result<Self, String> {
        let rev = match (raw.version, raw.rev) {
            (2 | 3, Some(rev)) => {
                if rev.parse::<crate::types::Tid>().is_err() {
                    return Err(format!(
                        "rev {:?} is not a TID",
                        rev.chars().take(40).collect::<String>()
                    ));
                }
                rev
            }
            (2, None) => String::new(),
            (3, None) => return Err("a version 3 commit needs `rev`".into()),
            (v, _) => return Err(format!("version {v} (versions 2 and 3 are read)")),
        };
        let Some(prev) = raw.prev else {
            return Err(
                "`prev` is missing: a commit has it, `null` when there is no previous commit"
                    .into(),
            );
        };
        if let Some(e) = not_dag_cbor(&raw.data) {
            return Err(format!("`data`: {e}"));
        }
        if let Some(e) = prev.as_ref().and_then(not_dag_cbor) {
            return Err(format!("`prev`: {e}"));
        }
        Ok(Commit {
            did: raw.did,
            version: raw.version,
            data: raw.data,
            rev,
            prev,
            sig: raw.sig,
        })
    }
}

/// One record of a repository: where it is and the CID of its block.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    /// The record's collection (its `$type`).
    pub collection: Nsid,
    /// The record's key within the collection.
    pub rkey: RecordKey,
    /// The CID of the record's block.
    pub cid: CidLink,
}

/// A node of the Merkle Search Tree: `l` and each entry's `t` must be present, `null` or a
/// link (as `@atproto/repo` reads them; the canonical encoding always writes them), and
/// nothing else: a node with a field more is not the node its entries make, so the tree
/// would not be the one its keys and values determine (the spec requires that the root CID
/// be reproducible from them).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Node {
    #[serde(deserialize_with = "nullable")]
    l: Option<CidLink>,
    e: Vec<NodeEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeEntry {
    p: u64,
    k: DataBytes,
    v: CidLink,
    #[serde(deserialize_with = "nullable")]
    t: Option<CidLink>,
}

/// The longest key of the tree, in bytes.
const MAX_KEY: usize = 1024;

/// How many leading bytes `a` and `b` share: what a tree node's entry gives as `p`, the
/// prefix it shares with the key before it.
pub fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Why `key` is not a key of a repository's tree, or `None` when it is one: the repository
/// spec's path `collection/rkey`, at most 1024 bytes, exactly one `/` with bytes on both
/// sides, and only the characters `A-Za-z0-9 . - _ ~ :` besides it (what `@atproto/repo`
/// checks; the NSID and record key syntax are checked when the key is read as an
/// [`Entry`]).
pub fn key_error(key: &[u8]) -> Option<&'static str> {
    if key.is_empty() {
        return Some("a key is empty");
    }
    if key.len() > MAX_KEY {
        return Some("a key is over 1024 bytes");
    }
    let Some(slash) = key.iter().position(|&b| b == b'/') else {
        return Some("a key is not collection/rkey (it has no `/`)");
    };
    let (collection, rkey) = (&key[..slash], &key[slash + 1..]);
    if collection.is_empty() || rkey.is_empty() {
        return Some("a key is not collection/rkey (nothing on one side of its `/`)");
    }
    let allowed =
        |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':');
    if !collection.iter().all(allowed) || !rkey.iter().all(allowed) {
        return Some("a key has a character other than A-Z a-z 0-9 . - _ ~ : and one `/`");
    }
    None
}

/// A key for messages: its first 100 characters.
fn shown(key: &[u8]) -> String {
    String::from_utf8_lossy(key).chars().take(100).collect()
}

/// The height of a key in the Merkle Search Tree: the number of leading zero bits of the
/// key's SHA-256, counted two at a time (a fanout of 4).
pub fn key_height(key: &[u8]) -> u32 {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(key);
    let mut zeros = 0;
    for b in hash {
        if b == 0 {
            zeros += 8;
            continue;
        }
        zeros += b.leading_zeros();
        break;
    }
    zeros / 2
}

/// A node of the tree, as written.
#[derive(serde::Serialize)]
struct NodeOut {
    e: Vec<EntryOut>,
    l: Option<CidLink>,
}

#[derive(serde::Serialize)]
struct EntryOut {
    k: DataBytes,
    p: u64,
    t: Option<CidLink>,
    v: CidLink,
}

/// Builds the Merkle Search Tree of `entries` (keys `collection/rkey` as bytes, each with the
/// CID of its record), as a repository holds it: the root's CID and every node's block, in
/// the order written. Keys must be unique; their order does not matter.
///
/// This is the tree a PDS computes; reading it back with the walk of [`Repository`] gives the
/// same entries, and for the same keys and values its root CID is the reference
/// implementation's.
pub fn build_tree(
    entries: impl IntoIterator<Item = (Vec<u8>, CidLink)>,
) -> Result<(CidLink, Vec<Block>), RepoError> {
    let mut items: Vec<(Vec<u8>, u32, CidLink)> = entries
        .into_iter()
        .map(|(k, v)| {
            let h = key_height(&k);
            (k, h, v)
        })
        .collect();
    if let Some((key, reason)) = items
        .iter()
        .find_map(|(k, _, _)| key_error(k).map(|reason| (k, reason)))
    {
        return Err(tree(&format!("{reason}: {:?}", shown(key))));
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    if items.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(tree("a key given twice"));
    }
    let top = items.iter().map(|i| i.1).max().unwrap_or(0);
    let mut blocks = Vec::new();
    let root = build_node(&items, top, &mut blocks)?;
    Ok((root, blocks))
}

/// Writes the node at `height` holding `items` (all at or below it), and its subtrees.
fn build_node(
    items: &[(Vec<u8>, u32, CidLink)],
    height: u32,
    blocks: &mut Vec<Block>,
) -> Result<CidLink, RepoError> {
    let sub = |run: &[(Vec<u8>, u32, CidLink)], blocks: &mut Vec<_>| {
        if run.is_empty() || height == 0 {
            Ok(None)
        } else {
            build_node(run, height - 1, blocks).map(Some)
        }
    };
    let mut node = NodeOut {
        e: Vec::new(),
        l: None,
    };
    let mut start = 0;
    let mut prev: &[u8] = &[];
    for (i, (key, h, value)) in items.iter().enumerate() {
        if *h < height {
            continue;
        }
        let run = &items[start..i];
        let below = sub(run, blocks)?;
        match node.e.last_mut() {
            Some(last) => last.t = below,
            None => node.l = below,
        }
        let p = common_prefix_len(key, prev);
        node.e.push(EntryOut {
            k: DataBytes::from(key[p..].to_vec()),
            p: p as u64,
            t: None,
            v: value.clone(),
        });
        prev = key;
        start = i + 1;
    }
    let below = sub(&items[start..], blocks)?;
    match node.e.last_mut() {
        Some(last) => last.t = below,
        None => node.l = below,
    }
    let bytes = cbor::to_vec(&node).map_err(|e| tree(&e.to_string()))?;
    let cid = cbor::cid_of(cbor::DAG_CBOR, &bytes);
    blocks.push(Block {
        cid: cid.clone(),
        data: bytes.into(),
    });
    Ok(cid)
}

/// A repository: its commit, its records in key order, and its blocks.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// # let car_bytes: Vec<u8> = Vec::new();
/// use atlex::repo::Repository;
///
/// let repo = Repository::from_car(car_bytes)?;
/// println!("{} at rev {}", repo.commit().did, repo.commit().rev);
/// for entry in repo.entries() {
///     println!("{}/{} {}", entry.collection, entry.rkey, entry.cid);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Repository {
    commit: Commit,
    commit_cid: CidLink,
    entries: Vec<Entry>,
    blocks: HashMap<::cid::Cid, Bytes>,
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repository")
            .field("did", &self.commit.did)
            .field("rev", &self.commit.rev)
            .field("records", &self.entries.len())
            .field("blocks", &self.blocks.len())
            .finish()
    }
}

impl Repository {
    /// Reads a repository from a CAR in memory (what `com.atproto.sync.getRepo` returns):
    /// every block's hash checked, the commit (the CAR's first root) decoded, and the whole
    /// tree walked. The blocks stay slices of `car`.
    pub fn from_car(car: impl Into<Bytes>) -> Result<Self, RepoError> {
        let mut reader = CarReader::new(car)?;
        let root = first_root(reader.roots())?;
        let mut blocks = HashMap::new();
        while let Some(block) = reader.next_block()? {
            blocks.insert(block.cid.to_cid(), block.data);
        }
        Self::from_blocks(root, blocks)
    }

    /// Reads a repository from a CAR stream (a file, a response body), one block at a time.
    pub async fn from_car_stream<R: tokio::io::AsyncRead + Unpin>(
        reader: R,
    ) -> Result<Self, RepoError> {
        let mut reader = AsyncCarReader::new(reader).await?;
        let root = first_root(reader.roots())?;
        let mut blocks = HashMap::new();
        while let Some(block) = reader.next_block().await? {
            blocks.insert(block.cid.to_cid(), block.data);
        }
        Self::from_blocks(root, blocks)
    }

    /// A repository from its commit's CID and blocks (hashes already checked).
    pub fn from_blocks(
        commit_cid: CidLink,
        blocks: HashMap<::cid::Cid, Bytes>,
    ) -> Result<Self, RepoError> {
        let Some(bytes) = blocks.get(commit_cid.as_binary()) else {
            return Err(RepoError::Commit(format!(
                "the commit block {commit_cid} is not in the CAR"
            )));
        };
        if let Some(e) = not_dag_cbor(&commit_cid) {
            return Err(RepoError::Commit(e));
        }
        let commit: Commit = cbor::decode(bytes).map_err(|e| RepoError::Commit(e.to_string()))?;
        let entries = walk(&commit.data, &blocks)?;
        Ok(Repository {
            commit,
            commit_cid,
            entries,
            blocks,
        })
    }

    /// The commit.
    pub fn commit(&self) -> &Commit {
        &self.commit
    }

    /// The commit's CID (the CAR's root).
    pub fn commit_cid(&self) -> &CidLink {
        &self.commit_cid
    }

    /// Every record, in key order (`collection/rkey`).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The record at `collection/rkey`, if there is one.
    pub fn entry(&self, collection: &str, rkey: &str) -> Option<&Entry> {
        // The entries are in the tree's order, by the bytes of `collection/rkey`: not the
        // order of `(collection, rkey)` when one collection's NSID is another's plus a
        // segment (`a.b.c.d/x` comes before `a.b.c/x`, as `.` sorts before `/`).
        let wanted = collection.bytes().chain(*b"/").chain(rkey.bytes());
        self.entries
            .binary_search_by(|e| {
                let have = e
                    .collection
                    .as_str()
                    .bytes()
                    .chain(*b"/")
                    .chain(e.rkey.as_str().bytes());
                have.cmp(wanted.clone())
            })
            .ok()
            .map(|i| &self.entries[i])
    }

    /// The bytes of a block, by CID.
    pub fn block(&self, cid: &CidLink) -> Option<&Bytes> {
        self.blocks.get(cid.as_binary())
    }

    /// The records of type `R` (its collection), decoded and validated, in key order.
    pub fn records<R: Record>(&self) -> impl Iterator<Item = Result<(&Entry, R), RepoError>> {
        self.entries
            .iter()
            .filter(|e| e.collection.as_str() == R::NSID)
            .map(|e| self.decode::<R>(e).map(|r| (e, r)))
    }

    /// The record of type `R` with key `rkey`, decoded and validated; `None` when absent.
    pub fn record<R: Record>(&self, rkey: &str) -> Result<Option<R>, RepoError> {
        match self.entry(R::NSID, rkey) {
            Some(e) => self.decode(e).map(Some),
            None => Ok(None),
        }
    }

    /// Decodes the record of `entry` as `T` (a generated record, or
    /// [`crate::types::Unknown`]) and validates it.
    pub fn decode<T: serde::de::DeserializeOwned + crate::Validate>(
        &self,
        entry: &Entry,
    ) -> Result<T, RepoError> {
        let path = || format!("{}/{}", entry.collection, entry.rkey);
        let Some(bytes) = self.blocks.get(entry.cid.as_binary()) else {
            return Err(RepoError::Record {
                path: path(),
                reason: format!("its block {} is not in the CAR", entry.cid),
            });
        };
        if bytes.len() > MAX_RECORD_SIZE {
            return Err(RepoError::Record {
                path: path(),
                reason: format!(
                    "{} bytes, over the record size limit of {MAX_RECORD_SIZE} bytes",
                    bytes.len()
                ),
            });
        }
        cbor::from_slice(bytes).map_err(|e| RepoError::Record {
            path: path(),
            reason: e.to_string(),
        })
    }
}

fn first_root(roots: &[CidLink]) -> Result<CidLink, RepoError> {
    roots
        .first()
        .cloned()
        .ok_or_else(|| RepoError::Commit("the CAR has no root".into()))
}

/// Walks the tree from `root` in key order (see [`walk_tree`]), each key read as
/// `collection/rkey`.
fn walk(root: &CidLink, blocks: &HashMap<::cid::Cid, Bytes>) -> Result<Vec<Entry>, RepoError> {
    walk_tree(root, blocks)?
        .into_iter()
        .map(|(key, cid)| entry(&key, cid))
        .collect()
}

/// Walks the Merkle Search Tree at `root` through `blocks`, in key order: each key (as bytes;
/// a repository's are `collection/rkey`) with its value's CID.
///
/// The tree is checked against the rules of the repository spec, as `@atproto/repo` reads
/// it: every node decodes, with `l` and each entry's `t` present (`null` or a link to a
/// DAG-CBOR block) and no other field (the tree must be the one its entries build); every key is a valid tree key ([`key_error`]: not empty, `collection/rkey`
/// in the allowed characters, at most 1024 bytes); each entry's `p` is exactly the prefix its
/// key shares with the key before it in the node (0 for the first: the compression is
/// mandatory and whole, so that the tree has one encoding); keys strictly increase across
/// the whole walk (each subtree's keys within the range its link stands for); each key sits
/// at its height, every key of a node at the same one; a subtree is exactly one height
/// lower than its parent (an entry-less node fills each skipped height, and must point to a
/// subtree); no subtree below height 0; the root is not an entry-less node that only points
/// to a subtree (the top of the tree is trimmed; an empty tree is one empty node); and no
/// node is reached twice (a cycle, or a subtree shared by two parents, is an error even when
/// `blocks` were not hash-checked).
pub fn walk_tree(
    root: &CidLink,
    blocks: &HashMap<::cid::Cid, Bytes>,
) -> Result<Vec<(Vec<u8>, CidLink)>, RepoError> {
    enum Step {
        Node(CidLink, Option<u32>),
        Entry(Vec<u8>, CidLink),
    }
    let mut out = Vec::new();
    let mut seen: HashSet<::cid::Cid> = HashSet::new();
    let mut last_key: Option<Vec<u8>> = None;
    let mut stack = vec![Step::Node(root.clone(), None)];
    while let Some(step) = stack.pop() {
        let (cid, expected) = match step {
            Step::Entry(key, value) => {
                if last_key.as_ref().is_some_and(|last| *last >= key) {
                    return Err(tree("keys are not in strictly increasing order"));
                }
                last_key = Some(key.clone());
                out.push((key, value));
                continue;
            }
            Step::Node(cid, expected) => (cid, expected),
        };
        if let Some(e) = not_dag_cbor(&cid) {
            return Err(tree(&format!("node {e}")));
        }
        if !seen.insert(cid.to_cid()) {
            return Err(tree(&format!("node {cid} is reached twice")));
        }
        let Some(bytes) = blocks.get(cid.as_binary()) else {
            return Err(tree(&format!("node {cid} is not in the CAR")));
        };
        let node: Node =
            cbor::decode(bytes).map_err(|e| tree(&format!("node {cid} does not decode: {e}")))?;
        if expected.is_none() && node.e.is_empty() && node.l.is_some() {
            return Err(tree(&format!(
                "the root node {cid} has no entries and only points to a subtree: the top of \
                 the tree must be trimmed"
            )));
        }
        // The keys, expanded from their shared prefixes.
        let mut keys = Vec::with_capacity(node.e.len());
        let mut prev: Vec<u8> = Vec::new();
        for e in &node.e {
            let p = usize::try_from(e.p).unwrap_or(usize::MAX);
            if p > prev.len() {
                return Err(tree(&format!(
                    "node {cid}: a key shares {} bytes with a {}-byte key",
                    e.p,
                    prev.len()
                )));
            }
            let mut key = prev[..p].to_vec();
            key.extend_from_slice(&e.k);
            if let Some(reason) = key_error(&key) {
                return Err(tree(&format!("node {cid}: {reason}: {:?}", shown(&key))));
            }
            let shared = common_prefix_len(&prev, &key);
            if p != shared {
                return Err(tree(&format!(
                    "node {cid}: key {:?} gives a prefix of {p} bytes where it shares {shared} \
                     with the key before it (the whole shared prefix must be used)",
                    shown(&key)
                )));
            }
            prev.clone_from(&key);
            keys.push(key);
        }
        // Every key of a node sits at the node's height; a subtree is exactly one lower (an
        // entry-less node fills each skipped height).
        let own = match keys.first() {
            Some(k) => {
                let h = key_height(k);
                if keys.iter().any(|k| key_height(k) != h) {
                    return Err(tree(&format!("node {cid}: keys of different heights")));
                }
                Some(h)
            }
            None => None,
        };
        let height = match (expected, own) {
            (Some(x), Some(h)) if x != h => {
                return Err(tree(&format!(
                    "node {cid}: keys at height {h} where height {x} belongs"
                )))
            }
            (Some(_), None) if node.l.is_none() => {
                return Err(tree(&format!("node {cid}: an empty subtree")))
            }
            (Some(x), _) => Some(x),
            (None, own) => own,
        };
        let has_children = node.l.is_some() || node.e.iter().any(|e| e.t.is_some());
        if height == Some(0) && has_children {
            return Err(tree(&format!("node {cid}: a subtree below height 0")));
        }
        // Children only exist above height 0 (checked above).
        let below = height.map(|h| h.saturating_sub(1));
        // Pushed in reverse: the left subtree, then each entry followed by its right subtree.
        for (e, key) in node.e.into_iter().zip(keys).rev() {
            if let Some(t) = e.t {
                stack.push(Step::Node(t, below));
            }
            stack.push(Step::Entry(key, e.v));
        }
        if let Some(l) = node.l {
            stack.push(Step::Node(l, below));
        }
    }
    Ok(out)
}

fn tree(reason: &str) -> RepoError {
    RepoError::Tree(reason.to_owned())
}

/// A key of the tree, `collection/rkey`, as an entry.
fn entry(key: &[u8], cid: CidLink) -> Result<Entry, RepoError> {
    let text = std::str::from_utf8(key).map_err(|_| tree("a key is not UTF-8"))?;
    let shown = || text.chars().take(100).collect::<String>();
    let Some((collection, rkey)) = text.split_once('/') else {
        return Err(tree(&format!("key {:?} is not collection/rkey", shown())));
    };
    let collection: Nsid = collection
        .parse()
        .map_err(|e| tree(&format!("key {:?}: {e}", shown())))?;
    let rkey: RecordKey = rkey
        .parse()
        .map_err(|e| tree(&format!("key {:?}: {e}", shown())))?;
    Ok(Entry {
        collection,
        rkey,
        cid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_trees_walk_back() {
        let value = cbor::cid_of(cbor::RAW, b"v");
        for n in [0usize, 1, 2, 7, 100, 500] {
            let keys: Vec<Vec<u8>> = (0..n)
                .map(|i| format!("app.bsky.feed.post/3k{i:011}").into_bytes())
                .collect();
            let (root, blocks) =
                build_tree(keys.iter().map(|k| (k.clone(), value.clone()))).unwrap();
            let map: HashMap<_, _> = blocks
                .into_iter()
                .map(|b| (b.cid.to_cid(), b.data))
                .collect();
            let walked = walk(&root, &map).unwrap();
            let got: Vec<Vec<u8>> = walked
                .iter()
                .map(|e| format!("{}/{}", e.collection, e.rkey).into_bytes())
                .collect();
            assert_eq!(got, keys, "{n} keys");
        }
    }

    /// A key of the test collection at height `h` (the first `com.example.t/k{i}` that is).
    fn key_at(h: u32, from: usize) -> Vec<u8> {
        (from..)
            .map(|i| format!("com.example.t/k{i}").into_bytes())
            .find(|k| key_height(k) == h)
            .unwrap()
    }

    fn value() -> CidLink {
        cbor::cid_of(cbor::RAW, b"v")
    }

    /// A node written by hand: its left link and entries `(p, key suffix, right link)`; its
    /// CID and bytes.
    fn node(l: Option<&CidLink>, e: &[(u64, &[u8], Option<&CidLink>)]) -> (CidLink, Bytes) {
        let out = NodeOut {
            l: l.cloned(),
            e: e.iter()
                .map(|(p, k, t)| EntryOut {
                    k: DataBytes::from(k.to_vec()),
                    p: *p,
                    t: t.cloned(),
                    v: value(),
                })
                .collect(),
        };
        block(cbor::to_vec(&out).unwrap())
    }

    fn block(bytes: Vec<u8>) -> (CidLink, Bytes) {
        (cbor::cid_of(cbor::DAG_CBOR, &bytes), bytes.into())
    }

    /// Walks from `root` through `nodes`; the error's text.
    fn walk_err(root: &CidLink, nodes: &[&(CidLink, Bytes)]) -> String {
        let map: HashMap<_, _> = nodes.iter().map(|(c, b)| (c.to_cid(), b.clone())).collect();
        walk_tree(root, &map).unwrap_err().to_string()
    }

    fn walk_ok(root: &CidLink, nodes: &[&(CidLink, Bytes)]) -> Vec<Vec<u8>> {
        let map: HashMap<_, _> = nodes.iter().map(|(c, b)| (c.to_cid(), b.clone())).collect();
        walk_tree(root, &map)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    #[test]
    fn hand_built_nodes_match_the_built_tree() {
        // The hand-made writing of the negative tests is the tree's own: a root at height 1
        // with a left subtree at height 0 is what build_tree makes of the same keys.
        let top = key_at(1, 0);
        let low = key_at(0, 0);
        let leaf = node(None, &[(0, &low, None)]);
        let root = if low < top {
            node(Some(&leaf.0), &[(0, &top, None)])
        } else {
            node(None, &[(0, &top, Some(&leaf.0))])
        };
        let (built, _) = build_tree([(low.clone(), value()), (top.clone(), value())]).unwrap();
        assert_eq!(built, root.0);
        let mut keys = vec![low, top];
        keys.sort();
        assert_eq!(walk_ok(&root.0, &[&root, &leaf]), keys);
    }

    #[test]
    fn the_top_of_the_tree_must_be_trimmed() {
        let leaf = node(None, &[(0, &key_at(0, 0), None)]);
        assert_eq!(walk_ok(&leaf.0, &[&leaf]).len(), 1);
        let root = node(Some(&leaf.0), &[]);
        let e = walk_err(&root.0, &[&root, &leaf]);
        assert!(e.contains("only points to a subtree"), "{e}");
        // An empty tree is one empty node.
        let empty = node(None, &[]);
        assert!(walk_ok(&empty.0, &[&empty]).is_empty());
    }

    #[test]
    fn prefix_compression_uses_the_whole_shared_prefix() {
        // Two height-0 keys sharing `com.example.t/k` and more.
        let a = key_at(0, 100);
        let b = (0..)
            .map(|i| {
                let mut k = a.clone();
                k.extend_from_slice(format!("x{i}").as_bytes());
                k
            })
            .find(|k| key_height(k) == 0)
            .unwrap();
        let shared = common_prefix_len(&a, &b);
        assert_eq!(shared, a.len());
        let good = node(None, &[(0, &a, None), (shared as u64, &b[shared..], None)]);
        assert_eq!(walk_ok(&good.0, &[&good]), vec![a.clone(), b.clone()]);
        // The same keys, the second giving a shorter prefix than it shares.
        let short = shared - 3;
        let bad = node(None, &[(0, &a, None), (short as u64, &b[short..], None)]);
        let e = walk_err(&bad.0, &[&bad]);
        assert!(e.contains("whole shared prefix"), "{e}");
        // The first key shares nothing: a prefix there is refused.
        let first = node(None, &[(1, &a[1..], None)]);
        let e = walk_err(&first.0, &[&first]);
        assert!(e.contains("shares 1 bytes with a 0-byte key"), "{e}");
    }

    #[test]
    fn keys_must_be_repository_paths() {
        let long = format!("com.example.t/{}", "k".repeat(1100));
        for (key, why) in [
            ("", "empty"),
            ("com.example.t", "no `/`"),
            ("/k1", "nothing on one side"),
            ("com.example.t/", "nothing on one side"),
            ("com.example.t/a/b", "character"),
            ("com.example.t/a b", "character"),
            ("com.example.t/é", "character"),
            ("com.example.t/a@b", "character"),
            (long.as_str(), "over 1024"),
        ] {
            let n = node(None, &[(0, key.as_bytes(), None)]);
            let e = walk_err(&n.0, &[&n]);
            assert!(e.contains(why), "{key:?}: {e}");
            assert!(key_error(key.as_bytes()).is_some(), "{key:?}");
            assert!(build_tree([(key.as_bytes().to_vec(), value())]).is_err());
        }
        for ok in ["com.example.t/a-b_c~d:e.f", "a/b", "A.B/3k2a"] {
            assert_eq!(key_error(ok.as_bytes()), None, "{ok}");
        }
    }

    #[test]
    fn subtree_links_must_be_present_and_dag_cbor() {
        let key = key_at(0, 0);
        let entry = |t: bool| {
            let mut m = crate::types::DataMap::new();
            m.insert("p".into(), 0i64.into());
            m.insert("k".into(), DataBytes::from(key.clone()).into());
            m.insert("v".into(), value().into());
            if t {
                m.insert("t".into(), crate::types::Data::Null);
            }
            crate::types::Data::Object(m)
        };
        let written = |l: bool, t: bool| {
            let mut m = crate::types::DataMap::new();
            m.insert("e".into(), crate::types::Data::Array(vec![entry(t)]));
            if l {
                m.insert("l".into(), crate::types::Data::Null);
            }
            block(cbor::to_vec(&crate::types::Data::Object(m)).unwrap())
        };
        let good = written(true, true);
        assert_eq!(good.0, node(None, &[(0, &key, None)]).0);
        assert_eq!(walk_ok(&good.0, &[&good]).len(), 1);
        let no_l = written(false, true);
        let e = walk_err(&no_l.0, &[&no_l]);
        assert!(e.contains("missing field `l`"), "{e}");
        let no_t = written(true, false);
        let e = walk_err(&no_t.0, &[&no_t]);
        assert!(e.contains("missing field `t`"), "{e}");
        // A field more, in the node or in an entry: not the node its entries make.
        for (at_node, field) in [(true, "lx"), (false, "x")] {
            let mut m = crate::types::DataMap::new();
            let mut e = entry(true);
            if !at_node {
                if let crate::types::Data::Object(e) = &mut e {
                    e.insert(field.into(), "".into());
                }
            }
            m.insert("e".into(), crate::types::Data::Array(vec![e]));
            m.insert("l".into(), crate::types::Data::Null);
            if at_node {
                m.insert(field.into(), "".into());
            }
            let extra = block(cbor::to_vec(&crate::types::Data::Object(m)).unwrap());
            let e = walk_err(&extra.0, &[&extra]);
            assert!(e.contains(&format!("unknown field `{field}`")), "{e}");
        }
        // A subtree linked as raw bytes, not DAG-CBOR (the block is there under that CID).
        let (low, top) = (key_at(0, 0), key_at(1, 0));
        let leaf = node(None, &[(0, &low, None)]);
        let raw_link =
            CidLink::from_cid(&::cid::Cid::new_v1(cbor::RAW, *leaf.0.as_binary().hash()));
        let linked = |link: &CidLink| {
            if low < top {
                node(Some(link), &[(0, &top, None)])
            } else {
                node(None, &[(0, &top, Some(link))])
            }
        };
        // Linked as DAG-CBOR, the tree reads.
        let root = linked(&leaf.0);
        assert_eq!(walk_ok(&root.0, &[&root, &leaf]).len(), 2);
        let root = linked(&raw_link);
        let raw_leaf = (raw_link.clone(), leaf.1.clone());
        let e = walk_err(&root.0, &[&root, &raw_leaf]);
        assert!(e.contains("codec 0x55"), "{e}");
    }

    #[test]
    fn the_shape_of_the_tree_is_checked() {
        let (h0a, h0b) = (key_at(0, 0), key_at(0, 1000));
        let h1 = key_at(1, 0);
        let h2 = key_at(2, 0);
        assert!(h0a < h0b);
        // Keys out of order within a node.
        let p = common_prefix_len(&h0b, &h0a);
        let n = node(None, &[(0, &h0b, None), (p as u64, &h0a[p..], None)]);
        assert!(walk_err(&n.0, &[&n]).contains("strictly increasing"));
        // A subtree's key outside the range of its link: a left subtree above its parent.
        let small = h1.clone();
        let above: Vec<u8> = (0..)
            .map(|i| format!("com.example.u/k{i}").into_bytes())
            .find(|k| key_height(k) == 0)
            .unwrap();
        assert!(above > small);
        let leaf = node(None, &[(0, &above, None)]);
        let root = node(Some(&leaf.0), &[(0, &small, None)]);
        assert!(walk_err(&root.0, &[&root, &leaf]).contains("strictly increasing"));
        // Keys of different heights in one node.
        let (x, y) = if h0a < h1 { (&h0a, &h1) } else { (&h1, &h0a) };
        let p = common_prefix_len(x, y);
        let n = node(None, &[(0, x, None), (p as u64, &y[p..], None)]);
        assert!(walk_err(&n.0, &[&n]).contains("different heights"));
        // A subtree whose keys are not one height lower: height 1 under height 1, and height
        // 0 directly under height 2 (a skipped level).
        let other1 = key_at(1, 5000);
        let (lo, hi) = if other1 < h1 {
            (&other1, &h1)
        } else {
            (&h1, &other1)
        };
        let leaf = node(None, &[(0, lo, None)]);
        let root = node(Some(&leaf.0), &[(0, hi, None)]);
        let e = walk_err(&root.0, &[&root, &leaf]);
        assert!(e.contains("keys at height 1 where height 0 belongs"), "{e}");
        let low0 = if h0a < h2 { &h0a } else { &h0b };
        assert!(low0 < &h2);
        let leaf = node(None, &[(0, low0, None)]);
        let root = node(Some(&leaf.0), &[(0, &h2, None)]);
        let e = walk_err(&root.0, &[&root, &leaf]);
        assert!(e.contains("keys at height 0 where height 1 belongs"), "{e}");
        // The skipped level filled with an empty node is the valid tree.
        let middle = node(Some(&leaf.0), &[]);
        let root = node(Some(&middle.0), &[(0, &h2, None)]);
        assert_eq!(walk_ok(&root.0, &[&root, &middle, &leaf]).len(), 2);
        // An empty node below the root that points nowhere.
        let empty = node(None, &[]);
        let root = node(Some(&empty.0), &[(0, &h1, None)]);
        assert!(walk_err(&root.0, &[&root, &empty]).contains("an empty subtree"));
        // A subtree below height 0.
        let leaf = node(None, &[(0, &h0b, None)]);
        let root = node(None, &[(0, &h0a, Some(&leaf.0))]);
        assert!(walk_err(&root.0, &[&root, &leaf]).contains("below height 0"));
        // A missing node.
        let root = node(Some(&leaf.0), &[(0, &h1, None)]);
        assert!(walk_err(&root.0, &[&root]).contains("not in the CAR"));
    }

    #[test]
    fn a_cycle_is_refused() {
        // A node whose left subtree is itself: only possible with blocks whose hashes were
        // not checked, as `from_blocks` takes them.
        let fake = cbor::cid_of(cbor::DAG_CBOR, b"x");
        let (_, bytes) = node(Some(&fake), &[(0, &key_at(1, 0), None)]);
        let e = walk_err(&fake, &[&(fake.clone(), bytes)]);
        assert!(e.contains("reached twice"), "{e}");
        // A subtree linked twice, on both sides of a key: a tree of blocks whose hashes are
        // right, but not a tree.
        // `com.example.a/..` sorts before the `com.example.t/..` key above it.
        let low: Vec<u8> = (0..)
            .map(|i| format!("com.example.a/k{i}").into_bytes())
            .find(|k| key_height(k) == 0)
            .unwrap();
        let top = key_at(1, 0);
        let shared = node(None, &[(0, &low, None)]);
        let root = node(Some(&shared.0), &[(0, &top, Some(&shared.0))]);
        let e = walk_err(&root.0, &[&root, &shared]);
        assert!(e.contains("reached twice"), "{e}");
    }

    /// A commit as data, with `edit` applied.
    fn commit_with(data: &CidLink, edit: impl FnOnce(&mut crate::types::DataMap)) -> Vec<u8> {
        use crate::types::Data;
        let mut m = crate::types::DataMap::new();
        m.insert("did".into(), "did:plc:abcdefghijklmnopqrstuvwx".into());
        m.insert("version".into(), Data::Integer(3));
        m.insert("data".into(), Data::Link(data.clone()));
        m.insert("rev".into(), "3lbqfr2ofx22k".into());
        m.insert("prev".into(), Data::Null);
        m.insert("sig".into(), Data::Bytes(vec![9u8; 64].into()));
        edit(&mut m);
        cbor::to_vec(&Data::Object(m)).unwrap()
    }

    #[test]
    fn commits_by_version() {
        use crate::types::Data;
        let (root, _) = node(None, &[]);
        let ok = |edit: &dyn Fn(&mut crate::types::DataMap)| {
            cbor::decode::<Commit>(&commit_with(&root, edit))
        };
        let v3 = ok(&|_| {}).unwrap();
        assert_eq!(
            (v3.version, v3.rev.as_str(), v3.prev.clone()),
            (3, "3lbqfr2ofx22k", None)
        );
        let linked = ok(&|m| {
            m.insert("prev".into(), Data::Link(root.clone()));
        })
        .unwrap();
        assert_eq!(linked.prev, Some(root.clone()));
        // Version 2: rev optional, prev present.
        let v2 = ok(&|m| {
            m.insert("version".into(), Data::Integer(2));
            m.remove("rev");
        })
        .unwrap();
        assert_eq!((v2.version, v2.rev.as_str()), (2, ""));
        assert!(ok(&|m| {
            m.insert("version".into(), Data::Integer(2));
        })
        .is_ok());
        let raw = cbor::cid_of(cbor::RAW, b"x");
        for (why, edit) in [
            (
                "needs `rev`",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.remove("rev");
                }) as Box<dyn Fn(&mut crate::types::DataMap)>,
            ),
            (
                "not a TID",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.insert("rev".into(), "2024-01-01".into());
                }),
            ),
            (
                "invalid type: null",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.insert("rev".into(), Data::Null);
                }),
            ),
            (
                "`prev` is missing",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.remove("prev");
                }),
            ),
            (
                "`prev` is missing",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.insert("version".into(), Data::Integer(2));
                    m.remove("prev");
                }),
            ),
            (
                "not a TID",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.insert("version".into(), Data::Integer(2));
                    m.insert("rev".into(), "x".into());
                }),
            ),
            (
                "version 4",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.insert("version".into(), Data::Integer(4));
                }),
            ),
            (
                "version 1",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.insert("version".into(), Data::Integer(1));
                    m.remove("rev");
                }),
            ),
            (
                "`data`: ",
                Box::new({
                    let raw = raw.clone();
                    move |m: &mut crate::types::DataMap| {
                        m.insert("data".into(), Data::Link(raw.clone()));
                    }
                }),
            ),
            (
                "`prev`: ",
                Box::new({
                    let raw = raw.clone();
                    move |m: &mut crate::types::DataMap| {
                        m.insert("prev".into(), Data::Link(raw.clone()));
                    }
                }),
            ),
            (
                "missing field `sig`",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.remove("sig");
                }),
            ),
            (
                "missing field `did`",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.remove("did");
                }),
            ),
            (
                "missing field `data`",
                Box::new(|m: &mut crate::types::DataMap| {
                    m.remove("data");
                }),
            ),
        ] {
            let e = ok(&*edit).unwrap_err().to_string();
            assert!(e.contains(why), "{why}: {e}");
        }
    }

    #[test]
    fn the_commit_block_must_be_dag_cbor() {
        let empty = node(None, &[]);
        let bytes = commit_with(&empty.0, |_| {});
        let raw = cbor::cid_of(cbor::RAW, &bytes);
        let mut blocks = HashMap::new();
        blocks.insert(empty.0.to_cid(), empty.1.clone());
        blocks.insert(raw.to_cid(), Bytes::from(bytes.clone()));
        let e = Repository::from_blocks(raw, blocks.clone()).unwrap_err();
        assert!(e.to_string().contains("codec 0x55"), "{e}");
        let cid = cbor::cid_of(cbor::DAG_CBOR, &bytes);
        blocks.insert(cid.to_cid(), Bytes::from(bytes));
        assert!(Repository::from_blocks(cid, blocks).is_ok());
    }

    /// A repository of `records` (key, bytes) as blocks, with its commit's CID.
    fn repository(records: &[(String, Vec<u8>)]) -> (CidLink, HashMap<::cid::Cid, Bytes>) {
        let mut blocks = HashMap::new();
        let mut entries = Vec::new();
        for (key, bytes) in records {
            let cid = cbor::cid_of(cbor::DAG_CBOR, bytes);
            blocks.insert(cid.to_cid(), Bytes::from(bytes.clone()));
            entries.push((key.clone().into_bytes(), cid));
        }
        let (root, nodes) = build_tree(entries).unwrap();
        for b in nodes {
            blocks.insert(b.cid.to_cid(), b.data);
        }
        let commit = commit_with(&root, |_| {});
        let cid = cbor::cid_of(cbor::DAG_CBOR, &commit);
        blocks.insert(cid.to_cid(), Bytes::from(commit));
        (cid, blocks)
    }

    #[test]
    fn entries_are_found_across_collections_that_extend_one_another() {
        // `a.b.repo.issue/x` sorts before `a.b.repo/x` (`.` before `/`), and `a.b.rep/x`
        // before both: the tree's order is not the order of (collection, rkey).
        let collections = [
            "com.example.repo",
            "com.example.repo.issue",
            "com.example.repo.issue.comment",
            "com.example.repoz",
            "com.example.rep",
        ];
        let record = cbor::to_vec(&crate::types::Data::from("x")).unwrap();
        let mut records = Vec::new();
        for c in collections {
            for k in ["3kaaaaaaaaaa2", "a-b", "a.b", "self", "z~1"] {
                records.push((format!("{c}/{k}"), record.clone()));
            }
        }
        let (commit, blocks) = repository(&records);
        let repo = Repository::from_blocks(commit, blocks).unwrap();
        assert_eq!(repo.entries().len(), records.len());
        let found = records
            .iter()
            .filter(|(key, _)| {
                let (c, k) = key.split_once('/').unwrap();
                repo.entry(c, k)
                    .is_some_and(|e| e.collection.as_str() == c && e.rkey.as_str() == k)
            })
            .count();
        assert_eq!(found, records.len(), "found by entry()");
        assert!(repo.entry("com.example.repo", "nope").is_none());
        assert!(repo.entry("com.example.rep", "a-b").is_some());
        assert!(repo.entry("com.example.re", "a-b").is_none());
    }

    #[test]
    fn a_record_is_at_most_one_million_bytes() {
        use crate::types::{Data, DataMap, Unknown};
        let sized = |total: usize| {
            let with = |n: usize| {
                let mut m = DataMap::new();
                m.insert("$type".into(), "com.example.big".into());
                m.insert("b".into(), Data::Bytes(vec![7u8; n].into()));
                cbor::to_vec(&Data::Object(m)).unwrap()
            };
            let overhead = with(100_000).len() - 100_000;
            let bytes = with(total - overhead);
            assert_eq!(bytes.len(), total);
            bytes
        };
        let records = [
            ("com.example.big/at".to_owned(), sized(MAX_RECORD_SIZE)),
            (
                "com.example.big/over".to_owned(),
                sized(MAX_RECORD_SIZE + 1),
            ),
        ];
        let (commit, blocks) = repository(&records);
        let repo = Repository::from_blocks(commit, blocks).unwrap();
        let at = repo.entry("com.example.big", "at").unwrap();
        assert!(repo.decode::<Unknown>(at).is_ok());
        let over = repo.entry("com.example.big", "over").unwrap();
        let e = repo.decode::<Unknown>(over).unwrap_err();
        assert!(
            e.to_string()
                .contains("over the record size limit of 1000000 bytes"),
            "{e}"
        );
    }

    #[test]
    fn heights() {
        assert_eq!(key_height(b""), 0);
        assert_eq!(key_height(b"blue"), 1);
        assert_eq!(key_height(b"app.bsky.feed.post/9adeb165882c"), 8);
    }
}
