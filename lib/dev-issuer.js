'use strict'
/**
 * A local OAuth 2.0 authorization server for development and tests: it publishes discovery
 * metadata and a JWKS, and issues RFC 9068 JWT access tokens through the client credentials grant
 * (DPoP-bound, RFC 9449 §5, when the token request carries a DPoP proof), so `npm start` and the
 * test suites get real tokens without an Auth0 or Okta account.
 * It holds its keys and client secrets in memory and refuses to listen beyond loopback by default.
 */
const crypto = require('node:crypto')
const http = require('node:http')
const net = require('node:net')
const { PATHS, createRequestListener } = require('./dev-issuer/http')
const { ALGORITHMS, KeyRing, signJws } = require('./dev-issuer/keys')
const { resolveOptions, resolveSignOptions } = require('./dev-issuer/options')
const { createTokenEndpoint } = require('./dev-issuer/token-endpoint')
const { createProofChecker } = require('./dev-issuer/dpop')

/** The algorithms the token endpoint accepts DPoP proofs with (RFC 9449 §5.1). */
const DPOP_ALGORITHMS = Object.keys(ALGORITHMS)

/**
 * @typedef {object} DevIssuerClient A registered client of the client credentials grant.
 * @property {string} clientId
 * @property {string} clientSecret
 * @property {string} scope Scopes the client may get, separated by single spaces ('' for none).
 */

/**
 * @typedef {object} DevIssuerOptions
 * @property {string} [host='127.0.0.1'] Address to listen on. Must be loopback (127.0.0.0/8, ::1 or
 *   localhost) unless `allowNonLoopback` is true.
 * @property {number} [port=0] TCP port; 0 picks a free ephemeral port.
 * @property {boolean} [allowNonLoopback=false] Allows a non-loopback `host`, which exposes the
 *   issuer, and a way to get tokens, to the network.
 * @property {string} [audience='https://api.example.test'] The `aud` of issued tokens.
 * @property {string} [algorithm='RS256'] JWS `alg` of the issuer's key: RS256, RS384, RS512,
 *   PS256, PS384, PS512 (RSA keys are 2048 bits), ES256, ES384 or EdDSA (Ed25519).
 * @property {DevIssuerClient[]} [clients] Registered clients. Default: one client `dev-client`
 *   with a random 32-byte base64url secret and scope `read:messages`.
 * @property {number} [tokenLifetime=3600] Lifetime of issued tokens, in seconds.
 * @property {() => number} [now=Date.now] The clock, in epoch milliseconds.
 */

/**
 * @typedef {object} SignOptions
 * @property {string} [algorithm] JWS `alg` to sign with, default the issuer's `algorithm`; another
 *   one gets its own key, generated and published on first use.
 * @property {string} [kid] Header `kid`, default the signing key's.
 * @property {object} [header] Members merged over the header `{ alg, typ: 'at+jwt', kid }`; a member
 *   set to `undefined` is removed. The signature always follows `algorithm`, whatever `alg` says.
 * @property {number} [expiresIn] Seconds from `iat` to `exp`, default `tokenLifetime`; negative
 *   values give tokens that are already expired.
 * @property {'published'|'unpublished'} [key='published'] `'unpublished'` signs with a fresh key that
 *   is not in the JWKS but carries the published key's kid, to forge tokens.
 */

/**
 * @typedef {object} DevIssuer
 * @property {string} issuer Issuer identifier with a trailing slash, as Auth0 has it: `http://127.0.0.1:PORT/`.
 * @property {string} issuerBaseURL The issuer without the trailing slash.
 * @property {string} jwksUri `{issuerBaseURL}/.well-known/jwks.json`.
 * @property {string} tokenEndpoint `{issuerBaseURL}/oauth/token`.
 * @property {string} audience
 * @property {string} algorithm The issuer's JWS algorithm.
 * @property {number} port The port listened on.
 * @property {DevIssuerClient[]} clients A copy of the registered clients, secrets included.
 * @property {{ discovery: number, jwks: number, token: number }} requests Live counts of requests
 *   to each endpoint, whatever their outcome (both discovery addresses count as `discovery`).
 * @property {(claims?: object, opts?: SignOptions) => string} sign A compact JWS access token. Default
 *   claims: `iss`, `sub` and `client_id` (the first client's id), `aud`, `iat`, `exp`, `jti`, `scope`
 *   (the first client's); `claims` are merged over them and a claim set to `undefined` is removed.
 * @property {(opts?: { keepPrevious?: boolean }) => string} rotate Replaces the issuer's key and
 *   returns the new kid. With `keepPrevious` (default true) the old key stays published until the
 *   next rotation; without, it is dropped at once.
 * @property {() => { keys: object[] }} jwks The public JWKS being served.
 * @property {() => Promise<void>} close Stops listening and closes open connections.
 */

/**
 * Starts a dev issuer and resolves once it listens.
 * @param {DevIssuerOptions} [options]
 * @returns {Promise<DevIssuer>}
 * @example
 * const issuer = await createDevIssuer();
 * app.use(auth({ issuerBaseURL: issuer.issuerBaseURL, audience: issuer.audience }));
 * const token = issuer.sign({ scope: 'read:messages' });
 */
async function createDevIssuer (options) {
  const config = resolveOptions(options)
  const keys = new KeyRing()
  keys.current(config.algorithm)
  const server = http.createServer()
  await listen(server, config.host, config.port)

  const { port } = server.address()
  const issuerBaseURL = `http://${net.isIPv6(config.host) ? `[${config.host}]` : config.host}:${port}`
  const issuer = `${issuerBaseURL}/`
  const jwksUri = issuerBaseURL + PATHS.jwks
  const tokenEndpoint = issuerBaseURL + PATHS.token
  const [defaultClient] = config.clients
  const scopesSupported = [...new Set(config.clients.flatMap((client) => client.scope.split(' ')))].filter(Boolean)
  const requests = { discovery: 0, jwks: 0, token: 0 }

  function sign (claims = {}, opts = {}) {
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
      throw new TypeError('sign: claims must be an object')
    }
    const { algorithm, kid, header, expiresIn, key } = resolveSignOptions(opts, config)
    const signingKey = key === 'unpublished' ? keys.unpublished(algorithm) : keys.current(algorithm)
    const iat = Math.floor(config.now() / 1000)
    const payload = withoutUndefined({
      iss: issuer,
      sub: defaultClient.clientId,
      aud: config.audience,
      iat,
      exp: iat + expiresIn,
      jti: crypto.randomUUID(),
      client_id: defaultClient.clientId,
      scope: defaultClient.scope,
      ...claims
    })
    const protectedHeader = withoutUndefined({ alg: algorithm, typ: 'at+jwt', kid: kid ?? signingKey.kid, ...header })
    return signJws(protectedHeader, payload, signingKey)
  }

  function metadata () {
    const algorithms = keys.algorithms()
    return {
      issuer,
      jwks_uri: jwksUri,
      token_endpoint: tokenEndpoint,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['token'],
      scopes_supported: scopesSupported,
      id_token_signing_alg_values_supported: algorithms,
      token_endpoint_auth_signing_alg_values_supported: algorithms,
      dpop_signing_alg_values_supported: DPOP_ALGORITHMS
    }
  }

  server.on('request', createRequestListener({
    metadata,
    jwks: () => keys.jwks(),
    token: createTokenEndpoint({
      clients: config.clients,
      audience: config.audience,
      expiresIn: config.tokenLifetime,
      issue: (claims) => sign(claims),
      checkProof: createProofChecker({ htu: tokenEndpoint, now: config.now })
    }),
    requests
  }))

  let closing
  return Object.freeze({
    issuer,
    issuerBaseURL,
    jwksUri,
    tokenEndpoint,
    audience: config.audience,
    algorithm: config.algorithm,
    port,
    get clients () {
      return config.clients.map((client) => ({ ...client }))
    },
    requests,
    sign,
    rotate ({ keepPrevious = true } = {}) {
      if (typeof keepPrevious !== 'boolean') throw new TypeError('rotate: option "keepPrevious" must be a boolean')
      return keys.rotate(config.algorithm, keepPrevious)
    },
    jwks: () => keys.jwks(),
    close () {
      closing ??= new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
      return closing
    }
  })
}

function listen (server, host, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port }, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function withoutUndefined (object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined))
}

module.exports = { createDevIssuer }
