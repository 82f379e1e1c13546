'use strict'
/**
 * jose `jwtVerify`: with a key imported once (a CryptoKey; for HS256 too, which as raw bytes is
 * imported again on every call, 2× slower), and with a local JWKS (`createLocalJWKSet`).
 */
const { subtle } = require('node:crypto').webcrypto
const { createLocalJWKSet, importJWK, jwtVerify } = require('jose')
const { AUDIENCE, ISSUER } = require('../lib/tokens')

async function keyFor ({ alg, key }) {
  if (alg !== 'HS256') return importJWK(key.jwk, alg)
  return subtle.importKey('raw', new TextEncoder().encode(key.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
}

function verifierWith (getKey, alg) {
  const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] }
  return { async: (token) => jwtVerify(token, getKey, options).then((r) => r.payload.iss === ISSUER) }
}

module.exports = [
  {
    id: 'jose',
    label: 'jose (imported key)',
    pkg: 'jose',
    create: async (set) => verifierWith(await keyFor(set), set.alg)
  },
  {
    id: 'jose-jwks',
    label: 'jose (local JWKS)',
    pkg: 'jose',
    create: (set) => set.alg === 'HS256' ? null : verifierWith(createLocalJWKSet({ keys: [set.key.jwk] }), set.alg)
  }
]
