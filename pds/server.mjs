// Reference AT Protocol PDS (with an in-process PLC directory) for end-to-end
// tests, served on loopback only. Run it with Node 22 through ./start.sh.
//
//   ATLEX_PDS_PORT  PDS port (default 2583)
//   ATLEX_PLC_PORT  PLC port (default 2582)
//   ATLEX_PDS_DATA  parent folder for the throw-away data directory
//                   (default: the OS temp dir); removed on shutdown
//
// Accounts whose handle starts with `shortlived-` get access tokens that
// expire one second after createSession issues them (the PDS's own token code,
// with its key; refreshSession then issues ordinary ones), so that tests can
// see the PDS answer ExpiredToken.
//
// Prints `ready http://127.0.0.1:<port>` on stdout once serving, and shuts
// down cleanly on SIGTERM / SIGINT.
//
// The process is kept strictly offline: servers bind 127.0.0.1, and every
// outgoing TCP connection or DNS query to anything but loopback is refused
// before it leaves the process (see `guardNetwork`).

import dns from 'node:dns'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { syncBuiltinESMExports } from 'node:module'

const LOOPBACK = '127.0.0.1'

function envPort(name, dflt) {
  const raw = process.env[name]
  if (raw == null || raw === '') return dflt
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port, got ${JSON.stringify(raw)}`)
  }
  return port
}

function isLoopbackHost(host) {
  if (host == null || host === '') return true // node's default is localhost
  let h = String(host).toLowerCase()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  if (h === 'localhost' || h === 'localhost.') return true
  if (net.isIPv4(h)) return h.startsWith('127.')
  if (net.isIPv6(h)) return h === '::1' || h.startsWith('::ffff:127.')
  return false
}

function blocked(what) {
  const msg = `atlex-pds: blocked non-loopback network access: ${what}`
  console.error(msg)
  return Object.assign(new Error(msg), { code: 'ECONNREFUSED' })
}

function guardNetwork() {
  // Servers given only a port bind loopback instead of every interface.
  const listen = net.Server.prototype.listen
  net.Server.prototype.listen = function (...args) {
    const [first] = args
    if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      if (typeof args[1] !== 'string') args.splice(1, 0, LOOPBACK)
    } else if (first && typeof first === 'object' && 'port' in first && first.host == null && first.path == null) {
      args[0] = { ...first, host: LOOPBACK }
    }
    return listen.apply(this, args)
  }

  // Every TCP/TLS client (http, https, undici/fetch, http2) ends up here.
  const connect = net.Socket.prototype.connect
  net.Socket.prototype.connect = function (...args) {
    let opts = args[0]
    if (Array.isArray(opts)) opts = opts[0] // already normalized by net.connect
    let host
    let isPath = false
    if (opts !== null && typeof opts === 'object') {
      host = opts.host
      isPath = opts.path != null
    } else if (typeof opts === 'string' && !/^\d+$/.test(opts)) {
      isPath = true // unix socket
    } else if (typeof args[1] === 'string') {
      host = args[1]
    }
    if (!isPath && !isLoopbackHost(host)) {
      const err = blocked(`connect ${host}`)
      process.nextTick(() => this.destroy(err))
      return this
    }
    return connect.apply(this, args)
  }

  // getaddrinfo may query a DNS server; only loopback names are allowed.
  const lookup = dns.lookup
  dns.lookup = function (hostname, ...rest) {
    if (isLoopbackHost(hostname)) return lookup.call(this, hostname, ...rest)
    const cb = rest.find((a) => typeof a === 'function')
    const err = blocked(`dns lookup ${hostname}`)
    if (cb) process.nextTick(() => cb(err))
    else throw err
  }
  const lookupP = dns.promises.lookup
  dns.promises.lookup = async function (hostname, ...rest) {
    if (isLoopbackHost(hostname)) return lookupP.call(this, hostname, ...rest)
    throw blocked(`dns lookup ${hostname}`)
  }

  // c-ares resolvers always ask a name server: refuse them all.
  const refuseResolve = (target, isPromise) => {
    for (const key of Object.keys(target)) {
      if (!/^resolve|^reverse$/.test(key) || typeof target[key] !== 'function') continue
      target[key] = function (name, ...rest) {
        const err = blocked(`dns ${key} ${name}`)
        if (isPromise) return Promise.reject(err)
        const cb = rest.find((a) => typeof a === 'function')
        if (cb) process.nextTick(() => cb(err))
        else throw err
      }
    }
  }
  refuseResolve(dns, false)
  refuseResolve(dns.promises, true)
  for (const [Resolver, isPromise] of [
    [dns.Resolver, false],
    [dns.promises.Resolver, true],
  ]) {
    const proto = Resolver.prototype
    const names = Object.getOwnPropertyNames(proto).concat(
      Object.getOwnPropertyNames(Object.getPrototypeOf(proto)),
    )
    const shim = {}
    for (const key of names) {
      if (/^resolve|^reverse$/.test(key) && typeof proto[key] === 'function') shim[key] = proto[key]
    }
    refuseResolve(shim, isPromise)
    Object.assign(proto, shim)
  }

  syncBuiltinESMExports()
}

// createSession for handles starting with `shortlived-` issues a one-second
// access token, made by the PDS's own createAccessToken with its own key.
async function shortLivedSessions(accountManager) {
  const auth = await import(
    new URL('./node_modules/@atproto/pds/dist/account-manager/helpers/auth.js', import.meta.url)
  )
  const createSession = accountManager.createSession.bind(accountManager)
  accountManager.createSession = async (did, appPassword, isSoftDeleted = false) => {
    const tokens = await createSession(did, appPassword, isSoftDeleted)
    const account = await accountManager.getAccount(did)
    if (account?.handle?.startsWith('shortlived-')) {
      tokens.accessJwt = await auth.createAccessToken({
        did,
        jwtKey: accountManager.jwtKey,
        serviceDid: accountManager.serviceDid,
        scope: auth.formatScope(appPassword, isSoftDeleted),
        expiresIn: '1s',
      })
    }
    return tokens
  }
}

async function main() {
  const pdsPort = envPort('ATLEX_PDS_PORT', 2583)
  const plcPort = envPort('ATLEX_PLC_PORT', 2582)
  if (pdsPort === plcPort) throw new Error('ATLEX_PDS_PORT and ATLEX_PLC_PORT must differ')

  guardNetwork()
  // Loaded only after the guard is in place.
  const { TestNetworkNoAppView } = await import('@atproto/dev-env')

  const dataRoot = await fs.mkdtemp(path.join(process.env.ATLEX_PDS_DATA || os.tmpdir(), 'atlex-pds-'))
  // dev-env puts the PDS databases and blobs in fresh folders under
  // os.tmpdir(): keep them all inside dataRoot.
  process.env.TMPDIR = dataRoot
  // A closed loopback port: anything the PDS would proxy to an AppView or a
  // moderation service fails locally instead of going to a made-up host.
  const nowhere = `http://${LOOPBACK}:9`

  let network
  try {
    network = await TestNetworkNoAppView.create({
      plc: { port: plcPort },
      pds: {
        port: pdsPort,
        inviteRequired: false,
        serviceHandleDomains: ['.test'],
        bskyAppViewUrl: nowhere,
        bskyAppViewDid: 'did:example:invalid',
        bskyAppViewCdnUrlPattern: `${nowhere}/%s/%s/%s`,
        modServiceUrl: nowhere,
        modServiceDid: 'did:example:invalid',
        // Off already by default; spelled out so no outside service is used.
        reportServiceUrl: undefined,
        reportServiceDid: undefined,
        crawlers: [],
        emailSmtpUrl: undefined,
        emailFromAddress: undefined,
        moderationEmailSmtpUrl: undefined,
        moderationEmailAddress: undefined,
        blobstoreS3Bucket: undefined,
        redisScratchAddress: undefined,
        entrywayUrl: undefined,
        hcaptchaSiteKey: undefined,
        rateLimitsEnabled: false,
      },
    })
  } catch (err) {
    await fs.rm(dataRoot, { recursive: true, force: true })
    throw err
  }

  await shortLivedSessions(network.pds.ctx.accountManager)

  let closing = false
  const shutdown = async (signal) => {
    if (closing) {
      console.error(`atlex-pds: ${signal} again, exiting now`)
      process.exit(1)
    }
    closing = true
    console.error(`atlex-pds: ${signal}, shutting down`)
    const force = setTimeout(() => {
      console.error('atlex-pds: shutdown timed out')
      process.exit(1)
    }, 15_000)
    force.unref()
    let code = 0
    try {
      await network.close()
    } catch (err) {
      console.error('atlex-pds: error during shutdown', err)
      code = 1
    }
    await fs.rm(dataRoot, { recursive: true, force: true })
    process.exit(code)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))

  console.error(`atlex-pds: plc http://${LOOPBACK}:${plcPort}, data ${dataRoot}`)
  console.log(`ready http://${LOOPBACK}:${pdsPort}`)
}

main().catch((err) => {
  console.error('atlex-pds: failed to start:', err)
  process.exit(1)
})
