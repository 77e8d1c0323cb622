// The reference side of atlex's key and signature tests (tests/tests/interop_crypto.rs): the
// test writes one JSON request on stdin, this script answers with one JSON document on stdout,
// computed by @atproto/crypto (keys, did:key, signatures), @noble/curves (the curve library
// @atproto/crypto signs with, for the high-S and DER forms), @did-plc/lib (the DID documents a
// PLC directory serves) and @atproto/identity (the key a resolver reads from them), all from
// pds/node_modules (`bash pds/install.sh`). Run with Node 22. Bytes are hex.
//
// Request fields, each optional:
//   verify: [{ didKey, message, signature }]   -> verify: [{ strict, lenient }]
//       verifySignature with allowMalleableSig off and on.
//   parseDidKey: [didKey]                      -> parseDidKey: [{ jwtAlg, keyBytes } | { error }]
//       keyBytes is the uncompressed point.
//   parseMultikey: [multibase]                 -> parseMultikey: [{ jwtAlg, keyBytes } | { error }]
//   fromPrivateKey: [{ jwtAlg, privateKey }]   -> fromPrivateKey: [didKey]
//       the did:key of the keypair that import() makes of the private key.
//   generate: { keys, messages }               -> generate: [{ jwtAlg, privateKey, didKey,
//       multikey, publicKey, signed: [{ message, signature, highS, der, derHighS }] }]
//       `keys` new keypairs per curve, each signing `messages` random messages; the signature
//       as Keypair.sign gives it, its high-S twin, and both in DER.
//   plcDocs: [didKey]                          -> plcDocs: [{ type, publicKeyMultibase, didKey }]
//       the #atproto verification method of a document @did-plc/lib's formatDidDoc writes
//       for that key, and the did:key @atproto/identity reads back from it.
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, 'package.json'))

async function load(name, from = require) {
  let entry
  try {
    entry = from.resolve(name)
  } catch (e) {
    throw new Error(`cannot find ${name} from ${here} (run \`bash pds/install.sh\`): ${e.message}`)
  }
  return import(pathToFileURL(entry).href)
}

const crypto = await load('@atproto/crypto')
const identity = await load('@atproto/identity')
const plc = await load('@did-plc/lib')
// The curves of the @atproto/crypto installed here, whichever @noble/curves it resolves.
const fromCrypto = createRequire(require.resolve('@atproto/crypto'))
const { p256 } = await load('@noble/curves/p256', fromCrypto)
const { secp256k1 } = await load('@noble/curves/secp256k1', fromCrypto)

const hex = (bytes) => Buffer.from(bytes).toString('hex')
const bytes = (text) => new Uint8Array(Buffer.from(text, 'hex'))
const curves = { [crypto.SECP256K1_JWT_ALG]: secp256k1, [crypto.P256_JWT_ALG]: p256 }
const keypairClass = { [crypto.SECP256K1_JWT_ALG]: crypto.Secp256k1Keypair, [crypto.P256_JWT_ALG]: crypto.P256Keypair }

function parsed(parse, text) {
  try {
    const { jwtAlg, keyBytes } = parse(text)
    return { jwtAlg, keyBytes: hex(keyBytes) }
  } catch (e) {
    return { error: String(e.message ?? e) }
  }
}

async function verify({ didKey, message, signature }) {
  const data = bytes(message)
  const sig = bytes(signature)
  const check = (allowMalleableSig) =>
    crypto.verifySignature(didKey, data, sig, { allowMalleableSig }).catch(() => false)
  return { strict: await check(false), lenient: await check(true) }
}

async function generate({ keys, messages }) {
  const out = []
  for (const jwtAlg of [crypto.SECP256K1_JWT_ALG, crypto.P256_JWT_ALG]) {
    const curve = curves[jwtAlg]
    for (let k = 0; k < keys; k++) {
      const keypair = await keypairClass[jwtAlg].create({ exportable: true })
      const signed = []
      for (let m = 0; m < messages; m++) {
        const message = randomBytes(Math.floor(Math.random() * 300))
        const signature = await keypair.sign(message)
        const sig = curve.Signature.fromCompact(signature)
        const twin = new curve.Signature(sig.r, curve.CURVE.n - sig.s)
        signed.push({
          message: hex(message),
          signature: hex(signature),
          highS: hex(twin.toCompactRawBytes()),
          der: hex(sig.toDERRawBytes()),
          derHighS: hex(twin.toDERRawBytes()),
        })
      }
      const didKey = keypair.did()
      out.push({
        jwtAlg,
        privateKey: hex(await keypair.export()),
        didKey,
        multikey: didKey.slice('did:key:'.length),
        publicKey: hex(crypto.parseDidKey(didKey).keyBytes),
        signed,
      })
    }
  }
  return out
}

function plcDoc(didKey) {
  const doc = plc.formatDidDoc({
    did: 'did:plc:atlexcryptotest00000000',
    verificationMethods: { atproto: didKey },
    rotationKeys: [],
    alsoKnownAs: [],
    services: {},
  })
  const method = doc.verificationMethod.find((m) => m.id === '#atproto')
  return {
    type: method.type,
    publicKeyMultibase: method.publicKeyMultibase,
    didKey: identity.getDidKeyFromMultibase(method),
  }
}

const request = JSON.parse(readFileSync(0, 'utf8'))
const answer = { crypto: JSON.parse(readFileSync(join(dirname(require.resolve('@atproto/crypto')), '..', 'package.json'), 'utf8')).version }
if (request.verify) answer.verify = await Promise.all(request.verify.map(verify))
if (request.parseDidKey) answer.parseDidKey = request.parseDidKey.map((d) => parsed(crypto.parseDidKey, d))
if (request.parseMultikey) answer.parseMultikey = request.parseMultikey.map((m) => parsed(crypto.parseMultikey, m))
if (request.fromPrivateKey) {
  answer.fromPrivateKey = await Promise.all(
    request.fromPrivateKey.map(async ({ jwtAlg, privateKey }) => (await keypairClass[jwtAlg].import(bytes(privateKey))).did()),
  )
}
if (request.generate) answer.generate = await generate(request.generate)
if (request.plcDocs) answer.plcDocs = request.plcDocs.map(plcDoc)
process.stdout.write(JSON.stringify(answer) + '\n')
