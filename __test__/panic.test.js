'use strict'
/**
 * No Rust panic reaches Node. A build with the test-only `test-panic` feature (its own target
 * directory, never the addon the package loads) panics on one magic token inside the pipeline;
 * every way of calling it must turn the panic into a JS error, and the process keeps serving.
 */
const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const h = require('./helpers')

const root = path.join(__dirname, '..')
const PANIC = 'bearer-rs:test-panic'
let native

before(() => {
  const targetDir = path.join(root, 'target', 'test-panic')
  execFileSync('cargo', ['build', '--release', '--lib', '--features', 'test-panic', '--target-dir', targetDir], { cwd: root, stdio: 'inherit' })
  const addon = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bearer-rs-panic-')), 'bearer-rs-test-panic.node')
  fs.copyFileSync(path.join(targetDir, 'release', process.platform === 'darwin' ? 'libbearer_rs.dylib' : 'libbearer_rs.so'), addon)
  native = require(addon)
}, { timeout: 15 * 60_000 })

function verifier (extra = {}) {
  return new native.NativeVerifier({
    issuer: [h.DEFAULT_ISSUER],
    audience: [h.DEFAULT_AUDIENCE],
    requiredClaims: [],
    jwks: JSON.stringify(h.jwks(h.keyPair('ES256'))),
    ...extra
  })
}

function stillServes (v) {
  const outcome = JSON.parse(v.verifySync(h.sign(h.claims(), h.keyPair('ES256')), Date.now()))
  assert.ok(Array.isArray(outcome) && outcome[3].sub, 'a valid token still verifies after the panic')
}

test('verifySync turns a panic into a thrown JS error', () => {
  const v = verifier()
  assert.throws(() => v.verifySync(PANIC, Date.now()), (err) => err instanceof Error && /panic/i.test(err.message))
  stillServes(v)
})

test('verifyBatch turns a panic on a libuv worker into a rejected promise', async () => {
  const v = verifier()
  await assert.rejects(v.verifyBatch([h.sign(h.claims(), h.keyPair('ES256')), PANIC], Date.now()), /internal error/)
  stillServes(v)
})

test('verifyAsync turns a panic on the Tokio runtime into an error outcome', async () => {
  const v = verifier()
  const outcome = JSON.parse(await v.verifyAsync(PANIC, Date.now()))
  assert.equal(outcome.error.kind, 'keys_unavailable')
  assert.equal(outcome.error.cause, 'bearer-rs: internal error')
  stillServes(v)
})
