'use strict'
/**
 * The verified-token cache: a token seen again skips the native verification while it is still
 * valid. The time rules stay in Rust: each verification hands back the window of whole seconds
 * `[from, until)` in which the token's `exp`, `nbf`, `iat` and `maxTokenAge` checks pass, and a hit
 * only compares `now` with it, so a hit never outlives `exp`. Entries of remote keys are dropped
 * when the key set changes. Bounded in entries and in bytes.
 *
 * Entries are keyed by a small integer folded from the token's last characters (its signature, which
 * no two tokens share by chance): a Map finds integer keys without hashing a string, which halves
 * the cost of a lookup. A key names at most one entry and is confirmed by comparing the whole token,
 * so two tokens that fold to the same key only take turns in the cache.
 *
 * Two generations bound it, as quick-lru does: new entries go into the young Map; when it holds half
 * the bounds it becomes the old one and the previous old generation is dropped whole; a hit in the
 * old generation moves up. Evicting one entry at a time from the front of a Map costs more than
 * inserting (V8 skips the deleted slots to find the oldest), so a full cache made every miss pay
 * twice; now eviction is one reference dropped per half-cache of misses.
 *
 * An entry keeps the verification's outcome as JSON text, so caching a token costs almost nothing;
 * its first hit parses it once. A hit returns fresh top-level `payload` and `header` objects; their
 * nested objects and arrays are shared by the hits of that token, so they are frozen.
 */

/** How many trailing characters make the key: 6 base64url characters carry 36 bits. */
const KEY_CHARACTERS = 6

/** The default bound in bytes: about 2,200 entries of ~900-byte access tokens. */
const MAX_BYTES = 4 * 1024 * 1024

/**
 * Bytes counted for an entry besides its strings (the entry object, the Map slot); a token is
 * counted one byte a character (a verified token is ASCII, which V8 keeps one byte a character),
 * the outcome text two (it may hold any character).
 */
const ENTRY_BYTES = 96

/** Without `maxEntries`, the bound in entries follows `maxBytes`: entries of 256 bytes fill it. */
const BYTES_PER_ENTRY_AT_MOST = 256

/** One generation: its entries and their bytes. */
class Generation {
  entries = new Map()
  bytes = 0
}

class TokenCache {
  #young = new Generation()
  #old = new Generation()
  #maxEntries
  #maxBytes
  #hits = 0
  #misses = 0
  #evictions = 0

  /** @param {{ maxEntries?: number, maxBytes?: number }} [bounds] */
  constructor ({ maxBytes = MAX_BYTES, maxEntries = Math.max(1, Math.floor(maxBytes / BYTES_PER_ENTRY_AT_MOST)) } = {}) {
    for (const [name, value] of [['maxBytes', maxBytes], ['maxEntries', maxEntries]]) {
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
    let entry = this.#young.entries.get(key)
    if (entry === undefined) {
      entry = this.#old.entries.get(key)
      if (entry !== undefined && entry.token === token) {
        remove(this.#old, key, entry)
        this.#add(key, entry)
      }
    }
    if (entry === undefined || entry.token !== token) {
      this.#misses++
      return undefined
    }
    if (now < entry.from || now >= entry.until || entry.generation !== generation) {
      remove(this.#young, key, entry)
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
    const bytes = token.length + 2 * text.length + ENTRY_BYTES
    if (bytes > this.#maxBytes) return
    const old = this.#old.entries.get(key)
    if (old !== undefined) remove(this.#old, key, old)
    const young = this.#young.entries.get(key)
    if (young !== undefined) remove(this.#young, key, young)
    this.#add(key, { token, text, result: undefined, from, until, generation, bytes })
  }

  /** `{ size, bytes, hits, misses, evictions, maxEntries, maxBytes }`. */
  stats () {
    return {
      size: this.#young.entries.size + this.#old.entries.size,
      bytes: this.#young.bytes + this.#old.bytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      maxEntries: this.#maxEntries,
      maxBytes: this.#maxBytes
    }
  }

  /**
   * Puts `entry` in the young generation, which first becomes the old one (the old one dropped
   * whole) when it would hold more than half of either bound; so both together stay within the
   * bounds (an entry over half of `maxBytes` may leave room for nothing else: then the old goes too).
   */
  #add (key, entry) {
    if (2 * (this.#young.entries.size + 1) > this.#maxEntries || 2 * (this.#young.bytes + entry.bytes) > this.#maxBytes) {
      this.#dropOld()
      this.#old = this.#young
      this.#young = new Generation()
    }
    this.#young.entries.set(key, entry)
    this.#young.bytes += entry.bytes
    if (this.#young.entries.size + this.#old.entries.size > this.#maxEntries || this.#young.bytes + this.#old.bytes > this.#maxBytes) {
      this.#dropOld()
    }
  }

  #dropOld () {
    this.#evictions += this.#old.entries.size
    this.#old = new Generation()
  }
}

function remove (generation, key, entry) {
  generation.entries.delete(key)
  generation.bytes -= entry.bytes
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

module.exports = { TokenCache }
