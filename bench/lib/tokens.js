'use strict'
/**
 * Keys and realistic access tokens (~900 bytes: RFC 9068 claims, a 5-scope string, a few custom
 * claims), signed with node:crypto. The same token set is handed to every library.
 */
const crypto = require('node:crypto')

const ISSUER = 'https://issuer.example.test/'
const AUDIENCE = 'https://api.example.test'
const CLIENT_ID = 'tLSyHjX7X9b0YwQ8gS2vPz3kq1mN4aRe'
const SCOPE = 'read:messages write:messages read:users update:users delete:users'
const TOKEN_BYTES = 900
const LIFETIME = 24 * 3600

const ALGS = {
  RS256: { type: 'rsa', options: { modulusLength: 2048 }, hash: 'sha256' },
  PS256: {
    type: 'rsa',
    options: { modulusLength: 2048 },
    hash: 'sha256',
    sign: { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
  },
  ES256: { type: 'ec', options: { namedCurve: 'P-256' }, hash: 'sha256', sign: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { type: 'ed25519', hash: null },
  HS256: { hmac: 'sha256' }
}

/**
 * A key for `alg`: asymmetric `{ alg, kid, privateKey, publicKey, jwk, pem }`, HS256 `{ alg, secret }`.
 * The JWK carries `kid`, `alg` and `use`, as an authorization server publishes it.
 */
function createKey (alg) {
  const spec = ALGS[alg]
  if (spec.hmac) return { alg, secret: crypto.randomBytes(48).toString('base64url') }
  const { privateKey, publicKey } = crypto.generateKeyPairSync(spec.type, spec.options)
  const kid = crypto.randomBytes(16).toString('base64url')
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicKey, jwk, pem: publicKey.export({ type: 'spki', format: 'pem' }) }
}

function b64 (value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

/** The signature of `input` (a string) as base64url. */
function signature (key, input) {
  const spec = ALGS[key.alg]
  if (spec.hmac) return crypto.createHmac(spec.hmac, key.secret).update(input).digest('base64url')
  return crypto.sign(spec.hash, Buffer.from(input), { key: key.privateKey, ...spec.sign }).toString('base64url')
}

/** Claims of the `i`-th token; `pad` sizes the session id so tokens come out ~900 bytes. */
function claims (i, now, pad) {
  const id = String(i).padStart(8, '0')
  return {
    iss: ISSUER,
    sub: `auth0|64f0c3a1${id}`,
    aud: AUDIENCE,
    iat: now - (i % 600),
    exp: now + LIFETIME,
    jti: crypto.randomUUID(),
    client_id: CLIENT_ID,
    scope: SCOPE,
    org_id: 'org_acme',
    roles: ['editor', 'viewer'],
    sid: 's'.repeat(pad)
  }
}

/** Signs the `i`-th token with `key`. */
function signToken (key, i, now, pad) {
  const input = `${b64({ alg: key.alg, typ: 'at+jwt', kid: key.kid })}.${b64(claims(i, now, pad))}`
  return `${input}.${signature(key, input)}`
}

/** How long the padding claim must be for `key`'s tokens to be ~900 bytes. */
function padFor (key, now) {
  return Math.max(0, Math.floor((TOKEN_BYTES - signToken(key, 0, now, 0).length) * 3 / 4))
}

/** A token factory for `key`: `(i) => token`, every token distinct, all ~900 bytes. */
function tokenFactory (key, now = Math.floor(Date.now() / 1000)) {
  const pad = padFor(key, now)
  return (i) => signToken(key, i, now, pad)
}

/** `{ alg, key, tokens }`: a fresh key and `count` distinct tokens. */
function tokenSet (alg, count) {
  const key = createKey(alg)
  const make = tokenFactory(key)
  return { alg, key, tokens: Array.from({ length: count }, (_, i) => make(i)) }
}

module.exports = { ALGS: Object.keys(ALGS), AUDIENCE, ISSUER, createKey, tokenFactory, tokenSet }
