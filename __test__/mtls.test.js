'use strict'
/**
 * Certificate-bound access tokens (RFC 8705 §3) over real HTTPS on 127.0.0.1, on Express 5 and 4:
 * an app that requests client certificates, with a CA, a server certificate and client
 * certificates made by the test (openssl), and `getCertificate` reading one from a header as a
 * TLS-terminating proxy would forward it. Tokens are really signed; the clock is fixed.
 *
 * Differences from express-oauth2-jwt-bearer 1.10:
 * - without `getCertificate`, the certificate of the request's TLS connection is used (the peer then
 *   has none, and refuses every certificate-bound token);
 * - no certificate, or one that cannot be read, for a certificate-bound token is 401
 *   `invalid_token` (RFC 8705 §3: a binding that does not match "MUST be rejected … using an HTTP
 *   401 status code and the invalid_token error code"), where the peer answers 400 `invalid_request`
 *   or 400 with a bare challenge;
 * - `getCertificate` that is not a function throws at start-up.
 */
const { describe, test, before, after, mock } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const https = require('node:https')
const os = require('node:os')
const path = require('node:path')
const { execFile, execFileSync, spawn } = require('node:child_process')
const { once } = require('node:events')
const bearer = require('..')
const h = require('./helpers')

const EXPRESS = [['Express 5', require('express')], ['Express 4', require('express4')]]

const NOW = Date.UTC(2031, 0, 15, 12)
const ISSUER_KEY = h.keyPair('ES256')
const OPTIONS = Object.freeze({ issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, jwks: h.jwks(ISSUER_KEY), currentDate: NOW })
const BARE = 'Bearer realm="api"'
const DPOP = 'DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA"'
const TLS = h.tlsFixture()
const CLIENT = h.clientCert(TLS, { cn: 'mtls client' })
const OTHER_CLIENT = h.clientCert(TLS, { cn: 'another client' })
const FOREIGN_CLIENT = h.clientCert(h.tlsFixture({ name: 'foreign' }), { cn: 'client of another CA' })

function token (claims = {}) {
  return h.sign(h.claims(claims, { now: NOW / 1000 }), ISSUER_KEY)
}

const boundTo = (certificate) => token({ cnf: { 'x5t#S256': certificate.x5tS256 } })

/** One request over a fresh connection, presenting `certificate` when given: `{ status, headers, body }`. */
function request (base, path, { headers = {}, certificate } = {}) {
  const client = base.startsWith('https:') ? https : http
  const tls = base.startsWith('https:') ? { ca: TLS.caPem, ...(certificate ? { cert: certificate.certPem, key: certificate.keyPem } : {}) } : {}
  return new Promise((resolve, reject) => {
    const req = client.request(`${base}${path}`, { headers, agent: false, ...tls }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end()
  })
}

const bearerHeader = (value) => ({ authorization: `Bearer ${value}` })

/** The error handler of the test apps. */
function dump (err, req, res, next) {
  res.status(err.status ?? 500).set(err.headers ?? {}).json({ name: err.name, kind: err.kind, claim: err.claim, message: err.message })
}

const echo = (req, res) => res.json({ auth: req.auth ?? null })

/** An Express app with each route of `routes` (path → auth options), and the test error handler. */
function app (express, routes) {
  const application = express()
  application.set('env', 'production')
  for (const [path, options] of Object.entries(routes)) application.get(path, bearer.auth({ ...OPTIONS, ...options }), echo)
  application.use(dump)
  return application
}

/** Serves `app` over HTTPS, asking clients for a certificate (any, unverified: RFC 8705 §2.2 allows self-signed ones). */
async function serveTls (application, register) {
  const server = https.createServer({ key: TLS.keyPem, cert: TLS.certPem, ca: TLS.caPem, requestCert: true, rejectUnauthorized: false }, application)
  return listen(server, 'https', register)
}

async function listen (server, scheme, register) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  register(() => new Promise((resolve) => {
    server.close(resolve)
    server.closeAllConnections()
  }))
  return `${scheme}://127.0.0.1:${server.address().port}`
}

/** A refusal on the Bearer challenge, with the DPoP challenge after it (DPoP is on by default). */
function invalidToken (kind, message) {
  return { status: 401, challenge: `${BARE}, error="invalid_token", error_description="${message.replace(/"/g, "'")}", ${DPOP}`, body: { name: 'InvalidTokenError', kind, claim: 'cnf', message } }
}

function assertRefusal (res, expected) {
  assert.equal(res.status, expected.status, res.body)
  assert.equal(res.headers['www-authenticate'], expected.challenge)
  assert.deepEqual(JSON.parse(res.body), expected.body)
}

function assertAccepted (res, accessToken) {
  assert.equal(res.status, 200, res.body)
  assert.equal(JSON.parse(res.body).auth.token, accessToken)
}

const MISMATCH = invalidToken('binding_mismatch', 'JWT Access Token confirmation mismatch')
const NO_CERTIFICATE = invalidToken('certificate_required', 'A client certificate is required for this certificate-bound access token')
const UNBOUND = invalidToken('token_unbound', 'JWT Access Token has no x5t#S256 confirmation claim')

for (const [label, express] of EXPRESS) {
  describe(`certificate-bound tokens over HTTPS with client certificates on ${label}`, () => {
    let base
    const closers = []
    before(async () => {
      mock.method(console, 'error', () => {})
      base = await serveTls(app(express, {
        '/enabled': { mtls: { enabled: true } },
        '/required': { mtls: { enabled: true, required: true } },
        '/off': {},
        '/raw': { getCertificate: (req) => req.socket.getPeerCertificate().raw }
      }), (close) => closers.push(close))
    })
    after(async () => {
      await Promise.all(closers.map((close) => close()))
      mock.restoreAll()
    })

    test('the certificate the token is bound to: 200', async () => {
      const bound = boundTo(CLIENT)
      assertAccepted(await request(base, '/enabled', { headers: bearerHeader(bound), certificate: CLIENT }), bound)
    })

    test('a certificate of another CA, bound to the token: 200 (the binding is the thumbprint, RFC 8705 §2.2)', async () => {
      const bound = boundTo(FOREIGN_CLIENT)
      assertAccepted(await request(base, '/enabled', { headers: bearerHeader(bound), certificate: FOREIGN_CLIENT }), bound)
    })

    test('another certificate: 401 invalid_token, confirmation mismatch', async () => {
      assertRefusal(await request(base, '/enabled', { headers: bearerHeader(boundTo(CLIENT)), certificate: OTHER_CLIENT }), MISMATCH)
    })

    test('no certificate: 401 invalid_token, a certificate is required (RFC 8705 §3)', async () => {
      assertRefusal(await request(base, '/enabled', { headers: bearerHeader(boundTo(CLIENT)) }), NO_CERTIFICATE)
    })

    test('an unbound token, mTLS enabled but not required: 200 with or without a certificate', async () => {
      const plain = token()
      assertAccepted(await request(base, '/enabled', { headers: bearerHeader(plain) }), plain)
      assertAccepted(await request(base, '/enabled', { headers: bearerHeader(plain), certificate: CLIENT }), plain)
    })

    test('an unbound token, mTLS required: 401 invalid_token, even with a certificate', async () => {
      assertRefusal(await request(base, '/required', { headers: bearerHeader(token()), certificate: CLIENT }), UNBOUND)
      const bound = boundTo(CLIENT)
      assertAccepted(await request(base, '/required', { headers: bearerHeader(bound), certificate: CLIENT }), bound)
    })

    test('a malformed confirmation: 401 invalid_token with the peer\'s descriptions', async () => {
      const cases = [
        [{ cnf: { 'x5t#S256': CLIENT.x5tS256, kid: 'key-1' } }, 'claim_invalid', 'Multiple confirmation claims are not supported'],
        [{ cnf: { 'x5t#S256': 7 } }, 'claim_invalid', 'Malformed "x5t#S256" confirmation claim'],
        [{ cnf: { 'x5t#S256': '' } }, 'claim_invalid', 'Invalid "x5t#S256" confirmation claim']
      ]
      for (const [claims, kind, message] of cases) {
        assertRefusal(await request(base, '/required', { headers: bearerHeader(token(claims)), certificate: CLIENT }), invalidToken(kind, message))
      }
    })

    test('mTLS off (the default): cnf["x5t#S256"] is ignored', async () => {
      const bound = boundTo(CLIENT)
      assertAccepted(await request(base, '/off', { headers: bearerHeader(bound) }), bound)
    })

    test('getCertificate returning DER bytes: checked the same way', async () => {
      const bound = boundTo(CLIENT)
      assertAccepted(await request(base, '/raw', { headers: bearerHeader(bound), certificate: CLIENT }), bound)
      assertRefusal(await request(base, '/raw', { headers: bearerHeader(bound), certificate: OTHER_CLIENT }), MISMATCH)
    })

    test('a token bound to a certificate and a DPoP key, sent as Bearer: refused as DPoP-bound first, as the peer', async () => {
      const both = token({ cnf: { 'x5t#S256': CLIENT.x5tS256, jkt: 'abc' } })
      const res = await request(base, '/enabled', { headers: bearerHeader(both), certificate: CLIENT })
      assert.deepEqual([res.status, JSON.parse(res.body).kind], [401, 'dpop_scheme_required'])
    })

    test('a DPoP request is a DPoP request: a certificate-bound token with the DPoP scheme is checked as DPoP', async () => {
      const res = await request(base, '/required', { headers: { authorization: `DPoP ${boundTo(CLIENT)}`, dpop: 'x' }, certificate: CLIENT })
      assert.deepEqual([res.status, JSON.parse(res.body).message], [401, 'JWT Access Token has no jkt confirmation claim'])
    })
  })

  describe(`getCertificate behind a TLS-terminating proxy on ${label}`, () => {
    let base
    const closers = []
    before(async () => {
      mock.method(console, 'error', () => {})
      const fromHeader = (req) => {
        const pem = req.headers['x-client-cert']
        return typeof pem === 'string' ? decodeURIComponent(pem) : undefined
      }
      base = await listen(http.createServer(app(express, {
        '/api': { getCertificate: fromHeader },
        '/throws': { getCertificate: () => { throw new Error('proxy header missing') } },
        '/off': { getCertificate: fromHeader, mtls: { enabled: false } }
      })), 'http', (close) => closers.push(close))
    })
    after(async () => {
      await Promise.all(closers.map((close) => close()))
      mock.restoreAll()
    })

    const forwarded = (certificate) => ({ 'x-client-cert': encodeURIComponent(certificate.certPem) })

    test('the certificate from the header, bound to the token: 200 (getCertificate turns mTLS on)', async () => {
      const bound = boundTo(CLIENT)
      assertAccepted(await request(base, '/api', { headers: { ...bearerHeader(bound), ...forwarded(CLIENT) } }), bound)
    })

    test('another certificate in the header: 401 mismatch', async () => {
      assertRefusal(await request(base, '/api', { headers: { ...bearerHeader(boundTo(CLIENT)), ...forwarded(OTHER_CLIENT) } }), MISMATCH)
    })

    test('no header: 401, a certificate is required; an unbound token still passes', async () => {
      assertRefusal(await request(base, '/api', { headers: bearerHeader(boundTo(CLIENT)) }), NO_CERTIFICATE)
      const plain = token()
      assertAccepted(await request(base, '/api', { headers: bearerHeader(plain) }), plain)
    })

    test('a header that is no PEM certificate: 401, and a resolver that throws counts as no certificate', async () => {
      const garbage = await request(base, '/api', { headers: { ...bearerHeader(boundTo(CLIENT)), 'x-client-cert': 'garbage' } })
      assertRefusal(garbage, invalidToken('certificate_required', 'Client certificate is not valid PEM'))
      assertRefusal(await request(base, '/throws', { headers: bearerHeader(boundTo(CLIENT)) }), NO_CERTIFICATE)
    })

    test('mtls: { enabled: false } keeps mTLS off even with getCertificate', async () => {
      const bound = boundTo(CLIENT)
      assertAccepted(await request(base, '/off', { headers: bearerHeader(bound) }), bound)
    })
  })
}

describe('mTLS options', () => {
  const throwsType = (options, message) => assert.throws(() => bearer.auth({ ...OPTIONS, ...options }), (err) => err instanceof TypeError && err.message === message)

  test('the peer\'s checks, with its messages, at start-up', () => {
    throwsType({ mtls: 'on' }, 'Invalid mTLS configuration: "mtls" must be an object')
    throwsType({ mtls: { enabled: 'yes' } }, 'Invalid mTLS option: "enabled" must be a boolean')
    throwsType({ mtls: { enabled: true, required: 1 } }, 'Invalid mTLS option: "required" must be a boolean')
    throwsType({ mtls: { required: true } }, 'Invalid mTLS configuration: "required" can only be set to true when "enabled" is also true')
    throwsType({ mtls: { enabled: false, required: true }, getCertificate: () => undefined }, 'Invalid mTLS configuration: "required" can only be set to true when "enabled" is also true')
  })

  test('getCertificate turns mTLS on, so required alone is then valid; a getCertificate that is no function throws', () => {
    assert.equal(typeof bearer.auth({ ...OPTIONS, mtls: { required: true }, getCertificate: () => undefined }), 'function')
    throwsType({ getCertificate: 'x-client-cert' }, "'getCertificate' must be a function (req) => certificate")
  })
})

describe('the README\'s mTLS demo', () => {
  const ROOT = path.join(__dirname, '..')
  const hasCurl = (() => {
    try {
      execFileSync('curl', ['--version'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })()

  /** The code block of README.md whose first line is `firstLine`. */
  function readmeBlock (firstLine) {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const start = readme.indexOf(`\n${firstLine}\n`)
    assert.ok(start > 0, `README.md has a block starting with ${firstLine}`)
    return readme.slice(start + 1, readme.indexOf('\n```', start + 1) + 1)
  }

  const shell = (script, cwd) => new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], { cwd, timeout: 20000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)))
  })

  test('its openssl commands and script serve the example API over HTTPS; its curl calls answer 200 with the certificate, 401 without', { skip: !hasCurl && 'curl is not installed' }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bearer-rs-mtls-demo-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    await shell(readmeBlock('# certificates for the mTLS demo: a server certificate for localhost, and a client certificate'), dir)
    const demo = readmeBlock('// mtls-demo.js: the example API over HTTPS, asking for client certificates (run it from the clone)')
      .replace("require('bearer-rs')", `require(${JSON.stringify(ROOT)})`)
      .replace("require('./example/server')", `require(${JSON.stringify(path.join(ROOT, 'example', 'server'))})`)
    fs.writeFileSync(path.join(dir, 'mtls-demo.js'), demo)
    const child = spawn(process.execPath, ['mtls-demo.js'], { cwd: dir, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = once(child, 'exit')
    t.after(async () => {
      child.kill('SIGTERM')
      await exited
    })
    let printed = ''
    child.stdout.setEncoding('utf8')
    await new Promise((resolve) => child.stdout.on('data', (chunk) => {
      printed += chunk
      if (printed.split('\n').length > 2) resolve()
    }))
    const [withCertificate, without] = printed.trim().split('\n')
    assert.match(withCertificate, /^curl --cacert server\.pem --cert client\.pem --key client\.key https:\/\/localhost:\d+\/api\/private -H 'Authorization: Bearer ey/)
    assert.equal(await shell(`${withCertificate} -s -w ' %{http_code}'`, dir), '{"message":"Hello from a private endpoint! You need to be authenticated to see this."} 200')
    const refused = await shell(`${without} -s -i`, dir)
    assert.match(refused, /^HTTP\/1\.1 401 /)
    assert.match(refused, /WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="A client certificate is required for this certificate-bound access token", DPoP algs=/i)
  })
})
