'use strict'
/**
 * TypeScript consumers compile: an API written for express-oauth2-jwt-bearer 1.10 (every type it
 * exports but the DPoP and mTLS ones, `req.auth` on Express's Request) compiles against the peer as
 * it is, and against bearer-rs with only the import renamed, under Express 5 and Express 4 types,
 * with Node16 and classic (node10) module resolution; the Okta guide's middleware compiles with
 * `@okta/jwt-verifier` renamed to `bearer-rs/okta`; an ES module consumer imports both entry points.
 * Strict mode, library files checked too. The consumers hold `@ts-expect-error` lines, so types
 * that were `any` would fail the check.
 */
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile } = require('node:child_process')

const ROOT = path.join(__dirname, '..')
const FIXTURES = path.join(__dirname, 'fixtures', 'types')
/** The directory of an installed package, looked up from `from` as Node would. */
const home = (name, from = ROOT) => path.dirname(require.resolve(`${name}/package.json`, { paths: [from] }))
const TSC = path.join(home('typescript'), 'bin', 'tsc')
const TYPES = { 'Express 5': home('@types/express'), 'Express 4': home('@types/express4') }
const RESOLUTION = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  node10: { module: 'commonjs', moduleResolution: 'node10' }
}

/** Each compilation: the library the consumers import, the Express types, the module resolution. */
const BUILDS = [
  { name: 'against express-oauth2-jwt-bearer itself', library: 'express-oauth2-jwt-bearer', express: 'Express 5', resolution: 'node16', files: ['auth0-consumer.ts'] },
  { name: 'against bearer-rs, Express 5 types, Node16 resolution', library: 'bearer-rs', express: 'Express 5', resolution: 'node16', files: ['auth0-consumer.ts', 'okta-consumer.ts', 'esm-consumer.mts'] },
  { name: 'against bearer-rs, Express 4 types, Node16 resolution', library: 'bearer-rs', express: 'Express 4', resolution: 'node16', files: ['auth0-consumer.ts', 'okta-consumer.ts', 'esm-consumer.mts'] },
  { name: 'against bearer-rs, Express 5 types, classic node10 resolution', library: 'bearer-rs', express: 'Express 5', resolution: 'node10', files: ['auth0-consumer.ts', 'okta-consumer.ts'] }
]

let dir
const results = new Map()

/** A project directory for one build: the consumers (imports renamed), its tsconfig, node_modules links. */
function project (build, index) {
  const where = path.join(dir, String(index))
  const modules = path.join(where, 'node_modules')
  fs.mkdirSync(path.join(modules, '@types'), { recursive: true })
  const link = (name, target) => fs.symlinkSync(target, path.join(modules, name), 'dir')
  link('bearer-rs', ROOT)
  link('express-oauth2-jwt-bearer', home('express-oauth2-jwt-bearer'))
  link('@types/express', TYPES[build.express])
  link('@types/node', home('@types/node', TYPES[build.express]))
  for (const file of build.files) {
    const source = fs.readFileSync(path.join(FIXTURES, file), 'utf8')
      .replace("from 'express-oauth2-jwt-bearer'", `from '${build.library}'`)
      .replace("require('@okta/jwt-verifier')", "require('bearer-rs/okta')")
    fs.writeFileSync(path.join(where, file), source)
  }
  const compilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    esModuleInterop: true,
    target: 'es2022',
    lib: ['es2022'],
    types: [],
    ...RESOLUTION[build.resolution]
  }
  fs.writeFileSync(path.join(where, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: build.files }))
  return where
}

function compile (where) {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSC, '-p', where, '--pretty', 'false'], { cwd: where }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, output: `${stdout}${stderr}` })
    })
  })
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bearer-rs-types-'))
  BUILDS.forEach((build, index) => results.set(build, compile(project(build, index))))
})

after(async () => {
  await Promise.all(results.values())
  fs.rmSync(dir, { recursive: true, force: true })
})

for (const build of BUILDS) {
  test(`the consumers compile ${build.name}`, async () => {
    const { code, output } = await results.get(build)
    assert.equal(code, 0, output)
  })
}
