// Inter-service auth tokens through the reference (@atproto/xrpc-server's createServiceJwt and
// verifyJwt, @atproto/identity resolving the issuer's key, both installed here by
// `bash install.sh`), for tests/tests/service_auth.rs to compare with atlex. Run it with
// Node 22:
//
//   node service-auth.mjs '{"plcUrl": "http://127.0.0.1:2582",
//                           "verify": [{"token": "ey...", "aud": "did:web:...", "lxm": "app.bsky.feed.getFeedSkeleton"}],
//                           "mint": [{"iss": "did:web:...", "aud": "did:web:...", "lxm": "...",
//                                     "curve": "p256", "privateKey": "<32 bytes hex>", "exp": 1700000000}]}'
//
//   verify  each token checked with verifyJwt(token, aud, lxm, getSigningKey); `aud` or `lxm`
//           null skips that check, as verifyJwt says. getSigningKey reads the key the way the
//           reference PDS does (auth-verifier.js): the DID before any `#`, the `#atproto_label`
//           key for an `iss` ending in `#atproto_labeler`, else `#atproto`; its second call (a
//           bad signature) resolves the document again.
//   mint    each token made with createServiceJwt from the private key given (`k256` or
//           `p256`); `iat`, `exp` and `lxm` optional.
//
// Prints one JSON line per item, in order: {"verify": i, "payload": {...}} or {"verify": i,
// "error": <XRPC error name>, "message"}, then {"mint": i, "token"}.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, 'package.json'))
const load = async (name) => import(pathToFileURL(require.resolve(name)).href)

const config = JSON.parse(process.argv[2])
const identity = await load('@atproto/identity')
const commonWeb = await load('@atproto/common-web')
const crypto = await load('@atproto/crypto')
const xrpcServer = await load('@atproto/xrpc-server')

// The default fetch of @atproto/identity refuses http and ports; dev-env and tests pass the
// plain one, as here (did:web:localhost%3A<port> resolves over http).
const resolver = new identity.IdResolver({ plcUrl: config.plcUrl, timeout: 3000, fetch: globalThis.fetch })

async function getSigningKey(iss, forceRefresh) {
  const [did, serviceId] = iss.split('#')
  const keyId = serviceId === 'atproto_labeler' ? 'atproto_label' : 'atproto'
  const doc = await resolver.did.resolve(did, forceRefresh)
  if (!doc) throw new xrpcServer.AuthRequiredError('could not resolve iss did')
  const material = commonWeb.getVerificationMaterial(doc, keyId)
  const didKey = material ? identity.getDidKeyFromMultibase(material) : undefined
  if (!didKey) throw new xrpcServer.AuthRequiredError('missing or bad key in did doc')
  return didKey
}

for (const [i, item] of (config.verify ?? []).entries()) {
  try {
    const payload = await xrpcServer.verifyJwt(item.token, item.aud ?? null, item.lxm ?? null, getSigningKey)
    console.log(JSON.stringify({ verify: i, payload }))
  } catch (err) {
    const error = err instanceof xrpcServer.XRPCError ? err.error : `${err.constructor.name}`
    console.log(JSON.stringify({ verify: i, error, message: err.message }))
  }
}

for (const [i, item] of (config.mint ?? []).entries()) {
  const Keypair = item.curve === 'p256' ? crypto.P256Keypair : crypto.Secp256k1Keypair
  const keypair = await Keypair.import(item.privateKey)
  const token = await xrpcServer.createServiceJwt({
    iss: item.iss,
    aud: item.aud,
    lxm: item.lxm ?? null,
    iat: item.iat,
    exp: item.exp,
    keypair,
  })
  console.log(JSON.stringify({ mint: i, token }))
}
