'use strict'
/**
 * RFC 6750 §2 token extraction (lib/request.js), framework-free.
 *
 * The rules are express-oauth2-jwt-bearer 1.10's, as observed running it on Express 4 and 5,
 * except for these deliberate differences, each one where RFC 6750 asks otherwise:
 *
 * 1. `Bearer` followed by several spaces is accepted: RFC 6750 §2.1 `"Bearer" 1*SP b64token`
 *    (the peer answers 400).
 * 2. A malformed `Authorization` header (`Bearer` with no token, `Bearer a b`, `Bearer<TAB>t`, an
 *    empty value, a scheme that is not a token) is 400 with `error="invalid_request"` and a
 *    description: RFC 6750 §3.1, "invalid_request … or is otherwise malformed" (the peer sends an
 *    empty message, `code: ''` and a bare challenge).
 * 3. Credentials of another scheme (`Basic …`, `Token …`, `DPoP …`) are 401 with the bare challenge
 *    and no error code: RFC 6750 §3, a request "attempted using an unsupported authentication
 *    method … SHOULD NOT include an error code" (the peer answers 400; with a query token next to
 *    them it answers 401 as here).
 * 4. `access_token` in a body that is not form-encoded (JSON) is not a credential, so alone it is 401
 *    with no error code: RFC 6750 §2.2 defines only `application/x-www-form-urlencoded` bodies, and
 *    §3 as in 3 (the peer answers 400 with a bare challenge).
 * 5. A form-encoded body on GET or HEAD carries no token: RFC 6750 §2.2, "the "GET" method MUST NOT
 *    be used" (RFC 9110 §9.3.2: HEAD is GET without content). The peer accepts it.
 * 6. A repeated `access_token` parameter is 400 `invalid_request`: RFC 6750 §3.1, "repeats the same
 *    parameter" (the peer ignores the array, so alone it is 401).
 * 7. A token in both the query and the body is 400 with `error="invalid_request"` in the challenge,
 *    as for header + query: RFC 6750 §3.1, "uses more than one method for including an access
 *    token" (the peer leaves the error out of the challenge in this one case).
 */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { getToken } = require('../lib/request')
const { InvalidRequestError, UnauthorizedError } = require('..')
const h = require('./helpers')

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'
const OTHER = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ5In0.c2ln'

const NO_TOKEN = { type: UnauthorizedError, kind: 'token_missing', status: 401, code: undefined, description: 'Unauthorized', challenge: 'Bearer realm="api"' }
const MALFORMED = { type: InvalidRequestError, kind: 'request_invalid', status: 400, code: 'invalid_request', description: "Invalid 'Authorization' header: expected 'Bearer <token>'" }
const MORE_THAN_ONE = { type: InvalidRequestError, kind: 'request_invalid', status: 400, code: 'invalid_request', description: 'More than one method used for authentication' }
const REPEATED = { type: InvalidRequestError, kind: 'request_invalid', status: 400, code: 'invalid_request', description: "Repeated 'access_token' parameter" }

/** A request as getToken sees it; `form` is a form-encoded body, `json` a JSON one. */
function extract ({ authorization, query, form, json, method = 'POST' } = {}) {
  const headers = authorization === undefined ? {} : { authorization }
  const body = form ?? json
  return getToken(headers, query ?? {}, body, form !== undefined, method)
}

test('Authorization: Bearer <token> gives the token, whatever the case of the scheme (RFC 6750 §2.1)', () => {
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    assert.equal(extract({ authorization: `${scheme} ${TOKEN}` }), TOKEN)
  }
})

test('Bearer followed by several spaces is valid (RFC 6750 §2.1: 1*SP; difference 1)', () => {
  assert.equal(extract({ authorization: `Bearer  ${TOKEN}` }), TOKEN)
  assert.equal(extract({ authorization: `Bearer     ${TOKEN}` }), TOKEN)
})

test('the header token is returned verbatim, even when it is no JWT: the verifier judges it', () => {
  assert.equal(extract({ authorization: 'Bearer garbage!' }), 'garbage!')
  assert.equal(extract({ authorization: 'Bearer a.b.c==' }), 'a.b.c==')
})

test('a malformed Authorization header is 400 invalid_request (RFC 6750 §3.1; difference 2)', () => {
  for (const authorization of ['Bearer', 'bearer', '', `Bearer ${TOKEN} extra`, `Bearer\t${TOKEN}`, `Bearer ${TOKEN}\tx`, ` Bearer ${TOKEN}`, `Be@rer ${TOKEN}`, `(Bearer) ${TOKEN}`]) {
    h.assertThrowsFailure(() => extract({ authorization }), MALFORMED)
  }
})

test('a malformed header is refused before the other methods are looked at', () => {
  h.assertThrowsFailure(() => extract({ authorization: 'Bearer', query: { access_token: TOKEN } }), MALFORMED)
})

test('credentials of another scheme are 401 with no error code (RFC 6750 §3; difference 3)', () => {
  for (const authorization of ['Basic dXNlcjpwYXNz', `Token ${TOKEN}`, `DPoP ${TOKEN}`, 'Basic', 'Negotiate a b c']) {
    h.assertThrowsFailure(() => extract({ authorization }), NO_TOKEN)
  }
})

test('credentials of another scheme next to a query token are 401 with no error code, as the peer', () => {
  h.assertThrowsFailure(() => extract({ authorization: 'Basic dXNlcjpwYXNz', query: { access_token: TOKEN } }), NO_TOKEN)
})

test('access_token in the query gives the token (RFC 6750 §2.3), even an empty one', () => {
  assert.equal(extract({ query: { access_token: TOKEN } }), TOKEN)
  assert.equal(extract({ query: { access_token: TOKEN }, method: 'GET' }), TOKEN)
  assert.equal(extract({ query: { access_token: '' } }), '')
})

test('access_token in a form-encoded body gives the token on POST, PUT, PATCH and DELETE (RFC 6750 §2.2)', () => {
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    assert.equal(extract({ form: { access_token: TOKEN, other: 'x' }, method }), TOKEN)
  }
})

test('a form-encoded body on GET or HEAD carries no token (RFC 6750 §2.2; difference 5)', () => {
  for (const method of ['GET', 'HEAD']) {
    h.assertThrowsFailure(() => extract({ form: { access_token: TOKEN }, method }), NO_TOKEN)
    assert.equal(extract({ authorization: `Bearer ${TOKEN}`, form: { access_token: OTHER }, method }), TOKEN)
  }
})

test('access_token in a JSON body is not a credential (RFC 6750 §2.2; difference 4)', () => {
  h.assertThrowsFailure(() => extract({ json: { access_token: TOKEN } }), NO_TOKEN)
  assert.equal(extract({ authorization: `Bearer ${TOKEN}`, json: { access_token: OTHER } }), TOKEN)
})

test('no credentials at all is 401 with a bare challenge and no error code (RFC 6750 §3)', () => {
  h.assertThrowsFailure(() => extract(), NO_TOKEN)
  h.assertThrowsFailure(() => getToken({}, undefined, undefined, false, 'GET'), NO_TOKEN)
  h.assertThrowsFailure(() => extract({ query: { other: TOKEN }, form: { other: TOKEN } }), NO_TOKEN)
})

test('an access_token that is neither a string nor a list is not a credential', () => {
  h.assertThrowsFailure(() => extract({ query: { access_token: { a: TOKEN } } }), NO_TOKEN)
  h.assertThrowsFailure(() => extract({ form: { access_token: 42 } }), NO_TOKEN)
})

test('a repeated access_token parameter is 400 invalid_request (RFC 6750 §3.1; difference 6)', () => {
  h.assertThrowsFailure(() => extract({ query: { access_token: [TOKEN, TOKEN] } }), REPEATED)
  h.assertThrowsFailure(() => extract({ form: { access_token: [TOKEN, OTHER] } }), REPEATED)
})

test('a token sent in more than one way is 400 invalid_request, with the error in the challenge (RFC 6750 §3.1; difference 7)', () => {
  const bearer = `Bearer ${TOKEN}`
  h.assertThrowsFailure(() => extract({ authorization: bearer, query: { access_token: TOKEN } }), MORE_THAN_ONE)
  h.assertThrowsFailure(() => extract({ authorization: bearer, form: { access_token: TOKEN } }), MORE_THAN_ONE)
  h.assertThrowsFailure(() => extract({ query: { access_token: TOKEN }, form: { access_token: TOKEN } }), MORE_THAN_ONE)
  h.assertThrowsFailure(() => extract({ authorization: bearer, query: { access_token: '' } }), MORE_THAN_ONE)
})

test('the challenge of every extraction failure stays within RFC 6750 §3 characters', () => {
  for (const run of [() => extract(), () => extract({ authorization: 'Bearer' }), () => extract({ query: { access_token: [] } })]) {
    assert.throws(run, (err) => /^[\x20-\x7e]*$/.test(err.headers['WWW-Authenticate']))
  }
})
