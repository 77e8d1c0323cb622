// Rich text with the reference (@atproto/api's RichText, installed here by `bash install.sh`),
// for tests/tests/richtext.rs to compare with atlex::richtext. Run it with Node 22; it reads
// JSON lines on stdin and writes one JSON line per input line, in order:
//
//   {"op": "detect", "text": T}
//       new RichText({text: T}).detectFacetsWithoutResolution(), answered as
//       {"text", "length" (UTF-8 bytes), "graphemeLength", "facets" (null when none),
//        "segments": [{"text", "facet"?}]}
//   {"op": "facets", "text": T}
//       the facets alone (null when none), for large sweeps
//   {"op": "segments", "text": T, "facets": F}
//       new RichText({text: T, facets: F}): the same answer, for facets given
//   {"op": "edit", "text": T, "facets": F, "edits": [{"insert": [i, s]} | {"delete": [a, b]}]}
//       the edits applied in order with RichText.insert and RichText.delete: the same answer
//   {"op": "resolve", "service": URL, "text": T}
//       RichText.detectFacets(agent) with an AtpAgent on URL (mentions resolved with
//       com.atproto.identity.resolveHandle there): the same answer
//   {"op": "tables"}
//       what the reference's detection is built on: {"api" (@atproto/api version), "tlds"
//       (the `tlds` package's list), "tldsVersion", "unicode" (Node's Unicode version),
//       "punctuation" ([first, last] code point ranges of the regular expression \p{P})}
//
// A line that fails is answered {"error": "..."}.
import { createRequire } from 'node:module'
import { existsSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, 'package.json'))

/** The entry file and package.json of an installed package (as @atproto/api resolves it). */
function locate(name, from = require) {
  const entry = from.resolve(name)
  let dir = dirname(entry)
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return { entry, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')), dir }
}

const api = locate('@atproto/api')
const { RichText, AtpAgent } = await import(pathToFileURL(api.entry).href)
// The `tlds` that @atproto/api itself imports.
const tlds = locate('tlds', createRequire(api.entry))

function answer(rt) {
  return {
    text: rt.text,
    length: rt.length,
    graphemeLength: rt.graphemeLength,
    facets: rt.facets ?? null,
    segments: [...rt.segments()].map((s) => (s.facet ? { text: s.text, facet: s.facet } : { text: s.text })),
  }
}

function punctuation() {
  const ranges = []
  let start = -1
  for (let c = 0; c <= 0x110000; c++) {
    const p = c < 0x110000 && !(c >= 0xd800 && c < 0xe000) && /^\p{P}$/u.test(String.fromCodePoint(c))
    if (p && start < 0) start = c
    if (!p && start >= 0) {
      ranges.push([start, c - 1])
      start = -1
    }
  }
  return ranges
}

async function run(req) {
  switch (req.op) {
    case 'detect': {
      const rt = new RichText({ text: req.text })
      rt.detectFacetsWithoutResolution()
      return answer(rt)
    }
    case 'facets': {
      const rt = new RichText({ text: req.text })
      rt.detectFacetsWithoutResolution()
      return { facets: rt.facets ?? null }
    }
    case 'segments':
      return answer(new RichText({ text: req.text, facets: req.facets }))
    case 'edit': {
      const rt = new RichText({ text: req.text, facets: req.facets })
      for (const edit of req.edits) {
        if (edit.insert) rt.insert(edit.insert[0], edit.insert[1])
        else rt.delete(edit.delete[0], edit.delete[1])
      }
      return answer(rt)
    }
    case 'resolve': {
      const rt = new RichText({ text: req.text })
      await rt.detectFacets(new AtpAgent({ service: req.service }))
      return answer(rt)
    }
    case 'tables':
      return {
        api: api.pkg.version,
        tlds: JSON.parse(readFileSync(join(tlds.dir, 'index.json'), 'utf8')),
        tldsVersion: tlds.pkg.version,
        unicode: process.versions.unicode,
        punctuation: punctuation(),
      }
    default:
      throw new Error(`unknown op ${JSON.stringify(req.op)}`)
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  let out
  try {
    out = await run(JSON.parse(line))
  } catch (e) {
    out = { error: String(e && e.message ? e.message : e) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}
