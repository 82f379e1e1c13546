'use strict'
/**
 * Remote keys over real HTTP: discovery, the shared JWKS cache, rotation, cooldown, single flight,
 * and what happens while the identity provider misbehaves. Every IdP is a real loopback server.
 */
const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const { createVerifier, InvalidTokenError } = require('..')
const h = require('./helpers')

const NOW = 1_750_000_000
const claims = (overrides) => h.claims(overrides, { now: NOW })

/** Fast settings so outages resolve in milliseconds; each test gets its own IdP (own cache). */
const fast = { cooldownDuration: 100, timeoutDuration: 300, currentDate: NOW * 1000 }

async function withIdp (options, fn) {
  const idp = await h.startIdp(options)
  try {
    return await fn(idp)
  } finally {
    await idp.close()
  }
}

function remoteVerifier (idp, extra = {}) {
  return createVerifier({ jwksUri: idp.jwksUri, issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, ...fast, ...extra })
}

const keysUnavailable = { type: InvalidTokenError, kind: 'keys_unavailable', status: 401, code: 'invalid_token', description: 'the signing keys of the token issuer are unavailable' }
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

describe('discovery', () => {
  test('finds the issuer and the JWKS through openid-configuration, once for any number of first requests', () =>
    withIdp({}, async (idp) => {
      const pair = h.keyPair('RS256')
      idp.setJwks(h.jwks(pair))
      const verifier = createVerifier({ issuerBaseURL: idp.url, audience: h.DEFAULT_AUDIENCE, ...fast })
      const tokens = Array.from({ length: 200 }, () => h.sign(claims({ iss: idp.issuer }), pair))
      const results = await Promise.all(tokens.map((t) => verifier.verify(t)))
      assert.equal(results.length, 200)
      assert.deepEqual(idp.counts, { discovery: 1, jwks: 1, total: 2 })
    }))

  test('falls back to the RFC 8414 document when openid-configuration is missing', () =>
    withIdp({ path: '/oauth2/default', jwksPath: '/v1/keys' }, async (idp) => {
      const pair = h.keyPair('ES256')
      idp.setJwks(h.jwks(pair))
      const openid = idp.discoveryUrl
      idp.behave('discovery', 'status', { status: 404, times: 1 })
      const verifier = createVerifier({ issuerBaseURL: idp.issuer, audience: h.DEFAULT_AUDIENCE, ...fast })
      assert.ok(await verifier.verify(h.sign(claims({ iss: idp.issuer }), pair)))
      assert.equal(idp.requests[0].url, new URL(openid).pathname)
      assert.equal(idp.requests[1].url, '/.well-known/oauth-authorization-server/oauth2/default')
    }))

  test('refuses metadata that names another issuer, with the reason for the logs', () =>
    withIdp({ issuer: 'https://evil.example/' }, async (idp) => {
      const verifier = createVerifier({ issuerBaseURL: idp.url, audience: h.DEFAULT_AUDIENCE, ...fast })
      const token = h.sign(claims({ iss: 'https://evil.example/' }), h.keyPair('RS256'))
      const err = await verifier.verify(token).catch((e) => e)
      h.assertFailure(err, keysUnavailable)
      assert.match(err.cause.message, /names the issuer "https:\/\/evil\.example\/", which is not the one configured/)
      assert.equal(idp.counts.jwks, 0)
    }))

  test('accepts the configured issuer when it differs from issuerBaseURL (a custom domain)', () =>
    withIdp({ issuer: 'https://login.example.com/' }, async (idp) => {
      const pair = h.keyPair('RS256')
      idp.setJwks(h.jwks(pair))
      const verifier = createVerifier({ issuerBaseURL: idp.url, issuer: 'https://login.example.com/', audience: h.DEFAULT_AUDIENCE, ...fast })
      assert.ok(await verifier.verify(h.sign(claims({ iss: 'https://login.example.com/' }), pair)))
    }))

  test('narrows the allowed algorithms to those the metadata lists', () =>
    withIdp({}, async (idp) => {
      const rsa = h.keyPair('RS256')
      const ec = h.keyPair('ES256')
      idp.setJwks(h.jwks(rsa, ec))
      idp.setDiscovery({ ...idp.discovery, id_token_signing_alg_values_supported: ['RS256'] })
      const verifier = createVerifier({ issuerBaseURL: idp.url, audience: h.DEFAULT_AUDIENCE, ...fast })
      assert.ok(await verifier.verify(h.sign(claims({ iss: idp.issuer }), rsa)))
      const err = await verifier.verify(h.sign(claims({ iss: idp.issuer }), ec)).catch((e) => e)
      assert.equal(err.kind, 'algorithm_not_allowed')
    }))

  test('ready() discovers and fetches eagerly, so verifySync works right after', () =>
    withIdp({}, async (idp) => {
      const pair = h.keyPair('EdDSA')
      idp.setJwks(h.jwks(pair))
      const verifier = createVerifier({ issuerBaseURL: idp.url, audience: h.DEFAULT_AUDIENCE, ...fast })
      const token = h.sign(claims({ iss: idp.issuer }), pair)
      h.assertThrowsFailure(() => verifier.verifySync(token), keysUnavailable)
      await verifier.ready()
      assert.equal(verifier.verifySync(token).payload.iss, idp.issuer)
      assert.deepEqual(idp.counts, { discovery: 1, jwks: 1, total: 2 })
    }))

  test('never blocks construction: an unreachable issuer fails at the first token, not at start-up', async () => {
    const port = await h.unusedPort()
    const verifier = createVerifier({ issuerBaseURL: `http://127.0.0.1:${port}`, audience: h.DEFAULT_AUDIENCE, ...fast })
    const err = await verifier.verify(h.sign(claims(), h.keyPair('RS256'))).catch((e) => e)
    h.assertFailure(err, keysUnavailable)
    assert.match(err.cause.message, /^discovery at http:\/\/127\.0\.0\.1:\d+\/ failed: .*Connection refused/)
    await assert.rejects(verifier.ready(), (e) => e.kind === 'keys_unavailable')
  })
})

describe('the JWKS cache', () => {
  test('rotation: a new kid causes exactly one refetch, and a removed key stops verifying', () =>
    withIdp({}, async (idp) => {
      const [oldKey, newKey] = [h.freshKeyPair('ES256'), h.freshKeyPair('ES256')]
      idp.setJwks(h.jwks(oldKey))
      const verifier = remoteVerifier(idp, { cooldownDuration: 0 })
      assert.ok(await verifier.verify(h.sign(claims(), oldKey)))
      idp.setJwks(h.jwks(newKey))
      const fresh = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(h.sign(claims(), newKey))))
      assert.equal(fresh.length, 20)
      assert.equal(idp.counts.jwks, 2)
      assert.equal(verifier.stats().jwks.rotations, 1)
      const err = await verifier.verify(h.sign(claims(), oldKey)).catch((e) => e)
      assert.equal(err.kind, 'key_not_found')
    }))

  test('a flood of unknown kids inside the cooldown causes at most one fetch', () =>
    withIdp({}, async (idp) => {
      const pair = h.keyPair('RS256')
      idp.setJwks(h.jwks(pair))
      const verifier = remoteVerifier(idp, { cooldownDuration: 30_000 })
      await verifier.ready()
      const forged = Array.from({ length: 100 }, (_, i) => h.sign(claims(), { ...pair, kid: `random-${i}-${Math.random()}` }))
      const errors = await Promise.all(forged.map((t) => verifier.verify(t).catch((e) => e)))
      assert.ok(errors.every((e) => e.kind === 'key_not_found'))
      assert.ok(idp.counts.jwks <= 2, `expected at most one refetch, saw ${idp.counts.jwks - 1}`)
      assert.ok(verifier.stats().jwks.cooldownRejections >= 99)
    }))

  test('every verifier of a JWKS URI shares one cache', () =>
    withIdp({}, async (idp) => {
      const pair = h.keyPair('RS256')
      idp.setJwks(h.jwks(pair))
      const [a, b] = [remoteVerifier(idp), remoteVerifier(idp, { clockTolerance: 30 })]
      await a.ready()
      assert.ok(b.verifySync(h.sign(claims(), pair)))
      assert.equal(idp.counts.jwks, 1)
    }))

  test('refreshes keys near cacheMaxAge in the background, never making a request wait', () =>
    withIdp({}, async (idp) => {
      const pair = h.keyPair('RS256')
      idp.setJwks(h.jwks(pair))
      const verifier = remoteVerifier(idp, { cacheMaxAge: 200, cooldownDuration: 50 })
      await verifier.ready()
      await sleep(250)
      idp.behave('jwks', 'hang')
      assert.ok(verifier.verifySync(h.sign(claims(), pair)), 'served from the cache while the refresh hangs')
      await sleep(50)
      assert.equal(idp.counts.jwks, 2)
    }))

  test('skips unusable keys one by one and keeps the rest', () =>
    withIdp({}, async (idp) => {
      const good = h.keyPair('ES256')
      const weak = h.freshKeyPair('RS256', { modulusLength: 1024 })
      idp.setJwks({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }, weak.publicJwk, { ...good.publicJwk, use: 'enc', kid: 'enc' }, good.publicJwk] })
      const verifier = remoteVerifier(idp)
      assert.ok(await verifier.verify(h.sign(claims(), good)))
      const { kids, skipped } = verifier.stats().jwks
      assert.deepEqual(kids, [good.kid])
      assert.equal(skipped.length, 3)
    }))
})

describe('a misbehaving identity provider, with keys cached', () => {
  for (const [name, mode, options] of [
    ['refusing connections', 'stop'],
    ['answering 500', 'status', { status: 500 }],
    ['hanging past the timeout', 'hang'],
    ['sending invalid JSON', 'invalid-json'],
    ['sending a 10 MB body', 'huge', { bytes: 10 * 1024 * 1024 }],
    ['resetting the connection', 'reset']
  ]) {
    test(`keeps verifying with the cached keys while ${name}, and records why refreshes fail`, () =>
      withIdp({}, async (idp) => {
        const pair = h.keyPair('RS256')
        idp.setJwks(h.jwks(pair))
        const verifier = remoteVerifier(idp, { cacheMaxAge: 0, cooldownDuration: 50 })
        await verifier.ready()
        if (mode === 'stop') await idp.stop()
        else idp.behave('jwks', mode, options)
        for (let i = 0; i < 5; i++) {
          assert.ok(await verifier.verify(h.sign(claims(), pair)))
          await sleep(120)
        }
        const stats = verifier.stats().jwks
        assert.ok(stats.failures >= 1, `a refresh should have failed: ${JSON.stringify(stats)}`)
        assert.ok(stats.stale && stats.staleVerifications >= 1)
        assert.equal(typeof stats.lastError, 'string')
        if (mode === 'stop') await idp.start()
      }))
  }
})

describe('a misbehaving identity provider, with no keys cached', () => {
  test('rejects with keys_unavailable and a cause naming the failure, then recovers by itself', () =>
    withIdp({}, async (idp) => {
      const pair = h.keyPair('RS256')
      idp.setJwks(h.jwks(pair))
      idp.behave('jwks', 'status', { status: 503 })
      const verifier = remoteVerifier(idp)
      const token = h.sign(claims(), pair)
      const err = await verifier.verify(token).catch((e) => e)
      h.assertFailure(err, keysUnavailable)
      assert.equal(err.cause.message, `JWKS fetch from ${idp.jwksUri} failed: HTTP status 503`)
      idp.behave('jwks', 'ok')
      await sleep(150)
      assert.ok(await verifier.verify(token))
    }))

  test('a hanging JWKS fails after timeoutDuration, not never', () =>
    withIdp({}, async (idp) => {
      idp.behave('jwks', 'hang')
      const verifier = remoteVerifier(idp, { timeoutDuration: 200 })
      const started = Date.now()
      const err = await verifier.verify(h.sign(claims(), h.keyPair('RS256'))).catch((e) => e)
      assert.equal(err.kind, 'keys_unavailable')
      assert.match(err.cause.message, /timeout after 200 ms/)
      assert.ok(Date.now() - started < 2000)
    }))

  test('an oversized JWKS is cut off at maxResponseSize', () =>
    withIdp({}, async (idp) => {
      idp.behave('jwks', 'huge', { bytes: 10 * 1024 * 1024 })
      const verifier = remoteVerifier(idp, { maxResponseSize: 64 * 1024 })
      const err = await verifier.verify(h.sign(claims(), h.keyPair('RS256'))).catch((e) => e)
      assert.match(err.cause.message, /response larger than 65536 bytes/)
    }))

  test('while failing, requests back off instead of each fetching', () =>
    withIdp({}, async (idp) => {
      idp.behave('jwks', 'status', { status: 500 })
      const verifier = remoteVerifier(idp, { cooldownDuration: 30_000 })
      const token = h.sign(claims(), h.keyPair('RS256'))
      for (let i = 0; i < 20; i++) await verifier.verify(token).catch(() => {})
      assert.equal(idp.counts.jwks, 1)
    }))
})

describe('fetch policy', () => {
  test('refuses http: to a host that is not loopback, naming the option', () => {
    for (const option of ['jwksUri', 'issuerBaseURL']) {
      assert.throws(() => createVerifier({ [option]: 'http://idp.example.com/jwks', issuer: 'x', audience: 'y' }),
        (e) => e instanceof TypeError && e.message.startsWith(`'${option}' must use https:`))
    }
    assert.ok(createVerifier({ jwksUri: 'http://idp.example.com/jwks', issuer: 'x', audience: 'y', allowInsecureHttp: true }))
  })

  test('refuses a redirect to a non-loopback http: URL', () =>
    withIdp({}, async (idp) => {
      idp.behave('jwks', 'redirect', { location: 'http://idp.example.com/jwks' })
      const err = await remoteVerifier(idp).verify(h.sign(claims(), h.keyPair('RS256'))).catch((e) => e)
      assert.match(err.cause.message, /redirect refused/)
    }))

  test('sends the configured request headers', () =>
    withIdp({}, async (idp) => {
      idp.setJwks(h.jwks(h.keyPair('RS256')))
      await remoteVerifier(idp, { headers: { 'x-api-key': 'k-123' } }).ready()
      assert.equal(idp.requests[0].headers['x-api-key'], 'k-123')
      assert.match(idp.requests[0].headers['user-agent'], /^bearer-rs\//)
    }))

  test('fetches over HTTPS from a server whose CA Node trusts through NODE_EXTRA_CA_CERTS', async () => {
    const fixture = h.tlsFixture()
    process.env.NODE_EXTRA_CA_CERTS = fixture.caFile
    await withIdp({ tls: fixture, hostname: 'localhost' }, async (idp) => {
      const pair = h.keyPair('ES256')
      idp.setJwks(h.jwks(pair))
      assert.ok(await remoteVerifier(idp).verify(h.sign(claims(), pair)))
    })
  })

  test('refuses an HTTPS server whose certificate no trusted CA signed', async () => {
    const other = h.tlsFixture({ name: 'untrusted' })
    await withIdp({ tls: other, hostname: 'localhost' }, async (idp) => {
      const err = await remoteVerifier(idp).verify(h.sign(claims(), h.keyPair('ES256'))).catch((e) => e)
      assert.equal(err.kind, 'keys_unavailable')
      assert.match(err.cause.message, /connection failed/)
    })
  })
})

describe('conditional refreshes (If-None-Match, 304)', () => {
  const maxAge = { cacheMaxAge: 200, cooldownDuration: 100, timeoutDuration: 300, tokenCache: false }
  /** Polls every 20 ms until `condition()` holds; fails after 2 s. */
  async function eventually (condition, what) {
    const started = Date.now()
    while (!condition()) {
      if (Date.now() - started > 2000) assert.fail(`${what}: not within 2 s`)
      await sleep(20)
    }
  }

  test('a refresh sends the ETag and Last-Modified of the keys held, and a 304 renews them with no body', () =>
    withIdp({}, async (idp) => {
      const pair = h.keyPair('ES256')
      idp.setJwks(h.jwks(pair))
      const verifier = remoteVerifier(idp, { ...maxAge, currentDate: undefined })
      const token = h.sign(h.claims(), pair)
      await verifier.verify(token)
      assert.equal(idp.requests[0].headers['if-none-match'], undefined, 'the first fetch is unconditional')
      await sleep(250)
      await verifier.verify(token)
      await eventually(() => verifier.stats().jwks.notModified === 1, 'a 304 handled')
      assert.equal(idp.notModified, 1)
      const refresh = idp.requests[1].headers
      assert.match(refresh['if-none-match'], /^"[\w-]+"$/)
      assert.match(refresh['if-modified-since'], /GMT$/)
      const stats = verifier.stats().jwks
      assert.deepEqual([stats.fetches, stats.notModified, stats.failures, stats.stale], [2, 1, 0, false])
      assert.ok(stats.ageMs < 200, 'the 304 renewed the age of the keys held')
    }))

  test('a 304 after a failed refresh ends the stale episode', () =>
    withIdp({}, async (idp) => {
      const pair = h.keyPair('ES256')
      idp.setJwks(h.jwks(pair))
      const verifier = remoteVerifier(idp, { ...maxAge, currentDate: undefined })
      const token = h.sign(h.claims(), pair)
      await verifier.verify(token)
      idp.behave('jwks', 'status', { status: 503, times: 1 })
      await sleep(250)
      assert.ok(await verifier.verify(token), 'stale keys keep serving')
      await eventually(() => verifier.stats().jwks.failures === 1, 'the failed refresh')
      assert.equal(verifier.stats().jwks.stale, true)
      await eventually(() => {
        verifier.verifySync(token)
        return verifier.stats().jwks.notModified === 1
      }, 'a retry answered 304')
      const stats = verifier.stats().jwks
      assert.deepEqual([stats.stale, stats.notModified], [false, 1])
    }))

  test('a changed ETag brings the new keys, which replace the old ones', () =>
    withIdp({}, async (idp) => {
      const [before, after] = [h.freshKeyPair('ES256'), h.freshKeyPair('ES256')]
      idp.setJwks(h.jwks(before))
      const verifier = remoteVerifier(idp, { ...maxAge, currentDate: undefined })
      await verifier.verify(h.sign(h.claims(), before))
      idp.setJwks(h.jwks(after))
      await sleep(250)
      await verifier.verify(h.sign(h.claims(), before))
      await eventually(() => verifier.stats().jwks.kids[0] === after.kid, 'the new key set')
      assert.equal(idp.notModified, 0)
      assert.ok(await verifier.verify(h.sign(h.claims(), after)))
      await assert.rejects(verifier.verify(h.sign(h.claims(), before)), (err) => err.kind === 'key_not_found')
    }))
})
