'use strict'
/** @node-rs/jsonwebtoken (Rust via napi): the key is PEM text, parsed again on every call. */
const { verify, verifySync } = require('@node-rs/jsonwebtoken')
const { AUDIENCE, ISSUER } = require('../lib/tokens')

function create ({ alg, key }) {
  const material = alg === 'HS256' ? key.secret : key.pem
  const validation = { algorithms: [alg], iss: [ISSUER], aud: [AUDIENCE], validateNbf: true }
  return {
    sync: (token) => verifySync(token, material, validation).iss === ISSUER,
    async: (token) => verify(token, material, validation).then((p) => p.iss === ISSUER)
  }
}

module.exports = [{ id: 'node-rs', label: '@node-rs/jsonwebtoken', pkg: '@node-rs/jsonwebtoken', create }]
