// The reference TypeScript validator (@atproto/lexicon, installed here by `bash install.sh`)
// and a loader for lexicon folders, shared by the scripts that compare atlex with it
// (tests/diff/validate.mjs, benches/validate/node_bench.mjs, node_cbor_bench.mjs). Run them
// with Node 22.
import { createRequire } from 'node:module'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, 'package.json'))

/** Loads @atproto/lexicon from pds/node_modules: its exports and its version. */
export async function loadReference() {
  let entry
  try {
    entry = require.resolve('@atproto/lexicon')
  } catch (e) {
    throw new Error(`cannot find @atproto/lexicon in ${here}/node_modules (run \`bash pds/install.sh\`): ${e.message}`)
  }
  const lexicon = await import(pathToFileURL(entry).href)
  const version = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')).version
  return { ...lexicon, version }
}

/** Every *.json file under `dir`, recursively, in sorted order. */
export function jsonFiles(dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...jsonFiles(path))
    else if (name.endsWith('.json')) out.push(path)
  }
  return out
}

/** A `Lexicons` holding every document under `dirs`; `onError(path, error)` decides what a
 * document the reference refuses does (the default throws). */
export function lexiconsFrom(Lexicons, dirs, onError = (path, e) => { throw new Error(`${path}: ${e.message}`) }) {
  const lex = new Lexicons()
  for (const path of dirs.flatMap(jsonFiles)) {
    try {
      lex.add(JSON.parse(readFileSync(path, 'utf8')))
    } catch (e) {
      onError(path, e)
    }
  }
  return lex
}
