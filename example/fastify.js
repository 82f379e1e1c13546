'use strict'
/**
 * The example API of example/server.js on Fastify 5 with the `bearer-rs/fastify` plugin: the same
 * routes, the same configuration from the environment, the same development issuer and curl
 * commands when none is configured. `npm run start:fastify`.
 */
const crypto = require('node:crypto')
const Fastify = require('fastify')
const bearerRs = require('../lib/fastify')
const { createDevIssuer, UnauthorizedError } = require('..')
const { devIssuerBanner, PROVIDER_VARIABLES, DEFAULT_PORT } = require('./server')

/**
 * The example API as a Fastify app (not yet listening).
 * @param {object} [options]
 * @param {object} [options.auth] Options of the plugin (`auth()`'s); default: the environment variables.
 */
async function createApp ({ auth: authOptions = {} } = {}) {
  const app = Fastify()
  await app.register(bearerRs, authOptions)
  app.setErrorHandler((err, request, reply) => {
    if (!(err instanceof UnauthorizedError)) return reply.send(err)
    reply.code(err.status).headers(err.headers).send({ message: err.message })
  })

  app.get('/api/public', async () => ({ message: 'Hello from a public endpoint! You don\'t need to be authenticated to see this.' }))
  app.get('/api/private', { onRequest: app.authenticate }, async () => ({
    message: 'Hello from a private endpoint! You need to be authenticated to see this.'
  }))
  app.get('/api/private-scoped', { onRequest: [app.authenticate, app.requiredScopes('read:messages')] }, async () => ({
    message: 'Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.'
  }))
  app.get('/api/hello', async () => 'Hello world!')
  app.get('/api/whoami', { onRequest: app.authenticate }, async (request) => request.auth.payload)
  return app
}

async function main (env = process.env) {
  const port = env.PORT === undefined || env.PORT === '' ? DEFAULT_PORT : Number(env.PORT)
  const host = env.HOST || 'localhost'
  const closers = []
  const stop = () => Promise.all(closers.map((close) => close())).then(() => process.exit(0))
  process.once('SIGINT', stop).once('SIGTERM', stop)

  if (PROVIDER_VARIABLES.some((name) => env[name])) {
    const app = await createApp()
    closers.push(() => app.close())
    await app.listen({ port, host })
    console.log(`Example API (Fastify) listening on http://localhost:${app.server.address().port}, protected by ${env.ISSUER_BASE_URL || env.ISSUER}`)
    return
  }

  const client = { clientId: 'example-client', clientSecret: crypto.randomBytes(24).toString('base64url'), scope: 'read:messages' }
  const issuer = await createDevIssuer({ port: Number(env.DEV_ISSUER_PORT ?? 0), clients: [client] })
  closers.push(() => issuer.close())
  const app = await createApp({ auth: { issuerBaseURL: issuer.issuerBaseURL, audience: issuer.audience } })
  closers.unshift(() => app.close())
  await app.listen({ port, host })
  console.log(devIssuerBanner(`http://localhost:${app.server.address().port}`, issuer, client))
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`Cannot start the example API: ${err.message}`)
    process.exit(1)
  })
}

module.exports = { createApp }
