'use strict'
/** fast-jwt `createVerifier`, synchronous, with its token cache off (default) and on (1,000 entries). */
const { createVerifier } = require('fast-jwt')
const { AUDIENCE, ISSUER } = require('../lib/tokens')

function make (cache) {
  return ({ alg, key }) => {
    const verify = createVerifier({
      key: alg === 'HS256' ? key.secret : key.pem,
      algorithms: [alg],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      cache
    })
    return { sync: (token) => verify(token).iss === ISSUER }
  }
}

module.exports = [
  { id: 'fast-jwt', label: 'fast-jwt (cache off)', pkg: 'fast-jwt', create: make(false) },
  { id: 'fast-jwt-cache', label: 'fast-jwt (cache on)', pkg: 'fast-jwt', create: make(true) }
]
