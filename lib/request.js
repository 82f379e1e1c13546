'use strict'
/**
 * RFC 6750 §2: the access token of a request, from the `Authorization` header (§2.1), a
 * form-encoded body (§2.2) or the `access_token` query parameter (§2.3). Framework-free: it takes
 * the parts of the request and returns the token, or throws the error the client must see.
 *
 * The rules are express-oauth2-jwt-bearer's, except where RFC 6750 asks otherwise (see
 * `__test__/request.test.js` for the list). With DPoP, the `DPoP` scheme (RFC 9449 §7.1) carries the
 * token too, and {@link requestUrl} gives the URL a proof's `htu` is compared with.
 */
const { InvalidRequestError, UnauthorizedError } = require('./errors')

/** RFC 9110 §11.1 and §5.6.2: an auth-scheme is a token, a run of tchars. */
const SCHEME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/
/** Inside a token, the white space that would make the header malformed. */
const WHITE_SPACE = /\s/
/** RFC 6750 §2.2 and RFC 9110 §9.3.1-2: no token in the body of requests whose body has no meaning. */
const BODYLESS_METHODS = new Set(['GET', 'HEAD'])

const MALFORMED_HEADER = "Invalid 'Authorization' header: expected 'Bearer <token>'"
const MALFORMED_DPOP_HEADER = "Invalid 'Authorization' header: expected 'DPoP <token>'"
const MORE_THAN_ONE = 'More than one method used for authentication'
const REPEATED = "Repeated 'access_token' parameter"

/**
 * The access token of a request.
 * @param {Record<string, string | string[] | undefined>} headers Lower-case names, as Node's `req.headers`.
 * @param {Record<string, unknown> | undefined} query The parsed query string (`req.query`).
 * @param {Record<string, unknown> | undefined} body The parsed body (`req.body`).
 * @param {boolean} isUrlEncoded Whether the body is `application/x-www-form-urlencoded`.
 * @param {string} method The request method, upper-case.
 * @returns {string} The token, verbatim.
 * @throws {InvalidRequestError} 400 `invalid_request` (`kind` `request_invalid`): a malformed
 *   `Authorization` header, a repeated `access_token`, or a token sent in more than one way.
 * @throws {UnauthorizedError} 401 with no error code (`kind` `token_missing`): no Bearer token, or
 *   credentials of another scheme.
 */
function getToken (headers, query, body, isUrlEncoded, method) {
  return getCredentials(headers, query, body, isUrlEncoded, method, false).token
}

/**
 * The access token of a request and how it came: as {@link getToken}, and with `dpop` the `DPoP`
 * authorization scheme (RFC 9449 §7.1) carries it as well.
 * @param {Record<string, string | string[] | undefined>} headers
 * @param {Record<string, unknown> | undefined} query
 * @param {Record<string, unknown> | undefined} body
 * @param {boolean} isUrlEncoded
 * @param {string} method
 * @param {boolean} dpop Whether the `DPoP` scheme is accepted; otherwise it is another scheme (401).
 * @returns {{ token: string, scheme: 'bearer' | 'dpop' | 'query' | 'body' }}
 * @throws {InvalidRequestError | UnauthorizedError} As {@link getToken}.
 */
function getCredentials (headers, query, body, isUrlEncoded, method, dpop) {
  const header = fromHeader(headers.authorization, dpop)
  const fromAuthorization = typeof header === 'object' ? header : undefined
  const fromQuery = parameter(query)
  const fromBody = isUrlEncoded && !BODYLESS_METHODS.has(method) ? parameter(body) : undefined
  const found = (fromAuthorization !== undefined) + (fromQuery !== undefined) + (fromBody !== undefined)
  if (found > 1) throw new InvalidRequestError(MORE_THAN_ONE)
  if (found === 0 || header === OTHER_SCHEME) throw new UnauthorizedError()
  if (fromAuthorization !== undefined) return fromAuthorization
  return fromQuery !== undefined ? { token: fromQuery, scheme: 'query' } : { token: fromBody, scheme: 'body' }
}

/** What {@link fromHeader} returns for credentials of a scheme other than Bearer (and DPoP). */
const OTHER_SCHEME = Symbol('other scheme')

/**
 * `{ token, scheme }` of `Bearer 1*SP token` (RFC 6750 §2.1; the scheme is case-insensitive, RFC
 * 9110 §11.1), or with `dpop` of `DPoP 1*SP token`; `OTHER_SCHEME` for credentials of another
 * scheme; `undefined` when there is no header.
 */
function fromHeader (value, dpop) {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new InvalidRequestError(MALFORMED_HEADER)
  const scheme = SCHEME.exec(value)?.[0]
  if (scheme === undefined || (scheme.length < value.length && value[scheme.length] !== ' ')) {
    throw new InvalidRequestError(MALFORMED_HEADER)
  }
  const name = scheme.toLowerCase()
  if (name !== 'bearer' && !(dpop && name === 'dpop')) return OTHER_SCHEME
  const token = value.slice(scheme.length).replace(/^ +/, '')
  if (token === '' || WHITE_SPACE.test(token)) {
    throw new InvalidRequestError(name === 'dpop' ? MALFORMED_DPOP_HEADER : MALFORMED_HEADER)
  }
  return { token, scheme: name }
}

/** `access_token` from parsed parameters: a string counts, even empty; a repeated one is an error. */
function parameter (params) {
  const value = params?.access_token
  if (typeof value === 'string') return value
  if (Array.isArray(value)) throw new InvalidRequestError(REPEATED)
  return undefined
}

/**
 * RFC 3986 reg-name of unreserved characters or a bracketed IP literal, and a port up to 65535:
 * express-oauth2-jwt-bearer's host grammar.
 */
const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?$/
const PROTOCOL_IN_PATH = /^\/[a-z][a-z0-9+.-]*:\/\//i

/**
 * The absolute URL a request was sent to, as a client names it in a DPoP proof's `htu`:
 * `req.protocol` (Express: `X-Forwarded-Proto` only from a proxy the app trusts), the first
 * `X-Forwarded-Host` when the app trusts the proxy (Express's `trust proxy`) else `Host`, and
 * `req.originalUrl`. The host and path are checked as express-oauth2-jwt-bearer checks them.
 * @param {import('express').Request} req
 * @returns {string}
 * @throws {InvalidRequestError} 400 for a malformed Host or a path that looks like a URL.
 */
function requestUrl (req) {
  return absoluteUrl(req.protocol, requestHost(req), req.originalUrl ?? req.url)
}

/**
 * `protocol://host/path`, the host and path checked as express-oauth2-jwt-bearer checks them; the
 * framework-free part of {@link requestUrl}, for adapters that know their own host and path.
 * @param {string} protocol `http` or `https`.
 * @param {string | undefined} host The host the client named, with its port.
 * @param {string} path The request target as sent: path and query.
 * @returns {string}
 * @throws {InvalidRequestError} 400 for a malformed host or a path that looks like a URL.
 */
function absoluteUrl (protocol, host, path) {
  if (path.startsWith('//')) throw new InvalidRequestError('Invalid request URL: Path must not start with "//"')
  if (PROTOCOL_IN_PATH.test(path)) throw new InvalidRequestError('Invalid request URL: Path must not contain an absolute URL')
  if (typeof host !== 'string' || !HOST.test(host)) throw new InvalidRequestError('Invalid Host header')
  return `${protocol}://${host}${path}`
}

function requestHost (req) {
  const trust = req.app?.get?.('trust proxy fn')
  let host = req.headers['x-forwarded-host']
  if (!host || !(typeof trust === 'function' && trust(req.socket?.remoteAddress, 0))) {
    host = req.headers.host
  } else if (host.includes(',')) {
    host = host.slice(0, host.indexOf(',')).trimEnd()
  }
  return host
}

module.exports = { getToken, getCredentials, requestUrl, absoluteUrl }
