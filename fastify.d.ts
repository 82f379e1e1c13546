import type { FastifyPluginCallback, onRequestHookHandler } from 'fastify'
import type { AuthOptions, JWTPayload, ScopeOptions, VerifierStats, VerifyResult } from './index'

declare module 'fastify' {
  interface FastifyInstance {
    /** The access-token check, a callback hook: `{ onRequest: app.authenticate }`. */
    authenticate: onRequestHookHandler
    /** 403 `insufficient_scope` unless the token grants every scope. */
    requiredScopes(scopes: string | string[], options?: ScopeOptions): onRequestHookHandler
    /** 403 `insufficient_scope` unless the token grants at least one scope. */
    scopeIncludesAny(scopes: string | string[], options?: ScopeOptions): onRequestHookHandler
    /** 401 `invalid_token` unless claim `claim` is `=== expected`. */
    claimEquals(claim: string, expected: string | number | boolean | null): onRequestHookHandler
    /** 401 `invalid_token` unless claim `claim` includes every value. */
    claimIncludes(claim: string, ...expected: Array<string | number | boolean | null>): onRequestHookHandler
    /** 401 `invalid_token` with `description` unless `fn(payload)` is truthy (a Promise is awaited). */
    claimCheck(fn: (payload: JWTPayload) => unknown, description?: string): onRequestHookHandler
    /** Health checks: the verifier's `ready()` and `stats()`. */
    bearer: { ready(): Promise<void>, stats(): VerifierStats | { issuers: Array<{ issuer: string } & VerifierStats> } }
  }
  interface FastifyRequest {
    /** `{ payload, header, token }` once `authenticate` accepted the token, else null. */
    auth: VerifyResult | null
  }
}

declare namespace bearerRs {
  /** `auth()`'s options, plus fastify-auth0-verify's names and the plugin's own. */
  export interface FastifyBearerOptions extends Omit<AuthOptions, 'audience'> {
    /** `string | string[]`, or `true` with `domain`: the domain's URL. */
    audience?: AuthOptions['audience'] | true
    /** fastify-auth0-verify: a host name or URL, used as `issuerBaseURL` (https:// added without a scheme). */
    domain?: string
    /** fastify-auth0-verify: milliseconds the keys are cached, as `cacheMaxAge`. */
    secretsTtl?: number | string
    /** What `request.user` is: default the payload. */
    formatUser?: (payload: JWTPayload) => unknown
    /** Every route of the scope requires a token (an `onRequest` hook). Default false. */
    global?: boolean
  }
  export const bearerRs: FastifyPluginCallback<FastifyBearerOptions>
  export { bearerRs as default }
}

/**
 * The bearer-rs Fastify plugin (Fastify 4 and 5).
 * @example
 * await app.register(bearerRs, { issuerBaseURL: 'https://YOUR_DOMAIN/', audience: 'https://api.example.com' })
 * app.get('/api/private', { onRequest: app.authenticate }, async (request) => request.auth?.payload)
 */
declare function bearerRs(...params: Parameters<FastifyPluginCallback<bearerRs.FastifyBearerOptions>>): void
export = bearerRs
