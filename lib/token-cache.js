'use strict'
/**
 * The verified-token cache: a token seen again skips the native verification while it is still
 * valid. The time rules stay in Rust: each verification hands back the window of whole seconds
 * `[from, until)` in which the token's `exp`, `nbf`, `iat` and `maxTokenAge` checks pass, and a hit
 * only compares `now` with it, so a hit never outlives `exp`. Entries of remote keys are dropped
 * when the key set changes. Bounded in entries and in bytes; the oldest entries go first.
 *
 * Entries are keyed by the token's last 43 characters (256 bits of its signature: hashing those is
 * ~10× cheaper than hashing the whole token) and confirmed by comparing the whole token.
 *
 * A hit returns fresh top-level `payload` and `header` objects; their nested objects and arrays are
 * shared between requests with the same token, so they are frozen when the token is first verified.
 */

const KEY_LENGTH = 43

/** Default bounds: about 1,000 typical access tokens. */
const DEFAULTS = Object.freeze({ maxEntries: 1000, maxBytes: 4 * 1024 * 1024 })

class TokenCache {
  #entries = new Map()
  #bytes = 0
  #maxEntries
  #maxBytes
  #hits = 0
  #misses = 0
  #evictions = 0

  /** @param {{ maxEntries?: number, maxBytes?: number }} [bounds] */
  constructor ({ maxEntries = DEFAULTS.maxEntries, maxBytes = DEFAULTS.maxBytes } = {}) {
    for (const [name, value] of [['maxEntries', maxEntries], ['maxBytes', maxBytes]]) {
      if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`'tokenCache.${name}' must be a whole number, at least 1`)
    }
    this.#maxEntries = maxEntries
    this.#maxBytes = maxBytes
  }

  /**
   * The cached result for `token` at `now`, or `undefined`.
   * @param {string} token
   * @param {number} now Epoch seconds.
   * @param {number} generation The key generation the entry must have been stored under.
   */
  get (token, now, generation) {
    const key = token.slice(-KEY_LENGTH)
    const entry = this.#entries.get(key)
    if (entry === undefined || entry.token !== token) {
      this.#misses++
      return undefined
    }
    if (now < entry.from || now >= entry.until || entry.generation !== generation) {
      this.#remove(key, entry)
      this.#misses++
      return undefined
    }
    this.#hits++
    return { payload: { ...entry.payload }, header: { ...entry.header }, token }
  }

  /**
   * Keeps a copy of a verified result; freezes its nested values, which hits share.
   * @param {{ payload: object, header: object, token: string }} result
   * @param {number} from First second the token is valid.
   * @param {number} until First second it is not valid any more.
   * @param {number} generation The key generation it was verified under.
   * @param {number} bytes Its approximate size.
   */
  set (result, from, until, generation, bytes) {
    const key = result.token.slice(-KEY_LENGTH)
    const previous = this.#entries.get(key)
    if (previous !== undefined) this.#remove(key, previous)
    if (bytes > this.#maxBytes) return
    freezeNested(result.payload)
    freezeNested(result.header)
    const payload = { ...result.payload }
    const header = { ...result.header }
    this.#entries.set(key, { token: result.token, payload, header, from, until, generation, bytes })
    this.#bytes += bytes
    while (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const [oldestKey, oldest] = this.#entries.entries().next().value
      this.#remove(oldestKey, oldest)
      this.#evictions++
    }
  }

  /** `{ size, bytes, hits, misses, evictions, maxEntries, maxBytes }`. */
  stats () {
    return {
      size: this.#entries.size,
      bytes: this.#bytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      maxEntries: this.#maxEntries,
      maxBytes: this.#maxBytes
    }
  }

  #remove (key, entry) {
    this.#entries.delete(key)
    this.#bytes -= entry.bytes
  }
}

/** Freezes every object and array inside `value` (not `value` itself). */
function freezeNested (value) {
  for (const member of Object.values(value)) {
    if (member !== null && typeof member === 'object' && !Object.isFrozen(member)) {
      freezeNested(member)
      Object.freeze(member)
    }
  }
}

module.exports = { TokenCache, DEFAULTS }
