'use strict'
/** Misuse fails at construction with a TypeError naming the option; nothing is left to the first token. */
const { test } = require('node:test')
const assert = require('node:assert/strict')
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
