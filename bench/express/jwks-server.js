'use strict'
/** A loopback JWKS endpoint (node:http on 127.0.0.1) that counts the fetches it serves. */
const http = require('node:http')

const PATH = '/.well-known/jwks.json'

/** Starts serving `jwks`; resolves to `{ jwksUri, fetches(), close() }`. */
function startJwksServer (jwks) {
  let fetches = 0
  const body = JSON.stringify(jwks)
  const server = http.createServer((req, res) => {
    if (req.url !== PATH) {
      res.writeHead(404).end()
      return
    }
    fetches++
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve({
        jwksUri: `http://127.0.0.1:${server.address().port}${PATH}`,
        fetches: () => fetches,
        close: () => new Promise((resolve) => server.close(resolve))
      })
    })
  })
}

module.exports = { startJwksServer }
