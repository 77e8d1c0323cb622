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

/// A repository's signed commit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Commit {
    /// The account the repository belongs to.
    pub did: Did,
    /// The repository format version (3).
    pub version: i64,
    /// The root of the record tree.
    pub data: CidLink,
    /// The revision, a TID that grows with every commit.
    pub rev: String,
    /// The previous commit (unused since version 3, kept as found).
    #[serde(default)]
    pub prev: Option<CidLink>,
    /// The signature over the unsigned commit, by the account's signing key (not checked
    /// here: that needs the account's DID document).
    pub sig: DataBytes,
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

/// A node of the Merkle Search Tree.
#[derive(serde::Deserialize)]
struct Node {
    l: Option<CidLink>,
    e: Vec<NodeEntry>,
}

#[derive(serde::Deserialize)]
struct NodeEntry {
    p: u64,
    k: DataBytes,
    v: CidLink,
    t: Option<CidLink>,
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
        let p = key.iter().zip(prev).take_while(|(a, b)| a == b).count();
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
        let commit: Commit = cbor::decode(bytes).map_err(|e| RepoError::Commit(e.to_string()))?;
        if commit.version != 3 && commit.version != 2 {
            return Err(RepoError::Commit(format!(
                "version {} (versions 2 and 3 are read)",
                commit.version
            )));
        }
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
        self.entries
            .binary_search_by(|e| (e.collection.as_str(), e.rkey.as_str()).cmp(&(collection, rkey)))
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
/// a repository's are `collection/rkey`) with its value's CID. The tree's shape is checked:
/// every node decodes, keys strictly increase, each key sits at its height, each subtree is
/// one height lower than its parent, no node is reached twice (a cycle, or a subtree shared by
/// two parents, is an error even when `blocks` were not hash-checked).
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
        if !seen.insert(cid.to_cid()) {
            return Err(tree(&format!("node {cid} is reached twice")));
        }
        let Some(bytes) = blocks.get(cid.as_binary()) else {
            return Err(tree(&format!("node {cid} is not in the CAR")));
        };
        let node: Node =
            cbor::decode(bytes).map_err(|e| tree(&format!("node {cid} does not decode: {e}")))?;
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
            if key.len() > 1024 {
                return Err(tree(&format!("node {cid}: a key over 1024 bytes")));
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

    #[test]
    fn a_cycle_is_refused() {
        // A node whose left subtree is itself: only possible with blocks whose hashes were
        // not checked, as `from_blocks` takes them.
        let fake = cbor::cid_of(cbor::DAG_CBOR, b"x");
        let node = NodeOut {
            e: vec![],
            l: Some(fake.clone()),
        };
        let mut map = HashMap::new();
        map.insert(fake.to_cid(), Bytes::from(cbor::to_vec(&node).unwrap()));
        let e = walk(&fake, &map).unwrap_err();
        assert!(e.to_string().contains("reached twice"), "{e}");
    }

    #[test]
    fn heights() {
        assert_eq!(key_height(b""), 0);
        assert_eq!(key_height(b"blue"), 1);
        assert_eq!(key_height(b"app.bsky.feed.post/9adeb165882c"), 8);
    }
}
