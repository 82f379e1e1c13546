'use strict'
/**
 * jsonwebtoken `verify` with a KeyObject built once (it has no EdDSA). A string HS256 secret would
 * cost ~300 µs a call: it first tries `createPublicKey` on it, which throws.
 */
const { createSecretKey } = require('node:crypto')
const jwt = require('jsonwebtoken')
const { AUDIENCE, ISSUER } = require('../lib/tokens')

function create ({ alg, key }) {
  const secret = alg === 'HS256' ? createSecretKey(Buffer.from(key.secret)) : key.publicKey
  const options = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }
  return { sync: (token) => jwt.verify(token, secret, options).iss === ISSUER }
}

module.exports = [{ id: 'jsonwebtoken', label: 'jsonwebtoken', pkg: 'jsonwebtoken', create }]
