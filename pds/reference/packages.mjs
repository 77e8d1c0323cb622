// The reference implementation's binary-data packages (@atproto/repo, @atproto/lex-cbor,
// @atproto/lex-data, @atproto/lex-json, @atproto/crypto, @atproto/identity), loaded from
// pds/node_modules, where `bash pds/install.sh` puts them (as dependencies of
// @atproto/dev-env). Shared by the scripts in this folder; run them with Node 22.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const pds = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(pds, 'package.json'))

/** The package's exports, with its installed version as `version`. */
export async function load(name) {
  let entry
  try {
    entry = require.resolve(name)
  } catch (e) {
    throw new Error(`cannot find ${name} in ${pds}/node_modules (run \`bash pds/install.sh\`): ${e.message}`)
  }
  const exports = await import(pathToFileURL(entry).href)
  let dir = dirname(entry)
  while (!safeRead(join(dir, 'package.json'))?.includes(`"name": "${name}"`)) {
    const up = dirname(dir)
    if (up === dir) return { ...exports, version: 'unknown' }
    dir = up
  }
  const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version
  return { ...exports, version }
}

function safeRead(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}
