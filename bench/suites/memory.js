'use strict'
/**
 * Memory: RSS of a fresh process over `--memory-tokens` distinct tokens (default 2,000,000),
 * through `verifySync` and through `verify()` with 64 in flight, next to a baseline process that
 * only signs the same tokens. Target 5.
 */
const path = require('node:path')
const { nextMessage, spawnNode, stop } = require('../lib/child')
const { mb } = require('../lib/stats')
const { markdown } = require('../lib/table')
const { target } = require('../lib/targets')

const WORKER = path.join(__dirname, '../workers/memory.js')
const SUBJECTS = [
  { subject: 'baseline', label: 'baseline: signing only' },
  { subject: 'sync', label: 'bearer-rs verifySync' },
  { subject: 'async', label: 'bearer-rs verify(), 64 in flight' }
]
const MILLION = 1e6

async function measure (config) {
  const child = spawnNode(WORKER, [JSON.stringify(config)], { nodeArgs: ['--expose-gc'] })
  const { samples } = await nextMessage(child)
  await stop(child)
  return samples
}

/** RSS at the sample nearest `tokens`. */
function rssAt (samples, tokens) {
  return samples.reduce((best, s) => Math.abs(s.tokens - tokens) < Math.abs(best.tokens - tokens) ? s : best).rss
}

async function memory ({ memoryTokens, memoryAlg }) {
  const every = Math.max(1, Math.floor(memoryTokens / 20))
  const rows = []
  const lines = []
  for (const { subject, label } of SUBJECTS) {
    const samples = await measure({ subject, alg: memoryAlg, count: memoryTokens, every })
    const start = samples[0].rss
    const half = rssAt(samples, Math.min(MILLION, memoryTokens / 2))
    const end = samples[samples.length - 1].rss
    const peak = Math.max(...samples.map((s) => s.rss))
    rows.push([label, mb(start), mb(half), mb(end), mb(peak), mb(half - start), mb(end - half)])
    if (subject !== 'baseline' && memoryTokens >= 2 * MILLION) {
      lines.push(target(5, `${label}: MB of RSS growth over the first million tokens, limit 64`, (half - start) / 2 ** 20, 64, { atMost: true }))
      lines.push(target(5, `${label}: MB of RSS growth over the second million tokens, limit 8`, (end - half) / 2 ** 20, 8, { atMost: true }))
    }
  }
  if (!lines.length) lines.push(target(5, `needs --memory-tokens of at least 2,000,000 (ran ${memoryTokens.toLocaleString('en-US')})`))
  const n = memoryTokens.toLocaleString('en-US')
  const mid = Math.min(MILLION, memoryTokens / 2).toLocaleString('en-US')
  const body = `${memoryAlg}, ${n} distinct tokens signed on the fly, RSS after a forced GC; one fresh process per row.\n\n` +
    markdown(['process', 'RSS at start', `at ${mid}`, `at ${n}`, 'peak', 'growth, first part', 'growth, second part'], rows)
  return { body, targets: lines }
}

module.exports = memory
