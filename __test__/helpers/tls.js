'use strict'
/**
 * Throwaway TLS material made with the openssl CLI: a CA plus a server leaf it signed (rustls
 * refuses a self-signed CA used directly as a server certificate), and client certificates.
 * Files live in one temp directory per process, removed at exit.
 */
const { execFileSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const DEFAULT_SAN = 'DNS:localhost,IP:127.0.0.1'
const DAYS = '30'

let root
const fixtures = new Map()

function newDir (prefix) {
  if (!root) {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bearer-rs-tls-'))
    process.once('exit', () => fs.rmSync(root, { recursive: true, force: true }))
  }
  return fs.mkdtempSync(path.join(root, prefix))
}

function openssl (cwd, ...args) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
}

function write (dir, name, lines) {
  const file = path.join(dir, name)
  fs.writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

function read (dir, name) {
  return fs.readFileSync(path.join(dir, name), 'utf8')
}

function serial () {
  return `0x${crypto.randomBytes(8).toString('hex')}`
}

function makeCa (dir, cn) {
  const config = write(dir, 'ca.cnf', [
    '[req]', 'distinguished_name = dn', 'prompt = no', 'x509_extensions = ext',
    '[dn]', `CN = ${cn}`,
    '[ext]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash'
  ])
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key')
  openssl(dir, 'req', '-x509', '-new', '-key', 'ca.key', '-config', config, '-sha256', '-days', DAYS,
    '-set_serial', serial(), '-out', 'ca.pem')
}

function issueLeaf (dir, caDir, { cn, san, extendedKeyUsage, keyUsage }) {
  const reqConfig = write(dir, 'req.cnf', ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', `CN = ${cn}`])
  const ext = [
    'basicConstraints = critical, CA:FALSE',
    `keyUsage = critical, ${keyUsage}`,
    `extendedKeyUsage = ${extendedKeyUsage}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid'
  ]
  if (san) ext.push(`subjectAltName = ${san}`)
  const extFile = write(dir, 'leaf.ext', ext)
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'leaf.key')
  openssl(dir, 'req', '-new', '-key', 'leaf.key', '-config', reqConfig, '-out', 'leaf.csr')
  openssl(dir, 'x509', '-req', '-in', 'leaf.csr', '-CA', path.join(caDir, 'ca.pem'),
    '-CAkey', path.join(caDir, 'ca.key'), '-set_serial', serial(), '-days', DAYS, '-sha256',
    '-extfile', extFile, '-out', 'leaf.pem')
}

/**
 * A CA and a server leaf signed by it (EC P-256, 30 days), cached per `(name, san)`.
 * Leaf: `CA:FALSE`, keyUsage digitalSignature/keyEncipherment, extendedKeyUsage serverAuth,
 * subjectAltName `san` (default 'DNS:localhost,IP:127.0.0.1'). Each distinct `name` is an
 * unrelated CA, e.g. `tlsFixture({ name: 'other' })` for "untrusted certificate" tests.
 * Returns `{ name, dir, caPem, caFile, caKeyFile, certPem, certFile, keyPem, keyFile }`.
 */
function tlsFixture ({ name = 'default', san = DEFAULT_SAN } = {}) {
  const cacheKey = `${name}\n${san}`
  if (!fixtures.has(cacheKey)) {
    const dir = newDir('ca-')
    makeCa(dir, `bearer-rs test CA (${name})`)
    issueLeaf(dir, dir, {
      cn: 'localhost',
      san,
      extendedKeyUsage: 'serverAuth',
      keyUsage: 'digitalSignature, keyEncipherment'
    })
    fixtures.set(cacheKey, Object.freeze({
      name,
      dir,
      caPem: read(dir, 'ca.pem'),
      caFile: path.join(dir, 'ca.pem'),
      caKeyFile: path.join(dir, 'ca.key'),
      certPem: read(dir, 'leaf.pem'),
      certFile: path.join(dir, 'leaf.pem'),
      keyPem: read(dir, 'leaf.key'),
      keyFile: path.join(dir, 'leaf.key')
    }))
  }
  return fixtures.get(cacheKey)
}

/**
 * A new client certificate (extendedKeyUsage clientAuth, subject CN `cn`) signed by `fixture`'s CA.
 * Returns `{ certPem, certFile, keyPem, keyFile, derSha256, x5tS256 }`: the SHA-256 of the
 * certificate's DER as lowercase hex and as base64url (the RFC 8705 `cnf["x5t#S256"]` value).
 */
function clientCert (fixture = tlsFixture(), { cn = 'bearer-rs test client' } = {}) {
  const dir = newDir('client-')
  issueLeaf(dir, fixture.dir, { cn, extendedKeyUsage: 'clientAuth', keyUsage: 'digitalSignature' })
  const certPem = read(dir, 'leaf.pem')
  const digest = crypto.createHash('sha256').update(new crypto.X509Certificate(certPem).raw).digest()
  return Object.freeze({
    certPem,
    certFile: path.join(dir, 'leaf.pem'),
    keyPem: read(dir, 'leaf.key'),
    keyFile: path.join(dir, 'leaf.key'),
    derSha256: digest.toString('hex'),
    x5tS256: digest.toString('base64url')
  })
}

module.exports = { DEFAULT_SAN, clientCert, tlsFixture }
