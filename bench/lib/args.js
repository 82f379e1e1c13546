'use strict'
/** Command-line parsing for run.js: suite names, then `--name value` options over the defaults. */

const SUITES = ['micro', 'cache', 'async', 'express', 'cold', 'anatomy', 'memory']
const ALL = ['micro', 'cache', 'async', 'express', 'cold', 'anatomy']

const DEFAULTS = {
  algs: 'RS256,PS256,ES256,EdDSA,HS256',
  tokens: 10000,
  rounds: 5,
  duration: 5,
  warmup: 1,
  connections: 32,
  pool: 10000,
  expressRounds: 3,
  memoryTokens: 2000000,
  memoryAlg: 'EdDSA',
  maxWait: 300
}

const USAGE = `usage: node bench/run.js [${[...SUITES, 'all'].join('|')} ...] [options]
  all (the default) runs ${ALL.join(', ')}; memory is its own, longer command.
  --algs ${DEFAULTS.algs}   algorithms of micro, cache and async
  --tokens ${DEFAULTS.tokens}   distinct tokens per algorithm (micro, async) and repetitions (cache)
  --rounds ${DEFAULTS.rounds}   rounds per micro/cache/async case, and cold-start samples
  --duration ${DEFAULTS.duration} --warmup ${DEFAULTS.warmup}   seconds per express run, after a warm-up
  --connections ${DEFAULTS.connections} --pool ${DEFAULTS.pool} --express-rounds ${DEFAULTS.expressRounds}
  --memory-tokens ${DEFAULTS.memoryTokens} --memory-alg ${DEFAULTS.memoryAlg}
  --max-wait ${DEFAULTS.maxWait}   seconds to wait, before each suite, for other processes to leave the CPUs idle`

const camel = (flag) => flag.replace(/-([a-z])/g, (_, c) => c.toUpperCase())

function parseArgs (argv) {
  const suites = []
  const options = { ...DEFAULTS }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg.startsWith('--')) {
      const name = camel(arg.slice(2))
      if (!(name in DEFAULTS) || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${arg}\n${USAGE}`)
      const value = argv[++i]
      options[name] = typeof DEFAULTS[name] === 'number' ? Number(value) : value
      if (Number.isNaN(options[name])) throw new Error(`${arg} needs a number\n${USAGE}`)
    } else if (arg === 'all') {
      suites.push(...ALL)
    } else if (SUITES.includes(arg)) {
      suites.push(arg)
    } else {
      throw new Error(`unknown suite ${arg}\n${USAGE}`)
    }
  }
  options.algs = options.algs.split(',')
  return { suites: suites.length ? [...new Set(suites)] : ALL, options }
}

module.exports = { SUITES, USAGE, parseArgs }
