'use strict'
/**
 * Cold start: a fresh process per sample times `require` + building the verifier or middleware +
 * the first verification against a loopback JWKS endpoint it has never fetched; subjects
 * interleaved, medians of `--rounds`. Target 6.
 */
const path = require('node:path')
const { nextMessage, spawnNode, stop } = require('../lib/child')
const { startJwksServer } = require('../express/jwks-server')
const { median, num, ratio } = require('../lib/stats')
const { markdown } = require('../lib/table')
const { target } = require('../lib/targets')
const { AUDIENCE, ISSUER, createKey, tokenFactory } = require('../lib/tokens')

const WORKER = path.join(__dirname, '../workers/cold.js')
const SUBJECTS = [
  { subject: 'bearer-rs', label: 'bearer-rs createVerifier({ jwksUri }) + verify()' },
  { subject: 'bearer-rs-auth', label: 'bearer-rs auth() + middleware' },
  { subject: 'express-oauth2-jwt-bearer', label: 'express-oauth2-jwt-bearer auth() + middleware' },
  { subject: 'express-jwt', label: 'express-jwt + jwks-rsa + middleware' },
  { subject: 'jose', label: 'jose createRemoteJWKSet + jwtVerify' },
  { subject: 'bearer-rs-inline', label: 'bearer-rs createVerifier({ jwks }) inline, no fetch (reference)' }
]
const FIELDS = ['require', 'create', 'first', 'total', 'sinceStart']

async function sample (config) {
  const child = spawnNode(WORKER, [JSON.stringify(config)])
  const result = await nextMessage(child)
  await stop(child)
  return result
}

async function cold ({ rounds }) {
  const key = createKey('RS256')
  const token = tokenFactory(key)(0)
  const jwks = { keys: [key.jwk] }
  const server = await startJwksServer(jwks)
  const samples = SUBJECTS.map(() => [])
  const unavailable = {}
  try {
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < SUBJECTS.length; k++) {
        const i = (k + r) % SUBJECTS.length
        const result = await sample({ subject: SUBJECTS[i].subject, issuer: ISSUER, audience: AUDIENCE, jwksUri: server.jwksUri, jwks, token })
        if (result.unavailable) unavailable[i] = result.unavailable
        else samples[i].push(result)
      }
    }
  } finally {
    await server.close()
  }
  const medians = samples.map((list) => list.length ? Object.fromEntries(FIELDS.map((f) => [f, median(list.map((s) => s[f]))])) : undefined)
  const peer = medians[SUBJECTS.findIndex((s) => s.subject === 'express-oauth2-jwt-bearer')]
  const rows = SUBJECTS.map(({ label }, i) => {
    const m = medians[i]
    if (!m) return [label, `not available yet: ${unavailable[i]}`, '', '', '', '', '']
    return [label, ...FIELDS.map((f) => num(m[f])), ratio(m.total / peer.total)]
  })
  const bearer = medians[0]
  const body = `RS256; one fresh process per sample, median of ${rounds}; ms. "total" = require + create + first verification; "since process start" adds Node's own boot.\n\n` +
    markdown(['subject', 'require', 'create', 'first verification', 'total', 'since process start', 'total ÷ express-oauth2-jwt-bearer'], rows)
  const what = 'express-oauth2-jwt-bearer total ÷ bearer-rs total (require + createVerifier + first verification)'
  return { body, targets: [target(6, bearer ? what : `bearer-rs: ${unavailable[0]}`, bearer && peer.total / bearer.total, 1)] }
}

module.exports = cold
