'use strict'
/**
 * DPoP (RFC 9449) over real HTTP on 127.0.0.1, on Express 5 and 4: the scheme/mode matrix of
 * express-oauth2-jwt-bearer 1.10, every proof check with its status, kind and exact challenge, the
 * request URL behind proxies, the replay cache, server-provided nonces, the options, and the dev
 * issuer's DPoP-bound tokens end to end. Proofs and tokens are really signed; the clock is fixed.
 *
 * Differences from the peer, each where an RFC asks more:
 * - a replayed proof (same `jti` and key within the `iat` window) is 400 `invalid_dpop_proof`
 *   (RFC 9449 §11.1; the peer keeps no replay cache);
 * - `jti` must be a string (RFC 7519 §4.1.7) and `htm` equal the method exactly (RFC 9110 §9.1:
 *   methods are case-sensitive); the peer accepts any `jti` and compares `htm` ignoring case;
 * - the challenge's `algs` lists the algorithms bearer-rs verifies; the peer also lists ES256K and
 *   ES512, which it then refuses as well (RFC 9449 §7.1: the algorithms that are acceptable);
 * - Bearer, query or body credentials in required mode, and the DPoP scheme with DPoP disabled, are
 *   401 with bare challenges (RFC 6750 §3.1: an unsupported authentication method gets no error
 *   code), where the peer answers 400 with bare challenges;
 * - the DPoP scheme without a proof, and a proof without the DPoP scheme, are 400 `invalid_request`
 *   with a description (RFC 6750 §3.1: a missing parameter), where the peer leaves the code out;
 * - a DPoP-bound token in the query or a form body is refused as a bound token sent as a bearer
 *   token, 401 (RFC 9449 §7.1), where the peer answers 400 with bare challenges;
 * - the Host and path checks apply to DPoP requests only (they only serve the `htu` comparison);
 * - `nonce` (RFC 9449 §9) and `jtiCacheSize` are bearer-rs options.
 */
const { describe, test, before, after, mock } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const { execFile } = require('node:child_process')
const bearer = require('..')
const h = require('./helpers')

const EXPRESS = [['Express 5', require('express')], ['Express 4', require('express4')]]

/** Every verifier and proof check here runs on this pinned clock: 2031-01-15T12:00:00Z. */
const NOW = Date.UTC(2031, 0, 15, 12)
const NOW_SECONDS = NOW / 1000
const ISSUER_KEY = h.keyPair('RS256')
const OPTIONS = Object.freeze({ issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, jwks: h.jwks(ISSUER_KEY), currentDate: NOW })
const ALGS = 'RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA'
const DPOP = `DPoP algs="${ALGS}"`
const BARE = 'Bearer realm="api"'
const NONCE_SECRET = 'a nonce secret shared by every instance of this API'

/** A client's DPoP key: `publicJwk` as a client sends it (no kid, alg or use) and its thumbprint. */
function clientKey (alg = 'ES256') {
  const pair = h.freshKeyPair(alg)
  const { kid, alg: _, use, ...publicJwk } = pair.publicJwk
  return { ...pair, publicJwk, jkt: thumbprint(publicJwk) }
}

/** RFC 7638, computed here independently of the code under test. */
function thumbprint (jwk) {
  const members = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] }[jwk.kty]
  return crypto.createHash('sha256').update(JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])))).digest('base64url')
}

const CLIENT = clientKey()

/** An access token issued at NOW; `claims` override the defaults. */
function token (claims = {}) {
  return h.sign(h.claims(claims, { now: NOW_SECONDS }), ISSUER_KEY)
}

/** An access token bound to `key` (RFC 9449 §6.1). */
const boundTo = (key, claims = {}) => token({ cnf: { jkt: key.jkt }, ...claims })

/**
 * A proof by `key` for `method url` and access token `accessToken`, issued at NOW. `claims` and
 * `header` override the defaults; a member set to undefined is removed.
 */
function proof (key, { method = 'GET', url, accessToken, claims = {}, header = {} }) {
  const payload = {
    jti: crypto.randomUUID(),
    htm: method,
    htu: url,
    iat: NOW_SECONDS,
    ath: accessToken === undefined ? undefined : crypto.createHash('sha256').update(accessToken).digest('base64url'),
    ...claims
  }
  const defined = Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined))
  return h.sign(defined, { ...key, kid: undefined, header: { typ: 'dpop+jwt', jwk: key.publicJwk, ...header } })
}

/** One request over a fresh connection: `{ status, headers, body }`. */
const request = (base, path, options) => h.request(`${base}${path}`, options)

/** Serves `app` on 127.0.0.1:0 until `register`'s teardown; resolves to its base URL. */
async function serve (app, register) {
  const server = http.createServer(app)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  register(() => new Promise((resolve) => {
    server.close(resolve)
    server.closeAllConnections()
  }))
  return `http://127.0.0.1:${server.address().port}`
}

/** The error handler of the test apps: the status, the error's headers, and its identity as JSON. */
function dump (err, req, res, next) {
  res.status(err.status ?? 500).set(err.headers ?? {}).json({ name: err.name, code: err.code, kind: err.kind, claim: err.claim, message: err.message })
}

const echo = (req, res) => res.json({ auth: req.auth ?? null })

/** An app with each route of `routes` (path → auth options) under /custom (custom handler) and /default (Express's). */
function app (express, routes, settings = {}) {
  const application = express()
  application.set('env', 'production')
  for (const [name, value] of Object.entries(settings)) application.set(name, value)
  const router = express.Router()
  router.use(express.urlencoded({ extended: false }))
  for (const [path, options] of Object.entries(routes)) router.all(path, bearer.auth({ ...OPTIONS, ...options }), echo)
  application.use('/custom', router, dump)
  application.use('/default', router)
  return application
}

/** The refusal a test expects: the error's class, kind, message, claim, status and exact challenge. */
function refused (name, kind, message, challenge, claim) {
  const status = { UnauthorizedError: 401, InvalidRequestError: 400, InvalidTokenError: 401, InvalidProofError: 400, UseDpopNonceError: 401 }[name]
  const code = { InvalidRequestError: 'invalid_request', InvalidTokenError: 'invalid_token', InvalidProofError: 'invalid_dpop_proof', UseDpopNonceError: 'use_dpop_nonce' }[name]
  return { status, challenge, body: { name, code, kind, claim, message } }
}

/** The error parameters of a challenge, as the one builder writes them. */
const params = (code, message) => `error="${code}", error_description="${message.replace(/"/g, "'")}"`
/** A refusal of a request that used the DPoP scheme: the error is on the DPoP challenge. */
const onDpop = (name, kind, message, claim) => {
  const code = refused(name).body.code
  return refused(name, kind, message, `${BARE}, DPoP ${params(code, message)}, algs="${ALGS}"`, claim)
}
/** A refusal of a request that did not use the DPoP scheme: the error is on the Bearer challenge. */
const onBearer = (name, kind, message, claim) => {
  const code = refused(name).body.code
  return refused(name, kind, message, `${BARE}, ${params(code, message)}, ${DPOP}`, claim)
}
/** A refusal in required mode: only the DPoP challenge. */
const dpopOnly = (name, kind, message, claim) => {
  const code = refused(name).body.code
  return refused(name, kind, message, code ? `DPoP ${params(code, message)}, algs="${ALGS}"` : DPOP, claim)
}

/** Asserts `res` is `expected` (from {@link refused}). */
function assertRefusal (res, expected) {
  assert.equal(res.status, expected.status, res.body)
  assert.equal(res.headers['www-authenticate'], expected.challenge)
  assert.deepEqual(JSON.parse(res.body), JSON.parse(JSON.stringify(expected.body)))
}

function assertAccepted (res, accessToken) {
  assert.equal(res.status, 200, res.body)
  assert.equal(JSON.parse(res.body).auth.token, accessToken)
}

const PROOF_NEEDS_SCHEME = 'DPoP proof requires the DPoP authentication scheme, not Bearer'

for (const [label, express] of EXPRESS) {
  describe(`DPoP with auth() on ${label}`, () => {
    let base
    const closers = []
    const url = (path) => `${base}${path}`
    /** `Authorization: DPoP <token>` with a fresh proof by `key` for GET `path`; `change` alters the proof. */
    const dpopRequest = (path, accessToken, { key = CLIENT, method = 'GET', ...change } = {}) => ({
      method,
      headers: { authorization: `DPoP ${accessToken}`, dpop: proof(key, { method, url: url(path), accessToken, ...change }) }
    })

    before(async () => {
      mock.method(console, 'error', () => {})
      base = await serve(app(express, {
        '/api': {},
        '/required': { dpop: { required: true } },
        '/disabled': { dpop: { enabled: false } },
        '/narrow': { dpop: { iatOffset: 10, iatLeeway: 0 } },
        '/optional': { authRequired: false }
      }), (close) => closers.push(close))
    })
    after(async () => {
      await Promise.all(closers.map((close) => close()))
      mock.restoreAll()
    })

    describe('the default mode { enabled: true, required: false } accepts both schemes', () => {
      test('a bearer token with the Bearer scheme: 200', async () => {
        const plain = token()
        assertAccepted(await request(base, '/custom/api', { headers: { authorization: `Bearer ${plain}` } }), plain)
      })

      test('a DPoP-bound token with the DPoP scheme and a valid proof: 200, req.auth as for Bearer', async () => {
        const bound = boundTo(CLIENT)
        const res = await request(base, '/custom/api', dpopRequest('/custom/api', bound))
        assertAccepted(res, bound)
        assert.deepEqual(JSON.parse(res.body).auth.payload.cnf, { jkt: CLIENT.jkt })
        assert.equal(res.headers['dpop-nonce'], undefined)
      })

      test('a proof for POST with a form body: 200', async () => {
        const bound = boundTo(CLIENT)
        assertAccepted(await request(base, '/custom/api', { ...dpopRequest('/custom/api', bound, { method: 'POST' }), form: { x: '1' } }), bound)
      })

      test('no credentials: 401 with both bare challenges', async () => {
        assertRefusal(await request(base, '/custom/api'), refused('UnauthorizedError', 'token_missing', 'Unauthorized', `${BARE}, ${DPOP}`))
      })

      test('a DPoP-bound token with the Bearer scheme: 401 invalid_token (RFC 9449 §7.1), even with a proof', async () => {
        const bound = boundTo(CLIENT)
        const expected = onBearer('InvalidTokenError', 'dpop_scheme_required', 'DPoP-bound token requires the DPoP authentication scheme, not Bearer.')
        assertRefusal(await request(base, '/custom/api', { headers: { authorization: `Bearer ${bound}` } }), expected)
        const withProof = { authorization: `Bearer ${bound}`, dpop: proof(CLIENT, { url: url('/custom/api'), accessToken: bound }) }
        assertRefusal(await request(base, '/custom/api', { headers: withProof }), expected)
      })

      test('a DPoP-bound token in the query or a form body: refused as a bearer token', async () => {
        const bound = boundTo(CLIENT)
        const expected = onBearer('InvalidTokenError', 'dpop_scheme_required', 'DPoP-bound token requires the DPoP authentication scheme, not Bearer.')
        assertRefusal(await request(base, `/custom/api?access_token=${bound}`), expected)
        assertRefusal(await request(base, '/custom/api', { method: 'POST', form: { access_token: bound } }), expected)
      })

      test('a proof beside a bearer token: 400 invalid_request on the Bearer challenge, as the peer', async () => {
        const plain = token()
        const headers = { authorization: `Bearer ${plain}`, dpop: proof(CLIENT, { url: url('/custom/api'), accessToken: plain }) }
        assertRefusal(await request(base, '/custom/api', { headers }), onBearer('InvalidRequestError', 'request_invalid', PROOF_NEEDS_SCHEME))
      })

      test('a proof without an Authorization header, alone or with a query token: 400 invalid_request', async () => {
        const bound = boundTo(CLIENT)
        const headers = { dpop: proof(CLIENT, { url: url('/custom/api'), accessToken: bound }) }
        const expected = onBearer('InvalidRequestError', 'request_invalid', PROOF_NEEDS_SCHEME)
        assertRefusal(await request(base, '/custom/api', { headers }), expected)
        assertRefusal(await request(base, `/custom/api?access_token=${bound}`, { headers }), expected)
      })

      test('the DPoP scheme without a proof, or with an empty one: 400 invalid_request on the DPoP challenge', async () => {
        const bound = boundTo(CLIENT)
        const expected = onDpop('InvalidRequestError', 'request_invalid', 'DPoP authentication scheme requires a DPoP proof')
        assertRefusal(await request(base, '/custom/api', { headers: { authorization: `DPoP ${bound}` } }), expected)
        assertRefusal(await request(base, '/custom/api', { headers: { authorization: `DPoP ${bound}`, dpop: '' } }), expected)
      })

      test('the DPoP scheme with no token: 400 invalid_request naming the scheme', async () => {
        const expected = onDpop('InvalidRequestError', 'request_invalid', "Invalid 'Authorization' header: expected 'DPoP <token>'")
        assertRefusal(await request(base, '/custom/api', { headers: { authorization: 'DPoP', dpop: 'x' } }), expected)
      })

      test('the DPoP scheme and a query token: 400, more than one method, on the DPoP challenge', async () => {
        const bound = boundTo(CLIENT)
        const res = await request(base, `/custom/api?access_token=${bound}`, dpopRequest('/custom/api', bound))
        assertRefusal(res, onDpop('InvalidRequestError', 'request_invalid', 'More than one method used for authentication'))
      })

      test('an invalid access token with the DPoP scheme: 401 invalid_token on the DPoP challenge, before the proof is looked at', async () => {
        const expired = boundTo(CLIENT, { exp: NOW_SECONDS - 60 })
        const res = await request(base, '/custom/api', dpopRequest('/custom/api', expired))
        assertRefusal(res, onDpop('InvalidTokenError', 'token_expired', '"exp" claim timestamp check failed', 'exp'))
      })

      test('a token without a jkt confirmation with the DPoP scheme: 401 invalid_token', async () => {
        const cases = [
          [token(), 'token_unbound', 'JWT Access Token has no jkt confirmation claim'],
          [token({ cnf: { 'x5t#S256': 'abc' } }), 'token_unbound', 'JWT Access Token has no jkt confirmation claim'],
          [token({ cnf: 'jkt' }), 'claim_invalid', 'Invalid "cnf" confirmation claim structure'],
          [token({ cnf: { jkt: 42 } }), 'claim_invalid', 'Malformed "jkt" confirmation claim'],
          [token({ cnf: { jkt: '' } }), 'claim_invalid', 'Invalid "jkt" confirmation claim']
        ]
        for (const [accessToken, kind, message] of cases) {
          assertRefusal(await request(base, '/custom/api', dpopRequest('/custom/api', accessToken)), onDpop('InvalidTokenError', kind, message, 'cnf'))
        }
      })

      test('a token bound to another key: 401 invalid_token, confirmation mismatch', async () => {
        const res = await request(base, '/custom/api', dpopRequest('/custom/api', boundTo(clientKey())))
        assertRefusal(res, onDpop('InvalidTokenError', 'binding_mismatch', 'JWT Access Token confirmation mismatch', 'cnf'))
      })

      test('authRequired: false lets a failed DPoP request through without req.auth', async () => {
        const res = await request(base, '/custom/optional', dpopRequest('/custom/optional', boundTo(clientKey())))
        assert.deepEqual([res.status, JSON.parse(res.body)], [200, { auth: null }])
      })
    })

    describe('each proof check: 400 invalid_dpop_proof on the DPoP challenge', () => {
      const invalid = (message, claim) => onDpop('InvalidProofError', 'dpop_proof_invalid', message, claim)
      const cases = [
        ['two proofs in one header', (path, at) => ({ dpop: `${proof(CLIENT, { url: url(path), accessToken: at })}, ${proof(CLIENT, { url: url(path), accessToken: at })}` }), invalid('Multiple DPoP proofs are not allowed')],
        ['a proof that is no JWS', () => ({ dpop: 'garbage' }), invalid('Invalid Compact JWS')],
        ['typ JWT', { header: { typ: 'JWT' } }, invalid('unexpected "typ" JWT header value', 'typ')],
        ['no typ', { header: { typ: undefined } }, invalid('unexpected "typ" JWT header value', 'typ')],
        ['alg none', (path, at) => ({ dpop: unsigned(path, at, 'none') }), invalid('"alg" (Algorithm) Header Parameter not allowed', 'alg')],
        ['alg HS256', (path, at) => ({ dpop: unsigned(path, at, 'HS256') }), invalid('"alg" (Algorithm) Header Parameter not allowed', 'alg')],
        ['no jwk', { header: { jwk: undefined } }, invalid('"jwk" (JSON Web Key) Header Parameter must be a JSON object', 'jwk')],
        ['a private jwk', { header: { jwk: { ...CLIENT.publicJwk, d: CLIENT.privateKey.export({ format: 'jwk' }).d } } }, invalid('"jwk" (JSON Web Key) Header Parameter must be a public key', 'jwk')],
        ['a jwk of another key type than alg', { header: { jwk: clientKey('EdDSA').publicJwk } }, invalid('"jwk" (JSON Web Key) Header Parameter is not a usable key for the "alg"', 'jwk')],
        ['a signature by another key', (path, at) => ({ dpop: proof({ ...clientKey(), publicJwk: CLIENT.publicJwk }, { url: url(path), accessToken: at }) }), invalid('signature verification failed')],
        ['no iat', { claims: { iat: undefined } }, invalid('Missing "iat" claim in DPoP proof', 'iat')],
        ['iat not a number', { claims: { iat: 'now' } }, invalid('"iat" claim must be a number', 'iat')],
        ['iat 301 s old', { claims: { iat: NOW_SECONDS - 301 } }, invalid('DPoP proof "iat" is outside the acceptable range', 'iat')],
        ['iat 31 s ahead', { claims: { iat: NOW_SECONDS + 31 } }, invalid('DPoP proof "iat" is outside the acceptable range', 'iat')],
        ['no htm', { claims: { htm: undefined } }, invalid('Missing "htm" in DPoP proof', 'htm')],
        ['htm POST for GET', { claims: { htm: 'POST' } }, invalid('DPoP Proof htm mismatch', 'htm')],
        ['htm get for GET', { claims: { htm: 'get' } }, invalid('DPoP Proof htm mismatch', 'htm')],
        ['no htu', { claims: { htu: undefined } }, invalid('Missing "htu" in DPoP proof', 'htu')],
        ['htu not a string', { claims: { htu: 7 } }, invalid('Invalid "htu" claim', 'htu')],
        ['htu not a URL', { claims: { htu: 'not a url' } }, invalid('Invalid htu claim URL', 'htu')],
        ['htu with an odd host', { claims: { htu: 'http://a$b/custom/api' } }, invalid('Invalid htu claim URL: Host contains illegal characters or format', 'htu')],
        ['htu of another path', (path, at) => ({ dpop: proof(CLIENT, { url: url('/custom/other'), accessToken: at }) }), invalid('DPoP Proof htu mismatch', 'htu')],
        ['htu with https for http', (path, at) => ({ dpop: proof(CLIENT, { url: url(path).replace('http:', 'https:'), accessToken: at }) }), invalid('DPoP Proof htu mismatch', 'htu')],
        ['no jti', { claims: { jti: undefined } }, invalid('Missing "jti" in DPoP proof', 'jti')],
        ['jti not a string', { claims: { jti: 12 } }, invalid('Invalid "jti" claim', 'jti')],
        ['no ath', (path) => ({ dpop: proof(CLIENT, { url: url(path) }) }), invalid('Missing "ath" claim in DPoP proof', 'ath')],
        ['ath of another token', (path) => ({ dpop: proof(CLIENT, { url: url(path), accessToken: token() }) }), invalid('DPoP Proof "ath" mismatch', 'ath')]
      ]
      /** A proof signed with another algorithm than an asymmetric one. */
      function unsigned (path, accessToken, alg) {
        const key = alg === 'none' ? { alg: 'none' } : h.freshKeyPair('HS256')
        const claims = { jti: crypto.randomUUID(), htm: 'GET', htu: url(path), iat: NOW_SECONDS, ath: crypto.createHash('sha256').update(accessToken).digest('base64url') }
        return h.sign(claims, { ...key, header: { typ: 'dpop+jwt', jwk: CLIENT.publicJwk } })
      }
      for (const [name, change, expected] of cases) {
        test(`${name}: "${expected.body.message}"`, async () => {
          const bound = boundTo(CLIENT)
          const headers = typeof change === 'function'
            ? { authorization: `DPoP ${bound}`, ...change('/custom/api', bound) }
            : dpopRequest('/custom/api', bound, change).headers
          assertRefusal(await request(base, '/custom/api', { headers }), expected)
        })
      }

      test('the same refusal under Express\'s default error handler', async () => {
        const res = await request(base, '/default/api', dpopRequest('/default/api', boundTo(CLIENT), { claims: { htm: 'PUT' } }))
        assert.equal(res.status, 400)
        assert.equal(res.headers['www-authenticate'], invalid('DPoP Proof htm mismatch').challenge)
      })

      test('iatOffset and iatLeeway set the window', async () => {
        const bound = boundTo(CLIENT)
        const at = (iat) => request(base, '/custom/narrow', dpopRequest('/custom/narrow', bound, { claims: { iat } }))
        assert.equal((await at(NOW_SECONDS - 10)).status, 200)
        assert.equal((await at(NOW_SECONDS)).status, 200)
        assertRefusal(await at(NOW_SECONDS - 11), invalid('DPoP proof "iat" is outside the acceptable range', 'iat'))
        assertRefusal(await at(NOW_SECONDS + 1), invalid('DPoP proof "iat" is outside the acceptable range', 'iat'))
      })

      test('htu is compared without query and fragment, after normalisation (RFC 3986 §6.2.2, §6.2.3)', async () => {
        const bound = boundTo(CLIENT)
        const { port } = new URL(base)
        for (const htu of [`HTTP://127.0.0.1:${port}/custom/api?x=1#f`, `http://127.0.0.1:${port}/custom/%61pi`, `http://127.0.0.1:${port}/custom/x/../api`]) {
          const res = await request(base, '/custom/api?page=2', { headers: { authorization: `DPoP ${bound}`, dpop: proof(CLIENT, { url: htu, accessToken: bound }) } })
          assertAccepted(res, bound)
        }
      })

      test('every asymmetric algorithm is accepted for proofs', async () => {
        for (const alg of ['RS256', 'PS384', 'ES384', 'EdDSA']) {
          const key = clientKey(alg)
          const bound = boundTo(key)
          assertAccepted(await request(base, '/custom/api', dpopRequest('/custom/api', bound, { key })), bound)
        }
      })
    })

    describe('replay: a proof is accepted once (RFC 9449 §11.1)', () => {
      test('the same proof twice: 200, then 400 invalid_dpop_proof, kind dpop_proof_replayed', async () => {
        const bound = boundTo(CLIENT)
        const once = dpopRequest('/custom/api', bound)
        assertAccepted(await request(base, '/custom/api', once), bound)
        assertRefusal(await request(base, '/custom/api', once), onDpop('InvalidProofError', 'dpop_proof_replayed', 'DPoP proof "jti" has already been used', 'jti'))
      })

      test('another proof with the same jti and key is a replay too; the same jti of another key is not', async () => {
        const bound = boundTo(CLIENT)
        const jti = crypto.randomUUID()
        assertAccepted(await request(base, '/custom/api', dpopRequest('/custom/api', bound, { claims: { jti } })), bound)
        const again = await request(base, '/custom/api', dpopRequest('/custom/api', bound, { claims: { jti, iat: NOW_SECONDS - 1 } }))
        assert.equal(JSON.parse(again.body).kind, 'dpop_proof_replayed')
        const other = clientKey()
        const otherToken = boundTo(other)
        assertAccepted(await request(base, '/custom/api', dpopRequest('/custom/api', otherToken, { key: other, claims: { jti } })), otherToken)
      })

      test('a refused proof does not use up its jti', async () => {
        const bound = boundTo(CLIENT)
        const jti = crypto.randomUUID()
        assert.equal((await request(base, '/custom/api', dpopRequest('/custom/api', bound, { claims: { jti, htm: 'POST' } }))).status, 400)
        assertAccepted(await request(base, '/custom/api', dpopRequest('/custom/api', bound, { claims: { jti } })), bound)
      })

      test('each auth() keeps its own replay cache', async () => {
        const bound = boundTo(CLIENT)
        const jti = crypto.randomUUID()
        assertAccepted(await request(base, '/custom/api', dpopRequest('/custom/api', bound, { claims: { jti } })), bound)
        assertAccepted(await request(base, '/custom/narrow', dpopRequest('/custom/narrow', bound, { claims: { jti } })), bound)
      })
    })

    describe('the required mode { required: true } accepts only the DPoP scheme', () => {
      test('a DPoP request: 200', async () => {
        const bound = boundTo(CLIENT)
        assertAccepted(await request(base, '/custom/required', dpopRequest('/custom/required', bound)), bound)
      })

      test('no credentials: 401 with the DPoP challenge alone', async () => {
        assertRefusal(await request(base, '/custom/required'), refused('UnauthorizedError', 'token_missing', 'Unauthorized', DPOP))
      })

      test('a bearer token in the header, the query or a form body: 401, bare DPoP challenge', async () => {
        const plain = token()
        const expected = refused('UnauthorizedError', 'token_missing', 'Unauthorized', DPOP)
        assertRefusal(await request(base, '/custom/required', { headers: { authorization: `Bearer ${plain}` } }), expected)
        assertRefusal(await request(base, `/custom/required?access_token=${plain}`), expected)
        assertRefusal(await request(base, '/custom/required', { method: 'POST', form: { access_token: plain } }), expected)
      })

      test('a bearer token with a proof: 400 invalid_request on the DPoP challenge', async () => {
        const plain = token()
        const headers = { authorization: `Bearer ${plain}`, dpop: proof(CLIENT, { url: url('/custom/required'), accessToken: plain }) }
        assertRefusal(await request(base, '/custom/required', { headers }), dpopOnly('InvalidRequestError', 'request_invalid', PROOF_NEEDS_SCHEME))
      })

      test('an unbound token with the DPoP scheme, and a bad proof: refused on the DPoP challenge', async () => {
        assertRefusal(await request(base, '/custom/required', dpopRequest('/custom/required', token())), dpopOnly('InvalidTokenError', 'token_unbound', 'JWT Access Token has no jkt confirmation claim', 'cnf'))
        const res = await request(base, '/custom/required', dpopRequest('/custom/required', boundTo(CLIENT), { claims: { htm: 'POST' } }))
        assertRefusal(res, dpopOnly('InvalidProofError', 'dpop_proof_invalid', 'DPoP Proof htm mismatch', 'htm'))
      })
    })

    describe('the disabled mode { enabled: false } is Bearer only', () => {
      test('a DPoP-bound token with the Bearer scheme: 200, cnf ignored (RFC 9449 §7.1 for servers unaware of DPoP)', async () => {
        const bound = boundTo(CLIENT)
        assertAccepted(await request(base, '/custom/disabled', { headers: { authorization: `Bearer ${bound}` } }), bound)
      })

      test('a DPoP header is ignored', async () => {
        const plain = token()
        assertAccepted(await request(base, '/custom/disabled', { headers: { authorization: `Bearer ${plain}`, dpop: 'garbage' } }), plain)
      })

      test('the DPoP scheme: 401 with the bare Bearer challenge alone', async () => {
        const res = await request(base, '/custom/disabled', dpopRequest('/custom/disabled', boundTo(CLIENT)))
        assertRefusal(res, refused('UnauthorizedError', 'token_missing', 'Unauthorized', BARE))
      })

      test('an invalid token: the Bearer challenge alone', async () => {
        const res = await request(base, '/custom/disabled', { headers: { authorization: 'Bearer garbage' } })
        assertRefusal(res, refused('InvalidTokenError', 'token_malformed', 'Invalid Token or Protected Header formatting', `${BARE}, ${params('invalid_token', 'Invalid Token or Protected Header formatting')}`))
      })
    })
  })

  describe(`the request URL of the htu comparison on ${label}`, () => {
    const closers = []
    after(() => Promise.all(closers.map((close) => close())))
    const serveWith = (settings) => serve(app(express, { '/api': {} }, settings), (close) => closers.push(close))
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com, proxy.internal' }

    test('behind a trusted proxy (trust proxy), X-Forwarded-Proto and the first X-Forwarded-Host make the URL', async () => {
      const base = await serveWith({ 'trust proxy': true })
      const bound = boundTo(CLIENT)
      const send = (htu) => request(base, '/custom/api', { headers: { ...forwarded, authorization: `DPoP ${bound}`, dpop: proof(CLIENT, { url: htu, accessToken: bound }) } })
      assertAccepted(await send('https://api.example.com/custom/api'), bound)
      assert.equal(JSON.parse((await send(`${base}/custom/api`)).body).message, 'DPoP Proof htu mismatch')
    })

    test('without trust proxy, forwarded headers are ignored: the URL is the connection\'s', async () => {
      const base = await serveWith({})
      const bound = boundTo(CLIENT)
      const send = (htu) => request(base, '/custom/api', { headers: { ...forwarded, authorization: `DPoP ${bound}`, dpop: proof(CLIENT, { url: htu, accessToken: bound }) } })
      assertAccepted(await send(`${base}/custom/api`), bound)
      assert.equal(JSON.parse((await send('https://api.example.com/custom/api')).body).message, 'DPoP Proof htu mismatch')
    })

    test('a malformed Host on a DPoP request: 400 Invalid Host header; a bearer request is not affected', async () => {
      const base = await serveWith({})
      const bound = boundTo(CLIENT)
      const headers = { host: 'api.example.com/evil', authorization: `DPoP ${bound}`, dpop: proof(CLIENT, { url: 'http://api.example.com/custom/api', accessToken: bound }) }
      assertRefusal(await request(base, '/custom/api', { headers }), onDpop('InvalidRequestError', 'request_invalid', 'Invalid Host header'))
      const plain = token()
      assertAccepted(await request(base, '/custom/api', { headers: { host: 'api.example.com/evil', authorization: `Bearer ${plain}` } }), plain)
    })

    test('a path that holds an absolute URL or starts with //: 400 on a DPoP request, as the peer', async () => {
      const application = express()
      application.use(bearer.auth(OPTIONS), echo, dump)
      application.use(dump)
      const base = await serve(application, (close) => closers.push(close))
      const bound = boundTo(CLIENT)
      for (const [path, message] of [['/https://evil.example/x', 'Invalid request URL: Path must not contain an absolute URL'], ['//evil.example/x', 'Invalid request URL: Path must not start with "//"']]) {
        const headers = { authorization: `DPoP ${bound}`, dpop: proof(CLIENT, { url: `${base}${path}`, accessToken: bound }) }
        assertRefusal(await request(base, path, { headers }), onDpop('InvalidRequestError', 'request_invalid', message))
      }
    })
  })

  describe(`server-provided nonces (RFC 9449 §9) on ${label}`, () => {
    const closers = []
    let base
    const nonceOptions = { dpop: { nonce: true, nonceSecret: NONCE_SECRET, nonceRotation: 60 } }
    const later = { ...nonceOptions, currentDate: NOW + 60000 }
    const useNonce = (message) => onDpop('UseDpopNonceError', 'dpop_nonce_required', message, 'nonce')
    before(async () => {
      mock.method(console, 'error', () => {})
      base = await serve(app(express, { '/api': nonceOptions, '/later': later, '/other': { dpop: { nonce: true } } }), (close) => closers.push(close))
    })
    after(async () => {
      await Promise.all(closers.map((close) => close()))
      mock.restoreAll()
    })
    const send = (path, accessToken, claims) => request(base, path, {
      headers: { authorization: `DPoP ${accessToken}`, dpop: proof(CLIENT, { url: `${base}${path}`, accessToken, claims }) }
    })

    test('a proof without a nonce: 401 use_dpop_nonce with a DPoP-Nonce to use; the retry with it: 200', async () => {
      const bound = boundTo(CLIENT)
      const first = await send('/custom/api', bound)
      assertRefusal(first, useNonce('Resource server requires nonce in DPoP proof'))
      const nonce = first.headers['dpop-nonce']
      assert.match(nonce, /^[A-Za-z0-9_-]{54}$/)
      const retry = await send('/custom/api', bound, { nonce })
      assertAccepted(retry, bound)
      assert.equal(retry.headers['dpop-nonce'], undefined)
    })

    test('the nonce and the challenge also reach the client under Express\'s default error handler', async () => {
      const res = await send('/default/api', boundTo(CLIENT))
      assert.equal(res.status, 401)
      assert.equal(res.headers['www-authenticate'], useNonce('Resource server requires nonce in DPoP proof').challenge)
      assert.match(res.headers['dpop-nonce'], /^[A-Za-z0-9_-]{54}$/)
    })

    test('a nonce of another server: 401 use_dpop_nonce with the current nonce', async () => {
      const nonce = (await send('/custom/other', boundTo(CLIENT))).headers['dpop-nonce']
      const res = await send('/custom/api', boundTo(CLIENT), { nonce })
      assertRefusal(res, useNonce('DPoP proof "nonce" is not a current nonce of this resource server'))
      assert.notEqual(res.headers['dpop-nonce'], nonce)
    })

    test('after a rotation the previous nonce is still accepted, and the response hands out the new one, uncacheable', async () => {
      const bound = boundTo(CLIENT)
      const nonce = (await send('/custom/api', bound)).headers['dpop-nonce']
      const res = await send('/custom/later', bound, { nonce, iat: NOW_SECONDS + 60 })
      assertAccepted(res, bound)
      const fresh = res.headers['dpop-nonce']
      assert.ok(fresh && fresh !== nonce)
      assert.equal(res.headers['cache-control'], 'no-store')
      assertAccepted(await send('/custom/later', bound, { nonce: fresh, iat: NOW_SECONDS + 60 }), bound)
    })

    test('instances sharing nonceSecret accept each other\'s nonces', async () => {
      const bound = boundTo(CLIENT)
      const nonce = (await send('/custom/api', bound)).headers['dpop-nonce']
      const twin = await serve(app(express, { '/api': nonceOptions }), (close) => closers.push(close))
      const res = await request(twin, '/custom/api', { headers: { authorization: `DPoP ${bound}`, dpop: proof(CLIENT, { url: `${twin}/custom/api`, accessToken: bound, claims: { nonce } }) } })
      assertAccepted(res, bound)
    })
  })
}

describe('DPoP options', () => {
  const throwsType = (dpop, message) => assert.throws(() => bearer.auth({ ...OPTIONS, dpop }), (err) => err instanceof TypeError && err.message === message)

  test('the peer\'s checks, with its messages, at start-up', () => {
    throwsType('yes', 'Invalid DPoP configuration: "dpop" must be an object')
    throwsType({ enabled: 'yes' }, 'Invalid DPoP option: "enabled" must be a boolean')
    throwsType({ required: 1 }, 'Invalid DPoP option: "required" must be a boolean')
    throwsType({ iatOffset: '300' }, 'Invalid DPoP option: "iatOffset" must be a number')
    throwsType({ iatOffset: -1 }, 'Invalid DPoP option: "iatOffset" must be a non-negative number')
    throwsType({ iatLeeway: null }, 'Invalid DPoP option: "iatLeeway" must be a number')
    throwsType({ iatLeeway: -5 }, 'Invalid DPoP option: "iatLeeway" must be a non-negative number')
    throwsType({ enabled: false, required: true }, 'Invalid DPoP configuration: cannot set "required" to true when "enabled" is false')
  })

  test('bearer-rs\'s own options are checked too, naming the option', () => {
    throwsType({ nonce: 'yes' }, 'Invalid DPoP option: "nonce" must be a boolean')
    throwsType({ jtiCacheSize: 1.5 }, 'Invalid DPoP option: "jtiCacheSize" must be an integer')
    throwsType({ jtiCacheSize: 0 }, "'dpop.jtiCacheSize' must be a whole number from 1 to 10000000")
    throwsType({ nonceRotation: 0 }, "'dpop.nonceRotation' must be a whole number from 1 to 86400")
    throwsType({ nonce: true, nonceSecret: 'short' }, "'dpop.nonceSecret' must be at least 32 bytes")
    throwsType({ requried: true }, 'Invalid DPoP option: "requried" is not an option (enabled, required, iatOffset, iatLeeway, jtiCacheSize, nonce, nonceRotation, nonceSecret)')
  })

  test('valid configurations of every mode start', () => {
    for (const dpop of [undefined, {}, { enabled: true }, { required: true }, { enabled: false }, { iatOffset: 0, iatLeeway: 0 }, { nonce: true, nonceRotation: 30, jtiCacheSize: 10 }]) {
      assert.equal(typeof bearer.auth({ ...OPTIONS, dpop }), 'function')
    }
  })
})

describe('the DPoP error classes', () => {
  test('InvalidProofError is 400 invalid_dpop_proof, as the peer\'s', () => {
    const err = new bearer.InvalidProofError('DPoP Proof htm mismatch')
    assert.ok(err instanceof bearer.UnauthorizedError)
    assert.deepEqual([err.status, err.statusCode, err.code, err.kind], [400, 400, 'invalid_dpop_proof', 'dpop_proof_invalid'])
    assert.deepEqual(err.headers, { 'WWW-Authenticate': `${BARE}, error="invalid_dpop_proof", error_description="DPoP Proof htm mismatch"` })
  })

  test('UseDpopNonceError is 401 use_dpop_nonce on the DPoP challenge, with the nonce in DPoP-Nonce (RFC 9449 §9)', () => {
    const err = new bearer.UseDpopNonceError(undefined, { nonce: 'eyJ7S_zG.eyJH0-Z.HX4w-7v' })
    assert.deepEqual([err.status, err.code, err.kind, err.nonce], [401, 'use_dpop_nonce', 'dpop_nonce_required', 'eyJ7S_zG.eyJH0-Z.HX4w-7v'])
    assert.deepEqual(err.headers, {
      'WWW-Authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"',
      'DPoP-Nonce': 'eyJ7S_zG.eyJH0-Z.HX4w-7v'
    })
  })

  test('every DPoP and binding kind is listed', () => {
    for (const kind of ['dpop_proof_invalid', 'dpop_proof_replayed', 'dpop_nonce_required', 'binding_mismatch', 'dpop_scheme_required', 'token_unbound', 'certificate_required']) {
      assert.ok(bearer.errorKinds.includes(kind), kind)
    }
  })
})

describe('the dev issuer issues DPoP-bound tokens (RFC 9449 §5)', () => {
  let issuer
  let api
  const closers = []
  before(async () => {
    issuer = await bearer.createDevIssuer()
    const application = require('express')()
    application.all('/api', bearer.auth({ issuerBaseURL: issuer.issuerBaseURL, audience: issuer.audience }), echo, dump)
    api = await serve(application, (close) => closers.push(close))
  })
  after(async () => {
    await Promise.all(closers.map((close) => close()))
    await issuer.close()
  })

  /** A client credentials request with a DPoP proof for the token endpoint (no ath). */
  function tokenRequest (key, { claims = {}, dpop } = {}) {
    const [client] = issuer.clients
    const headers = { 'content-type': 'application/x-www-form-urlencoded' }
    headers.dpop = dpop ?? proof(key, { method: 'POST', url: issuer.tokenEndpoint, claims: { iat: Math.floor(Date.now() / 1000), ...claims } })
    return fetch(issuer.tokenEndpoint, {
      method: 'POST',
      headers,
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret })
    })
  }

  /** A proof for the example route at the current time (the dev issuer's tokens are current). */
  const liveProof = (key, accessToken, method = 'GET') => proof(key, { method, url: `${api}/api`, accessToken, claims: { iat: Math.floor(Date.now() / 1000) } })

  test('a token request with a proof gets token_type DPoP and cnf.jkt, the RFC 7638 thumbprint of the proof key', async () => {
    const key = clientKey()
    const response = await tokenRequest(key)
    assert.equal(response.status, 200)
    const body = await response.json()
    assert.equal(body.token_type, 'DPoP')
    assert.deepEqual(JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url')).cnf, { jkt: key.jkt })
  })

  test('the bound token works with the DPoP scheme and its key, and not as a bearer token', async () => {
    const key = clientKey('EdDSA')
    const { access_token: accessToken } = await (await tokenRequest(key)).json()
    const ok = await request(api, '/api', { headers: { authorization: `DPoP ${accessToken}`, dpop: liveProof(key, accessToken) } })
    assertAccepted(ok, accessToken)
    const asBearer = await request(api, '/api', { headers: { authorization: `Bearer ${accessToken}` } })
    assert.deepEqual([asBearer.status, JSON.parse(asBearer.body).kind], [401, 'dpop_scheme_required'])
    const stolen = clientKey('EdDSA')
    const other = await request(api, '/api', { headers: { authorization: `DPoP ${accessToken}`, dpop: liveProof(stolen, accessToken) } })
    assert.deepEqual([other.status, JSON.parse(other.body).kind], [401, 'binding_mismatch'])
  })

  test('a token request without a proof still gets a bearer token', async () => {
    const [client] = issuer.clients
    const response = await fetch(issuer.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret })
    })
    const body = await response.json()
    assert.equal(body.token_type, 'Bearer')
    assert.equal(JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url')).cnf, undefined)
  })

  test('an invalid or replayed proof: 400 invalid_dpop_proof', async () => {
    const key = clientKey()
    const cases = [
      [{ claims: { htm: 'GET' } }, 'htm must be POST'],
      [{ claims: { htu: `${issuer.issuerBaseURL}/other` } }, `htu must be ${issuer.tokenEndpoint}`],
      [{ claims: { iat: 1 } }, 'iat is missing or outside the acceptable window'],
      [{ dpop: 'garbage' }, 'the DPoP proof is not a compact JWS']
    ]
    for (const [options, description] of cases) {
      const response = await tokenRequest(key, options)
      assert.equal(response.status, 400)
      assert.deepEqual(await response.json(), { error: 'invalid_dpop_proof', error_description: description })
    }
    const once = proof(key, { method: 'POST', url: issuer.tokenEndpoint, claims: { iat: Math.floor(Date.now() / 1000) } })
    assert.equal((await tokenRequest(key, { dpop: once })).status, 200)
    const replayed = await tokenRequest(key, { dpop: once })
    assert.deepEqual([replayed.status, (await replayed.json()).error_description], [400, 'this DPoP proof was already used'])
  })
})

/** The code block of README.md whose first line is `firstLine`. */
function readmeBlock (firstLine) {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')
  const start = readme.indexOf(`\n${firstLine}\n`)
  assert.ok(start > 0, `README.md has a block starting with ${firstLine}`)
  return readme.slice(start + 1, readme.indexOf('\n```', start + 1) + 1)
}

test('the README\'s DPoP client gets a DPoP-bound token from the dev issuer and calls the example API as it says', async (t) => {
  const { createApp } = require('../example/server')
  const client = { clientId: 'example-client', clientSecret: crypto.randomBytes(24).toString('base64url'), scope: 'read:messages' }
  const issuer = await bearer.createDevIssuer({ clients: [client] })
  t.after(() => issuer.close())
  const api = await serve(createApp({ auth: { issuerBaseURL: issuer.issuerBaseURL, audience: issuer.audience } }), (close) => t.after(close))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bearer-rs-dpop-client-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const script = path.join(dir, 'dpop-client.js')
  fs.writeFileSync(script, readmeBlock('// dpop-client.js: node dpop-client.js <token endpoint> <client secret> [API, default http://localhost:3001]'))
  const stdout = await new Promise((resolve, reject) => {
    execFile(process.execPath, [script, issuer.tokenEndpoint, client.clientSecret, api], { timeout: 20000 }, (err, out) => (err ? reject(err) : resolve(out)))
  })
  assert.match(stdout, /^token_type DPoP\n/)
  const statuses = [...stdout.matchAll(/^\[\n {2}(\d{3}),/gm)].map((m) => Number(m[1]))
  assert.deepEqual(statuses, [200, 400, 401])
  assert.match(stdout, /Hello from a private endpoint!/)
  assert.match(stdout, /DPoP proof 'jti' has already been used/)
  assert.match(stdout, /DPoP-bound token requires the DPoP authentication scheme, not Bearer\./)
})
