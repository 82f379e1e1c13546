'use strict'
/**
 * The benchmark suite of GitHub issue 13: `node bench/run.js [suite ...] [options]` (see
 * lib/args.js). Runs the suites, prints each section and writes them into bench/RESULTS.md.
 */
const os = require('node:os')
const { USAGE, parseArgs } = require('./lib/args')
const { environment } = require('./lib/machine')
const { waitForQuiet } = require('./lib/quiet')
const { section, writeResults } = require('./lib/results')

const SUITES = {
  micro: (o) => require('./suites/micro')(o),
  cache: (o) => require('./suites/cache')(o),
  async: (o) => require('./suites/async')(o),
  express: (o) => require('./suites/express')({ ...o, rounds: o.expressRounds }),
  cold: (o) => require('./suites/cold')(o),
  anatomy: (o) => require('./suites/anatomy')(o),
  memory: (o) => require('./suites/memory')(o)
}

async function main ({ suites, options }) {
  require('..') // loaded now, so the build the sections name is the one this process runs
  const env = environment()
  const command = ['node bench/run.js', ...process.argv.slice(2)].join(' ')
  let summary
  for (const name of suites) {
    const busy = await waitForQuiet(options.maxWait)
    console.error(`running ${name} (other processes kept ${Math.round(busy * 100)} % of the CPUs busy) …`)
    const started = new Date().toISOString().slice(0, 16).replace('T', ' ')
    const result = await SUITES[name](options)
    const load = `other processes ${Math.round(busy * 100)} % busy at start, load average ${os.loadavg()[0].toFixed(2)} at end`
    const text = section(name, result, { ...env, date: `${started} UTC`, command, load })
    console.log(`${text}\n`)
    summary = writeResults({ [name]: text }, env)
  }
  console.log(summary)
}

if (process.argv.includes('--help')) {
  console.log(USAGE)
} else {
  let args
  try {
    args = parseArgs(process.argv.slice(2))
  } catch (err) {
    console.error(err.message)
    process.exitCode = 2
  }
  if (args) {
    main(args).catch((err) => {
      console.error(err)
      process.exitCode = 1
    })
  }
}
