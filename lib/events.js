'use strict'
/**
 * Observability, the Node way: events of the key caches and every refused token are published on
 * `node:diagnostics_channel` (free when nobody subscribes) and, with `NODE_DEBUG=bearer-rs`, written
 * as debug lines. They carry URLs, `kid`s, kinds, claims, counts and causes: never a token, a
 * signature or a secret.
 *
 * Channels: `bearer-rs:jwks:fetch`, `bearer-rs:jwks:error`, `bearer-rs:jwks:rotated`,
 * `bearer-rs:jwks:stale`, `bearer-rs:discovery:error`, `bearer-rs:token:rejected`.
 */
const diagnostics = require('node:diagnostics_channel')
const { debuglog } = require('node:util')
const { onEvents } = require('./native')

const debug = debuglog('bearer-rs')

/** Each native event type and the channel it is published on. */
const CHANNELS = Object.freeze({
  jwksFetched: diagnostics.channel('bearer-rs:jwks:fetch'),
  jwksFailed: diagnostics.channel('bearer-rs:jwks:error'),
  jwksRotated: diagnostics.channel('bearer-rs:jwks:rotated'),
  jwksStale: diagnostics.channel('bearer-rs:jwks:stale'),
  discoveryFailed: diagnostics.channel('bearer-rs:discovery:error')
})

const rejectedChannel = diagnostics.channel('bearer-rs:token:rejected')

/**
 * Counts the changes of remote key sets (a fetched document that differs from the one before):
 * verified-token cache entries of remote keys are only valid under the generation they were
 * verified in.
 */
let keyGeneration = 0

/** The current generation of remote keys. */
function remoteKeyGeneration () {
  return keyGeneration
}

/** One native event (JSON): published on its channel, and logged when debugging. */
function publishNative (json) {
  try {
    const { type, ...event } = JSON.parse(json)
    if (type === 'jwksFetched' && event.changed) keyGeneration++
    const channel = CHANNELS[type]
    if (channel?.hasSubscribers) channel.publish(event)
    if (debug.enabled) debug('%s %j', type, event)
  } catch {
    // A subscriber's exception must not become an uncaught exception thrown from a native callback.
  }
}

onEvents(publishNative)

/**
 * Reports a refused request: `{ kind, status, code, claim }` on `bearer-rs:token:rejected`.
 * @template {{ kind?: string, status?: number, code?: string, claim?: string }} E
 * @param {E} err
 * @returns {E} `err`, to throw.
 */
function rejected (err) {
  if (rejectedChannel.hasSubscribers) {
    rejectedChannel.publish({ kind: err.kind, status: err.status, code: err.code, claim: err.claim })
  }
  if (debug.enabled) debug('rejected kind=%s status=%s claim=%s', err.kind, err.status, err.claim)
  return err
}

module.exports = { rejected, remoteKeyGeneration }
