'use strict'
/**
 * The Express middleware over real HTTP on 127.0.0.1, against small test apps, on Express 5 and on
 * Express 4. Every refusal is pinned twice: status, exact `WWW-Authenticate` and body under a custom
 * error handler (`res.status(err.status).set(err.headers).json(…)`), and the same under Express's
 * default handler (production mode, so the body is exact).
 *
 * Differences from express-oauth2-jwt-bearer 1.10, beyond those of token extraction listed in
 * request.test.js and of the scope and claim helpers listed in claims.test.js:
 * - DPoP is enabled by default, as in the peer, so every refusal of auth() carries the `DPoP algs="…"`
 *   challenge too (RFC 9449 §7.1), listing the algorithms bearer-rs verifies (the peer also lists
 *   ES256K and ES512, which it cannot verify either); DPoP and mTLS themselves are pinned in
 *   dpop.test.js and mtls.test.js;
 * - Host header and URL path checks only for requests whose DPoP proof is checked (the peer runs
 *   them on every request, though only a proof's `htu` uses the URL);
 * - a successful request with the token in the query gets `Cache-Control: private` (RFC 6750
 *   §2.3: "Server success (2XX status) responses to these requests SHOULD contain a Cache-Control
 *   header with the "private" option"), unless the app set a Cache-Control before;
 * - configuration errors are TypeErrors (the peer's are AssertionErrors), with the peer's messages
 *   where the same misconfiguration is detected;
 * - `validators`: a value that is not a string, a function or `false` throws at start-up (the peer
 *   fails every request); `false` for `alg`, `iss`, `aud` or `exp` throws at start-up (the core
 *   always checks them); a string or function for a default check adds to the core's check.
 */
const { describe, test, before, after, mock } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const http = require('node:http')
const bearer = require('..')
const verifiers = require('../lib/verifier')
const h = require('./helpers')

const EXPRESS = [['Express 5', require('express')], ['Express 4', require('express4')]]

/** Every verifier here runs on this pinned clock: 2031-01-15T12:00:00Z. */
const NOW = Date.UTC(2031, 0, 15, 12)
const NOW_SECONDS = NOW / 1000
const PAIR = h.keyPair('RS256')
const OPTIONS = Object.freeze({ issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, jwks: h.jwks(PAIR), currentDate: NOW })
const ENV_NAMES = ['ISSUER_BASE_URL', 'AUDIENCE', 'ISSUER', 'JWKS_URI', 'SECRET', 'TOKEN_SIGNING_ALG']

/** A token of PAIR issued at NOW; `claims` override the defaults, `header` members are merged in. */
function token (claims = {}, header = {}) {
  return h.sign(h.claims(claims, { now: NOW_SECONDS }), { ...PAIR, header })
}

const VALID = token()
const BARE = 'Bearer realm="api"'
const STATUS_TEXT = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 500: 'Internal Server Error' }

/** Express's default error handler page in production mode. */
function defaultPage (status) {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>${STATUS_TEXT[status]}</pre>\n</body>\n</html>\n`
}

/** The custom error handler of the test apps. */
function dump (err, req, res, next) {
  res.status(err.status ?? 500).set(err.headers ?? {}).json({ name: err.name, code: err.code, kind: err.kind, message: err.message })
}

/** One request over a fresh connection: `{ status, headers, body }`. */
const request = (base, path, options) => h.request(`${base}${path}`, options)

/** Serves `app` on 127.0.0.1:0 until the end of the suite or test; resolves to its base URL. */
async function serve (app, register) {
  const server = http.createServer(app)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  register(() => new Promise((resolve) => {
    server.close(resolve)
    server.closeAllConnections()
  }))
  return `http://127.0.0.1:${server.address().port}`
}

/**
 * An app with `routes(router)` mounted twice: under /custom with the custom error handler, under
 * /default with Express's default one (production mode).
 */
function app (express, routes) {
  const application = express()
  application.set('env', 'production')
  const router = express.Router()
  router.use(express.urlencoded({ extended: false }), express.json())
  routes(router)
  application.use('/custom', router, dump)
  application.use('/default', router)
  return application
}

const echo = (req, res) => res.json({ hasAuth: 'auth' in req, auth: req.auth ?? null })

/** Replaces the peer's six environment variables for one test (those not in `values` are unset). */
const withEnv = (t, values) => h.withEnv(t, ENV_NAMES, values)

/**
 * Asserts a refusal under both handlers: `expected` is `{ status, challenge, name, code, kind, message }`
 * (`challenge` undefined: no WWW-Authenticate header).
 */
async function assertRefused (base, path, req, expected) {
  const custom = await request(base, `/custom${path}`, req)
  assert.equal(custom.status, expected.status)
  assert.equal(custom.headers['www-authenticate'], expected.challenge)
  assert.deepEqual(JSON.parse(custom.body), JSON.parse(JSON.stringify({ name: expected.name, code: expected.code, kind: expected.kind, message: expected.message })))
  const fallback = await request(base, `/default${path}`, req)
  assert.equal(fallback.status, expected.status)
  assert.equal(fallback.headers['www-authenticate'], expected.challenge)
  assert.equal(fallback.body, defaultPage(expected.status))
}

/** The `DPoP` challenge auth() adds to every refusal while DPoP is enabled (the default). */
const DPOP = 'DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA"'

/** The expected refusal for an error class and message, with the challenge the class builds (as the helpers send it). */
function refusal (name, kind, message, code) {
  const status = { UnauthorizedError: 401, InvalidRequestError: 400, InvalidTokenError: 401, InsufficientScopeError: 403 }[name]
  const challenge = code ? `${BARE}, error="${code}", error_description="${message.replace(/"/g, "'")}"` : BARE
  return { status, challenge, name, code, kind, message }
}

/** The same refusal from auth(): the Bearer challenge, then the DPoP one. */
const byAuth = (expected) => ({ ...expected, challenge: `${expected.challenge}, ${DPOP}` })

const HELPER_UNAUTHORIZED = refusal('UnauthorizedError', 'token_missing', 'Unauthorized')
const UNAUTHORIZED = byAuth(HELPER_UNAUTHORIZED)
const MALFORMED = byAuth(refusal('InvalidRequestError', 'request_invalid', "Invalid 'Authorization' header: expected 'Bearer <token>'", 'invalid_request'))
const MORE_THAN_ONE = byAuth(refusal('InvalidRequestError', 'request_invalid', 'More than one method used for authentication', 'invalid_request'))
const helperInvalidToken = (kind, message) => refusal('InvalidTokenError', kind, message, 'invalid_token')
const invalidToken = (kind, message) => byAuth(helperInvalidToken(kind, message))
const insufficient = (message, scopes) => ({
  ...refusal('InsufficientScopeError', 'insufficient_scope', message, 'insufficient_scope'),
  challenge: `${BARE}, error="insufficient_scope", error_description="${message}", scope="${scopes}"`
})

const bearerHeader = (value) => ({ headers: { authorization: `Bearer ${value}` } })
const query = (value) => `?access_token=${encodeURIComponent(value)}`

/** What one request must get from `auth()`: `expected` a refusal, or undefined for 200 with `req.auth`. */
const TABLE = [
  ['no credentials at all: 401 with a bare challenge', '', {}, UNAUTHORIZED],
  ['Authorization: Bearer <valid token>', '', bearerHeader(VALID)],
  ['the Bearer scheme in lower or upper case', '', { headers: { authorization: `bEARER ${VALID}` } }],
  ['Bearer and the token separated by two spaces (RFC 6750 §2.1)', '', { headers: { authorization: `Bearer  ${VALID}` } }],
  ['a valid token in the query', query(VALID), {}],
  ['a valid token in a POSTed form body', '', { method: 'POST', form: { access_token: VALID } }],
  ['a valid token in a PUT form body, a JSON access_token beside a header', '', { method: 'PUT', ...bearerHeader(VALID), json: { access_token: 'x' } }],
  ['HEAD with a valid token', '', { method: 'HEAD', ...bearerHeader(VALID) }],
  ['a DPoP proof beside a Bearer token: 400 invalid_request, as the peer', '', { headers: { authorization: `Bearer ${VALID}`, dpop: 'x' } }, byAuth(refusal('InvalidRequestError', 'request_invalid', 'DPoP proof requires the DPoP authentication scheme, not Bearer', 'invalid_request'))],
  ['Bearer with no token: 400 invalid_request', '', { headers: { authorization: 'Bearer' } }, MALFORMED],
  ['Bearer and a tab before the token: 400', '', { headers: { authorization: `Bearer\t${VALID}` } }, MALFORMED],
  ['Bearer with two words: 400', '', { headers: { authorization: 'Bearer a b' } }, MALFORMED],
  ['an empty Authorization header: 400', '', { headers: { authorization: '' } }, MALFORMED],
  ['Basic credentials: 401 with no error code', '', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }, UNAUTHORIZED],
  ['Basic credentials and a query token: 401 with no error code', query(VALID), { headers: { authorization: 'Basic dXNlcjpwYXNz' } }, UNAUTHORIZED],
  ['a form body token on GET: not a credential', '', { form: { access_token: VALID } }, UNAUTHORIZED],
  ['a JSON body token alone: not a credential', '', { method: 'POST', json: { access_token: VALID } }, UNAUTHORIZED],
  ['a header token and a query token: 400', query(VALID), bearerHeader(VALID), MORE_THAN_ONE],
  ['a header token and a form body token: 400', '', { method: 'POST', ...bearerHeader(VALID), form: { access_token: VALID } }, MORE_THAN_ONE],
  ['a query token and a form body token: 400 with the error in the challenge', query(VALID), { method: 'POST', form: { access_token: VALID } }, MORE_THAN_ONE],
  ['a repeated access_token parameter: 400', `${query(VALID)}&access_token=x`, {}, byAuth(refusal('InvalidRequestError', 'request_invalid', "Repeated 'access_token' parameter", 'invalid_request'))],
  ['a garbage header token: 401 invalid_token', '', bearerHeader('garbage'), invalidToken('token_malformed', 'Invalid Token or Protected Header formatting')],
  ['a garbage query token: 401 invalid_token', query('garbage'), {}, invalidToken('token_malformed', 'Invalid Token or Protected Header formatting')],
  ['an expired token', '', bearerHeader(token({ exp: NOW_SECONDS - 60 })), invalidToken('token_expired', '"exp" claim timestamp check failed')],
  ['a forged token (right kid, another key)', '', bearerHeader(h.sign(h.claims({}, { now: NOW_SECONDS }), { ...h.freshKeyPair('RS256'), kid: PAIR.kid })), invalidToken('signature_invalid', 'signature verification failed')],
  ['a token for another audience', '', bearerHeader(token({ aud: 'https://other.example' })), invalidToken('audience_mismatch', "Unexpected 'aud' value")],
  ['a token of another issuer', '', bearerHeader(token({ iss: 'https://evil.example/' })), invalidToken('issuer_mismatch', "Unexpected 'iss' value")]
]

for (const [label, express] of EXPRESS) {
  describe(`auth() on ${label}`, () => {
    let base
    const closers = []
    before(async () => {
      mock.method(console, 'error', () => {})
      base = await serve(app(express, (router) => {
        router.all('/api', bearer.auth(OPTIONS), echo)
        const noStore = (req, res, next) => {
          res.set('Cache-Control', 'no-store')
          next()
        }
        router.get('/no-store', noStore, bearer.auth(OPTIONS), echo)
        router.get('/optional', bearer.auth({ ...OPTIONS, authRequired: false }), echo)
        router.get('/optional/scoped', bearer.auth({ ...OPTIONS, authRequired: false }), bearer.requiredScopes('read:messages'), echo)
      }), (close) => closers.push(close))
    })
    after(async () => {
      await Promise.all(closers.map((close) => close()))
      mock.restoreAll()
    })

    for (const [name, path, req, expected] of TABLE) {
      test(expected ? `refuses ${name}` : `accepts ${name}`, async () => {
        if (expected) return assertRefused(base, `/api${path}`, req, expected)
        const res = await request(base, `/custom/api${path}`, req)
        assert.equal(res.status, 200)
        if (req.method === 'HEAD') return
        const { auth } = JSON.parse(res.body)
        assert.deepEqual(Object.keys(auth), ['payload', 'header', 'token'])
        assert.equal(auth.token, VALID)
        assert.deepEqual(auth.payload, JSON.parse(Buffer.from(VALID.split('.')[1], 'base64url')))
        assert.deepEqual(auth.header, { alg: 'RS256', typ: 'JWT', kid: PAIR.kid })
      })
    }

    test('a token in the query gets Cache-Control: private on success (RFC 6750 §2.3), unless one is set', async () => {
      assert.equal((await request(base, `/custom/api${query(VALID)}`)).headers['cache-control'], 'private')
      assert.equal((await request(base, `/custom/no-store${query(VALID)}`)).headers['cache-control'], 'no-store')
      assert.equal((await request(base, '/custom/api', bearerHeader(VALID))).headers['cache-control'], undefined)
      assert.equal((await request(base, `/custom/api${query('garbage')}`)).headers['cache-control'], undefined)
    })

    test('authRequired: false lets every request through, with req.auth only for a valid token', async () => {
      const through = [{}, bearerHeader('garbage'), bearerHeader(token({ exp: NOW_SECONDS - 60 })), { headers: { authorization: 'Bearer' } }, { headers: { authorization: 'Basic eA==' } }]
      for (const req of through) {
        const res = await request(base, '/custom/optional', req)
        assert.deepEqual([res.status, JSON.parse(res.body)], [200, { hasAuth: false, auth: null }])
      }
      const both = await request(base, `/custom/optional${query(VALID)}`, bearerHeader(VALID))
      assert.deepEqual([both.status, JSON.parse(both.body).hasAuth], [200, false])
      const valid = await request(base, '/custom/optional', bearerHeader(VALID))
      assert.deepEqual([valid.status, JSON.parse(valid.body).auth.token], [200, VALID])
    })

    test('authRequired: false then requiredScopes: 401 Unauthorized without a valid token, 200 with one', async () => {
      await assertRefused(base, '/optional/scoped', {}, HELPER_UNAUTHORIZED)
      await assertRefused(base, '/optional/scoped', bearerHeader('garbage'), HELPER_UNAUTHORIZED)
      assert.equal((await request(base, '/custom/optional/scoped', bearerHeader(VALID))).status, 200)
    })
  })

  describe(`the authorization helpers on ${label}`, () => {
    let base
    const closers = []
    before(async () => {
      mock.method(console, 'error', () => {})
      const checkJwt = bearer.checkJwt(OPTIONS)
      base = await serve(app(express, (router) => {
        router.get('/scoped', checkJwt, bearer.requiredScopes('read:messages write:messages'), echo)
        router.get('/any', checkJwt, bearer.scopeIncludesAny(['admin', 'root']), echo)
        router.get('/rbac', checkJwt, bearer.requiredScopes('read:messages', { claims: ['scope', 'scp', 'permissions'] }), echo)
        router.get('/org', checkJwt, bearer.claimEquals('org_id', 'org_123'), echo)
        router.get('/roles', checkJwt, bearer.claimIncludes('roles', 'admin', 'editor'), echo)
        router.get('/check', checkJwt, bearer.claimCheck((payload) => payload.foo === 'bar', 'Custom "foo" check failed'), echo)
        router.get('/check/async', checkJwt, bearer.claimCheck(async (payload) => payload.foo === 'bar'), echo)
        router.get('/check/throws', checkJwt, bearer.claimCheck(() => { throw new Error('boom') }), echo)
        router.get('/no-auth', bearer.requiredScopes('read:messages'), echo)
      }), (close) => closers.push(close))
    })
    after(async () => {
      await Promise.all(closers.map((close) => close()))
      mock.restoreAll()
    })

    const ok = async (path, claims) => assert.equal((await request(base, `/custom${path}`, bearerHeader(token(claims)))).status, 200)

    test('requiredScopes: 200 with every scope, from the scope string or the scp array', async () => {
      await ok('/scoped', { scope: 'write:messages read:messages' })
      await ok('/scoped', { scope: undefined, scp: ['read:messages', 'write:messages'] })
    })

    test('requiredScopes: 403 insufficient_scope naming the required scopes', async () => {
      await assertRefused(base, '/scoped', bearerHeader(token({ scope: 'read:messages' })), insufficient('Insufficient Scope', 'read:messages write:messages'))
      await assertRefused(base, '/scoped', bearerHeader(token({ scope: undefined })), insufficient("Missing 'scope' claim", 'read:messages write:messages'))
    })

    test('scopeIncludesAny: 200 with one of the scopes, 403 naming them all without', async () => {
      await ok('/any', { scope: 'read:messages root' })
      await assertRefused(base, '/any', bearerHeader(VALID), insufficient('Insufficient Scope', 'admin root'))
    })

    test('requiredScopes with the permissions claim (Auth0 RBAC) named', async () => {
      await ok('/rbac', { scope: 'openid', permissions: ['read:messages'] })
      await assertRefused(base, '/rbac', bearerHeader(token({ scope: 'openid', permissions: [] })), insufficient('Insufficient Scope', 'read:messages'))
    })

    test('claimEquals: 200 when equal, 401 invalid_token Unexpected or Missing otherwise', async () => {
      await ok('/org', { org_id: 'org_123' })
      await assertRefused(base, '/org', bearerHeader(token({ org_id: 'org_999' })), helperInvalidToken('claim_check_failed', "Unexpected 'org_id' value"))
      await assertRefused(base, '/org', bearerHeader(VALID), helperInvalidToken('claim_missing', "Missing 'org_id' claim"))
    })

    test('claimIncludes: 200 when every value is there, 401 otherwise', async () => {
      await ok('/roles', { roles: ['editor', 'admin', 'x'] })
      await ok('/roles', { roles: 'admin editor' })
      await assertRefused(base, '/roles', bearerHeader(token({ roles: ['admin'] })), helperInvalidToken('claim_check_failed', "Unexpected 'roles' value"))
      await assertRefused(base, '/roles', bearerHeader(VALID), helperInvalidToken('claim_missing', "Missing 'roles' claim"))
    })

    test('claimCheck: 200 when the function agrees, 401 with its description otherwise; async functions are awaited', async () => {
      await ok('/check', { foo: 'bar' })
      await assertRefused(base, '/check', bearerHeader(token({ foo: 'baz' })), helperInvalidToken('claim_check_failed', 'Custom "foo" check failed'))
      await ok('/check/async', { foo: 'bar' })
      await assertRefused(base, '/check/async', bearerHeader(token({ foo: 'baz' })), helperInvalidToken('claim_check_failed', 'Invalid Token'))
    })

    test('claimCheck: an error the function throws reaches the error handler as it is (500)', async () => {
      await assertRefused(base, '/check/throws', bearerHeader(VALID), { status: 500, name: 'Error', message: 'boom' })
    })

    test('a helper without auth() before it: 401 Unauthorized with a bare challenge', async () => {
      await assertRefused(base, '/no-auth', bearerHeader(VALID), HELPER_UNAUTHORIZED)
    })

    test('auth() refuses first: a helper never sees an invalid token', async () => {
      await assertRefused(base, '/scoped', bearerHeader('garbage'), invalidToken('token_malformed', 'Invalid Token or Protected Header formatting'))
    })
  })
}

describe('validators', () => {
  let base
  const closers = []
  const calls = []
  before(async () => {
    mock.method(console, 'error', () => {})
    const routes = {
      '/org': { org_id: 'org_123' },
      '/fn': { foo: (value, payload, header) => calls.push({ value, payload, header }) && value === 'bar' },
      '/async': { foo: async (value) => value === 'bar' },
      '/throws': { foo: () => { throw new Error('custom "boom"') } },
      '/typ': { typ: 'at+jwt' },
      '/kid': { kid: PAIR.kid },
      '/order': { a: () => false, b: async () => false },
      '/lifted': { org_id: false }
    }
    base = await serve(app(require('express'), (router) => {
      for (const [path, validators] of Object.entries(routes)) router.get(path, bearer.auth({ ...OPTIONS, validators }), echo)
      router.get('/strict/claims', bearer.auth({ ...OPTIONS, strict: true, validators: { sub: false, client_id: false, jti: false } }), echo)
      router.get('/strict/typ', bearer.auth({ ...OPTIONS, strict: true, validators: { typ: false } }), echo)
    }), (close) => closers.push(close))
  })
  after(async () => {
    await Promise.all(closers.map((close) => close()))
    mock.restoreAll()
  })

  const status = async (path, tokenValue) => (await request(base, `/custom${path}`, bearerHeader(tokenValue))).status
  const AT_JWT = { typ: 'at+jwt' }

  test('a string validator requires that exact value', async () => {
    assert.equal(await status('/org', token({ org_id: 'org_123' })), 200)
    await assertRefused(base, '/org', bearerHeader(token({ org_id: 'org_9' })), invalidToken('claim_check_failed', "Unexpected 'org_id' value"))
    await assertRefused(base, '/org', bearerHeader(VALID), invalidToken('claim_check_failed', "Unexpected 'org_id' value"))
  })

  test('a function validator gets (value, payload, header), once per request, after the core verified the token', async () => {
    calls.length = 0
    const good = token({ foo: 'bar' })
    assert.equal(await status('/fn', good), 200)
    assert.equal(calls.length, 1)
    assert.deepEqual(calls[0], { value: 'bar', payload: JSON.parse(Buffer.from(good.split('.')[1], 'base64url')), header: { alg: 'RS256', typ: 'JWT', kid: PAIR.kid } })
    await assertRefused(base, '/fn', bearerHeader(token({ foo: 'baz' })), invalidToken('claim_check_failed', "Unexpected 'foo' value"))
    calls.length = 0
    assert.equal(await status('/fn', token({ foo: 'bar', exp: NOW_SECONDS - 60 })), 401)
    assert.equal(calls.length, 0)
  })

  test('an async validator is awaited', async () => {
    assert.equal(await status('/async', token({ foo: 'bar' })), 200)
    await assertRefused(base, '/async', bearerHeader(token({ foo: 'baz' })), invalidToken('claim_check_failed', "Unexpected 'foo' value"))
  })

  test('an error a validator throws becomes 401 invalid_token with its message', async () => {
    await assertRefused(base, '/throws', bearerHeader(VALID), invalidToken('claim_check_failed', 'custom "boom"'))
  })

  test('typ and alg are read from the header, every other name from the payload', async () => {
    assert.equal(await status('/typ', token({}, AT_JWT)), 200)
    await assertRefused(base, '/typ', bearerHeader(VALID), invalidToken('claim_check_failed', "Unexpected 'typ' value"))
    await assertRefused(base, '/kid', bearerHeader(VALID), invalidToken('claim_check_failed', "Unexpected 'kid' value"))
  })

  test('the first validator to fail, in declaration order, is reported', async () => {
    await assertRefused(base, '/order', bearerHeader(VALID), invalidToken('claim_check_failed', "Unexpected 'a' value"))
  })

  test('false for a name with no default check changes nothing', async () => {
    assert.equal(await status('/lifted', VALID), 200)
  })

  test('strict with sub, client_id and jti false: those claims may be absent, typ and iat are still required', async () => {
    const lean = { sub: undefined, client_id: undefined, jti: undefined }
    assert.equal(await status('/strict/claims', token(lean, AT_JWT)), 200)
    await assertRefused(base, '/strict/claims', bearerHeader(token(lean)), invalidToken('typ_invalid', "Unexpected 'typ' value"))
    await assertRefused(base, '/strict/claims', bearerHeader(token({ ...lean, iat: undefined }, AT_JWT)), invalidToken('claim_missing', "Unexpected 'iat' value"))
  })

  test('strict with typ false: any typ, and every RFC 9068 claim still required', async () => {
    assert.equal(await status('/strict/typ', VALID), 200)
    await assertRefused(base, '/strict/typ', bearerHeader(token({ jti: undefined })), invalidToken('claim_missing', "Unexpected 'jti' value"))
  })
})

test('one verifier is built per auth(), with options read at start-up; a repeated token is answered from its cache', async (t) => {
  const built = t.mock.method(verifiers, 'createVerifier')
  const verified = t.mock.method(verifiers.Verifier.prototype, 'verify')
  const middleware = bearer.auth(OPTIONS)
  const base = await serve(app(require('express'), (router) => router.get('/api', middleware, echo)), (close) => t.after(close))
  for (let i = 0; i < 3; i++) assert.equal((await request(base, '/custom/api', bearerHeader(VALID))).status, 200)
  assert.equal(built.mock.callCount(), 1)
  assert.equal(verified.mock.callCount(), 1, 'only the first request is verified')
})

test('with tokenCache: false every request is verified', async (t) => {
  const verified = t.mock.method(verifiers.Verifier.prototype, 'verify')
  const middleware = bearer.auth({ ...OPTIONS, tokenCache: false })
  const base = await serve(app(require('express'), (router) => router.get('/api', middleware, echo)), (close) => t.after(close))
  for (let i = 0; i < 3; i++) assert.equal((await request(base, '/custom/api', bearerHeader(VALID))).status, 200)
  assert.equal(verified.mock.callCount(), 3)
})

describe('configuration', () => {
  const throwsType = (options, message) => assert.throws(() => bearer.auth(options), (err) => err instanceof TypeError && err.message === message)

  test('the environment variables of express-oauth2-jwt-bearer stand in for undefined options, read once', async (t) => {
    withEnv(t, { ISSUER: h.DEFAULT_ISSUER, AUDIENCE: h.DEFAULT_AUDIENCE })
    const middleware = bearer.auth({ jwks: OPTIONS.jwks, currentDate: NOW })
    delete process.env.AUDIENCE
    const base = await serve(app(require('express'), (router) => router.get('/api', middleware, echo)), (close) => t.after(close))
    assert.equal((await request(base, '/custom/api', bearerHeader(VALID))).status, 200)
  })

  test('an option given wins over its environment variable; null or an empty string counts as unset', (t) => {
    withEnv(t, { ISSUER: h.DEFAULT_ISSUER, AUDIENCE: 'https://from-env.example' })
    assert.ok(bearer.auth({ audience: h.DEFAULT_AUDIENCE, jwks: OPTIONS.jwks }))
    throwsType({ audience: null, jwks: OPTIONS.jwks }, "An 'audience' is required to validate the 'aud' claim")
    Object.assign(process.env, { ISSUER_BASE_URL: '', ISSUER: '', AUDIENCE: 'https://api' })
    throwsType({}, "You must provide 'mcd', 'issuerBaseURL', or both 'issuer' and ('jwksUri', 'secret', 'publicKey' or 'jwks')")
  })

  test('missing configuration fails at start-up naming the option, with the peer\'s messages', (t) => {
    withEnv(t, {})
    const where = "You must provide 'mcd', 'issuerBaseURL', or both 'issuer' and ('jwksUri', 'secret', 'publicKey' or 'jwks')"
    throwsType(undefined, where)
    throwsType({ audience: 'a' }, where)
    throwsType({ issuer: 'https://i/' }, where)
    throwsType({ jwksUri: 'https://i/jwks' }, where)
    throwsType({ issuer: 'https://i/', jwks: OPTIONS.jwks }, "An 'audience' is required to validate the 'aud' claim")
    throwsType({ issuer: 'https://i/', audience: 'a', secret: 's'.repeat(32) }, "You must provide a 'tokenSigningAlg' for validating symmetric algorithms")
  })

  test('contradictory key sources and algorithms fail at start-up with the peer\'s messages', (t) => {
    withEnv(t, {})
    const base = { issuer: 'https://i/', audience: 'a' }
    const pem = PAIR.publicKey.export({ type: 'spki', format: 'pem' })
    throwsType({ ...base, secret: 's'.repeat(32), jwksUri: 'https://i/jwks' }, "You must not provide both a 'secret' and 'jwksUri'")
    throwsType({ ...base, publicKey: pem, jwksUri: 'https://i/jwks' }, "You must not provide both a 'publicKey' and 'jwksUri'")
    throwsType({ ...base, publicKey: pem, secret: 's'.repeat(32) }, "You must not provide both a 'publicKey' and 'secret'")
    throwsType({ ...base, publicKey: pem, issuerBaseURL: 'https://i' }, "You must not provide both a 'publicKey' and 'issuerBaseURL'")
    throwsType({ ...base, jwks: OPTIONS.jwks, tokenSigningAlg: 'HS256' },
      "You must supply one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA for 'tokenSigningAlg' to validate asymmetrically signed tokens")
    throwsType({ ...base, secret: 's'.repeat(32), tokenSigningAlg: 'RS256' },
      "You must supply one of HS256, HS384, HS512 for 'tokenSigningAlg' to validate symmetrically signed tokens")
  })

  test('the core\'s own option checks come through as TypeErrors naming the option', () => {
    throwsType({ ...OPTIONS, clockTolerance: '5' }, "'clockTolerance' must be a number")
  })

  test('options that would widen the allow-list fail at start-up: an empty tokenSigningAlg, a PEM without one', (t) => {
    withEnv(t, {})
    const base = { issuer: 'https://i/', audience: 'a' }
    throwsType({ ...OPTIONS, tokenSigningAlg: '' }, "'tokenSigningAlg' must name an algorithm: an empty one would allow every asymmetric algorithm")
    throwsType({ ...OPTIONS, algorithms: [] }, "'algorithms' must not be empty: an empty allow-list allows no algorithm")
    throwsType({ ...base, publicKey: PAIR.publicKey.export({ type: 'spki', format: 'pem' }) },
      "'algorithms' is required when 'publicKey' is a PEM key: pin the algorithm, e.g. ['RS256'] (or set 'tokenSigningAlg')")
  })

  test('a binary secret protects a route like a string one', async (t) => {
    withEnv(t, {})
    const secret = crypto.randomBytes(32)
    const middleware = bearer.auth({ issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, secret, tokenSigningAlg: 'HS256', currentDate: NOW })
    const base = await serve(app(require('express'), (router) => router.get('/api', middleware, echo)), (close) => t.after(close))
    const signed = h.sign(h.claims({}, { now: NOW_SECONDS }), { alg: 'HS256', secret })
    assert.equal((await request(base, '/custom/api', bearerHeader(signed))).status, 200)
    const forged = h.sign(h.claims({}, { now: NOW_SECONDS }), { alg: 'HS256', secret: crypto.randomBytes(32) })
    assert.equal((await request(base, '/custom/api', bearerHeader(forged))).status, 401)
  })

  test('authRequired and validators are checked at start-up', () => {
    throwsType({ ...OPTIONS, authRequired: 'no' }, "'authRequired' must be a boolean")
    throwsType({ ...OPTIONS, validators: 'x' }, "'validators' must be an object")
    throwsType({ ...OPTIONS, validators: { n: 1 } }, "'validators.n' must be a string, a function or false")
    throwsType({ ...OPTIONS, validators: { n: true } }, "'validators.n' must be a string, a function or false")
    throwsType({ ...OPTIONS, validators: { iss: false } }, "'validators.iss' cannot be false: bearer-rs always checks 'iss' against 'issuer' (or the discovered issuer)")
    throwsType({ ...OPTIONS, validators: { aud: false } }, "'validators.aud' cannot be false: bearer-rs always checks 'aud' against 'audience'")
    throwsType({ ...OPTIONS, validators: { exp: false } }, "'validators.exp' cannot be false: bearer-rs always checks 'exp'")
    throwsType({ ...OPTIONS, validators: { alg: false } }, "'validators.alg' cannot be false: bearer-rs always checks the algorithm allow-list ('algorithms' or 'tokenSigningAlg')")
    throwsType({ ...OPTIONS, maxTokenAge: 60, validators: { iat: false } }, "'validators.iat' cannot be false with 'maxTokenAge', which checks 'iat'")
    throwsType(null, 'auth(options): options must be an object')
  })

  test('dpop, mtls and getCertificate are the peer\'s options (their checks: dpop.test.js, mtls.test.js)', () => {
    assert.ok(bearer.auth({ ...OPTIONS, dpop: { enabled: true, required: true, iatOffset: 60, iatLeeway: 5 } }))
    assert.ok(bearer.auth({ ...OPTIONS, dpop: { enabled: false }, mtls: { enabled: true, required: true }, getCertificate: () => undefined }))
    throwsType({ ...OPTIONS, dpop: { enabled: false, required: true } }, 'Invalid DPoP configuration: cannot set "required" to true when "enabled" is false')
  })
})
