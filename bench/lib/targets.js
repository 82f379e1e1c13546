'use strict'
/** The target lines: "target N: met / not met (measured ratio X vs required Y)". */

/**
 * `measured` and `required` are ratios (`undefined`: not available, `null`: the path failed);
 * `atMost` flips the comparison (time ratios). A ratio that
 * rounds to the requirement is shown with four decimals, so the verdict never looks contradictory.
 */
function target (n, what, measured, required, { atMost = false } = {}) {
  if (measured === null) return `target ${n}: not measured, requests failed (${what})`
  if (measured === undefined || !Number.isFinite(measured)) return `target ${n}: not available yet (${what})`
  const met = atMost ? measured <= required : measured >= required
  const op = atMost ? '≤' : '≥'
  const shown = Number(measured.toFixed(2)) === required ? measured.toFixed(4) : measured.toFixed(2)
  return `target ${n}: ${met ? 'met' : 'not met'} (measured ratio ${shown} vs required ${op} ${required}; ${what})`
}

module.exports = { target }
