'use strict'
/**
 * The machine is shared (builds, tests), so measurements watch the other processes: before a
 * suite, wait until they leave the CPUs idle; during one, `othersMeter` tells how much CPU they
 * took, so a disturbed round can be measured again. From /proc/stat (all CPUs) minus our own use.
 */
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const { setTimeout: sleep } = require('node:timers/promises')

const QUIET = 0.1
const SAMPLE_MS = 1000
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100
  } catch {
    return 100
  }
})()

/** CPU seconds since boot, all CPUs: `{ busy, total }`. */
function cpuTimes () {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const total = fields.reduce((a, b) => a + b, 0)
  return { busy: (total - fields[3] - fields[4]) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND }
}

/** Seconds of CPU in a `process.cpuUsage()` difference. */
function cpuSeconds ({ user, system }) {
  return (user + system) / 1e6
}

/**
 * Starts measuring. The returned `stop(ownCpuSeconds)` gives how many CPUs, on average, processes
 * other than ours kept busy since then (`ownCpuSeconds`: what this process and its children used).
 */
function othersMeter () {
  const start = cpuTimes()
  const since = process.hrtime.bigint()
  return (own) => {
    const elapsed = Number(process.hrtime.bigint() - since) / 1e9
    return Math.max(0, (cpuTimes().busy - start.busy - own) / elapsed)
  }
}

/** Waits (up to `maxWait` seconds) until others keep less than 10 % of the CPUs busy; the last fraction seen. */
async function waitForQuiet (maxWait) {
  const deadline = Date.now() + maxWait * 1000
  let last
  do {
    const a = cpuTimes()
    await sleep(SAMPLE_MS)
    const b = cpuTimes()
    last = (b.busy - a.busy) / Math.max(1e-9, b.total - a.total)
  } while (last > QUIET && Date.now() < deadline)
  return last
}

module.exports = { cpuSeconds, othersMeter, waitForQuiet }
