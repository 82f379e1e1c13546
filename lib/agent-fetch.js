'use strict'
/**
 * The `agent` option: discovery and JWKS requests go through the `http.Agent`/`https.Agent` the
 * application gives (a corporate proxy, custom CAs, client certificates), as express-oauth2-jwt-bearer
 * sends them. Only the single GET happens here; the native cache keeps the policy: the https rule,
 * redirects, the timeout, the size cap, when to fetch.
 */
const http = require('node:http')
const https = require('node:https')

const ids = new WeakMap()
let nextId = 1

/**
 * A stable number per agent: verifiers given the same agent share one key cache.
 * @param {http.Agent} agent
 * @returns {number}
 */
function agentId (agent) {
  if (!ids.has(agent)) ids.set(agent, nextId++)
  return ids.get(agent)
}

/**
 * The GET function the native fetcher calls for requests that must use `agent`. It never throws:
 * failures reject the returned promise with the cause.
 * @param {http.Agent} agent
 * @returns {(request: { url: string, headers: Record<string, string>, timeoutMs: number, maxBytes: number }) =>
 *   Promise<{ status: number, location?: string, etag?: string, lastModified?: string, body: string, tooLarge: boolean }>}
 */
function agentFetch (agent) {
  return async function get ({ url, headers, timeoutMs, maxBytes }) {
    const target = new URL(url)
    const transport = target.protocol === 'https:' ? https : http
    return new Promise((resolve, reject) => {
      const request = transport.get(target, { agent, headers, timeout: timeoutMs }, (response) => {
        const chunks = []
        let size = 0
        response.on('data', (chunk) => {
          size += chunk.length
          if (size > maxBytes) {
            response.destroy()
            resolve({ status: response.statusCode, body: '', tooLarge: true })
          } else {
            chunks.push(chunk)
          }
        })
        response.on('end', () => resolve({
          status: response.statusCode,
          location: response.headers.location,
          etag: response.headers.etag,
          lastModified: response.headers['last-modified'],
          body: Buffer.concat(chunks).toString('utf8'),
          tooLarge: false
        }))
        response.on('error', (err) => reject(new Error(err.message)))
      })
      request.on('timeout', () => request.destroy(new Error(`timeout after ${timeoutMs} ms`)))
      request.on('error', (err) => reject(new Error(err.message)))
    })
  }
}

module.exports = { agentFetch, agentId }
