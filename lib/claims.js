'use strict'
/**
 * Authorization checks on the claims of a verified token, framework-free. Each factory validates
 * its arguments once (misuse throws a TypeError) and returns a check `(payload) => void` that
 * throws the error classes of `lib/errors.js` with express-oauth2-jwt-bearer's messages. Only a
 * `claimCheck` whose function returns a Promise gives a check that returns one.
 */
const { InsufficientScopeError, InvalidTokenError, UnauthorizedError } = require('./errors')

/**
 * Where granted scopes are read by default: `scope`, a space-separated string (Auth0, RFC 9068
 * §2.2.3), and `scp`, an array (Okta; a string there is split too).
 */
const DEFAULT_SCOPE_CLAIMS = Object.freeze(['scope', 'scp'])

/**
 * @typedef {object} ScopeOptions
 * @property {string[]} [claims=['scope', 'scp']] The claims whose scopes are granted (their union).
 *   Add `'permissions'` for Auth0 RBAC, whose permissions are an array claim of that name.
 */

/**
 * A check that the token grants every scope of `scopes`: 403 `insufficient_scope` naming them.
 * @param {string | string[]} scopes Separated by spaces, or an array.
 * @param {ScopeOptions} [options]
 * @returns {(payload?: object) => void}
 */
function requiredScopes (scopes, options) {
  return scopeCheck(scopes, options, (required, granted) => required.every((scope) => granted.has(scope)))
}

/**
 * A check that the token grants at least one scope of `scopes`: 403 `insufficient_scope` naming them.
 * @param {string | string[]} scopes Separated by spaces, or an array.
 * @param {ScopeOptions} [options]
 * @returns {(payload?: object) => void}
 */
function scopeIncludesAny (scopes, options) {
  return scopeCheck(scopes, options, (required, granted) => required.some((scope) => granted.has(scope)))
}

function scopeCheck (scopes, options = {}, matches) {
  const required = Object.freeze(scopeList(scopes))
  const claims = scopeClaims(options)
  return (payload) => {
    if (!payload) throw new UnauthorizedError()
    const granted = grantedScopes(payload, claims)
    if (granted === null) throw new InsufficientScopeError(required, "Missing 'scope' claim")
    if (!matches(required, granted)) throw new InsufficientScopeError(required)
  }
}

function scopeList (scopes) {
  if (typeof scopes === 'string') return scopes.split(' ')
  if (Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string')) return [...scopes]
  throw new TypeError("'scopes' must be a string or array of strings")
}

function scopeClaims (options) {
  if (options === null || typeof options !== 'object') throw new TypeError("'options' must be an object")
  const { claims = DEFAULT_SCOPE_CLAIMS } = options
  if (!Array.isArray(claims) || claims.length === 0 || !claims.every((claim) => typeof claim === 'string' && claim !== '')) {
    throw new TypeError("'claims' must be a non-empty array of claim names")
  }
  return [...claims]
}

/** The scopes of every present claim of `claims`, or `null` when none of them is present. */
function grantedScopes (payload, claims) {
  let granted = null
  for (const claim of claims) {
    if (!Object.hasOwn(payload, claim)) continue
    granted ??= new Set()
    const value = payload[claim]
    const scopes = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : []
    for (const scope of scopes) granted.add(scope)
  }
  return granted
}

/**
 * A check that claim `claim` is exactly (`===`) `expected`: else 401 `invalid_token`
 * `Unexpected '<claim>' value`, or `Missing '<claim>' claim` when absent.
 * @param {string} claim
 * @param {string | number | boolean | null} expected
 * @returns {(payload?: object) => void}
 */
function claimEquals (claim, expected) {
  claimName(claim)
  primitive(expected)
  return (payload) => {
    present(payload, claim)
    if (payload[claim] !== expected) throw unexpected(claim)
  }
}

/**
 * A check that claim `claim` (an array, or a string of space-separated values) includes every
 * value of `expected`: else 401 `invalid_token` `Unexpected '<claim>' value`, or
 * `Missing '<claim>' claim` when absent.
 * @param {string} claim
 * @param {...(string | number | boolean | null)} expected
 * @returns {(payload?: object) => void}
 */
function claimIncludes (claim, ...expected) {
  claimName(claim)
  expected.forEach(primitive)
  return (payload) => {
    present(payload, claim)
    const value = payload[claim]
    const values = typeof value === 'string' ? value.split(' ') : value
    if (!Array.isArray(values) || !expected.every((item) => values.includes(item))) throw unexpected(claim)
  }
}

/**
 * A check that `fn(payload)` is truthy: else 401 `invalid_token` with `description` (default
 * `Invalid Token`). An error `fn` throws is passed on as it is. When `fn` returns a Promise, the
 * check returns one, settled the same way with its value.
 * @param {(payload: object) => unknown} fn
 * @param {string} [description] The `error_description` sent when `fn` refuses the token.
 * @returns {(payload?: object) => void | Promise<void>}
 */
function claimCheck (fn, description) {
  if (typeof fn !== 'function') throw new TypeError("'claimCheck' expects a function")
  if (description !== undefined && typeof description !== 'string') {
    throw new TypeError("'description' must be a string")
  }
  const refuse = () => new InvalidTokenError(description, { kind: 'claim_check_failed' })
  return (payload) => {
    if (!payload) throw new UnauthorizedError()
    const result = fn(payload)
    if (typeof result?.then === 'function') {
      return Promise.resolve(result).then((ok) => {
        if (!ok) throw refuse()
      }, (err) => {
        throw err ?? refuse()
      })
    }
    if (!result) throw refuse()
  }
}

function claimName (claim) {
  if (typeof claim !== 'string') throw new TypeError("'claim' must be a string")
}

function primitive (value) {
  if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
    throw new TypeError("'expected' must be a string, number, boolean or null")
  }
}

function present (payload, claim) {
  if (!payload) throw new UnauthorizedError()
  if (!Object.hasOwn(payload, claim)) {
    throw new InvalidTokenError(`Missing '${claim}' claim`, { kind: 'claim_missing', claim })
  }
}

function unexpected (claim) {
  return new InvalidTokenError(`Unexpected '${claim}' value`, { kind: 'claim_check_failed', claim })
}

module.exports = {
  DEFAULT_SCOPE_CLAIMS,
  requiredScopes,
  scopeIncludesAny,
  claimEquals,
  claimIncludes,
  claimCheck
}
