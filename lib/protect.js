'use strict'
/**
 * The framework-neutral part of the adapters (lib/express.js, lib/fastify.js): express-oauth2-jwt-bearer's
 * options and their environment variables are read and checked once and one verifier is built (one
 * per issuer with `mcd`: lib/issuers.js); each request then goes extract (lib/request.js) → verify
 * (lib/verifier.js) → validators → DPoP (lib/dpop.js, which also shapes every challenge) → mTLS
 * (lib/mtls.js) → accept, or `next(err)` with the error the client must see. A token the
 * verified-token cache holds is accepted at once, without a promise. It never writes a response; it
 * only adds `Cache-Control: private` when the token came in the query (RFC 6750 §2.3), and
 * `DPoP-Nonce` when a client should switch to a newer nonce.
 */
const verifiers = require('./verifier')
const { createDpop } = require('./dpop')
const { createMtls } = require('./mtls')
const { InvalidTokenError } = require('./errors')
const events = require('./events')
const { assertMcdAlone, cacheSettings, createIssuers } = require('./issuers')

/**
 * What the pipeline needs of a framework, given once per adapter.
 * @typedef {object} HttpAdapter
 * @property {(req: object) => boolean} isFormBody Whether the body is form-encoded and has `access_token`.
 * @property {(req: object) => string} url The absolute URL the request was sent to (DPoP `htu`, mcd resolvers).
 * @property {(res: object, name: string) => boolean} hasHeader Whether the response has header `name`.
 * @property {(res: object, name: string, value: string) => void} setHeader Sets a response header.
 * @property {(req: object, result: import('../index').VerifyResult) => void} accept Attaches the result to the request.
 */

/**
 * The request handler `(req, res, next)` for `options` and the verifier behind it.
 * @param {import('../index').AuthOptions} options Undefined options are read from `ISSUER_BASE_URL`,
 *   `AUDIENCE`, `ISSUER`, `JWKS_URI`, `SECRET` and `TOKEN_SIGNING_ALG`, once, now.
 * @param {HttpAdapter} http
 * @returns {{ handler: (req: object, res: object, next: (err?: unknown) => void) => void,
 *   verifier: { ready(): Promise<void>, stats(): object } }}
 * @throws {TypeError} Naming the option, when the configuration is incomplete or invalid.
 */
function createProtection (options, http) {
  const { verifierOptions, authRequired, validators, mcd, maxEntries } = configure(options)
  const verifier = mcd ? createIssuers(mcd, verifierOptions, maxEntries, http.url) : verifiers.createVerifier(verifierOptions)
  const dpop = createDpop(options.dpop, verifierOptions.currentDate, http)
  const mtls = createMtls(options.mtls, options.getCertificate)
  const settle = authRequired ? (next, err, req) => next(dpop.challenge(err, req)) : (next) => next()
  const accept = (req, res, next, credentials, result) => {
    try {
      if (!dpop.confirm(req, res, credentials, result)) mtls.confirm(req, result)
    } catch (err) {
      return settle(next, events.rejected(err), req)
    }
    http.accept(req, result)
    if (credentials.scheme === 'query' && !http.hasHeader(res, 'cache-control')) http.setHeader(res, 'Cache-Control', 'private')
    next()
  }
  function bearerAuth (req, res, next) {
    let credentials
    try {
      credentials = dpop.credentials(req, http.isFormBody(req))
    } catch (err) {
      return settle(next, events.rejected(err), req)
    }
    const cached = validators.length === 0 ? verifier[verifiers.CACHED](credentials.token) : undefined
    if (cached !== undefined) return accept(req, res, next, credentials, cached)
    const verified = verifier.verify(credentials.token, req)
    const checked = validators.length === 0 ? verified : verified.then((result) => validate(validators, result).catch((err) => { throw events.rejected(err) }))
    checked.then((result) => accept(req, res, next, credentials, result), (err) => settle(next, err, req))
  }
  return { handler: bearerAuth, verifier }
}

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

module.exports = { createProtection }
