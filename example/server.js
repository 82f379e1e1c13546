'use strict'
/**
 * The API of the Auth0 and Okta "protect your API endpoints" guides, on bearer-rs: `/api/public`,
 * `/api/private`, `/api/private-scoped` (scope `read:messages`), `/api/hello` and `/api/whoami`.
 *
 * `npm start`: with ISSUER_BASE_URL and AUDIENCE (or the other variables of express-oauth2-jwt-bearer)
 * set, the API is protected by that authorization server. With none of them set, a development
 * issuer starts alongside and ready-to-paste curl commands are printed. See example/README.md.
 */
const crypto = require('node:crypto')
const express = require('express')
const cors = require('cors')
const { auth, requiredScopes, createDevIssuer, UnauthorizedError } = require('..')

/** The variables that select an authorization server (express-oauth2-jwt-bearer's). */
const PROVIDER_VARIABLES = ['ISSUER_BASE_URL', 'AUDIENCE', 'ISSUER', 'JWKS_URI', 'SECRET', 'TOKEN_SIGNING_ALG']
/** The single-page app allowed to call the API by default, as in the Auth0 SPA samples. */
const DEFAULT_ORIGIN = 'http://localhost:3000'
const DEFAULT_PORT = 3001

/**
 * The example API as an Express app.
 * @param {object} [options]
 * @param {import('..').AuthOptions} [options.auth] Options of `auth()`; default: the environment variables.
 * @param {string | string[]} [options.corsOrigin='http://localhost:3000'] Origin(s) allowed by CORS.
 */
function createApp ({ auth: authOptions, corsOrigin = DEFAULT_ORIGIN } = {}) {
  const app = express()
  const checkJwt = auth(authOptions)
  app.use(cors({ origin: corsOrigin, exposedHeaders: ['WWW-Authenticate', 'DPoP-Nonce'] }))

  app.get('/api/public', (req, res) => {
    res.json({ message: 'Hello from a public endpoint! You don\'t need to be authenticated to see this.' })
  })
  app.get('/api/private', checkJwt, (req, res) => {
    res.json({ message: 'Hello from a private endpoint! You need to be authenticated to see this.' })
  })
  app.get('/api/private-scoped', checkJwt, requiredScopes('read:messages'), (req, res) => {
    res.json({ message: 'Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.' })
  })
  app.get('/api/hello', (req, res) => {
    res.send('Hello world!')
  })
  app.get('/api/whoami', checkJwt, (req, res) => {
    res.json(req.auth.payload)
  })

  app.use((err, req, res, next) => {
    if (!(err instanceof UnauthorizedError)) return next(err)
    res.status(err.status).set(err.headers).json({ message: err.message })
  })
  return app
}

/** The CORS origins of CORS_ORIGIN (comma-separated), else the default. */
function corsOrigins (value = '') {
  const origins = value.split(',').map((origin) => origin.trim()).filter(Boolean)
  if (origins.length === 0) return DEFAULT_ORIGIN
  return origins.length === 1 ? origins[0] : origins
}

/** The curl commands that get a token from `issuer` for `client` and call every route of `api`. */
function curlCommands (api, issuer, client) {
  const request = JSON.stringify({
    client_id: client.clientId,
    client_secret: client.clientSecret,
    audience: issuer.audience,
    grant_type: 'client_credentials'
  })
  const tokenCommand = `TOKEN=$(curl -s --request POST --url ${issuer.tokenEndpoint} ` +
    `--header 'content-type: application/json' --data '${request}' ` +
    '| node -p \'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token\')'
  const routes = ['/api/public', '/api/private', '/api/private-scoped', '/api/hello', '/api/whoami']
  const calls = routes.flatMap((route) => [
    `curl -i ${api}${route}`,
    `curl -i ${api}${route} --header "Authorization: Bearer $TOKEN"`
  ])
  return { tokenCommand, calls }
}

function listen (app, port, host) {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host)
    server.once('error', reject)
    server.once('listening', () => resolve(server))
  })
}

/** A function that stops `server` and its open connections. */
function closer (server) {
  return () => new Promise((resolve) => {
    server.close(resolve)
    server.closeAllConnections()
  })
}

async function main (env = process.env) {
  const port = env.PORT === undefined || env.PORT === '' ? DEFAULT_PORT : Number(env.PORT)
  const corsOrigin = corsOrigins(env.CORS_ORIGIN)
  const closers = []
  const stop = () => Promise.all(closers.map((close) => close())).then(() => process.exit(0))
  process.once('SIGINT', stop).once('SIGTERM', stop)

  if (PROVIDER_VARIABLES.some((name) => env[name])) {
    const server = await listen(createApp({ corsOrigin }), port, env.HOST)
    closers.push(closer(server))
    const where = env.ISSUER_BASE_URL || env.ISSUER
    console.log(`Example API listening on http://localhost:${server.address().port}, protected by ${where}`)
    return
  }

  const client = { clientId: 'example-client', clientSecret: crypto.randomBytes(24).toString('base64url'), scope: 'read:messages' }
  const issuer = await createDevIssuer({ port: Number(env.DEV_ISSUER_PORT ?? 0), clients: [client] })
  closers.push(() => issuer.close())
  const app = createApp({ auth: { issuerBaseURL: issuer.issuerBaseURL, audience: issuer.audience }, corsOrigin })
  const server = await listen(app, port, env.HOST)
  closers.unshift(closer(server))
  console.log(devIssuerBanner(`http://localhost:${server.address().port}`, issuer, client))
}

/** What `npm start` prints with the development issuer: where the API is, and the curl commands. */
function devIssuerBanner (api, issuer, client) {
  const { tokenCommand, calls } = curlCommands(api, issuer, client)
  return [
    `Example API listening on ${api}`,
    `No ISSUER_BASE_URL or AUDIENCE set: protected by a development issuer at ${issuer.issuerBaseURL}`,
    '(set both to use your Auth0 or Okta authorization server instead; see example/README.md).',
    '',
    'Get an access token (client credentials grant):',
    '',
    tokenCommand,
    '',
    'Call each route without and with it:',
    '',
    ...calls,
    '',
    'Press Ctrl+C to stop.'
  ].join('\n')
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`Cannot start the example API: ${err.message}`)
    process.exit(1)
  })
}

module.exports = { createApp, curlCommands, devIssuerBanner, PROVIDER_VARIABLES, DEFAULT_PORT }
