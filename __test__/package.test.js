'use strict'
/**
 * The packages as a user gets them: the main tarball and this platform's tarball, packed from the
 * addon `npm test` already built, installed into a fresh Express app outside the repository with
 * no `cargo` or `rustc` on PATH, then used from JavaScript (require and import) and TypeScript.
 */
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile, spawnSync } = require('node:child_process')
const { promisify } = require('node:util')
const { pack } = require('../npm/pack')
const manifest = require('../package.json')

const FIXTURES = path.join(__dirname, 'fixtures', 'package')
const RUST = ['cargo', 'rustc', 'rustup']
const libc = process.platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl') : ''
const abi = process.platform === 'win32' ? 'msvc' : libc
const PLATFORM = `${process.platform}-${process.arch}${abi ? `-${abi}` : ''}`
const PLATFORM_PACKAGE = `${manifest.name}-${PLATFORM}`
const skip = !(PLATFORM_PACKAGE in manifest.optionalDependencies) && `no platform package for ${PLATFORM}`

let dir // the temporary directory: the tarballs and the app
let app // the app, in dir
let tarballs // npm pack --json reports: { main, platforms }
let env // the environment of every command in the app: no Rust, nothing of the npm run that started us but its settings

/** Runs `node` (this one) or `npm` in the app; resolves to { stdout, stderr }, rejects with both on failure. */
async function run (command, args) {
  const file = command === 'node' ? process.execPath : process.platform === 'win32' ? 'npm.cmd' : command
  return promisify(execFile)(file, args, { cwd: app, env, shell: file === 'npm.cmd', maxBuffer: 16 << 20 })
}

/** `npm pack --json`'s file list of a tarball. */
const packed = (report) => report.files.map((file) => file.path).sort()

before(async () => {
  if (skip) return
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bearer-rs-package-'))
  app = path.join(dir, 'app')
  fs.mkdirSync(app)
  tarballs = pack(dir)
  const started = /^(npm_(lifecycle|package)_|npm_(command|execpath|node_execpath|config_local_prefix)$|init_cwd$|node_test_context$)/i
  env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !started.test(name)))
  env.PATH = env.PATH.split(path.delimiter).filter((bin) => !RUST.some((tool) => fs.existsSync(path.join(bin, tool)))).join(path.delimiter)
  env.NODE_ENV = 'test'
  for (const file of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, file), path.join(app, file))
  const platform = tarballs.platforms.find(({ name }) => name === PLATFORM_PACKAGE)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
    name: 'bearer-rs-consumer',
    private: true,
    dependencies: {
      [manifest.name]: `file:../${tarballs.main.filename}`,
      [platform.name]: `file:../${platform.filename}`,
      express: '^5.1.0',
      express4: 'npm:express@^4.21.2'
    },
    devDependencies: {
      typescript: '~5.9.3',
      typescript7: 'npm:typescript@^7.0.2',
      '@types/express': '^5.0.3',
      '@types/express4': 'npm:@types/express@^4.17.23'
    }
  }, null, 2))
})

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

test('the main tarball holds the JavaScript, the types, the generated loader and the license, and no binary', { skip }, (t) => {
  for (const { filename, size, unpackedSize } of [tarballs.main, ...tarballs.platforms]) {
    t.diagnostic(`${filename}: ${size} bytes, ${unpackedSize} unpacked`)
  }
  const files = packed(tarballs.main)
  for (const file of ['LICENSE', 'README.md', 'package.json', 'index.js', 'index.d.ts', 'binding.js', 'lib/native.js', 'lib/verifier.js']) {
    assert.ok(files.includes(file), `${file} is packed`)
  }
  const unwanted = files.filter((file) => /\.node$|\.rs$|^(src|tests?|__test__|bench|example|fuzz|target|npm)\/|^Cargo\.|^binding\.d\.ts$/.test(file))
  assert.deepEqual(unwanted, [])
  const targets = (value) => typeof value === 'string' ? [value] : Object.values(value).flatMap(targets)
  for (const target of [manifest.main, manifest.types, ...targets(manifest.exports)]) {
    assert.ok(files.includes(path.posix.normalize(target)), `${target}, named by package.json, is packed`)
  }
})

test('the platform tarball holds the binary, its manifest, the README and the license', { skip }, () => {
  const platform = tarballs.platforms.find(({ name }) => name === PLATFORM_PACKAGE)
  assert.equal(platform.version, manifest.version)
  assert.deepEqual(packed(platform), ['LICENSE', 'README.md', `${manifest.napi.binaryName}.${PLATFORM}.node`, 'package.json'])
})

test('an Express app installs both tarballs with no Rust on PATH and builds nothing', { skip }, async (t) => {
  for (const tool of RUST) {
    assert.notEqual(spawnSync('sh', ['-c', `command -v ${tool}`], { env }).status, 0, `${tool} is not on PATH`)
  }
  const started = Date.now()
  await run('npm', ['install', '--no-audit', '--no-fund'])
  t.diagnostic(`npm install took ${((Date.now() - started) / 1000).toFixed(1)} s`)

  const installed = path.join(app, 'node_modules', manifest.name)
  const { version, optionalDependencies, engines, license } = require(path.join(installed, 'package.json'))
  assert.equal(version, manifest.version)
  assert.deepEqual(optionalDependencies, manifest.optionalDependencies)
  assert.ok(Object.values(optionalDependencies).every((v) => v === manifest.version), 'platform packages at the same version')
  assert.deepEqual(engines, manifest.engines)
  assert.equal(license, 'MIT')
  assert.deepEqual(fs.readdirSync(installed).filter((file) => file.endsWith('.node')), [], 'no binary built or copied into bearer-rs')
  assert.deepEqual(fs.readdirSync(path.join(app, 'node_modules')).filter((name) => name.startsWith(`${manifest.name}-`)), [PLATFORM_PACKAGE])
  const binary = require(path.join(app, 'node_modules', PLATFORM_PACKAGE, 'package.json'))
  assert.deepEqual([binary.os, binary.cpu, binary.libc], [[process.platform], [process.arch], libc ? [libc === 'gnu' ? 'glibc' : 'musl'] : undefined])
  assert.equal(binary.main, `${manifest.napi.binaryName}.${PLATFORM}.node`)
  assert.equal(binary.scripts, undefined)
})

for (const loader of ['check.cjs', 'check.mjs']) {
  for (const express of ['express', 'express4']) {
    const how = loader === 'check.cjs' ? "require('bearer-rs')" : "import from 'bearer-rs'"
    test(`${how}, Express ${express === 'express' ? 5 : 4}: checkJwt against the development issuer answers 401 without a valid token, 200 with one`, { skip }, async () => {
      const report = JSON.parse((await run('node', [loader, express])).stdout)
      assert.match(report.expressVersion, express === 'express' ? /^5\./ : /^4\./)
      assert.deepEqual(report.addons, [path.join(fs.realpathSync(app), 'node_modules', PLATFORM_PACKAGE, `${manifest.napi.binaryName}.${PLATFORM}.node`)])
      assert.equal(report.public.status, 200)
      assert.equal(report.missing.status, 401)
      assert.equal(report.missing.challenge, 'Bearer realm="api", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA"')
      assert.equal(report.valid.status, 200)
      assert.deepEqual(report.valid.body, { sub: report.sub })
      for (const rejected of ['expired', 'forged']) {
        assert.equal(report[rejected].status, 401, rejected)
        assert.match(report[rejected].challenge, /^Bearer realm="api", error="invalid_token"/, rejected)
      }
      assert.equal(report.scope.status, 403)
      assert.match(report.scope.challenge, /error="insufficient_scope"/)
      if (loader === 'check.mjs') {
        assert.deepEqual(report.namedExportsMissing, [])
        assert.equal(report.sameAsRequire, true)
      }
    })
  }
}

for (const resolution of ['node16', 'bundler']) {
  for (const express of [5, 4]) {
    const config = `tsconfig.${resolution}${express === 4 ? '.express4' : ''}.json`
    test(`TypeScript 5.9 and 7 consumers (import, import = require, checked require) compile under strict, moduleResolution ${resolution}, Express ${express} types`, { skip }, async () => {
      await Promise.all(['typescript', 'typescript7'].map(async (typescript) => {
        const tsc = path.join(app, 'node_modules', typescript, 'bin', 'tsc')
        const { stdout } = await run('node', [tsc, '-p', config, '--listFiles']).catch((error) => assert.fail(`${typescript}: ${error.stdout}${error.stderr}`))
        const files = stdout.split(/\r?\n/)
        const cores = files.filter((file) => /@types[/\\]express-serve-static-core[/\\]index\.d\.ts$/.test(file))
        assert.equal(cores.length, 1, `${typescript}: one Express core: ${cores}`)
        assert.equal(require(path.join(path.dirname(cores[0]), 'package.json')).version.split('.')[0], String(express))
        assert.ok(files.some((file) => file.endsWith(path.join('node_modules', manifest.name, 'index.d.ts'))), `${typescript} reads the package types`)
      }))
    })
  }
}

test('without its platform package, loading fails with one message naming the platform and what to do', { skip }, async () => {
  const modules = path.join(app, 'node_modules')
  fs.renameSync(path.join(modules, PLATFORM_PACKAGE), path.join(dir, PLATFORM_PACKAGE))
  try {
    const script = "try { require('bearer-rs') } catch (e) { console.log(JSON.stringify({ message: e.message, code: e.code })) }"
    const { message, code } = JSON.parse((await run('node', ['-e', script])).stdout)
    assert.equal(code, 'ERR_BEARER_RS_NATIVE_ADDON')
    assert.ok(message.includes(`on ${process.platform}-${process.arch}${libc ? ` (${libc === 'gnu' ? 'glibc' : 'musl'})` : ''}`), message)
    assert.ok(message.includes(`Node.js ${process.version}`), message)
    assert.ok(message.includes(`Its binary is the package ${PLATFORM_PACKAGE}`), message)
    assert.ok(message.includes('reinstall with optional dependencies enabled'), message)
    assert.ok(message.includes('build from source with Rust'), message)
  } finally {
    fs.renameSync(path.join(dir, PLATFORM_PACKAGE), path.join(modules, PLATFORM_PACKAGE))
  }
})
