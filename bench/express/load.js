'use strict'
/**
 * Child process: autocannon against one route for a fixed duration, after a warm-up. Config as JSON
 * in argv[2]: `{ url, tokensFile?, mode: 'client' | 'pool', connections, duration, warmup }`. With
 * `client` every connection sends its own token; with `pool` every request takes the next token
 * of a rotating pool. Sends `{ rps, p50, p99, ok2xx, bad, cpu, cpuSeconds }` to the parent (`cpu`:
 * CPUs used while measuring; `cpuSeconds`: all CPU time, warm-up included), then exits.
 * Latencies are collected from autocannon's 'response' events (its own histogram keeps whole ms).
 */
const fs = require('node:fs')
const autocannon = require('autocannon')

const config = JSON.parse(process.argv[2])
const tokens = config.tokensFile ? JSON.parse(fs.readFileSync(config.tokensFile, 'utf8')) : []

function options (duration) {
  const base = { url: config.url, connections: config.connections, duration }
  if (!tokens.length) return base
  let next = 0
  const bearer = () => `Bearer ${tokens[next++ % tokens.length]}`
  if (config.mode === 'client') return { ...base, setupClient: (client) => client.setHeaders({ authorization: bearer() }) }
  return {
    ...base,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: bearer() } }) }]
  }
}

function percentile (sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

async function main () {
  const start = process.cpuUsage()
  await autocannon(options(config.warmup))
  const latencies = []
  const before = process.cpuUsage()
  const run = autocannon(options(config.duration))
  run.on('response', (client, status, bytes, ms) => {
    if (status < 300) latencies.push(ms)
  })
  const r = await run
  const { user, system } = process.cpuUsage(before)
  const all = process.cpuUsage(start)
  latencies.sort((a, b) => a - b)
  process.send({
    rps: r.requests.average,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    ok2xx: r['2xx'],
    bad: r.non2xx + r.errors + r.timeouts,
    cpu: (user + system) / 1e6 / config.duration,
    cpuSeconds: (all.user + all.system) / 1e6
  }, () => process.exit(0))
}

main()
