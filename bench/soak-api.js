'use strict'
/**
 * The API process of the soak test (bench/soak.js): the Express example of `npm start`, protected by
 * `auth()` with the options given as JSON in argv[2]. It tells its parent the port it listens on,
 * then its memory every `REPORT_MS`, over the IPC channel.
 */
const { createApp } = require('../example/server')

const REPORT_MS = 5000

const options = JSON.parse(process.argv[2])
const server = createApp({ auth: options }).listen(0, '127.0.0.1', () => {
  process.send({ port: server.address().port })
})

function reportMemory () {
  const { rss, heapUsed } = process.memoryUsage()
  process.send({ memory: { at: Date.now(), rss, heapUsed } })
}
setInterval(reportMemory, REPORT_MS).unref()
process.on('disconnect', () => process.exit(0))
