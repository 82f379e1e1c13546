'use strict'
/** Where and with what a run happened: machine, Node, bearer-rs build, peer versions. */
const crypto = require('node:crypto')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '../..')
const PEERS = ['jose', 'fast-jwt', 'jsonwebtoken', '@node-rs/jsonwebtoken', 'express-oauth2-jwt-bearer', 'express-jwt', 'jwks-rsa', 'express', 'autocannon']

function cpuModel () {
  const match = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)
  return match ? match[1] : os.cpus()[0]?.model ?? 'unknown'
}

function versionOf (dir) {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version
}

function sha256 (files) {
  const hash = crypto.createHash('sha256')
  for (const file of files) hash.update(fs.readFileSync(file))
  return hash.digest('hex').slice(0, 12)
}

/** `dir`'s .js files, recursively, in a stable order. */
function jsFiles (dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((entry) => {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) return jsFiles(file)
    return entry.name.endsWith('.js') ? [file] : []
  })
}

/**
 * The commit (with `+dirty` when tracked files differ) and hashes of the loaded addon and of the JS
 * (index.js and lib/), so runs of an uncommitted tree can still be told apart.
 */
function bearerBuild () {
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    if (execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim()) commit += '+dirty'
  } catch {}
  const addon = fs.readdirSync(ROOT).find((f) => f.endsWith('.node'))
  const js = sha256([path.join(ROOT, 'index.js'), ...jsFiles(path.join(ROOT, 'lib'))])
  return `${versionOf(ROOT)} (git ${commit}, addon sha256 ${addon ? sha256([path.join(ROOT, addon)]) : 'none'}, JS sha256 ${js})`
}

function environment () {
  return {
    cpu: `${os.availableParallelism()} × ${cpuModel()}`,
    node: process.version,
    bearer: bearerBuild(),
    peers: PEERS.map((name) => [name, versionOf(path.join(__dirname, '../node_modules', name))])
  }
}

module.exports = { environment }
