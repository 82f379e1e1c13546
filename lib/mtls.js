'use strict'
/**
 * Certificate-bound access tokens (RFC 8705 §3) at the resource server: a token whose
 * `cnf["x5t#S256"]` is the base64url SHA-256 of a client certificate's DER is accepted only over a
 * connection that presented that certificate. Options as express-oauth2-jwt-bearer 1.10 has them:
 * `mtls: { enabled, required }` (opt-in; `getCertificate` turns it on unless `enabled` is given) and
 * `getCertificate(req)`. The certificate comes from `getCertificate` (e.g. a header a
 * TLS-terminating proxy sets) or, without it, from the TLS socket of the request.
 *
 * A token carries one confirmation method: DPoP is looked at first (lib/dpop.js), and this check
 * runs only for requests that are not DPoP requests.
 */
const crypto = require('node:crypto')
const { InvalidTokenError } = require('./errors')

const PEM = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/
const REQUIRED = 'A client certificate is required for this certificate-bound access token'

/**
 * @typedef {string | Buffer | Uint8Array} ClientCertificate PEM text (one certificate) or DER bytes.
 * @typedef {object} MtlsOptions
 * @property {boolean} [enabled=false] Check certificate-bound tokens; true by default with `getCertificate`.
 * @property {boolean} [required=false] Refuse tokens that are not certificate-bound (needs `enabled`).
 */

/** mTLS turned off: `cnf["x5t#S256"]` is ignored. */
const DISABLED = Object.freeze({ confirm: () => {} })

/**
 * The mTLS part of `auth()`, checked now.
 * @param {MtlsOptions | undefined} options
 * @param {((req: object) => ClientCertificate | undefined) | undefined} getCertificate
 * @throws {TypeError} express-oauth2-jwt-bearer's message, naming the option.
 */
function createMtls (options, getCertificate) {
  const assert = (ok, message) => {
    if (!ok) throw new TypeError(message)
  }
  assert(getCertificate === undefined || typeof getCertificate === 'function', "'getCertificate' must be a function (req) => certificate")
  const given = options ?? {}
  assert(isObject(given), 'Invalid mTLS configuration: "mtls" must be an object')
  const { enabled = getCertificate !== undefined, required = false } = given
  assert(typeof enabled === 'boolean', 'Invalid mTLS option: "enabled" must be a boolean')
  assert(typeof required === 'boolean', 'Invalid mTLS option: "required" must be a boolean')
  assert(!(required && enabled !== true), 'Invalid mTLS configuration: "required" can only be set to true when "enabled" is also true')
  if (!enabled) return DISABLED
  const resolve = getCertificate ?? fromSocket
  return Object.freeze({
    /** After the token verified, unless it was a DPoP request: checks the certificate binding. */
    confirm (req, { payload }) {
      if (!required && !(isObject(payload.cnf) && Object.hasOwn(payload.cnf, 'x5t#S256'))) return
      const expected = certificateConfirmation(payload.cnf)
      let certificate
      try {
        certificate = resolve(req)
      } catch {
        certificate = undefined
      }
      if (certificate === undefined || certificate === null) throw certificateRequired(REQUIRED)
      if (thumbprint(certificate) !== expected) {
        throw new InvalidTokenError('JWT Access Token confirmation mismatch', { kind: 'binding_mismatch', claim: 'cnf' })
      }
    }
  })
}

/** The certificate the client presented on this TLS connection, as DER; undefined without one. */
function fromSocket (req) {
  const raw = req.socket?.getPeerCertificate?.()?.raw
  return Buffer.isBuffer(raw) && raw.length > 0 ? raw : undefined
}

/** The token's `cnf["x5t#S256"]`, checked as express-oauth2-jwt-bearer checks it. */
function certificateConfirmation (cnf) {
  if (!cnf) throw new InvalidTokenError('JWT Access Token has no x5t#S256 confirmation claim', { kind: 'token_unbound', claim: 'cnf' })
  if (!isObject(cnf)) throw invalidConfirmation('Invalid "cnf" confirmation claim structure')
  if (Object.keys(cnf).length > 1) throw invalidConfirmation('Multiple confirmation claims are not supported')
  if (!Object.hasOwn(cnf, 'x5t#S256')) {
    throw new InvalidTokenError('JWT Access Token has no x5t#S256 confirmation claim', { kind: 'token_unbound', claim: 'cnf' })
  }
  const value = cnf['x5t#S256']
  if (typeof value !== 'string') throw invalidConfirmation('Malformed "x5t#S256" confirmation claim')
  if (value === '') throw invalidConfirmation('Invalid "x5t#S256" confirmation claim')
  return value
}

/** RFC 8705 §3.1: base64url(SHA-256(DER)) of a PEM certificate or DER bytes. */
function thumbprint (certificate) {
  let der
  if (typeof certificate === 'string') {
    const match = PEM.exec(certificate)
    if (match === null) throw certificateRequired('Client certificate is not valid PEM')
    der = Buffer.from(match[1].replace(/\s+/g, ''), 'base64')
  } else if (certificate instanceof Uint8Array) {
    der = certificate
  } else {
    throw certificateRequired('Client certificate is not valid PEM')
  }
  if (der.length === 0) throw certificateRequired('Client certificate is empty')
  return crypto.createHash('sha256').update(der).digest('base64url')
}

/** RFC 8705 §3: a binding that cannot be confirmed is 401 `invalid_token`. */
function certificateRequired (message) {
  return new InvalidTokenError(message, { kind: 'certificate_required', claim: 'cnf' })
}

function invalidConfirmation (message) {
  return new InvalidTokenError(message, { kind: 'claim_invalid', claim: 'cnf' })
}

function isObject (value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

module.exports = { createMtls }
