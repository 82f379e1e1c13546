//! The options object of `new NativeVerifier(options)`, converted once into the core's [`Options`].

use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::Options;

/// Options as `lib/verifier.js` passes them: already normalised to lists, key material as text.
#[napi(object)]
pub struct NativeOptions {
    /// Accepted issuers.
    pub issuer: Vec<String>,
    /// Accepted audiences.
    pub audience: Vec<String>,
    /// Allowed algorithms (absent: the default for the key material; empty is refused).
    pub algorithms: Option<Vec<String>>,
    /// HMAC secret, as bytes (`lib/verifier.js` turns strings and KeyObjects into a Buffer).
    pub secret: Option<Buffer>,
    /// JWK Set as JSON text.
    pub jwks: Option<String>,
    /// PEM, or a JWK / JWK Set as JSON text.
    pub public_key: Option<String>,
    /// Seconds.
    pub clock_tolerance: Option<f64>,
    /// Seconds.
    pub max_token_age: Option<f64>,
    /// RFC 9068 strict mode.
    pub strict: Option<bool>,
    /// Bytes.
    pub max_token_length: Option<f64>,
    /// Claims that must be present.
    pub required_claims: Vec<String>,
    /// JWK Set URL.
    pub jwks_uri: Option<String>,
    /// Authorization server URL (discovery).
    #[napi(js_name = "issuerBaseURL")]
    pub issuer_base_url: Option<String>,
    /// Milliseconds.
    pub cache_max_age: Option<f64>,
    /// Milliseconds (default: `cacheMaxAge`).
    pub discovery_max_age: Option<f64>,
    /// Milliseconds.
    pub cooldown_duration: Option<f64>,
    /// Milliseconds.
    pub timeout_duration: Option<f64>,
    /// Milliseconds.
    pub stale_max_age: Option<f64>,
    /// Bytes.
    pub max_response_size: Option<f64>,
    /// Most keys kept from one JWK Set.
    pub max_keys: Option<f64>,
    /// Allow http: to non-loopback hosts.
    pub allow_insecure_http: Option<bool>,
    /// Extra request headers.
    pub headers: Option<HashMap<String, String>>,
    /// Identifies the `http.Agent` of the `fetch` function given to the constructor.
    pub agent_id: Option<u32>,
}

impl From<NativeOptions> for Options {
    fn from(o: NativeOptions) -> Options {
        Options {
            issuer: o.issuer,
            audience: o.audience,
            algorithms: o.algorithms,
            secret: o.secret.map(|secret| secret.to_vec()),
            jwks: o.jwks,
            public_key: o.public_key,
            clock_tolerance: o.clock_tolerance,
            max_token_age: o.max_token_age,
            strict: o.strict,
            max_token_length: o.max_token_length,
            required_claims: o.required_claims,
            jwks_uri: o.jwks_uri,
            issuer_base_url: o.issuer_base_url,
            cache_max_age: o.cache_max_age,
            discovery_max_age: o.discovery_max_age,
            cooldown_duration: o.cooldown_duration,
            timeout_duration: o.timeout_duration,
            stale_max_age: o.stale_max_age,
            max_response_size: o.max_response_size,
            max_keys: o.max_keys,
            allow_insecure_http: o.allow_insecure_http,
            headers: o.headers.map(|h| h.into_iter().collect()).unwrap_or_default(),
            transport: None,
        }
    }
}
