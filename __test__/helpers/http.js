'use strict'
/** Plain HTTP for tests: one request over a fresh connection, and environment variables for one test. */
const http = require('node:http')

/**
 * One request over a fresh connection (no keep-alive): `{ status, headers, body, json }`, with
 * `json` parsed when the response says it is JSON. `form` sends a urlencoded body, `json` a JSON one.
 * @param {string} url
 * @param {{ method?: string, headers?: object, form?: object, json?: unknown }} [options]
 */
function request (url, { method = 'GET', headers = {}, form, json } = {}) {
  const body = form !== undefined ? new URLSearchParams(form).toString() : json !== undefined ? JSON.stringify(json) : undefined
  const type = form !== undefined ? 'application/x-www-form-urlencoded' : 'application/json'
  const all = body === undefined ? headers : { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body) }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: all, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { text += chunk })
      res.on('end', () => {
        const parsed = text !== '' && /json/.test(res.headers['content-type'] ?? '') ? JSON.parse(text) : undefined
        resolve({ status: res.statusCode, headers: res.headers, body: text, json: parsed })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * Sets the environment variables `names` to `values` (those missing from `values` are unset) for the
 * test `t`, and restores them after it.
 */
function withEnv (t, names, values = {}) {
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]))
  const set = (name, value) => {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  for (const name of names) set(name, values[name])
  t.after(() => names.forEach((name) => set(name, saved[name])))
}

module.exports = { request, withEnv }
