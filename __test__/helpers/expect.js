'use strict'
/** One assertion for every rejection: class, kind, status, RFC 6750 code and the exact challenge. */
const assert = require('node:assert/strict')

/**
 * Asserts that `err` is the error a client must see.
 * @param {Error} err
 * @param {{ type: Function, kind: string, status: number, code?: string, description?: string,
 *   challenge?: string, claim?: string }} expected `challenge` is the exact `WWW-Authenticate`
 *   value; without it, the value is built from `code` and `description`.
 */
function assertFailure (err, expected) {
  assert.ok(err instanceof expected.type, `expected ${expected.type.name}, got ${err && err.name}: ${err && err.message}`)
  assert.equal(err.kind, expected.kind, `kind of: ${err.message}`)
  assert.equal(err.status, expected.status)
  assert.equal(err.statusCode, expected.status)
  assert.equal(err.code, expected.code)
  if (expected.description !== undefined) assert.equal(err.message, expected.description)
  if (expected.claim !== undefined) assert.equal(err.claim, expected.claim)
  const challenge = expected.challenge ?? (expected.code
    ? `Bearer realm="api", error="${expected.code}", error_description="${err.message.replace(/"/g, "'")}"`
    : 'Bearer realm="api"')
  assert.deepEqual(err.headers, { 'WWW-Authenticate': challenge })
}

/** Runs `fn`, which must throw, and checks the error with {@link assertFailure}. */
function assertThrowsFailure (fn, expected) {
  let thrown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  assert.ok(thrown, 'expected a failure, but the call succeeded')
  assertFailure(thrown, expected)
}

/** Awaits `promise`, which must reject, and checks the error with {@link assertFailure}. */
async function assertRejectsFailure (promise, expected) {
  let thrown
  try {
    await promise
  } catch (err) {
    thrown = err
  }
  assert.ok(thrown, 'expected a failure, but the promise resolved')
  assertFailure(thrown, expected)
}

module.exports = { assertFailure, assertThrowsFailure, assertRejectsFailure }
