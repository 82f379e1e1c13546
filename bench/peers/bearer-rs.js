'use strict'
/**
 * bearer-rs from the repo root: `verifySync` and the batched async `verify`, inline keys; as
 * configured by default (verified-token cache on) and with `tokenCache: false`.
 */
const bearer = require('../..')
const { AUDIENCE, ISSUER } = require('../lib/tokens')

/** Verifier options for a token set's key, as an API with inline keys configures them. */
function options ({ alg, key }) {
  const keys = alg === 'HS256' ? { secret: key.secret } : { jwks: { keys: [key.jwk] } }
  return { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], ...keys }
}

function make (extra) {
  return (set) => {
    const verifier = bearer.createVerifier({ ...options(set), ...extra })
    return {
      sync: (token) => verifier.verifySync(token).payload.iss === ISSUER,
      async: (token) => verifier.verify(token).then((r) => r.payload.iss === ISSUER)
    }
  }
}

module.exports = [
  { id: 'bearer-rs', label: 'bearer-rs', pkg: 'bearer-rs', create: make({}) },
  { id: 'bearer-rs-nocache', label: 'bearer-rs (tokenCache: false)', pkg: 'bearer-rs', create: make({ tokenCache: false }) }
]
