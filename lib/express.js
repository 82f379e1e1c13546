'use strict'
/**
 * The Express adapter, a drop-in for express-oauth2-jwt-bearer's `auth()`: the pipeline of
 * lib/protect.js with Express's request URL (lib/request.js), form-body test and response headers;
 * on success `req.auth = { payload, header, token }` and `next()`, else `next(err)`.
 */
const { createProtection } = require('./protect')
const { requestUrl } = require('./request')
const { requiredScopes, scopeIncludesAny, claimEquals, claimIncludes, claimCheck } = require('./hooks')

/** @type {import('./protect').HttpAdapter} */
const EXPRESS = Object.freeze({
  isFormBody: (req) => req.body?.access_token !== undefined && Boolean(req.is('urlencoded')),
  url: requestUrl,
  hasHeader: (res, name) => res.hasHeader(name),
  setHeader: (res, name, value) => res.setHeader(name, value),
  accept: (req, result) => { req.auth = result }
})

/**
 * Middleware that requires a valid access token: `req.auth = { payload, header, token }`, else
 * `next(err)` with {@link import('./errors').UnauthorizedError} or one of its subclasses. For
 * health checks it also has `ready()` and `stats()`, those of its verifier (or its issuers').
 * @param {import('../index').AuthOptions} [options] Undefined options are read from `ISSUER_BASE_URL`,
 *   `AUDIENCE`, `ISSUER`, `JWKS_URI`, `SECRET` and `TOKEN_SIGNING_ALG`, once, now.
 * @returns {((req: object, res: object, next: (err?: unknown) => void) => void) & { ready(): Promise<void>, stats(): object }}
 * @throws {TypeError} Naming the option, when the configuration is incomplete or invalid.
 */
function auth (options = {}) {
  const { handler, verifier } = createProtection(options, EXPRESS)
  return Object.assign(handler, {
    /** Resolves once the metadata and keys are loaded; rejects with the `keys_unavailable` error otherwise. */
    ready: () => verifier.ready(),
    /** The verifier's stats, or with `mcd` `{ issuers: [{ issuer, ...stats }] }`. */
    stats: () => verifier.stats()
  })
}

module.exports = {
  auth,
  checkJwt: auth,
  requiredScopes,
  scopeIncludesAny,
  claimEquals,
  claimIncludes,
  claimCheck
}
