// Event-stream (firehose) decoding of com.atproto.sync.subscribeRepos #commit frames with the
// @atproto/* packages, on the frames written by the Rust benchmark (benches/firehose.rs): one
// file of frames, each preceded by its length as an unsigned LEB128 varint, with frames.jsonl
// beside it (what each frame carries: seq, repo, commit, rev, and each op's action, path,
// cid and record as JSON). Each frame is decoded as @atproto/sync's `Firehose` decodes a
// commit it receives, with the functions it calls (the WebSocket and the event queue aside):
//   frame    @atproto/xrpc-server `ensureChunkIsMessage` (what its `Subscription` calls on
//            every WebSocket message: @atproto/lex-cbor `decodeAll` of header and body, the
//            header checked), the body given its `$type` as `Subscription` does, then
//            `Firehose`'s own `validate`: `com.atproto.sync.subscribeRepos.$message.safeParse`
//            with @atproto/sync's compiled lexicons;
//   commit   frame, then what `Firehose.parseEvt` does with a commit when it is created with
//            `unauthenticatedCommits: true`: `commit.$isTypeOf`, then
//            `parseCommitUnauthenticated(evt)` (@atproto/repo `readCar` of `blocks`, every
//            block's CID checked against its bytes, then for each op `AtUri.make` and
//            `cborToLexRecord` of its record's block): the ratio's denominator;
//   validate (context) commit, then each record checked against its lexicon with the PDS's
//            compiled @atproto/lex schemas (`main.safeValidate`), as atlex validates the
//            records it decodes.
// Neither side verifies the commit's signature (that needs the account's DID document) nor
// resolves DIDs: `Firehose` does both unless `unauthenticatedCommits` is set.
//
// Before timing it checks that every frame decodes and validates, carries the seq, repo,
// commit, rev and ops it was made with, and gives each record back equal to the record it
// was made from (the same DAG-CBOR when encoded again, the same CID, as computed from the
// JSON text with @atproto/lex-json `jsonToLex`): it exits with status 1 if not.
//
// Usage: node node_firehose_bench.mjs FRAMES.bin   (Node 22)
// Prints a human summary on stderr and one JSON line on stdout:
// {"frames": N, "ops": N, "frame": frames/s, "commit": frames/s, "validate": frames/s, ...}
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const pds = resolve(here, '..', '..', 'pds')
const require = createRequire(join(pds, 'package.json'))
const modules = join(pds, 'node_modules')
const versionOf = (name) => JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')).version
const load = async (name) => import(pathToFileURL(require.resolve(name)).href)
const byPath = async (...parts) => import(pathToFileURL(join(modules, ...parts)).href)

const { ensureChunkIsMessage } = await load('@atproto/xrpc-server')
const { parseCommitUnauthenticated } = await load('@atproto/sync')
const { isPlainObject } = await load('@atproto/lex-data')
const { encode, cidForLex } = await load('@atproto/lex-cbor')
const { jsonToLex } = await load('@atproto/lex-json')
// @atproto/sync's compiled lexicons, which `Firehose` validates messages with (not exported
// by the package: loaded by path), and the PDS's compiled record schemas.
const { com } = await byPath('@atproto', 'sync', 'dist', 'lexicons', 'index.js')
const schemas = {
  'app.bsky.feed.post': await byPath('@atproto', 'pds', 'dist', 'lexicons', 'app', 'bsky', 'feed', 'post.defs.js'),
  'app.bsky.feed.like': await byPath('@atproto', 'pds', 'dist', 'lexicons', 'app', 'bsky', 'feed', 'like.defs.js'),
  'app.bsky.graph.follow': await byPath('@atproto', 'pds', 'dist', 'lexicons', 'app', 'bsky', 'graph', 'follow.defs.js'),
}
const subscribeRepos = com.atproto.sync.subscribeRepos
const METHOD = subscribeRepos.$lxm

const framesPath = process.argv[2]
if (!framesPath) {
  console.error('usage: node node_firehose_bench.mjs FRAMES.bin')
  process.exit(2)
}

/** The frames of a file of varint-length-prefixed frames, each in its own Buffer (as `ws`
 * hands each binary message). */
function readFrames(file) {
  const frames = []
  let pos = 0
  while (pos < file.length) {
    let len = 0
    let shift = 0
    for (;;) {
      if (pos >= file.length) throw new Error('the frames file ends inside a length')
      const byte = file[pos++]
      len += (byte & 0x7f) * 2 ** shift
      shift += 7
      if ((byte & 0x80) === 0) break
    }
    if (pos + len > file.length) throw new Error('the frames file ends inside a frame')
    frames.push(Buffer.from(file.subarray(pos, pos + len)))
    pos += len
  }
  return frames
}

const frames = readFrames(readFileSync(framesPath))
const expected = readFileSync(framesPath.replace(/\.bin$/, '') + '.jsonl', 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .map((l) => JSON.parse(l))
if (expected.length !== frames.length) {
  console.error(`${frames.length} frames, ${expected.length} lines of frames.jsonl: the files do not match`)
  process.exit(1)
}

/** A frame to the validated message, as `Subscription` then `Firehose`'s `validate` do. */
function frameToEvent(chunk) {
  const message = ensureChunkIsMessage(chunk)
  const t = message.header.t
  const typedBody = isPlainObject(message.body)
    ? t !== undefined
      ? { ...message.body, $type: t.startsWith('#') ? METHOD + t : t }
      : message.body
    : undefined
  const result = subscribeRepos.$message.safeParse(typedBody)
  if (!result.success) throw new Error(`invalid message: ${result.reason?.message ?? result.reason}`)
  return result.value
}

/** What `Firehose.parseEvt` does with a commit (`unauthenticatedCommits: true`, no filter). */
async function parseCommit(evt) {
  if (!subscribeRepos.commit.$isTypeOf(evt)) throw new Error('not a #commit')
  return parseCommitUnauthenticated(evt, null)
}

const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i])
const fail = (i, what) => {
  console.error(`frame ${i}: ${what}`)
  process.exit(1)
}

// Every frame must decode, and carry what it was made with.
let ops = 0
for (const [i, bytes] of frames.entries()) {
  const want = expected[i]
  let evt
  let evts
  try {
    evt = frameToEvent(bytes)
    evts = await parseCommit(evt)
  } catch (e) {
    fail(i, `does not decode: ${e.message}`)
  }
  if (evt.seq !== want.seq) fail(i, `seq ${evt.seq}, made with ${want.seq}`)
  if (evt.repo !== want.repo) fail(i, `repo ${evt.repo}, made with ${want.repo}`)
  if (evt.rev !== want.rev || evt.since !== want.since) fail(i, 'rev or since')
  if (evt.time !== want.time) fail(i, 'time')
  if (evt.commit.toString() !== want.commit) fail(i, `commit ${evt.commit}, made with ${want.commit}`)
  if (evts.length !== want.ops.length) fail(i, `${evts.length} ops, made with ${want.ops.length}`)
  for (const [k, e] of evts.entries()) {
    const op = want.ops[k]
    if (e.event !== op.action) fail(i, `op ${k}: ${e.event}`)
    if (`${e.collection}/${e.rkey}` !== op.path) fail(i, `op ${k}: path ${e.collection}/${e.rkey}, made with ${op.path}`)
    if (e.cid.toString() !== op.cid) fail(i, `op ${k}: cid ${e.cid}, made with ${op.cid}`)
    const source = jsonToLex(op.record)
    if (!equalBytes(encode(e.record), encode(source))) fail(i, `op ${k}: the record is not the one it was made from`)
    const cid = (await cidForLex(source)).toString()
    if (cid !== op.cid) fail(i, `op ${k}: the CID of the source record is ${cid}, atlex gave ${op.cid}`)
    const valid = schemas[e.collection].main.safeValidate(e.record)
    if (!valid.success) fail(i, `op ${k}: invalid for the PDS's schema: ${valid.reason?.message ?? valid.reason}`)
  }
  ops += evts.length
}
console.error(`node: all ${frames.length} frames decode (${ops} records); messages and records equal those they were made from`)

let sink = 0
const work = {
  frame: (bytes) => {
    sink += frameToEvent(bytes).seq
  },
  commit: async (bytes) => {
    const evts = await parseCommit(frameToEvent(bytes))
    sink += evts.length
  },
  validate: async (bytes) => {
    const evts = await parseCommit(frameToEvent(bytes))
    for (const e of evts) {
      if (!schemas[e.collection].main.safeValidate(e.record).success) throw new Error('invalid')
    }
    sink += evts.length
  },
}

/** One pass over `items`; seconds. */
function pass(fn, items) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < items.length; i++) fn(items[i])
  return Number(process.hrtime.bigint() - t0) / 1e9
}

/** The same for an async `fn`, awaiting each call in turn (as `Firehose` awaits each event). */
async function passAsync(fn, items) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < items.length; i++) await fn(items[i])
  return Number(process.hrtime.bigint() - t0) / 1e9
}

/** Warms up for `warm` seconds, then times passes for `measure` seconds; median frames/s. */
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

const versions = {}
for (const name of [
  '@atproto/sync',
  '@atproto/xrpc-server',
  '@atproto/repo',
  '@atproto/lex-cbor',
  '@atproto/lex-data',
  '@atproto/lex',
  '@atproto/syntax',
  '@atproto/pds',
  'cborg',
]) {
  versions[name] = versionOf(name)
}
const result = { frames: frames.length, ops, node: process.version, versions }
for (const [name, fn] of Object.entries(work)) {
  const m = await measure(fn, frames)
  result[name] = Math.round(m.median)
  console.error(`node ${name}: ${Math.round(m.median)} frames/s (median of ${m.samples} passes)`)
}
if (sink === 0) console.error('(no frames?)')
console.log(JSON.stringify(result))
