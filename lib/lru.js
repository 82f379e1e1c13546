'use strict'

/**
 * A map that keeps at most `maxEntries` values, dropping the least recently used first. A `Map`
 * iterates in insertion order, so re-inserting on every hit keeps its first key the oldest.
 */
class Lru {
  #entries = new Map()
  #maxEntries

  /** @param {number} maxEntries At least 1. */
  constructor (maxEntries) {
    this.#maxEntries = maxEntries
  }

  /** The value for `key` (now the most recently used), or `undefined`. */
  get (key) {
    const value = this.#entries.get(key)
    if (value !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
    }
    return value
  }

  /** Stores `value` as the most recently used, dropping the least recently used when full. */
  set (key, value) {
    this.#entries.delete(key)
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value)
    this.#entries.set(key, value)
    return value
  }

  /** The values, least recently used first. */
  values () {
    return this.#entries.values()
  }

  get size () {
    return this.#entries.size
  }
}

module.exports = { Lru }
