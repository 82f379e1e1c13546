'use strict'
/**
 * `bearer-rs/okta`: the class of `@okta/jwt-verifier` 4 (constructor options, `verifyAccessToken`,
 * `verifyIdToken`, the frozen `{ header, claims, toString(), isExpired(), isNotBefore() }` they
 * resolve to), backed by the native verifier, so code written for Okta's verifier keeps working
 * with the `require` changed. Where Okta's verifier is lax, this one is strict:
 * - `exp` is required (Okta accepts a token without it); `iat` in the future is refused;
 * - `exp`, `nbf` and `iat` allow 5 seconds of clock skew (Okta: none, and no `iat` check);
 * - `claim.includes` splits a string claim on spaces and matches whole values (Okta matches
 *   substrings, so `read` is "included" in `read:messages`);
 * - failures reject with bearer-rs's `InvalidTokenError` (401 `invalid_token`, a stable `kind`),
 *   whose message never repeats a claim value or the token.
 * The keys come from `jwksUri` (default `${issuer}/v1/keys`), cached and refreshed natively and
 * shared with every verifier of that URI in the process.
 */
const verifiers = require('./verifier')
const { InvalidTokenError } = require('./errors')
const events = require('./events')
const { Lru } = require('./lru')

const FIND_DOMAIN = 'https://bit.ly/finding-okta-domain'
const FIND_CREDENTIALS = 'https://bit.ly/finding-okta-app-credentials'
const COPY_DOMAIN = `You can copy your domain from the Okta Developer Console. Follow these instructions to find it: ${FIND_DOMAIN}`
const COPY_CREDENTIALS = 'You can copy it from the Okta Developer Console in the details for the Application you created. ' +
  `Follow these instructions to find it: ${FIND_CREDENTIALS}`
const HTTPS_WARNING = 'Warning: HTTPS check is disabled. This allows for insecure configurations and is NOT recommended for production use.'
const ADMIN_DOMAIN = /-admin.(okta|oktapreview|okta-emea).com/
/** Okta's defaults: keys cached for an hour, at most 10 JWKS requests a minute. */
const DEFAULT_CACHE_MAX_AGE = 60 * 60 * 1000
const DEFAULT_JWKS_REQUESTS_PER_MINUTE = 10
/** Okta signs access and ID tokens with RS256 only, and so does its verifier accept only RS256. */
const ALGORITHMS = ['RS256']
/** How many audiences (and client ids) keep a verifier. */
const MAX_VERIFIERS = 32

/** A misconfiguration, with `@okta/jwt-verifier`'s message. */
class ConfigurationValidationError extends Error {
  constructor (message) {
    super(message)
    this.name = 'ConfigurationValidationError'
  }
}

/** Verifies Okta access tokens and ID tokens of one authorization server. */
class OktaJwtVerifier {
  #options
  #claims
  #verifiers = new Lru(MAX_VERIFIERS)

  /**
   * @param {import('../okta').VerifierOptions} options
   * @throws {ConfigurationValidationError} With Okta's messages, for a missing or malformed issuer or client id.
   * @throws {TypeError} Naming the option, for options of the wrong type or not supported: a
   *   verifier is built here only to check them, so misconfiguration fails now, not at the first token.
   */
  constructor (options = {}) {
    const { issuer, clientId, assertClaims = {}, cacheMaxAge, jwksRequestsPerMinute, jwksUri, requestAgent, testing } = options
    assertIssuer(issuer, testing)
    if (clientId) assertClientId(clientId)
    if (options.requestAgentOptions) {
      throw new ConfigurationValidationError('`requestAgentOptions` has been deprecated, use `requestAgent` instead.')
    }
    if (options.getKeysInterceptor !== undefined) {
      throw new TypeError("'getKeysInterceptor' is not supported: the keys are fetched from 'jwksUri' and cached natively")
    }
    this.#claims = claimAssertions(assertClaims)
    this.issuer = issuer
    this.jwksUri = jwksUri || `${issuer}/v1/keys`
    this.#options = {
      issuer,
      jwksUri: this.jwksUri,
      algorithms: ALGORITHMS,
      cacheMaxAge: cacheMaxAge || DEFAULT_CACHE_MAX_AGE,
      cooldownDuration: 60000 / requestsPerMinute(jwksRequestsPerMinute),
      allowInsecureHttp: testing?.disableHttpsCheck === true,
      agent: requestAgent
    }
    verifiers.createVerifier({ ...this.#options, audience: 'any' })
  }

  /**
   * Verifies an access token for `expectedAudience` (one, or an array of which `aud` must name one).
   * @param {string} accessTokenString
   * @param {string | string[]} expectedAudience
   * @returns {Promise<import('../okta').Jwt>}
   */
  async verifyAccessToken (accessTokenString, expectedAudience) {
    if (!expectedAudience) throw new TypeError('expected audience is required')
    const verifier = this.#verifier(expectedAudience, [])
    return this.#checked(await verifier.verify(accessTokenString))
  }

  /**
   * Verifies an ID token (OpenID Connect Core §3.1.3.7): `sub` and `iat` are required, `aud` must
   * be `expectedClientId`, and `nonce` must be `expectedNonce` when either is there.
   * @param {string} idTokenString
   * @param {string} expectedClientId
   * @param {string} [expectedNonce]
   * @returns {Promise<import('../okta').Jwt>}
   */
  async verifyIdToken (idTokenString, expectedClientId, expectedNonce) {
    if (!expectedClientId) throw new TypeError('expected client id is required')
    assertClientId(expectedClientId)
    const verifier = this.#verifier(expectedClientId, ['sub', 'iat'])
    const result = await verifier.verify(idTokenString)
    if (result.payload.aud !== expectedClientId) throw refused("Unexpected 'aud' value", 'audience_mismatch', 'aud')
    if (result.payload.nonce !== (expectedNonce || undefined)) throw refused("Unexpected 'nonce' value", 'claim_check_failed', 'nonce')
    return this.#checked(result)
  }

  #verifier (audience, requiredClaims) {
    const key = JSON.stringify([audience, requiredClaims])
    return this.#verifiers.get(key) ?? this.#verifiers.set(key, verifiers.createVerifier({ ...this.#options, audience, requiredClaims }))
  }

  /** The asserted claims, then Okta's result shape: frozen, with the token behind `toString()`. */
  #checked ({ payload, header, token }) {
    if (typeof header.kid !== 'string') throw refused('no applicable key found in the JSON Web Key Set', 'key_not_found')
    for (const check of this.#claims) check(payload)
    return Object.freeze({
      header: Object.freeze({ ...header }),
      claims: Object.freeze({ ...payload }),
      toString: () => token,
      isExpired: () => new Date(payload.exp * 1000) < new Date(),
      isNotBefore: () => new Date(payload.nbf * 1000) >= new Date()
    })
  }
}

function assertIssuer (issuer, testing = {}) {
  if (testing.disableHttpsCheck) process.emitWarning(HTTPS_WARNING)
  if (!issuer) throw new ConfigurationValidationError(`Your Okta URL is missing. ${COPY_DOMAIN}`)
  if (typeof issuer !== 'string') throw new TypeError("'issuer' must be a string")
  if (!testing.disableHttpsCheck && !issuer.startsWith('https://')) {
    throw new ConfigurationValidationError(`Your Okta URL must start with https. Current value: ${issuer}. ${COPY_DOMAIN}`)
  }
  if (issuer.includes('{yourOktaDomain}')) {
    throw new ConfigurationValidationError(`Replace {yourOktaDomain} with your Okta domain. ${COPY_DOMAIN}`)
  }
  if (ADMIN_DOMAIN.test(issuer)) {
    throw new ConfigurationValidationError(`Your Okta domain should not contain -admin. Current value: ${issuer}. ${COPY_DOMAIN}`)
  }
}

function assertClientId (clientId) {
  if (typeof clientId !== 'string') throw new TypeError("'clientId' must be a string")
  if (clientId.includes('{clientId}')) {
    throw new ConfigurationValidationError(`Replace {clientId} with the client ID of your Application. ${COPY_CREDENTIALS}`)
  }
}

/** `jwksRequestsPerMinute` as a positive number, Okta's 10 when not given. */
function requestsPerMinute (value) {
  if (value === undefined || value === 0) return DEFAULT_JWKS_REQUESTS_PER_MINUTE
  if (typeof value !== 'number' || !(value > 0)) throw new TypeError("'jwksRequestsPerMinute' must be a positive number")
  return value
}

/**
 * `assertClaims` as checks: `claim: value` requires `payload[claim] === value`; `claim.includes:
 * value or [values]` requires the claim (an array, or a string of space-separated values) to hold
 * every value. Only the `includes` operator exists, as in Okta's verifier.
 */
function claimAssertions (assertClaims) {
  if (assertClaims === null || typeof assertClaims !== 'object') throw new TypeError("'assertClaims' must be an object")
  return Object.entries(assertClaims).map(([name, expected]) => {
    const dot = name.indexOf('.')
    const claim = dot === -1 ? name : name.slice(0, dot)
    const operator = dot === -1 ? undefined : name.slice(dot + 1)
    if (operator !== undefined && operator !== 'includes') {
      throw new TypeError(`operator: '${operator}' invalid. Supported operators: 'includes'.`)
    }
    if (operator === undefined) {
      return (payload) => {
        if (payload[claim] !== expected) throw refused(`Unexpected '${claim}' value`, 'claim_check_failed', claim)
      }
    }
    const wanted = [].concat(expected)
    return (payload) => {
      const value = payload[claim]
      const values = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : []
      if (!wanted.every((item) => values.includes(item))) throw refused(`Unexpected '${claim}' value`, 'claim_check_failed', claim)
    }
  })
}

function refused (message, kind, claim) {
  return events.rejected(new InvalidTokenError(message, { kind, claim }))
}

module.exports = OktaJwtVerifier
