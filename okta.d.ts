/**
 * `bearer-rs/okta`: the class of `@okta/jwt-verifier` 4, backed by bearer-rs's native verifier.
 * Change `require('@okta/jwt-verifier')` to `require('bearer-rs/okta')`; the options, methods and
 * results are Okta's. Failures reject with bearer-rs's `InvalidTokenError` (`status` 401, `kind`).
 */
import type { Agent as HttpAgent } from 'node:http'
import type { Agent as HttpsAgent } from 'node:https'

export = OktaJwtVerifier

declare class OktaJwtVerifier {
  /**
   * @example
   * const OktaJwtVerifier = require('bearer-rs/okta')
   * const oktaJwtVerifier = new OktaJwtVerifier({ issuer: 'https://dev-123.okta.com/oauth2/default' })
   */
  constructor(options: OktaJwtVerifier.VerifierOptions)

  /** The authorization server, as given. */
  readonly issuer: string
  /** Where the keys are fetched: `jwksUri`, or `${issuer}/v1/keys`. */
  readonly jwksUri: string

  /**
   * Verifies an access token: RS256 signature, `exp` (required), `nbf`, `iat`, `iss`, `aud` (one
   * of `expectedAudience`) and `assertClaims`.
   * @example
   * const jwt = await oktaJwtVerifier.verifyAccessToken(accessToken, 'api://default')
   * console.log(jwt.claims.scp)
   */
  verifyAccessToken(accessTokenString: string, expectedAudience: string | string[]): Promise<OktaJwtVerifier.Jwt>

  /**
   * Verifies an ID token: as an access token, with `aud` equal to `expectedClientId`, `sub` and
   * `iat` required, and `nonce` equal to `expectedNonce` when either is there.
   * @example
   * const jwt = await oktaJwtVerifier.verifyIdToken(idToken, clientId, nonce)
   */
  verifyIdToken(idTokenString: string, expectedClientId: string, expectedNonce?: string): Promise<OktaJwtVerifier.Jwt>
}

declare namespace OktaJwtVerifier {
  interface TestingOptions {
    /** Allows an `http:` issuer and key URL (with a warning). */
    disableHttpsCheck: boolean
  }

  interface VerifierOptions {
    /** The authorization server, e.g. `https://{yourOktaDomain}/oauth2/default`. */
    issuer: string
    /** Checked for Okta's placeholder; `verifyIdToken` takes the client id it expects. */
    clientId?: string
    /**
     * Claims every token must carry: `{ cid: '…' }` (equal), `{ 'scp.includes': ['a', 'b'] }`
     * (an array claim, or a space-separated string, holding every value).
     */
    assertClaims?: Record<string, unknown>
    /** How long fetched keys are used before a background refresh, in ms. Default 3600000 (1 hour). */
    cacheMaxAge?: number
    /** At most this many JWKS requests a minute for unknown `kid`s. Default 10. */
    jwksRequestsPerMinute?: number
    /** Where the keys are. Default `${issuer}/v1/keys`. */
    jwksUri?: string
    /** Send the JWKS requests through this agent (a proxy, custom CAs). */
    requestAgent?: HttpAgent | HttpsAgent
    testing?: TestingOptions
  }

  type Algorithm =
    | 'HS256'
    | 'HS384'
    | 'HS512'
    | 'RS256'
    | 'RS384'
    | 'RS512'
    | 'ES256'
    | 'ES384'
    | 'ES512'
    | 'none'

  interface JwtHeader {
    alg: Algorithm
    typ: string
    kid?: string
    jku?: string
    x5u?: string
    x5t?: string
  }

  interface JwtClaims {
    iss: string
    sub: string
    aud: string
    exp: number
    nbf?: number
    iat?: number
    jti?: string
    nonce?: string
    scp?: string[]
    [key: string]: unknown
  }

  /** A verified token: frozen copies of its header and claims. */
  interface Jwt {
    claims: JwtClaims
    header: JwtHeader
    /** The token as it was given. */
    toString(): string
    /** Whether `exp` has passed, now. */
    isExpired(): boolean
    /** Whether `nbf` is still to come, now. */
    isNotBefore(): boolean
  }
}
