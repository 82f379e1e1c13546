'use strict'
/**
 * The soak test of GitHub issue 6: `npm run soak` (SOAK_SECONDS, default 180).
 *
 * The Express example runs in a child process (bench/soak-api.js), its keys coming from a loopback
 * JWKS server that flaps through one fault after another every PHASE_SECONDS: 503s, hung requests,
 * truncated JSON, a 10 MiB body, answers slower than the timeout, reset connections, no server at
 * all, and key rotations. Meanwhile CONCURRENCY keep-alive clients send `/api/private-scoped` a
 * mix of valid, rotated-key, unscoped, expired, forged and garbage tokens. Printed at the end, as
 * markdown: requests per kind of token with their statuses, wrong answers (a status outside the
 * kind's allowed set, a 5xx, a connection error or a request slower than REQUEST_TIMEOUT_MS; must be
 * 0), the API's RSS over time, and JWKS fetches against the budget the cooldown sets. Exits 1 on
 * any wrong answer or a blown budget.
 */
const crypto = require('node:crypto')
const http = require('node:http')
const os = require('node:os')
const { fork } = require('node:child_process')
const { createDevIssuer } = require('..')
const { startIdp } = require('../__test__/helpers/idp')

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180)
const PHASE_SECONDS = 10
const CONCURRENCY = 16
const REQUEST_TIMEOUT_MS = 5000
const ROUTE = '/api/private-scoped'

/** The API's remote-key settings: short, so a few minutes exercise many refreshes and cooldowns. */
const TIMING = { cacheMaxAge: 4000, cooldownDuration: 1000, timeoutDuration: 500 }

/** The faults the JWKS server cycles through, each for one phase ([mode, options] of Idp#behave). */
const PHASES = [
  { name: 'ok', fault: ['ok'] },
  { name: '503', fault: ['status', { status: 503 }] },
  { name: 'hang', fault: ['hang'] },
  { name: 'truncated JSON', fault: ['invalid-json'] },
  { name: '10 MiB body', fault: ['huge'] },
  { name: 'slower than the timeout', fault: ['slow', { delayMs: 2000 }] },
  { name: 'connection reset', fault: ['reset'] },
  { name: 'no server', fault: null },
  { name: 'key rotation', fault: ['ok'], rotate: true }
]

/** The kinds of token sent, how often (weight), and the statuses each may get. */
const KINDS = {
  valid: { weight: 50, allowed: [200] },
  'rotated key': { weight: 10, allowed: [200, 401] },
  'no scope': { weight: 10, allowed: [403] },
  expired: { weight: 8, allowed: [401] },
  'forged, published kid': { weight: 8, allowed: [401] },
  'forged, unknown kid': { weight: 5, allowed: [401] },
  'alg none': { weight: 4, allowed: [401] },
  garbage: { weight: 5, allowed: [400, 401] }
}

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const times = (n, make) => Array.from({ length: n }, (_, i) => make(i))
const pick = (list) => list[crypto.randomInt(list.length)]
const mib = (bytes) => (bytes / 1048576).toFixed(1)

/** Forged tokens of each kind: the dev issuer generates a fresh key for each (RSA: ~0.1 s). */
const FORGED = 40

/** Tokens of every kind but 'rotated key' (minted at each rotation), all distinct. */
function mintTokens (issuer) {
  const garbage = [
    () => crypto.randomBytes(crypto.randomInt(1, 3000)).toString('base64url'),
    () => times(3, () => crypto.randomBytes(crypto.randomInt(0, 400)).toString('base64url')).join('.'),
    () => `${b64url({ alg: 'RS256', kid: 'x' })}.${crypto.randomBytes(40).toString('base64')}.AA==`,
    () => `${b64url('['.repeat(crypto.randomInt(1, 2000)))}.e30.`,
    () => times(crypto.randomInt(1, 8), () => 'a').join('.')
  ]
  return {
    valid: times(4000, () => issuer.sign({ scope: 'read:messages' })),
    'rotated key': [],
    'no scope': times(300, () => issuer.sign({ scope: 'write:messages' })),
    expired: times(300, () => issuer.sign({}, { expiresIn: -120 })),
    'forged, published kid': times(FORGED, () => issuer.sign({}, { key: 'unpublished' })),
    'forged, unknown kid': times(FORGED, (i) => issuer.sign({}, { key: 'unpublished', kid: `attacker-${i}` })),
    'alg none': times(300, (i) => `${b64url({ alg: ['none', 'None', 'NONE'][i % 3], typ: 'at+jwt' })}.${b64url({ iss: issuer.issuer, aud: issuer.audience, sub: 'x', scope: 'read:messages', exp: 4102444800 })}.`),
    garbage: times(300, (i) => garbage[i % garbage.length]())
  }
}

/** The kind of the next request, drawn by weight. */
function drawKind (tokens) {
  const kinds = Object.keys(KINDS).filter((kind) => tokens[kind].length > 0)
  let roll = crypto.randomInt(kinds.reduce((sum, kind) => sum + KINDS[kind].weight, 0))
  for (const kind of kinds) {
    roll -= KINDS[kind].weight
    if (roll < 0) return kind
  }
}

/** GET `ROUTE` with `token`; resolves `{ status }` or `{ error }`, never rejects. */
function call (agent, port, token) {
  return new Promise((resolve) => {
    const req = http.get({ agent, host: '127.0.0.1', port, path: ROUTE, headers: { authorization: `Bearer ${token}` }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode }))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)))
    req.on('error', (error) => resolve({ error: error.message }))
  })
}

/** The API process, resolved once it listens. */
function startApi (options) {
  const child = fork(require.resolve('./soak-api'), [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const memory = []
  child.on('message', (message) => message.memory && memory.push(message.memory))
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the API exited with ${code}`)))
    child.on('message', (message) => message.port && resolve({ child, port: message.port, memory }))
  })
}

/** Runs the fault phases until `end`: the JWKS server serves the original key and the issuer's current ones. */
async function flap (idp, issuer, tokens, end, log) {
  const original = issuer.jwks().keys
  const publish = () => {
    const current = issuer.jwks().keys.filter((key) => !original.some((o) => o.kid === key.kid))
    idp.setJwks({ keys: [...original, ...current] })
  }
  for (let i = 0; Date.now() < end; i++) {
    const phase = PHASES[i % PHASES.length]
    if (phase.rotate) {
      issuer.rotate({ keepPrevious: true })
      publish()
      tokens['rotated key'] = times(200, () => issuer.sign({ scope: 'read:messages' }))
    }
    if (phase.fault) {
      await idp.start()
      idp.behave('jwks', ...phase.fault)
    } else {
      await idp.stop()
    }
    log.push(phase.name)
    await new Promise((resolve) => setTimeout(resolve, Math.min(PHASE_SECONDS * 1000, end - Date.now())))
  }
  await idp.start()
  idp.behave('jwks', 'ok')
}

/** One client: requests back to back until `end`, tallied into `tally`. */
async function client (agent, port, tokens, end, tally) {
  while (Date.now() < end) {
    const kind = drawKind(tokens)
    const started = performance.now()
    const { status, error } = await call(agent, port, pick(tokens[kind]))
    const ms = performance.now() - started
    const entry = tally[kind]
    entry.requests += 1
    entry.maxMs = Math.max(entry.maxMs, ms)
    entry.statuses[status ?? 'error'] = (entry.statuses[status ?? 'error'] ?? 0) + 1
    const wrong = error || status >= 500 || !KINDS[kind].allowed.includes(status)
    if (wrong) {
      entry.wrong += 1
      if (entry.examples.length < 3) entry.examples.push(error ?? `status ${status}`)
    }
  }
}

/** The fetch budget: attempts are at least min(1 s backoff, cooldown) apart, plus the first. */
function fetchBudget (seconds) {
  return Math.floor(seconds / Math.min(1, TIMING.cooldownDuration / 1000)) + 1
}

function report ({ tally, memory, fetchTimes, seconds, phases }) {
  const total = Object.values(tally).reduce((sum, entry) => sum + entry.requests, 0)
  const wrong = Object.values(tally).reduce((sum, entry) => sum + entry.wrong, 0)
  const rows = Object.entries(tally).map(([kind, e]) =>
    `| ${kind} | ${KINDS[kind].allowed.join(', ')} | ${e.requests} | ${Object.entries(e.statuses).map(([s, n]) => `${s}: ${n}`).join(', ')} | ${e.maxMs.toFixed(0)} | ${e.wrong}${e.examples.length ? ` (${e.examples.join('; ')})` : ''} |`)
  const gaps = fetchTimes.slice(1).map((at, i) => at - fetchTimes[i])
  const budget = fetchBudget(seconds)
  const rss = memory.map((m) => m.rss)
  const settled = rss.slice(Math.min(2, rss.length - 1))
  const lines = [
    `Soak: ${seconds} s, ${CONCURRENCY} clients on ${ROUTE}, JWKS phases of ${PHASE_SECONDS} s (${phases.join(' → ')}); ` +
      `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}, ${new Date().toISOString().slice(0, 16)} UTC`,
    '',
    '| token | allowed | requests | statuses | slowest ms | wrong |',
    '|---|---|---|---|---|---|',
    ...rows,
    `| **all** | | **${total}** (${Math.round(total / seconds)}/s) | | | **${wrong}** |`,
    '',
    `API RSS (MiB, every 5 s): ${rss.map(mib).join(' ')}`,
    `RSS after the first 10 s: ${mib(settled[0] ?? 0)} MiB, highest ${mib(Math.max(...settled))} MiB, last ${mib(settled.at(-1) ?? 0)} MiB`,
    `JWKS fetches: ${fetchTimes.length} (budget ${budget}: one per ${Math.min(1000, TIMING.cooldownDuration)} ms, plus the first); ` +
      `closest two ${gaps.length ? Math.min(...gaps) : '–'} ms apart (attempts while there is no server are not counted)`
  ]
  return { text: lines.join('\n'), ok: wrong === 0 && fetchTimes.length <= budget }
}

async function main () {
  const issuer = await createDevIssuer()
  const idp = await startIdp({ jwks: issuer.jwks(), issuer: issuer.issuer })
  console.error(`minting tokens, then ${SECONDS} s of load …`)
  const tokens = mintTokens(issuer)
  const api = await startApi({ issuer: issuer.issuer, jwksUri: idp.jwksUri, audience: issuer.audience, ...TIMING })
  const tally = Object.fromEntries(Object.keys(KINDS).map((kind) => [kind, { requests: 0, statuses: {}, maxMs: 0, wrong: 0, examples: [] }]))
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const started = Date.now()
  const end = started + SECONDS * 1000
  const phases = []
  await Promise.all([
    flap(idp, issuer, tokens, end, phases),
    ...times(CONCURRENCY, () => client(agent, api.port, tokens, end, tally))
  ])
  const fetchTimes = idp.requests.filter((entry) => entry.endpoint === 'jwks').map((entry) => entry.at)
  const { text, ok } = report({ tally, memory: api.memory, fetchTimes, seconds: SECONDS, phases })
  console.log(text)
  agent.destroy()
  api.child.removeAllListeners('exit')
  api.child.disconnect()
  await Promise.all([idp.close(), issuer.close()])
  process.exitCode = ok ? 0 : 1
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
