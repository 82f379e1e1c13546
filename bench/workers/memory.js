'use strict'
/**
 * Child process (run with --expose-gc): RSS while verifying `count` distinct tokens, signed on the
 * fly so the harness holds none of them. Config as JSON in argv[2]: `{ subject: 'sync' | 'async' |
 * 'baseline', alg, count, every }`; `baseline` only signs. Sends `{ samples: [{ tokens, rss }] }`
 * (a full GC before each sample).
 */
const bearer = require('../..')
const { AUDIENCE, ISSUER, createKey, tokenFactory } = require('../lib/tokens')

const IN_FLIGHT = 64
const { subject, alg, count, every } = JSON.parse(process.argv[2])
const key = createKey(alg)
const make = tokenFactory(key)
const keys = alg === 'HS256' ? { secret: key.secret } : { jwks: { keys: [key.jwk] } }
const verifier = bearer.createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], ...keys })

function check (result) {
  if (result.payload.iss !== ISSUER) throw new Error('wrong payload')
}

function sample (tokens) {
  global.gc()
  return { tokens, rss: process.memoryUsage().rss }
}

async function verifyRange (from, to) {
  if (subject === 'baseline') {
    for (let i = from; i < to; i++) make(i)
  } else if (subject === 'sync') {
    for (let i = from; i < to; i++) check(verifier.verifySync(make(i)))
  } else {
    let next = from
    const lane = async () => {
      while (next < to) check(await verifier.verify(make(next++)))
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
  }
}

async function main () {
  await verifyRange(count, count + 1000)
  const samples = [sample(0)]
  for (let done = 0; done < count; done += every) {
    await verifyRange(done, Math.min(count, done + every))
    samples.push(sample(Math.min(count, done + every)))
  }
  process.send({ samples }, () => process.exit(0))
}

main()
