'use strict'
/**
 * A hung identity provider never leaves a request unanswered. Cold start, nothing cached, every
 * endpoint (both well-known URLs and the JWKS) accepts the connection and never answers: each
 * verification is rejected `keys_unavailable` within one discovery (two URLs, each within
 * `timeoutDuration`) plus a margin, whether it started the discovery, joined it in flight, or
 * arrived during the backoff after it failed; once the provider answers again, a token is accepted
 * within a second. The same through the Express middleware. Real loopback servers throughout.
 */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const express = require('express')
const bearer = require('..')
const h = require('./helpers')

const TIMEOUT_MS = 500
const COOLDOWN_MS = 1000
/** One discovery: the OpenID Connect URL, then the RFC 8414 URL, each within the timeout. */
const DISCOVERY_BOUND_MS = 2 * TIMEOUT_MS
/** Scheduling slack on a loaded 2-core machine. */
const MARGIN_MS = 400
const ENV_NAMES = ['ISSUER_BASE_URL', 'AUDIENCE', 'ISSUER', 'JWKS_URI', 'SECRET', 'TOKEN_SIGNING_ALG']
const options = (idp) => ({ issuerBaseURL: idp.url, audience: h.DEFAULT_AUDIENCE, timeoutDuration: TIMEOUT_MS, cooldownDuration: COOLDOWN_MS })
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** How long `settle()` took and what it settled to: `{ ms, value }` or `{ ms, error }`. */
async function timed (settle) {
  const started = performance.now()
  try {
    const value = await settle()
    return { ms: performance.now() - started, value }
  } catch (error) {
    return { ms: performance.now() - started, error }
  }
}

/** Three calls 300 ms apart (the first starts discovery, the others join it or follow it), timed each. */
async function threeCalls (call) {
  const pending = []
  for (let i = 0; i < 3; i++) {
    pending.push(timed(call))
    await sleep(300)
  }
  return Promise.all(pending)
}

/** Retries `accepted()` every 50 ms until it is true; returns the ms it took, or fails after `limitMs`. */
async function msUntil (accepted, limitMs) {
  const started = performance.now()
  while (performance.now() - started < limitMs) {
    if (await accepted()) return performance.now() - started
    await sleep(50)
  }
  assert.fail(`not accepted within ${limitMs} ms`)
}

async function hungIdp (t) {
  const pair = h.freshKeyPair('RS256')
  const idp = await h.startIdp({ jwks: h.jwks(pair) })
  t.after(() => idp.close())
  idp.behave('all', 'hang')
  return { idp, token: h.sign(h.claims({ iss: idp.issuer }), pair) }
}

test('verify(): every call during a hung discovery is answered keys_unavailable within one discovery, and a token is accepted within a second of recovery', async (t) => {
  const { idp, token } = await hungIdp(t)
  const verifier = bearer.createVerifier(options(idp))
  const outcomes = await threeCalls(() => verifier.verify(token))
  for (const [i, { ms, error }] of outcomes.entries()) {
    assert.equal(error?.kind, 'keys_unavailable', `call ${i + 1}`)
    assert.ok(ms < DISCOVERY_BOUND_MS + MARGIN_MS, `call ${i + 1} answered after ${Math.round(ms)} ms`)
  }
  assert.ok(idp.counts.discovery <= 2, `one discovery (two URLs) for all three calls, saw ${idp.counts.discovery} requests`)
  idp.behave('all', 'ok')
  const ms = await msUntil(() => verifier.verify(token).then(() => true, () => false), COOLDOWN_MS + MARGIN_MS)
  assert.ok(ms <= COOLDOWN_MS + MARGIN_MS)
})

test('ready() during a hung discovery rejects within one discovery instead of retrying', async (t) => {
  const { idp } = await hungIdp(t)
  const { ms, error } = await timed(() => bearer.createVerifier(options(idp)).ready())
  assert.equal(error?.kind, 'keys_unavailable')
  assert.ok(ms < DISCOVERY_BOUND_MS + MARGIN_MS, `answered after ${Math.round(ms)} ms`)
})

test('auth(): every request during a hung discovery gets a 401 invalid_token within one discovery, and 200 within a second of recovery', async (t) => {
  h.withEnv(t, ENV_NAMES)
  const { idp, token } = await hungIdp(t)
  const app = express()
  app.get('/api/private', bearer.auth(options(idp)), (req, res) => res.json({ sub: req.auth.payload.sub }))
  const server = http.createServer(app)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const url = `http://127.0.0.1:${server.address().port}/api/private`
  const get = () => h.request(url, { headers: { authorization: `Bearer ${token}` } })
  const outcomes = await threeCalls(get)
  for (const [i, { ms, value }] of outcomes.entries()) {
    assert.equal(value.status, 401, `request ${i + 1}`)
    assert.match(value.headers['www-authenticate'], /error="invalid_token"/)
    assert.ok(ms < DISCOVERY_BOUND_MS + MARGIN_MS, `request ${i + 1} answered after ${Math.round(ms)} ms`)
  }
  idp.behave('all', 'ok')
  const ms = await msUntil(async () => (await get()).status === 200, COOLDOWN_MS + MARGIN_MS)
  assert.ok(ms <= COOLDOWN_MS + MARGIN_MS)
})
