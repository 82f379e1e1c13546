'use strict'
/**
 * Real JWS signing for tests with node:crypto: cached key pairs, JWKS documents,
 * compact tokens, raw pieces for crafting malformed tokens, and RFC 9068 claims.
 */
const crypto = require('node:crypto')

/** Default `iss` of {@link claims}. */
const DEFAULT_ISSUER = 'https://issuer.example.test/'
/** Default `aud` of {@link claims}. */
const DEFAULT_AUDIENCE = 'https://api.example.test'

const ALGS = {
  RS256: { kind: 'rsa', hash: 'sha256' },
  RS384: { kind: 'rsa', hash: 'sha384' },
  RS512: { kind: 'rsa', hash: 'sha512' },
  PS256: { kind: 'pss', hash: 'sha256', saltLength: 32 },
  PS384: { kind: 'pss', hash: 'sha384', saltLength: 48 },
  PS512: { kind: 'pss', hash: 'sha512', saltLength: 64 },
  ES256: { kind: 'ec', hash: 'sha256', curve: 'P-256' },
  ES384: { kind: 'ec', hash: 'sha384', curve: 'P-384' },
  ES512: { kind: 'ec', hash: 'sha512', curve: 'P-521' },
  EdDSA: { kind: 'okp' },
  HS256: { kind: 'hmac', hash: 'sha256', bytes: 32 },
  HS384: { kind: 'hmac', hash: 'sha384', bytes: 48 },
  HS512: { kind: 'hmac', hash: 'sha512', bytes: 64 }
}

const THUMBPRINT_MEMBERS = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] }

const cache = new Map()

function specOf (alg) {
  const spec = ALGS[alg]
  if (!spec) throw new Error(`unsupported alg ${alg}`)
  return spec
}

function withoutUndefined (object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined))
}

function thumbprint (jwk) {
  const members = THUMBPRINT_MEMBERS[jwk.kty].map((name) => [name, jwk[name]])
  return crypto.createHash('sha256').update(JSON.stringify(Object.fromEntries(members))).digest('base64url')
}

function generate (spec, opts) {
  if (spec.kind === 'ec') return crypto.generateKeyPairSync('ec', { namedCurve: spec.curve, ...opts })
  if (spec.kind === 'okp') return crypto.generateKeyPairSync('ed25519', opts)
  return crypto.generateKeyPairSync('rsa', { modulusLength: 2048, ...opts })
}

/**
 * A new, uncached key for `alg`.
 * Asymmetric: `{ alg, kid, privateKey, publicKey, publicJwk }` (KeyObjects; `kid` is the RFC 7638
 * thumbprint; `publicJwk` is frozen, has `kid`, `alg`, `use: 'sig'`, no private members).
 * `opts` go to `crypto.generateKeyPairSync`, e.g. `{ modulusLength: 1024 }` or `{ namedCurve: 'P-384' }`.
 * HS*: `{ alg, secret }`, `secret` is `opts.bytes` (default: hash length) random base64url characters;
 * the HMAC key is the UTF-8 bytes of that string, so its length in bytes is `opts.bytes`.
 */
function freshKeyPair (alg, opts = {}) {
  const spec = specOf(alg)
  if (spec.kind === 'hmac') {
    const bytes = opts.bytes ?? spec.bytes
    const secret = crypto.randomBytes(bytes).toString('base64url').slice(0, bytes)
    return Object.freeze({ alg, secret })
  }
  const { privateKey, publicKey } = generate(spec, opts)
  const exported = publicKey.export({ format: 'jwk' })
  const kid = thumbprint(exported)
  const publicJwk = Object.freeze({ ...exported, kid, alg, use: 'sig' })
  return Object.freeze({ alg, kid, privateKey, publicKey, publicJwk })
}

/** The process-wide cached key of {@link freshKeyPair} for `alg` (same object on every call). */
function keyPair (alg) {
  if (!cache.has(alg)) cache.set(alg, freshKeyPair(alg))
  return cache.get(alg)
}

/** A JWKS document `{ keys: [publicJwk, ...] }` from key pairs (or bare JWK objects). */
function jwks (...pairs) {
  return { keys: pairs.map((pair) => pair.publicJwk ?? pair) }
}

/** Base64url (no padding) of a Buffer or of a string's UTF-8 bytes. */
function b64url (bufferOrString) {
  return Buffer.from(bufferOrString).toString('base64url')
}

/** One token segment: objects are JSON-encoded, strings and Buffers are taken as-is; then base64url. */
function segment (objectOrString) {
  const raw = typeof objectOrString === 'string' || Buffer.isBuffer(objectOrString)
    ? objectOrString
    : JSON.stringify(objectOrString)
  return b64url(raw)
}

/** Joins already-encoded segments with '.'. */
function compact (...segments) {
  return segments.join('.')
}

/**
 * Base64url signature of an arbitrary signing input (string or Buffer).
 * `opts`: `{ alg, key | privateKey, secret }` — a key pair object works as `opts`.
 * `alg: 'none'` gives ''. HS* `secret` may be a string (its UTF-8 bytes are the key) or a Buffer.
 */
function signRaw (signingInput, opts) {
  if (opts.alg === 'none') return ''
  const spec = specOf(opts.alg)
  const data = Buffer.from(signingInput)
  const key = opts.key ?? opts.privateKey
  let signature
  if (spec.kind === 'hmac') signature = crypto.createHmac(spec.hash, opts.secret).update(data).digest()
  else if (spec.kind === 'rsa') signature = crypto.sign(spec.hash, data, key)
  else if (spec.kind === 'pss') {
    signature = crypto.sign(spec.hash, data, {
      key,
      padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: spec.saltLength
    })
  } else if (spec.kind === 'ec') signature = crypto.sign(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' })
  else signature = crypto.sign(null, data, key)
  return signature.toString('base64url')
}

/**
 * A compact JWS `header.payload.signature`.
 * `opts`: `{ alg, key | privateKey, secret, kid, header }` — a key pair object works as `opts`
 * (`sign(claims(), keyPair('ES256'))`). Header is `{ alg, typ: 'JWT', kid }` (no kid unless one
 * is given or comes with the pair) with `header` merged over it; a member set to `undefined` is
 * removed. The signature always uses `opts.alg`, whatever `header.alg` says.
 * `payload`: object (JSON-encoded), or string/Buffer sent as-is.
 */
function sign (payload, opts) {
  const header = withoutUndefined({ alg: opts.alg, typ: 'JWT', kid: opts.kid, ...opts.header })
  const signingInput = compact(segment(header), segment(payload))
  return compact(signingInput, signRaw(signingInput, opts))
}

/**
 * A realistic RFC 9068 access-token payload: `iss`, `sub`, `aud`, `client_id`, `iat`, `exp`
 * (`now + 3600`), `jti` (random UUID), `scope` ('read:messages write:messages').
 * `overrides` are merged over it; a claim set to `undefined` is removed.
 * `now` is epoch seconds, default the current time.
 */
function claims (overrides = {}, { now = Math.floor(Date.now() / 1000) } = {}) {
  return withoutUndefined({
    iss: DEFAULT_ISSUER,
    sub: 'auth0|5f7c8ec7c33c6c004bbafe82',
    aud: DEFAULT_AUDIENCE,
    client_id: 'tLSyHjX7X9b0YwQ8gS2vPz3kq1mN4aRe',
    iat: now,
    exp: now + 3600,
    jti: crypto.randomUUID(),
    scope: 'read:messages write:messages',
    ...overrides
  })
}

module.exports = {
  ALGS: Object.freeze(Object.keys(ALGS)),
  DEFAULT_AUDIENCE,
  DEFAULT_ISSUER,
  b64url,
  claims,
  compact,
  freshKeyPair,
  jwks,
  keyPair,
  segment,
  sign,
  signRaw
}
