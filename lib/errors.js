'use strict'

/**
 * Error classes per RFC 6750 §3.1, shaped as express-oauth2-jwt-bearer's (same names, `status`,
 * `statusCode`, `code` and `headers`), plus a stable `kind` naming the exact failure.
 *
 * Every failure kind maps to its class in one frozen table; the class fixes the RFC 6750 `error`
 * code and the HTTP status, and the one `challenge()` builder below writes every
 * `WWW-Authenticate` value.
 */

const REALM = 'api'

/**
 * Builds the `WWW-Authenticate` value: a `Bearer` challenge (RFC 6750 §3) and, with `dpop`, a
 * `DPoP` challenge listing the proof algorithms (RFC 9449 §7.1), as express-oauth2-jwt-bearer
 * writes them: `Bearer realm="api", DPoP algs="…"`, the error parameters on the challenge of the
 * scheme the client used (`dpop.scheme`), only the `DPoP` challenge when `dpop.required`. Values are
 * kept to the characters RFC 6750 §3 allows inside quotes: `"` becomes `'` (as the peer writes it),
 * `\` becomes `/`, and any other character outside printable ASCII becomes `?`.
 * @param {{ error?: string, description?: string, scope?: string[],
 *   dpop?: { algs?: readonly string[], required?: boolean, scheme?: string } }} [params]
 * @returns {string}
 */
function challenge ({ error, description, scope, dpop } = {}) {
  const params = []
  if (error) {
    params.push(`error="${quotable(error)}"`)
    if (description) params.push(`error_description="${quotable(description)}"`)
    if (scope) params.push(`scope="${quotable(scope.join(' '))}"`)
  }
  const onDpop = dpop !== undefined && (dpop.required === true || dpop.scheme === 'dpop')
  const bearer = [`Bearer realm="${REALM}"`, ...(onDpop ? [] : params)].join(', ')
  if (dpop === undefined) return bearer
  const algs = dpop.algs?.length ? [`algs="${quotable(dpop.algs.join(' '))}"`] : []
  const proof = `DPoP ${[...(onDpop ? params : []), ...algs].join(', ')}`
  return dpop.required ? proof : `${bearer}, ${proof}`
}

function quotable (text) {
  return String(text)
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x7e]/g, '?')
}

/** The request carried no credentials: 401 with a bare `Bearer realm="api"` challenge. */
class UnauthorizedError extends Error {
  /**
   * @param {string} [message]
   * @param {{ kind?: string, claim?: string, cause?: unknown }} [details]
   */
  constructor (message = 'Unauthorized', details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = this.constructor.name
    this.status = 401
    this.statusCode = 401
    this.kind = details.kind ?? 'token_missing'
    if (details.claim !== undefined) this.claim = details.claim
    this.headers = { 'WWW-Authenticate': challenge() }
  }
}

/** A malformed request, e.g. more than one way of sending the token: 400 `invalid_request`. */
class InvalidRequestError extends UnauthorizedError {
  /**
   * @param {string} [message]
   * @param {boolean} [useErrorCode] `false` leaves the code and description out of the challenge.
   * @param {{ kind?: string, cause?: unknown }} [details]
   */
  constructor (message = 'Invalid Request', useErrorCode = true, details = {}) {
    super(message, { kind: 'request_invalid', ...details })
    this.code = useErrorCode ? 'invalid_request' : ''
    this.status = 400
    this.statusCode = 400
    if (useErrorCode) setChallenge(this)
  }
}

/** The token is expired, malformed, forged or otherwise unacceptable: 401 `invalid_token`. */
class InvalidTokenError extends UnauthorizedError {
  /**
   * @param {string} [message]
   * @param {{ kind?: string, claim?: string, cause?: unknown }} [details]
   */
  constructor (message = 'Invalid Token', details = {}) {
    super(message, { kind: 'token_invalid', ...details })
    this.code = 'invalid_token'
    setChallenge(this)
  }
}

/** The token lacks a required scope: 403 `insufficient_scope`, naming the scopes needed. */
class InsufficientScopeError extends UnauthorizedError {
  /**
   * @param {string[]} [scopes] The scopes the resource requires, sent in the challenge.
   * @param {string} [message]
   */
  constructor (scopes, message = 'Insufficient Scope') {
    super(message, { kind: 'insufficient_scope' })
    this.code = 'insufficient_scope'
    this.status = 403
    this.statusCode = 403
    setChallenge(this, scopes)
  }
}

/**
 * The DPoP proof is missing members, malformed, replayed or otherwise unacceptable (RFC 9449 §4.3):
 * 400 `invalid_dpop_proof`, as express-oauth2-jwt-bearer answers.
 */
class InvalidProofError extends UnauthorizedError {
  /**
   * @param {string} [message]
   * @param {{ kind?: string, claim?: string, cause?: unknown }} [details]
   */
  constructor (message = 'Invalid DPoP Proof', details = {}) {
    super(message, { kind: 'dpop_proof_invalid', ...details })
    this.code = 'invalid_dpop_proof'
    this.status = 400
    this.statusCode = 400
    setChallenge(this)
  }
}

/**
 * The resource server requires a server-provided nonce in the proof, and it was missing or stale
 * (RFC 9449 §9): 401 `use_dpop_nonce` on the `DPoP` challenge, with the nonce to use in `DPoP-Nonce`.
 */
class UseDpopNonceError extends UnauthorizedError {
  /**
   * @param {string} [message]
   * @param {{ kind?: string, claim?: string, nonce?: string }} [details] `nonce`: the value of `DPoP-Nonce`.
   */
  constructor (message = 'Resource server requires nonce in DPoP proof', details = {}) {
    super(message, { kind: 'dpop_nonce_required', ...details })
    this.code = 'use_dpop_nonce'
    this.headers = { 'WWW-Authenticate': challenge({ error: this.code, description: message, dpop: { required: true } }) }
    if (details.nonce !== undefined) {
      this.nonce = details.nonce
      this.headers['DPoP-Nonce'] = details.nonce
    }
  }
}

function setChallenge (err, scope) {
  err.headers = { 'WWW-Authenticate': challenge({ error: err.code, description: err.message, scope }) }
}

/**
 * Each failure kind and the class that reports it. The token kinds are the Rust core's
 * (`errorKinds()` of the binding, checked equal by a test); the others arise in JS.
 */
const KIND_CLASSES = Object.freeze({
  token_missing: UnauthorizedError,
  request_invalid: InvalidRequestError,
  insufficient_scope: InsufficientScopeError,
  claim_check_failed: InvalidTokenError,
  token_too_large: InvalidTokenError,
  token_malformed: InvalidTokenError,
  algorithm_not_allowed: InvalidTokenError,
  crit_unsupported: InvalidTokenError,
  key_not_found: InvalidTokenError,
  signature_invalid: InvalidTokenError,
  token_expired: InvalidTokenError,
  token_not_yet_valid: InvalidTokenError,
  token_too_old: InvalidTokenError,
  token_issued_in_future: InvalidTokenError,
  issuer_mismatch: InvalidTokenError,
  audience_mismatch: InvalidTokenError,
  claim_missing: InvalidTokenError,
  claim_invalid: InvalidTokenError,
  typ_invalid: InvalidTokenError,
  keys_unavailable: InvalidTokenError,
  dpop_proof_invalid: InvalidProofError,
  dpop_proof_replayed: InvalidProofError,
  dpop_nonce_required: UseDpopNonceError,
  binding_mismatch: InvalidTokenError,
  dpop_scheme_required: InvalidTokenError,
  token_unbound: InvalidTokenError,
  certificate_required: InvalidTokenError
})

/** Every failure kind, each a stable snake_case name. */
const errorKinds = Object.freeze(Object.keys(KIND_CLASSES))

/**
 * The error for a failure the core reported as `{ kind, message, claim?, cause?, nonce? }`.
 * @param {{ kind: string, message: string, claim?: string, cause?: string, nonce?: string }} failure
 * @returns {UnauthorizedError}
 */
function fromFailure ({ kind, message, claim, cause, nonce }) {
  const ErrorClass = KIND_CLASSES[kind]
  return new ErrorClass(message, { kind, claim, cause: cause === undefined ? undefined : new Error(cause), nonce })
}

module.exports = {
  UnauthorizedError,
  InvalidRequestError,
  InvalidTokenError,
  InsufficientScopeError,
  InvalidProofError,
  UseDpopNonceError,
  KIND_CLASSES,
  errorKinds,
  challenge,
  fromFailure
}
