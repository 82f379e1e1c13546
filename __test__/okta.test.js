'use strict'
/**
 * `bearer-rs/okta`, the `@okta/jwt-verifier` class on the native verifier, over real HTTP against an
 * Okta-shaped authorization server on loopback (`/oauth2/default`, keys at `/v1/keys`, access
 * tokens with `scp` arrays and `cid`, RS256 with a `kid`), and under the Okta guide's hand-written
 * Express middleware with only the `require` changed.
 *
 * Where Okta's verifier is lax, this one is strict (each pinned below): a token without `exp`, with
 * `iat` in the future or without `kid` is refused; `scp.includes` matches whole scopes, not
 * substrings; failures are bearer-rs's `InvalidTokenError`, whose message repeats no claim value.
 */
const { describe, test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const http = require('node:http')
const express = require('express')
const OktaJwtVerifier = require('bearer-rs/okta')
const { InvalidTokenError } = require('..')
const h = require('./helpers')

const AUDIENCE = 'api://default'
const CLIENT_ID = '0oa1b2c3d4e5f6g7h8i9'
const OKTA_PATHS = { path: '/oauth2/default', jwksPath: '/v1/keys' }

/** An Okta-shaped authorization server with one RS256 key; closed after the test. */
async function okta (t, options = {}) {
  const pair = h.freshKeyPair('RS256')
  const idp = await h.startIdp({ jwks: h.jwks(pair), ...OKTA_PATHS, ...options })
  t.after(() => idp.close())
  t.mock.method(process, 'emitWarning', () => {})
  const verifier = (extra = {}) => new OktaJwtVerifier({ issuer: idp.issuer, testing: { disableHttpsCheck: true }, ...extra })
  return { idp, pair, verifier, accessToken: (claims, signer) => accessToken(idp, pair, claims, signer) }
}

/** An access token as Okta issues it: `ver`, `jti`, `cid`, `uid`, `scp` array, `sub` an email. */
function accessToken (idp, pair, claims = {}, signer = pair) {
  const now = Math.floor(Date.now() / 1000)
  const payload = {
    ver: 1,
    jti: `AT.${crypto.randomBytes(16).toString('base64url')}`,
    iss: idp.issuer,
    aud: AUDIENCE,
    iat: now,
    exp: now + 3600,
    cid: CLIENT_ID,
    uid: '00u1a2b3c4d5e6f7g8h9',
    scp: ['openid', 'email', 'read:messages'],
    auth_time: now - 10,
    sub: 'user@example.com',
    ...claims
  }
  return h.sign(Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined)), { ...signer, header: { typ: undefined } })
}

/** An ID token: `aud` is the client id, with a `nonce`. */
function idToken (server, claims = {}) {
  return server.accessToken({ aud: CLIENT_ID, nonce: 'n-0S6_WzA2Mj', scp: undefined, cid: undefined, name: 'A User', ...claims })
}

const rejection = (promise) => promise.then(() => assert.fail('expected a rejection'), (err) => err)

async function assertRefused (promise, kind, message) {
  const err = await rejection(promise)
  assert.ok(err instanceof InvalidTokenError, `expected InvalidTokenError, got ${err}`)
  assert.equal(err.status, 401)
  assert.equal(err.kind, kind)
  if (message !== undefined) assert.equal(err.message, message)
  return err
}

describe('the Okta guide\'s Express API, with require(\'bearer-rs/okta\')', () => {
  /** The guide's code, verbatim but for the require. */
  function guideApp (oktaJwtVerifier) {
    const app = express()
    const audience = AUDIENCE
    const authenticationRequired = async (req, res, next) => {
      const authHeader = req.headers.authorization || ''
      const match = authHeader.match(/Bearer (.+)/)
      if (!match) {
        return res.status(401).send()
      }
      try {
        const accessToken = match[1]
        req.jwt = await oktaJwtVerifier.verifyAccessToken(accessToken, audience)
        next()
      } catch (err) {
        return res.status(401).send(err.message)
      }
    }
    app.get('/api/hello', (req, res) => {
      res.send('Hello world!')
    })
    app.get('/api/whoami', authenticationRequired, (req, res) => {
      res.json(req.jwt.claims)
    })
    return app
  }

  test('/api/hello is public; /api/whoami answers the claims of a valid token and 401 otherwise', async (t) => {
    const server = await okta(t)
    const app = http.createServer(guideApp(server.verifier()))
    await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise((resolve) => {
      app.close(resolve)
      app.closeAllConnections()
    }))
    const base = `http://127.0.0.1:${app.address().port}`
    const call = async (path, token) => {
      const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
      return { status: res.status, body: await res.text() }
    }
    assert.deepEqual(await call('/api/hello'), { status: 200, body: 'Hello world!' })
    assert.deepEqual(await call('/api/whoami'), { status: 401, body: '' })
    const token = server.accessToken()
    const valid = await call('/api/whoami', token)
    assert.equal(valid.status, 200)
    assert.deepEqual(JSON.parse(valid.body), JSON.parse(Buffer.from(token.split('.')[1], 'base64url')))
    const expired = server.accessToken({ iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })
    assert.deepEqual(await call('/api/whoami', expired), { status: 401, body: '"exp" claim timestamp check failed' })
    assert.deepEqual(await call('/api/whoami', server.accessToken({ aud: 'api://other' })), { status: 401, body: "Unexpected 'aud' value" })
    assert.deepEqual(await call('/api/whoami', 'garbage'), { status: 401, body: 'Invalid Token or Protected Header formatting' })
    assert.deepEqual(server.idp.counts, { discovery: 0, jwks: 1, total: 1 })
    assert.equal(server.idp.requests[0].path, '/oauth2/default/v1/keys')
  })
})

describe('verifyAccessToken', () => {
  test('resolves to Okta\'s frozen { header, claims, toString(), isExpired(), isNotBefore() }', async (t) => {
    const server = await okta(t)
    const token = server.accessToken({ nbf: Math.floor(Date.now() / 1000) - 5 })
    const jwt = await server.verifier().verifyAccessToken(token, AUDIENCE)
    assert.deepEqual(Object.keys(jwt), ['header', 'claims', 'toString', 'isExpired', 'isNotBefore'])
    assert.deepEqual(jwt.header, { alg: 'RS256', kid: server.pair.kid })
    assert.deepEqual(jwt.claims, JSON.parse(Buffer.from(token.split('.')[1], 'base64url')))
    assert.deepEqual(jwt.claims.scp, ['openid', 'email', 'read:messages'])
    assert.equal(jwt.toString(), token)
    assert.equal(`${jwt}`, token)
    assert.deepEqual([jwt.isExpired(), jwt.isNotBefore()], [false, false])
    assert.ok(Object.isFrozen(jwt) && Object.isFrozen(jwt.header) && Object.isFrozen(jwt.claims))
  })

  test('the expected audience is one string or a list of which aud must name one', async (t) => {
    const server = await okta(t)
    const verifier = server.verifier()
    assert.ok(await verifier.verifyAccessToken(server.accessToken(), [AUDIENCE, 'api://other']))
    assert.ok(await verifier.verifyAccessToken(server.accessToken({ aud: ['api://other', AUDIENCE] }), AUDIENCE))
    await assertRefused(verifier.verifyAccessToken(server.accessToken(), 'api://other'), 'audience_mismatch', "Unexpected 'aud' value")
    await assert.rejects(verifier.verifyAccessToken(server.accessToken()), { name: 'TypeError', message: 'expected audience is required' })
  })

  test('the issuer is matched exactly, and the signature against the keys at /v1/keys', async (t) => {
    const server = await okta(t)
    const verifier = server.verifier()
    await assertRefused(verifier.verifyAccessToken(server.accessToken({ iss: `${server.idp.issuer}/` }), AUDIENCE), 'issuer_mismatch')
    await assertRefused(verifier.verifyAccessToken(server.accessToken({}, { ...h.freshKeyPair('RS256'), kid: server.pair.kid }), AUDIENCE), 'signature_invalid')
    await assertRefused(verifier.verifyAccessToken(server.accessToken({}, h.freshKeyPair('RS256')), AUDIENCE), 'key_not_found')
  })

  test('assertClaims: equal values, and .includes of every value in an array or a space-separated string', async (t) => {
    const server = await okta(t)
    const verifier = server.verifier({ assertClaims: { cid: CLIENT_ID, 'scp.includes': ['openid', 'read:messages'], 'groups.includes': 'Everyone' } })
    assert.ok(await verifier.verifyAccessToken(server.accessToken({ groups: ['Everyone', 'Admins'] }), AUDIENCE))
    assert.ok(await verifier.verifyAccessToken(server.accessToken({ groups: 'Admins Everyone' }), AUDIENCE))
    await assertRefused(verifier.verifyAccessToken(server.accessToken({ groups: ['Admins'] }), AUDIENCE), 'claim_check_failed', "Unexpected 'groups' value")
    await assertRefused(verifier.verifyAccessToken(server.accessToken({ cid: 'someone-else', groups: 'Everyone' }), AUDIENCE), 'claim_check_failed', "Unexpected 'cid' value")
    await assertRefused(verifier.verifyAccessToken(server.accessToken({ scp: ['openid'], groups: 'Everyone' }), AUDIENCE), 'claim_check_failed', "Unexpected 'scp' value")
  })

  test('strict where Okta is lax: .includes matches whole scopes, never substrings', async (t) => {
    const server = await okta(t)
    const verifier = server.verifier({ assertClaims: { 'scp.includes': ['read'] } })
    await assertRefused(verifier.verifyAccessToken(server.accessToken({ scp: 'read:messages' }), AUDIENCE), 'claim_check_failed', "Unexpected 'scp' value")
    await assertRefused(verifier.verifyAccessToken(server.accessToken({ scp: ['read:messages'] }), AUDIENCE), 'claim_check_failed')
    assert.ok(await verifier.verifyAccessToken(server.accessToken({ scp: 'write read' }), AUDIENCE))
  })

  test('strict where Okta is lax: exp is required, iat cannot be in the future, a kid is required', async (t) => {
    const server = await okta(t)
    const verifier = server.verifier()
    const now = Math.floor(Date.now() / 1000)
    await assertRefused(verifier.verifyAccessToken(server.accessToken({ exp: undefined }), AUDIENCE), 'claim_missing', "Unexpected 'exp' value")
    await assertRefused(verifier.verifyAccessToken(server.accessToken({ iat: now + 600 }), AUDIENCE), 'token_issued_in_future')
    const withoutKid = h.sign(h.claims({ iss: server.idp.issuer, aud: AUDIENCE }), { ...server.pair, kid: undefined })
    await assertRefused(verifier.verifyAccessToken(withoutKid, AUDIENCE), 'key_not_found')
  })

  test('only RS256, as Okta signs; alg none and HS256 with the public key are refused', async (t) => {
    const ec = h.freshKeyPair('ES256')
    const server = await okta(t)
    server.idp.setJwks(h.jwks(server.pair, ec))
    const verifier = server.verifier()
    await assertRefused(verifier.verifyAccessToken(server.accessToken({}, ec), AUDIENCE), 'algorithm_not_allowed')
    const pem = server.pair.publicKey.export({ type: 'spki', format: 'pem' })
    await assertRefused(verifier.verifyAccessToken(server.accessToken({}, { alg: 'HS256', secret: pem, kid: server.pair.kid }), AUDIENCE), 'algorithm_not_allowed')
    const unsigned = `${h.segment({ alg: 'none', kid: server.pair.kid })}.${server.accessToken().split('.')[1]}.`
    await assertRefused(verifier.verifyAccessToken(unsigned, AUDIENCE), 'algorithm_not_allowed')
  })

  test('clock skew: five seconds on exp (Okta: none)', async (t) => {
    const server = await okta(t)
    const now = Math.floor(Date.now() / 1000)
    const jwt = await server.verifier().verifyAccessToken(server.accessToken({ iat: now - 60, exp: now - 1 }), AUDIENCE)
    assert.equal(jwt.isExpired(), true)
  })
})

describe('verifyIdToken', () => {
  test('aud must be the client id and the nonce the expected one', async (t) => {
    const server = await okta(t)
    const verifier = server.verifier({ clientId: CLIENT_ID })
    const jwt = await verifier.verifyIdToken(idToken(server), CLIENT_ID, 'n-0S6_WzA2Mj')
    assert.equal(jwt.claims.name, 'A User')
    assert.ok(await verifier.verifyIdToken(idToken(server, { nonce: undefined }), CLIENT_ID))
    await assertRefused(verifier.verifyIdToken(idToken(server), CLIENT_ID, 'another'), 'claim_check_failed', "Unexpected 'nonce' value")
    await assertRefused(verifier.verifyIdToken(idToken(server), CLIENT_ID), 'claim_check_failed', "Unexpected 'nonce' value")
    await assertRefused(verifier.verifyIdToken(idToken(server, { nonce: undefined }), CLIENT_ID, 'expected'), 'claim_check_failed')
    await assertRefused(verifier.verifyIdToken(idToken(server), 'another-client', 'n-0S6_WzA2Mj'), 'audience_mismatch')
    await assertRefused(verifier.verifyIdToken(idToken(server, { aud: [CLIENT_ID, 'another'] }), CLIENT_ID, 'n-0S6_WzA2Mj'), 'audience_mismatch')
    await assertRefused(verifier.verifyIdToken(idToken(server, { sub: undefined }), CLIENT_ID, 'n-0S6_WzA2Mj'), 'claim_missing')
    await assert.rejects(verifier.verifyIdToken(idToken(server)), { name: 'TypeError', message: 'expected client id is required' })
  })

  test('access and ID tokens of one server share one key cache', async (t) => {
    const server = await okta(t)
    const verifier = server.verifier()
    assert.ok(await verifier.verifyAccessToken(server.accessToken(), AUDIENCE))
    assert.ok(await verifier.verifyIdToken(idToken(server), CLIENT_ID, 'n-0S6_WzA2Mj'))
    assert.ok(await server.verifier().verifyAccessToken(server.accessToken(), [AUDIENCE]))
    assert.equal(server.idp.counts.jwks, 1)
  })
})

describe('options', () => {
  test('jwksUri replaces the default, the issuer followed by /v1/keys', async (t) => {
    const server = await okta(t, { path: '/oauth2', jwksPath: '/v1/custom-keys' })
    const verifier = server.verifier({ jwksUri: server.idp.jwksUri })
    assert.equal(verifier.jwksUri, `${server.idp.url}/oauth2/v1/custom-keys`)
    assert.equal(server.verifier().jwksUri, `${server.idp.issuer}/v1/keys`)
    assert.ok(await verifier.verifyAccessToken(server.accessToken(), AUDIENCE))
  })

  test('jwksRequestsPerMinute paces the refetches an unknown kid causes', async (t) => {
    const slow = await okta(t)
    const fast = await okta(t)
    const unknownKid = (server) => server.accessToken({}, { ...h.freshKeyPair('RS256'), kid: 'rotated' })
    const limited = slow.verifier()
    assert.ok(await limited.verifyAccessToken(slow.accessToken(), AUDIENCE))
    await assertRefused(limited.verifyAccessToken(unknownKid(slow), AUDIENCE), 'key_not_found')
    assert.equal(slow.idp.counts.jwks, 1)
    const eager = fast.verifier({ jwksRequestsPerMinute: 60 })
    assert.ok(await eager.verifyAccessToken(fast.accessToken(), AUDIENCE))
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await assertRefused(eager.verifyAccessToken(unknownKid(fast), AUDIENCE), 'key_not_found')
    assert.equal(fast.idp.counts.jwks, 2)
  })

  test('requestAgent carries the key requests', async (t) => {
    const server = await okta(t)
    const agent = new http.Agent()
    t.after(() => agent.destroy())
    const connections = t.mock.method(agent, 'createConnection')
    assert.ok(await server.verifier({ requestAgent: agent, cacheMaxAge: 120000 }).verifyAccessToken(server.accessToken(), AUDIENCE))
    assert.equal(connections.mock.callCount(), 1)
  })

  test('misconfiguration fails at construction with Okta\'s messages', (t) => {
    t.mock.method(process, 'emitWarning', () => {})
    const copy = 'You can copy your domain from the Okta Developer Console. Follow these instructions to find it: https://bit.ly/finding-okta-domain'
    const fails = (options, message) => assert.throws(() => new OktaJwtVerifier(options), (err) => err.message === message)
    fails({}, `Your Okta URL is missing. ${copy}`)
    fails({ issuer: 'http://dev-1.okta.com/oauth2/default' }, `Your Okta URL must start with https. Current value: http://dev-1.okta.com/oauth2/default. ${copy}`)
    fails({ issuer: 'https://{yourOktaDomain}/oauth2/default' }, `Replace {yourOktaDomain} with your Okta domain. ${copy}`)
    fails({ issuer: 'https://dev-1-admin.okta.com' }, `Your Okta domain should not contain -admin. Current value: https://dev-1-admin.okta.com. ${copy}`)
    fails({ issuer: 'https://dev-1.okta.com', clientId: '{clientId}' },
      'Replace {clientId} with the client ID of your Application. You can copy it from the Okta Developer Console in the details for the Application you created. Follow these instructions to find it: https://bit.ly/finding-okta-app-credentials')
    fails({ issuer: 'https://dev-1.okta.com', assertClaims: { 'scp.contains': 'x' } }, "operator: 'contains' invalid. Supported operators: 'includes'.")
    fails({ issuer: 'https://dev-1.okta.com', getKeysInterceptor: async () => [] }, "'getKeysInterceptor' is not supported: the keys are fetched from 'jwksUri' and cached natively")
    fails({ issuer: 'https://dev-1.okta.com', requestAgentOptions: {} }, '`requestAgentOptions` has been deprecated, use `requestAgent` instead.')
    fails({ issuer: 'https://dev-1.okta.com', jwksRequestsPerMinute: -1 }, "'jwksRequestsPerMinute' must be a positive number")
    assert.throws(() => new OktaJwtVerifier({ issuer: 'https://dev-1.okta.com', jwksUri: 'http://keys.example/v1/keys' }), /^TypeError: 'jwksUri'/)
  })

  test('testing.disableHttpsCheck allows http, with Okta\'s warning', (t) => {
    const warnings = t.mock.method(process, 'emitWarning', () => {})
    assert.ok(new OktaJwtVerifier({ issuer: 'http://okta.internal/oauth2/default', testing: { disableHttpsCheck: true } }))
    assert.deepEqual(warnings.mock.calls.map((call) => call.arguments[0]),
      ['Warning: HTTPS check is disabled. This allows for insecure configurations and is NOT recommended for production use.'])
  })

  test('bearer-rs/okta is this class for require and for import', async () => {
    assert.equal(OktaJwtVerifier, require('../lib/okta'))
    assert.equal((await import('bearer-rs/okta')).default, OktaJwtVerifier)
  })
})
