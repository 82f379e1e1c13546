'use strict'
/**
 * DPoP (RFC 9449) at the resource server, the request side: express-oauth2-jwt-bearer 1.10's
 * options (checked once, with its messages) and its scheme/mode matrix, the `cnf.jkt` checks, the
 * request URL a proof's `htu` is compared with, nonces in `DPoP-Nonce`, and the `DPoP` challenge.
 * The proof itself is checked in Rust (src/dpop.rs), which also keeps the replay cache and the nonce
 * key; a plain Bearer request makes no native call here.
 *
 * Modes (`enabled`, `required`): `{ true, false }` (default) accepts both schemes and checks a proof
 * whenever the DPoP scheme, a `DPoP` header or a DPoP-bound token is seen, and refuses a DPoP-bound
 * token sent as a bearer token (RFC 9449 §7.1); `{ true, true }` accepts only the DPoP scheme;
 * `{ false, * }` accepts only Bearer, ignores `DPoP` headers and `cnf.jkt` (RFC 9449 §7.1 on
 * resource servers unaware of DPoP), and adds no `DPoP` challenge. `{ false, true }` throws.
 */
const { NativeDpop, dpopAlgorithms } = require('./native')
const { getCredentials } = require('./request')
const { InvalidRequestError, InvalidTokenError, UnauthorizedError, challenge, fromFailure } = require('./errors')

/** The `algs` of the `DPoP` challenge: the JWS algorithms a proof may use. */
const ALGORITHMS = Object.freeze(dpopAlgorithms())
const OPTIONS = ['enabled', 'required', 'iatOffset', 'iatLeeway', 'jtiCacheSize', 'nonce', 'nonceRotation', 'nonceSecret']

const PROOF_WITHOUT_DPOP_SCHEME = 'DPoP proof requires the DPoP authentication scheme, not Bearer'
const DPOP_SCHEME_WITHOUT_PROOF = 'DPoP authentication scheme requires a DPoP proof'
const BOUND_TOKEN_AS_BEARER = 'DPoP-bound token requires the DPoP authentication scheme, not Bearer.'

/**
 * @typedef {object} DPoPOptions
 * @property {boolean} [enabled=true] Accept the DPoP scheme and check proofs.
 * @property {boolean} [required=false] Accept only the DPoP scheme (needs `enabled`).
 * @property {number} [iatOffset=300] Seconds a proof's `iat` may lie in the past.
 * @property {number} [iatLeeway=30] Seconds a proof's `iat` may lie in the future.
 * @property {number} [jtiCacheSize=100000] Proofs the replay cache remembers (about 100 bytes each).
 * @property {boolean} [nonce=false] Require server-provided nonces (RFC 9449 §9).
 * @property {number} [nonceRotation=300] Seconds between nonce rotations; a nonce is accepted for one
 *   to two rotations.
 * @property {string} [nonceSecret] The nonce key (at least 32 bytes), shared by every instance behind
 *   one load balancer. Default: random per process.
 */

/** DPoP turned off: Bearer only, no `DPoP` challenge. */
const DISABLED = Object.freeze({
  credentials: (req, isUrlEncoded) => getCredentials(req.headers, req.query, req.body, isUrlEncoded, req.method, false),
  confirm: () => false,
  challenge: (err) => err
})

/**
 * The DPoP part of `auth()` for `options.dpop`, checked now.
 * @param {DPoPOptions | undefined} options
 * @param {Date | number | undefined} currentDate The verifier's clock option: every check uses it.
 * @param {import('./protect').HttpAdapter} http The framework's request URL and response headers.
 * @throws {TypeError} express-oauth2-jwt-bearer's message, naming the option.
 */
function createDpop (options, currentDate, http) {
  const settings = validate(options)
  if (!settings.enabled) return DISABLED
  let native
  try {
    native = new NativeDpop(settings)
  } catch (err) {
    throw err.code === 'InvalidArg' ? new TypeError(err.message) : err
  }
  return new Dpop(settings.required, native, clock(currentDate), http)
}

/** DPoP turned on: the three steps `auth()` calls, with the native checker and its replay cache. */
class Dpop {
  #required
  #native
  #now
  #http

  constructor (required, native, now, http) {
    this.#required = required
    this.#native = native
    this.#now = now
    this.#http = http
  }

  /**
   * The token and how it came, before it is verified: a `DPoP` header needs the DPoP scheme, the
   * DPoP scheme needs one non-empty `DPoP` header, and in required mode nothing else is accepted.
   * @returns {{ token: string, scheme: string }}
   */
  credentials (req, isUrlEncoded) {
    const { headers } = req
    if (headers.dpop !== undefined && headers.authorization === undefined) {
      throw new InvalidRequestError(PROOF_WITHOUT_DPOP_SCHEME)
    }
    const credentials = getCredentials(headers, req.query, req.body, isUrlEncoded, req.method, true)
    if (credentials.scheme === 'dpop') {
      if (!headers.dpop) throw new InvalidRequestError(DPOP_SCHEME_WITHOUT_PROOF)
    } else if (this.#required) {
      throw headers.dpop === undefined ? new UnauthorizedError() : new InvalidRequestError(PROOF_WITHOUT_DPOP_SCHEME)
    }
    return credentials
  }

  /**
   * After the token verified: refuses a DPoP-bound token sent as a bearer token and a proof sent
   * with one, and checks the proof of a DPoP request. Sends a newer nonce in `DPoP-Nonce`.
   * @returns {boolean} Whether the request was a DPoP request (then mTLS is not looked at).
   */
  confirm (req, res, credentials, { payload }) {
    if (credentials.scheme !== 'dpop') {
      if (isObject(payload.cnf) && Object.hasOwn(payload.cnf, 'jkt')) {
        throw new InvalidTokenError(BOUND_TOKEN_AS_BEARER, { kind: 'dpop_scheme_required' })
      }
      if (req.headers.dpop !== undefined) throw new InvalidRequestError(PROOF_WITHOUT_DPOP_SCHEME)
      return false
    }
    const jkt = confirmationKey(payload.cnf)
    const outcome = JSON.parse(this.#native.check(req.headers.dpop, req.method, this.#http.url(req), credentials.token, jkt, this.#now()))
    if (outcome.error) throw fromFailure(outcome.error)
    if (outcome.nonce !== undefined) sendNonce(this.#http, res, outcome.nonce)
    return true
  }

  /**
   * `err` with the challenges of a DPoP-enabled resource server (RFC 9449 §7.1): `Bearer` and
   * `DPoP`, the error on the scheme the client used; `DPoP` alone in required mode.
   */
  challenge (err, req) {
    if (!(err instanceof UnauthorizedError)) return err
    const scheme = String(req.headers.authorization ?? '').split(/\s/, 1)[0].toLowerCase() === 'dpop' ? 'dpop' : 'bearer'
    const value = challenge({ error: err.code, description: err.message, dpop: { algs: ALGORITHMS, required: this.#required, scheme } })
    err.headers = { ...err.headers, 'WWW-Authenticate': value }
    return err
  }
}

/** The access token's `cnf.jkt`, checked as express-oauth2-jwt-bearer checks it. */
function confirmationKey (cnf) {
  if (!cnf) throw new InvalidTokenError('JWT Access Token has no jkt confirmation claim', { kind: 'token_unbound', claim: 'cnf' })
  if (!isObject(cnf)) throw invalidConfirmation('Invalid "cnf" confirmation claim structure')
  if (!Object.hasOwn(cnf, 'jkt')) throw new InvalidTokenError('JWT Access Token has no jkt confirmation claim', { kind: 'token_unbound', claim: 'cnf' })
  if (typeof cnf.jkt !== 'string') throw invalidConfirmation('Malformed "jkt" confirmation claim')
  if (cnf.jkt === '') throw invalidConfirmation('Invalid "jkt" confirmation claim')
  return cnf.jkt
}

function invalidConfirmation (message) {
  return new InvalidTokenError(message, { kind: 'claim_invalid', claim: 'cnf' })
}

/** RFC 9449 §8.2: a newer nonce in `DPoP-Nonce`, on a response that must not be cached. */
function sendNonce (http, res, nonce) {
  http.setHeader(res, 'DPoP-Nonce', nonce)
  if (!http.hasHeader(res, 'cache-control')) http.setHeader(res, 'Cache-Control', 'no-store')
}

function isObject (value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `options.dpop`, checked with express-oauth2-jwt-bearer's messages, defaults applied by Rust. */
function validate (options) {
  if (options === undefined) return { enabled: true, required: false }
  const assert = (ok, message) => {
    if (!ok) throw new TypeError(message)
  }
  assert(isObject(options), 'Invalid DPoP configuration: "dpop" must be an object')
  const unknown = Object.keys(options).find((name) => !OPTIONS.includes(name))
  assert(unknown === undefined, `Invalid DPoP option: "${unknown}" is not an option (${OPTIONS.join(', ')})`)
  const { enabled = true, required = false, iatOffset, iatLeeway, jtiCacheSize, nonce = false, nonceRotation, nonceSecret } = options
  assert(typeof enabled === 'boolean', 'Invalid DPoP option: "enabled" must be a boolean')
  assert(typeof required === 'boolean', 'Invalid DPoP option: "required" must be a boolean')
  for (const [name, value] of [['iatOffset', iatOffset], ['iatLeeway', iatLeeway]]) {
    if (value === undefined) continue
    assert(typeof value === 'number', `Invalid DPoP option: "${name}" must be a number`)
    assert(value >= 0, `Invalid DPoP option: "${name}" must be a non-negative number`)
  }
  assert(typeof nonce === 'boolean', 'Invalid DPoP option: "nonce" must be a boolean')
  assert(jtiCacheSize === undefined || Number.isInteger(jtiCacheSize), 'Invalid DPoP option: "jtiCacheSize" must be an integer')
  assert(nonceRotation === undefined || Number.isInteger(nonceRotation), 'Invalid DPoP option: "nonceRotation" must be an integer (seconds)')
  assert(nonceSecret === undefined || typeof nonceSecret === 'string', 'Invalid DPoP option: "nonceSecret" must be a string')
  assert(!(enabled === false && required === true), 'Invalid DPoP configuration: cannot set "required" to true when "enabled" is false')
  return { enabled, required, iatOffset, iatLeeway, jtiCacheSize, nonce, nonceRotation, nonceSecret }
}

/** The clock of `currentDate` (a Date or epoch ms, as the verifier reads it), else the system clock. */
function clock (currentDate) {
  if (currentDate === undefined) return Date.now
  const ms = currentDate instanceof Date ? currentDate.getTime() : currentDate
  return () => ms
}

module.exports = { createDpop }
