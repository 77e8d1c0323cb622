// DAG-CBOR reading and validation of app.bsky.feed.post with the @atproto/* packages a PDS
// uses, on the corpus written by the Rust benchmark (benches/cbor.rs): one file of blocks,
// each preceded by its length as an unsigned LEB128 varint, with the records' CIDs as atlex
// computed them beside it (posts.cids, one a line) and the JSON text they were made from
// (posts.jsonl). The work per record:
//   decode     @atproto/lex-cbor `decode` (cborg with the data model's strict options): what
//              @atproto/repo's `cborToLex` is;
//   lex        @atproto/repo `cborToLexRecord` (that decode, checked to be an object), then
//              @atproto/lexicon `ipldToLex` (blob objects to `BlobRef`: @atproto/lexicon's
//              validator accepts no other blob value);
//   validate   lex, then `Lexicons.assertValidRecord("app.bsky.feed.post", value)` with all
//              official lexicons loaded;
//   cid        `await cidForRecord(value)` (@atproto/repo, = @atproto/lex-cbor `cidForLex`:
//              encode, then SHA-256) of values decoded beforehand.
// For context: `decode_ipld` (@ipld/dag-cbor `decode`, which @atproto/repo used before
// @atproto/lex-cbor), `lex_schema` (`cborToLexRecord`, then the PDS's own compiled
// @atproto/lex schema of the post, `safeValidate`, as the PDS validates a record it is
// asked to write), and `encode` (@atproto/lex-cbor `encode` alone).
//
// Before timing it checks that every record decodes, validates both ways, encodes back to the
// same bytes, and has the CID atlex gave it, computed both from the decoded value and from
// the JSON text (@atproto/lex-json `jsonToLex`): it exits with status 1 if not.
//
// Usage: node node_cbor_bench.mjs CORPUS.cbor   (Node 22; ATLEX_LEXICONS_DIR set)
// Prints a human summary on stderr and one JSON line on stdout:
// {"records": N, "decode": rec/s, "lex": rec/s, "validate": rec/s, "cid": rec/s, ...}
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const pds = resolve(here, '..', '..', 'pds')
const { loadReference, lexiconsFrom } = await import(pathToFileURL(join(pds, 'lexicons.mjs')).href)
const { Lexicons, ipldToLex, version: lexiconVersion } = await loadReference()

const require = createRequire(join(pds, 'package.json'))
const modules = join(pds, 'node_modules')
const versionOf = (name) => JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')).version
const load = async (name) => import(pathToFileURL(require.resolve(name)).href)
const { cborToLexRecord, cidForRecord } = await load('@atproto/repo')
const { decode, encode, cidForLex } = await load('@atproto/lex-cbor')
const { jsonToLex: lexJsonToLex } = await load('@atproto/lex-json')
const dagCbor = require('@ipld/dag-cbor')
// The PDS's compiled schema of the post (not exported by @atproto/pds: loaded by path).
const postSchema = await import(
  pathToFileURL(join(modules, '@atproto', 'pds', 'dist', 'lexicons', 'app', 'bsky', 'feed', 'post.defs.js')).href
)

const corpusPath = process.argv[2]
const lexDir = process.env.ATLEX_LEXICONS_DIR
if (!corpusPath || !lexDir) {
  console.error('usage: ATLEX_LEXICONS_DIR=... node node_cbor_bench.mjs CORPUS.cbor')
  process.exit(2)
}
const sibling = (ext) => corpusPath.replace(/\.cbor$/, '') + ext

const lex = lexiconsFrom(Lexicons, [lexDir])
const NSID = 'app.bsky.feed.post'

/** The blocks of a file of varint-length-prefixed blocks, each copied into its own buffer. */
function readBlocks(file) {
  const blocks = []
  let pos = 0
  while (pos < file.length) {
    let len = 0
    let shift = 0
    for (;;) {
      if (pos >= file.length) throw new Error('the corpus file ends inside a length')
      const byte = file[pos++]
      len += (byte & 0x7f) * 2 ** shift
      shift += 7
      if ((byte & 0x80) === 0) break
    }
    if (pos + len > file.length) throw new Error('the corpus file ends inside a block')
    blocks.push(new Uint8Array(file.subarray(pos, pos + len)))
    pos += len
  }
  return blocks
}

const records = readBlocks(readFileSync(corpusPath))
const cids = readFileSync(sibling('.cids'), 'utf8').split('\n').filter((l) => l.length > 0)
const json = readFileSync(sibling('.jsonl'), 'utf8').split('\n').filter((l) => l.length > 0)
if (cids.length !== records.length || json.length !== records.length) {
  console.error(`${records.length} records, ${cids.length} CIDs, ${json.length} JSON lines: the corpus files do not match`)
  process.exit(1)
}

const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i])
const fail = (i, what) => {
  console.error(`record ${i}: ${what}\n${json[i]}`)
  process.exit(1)
}

// Every record must be accepted, and atlex's encoding must be the reference's.
const decoded = []
for (const [i, bytes] of records.entries()) {
  let value
  try {
    value = cborToLexRecord(bytes)
    dagCbor.decode(bytes)
  } catch (e) {
    fail(i, `does not decode: ${e.message}`)
  }
  try {
    lex.assertValidRecord(NSID, ipldToLex(value))
  } catch (e) {
    fail(i, `is invalid for @atproto/lexicon: ${e.message}`)
  }
  const result = postSchema.main.safeValidate(value)
  if (!result.success) fail(i, `is invalid for the PDS's schema: ${result.reason?.message ?? result.reason}`)
  if (!equalBytes(encode(value), bytes)) fail(i, '@atproto/lex-cbor encodes the decoded value to other bytes than atlex')
  const cid = (await cidForRecord(value)).toString()
  if (cid !== cids[i]) fail(i, `CID mismatch: @atproto/repo ${cid}, atlex ${cids[i]}`)
  const fromJson = (await cidForLex(lexJsonToLex(JSON.parse(json[i])))).toString()
  if (fromJson !== cids[i]) fail(i, `CID mismatch from the JSON text: @atproto/lex-cbor ${fromJson}, atlex ${cids[i]}`)
  decoded.push(value)
}
console.error(`node: all ${records.length} records decode and validate; CIDs and bytes equal atlex's`)

let sink = 0
const work = {
  decode: (bytes) => {
    sink += decode(bytes).text.length
  },
  decode_ipld: (bytes) => {
    sink += dagCbor.decode(bytes).text.length
  },
  lex: (bytes) => {
    sink += ipldToLex(cborToLexRecord(bytes)).text.length
  },
  validate: (bytes) => {
    const value = ipldToLex(cborToLexRecord(bytes))
    lex.assertValidRecord(NSID, value)
    sink += value.text.length
  },
  lex_schema: (bytes) => {
    const value = cborToLexRecord(bytes)
    if (!postSchema.main.safeValidate(value).success) throw new Error('invalid')
    sink += value.text.length
  },
}
const onDecoded = {
  encode: (value) => {
    sink += encode(value).length
  },
  cid: async (value) => {
    sink += (await cidForRecord(value)).bytes.length
  },
}

/** One pass over `items`; seconds. */
function pass(fn, items) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < items.length; i++) fn(items[i])
  return Number(process.hrtime.bigint() - t0) / 1e9
}

/** The same for an async `fn`, awaiting each call in turn. */
async function passAsync(fn, items) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < items.length; i++) await fn(items[i])
  return Number(process.hrtime.bigint() - t0) / 1e9
}

/** Warms up for `warm` seconds, then times passes for `measure` seconds; median rec/s. */
async function measure(fn, items, warm = 3, measure = 8) {
  const once = fn.constructor.name === 'AsyncFunction' ? passAsync : pass
  let t = 0
  while (t < warm) t += await once(fn, items)
  const rates = []
  t = 0
  while (t < measure) {
    const s = await once(fn, items)
    t += s
    rates.push(items.length / s)
  }
  rates.sort((a, b) => a - b)
  return { median: rates[Math.floor(rates.length / 2)], samples: rates.length }
}

const versions = { '@atproto/lexicon': lexiconVersion }
for (const name of ['@atproto/repo', '@atproto/lex-cbor', '@atproto/lex-data', '@atproto/lex-json', '@atproto/lex', '@atproto/pds', 'cborg', '@ipld/dag-cbor']) {
  versions[name] = versionOf(name)
}
const result = { records: records.length, node: process.version, versions }
const jobs = [
  ...Object.entries(work).map(([name, fn]) => [name, fn, records]),
  ...Object.entries(onDecoded).map(([name, fn]) => [name, fn, decoded]),
]
for (const [name, fn, items] of jobs) {
  const m = await measure(fn, items)
  result[name] = Math.round(m.median)
  console.error(`node ${name}: ${Math.round(m.median)} records/s (median of ${m.samples} passes)`)
}
if (sink === 0) console.error('(empty corpus?)')
console.log(JSON.stringify(result))
