'use strict'
/**
 * A real loopback identity provider (discovery + JWKS over HTTP or HTTPS on 127.0.0.1) whose
 * endpoints can be switched to misbehave, with request counters and a request log.
 */
const crypto = require('node:crypto')
const http = require('node:http')
const https = require('node:https')
const net = require('node:net')
const { jwks, keyPair } = require('./tokens')

const HOST = '127.0.0.1'
const ENDPOINTS = ['discovery', 'jwks']
const MODES = ['ok', 'status', 'invalid-json', 'hang', 'slow', 'huge', 'reset', 'redirect', 'content-type']
const OK = Object.freeze({ mode: 'ok' })
const HUGE_CHUNK = Buffer.alloc(64 * 1024, 'A')
const RESET_AFTER_MS = 25
const STOP_SETTLE_MS = 20

/** A TCP port on 127.0.0.1 with nothing listening (bound on port 0, read, closed). */
function unusedPort () {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function encode (body) {
  return typeof body === 'string' ? body : JSON.stringify(body)
}

function reply (res, status, headers, body) {
  if (res.destroyed) return
  res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

function abort (socket) {
  if (!socket || socket.destroyed) return
  if (socket.encrypted) socket.destroy()
  else socket.resetAndDestroy()
}

function streamHuge (res, { bytes = 10 * 1024 * 1024, contentLength = false }, headers) {
  const prefix = '{"keys":[],"padding":"'
  const suffix = '"}'
  let remaining = Math.max(0, bytes - prefix.length - suffix.length)
  res.writeHead(200, contentLength ? { ...headers, 'content-length': remaining + prefix.length + suffix.length } : headers)
  res.write(prefix)
  const pump = () => {
    while (remaining > 0 && !res.destroyed) {
      const size = Math.min(remaining, HUGE_CHUNK.length)
      remaining -= size
      if (!res.write(HUGE_CHUNK.subarray(0, size))) {
        res.once('drain', pump)
        return
      }
    }
    if (!res.destroyed) res.end(suffix)
  }
  pump()
}

class Idp {
  #server
  #tls
  #hostname
  #path
  #jwksPath
  #issuer
  #port = 0
  #closed = false
  #jwks
  #discovery = null
  #behaviour = { discovery: OK, jwks: OK }
  #counts = { discovery: 0, jwks: 0, total: 0 }
  #notModified = 0
  #lastModified = new Date().toUTCString()
  #log = []
  #sockets = new Set()
  #timers = new Set()
  #hung = new Set()

  constructor ({ tls, jwks: keys, issuer, path = '', jwksPath = '/.well-known/jwks.json', hostname = HOST }) {
    this.#tls = Boolean(tls)
    this.#hostname = hostname
    this.#path = path.replace(/\/$/, '')
    this.#jwksPath = jwksPath
    this.#issuer = issuer
    this.#jwks = keys ?? jwks(keyPair('RS256'))
    const handler = (req, res) => this.#onRequest(req, res)
    this.#server = tls ? https.createServer({ key: tls.keyPem, cert: tls.certPem }, handler) : http.createServer(handler)
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
  }

  /** Base URL without trailing slash, e.g. `http://127.0.0.1:41234`. */
  get url () {
    return `${this.#tls ? 'https' : 'http'}://${this.#hostname}:${this.#port}`
  }

  /** The issuer advertised in discovery: the `issuer` option, else `{url}/` or `{url}{path}`. */
  get issuer () {
    return this.#issuer ?? (this.#path ? `${this.url}${this.#path}` : `${this.url}/`)
  }

  /** `{url}{path}{jwksPath}`. */
  get jwksUri () {
    return `${this.url}${this.#path}${this.#jwksPath}`
  }

  /** `{url}{path}/.well-known/openid-configuration`. */
  get discoveryUrl () {
    return `${this.url}${this.#path}/.well-known/openid-configuration`
  }

  /** The listening port (kept across stop/start). */
  get port () {
    return this.#port
  }

  /** The JWKS served: the object or raw string last given. */
  get jwks () {
    return this.#jwks
  }

  /**
   * The discovery document served: the one last set, else the default built from the URLs, whose
   * `id_token_signing_alg_values_supported` lists the `alg`s of the keys served (RS256 if none).
   */
  get discovery () {
    const keys = typeof this.#jwks === 'object' && Array.isArray(this.#jwks.keys) ? this.#jwks.keys : []
    const algs = [...new Set(keys.map((key) => key.alg).filter((alg) => typeof alg === 'string'))]
    return this.#discovery ?? {
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      authorization_endpoint: `${this.url}${this.#path}/authorize`,
      token_endpoint: `${this.url}${this.#path}/oauth/token`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: algs.length > 0 ? algs : ['RS256']
    }
  }

  /** A copy of the counters `{ discovery, jwks, total }` (404s count in `total` only). */
  get counts () {
    return { ...this.#counts }
  }

  /** A copy of the request log: `[{ method, path, url, headers, endpoint, at }]` (endpoint null for 404s; `at` in epoch ms). */
  get requests () {
    return [...this.#log]
  }

  /** A counter by name ('discovery' | 'jwks' | 'total'), else the number of requests to that pathname. */
  count (pathOrName) {
    if (pathOrName in this.#counts) return this.#counts[pathOrName]
    return this.#log.filter((entry) => entry.path === pathOrName).length
  }

  /** How many JWKS requests were answered `304 Not Modified`. */
  get notModified () {
    return this.#notModified
  }

  /** Zeroes the counters and empties the request log. */
  resetCounts () {
    this.#notModified = 0
    this.#counts = { discovery: 0, jwks: 0, total: 0 }
    this.#log = []
  }

  /** Serves this JWKS from now on: an object (JSON-encoded) or a raw string sent as-is. */
  setJwks (jwksObjectOrRaw) {
    this.#jwks = jwksObjectOrRaw
    this.#lastModified = new Date().toUTCString()
  }

  /** Serves this discovery document from now on (object or raw string); `null` restores the default. */
  setDiscovery (objectOrRaw) {
    this.#discovery = objectOrRaw
  }

  /**
   * Switches how `endpoint` ('discovery' | 'jwks' | 'all') answers. Modes and their options:
   * - 'ok'
   * - 'status' `{ status = 500, body = '{"error":"server_error"}', location }`
   * - 'invalid-json' `{ body = '{"keys": [{"kty": "RSA", ' }` with status 200, application/json
   * - 'hang': accepts and never answers, until the server stops or this endpoint's behaviour changes
   *   (hung requests are then answered with the new behaviour)
   * - 'slow' `{ delayMs = 1000, headersFirst = false }` then ok; `headersFirst` sends headers at once
   * - 'huge' `{ bytes = 10 MiB, contentLength = false }` streams a `{"keys":[],"padding":"AAAA…"}`
   *   body of exactly `bytes` bytes, chunked unless `contentLength`
   * - 'reset' `{ immediate = false }` sends headers and half the body, then resets the connection
   *   (TCP RST; over TLS an abrupt close); `immediate` resets before any byte is sent
   * - 'redirect' `{ location, status = 302 }`
   * - 'content-type' `{ contentType = 'text/html' }` the ok body under another Content-Type
   * Every mode takes `headers` (extra response headers) and `times` (then back to 'ok').
   */
  behave (endpoint, mode, options = {}) {
    const targets = endpoint === 'all' ? ENDPOINTS : [endpoint]
    if (!targets.every((target) => ENDPOINTS.includes(target))) throw new Error(`unknown endpoint ${endpoint}`)
    if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}`)
    for (const target of targets) this.#behaviour[target] = { ...options, mode, remaining: options.times }
    for (const entry of this.#hung) {
      if (!targets.includes(entry.endpoint)) continue
      this.#hung.delete(entry)
      this.#respond(entry.endpoint, entry.res)
    }
    return this
  }

  /** Listens on 127.0.0.1: port 0 the first time, the same port afterwards. */
  async start () {
    if (this.#closed) throw new Error('idp is closed')
    if (this.#server.listening) return this
    await new Promise((resolve, reject) => {
      const onError = (error) => {
        this.#server.off('listening', onListening)
        reject(error)
      }
      const onListening = () => {
        this.#server.off('error', onError)
        resolve()
      }
      this.#server.once('error', onError).once('listening', onListening).listen(this.#port, HOST)
    })
    this.#port = this.#server.address().port
    return this
  }

  /**
   * Stops listening and destroys every open connection (hung ones too); the port is remembered.
   * New connections are then refused. Resolves STOP_SETTLE_MS after the last socket closed so
   * clients usually have dropped their pooled keep-alive connections by then; under load a client
   * may still send its next request on a stale one and see "other side closed", not ECONNREFUSED.
   */
  async stop () {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    if (!this.#server.listening) return
    const closed = new Promise((resolve) => this.#server.close(resolve))
    for (const socket of this.#sockets) socket.destroy()
    await closed
    await new Promise((resolve) => setTimeout(resolve, STOP_SETTLE_MS))
  }

  /** Stops for good; `start()` afterwards throws. */
  async close () {
    this.#closed = true
    await this.stop()
  }

  #endpointOf (pathname) {
    const prefix = this.#path
    if (pathname === `${prefix}/.well-known/openid-configuration` ||
      pathname === `${prefix}/.well-known/oauth-authorization-server` ||
      (prefix && pathname === `/.well-known/oauth-authorization-server${prefix}`)) return 'discovery'
    if (pathname === `${prefix}${this.#jwksPath}`) return 'jwks'
    return null
  }

  #onRequest (req, res) {
    req.resume()
    const path = new URL(req.url, 'http://idp.invalid').pathname
    const endpoint = this.#endpointOf(path)
    this.#log.push({ method: req.method, path, url: req.url, headers: { ...req.headers }, endpoint, at: Date.now() })
    this.#counts.total += 1
    if (!endpoint) return reply(res, 404, { 'content-type': 'application/json' }, '{"error":"not_found"}')
    this.#counts[endpoint] += 1
    return this.#respond(endpoint, res, req)
  }

  #take (endpoint) {
    const behaviour = this.#behaviour[endpoint]
    if (behaviour.remaining !== undefined) {
      behaviour.remaining -= 1
      if (behaviour.remaining <= 0) this.#behaviour[endpoint] = OK
    }
    return behaviour
  }

  #later (delayMs, fn) {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      fn()
    }, delayMs)
    this.#timers.add(timer)
  }

  /**
   * The JWKS carries an `ETag` (a digest of its body) and `Last-Modified` (when it was set); a GET
   * whose `If-None-Match` names the current ETag is answered `304 Not Modified` with no body.
   */
  #respond (endpoint, res, req) {
    const behaviour = this.#take(endpoint)
    const body = encode(endpoint === 'jwks' ? this.#jwks : this.discovery)
    const validators = endpoint === 'jwks'
      ? { etag: `"${crypto.createHash('sha256').update(body).digest('base64url')}"`, 'last-modified': this.#lastModified }
      : {}
    const headers = { 'content-type': 'application/json', ...validators, ...behaviour.headers }
    if (behaviour.mode === 'ok' && validators.etag && req?.headers['if-none-match'] === validators.etag) {
      this.#notModified += 1
      return reply(res, 304, validators, '')
    }
    switch (behaviour.mode) {
      case 'status': {
        const location = behaviour.location ? { location: behaviour.location } : {}
        const errorBody = behaviour.body ?? '{"error":"server_error"}'
        return reply(res, behaviour.status ?? 500, { ...headers, ...location }, errorBody)
      }
      case 'invalid-json':
        return reply(res, 200, headers, behaviour.body ?? '{"keys": [{"kty": "RSA", ')
      case 'hang':
        return this.#hang(endpoint, res)
      case 'slow':
        return this.#slow(res, behaviour, headers, body)
      case 'huge':
        return streamHuge(res, behaviour, headers)
      case 'reset':
        return this.#reset(res, behaviour, headers, body)
      case 'redirect':
        return reply(res, behaviour.status ?? 302, { ...behaviour.headers, location: behaviour.location }, '')
      case 'content-type':
        return reply(res, 200, { ...headers, 'content-type': behaviour.contentType ?? 'text/html' }, body)
      default:
        return reply(res, 200, headers, body)
    }
  }

  #hang (endpoint, res) {
    const entry = { endpoint, res }
    this.#hung.add(entry)
    res.once('close', () => this.#hung.delete(entry))
  }

  #slow (res, { delayMs = 1000, headersFirst = false }, headers, body) {
    if (!headersFirst) {
      this.#later(delayMs, () => reply(res, 200, headers, body))
      return
    }
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) })
    res.flushHeaders()
    this.#later(delayMs, () => {
      if (!res.destroyed) res.end(body)
    })
  }

  #reset (res, { immediate = false }, headers, body) {
    const { socket } = res
    if (immediate) {
      abort(socket)
      return
    }
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) })
    res.write(body.slice(0, Math.ceil(body.length / 2)), () => this.#later(RESET_AFTER_MS, () => abort(socket)))
  }
}

/**
 * Starts an identity provider on 127.0.0.1, port 0. Options:
 * - `tls`: a {@link import('./tls').tlsFixture} (anything with `keyPem`, `certPem`) to serve HTTPS
 * - `jwks`: object or raw string served as the JWKS (default `jwks(keyPair('RS256'))`)
 * - `issuer`: issuer advertised in discovery (default `{url}/`, or `{url}{path}` with `path`)
 * - `path`: issuer path, e.g. '/oauth2/default' (Okta layout); default ''
 * - `jwksPath`: JWKS path below `path` (default '/.well-known/jwks.json'; Okta: '/v1/keys')
 * - `hostname`: host written in the URLs (default '127.0.0.1'; binding stays 127.0.0.1)
 * Discovery is served at `{path}/.well-known/openid-configuration`,
 * `{path}/.well-known/oauth-authorization-server` and (with a path) the RFC 8414 form
 * `/.well-known/oauth-authorization-server{path}`; anything else is a 404 JSON.
 */
async function startIdp (options = {}) {
  return new Idp(options).start()
}

module.exports = { startIdp, unusedPort }
