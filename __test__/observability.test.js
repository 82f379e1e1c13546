'use strict'
/**
 * Observability: a stable kind on every failure (each reachable, each documented), the cache's
 * stats and diagnostics_channel events through a real outage, and no token in any of it.
 */
const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync, spawnSync } = require('node:child_process')
const diagnostics = require('node:diagnostics_channel')
const express = require('express')
const { createVerifier, errorKinds, auth, requiredScopes, claimEquals } = require('..')
const h = require('./helpers')

const NOW = 1_750_000_000
const claims = (overrides) => h.claims(overrides, { now: NOW })
const rsa = h.keyPair('RS256')
const base = { issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, currentDate: NOW * 1000 }
const local = createVerifier({ ...base, jwks: h.jwks(rsa) })
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits up to 2 s for `predicate()`: native events reach JS asynchronously. */
async function eventually (predicate) {
  for (let waited = 0; !predicate() && waited < 2000; waited += 10) await sleep(10)
  assert.ok(predicate(), 'the expected event never arrived')
}

/** The kind a verification of `token` fails with. */
async function kindOf (verifier, token) {
  const err = await verifier.verify(token).then(() => null, (e) => e)
  return err?.kind
}

/**
 * The kind the last of `times` identical requests to an app protected by `middlewares` fails with;
 * `init` is fetch's init, or a function of the request URL returning it (for DPoP proofs).
 */
async function requestKind (middlewares, init, times = 1) {
  const app = express()
  let kind
  app.get('/', ...middlewares, (req, res) => res.end())
  app.use((err, req, res, next) => { kind = err.kind; res.status(err.status).end() })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const url = `http://127.0.0.1:${server.address().port}/`
  const request = typeof init === 'function' ? init(url) : init
  try {
    for (let i = 0; i < times; i++) await fetch(url, request)
  } finally {
    server.close()
  }
  return kind
}

const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } })
const checkJwt = (extra) => auth({ ...base, jwks: h.jwks(rsa), ...extra })

/** A client's DPoP key, as a client sends it, and its RFC 7638 thumbprint. */
function dpopKey () {
  const pair = h.freshKeyPair('ES256')
  const { kid, alg, use, ...publicJwk } = pair.publicJwk
  const members = JSON.stringify({ crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y })
  return { ...pair, publicJwk, jkt: require('node:crypto').createHash('sha256').update(members).digest('base64url') }
}

/** `Authorization: DPoP <token>` with a proof by `key` for GET `url`; `claims` override the proof's. */
function dpop (key, token, claims = {}) {
  return (url) => {
    const ath = require('node:crypto').createHash('sha256').update(token).digest('base64url')
    const proof = h.sign({ jti: `${Math.random()}`, htm: 'GET', htu: url, iat: NOW, ath, ...claims }, { ...key, kid: undefined, header: { typ: 'dpop+jwt', jwk: key.publicJwk } })
    return { headers: { authorization: `DPoP ${token}`, dpop: proof } }
  }
}

const client = dpopKey()
const bound = (key = client) => h.sign(claims({ cnf: { jkt: key.jkt } }), rsa)

/** For every kind, a way to make a request fail with it. */
const PRODUCERS = {
  token_missing: () => requestKind([checkJwt()]),
  request_invalid: () => requestKind([checkJwt()], { headers: { authorization: 'Bearer' } }),
  insufficient_scope: () => requestKind([checkJwt(), requiredScopes('admin')], bearer(h.sign(claims(), rsa))),
  claim_check_failed: () => requestKind([checkJwt(), claimEquals('org_id', 'acme')], bearer(h.sign(claims({ org_id: 'other' }), rsa))),
  token_too_large: () => kindOf(local, 'a'.repeat(20_000)),
  token_malformed: () => kindOf(local, 'a.b'),
  algorithm_not_allowed: () => kindOf(local, h.compact(h.segment({ alg: 'none' }), h.segment(claims()), '')),
  crit_unsupported: () => kindOf(local, h.sign(claims(), { ...rsa, header: { crit: ['x'], x: 1 } })),
  key_not_found: () => kindOf(local, h.sign(claims(), { ...rsa, kid: 'nope' })),
  signature_invalid: () => kindOf(local, h.sign(claims(), { ...h.freshKeyPair('RS256'), kid: rsa.kid })),
  token_expired: () => kindOf(local, h.sign(claims({ exp: NOW - 60 }), rsa)),
  token_not_yet_valid: () => kindOf(local, h.sign(claims({ nbf: NOW + 60 }), rsa)),
  token_too_old: () => kindOf(createVerifier({ ...base, maxTokenAge: 10, jwks: h.jwks(rsa) }), h.sign(claims({ iat: NOW - 60 }), rsa)),
  token_issued_in_future: () => kindOf(local, h.sign(claims({ iat: NOW + 60 }), rsa)),
  issuer_mismatch: () => kindOf(local, h.sign(claims({ iss: 'https://other.example/' }), rsa)),
  audience_mismatch: () => kindOf(local, h.sign(claims({ aud: 'https://other.example' }), rsa)),
  claim_missing: () => kindOf(local, h.sign(claims({ exp: undefined }), rsa)),
  claim_invalid: () => kindOf(local, h.sign(claims({ sub: 42 }), rsa)),
  typ_invalid: () => kindOf(createVerifier({ ...base, strict: true, jwks: h.jwks(rsa) }), h.sign(claims(), rsa)),
  dpop_proof_invalid: () => requestKind([checkJwt()], dpop(client, bound(), { htm: 'POST' })),
  dpop_proof_replayed: () => {
    const replayed = dpop(client, bound())
    let first
    return requestKind([checkJwt()], (url) => (first ??= replayed(url)), 2)
  },
  dpop_nonce_required: () => requestKind([checkJwt({ dpop: { nonce: true, nonceSecret: 'n'.repeat(32) } })], dpop(client, bound())),
  binding_mismatch: () => requestKind([checkJwt()], dpop(dpopKey(), bound())),
  dpop_scheme_required: () => requestKind([checkJwt()], bearer(bound())),
  token_unbound: () => requestKind([checkJwt()], dpop(client, h.sign(claims(), rsa))),
  certificate_required: () => requestKind([checkJwt({ mtls: { enabled: true } })], bearer(h.sign(claims({ cnf: { 'x5t#S256': 'A'.repeat(43) } }), rsa))),
  keys_unavailable: async () => {
    const port = await h.unusedPort()
    return kindOf(createVerifier({ ...base, jwksUri: `http://127.0.0.1:${port}/jwks` }), h.sign(claims(), rsa))
  }
}

describe('failure kinds', () => {
  test('every kind has a way to reach it here', () => {
    assert.deepEqual(Object.keys(PRODUCERS).sort(), [...errorKinds].sort())
  })

  for (const [kind, produce] of Object.entries(PRODUCERS)) {
    test(`${kind} is reachable`, async () => {
      assert.equal(await produce(), kind)
    })
  }

  test('the README table lists exactly the kinds of errorKinds', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')
    const table = readme.slice(readme.indexOf('## Errors'), readme.indexOf('## Architecture'))
    const documented = [...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1])
    assert.deepEqual(documented.sort(), [...errorKinds].sort())
  })
})

describe('diagnostics channels and stats during an outage', () => {
  test('report fetches, failures, stale serving, rotation and recovery (channels are process-wide: only this test\'s JWKS counts)', async () => {
    const idp = await h.startIdp({ jwks: h.jwks(rsa) })
    const published = []
    const names = ['jwks:fetch', 'jwks:error', 'jwks:stale', 'jwks:rotated'].map((n) => `bearer-rs:${n}`)
    const listeners = names.map((name) => {
      const listener = (message) => { if (message.uri === idp.jwksUri) published.push({ name, message }) }
      diagnostics.subscribe(name, listener)
      return [name, listener]
    })
    try {
      const verifier = createVerifier({ ...base, jwksUri: idp.jwksUri, cacheMaxAge: 0, cooldownDuration: 30 })
      await verifier.ready()
      idp.behave('jwks', 'status', { status: 502 })
      for (let i = 0; i < 4; i++) {
        assert.ok(await verifier.verify(h.sign(claims(), rsa)))
        await sleep(40)
      }
      const during = verifier.stats().jwks
      assert.equal(during.stale, true)
      assert.ok(during.failures >= 1 && during.lastError === 'HTTP status 502' && during.lastFailure > 0)
      assert.ok(during.staleUntil > Date.now())
      const next = h.freshKeyPair('ES256')
      idp.setJwks(h.jwks(rsa, next))
      idp.behave('jwks', 'ok')
      await sleep(40)
      assert.ok(await verifier.verify(h.sign(claims(), next)))
      await eventually(() => published.some((p) => p.name === 'bearer-rs:jwks:rotated'))
      const kinds = published.map((p) => p.name)
      assert.ok(kinds.includes('bearer-rs:jwks:fetch'))
      assert.ok(kinds.includes('bearer-rs:jwks:error'))
      assert.equal(kinds.filter((k) => k === 'bearer-rs:jwks:stale').length, 1, 'stale is reported once per episode')
      const rotated = published.find((p) => p.name === 'bearer-rs:jwks:rotated').message
      assert.deepEqual(rotated, { uri: idp.jwksUri, added: [next.kid], removed: [] })
      const error = published.find((p) => p.name === 'bearer-rs:jwks:error').message
      assert.deepEqual(error, { uri: idp.jwksUri, cause: 'HTTP status 502', keysHeld: true })
      assert.equal(verifier.stats().jwks.stale, false)
    } finally {
      for (const [name, listener] of listeners) diagnostics.unsubscribe(name, listener)
      await idp.close()
    }
  })

  test('every refused token is published with its kind and claim', async () => {
    const seen = []
    const listener = (message) => seen.push(message)
    diagnostics.subscribe('bearer-rs:token:rejected', listener)
    try {
      await local.verify(h.sign(claims({ aud: 'https://elsewhere.example' }), rsa)).catch(() => {})
      assert.deepEqual(seen, [{ kind: 'audience_mismatch', status: 401, code: 'invalid_token', claim: 'aud' }])
    } finally {
      diagnostics.unsubscribe('bearer-rs:token:rejected', listener)
    }
  })
})

test('no channel message or NODE_DEBUG line contains a token or its signature', () => {
  const script = `
    const dc = require('node:diagnostics_channel')
    const out = []
    for (const n of ['jwks:fetch', 'jwks:error', 'jwks:stale', 'jwks:rotated', 'discovery:error', 'token:rejected']) {
      dc.subscribe('bearer-rs:' + n, (m) => out.push(JSON.stringify(m)))
    }
    const { createVerifier } = require(${JSON.stringify(path.join(__dirname, '..'))})
    const h = require(${JSON.stringify(path.join(__dirname, 'helpers'))})
    const pair = h.keyPair('ES256')
    const tokens = [h.sign(h.claims(), pair), h.sign(h.claims({ exp: 1 }), pair), h.sign(h.claims(), h.freshKeyPair('ES256'))]
    ;(async () => {
      const idp = await h.startIdp({ jwks: h.jwks(pair) })
      const v = createVerifier({ issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, jwksUri: idp.jwksUri })
      for (const t of tokens) await v.verify(t).catch(() => {})
      await idp.close()
      console.log(JSON.stringify({ tokens, out }))
    })()`
  const run = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_DEBUG: 'bearer-rs' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const { tokens, out } = JSON.parse(run.trim().split('\n').pop())
  assert.ok(out.length >= 3, 'events were published')
  for (const token of tokens) {
    const signature = token.split('.')[2]
    for (const line of out) assert.ok(!line.includes(signature) && !line.includes(token))
  }
})

test('NODE_DEBUG=bearer-rs writes debug lines without tokens', () => {
  const token = h.sign(claims({ exp: 1 }), rsa)
  const script = `
    const { createVerifier } = require(${JSON.stringify(path.join(__dirname, '..'))})
    try { createVerifier(${JSON.stringify({ ...base, jwks: h.jwks(rsa) })}).verifySync(${JSON.stringify(token)}) } catch {}`
  const { stderr } = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_DEBUG: 'bearer-rs' }, encoding: 'utf8' })
  assert.match(stderr, /BEARER-RS \d+: rejected kind=token_expired status=401 claim=exp/)
  assert.ok(!stderr.includes(token.split('.')[2]))
})
