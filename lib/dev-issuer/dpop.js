'use strict'
/**
 * DPoP proofs at the dev issuer's token endpoint (RFC 9449 §4.3 and §5), checked with node:crypto:
 * a token request that carries a valid proof gets an access token bound to the proof's key
 * (`cnf.jkt`, its RFC 7638 thumbprint) and `token_type: DPoP`. Replayed `jti`s are refused within
 * the proof window by a small bounded memory.
 */
const crypto = require('node:crypto')
const { ALGORITHMS } = require('./keys')

/** How old and how far in the future a proof's `iat` may be, in seconds. */
const WINDOW_PAST = 300
const WINDOW_FUTURE = 60
/** The most `jti`s remembered; beyond it the oldest are forgotten. */
const MAX_REMEMBERED = 10000
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const THUMBPRINT_MEMBERS = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] }
const TYP = /^(?:application\/)?dpop\+jwt$/i

/** A proof that cannot be accepted; its message is the `error_description` of `invalid_dpop_proof`. */
class ProofError extends Error {}

/**
 * Checks proofs for the token endpoint at `htu`, on the issuer's clock.
 * @param {{ htu: string, now: () => number }} options `now` in epoch milliseconds.
 * @returns {(proof: string) => string} Returns the proof key's thumbprint, or throws a {@link ProofError}.
 */
function createProofChecker ({ htu, now }) {
  const expected = withoutQuery(htu)
  const seen = new Map()
  return function check (proof) {
    if (typeof proof !== 'string' || proof === '' || proof.includes(',')) throw new ProofError('send exactly one DPoP proof')
    const parts = proof.split('.')
    if (parts.length !== 3) throw new ProofError('the DPoP proof is not a compact JWS')
    const header = decodeJson(parts[0])
    const claims = decodeJson(parts[1])
    if (typeof header.typ !== 'string' || !TYP.test(header.typ)) throw new ProofError('typ must be dpop+jwt')
    const algorithm = Object.hasOwn(ALGORITHMS, header.alg) ? ALGORITHMS[header.alg] : undefined
    if (algorithm === undefined) throw new ProofError(`alg must be one of ${Object.keys(ALGORITHMS).join(', ')}`)
    const jwk = header.jwk
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk) || PRIVATE_MEMBERS.some((name) => name in jwk)) {
      throw new ProofError('jwk must be a public JSON Web Key')
    }
    if (!verifies(`${parts[0]}.${parts[1]}`, parts[2], jwk, algorithm)) throw new ProofError('the DPoP proof signature does not verify with its jwk')
    const seconds = Math.floor(now() / 1000)
    if (typeof claims.iat !== 'number' || claims.iat < seconds - WINDOW_PAST || claims.iat > seconds + WINDOW_FUTURE) {
      throw new ProofError('iat is missing or outside the acceptable window')
    }
    if (claims.htm !== 'POST') throw new ProofError('htm must be POST')
    if (typeof claims.htu !== 'string' || withoutQuery(claims.htu) !== expected) throw new ProofError(`htu must be ${htu}`)
    if (typeof claims.jti !== 'string' || claims.jti === '') throw new ProofError('jti must be a non-empty string')
    const jkt = thumbprint(jwk)
    remember(seen, `${jkt}.${claims.jti}`, claims.iat + WINDOW_PAST, seconds)
    return jkt
  }
}

function decodeJson (segment) {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value
  } catch {}
  throw new ProofError('the DPoP proof is not a compact JWS of JSON objects')
}

function verifies (signingInput, signature, jwk, { hash, signOptions }) {
  try {
    const key = crypto.createPublicKey({ key: jwk, format: 'jwk' })
    return crypto.verify(hash, Buffer.from(signingInput), { key, ...signOptions }, Buffer.from(signature, 'base64url'))
  } catch {
    return false
  }
}

/** The RFC 7638 SHA-256 thumbprint of a public JWK. */
function thumbprint (jwk) {
  const members = THUMBPRINT_MEMBERS[jwk.kty]
  if (members === undefined || !members.every((name) => typeof jwk[name] === 'string')) throw new ProofError('jwk must be a public JSON Web Key')
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])))
  return crypto.createHash('sha256').update(canonical).digest('base64url')
}

/** Records `key` until `until` (epoch seconds), refusing one already recorded (RFC 9449 §11.1). */
function remember (seen, key, until, seconds) {
  for (const [old, expiry] of seen) {
    if (expiry >= seconds && seen.size < MAX_REMEMBERED) break
    seen.delete(old)
  }
  if ((seen.get(key) ?? -Infinity) >= seconds) throw new ProofError('this DPoP proof was already used')
  seen.set(key, until)
}

/** A URL for the `htu` comparison: parsed (scheme and host lower-cased, default port dropped), no query or fragment. */
function withoutQuery (url) {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return null
  }
}

module.exports = { createProofChecker, ProofError }
