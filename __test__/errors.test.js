'use strict'
/** The error classes, the kind table and the one WWW-Authenticate builder. */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const bearer = require('..')
const { errorKinds: nativeKinds } = require('../lib/native')
const { KIND_CLASSES, challenge } = require('../lib/errors')

const JS_KINDS = ['token_missing', 'request_invalid', 'insufficient_scope', 'claim_check_failed', 'dpop_scheme_required', 'token_unbound', 'certificate_required']

test('the kind table covers exactly the Rust core kinds plus the kinds raised in JS', () => {
  assert.deepEqual([...Object.keys(KIND_CLASSES)].sort(), [...JS_KINDS, ...nativeKinds()].sort())
  assert.deepEqual(bearer.errorKinds, Object.keys(KIND_CLASSES))
  assert.ok(Object.isFrozen(bearer.errorKinds) && Object.isFrozen(KIND_CLASSES))
})

test('every kind name is stable snake_case', () => {
  for (const kind of bearer.errorKinds) assert.match(kind, /^[a-z]+(_[a-z]+)*$/)
})

test('UnauthorizedError is a 401 with a bare challenge and no code, as RFC 6750 §3.1 asks', () => {
  const err = new bearer.UnauthorizedError()
  assert.equal(err.name, 'UnauthorizedError')
  assert.equal(err.message, 'Unauthorized')
  assert.equal(err.status, 401)
  assert.equal(err.statusCode, 401)
  assert.equal(err.code, undefined)
  assert.equal(err.kind, 'token_missing')
  assert.deepEqual(err.headers, { 'WWW-Authenticate': 'Bearer realm="api"' })
})

test('InvalidRequestError is a 400 invalid_request, or a bare challenge when told not to use the code', () => {
  const err = new bearer.InvalidRequestError('More than one method used for authentication')
  assert.equal(err.status, 400)
  assert.equal(err.code, 'invalid_request')
  assert.deepEqual(err.headers, {
    'WWW-Authenticate': 'Bearer realm="api", error="invalid_request", error_description="More than one method used for authentication"'
  })
  const bare = new bearer.InvalidRequestError('x', false)
  assert.equal(bare.code, '')
  assert.deepEqual(bare.headers, { 'WWW-Authenticate': 'Bearer realm="api"' })
})

test('InsufficientScopeError is a 403 naming the required scopes', () => {
  const err = new bearer.InsufficientScopeError(['read:messages', 'write:messages'])
  assert.equal(err.status, 403)
  assert.equal(err.code, 'insufficient_scope')
  assert.deepEqual(err.headers, {
    'WWW-Authenticate': 'Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="read:messages write:messages"'
  })
})

test('every error class is an UnauthorizedError and an Error', () => {
  for (const ErrorClass of [bearer.InvalidRequestError, bearer.InvalidTokenError, bearer.InsufficientScopeError]) {
    const err = new ErrorClass()
    assert.ok(err instanceof bearer.UnauthorizedError && err instanceof Error)
    assert.equal(err.name, ErrorClass.name)
  }
})

test('the challenge keeps every value within the characters RFC 6750 §3 allows', () => {
  const value = challenge({ error: 'invalid_token', description: 'bad "kid" \\ caf\u00e9\r\nX-Injected: 1' })
  assert.equal(value, 'Bearer realm="api", error="invalid_token", error_description="bad \'kid\' / caf???X-Injected: 1"')
  assert.match(value, /^[\x20-\x7e]*$/)
})

test('a keys_unavailable failure keeps its cause for logs, out of the client description', () => {
  const { fromFailure } = require('../lib/errors')
  const err = fromFailure({ kind: 'keys_unavailable', message: 'the signing keys of the token issuer are unavailable', cause: 'JWKS fetch from https://idp.example/jwks failed: timeout after 5000 ms' })
  assert.ok(err instanceof bearer.InvalidTokenError)
  assert.equal(err.cause.message, 'JWKS fetch from https://idp.example/jwks failed: timeout after 5000 ms')
  assert.doesNotMatch(err.headers['WWW-Authenticate'], /idp\.example/)
})
