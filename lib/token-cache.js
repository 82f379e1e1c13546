'use strict'
/**
 * The verified-token cache: a token seen again skips the native verification while it is still
 * valid. The time rules stay in Rust: each verification hands back the window of whole seconds
 * `[from, until)` in which the token's `exp`, `nbf`, `iat` and `maxTokenAge` checks pass, and a hit
 * only compares `now` with it, so a hit never outlives `exp`. Entries of remote keys are dropped
 * when the key set changes. Bounded in entries and in bytes; the oldest entries go first.
 *
 * Entries are keyed by a small integer folded from the token's last characters (its signature, which
 * no two tokens share by chance): a Map finds integer keys without hashing a string, which halves
 * the cost of a lookup. A key names at most one entry and is confirmed by comparing the whole token,
 * so two tokens that fold to the same key only take turns in the cache.
 *
 * An entry keeps the verification's outcome as JSON text, so caching a token costs almost nothing;
 * its first hit parses it once. A hit returns fresh top-level `payload` and `header` objects; their
 * nested objects and arrays are shared by the hits of that token, so they are frozen.
 */

/** How many trailing characters make the key: 6 base64url characters carry 36 bits. */
const KEY_CHARACTERS = 6

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
    const key = keyOf(token)
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
    entry.result ??= frozenNested(JSON.parse(entry.text))
    return { payload: { ...entry.result[3] }, header: { ...entry.result[2] }, token }
  }

  /**
   * Keeps a verified token.
   * @param {string} token
   * @param {string} text The verification's outcome, as JSON text: `[from, until, header, payload]`.
   * @param {number} from First second the token is valid.
   * @param {number} until First second it is not valid any more.
   * @param {number} generation The key generation it was verified under.
   */
  set (token, text, from, until, generation) {
    const key = keyOf(token)
    const previous = this.#entries.get(key)
    if (previous !== undefined) this.#remove(key, previous)
    const bytes = 2 * (token.length + text.length)
    if (bytes > this.#maxBytes) return
    this.#entries.set(key, { token, text, result: undefined, from, until, generation, bytes })
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

/** The map key of `token`: its last characters folded into a 32-bit integer. */
function keyOf (token) {
  let key = 0
  for (let i = Math.max(0, token.length - KEY_CHARACTERS); i < token.length; i++) {
    key = (Math.imul(key, 31) + token.charCodeAt(i)) | 0
  }
  return key
}

/** An outcome `[from, until, header, payload]` with every object and array inside its header and payload frozen. */
function frozenNested (outcome) {
  freezeInside(outcome[2])
  freezeInside(outcome[3])
  return outcome
}

/** Freezes every object and array inside `value` (not `value` itself). */
function freezeInside (value) {
  for (const member of Object.values(value)) {
    if (member !== null && typeof member === 'object') {
      freezeInside(member)
      Object.freeze(member)
    }
  }
}

module.exports = { TokenCache, DEFAULTS }
