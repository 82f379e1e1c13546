'use strict'
/**
 * The Express adapter, a drop-in for express-oauth2-jwt-bearer's `auth()`. Options and their
 * environment variables are read and checked once and one verifier is built (one per issuer with
 * `mcd`: lib/issuers.js); each request then goes
 * extract (lib/request.js) → verify (lib/verifier.js) → validators → `req.auth` → `next()`, or
 * `next(err)` with the error the client must see (a token the verified-token cache holds is accepted
 * at once, without a promise). Sender-constrained tokens are checked after the
 * validators: DPoP (lib/dpop.js, which also shapes every challenge) and mTLS (lib/mtls.js). It never
 * writes a response itself; it only adds `Cache-Control: private` when the token came in the query
 * (RFC 6750 §2.3), and `DPoP-Nonce` when a client should switch to a newer nonce.
 */
const verifiers = require('./verifier')
const { createDpop } = require('./dpop')
const { createMtls } = require('./mtls')
const checks = require('./claims')
const { InvalidTokenError } = require('./errors')
const events = require('./events')
const { assertMcdAlone, cacheSettings, createIssuers } = require('./issuers')

/** express-oauth2-jwt-bearer's environment variables: each is read when its option is undefined. */
const ENVIRONMENT = Object.freeze({
  issuerBaseURL: 'ISSUER_BASE_URL',
  audience: 'AUDIENCE',
  issuer: 'ISSUER',
  jwksUri: 'JWKS_URI',
  secret: 'SECRET',
  tokenSigningAlg: 'TOKEN_SIGNING_ALG'
})

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']
const SYMMETRIC_ALGORITHMS = ['HS256', 'HS384', 'HS512']

/** Default validators of express-oauth2-jwt-bearer that the core always applies, so `false` cannot lift them. */
const ALWAYS_CHECKED = Object.freeze({
  alg: "the algorithm allow-list ('algorithms' or 'tokenSigningAlg')",
  iss: "'iss' against 'issuer' (or the discovered issuer)",
  aud: "'aud' against 'audience'",
  exp: "'exp'"
})
/** RFC 9068 requirements of `strict` that a `false` validator lifts. */
const STRICT_CLAIMS = ['iat', 'sub', 'client_id', 'jti']
const ACCESS_TOKEN_TYP = /^(?:application\/)?at\+jwt$/i

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
  const { verifierOptions, authRequired, validators, mcd, maxEntries } = configure(options)
  const verifier = mcd ? createIssuers(mcd, verifierOptions, maxEntries) : verifiers.createVerifier(verifierOptions)
  const dpop = createDpop(options.dpop, verifierOptions.currentDate)
  const mtls = createMtls(options.mtls, options.getCertificate)
  const settle = authRequired ? (next, err, req) => next(dpop.challenge(err, req)) : (next) => next()
  const accept = (req, res, next, credentials, result) => {
    try {
      if (!dpop.confirm(req, res, credentials, result)) mtls.confirm(req, result)
    } catch (err) {
      return settle(next, events.rejected(err), req)
    }
    req.auth = result
    if (credentials.scheme === 'query') keepPrivate(res)
    next()
  }
  return Object.assign(function bearerAuth (req, res, next) {
    let credentials
    try {
      credentials = dpop.credentials(req, isFormBody(req))
    } catch (err) {
      return settle(next, events.rejected(err), req)
    }
    const cached = validators.length === 0 ? verifier[verifiers.CACHED](credentials.token) : undefined
    if (cached !== undefined) return accept(req, res, next, credentials, cached)
    const verified = verifier.verify(credentials.token, req)
    const checked = validators.length === 0 ? verified : verified.then((result) => validate(validators, result).catch((err) => { throw events.rejected(err) }))
    checked.then((result) => accept(req, res, next, credentials, result), (err) => settle(next, err, req))
  }, {
    /** Resolves once the metadata and keys are loaded; rejects with the `keys_unavailable` error otherwise. */
    ready: () => verifier.ready(),
    /** The verifier's stats, or with `mcd` `{ issuers: [{ issuer, ...stats }] }`. */
    stats: () => verifier.stats()
  })
}

/**
 * RFC 6750 §2.3: a successful response to a request with the token in its URI should carry
 * `Cache-Control: private`; a Cache-Control already set is left alone.
 */
function keepPrivate (res) {
  if (!res.hasHeader('cache-control')) res.setHeader('Cache-Control', 'private')
}

/** Whether the token may come from the body: only a form-encoded one (RFC 6750 §2.2). */
function isFormBody (req) {
  return req.body?.access_token !== undefined && Boolean(req.is('urlencoded'))
}

function configure (options) {
  if (options === null || typeof options !== 'object') throw new TypeError('auth(options): options must be an object')
  const { authRequired = true, validators, mcd, cache, dpop, mtls, getCertificate, ...rest } = options
  if (typeof authRequired !== 'boolean') throw new TypeError("'authRequired' must be a boolean")
  if (rest.tokenSigningAlg === '') throw new TypeError("'tokenSigningAlg' must name an algorithm: an empty one would allow every asymmetric algorithm")
  for (const [name, variable] of Object.entries(ENVIRONMENT)) {
    const value = rest[name] !== undefined ? rest[name] : process.env[variable]
    rest[name] = value === '' || value === null ? undefined : value
  }
  assertComplete(rest, mcd)
  const { maxEntries, cacheMaxAge, discoveryMaxAge } = cacheSettings(cache)
  if (cacheMaxAge !== undefined) rest.cacheMaxAge = cacheMaxAge
  if (discoveryMaxAge !== undefined) rest.discoveryMaxAge = discoveryMaxAge
  return { verifierOptions: rest, authRequired, validators: compile(validators, rest), mcd, maxEntries }
}

/** The configuration checks of express-oauth2-jwt-bearer, with its messages, as TypeErrors. */
function assertComplete (options, mcd) {
  const { issuerBaseURL, issuer, jwksUri, secret, publicKey, jwks, audience, tokenSigningAlg, algorithms } = options
  const assert = (ok, message) => {
    if (!ok) throw new TypeError(message)
  }
  assert(mcd || issuerBaseURL || (issuer && (jwksUri || secret || publicKey || jwks)),
    "You must provide 'mcd', 'issuerBaseURL', or both 'issuer' and ('jwksUri', 'secret', 'publicKey' or 'jwks')")
  if (mcd) assertMcdAlone(options)
  assert(!(secret && jwksUri), "You must not provide both a 'secret' and 'jwksUri'")
  assert(!(publicKey && jwksUri), "You must not provide both a 'publicKey' and 'jwksUri'")
  assert(!(publicKey && secret), "You must not provide both a 'publicKey' and 'secret'")
  assert(!(publicKey && issuerBaseURL), "You must not provide both a 'publicKey' and 'issuerBaseURL'")
  assert(audience, "An 'audience' is required to validate the 'aud' claim")
  assert(!secret || tokenSigningAlg || algorithms !== undefined,
    "You must provide a 'tokenSigningAlg' for validating symmetric algorithms")
  assert(secret || !tokenSigningAlg || ASYMMETRIC_ALGORITHMS.includes(tokenSigningAlg),
    `You must supply one of ${ASYMMETRIC_ALGORITHMS.join(', ')} for 'tokenSigningAlg' to validate asymmetrically signed tokens`)
  assert(!secret || !tokenSigningAlg || SYMMETRIC_ALGORITHMS.includes(tokenSigningAlg),
    `You must supply one of ${SYMMETRIC_ALGORITHMS.join(', ')} for 'tokenSigningAlg' to validate symmetrically signed tokens`)
}

/**
 * The checks `validators` asks for, run after the core's: a string must equal the value (`===`), a
 * function `(value, payload, header)` must return (or resolve to) a truthy value; `alg` and `typ`
 * are read from the header, every other name from the payload. `false` lifts a requirement of
 * `strict` (`typ`, `iat`, `sub`, `client_id`, `jti`; the core then runs non-strict with the others
 * as `requiredClaims`, and `typ` is checked here) and is a no-op for other names. May rewrite
 * `config.strict` and `config.requiredClaims`.
 */
function compile (validators, config) {
  if (validators === undefined) return []
  if (validators === null || typeof validators !== 'object') throw new TypeError("'validators' must be an object")
  const compiled = []
  const lifted = new Set()
  for (const [name, validator] of Object.entries(validators)) {
    if (validator === undefined) continue
    if (validator === false) {
      if (Object.hasOwn(ALWAYS_CHECKED, name)) {
        throw new TypeError(`'validators.${name}' cannot be false: bearer-rs always checks ${ALWAYS_CHECKED[name]}`)
      }
      lifted.add(name)
    } else if (typeof validator === 'string') {
      compiled.push(validatorCheck(name, (value) => value === validator))
    } else if (typeof validator === 'function') {
      compiled.push(validatorCheck(name, validator))
    } else {
      throw new TypeError(`'validators.${name}' must be a string, a function or false`)
    }
  }
  if (lifted.has('iat') && config.maxTokenAge !== undefined) {
    throw new TypeError("'validators.iat' cannot be false with 'maxTokenAge', which checks 'iat'")
  }
  if (config.strict !== true || ![...lifted].some((name) => name === 'typ' || STRICT_CLAIMS.includes(name))) {
    return compiled
  }
  config.strict = false
  config.requiredClaims = [].concat(config.requiredClaims ?? [], STRICT_CLAIMS.filter((name) => !lifted.has(name)))
  return lifted.has('typ') ? compiled : [checkTyp, ...compiled]
}

/** RFC 9068 §2.1, as `strict` checks it: `typ` is `at+jwt` or `application/at+jwt`, in any case. */
function checkTyp (payload, header) {
  if (typeof header.typ !== 'string' || !ACCESS_TOKEN_TYP.test(header.typ)) {
    throw new InvalidTokenError("Unexpected 'typ' value", { kind: 'typ_invalid', claim: 'typ' })
  }
}

function validatorCheck (name, validator) {
  const inHeader = name === 'alg' || name === 'typ'
  return async (payload, header) => {
    let ok
    try {
      ok = await validator(inHeader ? header[name] : payload[name], payload, header)
    } catch (err) {
      throw new InvalidTokenError(err?.message, { kind: 'claim_check_failed', claim: name, cause: err })
    }
    if (!ok) throw new InvalidTokenError(`Unexpected '${name}' value`, { kind: 'claim_check_failed', claim: name })
  }
}

/** Runs every check together; the first to fail in declaration order is reported. */
function validate (validators, result) {
  return Promise.all(validators.map((check) => check(result.payload, result.header))).then(() => result)
}

/** An authorization check of lib/claims.js as middleware over `req.auth.payload`. */
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

module.exports = {
  auth,
  checkJwt: auth,
  requiredScopes,
  scopeIncludesAny,
  claimEquals,
  claimIncludes,
  claimCheck
}
