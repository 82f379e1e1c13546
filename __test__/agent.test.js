'use strict'
/**
 * The `agent` option: discovery and JWKS requests go through the application's http.Agent, while
 * the native cache keeps its policy (redirect rule, size cap, timeout, sharing).
 */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { createVerifier } = require('..')
const h = require('./helpers')

const NOW = 1_750_000_000
const claims = () => h.claims({}, { now: NOW })
const options = (idp, agent, extra) => ({ jwksUri: idp.jwksUri, issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, currentDate: NOW * 1000, agent, timeoutDuration: 300, ...extra })

/** An agent that counts the connections it opens. */
class CountingAgent extends http.Agent {
  connections = 0
  createConnection (...args) {
    this.connections++
    return super.createConnection(...args)
  }
}

async function withIdp (fn) {
  const idp = await h.startIdp({ jwks: h.jwks(h.keyPair('RS256')) })
  try {
    await fn(idp)
  } finally {
    await idp.close()
  }
}

test('discovery and JWKS requests go through the given agent', async () => {
  await withIdp(async (idp) => {
    const agent = new CountingAgent()
    const verifier = createVerifier({ issuerBaseURL: idp.url, audience: h.DEFAULT_AUDIENCE, currentDate: NOW * 1000, agent })
    assert.ok(await verifier.verify(h.sign({ ...claims(), iss: idp.issuer }, h.keyPair('RS256'))))
    assert.ok(agent.connections >= 1)
    assert.deepEqual(idp.counts, { discovery: 1, jwks: 1, total: 2 })
    assert.match(idp.requests[1].headers['user-agent'], /^bearer-rs\//)
  })
})

test('verifiers given the same agent share one key cache', async () => {
  await withIdp(async (idp) => {
    const agent = new CountingAgent()
    await createVerifier(options(idp, agent)).ready()
    assert.ok(createVerifier(options(idp, agent, { clockTolerance: 1 })).verifySync(h.sign(claims(), h.keyPair('RS256'))))
    assert.equal(idp.counts.jwks, 1)
  })
})

test('the redirect rule still applies to requests made through the agent', async () => {
  await withIdp(async (idp) => {
    idp.behave('jwks', 'redirect', { location: 'http://idp.example.com/jwks' })
    const err = await createVerifier(options(idp, new http.Agent())).verify(h.sign(claims(), h.keyPair('RS256'))).catch((e) => e)
    assert.equal(err.kind, 'keys_unavailable')
    assert.match(err.cause.message, /redirect refused/)
  })
})

test('the response size cap still applies, and the body is not buffered past it', async () => {
  await withIdp(async (idp) => {
    idp.behave('jwks', 'huge', { bytes: 10 * 1024 * 1024 })
    const err = await createVerifier(options(idp, new http.Agent(), { maxResponseSize: 4096 })).verify(h.sign(claims(), h.keyPair('RS256'))).catch((e) => e)
    assert.match(err.cause.message, /response larger than 4096 bytes/)
  })
})

test('a hanging server through the agent fails after timeoutDuration', async () => {
  await withIdp(async (idp) => {
    idp.behave('jwks', 'hang')
    const err = await createVerifier(options(idp, new http.Agent())).verify(h.sign(claims(), h.keyPair('RS256'))).catch((e) => e)
    assert.match(err.cause.message, /timeout after 300 ms/)
  })
})

test('an agent that is not an object is refused at construction', () => {
  assert.throws(() => createVerifier({ jwksUri: 'https://idp.example/jwks', issuer: 'i', audience: 'a', agent: 'proxy' }), /'agent' must be an http.Agent/)
})

test('refreshes through the agent are conditional too: a 304 renews the keys held', async () => {
  await withIdp(async (idp) => {
    const verifier = createVerifier(options(idp, new CountingAgent(), { cacheMaxAge: 150, cooldownDuration: 50, tokenCache: false }))
    const token = h.sign(claims(), h.keyPair('RS256'))
    assert.ok(await verifier.verify(token))
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.ok(await verifier.verify(token))
    for (let i = 0; i < 100 && idp.notModified === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(idp.notModified, 1)
    assert.match(idp.requests[1].headers['if-none-match'], /^"[\w-]+"$/)
    assert.equal(verifier.stats().jwks.notModified, 1)
  })
})
