/**
 * bearer-rs: protect Node.js APIs with OAuth 2.0 JWT access tokens, verified by a Rust core.
 * Hand-written; the napi CLI's generated types live in `binding.d.ts`.
 */

import type { KeyObject } from 'node:crypto'

/** An HMAC key: a string (its UTF-8 bytes), the key's bytes, or a secret `KeyObject`. */
export type HmacSecret = string | Uint8Array | KeyObject

/** Algorithms bearer-rs verifies. `none` is never accepted. */
export type Algorithm =
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384'
  | 'EdDSA'
  | 'HS256' | 'HS384' | 'HS512'

/** A public JSON Web Key (RFC 7517). */
export interface JWK {
  kty: string
  kid?: string
  alg?: string
  use?: string
  key_ops?: string[]
  crv?: string
  n?: string
  e?: string
  x?: string
  y?: string
  [member: string]: unknown
}

/** A JSON Web Key Set (RFC 7517 §5). */
export interface JSONWebKeySet {
  keys: JWK[]
}

/** The JWT claims set: the registered claims (RFC 7519 §4.1, RFC 9068 §2.2) and any others. */
export interface JWTPayload {
  iss?: string
  sub?: string
  aud?: string | string[]
  exp?: number
  nbf?: number
  iat?: number
  jti?: string
  client_id?: string
  /** Space-separated scopes (Auth0, RFC 9068). */
  scope?: string
  /** Scopes as an array (Okta). */
  scp?: string[]
  [claim: string]: unknown
}

/** The JOSE header of a verified token. */
export interface JWTHeader {
  /** One of {@link Algorithm} once verified; typed as a string too, as express-oauth2-jwt-bearer types it. */
  alg: Algorithm | (string & {})
  kid?: string
  typ?: string
  [parameter: string]: unknown
}

/** What a successful verification returns; `req.auth` in the Express middleware. */
export interface VerifyResult {
  /** The verified claims. */
  payload: JWTPayload
  /** The token's header. */
  header: JWTHeader
  /** The raw token. */
  token: string
}

/** Options of {@link createVerifier} and {@link verify}. */
export interface VerifierOptions {
  /** Accepted `iss` value(s), matched exactly. Required unless `issuerBaseURL` names the issuer. */
  issuer?: string | string[]
  /** Accepted audience(s); the token's `aud` must name at least one. Required. */
  audience: string | string[]
  /**
   * Allowed `alg` values. Default: every asymmetric algorithm the key material fits. Required with
   * `secret`, and with a single `publicKey` that names no algorithm (a PEM, a JWK without `alg`).
   * An empty list throws. HMAC and public-key algorithms cannot be mixed.
   */
  algorithms?: Algorithm[]
  /** express-oauth2-jwt-bearer's name for a single allowed algorithm; give this or `algorithms`. */
  tokenSigningAlg?: Algorithm
  /**
   * HMAC secret: a string (its UTF-8 bytes are the key), the key's bytes, or a secret KeyObject;
   * at least 32/48/64 bytes for HS256/384/512.
   */
  secret?: HmacSecret
  /** An inline JWK Set; tokens select a key by `kid`. Unusable keys are skipped. */
  jwks?: JSONWebKeySet
  /**
   * A PEM public key (`PUBLIC KEY`, `RSA PUBLIC KEY`, or an X.509 `CERTIFICATE`), or one JWK, or a
   * JWK Set. A single key is used whatever `kid` a token names.
   */
  publicKey?: string | JWK | JSONWebKeySet
  /** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. Default 5. */
  clockTolerance?: number
  /** Maximum age since `iat`, in seconds; makes `iat` required. Default: no limit. */
  maxTokenAge?: number
  /**
   * RFC 9068 strict mode: `typ` must be `at+jwt` (or `application/at+jwt`) and `iss`, `sub`,
   * `aud`, `exp`, `iat`, `jti` and `client_id` are required. Default false.
   */
  strict?: boolean
  /** Longest token accepted, in bytes; longer input is rejected before any decoding. Default 16384. */
  maxTokenLength?: number
  /** Claims that must be present, whatever their value. Default none. */
  requiredClaims?: string[]
  /**
   * The time every time-based check (and the token cache) uses, read once per verification: a Date
   * or epoch milliseconds (fixed), or a function returning epoch milliseconds. Default: the system clock.
   */
  currentDate?: Date | number | (() => number)
  /**
   * The verified-token cache: a repeated token is answered without verifying it again while its
   * time claims still pass. Default `{ maxBytes: 4194304 }` (about 2,200 entries of ~900-byte tokens),
   * and `maxEntries` then `maxBytes / 256`; `false` turns it off.
   * Nested objects and arrays of a cached payload are shared between requests and frozen.
   */
  tokenCache?: false | { maxEntries?: number, maxBytes?: number }
  /**
   * The authorization server (e.g. `https://dev-123.okta.com/oauth2/default`). Its metadata
   * (`/.well-known/openid-configuration`, then RFC 8414's) gives the issuer, the JWKS URI and the
   * algorithms; it is fetched lazily on the first token, or eagerly with `await verifier.ready()`.
   */
  issuerBaseURL?: string
  /** Where to fetch the JWK Set; overrides discovery. With it, `issuer` is required unless `issuerBaseURL` gives it. */
  jwksUri?: string
  /** Keys older than this are refreshed in the background, in ms. Default 600000 (10 minutes). */
  cacheMaxAge?: number
  /**
   * Discovered metadata older than this is refreshed in the background (the previous copy serving
   * meanwhile and while refreshes fail), in ms. Default: `cacheMaxAge`.
   */
  discoveryMaxAge?: number
  /** Least time between two fetches (an unknown `kid`, a failed refresh), in ms. Default 30000. */
  cooldownDuration?: number
  /** Time allowed for one discovery or JWKS request, in ms. Default 5000. */
  timeoutDuration?: number
  /** How long cached keys keep verifying while refreshes fail, in ms. Default 86400000 (24 h). */
  staleMaxAge?: number
  /** Largest discovery or JWKS response, in bytes. Default 524288 (512 KiB). */
  maxResponseSize?: number
  /** Most usable keys kept from one JWK Set. Default 100. */
  maxKeys?: number
  /** Allow `http:` key URLs to hosts other than localhost/127.0.0.1/[::1]. Default false. */
  allowInsecureHttp?: boolean
  /** Extra request headers for discovery and JWKS requests. */
  headers?: Record<string, string>
  /**
   * Send discovery and JWKS requests through this agent (a proxy, custom CAs), as
   * express-oauth2-jwt-bearer does; the timeout, size cap, https rule and cache stay bearer-rs's.
   * Verifiers given the same agent share one key cache.
   */
  agent?: import('http').Agent
}

/** What a remote JWK Set has been doing. Times are epoch ms. */
export interface JwksStats {
  uri: string
  fetches: number
  failures: number
  /** Fetches answered `304 Not Modified`: the keys held were current (they count as successful). */
  notModified: number
  /** Successful fetches whose `kid`s differed from the set before. */
  rotations: number
  /** Unknown-`kid` tokens rejected without a fetch because of the cooldown. */
  cooldownRejections: number
  /** Verifications that used keys older than `cacheMaxAge` because refreshes failed. */
  staleVerifications: number
  kids: string[]
  /** Keys left out of the last good set, each `kid: reason`. */
  skipped: string[]
  ageMs: number | null
  stale: boolean
  staleUntil: number | null
  lastSuccess: number | null
  lastFailure: number | null
  lastError: string | null
}

/** What the verified-token cache has been doing. */
export interface TokenCacheStats {
  size: number
  bytes: number
  hits: number
  misses: number
  evictions: number
  maxEntries: number
  maxBytes: number
}

/** What {@link Verifier.stats} returns. */
export interface VerifierStats {
  /** Discovery documents requested. */
  discoveryFetches: number
  /** The JWK Set, once its URI is known (remote keys only). */
  jwks: JwksStats | null
  /** The verified-token cache; `null` with `tokenCache: false`. */
  tokenCache: TokenCacheStats | null
}

/**
 * Verifies tokens with keys and rules fixed at construction. Build one per configuration.
 * @example
 * const verifier = createVerifier({ issuer, audience, jwks })
 * const { payload } = await verifier.verify(token)
 */
export declare class Verifier {
  constructor(options: VerifierOptions)
  /**
   * Verifies a token off the main thread; calls in the same event-loop turn are batched.
   * Rejects with {@link InvalidTokenError} (its `kind` says why).
   * @example
   * const { payload, header } = await verifier.verify(token)
   */
  verify(token: string): Promise<VerifyResult>
  /**
   * Verifies a token on the calling thread. Throws {@link InvalidTokenError}. With remote keys it
   * never waits on the network: until they are fetched, tokens fail as `keys_unavailable`.
   * @example
   * const { payload } = verifier.verifySync(token)
   */
  verifySync(token: string): VerifyResult
  /**
   * Fetches the authorization server metadata and keys now. Rejects with a `keys_unavailable`
   * {@link InvalidTokenError} whose `cause` says what failed.
   * @example
   * await verifier.ready() // at start-up, so the first request does not wait
   */
  ready(): Promise<void>
  /**
   * What the remote metadata and key cache have been doing.
   * @example
   * if (verifier.stats().jwks?.stale) log.warn('serving stale signing keys')
   */
  stats(): VerifierStats
}

/**
 * Builds a {@link Verifier}. Misuse throws a `TypeError` naming the option.
 * @example
 * import { createVerifier } from 'bearer-rs'
 * const verifier = createVerifier({
 *   issuer: 'https://tenant.example.com/',
 *   audience: 'https://api.example.com',
 *   jwks: { keys: [publicJwk] },
 * })
 */
export declare function createVerifier(options: VerifierOptions): Verifier

/**
 * Verifies one token. The verifier built for an options object is reused: pass the same object.
 * @example
 * const options = { issuer, audience, publicKey: pem, tokenSigningAlg: 'RS256' }
 * const { payload } = await verify(token, options)
 */
export declare function verify(token: string, options: VerifierOptions): Promise<VerifyResult>

/** Every failure kind: one stable snake_case name per reason a request is refused. */
export type ErrorKind =
  | 'token_missing'
  | 'request_invalid'
  | 'insufficient_scope'
  | 'claim_check_failed'
  | 'token_too_large'
  | 'token_malformed'
  | 'algorithm_not_allowed'
  | 'crit_unsupported'
  | 'key_not_found'
  | 'signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_too_old'
  | 'token_issued_in_future'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'claim_missing'
  | 'claim_invalid'
  | 'typ_invalid'
  | 'keys_unavailable'
  | 'dpop_proof_invalid'
  | 'dpop_proof_replayed'
  | 'dpop_nonce_required'
  | 'binding_mismatch'
  | 'dpop_scheme_required'
  | 'token_unbound'
  | 'certificate_required'

/**
 * Every {@link ErrorKind}, for dashboards and alerts.
 * @example
 * for (const kind of errorKinds) rejections.labels({ kind }).inc(0)
 */
export declare const errorKinds: readonly ErrorKind[]

/**
 * The request carried no credentials: 401 with `WWW-Authenticate: Bearer realm="api"` and no code.
 * @example
 * if (err instanceof UnauthorizedError) res.set(err.headers).sendStatus(err.status)
 */
export declare class UnauthorizedError extends Error {
  constructor(message?: string)
  status: number
  statusCode: number
  /** The RFC 6750 `error` code; absent when no credentials were sent. */
  code?: string
  /** Why, as a stable name. */
  kind: ErrorKind
  /** The claim or header member a failure is about, when there is one. */
  claim?: string
  /** `{ 'WWW-Authenticate': … }`, ready for `res.set()`. */
  headers: { 'WWW-Authenticate': string }
}

/**
 * 400 `invalid_request`: e.g. the token was sent in more than one way.
 * @example
 * throw new InvalidRequestError('More than one method used for authentication')
 */
export declare class InvalidRequestError extends UnauthorizedError {
  constructor(message?: string, useErrorCode?: boolean)
}

/**
 * 401 `invalid_token`: expired, malformed, forged or otherwise unacceptable. `kind` says which.
 * @example
 * catch (err) { if (err instanceof InvalidTokenError) log.info({ kind: err.kind, claim: err.claim }) }
 */
export declare class InvalidTokenError extends UnauthorizedError {
  constructor(message?: string)
  code: 'invalid_token'
}

/**
 * 403 `insufficient_scope`, naming the required scopes in the challenge.
 * @example
 * throw new InsufficientScopeError(['read:messages'])
 */
export declare class InsufficientScopeError extends UnauthorizedError {
  constructor(scopes?: string[], message?: string)
  code: 'insufficient_scope'
}

/**
 * 400 `invalid_dpop_proof`: the DPoP proof is missing members, malformed, replayed or otherwise
 * unacceptable (RFC 9449 §4.3). `kind` is `dpop_proof_invalid` or `dpop_proof_replayed`, `claim`
 * the proof member at fault.
 * @example
 * if (err instanceof InvalidProofError) log.warn({ kind: err.kind, member: err.claim })
 */
export declare class InvalidProofError extends UnauthorizedError {
  constructor(message?: string)
  code: 'invalid_dpop_proof'
}

/**
 * 401 `use_dpop_nonce` (RFC 9449 §9): `dpop.nonce` is on and the proof's nonce was missing or
 * stale. `headers` carry the nonce to use in `DPoP-Nonce`.
 * @example
 * if (err instanceof UseDpopNonceError) res.set(err.headers) // WWW-Authenticate and DPoP-Nonce
 */
export declare class UseDpopNonceError extends UnauthorizedError {
  constructor(message?: string, details?: { nonce?: string })
  code: 'use_dpop_nonce'
  /** The nonce the client must put in its next proof. */
  nonce?: string
  headers: { 'WWW-Authenticate': string, 'DPoP-Nonce'?: string }
}

/** A client of the development issuer's client credentials grant. */
export interface DevIssuerClient {
  clientId: string
  clientSecret: string
  /** Scopes the client may be granted, separated by single spaces. */
  scope: string
}

/** Options of {@link createDevIssuer}. */
export interface DevIssuerOptions {
  /** Address to listen on; must be loopback unless `allowNonLoopback`. Default `'127.0.0.1'`. */
  host?: string
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number
  /** Allow a non-loopback `host` (exposes a token mint to the network). Default false. */
  allowNonLoopback?: boolean
  /** The `aud` of issued tokens. Default `'https://api.example.test'`. */
  audience?: string
  /** The issuer's signing algorithm (no HMAC). Default `'RS256'`. */
  algorithm?: Exclude<Algorithm, 'HS256' | 'HS384' | 'HS512'>
  /** Registered clients. Default: `dev-client` with a random secret and scope `read:messages`. */
  clients?: DevIssuerClient[]
  /** Lifetime of issued tokens, in seconds. Default 3600. */
  tokenLifetime?: number
  /** The issuer's clock, in epoch milliseconds. Default `Date.now`. */
  now?: () => number
}

/** Options of {@link DevIssuer.sign}. */
export interface DevIssuerSignOptions {
  /** Sign with another algorithm (its key is generated and published on first use). */
  algorithm?: Exclude<Algorithm, 'HS256' | 'HS384' | 'HS512'>
  /** Header `kid`. Default: the signing key's. */
  kid?: string
  /** Header members merged over `{ alg, typ: 'at+jwt', kid }`; `undefined` removes one. */
  header?: Record<string, unknown>
  /** Seconds from `iat` to `exp`; negative gives an expired token. Default `tokenLifetime`. */
  expiresIn?: number
  /** `'unpublished'` signs with a fresh key that is not in the JWKS (a forgery). Default `'published'`. */
  key?: 'published' | 'unpublished'
}

/** A running local authorization server: discovery, JWKS and the client credentials grant. */
export interface DevIssuer {
  /** The issuer identifier, with a trailing slash as Auth0 has it: `http://127.0.0.1:PORT/`. */
  readonly issuer: string
  /** The issuer without the trailing slash: what `issuerBaseURL` takes. */
  readonly issuerBaseURL: string
  readonly jwksUri: string
  /** The client credentials grant; a request with a `DPoP` proof header gets a DPoP-bound token (`token_type: 'DPoP'`, `cnf.jkt`). */
  readonly tokenEndpoint: string
  readonly audience: string
  readonly algorithm: string
  readonly port: number
  /** A copy of the registered clients, secrets included. */
  readonly clients: DevIssuerClient[]
  /** Live request counts per endpoint. */
  readonly requests: { discovery: number, jwks: number, token: number }
  /** Mints an RFC 9068 access token; `claims` override the defaults, `undefined` removes one. */
  sign(claims?: JWTPayload, options?: DevIssuerSignOptions): string
  /** Replaces the signing key and returns the new kid; the old one stays published unless `keepPrevious` is false. */
  rotate(options?: { keepPrevious?: boolean }): string
  /** The public JWK Set being served. */
  jwks(): JSONWebKeySet
  /** Stops listening and closes open connections. */
  close(): Promise<void>
}

/**
 * Starts a local authorization server on loopback for development and tests.
 * @example
 * const issuer = await createDevIssuer()
 * const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks() })
 * const { payload } = await verifier.verify(issuer.sign({ scope: 'read:messages' }))
 */
export declare function createDevIssuer(options?: DevIssuerOptions): Promise<DevIssuer>

// ------------------------------------------------------------------------------------------------
// Express middleware: a drop-in for express-oauth2-jwt-bearer (lib/express.js, lib/claims.js)
// ------------------------------------------------------------------------------------------------

declare global {
  namespace Express {
    interface Request {
      /** Set by {@link auth} when the request carried a valid access token. */
      auth?: AuthResult
    }
  }
}

/** `req.auth`: express-oauth2-jwt-bearer's name for {@link VerifyResult}. */
export type AuthResult = VerifyResult

/** Express middleware, as `app.use()` and the route methods take it. */
export type Middleware = (req: any, res: any, next: (err?: any) => void) => void

/** A value {@link claimEquals} and {@link claimIncludes} compare claims with. */
export type JSONPrimitive = string | number | boolean | null

/**
 * A custom check of {@link AuthOptions.validators}: gets the value (of the header for `alg` and
 * `typ`, of the payload otherwise), the payload and the header; passes when it returns or resolves
 * to a truthy value. A thrown error's message becomes the `error_description`.
 */
export type FunctionValidator = (value: unknown, payload: JWTPayload, header: JWTHeader) => unknown

/** A string (the value must be `===` it), a {@link FunctionValidator}, or `false` (see {@link AuthOptions.validators}). */
export type Validator = FunctionValidator | string | false | undefined

/** `validators`: the names of express-oauth2-jwt-bearer's default checks, and any claim. */
export interface Validators {
  alg: Validator
  typ: Validator
  iss: Validator
  aud: Validator
  exp: Validator
  iat: Validator
  sub: Validator
  client_id: Validator
  jti: Validator
  [claim: string]: Validator
}

/** A public key: PEM (SPKI), one JWK, or a JWK Set. */
export type PublicKeyInput = string | JWK | JSONWebKeySet

/** One issuer of {@link MCDOptions}, verified with public keys: discovered from `issuer`, or at `jwksUri`, or `publicKey`. */
export interface AsymmetricIssuerConfig {
  /** The issuer URL; the token's `iss` picks this configuration when both normalise alike. */
  issuer: string
  /** The only algorithm accepted from this issuer. */
  alg?: string
  /** Where this issuer's JWK Set is (no discovery); not with `publicKey`. */
  jwksUri?: string
  /** This issuer's key (no fetching); not with `jwksUri`. */
  publicKey?: PublicKeyInput
}

/** One issuer of {@link MCDOptions}, verified with a shared secret. */
export interface SymmetricIssuerConfig {
  issuer: string
  /** `HS256`, `HS384` or `HS512`. */
  alg: string
  secret: HmacSecret
}

export type IssuerConfig = AsymmetricIssuerConfig | SymmetricIssuerConfig

/** What an {@link IssuerResolverFunction} gets: the request's absolute URL and its headers. */
export interface IssuerResolverContext {
  url: URL
  headers: Record<string, string | string[] | undefined>
}

/** The issuers a resolver allows for one request: URLs or configurations. */
export type IssuerResolverResult = string[] | IssuerConfig[]

/**
 * Called once per request that carries a token with an `iss`, before any key is fetched. Select
 * from an allow-list only: never build an issuer URL from the request. A thrown error refuses the
 * token (401, the error in `err.cause`).
 */
export type IssuerResolverFunction = (context: IssuerResolverContext) => Promise<IssuerResolverResult> | IssuerResolverResult

/** Multiple issuers, each with its own keys: a list, or a resolver per request. */
export interface MCDOptions {
  issuers: string | string[] | IssuerConfig[] | IssuerResolverFunction
}

/** express-oauth2-jwt-bearer's request context type (`{ url, headers }`). */
export interface RequestContext {
  url: string
  headers: Record<string, string | string[] | undefined>
}

/** express-oauth2-jwt-bearer's `cache` option: `maxEntries` of each part, and a `ttl` in ms. */
export interface CacheOptions {
  /** `ttl` is `discoveryMaxAge`; `maxEntries` bounds how many resolver-returned issuers keep a verifier. */
  discovery?: { maxEntries?: number, ttl?: number }
  /** `ttl` is `cacheMaxAge`; `maxEntries` bounds how many resolver-returned issuers keep a verifier. */
  jwks?: { maxEntries?: number, ttl?: number }
}

/**
 * Options of {@link auth}: express-oauth2-jwt-bearer's, plus every {@link VerifierOptions} option.
 * Undefined options are read from the environment when the middleware is built:
 * `ISSUER_BASE_URL`, `AUDIENCE`, `ISSUER`, `JWKS_URI`, `SECRET`, `TOKEN_SIGNING_ALG`.
 * Give `issuerBaseURL`, or `issuer` with `jwksUri`, `jwks`, `publicKey` or `secret`, or `mcd`.
 */
export interface AuthOptions extends Omit<VerifierOptions, 'issuer' | 'audience' | 'tokenSigningAlg'> {
  /** The authorization server; its issuer and keys are discovered (OIDC / RFC 8414 metadata). Env `ISSUER_BASE_URL`. */
  issuerBaseURL?: string
  /** Accepted `iss` value(s); overrides the discovered issuer. Env `ISSUER`. */
  issuer?: string | string[]
  /** Accepted audience(s). Required. Env `AUDIENCE` (one audience). */
  audience?: string | string[]
  /** URL of the JWK Set, instead of the discovered one. Env `JWKS_URI`. */
  jwksUri?: string
  /** The one algorithm accepted (a string, as the peer types it; an unsupported one throws at start-up). Env `TOKEN_SIGNING_ALG`. */
  tokenSigningAlg?: Algorithm | (string & {})
  /**
   * Several issuers, each with its own keys: the token's unverified `iss` picks one (normalised as
   * the peer does) before any key is fetched; an `iss` not allowed is refused without any request.
   * Not with `issuerBaseURL`, `issuer`, `jwksUri`, `secret`, `publicKey` or `jwks`.
   */
  mcd?: MCDOptions
  /** The peer's cache limits: `jwks.ttl` is `cacheMaxAge`, `maxEntries` bounds the `mcd` resolver's verifiers. */
  cache?: CacheOptions
  /** How long fetched metadata and keys are used, in milliseconds. Default 600000. */
  cacheMaxAge?: number
  /** Least time between two key fetches for an unknown `kid`, in milliseconds. Default 30000. */
  cooldownDuration?: number
  /** Timeout of each fetch, in milliseconds. Default 5000. */
  timeoutDuration?: number
  /**
   * `false` lets requests without a valid token through without `req.auth` (every failure calls
   * `next()` with no error). Default true.
   */
  authRequired?: boolean
  /**
   * Extra checks, run after the core verified the token, once per request. A string or a function
   * adds a check. `false` lifts a requirement of `strict` (`typ`, `iat`, `sub`, `client_id`,
   * `jti`) and is a no-op for other names; it cannot lift `alg`, `iss`, `aud` or `exp`, which the
   * core always checks (a TypeError at start-up says so). A refusal is 401 `Unexpected '<name>' value`.
   */
  validators?: Partial<Validators>
  /** DPoP-bound tokens (RFC 9449). Default `{ enabled: true, required: false }`, as express-oauth2-jwt-bearer. */
  dpop?: DPoPOptions
  /** Certificate-bound tokens (RFC 8705). Default `{ enabled: false }`; `getCertificate` turns it on. */
  mtls?: MtlsOptions
  /**
   * The client certificate of a request, for certificate-bound tokens behind a TLS-terminating
   * proxy (e.g. a header the proxy sets). Giving it turns `mtls` on unless `mtls.enabled` is set.
   * Default: the certificate of the request's own TLS connection. A throw counts as no certificate.
   */
  getCertificate?: GetCertificate
}

/**
 * DPoP options (RFC 9449): express-oauth2-jwt-bearer's, plus replay and nonce settings.
 *
 * - `{ enabled: true, required: false }` (default): Bearer and DPoP; a proof is checked whenever the
 *   DPoP scheme, a `DPoP` header or a DPoP-bound token (`cnf.jkt`) is seen, and a DPoP-bound token
 *   sent as a bearer token is refused.
 * - `{ enabled: true, required: true }`: the DPoP scheme only.
 * - `{ enabled: false }`: Bearer only; `DPoP` headers and `cnf.jkt` are ignored.
 * - `{ enabled: false, required: true }` throws at start-up.
 *
 * The proof's `htu` is compared with `req.protocol`, the Host (or, with Express's `trust proxy`,
 * the first `X-Forwarded-Host`) and `req.originalUrl`: behind a proxy, `app.set('trust proxy', …)`.
 * @example
 * app.use(auth({ issuerBaseURL, audience, dpop: { required: true, nonce: true } }))
 */
export interface DPoPOptions {
  /** Accept the DPoP scheme and check proofs. Default true. */
  enabled?: boolean
  /** Accept only the DPoP scheme. Default false; needs `enabled`. */
  required?: boolean
  /** How old a proof's `iat` may be, in seconds. Default 300. */
  iatOffset?: number
  /** How far in the future a proof's `iat` may be (clock skew), in seconds. Default 30. */
  iatLeeway?: number
  /**
   * How many proofs the replay cache remembers (about 100 bytes each) for `iatOffset` seconds: a
   * proof is accepted once. When full, the oldest entry goes first. Default 100000.
   */
  jtiCacheSize?: number
  /** Require a server-provided nonce in proofs (RFC 9449 §9): 401 `use_dpop_nonce` with `DPoP-Nonce`. Default false. */
  nonce?: boolean
  /** Seconds between nonce rotations; the current and the previous nonce are accepted. Default 300. */
  nonceRotation?: number
  /** The nonce key, at least 32 bytes; give every instance behind one load balancer the same. Default: random per process. */
  nonceSecret?: string
}

/**
 * mTLS options (RFC 8705 §3), as express-oauth2-jwt-bearer's: a token with `cnf["x5t#S256"]` is
 * accepted only with the client certificate whose DER has that base64url SHA-256.
 * @example
 * app.use(auth({ issuerBaseURL, audience, mtls: { enabled: true, required: true } }))
 */
export interface MtlsOptions {
  /** Check certificate-bound tokens. Default false, or true when `getCertificate` is given. */
  enabled?: boolean
  /** Refuse tokens that are not certificate-bound. Default false; needs `enabled`. */
  required?: boolean
}

/** A client certificate: PEM text (one certificate) or its DER bytes. */
export type ClientCertificate = string | Buffer | Uint8Array

/**
 * Reads the client certificate of a request; `undefined` when there is none.
 * @example
 * getCertificate: (req) => {
 *   const pem = req.headers['x-client-cert']
 *   return typeof pem === 'string' ? decodeURIComponent(pem) : undefined
 * }
 */
export type GetCertificate = (req: any) => ClientCertificate | undefined

/**
 * Middleware that requires a valid access token in the request (RFC 6750 §2: `Authorization:
 * Bearer`, a form-encoded body, or the `access_token` query parameter): sets `req.auth = { payload,
 * header, token }`, else calls `next(err)` with an {@link UnauthorizedError} (400, 401 or 403, with
 * `err.headers` to send). Misconfiguration throws a `TypeError` naming the option, at once.
 * @example
 * const { auth, requiredScopes } = require('bearer-rs')
 * const checkJwt = auth({ issuerBaseURL: 'https://tenant.example.com', audience: 'https://api.example.com' })
 * app.get('/api/private', checkJwt, (req, res) => res.json(req.auth.payload))
 */
export declare function auth(options: AuthOptions & { mcd: MCDOptions }): AuthMiddleware<IssuersStats>
export declare function auth(options?: AuthOptions): AuthMiddleware<VerifierStats>

/**
 * The same function as {@link auth}, under the name the Auth0 guides give it.
 * @example
 * app.get('/api/private', checkJwt({ audience, issuerBaseURL }), handler)
 */
export declare function checkJwt(options: AuthOptions & { mcd: MCDOptions }): AuthMiddleware<IssuersStats>
export declare function checkJwt(options?: AuthOptions): AuthMiddleware<VerifierStats>

/**
 * What {@link auth} returns: the middleware, with its verifier's health for a `/healthz` route.
 * @example
 * const checkJwt = auth({ issuerBaseURL, audience })
 * app.get('/healthz', async (req, res) => {
 *   try {
 *     await checkJwt.ready()
 *     res.json({ ok: true, keys: checkJwt.stats().jwks?.kids })
 *   } catch (err) {
 *     res.status(503).json({ ok: false, kind: err.kind })
 *   }
 * })
 */
export type AuthMiddleware<Stats> = Middleware & {
  /**
   * Resolves once the metadata and keys are loaded (at once for local keys; with `mcd`, those of
   * every issuer verifier built so far); rejects with the `keys_unavailable`
   * {@link InvalidTokenError}, whose `cause` says what failed.
   */
  ready(): Promise<void>
  /** What the verifier's remote metadata, keys and token cache have been doing. */
  stats(): Stats
}

/** `stats()` of an `mcd` middleware: one entry per issuer verifier built so far. */
export interface IssuersStats {
  issuers: Array<{ issuer: string } & VerifierStats>
}

/** Options of {@link requiredScopes} and {@link scopeIncludesAny}. */
export interface ScopeOptions {
  /**
   * The claims whose scopes are granted (their union): a string is split on spaces, an array taken
   * as is. Default `['scope', 'scp']` (Auth0 and RFC 9068; Okta). Add `'permissions'` for Auth0 RBAC.
   */
  claims?: string[]
}

/**
 * 403 `insufficient_scope` (naming `scopes` in the challenge) unless the token grants every scope.
 * @example
 * app.get('/api/private-scoped', checkJwt, requiredScopes('read:messages'), handler)
 */
export declare function requiredScopes(scopes: string | string[], options?: ScopeOptions): Middleware

/**
 * 403 `insufficient_scope` unless the token grants at least one of `scopes`.
 * @example
 * app.get('/api/messages', checkJwt, scopeIncludesAny(['read:messages', 'admin']), handler)
 */
export declare function scopeIncludesAny(scopes: string | string[], options?: ScopeOptions): Middleware

/**
 * 401 `invalid_token` unless claim `claim` is `=== expected`.
 * @example
 * app.get('/api/org', checkJwt, claimEquals('org_id', 'org_123'), handler)
 */
export declare function claimEquals(claim: string, expected: JSONPrimitive): Middleware

/**
 * 401 `invalid_token` unless claim `claim` (an array, or a space-separated string) includes every value.
 * @example
 * app.post('/api/articles', checkJwt, claimIncludes('roles', 'editor'), handler)
 */
export declare function claimIncludes(claim: string, ...expected: JSONPrimitive[]): Middleware

/**
 * 401 `invalid_token` with `description` (default `Invalid Token`) unless `fn(payload)` returns,
 * or resolves to, a truthy value. An error `fn` throws is passed to `next` as it is.
 * @example
 * app.delete('/api/items/:id', checkJwt, claimCheck((claims) => claims.admin === true, 'Admins only'), handler)
 */
export declare function claimCheck(fn: (payload: JWTPayload) => unknown, description?: string): Middleware
