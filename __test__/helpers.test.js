'use strict'
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const crypto = require('node:crypto')
const https = require('node:https')
const net = require('node:net')
const { after, before, describe, test } = require('node:test')
const {
  ALGS, DEFAULT_AUDIENCE, DEFAULT_ISSUER, b64url, claims, compact, freshKeyPair, jwks, keyPair,
  segment, sign, signRaw, startIdp, unusedPort, tlsFixture, clientCert
} = require('./helpers')

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi']

function verify (token, alg, keyMaterial) {
  const [header, payload, signature] = token.split('.')
  const data = Buffer.from(`${header}.${payload}`)
  const sig = Buffer.from(signature, 'base64url')
  if (alg.startsWith('HS')) {
    const expected = crypto.createHmac(`sha${alg.slice(2)}`, Buffer.from(keyMaterial, 'utf8')).update(data).digest()
    return expected.length === sig.length && crypto.timingSafeEqual(expected, sig)
  }
  const key = crypto.createPublicKey({ key: keyMaterial, format: 'jwk' })
  if (alg === 'EdDSA') return crypto.verify(null, data, key, sig)
  const hash = `sha${alg.slice(2)}`
  const options = { key }
  if (alg.startsWith('PS')) {
    Object.assign(options, { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 })
  }
  if (alg.startsWith('ES')) options.dsaEncoding = 'ieee-p1363'
  return crypto.verify(hash, data, options, sig)
}

function decode (token) {
  const [header, payload] = token.split('.')
  return {
    header: JSON.parse(Buffer.from(header, 'base64url')),
    payload: Buffer.from(payload, 'base64url').toString()
  }
}

function get (url, init = {}) {
  return fetch(url, { signal: AbortSignal.timeout(3000), ...init })
}

async function until (predicate) {
  const deadline = Date.now() + 2000
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in 2 s')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function refused (error) {
  return error.cause?.code === 'ECONNREFUSED'
}

function connect (port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket.destroy()))
    socket.once('error', reject)
  })
}

function httpsGet (url, options) {
  return new Promise((resolve, reject) => {
    https.get(url, { ...options, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode, body }))
    }).on('error', reject)
  })
}

function opensslVerify (...args) {
  return execFileSync('openssl', ['verify', ...args], { stdio: 'pipe' }).toString()
}

describe('tokens', () => {
  test('every supported algorithm signs a token that verifies against its public key and fails once tampered', () => {
    for (const alg of ALGS) {
      const pair = keyPair(alg)
      const keyMaterial = pair.secret ?? pair.publicJwk
      const token = sign(claims(), pair)
      assert.equal(verify(token, alg, keyMaterial), true, alg)
      const [header, , signature] = token.split('.')
      const tampered = compact(header, segment(claims({ scope: 'admin' })), signature)
      assert.equal(verify(tampered, alg, keyMaterial), false, alg)
    }
  })

  test('public JWKs carry kid, alg and use:sig and no private members', () => {
    for (const alg of ALGS.filter((name) => !name.startsWith('HS'))) {
      const { publicJwk, kid } = keyPair(alg)
      assert.deepEqual([publicJwk.kid, publicJwk.alg, publicJwk.use], [kid, alg, 'sig'])
      assert.deepEqual(PRIVATE_MEMBERS.filter((member) => member in publicJwk), [])
    }
    assert.deepEqual(jwks(keyPair('RS256'), keyPair('ES256')), {
      keys: [keyPair('RS256').publicJwk, keyPair('ES256').publicJwk]
    })
  })

  test('HMAC secrets are strings whose UTF-8 bytes are as long as the hash', () => {
    assert.deepEqual(['HS256', 'HS384', 'HS512'].map((alg) => Buffer.byteLength(keyPair(alg).secret, 'utf8')), [32, 48, 64])
  })

  test('keyPair is cached while freshKeyPair makes a new key and takes generator options', () => {
    assert.equal(keyPair('ES256'), keyPair('ES256'))
    assert.notEqual(freshKeyPair('ES256').kid, keyPair('ES256').kid)
    const weak = freshKeyPair('RS256', { modulusLength: 1024 })
    assert.equal(Buffer.from(weak.publicJwk.n, 'base64url').length, 128)
    assert.equal(Buffer.byteLength(freshKeyPair('HS256', { bytes: 16 }).secret), 16)
  })

  test('sign puts alg, typ and kid in the header, merges overrides and drops members set to undefined', () => {
    const pair = keyPair('RS256')
    assert.deepEqual(decode(sign({}, pair)).header, { alg: 'RS256', typ: 'JWT', kid: pair.kid })
    assert.deepEqual(decode(sign({}, keyPair('HS256'))).header, { alg: 'HS256', typ: 'JWT' })
    const odd = sign({}, { ...pair, header: { typ: 'at+jwt', kid: undefined, crit: ['exp'] } })
    assert.deepEqual(decode(odd).header, { alg: 'RS256', typ: 'at+jwt', crit: ['exp'] })
    assert.equal(verify(odd, 'RS256', pair.publicJwk), true)
    assert.equal(sign({}, { alg: 'none' }).endsWith('.'), true)
  })

  test('raw payloads and signRaw craft odd tokens that still carry a valid signature', () => {
    const pair = keyPair('ES256')
    assert.equal(decode(sign('not json', pair)).payload, 'not json')
    const signingInput = compact(b64url('{"alg":"ES256","alg":"none"}'), segment(claims()))
    const token = compact(signingInput, signRaw(signingInput, pair))
    assert.equal(verify(token, 'ES256', pair.publicJwk), true)
    const hs = keyPair('HS256')
    assert.equal(signRaw('a.b', hs), crypto.createHmac('sha256', hs.secret).update('a.b').digest('base64url'))
  })

  test('claims builds an RFC 9068 payload around now and deletes claims overridden with undefined', () => {
    const payload = claims({ scope: undefined, extra: 1 }, { now: 1000 })
    assert.equal(payload.iss, DEFAULT_ISSUER)
    assert.equal(payload.aud, DEFAULT_AUDIENCE)
    assert.deepEqual([payload.iat, payload.exp, payload.extra, 'scope' in payload], [1000, 4600, 1, false])
    assert.ok(payload.sub && payload.client_id && payload.jti)
    assert.ok(Math.abs(claims().iat - Date.now() / 1000) < 5)
    assert.notEqual(claims().jti, claims().jti)
  })
})

describe('idp', () => {
  let idp
  before(async () => { idp = await startIdp() })
  after(() => idp.close())

  function reset () {
    idp.behave('all', 'ok')
    idp.setJwks(jwks(keyPair('RS256')))
    idp.setDiscovery(null)
    idp.resetCounts()
  }

  test('serves discovery and the JWKS with a default issuer ending in a slash', async () => {
    reset()
    assert.match(idp.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(idp.port, Number(new URL(idp.url).port))
    assert.equal(idp.issuer, `${idp.url}/`)
    assert.equal(idp.discoveryUrl, `${idp.url}/.well-known/openid-configuration`)
    const discovery = await (await get(idp.discoveryUrl)).json()
    assert.deepEqual([discovery.issuer, discovery.jwks_uri], [idp.issuer, `${idp.url}/.well-known/jwks.json`])
    const alt = await (await get(`${idp.url}/.well-known/oauth-authorization-server`)).json()
    assert.equal(alt.issuer, idp.issuer)
    assert.deepEqual(await (await get(idp.jwksUri)).json(), jwks(keyPair('RS256')))
    assert.equal((await get(`${idp.url}/elsewhere`)).status, 404)
  })

  test('an Okta-shaped layout puts discovery and keys under the issuer path', async () => {
    const okta = await startIdp({ path: '/oauth2/default', jwksPath: '/v1/keys' })
    try {
      assert.equal(okta.issuer, `${okta.url}/oauth2/default`)
      assert.equal(okta.discoveryUrl, `${okta.issuer}/.well-known/openid-configuration`)
      const discovery = await (await get(okta.discoveryUrl)).json()
      assert.deepEqual([discovery.issuer, discovery.jwks_uri], [okta.issuer, `${okta.issuer}/v1/keys`])
      assert.equal((await get(`${okta.url}/.well-known/oauth-authorization-server/oauth2/default`)).status, 200)
      assert.equal((await get(discovery.jwks_uri)).status, 200)
    } finally {
      await okta.close()
    }
  })

  test('an issuer override, setJwks and setDiscovery change what is served, raw strings verbatim', async () => {
    const other = await startIdp({ issuer: 'https://someone-else.example.test/' })
    try {
      assert.equal((await (await get(other.discoveryUrl)).json()).issuer, 'https://someone-else.example.test/')
    } finally {
      await other.close()
    }
    reset()
    idp.setJwks('{"keys":[],"keys":[]}')
    assert.equal(await (await get(idp.jwksUri)).text(), '{"keys":[],"keys":[]}')
    idp.setDiscovery({ issuer: 'x' })
    assert.deepEqual(await (await get(idp.discoveryUrl)).json(), { issuer: 'x' })
  })

  test('counts requests per endpoint and logs their headers until reset', async () => {
    reset()
    await get(idp.discoveryUrl)
    await get(idp.jwksUri, { headers: { 'x-custom': 'yes' } })
    await get(idp.jwksUri)
    await get(`${idp.url}/nope`)
    assert.deepEqual(idp.counts, { discovery: 1, jwks: 2, total: 4 })
    assert.equal(idp.count('/nope'), 1)
    assert.equal(idp.count('jwks'), 2)
    const [first] = idp.requests.filter((entry) => entry.endpoint === 'jwks')
    assert.deepEqual([first.method, first.path, first.headers['x-custom']], ['GET', '/.well-known/jwks.json', 'yes'])
    idp.resetCounts()
    assert.deepEqual([idp.counts.total, idp.requests.length], [0, 0])
  })

  test('status mode answers the given code, including a 301 with Location', async () => {
    reset()
    idp.behave('jwks', 'status', { status: 500 })
    assert.equal((await get(idp.jwksUri)).status, 500)
    idp.behave('all', 'status', { status: 301, location: 'http://127.0.0.1:1/moved' })
    const res = await get(idp.discoveryUrl, { redirect: 'manual' })
    assert.deepEqual([res.status, res.headers.get('location')], [301, 'http://127.0.0.1:1/moved'])
  })

  test('redirect and content-type modes change the status and headers', async () => {
    reset()
    idp.behave('jwks', 'redirect', { location: `${idp.url}/elsewhere` })
    const res = await get(idp.jwksUri, { redirect: 'manual' })
    assert.deepEqual([res.status, res.headers.get('location')], [302, `${idp.url}/elsewhere`])
    idp.behave('jwks', 'content-type', { contentType: 'text/plain', headers: { 'cache-control': 'max-age=5' } })
    const typed = await get(idp.jwksUri)
    assert.deepEqual([typed.headers.get('content-type'), typed.headers.get('cache-control')], ['text/plain', 'max-age=5'])
    assert.deepEqual(await typed.json(), jwks(keyPair('RS256')))
  })

  test('invalid-json mode answers 200 with a body that does not parse', async () => {
    reset()
    idp.behave('discovery', 'invalid-json')
    const res = await get(idp.discoveryUrl)
    assert.equal(res.status, 200)
    await assert.rejects(res.json(), SyntaxError)
  })

  test('hang mode never answers until the behaviour changes', async () => {
    reset()
    idp.behave('jwks', 'hang')
    await assert.rejects(get(idp.jwksUri, { signal: AbortSignal.timeout(150) }), { name: 'TimeoutError' })
    const pending = get(idp.jwksUri)
    await until(() => idp.count('jwks') === 2)
    idp.behave('jwks', 'ok')
    assert.equal((await pending).status, 200)
  })

  test('closing the server ends a hung request', async () => {
    const hanging = await startIdp()
    hanging.behave('all', 'hang')
    const pending = assert.rejects(get(hanging.jwksUri), TypeError)
    await until(() => hanging.count('jwks') === 1)
    const started = Date.now()
    await hanging.close()
    await pending
    assert.ok(Date.now() - started < 1000)
    await assert.rejects(hanging.start(), /closed/)
  })

  test('slow mode answers after the delay', async () => {
    reset()
    idp.behave('jwks', 'slow', { delayMs: 200 })
    await assert.rejects(get(idp.jwksUri, { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' })
    const started = Date.now()
    assert.equal((await get(idp.jwksUri)).status, 200)
    assert.ok(Date.now() - started >= 190)
  })

  test('huge mode streams exactly the requested number of bytes, chunked unless asked otherwise', async () => {
    reset()
    idp.behave('jwks', 'huge')
    const res = await get(idp.jwksUri)
    assert.equal(res.headers.get('content-length'), null)
    let bytes = 0
    let tail = ''
    for await (const chunk of res.body) {
      bytes += chunk.length
      tail = Buffer.from(chunk).toString().slice(-2)
    }
    assert.deepEqual([bytes, tail], [10 * 1024 * 1024, '"}'])
    idp.behave('jwks', 'huge', { bytes: 1000, contentLength: true })
    const small = await get(idp.jwksUri)
    assert.equal(small.headers.get('content-length'), '1000')
    assert.equal((await small.json()).keys.length, 0)
  })

  test('reset mode breaks the connection mid-response, or before any byte with immediate', async () => {
    reset()
    idp.behave('jwks', 'reset')
    const res = await get(idp.jwksUri)
    assert.equal(res.status, 200)
    await assert.rejects(res.text())
    idp.behave('jwks', 'reset', { immediate: true })
    await assert.rejects(get(idp.jwksUri), (error) => error.cause?.code === 'ECONNRESET')
  })

  test('times limits a behaviour to the next requests, then it is ok again', async () => {
    reset()
    idp.behave('jwks', 'status', { status: 503, times: 2 })
    const statuses = []
    for (let i = 0; i < 3; i += 1) statuses.push((await get(idp.jwksUri)).status)
    assert.deepEqual(statuses, [503, 503, 200])
  })

  test('stop refuses connections on the same port and start serves there again', async () => {
    reset()
    const { port } = idp
    await idp.stop()
    await assert.rejects(get(idp.jwksUri), TypeError)
    await assert.rejects(connect(port), { code: 'ECONNREFUSED' })
    await idp.start()
    assert.equal(idp.port, port)
    assert.equal((await get(idp.jwksUri)).status, 200)
  })

  test('unusedPort returns a port where connections are refused', async () => {
    const port = await unusedPort()
    await assert.rejects(get(`http://127.0.0.1:${port}/`), refused)
  })
})

describe('tls', () => {
  test('the leaf verifies as a server certificate against its CA and not against the other CA', () => {
    const fixture = tlsFixture()
    assert.equal(tlsFixture(), fixture)
    assert.match(opensslVerify('-purpose', 'sslserver', '-CAfile', fixture.caFile, fixture.certFile), /: OK/)
    assert.throws(() => opensslVerify('-CAfile', tlsFixture({ name: 'other' }).caFile, fixture.certFile))
    const leaf = new crypto.X509Certificate(fixture.certPem)
    assert.equal(leaf.ca, false)
    assert.equal(leaf.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1')
    assert.equal(new crypto.X509Certificate(fixture.caPem).ca, true)
  })

  test('an HTTPS IdP is trusted with the fixture CA and refused without it or with another CA', async () => {
    const fixture = tlsFixture()
    const idp = await startIdp({ tls: fixture })
    try {
      assert.match(idp.url, /^https:\/\/127\.0\.0\.1:/)
      const { status, body } = await httpsGet(idp.discoveryUrl, { ca: fixture.caPem })
      assert.equal(status, 200)
      assert.equal(JSON.parse(body).jwks_uri, idp.jwksUri)
      await assert.rejects(httpsGet(idp.jwksUri, {}), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
      await assert.rejects(httpsGet(idp.jwksUri, { ca: tlsFixture({ name: 'other' }).caPem }), {
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
      })
    } finally {
      await idp.close()
    }
  })

  test('client certificates are signed by the CA for client auth and carry their DER SHA-256', () => {
    const fixture = tlsFixture()
    const client = clientCert()
    assert.match(opensslVerify('-purpose', 'sslclient', '-CAfile', fixture.caFile, client.certFile), /: OK/)
    const der = new crypto.X509Certificate(client.certPem).raw
    assert.equal(client.derSha256, crypto.createHash('sha256').update(der).digest('hex'))
    assert.equal(client.x5tS256, Buffer.from(client.derSha256, 'hex').toString('base64url'))
  })
})
