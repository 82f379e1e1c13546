'use strict'
/**
 * Proof by difference: one table of requests against the same Express app, built once with
 * express-oauth2-jwt-bearer 1.10 (the peer) and once with bearer-rs, on Express 5 and on Express 4,
 * over real HTTP, with real loopback identity providers and real signatures. Each row pins the
 * outcome (status, the `Bearer` challenge of `WWW-Authenticate`, whether `req.auth` is set) and
 * asserts that both apps give it, with identical `req.auth`, and that a `mcd` resolver was called
 * as many times by both.
 *
 * The peer appends a `DPoP algs="…"` challenge to auth() errors (its DPoP support is on by
 * default). When bearer-rs sends one too, it must be there for the same requests and list no
 * algorithm the peer does not; while bearer-rs has no DPoP support, the peer's is left out.
 * Requests with a `DPoP` header or scheme are left to the DPoP tests.
 *
 * The deliberate differences, each a row with both outcomes and its reason:
 * - `Bearer  <token>` (two spaces): accepted, RFC 6750 §2.1 (`"Bearer" 1*SP b64token`); peer 400.
 * - `Bearer`, `Bearer a b`, `Bearer<TAB>…`, an empty header: 400 `invalid_request` with a
 *   description, RFC 6750 §3.1; peer 400 with a bare challenge.
 * - credentials of another scheme: 401 with a bare challenge, RFC 6750 §3 (no error code for an
 *   unsupported method); peer 400.
 * - `access_token` in a JSON body: not a credential (401), RFC 6750 §2.2 (form bodies only); peer 400.
 * - a form body on GET: not a credential (401), RFC 6750 §2.2 ("GET" MUST NOT be used); peer accepts.
 * - `access_token` repeated: 400 `invalid_request`, RFC 6750 §3.1; peer ignores it (401).
 * - a token in the query and the body: 400 with `invalid_request` in the challenge, RFC 6750 §3.1;
 *   peer leaves the error out of the challenge.
 * - `iat` in the future: 401, RFC 7519 §4.1.6 (a token cannot be issued after now); peer accepts.
 * - a duplicate member in the claims: 401, RFC 7515 §5.2 and RFC 7519 §4; peer takes the last.
 * - a padded (non-base64url) signature: 401, RFC 7515 §2 and §7.1; peer accepts.
 * - an `alg` outside the allow-list: the description lists the algorithms this verifier allows
 *   (narrowed by the metadata, RFC 8414 §2; RFC 8725 §3.1), the peer every algorithm it knows.
 * - a token over `maxTokenLength` (16 KiB): 401 before any decoding (bounded input); peer verifies it.
 * - an empty token: the description says so; the peer's is the generic one for a malformed token.
 * - the keys cannot be fetched: `the signing keys of the token issuer are unavailable`, the cause
 *   only in `err.cause`; the peer sends the network error text to the client.
 * - mcd, an `iss` that only normalises to the allowed issuer (scheme case, no trailing slash):
 *   401, RFC 9068 §4 and RFC 8414 §3.3 (`iss` MUST exactly match the issuer of the metadata); peer accepts.
 * - mcd, a resolver that throws: `Token issuer is not allowed`, the error only in `err.cause`;
 *   the peer sends the error's message to the client.
 * - `requiredScopes` with the scopes in Okta's `scp` only: accepted (Okta compatibility; the peer
 *   reads `scope` only).
 * - an async `claimCheck` that resolves falsy: 401; the peer never awaits it, so it passes.
 */
const { describe, test, before, after, mock } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const bearer = require('..')
const peer = require('express-oauth2-jwt-bearer')
const h = require('./helpers')

const EXPRESS = [['Express 5', require('express')], ['Express 4', require('express4')]]
const LIBRARIES = [['peer', peer], ['bearer-rs', bearer]]
const ENV_NAMES = ['ISSUER_BASE_URL', 'AUDIENCE', 'ISSUER', 'JWKS_URI', 'SECRET', 'TOKEN_SIGNING_ALG', 'NODE_ENV']
const AUDIENCE = h.DEFAULT_AUDIENCE
const HS_ISSUER = 'https://hs.issuer.test'
const PK_ISSUER = 'https://pk.issuer.test'

const MAIN = h.freshKeyPair('RS256')
const A = h.freshKeyPair('RS256')
const B = h.freshKeyPair('RS256')
const HS = h.freshKeyPair('HS256')
const PK = h.freshKeyPair('ES256')
const PEM = h.freshKeyPair('RS256')

/** Whether bearer-rs's auth() accepts DPoP (another change adds it). */
const DPOP_SUPPORTED = (() => {
  try {
    bearer.auth({ issuer: HS_ISSUER, secret: HS.secret, tokenSigningAlg: 'HS256', audience: AUDIENCE, dpop: { enabled: true } })
    return true
  } catch {
    return false
  }
})()

const BARE = 'Bearer realm="api"'
const quoted = (text) => text.replace(/"/g, "'")
const challenge = (code, description, scope) =>
  `${BARE}, error="${code}", error_description="${quoted(description)}"${scope ? `, scope="${scope}"` : ''}`

/** The outcomes of a row. */
const OK = { status: 200, auth: true }
const PUBLIC = { status: 200, auth: false }
const UNAUTHORIZED = { status: 401, challenge: BARE }
const BAD_REQUEST = { status: 400, challenge: BARE }
const invalidToken = (description) => ({ status: 401, challenge: challenge('invalid_token', description) })
const invalidRequest = (description) => ({ status: 400, challenge: challenge('invalid_request', description) })
const insufficient = (description, scopes) => ({ status: 403, challenge: challenge('insufficient_scope', description, scopes) })
const MALFORMED_HEADER = invalidRequest("Invalid 'Authorization' header: expected 'Bearer <token>'")
const MORE_THAN_ONE = invalidRequest('More than one method used for authentication')
const NOT_ALLOWED = invalidToken('Token issuer is not allowed')
const PEER_ALGORITHMS = 'RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES256K, ES384, ES512, EdDSA'
const unsupported = (alg, basis, supported) => invalidToken(`Unsupported algorithm "${alg}" for ${basis}-based verification. Supported: ${supported}`)

const bearerHeader = (token) => ({ authorization: `Bearer ${token}` })

/**
 * The table. `req(t)` builds the request from the test context; a row has `same` (the outcome of
 * both) or `peer`, `ours` and `why` (a deliberate difference).
 */
const ROWS = [
  // The Auth0 guide's routes.
  { name: 'the public route needs no token', req: () => ({ path: '/api/public' }), same: PUBLIC },
  { name: 'a private route without a token is 401 with a bare challenge', req: () => ({ path: '/api/private' }), same: UNAUTHORIZED },
  { name: 'a private route with a valid token', req: (t) => ({ path: '/api/private', headers: bearerHeader(t.main()) }), same: OK },
  { name: 'the scoped route with the scope', req: (t) => ({ path: '/api/private-scoped', headers: bearerHeader(t.main()) }), same: OK },
  { name: 'the scoped route without the scope', req: (t) => ({ path: '/api/private-scoped', headers: bearerHeader(t.main({ scope: 'write:messages' })) }), same: insufficient('Insufficient Scope', 'read:messages') },
  { name: 'the scoped route with no scope claim', req: (t) => ({ path: '/api/private-scoped', headers: bearerHeader(t.main({ scope: undefined })) }), same: insufficient("Missing 'scope' claim", 'read:messages') },
  {
    name: 'the scoped route with the scope in Okta\'s scp only',
    req: (t) => ({ path: '/api/private-scoped', headers: bearerHeader(t.main({ scope: undefined, scp: ['read:messages'] })) }),
    peer: insufficient("Missing 'scope' claim", 'read:messages'),
    ours: OK,
    why: 'Okta compatibility: scopes are read from scope and scp'
  },

  // Token extraction (RFC 6750 §2).
  { name: 'the Bearer scheme in any case', req: (t) => ({ path: '/api/echo', headers: { authorization: `bEARER ${t.main()}` } }), same: OK },
  { name: 'a token in the query', req: (t) => ({ path: `/api/echo?access_token=${t.main()}` }), same: OK },
  { name: 'a token in a POSTed form body', req: (t) => ({ method: 'POST', path: '/api/echo', form: { access_token: t.main() } }), same: OK },
  { name: 'a token in a PUT form body', req: (t) => ({ method: 'PUT', path: '/api/echo', form: { access_token: t.main() } }), same: OK },
  { name: 'a header token beside a JSON access_token', req: (t) => ({ method: 'PUT', path: '/api/echo', headers: bearerHeader(t.main()), json: { access_token: 'x' } }), same: OK },
  { name: 'HEAD with a valid token', req: (t) => ({ method: 'HEAD', path: '/api/echo', headers: bearerHeader(t.main()) }), same: OK },
  { name: 'a header token and a query token', req: (t) => ({ path: `/api/echo?access_token=${t.main()}`, headers: bearerHeader(t.main()) }), same: MORE_THAN_ONE },
  { name: 'a header token and a form body token', req: (t) => ({ method: 'POST', path: '/api/echo', headers: bearerHeader(t.main()), form: { access_token: t.main() } }), same: MORE_THAN_ONE },
  { name: 'Basic credentials beside a query token', req: (t) => ({ path: `/api/echo?access_token=${t.main()}`, headers: { authorization: 'Basic dXNlcjpwYXNz' } }), same: UNAUTHORIZED },
  {
    name: 'Bearer and the token separated by two spaces',
    req: (t) => ({ path: '/api/echo', headers: { authorization: `Bearer  ${t.main()}` } }),
    peer: BAD_REQUEST,
    ours: OK,
    why: 'RFC 6750 §2.1: "Bearer" 1*SP b64token'
  },
  ...[['Bearer with no token', () => 'Bearer'], ['Bearer with two words', () => 'Bearer a b'], ['Bearer and a tab before the token', (t) => `Bearer\t${t.main()}`], ['an empty Authorization header', () => '']].map(([name, value]) => ({
    name,
    req: (t) => ({ path: '/api/echo', headers: { authorization: value(t) } }),
    peer: BAD_REQUEST,
    ours: MALFORMED_HEADER,
    why: 'RFC 6750 §3.1: a malformed request is invalid_request'
  })),
  {
    name: 'Basic credentials alone',
    req: () => ({ path: '/api/echo', headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
    peer: BAD_REQUEST,
    ours: UNAUTHORIZED,
    why: 'RFC 6750 §3: an unsupported authentication method gets no error code'
  },
  {
    name: 'a token in a JSON body alone',
    req: (t) => ({ method: 'POST', path: '/api/echo', json: { access_token: t.main() } }),
    peer: BAD_REQUEST,
    ours: UNAUTHORIZED,
    why: 'RFC 6750 §2.2: only form-encoded bodies carry a token; §3: no error code'
  },
  {
    name: 'a form body token on GET',
    req: (t) => ({ path: '/api/echo', form: { access_token: t.main() } }),
    peer: OK,
    ours: UNAUTHORIZED,
    why: 'RFC 6750 §2.2: the "GET" method MUST NOT be used'
  },
  {
    name: 'a repeated access_token parameter',
    req: (t) => ({ path: `/api/echo?access_token=${t.main()}&access_token=x` }),
    peer: UNAUTHORIZED,
    ours: invalidRequest("Repeated 'access_token' parameter"),
    why: 'RFC 6750 §3.1: a repeated parameter is invalid_request'
  },
  {
    name: 'a query token and a form body token',
    req: (t) => ({ method: 'POST', path: `/api/echo?access_token=${t.main()}`, form: { access_token: t.main() } }),
    peer: { status: 400, challenge: BARE },
    ours: MORE_THAN_ONE,
    why: 'RFC 6750 §3.1: more than one method is invalid_request, in the challenge'
  },

  // Bad tokens.
  { name: 'a garbage token', req: () => ({ path: '/api/echo', headers: bearerHeader('garbage') }), same: invalidToken('Invalid Token or Protected Header formatting') },
  { name: 'a garbage token in the query', req: () => ({ path: '/api/echo?access_token=garbage' }), same: invalidToken('Invalid Token or Protected Header formatting') },
  {
    name: 'an empty token in the query',
    req: () => ({ path: '/api/echo?access_token=' }),
    peer: invalidToken('Invalid Token or Protected Header formatting'),
    ours: invalidToken('Invalid Compact JWS: the token is empty'),
    why: 'the description names the cause'
  },
  { name: 'three garbage segments', req: () => ({ path: '/api/echo', headers: bearerHeader('a.b.c') }), same: invalidToken('Invalid Token or Protected Header formatting') },
  { name: 'an expired token', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({ exp: t.now() - 60 })) }), same: invalidToken('"exp" claim timestamp check failed') },
  { name: 'a token not valid yet', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({ nbf: t.now() + 3600 })) }), same: invalidToken('"nbf" claim timestamp check failed') },
  { name: 'a token without exp', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({ exp: undefined })) }), same: invalidToken("Unexpected 'exp' value") },
  { name: 'a token whose exp is a string', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({ exp: 'soon' })) }), same: invalidToken('"exp" claim must be a number') },
  { name: 'a token for another audience', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({ aud: 'https://other.example' })) }), same: invalidToken("Unexpected 'aud' value") },
  { name: 'a token for several audiences, ours among them', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({ aud: ['https://other.example', AUDIENCE] })) }), same: OK },
  { name: 'a token of another issuer', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({ iss: 'https://evil.example/' })) }), same: invalidToken("Unexpected 'iss' value") },
  { name: 'a forged token (the right kid, another key)', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.forged()) }), same: invalidToken('signature verification failed') },
  { name: 'a token with an unknown kid', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({}, { kid: 'unknown' })) }), same: invalidToken('no applicable key found in the JSON Web Key Set') },
  { name: 'an unknown crit extension', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({}, { crit: ['foo'], foo: 1 })) }), same: invalidToken('Extension Header Parameter "foo" is not recognized') },
  { name: 'an unencoded payload (b64: false)', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({}, { crit: ['b64'], b64: false })) }), same: invalidToken('JWTs MUST NOT use unencoded payload') },
  { name: 'an RFC 9068 typ', req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({}, { typ: 'at+jwt' })) }), same: OK },
  {
    name: 'alg none',
    req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.unsigned()) }),
    peer: unsupported('none', 'JWKS', PEER_ALGORITHMS),
    ours: unsupported('none', 'JWKS', 'RS256'),
    why: 'RFC 8725 §3.1: the description names the allow-list, narrowed by the metadata (RFC 8414 §2)'
  },
  {
    name: 'HS256 signed with the public key as the secret (algorithm confusion)',
    req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.confused()) }),
    peer: unsupported('HS256', 'JWKS', PEER_ALGORITHMS),
    ours: unsupported('HS256', 'JWKS', 'RS256'),
    why: 'RFC 8725 §3.1: the description names the allow-list, narrowed by the metadata (RFC 8414 §2)'
  },
  {
    name: 'iat in the future',
    req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.main({ iat: t.now() + 3600 })) }),
    peer: OK,
    ours: invalidToken("Unexpected 'iat' value"),
    why: 'RFC 7519 §4.1.6: a token cannot be issued after now'
  },
  {
    name: 'a duplicate member in the claims',
    req: (t) => ({ path: '/api/echo', headers: bearerHeader(t.duplicate()) }),
    peer: OK,
    ours: invalidToken('JWT Claims Set must be a top-level JSON object'),
    why: 'RFC 7515 §5.2, RFC 7519 §4: duplicate members are rejected'
  },
  {
    name: 'a padded signature',
    req: (t) => ({ path: '/api/echo', headers: bearerHeader(`${t.main()}=`) }),
    peer: OK,
    ours: invalidToken('Failed to base64url decode the signature'),
    why: 'RFC 7515 §2: base64url without padding'
  },
  {
    name: 'a token over 16 KiB in a form body',
    req: (t) => ({ method: 'POST', path: '/api/echo', form: { access_token: t.main({ padding: 'x'.repeat(20000) }) } }),
    peer: OK,
    ours: invalidToken('the token is longer than 16384 bytes'),
    why: 'input bounded before decoding (maxTokenLength)'
  },
  {
    name: 'keys that cannot be fetched',
    req: (t) => ({ path: '/keys-down', headers: bearerHeader(t.main()) }),
    peer: { status: 401, challenge: /^Bearer realm="api", error="invalid_token", error_description="connect ECONNREFUSED 127\.0\.0\.1:\d+"$/ },
    ours: invalidToken('the signing keys of the token issuer are unavailable'),
    why: 'internals (network errors) stay in err.cause'
  },

  // The claim helpers and validators.
  { name: 'scopeIncludesAny with one of the scopes', req: (t) => ({ path: '/scope/any', headers: bearerHeader(t.main()) }), same: OK },
  { name: 'scopeIncludesAny with none of the scopes', req: (t) => ({ path: '/scope/any', headers: bearerHeader(t.main({ scope: 'write:messages' })) }), same: insufficient('Insufficient Scope', 'admin read:messages') },
  { name: 'claimEquals with the value', req: (t) => ({ path: '/claim/equals', headers: bearerHeader(t.main({ org_id: 'org_123' })) }), same: OK },
  { name: 'claimEquals with another value', req: (t) => ({ path: '/claim/equals', headers: bearerHeader(t.main({ org_id: 'org_9' })) }), same: invalidToken("Unexpected 'org_id' value") },
  { name: 'claimEquals without the claim', req: (t) => ({ path: '/claim/equals', headers: bearerHeader(t.main()) }), same: invalidToken("Missing 'org_id' claim") },
  { name: 'claimIncludes with every value', req: (t) => ({ path: '/claim/includes', headers: bearerHeader(t.main({ roles: ['admin', 'editor', 'x'] })) }), same: OK },
  { name: 'claimIncludes with a space-separated string', req: (t) => ({ path: '/claim/includes', headers: bearerHeader(t.main({ roles: 'editor admin' })) }), same: OK },
  { name: 'claimIncludes with a value missing', req: (t) => ({ path: '/claim/includes', headers: bearerHeader(t.main({ roles: ['editor'] })) }), same: invalidToken("Unexpected 'roles' value") },
  { name: 'claimIncludes without the claim', req: (t) => ({ path: '/claim/includes', headers: bearerHeader(t.main()) }), same: invalidToken("Missing 'roles' claim") },
  { name: 'claimCheck that agrees', req: (t) => ({ path: '/claim/check', headers: bearerHeader(t.main({ foo: 'bar' })) }), same: OK },
  { name: 'claimCheck that refuses', req: (t) => ({ path: '/claim/check', headers: bearerHeader(t.main({ foo: 'baz' })) }), same: invalidToken('Custom "foo" check failed') },
  {
    name: 'an async claimCheck that refuses',
    req: (t) => ({ path: '/claim/check-async', headers: bearerHeader(t.main({ foo: 'baz' })) }),
    peer: OK,
    ours: invalidToken('Invalid Token'),
    why: 'the peer never awaits the Promise, which is truthy'
  },
  { name: 'validators that pass', req: (t) => ({ path: '/validators', headers: bearerHeader(t.main({ org_id: 'org_123', foo: 'bar' })) }), same: OK },
  { name: 'a string validator that refuses', req: (t) => ({ path: '/validators', headers: bearerHeader(t.main({ org_id: 'org_9', foo: 'bar' })) }), same: invalidToken("Unexpected 'org_id' value") },
  { name: 'an async validator that refuses', req: (t) => ({ path: '/validators', headers: bearerHeader(t.main({ org_id: 'org_123', foo: 'baz' })) }), same: invalidToken("Unexpected 'foo' value") },
  { name: 'authRequired false without a token', req: () => ({ path: '/optional' }), same: PUBLIC },
  { name: 'authRequired false with a garbage token', req: () => ({ path: '/optional', headers: bearerHeader('garbage') }), same: PUBLIC },
  { name: 'authRequired false with a valid token', req: (t) => ({ path: '/optional', headers: bearerHeader(t.main()) }), same: OK },
  { name: 'strict with an RFC 9068 token', req: (t) => ({ path: '/strict', headers: bearerHeader(t.main({}, { typ: 'at+jwt' })) }), same: OK },
  { name: 'strict with typ JWT', req: (t) => ({ path: '/strict', headers: bearerHeader(t.main()) }), same: invalidToken("Unexpected 'typ' value") },
  { name: 'strict without jti', req: (t) => ({ path: '/strict', headers: bearerHeader(t.main({ jti: undefined }, { typ: 'at+jwt' })) }), same: invalidToken("Unexpected 'jti' value") },
  { name: 'maxTokenAge with a token too old', req: (t) => ({ path: '/max-age', headers: bearerHeader(t.main({ iat: t.now() - 3600 })) }), same: invalidToken("Unexpected 'iat' value") },

  // Local keys: publicKey as PEM, JWK or JWKS, and a secret.
  { name: 'a PEM publicKey and tokenSigningAlg', req: (t) => ({ path: '/keys/pem', headers: bearerHeader(t.sign(PEM, `${PK_ISSUER}/`)) }), same: OK },
  { name: 'a PEM publicKey and a token of another key', req: (t) => ({ path: '/keys/pem', headers: bearerHeader(t.sign(h.freshKeyPair('RS256'), `${PK_ISSUER}/`)) }), same: invalidToken('signature verification failed') },
  { name: 'a JWK publicKey', req: (t) => ({ path: '/keys/jwk', headers: bearerHeader(t.sign(PK, `${PK_ISSUER}/`)) }), same: OK },
  { name: 'a JWKS publicKey', req: (t) => ({ path: '/keys/jwks', headers: bearerHeader(t.sign(PK, `${PK_ISSUER}/`)) }), same: OK },
  { name: 'a JWKS publicKey and an unknown kid', req: (t) => ({ path: '/keys/jwks', headers: bearerHeader(t.sign({ ...PK, kid: 'unknown' }, `${PK_ISSUER}/`)) }), same: invalidToken('no applicable key found in the JSON Web Key Set') },
  { name: 'a secret and HS256', req: (t) => ({ path: '/keys/secret', headers: bearerHeader(t.sign(HS, `${HS_ISSUER}/`)) }), same: OK },
  { name: 'a secret and a token of another secret', req: (t) => ({ path: '/keys/secret', headers: bearerHeader(t.sign(h.freshKeyPair('HS256'), `${HS_ISSUER}/`)) }), same: invalidToken('signature verification failed') },

  // Multiple issuers (mcd).
  { name: 'mcd: a token of the first issuer', req: (t) => ({ path: '/mcd/static', headers: bearerHeader(t.a()) }), same: OK },
  { name: 'mcd: a token of the second issuer', req: (t) => ({ path: '/mcd/static', headers: bearerHeader(t.b()) }), same: OK },
  { name: 'mcd: a token of an issuer not allowed, fetching nothing', req: (t) => ({ path: '/mcd/static', headers: bearerHeader(t.c()) }), same: NOT_ALLOWED },
  { name: 'mcd: the first issuer named, the second issuer\'s key', req: (t) => ({ path: '/mcd/static', headers: bearerHeader(t.a({}, B)) }), same: invalidToken('no applicable key found in the JSON Web Key Set') },
  { name: 'mcd: the first issuer named, its kid, another key', req: (t) => ({ path: '/mcd/static', headers: bearerHeader(t.a({}, { ...h.freshKeyPair('RS256'), kid: A.kid })) }), same: invalidToken('signature verification failed') },
  { name: 'mcd: no iss', req: (t) => ({ path: '/mcd/static', headers: bearerHeader(t.a({ iss: undefined })) }), same: invalidToken("Token missing required 'iss' claim") },
  { name: 'mcd: an iss that is no string', req: (t) => ({ path: '/mcd/static', headers: bearerHeader(t.a({ iss: 42 })) }), same: NOT_ALLOWED },
  { name: 'mcd: an iss with a query', req: (t) => ({ path: '/mcd/static', headers: bearerHeader(t.a({ iss: `${t.idp.a.url}/?x=1` })) }), same: invalidToken('Invalid issuer URL: URLs must not contain query parameters') },
  { name: 'mcd: a garbage token', req: () => ({ path: '/mcd/static', headers: bearerHeader('garbage') }), same: invalidToken('Invalid JWT') },
  { name: 'mcd: a payload that is no JSON', req: () => ({ path: '/mcd/static', headers: bearerHeader(`eyJhbGciOiJSUzI1NiJ9.${h.segment('no json')}.c2ln`) }), same: invalidToken('Failed to parse the decoded payload as JSON') },
  { name: 'mcd: a payload that is a JSON array', req: () => ({ path: '/mcd/static', headers: bearerHeader(`eyJhbGciOiJSUzI1NiJ9.${h.segment('[1]')}.c2ln`) }), same: invalidToken('Invalid JWT Claims Set') },
  {
    name: 'mcd: an iss in upper case',
    req: (t) => ({ path: '/mcd/static', headers: bearerHeader(t.a({ iss: t.idp.a.issuer.replace('http:', 'HTTP:') })) }),
    peer: OK,
    ours: invalidToken("Unexpected 'iss' value"),
    why: 'RFC 9068 §4, RFC 8414 §3.3: iss is exactly the issuer of the metadata'
  },
  {
    name: 'mcd: an iss without the trailing slash of the metadata',
    req: (t) => ({ path: '/mcd/static', headers: bearerHeader(t.a({ iss: t.idp.a.url })) }),
    peer: OK,
    ours: invalidToken("Unexpected 'iss' value"),
    why: 'RFC 9068 §4, RFC 8414 §3.3: iss is exactly the issuer of the metadata'
  },
  { name: 'mcd configs: an issuer with its jwksUri', req: (t) => ({ path: '/mcd/configs', headers: bearerHeader(t.a()) }), same: OK },
  { name: 'mcd configs: an issuer with a secret', req: (t) => ({ path: '/mcd/configs', headers: bearerHeader(t.sign(HS, `${HS_ISSUER}/`)) }), same: OK },
  { name: 'mcd configs: an issuer with a publicKey', req: (t) => ({ path: '/mcd/configs', headers: bearerHeader(t.sign(PK, `${PK_ISSUER}/`)) }), same: OK },
  { name: 'mcd configs: the secret issuer named, an RS256 token', req: (t) => ({ path: '/mcd/configs', headers: bearerHeader(t.sign(MAIN, `${HS_ISSUER}/`)) }), peer: unsupported('RS256', 'secret', 'HS256, HS384, HS512'), ours: unsupported('RS256', 'secret', 'HS256'), why: 'RFC 8725 §3.1: the description names the allow-list' },
  { name: 'mcd resolver: tenant a, a token of the first issuer', req: (t) => ({ path: '/mcd/resolver?x=1', headers: { ...bearerHeader(t.a()), 'x-tenant': 'a' } }), same: OK },
  { name: 'mcd resolver: tenant b (a jwksUri config), a token of the second issuer', req: (t) => ({ path: '/mcd/resolver', headers: { ...bearerHeader(t.b()), 'x-tenant': 'b' } }), same: OK },
  { name: 'mcd resolver: tenant a, a token of the second issuer', req: (t) => ({ path: '/mcd/resolver', headers: { ...bearerHeader(t.b()), 'x-tenant': 'a' } }), same: NOT_ALLOWED },
  { name: 'mcd resolver: an answer that is no array', req: (t) => ({ path: '/mcd/resolver', headers: { ...bearerHeader(t.a()), 'x-tenant': 'string' } }), same: invalidToken('Issuer resolver function must return an array') },
  { name: 'mcd resolver: an empty answer', req: (t) => ({ path: '/mcd/resolver', headers: { ...bearerHeader(t.a()), 'x-tenant': 'none' } }), same: invalidToken('No issuers configured for token validation') },
  { name: 'mcd resolver: no token, no call', req: () => ({ path: '/mcd/resolver', headers: { 'x-tenant': 'a' } }), same: UNAUTHORIZED },
  { name: 'mcd resolver: a garbage token, no call', req: () => ({ path: '/mcd/resolver', headers: { ...bearerHeader('garbage'), 'x-tenant': 'a' } }), same: invalidToken('Invalid JWT') },
  {
    name: 'mcd resolver: a resolver that throws',
    req: (t) => ({ path: '/mcd/resolver', headers: { ...bearerHeader(t.a()), 'x-tenant': 'unknown' } }),
    peer: invalidToken('Unknown tenant: unknown'),
    ours: NOT_ALLOWED,
    why: 'the resolver\'s error stays in err.cause'
  }
]

/** The app of the table, with `lib` as its middleware. `calls` counts resolver calls and keeps the last context. */
function appFor (express, lib, idp, calls) {
  const app = express()
  app.use(express.urlencoded({ extended: false }), express.json())
  const base = { issuerBaseURL: idp.main.url, audience: AUDIENCE }
  const checkJwt = lib.auth(base)
  const echo = (req, res) => res.json({ auth: req.auth ?? null })
  app.get('/api/public', echo)
  app.get('/api/private', checkJwt, echo)
  app.get('/api/private-scoped', checkJwt, lib.requiredScopes('read:messages'), echo)
  app.all('/api/echo', checkJwt, echo)
  app.get('/keys-down', lib.auth({ issuer: idp.main.issuer, jwksUri: idp.down, audience: AUDIENCE }), echo)
  app.get('/scope/any', checkJwt, lib.scopeIncludesAny('admin read:messages'), echo)
  app.get('/claim/equals', checkJwt, lib.claimEquals('org_id', 'org_123'), echo)
  app.get('/claim/includes', checkJwt, lib.claimIncludes('roles', 'editor', 'admin'), echo)
  app.get('/claim/check', checkJwt, lib.claimCheck((claims) => claims.foo === 'bar', 'Custom "foo" check failed'), echo)
  app.get('/claim/check-async', checkJwt, lib.claimCheck(async (claims) => claims.foo === 'bar'), echo)
  app.get('/validators', lib.auth({ ...base, validators: { org_id: 'org_123', foo: async (value) => value === 'bar' } }), echo)
  app.get('/optional', lib.auth({ ...base, authRequired: false }), echo)
  app.get('/strict', lib.auth({ ...base, strict: true }), echo)
  app.get('/max-age', lib.auth({ ...base, maxTokenAge: 60 }), echo)
  app.get('/keys/pem', lib.auth({ issuer: `${PK_ISSUER}/`, audience: AUDIENCE, publicKey: PEM.publicKey.export({ type: 'spki', format: 'pem' }), tokenSigningAlg: 'RS256' }), echo)
  app.get('/keys/jwk', lib.auth({ issuer: `${PK_ISSUER}/`, audience: AUDIENCE, publicKey: PK.publicJwk }), echo)
  app.get('/keys/jwks', lib.auth({ issuer: `${PK_ISSUER}/`, audience: AUDIENCE, publicKey: h.jwks(PK) }), echo)
  app.get('/keys/secret', lib.auth({ issuer: `${HS_ISSUER}/`, audience: AUDIENCE, secret: HS.secret, tokenSigningAlg: 'HS256' }), echo)
  app.get('/mcd/static', lib.auth({ audience: AUDIENCE, mcd: { issuers: [idp.a.url, idp.b.url] } }), echo)
  app.get('/mcd/configs', lib.auth({
    audience: AUDIENCE,
    mcd: {
      issuers: [
        { issuer: idp.a.url, jwksUri: idp.a.jwksUri },
        { issuer: HS_ISSUER, secret: HS.secret, alg: 'HS256' },
        { issuer: PK_ISSUER, publicKey: PK.publicJwk }
      ]
    }
  }), echo)
  const tenants = { a: [idp.a.url], b: [{ issuer: idp.b.url, jwksUri: idp.b.jwksUri }], string: idp.a.url, none: [] }
  app.get('/mcd/resolver', lib.auth({
    audience: AUDIENCE,
    mcd: {
      issuers: async (context) => {
        calls.count += 1
        calls.context = { url: context.url.href, headers: context.headers }
        const tenant = context.headers['x-tenant']
        if (!Object.hasOwn(tenants, tenant)) throw new Error(`Unknown tenant: ${tenant}`)
        return tenants[tenant]
      }
    }
  }), echo)
  app.use((err, req, res, next) => {
    res.status(err.status ?? 500).set(err.headers ?? {}).json({ auth: req.auth ?? null })
  })
  return app
}

/** One request over a fresh connection: `{ status, challenge, auth }`. */
async function send (base, { path, ...options }) {
  const { status, headers, body } = await h.request(`${base}${path}`, options)
  return { status, challenge: headers['www-authenticate'], auth: body === '' ? undefined : JSON.parse(body).auth }
}

/** The `Bearer` challenge and the `DPoP` one the peer appends to auth() errors. */
function challenges (header) {
  const at = header === undefined ? -1 : header.indexOf(', DPoP ')
  return at === -1 ? { bearer: header, dpop: undefined } : { bearer: header.slice(0, at), dpop: header.slice(at + 2) }
}

function assertOutcome (observed, expected, who, method) {
  assert.equal(observed.status, expected.status, `${who}: status`)
  const { bearer: challenge } = challenges(observed.challenge)
  if (expected.challenge instanceof RegExp) assert.match(challenge, expected.challenge, `${who}: challenge`)
  else assert.equal(challenge, expected.challenge, `${who}: challenge`)
  if (method === 'HEAD' || expected.auth === undefined) return
  if (expected.auth) assert.ok(observed.auth, `${who}: req.auth is set`)
  else assert.equal(observed.auth, null, `${who}: req.auth is not set`)
}

/** bearer-rs's DPoP challenge: absent while it has no DPoP support; else the peer's, with a subset of its algs. */
function assertDpop (theirs, ours) {
  if (ours === undefined) {
    if (DPOP_SUPPORTED) assert.equal(theirs, undefined, 'the peer sent a DPoP challenge, bearer-rs none')
    return
  }
  assert.ok(theirs, 'bearer-rs sent a DPoP challenge, the peer none')
  const algs = (challenge) => /algs="([^"]*)"/.exec(challenge)?.[1].split(' ') ?? []
  assert.equal(ours.replace(/algs="[^"]*"/, ''), theirs.replace(/algs="[^"]*"/, ''))
  const known = new Set(algs(theirs))
  assert.ok(algs(ours).every((alg) => known.has(alg)), `DPoP algs ${algs(ours)} within the peer's ${[...known]}`)
}

for (const [label, express] of EXPRESS) {
  describe(`the same app with express-oauth2-jwt-bearer and with bearer-rs, on ${label}`, () => {
    const idp = {}
    const bases = {}
    const calls = { peer: { count: 0 }, 'bearer-rs': { count: 0 } }
    const closers = []
    const saved = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]))
    let t

    before(async () => {
      mock.method(console, 'error', () => {})
      for (const name of ENV_NAMES) delete process.env[name]
      for (const [name, pair] of [['main', MAIN], ['a', A], ['b', B], ['c', h.freshKeyPair('RS256')]]) {
        idp[name] = await h.startIdp({ jwks: h.jwks(pair) })
        closers.push(() => idp[name].close())
      }
      idp.down = `http://127.0.0.1:${await h.unusedPort()}/jwks`
      for (const [name, lib] of LIBRARIES) {
        const server = http.createServer(appFor(express, lib, idp, calls[name]))
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
        closers.push(() => new Promise((resolve) => {
          server.close(resolve)
          server.closeAllConnections()
        }))
        bases[name] = `http://127.0.0.1:${server.address().port}`
      }
      const now = () => Math.floor(Date.now() / 1000)
      const sign = (pair, iss, claims = {}, header = {}) => h.sign(h.claims({ iss, ...claims }), { ...pair, header: { ...header, kid: header.kid ?? pair.kid } })
      t = {
        idp,
        now,
        sign,
        main: (claims, header) => sign(MAIN, idp.main.issuer, claims, header),
        a: (claims, pair = A) => sign(pair, idp.a.issuer, claims),
        b: (claims) => sign(B, idp.b.issuer, claims),
        c: () => sign(A, idp.c.issuer),
        forged: () => sign({ ...h.freshKeyPair('RS256'), kid: MAIN.kid }, idp.main.issuer),
        unsigned: () => `${h.segment({ alg: 'none', typ: 'JWT' })}.${h.segment(h.claims({ iss: idp.main.issuer }))}.`,
        confused: () => h.sign(h.claims({ iss: idp.main.issuer }), { alg: 'HS256', secret: MAIN.publicKey.export({ type: 'spki', format: 'pem' }), kid: MAIN.kid }),
        duplicate: () => {
          const header = h.segment({ alg: 'RS256', typ: 'JWT', kid: MAIN.kid })
          const payload = h.segment(`{"iss":"${idp.main.issuer}","aud":"${AUDIENCE}","exp":${now() + 600},"sub":"one","sub":"two"}`)
          return `${header}.${payload}.${h.signRaw(`${header}.${payload}`, MAIN)}`
        }
      }
    })

    after(async () => {
      await Promise.all(closers.map((close) => close()))
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
      mock.restoreAll()
    })

    for (const row of ROWS) {
      const title = row.same ? row.name : `${row.name} (deliberate difference: ${row.why})`
      test(title, async () => {
        const request = row.req(t)
        const before = { peer: calls.peer.count, ours: calls['bearer-rs'].count }
        const theirs = await send(bases.peer, request)
        const ours = await send(bases['bearer-rs'], request)
        assert.equal(calls['bearer-rs'].count - before.ours, calls.peer.count - before.peer, 'resolver calls')
        if (!row.same) {
          assertOutcome(theirs, row.peer, 'peer', request.method)
          assertOutcome(ours, row.ours, 'bearer-rs', request.method)
          return
        }
        assertOutcome(theirs, row.same, 'peer', request.method)
        assertOutcome(ours, row.same, 'bearer-rs', request.method)
        assert.deepEqual(ours.auth, theirs.auth, 'req.auth')
        assertDpop(challenges(theirs.challenge).dpop, challenges(ours.challenge).dpop)
      })
    }

    test('a resolver gets the same { url, headers } from both, once per request with a token', async () => {
      const request = { path: '/mcd/resolver?q=1', headers: { ...bearerHeader(t.a()), 'x-tenant': 'a' } }
      await send(bases.peer, request)
      await send(bases['bearer-rs'], request)
      const [theirs, ours] = [calls.peer.context, calls['bearer-rs'].context]
      assert.equal(ours.url.replace(bases['bearer-rs'], ''), theirs.url.replace(bases.peer, ''))
      assert.equal(ours.url, `${bases['bearer-rs']}/mcd/resolver?q=1`)
      const { host, ...headers } = ours.headers
      const { host: peerHost, ...peerHeaders } = theirs.headers
      assert.deepEqual(headers, peerHeaders)
    })

    test('an issuer that is not allowed was never contacted, by either', () => {
      assert.equal(idp.c.counts.total, 0)
    })
  })
}
