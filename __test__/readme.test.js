'use strict'
/** The README's JavaScript examples run as printed (with `bearer-rs` resolved to this checkout). */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const root = path.join(__dirname, '..')
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')

/** The first ```js block after `heading`. */
function example (heading) {
  const from = readme.indexOf(heading)
  assert.notEqual(from, -1, `README has no "${heading}"`)
  return /```js\n([\s\S]*?)```/.exec(readme.slice(from))[1]
}

function run (code, extra = '') {
  const script = code.replaceAll("require('bearer-rs')", `require(${JSON.stringify(root)})`) + extra
  return spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 })
}

test('the verify() example prints the scope and the algorithm', () => {
  const { stdout, stderr, status } = run(example('## `verify()`: any framework'))
  assert.equal(status, 0, stderr)
  assert.equal(stdout, 'read:messages RS256\n')
})

test('the prom-client example counts rejections by kind and flags stale keys', () => {
  const check = `
    const { createVerifier } = require(${JSON.stringify(root)})
    const v = createVerifier({ issuer: 'https://i.example/', audience: 'a', secret: 'x'.repeat(32), tokenSigningAlg: 'HS256' })
    try { v.verifySync('a.b') } catch {}
    client.register.getSingleMetricAsString('bearer_rejections_total').then((text) => console.log(text))`
  const { stdout, stderr, status } = run(example('## Observability'), check)
  assert.equal(status, 0, stderr)
  assert.match(stdout, /bearer_rejections_total\{kind="token_malformed"\} 1/)
  assert.match(stdout, /bearer_rejections_total\{kind="token_expired"\} 0/)
})
