'use strict'
/**
 * verify(): every algorithm accepted, every defect rejected with its class, kind and exact
 * challenge, through both the sync and the batched async path. Tokens are signed with node:crypto.
 */
const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const { createVerifier, verify, InvalidTokenError } = require('..')
const h = require('./helpers')

const NOW = 1_750_000_000
const currentDate = new Date(NOW * 1000)
const base = { issuer: h.DEFAULT_ISSUER, audience: h.DEFAULT_AUDIENCE, currentDate }
const claims = (overrides) => h.claims(overrides, { now: NOW })
const rsa = h.keyPair('RS256')
const rsaVerifier = createVerifier({ ...base, jwks: h.jwks(rsa) })

/** Both paths must reject `token` the same way. */
async function rejects (verifier, token, expected) {
  h.assertThrowsFailure(() => verifier.verifySync(token), expected)
  await h.assertRejectsFailure(verifier.verify(token), expected)
}

const invalid = (kind, description) => ({ type: InvalidTokenError, kind, status: 401, code: 'invalid_token', description })

describe('accepts', () => {
  for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']) {
    test(`a valid ${alg} token, returning payload, header and token`, async () => {
      const pair = h.keyPair(alg)
      const verifier = createVerifier({ ...base, jwks: h.jwks(pair) })
      const payload = claims()
      const token = h.sign(payload, pair)
      const sync = verifier.verifySync(token)
      assert.deepEqual(sync, { payload, header: { alg, typ: 'JWT', kid: pair.kid }, token })
      assert.deepEqual(Object.keys(sync), ['payload', 'header', 'token'])
      assert.deepEqual(await verifier.verify(token), sync)
    })
  }

  for (const alg of ['HS256', 'HS384', 'HS512']) {
    test(`a valid ${alg} token with the shared secret`, async () => {
      const { secret } = h.keyPair(alg)
      const verifier = createVerifier({ ...base, secret, algorithms: [alg] })
      const token = h.sign(claims(), { alg, secret })
      assert.equal((await verifier.verify(token)).payload.sub, claims().sub)
    })
  }

  test('a PEM public key, as express-oauth2-jwt-bearer takes it with tokenSigningAlg', () => {
    const pair = h.keyPair('ES256')
    const publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' })
    const verifier = createVerifier({ ...base, publicKey, tokenSigningAlg: 'ES256' })
    assert.ok(verifier.verifySync(h.sign(claims(), pair)))
  })

  test('a single JWK object as publicKey', () => {
    const pair = h.keyPair('EdDSA')
    const verifier = createVerifier({ ...base, publicKey: pair.publicJwk })
    assert.ok(verifier.verifySync(h.sign(claims(), pair)))
  })

  test('a token expired by less than the clock tolerance', () => {
    assert.ok(rsaVerifier.verifySync(h.sign(claims({ exp: NOW - 4 }), rsa)))
  })

  test('one of several configured audiences, named in an aud array', () => {
    const verifier = createVerifier({ ...base, audience: ['https://other.example', h.DEFAULT_AUDIENCE], jwks: h.jwks(rsa) })
    assert.ok(verifier.verifySync(h.sign(claims({ aud: ['https://x.example', h.DEFAULT_AUDIENCE] }), rsa)))
  })

  test('strict mode with typ at+jwt and every RFC 9068 claim', () => {
    const verifier = createVerifier({ ...base, strict: true, jwks: h.jwks(rsa) })
    assert.ok(verifier.verifySync(h.sign(claims(), { ...rsa, header: { typ: 'application/at+jwt' } })))
  })

  test('claims outside ASCII (Latin-1, other scripts, emoji, escapes) exactly as signed, on both paths', async () => {
    const payload = claims({ name: 'Zoë Ångström', city: '東京', mood: '🙂', quote: 'a "b" \\ c\u0001', nick: 'ÿ' })
    const token = h.sign(payload, rsa)
    assert.deepEqual(rsaVerifier.verifySync(token).payload, payload)
    assert.deepEqual((await rsaVerifier.verify(token)).payload, payload)
    assert.deepEqual(rsaVerifier.verifySync(token).payload, payload, 'a cache hit too')
  })

  test('many concurrent async verifications, each with its own result', async () => {
    const tokens = Array.from({ length: 200 }, (_, i) => h.sign(claims({ sub: `user-${i}` }), rsa))
    const results = await Promise.all(tokens.map((t) => rsaVerifier.verify(t)))
    results.forEach((r, i) => assert.equal(r.payload.sub, `user-${i}`))
  })

  test('through the top-level verify(token, options), reusing the verifier per options object', async () => {
    const options = { ...base, jwks: h.jwks(rsa) }
    const token = h.sign(claims(), rsa)
    assert.equal((await verify(token, options)).token, token)
    assert.equal((await verify(token, options)).payload.iss, h.DEFAULT_ISSUER)
  })
})

describe('rejects with invalid_token', () => {
  test('an expired token', () =>
    rejects(rsaVerifier, h.sign(claims({ exp: NOW - 5 }), rsa), { ...invalid('token_expired', '"exp" claim timestamp check failed'), claim: 'exp' }))

  test('a token that is not yet valid', () =>
    rejects(rsaVerifier, h.sign(claims({ nbf: NOW + 60 }), rsa), invalid('token_not_yet_valid', '"nbf" claim timestamp check failed')))

  test('a token issued in the future', () =>
    rejects(rsaVerifier, h.sign(claims({ iat: NOW + 3600 }), rsa), invalid('token_issued_in_future')))

  test('a token older than maxTokenAge', () => {
    const verifier = createVerifier({ ...base, maxTokenAge: 60, jwks: h.jwks(rsa) })
    return rejects(verifier, h.sign(claims({ iat: NOW - 120 }), rsa), invalid('token_too_old'))
  })

  test('a token from another issuer', () =>
    rejects(rsaVerifier, h.sign(claims({ iss: 'https://evil.example/' }), rsa), { ...invalid('issuer_mismatch', "Unexpected 'iss' value"), claim: 'iss' }))

  test('a token for another audience, as a string', () =>
    rejects(rsaVerifier, h.sign(claims({ aud: 'https://other.example' }), rsa), { ...invalid('audience_mismatch', "Unexpected 'aud' value"), claim: 'aud' }))

  test('a token for other audiences, as an array', () =>
    rejects(rsaVerifier, h.sign(claims({ aud: ['https://a.example', 'https://b.example'] }), rsa), invalid('audience_mismatch')))

  test('a token without exp', () =>
    rejects(rsaVerifier, h.sign(claims({ exp: undefined }), rsa), { ...invalid('claim_missing', "Unexpected 'exp' value"), claim: 'exp' }))

  test('an algorithm outside the allow-list', () => {
    const verifier = createVerifier({ ...base, algorithms: ['ES256'], jwks: h.jwks(h.keyPair('ES256'), h.keyPair('ES384')) })
    return rejects(verifier, h.sign(claims(), h.keyPair('ES384')), invalid('algorithm_not_allowed'))
  })

  test('an HS256 token whose secret is the RSA public key (algorithm confusion)', async () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' })
    for (const secret of [pem, JSON.stringify(rsa.publicJwk)]) {
      const token = h.sign(claims(), { alg: 'HS256', secret, kid: rsa.kid })
      await rejects(rsaVerifier, token, invalid('algorithm_not_allowed'))
    }
  })

  for (const alg of ['none', 'None', 'NONE']) {
    test(`alg ${alg}, with and without a signature`, async () => {
      const unsigned = h.compact(h.segment({ alg, typ: 'JWT' }), h.segment(claims()), '')
      const expected = invalid('algorithm_not_allowed', `Unsupported algorithm "${alg}" for JWKS-based verification. Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA`)
      await rejects(rsaVerifier, unsigned, expected)
      await rejects(rsaVerifier, unsigned + 'c2ln', expected)
    })
  }

  test('an alg with a line break, without echoing it or breaking the header', () => {
    const token = h.compact(h.segment({ alg: 'RS256\r\nX-Injected: 1' }), h.segment(claims()), 'c2ln')
    return rejects(rsaVerifier, token, invalid('algorithm_not_allowed', 'Unsupported algorithm for JWKS-based verification. Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA'))
  })

  test('a kid that matches no key', () =>
    rejects(rsaVerifier, h.sign(claims(), { ...rsa, kid: 'unknown' }), invalid('key_not_found', 'no applicable key found in the JSON Web Key Set')))

  test('a tampered payload', () => {
    const [head, , sig] = h.sign(claims(), rsa).split('.')
    return rejects(rsaVerifier, h.compact(head, h.segment(claims({ scope: 'admin' })), sig), invalid('signature_invalid', 'signature verification failed'))
  })

  test('a truncated signature', () => {
    const token = h.sign(claims(), rsa)
    const [head, payload, sig] = token.split('.')
    const truncated = h.b64url(Buffer.from(sig, 'base64url').subarray(0, 200))
    return rejects(rsaVerifier, h.compact(head, payload, truncated), invalid('signature_invalid'))
  })

  for (const segments of [2, 4, 5]) {
    test(`a token of ${segments} segments`, () => {
      const parts = h.sign(claims(), rsa).split('.')
      const token = Array.from({ length: segments }, (_, i) => parts[i % 3]).join('.')
      return rejects(rsaVerifier, token, invalid('token_malformed', 'Invalid Token or Protected Header formatting'))
    })
  }

  test('non-base64url characters, padding or white space in the header or signature', async () => {
    const [head, payload, sig] = h.sign(claims(), rsa).split('.')
    for (const token of [`${head}=.${payload}.${sig}`, `${head}.${payload}.${sig}=`, `${head}.${payload}.${sig} `, `+${head}.${payload}.${sig}`]) {
      await rejects(rsaVerifier, token, invalid('token_malformed'))
    }
  })

  test('any change to the payload segment, even only white space, as a bad signature', () => {
    const [head, payload, sig] = h.sign(claims(), rsa).split('.')
    return rejects(rsaVerifier, `${head}.${payload} .${sig}`, invalid('signature_invalid'))
  })

  test('a token whose kid names no key of a JWK Set, even with a single key', () =>
    rejects(createVerifier({ ...base, jwks: h.jwks(rsa) }), h.sign(claims(), { ...rsa, kid: 'other' }), invalid('key_not_found')))

  test('a header that is not a JSON object', async () => {
    for (const header of ['[1]', '"RS256"', 'not json']) {
      const token = h.compact(h.segment(header), h.segment(claims()), h.b64url('sig'))
      await rejects(rsaVerifier, token, invalid('token_malformed', 'Invalid Token or Protected Header formatting'))
    }
  })

  test('a payload that is not a JSON object, even when validly signed', async () => {
    for (const payload of ['[]', '"string"', 'null', 'not json']) {
      await rejects(rsaVerifier, h.sign(payload, rsa), invalid('token_malformed', 'JWT Claims Set must be a top-level JSON object'))
    }
  })

  test('a token longer than maxTokenLength, before decoding it', () => {
    const verifier = createVerifier({ ...base, maxTokenLength: 512, jwks: h.jwks(rsa) })
    return rejects(verifier, h.sign(claims(), rsa), invalid('token_too_large', 'the token is longer than 512 bytes'))
  })

  test('a token past the default 16 KiB limit when maxTokenLength allows it, on both paths', async () => {
    const verifier = createVerifier({ ...base, maxTokenLength: 65536, jwks: h.jwks(rsa) })
    const token = h.sign(claims({ padding: 'x'.repeat(20000) }), rsa)
    assert.ok(token.length > 16384)
    assert.equal(verifier.verifySync(token).token, token)
    assert.equal((await verifier.verify(token)).payload.padding.length, 20000)
  })

  test('a valid token followed by characters outside ASCII, however long (never read as the token alone)', async () => {
    const token = h.sign(claims(), rsa)
    const pad = 'x'.repeat(16384 - token.length - 1)
    const verifier = createVerifier({ ...base, maxTokenLength: 65536, jwks: h.jwks(rsa) })
    const refused = (err) => err instanceof InvalidTokenError && ['token_malformed', 'signature_invalid'].includes(err.kind)
    for (const tail of ['é', '€', '🙂', `${pad}€`, `${pad}x€`, `${pad}🙂🙂`]) {
      assert.throws(() => verifier.verifySync(token + tail), refused)
      await assert.rejects(verifier.verify(token + tail), refused)
    }
  })

  test('an unknown crit extension', () =>
    rejects(rsaVerifier, h.sign(claims(), { ...rsa, header: { crit: ['urn:example:ext'], 'urn:example:ext': 1 } }), invalid('crit_unsupported', 'Extension Header Parameter "urn:example:ext" is not recognized')))

  test('an unencoded payload (b64: false)', () =>
    rejects(rsaVerifier, h.sign(claims(), { ...rsa, header: { crit: ['b64'], b64: false } }), invalid('crit_unsupported', 'JWTs MUST NOT use unencoded payload')))

  test('strict mode without the at+jwt type', async () => {
    const verifier = createVerifier({ ...base, strict: true, jwks: h.jwks(rsa) })
    await rejects(verifier, h.sign(claims(), rsa), { ...invalid('typ_invalid', "Unexpected 'typ' value"), claim: 'typ' })
  })

  test('strict mode without client_id', async () => {
    const verifier = createVerifier({ ...base, strict: true, jwks: h.jwks(rsa) })
    const token = h.sign(claims({ client_id: undefined }), { ...rsa, header: { typ: 'at+jwt' } })
    await rejects(verifier, token, { ...invalid('claim_missing'), claim: 'client_id' })
  })
})

describe('rejects input that is not a bare token', () => {
  for (const [name, input, description] of [
    ['a number', 42, 'the token must be a string'],
    ['undefined', undefined, 'the token must be a string'],
    ['an empty string', '', 'Invalid Compact JWS: the token is empty'],
    ['white space', '  \n', 'Invalid Compact JWS: the token is empty'],
    ['a token still carrying its Bearer prefix', `Bearer ${h.sign(claims(), rsa)}`, 'Invalid Compact JWS: pass the token without its authorization scheme']
  ]) {
    test(name, () => rejects(rsaVerifier, input, invalid('token_malformed', description)))
  }
})

describe('currentDate', () => {
  test('moves every time check', () => {
    const token = h.sign(claims(), rsa)
    const later = createVerifier({ ...base, currentDate: (NOW + 7200) * 1000, jwks: h.jwks(rsa) })
    h.assertThrowsFailure(() => later.verifySync(token), invalid('token_expired'))
    const earlier = createVerifier({ ...base, currentDate: new Date((NOW - 3600) * 1000), jwks: h.jwks(rsa) })
    h.assertThrowsFailure(() => earlier.verifySync(token), invalid('token_issued_in_future'))
  })
})

test('async batches are as many as libuv reads UV_THREADPOOL_SIZE to be (unset 4, not a positive number 1, at most 1024)', () => {
  const { threadpoolSize } = require('../lib/verifier')
  assert.deepEqual([undefined, '4', '2', '16', '0', 'x', '-1', '5000'].map(threadpoolSize), [4, 4, 2, 16, 1, 1, 1, 1024])
})
