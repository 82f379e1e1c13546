'use strict'
/**
 * Micro, distinct tokens, one thread: every library on the same `--tokens` distinct tokens per
 * algorithm (more than any peer's cache holds); sync calls where the library has them, otherwise
 * awaited one at a time. Target 1.
 */
const peers = require('../peers')
const { caseOf, instantiate } = require('../lib/cases')
const { disturbance, interleave } = require('../lib/measure')
const { timingTable } = require('../lib/table')
const { target } = require('../lib/targets')
const { tokenSet } = require('../lib/tokens')

const TARGET_ALGS = { RS256: 1.15, ES256: 1.15, EdDSA: 2 }

function targets (byAlg) {
  const lines = []
  for (const [alg, fastJwtRatio] of Object.entries(TARGET_ALGS)) {
    const rows = byAlg[alg]
    if (!rows) continue
    const get = (id) => rows.find((r) => r.id === id && r.ok)
    const bearer = get('bearer-rs')
    const floor = get('floor')
    const fastest = [get('fast-jwt'), get('fast-jwt-cache')].filter(Boolean).sort((a, b) => a.usPerOp - b.usPerOp)[0]
    lines.push(target(1, `${alg}: bearer-rs time ÷ floor time`, bearer && floor && bearer.usPerOp / floor.usPerOp, 0.9, { atMost: true }))
    lines.push(target(1, `${alg}: bearer-rs ops/s ÷ fast-jwt ops/s (faster of cache off/on)`, bearer && fastest && bearer.opsPerSec / fastest.opsPerSec, fastJwtRatio))
  }
  return lines
}

async function micro ({ algs, tokens, rounds }) {
  const byAlg = {}
  const parts = []
  for (const alg of algs) {
    const set = tokenSet(alg, tokens)
    const instances = await Promise.all(peers.map((p) => instantiate(p, set)))
    const cases = instances.filter((i) => i.impl).map((i) => caseOf(i, i.impl.sync ? 'sync' : 'serial', set.tokens))
    const run = await interleave(cases, { rounds })
    byAlg[alg] = run.rows
    const table = timingTable(run.rows, instances.filter((i) => i.unsupported))
    parts.push([`### ${alg}: ${tokens.toLocaleString('en-US')} distinct tokens`, disturbance(run), table].filter(Boolean).join('\n\n'))
  }
  return { body: parts.join('\n\n'), targets: targets(byAlg), data: byAlg }
}

module.exports = micro
