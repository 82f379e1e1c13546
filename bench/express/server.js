'use strict'
/**
 * Child process: one Express app on 127.0.0.1 with one middleware. Config arrives as JSON in
 * argv[2]; the parent gets `{ port, note }` or `{ unavailable }` over IPC, and in reply to each
 * 'cpu' message the process's CPU time and the first error a request met (errors are answered
 * with their status, not logged: a broken path must not flood the terminal). Exits when the parent
 * disconnects, so nothing outlives a run.
 */
const { createApp } = require('./app')
const { MIDDLEWARES, NotAvailable } = require('./middlewares')

const config = JSON.parse(process.argv[2])
process.on('disconnect', () => process.exit(0))
let firstError
process.on('message', (message) => {
  if (message === 'cpu') process.send({ cpu: process.cpuUsage(), firstError })
})

function errorHandler (err, req, res, next) {
  firstError ??= `${err.status ?? 500} ${err.message}`
  res.status(err.status ?? 500).json({ error: err.code })
}

async function main () {
  let middleware
  try {
    middleware = await MIDDLEWARES[config.middleware].create(config)
  } catch (err) {
    if (!(err instanceof NotAvailable)) throw err
    return process.send({ unavailable: err.message })
  }
  const app = createApp(middleware)
  app.use(errorHandler)
  const server = app.listen(0, '127.0.0.1', () => {
    process.send({ port: server.address().port, note: middleware.note })
  })
}

main()
