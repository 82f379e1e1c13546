'use strict'

/**
 * bearer-rs: protect Node.js APIs with OAuth 2.0 JWT access tokens.
 *
 * The hand-written public surface. The napi CLI's generated loader lives in `binding.js` and is
 * only reached through `lib/`.
 */

const { Verifier, createVerifier, verify } = require('./lib/verifier')
const { createDevIssuer } = require('./lib/dev-issuer')
const {
  auth,
  checkJwt,
  requiredScopes,
  scopeIncludesAny,
  claimEquals,
  claimIncludes,
  claimCheck
} = require('./lib/express')
const {
  UnauthorizedError,
  InvalidRequestError,
  InvalidTokenError,
  InsufficientScopeError,
  InvalidProofError,
  UseDpopNonceError,
  errorKinds
} = require('./lib/errors')

module.exports = {
  Verifier,
  createVerifier,
  verify,
  UnauthorizedError,
  InvalidRequestError,
  InvalidTokenError,
  InsufficientScopeError,
  InvalidProofError,
  UseDpopNonceError,
  errorKinds,
  createDevIssuer,
  auth,
  checkJwt,
  requiredScopes,
  scopeIncludesAny,
  claimEquals,
  claimIncludes,
  claimCheck
}
