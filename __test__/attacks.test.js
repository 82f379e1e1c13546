'use strict'
/**
 * The known attacks on JWT verification, one named row each: how the token (or the key set) is
 * built, with real signatures from node:crypto, and the failure a client must see. Every row runs
 * through createVerifier() with both verifySync() and verify(). Rows about size or depth also
 * assert that the rejection takes under a second.
 */
const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { createVerifier, InvalidTokenError } = require('..')
const h = require('./helpers')

const NOW = 1_750_000_000
const currentDate = new Date(NOW * 1000)
const base = { issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, currentDate }
const claims = (overrides) => h.claims(overrides, { now: NOW })

const rsa = h.keyPair('RS256')
const ec = h.keyPair('ES256')
const ec384 = h.keyPair('ES384')
const ed = h.keyPair('EdDSA')
const attacker = h.freshKeyPair('RS256')
const MiB = 1024 * 1024
/** The slowest rejection accepted for the size and depth rows, on a shared 2-core machine. */
const QUICKLY_MS = 1000

/** The issuer's keys; `extra` JWKs are published beside them. */
const verifierWith = (...extra) => createVerifier({ ...base, jwks: h.jwks(rsa, ec, ec384, ed, ...extra) })
const large = () => createVerifier({ ...base, maxTokenLength: MiB, jwks: h.jwks(rsa, ec, ec384, ed) })

const invalid = (kind, description) => ({ type: InvalidTokenError, kind, status: 401, code: 'invalid_token', description })
const encode = (header, payload) => h.compact(h.segment(header), h.segment(payload))

/** A token from raw header and payload text (objects are JSON-encoded), signed by `key` with `alg`. */
function signText (header, payload, key = rsa) {
  const input = encode(header, payload)
  return h.compact(input, h.signRaw(input, key))
}

/** `token` with its signature replaced by `signature` (a Buffer). */
function withSignature (token, signature) {
  return h.compact(...token.split('.').slice(0, 2), h.b64url(signature))
}

/** The raw r ‖ s of an ES256 token. */
function rs (token) {
  const raw = Buffer.from(token.split('.')[2], 'base64url')
  return [raw.subarray(0, raw.length / 2), raw.subarray(raw.length / 2)]
}

const P256_N = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex')
const ZERO32 = Buffer.alloc(32)
/** The Ed25519 group order L, little-endian (RFC 8032 §5.1). */
const ED25519_L = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex')
/** The Ed25519 identity point, a point of small order (order 1). */
const ED25519_IDENTITY = Buffer.from('0100000000000000000000000000000000000000000000000000000000000000', 'hex')

/** Little-endian 256-bit a + b (no overflow for S + L, since S < L < 2^253). */
function addLittleEndian (a, b) {
  const out = Buffer.alloc(32)
  let carry = 0
  for (let i = 0; i < 32; i++) {
    const sum = a[i] + b[i] + carry
    out[i] = sum & 0xff
    carry = sum >> 8
  }
  return out
}

const es256 = () => h.sign(claims(), ec)
const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' })
const der = rsa.publicKey.export({ type: 'spki', format: 'der' })
const nested = (depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`

/**
 * The attacks. `token()` builds the token, `verifier()` the verifier (the issuer's keys by
 * default), `expect` the failure; `timed` rows must be rejected within {@link QUICKLY_MS}.
 */
const ATTACKS = [
  ...['none', 'None', 'NONE'].flatMap((alg) => [
    {
      name: `alg "${alg}" with an empty signature`,
      token: () => h.compact(encode({ alg, typ: 'JWT' }, claims()), ''),
      expect: invalid('algorithm_not_allowed')
    },
    {
      name: `alg "${alg}" with a signature by the issuer's key`,
      token: () => {
        const input = encode({ alg, typ: 'JWT' }, claims())
        return h.compact(input, h.signRaw(input, rsa))
      },
      expect: invalid('algorithm_not_allowed')
    }
  ]),
  {
    name: 'HS256 whose secret is the RSA public key as PEM (algorithm confusion)',
    token: () => h.sign(claims(), { alg: 'HS256', secret: pem, kid: rsa.kid }),
    expect: invalid('algorithm_not_allowed')
  },
  {
    name: 'HS256 whose secret is the RSA public key as DER (algorithm confusion)',
    token: () => h.sign(claims(), { alg: 'HS256', secret: der, kid: rsa.kid }),
    expect: invalid('algorithm_not_allowed')
  },
  {
    name: 'HS256 whose secret is the RSA public key as a JWK (algorithm confusion)',
    token: () => h.sign(claims(), { alg: 'HS256', secret: JSON.stringify(rsa.publicJwk), kid: rsa.kid }),
    expect: invalid('algorithm_not_allowed')
  },
  {
    name: 'HS256 whose secret is the PEM the verifier was given as publicKey (algorithm confusion)',
    verifier: () => createVerifier({ ...base, publicKey: pem, algorithms: ['RS256'] }),
    token: () => h.sign(claims(), { alg: 'HS256', secret: pem }),
    expect: invalid('algorithm_not_allowed')
  },
  {
    name: 'a kid that matches no key',
    token: () => h.sign(claims(), { ...rsa, kid: 'no-such-key' }),
    expect: invalid('key_not_found')
  },
  {
    name: 'a kid with a path ("../../../../../../dev/null")',
    token: () => h.sign(claims(), { ...rsa, kid: '../../../../../../dev/null' }),
    expect: invalid('key_not_found')
  },
  {
    name: 'a kid with an SQL-like string ("x\' UNION SELECT \'secret\' --")',
    token: () => h.sign(claims(), { ...rsa, kid: "x' UNION SELECT 'secret' --" }),
    expect: invalid('key_not_found')
  },
  {
    name: 'a kid naming a key of another type (an RS256 token, the ES256 key\'s kid)',
    token: () => h.sign(claims(), { ...rsa, kid: ec.kid }),
    expect: invalid('key_not_found')
  },
  {
    name: 'jku pointing at the attacker\'s JWK Set',
    token: () => h.sign(claims(), { ...attacker, kid: rsa.kid, header: { jku: 'https://attacker.example/jwks.json' } }),
    expect: invalid('signature_invalid')
  },
  {
    name: 'x5u pointing at the attacker\'s certificate',
    token: () => h.sign(claims(), { ...attacker, kid: rsa.kid, header: { x5u: 'https://attacker.example/cert.pem' } }),
    expect: invalid('signature_invalid')
  },
  {
    name: 'jwk embedding the attacker\'s public key',
    token: () => h.sign(claims(), { ...attacker, kid: rsa.kid, header: { jwk: attacker.publicJwk } }),
    expect: invalid('signature_invalid')
  },
  {
    name: 'x5c carrying the attacker\'s certificate chain',
    token: () => {
      const tls = h.tlsFixture({ name: 'attacker' })
      const x5c = [tls.certPem, tls.caPem].map((p) => new crypto.X509Certificate(p).raw.toString('base64'))
      return h.sign(claims(), { alg: 'ES256', key: crypto.createPrivateKey(tls.keyPem), kid: ec.kid, header: { x5c } })
    },
    expect: invalid('signature_invalid')
  },
  {
    name: 'an unknown crit extension',
    token: () => h.sign(claims(), { ...rsa, header: { crit: ['urn:attacker:skip-checks'], 'urn:attacker:skip-checks': true } }),
    expect: invalid('crit_unsupported')
  },
  {
    name: 'b64: false (an unencoded payload), as crit asks',
    token: () => h.sign(claims(), { ...rsa, header: { crit: ['b64'], b64: false } }),
    expect: invalid('crit_unsupported', 'JWTs MUST NOT use unencoded payload')
  },
  {
    name: 'b64: false without crit',
    token: () => h.sign(claims(), { ...rsa, header: { b64: false } }),
    expect: invalid('crit_unsupported', 'JWTs MUST NOT use unencoded payload')
  },
  {
    name: 'a duplicate alg in the header ({"alg":"RS256","alg":"none"})',
    token: () => signText(`{"alg":"RS256","kid":"${rsa.kid}","alg":"none"}`, claims()),
    expect: invalid('token_malformed', 'Invalid Token or Protected Header formatting')
  },
  {
    name: 'a duplicate sub in the payload, validly signed',
    token: () => signText({ alg: 'RS256', kid: rsa.kid }, JSON.stringify(claims({ sub: 'user' })).replace(/}$/, ',"sub":"admin"}')),
    expect: invalid('token_malformed', 'JWT Claims Set must be a top-level JSON object')
  },
  {
    name: 'a duplicate member inside a nested claim, validly signed',
    token: () => signText({ alg: 'RS256', kid: rsa.kid }, JSON.stringify(claims()).replace(/}$/, ',"cnf":{"jkt":"a","jkt":"b"}}')),
    expect: invalid('token_malformed', 'JWT Claims Set must be a top-level JSON object')
  },
  ...[['an array', '["admin"]'], ['a string', '"admin"'], ['null', 'null']].map(([what, payload]) => ({
    name: `a payload that is ${what}, validly signed`,
    token: () => h.sign(payload, rsa),
    expect: invalid('token_malformed', 'JWT Claims Set must be a top-level JSON object')
  })),
  ...[2, 4, 5].map((count) => ({
    name: `${count} segments`,
    token: () => {
      const parts = h.sign(claims(), rsa).split('.')
      return Array.from({ length: count }, (_, i) => parts[i % 3]).join('.')
    },
    expect: invalid('token_malformed', 'Invalid Token or Protected Header formatting')
  })),
  {
    name: 'base64 padding "=" on the signature',
    token: () => `${h.sign(claims(), rsa)}=`,
    expect: invalid('token_malformed', 'Failed to base64url decode the signature')
  },
  {
    name: 'white space inside the header segment',
    token: () => {
      const [head, payload, sig] = h.sign(claims(), rsa).split('.')
      return h.compact(`${head.slice(0, 8)} \t${head.slice(8)}`, payload, sig)
    },
    expect: invalid('token_malformed', 'Invalid Token or Protected Header formatting')
  },
  {
    name: 'non-base64url characters ("+" and "/") in the signature',
    token: () => {
      const [head, payload, sig] = h.sign(claims(), rsa).split('.')
      return h.compact(head, payload, `+${sig.slice(1, -1)}/`)
    },
    expect: invalid('token_malformed', 'Failed to base64url decode the signature')
  },
  {
    name: 'an ES256 signature in DER form',
    token: () => {
      const token = es256()
      const input = token.slice(0, token.lastIndexOf('.'))
      return withSignature(token, crypto.sign('sha256', Buffer.from(input), ec.privateKey))
    },
    expect: invalid('signature_invalid')
  },
  {
    name: 'an ES256 signature one byte short',
    token: () => withSignature(es256(), Buffer.concat(rs(es256())).subarray(0, 63)),
    expect: invalid('signature_invalid')
  },
  {
    name: 'an ES256 signature one byte long',
    token: () => withSignature(es256(), Buffer.concat([...rs(es256()), Buffer.alloc(1)])),
    expect: invalid('signature_invalid')
  },
  {
    name: 'ES256 with r = s = 0 (CVE-2022-21449)',
    token: () => withSignature(es256(), Buffer.alloc(64)),
    expect: invalid('signature_invalid')
  },
  {
    name: 'ES256 with r = s = n, the group order (CVE-2022-21449)',
    token: () => withSignature(es256(), Buffer.concat([P256_N, P256_N])),
    expect: invalid('signature_invalid')
  },
  {
    name: 'ES256 with r = 0 and a genuine s',
    token: () => {
      const token = es256()
      return withSignature(token, Buffer.concat([ZERO32, rs(token)[1]]))
    },
    expect: invalid('signature_invalid')
  },
  {
    name: 'ES256 with a genuine r and s = n',
    token: () => {
      const token = es256()
      return withSignature(token, Buffer.concat([rs(token)[0], P256_N]))
    },
    expect: invalid('signature_invalid')
  },
  {
    name: 'ES384 with r = s = 0 (CVE-2022-21449)',
    token: () => withSignature(h.sign(claims(), ec384), Buffer.alloc(96)),
    expect: invalid('signature_invalid')
  },
  {
    name: 'a non-canonical Ed25519 signature (S + L)',
    token: () => {
      const token = h.sign(claims(), ed)
      const raw = Buffer.from(token.split('.')[2], 'base64url')
      return withSignature(token, Buffer.concat([raw.subarray(0, 32), addLittleEndian(raw.subarray(32), ED25519_L)]))
    },
    expect: invalid('signature_invalid')
  },
  {
    name: 'an Ed25519 signature with R at the identity and S = 0',
    token: () => withSignature(h.sign(claims(), ed), Buffer.concat([ED25519_IDENTITY, ZERO32])),
    expect: invalid('signature_invalid')
  },
  {
    name: 'a JWK on the wrong curve (crv "P-256" with P-384 coordinates)',
    verifier: () => verifierWith({ ...h.freshKeyPair('ES384').publicJwk, crv: 'P-256', kid: 'wrong-curve' }),
    token: () => h.sign(claims(), { ...ec384, kid: 'wrong-curve' }),
    expect: invalid('key_not_found')
  },
  {
    name: 'a JWK on an ECDH curve (X25519) named by an EdDSA token',
    verifier: () => verifierWith({ ...crypto.generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }), kid: 'x25519', use: 'sig' }),
    token: () => h.sign(claims(), { ...ed, kid: 'x25519' }),
    expect: invalid('key_not_found')
  },
  ...(() => {
    const weak = h.freshKeyPair('RS256', { modulusLength: 1024 })
    return [{
      name: 'an RSA key of 1024 bits',
      verifier: () => verifierWith(weak.publicJwk),
      token: () => h.sign(claims(), weak),
      expect: invalid('key_not_found')
    }]
  })(),
  ...(() => {
    const other = h.freshKeyPair('RS256')
    const forbidding = [
      ['whose alg (RS512) forbids an RS256 token', { alg: 'RS512' }],
      ['whose use is "enc"', { use: 'enc' }],
      ['whose key_ops lack "verify"', { use: undefined, key_ops: ['sign'] }]
    ]
    return forbidding.map(([what, change]) => ({
      name: `a JWK ${what}`,
      verifier: () => verifierWith({ ...other.publicJwk, ...change, kid: 'restricted' }),
      token: () => h.sign(claims(), { ...other, kid: 'restricted' }),
      expect: invalid('key_not_found')
    }))
  })(),
  {
    name: 'a small-order Ed25519 JWK (the identity), with R at the identity and S = 0 (fixed by hardening.patch)',
    verifier: () => verifierWith({ kty: 'OKP', crv: 'Ed25519', x: h.b64url(ED25519_IDENTITY), kid: 'small-order', alg: 'EdDSA' }),
    token: () => h.compact(encode({ alg: 'EdDSA', kid: 'small-order' }, claims()), h.b64url(Buffer.concat([ED25519_IDENTITY, ZERO32]))),
    expect: invalid('key_not_found')
  },
  {
    name: 'iat far in the future (a year ahead)',
    token: () => h.sign(claims({ iat: NOW + 365 * 86400, exp: NOW + 366 * 86400 }), rsa),
    expect: { ...invalid('token_issued_in_future'), claim: 'iat' }
  },
  {
    name: 'exp beyond the range of a double (1e400)',
    token: () => signText({ alg: 'RS256', kid: rsa.kid }, JSON.stringify(claims({ exp: 0 })).replace('"exp":0', '"exp":1e400')),
    expect: invalid('token_malformed')
  },
  {
    name: 'exp as a 10,000-digit integer',
    verifier: large,
    token: () => signText({ alg: 'RS256', kid: rsa.kid }, JSON.stringify(claims({ exp: 0 })).replace('"exp":0', `"exp":${'9'.repeat(10_000)}`)),
    expect: invalid('token_malformed'),
    timed: true
  },
  {
    name: 'nbf of 1e308',
    token: () => h.sign(claims({ nbf: 1e308 }), rsa),
    expect: invalid('token_not_yet_valid')
  },
  {
    name: 'iss a 500 KB string',
    verifier: large,
    token: () => h.sign(claims({ iss: 'x'.repeat(500_000) }), rsa),
    expect: invalid('issuer_mismatch'),
    timed: true
  },
  {
    name: 'aud an array of 50,000 strings',
    verifier: large,
    token: () => h.sign(claims({ aud: Array.from({ length: 50_000 }, (_, i) => `a${i}`) }), rsa),
    expect: invalid('audience_mismatch'),
    timed: true
  },
  {
    name: 'a claims set of 50,000 members ending in a duplicate, validly signed',
    verifier: large,
    token: () => {
      const members = Array.from({ length: 50_000 }, (_, i) => `"m${i}":0`).join(',')
      return signText({ alg: 'RS256', kid: rsa.kid }, JSON.stringify(claims()).replace(/}$/, `,${members},"m7":1}`))
    },
    expect: invalid('token_malformed'),
    timed: true
  },
  {
    name: 'a 1 MB token under the default 16 KiB limit',
    token: () => signText({ alg: 'RS256', kid: rsa.kid }, claims({ pad: 'x'.repeat(750_000) })),
    expect: invalid('token_too_large', 'the token is longer than 16384 bytes'),
    timed: true
  },
  {
    name: 'a 1 MB token with a forged signature under a 1 MiB limit',
    verifier: large,
    token: () => withSignature(signText({ alg: 'RS256', kid: rsa.kid }, claims({ pad: 'x'.repeat(740_000) })), crypto.randomBytes(256)),
    expect: invalid('signature_invalid'),
    timed: true
  },
  {
    name: 'a header nested 100,000 levels deep',
    verifier: large,
    token: () => h.compact(h.segment(`{"alg":"RS256","x":${nested(100_000)}}`), h.segment(claims()), 'c2ln'),
    expect: invalid('token_malformed'),
    timed: true
  },
  {
    name: 'a payload nested 100,000 levels deep, validly signed',
    verifier: large,
    token: () => signText({ alg: 'RS256', kid: rsa.kid }, JSON.stringify(claims()).replace(/}$/, `,"x":${nested(100_000)}}`)),
    expect: invalid('token_malformed'),
    timed: true
  }
]

test('every attack in the table has a distinct name', () => {
  assert.equal(new Set(ATTACKS.map((a) => a.name)).size, ATTACKS.length)
})

for (const attack of ATTACKS) {
  test(`rejects ${attack.name}`, async (t) => {
    const verifier = (attack.verifier ?? verifierWith)()
    const token = attack.token()
    const started = process.hrtime.bigint()
    h.assertThrowsFailure(() => verifier.verifySync(token), attack.expect)
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
    if (attack.timed) {
      t.diagnostic(`${token.length} bytes rejected in ${elapsedMs.toFixed(1)} ms`)
      assert.ok(elapsedMs < QUICKLY_MS, `rejected in ${elapsedMs.toFixed(1)} ms`)
    }
    await h.assertRejectsFailure(verifier.verify(token), attack.expect)
  })
}
