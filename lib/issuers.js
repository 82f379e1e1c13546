'use strict'
/**
 * Multiple issuers: express-oauth2-jwt-bearer's `mcd: { issuers }`, and its `cache` option.
 *
 * The token's `iss`, read without trusting it, picks one allowed issuer (matched as the peer
 * normalises issuer URLs) before any key is fetched; that issuer's own verifier then verifies the
 * whole token, so a token naming one issuer but signed by another is refused, and an `iss` nobody
 * allowed costs no network request. Each issuer configuration gets one verifier (verifiers of the
 * same JWKS URI share one native key cache): built at start-up for a static list; for a resolver's
 * answers, built on first use and kept for the `maxEntries` most recently used configurations.
 */
const crypto = require('node:crypto')
const verifiers = require('./verifier')
const { DEFAULT_MAX_TOKEN_LENGTH } = require('./native')
const { InvalidTokenError } = require('./errors')
const { requestUrl } = require('./request')
const events = require('./events')
const { Lru } = require('./lru')

const SYMMETRIC_ALGORITHMS = ['HS256', 'HS384', 'HS512']
/** The default `maxEntries` of express-oauth2-jwt-bearer's discovery and JWKS caches. */
const DEFAULT_MAX_ENTRIES = 100
const BASE64URL = /^[A-Za-z0-9_-]+$/
const KEYS_UNAVAILABLE = 'the signing keys of the token issuer are unavailable'

/** Top-level options that `mcd` replaces, with the peer's messages (`jwks` is bearer-rs's own). */
const REPLACED_BY_MCD = Object.freeze({
  issuerBaseURL: "You must not provide both 'mcd' and 'issuerBaseURL'",
  issuer: "You must not provide both 'mcd' and 'issuer'. Use 'mcd' for multi-issuer mode.",
  jwksUri: "You must not provide both 'mcd' and 'jwksUri'. Use 'mcd' for multi-issuer mode.",
  secret: 'Cannot use top-level "secret" with mcd mode. Specify secrets per-issuer in the issuer configuration: { issuer: "...", secret: "...", alg: "HS256" }',
  publicKey: 'Cannot use top-level "publicKey" with mcd mode. Specify publicKey per-issuer in the issuer configuration: { issuer: "...", publicKey: "..." }',
  jwks: 'Cannot use top-level "jwks" with mcd mode. Specify publicKey per-issuer in the issuer configuration: { issuer: "...", publicKey: { keys: [...] } }'
})

/** An issuer configuration's contradictions, with the peer's messages: at start-up, and for a resolver's answer. */
const CONFLICTS = Object.freeze({
  publicKeyAndJwksUri: {
    startUp: ({ issuer }) => `Configuration error: Issuer '${issuer}' provides both 'publicKey' and 'jwksUri'. These are mutually exclusive.`,
    request: "Issuer provides both 'publicKey' and 'jwksUri'. These are mutually exclusive."
  },
  publicKeyAndSecret: {
    startUp: ({ issuer }) => `Configuration error: Issuer '${issuer}' provides both 'publicKey' and 'secret'. Use 'publicKey' for asymmetric and 'secret' for symmetric verification.`,
    request: "Issuer provides both 'publicKey' and 'secret'. These are mutually exclusive."
  },
  symmetricWithoutSecret: {
    startUp: ({ issuer, alg }) => `Configuration error: Issuer '${issuer}' specifies symmetric algorithm '${alg}' but no secret provided. Either provide a secret or use an asymmetric algorithm.`,
    request: 'Issuer specifies symmetric algorithm but no secret provided'
  },
  secretWithAsymmetricAlg: {
    startUp: ({ issuer, alg }) => `Configuration error: Issuer '${issuer}' provides a secret but specifies asymmetric algorithm '${alg}'. Symmetric algorithms are: ${SYMMETRIC_ALGORITHMS.join(', ')}.`,
    request: 'Issuer provides a secret but specifies asymmetric algorithm'
  },
  secretWithoutAlg: {
    startUp: ({ issuer }) => `Configuration error: Issuer '${issuer}' provides a secret but no 'alg' specified. Specify one of: ${SYMMETRIC_ALGORITHMS.join(', ')}.`,
    request: "Issuer provides a secret but no 'alg' specified"
  }
})

/**
 * The peer's start-up checks of `mcd` against the other options (run before `audience` is checked).
 * @throws {TypeError}
 */
function assertMcdAlone (options) {
  for (const [name, message] of Object.entries(REPLACED_BY_MCD)) {
    if (options[name]) throw new TypeError(message)
  }
}

/**
 * `cache: { discovery: { maxEntries, ttl }, jwks: { maxEntries, ttl } }` of the peer, as bearer-rs
 * applies it: `jwks.ttl` is the verifier's `cacheMaxAge` and `discovery.ttl` its `discoveryMaxAge`
 * (which defaults to `cacheMaxAge`, as the peer's discovery ttl does); the smaller `maxEntries`
 * given (default 100) bounds how many resolver-returned issuers keep a verifier.
 * @param {unknown} cache
 * @returns {{ maxEntries: number, cacheMaxAge?: number, discoveryMaxAge?: number }}
 * @throws {TypeError} Naming the member, when a value is not a number of the right kind.
 */
function cacheSettings (cache) {
  if (cache === undefined) return { maxEntries: DEFAULT_MAX_ENTRIES }
  assertObject('cache', cache)
  const maxEntries = []
  const ttl = {}
  for (const name of ['discovery', 'jwks']) {
    const part = cache[name]
    if (part === undefined) continue
    assertObject(`cache.${name}`, part)
    if (part.maxEntries !== undefined) {
      if (!Number.isSafeInteger(part.maxEntries) || part.maxEntries < 1) {
        throw new TypeError(`'cache.${name}.maxEntries' must be a whole number, at least 1`)
      }
      maxEntries.push(part.maxEntries)
    }
    if (part.ttl !== undefined && (typeof part.ttl !== 'number' || !Number.isFinite(part.ttl) || part.ttl < 0)) {
      throw new TypeError(`'cache.${name}.ttl' must be a finite, non-negative number of milliseconds`)
    }
    ttl[name] = part.ttl
  }
  return {
    maxEntries: maxEntries.length === 0 ? DEFAULT_MAX_ENTRIES : Math.min(...maxEntries),
    cacheMaxAge: ttl.jwks,
    discoveryMaxAge: ttl.discovery
  }
}

function assertObject (name, value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`'${name}' must be an object`)
}

/**
 * Verifies tokens of several issuers, each with its own keys. `verify(token, req)` has the shape
 * of `Verifier.verify`; `req` (the Node request) only feeds a resolver function.
 */
class Issuers {
  #shared
  #maxTokenLength
  #static
  #resolver
  #built
  #url

  /**
   * @param {import('../index').MCDOptions} mcd
   * @param {import('../index').VerifierOptions} options The options every issuer shares (audience, clock, fetching).
   * @param {number} maxEntries How many resolver-returned issuers keep a verifier.
   * @param {(req: object) => string} url The absolute URL of a request, for a resolver's context.
   * @throws {TypeError} When `mcd` or a static issuer configuration is invalid.
   */
  constructor (mcd, options, maxEntries, url) {
    if (mcd === null || typeof mcd !== 'object' || !mcd.issuers) {
      throw new TypeError("Invalid MCD configuration: 'issuers' is required")
    }
    const { issuerBaseURL, issuer, jwksUri, secret, publicKey, jwks, ...shared } = options
    verifiers.allowedAlgorithms(shared)
    this.#shared = shared
    this.#url = url
    // The unverified decoding is bounded as the verification is.
    this.#maxTokenLength = shared.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH
    if (typeof mcd.issuers === 'function') {
      this.#resolver = mcd.issuers
      this.#built = new Lru(maxEntries)
      return
    }
    this.#static = [].concat(mcd.issuers).map((entry) => {
      let config
      try {
        config = prepare(entry)
      } catch (err) {
        throw new TypeError(err.message)
      }
      const conflict = conflictOf(config)
      if (conflict) throw new TypeError(CONFLICTS[conflict].startUp(config))
      try {
        config.verifier = verifiers.createVerifier(verifierOptions(config, shared))
      } catch (err) {
        throw new TypeError(`'mcd.issuers' issuer '${config.issuer}': ${err.message}`)
      }
      return config
    })
  }

  /**
   * Picks the issuer the token names and verifies the token with that issuer's verifier.
   * @param {string} token
   * @param {object} [req] The request, for a resolver's `{ url, headers }`.
   * @returns {Promise<import('../index').VerifyResult>}
   */
  verify (token, req) {
    return this.#pick(token, req).then((verifier) => verifier.verify(token))
  }

  /**
   * Resolves once every issuer verifier built so far (all of a static list; a resolver's, as
   * requests have named them) has its metadata and keys; rejects with the first failure.
   * @returns {Promise<void>}
   */
  async ready () {
    await Promise.all(this.#verifiers().map(({ verifier }) => verifier.ready()))
  }

  /**
   * Each issuer verifier's stats, named by its issuer.
   * @returns {{ issuers: Array<{ issuer: string } & import('../index').VerifierStats> }}
   */
  stats () {
    return { issuers: this.#verifiers().map(({ issuer, verifier }) => ({ issuer, ...verifier.stats() })) }
  }

  #verifiers () {
    return this.#static ?? [...this.#built.values()]
  }

  /** Never a cached result: which issuer's cache to ask is decided asynchronously. */
  [verifiers.CACHED] () {
    return undefined
  }

  async #pick (token, req) {
    const wanted = normalizedIssuerOf(token, this.#maxTokenLength)
    const configs = this.#resolver ? await this.#resolve(req) : this.#static
    if (configs.length === 0) throw refused('No issuers configured for token validation', 'issuer_mismatch')
    const config = configs.find((candidate) => candidate.normalized === wanted)
    if (config === undefined) throw refused('Token issuer is not allowed', 'issuer_mismatch')
    if (config.verifier) return config.verifier
    const conflict = conflictOf(config)
    if (conflict) throw refused(CONFLICTS[conflict].request, 'keys_unavailable')
    return this.#verifierFor(config).verifier
  }

  /** Calls the resolver once, with the request's `{ url, headers }`, and checks its answer. */
  async #resolve (req) {
    const context = resolverContext(req, this.#url)
    let answer
    try {
      answer = await this.#resolver(context)
    } catch (err) {
      throw refused('Token issuer is not allowed', 'issuer_mismatch', err)
    }
    if (!Array.isArray(answer)) throw refused('Issuer resolver function must return an array', 'keys_unavailable')
    return answer.map((entry) => {
      try {
        return prepare(entry)
      } catch (err) {
        throw refused(err.message, 'keys_unavailable')
      }
    })
  }

  #verifierFor (config) {
    const key = fingerprint(config)
    const built = this.#built.get(key)
    if (built !== undefined) return built
    try {
      return this.#built.set(key, { issuer: config.issuer, verifier: verifiers.createVerifier(verifierOptions(config, this.#shared)) })
    } catch (err) {
      throw refused(KEYS_UNAVAILABLE, 'keys_unavailable', err)
    }
  }
}

/**
 * An issuer entry (a URL, or `{ issuer, jwksUri?, publicKey?, alg? }` / `{ issuer, secret, alg }`)
 * with its normalised issuer and its secret as bytes; empty values count as absent, except `alg`:
 * an empty one would fall back to a wider allow-list, so it is refused.
 * @throws {Error} When the entry has no issuer URL, or one the peer refuses, or an empty `alg`.
 */
function prepare (entry) {
  const config = typeof entry === 'string' ? { issuer: entry } : entry
  if (config === null || typeof config !== 'object' || typeof config.issuer !== 'string' || config.issuer === '') {
    throw new Error("'mcd.issuers' must list issuer URLs or issuer configurations ({ issuer, ... })")
  }
  const { issuer, jwksUri, publicKey, secret, alg } = config
  if (alg !== undefined && (typeof alg !== 'string' || alg === '')) {
    throw new Error(`'mcd.issuers' issuer '${issuer}': 'alg' must name one algorithm`)
  }
  return {
    issuer,
    normalized: normalizeIssuer(issuer),
    jwksUri: jwksUri || undefined,
    publicKey: publicKey || undefined,
    secret: secret ? verifiers.secretBytes(secret) : undefined,
    alg
  }
}

/** The contradiction in an issuer configuration, by name, or undefined. */
function conflictOf ({ jwksUri, publicKey, secret, alg }) {
  if (publicKey && jwksUri) return 'publicKeyAndJwksUri'
  if (publicKey && secret) return 'publicKeyAndSecret'
  if (alg && SYMMETRIC_ALGORITHMS.includes(alg) && !secret) return 'symmetricWithoutSecret'
  if (secret && !alg) return 'secretWithoutAlg'
  if (secret && !SYMMETRIC_ALGORITHMS.includes(alg)) return 'secretWithAsymmetricAlg'
  return undefined
}

/**
 * The options of one issuer's verifier. With its own keys (`jwksUri`, `publicKey`, `secret`) the
 * accepted `iss` is the configured issuer, as written or normalised, with or without a trailing
 * slash; otherwise the issuer's metadata is discovered from the normalised URL, and the `iss` must
 * be exactly the issuer the metadata names (RFC 8414 §3.3, RFC 9068 §4). `alg` narrows the
 * algorithms to one, else the top-level `tokenSigningAlg` / `algorithms` apply.
 */
function verifierOptions ({ issuer, normalized, jwksUri, publicKey, secret, alg }, shared) {
  const { algorithms, tokenSigningAlg, ...rest } = shared
  const allowed = alg === undefined ? { algorithms, tokenSigningAlg } : { tokenSigningAlg: alg }
  if (jwksUri === undefined && publicKey === undefined && secret === undefined) {
    return { ...rest, ...allowed, issuerBaseURL: normalized }
  }
  const accepted = new Set([issuer, normalized].flatMap((value) => {
    const bare = value.replace(/\/+$/, '')
    return [bare, `${bare}/`]
  }))
  return { ...rest, ...allowed, issuer: [...accepted], jwksUri, publicKey, secret }
}

/** A digest of what makes two issuer configurations the same verifier. */
function fingerprint ({ issuer, jwksUri, publicKey, secret, alg }) {
  return crypto.createHash('sha256').update(JSON.stringify([issuer, jwksUri, publicKey, secret, alg])).digest('base64url')
}

/**
 * express-oauth2-jwt-bearer's issuer URL normalisation: `https://` added when no scheme is given,
 * scheme and host in lower case, no default port, no trailing slash. A value that is no URL is
 * returned as it is (so it matches only itself).
 * @throws {Error} With the peer's message, for an `http:` issuer while NODE_ENV is `production`,
 *   or a URL with userinfo, a query or a fragment.
 */
function normalizeIssuer (url) {
  let parsed
  try {
    parsed = new URL(/^https?:\/\//i.test(url) ? url : `https://${url}`)
  } catch {
    return url
  }
  if (parsed.protocol === 'http:' && process.env.NODE_ENV === 'production') {
    throw new Error('HTTP issuer URL detected in production environment. Use HTTPS for security.')
  }
  if (parsed.username || parsed.password) throw new Error('Invalid issuer URL: URLs must not contain userinfo (username:password)')
  if (parsed.search) throw new Error('Invalid issuer URL: URLs must not contain query parameters')
  if (parsed.hash) throw new Error('Invalid issuer URL: URLs must not contain fragments')
  const port = parsed.port ? `:${parsed.port}` : ''
  const path = parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/$/, '')
  return `${parsed.protocol}//${parsed.hostname}${port}${path}`
}

/**
 * The normalised `iss` of a token that is not verified yet: the payload segment is decoded as
 * strict base64url and parsed as JSON, and nothing else is trusted. Refusals carry the messages of
 * jose's `decodeJwt` and of the peer.
 * @throws {InvalidTokenError}
 */
function normalizedIssuerOf (token, maxTokenLength) {
  if (typeof token !== 'string') throw refused('the token must be a string', 'token_malformed')
  if (token.length > maxTokenLength || Buffer.byteLength(token) > maxTokenLength) {
    throw refused(`the token is longer than ${maxTokenLength} bytes`, 'token_too_large')
  }
  const segments = token.split('.')
  if (segments.length === 5) throw refused('Only JWTs using Compact JWS serialization can be decoded', 'token_malformed')
  if (segments.length !== 3) throw refused('Invalid JWT', 'token_malformed')
  if (segments[1] === '') throw refused('JWTs must contain a payload', 'token_malformed')
  if (!BASE64URL.test(segments[1])) throw refused('Failed to base64url decode the payload', 'token_malformed')
  let payload
  try {
    payload = JSON.parse(Buffer.from(segments[1], 'base64url').toString('utf8'))
  } catch {
    throw refused('Failed to parse the decoded payload as JSON', 'token_malformed')
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw refused('Invalid JWT Claims Set', 'token_malformed')
  }
  const { iss } = payload
  if (!iss) throw refused("Token missing required 'iss' claim", 'claim_missing', undefined, 'iss')
  if (typeof iss !== 'string') throw refused('Token issuer is not allowed', 'issuer_mismatch')
  try {
    return normalizeIssuer(iss)
  } catch (err) {
    throw refused(err.message, 'issuer_mismatch')
  }
}

/**
 * What a resolver function gets: the request's absolute URL, as `lib/request.js` makes it for DPoP
 * (`req.protocol`, the Host or, from a proxy Express trusts, X-Forwarded-Host, `req.originalUrl`),
 * and its headers.
 * @throws {InvalidRequestError} 400 for a malformed Host or request path, as the peer answers.
 */
function resolverContext (req, url) {
  try {
    return { url: new URL(url(req)), headers: req.headers }
  } catch (err) {
    throw events.rejected(err)
  }
}

/** A reported 401 `invalid_token`. */
function refused (message, kind, cause, claim) {
  return events.rejected(new InvalidTokenError(message, { kind, cause, claim: claim ?? (kind === 'issuer_mismatch' ? 'iss' : undefined) }))
}

/**
 * @param {import('../index').MCDOptions} mcd
 * @param {import('../index').VerifierOptions} options
 * @param {number} maxEntries
 * @param {(req: object) => string} [url] The absolute URL of a request; Express's by default.
 * @returns {Issuers}
 */
function createIssuers (mcd, options, maxEntries, url = requestUrl) {
  return new Issuers(mcd, options, maxEntries, url)
}

module.exports = { assertMcdAlone, cacheSettings, createIssuers, normalizeIssuer }
