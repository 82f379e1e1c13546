'use strict'
/**
 * RFC 6750 §2: the access token of a request, from the `Authorization` header (§2.1), a
 * form-encoded body (§2.2) or the `access_token` query parameter (§2.3). Framework-free: it takes
 * the parts of the request and returns the token, or throws the error the client must see.
 *
 * The rules are express-oauth2-jwt-bearer's, except where RFC 6750 asks otherwise (see
 * `__test__/request.test.js` for the list).
 */
const { InvalidRequestError, UnauthorizedError } = require('./errors')

/** RFC 9110 §11.1 and §5.6.2: an auth-scheme is a token, a run of tchars. */
const SCHEME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/
/** Inside a token, the white space that would make the header malformed. */
const WHITE_SPACE = /\s/
/** RFC 6750 §2.2 and RFC 9110 §9.3.1-2: no token in the body of requests whose body has no meaning. */
const BODYLESS_METHODS = new Set(['GET', 'HEAD'])

const MALFORMED_HEADER = "Invalid 'Authorization' header: expected 'Bearer <token>'"
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
  const header = fromHeader(headers.authorization)
  const fromAuthorization = typeof header === 'string' ? header : undefined
  const fromQuery = parameter(query)
  const fromBody = isUrlEncoded && !BODYLESS_METHODS.has(method) ? parameter(body) : undefined
  const found = (fromAuthorization !== undefined) + (fromQuery !== undefined) + (fromBody !== undefined)
  if (found > 1) throw new InvalidRequestError(MORE_THAN_ONE)
  if (found === 0 || header === OTHER_SCHEME) throw new UnauthorizedError()
  return fromAuthorization ?? fromQuery ?? fromBody
}

/** What {@link fromHeader} returns for credentials of a scheme other than Bearer. */
const OTHER_SCHEME = Symbol('other scheme')

/**
 * The token of `Bearer 1*SP token` (RFC 6750 §2.1; the scheme is case-insensitive, RFC 9110
 * §11.1), `OTHER_SCHEME` for credentials of another scheme, `undefined` when there is no header.
 */
function fromHeader (value) {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new InvalidRequestError(MALFORMED_HEADER)
  const scheme = SCHEME.exec(value)?.[0]
  if (scheme === undefined || (scheme.length < value.length && value[scheme.length] !== ' ')) {
    throw new InvalidRequestError(MALFORMED_HEADER)
  }
  if (scheme.toLowerCase() !== 'bearer') return OTHER_SCHEME
  const token = value.slice(scheme.length).replace(/^ +/, '')
  if (token === '' || WHITE_SPACE.test(token)) throw new InvalidRequestError(MALFORMED_HEADER)
  return token
}

/** `access_token` from parsed parameters: a string counts, even empty; a repeated one is an error. */
function parameter (params) {
  const value = params?.access_token
  if (typeof value === 'string') return value
  if (Array.isArray(value)) throw new InvalidRequestError(REPEATED)
  return undefined
}

module.exports = { getToken }
