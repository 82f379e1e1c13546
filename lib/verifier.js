'use strict'

const { KeyObject } = require('node:crypto')
const { NativeVerifier } = require('./native')
const { InvalidTokenError, fromFailure } = require('./errors')
const events = require('./events')
const { agentFetch, agentId } = require('./agent-fetch')
const { TokenCache } = require('./token-cache')

/**
 * How many native calls one event-loop turn's verifications are spread over: one per libuv
 * threadpool thread (`UV_THREADPOOL_SIZE`, default 4, which libuv clamps to 1–1024), so every worker
 * has a batch while the main thread settles the first to finish. Measured on 2 cores with the default
 * pool, RS256 64 in flight: 1, 2, 4, 8 and 16 chunks ran at 0.97×, 1.43×, 1.63×, 1.54× and 1.44×
 * single-thread throughput.
 */
const MAX_CHUNKS = threadpoolSize(process.env.UV_THREADPOOL_SIZE)

/** Separates the outcomes of a native batch (see `RECORD_SEPARATOR` in src/binding.rs). */
const RECORD_SEPARATOR = '\u001e'

/** A batch outcome for a token whose keys must be fetched first. */
const REFRESH = '{"refresh":true}'

/**
 * The internal method `auth()` calls first: the verified-token cache's result for a token, or
 * `undefined`, so a repeated token is accepted without waiting for a promise.
 */
const CACHED = Symbol('bearer-rs:cached')

/**
 * Verifies OAuth 2.0 JWT access tokens with keys and rules fixed at construction.
 * Build one per configuration and reuse it: keys are imported once.
 */
class Verifier {
  #native
  #now
  #queue = []
  #cache
  #generation

  /** @param {import('../index').VerifierOptions} options */
  constructor (options) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('createVerifier(options): options must be an object')
    }
    const { agent } = options
    if (agent !== undefined && (agent === null || typeof agent !== 'object')) {
      throw new TypeError("'agent' must be an http.Agent or https.Agent")
    }
    try {
      const native = toNative(options)
      this.#native = agent === undefined
        ? new NativeVerifier(native)
        : new NativeVerifier({ ...native, agentId: agentId(agent) }, agentFetch(agent))
    } catch (err) {
      throw err.code === 'InvalidArg' ? new TypeError(err.message) : err
    }
    this.#now = clock(options.currentDate)
    this.#cache = tokenCache(options.tokenCache)
    const remote = options.jwksUri !== undefined || options.issuerBaseURL !== undefined
    this.#generation = remote ? events.remoteKeyGeneration : () => 0
  }

  /**
   * Fetches the authorization server metadata and keys now, so the first request does not wait.
   * Resolves at once for local keys; rejects with a `keys_unavailable` {@link InvalidTokenError}
   * whose `cause` says what failed.
   * @returns {Promise<void>}
   */
  async ready () {
    const outcome = JSON.parse(await this.#native.ready())
    if (outcome.error) throw fromFailure(outcome.error)
  }

  /**
   * What the remote metadata and key set have been doing: fetches, failures, the `kid`s held,
   * their age, whether stale keys are in use, cooldown rejections.
   * @returns {import('../index').VerifierStats}
   */
  stats () {
    return { ...JSON.parse(this.#native.stats()), tokenCache: this.#cache?.stats() ?? null }
  }

  /**
   * Verifies a token on the calling thread. With remote keys it never waits on the network:
   * until the keys are fetched (`await ready()`), tokens are rejected as `keys_unavailable`.
   * @param {string} token The compact JWT, without any `Bearer ` prefix.
   * @returns {import('../index').VerifyResult}
   */
  verifySync (token) {
    assertString(token)
    const now = this.#now()
    const generation = this.#generation()
    return this.#cached(token, now, generation) ?? this.#settle(this.#native.verifySync(token, now), token, generation)
  }

  /**
   * Verifies a token off the main thread. Calls made in the same event-loop turn are verified
   * together in a few native batches.
   * @param {string} token
   * @returns {Promise<import('../index').VerifyResult>}
   */
  verify (token) {
    try {
      assertString(token)
      const cached = this.#cached(token, this.#now(), this.#generation())
      if (cached !== undefined) return Promise.resolve(cached)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise((resolve, reject) => {
      if (this.#queue.length === 0) setImmediate(() => this.#flush())
      this.#queue.push({ token, resolve, reject })
    })
  }

  #flush () {
    const queue = this.#queue
    this.#queue = []
    const now = this.#now()
    const generation = this.#generation()
    const size = Math.ceil(queue.length / MAX_CHUNKS)
    for (let start = 0; start < queue.length; start += size) {
      const chunk = queue.slice(start, start + size)
      this.#native.verifyBatch(chunk.map((item) => item.token), now).then((texts) => {
        texts.split(RECORD_SEPARATOR).forEach((text, i) => {
          const item = chunk[i]
          if (text === REFRESH) {
            this.#native.verifyAsync(item.token, now).then((outcome) => this.#answer(item, outcome, generation), item.reject)
          } else {
            this.#answer(item, text, generation)
          }
        })
      }, (err) => chunk.forEach((item) => item.reject(err)))
    }
  }

  #answer (item, outcome, generation) {
    try {
      item.resolve(this.#settle(outcome, item.token, generation))
    } catch (err) {
      item.reject(err)
    }
  }

  /**
   * What `verify(token)` would resolve to, if the verified-token cache holds it; else `undefined`.
   * @param {string} token
   * @returns {import('../index').VerifyResult | undefined}
   */
  [CACHED] (token) {
    return this.#cached(token, this.#now(), this.#generation())
  }

  /** A cached result for `token` at `now` (epoch ms), or `undefined`. */
  #cached (token, now, generation) {
    return this.#cache?.get(token, Math.floor(now / 1000), generation)
  }

  /**
   * Turns one native outcome (JSON text: `[from, until, header, payload]` or `{ error }`) into a
   * result and caches it, or throws (and reports) its error.
   */
  #settle (text, token, generation) {
    const outcome = JSON.parse(text)
    if (!Array.isArray(outcome)) throw events.rejected(fromFailure(outcome.error))
    this.#cache?.set(token, text, outcome[0], outcome[1], generation)
    return { payload: outcome[3], header: outcome[2], token }
  }
}

/**
 * The number of libuv threadpool threads, as libuv reads `UV_THREADPOOL_SIZE`: 4 when unset, 1 when
 * it is not a positive number, at most 1024.
 */
function threadpoolSize (variable) {
  if (variable === undefined) return 4
  const size = Number.parseInt(variable, 10)
  return size > 0 ? Math.min(size, 1024) : 1
}

/** The cache the `tokenCache` option asks for: on by default, `false` for none. */
function tokenCache (option) {
  if (option === false) return undefined
  if (option !== undefined && (option === null || typeof option !== 'object')) {
    throw new TypeError("'tokenCache' must be false or { maxEntries, maxBytes }")
  }
  return new TokenCache(option)
}

function assertString (token) {
  if (typeof token !== 'string') {
    throw events.rejected(new InvalidTokenError('the token must be a string', { kind: 'token_malformed' }))
  }
}

/** The options the native verifier takes: lists normalised, key material as text. */
function toNative (o) {
  return {
    issuer: nonEmpty('issuer', o.issuer),
    audience: list('audience', o.audience),
    algorithms: allowedAlgorithms(o),
    secret: secretBytes(o.secret),
    jwks: o.jwks === undefined ? undefined : json('jwks', o.jwks),
    publicKey: typeof o.publicKey === 'object' ? json('publicKey', o.publicKey) : optional('publicKey', o.publicKey, 'string'),
    clockTolerance: optional('clockTolerance', o.clockTolerance, 'number'),
    maxTokenAge: optional('maxTokenAge', o.maxTokenAge, 'number'),
    strict: optional('strict', o.strict, 'boolean'),
    maxTokenLength: optional('maxTokenLength', o.maxTokenLength, 'number'),
    requiredClaims: list('requiredClaims', o.requiredClaims),
    jwksUri: optional('jwksUri', o.jwksUri, 'string'),
    issuerBaseURL: optional('issuerBaseURL', o.issuerBaseURL, 'string'),
    cacheMaxAge: optional('cacheMaxAge', o.cacheMaxAge, 'number'),
    discoveryMaxAge: optional('discoveryMaxAge', o.discoveryMaxAge, 'number'),
    cooldownDuration: optional('cooldownDuration', o.cooldownDuration, 'number'),
    timeoutDuration: optional('timeoutDuration', o.timeoutDuration, 'number'),
    staleMaxAge: optional('staleMaxAge', o.staleMaxAge, 'number'),
    maxResponseSize: optional('maxResponseSize', o.maxResponseSize, 'number'),
    maxKeys: optional('maxKeys', o.maxKeys, 'number'),
    allowInsecureHttp: optional('allowInsecureHttp', o.allowInsecureHttp, 'boolean'),
    headers: headers(o.headers)
  }
}

/** Extra request headers: an object of strings. */
function headers (value) {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new TypeError("'headers' must be an object whose values are strings")
  }
  return { ...value }
}

/**
 * The allow-list: `algorithms` (jose's name) or `tokenSigningAlg` (express-oauth2-jwt-bearer's),
 * not both; `undefined` when neither is given (the keys' own algorithms then apply, where they
 * name one). An empty list would allow nothing, so it is refused rather than read as "any".
 * @throws {TypeError} Naming the option.
 */
function allowedAlgorithms ({ algorithms, tokenSigningAlg }) {
  if (algorithms !== undefined && tokenSigningAlg !== undefined) {
    throw new TypeError("give 'algorithms' or 'tokenSigningAlg', not both")
  }
  const [name, value] = algorithms !== undefined ? ['algorithms', algorithms] : ['tokenSigningAlg', tokenSigningAlg]
  if (value === undefined) return undefined
  const names = list(name, value)
  if (names.length === 0) throw new TypeError(`'${name}' must not be empty: an empty allow-list allows no algorithm`)
  return names
}

/**
 * An HMAC secret as the bytes that are the key: a string's UTF-8 bytes, a Buffer or Uint8Array
 * as it is, a secret KeyObject's material.
 * @throws {TypeError} For anything else, such as a public or private KeyObject.
 */
function secretBytes (secret) {
  if (secret === undefined) return undefined
  if (typeof secret === 'string') return Buffer.from(secret, 'utf8')
  if (secret instanceof Uint8Array) return Buffer.from(secret)
  if (secret instanceof KeyObject && secret.type === 'secret') return secret.export()
  throw new TypeError("'secret' must be a string, a Buffer or Uint8Array, or a secret KeyObject")
}

/** A list that, when given, names at least one value: an empty one would accept nothing. */
function nonEmpty (name, value) {
  const values = list(name, value)
  if (value !== undefined && values.length === 0) throw new TypeError(`'${name}' must not be an empty list`)
  return values
}

function list (name, value) {
  if (value === undefined) return []
  const values = Array.isArray(value) ? value : [value]
  if (!values.every((v) => typeof v === 'string')) {
    throw new TypeError(`'${name}' must be a string or an array of strings`)
  }
  return values
}

function optional (name, value, type) {
  if (value !== undefined && typeof value !== type) throw new TypeError(`'${name}' must be a ${type}`) // eslint-disable-line valid-typeof
  return value
}

function json (name, value) {
  if (value === null || typeof value !== 'object') throw new TypeError(`'${name}' must be an object`)
  return JSON.stringify(value)
}

/**
 * The clock every time check reads, once per verification: `currentDate` (a Date or epoch ms,
 * fixed; or a function returning epoch ms, e.g. a test's fake clock) or the system clock.
 */
function clock (currentDate) {
  if (currentDate === undefined) return Date.now
  if (typeof currentDate === 'function') {
    return () => {
      const ms = currentDate()
      if (!Number.isFinite(ms)) throw new TypeError("'currentDate' must return a finite number of epoch milliseconds")
      return ms
    }
  }
  const ms = currentDate instanceof Date ? currentDate.getTime() : currentDate
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError("'currentDate' must be a valid Date, a number of epoch milliseconds, or a function returning one")
  }
  return () => ms
}

/**
 * @param {import('../index').VerifierOptions} options
 * @returns {Verifier}
 */
function createVerifier (options) {
  return new Verifier(options)
}

const shared = new WeakMap()

/**
 * Verifies one token with the given options. The verifier built for an options object is kept
 * (weakly) and reused, so pass the same object each time.
 * @param {string} token
 * @param {import('../index').VerifierOptions} options
 * @returns {Promise<import('../index').VerifyResult>}
 */
async function verify (token, options) {
  let verifier = shared.get(options)
  if (verifier === undefined) {
    verifier = createVerifier(options)
    shared.set(options, verifier)
  }
  return verifier.verify(token)
}

module.exports = { CACHED, Verifier, allowedAlgorithms, createVerifier, secretBytes, threadpoolSize, verify }
