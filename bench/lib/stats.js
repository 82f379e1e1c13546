'use strict'
/** Medians and the number formats every table uses. */

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** 12345.6 → '12,346'; small values keep significant digits: 3.456 → '3.46'. */
function num (value) {
  if (value === undefined || value === null || Number.isNaN(value)) return '–'
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** A ratio as '1.23×'. */
function ratio (value) {
  return value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}×`
}

function mb (bytes) {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`
}

module.exports = { median, mb, num, ratio }
