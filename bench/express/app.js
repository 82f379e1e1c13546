'use strict'
/** The Auth0 Express API quickstart's three routes, protected by the given middleware. */
const express = require('express')

function createApp ({ checkJwt, checkScopes }) {
  const app = express()
  app.get('/api/public', (req, res) => {
    res.json({ message: 'Hello from a public endpoint! You don\'t need to be authenticated to see this.' })
  })
  app.get('/api/private', checkJwt, (req, res) => {
    res.json({ message: 'Hello from a private endpoint! You need to be authenticated to see this.' })
  })
  app.get('/api/private-scoped', checkJwt, checkScopes, (req, res) => {
    res.json({ message: 'Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.' })
  })
  return app
}

module.exports = { createApp }
