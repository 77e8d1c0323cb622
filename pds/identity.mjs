// Resolves handles and DIDs with the reference resolver (@atproto/identity's IdResolver,
// installed here by `bash install.sh`) and prints one JSON line per name, for
// tests/tests/identity.rs to compare with atlex. Run it with Node 22:
//
//   node identity.mjs '{"plcUrl": "http://127.0.0.1:2582", "pdsUrl": "http://127.0.0.1:2583",
//                       "dnsServers": ["127.0.0.1:5300"], "names": ["alice.test", "did:plc:..."]}'
//
//   plcUrl      the PLC directory for did:plc
//   pdsUrl      if given, handles are resolved as @atproto/dev-env's mockResolvers does it:
//               GET <pdsUrl>/.well-known/atproto-did with `Host: <handle>` (`.test` handles
//               have no DNS)
//   dnsServers  if given, the DNS servers the reference's HandleResolver asks (ip:port)
//
// Each line: {"name", "did", "handle", "pds", "signingKey", "labelKey"} (keys as did:key), or
// {"name", "error"}. The handle is checked both ways as the PDS and AppView do it: a handle
// given is kept when the document's handle (lowercased) is that handle, a DID's document
// handle when it resolves back to the DID.
import { createRequire } from 'node:module'
import http from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, 'package.json'))
const load = async (name) => import(pathToFileURL(require.resolve(name)).href)

const config = JSON.parse(process.argv[2])
// Before anything imports `node:dns/promises` (as @atproto/identity's HandleResolver does):
// its functions keep the servers of the moment it is first imported.
if (config.dnsServers) require('node:dns').setServers(config.dnsServers)

const identity = await load('@atproto/identity')
const commonWeb = await load('@atproto/common-web')

// The default fetch of @atproto/identity refuses http and ports; dev-env and tests pass the
// plain one, as here.
const resolver = new identity.IdResolver({ plcUrl: config.plcUrl, timeout: 3000, fetch: globalThis.fetch })

/** The DID of `handle`, through the PDS's well-known route with a Host header. */
function viaPds(handle) {
  const url = new URL('/.well-known/atproto-did', config.pdsUrl)
  return new Promise((resolve) => {
    const req = http.get(url, { headers: { host: handle } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined))
    })
    req.on('error', () => resolve(undefined))
  })
}

const resolveHandle = (handle) => (config.pdsUrl ? viaPds(handle) : resolver.handle.resolve(handle))

function keyOf(doc, id) {
  const material = commonWeb.getVerificationMaterial(doc, id)
  return material ? identity.getDidKeyFromMultibase(material) ?? null : null
}

async function resolve(name) {
  let did
  let handle = null
  if (name.startsWith('did:')) {
    did = name
  } else {
    did = await resolveHandle(name.toLowerCase())
    if (!did) throw new Error(`no DID for ${name}`)
  }
  const doc = await resolver.did.ensureResolve(did)
  const claimed = identity.getHandle(doc)?.toLowerCase()
  if (name.startsWith('did:')) {
    if (claimed && (await resolveHandle(claimed)) === did) handle = claimed
  } else if (claimed === name.toLowerCase()) {
    handle = claimed
  } else {
    throw new Error(`${did} does not claim ${name}`)
  }
  return {
    did,
    handle,
    pds: identity.getPds(doc) ?? null,
    signingKey: keyOf(doc, 'atproto'),
    labelKey: keyOf(doc, 'atproto_label'),
  }
}

for (const name of config.names) {
  try {
    console.log(JSON.stringify({ name, ...(await resolve(name)) }))
  } catch (err) {
    console.log(JSON.stringify({ name, error: `${err.constructor.name}: ${err.message}` }))
  }
}
