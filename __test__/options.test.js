'use strict'
/** Misuse fails at construction with a TypeError naming the option; nothing is left to the first token. */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { createVerifier } = require('..')
const h = require('./helpers')

const base = { issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, jwks: h.jwks(h.keyPair('ES256')) }

function rejectsOption (options, pattern) {
  assert.throws(() => createVerifier(options), (err) => err instanceof TypeError && pattern.test(err.message))
}

test('options must be an object', () => {
  rejectsOption(undefined, /options must be an object/)
})

test('issuer and audience are required', () => {
  rejectsOption({ ...base, issuer: undefined }, /^'issuer' is required/)
  rejectsOption({ ...base, audience: [] }, /^'audience' is required/)
  rejectsOption({ ...base, issuer: '' }, /^'issuer' must not be an empty string/)
})

test('some key material is required, and only one kind of it', () => {
  rejectsOption({ ...base, jwks: undefined }, /^'issuerBaseURL' or 'jwksUri', 'secret', 'jwks' or 'publicKey' is required: no key to verify with/)
  rejectsOption({ ...base, secret: 'x'.repeat(32), algorithms: ['HS256'] }, /mutually exclusive/)
})

test('algorithms must be supported, never none, and not mix HMAC with public keys', () => {
  rejectsOption({ ...base, algorithms: ['none'] }, /^'algorithms' contains unsupported algorithm "none"/)
  rejectsOption({ ...base, algorithms: ['ES256', 'HS256'] }, /^'algorithms' contains HS256, but HS256\/384\/512 need 'secret'/)
  rejectsOption({ ...base, algorithms: 'ES256', tokenSigningAlg: 'ES256' }, /not both/)
})

test('a secret needs a pinned HMAC algorithm and at least the hash length', () => {
  const options = { issuer: base.issuer, audience: base.audience }
  rejectsOption({ ...options, secret: 'x'.repeat(32) }, /^'algorithms' is required with 'secret'/)
  rejectsOption({ ...options, secret: 'too short', tokenSigningAlg: 'HS256' }, /^'secret' must be at least 32 bytes for HS256/)
  assert.ok(createVerifier({ ...options, secret: 'x'.repeat(32), tokenSigningAlg: 'HS256' }))
})

test('a JWK Set with no usable key is refused, with the reason for each key', () => {
  const weak = h.freshKeyPair('RS256', { modulusLength: 1024 })
  rejectsOption({ ...base, jwks: h.jwks(weak) }, /^'jwks' has no usable key: .*RSA modulus of 1024 bits/)
})

test('a private key is refused as publicKey', () => {
  const pem = h.keyPair('ES256').privateKey.export({ type: 'pkcs8', format: 'pem' })
  rejectsOption({ ...base, jwks: undefined, publicKey: pem }, /^'publicKey' must be a public key/)
})

test('numbers, booleans and lists are type-checked by name', () => {
  rejectsOption({ ...base, clockTolerance: '5' }, /^'clockTolerance' must be a number/)
  rejectsOption({ ...base, clockTolerance: -1 }, /^'clockTolerance' must be a finite, non-negative number/)
  rejectsOption({ ...base, strict: 'yes' }, /^'strict' must be a boolean/)
  rejectsOption({ ...base, audience: [1] }, /^'audience' must be a string or an array of strings/)
  rejectsOption({ ...base, maxTokenLength: 0 }, /^'maxTokenLength' must be a whole number of bytes/)
  rejectsOption({ ...base, currentDate: new Date('nope') }, /^'currentDate' must be a valid Date/)
  assert.throws(() => createVerifier({ ...base, currentDate: () => NaN }).verifySync('a.b.c'), /'currentDate' must return a finite number/)
})

test('an empty allow-list allows nothing, so it is refused under either name', () => {
  rejectsOption({ ...base, algorithms: [] }, /^'algorithms' must not be empty: an empty allow-list allows no algorithm$/)
  rejectsOption({ ...base, tokenSigningAlg: [] }, /^'tokenSigningAlg' must not be empty/)
  rejectsOption({ ...base, tokenSigningAlg: '' }, /^'algorithms' contains unsupported algorithm ""/)
})

test('an empty issuer list would accept no issuer, so it is refused', () => {
  rejectsOption({ ...base, issuer: [] }, /^'issuer' must not be an empty list$/)
})

test('a single public key that names no algorithm needs one pinned, as express-oauth2-jwt-bearer requires', () => {
  const pair = h.keyPair('RS256')
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' })
  const { alg, ...bareJwk } = pair.publicJwk
  const keyless = { issuer: base.issuer, audience: base.audience }
  rejectsOption({ ...keyless, publicKey: pem }, /^'algorithms' is required when 'publicKey' is a PEM key/)
  rejectsOption({ ...keyless, publicKey: bareJwk }, /^'algorithms' is required when 'publicKey' is a JWK without "alg"/)
  const token = h.sign(h.claims(), pair)
  assert.ok(createVerifier({ ...keyless, publicKey: pem, tokenSigningAlg: 'RS256' }).verifySync(token))
  assert.ok(createVerifier({ ...keyless, publicKey: { ...bareJwk, alg } }).verifySync(token), 'a JWK with alg infers it')
  assert.ok(createVerifier({ ...keyless, publicKey: h.jwks(pair) }).verifySync(token), 'a JWK Set infers it')
})

test('a PEM label must name what the block holds (RFC 7468); an X.509 certificate is a public key', () => {
  const keyless = { issuer: base.issuer, audience: base.audience, algorithms: ['ES256'] }
  const { certPem, keyPem } = h.clientCert()
  const token = h.sign(h.claims(), { alg: 'ES256', key: crypto.createPrivateKey(keyPem) })
  assert.equal(createVerifier({ ...keyless, publicKey: certPem }).verifySync(token).payload.sub, h.claims().sub)
  const spki = crypto.createPublicKey(certPem).export({ type: 'spki', format: 'pem' })
  const mislabelled = spki.replaceAll('PUBLIC KEY', 'CERTIFICATE')
  rejectsOption({ ...keyless, publicKey: mislabelled }, /^'publicKey' is labelled 'CERTIFICATE' but does not hold what that label names \(RFC 7468\)$/)
  rejectsOption({ ...keyless, publicKey: certPem + certPem }, /^'publicKey' must be one PEM block/)
})

test('a secret may be a string, a Buffer, a Uint8Array or a secret KeyObject: its bytes are the key', () => {
  // RFC 7515 A.1's HMAC key: 64 bytes, not UTF-8.
  const key = Buffer.from('AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow', 'base64url')
  const options = { issuer: base.issuer, audience: base.audience, algorithms: ['HS256'] }
  const token = h.sign(h.claims(), { alg: 'HS256', secret: key })
  for (const secret of [key, new Uint8Array(key), crypto.createSecretKey(key)]) {
    assert.equal(createVerifier({ ...options, secret }).verifySync(token).payload.sub, h.claims().sub, secret.constructor.name)
  }
  rejectsOption({ ...options, secret: key.subarray(0, 31) }, /^'secret' must be at least 32 bytes for HS256/)
  rejectsOption({ ...options, secret: h.keyPair('ES256').publicKey }, /^'secret' must be a string, a Buffer or Uint8Array, or a secret KeyObject$/)
  rejectsOption({ ...options, secret: 42 }, /^'secret' must be a string/)
})
