'use strict'
/**
 * Writes the fuzz seeds: fuzz/seeds/import_jwks/keys.json (the keys fuzz/src/lib.rs trusts, fresh
 * P-256 and RSA keys beside RFC 8037's Ed25519 key) and tokens signed with them, each re-verified
 * with node:crypto. Run: node fuzz/seeds/generate.js (new keys every run, so all seeds change).
 */
const crypto = require('node:crypto')
const fs = require('node:fs')
const dir = __dirname
const b64 = (x) => Buffer.from(x).toString('base64url')
const ecPair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ec = ecPair.privateKey
const ecJwk = ecPair.publicKey.export({ format: 'jwk' })
const ecD = ec.export({ format: 'jwk' }).d
const ed = crypto.createPrivateKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' } })
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsaJwk = rsa.publicKey.export({ format: 'jwk' })
const secret = 'a fuzzing secret of at least thirty-two bytes'
const claims = { iss: 'https://issuer.fuzz.test/', sub: 'fuzz', aud: 'fuzz', iat: 1700000000, exp: 4102444800, jti: 'j1', client_id: 'c1', scope: 'read' }
function sign (alg, header, payload = claims) {
  const input = `${b64(JSON.stringify({ alg, ...header }))}.${b64(JSON.stringify(payload))}`
  let sig
  if (alg === 'ES256') sig = crypto.sign('sha256', Buffer.from(input), { key: ec, dsaEncoding: 'ieee-p1363' })
  else if (alg === 'EdDSA') sig = crypto.sign(null, Buffer.from(input), ed)
  else if (alg === 'RS256') sig = crypto.sign('sha256', Buffer.from(input), rsa.privateKey)
  else if (alg === 'PS256') sig = crypto.sign('sha256', Buffer.from(input), { key: rsa.privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
  else sig = crypto.createHmac('sha256', secret).update(input).digest()
  return `${input}.${b64(sig)}`
}
const tokens = {
  es256: sign('ES256', { kid: 'ec', typ: 'at+jwt' }),
  eddsa: sign('EdDSA', { kid: 'ed' }),
  rs256: sign('RS256', { kid: 'rsa', typ: 'JWT' }),
  ps256: sign('PS256', { kid: 'rsa' }),
  hs256: sign('HS256', {}),
  crit: sign('ES256', { kid: 'ec', crit: ['exp'], exp: 1 }),
  nested: sign('EdDSA', { kid: 'ed' }, { ...claims, cnf: { jkt: 'x', more: [1, [2, { a: null }]] }, aud: ['a', 'fuzz'] })
}
for (const [name, t] of Object.entries(tokens)) fs.writeFileSync(`${dir}/verify_token/${name}`, t)
const keys = [
  { ...ecJwk, kid: 'ec', use: 'sig', alg: 'ES256' },
  { kty: 'OKP', crv: 'Ed25519', kid: 'ed', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
  { ...rsaJwk, kid: 'rsa', key_ops: ['verify'] }
]
fs.writeFileSync(`${dir}/import_jwks/keys.json`, JSON.stringify({ keys }))
fs.writeFileSync(`${dir}/import_jwks/mixed.json`, JSON.stringify({ keys: [...keys, { kty: 'oct', k: b64(secret) }, { ...keys[0], d: ecD, kid: 'private' }, { kty: 'EC', crv: 'P-521', x: 'AA', y: 'AA' }, { kty: 'RSA', n: 'AQAB', e: 'AQAB', use: 'enc' }] }))
fs.writeFileSync(`${dir}/import_jwks/one.json`, JSON.stringify(keys[1]))
fs.writeFileSync(`${dir}/import_jwks/pem.txt`, rsa.publicKey.export({ type: 'spki', format: 'pem' }))

// every seed token must verify with node:crypto against the published keys
for (const [name, t] of Object.entries(tokens)) {
  const [hh, pp, ss] = t.split('.')
  const header = JSON.parse(Buffer.from(hh, 'base64url'))
  const input = Buffer.from(`${hh}.${pp}`)
  const sig = Buffer.from(ss, 'base64url')
  let ok
  if (header.alg === 'HS256') ok = crypto.createHmac('sha256', secret).update(input).digest().equals(sig)
  else {
    const jwk = keys.find((k) => k.kid === header.kid)
    const key = crypto.createPublicKey({ format: 'jwk', key: jwk })
    if (header.alg === 'ES256') ok = crypto.verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, sig)
    else if (header.alg === 'EdDSA') ok = crypto.verify(null, input, key, sig)
    else if (header.alg === 'RS256') ok = crypto.verify('sha256', input, key, sig)
    else ok = crypto.verify('sha256', input, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)
  }
  if (!ok) throw new Error(name)
}
console.log('seeds verified')
