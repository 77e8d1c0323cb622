// The reference client of com.atproto.sync.subscribeRepos, for the tests that check what an
// atlex server sends (tests/tests/stream.rs): @atproto/xrpc-server's `Subscription` reads the
// frames, each message is validated with @atproto/sync's lexicon of the subscription (as its
// Firehose does), and commits and syncs are parsed with @atproto/sync's own functions (the
// CAR read with its CIDs checked, each record decoded). Run with Node 22:
//
//   node pds/reference/subscribe.mjs ws://127.0.0.1:PORT [cursor]
//
// Prints one JSON line per thing read, values in the data model's JSON form ($link, $bytes):
//   {"message": {...}, "parsed": ...}  a message (with its $type), and what @atproto/sync
//                                      makes of it (#commit: its ops with records; #sync: the
//                                      CAR root and rev; #account: the account event)
//   {"invalid": "...", "value": {...}} a message the lexicon refuses
//   {"error": "Name", "message": "..."} the stream's error frame (then it exits)
//   {"failed": "..."}                  anything else that ended the stream
//   {"end": true}                      the server closed the stream without an error
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '..', 'package.json'))

async function load(name, file) {
  let entry
  try {
    entry = require.resolve(name)
  } catch (e) {
    throw new Error(`cannot find ${name} in ${join(here, '..', 'node_modules')} (run \`bash pds/install.sh\`): ${e.message}`)
  }
  return import(pathToFileURL(file ? join(dirname(entry), file) : entry).href)
}

const [service, cursor] = process.argv.slice(2)
if (!service) {
  console.error('usage: node subscribe.mjs ws://host:port [cursor]')
  process.exit(2)
}

const { Subscription } = await load('@atproto/xrpc-server')
const sync = await load('@atproto/sync')
// The lexicons @atproto/sync's Firehose validates with (not among its package exports).
const { com } = await load('@atproto/sync', 'lexicons/index.js')
const { lexToJson } = await load('@atproto/lex-json')

const subscribeRepos = com.atproto.sync.subscribeRepos
const print = (value) => process.stdout.write(JSON.stringify(value) + '\n')

// Never hang a test: a stream that neither ends nor fails within 30 s is a failure.
setTimeout(() => {
  print({ failed: 'no end within 30 s' })
  process.exit(3)
}, 30_000).unref()

async function parse(evt) {
  if (subscribeRepos.commit.$isTypeOf(evt)) {
    return sync.parseCommitUnauthenticated(evt)
  } else if (subscribeRepos.sync.$isTypeOf(evt)) {
    return sync.parseSync(evt)
  } else if (subscribeRepos.account.$isTypeOf(evt)) {
    return sync.parseAccount(evt) ?? null
  }
  return null
}

const sub = new Subscription({
  service,
  method: subscribeRepos.$lxm,
  getParams: () => (cursor === undefined ? {} : { cursor: Number(cursor) }),
  validate: (value) => {
    const result = subscribeRepos.$message.safeParse(value)
    if (result.success) return result.value
    print({ invalid: String(result.reason?.message ?? result.reason), value: lexToJson(value) })
    return undefined
  },
})

try {
  for await (const evt of sub) {
    let parsed
    try {
      parsed = await parse(evt)
    } catch (e) {
      parsed = { parseError: String(e?.message ?? e) }
    }
    // The parsed commit carries the whole block map: keep what a test compares.
    if (Array.isArray(parsed)) {
      parsed = parsed.map(({ blocks, ...rest }) => rest)
    } else if (parsed && parsed.blocks) {
      const { blocks, ...rest } = parsed
      parsed = rest
    }
    print({ message: lexToJson(evt), parsed: lexToJson(parsed) })
  }
  print({ end: true })
} catch (e) {
  // The error frame, as the reference reader throws it (stream.js: `new XRPCError(-1, ...)`).
  if (e?.constructor?.name === 'XRPCError' && typeof e.error === 'string') {
    print({ error: e.error, message: e.message })
  } else {
    print({ failed: String(e?.stack ?? e) })
  }
}
process.exit(0)
