'use strict'
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const http = require('node:http')
const net = require('node:net')
const { once } = require('node:events')
const { test } = require('node:test')
const { createDevIssuer } = require('../lib/dev-issuer')

/** Every issuer here runs on this pinned clock: 2031-01-15T12:00:00Z. */
const NOW = Date.UTC(2031, 0, 15, 12)
const NOW_SECONDS = NOW / 1000

const PSS = crypto.constants.RSA_PKCS1_PSS_PADDING
/** Each JWS `alg`: its JWK type and curve, and how node:crypto verifies it (written apart from the issuer's table). */
const ALGORITHMS = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', options: { padding: PSS, saltLength: 32 } },
  PS384: { kty: 'RSA', hash: 'sha384', options: { padding: PSS, saltLength: 48 } },
  PS512: { kty: 'RSA', hash: 'sha512', options: { padding: PSS, saltLength: 64 } },
  ES256: { kty: 'EC', crv: 'P-256', hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: null }
}
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const BASIC_CHALLENGE = 'Basic realm="dev-issuer"'

async function startIssuer (t, options = {}) {
  const issuer = await createDevIssuer({ now: () => NOW, ...options })
  t.after(() => issuer.close())
  return issuer
}

function decode (token) {
  const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url')))
  return { header, payload }
}

async function getJson (url) {
  const response = await fetch(url)
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('content-type'), 'application/json')
  return response.json()
}

/** Whether `token`'s signature verifies with the key of `jwks` that has the header's kid and alg. */
function verifies (token, jwks) {
  const [header, payload, signature] = token.split('.')
  const { alg, kid } = decode(token).header
  const jwk = jwks.keys.find((candidate) => candidate.kid === kid && candidate.alg === alg)
  if (jwk === undefined) return false
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' })
  const { hash, options } = ALGORITHMS[alg]
  const signingInput = Buffer.from(`${header}.${payload}`)
  return crypto.verify(hash, signingInput, { key, ...options }, Buffer.from(signature, 'base64url'))
}

/** RFC 6749 §2.3.1: HTTP Basic over the form-urlencoded client id and secret. */
function basic (clientId, clientSecret) {
  const formEncode = (text) => new URLSearchParams([['', text]]).toString().slice(1)
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`
}

function postToken (issuer, params, headers = {}) {
  return fetch(issuer.tokenEndpoint, { method: 'POST', headers, body: new URLSearchParams(params) })
}

/** POSTs `params` to the token endpoint as the default client `dev-client`, authenticated with HTTP Basic. */
function postTokenAsDevClient (issuer, params) {
  return postToken(issuer, params, { authorization: basic('dev-client', devClientSecret(issuer)) })
}

function devClientSecret (issuer) {
  return issuer.clients[0].clientSecret
}

/** Pins an RFC 6749 §5.2 error response: status, `error`, challenge header, JSON and no-store. */
async function assertTokenError (response, { status, error, challenge = null }) {
  assert.equal(response.status, status)
  assert.equal(response.headers.get('www-authenticate'), challenge)
  assert.equal(response.headers.get('content-type'), 'application/json')
  assert.equal(response.headers.get('cache-control'), 'no-store')
  const body = await response.json()
  assert.equal(body.error, error)
  assert.equal(typeof body.error_description, 'string')
  assert.deepEqual(Object.keys(body), ['error', 'error_description'])
}

test('exposes its URLs, audience, algorithm and a default client with a random secret', async (t) => {
  const issuer = await startIssuer(t)
  const base = `http://127.0.0.1:${issuer.port}`
  assert.ok(issuer.port > 0)
  assert.equal(issuer.issuer, `${base}/`)
  assert.equal(issuer.issuerBaseURL, base)
  assert.equal(issuer.jwksUri, `${base}/.well-known/jwks.json`)
  assert.equal(issuer.tokenEndpoint, `${base}/oauth/token`)
  assert.equal(issuer.audience, 'https://api.example.test')
  assert.equal(issuer.algorithm, 'RS256')
  const [client, ...others] = issuer.clients
  assert.deepEqual(others, [])
  assert.deepEqual(client, { clientId: 'dev-client', clientSecret: client.clientSecret, scope: 'read:messages' })
  assert.match(devClientSecret(issuer), /^[A-Za-z0-9_-]{43}$/)
  const other = await startIssuer(t)
  assert.notEqual(devClientSecret(other), devClientSecret(issuer))
})

test('serves the same discovery document at the OpenID and RFC 8414 addresses', async (t) => {
  const issuer = await startIssuer(t, {
    clients: [
      { clientId: 'reader', clientSecret: 'reader-secret', scope: 'read:messages' },
      { clientId: 'writer', clientSecret: 'writer-secret', scope: 'read:messages write:messages' }
    ]
  })
  const expected = {
    issuer: issuer.issuer,
    jwks_uri: issuer.jwksUri,
    token_endpoint: issuer.tokenEndpoint,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    response_types_supported: ['token'],
    scopes_supported: ['read:messages', 'write:messages'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256'],
    dpop_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']
  }
  assert.deepEqual(await getJson(`${issuer.issuerBaseURL}/.well-known/openid-configuration`), expected)
  assert.deepEqual(await getJson(`${issuer.issuerBaseURL}/.well-known/oauth-authorization-server`), expected)
})

test('the jwks_uri found by discovery serves a key that verifies a token from the token endpoint', async (t) => {
  const issuer = await startIssuer(t)
  const discovery = await getJson(`${issuer.issuerBaseURL}/.well-known/openid-configuration`)
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'dev-client',
      client_secret: devClientSecret(issuer)
    })
  })
  const { access_token: token } = await response.json()
  const jwks = await getJson(discovery.jwks_uri)
  assert.deepEqual(jwks, issuer.jwks())
  assert.equal(verifies(token, jwks), true)
})

test('the JWKS holds public members only, with kid, alg and use: sig', async (t) => {
  const issuer = await startIssuer(t)
  const { keys } = await getJson(issuer.jwksUri)
  assert.equal(keys.length, 1)
  assert.deepEqual(Object.keys(keys[0]).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'])
  assert.equal(keys[0].kty, 'RSA')
  assert.equal(keys[0].alg, 'RS256')
  assert.equal(keys[0].use, 'sig')
  assert.equal(Buffer.from(keys[0].n, 'base64url').length * 8, 2048)
})

test('issues a token to a client authenticating with HTTP Basic', async (t) => {
  const issuer = await startIssuer(t, { tokenLifetime: 600 })
  const response = await postTokenAsDevClient(issuer, { grant_type: 'client_credentials' })
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('content-type'), 'application/json')
  assert.equal(response.headers.get('cache-control'), 'no-store')
  assert.equal(response.headers.get('pragma'), 'no-cache')
  const body = await response.json()
  assert.deepEqual(Object.keys(body), ['access_token', 'token_type', 'expires_in', 'scope'])
  assert.equal(body.token_type, 'Bearer')
  assert.equal(body.expires_in, 600)
  assert.equal(body.scope, 'read:messages')
  const { header, payload } = decode(body.access_token)
  assert.deepEqual(header, { alg: 'RS256', typ: 'at+jwt', kid: issuer.jwks().keys[0].kid })
  assert.deepEqual(payload, {
    iss: issuer.issuer,
    sub: 'dev-client',
    aud: 'https://api.example.test',
    iat: NOW_SECONDS,
    exp: NOW_SECONDS + 600,
    jti: payload.jti,
    client_id: 'dev-client',
    scope: 'read:messages'
  })
  assert.equal(verifies(body.access_token, issuer.jwks()), true)
})

test('issues a token to a client sending client_id and client_secret in a form body', async (t) => {
  const issuer = await startIssuer(t)
  const response = await postToken(issuer, {
    grant_type: 'client_credentials',
    client_id: 'dev-client',
    client_secret: devClientSecret(issuer)
  })
  assert.equal(response.status, 200)
  const body = await response.json()
  assert.equal(decode(body.access_token).payload.client_id, 'dev-client')
  assert.equal(verifies(body.access_token, issuer.jwks()), true)
})

test('accepts a JSON body with the audience parameter, as Auth0 does, and ignores unknown parameters', async (t) => {
  const issuer = await startIssuer(t)
  const response = await fetch(issuer.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: 'dev-client',
      client_secret: devClientSecret(issuer),
      audience: 'https://api.example.test',
      client_metadata: { team: 'dev' }
    })
  })
  assert.equal(response.status, 200)
  assert.equal(decode((await response.json()).access_token).payload.aud, 'https://api.example.test')
})

test('decodes the form-urlencoded client id and secret inside HTTP Basic', async (t) => {
  const client = { clientId: 'svc:reports', clientSecret: 'p@ss word+/=:%é', scope: 'read:reports' }
  const issuer = await startIssuer(t, { clients: [client] })
  const response = await postToken(issuer, { grant_type: 'client_credentials' }, {
    authorization: basic(client.clientId, client.clientSecret)
  })
  assert.equal(response.status, 200)
  assert.equal(decode((await response.json()).access_token).payload.sub, 'svc:reports')
})

test('grants the requested scopes when they are a subset of the registered ones', async (t) => {
  const issuer = await startIssuer(t, {
    clients: [{ clientId: 'writer', clientSecret: 'writer-secret', scope: 'read:messages write:messages admin' }]
  })
  const params = { grant_type: 'client_credentials', scope: 'write:messages read:messages' }
  const response = await postToken(issuer, params, { authorization: basic('writer', 'writer-secret') })
  assert.equal(response.status, 200)
  const body = await response.json()
  assert.equal(body.scope, 'write:messages read:messages')
  assert.equal(decode(body.access_token).payload.scope, 'write:messages read:messages')
})

test('rejects a wrong client secret with 401 invalid_client and a Basic challenge', async (t) => {
  const issuer = await startIssuer(t)
  const response = await postToken(issuer, { grant_type: 'client_credentials' }, {
    authorization: basic('dev-client', `${devClientSecret(issuer)}x`)
  })
  await assertTokenError(response, { status: 401, error: 'invalid_client', challenge: BASIC_CHALLENGE })
})

test('rejects an unknown client with 401 invalid_client', async (t) => {
  const issuer = await startIssuer(t)
  const response = await postToken(issuer, {
    grant_type: 'client_credentials',
    client_id: 'someone-else',
    client_secret: devClientSecret(issuer)
  })
  await assertTokenError(response, { status: 401, error: 'invalid_client', challenge: BASIC_CHALLENGE })
})

test('rejects a request without client authentication with 401 invalid_client', async (t) => {
  const issuer = await startIssuer(t)
  const response = await postToken(issuer, { grant_type: 'client_credentials', client_id: 'dev-client' })
  await assertTokenError(response, { status: 401, error: 'invalid_client', challenge: BASIC_CHALLENGE })
})

test('rejects an Authorization header that is not Basic with 401 invalid_client', async (t) => {
  const issuer = await startIssuer(t)
  const noColon = `Basic ${Buffer.from('no-colon').toString('base64')}`
  for (const authorization of ['Bearer abc', 'Basic not*base64', noColon, 'Basic JTp4']) {
    const response = await postToken(issuer, { grant_type: 'client_credentials' }, { authorization })
    await assertTokenError(response, { status: 401, error: 'invalid_client', challenge: BASIC_CHALLENGE })
  }
})

test('rejects HTTP Basic combined with credentials in the body as invalid_request', async (t) => {
  const issuer = await startIssuer(t)
  const secret = devClientSecret(issuer)
  const params = { grant_type: 'client_credentials', client_id: 'dev-client', client_secret: secret }
  const response = await postToken(issuer, params, { authorization: basic('dev-client', secret) })
  await assertTokenError(response, { status: 400, error: 'invalid_request' })
})

test('rejects a grant type other than client_credentials as unsupported_grant_type', async (t) => {
  const issuer = await startIssuer(t)
  const response = await postTokenAsDevClient(issuer, { grant_type: 'password', username: 'u', password: 'p' })
  await assertTokenError(response, { status: 400, error: 'unsupported_grant_type' })
})

test('rejects a request without grant_type as invalid_request', async (t) => {
  const issuer = await startIssuer(t)
  const response = await postTokenAsDevClient(issuer, {})
  await assertTokenError(response, { status: 400, error: 'invalid_request' })
})

test('rejects a scope the client is not registered for as invalid_scope', async (t) => {
  const issuer = await startIssuer(t)
  const params = { grant_type: 'client_credentials', scope: 'read:messages admin' }
  const response = await postTokenAsDevClient(issuer, params)
  await assertTokenError(response, { status: 400, error: 'invalid_scope' })
})

test('rejects an audience other than the configured one as invalid_request', async (t) => {
  const issuer = await startIssuer(t)
  const params = { grant_type: 'client_credentials', audience: 'https://other.example.test' }
  const response = await postTokenAsDevClient(issuer, params)
  await assertTokenError(response, { status: 400, error: 'invalid_request' })
})

test('rejects a repeated parameter, a body of another media type and malformed JSON as invalid_request', async (t) => {
  const issuer = await startIssuer(t)
  const authorization = basic('dev-client', devClientSecret(issuer))
  const FORM = 'application/x-www-form-urlencoded'
  const JSON_TYPE = 'application/json'
  const requests = [
    [FORM, 'grant_type=client_credentials&scope=a&scope=b'],
    ['text/plain', 'grant_type=client_credentials'],
    [JSON_TYPE, '{"grant_type":'],
    [JSON_TYPE, '["grant_type"]'],
    [JSON_TYPE, '{"grant_type":"client_credentials","scope":["read:messages"]}']
  ]
  for (const [contentType, body] of requests) {
    const headers = { 'content-type': contentType, authorization }
    const response = await fetch(issuer.tokenEndpoint, { method: 'POST', headers, body })
    await assertTokenError(response, { status: 400, error: 'invalid_request' })
  }
})

test('answers a body over 16 KiB with 413 and closes the connection', async (t) => {
  const issuer = await startIssuer(t)
  const response = await postToken(issuer, { grant_type: 'client_credentials', pad: 'x'.repeat(16 * 1024) })
  await assertTokenError(response, { status: 413, error: 'invalid_request' })
  assert.equal(response.headers.get('connection'), 'close')
})

test('answers a declared Content-Length over 16 KiB with 413 before the body arrives', { timeout: 5000 }, async (t) => {
  const issuer = await startIssuer(t)
  const request = http.request(issuer.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': 16 * 1024 + 1 }
  })
  t.after(() => request.destroy())
  request.flushHeaders()
  const [response] = await once(request, 'response')
  assert.equal(response.statusCode, 413)
  assert.equal(response.headers.connection, 'close')
  response.resume()
})

test('answers a streamed body growing past 16 KiB with 413 before it ends', { timeout: 5000 }, async (t) => {
  const issuer = await startIssuer(t)
  const chunk = new Uint8Array(64 * 1024).fill(0x78)
  const endless = new ReadableStream({ pull: (controller) => controller.enqueue(chunk) })
  const response = await fetch(issuer.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: endless,
    duplex: 'half'
  })
  await assertTokenError(response, { status: 413, error: 'invalid_request' })
})

test('answers a wrong method with 405 and an Allow header', async (t) => {
  const issuer = await startIssuer(t)
  const cases = [
    { url: issuer.tokenEndpoint, method: 'GET', allow: 'POST' },
    { url: issuer.jwksUri, method: 'POST', allow: 'GET, HEAD' },
    { url: `${issuer.issuerBaseURL}/.well-known/openid-configuration`, method: 'DELETE', allow: 'GET, HEAD' }
  ]
  for (const { url, method, allow } of cases) {
    const response = await fetch(url, { method })
    assert.equal(response.status, 405, `${method} ${url}`)
    assert.equal(response.headers.get('allow'), allow)
    assert.equal(response.headers.get('content-type'), 'application/json')
    assert.equal((await response.json()).error, 'method_not_allowed')
  }
})

test('answers unknown paths with 404 JSON', async (t) => {
  const issuer = await startIssuer(t)
  const response = await fetch(`${issuer.issuerBaseURL}/authorize?response_type=code`)
  assert.equal(response.status, 404)
  assert.equal(response.headers.get('content-type'), 'application/json')
  assert.equal((await response.json()).error, 'not_found')
})

test('counts requests per endpoint, whatever their outcome', async (t) => {
  const issuer = await startIssuer(t)
  await getJson(`${issuer.issuerBaseURL}/.well-known/openid-configuration`)
  await getJson(`${issuer.issuerBaseURL}/.well-known/oauth-authorization-server?x=1`)
  await getJson(issuer.jwksUri)
  await (await postToken(issuer, { grant_type: 'client_credentials' })).body.cancel()
  await (await fetch(`${issuer.issuerBaseURL}/elsewhere`)).body.cancel()
  assert.deepEqual(issuer.requests, { discovery: 2, jwks: 1, token: 1 })
})

test('sign() fills the RFC 9068 claims and the at+jwt header by default', async (t) => {
  const issuer = await startIssuer(t)
  const token = issuer.sign()
  const { header, payload } = decode(token)
  assert.deepEqual(header, { alg: 'RS256', typ: 'at+jwt', kid: issuer.jwks().keys[0].kid })
  assert.match(payload.jti, /^[0-9a-f-]{36}$/)
  assert.deepEqual(payload, {
    iss: issuer.issuer,
    sub: 'dev-client',
    aud: 'https://api.example.test',
    iat: NOW_SECONDS,
    exp: NOW_SECONDS + 3600,
    jti: payload.jti,
    client_id: 'dev-client',
    scope: 'read:messages'
  })
  assert.notEqual(decode(issuer.sign()).payload.jti, payload.jti)
  assert.equal(verifies(token, await getJson(issuer.jwksUri)), true)
})

test('sign() merges given claims over the defaults and removes those given as undefined', async (t) => {
  const issuer = await startIssuer(t)
  const token = issuer.sign({ sub: 'user-1', scope: 'a b', exp: undefined, jti: undefined, org_id: 'org_1' })
  const { payload } = decode(token)
  assert.deepEqual(payload, {
    iss: issuer.issuer,
    sub: 'user-1',
    aud: 'https://api.example.test',
    iat: NOW_SECONDS,
    client_id: 'dev-client',
    scope: 'a b',
    org_id: 'org_1'
  })
})

test('sign() sets exp expiresIn seconds after the pinned clock, negative for expired tokens', async (t) => {
  const issuer = await startIssuer(t)
  assert.equal(decode(issuer.sign({}, { expiresIn: 30 })).payload.exp, NOW_SECONDS + 30)
  assert.equal(decode(issuer.sign({}, { expiresIn: -60 })).payload.exp, NOW_SECONDS - 60)
})

test('sign() takes a kid override and header members to add, replace or remove', async (t) => {
  const issuer = await startIssuer(t)
  const withKid = issuer.sign({}, { kid: 'other-kid' })
  assert.deepEqual(decode(withKid).header, { alg: 'RS256', typ: 'at+jwt', kid: 'other-kid' })
  const token = issuer.sign({}, { header: { typ: 'JWT', kid: undefined, crit: ['exp'], alg: 'HS256' } })
  assert.deepEqual(decode(token).header, { alg: 'HS256', typ: 'JWT', crit: ['exp'] })
})

test('sign() with an unpublished key keeps the published kid but does not verify against the JWKS', async (t) => {
  const issuer = await startIssuer(t)
  const jwks = await getJson(issuer.jwksUri)
  const forged = issuer.sign({}, { key: 'unpublished' })
  assert.equal(decode(forged).header.kid, jwks.keys[0].kid)
  assert.equal(verifies(forged, jwks), false)
  assert.deepEqual(await getJson(issuer.jwksUri), jwks)
})

test('sign() with another algorithm publishes a key for it on demand', async (t) => {
  const issuer = await startIssuer(t)
  const token = issuer.sign({}, { algorithm: 'ES256' })
  assert.equal(decode(token).header.alg, 'ES256')
  const jwks = await getJson(issuer.jwksUri)
  assert.deepEqual(jwks.keys.map((key) => key.alg), ['RS256', 'ES256'])
  assert.equal(verifies(token, jwks), true)
  assert.equal(decode(issuer.sign({}, { algorithm: 'ES256' })).header.kid, decode(token).header.kid)
  const discovery = await getJson(`${issuer.issuerBaseURL}/.well-known/openid-configuration`)
  assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256', 'ES256'])
})

test('sign() rejects bad claims and options with a TypeError naming them', async (t) => {
  const issuer = await startIssuer(t)
  assert.throws(() => issuer.sign('sub'), { name: 'TypeError', message: /claims/ })
  assert.throws(() => issuer.sign({}, { algorithm: 'HS256' }), { name: 'TypeError', message: /"algorithm"/ })
  assert.throws(() => issuer.sign({}, { key: 'forged' }), { name: 'TypeError', message: /"key"/ })
  assert.throws(() => issuer.sign({}, { expiresIn: '1h' }), { name: 'TypeError', message: /"expiresIn"/ })
  assert.throws(() => issuer.sign({}, { expiresin: 60 }), { name: 'TypeError', message: /"expiresin"/ })
})

for (const algorithm of Object.keys(ALGORITHMS)) {
  test(`${algorithm} tokens verify with node:crypto against the served JWKS`, async (t) => {
    const issuer = await startIssuer(t, { algorithm })
    assert.equal(issuer.algorithm, algorithm)
    const response = await postTokenAsDevClient(issuer, { grant_type: 'client_credentials' })
    const { access_token: token } = await response.json()
    assert.equal(decode(token).header.alg, algorithm)
    const jwks = await getJson(issuer.jwksUri)
    const [jwk] = jwks.keys
    assert.equal(jwk.kty, ALGORITHMS[algorithm].kty)
    assert.equal(jwk.crv, ALGORITHMS[algorithm].crv)
    assert.deepEqual(PRIVATE_JWK_MEMBERS.filter((member) => member in jwk), [])
    assert.equal(verifies(token, jwks), true)
    const discovery = await getJson(`${issuer.issuerBaseURL}/.well-known/openid-configuration`)
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, [algorithm])
  })
}

test('rotate() publishes a new key and keeps the previous one until the next rotation', async (t) => {
  const issuer = await startIssuer(t)
  const first = issuer.sign()
  const firstKid = decode(first).header.kid
  const secondKid = issuer.rotate()
  assert.notEqual(secondKid, firstKid)
  const second = issuer.sign()
  assert.equal(decode(second).header.kid, secondKid)
  let jwks = await getJson(issuer.jwksUri)
  assert.deepEqual(jwks.keys.map((key) => key.kid), [secondKid, firstKid])
  assert.equal(verifies(first, jwks), true)
  assert.equal(verifies(second, jwks), true)

  const thirdKid = issuer.rotate()
  jwks = await getJson(issuer.jwksUri)
  assert.deepEqual(jwks.keys.map((key) => key.kid), [thirdKid, secondKid])
  assert.equal(verifies(first, jwks), false)
  assert.equal(verifies(second, jwks), true)
})

test('rotate({ keepPrevious: false }) drops the previous key at once', async (t) => {
  const issuer = await startIssuer(t)
  const before = issuer.sign()
  issuer.rotate()
  const kid = issuer.rotate({ keepPrevious: false })
  const jwks = await getJson(issuer.jwksUri)
  assert.deepEqual(jwks.keys.map((key) => key.kid), [kid])
  assert.equal(verifies(before, jwks), false)
  assert.equal(verifies(issuer.sign(), jwks), true)
})

test('refuses a non-loopback host with a TypeError naming host', async () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10', '128.0.0.1', 'example.com']) {
    const refusal = { name: 'TypeError', message: /option "host" must be a loopback address/ }
    await assert.rejects(createDevIssuer({ host }), refusal, host)
  }
})

test('listens on localhost and names it in its URLs', async (t) => {
  const issuer = await startIssuer(t, { host: 'localhost' })
  assert.equal(issuer.issuer, `http://localhost:${issuer.port}/`)
  const discovery = await getJson(`${issuer.issuerBaseURL}/.well-known/openid-configuration`)
  assert.equal(discovery.issuer, issuer.issuer)
})

test('listens on ::1 and brackets the IPv6 address in its URLs', async (t) => {
  let issuer
  try {
    issuer = await startIssuer(t, { host: '::1' })
  } catch (error) {
    if (error.code !== 'EADDRNOTAVAIL' && error.code !== 'EAFNOSUPPORT') throw error
    t.skip('this machine has no IPv6 loopback')
    return
  }
  assert.equal(issuer.issuer, `http://[::1]:${issuer.port}/`)
  assert.equal(issuer.jwksUri, `http://[::1]:${issuer.port}/.well-known/jwks.json`)
  assert.equal((await getJson(issuer.jwksUri)).keys.length, 1)
})

test('rejects invalid options with a TypeError naming the option', async () => {
  const cases = [
    [{ algorithm: 'HS256' }, 'algorithm'],
    [{ algorithm: 'ES512' }, 'algorithm'],
    [{ port: 70000 }, 'port'],
    [{ audience: '' }, 'audience'],
    [{ tokenLifetime: 0 }, 'tokenLifetime'],
    [{ tokenLifetime: 1.5 }, 'tokenLifetime'],
    [{ now: 0 }, 'now'],
    [{ allowNonLoopback: 'yes' }, 'allowNonLoopback'],
    [{ clients: [] }, 'clients'],
    [{ clients: [{ clientId: 'a', clientSecret: '', scope: '' }] }, 'clients[0].clientSecret'],
    [{ clients: [{ clientId: 'a', clientSecret: 's', scope: 'a  b' }] }, 'clients[0].scope'],
    [{ clients: [{ clientId: 'a', clientSecret: 's', scope: '' }, { clientId: 'a', clientSecret: 't', scope: '' }] },
      'clients[1].clientId']
  ]
  for (const [options, name] of cases) {
    const namesOption = (error) => error instanceof TypeError && error.message.includes(`option "${name}"`)
    await assert.rejects(createDevIssuer(options), namesOption, name)
  }
  const unknown = { name: 'TypeError', message: /unknown option "audiences"/ }
  await assert.rejects(createDevIssuer({ audiences: ['x'] }), unknown)
})

test('the clients property is a copy that cannot change the registered clients', async (t) => {
  const issuer = await startIssuer(t)
  const secret = devClientSecret(issuer)
  issuer.clients[0].clientSecret = 'changed'
  issuer.clients.push({ clientId: 'intruder', clientSecret: 'changed', scope: 'admin' })
  assert.equal(devClientSecret(issuer), secret)
  const authorization = basic('intruder', 'changed')
  const response = await postToken(issuer, { grant_type: 'client_credentials' }, { authorization })
  await assertTokenError(response, { status: 401, error: 'invalid_client', challenge: BASIC_CHALLENGE })
})

test('close() releases the port even with a keep-alive connection open, and may be called again', async (t) => {
  const issuer = await startIssuer(t)
  await getJson(issuer.jwksUri)
  await issuer.close()
  await issuer.close()
  await assert.rejects(fetch(issuer.jwksUri), (error) => error.cause?.code === 'ECONNREFUSED')
  const server = net.createServer()
  await new Promise((resolve, reject) => server.once('error', reject).listen(issuer.port, '127.0.0.1', resolve))
  await new Promise((resolve) => server.close(resolve))
})

test('close() does not wait for a request in flight', { timeout: 5000 }, async (t) => {
  const issuer = await startIssuer(t)
  const request = http.request(issuer.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': 1000 }
  })
  const failed = once(request, 'error')
  request.write('grant_type=')
  while (issuer.requests.token === 0) await new Promise((resolve) => setImmediate(resolve))
  await issuer.close()
  const [error] = await failed
  assert.equal(error.code, 'ECONNRESET')
})
