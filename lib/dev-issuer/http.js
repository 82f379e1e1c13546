'use strict'
/**
 * The dev issuer's HTTP surface: which path and method reach which endpoint, per-endpoint request
 * counts, the token request body limit, and JSON responses (404 and 405 included).
 */

/** Endpoint paths, relative to the issuer base URL. */
const PATHS = Object.freeze({
  openidConfiguration: '/.well-known/openid-configuration',
  authorizationServerMetadata: '/.well-known/oauth-authorization-server',
  jwks: '/.well-known/jwks.json',
  token: '/oauth/token'
})

/** Largest token request body read, in bytes; a larger one gets 413. */
const MAX_TOKEN_REQUEST_BYTES = 16 * 1024
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }
const READ_METHODS = ['GET', 'HEAD']

/**
 * The `request` listener for the issuer's `http.Server`. `metadata()` and `jwks()` give the
 * documents to serve; `token({ authorization, contentType, body, dpop })` answers a token request with
 * `{ status, body, headers }`; `requests` is the `{ discovery, jwks, token }` counter object.
 */
function createRequestListener ({ metadata, jwks, token, requests }) {
  const respondMetadata = (req, res) => sendJson(res, 200, metadata())
  const routes = new Map([
    [PATHS.openidConfiguration, { counter: 'discovery', methods: READ_METHODS, respond: respondMetadata }],
    [PATHS.authorizationServerMetadata, { counter: 'discovery', methods: READ_METHODS, respond: respondMetadata }],
    [PATHS.jwks, { counter: 'jwks', methods: READ_METHODS, respond: (req, res) => sendJson(res, 200, jwks()) }],
    [PATHS.token, { counter: 'token', methods: ['POST'], respond: respondToken }]
  ])

  async function respondToken (req, res) {
    const body = await readBody(req, MAX_TOKEN_REQUEST_BYTES)
    if (body === null) {
      const error = { error: 'invalid_request', error_description: `body exceeds ${MAX_TOKEN_REQUEST_BYTES} bytes` }
      sendJson(res, 413, error, { ...NO_STORE, Connection: 'close' })
      return
    }
    const { authorization, 'content-type': contentType, dpop } = req.headers
    const response = token({ authorization, contentType, body, dpop })
    sendJson(res, response.status, response.body, { ...NO_STORE, ...response.headers })
  }

  async function route (req, res) {
    const path = req.url.split('?', 1)[0]
    const target = routes.get(path)
    if (target === undefined) {
      sendJson(res, 404, { error: 'not_found', error_description: `no endpoint at ${path}` })
      return
    }
    requests[target.counter] += 1
    if (!target.methods.includes(req.method)) {
      const allow = target.methods.join(', ')
      sendJson(res, 405, { error: 'method_not_allowed', error_description: `allowed: ${allow}` }, { Allow: allow })
      return
    }
    await target.respond(req, res)
  }

  return (req, res) => {
    route(req, res).catch((error) => {
      if (res.headersSent) res.destroy()
      else sendJson(res, 500, { error: 'server_error', error_description: error.message })
    })
  }
}

/**
 * The request body as one Buffer, or `null` as soon as it is known to exceed `limit` bytes (from
 * `Content-Length`, or while reading). Past the limit the rest is read and discarded, not kept:
 * answer with `Connection: close` so the server stops reading once the response is sent.
 */
function readBody (req, limit) {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > limit) {
      resolve(null)
      return
    }
    let chunks = []
    let size = 0
    req.on('data', (chunk) => {
      size += chunk.length
      if (size <= limit) {
        chunks.push(chunk)
      } else if (chunks !== null) {
        chunks = null
        resolve(null)
      }
    })
    req.on('end', () => {
      if (chunks !== null) resolve(Buffer.concat(chunks))
    })
    req.on('error', reject)
  })
}

function sendJson (res, status, body, headers = {}) {
  const json = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), ...headers })
  res.end(json)
}

module.exports = { PATHS, createRequestListener }
