'use strict'
/**
 * Re-verifies, with node:crypto alone, every signature in the RFC vector files that the Rust tests
 * expect to verify, and checks that a flipped bit breaks it: an independent check of the data.
 * Run: node tests/vectors/check-with-node.js
 */
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const HASH = { HS256: 'sha256', RS256: 'sha256', PS384: 'sha384', ES256: 'sha256', ES512: 'sha512', EdDSA: null }

function verifies (alg, jwk, jws) {
  const [header, payload, signature] = jws.split('.')
  const input = Buffer.from(`${header}.${payload}`)
  const sig = Buffer.from(signature, 'base64url')
  if (alg === 'HS256') return crypto.timingSafeEqual(crypto.createHmac('sha256', Buffer.from(jwk.k, 'base64url')).update(input).digest(), sig)
  const { kty, crv, n, e, x, y } = jwk
  const key = crypto.createPublicKey({ format: 'jwk', key: { kty, crv, n, e, x, y } })
  if (alg.startsWith('PS')) return crypto.verify(HASH[alg], input, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, sig)
  if (alg.startsWith('ES')) return crypto.verify(HASH[alg], input, { key, dsaEncoding: 'ieee-p1363' }, sig)
  return crypto.verify(HASH[alg], input, key, sig)
}

let checked = 0
for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.json'))) {
  for (const v of JSON.parse(fs.readFileSync(path.join(__dirname, file))).vectors) {
    if (!(v.alg in HASH) || !v.jws.includes('.') || v.jws.split('.')[1] === '') continue
    assert.ok(verifies(v.alg, v.key, v.jws), `${v.section}: the published signature verifies`)
    const [header, payload, signature] = v.jws.split('.')
    const sig = Buffer.from(signature, 'base64url')
    sig[sig.length >> 1] ^= 0x10
    const flipped = `${header}.${payload}.${sig.toString('base64url')}`
    assert.ok(!verifies(v.alg, v.key, flipped), `${v.section}: a changed signature does not`)
    checked++
  }
}
console.log(`${checked} published signatures verified with node:crypto`)
