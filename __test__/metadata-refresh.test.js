'use strict'
/**
 * Discovered metadata has a ttl (`discoveryMaxAge`; `cache.discovery.ttl` in `auth()`, default
 * `cacheMaxAge`), kept by the same policy as keys: after it, the next token starts a background
 * re-fetch while the previous good copy keeps serving, during an outage too; new metadata with a
 * changed `jwks_uri` switches the key source. `cache.jwks.ttl` is the keys' ttl. Real loopback
 * identity providers throughout.
 */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const express = require('express')
const bearer = require('..')
const h = require('./helpers')

const TTL_MS = 300
const ENV_NAMES = ['ISSUER_BASE_URL', 'AUDIENCE', 'ISSUER', 'JWKS_URI', 'SECRET', 'TOKEN_SIGNING_ALG']
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function idp (t, pair = h.freshKeyPair('RS256')) {
  const server = await h.startIdp({ jwks: h.jwks(pair) })
  t.after(() => server.close())
  return { server, pair, token: (signer = pair) => h.sign(h.claims({ iss: server.issuer }), signer) }
}

/** Polls `condition()` every 20 ms; fails after `limitMs`. */
async function eventually (condition, limitMs, what) {
  const started = Date.now()
  while (!(await condition())) {
    if (Date.now() - started > limitMs) assert.fail(`${what}: not within ${limitMs} ms`)
    await sleep(20)
  }
}

const accepts = (verifier, token) => verifier.verify(token).then(() => true, () => false)

test('after discoveryMaxAge the next token re-fetches the metadata in the background, and is accepted meanwhile', async (t) => {
  const { server, token } = await idp(t)
  const verifier = bearer.createVerifier({ issuerBaseURL: server.url, audience: h.DEFAULT_AUDIENCE, discoveryMaxAge: TTL_MS, cooldownDuration: 100 })
  await verifier.verify(token())
  assert.equal(server.counts.discovery, 1)
  await verifier.verify(token())
  assert.equal(server.counts.discovery, 1, 'fresh metadata is not fetched again')
  await sleep(TTL_MS)
  assert.ok(await verifier.verify(token()), 'accepted with the aging metadata')
  await eventually(() => server.counts.discovery === 2, 2000, 'a background discovery')
  assert.equal(server.counts.jwks, 1, 'unchanged metadata keeps the same key set')
})

test('while discovery fails after start-up, the previous metadata keeps serving and refreshes are retried', async (t) => {
  const { server, token } = await idp(t)
  const verifier = bearer.createVerifier({ issuerBaseURL: server.url, audience: h.DEFAULT_AUDIENCE, discoveryMaxAge: TTL_MS, cooldownDuration: 200 })
  await verifier.ready()
  server.behave('discovery', 'status', { status: 503 })
  const deadline = Date.now() + 3 * TTL_MS
  while (Date.now() < deadline) {
    assert.ok(await verifier.verify(token()))
    await sleep(25)
  }
  assert.ok(verifier.stats().discoveryFetches > 1, 'refreshes were attempted')
  server.behave('discovery', 'ok')
  const before = server.counts.discovery
  await eventually(async () => (await accepts(verifier, token())) && server.counts.discovery > before, 2000, 'a refresh after recovery')
})

test('new metadata with another jwks_uri switches the key source', async (t) => {
  const { server, token } = await idp(t)
  const next = await idp(t)
  const verifier = bearer.createVerifier({ issuerBaseURL: server.url, audience: h.DEFAULT_AUDIENCE, discoveryMaxAge: TTL_MS, cooldownDuration: 100 })
  assert.ok(await verifier.verify(token()))
  server.setDiscovery({ ...server.discovery, jwks_uri: next.server.jwksUri })
  await sleep(TTL_MS)
  const rotated = token(next.pair)
  await eventually(() => accepts(verifier, rotated), 2000, 'a token of the new key set')
  assert.equal(next.server.counts.jwks, 1)
  assert.equal(verifier.stats().jwks.uri, next.server.jwksUri)
})

test('auth(): cache.discovery.ttl and cache.jwks.ttl are honoured, over HTTP', async (t) => {
  h.withEnv(t, ENV_NAMES)
  const { server, token } = await idp(t)
  const checkJwt = bearer.auth({ issuerBaseURL: server.url, audience: h.DEFAULT_AUDIENCE, cooldownDuration: 100, cache: { discovery: { ttl: TTL_MS }, jwks: { ttl: TTL_MS } }, tokenCache: false })
  const app = express()
  app.get('/api/private', checkJwt, (req, res) => res.json({ ok: true }))
  const api = http.createServer(app)
  await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => api.close(resolve)))
  const get = () => h.request(`http://127.0.0.1:${api.address().port}/api/private`, { headers: { authorization: `Bearer ${token()}` } })
  assert.equal((await get()).status, 200)
  assert.deepEqual(server.counts, { discovery: 1, jwks: 1, total: 2 })
  await sleep(TTL_MS)
  assert.equal((await get()).status, 200)
  await eventually(async () => server.counts.discovery >= 2 && server.counts.jwks >= 2, 2000, 'both re-fetched')
})
