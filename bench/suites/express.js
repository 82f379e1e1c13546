'use strict'
/**
 * End to end: the quickstart's Express app protected by bearer-rs and by each middleware peer,
 * keys fetched from a loopback JWKS server, driven by autocannon for a fixed duration. The server
 * runs on CPU 0 and the load generator on CPU 1. Per round, each middleware (order rotating) gets
 * a fresh server and every route/token mode in turn. Target 4.
 */
const fs = require('node:fs')
const path = require('node:path')
const { canPin, nextMessage, spawnNode, stop } = require('../lib/child')
const { cpuSeconds, othersMeter, waitForQuiet } = require('../lib/quiet')
const { MIDDLEWARES } = require('../express/middlewares')
const { startJwksServer } = require('../express/jwks-server')
const { median, num, ratio } = require('../lib/stats')
const { markdown } = require('../lib/table')
const { target } = require('../lib/targets')
const { AUDIENCE, ISSUER, createKey, tokenFactory } = require('../lib/tokens')

const SERVER = path.join(__dirname, '../express/server.js')
const LOAD = path.join(__dirname, '../express/load.js')
const TMP = path.join(__dirname, '../.tmp')

const RUNS = [
  { route: '/api/public', mode: 'none', label: 'no token' },
  { route: '/api/public', mode: 'client', label: 'one token per connection, sent but not checked' },
  { route: '/api/private', mode: 'client', label: 'one token per connection' },
  { route: '/api/private-scoped', mode: 'client', label: 'one token per connection' },
  { route: '/api/private-scoped', mode: 'pool', label: 'rotating pool' }
]

const MAX_OTHERS = 0.2
const RETRIES = 2
const RETRY_WAIT = 60

const keyOf = (id, run) => `${id} ${run.route} ${run.mode}`

function writeTokens (count) {
  const key = createKey('RS256')
  const make = tokenFactory(key)
  const file = path.join(TMP, 'express-tokens.json')
  fs.mkdirSync(TMP, { recursive: true })
  fs.writeFileSync(file, JSON.stringify(Array.from({ length: count }, (_, i) => make(i))))
  return { key, file }
}

/** One load run, with the server's CPU use and how much CPU other processes took meanwhile. */
async function measuredLoad (server, port, run, tokensFile, opts, failures) {
  const meter = othersMeter()
  const parent = process.cpuUsage()
  const cpuBefore = await serverCpu(server, failures)
  const sample = await load(port, run, tokensFile, opts)
  const serverSeconds = await serverCpu(server, failures) - cpuBefore
  sample.serverCpu = serverSeconds / (opts.duration + opts.warmup)
  sample.others = meter(serverSeconds + sample.cpuSeconds + cpuSeconds(process.cpuUsage(parent)))
  return sample
}

/** The server's CPU seconds so far, and the first request error it met (kept in `failures`). */
async function serverCpu (server, failures) {
  server.send('cpu')
  const { cpu, firstError } = await nextMessage(server)
  if (firstError) failures.add(firstError)
  return (cpu.user + cpu.system) / 1e6
}

async function load (port, run, tokensFile, opts) {
  const config = {
    url: `http://127.0.0.1:${port}${run.route}`,
    tokensFile: run.mode === 'none' ? undefined : tokensFile,
    mode: run.mode,
    connections: opts.connections,
    duration: opts.duration,
    warmup: opts.warmup
  }
  const child = spawnNode(LOAD, [JSON.stringify(config)], { cpu: 1 })
  const result = await nextMessage(child)
  await stop(child)
  return result
}

/**
 * One server for `id`; every run against it (measured again once they are quiet, twice at most,
 * when other processes took more than a fifth of a CPU); the samples pushed into `samples`,
 * retries counted in `notes`.
 */
async function round (id, config, tokensFile, opts, samples, notes) {
  const server = spawnNode(SERVER, [JSON.stringify({ middleware: id, ...config })], { cpu: 0 })
  try {
    const hello = await nextMessage(server)
    if (hello.unavailable) {
      notes[id] = `not available yet: ${hello.unavailable}`
      return
    }
    const failures = new Set()
    for (const run of RUNS) {
      let sample = await measuredLoad(server, hello.port, run, tokensFile, opts, failures)
      for (let retry = 0; retry < RETRIES && sample.others > MAX_OTHERS; retry++) {
        notes.redone = (notes.redone ?? 0) + 1
        await waitForQuiet(RETRY_WAIT)
        sample = await measuredLoad(server, hello.port, run, tokensFile, opts, failures)
      }
      if (sample.others > MAX_OTHERS) notes.disturbed = (notes.disturbed ?? 0) + 1
      const k = keyOf(id, run)
      ;(samples[k] ??= []).push(sample)
    }
    const note = [hello.note, ...[...failures].map((f) => `a request failed with ${f}`)].filter(Boolean).join('; ')
    if (note) notes[id] = note
  } finally {
    await stop(server)
  }
}

function summarise (list) {
  if (!list) return undefined
  const pick = (field) => median(list.map((s) => s[field]))
  return {
    rps: pick('rps'),
    p50: pick('p50'),
    p99: pick('p99'),
    cpu: pick('cpu'),
    serverCpu: pick('serverCpu'),
    ok: list.every((s) => s.bad === 0 && s.ok2xx > 0),
    bad: list.reduce((n, s) => n + s.bad, 0)
  }
}

function table (stats, ids) {
  const rows = []
  for (const run of RUNS) {
    const ref = stats[keyOf('bearer-rs', run)]
    for (const id of ids) {
      const s = stats[keyOf(id, run)]
      if (!s) continue
      rows.push([
        `${MIDDLEWARES[id].label}`,
        `\`${run.route}\`, ${run.label}`,
        s.ok ? num(s.rps) : `**${s.bad} failed**`,
        num(s.p50),
        num(s.p99),
        ref?.ok && s.ok ? ratio(ref.rps / s.rps) : '–',
        `${Math.round(s.serverCpu * 100)} %`,
        `${Math.round(s.cpu * 100)} %`
      ])
    }
  }
  return markdown(['middleware', 'route, tokens', 'req/s', 'p50 ms', 'p99 ms', 'bearer-rs req/s ÷ this', 'server CPU', 'autocannon CPU'], rows)
}

function targets (stats) {
  const get = (id, route, mode) => {
    const s = stats[keyOf(id, { route, mode })]
    return s && !s.ok ? null : s
  }
  const scoped = get('bearer-rs', '/api/private-scoped', 'client')
  const pub = get('bearer-rs', '/api/public', 'none')
  const peer = get('express-oauth2-jwt-bearer', '/api/private-scoped', 'client')
  const pool = get('bearer-rs', '/api/private-scoped', 'pool')
  const peerPool = get('express-oauth2-jwt-bearer', '/api/private-scoped', 'pool')
  const p99 = (a, b) => a && b ? `; p99 ${num(a.p99)} ms vs ${num(b.p99)} ms: ${a.p99 <= b.p99 ? 'no worse' : '**worse**'}` : ''
  return [
    target(4, 'bearer-rs /api/private-scoped req/s ÷ /api/public req/s, same server', scoped && pub && scoped.rps / pub.rps, 0.9),
    target(4, `/api/private-scoped, one token per connection: bearer-rs req/s ÷ express-oauth2-jwt-bearer${p99(scoped, peer)}`, scoped && peer && scoped.rps / peer.rps, 1.5),
    target(4, `/api/private-scoped, rotating pool: bearer-rs req/s ÷ express-oauth2-jwt-bearer${p99(pool, peerPool)}`, pool && peerPool && pool.rps / peerPool.rps, 1.5)
  ]
}

/** How much of target 4's first gap is carrying a token at all rather than checking it. */
function carrying (stats) {
  const scoped = stats[keyOf('bearer-rs', { route: '/api/private-scoped', mode: 'client' })]
  const bare = stats[keyOf('bearer-rs', { route: '/api/public', mode: 'none' })]
  const sent = stats[keyOf('bearer-rs', { route: '/api/public', mode: 'client' })]
  if (!scoped?.ok || !bare?.ok || !sent?.ok) return ''
  return `Reference: \`/api/public\` with the token sent (and ignored) runs at ${ratio(sent.rps / bare.rps)} its req/s without one; ` +
    `bearer-rs \`/api/private-scoped\` runs at ${ratio(scoped.rps / sent.rps)} \`/api/public\`'s req/s when both receive the same token.`
}

async function expressSuite ({ rounds, duration, warmup, connections, pool }) {
  const { key, file } = writeTokens(pool)
  const jwks = { keys: [key.jwk] }
  const jwksServer = await startJwksServer(jwks)
  const config = { issuer: ISSUER, audience: AUDIENCE, jwksUri: jwksServer.jwksUri, jwks }
  const ids = Object.keys(MIDDLEWARES)
  const samples = {}
  const notes = {}
  try {
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < ids.length; k++) {
        await round(ids[(k + r) % ids.length], config, file, { duration, warmup, connections }, samples, notes)
      }
    }
  } finally {
    await jwksServer.close()
    fs.rmSync(file, { force: true })
  }
  const stats = Object.fromEntries(Object.entries(samples).map(([k, list]) => [k, summarise(list)]))
  const uses = ids.map((id) => stats[keyOf(id, RUNS.at(-1))]).filter(Boolean).map((s) => s.rps * duration / pool)
  const setup = [
    `RS256, ${connections} connections, ${duration} s per run after ${warmup} s of warm-up, median of ${rounds} rounds;`,
    `rotating pool: ${pool.toLocaleString('en-US')} distinct tokens, each sent ${uses.length ? `${num(Math.min(...uses))}–${num(Math.max(...uses))}` : '–'} times per run;`,
    `${canPin ? 'server pinned to CPU 0, autocannon to CPU 1 (taskset)' : 'not pinned (taskset or a second CPU missing)'};`,
    `the JWKS server was fetched ${jwksServer.fetches()} times in all (${ids.length * rounds} server starts).`
  ].join(' ')
  const { redone, disturbed, ...byId } = notes
  const noteLines = Object.entries(byId).map(([id, note]) => `- ${MIDDLEWARES[id].label}: ${note}`)
  if (redone) noteLines.push(`- other processes took CPU during ${redone} run(s), measured again${disturbed ? `; ${disturbed} still disturbed after ${RETRIES} retries` : ''}`)
  return { body: [setup, noteLines.join('\n'), table(stats, ids), carrying(stats)].filter(Boolean).join('\n\n'), targets: targets(stats) }
}

module.exports = expressSuite
