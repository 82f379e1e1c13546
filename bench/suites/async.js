'use strict'
/**
 * Async, 64 in flight on distinct tokens: the libraries whose verification leaves the main thread
 * (bearer-rs's batched `verify`, jose through WebCrypto, @node-rs/jsonwebtoken's task, node:crypto's
 * callback form), with bearer-rs's `verifySync` in the same rounds as the single-thread reference.
 * Target 3.
 */
const os = require('node:os')
const peers = require('../peers')
const { caseOf, instantiate } = require('../lib/cases')
const { disturbance, interleave } = require('../lib/measure')
const { timingTable } = require('../lib/table')
const { target } = require('../lib/targets')
const { tokenSet } = require('../lib/tokens')

const TARGET_ALGS = ['RS256', 'ES256', 'EdDSA']
const ASYNC_PEERS = ['floor', 'bearer-rs', 'bearer-rs-nocache', 'jose', 'node-rs']

async function asyncSuite ({ algs, tokens, rounds }) {
  const parts = []
  const lines = []
  for (const alg of algs) {
    const set = tokenSet(alg, tokens)
    const instances = await Promise.all(peers.filter((p) => ASYNC_PEERS.includes(p.id)).map((p) => instantiate(p, set)))
    const ready = instances.filter((i) => i.impl?.async)
    const cases = ready.map((i) => caseOf(i, 'concurrent', set.tokens))
    const bearer = ready.find((i) => i.peer.id === 'bearer-rs')
    cases.push({ ...caseOf(bearer, 'sync', set.tokens, 'bearer-rs verifySync (single-thread reference)'), id: 'bearer-rs-sync' })
    const run = await interleave(cases, { rounds })
    const rows = run.rows
    const noAsync = instances.filter((i) => i.impl && !i.impl.async).map((i) => ({ peer: i.peer, unsupported: 'no async API' }))
    const table = timingTable(rows, [...instances.filter((i) => i.unsupported), ...noAsync])
    parts.push([`### ${alg}: ${tokens.toLocaleString('en-US')} distinct tokens`, disturbance(run), table].filter(Boolean).join('\n\n'))
    if (TARGET_ALGS.includes(alg)) {
      const concurrent = rows.find((r) => r.id === 'bearer-rs' && r.ok)
      const single = rows.find((r) => r.id === 'bearer-rs-sync' && r.ok)
      const measured = concurrent && single && concurrent.opsPerSec / single.opsPerSec
      lines.push(target(3, `${alg}: bearer-rs verify() 64 in flight ops/s ÷ verifySync ops/s, ${os.availableParallelism()} cores`, measured, 1.7))
    }
  }
  return { body: parts.join('\n\n'), targets: lines }
}

module.exports = asyncSuite
