//! CAR files (CARv1): the archive format of repositories (`com.atproto.sync.getRepo`) and of
//! the blocks carried by the event stream (feature `cbor`).
//!
//! A CAR is a header (its root CIDs) and a sequence of blocks, each a CID and the bytes it
//! names. [`CarReader`] reads one from memory, block by block: each block is a slice of the
//! input (no copy), so a repository is held in memory once; [`AsyncCarReader`] reads one
//! from any [`tokio::io::AsyncRead`] (a file, a network stream) without holding the whole of
//! it. Both check every block's hash against its CID and refuse a block larger than a limit
//! before reading it.
//!
//! The framing is written here rather than taken from a CAR crate: the kept one (`iroh-car`)
//! reads only asynchronously, copies every block into a fresh buffer, has a fixed 4 MiB block
//! limit, checks no hash, and takes a varint cut short by the end of the input for a clean
//! end of file, so a truncated archive would read as a shorter valid one.
//!
//! ```
//! # fn main() -> Result<(), atlex::car::CarError> {
//! # let bytes = atlex::car::write(&[], &[]);
//! let mut car = atlex::car::CarReader::new(bytes)?;
//! println!("roots: {:?}", car.roots());
//! while let Some(block) = car.next_block()? {
//!     println!("{} ({} bytes)", block.cid, block.data.len());
//! }
//! # Ok(()) }
//! ```

use crate::cbor;
use crate::types::CidLink;
use bytes::Bytes;
use std::fmt;

/// The largest block read by default, in bytes of data (its CID not counted): 2 MiB.
///
/// No spec limits a CAR block as such. The sync spec limits what goes into one: a record
/// block to one million bytes ([`crate::repo::MAX_RECORD_SIZE`], checked where a record is
/// read), and a `#commit` event's whole CAR (its `blocks`) to two million bytes (checked by
/// the event's lexicon). Tree nodes and commits are small. This limit lies above all of
/// them: it bounds what one length in the framing can make the reader hold, for any CAR
/// (a repository export from `getRepo`, which has no stated limit, included).
pub const DEFAULT_MAX_BLOCK: usize = 2 << 20;

/// The length of every CID a block may have: `01`, the codec, `12 20`, a 32-byte digest.
const CID_LEN: usize = 36;

/// The largest header read: 64 KiB.
const MAX_HEADER: usize = 64 << 10;

/// One block of a CAR: a CID and the bytes it names (their hash checked).
#[derive(Clone, PartialEq, Eq)]
pub struct Block {
    /// The block's CID.
    pub cid: CidLink,
    /// The block's bytes.
    pub data: Bytes,
}

impl fmt::Debug for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Block")
            .field("cid", &self.cid.as_str())
            .field("len", &self.data.len())
            .finish()
    }
}

/// A CAR that can not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarError {
    offset: u64,
    reason: String,
}

impl CarError {
    fn new(offset: u64, reason: impl Into<String>) -> Self {
        CarError {
            offset,
            reason: reason.into(),
        }
    }

    /// Where in the input, in bytes from the start.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// What is wrong there.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for CarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid CAR at byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for CarError {}

/// The header of a CARv1.
#[derive(serde::Deserialize)]
struct Header {
    version: u64,
    roots: Vec<CidLink>,
}

/// Reads an unsigned LEB128 varint from `bytes` at `pos`: `Ok(None)` at the very end of the
/// input (a clean end between blocks), an error when it is cut short, too long, or not in
/// its shortest form.
fn varint(bytes: &[u8], pos: usize) -> Result<Option<(u64, usize)>, CarError> {
    if pos == bytes.len() {
        return Ok(None);
    }
    let mut value = 0u64;
    for i in 0..10 {
        let Some(&b) = bytes.get(pos + i) else {
            return Err(CarError::new(pos as u64, "the input ends inside a length"));
        };
        let bits = u64::from(b & 0x7f);
        if i == 9 && b > 1 {
            return Err(CarError::new(pos as u64, "a length over 64 bits"));
        }
        value |= bits << (7 * i);
        if b & 0x80 == 0 {
            if b == 0 && i > 0 {
                return Err(CarError::new(
                    pos as u64,
                    "a length not in its shortest form",
                ));
            }
            return Ok(Some((value, i + 1)));
        }
    }
    Err(CarError::new(pos as u64, "a length over 64 bits"))
}

/// The blocks of a CAR in memory, framing and CIDs checked but hashes not: for a reader that
/// checks the hash of each block it uses (and needs no other).
pub(crate) fn unverified_blocks(data: Bytes) -> Result<Vec<(::cid::Cid, Bytes)>, CarError> {
    let reader = CarReader::new(data)?;
    let CarReader { data, mut pos, .. } = reader;
    let mut out = Vec::new();
    while let Some((len, n)) = varint(&data, pos)? {
        over_limit(len, DEFAULT_MAX_BLOCK, pos as u64)?;
        let body = pos + n;
        if len > (data.len() - body) as u64 {
            return Err(CarError::new(pos as u64, "the input ends inside a block"));
        }
        let end = body + len as usize;
        let (cid, at) = block_cid(&data[body..end], pos as u64)?;
        out.push((cid, data.slice(body + at..end)));
        pos = end;
    }
    Ok(out)
}

/// Refuses a block section of `len` bytes (CID and data) whose data is over `max_block`
/// bytes, before it is read: every CID a block may have is [`CID_LEN`] bytes long.
fn over_limit(len: u64, max_block: usize, offset: u64) -> Result<(), CarError> {
    if len > (max_block as u64).saturating_add(CID_LEN as u64) {
        return Err(CarError::new(
            offset,
            format!(
                "a block of {} bytes (and its CID), over the {max_block} byte limit",
                len - CID_LEN as u64
            ),
        ));
    }
    Ok(())
}

/// The CID at the start of a block section, and where the block's data starts: a CIDv1 with
/// codec dag-cbor or raw and a 32-byte sha-256 hash, the only CIDs the protocol names its
/// records, tree nodes and commits by.
fn block_cid(section: &[u8], offset: u64) -> Result<(::cid::Cid, usize), CarError> {
    let mut cursor = std::io::Cursor::new(section);
    let cid = ::cid::Cid::read_bytes(&mut cursor)
        .map_err(|e| CarError::new(offset, format!("a block's CID does not decode: {e}")))?;
    if let Some(reason) = crate::types::cid_link::not_blessed(&cid) {
        let reason = reason.trim_start_matches("a link's CID ");
        return Err(CarError::new(
            offset,
            format!("block {cid}: a block's CID {reason}"),
        ));
    }
    Ok((cid, cursor.position() as usize))
}

/// Parses and checks a block section (CID then bytes).
fn block(section: Bytes, offset: u64) -> Result<Block, CarError> {
    let (cid, at) = block_cid(&section, offset)?;
    let data = section.slice(at..);
    if !cbor::cid_matches(&cid, &data) {
        return Err(CarError::new(
            offset,
            format!("block {cid}: its bytes do not hash to its CID"),
        ));
    }
    Ok(Block {
        cid: CidLink::from_cid(&cid),
        data,
    })
}

fn header(bytes: &[u8], offset: u64) -> Result<Vec<CidLink>, CarError> {
    let header: Header = cbor::decode(bytes)
        .map_err(|e| CarError::new(offset, format!("the header is not a CARv1 header: {e}")))?;
    if header.version != 1 {
        return Err(CarError::new(
            offset,
            format!("version {} (only CARv1 is read)", header.version),
        ));
    }
    Ok(header.roots)
}

/// Reads a CAR held in memory, block by block; each block's bytes are a slice of the input.
#[derive(Debug, Clone)]
pub struct CarReader {
    data: Bytes,
    pos: usize,
    roots: Vec<CidLink>,
    max_block: usize,
}

impl CarReader {
    /// Reads the header of the CAR in `data`.
    pub fn new(data: impl Into<Bytes>) -> Result<Self, CarError> {
        let data = data.into();
        let Some((len, n)) = varint(&data, 0)? else {
            return Err(CarError::new(
                0,
                "empty input: a CAR starts with its header",
            ));
        };
        if len == 0 || len > MAX_HEADER as u64 {
            return Err(CarError::new(0, format!("a header of {len} bytes")));
        }
        let end = n as u64 + len;
        if end > data.len() as u64 {
            return Err(CarError::new(0, "the input ends inside the header"));
        }
        let roots = header(&data[n..end as usize], n as u64)?;
        Ok(CarReader {
            data,
            pos: end as usize,
            roots,
            max_block: DEFAULT_MAX_BLOCK,
        })
    }

    /// Sets the largest block read, in bytes of data (default [`DEFAULT_MAX_BLOCK`]); a larger
    /// one is an error, before its bytes are read.
    pub fn max_block(mut self, bytes: usize) -> Self {
        self.max_block = bytes;
        self
    }

    /// The CAR's roots (for a repository, its commit).
    pub fn roots(&self) -> &[CidLink] {
        &self.roots
    }

    /// The next block, its hash checked; `None` at the end.
    pub fn next_block(&mut self) -> Result<Option<Block>, CarError> {
        let start = self.pos;
        let Some((len, n)) = varint(&self.data, start)? else {
            return Ok(None);
        };
        over_limit(len, self.max_block, start as u64)?;
        let body = start + n;
        if len > (self.data.len() - body) as u64 {
            return Err(CarError::new(start as u64, "the input ends inside a block"));
        }
        let end = body + len as usize;
        // Refuse before any further read, so an error is not read twice.
        self.pos = self.data.len();
        let block = block(self.data.slice(body..end), start as u64)?;
        self.pos = end;
        Ok(Some(block))
    }
}

impl Iterator for CarReader {
    type Item = Result<Block, CarError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_block().transpose()
    }
}

/// Reads a CAR from a stream, block by block, holding one block at a time.
#[derive(Debug)]
pub struct AsyncCarReader<R> {
    reader: R,
    pos: u64,
    roots: Vec<CidLink>,
    max_block: usize,
    done: bool,
}

impl<R: tokio::io::AsyncRead + Unpin> AsyncCarReader<R> {
    /// Reads the header of the CAR from `reader` (wrap an unbuffered reader in a
    /// [`tokio::io::BufReader`]: lengths are read a byte at a time).
    pub async fn new(mut reader: R) -> Result<Self, CarError> {
        let Some((len, n)) = read_varint(&mut reader, 0).await? else {
            return Err(CarError::new(
                0,
                "empty input: a CAR starts with its header",
            ));
        };
        if len == 0 || len > MAX_HEADER as u64 {
            return Err(CarError::new(0, format!("a header of {len} bytes")));
        }
        let bytes = read_exact(&mut reader, len as usize, 0, "the header").await?;
        let roots = header(&bytes, n)?;
        Ok(AsyncCarReader {
            reader,
            pos: n + len,
            roots,
            max_block: DEFAULT_MAX_BLOCK,
            done: false,
        })
    }

    /// Sets the largest block read, in bytes of data (default [`DEFAULT_MAX_BLOCK`]); a larger
    /// one is an error, before its bytes are read.
    pub fn max_block(mut self, bytes: usize) -> Self {
        self.max_block = bytes;
        self
    }

    /// The CAR's roots (for a repository, its commit).
    pub fn roots(&self) -> &[CidLink] {
        &self.roots
    }

    /// The next block, its hash checked; `None` at the end.
    pub async fn next_block(&mut self) -> Result<Option<Block>, CarError> {
        if self.done {
            return Ok(None);
        }
        let start = self.pos;
        let Some((len, n)) = read_varint(&mut self.reader, start).await? else {
            self.done = true;
            return Ok(None);
        };
        if let Err(e) = over_limit(len, self.max_block, start) {
            self.done = true;
            return Err(e);
        }
        let bytes = match read_exact(&mut self.reader, len as usize, start, "a block").await {
            Ok(b) => b,
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        self.pos = start + n + len;
        let result = block(Bytes::from(bytes), start);
        if result.is_err() {
            self.done = true;
        }
        result.map(Some)
    }
}

async fn read_varint<R: tokio::io::AsyncRead + Unpin>(
    reader: &mut R,
    offset: u64,
) -> Result<Option<(u64, u64)>, CarError> {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 10];
    for i in 0..10 {
        let got = reader
            .read(&mut buf[i..i + 1])
            .await
            .map_err(|e| CarError::new(offset, format!("read error: {e}")))?;
        if got == 0 {
            if i == 0 {
                return Ok(None);
            }
            return Err(CarError::new(offset, "the input ends inside a length"));
        }
        if buf[i] & 0x80 == 0 {
            return varint(&buf[..=i], 0)
                .map(|v| v.map(|(value, n)| (value, n as u64)))
                .map_err(|e| CarError::new(offset, e.reason));
        }
    }
    Err(CarError::new(offset, "a length over 64 bits"))
}

/// Reads the `len` bytes of `what` (the header, a block), which starts at `offset`.
async fn read_exact<R: tokio::io::AsyncRead + Unpin>(
    reader: &mut R,
    len: usize,
    offset: u64,
    what: &str,
) -> Result<Vec<u8>, CarError> {
    use tokio::io::AsyncReadExt;
    // Grown as the bytes arrive, so a length that lies costs no more than the bytes sent.
    let mut out = Vec::with_capacity(len.min(64 << 10));
    let got = reader
        .take(len as u64)
        .read_to_end(&mut out)
        .await
        .map_err(|e| CarError::new(offset, format!("read error: {e}")))?;
    if got < len {
        return Err(CarError::new(
            offset,
            format!("the input ends inside {what}"),
        ));
    }
    Ok(out)
}

/// Writes a CARv1 of `roots` and `blocks` (each block's CID as given; the reader checks them).
pub fn write(roots: &[CidLink], blocks: &[Block]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        version: u64,
        roots: &'a [CidLink],
    }
    let header = cbor::to_vec(&Out { version: 1, roots }).unwrap_or_default();
    let mut out = Vec::new();
    put_varint(&mut out, header.len() as u64);
    out.extend_from_slice(&header);
    for Block { cid, data } in blocks {
        let cid = cid.as_binary().to_bytes();
        put_varint(&mut out, (cid.len() + data.len()) as u64);
        out.extend_from_slice(&cid);
        out.extend_from_slice(data);
    }
    out
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<u8>, CidLink, CidLink) {
        let a = cbor::to_vec(&"hello").unwrap();
        let b = b"raw bytes".to_vec();
        let ca = cbor::cid_of(cbor::DAG_CBOR, &a);
        let cb = cbor::cid_of(cbor::RAW, &b);
        let car = write(
            std::slice::from_ref(&ca),
            &[
                Block {
                    cid: ca.clone(),
                    data: a.into(),
                },
                Block {
                    cid: cb.clone(),
                    data: b.into(),
                },
            ],
        );
        (car, ca, cb)
    }

    #[test]
    fn reads_blocks_in_order() {
        let (car, ca, cb) = sample();
        let mut r = CarReader::new(car.clone()).unwrap();
        assert_eq!(r.roots(), std::slice::from_ref(&ca));
        assert_eq!(r.next_block().unwrap().unwrap().cid, ca);
        let b = r.next_block().unwrap().unwrap();
        assert_eq!((b.cid, &b.data[..]), (cb, &b"raw bytes"[..]));
        assert!(r.next_block().unwrap().is_none());
    }

    #[test]
    fn refuses_bad_input() {
        let (car, _, _) = sample();
        // Every truncation but the one at a block boundary is an error; none panics.
        let mut clean_ends = 0;
        for cut in 0..car.len() {
            match CarReader::new(car[..cut].to_vec()).and_then(|r| r.collect::<Result<Vec<_>, _>>())
            {
                Ok(_) => clean_ends += 1,
                Err(e) => assert!(!e.reason().is_empty()),
            }
        }
        assert_eq!(
            clean_ends, 2,
            "the end of the header and of the first block"
        );
        // A flipped byte in a block is a hash mismatch.
        let mut bad = car.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let e = CarReader::new(bad)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err();
        assert!(e.reason().contains("do not hash"), "{e}");
        // A block over the limit is refused before it is read.
        let e = CarReader::new(car.clone())
            .unwrap()
            .max_block(4)
            .next_block()
            .unwrap_err();
        assert!(e.reason().contains("limit"), "{e}");
        // A length that is not in its shortest form, and one over 64 bits.
        assert!(varint(&[0x81, 0x00], 0).is_err());
        assert!(varint(&[0xff; 11], 0).is_err());
        assert_eq!(varint(&[0xac, 0x02], 0).unwrap(), Some((300, 2)));
    }

    /// Everything the sync reader reads from `car`: roots and blocks, or the first error.
    fn read_sync(car: &[u8], max: usize) -> Result<(Vec<CidLink>, Vec<Block>), CarError> {
        let r = CarReader::new(car.to_vec())?.max_block(max);
        let roots = r.roots().to_vec();
        Ok((roots, r.collect::<Result<_, _>>()?))
    }

    /// The same through the async reader.
    async fn read_async(car: &[u8], max: usize) -> Result<(Vec<CidLink>, Vec<Block>), CarError> {
        let mut r = AsyncCarReader::new(car).await?.max_block(max);
        let roots = r.roots().to_vec();
        let mut blocks = Vec::new();
        while let Some(b) = r.next_block().await? {
            blocks.push(b);
        }
        // After an end or an error, the reader stays at its end.
        assert!(r.next_block().await.unwrap().is_none());
        Ok((roots, blocks))
    }

    #[tokio::test]
    async fn async_reader_matches() {
        let (car, ca, cb) = sample();
        let mut r = AsyncCarReader::new(&car[..]).await.unwrap();
        assert_eq!(r.roots(), std::slice::from_ref(&ca));
        assert_eq!(r.next_block().await.unwrap().unwrap().cid, ca);
        assert_eq!(r.next_block().await.unwrap().unwrap().cid, cb);
        assert!(r.next_block().await.unwrap().is_none());
        let whole = read_sync(&car, DEFAULT_MAX_BLOCK).unwrap();
        // Every truncation: the async reader gives exactly what the sync one gives (the same
        // blocks, or the same error at the same offset); only the cuts at the end of the
        // header and of the first block read cleanly, as a prefix of the whole.
        let mut clean = Vec::new();
        for cut in 0..car.len() {
            let sync = read_sync(&car[..cut], DEFAULT_MAX_BLOCK);
            let asynchronous = read_async(&car[..cut], DEFAULT_MAX_BLOCK).await;
            assert_eq!(sync, asynchronous, "cut at {cut}");
            match sync {
                Ok((roots, blocks)) => {
                    assert_eq!(roots, whole.0);
                    assert_eq!(blocks[..], whole.1[..blocks.len()], "cut at {cut}");
                    clean.push((cut, blocks.len()));
                }
                Err(e) => assert!(
                    e.reason().contains("ends") || e.reason().contains("empty"),
                    "cut at {cut}: {e}"
                ),
            }
        }
        // Lengths under 128 take one byte.
        let header_end = 1 + usize::from(car[0]);
        let first_end = header_end + 1 + usize::from(car[header_end]);
        assert_eq!(clean, vec![(header_end, 0), (first_end, 1)]);
    }

    /// A CAR of one raw block of `len` bytes.
    fn one_block(len: usize) -> Vec<u8> {
        let data = vec![0x5a; len];
        let cid = cbor::cid_of(cbor::RAW, &data);
        write(
            std::slice::from_ref(&cid),
            &[Block {
                cid: cid.clone(),
                data: data.into(),
            }],
        )
    }

    #[tokio::test]
    async fn the_block_limit_is_exact() {
        for max in [0usize, 1, 1000] {
            for (len, ok) in [(max, true), (max + 1, false)] {
                let car = one_block(len);
                let sync = read_sync(&car, max);
                assert_eq!(sync.is_ok(), ok, "{len} bytes, limit {max}: {sync:?}");
                assert_eq!(sync, read_async(&car, max).await);
                if let Err(e) = sync {
                    assert!(
                        e.reason().contains(&format!("a block of {len} bytes")),
                        "{e}"
                    );
                    assert!(
                        e.reason().contains(&format!("over the {max} byte limit")),
                        "{e}"
                    );
                }
            }
        }
        // The default, at its bound.
        let at = one_block(DEFAULT_MAX_BLOCK);
        assert_eq!(
            read_sync(&at, DEFAULT_MAX_BLOCK).unwrap().1[0].data.len(),
            DEFAULT_MAX_BLOCK
        );
        let mut r = AsyncCarReader::new(&at[..]).await.unwrap();
        assert_eq!(
            r.next_block().await.unwrap().unwrap().data.len(),
            DEFAULT_MAX_BLOCK
        );
        let over = one_block(DEFAULT_MAX_BLOCK + 1);
        assert!(CarReader::new(over.clone()).unwrap().next_block().is_err());
        let mut r = AsyncCarReader::new(&over[..]).await.unwrap();
        assert!(r.next_block().await.is_err());
        assert!(unverified_blocks(at.into()).is_ok());
        assert!(unverified_blocks(over.into()).is_err());
    }

    #[tokio::test]
    async fn blocks_need_blessed_cids() {
        use crate::types::cid_link::tests::unblessed;
        let good = one_block(3);
        assert!(read_sync(&good, 10).is_ok());
        // The block's CID replaced, keeping the framing right (the header's root stays
        // blessed, so the block is what is refused).
        let (_, blocks) = read_sync(&good, 10).unwrap();
        let header_len = good.len() - (1 + 36 + 3);
        for (cid, why) in unblessed() {
            let cid_bytes = cid.to_bytes();
            let mut car = good[..header_len].to_vec();
            put_varint(&mut car, (cid_bytes.len() + 3) as u64);
            car.extend_from_slice(&cid_bytes);
            car.extend_from_slice(&blocks[0].data);
            let e = read_sync(&car, 100).unwrap_err();
            assert!(e.reason().contains(why), "{cid}: {e}");
            assert_eq!(Err(e), read_async(&car, 100).await);
            assert!(unverified_blocks(car.into()).is_err());
        }
        // A root that is not a blessed CID.
        let root = CidLink::from_cid(&unblessed()[0].0);
        let car = write(std::slice::from_ref(&root), &[]);
        let e = read_sync(&car, 100).unwrap_err();
        assert!(e.reason().contains("codec"), "{e}");
        assert_eq!(Err(e), read_async(&car, 100).await);
    }
}
