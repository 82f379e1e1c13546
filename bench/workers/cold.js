'use strict'
/**
 * Child process: one cold start. Times `require` of the library, building the verifier (or
 * middleware) and the first verification of one token against a JWKS endpoint never fetched
 * before. Config as JSON in argv[2]: `{ subject, issuer, audience, jwksUri, jwks, token }`. Sends
 * `{ require, create, first, total, sinceStart }` in ms, or `{ unavailable }`.
 */
const config = JSON.parse(process.argv[2])
const { issuer, audience, jwksUri, jwks, token } = config

class NotAvailable extends Error {}

/** What a middleware reads from an Express request, for a GET with the token in the header. */
function request () {
  const headers = { authorization: `Bearer ${token}`, host: '127.0.0.1' }
  return {
    headers,
    method: 'GET',
    url: '/api/private',
    originalUrl: '/api/private',
    protocol: 'http',
    query: {},
    get: (name) => headers[name.toLowerCase()],
    header: (name) => headers[name.toLowerCase()],
    is: () => false
  }
}

/** Runs an Express middleware on a request; resolves to the `req.auth` it set. */
function runMiddleware (middleware) {
  const req = request()
  return new Promise((resolve, reject) => {
    middleware(req, {}, (err) => (err ? reject(err) : resolve(req.auth)))
  })
}

/** `build()`, with a TypeError (an option bearer-rs does not take yet) reported as not available. */
function feature (what, build) {
  try {
    return build()
  } catch (err) {
    if (err instanceof TypeError) throw new NotAvailable(`${what}: ${err.message}`)
    throw err
  }
}

/** Per subject: the module, how to build from it, and the first verification → payload. */
const SUBJECTS = {
  'bearer-rs': {
    load: () => require('../..'),
    create: (bearer) => feature('createVerifier({ jwksUri })', () => bearer.createVerifier({ issuer, audience, jwksUri, algorithms: ['RS256'] })),
    first: (v) => v.verify(token).then((r) => r.payload)
  },
  'bearer-rs-inline': {
    load: () => require('../..'),
    create: (bearer) => bearer.createVerifier({ issuer, audience, jwks, algorithms: ['RS256'] }),
    first: (v) => v.verifySync(token).payload
  },
  'bearer-rs-auth': {
    load: () => require('../..'),
    create: (bearer) => feature('auth({ jwksUri })', () => bearer.auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256' })),
    first: (middleware) => runMiddleware(middleware).then((auth) => auth.payload)
  },
  'express-oauth2-jwt-bearer': {
    load: () => require('express-oauth2-jwt-bearer'),
    create: ({ auth }) => auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256' }),
    first: (middleware) => runMiddleware(middleware).then((auth) => auth.payload)
  },
  'express-jwt': {
    load: () => ({ expressjwt: require('express-jwt').expressjwt, jwksRsa: require('jwks-rsa') }),
    create: ({ expressjwt, jwksRsa }) => expressjwt({
      secret: jwksRsa.expressJwtSecret({ jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 5 }),
      issuer,
      audience,
      algorithms: ['RS256']
    }),
    first: (middleware) => runMiddleware(middleware)
  },
  jose: {
    load: () => require('jose'),
    create: (jose) => ({ jose, keys: jose.createRemoteJWKSet(new URL(jwksUri)) }),
    first: ({ jose, keys }) => jose.jwtVerify(token, keys, { issuer, audience, algorithms: ['RS256'] }).then((r) => r.payload)
  }
}

async function main () {
  const subject = SUBJECTS[config.subject]
  const t0 = performance.now()
  const mod = subject.load()
  const t1 = performance.now()
  const built = subject.create(mod)
  const t2 = performance.now()
  const payload = await subject.first(built)
  const t3 = performance.now()
  if (payload?.iss !== issuer) throw new Error(`${config.subject}: the first verification returned no payload`)
  return { require: t1 - t0, create: t2 - t1, first: t3 - t2, total: t3 - t0, sinceStart: t3 }
}

main().then(
  (result) => process.send(result, () => process.exit(0)),
  (err) => {
    if (!(err instanceof NotAvailable)) throw err
    process.send({ unavailable: err.message }, () => process.exit(0))
  }
)
