'use strict'
/**
 * The floor: node:crypto's bare signature check on the signing input, the KeyObject built once and
 * the token already split and decoded outside the timed loop (HS256: HMAC + timingSafeEqual).
 */
const crypto = require('node:crypto')
const { promisify } = require('node:util')

const verifyAsync = promisify(crypto.verify)

const HASH = { RS256: 'sha256', PS256: 'sha256', ES256: 'sha256', EdDSA: null }

function keyOptions ({ alg, publicKey }) {
  if (alg === 'PS256') return { key: publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
  if (alg === 'ES256') return { key: publicKey, dsaEncoding: 'ieee-p1363' }
  return publicKey
}

function prepare (token) {
  const dot = token.lastIndexOf('.')
  return { input: Buffer.from(token.slice(0, dot)), sig: Buffer.from(token.slice(dot + 1), 'base64url') }
}

function create ({ alg, key }) {
  if (alg === 'HS256') {
    return {
      prepare,
      sync: ({ input, sig }) => crypto.timingSafeEqual(crypto.createHmac('sha256', key.secret).update(input).digest(), sig)
    }
  }
  const options = keyOptions(key)
  return {
    prepare,
    sync: ({ input, sig }) => crypto.verify(HASH[alg], input, options, sig),
    async: ({ input, sig }) => verifyAsync(HASH[alg], input, options, sig)
  }
}

module.exports = [{ id: 'floor', label: 'floor: node:crypto verify', pkg: 'node', create }]
