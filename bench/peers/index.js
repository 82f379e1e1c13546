'use strict'
/**
 * Every library the micro suites compare, floor first and bearer-rs second. A peer is
 * `{ id, label, pkg, create(set) }`; `create` returns `{ sync?, async?, prepare? }` (or a promise
 * of it), or null when the library cannot verify that algorithm.
 */
module.exports = [
  ...require('./floor'),
  ...require('./bearer-rs'),
  ...require('./jose'),
  ...require('./fast-jwt'),
  ...require('./jsonwebtoken'),
  ...require('./node-rs-jsonwebtoken')
]
