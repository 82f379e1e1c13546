'use strict'
/**
 * The example API (example/server.js) over real HTTP: its routes against a development issuer
 * found through `issuerBaseURL`, CORS, the client credentials flow end to end, and `npm start`
 * itself, whose printed curl commands are run with bash exactly as printed.
 */
const { describe, test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const h = require('./helpers')
const path = require('node:path')
const { execFile, execFileSync, spawn } = require('node:child_process')
const { once } = require('node:events')
const { createDevIssuer } = require('..')
const { createApp } = require('../example/server')

const SERVER = path.join(__dirname, '..', 'example', 'server.js')
const PROVIDER_VARIABLES = ['ISSUER_BASE_URL', 'AUDIENCE', 'ISSUER', 'JWKS_URI', 'SECRET', 'TOKEN_SIGNING_ALG']
const BARE = 'Bearer realm="api"'
/** auth() refusals end with the DPoP challenge: DPoP is enabled by default, as in express-oauth2-jwt-bearer. */
const DPOP = ', DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA"'
const MESSAGES = {
  '/api/public': { message: 'Hello from a public endpoint! You don\'t need to be authenticated to see this.' },
  '/api/private': { message: 'Hello from a private endpoint! You need to be authenticated to see this.' },
  '/api/private-scoped': { message: 'Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.' }
}
const HAS_CURL = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

function decode (token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url'))
}

/** One request over a fresh connection: `{ status, headers, body }` with `json` parsed when it is JSON. */
const request = h.request

const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } })

/** The environment of a child example server: none of the provider variables, ports picked freely. */
function childEnv (extra = {}) {
  const env = { ...process.env, PORT: '0', DEV_ISSUER_PORT: '0', CORS_ORIGIN: '', ...extra }
  for (const name of PROVIDER_VARIABLES) if (!(name in extra)) delete env[name]
  return env
}

/** Starts `node example/server.js`; resolves with its output once `until` matches it, or it exits. */
async function startServer (t, env, until) {
  const child = spawn(process.execPath, [SERVER], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = once(child, 'exit')
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk })
  const started = new Promise((resolve) => child.stdout.on('data', () => until.test(stdout) && resolve()))
  const outcome = await Promise.race([started.then(() => 'started'), exited.then(([code]) => code)])
  return { child, outcome, stdout, stderr: () => stderr, exited }
}

/** Runs `script` with bash and resolves with its stdout. */
function bash (script) {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], { timeout: 20000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)))
  })
}

/** Splits what `curl -i` printed into its last response's status, headers and body. */
function parseCurl (output) {
  const [head, body] = output.split('\r\n\r\n')
  const [statusLine, ...lines] = head.split('\r\n')
  const headers = Object.fromEntries(lines.map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
  }))
  return { status: Number(statusLine.split(' ')[1]), headers, body }
}

describe('the example API against a development issuer (issuerBaseURL)', () => {
  let issuer
  let api
  let server
  before(async () => {
    issuer = await createDevIssuer()
    const app = createApp({ auth: { issuerBaseURL: issuer.issuerBaseURL, audience: issuer.audience } })
    server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    api = `http://127.0.0.1:${server.address().port}`
  })
  after(async () => {
    await new Promise((resolve) => {
      server.close(resolve)
      server.closeAllConnections()
    })
    await issuer.close()
  })

  test('/api/public and /api/hello answer 200 with or without a token', async () => {
    for (const req of [{}, bearer(issuer.sign()), bearer('garbage')]) {
      const res = await request(`${api}/api/public`, req)
      assert.deepEqual([res.status, res.json], [200, MESSAGES['/api/public']])
      const hello = await request(`${api}/api/hello`, req)
      assert.deepEqual([hello.status, hello.body], [200, 'Hello world!'])
    }
  })

  test('/api/private and /api/whoami without a token: 401 with bare Bearer and DPoP challenges', async () => {
    for (const route of ['/api/private', '/api/whoami', '/api/private-scoped']) {
      const res = await request(`${api}${route}`)
      assert.deepEqual([res.status, res.headers['www-authenticate'], res.json], [401, BARE + DPOP, { message: 'Unauthorized' }])
    }
  })

  test('/api/private with an expired, forged or wrong-audience token: 401 invalid_token', async () => {
    const cases = [
      [issuer.sign({}, { expiresIn: -60 }), '\'exp\' claim timestamp check failed'],
      [issuer.sign({}, { key: 'unpublished' }), 'signature verification failed'],
      [issuer.sign({ aud: 'https://other.example' }), 'Unexpected \'aud\' value']
    ]
    for (const [token, description] of cases) {
      const res = await request(`${api}/api/private`, bearer(token))
      assert.equal(res.status, 401)
      assert.equal(res.headers['www-authenticate'], `${BARE}, error="invalid_token", error_description="${description}"${DPOP}`)
    }
  })

  test('/api/private with a valid token: 200, and /api/whoami returns its claims', async () => {
    const token = issuer.sign({ scope: 'openid' })
    const res = await request(`${api}/api/private`, bearer(token))
    assert.deepEqual([res.status, res.json], [200, MESSAGES['/api/private']])
    const whoami = await request(`${api}/api/whoami`, bearer(token))
    assert.deepEqual([whoami.status, whoami.json], [200, decode(token)])
  })

  test('/api/private-scoped without read:messages: 403 insufficient_scope naming it', async () => {
    for (const claims of [{ scope: 'openid profile' }, { scope: undefined }]) {
      const res = await request(`${api}/api/private-scoped`, bearer(issuer.sign(claims)))
      assert.equal(res.status, 403)
      const description = claims.scope ? 'Insufficient Scope' : 'Missing \'scope\' claim'
      assert.equal(res.headers['www-authenticate'], `${BARE}, error="insufficient_scope", error_description="${description}", scope="read:messages"`)
    }
  })

  test('/api/private-scoped with read:messages in the scope string (Auth0) or the scp array (Okta): 200', async () => {
    for (const claims of [{ scope: 'openid read:messages' }, { scope: undefined, scp: ['read:messages'] }]) {
      const res = await request(`${api}/api/private-scoped`, bearer(issuer.sign(claims)))
      assert.deepEqual([res.status, res.json], [200, MESSAGES['/api/private-scoped']])
    }
  })

  test('CORS allows the single-page app origin, http://localhost:3000 by default, and the Authorization header', async () => {
    const preflight = { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } }
    const allowed = await request(`${api}/api/private`, preflight)
    assert.equal(allowed.status, 204)
    assert.equal(allowed.headers['access-control-allow-origin'], 'http://localhost:3000')
    assert.equal(allowed.headers['access-control-allow-headers'], 'authorization')
    const other = await request(`${api}/api/public`, { headers: { origin: 'https://evil.example' } })
    assert.equal(other.headers['access-control-allow-origin'], 'http://localhost:3000')
  })

  test('CORS lets a browser client read the challenge and a DPoP nonce of a refusal', async () => {
    const refused = await request(`${api}/api/private`, { headers: { origin: 'http://localhost:3000' } })
    assert.equal(refused.status, 401)
    assert.equal(refused.headers['access-control-expose-headers'], 'WWW-Authenticate,DPoP-Nonce')
  })

  test('CORS with several origins answers each allowed origin with itself and no other', async (t) => {
    const app = createApp({ auth: { issuerBaseURL: issuer.issuerBaseURL, audience: issuer.audience }, corsOrigin: ['https://a.example', 'https://b.example'] })
    const other = app.listen(0, '127.0.0.1')
    await once(other, 'listening')
    t.after(() => new Promise((resolve) => other.close(resolve)))
    const base = `http://127.0.0.1:${other.address().port}/api/public`
    const allowed = await request(base, { headers: { origin: 'https://b.example' } })
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://b.example')
    const refused = await request(base, { headers: { origin: 'https://evil.example' } })
    assert.equal(refused.headers['access-control-allow-origin'], undefined)
  })

  test('the client credentials flow end to end: a token from the issuer\'s token endpoint opens every route', async () => {
    const [client] = issuer.clients
    const response = await fetch(issuer.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, audience: issuer.audience })
    })
    assert.equal(response.status, 200)
    const { access_token: token, token_type: type } = await response.json()
    assert.equal(type, 'Bearer')
    for (const route of ['/api/private', '/api/private-scoped']) {
      assert.deepEqual((await request(`${api}${route}`, bearer(token))).json, MESSAGES[route])
    }
    const whoami = await request(`${api}/api/whoami`, bearer(token))
    assert.deepEqual([whoami.json.sub, whoami.json.client_id, whoami.json.iss], [client.clientId, client.clientId, issuer.issuer])
  })
})

describe('npm start', () => {
  test('with no provider configured, it starts a development issuer and its printed curl commands work as printed', { skip: !HAS_CURL && 'curl is not installed' }, async (t) => {
    const { outcome, stdout } = await startServer(t, childEnv(), /Press Ctrl\+C to stop\./)
    assert.equal(outcome, 'started')
    const lines = stdout.split('\n')
    const tokenCommand = lines.filter((line) => line.startsWith('TOKEN='))
    const calls = lines.filter((line) => line.startsWith('curl '))
    assert.equal(tokenCommand.length, 1)
    assert.equal(calls.length, 10)
    const expected = {
      '/api/public': [200, 200],
      '/api/private': [401, 200],
      '/api/private-scoped': [401, 200],
      '/api/hello': [200, 200],
      '/api/whoami': [401, 200]
    }
    for (const call of calls) {
      const route = new URL(call.split(' ')[2]).pathname
      const withToken = call.includes('$TOKEN')
      const res = parseCurl(await bash(`${tokenCommand[0]}\n${call}`))
      assert.equal(res.status, expected[route][withToken ? 1 : 0], call)
      if (res.status === 401) assert.equal(res.headers['www-authenticate'], BARE + DPOP)
      if (route === '/api/whoami' && withToken) assert.equal(JSON.parse(res.body).sub, 'example-client')
    }
  })

  test('with ISSUER_BASE_URL and AUDIENCE set, it protects the API with that authorization server', async (t) => {
    const issuer = await createDevIssuer()
    t.after(() => issuer.close())
    const env = childEnv({ ISSUER_BASE_URL: issuer.issuerBaseURL, AUDIENCE: issuer.audience })
    const { outcome, stdout } = await startServer(t, env, /listening on (\S+), protected by/)
    assert.equal(outcome, 'started')
    const [, api] = /listening on (\S+),/.exec(stdout)
    assert.equal((await request(`${api}/api/private`)).status, 401)
    const res = await request(`${api}/api/whoami`, bearer(issuer.sign({ sub: 'someone' })))
    assert.deepEqual([res.status, res.json.sub], [200, 'someone'])
  })

  test('with a provider half configured, it fails at start-up naming the missing option', async (t) => {
    const { outcome, stderr } = await startServer(t, childEnv({ ISSUER_BASE_URL: 'https://tenant.example.com' }), /listening/)
    assert.equal(outcome, 1)
    assert.match(stderr(), /An 'audience' is required to validate the 'aud' claim/)
  })
})
