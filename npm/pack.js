'use strict'
/**
 * `npm run pack` (after `npm run build`): the main package tarball, and a platform package tarball
 * (`npm/<platform>/` plus the LICENSE and the `bearer-rs.<platform>.node` built here) for each binary
 * in the repository root, normally the one of this machine. Nothing is built and no lifecycle script
 * runs: `npm pack` would otherwise run `prepare`, which rebuilds.
 *
 * node npm/pack.js [destination]   default: dist/
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const ROOT = path.join(__dirname, '..')
const { napi } = require('../package.json')

/** `npm pack --json` of a directory into `destination`; its one report (filename, size, files…). */
function npmPack (dir, destination) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const output = execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: process.platform === 'win32'
  })
  const [report] = JSON.parse(output)
  report.path = path.join(destination, report.filename)
  return report
}

/** Packs into `destination`; returns `{ main, platforms }`, the `npm pack --json` report of each tarball. */
function pack (destination = path.join(ROOT, 'dist')) {
  if (!fs.existsSync(path.join(ROOT, 'binding.js'))) {
    throw new Error('binding.js is missing: run `npm run build` first')
  }
  destination = path.resolve(destination)
  fs.mkdirSync(destination, { recursive: true })
  const platforms = []
  for (const entry of fs.readdirSync(__dirname, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const platform = entry.name
    const binary = `${napi.binaryName}.${platform}.node`
    if (!fs.existsSync(path.join(ROOT, binary))) continue
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), `bearer-rs-${platform}-`))
    try {
      for (const file of fs.readdirSync(path.join(__dirname, platform))) {
        fs.copyFileSync(path.join(__dirname, platform, file), path.join(stage, file))
      }
      fs.copyFileSync(path.join(ROOT, 'LICENSE'), path.join(stage, 'LICENSE'))
      fs.copyFileSync(path.join(ROOT, binary), path.join(stage, binary))
      platforms.push(npmPack(stage, destination))
    } finally {
      fs.rmSync(stage, { recursive: true, force: true })
    }
  }
  if (platforms.length === 0) throw new Error(`no ${napi.binaryName}.<platform>.node in ${ROOT}: run \`npm run build\` first`)
  return { main: npmPack(ROOT, destination), platforms }
}

if (require.main === module) {
  const { main, platforms } = pack(process.argv[2])
  for (const { path: file, size, unpackedSize, entryCount } of [main, ...platforms]) {
    console.log(`${path.relative(process.cwd(), file)}: ${size} bytes packed, ${unpackedSize} unpacked, ${entryCount} files`)
  }
}

module.exports = { pack }
