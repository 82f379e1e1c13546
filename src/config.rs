//! Options, as the JS API names them, turned into a validated [`Config`]: defaults, units, limits
//! and key material, decided once. Misuse fails here, naming the option; tokens fail later.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::Algorithm;

use crate::claims::Rules;
use crate::keys::KeySet;
use crate::signature::{self, SUPPORTED};

/// Default for `clockTolerance`, in seconds (as express-oauth2-jwt-bearer).
pub const DEFAULT_CLOCK_TOLERANCE: f64 = 5.0;
/// Default for `maxTokenLength`, in bytes.
pub const DEFAULT_MAX_TOKEN_LENGTH: usize = 16 * 1024;
/// Longest `maxTokenLength` accepted, in bytes.
pub const MAX_TOKEN_LENGTH_LIMIT: usize = 1024 * 1024;
/// How many usable keys an inline JWK Set may hold.
pub const MAX_INLINE_KEYS: usize = 100;

/// Verifier options before validation. Lists are empty and scalars `None` when not given.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Accepted `iss` values. Required.
    pub issuer: Vec<String>,
    /// Accepted audiences. Required.
    pub audience: Vec<String>,
    /// Allowed `alg` values; by default every asymmetric algorithm the key material fits.
    pub algorithms: Vec<String>,
    /// HMAC secret (its UTF-8 bytes are the key).
    pub secret: Option<String>,
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
    /// What the claims must satisfy.
    pub rules: Rules,
    /// The allowed algorithms.
    pub algorithms: Arc<[Algorithm]>,
    /// Longest token accepted, in bytes.
    pub max_token_length: usize,
    /// The keys tokens are verified with.
    pub keys: KeySet,
}

impl Config {
    /// Validates `options`.
    pub fn new(options: Options) -> Result<Config, OptionError> {
        let algorithms = algorithms(&options.algorithms, options.secret.is_some())?;
        let keys = key_set(&options, &algorithms)?;
        let issuers = non_empty("issuer", options.issuer, "is required: tokens from any issuer would be accepted")?;
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
            keys,
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

fn algorithms(names: &[String], symmetric_key: bool) -> Result<Vec<Algorithm>, OptionError> {
    if names.is_empty() {
        if symmetric_key {
            return Err(OptionError::new(
                "algorithms",
                "is required with 'secret': pin the HMAC algorithm, e.g. ['HS256'] (or set 'tokenSigningAlg')",
            ));
        }
        return Ok(SUPPORTED.into_iter().filter(|a| !signature::is_symmetric(*a)).collect());
    }
    let mut algs = Vec::with_capacity(names.len());
    for name in names {
        let alg = signature::parse(name).ok_or_else(|| {
            OptionError::new("algorithms", format!("contains unsupported algorithm {name:?}; supported: {}", supported_list()))
        })?;
        if signature::is_symmetric(alg) != symmetric_key {
            let need = if symmetric_key { "'secret' verifies only HS256/384/512" } else { "HS256/384/512 need 'secret'" };
            return Err(OptionError::new("algorithms", format!("contains {name}, but {need}")));
        }
        algs.push(alg);
    }
    Ok(algs)
}

fn supported_list() -> String {
    SUPPORTED.iter().map(|a| signature::name(*a)).collect::<Vec<_>>().join(", ")
}

fn key_set(options: &Options, algorithms: &[Algorithm]) -> Result<KeySet, OptionError> {
    let given = [options.secret.is_some(), options.jwks.is_some(), options.public_key.is_some()];
    match given.iter().filter(|g| **g).count() {
        0 => return Err(OptionError::new("secret", "or 'jwks', 'publicKey', 'jwksUri' or 'issuerBaseURL' is required: no key to verify with")),
        1 => {}
        _ => return Err(OptionError::new("secret", "and 'jwks' and 'publicKey' are mutually exclusive: give one")),
    }
    if let Some(secret) = &options.secret {
        return KeySet::from_secret(secret.as_bytes(), algorithms).map_err(|e| OptionError::new("secret", e.to_string()));
    }
    if let Some(jwks) = &options.jwks {
        return KeySet::from_jwks(jwks.as_bytes(), algorithms, MAX_INLINE_KEYS)
            .map_err(|e| OptionError::new("jwks", e.to_string()));
    }
    let public_key = options.public_key.as_deref().unwrap_or_default();
    let imported = if !public_key.trim_start().starts_with('{') {
        KeySet::from_pem(public_key, algorithms)
    } else if public_key.contains("\"keys\"") {
        KeySet::from_jwks(public_key.as_bytes(), algorithms, MAX_INLINE_KEYS)
    } else {
        KeySet::from_jwk(public_key.as_bytes(), algorithms)
    };
    imported.map_err(|e| OptionError::new("publicKey", e.to_string()))
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
