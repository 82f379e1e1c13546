'use strict'
/**
 * Peers → measurable cases. Each peer is built for a token set and probed first: it must accept a
 * valid token and reject one with a flipped signature byte through every call it offers, or its
 * row reports why instead of a timing.
 */

/** A copy of `token` whose signature differs in one character. */
function tampered (token) {
  const at = token.lastIndexOf('.') + 8
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1)
}

/** `true` when `call` accepted `input`, else what it returned or threw. */
async function outcome (call, input) {
  try {
    return await call(input)
  } catch (err) {
    return err.message
  }
}

async function probe (impl, token) {
  const prepare = impl.prepare ?? ((t) => t)
  for (const call of [impl.sync, impl.async].filter(Boolean)) {
    const valid = await outcome(call, prepare(token))
    if (valid !== true) return `rejected a valid token: ${valid}`
    if (await outcome(call, prepare(tampered(token))) === true) return 'accepted a forged token'
  }
  return null
}

/** `{ peer, impl }` ready to time, or `{ peer, unsupported }` with the reason. */
async function instantiate (peer, set) {
  let impl
  try {
    impl = await peer.create(set)
  } catch (err) {
    return { peer, unsupported: err.message }
  }
  if (!impl) return { peer, unsupported: `no ${set.alg}` }
  const problem = await probe(impl, set.tokens[0])
  return problem ? { peer, unsupported: problem } : { peer, impl }
}

/** A case for `measure.interleave`: the call of `mode` ('sync' | 'serial' | 'concurrent') on `tokens`. */
function caseOf ({ peer, impl }, mode, tokens, label = peer.label) {
  const call = mode === 'sync' ? impl.sync : impl.async
  const inputs = impl.prepare ? tokens.map(impl.prepare) : tokens
  return { id: peer.id, label, mode, call, inputs }
}

module.exports = { caseOf, instantiate }
