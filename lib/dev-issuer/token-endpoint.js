'use strict'
/**
 * The token endpoint's logic, free of HTTP plumbing: the client credentials grant (RFC 6749 §4.4)
 * with client_secret_basic or client_secret_post authentication, and error responses per §5.2. A
 * request with a valid DPoP proof gets a DPoP-bound token (RFC 9449 §5).
 */
const crypto = require('node:crypto')
const { ProofError } = require('./dpop')

/** The challenge sent with every 401: RFC 9110 §15.5.2 requires one, RFC 6749 §5.2 names Basic. */
const BASIC_CHALLENGE = 'Basic realm="dev-issuer"'
const STATUS = { invalid_request: 400, invalid_client: 401, invalid_scope: 400, unsupported_grant_type: 400, invalid_dpop_proof: 400 }
const BASIC_CREDENTIALS = /^Basic +([A-Za-z0-9+/]+=*) *$/i
/** The request parameters read; RFC 6749 §3.2 has the server ignore any other. */
const PARAMETERS = new Set(['grant_type', 'client_id', 'client_secret', 'scope', 'audience'])

/** An OAuth error response: `code` is the RFC 6749 §5.2 `error`, the message its `error_description`. */
class TokenError extends Error {
  constructor (code, description) {
    super(description)
    this.code = code
  }
}

/**
 * The token endpoint for `clients` (`{ clientId, clientSecret, scope }`), which issues tokens for
 * `audience` through `issue(claims)` and reports `expiresIn` seconds. It returns
 * `respond({ authorization, contentType, body, dpop })` → `{ status, body, headers }`, `body` being
 * the request body Buffer, the Authorization, Content-Type and DPoP headers possibly undefined.
 * `checkProof(proof)` returns the thumbprint of a valid DPoP proof's key or throws a ProofError.
 */
function createTokenEndpoint ({ clients, audience, expiresIn, issue, checkProof }) {
  const registered = new Map(clients.map((client) => [client.clientId, {
    ...client,
    secretDigest: sha256(client.clientSecret),
    scopes: new Set(client.scope.split(' ').filter((scope) => scope !== ''))
  }]))
  const unknownClientDigest = sha256(crypto.randomBytes(32))

  function authenticate (authorization, params) {
    const inBody = params.has('client_id') || params.has('client_secret')
    if (authorization !== undefined && inBody) {
      throw new TokenError('invalid_request', 'use HTTP Basic or client_id and client_secret in the body, not both')
    }
    if (authorization !== undefined) {
      const credentials = parseBasic(authorization)
      if (credentials === null) {
        throw new TokenError('invalid_client', 'Authorization must be Basic with form-urlencoded id and secret')
      }
      return verifyClient(credentials.clientId, credentials.clientSecret)
    }
    if (!inBody) throw new TokenError('invalid_client', 'authenticate with HTTP Basic or client_id and client_secret')
    return verifyClient(params.get('client_id'), params.get('client_secret'))
  }

  // Both paths hash and compare, so an unknown client takes as long as a wrong secret.
  function verifyClient (clientId, clientSecret = '') {
    const client = registered.get(clientId)
    const expected = client?.secretDigest ?? unknownClientDigest
    const secretMatches = crypto.timingSafeEqual(sha256(clientSecret), expected)
    if (client === undefined || !secretMatches) {
      throw new TokenError('invalid_client', 'unknown client or wrong secret')
    }
    return client
  }

  function grantScope (client, requested) {
    if (requested === undefined) return client.scope
    const scopes = requested.split(' ')
    if (!scopes.every((scope) => client.scopes.has(scope))) {
      throw new TokenError('invalid_scope', `scope must be among the client's: ${client.scope}`)
    }
    return [...new Set(scopes)].join(' ')
  }

  /** The `cnf` of a DPoP-bound token for the request's proof (RFC 9449 §6.1), or undefined without one. */
  function confirmation (dpop) {
    if (dpop === undefined) return undefined
    try {
      return { jkt: checkProof(dpop) }
    } catch (error) {
      if (error instanceof ProofError) throw new TokenError('invalid_dpop_proof', error.message)
      throw error
    }
  }

  return function respond ({ authorization, contentType, body, dpop }) {
    try {
      const params = parseParameters(contentType, body)
      const grantType = params.get('grant_type')
      if (grantType === undefined) throw new TokenError('invalid_request', 'grant_type is required')
      if (grantType !== 'client_credentials') {
        throw new TokenError('unsupported_grant_type', 'grant_type must be client_credentials')
      }
      const client = authenticate(authorization, params)
      const requestedAudience = params.get('audience')
      if (requestedAudience !== undefined && requestedAudience !== audience) {
        throw new TokenError('invalid_request', `audience must be omitted or be ${audience}`)
      }
      const scope = grantScope(client, params.get('scope'))
      const cnf = confirmation(dpop)
      const accessToken = issue({ sub: client.clientId, client_id: client.clientId, scope, cnf })
      return {
        status: 200,
        body: { access_token: accessToken, token_type: cnf ? 'DPoP' : 'Bearer', expires_in: expiresIn, scope },
        headers: {}
      }
    } catch (error) {
      if (!(error instanceof TokenError)) throw error
      const status = STATUS[error.code]
      return {
        status,
        body: { error: error.code, error_description: error.message },
        headers: status === 401 ? { 'WWW-Authenticate': BASIC_CHALLENGE } : {}
      }
    }
  }
}

/**
 * The known request parameters as a Map, from a form-urlencoded or JSON object body. Per RFC 6749
 * §3.2 an empty parameter counts as absent and a repeated one is an error; JSON values must be strings.
 */
function parseParameters (contentType = '', body) {
  const mediaType = contentType.split(';', 1)[0].trim().toLowerCase()
  const text = body.toString('utf8')
  if (mediaType === 'application/x-www-form-urlencoded') return toParameters(new URLSearchParams(text))
  if (mediaType === 'application/json') return toParameters(Object.entries(parseJsonObject(text)))
  throw new TokenError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded or application/json')
}

function parseJsonObject (text) {
  let value
  try {
    value = JSON.parse(text)
  } catch {
    throw new TokenError('invalid_request', 'the body is not valid JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TokenError('invalid_request', 'the JSON body must be an object')
  }
  return value
}

function toParameters (entries) {
  const params = new Map()
  for (const [name, value] of entries) {
    if (!PARAMETERS.has(name)) continue
    if (typeof value !== 'string') throw new TokenError('invalid_request', `parameter ${name} must be a string`)
    if (params.has(name)) throw new TokenError('invalid_request', `parameter ${name} must not be repeated`)
    if (value !== '') params.set(name, value)
  }
  return params
}

/**
 * `{ clientId, clientSecret }` from `Basic base64(id:secret)`, where id and secret are each
 * form-urlencoded first (RFC 6749 §2.3.1); `null` when the header is anything else.
 */
function parseBasic (authorization) {
  const match = BASIC_CREDENTIALS.exec(authorization)
  if (match === null) return null
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) return null
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) }
  } catch {
    return null
  }
}

function formDecode (text) {
  return decodeURIComponent(text.replace(/\+/g, ' '))
}

function sha256 (data) {
  return crypto.createHash('sha256').update(data).digest()
}

module.exports = { createTokenEndpoint }
