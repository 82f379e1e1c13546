'use strict'
/**
 * Repeated token, one thread: every library verifies the same token over and over, which is what
 * a token cache is for. Each call gets its own copy of the string (new copies every round, so V8
 * has not hashed them yet), as each request's header parse makes one. bearer-rs's distinct-token time runs in the same rounds: its cache counts
 * as present only when a repeated token is at least 3× cheaper than a distinct one. Target 2.
 */
const peers = require('../peers')
const { caseOf, instantiate } = require('../lib/cases')
const { disturbance, interleave } = require('../lib/measure')
const { timingTable } = require('../lib/table')
const { target } = require('../lib/targets')
const { tokenSet } = require('../lib/tokens')

const CACHE_SPEED_UP = 3
const TARGET_ALG = 'RS256'

function cacheStatus (rows) {
  const repeated = rows.find((r) => r.id === 'bearer-rs')
  const distinct = rows.find((r) => r.id === 'bearer-rs-distinct')
  const speedUp = distinct.usPerOp / repeated.usPerOp
  return { present: speedUp >= CACHE_SPEED_UP, speedUp }
}

function targets (rows) {
  const { present, speedUp } = cacheStatus(rows)
  if (!present) return [target(2, `bearer-rs has no token cache: a repeated ${TARGET_ALG} token is only ${speedUp.toFixed(2)}× cheaper than a distinct one`)]
  const bearer = rows.find((r) => r.id === 'bearer-rs' && r.ok)
  const ratioTo = (id) => {
    const peer = rows.find((r) => r.id === id && r.ok)
    return bearer && peer ? bearer.opsPerSec / peer.opsPerSec : undefined
  }
  return [
    target(2, `${TARGET_ALG} repeated token: bearer-rs ops/s ÷ jose (imported key)`, ratioTo('jose'), 20),
    target(2, `${TARGET_ALG} repeated token: bearer-rs ops/s ÷ fast-jwt (cache on)`, ratioTo('fast-jwt-cache'), 1.5)
  ]
}

async function cache ({ algs, tokens, rounds }) {
  const parts = []
  let lines = []
  for (const alg of algs) {
    const set = tokenSet(alg, tokens)
    const copies = () => Array.from({ length: tokens }, () => Buffer.from(set.tokens[0]).toString())
    const instances = await Promise.all(peers.map((p) => instantiate(p, set)))
    const cases = instances.filter((i) => i.impl).map((i) => {
      const c = caseOf(i, i.impl.sync ? 'sync' : 'serial', copies())
      return i.impl.prepare ? c : { ...c, fresh: copies }
    })
    const bearer = instances.find((i) => i.peer.id === 'bearer-rs')
    cases.push({ ...caseOf(bearer, 'sync', set.tokens, 'bearer-rs, distinct tokens (reference)'), id: 'bearer-rs-distinct' })
    const run = await interleave(cases, { rounds })
    const rows = run.rows
    const { present, speedUp } = cacheStatus(rows)
    const status = present
      ? `bearer-rs token cache: present (a repeated token is ${speedUp.toFixed(1)}× cheaper than a distinct one)`
      : `bearer-rs token cache: **not available yet** (a repeated token costs ${(1 / speedUp).toFixed(2)}× a distinct one)`
    const table = timingTable(rows, instances.filter((i) => i.unsupported))
    parts.push([`### ${alg}: one token, verified ${tokens.toLocaleString('en-US')} times`, status, disturbance(run), table].filter(Boolean).join('\n\n'))
    if (alg === TARGET_ALG) lines = targets(rows)
  }
  return { body: parts.join('\n\n'), targets: lines }
}

module.exports = cache
