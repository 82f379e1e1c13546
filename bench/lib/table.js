'use strict'
/** Markdown tables: a generic one, and the timing table the micro, cache and async suites share. */
const { num, ratio } = require('./stats')

function markdown (header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  const align = header.map((_, i) => (i === 0 ? '---' : '---:'))
  return [line(header), line(align), ...rows.map(line)].join('\n')
}

const MODES = { sync: 'sync', serial: 'awaited, 1 in flight', concurrent: '64 in flight' }

/**
 * One row per timed case: µs/op, ops/s, time ÷ the floor's, and how many times faster bearer-rs is
 * (`ref`, the row whose id is 'bearer-rs' by default). Cases that failed the probe or dropped a
 * token say so instead.
 */
function timingTable (rows, unsupported = [], ref = rows.find((r) => r.id === 'bearer-rs')) {
  const floor = rows.find((r) => r.id === 'floor')
  const body = rows.map((r) => [
    r.label,
    MODES[r.mode],
    r.ok ? num(r.usPerOp) : `**rejected ${r.total - r.accepted}/${r.total}**`,
    r.ok ? num(r.opsPerSec) : '–',
    r.ok && floor?.ok ? ratio(r.usPerOp / floor.usPerOp) : '–',
    r.ok && ref?.ok ? ratio(r.usPerOp / ref.usPerOp) : '–',
    `${r.accepted}/${r.total}`
  ])
  for (const u of unsupported) body.push([u.peer.label, '', `n/a: ${u.unsupported}`, '', '', '', ''])
  return markdown(['library', 'call', 'µs/op', 'ops/s', 'time ÷ floor', 'bearer-rs speed-up', 'accepted'], body)
}

module.exports = { markdown, timingTable }
