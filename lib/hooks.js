'use strict'
/**
 * The authorization checks of lib/claims.js as `(req, res, next)` functions over
 * `req.auth.payload`: Express middleware and Fastify callback hooks have that one shape. A check
 * that fails calls `next(err)` with its 403 or 401 error; an async check is awaited.
 */
const checks = require('./claims')
const events = require('./events')

/** An authorization check of lib/claims.js as `(req, res, next)` over `req.auth.payload`. */
function middleware (check) {
  return function claimsCheck (req, res, next) {
    let pending
    try {
      pending = check(req.auth?.payload)
    } catch (err) {
      return next(events.rejected(err))
    }
    if (pending === undefined) return next()
    pending.then(() => next(), (err) => next(events.rejected(err)))
  }
}

/**
 * 403 `insufficient_scope` unless the token grants every scope of `scopes`.
 * @param {string | string[]} scopes Separated by spaces, or an array.
 * @param {import('./claims').ScopeOptions} [options] `claims`: where scopes are read, default `['scope', 'scp']`.
 */
const requiredScopes = (scopes, options) => middleware(checks.requiredScopes(scopes, options))

/**
 * 403 `insufficient_scope` unless the token grants at least one scope of `scopes`.
 * @param {string | string[]} scopes Separated by spaces, or an array.
 * @param {import('./claims').ScopeOptions} [options] `claims`: where scopes are read, default `['scope', 'scp']`.
 */
const scopeIncludesAny = (scopes, options) => middleware(checks.scopeIncludesAny(scopes, options))

/**
 * 401 `invalid_token` unless claim `claim` is `=== expected`.
 * @param {string} claim
 * @param {string | number | boolean | null} expected
 */
const claimEquals = (claim, expected) => middleware(checks.claimEquals(claim, expected))

/**
 * 401 `invalid_token` unless claim `claim` (array, or space-separated string) includes every value.
 * @param {string} claim
 * @param {...(string | number | boolean | null)} expected
 */
const claimIncludes = (claim, ...expected) => middleware(checks.claimIncludes(claim, ...expected))

/**
 * 401 `invalid_token` with `description` (default `Invalid Token`) unless `fn(payload)` is truthy;
 * a Promise is awaited.
 * @param {(payload: object) => unknown} fn
 * @param {string} [description]
 */
const claimCheck = (fn, description) => middleware(checks.claimCheck(fn, description))

module.exports = { requiredScopes, scopeIncludesAny, claimEquals, claimIncludes, claimCheck }
