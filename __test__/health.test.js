'use strict'
/**
 * Health checks: the function `auth()` returns also has `ready()` and `stats()`, those of its
 * verifier (with `mcd`, of its issuers'), so a `/healthz` route can report on the very keys the
 * middleware uses. Real loopback identity providers and a real Express app throughout.
 */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const express = require('express')
const bearer = require('..')
const h = require('./helpers')

const ENV_NAMES = ['ISSUER_BASE_URL', 'AUDIENCE', 'ISSUER', 'JWKS_URI', 'SECRET', 'TOKEN_SIGNING_ALG']
const AUDIENCE = h.DEFAULT_AUDIENCE
const fast = { cooldownDuration: 100, timeoutDuration: 300 }

async function idp (t, pair = h.freshKeyPair('RS256')) {
  const server = await h.startIdp({ jwks: h.jwks(pair) })
  t.after(() => server.close())
  return { server, pair }
}

/** The README's `/healthz`: 200 with the kids held once ready, else 503 with the failure's kind. */
async function serveHealth (t, checkJwt) {
  const app = express()
  app.get('/healthz', async (req, res) => {
    try {
      await checkJwt.ready()
      res.json({ ok: true, kids: checkJwt.stats().jwks?.kids ?? null })
    } catch (err) {
      res.status(503).json({ ok: false, kind: err.kind })
    }
  })
  const server = http.createServer(app)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${server.address().port}/healthz`
}

test('ready() loads the metadata and keys before any request, and stats() shows what the middleware holds', async (t) => {
  h.withEnv(t, ENV_NAMES)
  const { server, pair } = await idp(t)
  const checkJwt = bearer.auth({ issuerBaseURL: server.url, audience: AUDIENCE, ...fast })
  await checkJwt.ready()
  assert.deepEqual(server.counts, { discovery: 1, jwks: 1, total: 2 })
  const stats = checkJwt.stats()
  assert.equal(stats.discoveryFetches, 1)
  assert.deepEqual(stats.jwks.kids, [pair.kid])
  assert.equal(stats.jwks.fetches, 1)
  assert.deepEqual((await h.request(await serveHealth(t, checkJwt))).json, { ok: true, kids: [pair.kid] })
})

test('ready() rejects with the keys_unavailable error while the identity provider is down, and /healthz says 503', async (t) => {
  h.withEnv(t, ENV_NAMES)
  const { server } = await idp(t)
  server.behave('all', 'status', { status: 503 })
  const checkJwt = bearer.auth({ issuerBaseURL: server.url, audience: AUDIENCE, ...fast })
  const err = await checkJwt.ready().then(() => assert.fail('expected a rejection'), (e) => e)
  assert.ok(err instanceof bearer.InvalidTokenError)
  assert.equal(err.kind, 'keys_unavailable')
  assert.match(String(err.cause), /503/)
  const health = await h.request(await serveHealth(t, checkJwt))
  assert.deepEqual([health.status, health.json], [503, { ok: false, kind: 'keys_unavailable' }])
})

test('with local keys ready() resolves at once and stats() has no remote parts', async (t) => {
  h.withEnv(t, ENV_NAMES)
  const pair = h.keyPair('ES256')
  const checkJwt = bearer.auth({ issuer: h.DEFAULT_ISSUER, audience: AUDIENCE, jwks: h.jwks(pair) })
  await checkJwt.ready()
  const stats = checkJwt.stats()
  assert.deepEqual([stats.discoveryFetches, stats.jwks], [0, null])
  assert.equal(stats.tokenCache.size, 0)
})

test('with mcd, ready() waits for every issuer and stats() has one entry per issuer; one issuer down fails it', async (t) => {
  h.withEnv(t, ENV_NAMES)
  const [a, b, c] = await Promise.all([idp(t), idp(t), idp(t)])
  const checkJwt = bearer.auth({ audience: AUDIENCE, mcd: { issuers: [a.server.url, b.server.url] }, ...fast })
  await checkJwt.ready()
  const { issuers } = checkJwt.stats()
  assert.deepEqual(issuers.map(({ issuer, jwks }) => [issuer, jwks.kids]), [[a.server.url, [a.pair.kid]], [b.server.url, [b.pair.kid]]])
  c.server.behave('all', 'status', { status: 503 })
  const partly = bearer.auth({ audience: AUDIENCE, mcd: { issuers: [a.server.url, c.server.url] }, ...fast })
  assert.equal((await partly.ready().then(() => null, (e) => e)).kind, 'keys_unavailable')
})

test('with an mcd resolver, stats() lists the issuers requests have named so far', async (t) => {
  h.withEnv(t, ENV_NAMES)
  const { server, pair } = await idp(t)
  const checkJwt = bearer.auth({ audience: AUDIENCE, mcd: { issuers: () => [server.url] }, ...fast })
  await checkJwt.ready()
  assert.deepEqual(checkJwt.stats(), { issuers: [] })
  const app = express()
  app.get('/api', checkJwt, (req, res) => res.json({ sub: req.auth.payload.sub }))
  const api = http.createServer(app)
  await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => api.close(resolve)))
  const token = h.sign(h.claims({ iss: server.issuer }), pair)
  const res = await h.request(`http://127.0.0.1:${api.address().port}/api`, { headers: { authorization: `Bearer ${token}` } })
  assert.equal(res.status, 200)
  assert.deepEqual(checkJwt.stats().issuers.map(({ issuer, jwks }) => [issuer, jwks.kids]), [[server.url, [pair.kid]]])
})
