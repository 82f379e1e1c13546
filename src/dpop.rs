//! DPoP proof checks (RFC 9449 §4.3 and §7), on one screen: one proof → a JWS that verifies with
//! its own public `jwk` ([`proof`]) → `iat` window → `htm` → `htu` → `jti` → `ath` → the access
//! token's `cnf.jkt` → `nonce` → replay.
//!
//! The access token itself is verified before (by [`crate::verify`]); this module gets its text
//! and its `cnf.jkt`. Time is an argument. The replay cache remembers each accepted proof's `jti`
//! (under its key's thumbprint) until the proof's `iat` leaves the window, in a bounded map.

pub mod htu;
pub mod nonce;
pub mod proof;

use std::sync::{Mutex, PoisonError};

use aws_lc_rs::digest::{SHA256, digest};
use jsonwebtoken::Algorithm;

use crate::config::OptionError;
use crate::error::Error;
use crate::expiring::{Expiring, Inserted};
use crate::json::Value;
use crate::signature;
use nonce::{Freshness, Nonces};
use proof::{Claims, Proof, sha256_b64};
pub use proof::thumbprint;
pub use crate::error::DpopReason;

/// Longest proof accepted, in bytes; longer ones are not decoded.
pub const MAX_PROOF_LENGTH: usize = 8192;
/// Default `iatOffset`: how old a proof may be, in seconds (as express-oauth2-jwt-bearer).
pub const DEFAULT_IAT_OFFSET: f64 = 300.0;
/// Default `iatLeeway`: how far in the future a proof's `iat` may be, in seconds (as the peer).
pub const DEFAULT_IAT_LEEWAY: f64 = 30.0;
/// Default `jtiCacheSize`: how many proofs the replay cache remembers.
pub const DEFAULT_JTI_CACHE_SIZE: usize = 100_000;
/// Largest `jtiCacheSize` accepted.
pub const MAX_JTI_CACHE_SIZE: usize = 10_000_000;
/// Default `nonceRotation`, in seconds.
pub const DEFAULT_NONCE_ROTATION: i64 = 300;
/// Longest `nonceRotation` accepted, in seconds: a day.
pub const MAX_NONCE_ROTATION: i64 = 86_400;
/// Shortest `nonceSecret` accepted, in bytes (the HMAC-SHA256 output length, RFC 2104 §3).
pub const MIN_NONCE_SECRET: usize = 32;

/// The algorithms a proof may be signed with: every supported asymmetric one (RFC 9449 §4.2).
pub const ALGORITHMS: [Algorithm; 9] = signature::ASYMMETRIC;

/// DPoP options before validation, as the JS API names them under `dpop`.
#[derive(Debug, Clone, Default)]
pub struct DpopOptions {
    /// `iatOffset`: seconds a proof's `iat` may lie in the past (default 300).
    pub iat_offset: Option<f64>,
    /// `iatLeeway`: seconds a proof's `iat` may lie in the future (default 30).
    pub iat_leeway: Option<f64>,
    /// `jtiCacheSize`: proofs the replay cache remembers (default 100000).
    pub jti_cache_size: Option<f64>,
    /// `nonce`: require server-provided nonces (default false).
    pub nonce: bool,
    /// `nonceRotation`: seconds between nonce rotations (default 300).
    pub nonce_rotation: Option<f64>,
    /// `nonceSecret`: the nonce key shared by instances (default: random per process).
    pub nonce_secret: Option<String>,
}

/// What a request brings to the proof checks.
#[derive(Debug, Clone, Copy)]
pub struct ProofRequest<'a> {
    /// The `DPoP` header value.
    pub proof: &'a str,
    /// The HTTP method, as received.
    pub method: &'a str,
    /// The request's absolute URL (query and fragment are ignored).
    pub url: &'a str,
    /// The access token, already verified.
    pub access_token: &'a str,
    /// The access token's `cnf.jkt`.
    pub jkt: &'a str,
}

/// An accepted proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// A newer nonce to send in `DPoP-Nonce`: the proof used the previous one.
    pub nonce: Option<String>,
}

/// Checks DPoP proofs against one configuration; holds the replay cache and the nonce key.
pub struct Dpop {
    iat_offset: f64,
    iat_leeway: f64,
    replay: Mutex<Expiring<[u8; 16], ()>>,
    nonces: Option<Nonces>,
}

impl Dpop {
    /// Validates `options`; misuse names the option.
    pub fn new(options: DpopOptions) -> Result<Dpop, OptionError> {
        let seconds = |option, value: Option<f64>, default| match value {
            None => Ok(default),
            Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
            Some(_) => Err(OptionError { option, reason: "must be a non-negative number of seconds".into() }),
        };
        let iat_offset = seconds("dpop.iatOffset", options.iat_offset, DEFAULT_IAT_OFFSET)?;
        let iat_leeway = seconds("dpop.iatLeeway", options.iat_leeway, DEFAULT_IAT_LEEWAY)?;
        let capacity = whole("dpop.jtiCacheSize", options.jti_cache_size, DEFAULT_JTI_CACHE_SIZE as i64, MAX_JTI_CACHE_SIZE as i64)?;
        let rotation = whole("dpop.nonceRotation", options.nonce_rotation, DEFAULT_NONCE_ROTATION, MAX_NONCE_ROTATION)?;
        let secret = options.nonce_secret.as_deref().map(str::as_bytes);
        if secret.is_some_and(|s| s.len() < MIN_NONCE_SECRET) {
            let reason = format!("must be at least {MIN_NONCE_SECRET} bytes");
            return Err(OptionError { option: "dpop.nonceSecret", reason });
        }
        let nonces = match options.nonce {
            false => None,
            true => Some(Nonces::new(secret, rotation).ok_or_else(|| OptionError {
                option: "dpop.nonce",
                reason: "needs a random key, and the system random generator failed".into(),
            })?),
        };
        let replay = Mutex::new(Expiring::new(capacity as usize));
        Ok(Dpop { iat_offset, iat_leeway, replay, nonces })
    }

    /// The nonce to hand out at `now` (epoch seconds), when nonces are required.
    pub fn nonce(&self, now: i64) -> Option<String> {
        self.nonces.as_ref().map(|n| n.current(now))
    }

    /// Checks `request`'s proof at `now` (epoch seconds); an accepted proof's `jti` is remembered.
    pub fn check(&self, request: &ProofRequest<'_>, now: i64) -> Result<Accepted, Error> {
        self.pass(request, now).map_err(|reason| Error::DpopInvalid { reason })
    }

    fn pass(&self, request: &ProofRequest<'_>, now: i64) -> Result<Accepted, DpopReason> {
        if request.proof.contains(',') {
            return Err(DpopReason::Multiple);
        }
        let proof = Proof::decode(request.proof)?;
        let claims = Claims::parse(&proof.payload_json)?;
        let iat = claims.times(now)?;
        if iat < now as f64 - self.iat_offset || iat > now as f64 + self.iat_leeway {
            return Err(DpopReason::IatOutOfRange);
        }
        if claims.string("htm")? != request.method {
            return Err(DpopReason::HtmMismatch);
        }
        let htu = htu::normalize(claims.string("htu")?).map_err(|e| match e {
            htu::HtuError::Invalid => DpopReason::HtuInvalid,
            htu::HtuError::Host => DpopReason::HtuHost,
        })?;
        if htu::normalize(request.url).ok() != Some(htu) {
            return Err(DpopReason::HtuMismatch);
        }
        let jti = claims.string("jti")?;
        if claims.string("ath")? != sha256_b64(request.access_token.as_bytes()) {
            return Err(DpopReason::AthMismatch);
        }
        if proof.thumbprint != request.jkt {
            return Err(DpopReason::KeyMismatch);
        }
        let accepted = self.check_nonce(&claims, now)?;
        let key = replay_key(&proof.thumbprint, jti);
        let deadline = (iat + self.iat_offset).floor() as i64 + 1;
        match self.replay.lock().unwrap_or_else(PoisonError::into_inner).insert_new(key, (), deadline, now) {
            Inserted::New => Ok(accepted),
            Inserted::Present => Err(DpopReason::Replayed),
        }
    }

    fn check_nonce(&self, claims: &Claims<'_>, now: i64) -> Result<Accepted, DpopReason> {
        let Some(nonces) = &self.nonces else { return Ok(Accepted { nonce: None }) };
        let nonce = match claims.get("nonce") {
            None => return Err(DpopReason::NonceMissing),
            Some(Value::String(nonce)) => nonce,
            Some(_) => return Err(DpopReason::NonceInvalid),
        };
        match nonces.check(nonce, now) {
            Freshness::Current => Ok(Accepted { nonce: None }),
            Freshness::Previous => Ok(Accepted { nonce: Some(nonces.current(now)) }),
            Freshness::Invalid => Err(DpopReason::NonceInvalid),
        }
    }
}

/// A whole number option within `1..=max`.
fn whole(option: &'static str, value: Option<f64>, default: i64, max: i64) -> Result<i64, OptionError> {
    match value {
        None => Ok(default),
        Some(v) if v.fract() == 0.0 && v >= 1.0 && v <= max as f64 => Ok(v as i64),
        Some(_) => Err(OptionError { option, reason: format!("must be a whole number from 1 to {max}") }),
    }
}

/// The replay cache key: a proof's `jti` in the context of its key (128 bits of SHA-256).
fn replay_key(thumbprint: &str, jti: &str) -> [u8; 16] {
    let hash = digest(&SHA256, &[thumbprint.as_bytes(), b"\0", jti.as_bytes()].concat());
    let mut key = [0u8; 16];
    key.copy_from_slice(&hash.as_ref()[..16]);
    key
}

/// The names of [`ALGORITHMS`], for the `algs` of a `DPoP` challenge.
pub fn algorithm_names() -> Vec<&'static str> {
    ALGORITHMS.iter().map(|alg| signature::name(*alg)).collect()
}
