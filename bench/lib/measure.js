'use strict'
/**
 * Timing loops. A case is `{ id, label, mode, call, inputs, fresh? }`: `call(input)` returns (or
 * resolves to) true when the library accepted the token, so a path that fails cannot look fast;
 * `fresh()`, when given, makes new inputs before each timed pass (untimed), e.g. new string
 * objects whose hash V8 has not computed and cached yet. Modes:
 * `sync` (plain calls), `serial` (awaited one at a time), `concurrent` (`inFlight` awaited at once).
 * Cases are interleaved within each round (the order rotates), after one warm-up pass each. A
 * round during which other processes took more than a fifth of a CPU is measured again, once they
 * are quiet (twice at most, waiting up to a minute each time).
 */
const { median } = require('./stats')
const { cpuSeconds, othersMeter, waitForQuiet } = require('./quiet')

const MAX_OTHERS = 0.2
const RETRIES = 2
const RETRY_WAIT = 60

function runSync (call, inputs) {
  let accepted = 0
  const start = process.hrtime.bigint()
  for (let i = 0; i < inputs.length; i++) {
    try {
      if (call(inputs[i]) === true) accepted++
    } catch {}
  }
  return { ns: Number(process.hrtime.bigint() - start), accepted }
}

async function runSerial (call, inputs) {
  let accepted = 0
  const start = process.hrtime.bigint()
  for (let i = 0; i < inputs.length; i++) {
    try {
      if (await call(inputs[i]) === true) accepted++
    } catch {}
  }
  return { ns: Number(process.hrtime.bigint() - start), accepted }
}

async function runConcurrent (call, inputs, inFlight) {
  let accepted = 0
  let next = 0
  const lane = async () => {
    while (next < inputs.length) {
      try {
        if (await call(inputs[next++]) === true) accepted++
      } catch {}
    }
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: inFlight }, lane))
  return { ns: Number(process.hrtime.bigint() - start), accepted }
}

function runOnce ({ mode, call }, inputs, inFlight) {
  if (mode === 'sync') return runSync(call, inputs)
  if (mode === 'serial') return runSerial(call, inputs)
  return runConcurrent(call, inputs, inFlight)
}

/** One round: every case once, starting at `first`; `{ results, others }`. */
async function round (cases, first, inFlight) {
  const meter = othersMeter()
  const cpu = process.cpuUsage()
  const results = []
  for (let k = 0; k < cases.length; k++) {
    const i = (k + first) % cases.length
    const c = cases[i]
    results[i] = await runOnce(c, c.fresh ? c.fresh() : c.inputs, inFlight)
  }
  return { results, others: meter(cpuSeconds(process.cpuUsage(cpu))) }
}

/**
 * Runs every case `rounds` times, interleaved. Returns `{ rows, redone, disturbed }`: one row per
 * case, `{ id, label, mode, usPerOp, opsPerSec, accepted, total, ok }`, medians of the rounds
 * (`ok` is false unless every input was accepted in every round); how many rounds were measured
 * again, and how many stayed disturbed after the retries.
 */
async function interleave (cases, { rounds, inFlight = 64, warmup = 2000 }) {
  const samples = cases.map(() => [])
  const accepted = cases.map((c) => c.inputs.length)
  let redone = 0
  let disturbed = 0
  for (const c of cases) await runOnce(c, c.inputs.slice(0, warmup), inFlight)
  for (let r = 0; r < rounds; r++) {
    let attempt = await round(cases, r, inFlight)
    for (let retry = 0; retry < RETRIES && attempt.others > MAX_OTHERS; retry++) {
      redone++
      await waitForQuiet(RETRY_WAIT)
      attempt = await round(cases, r, inFlight)
    }
    if (attempt.others > MAX_OTHERS) disturbed++
    attempt.results.forEach(({ ns, accepted: n }, i) => {
      samples[i].push(ns / 1000 / cases[i].inputs.length)
      accepted[i] = Math.min(accepted[i], n)
    })
  }
  const rows = cases.map(({ id, label, mode, inputs }, i) => {
    const usPerOp = median(samples[i])
    const total = inputs.length
    return { id, label, mode, usPerOp, opsPerSec: 1e6 / usPerOp, accepted: accepted[i], total, ok: accepted[i] === total }
  })
  return { rows, redone, disturbed }
}

/** A sentence on disturbed rounds, or '' when there were none. */
function disturbance ({ redone, disturbed }) {
  if (!redone) return ''
  return `Other processes took CPU during ${redone} round(s), measured again${disturbed ? `; ${disturbed} still disturbed after ${RETRIES} retries` : ''}.`
}

module.exports = { disturbance, interleave }
