'use strict'
/**
 * The Fastify adapter, `bearer-rs/fastify`: a plugin taking `auth()`'s options (and
 * fastify-auth0-verify's names `domain`, `audience: true`, `secretsTtl`, `formatUser`) that builds
 * one verifier and decorates the instance with `authenticate`, a callback hook running the pipeline
 * of lib/protect.js, and the claim-check hooks of lib/hooks.js. On success `request.auth` is
 * `{ payload, header, token }` and `request.user` the payload (or `formatUser(payload)`); on failure
 * the hook calls `done(err)`, so the error goes through Fastify's error handling (`setErrorHandler`,
 * else the default handler, which sends the error's `statusCode` and `headers`).
 */
const fastifyPlugin = require('fastify-plugin')
const { createProtection } = require('./protect')
const { absoluteUrl } = require('./request')
const hooks = require('./hooks')

const FORM = 'application/x-www-form-urlencoded'

/** Whether a Content-Type names a form-encoded body (parameters after `;` aside). */
function isFormType (type) {
  if (typeof type !== 'string') return false
  const end = type.indexOf(';')
  return (end === -1 ? type : type.slice(0, end)).trim().toLowerCase() === FORM
}

/**
 * The pipeline's HTTP adapter for Fastify 4 and 5: `request.protocol` and the host (`request.host`
 * in Fastify 5, `request.hostname` in 4, both with the port and honouring `trustProxy`) and
 * `request.url` give the URL; headers are set with `reply.header`.
 * @param {(payload: object) => unknown} formatUser
 * @returns {import('./protect').HttpAdapter}
 */
function adapter (formatUser) {
  return Object.freeze({
    isFormBody: (request) => request.body?.access_token !== undefined && isFormType(request.headers['content-type']),
    url: (request) => absoluteUrl(request.protocol, request.host ?? request.hostname, request.url),
    hasHeader: (reply, name) => reply.hasHeader(name),
    setHeader: (reply, name, value) => { reply.header(name, value) },
    accept: (request, result) => {
      request.auth = result
      request.user = formatUser(result.payload)
    }
  })
}

/** fastify-auth0-verify's `domain`: a host name or a URL; `https://` is added when there is no scheme. */
function domainUrl (domain) {
  if (typeof domain !== 'string' || domain === '') throw new TypeError("'domain' must be a host name or an issuer URL")
  return new URL(/^https?:\/\//i.test(domain) ? domain : `https://${domain}`).toString()
}

/**
 * `auth()`'s options from the plugin's: fastify-auth0-verify's names translated, the plugin's own
 * (`global`, `formatUser`) taken out.
 */
function pluginOptions (options) {
  if (options === null || typeof options !== 'object') throw new TypeError('bearer-rs/fastify: options must be an object')
  const { domain, secretsTtl, formatUser = identity, global = false, ...rest } = options
  if (typeof formatUser !== 'function') throw new TypeError("'formatUser' must be a function (payload) => user")
  if (typeof global !== 'boolean') throw new TypeError("'global' must be a boolean")
  if (domain !== undefined) {
    const url = domainUrl(domain)
    if (rest.issuerBaseURL === undefined) rest.issuerBaseURL = url
    if (rest.audience === true) rest.audience = url
  }
  if (rest.audience === true) throw new TypeError("'audience: true' needs 'domain', whose URL it names")
  if (secretsTtl !== undefined && rest.cacheMaxAge === undefined) rest.cacheMaxAge = Number(secretsTtl)
  return { auth: rest, formatUser, global }
}

function identity (payload) {
  return payload
}

/**
 * The plugin: `app.register(bearerRs, options)`. Decorates the instance with `authenticate`,
 * `requiredScopes`, `scopeIncludesAny`, `claimEquals`, `claimIncludes`, `claimCheck` and `bearer`
 * (`ready()`, `stats()`), and the request with `auth` and `user`; with `global: true` every route
 * of the scope the plugin is registered in requires a token (an `onRequest` hook).
 * @param {import('fastify').FastifyInstance} fastify
 * @param {object} options
 * @param {(err?: Error) => void} done
 */
function bearerRsPlugin (fastify, options, done) {
  let handler, verifier, settings
  try {
    settings = pluginOptions(options)
    ;({ handler, verifier } = createProtection(settings.auth, adapter(settings.formatUser)))
  } catch (err) {
    return done(err)
  }
  fastify.decorateRequest('auth', null)
  if (!fastify.hasRequestDecorator('user')) fastify.decorateRequest('user', null)
  // A callback hook `(request, reply, done)`: a cached token is accepted before it returns.
  fastify.decorate('authenticate', handler)
  for (const name of ['requiredScopes', 'scopeIncludesAny', 'claimEquals', 'claimIncludes', 'claimCheck']) {
    fastify.decorate(name, hooks[name])
  }
  fastify.decorate('bearer', Object.freeze({
    ready: () => verifier.ready(),
    stats: () => verifier.stats()
  }))
  if (settings.global) fastify.addHook('onRequest', handler)
  done()
}

const bearerRs = fastifyPlugin(bearerRsPlugin, { name: 'bearer-rs', fastify: '4.x || 5.x' })

module.exports = bearerRs
module.exports.default = bearerRs
module.exports.bearerRs = bearerRs
module.exports.requiredScopes = hooks.requiredScopes
module.exports.scopeIncludesAny = hooks.scopeIncludesAny
module.exports.claimEquals = hooks.claimEquals
module.exports.claimIncludes = hooks.claimIncludes
module.exports.claimCheck = hooks.claimCheck
