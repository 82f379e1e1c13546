//! Options, as the JS API names them, turned into a validated [`Config`]: defaults, units, limits
//! and key material, decided once. Misuse fails here, naming the option; tokens fail later.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use reqwest::Url;

use crate::claims::Rules;
use crate::fetch::{self, CustomTransport, FetchPolicy};
use crate::keys::KeySet;
use crate::refresh::Timing;

mod key_options;
use key_options::{algorithms, local_keys, require_alg_for_single_key};

/// Default for `clockTolerance`, in seconds (as express-oauth2-jwt-bearer).
pub const DEFAULT_CLOCK_TOLERANCE: f64 = 5.0;
/// Default for `maxTokenLength`, in bytes.
pub const DEFAULT_MAX_TOKEN_LENGTH: usize = 16 * 1024;
/// Longest `maxTokenLength` accepted, in bytes.
pub const MAX_TOKEN_LENGTH_LIMIT: usize = 1024 * 1024;
/// How many usable keys a JWK Set may hold, inline or remote, by default.
pub const DEFAULT_MAX_KEYS: usize = 100;
/// Default for `cacheMaxAge`, in ms (as express-oauth2-jwt-bearer).
pub const DEFAULT_CACHE_MAX_AGE_MS: f64 = 600_000.0;
/// Default for `cooldownDuration`, in ms (as express-oauth2-jwt-bearer).
pub const DEFAULT_COOLDOWN_MS: f64 = 30_000.0;
/// Default for `timeoutDuration`, in ms (as express-oauth2-jwt-bearer).
pub const DEFAULT_TIMEOUT_MS: f64 = 5_000.0;
/// Default for `staleMaxAge`, in ms: a day.
pub const DEFAULT_STALE_MAX_AGE_MS: f64 = 86_400_000.0;
/// Default for `maxResponseSize`, in bytes.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 512 * 1024;

/// Verifier options before validation. Lists are empty and scalars `None` when not given.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Accepted `iss` values. Required.
    pub issuer: Vec<String>,
    /// Accepted audiences. Required.
    pub audience: Vec<String>,
    /// Allowed `alg` values. `None`: every asymmetric algorithm the keys fit, which only a JWK
    /// Set, a JWK with its own `alg`, or remote keys may leave open; an empty list is refused.
    pub algorithms: Option<Vec<String>>,
    /// HMAC secret, as bytes.
    pub secret: Option<Vec<u8>>,
    /// A JWK Set, as JSON text.
    pub jwks: Option<String>,
    /// A PEM public key, or one JWK or a JWK Set as JSON text.
    pub public_key: Option<String>,
    /// Clock skew allowed on time checks, in seconds (default 5).
    pub clock_tolerance: Option<f64>,
    /// Maximum age of a token since its `iat`, in seconds.
    pub max_token_age: Option<f64>,
    /// RFC 9068 strict mode (default false).
    pub strict: Option<bool>,
    /// Longest token accepted, in bytes (default 16 KiB).
    pub max_token_length: Option<f64>,
    /// Claims that must be present.
    pub required_claims: Vec<String>,
    /// Where to fetch the JWK Set.
    pub jwks_uri: Option<String>,
    /// The authorization server, whose metadata gives the issuer and the JWK Set URI.
    pub issuer_base_url: Option<String>,
    /// Keys older than this are refreshed, in ms (default 10 minutes).
    pub cache_max_age: Option<f64>,
    /// Discovered metadata older than this is refreshed, in ms (default `cache_max_age`).
    pub discovery_max_age: Option<f64>,
    /// Least time between fetches, in ms (default 30 s).
    pub cooldown_duration: Option<f64>,
    /// Time allowed for one request, in ms (default 5 s).
    pub timeout_duration: Option<f64>,
    /// How long keys keep verifying while refreshes fail, in ms (default 24 h).
    pub stale_max_age: Option<f64>,
    /// Largest discovery or JWK Set response, in bytes (default 512 KiB).
    pub max_response_size: Option<f64>,
    /// Most usable keys kept from one JWK Set (default 100).
    pub max_keys: Option<f64>,
    /// Allow `http:` key URLs to hosts other than loopback (default false).
    pub allow_insecure_http: Option<bool>,
    /// Extra request headers for discovery and JWK Set requests.
    pub headers: Vec<(String, String)>,
    /// Who makes those requests, when not the built-in client (Node's `http.Agent`).
    pub transport: Option<CustomTransport>,
}

/// A misuse of one option, found when the verifier is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The option's JS name.
    pub option: &'static str,
    /// What is wrong with it, phrased to follow the option's name.
    pub reason: String,
}

impl OptionError {
    fn new(option: &'static str, reason: impl Into<String>) -> Self {
        OptionError { option, reason: reason.into() }
    }
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' {}", self.option, self.reason)
    }
}

impl std::error::Error for OptionError {}

/// Everything a verifier needs, validated.
pub struct Config {
    /// What the claims must satisfy; `issuers` is empty when discovery will name the issuer.
    pub rules: Rules,
    /// The allowed algorithms.
    pub algorithms: Arc<[Algorithm]>,
    /// Longest token accepted, in bytes.
    pub max_token_length: usize,
    /// Keys given as options; `None` when they are fetched.
    pub local_keys: Option<KeySet>,
    /// How to reach the authorization server, when anything is fetched.
    pub remote: Option<Remote>,
}

/// Where and how remote metadata and keys are fetched.
#[derive(Debug, Clone)]
pub struct Remote {
    /// The JWK Set URI, when given rather than discovered.
    pub jwks_uri: Option<Url>,
    /// The authorization server, when its metadata is needed.
    pub issuer_base_url: Option<Url>,
    /// How each request is made.
    pub fetch: FetchPolicy,
    /// When keys are refreshed.
    pub timing: Timing,
    /// When the metadata is refreshed: `timing` with the metadata's own `max_age`.
    pub discovery_timing: Timing,
    /// Most usable keys kept from one JWK Set.
    pub max_keys: usize,
}

impl Config {
    /// Validates `options`.
    pub fn new(options: Options) -> Result<Config, OptionError> {
        let algorithms = algorithms(&options)?;
        let local_keys = local_keys(&options, &algorithms)?;
        if options.algorithms.is_none() {
            require_alg_for_single_key(options.public_key.as_deref())?;
        }
        let remote = remote(&options, local_keys.is_some())?;
        let discovered_issuer = remote.as_ref().is_some_and(|r| r.issuer_base_url.is_some());
        let issuers = if discovered_issuer && options.issuer.is_empty() {
            Vec::new()
        } else {
            non_empty("issuer", options.issuer, "is required (or 'issuerBaseURL'): tokens from any issuer would be accepted")?
        };
        let audiences = non_empty("audience", options.audience, "is required to validate the 'aud' claim")?;
        let rules = Rules {
            issuers,
            audiences,
            clock_tolerance: seconds("clockTolerance", options.clock_tolerance)?
                .unwrap_or(DEFAULT_CLOCK_TOLERANCE),
            max_token_age: seconds("maxTokenAge", options.max_token_age)?,
            strict: options.strict.unwrap_or(false),
            required: options.required_claims,
        };
        if rules.required.iter().any(String::is_empty) {
            return Err(OptionError::new("requiredClaims", "must not contain an empty claim name"));
        }
        Ok(Config {
            rules,
            algorithms: algorithms.into(),
            max_token_length: max_token_length(options.max_token_length)?,
            local_keys,
            remote,
        })
    }
}

fn non_empty(option: &'static str, values: Vec<String>, missing: &str) -> Result<Vec<String>, OptionError> {
    if values.is_empty() {
        return Err(OptionError::new(option, missing));
    }
    if values.iter().any(String::is_empty) {
        return Err(OptionError::new(option, "must not be an empty string"));
    }
    Ok(values)
}

fn remote(options: &Options, has_local_keys: bool) -> Result<Option<Remote>, OptionError> {
    let insecure = options.allow_insecure_http.unwrap_or(false);
    let url = |option: &'static str, value: &Option<String>| {
        value.as_deref().map(|v| fetch::check_url(v, insecure).map_err(|e| OptionError::new(option, e.to_string()))).transpose()
    };
    let jwks_uri = url("jwksUri", &options.jwks_uri)?;
    let issuer_base_url = url("issuerBaseURL", &options.issuer_base_url)?;
    if has_local_keys && jwks_uri.is_some() {
        return Err(OptionError::new("jwksUri", "cannot be combined with 'secret', 'jwks' or 'publicKey'"));
    }
    if has_local_keys && issuer_base_url.is_some() && options.secret.is_none() {
        return Err(OptionError::new("issuerBaseURL", "cannot be combined with 'jwks' or 'publicKey'"));
    }
    if !has_local_keys && jwks_uri.is_none() && issuer_base_url.is_none() {
        return Err(OptionError::new("issuerBaseURL", "or 'jwksUri', 'secret', 'jwks' or 'publicKey' is required: no key to verify with"));
    }
    if jwks_uri.is_none() && issuer_base_url.is_none() {
        return Ok(None);
    }
    let ms = |option: &'static str, value: Option<f64>, default: f64| milliseconds(option, value.unwrap_or(default));
    let timing = Timing {
        max_age: ms("cacheMaxAge", options.cache_max_age, DEFAULT_CACHE_MAX_AGE_MS)?,
        cooldown: ms("cooldownDuration", options.cooldown_duration, DEFAULT_COOLDOWN_MS)?,
        stale_max_age: ms("staleMaxAge", options.stale_max_age, DEFAULT_STALE_MAX_AGE_MS)?,
    };
    let discovery_max_age = match options.discovery_max_age {
        Some(value) => milliseconds("discoveryMaxAge", value)?,
        None => timing.max_age,
    };
    let discovery_timing = Timing { max_age: discovery_max_age, ..timing };
    let timeout = ms("timeoutDuration", options.timeout_duration, DEFAULT_TIMEOUT_MS)?;
    if timeout.is_zero() {
        return Err(OptionError::new("timeoutDuration", "must be more than 0 ms"));
    }
    for (name, value) in &options.headers {
        let valid = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
            && reqwest::header::HeaderValue::from_str(value).is_ok();
        if !valid {
            return Err(OptionError::new("headers", format!("has an invalid header: {name:?}")));
        }
    }
    let fetch = FetchPolicy {
        timeout,
        max_bytes: count("maxResponseSize", options.max_response_size, DEFAULT_MAX_RESPONSE_SIZE)?,
        allow_insecure_http: insecure,
        headers: options.headers.clone(),
        transport: options.transport.clone(),
    };
    let max_keys = count("maxKeys", options.max_keys, DEFAULT_MAX_KEYS)?;
    Ok(Some(Remote { jwks_uri, issuer_base_url, fetch, timing, discovery_timing, max_keys }))
}

fn milliseconds(option: &'static str, value: f64) -> Result<Duration, OptionError> {
    if !(0.0..=1e12).contains(&value) {
        return Err(OptionError::new(option, "must be a finite, non-negative number of milliseconds"));
    }
    Ok(Duration::from_millis(value as u64))
}

fn count(option: &'static str, value: Option<f64>, default: usize) -> Result<usize, OptionError> {
    let Some(v) = value else { return Ok(default) };
    if v.fract() != 0.0 || !(1.0..=1e9).contains(&v) {
        return Err(OptionError::new(option, "must be a whole number, at least 1"));
    }
    Ok(v as usize)
}

fn seconds(option: &'static str, value: Option<f64>) -> Result<Option<f64>, OptionError> {
    match value {
        Some(v) if !v.is_finite() || v < 0.0 => {
            Err(OptionError::new(option, "must be a finite, non-negative number of seconds"))
        }
        other => Ok(other),
    }
}

fn max_token_length(value: Option<f64>) -> Result<usize, OptionError> {
    let Some(v) = value else { return Ok(DEFAULT_MAX_TOKEN_LENGTH) };
    if v.fract() != 0.0 || v < 1.0 || v > MAX_TOKEN_LENGTH_LIMIT as f64 {
        return Err(OptionError::new(
            "maxTokenLength",
            format!("must be a whole number of bytes from 1 to {MAX_TOKEN_LENGTH_LIMIT}"),
        ));
    }
    Ok(v as usize)
}
