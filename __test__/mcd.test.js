'use strict'
/**
 * Multiple issuers (`mcd`) and the `cache` option (lib/issuers.js): the unverified `iss` picks the
 * issuer before any key is fetched, each issuer has its own discovery and keys (shared per URI
 * with every other verifier in the process), a resolver is called once per request that carries a
 * token, and misconfiguration fails at start-up with the peer's messages. Real loopback identity
 * providers and real signatures throughout; the outcomes shared with express-oauth2-jwt-bearer
 * are pinned again in difference.test.js.
 */
const { describe, test, mock } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const http = require('node:http')
const express = require('express')
const bearer = require('..')
const verifiers = require('../lib/verifier')
const { createIssuers, normalizeIssuer } = require('../lib/issuers')
const h = require('./helpers')

const AUDIENCE = h.DEFAULT_AUDIENCE
const ENV_NAMES = ['ISSUER_BASE_URL', 'AUDIENCE', 'ISSUER', 'JWKS_URI', 'SECRET', 'TOKEN_SIGNING_ALG', 'NODE_ENV']

/** Replaces the peer's environment variables and NODE_ENV for one test (those not in `values` are unset). */
const withEnv = (t, values) => h.withEnv(t, ENV_NAMES, values)

/** Starts loopback identity providers, each serving its own fresh key; closed after the test. */
async function idps (t, count) {
  return Promise.all(Array.from({ length: count }, async () => {
    const pair = h.freshKeyPair('RS256')
    const idp = await h.startIdp({ jwks: h.jwks(pair) })
    t.after(() => idp.close())
    return { idp, pair, token: (claims = {}, signer = pair) => h.sign(h.claims({ iss: idp.issuer, ...claims }), signer) }
  }))
}

/** Serves `middleware` at GET /api (echoing req.auth, or the error's status, kind and challenge). */
async function serve (t, middleware, configure = () => {}) {
  const app = express()
  configure(app)
  app.get('/api', middleware, (req, res) => res.json({ iss: req.auth.payload.iss }))
  app.use((err, req, res, next) => res.status(err.status ?? 500).set(err.headers ?? {}).json({ kind: err.kind, message: err.message }))
  const server = http.createServer(app)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => {
    server.close(resolve)
    server.closeAllConnections()
  }))
  const base = `http://127.0.0.1:${server.address().port}`
  return async (token, headers = {}) => {
    const res = await fetch(`${base}/api`, { headers: token === undefined ? headers : { authorization: `Bearer ${token}`, ...headers } })
    return { status: res.status, body: await res.json() }
  }
}

/** A request as a resolver's context is built from it. */
function fakeRequest (headers = { host: 'api.example.test' }) {
  return { headers, protocol: 'https', originalUrl: '/api?x=1', socket: {} }
}

const rejection = (promise) => promise.then(() => assert.fail('expected a rejection'), (err) => err)

describe('a static list of issuers', () => {
  test('each issuer\'s tokens verify with its own discovered keys, fetched once', async (t) => {
    withEnv(t)
    const [a, b] = await idps(t, 2)
    const call = await serve(t, bearer.auth({ audience: AUDIENCE, mcd: { issuers: [a.idp.url, b.idp.url] } }))
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await call(a.token()), { status: 200, body: { iss: a.idp.issuer } })
      assert.deepEqual(await call(b.token()), { status: 200, body: { iss: b.idp.issuer } })
    }
    assert.deepEqual([a.idp.counts, b.idp.counts], [{ discovery: 1, jwks: 1, total: 2 }, { discovery: 1, jwks: 1, total: 2 }])
  })

  test('an iss that is not allowed is refused before any request, even to the issuer it names', async (t) => {
    withEnv(t)
    const [a, stranger] = await idps(t, 2)
    const call = await serve(t, bearer.auth({ audience: AUDIENCE, mcd: { issuers: [a.idp.url] } }))
    const res = await call(stranger.token())
    assert.deepEqual(res, { status: 401, body: { kind: 'issuer_mismatch', message: 'Token issuer is not allowed' } })
    assert.deepEqual([a.idp.counts.total, stranger.idp.counts.total], [0, 0])
  })

  test('a token naming one issuer but signed with another issuer\'s key is refused', async (t) => {
    withEnv(t)
    const [a, b] = await idps(t, 2)
    const call = await serve(t, bearer.auth({ audience: AUDIENCE, mcd: { issuers: [a.idp.url, b.idp.url] } }))
    assert.equal((await call(b.token())).status, 200)
    assert.equal((await call(a.token({}, b.pair))).body.kind, 'key_not_found')
    assert.equal((await call(a.token({}, { ...b.pair, kid: a.pair.kid }))).body.kind, 'signature_invalid')
  })

  test('verifiers of the same issuer share one key cache across middlewares', async (t) => {
    withEnv(t)
    const [a] = await idps(t, 1)
    const first = await serve(t, bearer.auth({ audience: AUDIENCE, mcd: { issuers: [a.idp.url] } }))
    const second = await serve(t, bearer.auth({ audience: AUDIENCE, mcd: { issuers: a.idp.url } }))
    assert.equal((await first(a.token())).status, 200)
    assert.equal((await second(a.token())).status, 200)
    const direct = bearer.createVerifier({ issuerBaseURL: a.idp.url, audience: AUDIENCE })
    assert.ok(await direct.verify(a.token()))
    assert.deepEqual(a.idp.counts, { discovery: 1, jwks: 1, total: 2 })
  })

  test('the iss must be exactly the issuer the metadata names, once the normalised URL picked it', async (t) => {
    withEnv(t)
    const [a] = await idps(t, 1)
    const call = await serve(t, bearer.auth({ audience: AUDIENCE, mcd: { issuers: [a.idp.issuer.replace('http:', 'HTTP:')] } }))
    assert.equal((await call(a.token())).status, 200)
    assert.equal((await call(a.token({ iss: a.idp.url }))).body.kind, 'issuer_mismatch')
  })

  test('metadata that names another issuer gives no keys', async (t) => {
    withEnv(t)
    const pair = h.freshKeyPair('RS256')
    const idp = await h.startIdp({ jwks: h.jwks(pair), issuer: 'https://someone.else/' })
    t.after(() => idp.close())
    const call = await serve(t, bearer.auth({ audience: AUDIENCE, mcd: { issuers: [idp.url] } }))
    const res = await call(h.sign(h.claims({ iss: `${idp.url}/` }), pair))
    assert.deepEqual(res, { status: 401, body: { kind: 'keys_unavailable', message: 'the signing keys of the token issuer are unavailable' } })
    assert.equal(idp.counts.jwks, 0)
  })

  test('issuer configurations: jwksUri, secret and publicKey each verify their own tokens only', async (t) => {
    withEnv(t)
    const [a] = await idps(t, 1)
    const hs = h.freshKeyPair('HS384')
    const ec = h.freshKeyPair('ES256')
    const call = await serve(t, bearer.auth({
      audience: AUDIENCE,
      mcd: {
        issuers: [
          { issuer: a.idp.issuer, jwksUri: a.idp.jwksUri, alg: 'RS256' },
          { issuer: 'https://hs.test', secret: hs.secret, alg: 'HS384' },
          { issuer: 'pk.test', publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }), alg: 'ES256' }
        ]
      }
    }))
    assert.equal((await call(a.token())).status, 200)
    assert.equal((await call(a.token({ iss: a.idp.url }))).status, 200)
    assert.equal((await call(h.sign(h.claims({ iss: 'https://hs.test' }), hs))).status, 200)
    assert.equal((await call(h.sign(h.claims({ iss: 'https://pk.test/' }), ec))).status, 200)
    assert.equal((await call(h.sign(h.claims({ iss: 'https://pk.test/' }), hs))).body.kind, 'algorithm_not_allowed')
    assert.equal((await call(h.sign(h.claims({ iss: 'https://hs.test' }), h.freshKeyPair('HS384')))).body.kind, 'signature_invalid')
    assert.deepEqual(a.idp.counts, { discovery: 0, jwks: 1, total: 1 })
  })

  test('the top-level tokenSigningAlg, validators and strict apply to every issuer', async (t) => {
    withEnv(t)
    const [a] = await idps(t, 1)
    const call = await serve(t, bearer.auth({ audience: AUDIENCE, tokenSigningAlg: 'ES256', mcd: { issuers: [{ issuer: a.idp.issuer, jwksUri: a.idp.jwksUri }] } }))
    assert.equal((await call(a.token())).body.kind, 'algorithm_not_allowed')
    const checked = await serve(t, bearer.auth({ audience: AUDIENCE, strict: true, validators: { typ: false, org_id: 'org_1' }, mcd: { issuers: [a.idp.url] } }))
    assert.equal((await checked(a.token({ org_id: 'org_1' }))).status, 200)
    assert.deepEqual((await checked(a.token({ org_id: 'org_2' }))).body, { kind: 'claim_check_failed', message: "Unexpected 'org_id' value" })
    assert.deepEqual((await checked(a.token({ org_id: 'org_1', jti: undefined }))).body, { kind: 'claim_missing', message: "Unexpected 'jti' value" })
  })

  test('the unverified decoding refuses what jose\'s decodeJwt refuses, and more than maxTokenLength bytes', async (t) => {
    withEnv(t)
    const [a] = await idps(t, 1)
    const call = await serve(t, bearer.auth({ audience: AUDIENCE, maxTokenLength: 2048, mcd: { issuers: [a.idp.url] } }))
    const cases = [
      ['a.b.c.d.e', 'token_malformed', 'Only JWTs using Compact JWS serialization can be decoded'],
      ['a.b', 'token_malformed', 'Invalid JWT'],
      ['a..c', 'token_malformed', 'JWTs must contain a payload'],
      ['a.b+/.c', 'token_malformed', 'Failed to base64url decode the payload'],
      [a.token({ pad: 'x'.repeat(2048) }), 'token_too_large', 'the token is longer than 2048 bytes'],
      [a.token({ iss: '' }), 'claim_missing', "Token missing required 'iss' claim"]
    ]
    for (const [token, kind, message] of cases) assert.deepEqual((await call(token)).body, { kind, message })
    assert.equal(a.idp.counts.total, 0)
  })

  test('without maxTokenLength the unverified decoding is bounded by the core\'s default, before any request', async (t) => {
    withEnv(t)
    const [a] = await idps(t, 1)
    const issuers = createIssuers({ issuers: [a.idp.url] }, { audience: AUDIENCE }, 100)
    const err = await rejection(issuers.verify(a.token({ pad: 'x'.repeat(16384) }), fakeRequest()))
    assert.deepEqual([err.kind, err.message], ['token_too_large', 'the token is longer than 16384 bytes'])
    assert.equal(a.idp.counts.total, 0)
  })
})

describe('a resolver function', () => {
  test('is called once per request that carries a token with an iss, with the request\'s URL and headers', async (t) => {
    withEnv(t)
    const [a] = await idps(t, 1)
    const contexts = []
    const resolver = (context) => {
      contexts.push(context)
      return [a.idp.url]
    }
    const call = await serve(t, bearer.auth({ audience: AUDIENCE, mcd: { issuers: resolver } }))
    assert.equal((await call(a.token(), { 'x-tenant': 'a' })).status, 200)
    assert.equal((await call(a.token())).status, 200)
    assert.equal(contexts.length, 2)
    assert.ok(contexts[0].url instanceof URL)
    assert.match(contexts[0].url.href, /^http:\/\/127\.0\.0\.1:\d+\/api$/)
    assert.equal(contexts[0].headers['x-tenant'], 'a')
    for (const token of [undefined, 'garbage', a.token({ iss: undefined })]) assert.equal((await call(token)).status, 401)
    assert.equal(contexts.length, 2)
  })

  test('may be async and return new objects each time: one verifier and one fetch per configuration', async (t) => {
    withEnv(t)
    const [a, b] = await idps(t, 2)
    const built = t.mock.method(verifiers, 'createVerifier')
    const call = await serve(t, bearer.auth({
      audience: AUDIENCE,
      mcd: { issuers: async (context) => [a.idp.url, { issuer: b.idp.issuer, jwksUri: b.idp.jwksUri }] }
    }))
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(a.token())).status, 200)
      assert.equal((await call(b.token())).status, 200)
    }
    assert.equal(built.mock.callCount(), 2)
    assert.deepEqual([a.idp.counts.total, b.idp.counts.total], [2, 1])
  })

  test('the most recently used maxEntries configurations keep their verifier', async (t) => {
    withEnv(t)
    const keys = Array.from({ length: 3 }, () => h.freshKeyPair('ES256'))
    const configs = keys.map((pair, i) => ({ issuer: `https://tenant${i}.test`, publicKey: pair.publicJwk }))
    const built = t.mock.method(verifiers, 'createVerifier')
    const call = await serve(t, bearer.auth({
      audience: AUDIENCE,
      cache: { discovery: { maxEntries: 5 }, jwks: { maxEntries: 2 } },
      mcd: { issuers: () => configs }
    }))
    for (const i of [0, 1, 0, 2, 0, 1]) {
      assert.equal((await call(h.sign(h.claims({ iss: configs[i].issuer }), keys[i]))).status, 200)
    }
    assert.equal(built.mock.callCount(), 4)
  })

  test('a resolver that throws refuses the token without showing its error, which stays in err.cause', async () => {
    const failure = new Error('database password=hunter2 unreachable')
    const issuers = createIssuers({ issuers: () => { throw failure } }, { audience: AUDIENCE }, 100)
    const err = await rejection(issuers.verify(h.sign(h.claims(), h.keyPair('ES256')), fakeRequest()))
    h.assertFailure(err, { type: bearer.InvalidTokenError, kind: 'issuer_mismatch', status: 401, code: 'invalid_token', description: 'Token issuer is not allowed', claim: 'iss' })
    assert.equal(err.cause, failure)
  })

  test('answers the peer refuses are refused with its messages', async () => {
    const token = h.sign(h.claims({ iss: 'https://a.test/' }), h.keyPair('ES256'))
    const cases = [
      ['https://a.test', 'Issuer resolver function must return an array'],
      [[], 'No issuers configured for token validation'],
      [[42], "'mcd.issuers' must list issuer URLs or issuer configurations ({ issuer, ... })"],
      [['https://user:pw@a.test'], 'Invalid issuer URL: URLs must not contain userinfo (username:password)'],
      [[{ issuer: 'https://a.test', publicKey: 'x', secret: 'y' }], "Issuer provides both 'publicKey' and 'secret'. These are mutually exclusive."],
      [[{ issuer: 'https://a.test', publicKey: 'x', jwksUri: 'https://a.test/jwks' }], "Issuer provides both 'publicKey' and 'jwksUri'. These are mutually exclusive."],
      [[{ issuer: 'https://a.test', alg: 'HS256' }], 'Issuer specifies symmetric algorithm but no secret provided'],
      [[{ issuer: 'https://a.test', secret: 'y'.repeat(32) }], "Issuer provides a secret but no 'alg' specified"],
      [[{ issuer: 'https://a.test', secret: 'y'.repeat(32), alg: 'RS256' }], 'Issuer provides a secret but specifies asymmetric algorithm'],
      [[{ issuer: 'https://a.test', publicKey: 'not a key' }], 'the signing keys of the token issuer are unavailable']
    ]
    for (const [answer, description] of cases) {
      const issuers = createIssuers({ issuers: () => answer }, { audience: AUDIENCE }, 100)
      const err = await rejection(issuers.verify(token, fakeRequest()))
      assert.equal(err.message, description)
      assert.equal(err.status, 401)
    }
  })

  test('a conflicting configuration is refused only when the token names it', async () => {
    const pair = h.freshKeyPair('ES256')
    const answer = [{ issuer: 'https://broken.test', alg: 'HS256' }, { issuer: 'https://a.test', publicKey: pair.publicJwk }]
    const issuers = createIssuers({ issuers: () => answer }, { audience: AUDIENCE }, 100)
    const { payload } = await issuers.verify(h.sign(h.claims({ iss: 'https://a.test' }), pair), fakeRequest())
    assert.equal(payload.iss, 'https://a.test')
  })

  test('a Host header that is no host is 400 invalid_request, and the resolver is not called', async () => {
    const resolver = mock.fn(() => ['https://a.test'])
    const issuers = createIssuers({ issuers: resolver }, { audience: AUDIENCE }, 100)
    const err = await rejection(issuers.verify(h.sign(h.claims({ iss: 'https://a.test' }), h.keyPair('ES256')), fakeRequest({ host: 'evil.test/path?' })))
    h.assertFailure(err, { type: bearer.InvalidRequestError, kind: 'request_invalid', status: 400, code: 'invalid_request', description: 'Invalid Host header' })
    assert.equal(resolver.mock.callCount(), 0)
  })

  test('X-Forwarded-Host and X-Forwarded-Proto make the URL only behind a trusted proxy', async (t) => {
    withEnv(t)
    const [a] = await idps(t, 1)
    const urls = []
    const middleware = bearer.auth({ audience: AUDIENCE, mcd: { issuers: ({ url }) => urls.push(url.href) && [a.idp.url] } })
    const forwarded = { 'x-forwarded-host': 'api.example.com, proxy.internal', 'x-forwarded-proto': 'https' }
    const trusted = await serve(t, middleware, (app) => app.set('trust proxy', 'loopback'))
    const direct = await serve(t, middleware)
    assert.equal((await trusted(a.token(), forwarded)).status, 200)
    assert.equal((await direct(a.token(), forwarded)).status, 200)
    assert.equal(urls[0], 'https://api.example.com/api')
    assert.match(urls[1], /^http:\/\/127\.0\.0\.1:\d+\/api$/)
  })
})

describe('configuration', () => {
  const throwsType = (options, message) => assert.throws(() => bearer.auth(options), (err) => err instanceof TypeError && err.message === message)

  test('mcd excludes the single-issuer options, with the peer\'s messages, environment variables included', (t) => {
    withEnv(t)
    const mcd = { issuers: ['https://a.test'] }
    throwsType({ mcd, audience: AUDIENCE, issuerBaseURL: 'https://a.test' }, "You must not provide both 'mcd' and 'issuerBaseURL'")
    throwsType({ mcd, audience: AUDIENCE, issuer: 'https://a.test' }, "You must not provide both 'mcd' and 'issuer'. Use 'mcd' for multi-issuer mode.")
    throwsType({ mcd, audience: AUDIENCE, jwksUri: 'https://a.test/jwks' }, "You must not provide both 'mcd' and 'jwksUri'. Use 'mcd' for multi-issuer mode.")
    throwsType({ mcd, audience: AUDIENCE, secret: 's'.repeat(32), tokenSigningAlg: 'HS256' },
      'Cannot use top-level "secret" with mcd mode. Specify secrets per-issuer in the issuer configuration: { issuer: "...", secret: "...", alg: "HS256" }')
    throwsType({ mcd, audience: AUDIENCE, publicKey: h.keyPair('ES256').publicJwk },
      'Cannot use top-level "publicKey" with mcd mode. Specify publicKey per-issuer in the issuer configuration: { issuer: "...", publicKey: "..." }')
    throwsType({ mcd }, "An 'audience' is required to validate the 'aud' claim")
    process.env.ISSUER = 'https://from-env.test/'
    throwsType({ mcd, audience: AUDIENCE }, "You must not provide both 'mcd' and 'issuer'. Use 'mcd' for multi-issuer mode.")
  })

  test('issuers are required, and each must be an issuer URL the peer accepts', (t) => {
    withEnv(t)
    throwsType({ audience: AUDIENCE, mcd: {} }, "Invalid MCD configuration: 'issuers' is required")
    throwsType({ audience: AUDIENCE, mcd: { issuers: [{ jwksUri: 'https://a.test/jwks' }] } }, "'mcd.issuers' must list issuer URLs or issuer configurations ({ issuer, ... })")
    throwsType({ audience: AUDIENCE, mcd: { issuers: ['https://a.test/?tenant=1'] } }, 'Invalid issuer URL: URLs must not contain query parameters')
    throwsType({ audience: AUDIENCE, mcd: { issuers: ['https://a.test/#x'] } }, 'Invalid issuer URL: URLs must not contain fragments')
    process.env.NODE_ENV = 'production'
    throwsType({ audience: AUDIENCE, mcd: { issuers: ['http://a.test'] } }, 'HTTP issuer URL detected in production environment. Use HTTPS for security.')
  })

  test('contradictory issuer configurations fail at start-up with the peer\'s messages', (t) => {
    withEnv(t)
    const mcd = (config) => ({ audience: AUDIENCE, mcd: { issuers: [config] } })
    const pem = h.keyPair('ES256').publicKey.export({ type: 'spki', format: 'pem' })
    throwsType(mcd({ issuer: 'https://a.test', publicKey: pem, jwksUri: 'https://a.test/jwks' }),
      "Configuration error: Issuer 'https://a.test' provides both 'publicKey' and 'jwksUri'. These are mutually exclusive.")
    throwsType(mcd({ issuer: 'https://a.test', publicKey: pem, secret: 's' }),
      "Configuration error: Issuer 'https://a.test' provides both 'publicKey' and 'secret'. Use 'publicKey' for asymmetric and 'secret' for symmetric verification.")
    throwsType(mcd({ issuer: 'https://a.test', alg: 'HS256' }),
      "Configuration error: Issuer 'https://a.test' specifies symmetric algorithm 'HS256' but no secret provided. Either provide a secret or use an asymmetric algorithm.")
    throwsType(mcd({ issuer: 'https://a.test', secret: 's'.repeat(32), alg: 'RS256' }),
      "Configuration error: Issuer 'https://a.test' provides a secret but specifies asymmetric algorithm 'RS256'. Symmetric algorithms are: HS256, HS384, HS512.")
    throwsType(mcd({ issuer: 'https://a.test', secret: 's'.repeat(32) }),
      "Configuration error: Issuer 'https://a.test' provides a secret but no 'alg' specified. Specify one of: HS256, HS384, HS512.")
  })

  test('an empty allow-list or alg, or a PEM without one, fails at start-up rather than allowing more', (t) => {
    withEnv(t)
    const mcd = (config) => ({ audience: AUDIENCE, mcd: { issuers: [config] } })
    throwsType({ audience: AUDIENCE, algorithms: [], mcd: { issuers: () => [] } }, "'algorithms' must not be empty: an empty allow-list allows no algorithm")
    throwsType({ audience: AUDIENCE, algorithms: [], mcd: { issuers: ['https://a.test'] } }, "'algorithms' must not be empty: an empty allow-list allows no algorithm")
    throwsType(mcd({ issuer: 'https://a.test', alg: '' }), "'mcd.issuers' issuer 'https://a.test': 'alg' must name one algorithm")
    const pem = h.keyPair('ES256').publicKey.export({ type: 'spki', format: 'pem' })
    throwsType(mcd({ issuer: 'https://a.test', publicKey: pem }),
      "'mcd.issuers' issuer 'https://a.test': 'algorithms' is required when 'publicKey' is a PEM key: pin the algorithm, e.g. ['RS256'] (or set 'tokenSigningAlg')")
  })

  test('an issuer configuration\'s secret may be bytes, and a resolver\'s new secret gets a new verifier', async () => {
    const [first, second] = [crypto.randomBytes(32), crypto.randomBytes(32)]
    let secret = crypto.createSecretKey(first)
    const issuers = createIssuers({ issuers: () => [{ issuer: 'https://hs.test', secret, alg: 'HS256' }] }, { audience: AUDIENCE }, 100)
    const token = (key) => h.sign(h.claims({ iss: 'https://hs.test' }), { alg: 'HS256', secret: key })
    assert.equal((await issuers.verify(token(first), fakeRequest())).payload.iss, 'https://hs.test')
    secret = crypto.createSecretKey(second)
    assert.equal((await rejection(issuers.verify(token(first), fakeRequest()))).kind, 'signature_invalid')
    assert.equal((await issuers.verify(token(second), fakeRequest())).payload.iss, 'https://hs.test')
  })

  test('a static issuer\'s unusable keys fail at start-up, naming the issuer and the option', (t) => {
    withEnv(t)
    assert.throws(() => bearer.auth({ audience: AUDIENCE, mcd: { issuers: [{ issuer: 'https://a.test', publicKey: 'not a key' }] } }),
      (err) => err instanceof TypeError && err.message.startsWith("'mcd.issuers' issuer 'https://a.test': 'publicKey'"))
    assert.throws(() => bearer.auth({ audience: AUDIENCE, mcd: { issuers: [{ issuer: 'https://a.test', jwksUri: 'http://a.test/jwks' }] } }),
      (err) => err instanceof TypeError && err.message.startsWith("'mcd.issuers' issuer 'https://a.test': 'jwksUri'"))
  })

  test('cache: jwks.ttl becomes cacheMaxAge and discovery.ttl discoveryMaxAge, with or without mcd; bad values fail at start-up', (t) => {
    withEnv(t)
    const built = t.mock.method(verifiers, 'createVerifier')
    const options = { issuer: 'https://a.test/', jwksUri: 'https://a.test/jwks', audience: AUDIENCE }
    bearer.auth({ ...options, cacheMaxAge: 1000, cache: { discovery: { ttl: 5, maxEntries: 1 }, jwks: { ttl: 60000, maxEntries: 3 } } })
    bearer.auth({ ...options, cacheMaxAge: 1000 })
    bearer.auth({ audience: AUDIENCE, cache: { jwks: { ttl: 30000 } }, mcd: { issuers: ['https://a.test'] } })
    assert.deepEqual(built.mock.calls.map((call) => call.arguments[0].cacheMaxAge), [60000, 1000, 30000])
    assert.deepEqual(built.mock.calls.map((call) => call.arguments[0].discoveryMaxAge), [5, undefined, undefined])
    throwsType({ ...options, cache: 'x' }, "'cache' must be an object")
    throwsType({ ...options, cache: { jwks: [] } }, "'cache.jwks' must be an object")
    throwsType({ ...options, cache: { discovery: { maxEntries: 0 } } }, "'cache.discovery.maxEntries' must be a whole number, at least 1")
    throwsType({ ...options, cache: { jwks: { ttl: -1 } } }, "'cache.jwks.ttl' must be a finite, non-negative number of milliseconds")
  })
})

test('issuer URLs are normalised as express-oauth2-jwt-bearer normalises them', () => {
  assert.equal(normalizeIssuer('https://Tenant.Example.COM:443/'), 'https://tenant.example.com')
  assert.equal(normalizeIssuer('tenant.example.com'), 'https://tenant.example.com')
  assert.equal(normalizeIssuer('HTTP://127.0.0.1:80/oauth2/default/'), 'http://127.0.0.1/oauth2/default')
  assert.equal(normalizeIssuer('https://tenant.example.com:8443/a/b'), 'https://tenant.example.com:8443/a/b')
  assert.equal(normalizeIssuer('https://exa mple'), 'https://exa mple')
})
