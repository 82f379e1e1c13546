'use strict'
/**
 * The Express middlewares compared end to end, each configured as its docs show for an
 * access-token API: issuer, audience, RS256 pinned, keys fetched from `jwksUri`. Each resolves to
 * `{ checkJwt, checkScopes, note }`, or throws `NotAvailable` when bearer-rs lacks the feature.
 * `bearer-rs-sync` is not a product: a minimal middleware over `verifySync`, to show what auth()'s
 * asynchronous path costs on a one-core server.
 */

class NotAvailable extends Error {}

const SCOPE = 'read:messages'

/** The hand-written scope check an express-jwt user adds (express-jwt has none). */
function scopeCheck (req, res, next) {
  const scopes = typeof req.auth?.scope === 'string' ? req.auth.scope.split(' ') : []
  if (scopes.includes(SCOPE)) next()
  else res.status(403).json({ message: 'Insufficient scope' })
}

function bearerRs ({ issuer, audience, jwksUri, jwks }) {
  const bearer = require('../..')
  if (typeof bearer.auth !== 'function') throw new NotAvailable('require(\'bearer-rs\').auth is not available yet')
  const notes = []
  let checkJwt
  try {
    checkJwt = bearer.auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256' })
  } catch (err) {
    checkJwt = bearer.auth({ issuer, audience, jwks, tokenSigningAlg: 'RS256' })
    notes.push(`inline jwks (jwksUri not available yet: ${err.message})`)
  }
  let checkScopes = scopeCheck
  if (typeof bearer.requiredScopes === 'function') checkScopes = bearer.requiredScopes(SCOPE)
  else notes.push('hand-written scope check (requiredScopes not available yet)')
  return { checkJwt, checkScopes, note: notes.join('; ') }
}

/** A verifier on the JWKS endpoint, its keys fetched before the first request (verifySync never waits). */
async function remoteVerifier (bearer, { issuer, audience, jwksUri, jwks }) {
  try {
    const verifier = bearer.createVerifier({ issuer, audience, jwksUri, algorithms: ['RS256'] })
    await verifier.ready()
    return { verifier, note: '' }
  } catch (err) {
    const note = `inline jwks (jwksUri not available yet: ${err.message})`
    return { verifier: bearer.createVerifier({ issuer, audience, jwks, algorithms: ['RS256'] }), note }
  }
}

async function bearerRsSync (config) {
  const bearer = require('../..')
  const { verifier, note } = await remoteVerifier(bearer, config)
  const checkJwt = (req, res, next) => {
    const header = req.headers.authorization
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return res.status(401).end()
    try {
      req.auth = verifier.verifySync(header.slice(7))
    } catch (err) {
      return next(err)
    }
    next()
  }
  const checkScopes = typeof bearer.requiredScopes === 'function' ? bearer.requiredScopes(SCOPE) : scopeCheck
  return { checkJwt, checkScopes, note }
}

function auth0 ({ issuer, audience, jwksUri }) {
  const { auth, requiredScopes } = require('express-oauth2-jwt-bearer')
  return { checkJwt: auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256' }), checkScopes: requiredScopes(SCOPE), note: '' }
}

function expressJwt ({ issuer, audience, jwksUri }) {
  const { expressjwt } = require('express-jwt')
  const jwksRsa = require('jwks-rsa')
  const secret = jwksRsa.expressJwtSecret({ jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 5 })
  return { checkJwt: expressjwt({ secret, issuer, audience, algorithms: ['RS256'] }), checkScopes: scopeCheck, note: 'hand-written scope check' }
}

const MIDDLEWARES = {
  'bearer-rs': { label: 'bearer-rs auth()', pkg: 'bearer-rs', create: bearerRs },
  'bearer-rs-sync': { label: 'bearer-rs verifySync, minimal middleware (reference)', pkg: 'bearer-rs', create: bearerRsSync },
  'express-oauth2-jwt-bearer': { label: 'express-oauth2-jwt-bearer', pkg: 'express-oauth2-jwt-bearer', create: auth0 },
  'express-jwt': { label: 'express-jwt + jwks-rsa', pkg: 'express-jwt', create: expressJwt }
}

module.exports = { MIDDLEWARES, NotAvailable }
