'use strict'
/**
 * The verified-token cache: repeated tokens skip the native verification while valid; time rules
 * still apply to every hit; entries of remote keys go when the keys change; bounded; opt-out.
 */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { createVerifier } = require('..')
const h = require('./helpers')

const NOW = 1_750_000_000
const rsa = h.keyPair('RS256')
const claims = (overrides) => h.claims(overrides, { now: NOW })

/** A verifier whose clock the test moves. */
function withClock (extra = {}) {
  const clock = { ms: NOW * 1000 }
  const verifier = createVerifier({ issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, jwks: h.jwks(rsa), currentDate: () => clock.ms, ...extra })
  return { verifier, clock }
}

test('a repeated token is answered from the cache with an equal result, sync and async', async () => {
  const { verifier } = withClock()
  const token = h.sign(claims(), rsa)
  const first = verifier.verifySync(token)
  assert.deepEqual(verifier.verifySync(token), first)
  assert.deepEqual(await verifier.verify(token), first)
  const { hits, misses, size } = verifier.stats().tokenCache
  assert.deepEqual({ hits, misses, size }, { hits: 2, misses: 1, size: 1 })
})

test('a hit never outlives exp, nor precedes nbf (clock tolerance included)', () => {
  const { verifier, clock } = withClock()
  const token = h.sign(claims({ nbf: NOW + 10, exp: NOW + 60 }), rsa)
  clock.ms = (NOW + 5) * 1000
  assert.ok(verifier.verifySync(token))
  clock.ms = (NOW + 64) * 1000
  assert.ok(verifier.verifySync(token), 'within the 5 s tolerance')
  clock.ms = (NOW + 65) * 1000
  assert.throws(() => verifier.verifySync(token), (e) => e.kind === 'token_expired')
  clock.ms = (NOW + 4) * 1000
  assert.throws(() => verifier.verifySync(token), (e) => e.kind === 'token_not_yet_valid')
})

test('a hit honours maxTokenAge', () => {
  const { verifier, clock } = withClock({ maxTokenAge: 30 })
  const token = h.sign(claims({ iat: NOW }), rsa)
  assert.ok(verifier.verifySync(token))
  clock.ms = (NOW + 35) * 1000
  assert.throws(() => verifier.verifySync(token), (e) => e.kind === 'token_too_old')
})

test('failures are never cached', () => {
  const { verifier } = withClock()
  const forged = h.sign(claims(), { ...h.freshKeyPair('RS256'), kid: rsa.kid })
  for (let i = 0; i < 3; i++) assert.throws(() => verifier.verifySync(forged), (e) => e.kind === 'signature_invalid')
  assert.equal(verifier.stats().tokenCache.size, 0)
})

test('a token sharing a cached token\'s signature suffix is verified, not served', () => {
  const { verifier } = withClock()
  const token = h.sign(claims(), rsa)
  verifier.verifySync(token)
  const [, payload, signature] = token.split('.')
  const lookalike = [h.segment({ alg: 'RS256', kid: rsa.kid, typ: 'at+jwt' }), payload, signature].join('.')
  assert.throws(() => verifier.verifySync(lookalike), (e) => e.kind === 'signature_invalid')
})

test('a first verification\'s result is the caller\'s own; hits share only frozen nested values', () => {
  const { verifier } = withClock()
  const token = h.sign(claims({ aud: [h.DEFAULT_AUDIENCE, 'https://other.example'], roles: ['editor'] }), rsa)
  const first = verifier.verifySync(token)
  first.payload.sub = 'changed'
  first.payload.roles.push('admin')
  const second = verifier.verifySync(token)
  assert.equal(second.payload.sub, claims().sub)
  assert.deepEqual(second.payload.roles, ['editor'])
  second.payload.sub = 'changed again'
  assert.throws(() => second.payload.roles.push('admin'), TypeError)
  const third = verifier.verifySync(token)
  assert.equal(third.payload.sub, claims().sub)
  assert.equal(third.payload.roles, second.payload.roles)
})

test('is bounded in entries and bytes, dropping the oldest first', () => {
  const { verifier } = withClock({ tokenCache: { maxEntries: 4, maxBytes: 1_000_000 } })
  const tokens = Array.from({ length: 6 }, (_, i) => h.sign(claims({ sub: `user-${i}` }), rsa))
  tokens.forEach((t) => verifier.verifySync(t))
  const { size, evictions } = verifier.stats().tokenCache
  assert.deepEqual({ size, evictions }, { size: 4, evictions: 2 })
  const hits = () => verifier.stats().tokenCache.hits
  verifier.verifySync(tokens[5])
  assert.equal(hits(), 1, 'the newest is held')
  verifier.verifySync(tokens[0])
  assert.equal(hits(), 1, 'the oldest was dropped')
  for (const maxEntries of [1, 2, 3]) {
    const tiny = withClock({ tokenCache: { maxEntries, maxBytes: 1_000_000 } }).verifier
    tokens.forEach((t) => {
      tiny.verifySync(t)
      assert.ok(tiny.stats().tokenCache.size <= maxEntries, `maxEntries ${maxEntries}`)
    })
    tiny.verifySync(tokens[5])
    assert.equal(tiny.stats().tokenCache.hits, 1, `maxEntries ${maxEntries}: the newest is held`)
  }
  for (const maxBytes of [4000, 7000, 20000]) {
    const small = withClock({ tokenCache: { maxEntries: 100, maxBytes } }).verifier
    tokens.forEach((t) => {
      small.verifySync(t)
      assert.ok(small.stats().tokenCache.bytes <= maxBytes, `maxBytes ${maxBytes}`)
    })
  }
})

test('a hit keeps its token in the cache while newer tokens push older ones out', () => {
  const { verifier } = withClock({ tokenCache: { maxEntries: 4, maxBytes: 1_000_000 } })
  const hot = h.sign(claims({ sub: 'hot' }), rsa)
  verifier.verifySync(hot)
  for (let i = 0; i < 20; i++) {
    verifier.verifySync(h.sign(claims({ sub: `cold-${i}` }), rsa))
    verifier.verifySync(hot)
  }
  assert.equal(verifier.stats().tokenCache.hits, 20)
})

test('tokenCache: false verifies every time', () => {
  const { verifier } = withClock({ tokenCache: false })
  const token = h.sign(claims(), rsa)
  verifier.verifySync(token)
  verifier.verifySync(token)
  assert.equal(verifier.stats().tokenCache, null)
})

test('entries of remote keys are dropped when the key set changes', async () => {
  const idp = await h.startIdp({ jwks: h.jwks(rsa) })
  try {
    const verifier = createVerifier({ issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, jwksUri: idp.jwksUri, currentDate: NOW * 1000, cooldownDuration: 0 })
    const token = h.sign(claims(), rsa)
    assert.ok(await verifier.verify(token))
    assert.ok(await verifier.verify(token))
    assert.equal(verifier.stats().tokenCache.hits, 1)
    const next = h.freshKeyPair('ES256')
    idp.setJwks(h.jwks(next))
    assert.ok(await verifier.verify(h.sign(claims(), next)), 'the new key is fetched')
    for (let waited = 0; waited < 2000; waited += 10) {
      const err = await verifier.verify(token).then(() => null, (e) => e)
      if (err) return assert.equal(err.kind, 'key_not_found')
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    assert.fail('the token of the removed key was still served from the cache')
  } finally {
    await idp.close()
  }
})
