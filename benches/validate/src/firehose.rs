//! The `#commit` events of the event-stream (firehose) benchmark, planned deterministically
//! from a seed: which repository writes, which records, under which keys, revisions and
//! times. `benches/firehose.rs` turns the plan into frames (records encoded, Merkle Search
//! Trees built, commits, CARs), and `run_firehose.sh` decodes them with atlex, with the
//! `@atproto/*` packages on Node and with atrium-api.
//!
//! The shape follows the network: [`REPOS`] repositories, each already holding a few dozen
//! to a few hundred records (likes, posts, follows, reposts: only their keys matter, their
//! blocks are not in any frame) and a revision; each event is one commit of one repository
//! (picked at random) creating one record (85 %), two (10 %) or three (5 %); each created
//! record is a post of [`crate::corpus`] (60 %, in the corpus's order), a like (30 %) or a
//! follow (10 %). Record keys and revisions are TIDs from a clock that starts at
//! 2026-11-30T12:00:00Z and moves on by 0.2 to 1.5 ms an event; a record's key is up to half
//! a second older than its commit.

use crate::{at_uri, Rng, DIDS, RECORD_CIDS};
use serde_json::json;

/// The seed of [`plan`] used by the benchmark.
pub const SEED: u64 = 0x6669_7265_686f_7365;

/// Repositories in a [`plan`].
pub const REPOS: usize = 200;

/// The clock's start: 2026-11-30T12:00:00Z, in microseconds since the Unix epoch.
pub const START_MICROS: u64 = 1_796_040_000 * 1_000_000;

/// A repository as it is before the first event: its DID, the revision of its last commit,
/// and the keys (`collection/rkey`) of the records it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// `did:plc:...`.
    pub did: String,
    /// The revision of its last commit (the `since` of its first event).
    pub rev: String,
    /// The keys of its records, `collection/rkey`, in no order.
    pub keys: Vec<String>,
}

/// One record created by an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Create {
    /// The record's collection (its `$type`).
    pub collection: &'static str,
    /// Its key, a TID.
    pub rkey: String,
    /// The record as JSON text (with its `$type`).
    pub record: String,
}

/// One `#commit` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The stream's sequence number.
    pub seq: i64,
    /// The repository, an index into [`Plan::repos`].
    pub repo: usize,
    /// The commit's revision, a TID later than every earlier one of the repository.
    pub rev: String,
    /// The repository's previous revision.
    pub since: String,
    /// When the event was sent, as a datetime (`2026-11-30T12:00:00.123Z`).
    pub time: String,
    /// The records created, one to three.
    pub creates: Vec<Create>,
    /// The commit's signature (64 bytes, random: no verifier reads it here).
    pub sig: Vec<u8>,
}

/// The repositories and the events of the benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The repositories, as they are before the first event.
    pub repos: Vec<Repo>,
    /// The events, in stream order.
    pub events: Vec<Event>,
}

/// `events` events over [`REPOS`] repositories, the same for the same `events` and `seed`;
/// posts come from `crate::corpus(1_000, crate::SEED)` in order (again from the first after
/// the thousandth).
pub fn plan(events: usize, seed: u64) -> Plan {
    let mut rng = Rng(seed);
    let posts = crate::corpus(1_000, crate::SEED);
    let repos: Vec<Repo> = (0..REPOS)
        .map(|_| {
            let did = format!("did:plc:{}", base32(&mut rng, 24));
            let n = rng.range(30, 600) as usize;
            let mut keys = Vec::with_capacity(n);
            let mut seen = std::collections::HashSet::new();
            while keys.len() < n {
                let collection = match rng.below(20) {
                    0..=10 => "app.bsky.feed.like",
                    11..=14 => "app.bsky.feed.post",
                    15..=17 => "app.bsky.graph.follow",
                    _ => "app.bsky.feed.repost",
                };
                // Some time in the two years before the clock's start.
                let at = START_MICROS - rng.range(3_600_000_000, 730 * 86_400_000_000);
                let key = format!("{collection}/{}", tid(at, rng.below(1024) as u16));
                if seen.insert(key.clone()) {
                    keys.push(key);
                }
            }
            let rev_at = START_MICROS - rng.range(60_000_000, 30 * 86_400_000_000);
            Repo {
                did,
                rev: tid(rev_at, rng.below(1024) as u16),
                keys,
            }
        })
        .collect();
    let mut last_rev: Vec<String> = repos.iter().map(|r| r.rev.clone()).collect();
    let mut taken: Vec<std::collections::HashSet<String>> = repos
        .iter()
        .map(|r| r.keys.iter().cloned().collect())
        .collect();
    let mut now = START_MICROS;
    let mut next_post = 0;
    let mut out = Vec::with_capacity(events);
    for i in 0..events {
        now += rng.range(200, 1_500);
        let repo = rng.below(REPOS);
        let n = match rng.below(100) {
            0..=84 => 1,
            85..=94 => 2,
            _ => 3,
        };
        let mut creates = Vec::with_capacity(n);
        while creates.len() < n {
            let at = now - rng.range(1_000, 500_000);
            let rkey = tid(at, rng.below(1024) as u16);
            let (collection, record) = match rng.below(10) {
                0..=5 => {
                    let text = &posts[next_post % posts.len()];
                    next_post += 1;
                    ("app.bsky.feed.post", text.clone())
                }
                6..=8 => {
                    let subject = json!({ "uri": at_uri(&mut rng), "cid": *rng.pick(RECORD_CIDS) });
                    let record = json!({
                        "$type": "app.bsky.feed.like",
                        "subject": subject,
                        "createdAt": datetime(at),
                    });
                    ("app.bsky.feed.like", record.to_string())
                }
                _ => {
                    let subject = if rng.percent(50) {
                        (*rng.pick(DIDS)).to_owned()
                    } else {
                        repos[rng.below(REPOS)].did.clone()
                    };
                    let record = json!({
                        "$type": "app.bsky.graph.follow",
                        "subject": subject,
                        "createdAt": datetime(at),
                    });
                    ("app.bsky.graph.follow", record.to_string())
                }
            };
            if taken[repo].insert(format!("{collection}/{rkey}")) {
                creates.push(Create {
                    collection,
                    rkey,
                    record,
                });
            }
        }
        let rev = tid(now, rng.below(1024) as u16);
        let since = std::mem::replace(&mut last_rev[repo], rev.clone());
        let sig = (0..64).map(|_| rng.next() as u8).collect();
        out.push(Event {
            seq: 8_000_000_000 + i as i64,
            repo,
            rev,
            since,
            time: datetime(now),
            creates,
            sig,
        });
    }
    Plan { repos, events: out }
}

/// `n` characters of base32 (`a-z2-7`), as in a `did:plc`.
fn base32(rng: &mut Rng, n: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    (0..n).map(|_| *rng.pick(ALPHABET) as char).collect()
}

/// The TID of `micros` (since the Unix epoch) and clock identifier `clock` (10 bits): 13
/// characters of base32-sortable, the first bit zero.
pub fn tid(micros: u64, clock: u16) -> String {
    const S32: &[u8] = b"234567abcdefghijklmnopqrstuvwxyz";
    let v = ((micros & ((1 << 53) - 1)) << 10) | u64::from(clock & 0x3ff);
    (0..13)
        .rev()
        .map(|i| S32[((v >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// `micros` since the Unix epoch as a datetime with milliseconds, in UTC.
pub fn datetime(micros: u64) -> String {
    let secs = micros / 1_000_000;
    let millis = (micros / 1_000) % 1_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days to a civil date (H. Hinnant's algorithm), for dates after 1970.
    let z = days as i64 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3_600,
        (rem / 60) % 60,
        rem % 60
    )
}
