'use strict'
/**
 * The authorization checks of lib/claims.js, framework-free: `(payload) => void` with
 * express-oauth2-jwt-bearer's messages and challenges (notes §7), and TypeErrors for misuse.
 *
 * Differences from the peer, none of which changes an outcome for an Auth0 token:
 * - scopes are also read from `scp` (Okta; array or string), and from any claims given as
 *   `{ claims }` (e.g. Auth0 RBAC `permissions`); the peer reads `scope` only;
 * - `claimCheck` awaits a function that returns a Promise (the peer treats the Promise as truthy,
 *   so an async check always passes);
 * - a scope array with a non-string member and a non-string `description` throw a TypeError at
 *   setup; a claim is looked up as an own member of the payload (`constructor` is no claim).
 */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const claims = require('../lib/claims')
const { InsufficientScopeError, InvalidTokenError, UnauthorizedError } = require('..')
const h = require('./helpers')

const { requiredScopes, scopeIncludesAny, claimEquals, claimIncludes, claimCheck } = claims

function insufficient (scopes, description = 'Insufficient Scope') {
  return {
    type: InsufficientScopeError,
    kind: 'insufficient_scope',
    status: 403,
    code: 'insufficient_scope',
    description,
    challenge: `Bearer realm="api", error="insufficient_scope", error_description="${description.replace(/"/g, "'")}", scope="${scopes}"`
  }
}

function refused (description, kind = 'claim_check_failed', claim) {
  return { type: InvalidTokenError, kind, status: 401, code: 'invalid_token', description, claim }
}

const UNAUTHORIZED = { type: UnauthorizedError, kind: 'token_missing', status: 401, code: undefined, description: 'Unauthorized', challenge: 'Bearer realm="api"' }

test('requiredScopes passes when the scope string grants every required scope', () => {
  const check = requiredScopes('read:messages write:messages')
  assert.equal(check({ scope: 'write:messages openid read:messages' }), undefined)
  assert.equal(requiredScopes(['read:messages'])({ scope: 'write:messages  read:messages' }), undefined)
})

test('requiredScopes is 403 insufficient_scope naming every required scope when one is missing', () => {
  h.assertThrowsFailure(() => requiredScopes('read:messages write:messages')({ scope: 'read:messages' }),
    insufficient('read:messages write:messages'))
  h.assertThrowsFailure(() => requiredScopes(['read:messages', 'admin'])({ scope: 'read:messages write:messages' }),
    insufficient('read:messages admin'))
})

test('scopes are case-sensitive and a scope claim of another type grants nothing', () => {
  h.assertThrowsFailure(() => requiredScopes('read:messages')({ scope: 'READ:MESSAGES' }), insufficient('read:messages'))
  h.assertThrowsFailure(() => requiredScopes('read:messages')({ scope: 42 }), insufficient('read:messages'))
  h.assertThrowsFailure(() => requiredScopes('read:messages')({ scope: null }), insufficient('read:messages'))
})

test('requiredScopes without any scope claim is 403 with Missing \'scope\' claim', () => {
  h.assertThrowsFailure(() => requiredScopes('read:messages')({ sub: 'x' }), insufficient('read:messages', "Missing 'scope' claim"))
})

test('scopes are read from the scope string (Auth0, RFC 9068) and the scp array (Okta)', () => {
  assert.equal(requiredScopes('read:messages')({ scope: ['read:messages'] }), undefined)
  assert.equal(requiredScopes('read:messages')({ scp: ['read:messages', 'openid'] }), undefined)
  assert.equal(requiredScopes('read:messages')({ scp: 'openid read:messages' }), undefined)
  assert.equal(requiredScopes('a b')({ scope: 'a', scp: ['b'] }), undefined)
  h.assertThrowsFailure(() => requiredScopes('admin')({ scp: ['read:messages'] }), insufficient('admin'))
})

test('permissions (Auth0 RBAC) are read only when named in the claims option', () => {
  const payload = { scope: 'openid', permissions: ['read:messages'] }
  h.assertThrowsFailure(() => requiredScopes('read:messages')(payload), insufficient('read:messages'))
  assert.equal(requiredScopes('read:messages', { claims: ['scope', 'scp', 'permissions'] })(payload), undefined)
  h.assertThrowsFailure(() => requiredScopes('read:messages', { claims: ['permissions'] })({ scope: 'read:messages' }),
    insufficient('read:messages', "Missing 'scope' claim"))
  assert.deepEqual(claims.DEFAULT_SCOPE_CLAIMS, ['scope', 'scp'])
})

test('requiredScopes(\'\') requires the empty scope, as the peer: it never passes a normal token', () => {
  h.assertThrowsFailure(() => requiredScopes('')({ scope: 'read:messages' }), insufficient(''))
})

test('scopeIncludesAny passes with one of the scopes and is 403 naming them all without', () => {
  assert.equal(scopeIncludesAny('admin read:messages')({ scope: 'read:messages' }), undefined)
  assert.equal(scopeIncludesAny(['admin', 'root'])({ scp: ['root'] }), undefined)
  h.assertThrowsFailure(() => scopeIncludesAny(['admin', 'root'])({ scope: 'read:messages write:messages' }), insufficient('admin root'))
  h.assertThrowsFailure(() => scopeIncludesAny(['admin', 'root'])({}), insufficient('admin root', "Missing 'scope' claim"))
})

test('claimEquals passes on a strictly equal value, else 401 Unexpected or Missing', () => {
  assert.equal(claimEquals('org_id', 'org_123')({ org_id: 'org_123' }), undefined)
  assert.equal(claimEquals('verified', true)({ verified: true }), undefined)
  assert.equal(claimEquals('deleted', null)({ deleted: null }), undefined)
  h.assertThrowsFailure(() => claimEquals('org_id', 'org_123')({ org_id: 'org_999' }), refused("Unexpected 'org_id' value", 'claim_check_failed', 'org_id'))
  h.assertThrowsFailure(() => claimEquals('n', 1)({ n: '1' }), refused("Unexpected 'n' value", 'claim_check_failed', 'n'))
  h.assertThrowsFailure(() => claimEquals('org_id', 'org_123')({}), refused("Missing 'org_id' claim", 'claim_missing', 'org_id'))
  h.assertThrowsFailure(() => claimEquals('constructor', 'x')({}), refused("Missing 'constructor' claim", 'claim_missing', 'constructor'))
})

test('claimIncludes needs every value in an array claim or a space-separated string claim', () => {
  const check = claimIncludes('roles', 'admin', 'editor')
  assert.equal(check({ roles: ['admin', 'editor', 'x'] }), undefined)
  assert.equal(check({ roles: 'editor admin' }), undefined)
  assert.equal(claimIncludes('flags', 1, true, null)({ flags: [null, true, 1] }), undefined)
  h.assertThrowsFailure(() => check({ roles: ['admin'] }), refused("Unexpected 'roles' value", 'claim_check_failed', 'roles'))
  h.assertThrowsFailure(() => check({ roles: { admin: true, editor: true } }), refused("Unexpected 'roles' value", 'claim_check_failed', 'roles'))
  h.assertThrowsFailure(() => check({}), refused("Missing 'roles' claim", 'claim_missing', 'roles'))
})

test('claimCheck passes when the function returns a truthy value, else 401 with its description', () => {
  assert.equal(claimCheck((payload) => payload.foo === 'bar')({ foo: 'bar' }), undefined)
  assert.equal(claimCheck(() => 'yes')({}), undefined)
  h.assertThrowsFailure(() => claimCheck((payload) => payload.foo === 'bar')({ foo: 'baz' }), refused('Invalid Token'))
  h.assertThrowsFailure(() => claimCheck(() => false, 'Custom "foo" check failed')({}), {
    ...refused('Custom "foo" check failed'),
    challenge: 'Bearer realm="api", error="invalid_token", error_description="Custom \'foo\' check failed"'
  })
})

test('claimCheck passes an error its function throws on unchanged', () => {
  const boom = new Error('boom')
  assert.throws(() => claimCheck(() => { throw boom })({}), (err) => err === boom)
})

test('claimCheck awaits a function that returns a Promise (the peer lets every async check pass)', async () => {
  assert.equal(await claimCheck(async () => true)({}), undefined)
  await h.assertRejectsFailure(claimCheck(async () => false, 'no')({}), refused('no'))
  const boom = new Error('boom')
  await assert.rejects(claimCheck(async () => { throw boom })({}), (err) => err === boom)
  await h.assertRejectsFailure(claimCheck(() => Promise.reject(undefined))({}), refused('Invalid Token')) // eslint-disable-line prefer-promise-reject-errors
})

test('every check without a payload (no auth before it) is 401 Unauthorized with a bare challenge', () => {
  const all = [requiredScopes('a'), scopeIncludesAny('a'), claimEquals('a', 'b'), claimIncludes('a', 'b'), claimCheck(() => true)]
  for (const check of all) {
    h.assertThrowsFailure(() => check(undefined), UNAUTHORIZED)
  }
})

test('misuse throws a TypeError at setup, with the peer\'s messages', () => {
  const misuse = (fn, message) => assert.throws(fn, (err) => err instanceof TypeError && err.message === message)
  const scopes = "'scopes' must be a string or array of strings"
  misuse(() => requiredScopes(), scopes)
  misuse(() => requiredScopes(123), scopes)
  misuse(() => scopeIncludesAny({}), scopes)
  misuse(() => requiredScopes(['a', 1]), scopes)
  misuse(() => claimEquals(1, 'x'), "'claim' must be a string")
  misuse(() => claimIncludes(1), "'claim' must be a string")
  const expected = "'expected' must be a string, number, boolean or null"
  misuse(() => claimEquals('x'), expected)
  misuse(() => claimEquals('x', {}), expected)
  misuse(() => claimIncludes('x', [1]), expected)
  misuse(() => claimCheck('x'), "'claimCheck' expects a function")
  misuse(() => claimCheck(), "'claimCheck' expects a function")
  misuse(() => claimCheck(() => true, 42), "'description' must be a string")
  misuse(() => requiredScopes('a', { claims: [] }), "'claims' must be a non-empty array of claim names")
  misuse(() => requiredScopes('a', { claims: 'scope' }), "'claims' must be a non-empty array of claim names")
  misuse(() => requiredScopes('a', null), "'options' must be an object")
})

test('a check keeps its own copy of the scopes it was given', () => {
  const scopes = ['read:messages']
  const check = requiredScopes(scopes)
  scopes.push('admin')
  assert.equal(check({ scope: 'read:messages' }), undefined)
})
