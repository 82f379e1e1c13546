'use strict'
/**
 * Signing keys of the dev issuer: the supported JWS algorithms, key generation, the published key
 * ring (current key per algorithm plus one retired key) and compact JWS signing.
 */
const crypto = require('node:crypto')

const RSA_2048 = { type: 'rsa', options: { modulusLength: 2048 } }
const PSS = { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }
const RAW_ECDSA = { dsaEncoding: 'ieee-p1363' }

/**
 * Each JWS `alg` (RFC 7518 §3, RFC 8037 §3.1): the key pair to generate, the digest, and the extra
 * `crypto.sign` options that give the JWS signature form (PSS salt = digest length, ECDSA as r||s).
 */
const ALGORITHMS = Object.freeze({
  RS256: { key: RSA_2048, hash: 'sha256' },
  RS384: { key: RSA_2048, hash: 'sha384' },
  RS512: { key: RSA_2048, hash: 'sha512' },
  PS256: { key: RSA_2048, hash: 'sha256', signOptions: PSS },
  PS384: { key: RSA_2048, hash: 'sha384', signOptions: PSS },
  PS512: { key: RSA_2048, hash: 'sha512', signOptions: PSS },
  ES256: { key: { type: 'ec', options: { namedCurve: 'P-256' } }, hash: 'sha256', signOptions: RAW_ECDSA },
  ES384: { key: { type: 'ec', options: { namedCurve: 'P-384' } }, hash: 'sha384', signOptions: RAW_ECDSA },
  EdDSA: { key: { type: 'ed25519' }, hash: null }
})

/** A new key pair for `algorithm`: `{ algorithm, kid, privateKey, jwk }`, `jwk` being the public JWK. */
function generateSigningKey (algorithm, kid = crypto.randomBytes(12).toString('base64url')) {
  const { key } = ALGORITHMS[algorithm]
  const { publicKey, privateKey } = crypto.generateKeyPairSync(key.type, key.options)
  const jwk = Object.freeze({ ...publicKey.export({ format: 'jwk' }), kid, alg: algorithm, use: 'sig' })
  return { algorithm, kid, privateKey, jwk }
}

/**
 * The keys the issuer publishes: one current key per algorithm, created on first use, and the key
 * that the last `rotate(…, true)` replaced. Key generation is synchronous (RSA 2048 takes tens of ms).
 */
class KeyRing {
  #current = new Map()
  #previous = null

  /** The published key that signs `algorithm` tokens, generated and published on first use. */
  current (algorithm) {
    if (!this.#current.has(algorithm)) this.#current.set(algorithm, generateSigningKey(algorithm))
    return this.#current.get(algorithm)
  }

  /** A fresh key for `algorithm` that is never published but carries the published key's kid. */
  unpublished (algorithm) {
    return generateSigningKey(algorithm, this.current(algorithm).kid)
  }

  /** Replaces the current `algorithm` key; the old one stays published only if `keepPrevious`. */
  rotate (algorithm, keepPrevious) {
    const replaced = this.current(algorithm)
    const next = generateSigningKey(algorithm)
    this.#current.set(algorithm, next)
    this.#previous = keepPrevious ? replaced : null
    return next.kid
  }

  /** The public JWKS document `{ keys }`, current keys first, in a new object on every call. */
  jwks () {
    return { keys: this.#published().map((key) => ({ ...key.jwk })) }
  }

  /** The algorithms of the published keys, without repeats. */
  algorithms () {
    return [...new Set(this.#published().map((key) => key.algorithm))]
  }

  #published () {
    return [...this.#current.values(), this.#previous].filter((key) => key !== null)
  }
}

/** A compact JWS over `header` and `payload` (both JSON-encoded) signed with `signingKey`. */
function signJws (header, payload, signingKey) {
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`
  const { hash, signOptions } = ALGORITHMS[signingKey.algorithm]
  const signature = crypto.sign(hash, Buffer.from(signingInput), { key: signingKey.privateKey, ...signOptions })
  return `${signingInput}.${signature.toString('base64url')}`
}

function encodeSegment (value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

module.exports = { ALGORITHMS, KeyRing, signJws }
