'use strict'
/**
 * Validation and defaults for `createDevIssuer(options)` and `issuer.sign(claims, opts)`.
 * Misuse throws a TypeError that names the option.
 */
const crypto = require('node:crypto')
const net = require('node:net')
const { ALGORITHMS } = require('./keys')

const OPTION_NAMES = new Set([
  'host', 'port', 'allowNonLoopback', 'audience', 'algorithm', 'clients', 'tokenLifetime', 'now'
])
const SIGN_OPTION_NAMES = new Set(['algorithm', 'kid', 'header', 'expiresIn', 'key'])
const ALGORITHM_NAMES = `one of ${Object.keys(ALGORITHMS).join(', ')}`

/** RFC 6749 §3.3: scope-tokens of %x21 / %x23-5B / %x5D-7E, separated by single spaces; may be empty. */
const SCOPE = /^(?:[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*)?$/

const LOOPBACK = new net.BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

/** The validated configuration of `createDevIssuer`, defaults applied. */
function resolveOptions (options = {}) {
  checkObject('createDevIssuer', 'options', options, OPTION_NAMES)
  const {
    host = '127.0.0.1',
    port = 0,
    allowNonLoopback = false,
    audience = 'https://api.example.test',
    algorithm = 'RS256',
    clients = [{ clientId: 'dev-client', clientSecret: randomSecret(), scope: 'read:messages' }],
    tokenLifetime = 3600,
    now = Date.now
  } = options
  const check = optionChecker('createDevIssuer')
  check(typeof host === 'string' && host !== '', 'host', 'a non-empty string')
  check(typeof allowNonLoopback === 'boolean', 'allowNonLoopback', 'a boolean')
  check(allowNonLoopback || isLoopback(host), 'host', 'a loopback address (127.0.0.0/8, ::1 or localhost), ' +
    `got ${JSON.stringify(host)}; set allowNonLoopback: true to listen elsewhere`)
  check(Number.isInteger(port) && port >= 0 && port <= 65535, 'port', 'an integer from 0 to 65535')
  check(typeof audience === 'string' && audience !== '', 'audience', 'a non-empty string')
  check(Object.hasOwn(ALGORITHMS, algorithm), 'algorithm', ALGORITHM_NAMES)
  checkClients(clients, check)
  check(Number.isSafeInteger(tokenLifetime) && tokenLifetime > 0, 'tokenLifetime', 'a positive integer (seconds)')
  check(typeof now === 'function', 'now', 'a function returning epoch milliseconds')
  return {
    host,
    port,
    audience,
    algorithm,
    clients: clients.map(({ clientId, clientSecret, scope }) => ({ clientId, clientSecret, scope })),
    tokenLifetime,
    now
  }
}

/** The validated `opts` of `issuer.sign`, defaults taken from the issuer's configuration. */
function resolveSignOptions (opts, config) {
  checkObject('sign', 'opts', opts, SIGN_OPTION_NAMES)
  const { algorithm = config.algorithm, kid, header = {}, expiresIn = config.tokenLifetime, key = 'published' } = opts
  const check = optionChecker('sign')
  check(Object.hasOwn(ALGORITHMS, algorithm), 'algorithm', ALGORITHM_NAMES)
  check(kid === undefined || typeof kid === 'string', 'kid', 'a string')
  check(header !== null && typeof header === 'object' && !Array.isArray(header), 'header', 'an object')
  check(Number.isSafeInteger(expiresIn), 'expiresIn', 'an integer (seconds)')
  check(key === 'published' || key === 'unpublished', 'key', '"published" or "unpublished"')
  return { algorithm, kid, header, expiresIn, key }
}

function checkClients (clients, check) {
  check(Array.isArray(clients) && clients.length > 0, 'clients', 'a non-empty array')
  const clientIds = new Set()
  clients.forEach((client, i) => {
    const name = `clients[${i}]`
    check(client !== null && typeof client === 'object', name, 'an object { clientId, clientSecret, scope }')
    const { clientId, clientSecret, scope } = client
    check(typeof clientId === 'string' && clientId !== '' && !clientIds.has(clientId), `${name}.clientId`,
      'a non-empty string, unique among clients')
    check(typeof clientSecret === 'string' && clientSecret !== '', `${name}.clientSecret`, 'a non-empty string')
    check(typeof scope === 'string' && SCOPE.test(scope), `${name}.scope`,
      'a string of scopes separated by single spaces (RFC 6749 §3.3), possibly empty')
    clientIds.add(clientId)
  })
}

function isLoopback (host) {
  if (host.toLowerCase() === 'localhost') return true
  const family = net.isIP(host)
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6')
}

function randomSecret () {
  return crypto.randomBytes(32).toString('base64url')
}

/** `check(ok, name, expected)`: throws a TypeError naming option `name` of function `where` unless `ok`. */
function optionChecker (where) {
  return (ok, name, expected) => {
    if (!ok) throw new TypeError(`${where}: option "${name}" must be ${expected}`)
  }
}

function checkObject (where, name, value, knownNames) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${where}: ${name} must be an object`)
  }
  const unknown = Object.keys(value).find((option) => !knownNames.has(option))
  if (unknown !== undefined) throw new TypeError(`${where}: unknown option "${unknown}"`)
}

module.exports = { resolveOptions, resolveSignOptions }
