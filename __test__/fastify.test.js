'use strict'
/**
 * bearer-rs/fastify over real HTTP, on Fastify 5 and 4: the public/private/scoped routes, the
 * status and challenge of each refusal through Fastify's default error handler and through
 * `setErrorHandler`, query tokens kept private, no `cause` in a response body, the cached-token
 * fast path and fastify-auth0-verify's option names.
 */
const { describe, test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const bearerRs = require('bearer-rs/fastify')
const { UnauthorizedError } = require('..')
const h = require('./helpers')

const FASTIFY = [['Fastify 5', require('fastify')], ['Fastify 4', require('fastify4')]]
const NOW = Date.UTC(2031, 0, 15, 12)
const PAIR = h.keyPair('RS256')
const OPTIONS = Object.freeze({ issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, jwks: h.jwks(PAIR), currentDate: NOW })
const token = (claims = {}) => h.sign(h.claims(claims, { now: NOW / 1000 }), PAIR)
const SCOPED = token({ scope: 'read:messages' })
const bearer = (value) => ({ headers: { authorization: `Bearer ${value}` } })

/** A listening app with the example's routes; `configure(app)` runs before the routes are added. */
async function start (Fastify, options = OPTIONS, configure = () => {}) {
  const app = Fastify()
  await app.register(bearerRs, options)
  configure(app)
  app.get('/api/public', async () => ({ ok: true }))
  app.get('/api/private', { onRequest: app.authenticate }, async (request) => ({ sub: request.auth.payload.sub, user: request.user }))
  app.get('/api/private-scoped', { onRequest: [app.authenticate, app.requiredScopes('read:messages')] }, async () => ({ ok: true }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: `http://127.0.0.1:${app.server.address().port}` }
}

for (const [name, Fastify] of FASTIFY) {
  describe(name, () => {
    let server
    before(async () => { server = await start(Fastify) })
    after(() => server.app.close())

    test('a public route answers without a token, a private one with a valid token, request.user is the payload', async () => {
      assert.equal((await h.request(`${server.url}/api/public`)).status, 200)
      const res = await h.request(`${server.url}/api/private`, bearer(SCOPED))
      assert.equal(res.status, 200)
      assert.equal(res.json.sub, res.json.user.sub)
      assert.equal(res.json.user.scope, 'read:messages')
    })

    test('each refusal has the status and WWW-Authenticate of the Express adapter', async () => {
      const cases = [
        [{}, 401, 'Bearer realm="api", DPoP algs='],
        [bearer('abc'), 401, 'Bearer realm="api", error="invalid_token"'],
        [bearer(token({ exp: NOW / 1000 - 60 })), 401, 'Bearer realm="api", error="invalid_token"'],
        [{ headers: { authorization: 'Bearer a b' } }, 400, 'Bearer realm="api", error="invalid_request"']
      ]
      for (const [options, status, challenge] of cases) {
        const res = await h.request(`${server.url}/api/private`, options)
        assert.equal(res.status, status)
        assert.ok(res.headers['www-authenticate'].startsWith(challenge), res.headers['www-authenticate'])
      }
      const scoped = await h.request(`${server.url}/api/private-scoped`, bearer(token({ scope: 'write:messages' })))
      assert.equal(scoped.status, 403)
      assert.match(scoped.headers['www-authenticate'], /error="insufficient_scope".*scope="read:messages"/)
      assert.equal((await h.request(`${server.url}/api/private-scoped`, bearer(SCOPED))).status, 200)
    })

    test('a token in the query is accepted with Cache-Control: private', async () => {
      const res = await h.request(`${server.url}/api/private?access_token=${SCOPED}`)
      assert.equal(res.status, 200)
      assert.equal(res.headers['cache-control'], 'private')
    })

    test('the default error handler sends no cause: unavailable keys say only what the client may see', async () => {
      const { app, url } = await start(Fastify, { issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, jwksUri: 'http://127.0.0.1:1/jwks.json', currentDate: NOW })
      try {
        const res = await h.request(`${url}/api/private`, bearer(SCOPED))
        assert.equal(res.status, 401)
        assert.deepEqual(Object.keys(res.json).sort(), ['code', 'error', 'message', 'statusCode'])
        assert.doesNotMatch(res.body, /127\.0\.0\.1|ECONNREFUSED|connect/i)
      } finally {
        await app.close()
      }
    })

    test('setErrorHandler sees the error classes', async () => {
      const seen = []
      const { app, url } = await start(Fastify, OPTIONS, (instance) => instance.setErrorHandler((err, request, reply) => {
        seen.push(err)
        reply.code(err.status).headers(err.headers).send({ kind: err.kind })
      }))
      try {
        const res = await h.request(`${url}/api/private`, bearer('abc'))
        assert.equal(res.status, 401)
        assert.equal(res.json.kind, 'token_malformed')
        assert.ok(seen[0] instanceof UnauthorizedError)
      } finally {
        await app.close()
      }
    })

    test('a repeated token is accepted before the hook returns, without a promise', async () => {
      const hook = server.app.authenticate
      const request = { headers: { authorization: `Bearer ${SCOPED}` }, method: 'GET', query: {} }
      const reply = { hasHeader: () => false, header: () => {} }
      await new Promise((resolve, reject) => hook(request, reply, (err) => (err ? reject(err) : resolve())))
      let called = false
      hook(request, reply, (err) => { assert.equal(err, undefined); called = true })
      assert.equal(called, true)
      assert.equal(request.auth.token, SCOPED)
    })

    test('fastify-auth0-verify names: domain with audience true, formatUser, and ready()/stats() on app.bearer', async () => {
      const idp = await h.startIdp()
      const { app, url } = await start(Fastify, { domain: idp.url, audience: true, formatUser: (payload) => ({ id: payload.sub }) })
      try {
        await app.bearer.ready()
        const signed = h.sign(h.claims({ iss: idp.issuer, aud: new URL(idp.url).toString() }), PAIR)
        const res = await h.request(`${url}/api/private`, bearer(signed))
        assert.equal(res.status, 200, res.body)
        assert.deepEqual(res.json.user, { id: res.json.sub })
        assert.equal(typeof app.bearer.stats(), 'object')
      } finally {
        await app.close()
        await idp.close()
      }
    })

    test('incomplete options fail the registration with the Express adapter\'s TypeError', async () => {
      const app = Fastify()
      await assert.rejects(async () => { await app.register(bearerRs, { issuer: h.DEFAULT_ISSUER }) }, TypeError)
    })
  })
}
