'use strict'
/**
 * Where `verifySync`'s time goes on the JS side: the public call (token-cache misses, no cache, a
 * cache hit) against its parts (the bare native call, `JSON.parse` of the outcome or of the
 * payload alone, a napi round trip that verifies nothing), all interleaved on the same distinct
 * tokens. Reaches into the generated `binding.js`; reports n/a if its shape changed.
 */
const bearer = require('../..')
const { disturbance, interleave } = require('../lib/measure')
const { markdown } = require('../lib/table')
const { num } = require('../lib/stats')
const { AUDIENCE, ISSUER, tokenSet } = require('../lib/tokens')

const ALGS = ['RS256', 'HS256']

function nativeVerifier (options) {
  try {
    const { NativeVerifier } = require('../../binding.js')
    return new NativeVerifier({ issuer: [ISSUER], audience: [AUDIENCE], requiredClaims: [], ...options })
  } catch {
    return null
  }
}

/** A verifier with `extra` options, or null when bearer-rs does not take them. */
function verifierWith (options, extra) {
  try {
    return bearer.createVerifier({ ...options, ...extra })
  } catch {
    return null
  }
}

/** A new string with the token's characters, as each request's header parse makes one. */
function copy (token) {
  return Buffer.from(token).toString()
}

/** The payload in a parsed native outcome: `[from, until, header, payload]`. */
function payloadOf (outcome) {
  return outcome[3]
}

function cases ({ alg, key, tokens }) {
  const keys = alg === 'HS256' ? { secret: key.secret } : { jwks: { keys: [key.jwk] } }
  const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], ...keys }
  const verifier = bearer.createVerifier(options)
  const uncached = verifierWith(options, { tokenCache: false })
  const verified = (v) => (t) => v.verifySync(t).payload.iss === ISSUER
  const list = [
    { label: 'verifySync, public API (every token a cache miss)', call: verified(verifier), inputs: tokens },
    { label: 'verifySync, one repeated token: a cache hit, with a fresh copy of the token', call: (t) => verifier.verifySync(copy(t)).payload.iss === ISSUER, inputs: tokens.map(() => tokens[0]) },
    { label: 'a fresh copy of the token alone (part of the line above)', call: (t) => copy(t).length > 0, inputs: tokens }
  ]
  if (uncached) list.splice(1, 0, { label: 'verifySync, tokenCache: false', call: verified(uncached), inputs: tokens })
  const nativeKeys = keys.jwks ? { jwks: JSON.stringify(keys.jwks) } : keys
  const native = nativeVerifier({ algorithms: [alg], ...nativeKeys })
  const sizeOnly = nativeVerifier({ algorithms: [alg], maxTokenLength: 4, ...nativeKeys })
  if (!native || !sizeOnly) return { list, note: 'binding.js changed shape: only the public calls are measured' }
  const outcomes = tokens.map((t) => native.verifySync(t, Date.now()))
  const payloads = outcomes.map((o) => JSON.stringify(payloadOf(JSON.parse(o))))
  list.push(
    { label: 'native verifySync alone (outcome string, no parse)', call: (t) => native.verifySync(t, Date.now()).length > 0, inputs: tokens },
    { label: 'native verifySync + JSON.parse(outcome)', call: (t) => payloadOf(JSON.parse(native.verifySync(t, Date.now()))).iss === ISSUER, inputs: tokens },
    { label: `JSON.parse(outcome) alone, ${outcomes[0].length} bytes`, call: (o) => payloadOf(JSON.parse(o)).iss === ISSUER, inputs: outcomes },
    { label: `JSON.parse(payload) alone, ${payloads[0].length} bytes`, call: (p) => JSON.parse(p).iss === ISSUER, inputs: payloads },
    { label: `napi round trip, no verification (${tokens[0].length}-byte token rejected by size)`, call: (t) => sizeOnly.verifySync(t, 0).length > 0, inputs: tokens },
    { label: 'napi round trip, no verification (5-byte token rejected by size)', call: (t) => sizeOnly.verifySync(t, 0).length > 0, inputs: tokens.map(() => 'a.b.c') }
  )
  return { list }
}

async function anatomy ({ tokens, rounds }) {
  const parts = []
  for (const alg of ALGS) {
    const set = tokenSet(alg, tokens)
    const { list, note } = cases(set)
    const run = await interleave(list.map((c) => ({ ...c, id: c.label, mode: 'sync' })), { rounds })
    const body = markdown(['component', 'µs/op', 'accepted'], run.rows.map((r) => [r.label, r.ok ? num(r.usPerOp) : '**failed**', `${r.accepted}/${r.total}`]))
    parts.push([`### ${alg}: ${tokens.toLocaleString('en-US')} distinct tokens`, note, disturbance(run), body].filter(Boolean).join('\n\n'))
  }
  return { body: parts.join('\n\n'), targets: [] }
}

module.exports = anatomy
