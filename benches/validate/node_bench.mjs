// Validation throughput of app.bsky.feed.post with @atproto/lexicon (the reference TypeScript
// validator), on the corpus written by the Rust benchmark (benches/validate.rs): the work per
// record is `JSON.parse` of the record's text, `jsonToLex` (what the PDS does with a JSON
// body: $link -> CID, blob objects -> BlobRef; the validator needs these types), then
// `Lexicons.assertValidRecord`. Parsing alone and parsing + jsonToLex are timed too.
//
// Usage: node node_bench.mjs CORPUS.jsonl   (Node 22; ATLEX_LEXICONS_DIR set)
// Prints a human summary on stderr and one JSON line on stdout:
// {"records": N, "parse": rec/s, "parse_lex": rec/s, "validate": rec/s, ...}
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const shared = pathToFileURL(resolve(here, '..', '..', 'pds', 'lexicons.mjs')).href
const { loadReference, lexiconsFrom } = await import(shared)
const { Lexicons, jsonToLex, version: lexiconVersion } = await loadReference()

const corpusPath = process.argv[2]
const lexDir = process.env.ATLEX_LEXICONS_DIR
if (!corpusPath || !lexDir) {
  console.error('usage: ATLEX_LEXICONS_DIR=... node node_bench.mjs CORPUS.jsonl')
  process.exit(2)
}

const lex = lexiconsFrom(Lexicons, [lexDir])

const records = readFileSync(corpusPath, 'utf8').split('\n').filter((l) => l.length > 0)
const NSID = 'app.bsky.feed.post'

// Every record must be valid here too.
for (const [i, text] of records.entries()) {
  try {
    lex.assertValidRecord(NSID, jsonToLex(JSON.parse(text)))
  } catch (e) {
    console.error(`record ${i} is invalid for @atproto/lexicon: ${e.message}\n${text}`)
    process.exit(1)
  }
}

let sink = 0
const work = {
  parse: (text) => {
    sink += JSON.parse(text).text.length
  },
  parse_lex: (text) => {
    sink += jsonToLex(JSON.parse(text)).text.length
  },
  validate: (text) => {
    const value = jsonToLex(JSON.parse(text))
    lex.assertValidRecord(NSID, value)
    sink += value.text.length
  },
}

/** One pass over the corpus; seconds. */
function pass(fn) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < records.length; i++) fn(records[i])
  return Number(process.hrtime.bigint() - t0) / 1e9
}

/** Warms up for `warm` seconds, then times passes for `measure` seconds; median rec/s. */
function measure(fn, warm = 3, measure = 8) {
  let t = 0
  while (t < warm) t += pass(fn)
  const rates = []
  t = 0
  while (t < measure) {
    const s = pass(fn)
    t += s
    rates.push(records.length / s)
  }
  rates.sort((a, b) => a - b)
  return { median: rates[Math.floor(rates.length / 2)], samples: rates.length }
}

const result = { records: records.length, node: process.version, lexicon: lexiconVersion }
for (const [name, fn] of Object.entries(work)) {
  const m = measure(fn)
  result[name] = Math.round(m.median)
  console.error(`node ${name}: ${Math.round(m.median)} records/s (median of ${m.samples} passes)`)
}
if (sink === 0) console.error('(empty corpus?)')
console.log(JSON.stringify(result))
