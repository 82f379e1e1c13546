//! `NativeDpop`, the DPoP proof checker behind `lib/dpop.js`.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::verifier::{epoch_seconds, failure};
use crate::error::Error;

/// DPoP options as `lib/dpop.js` passes them (checked there with the peer's messages, and again here).
#[napi(object)]
pub struct NativeDpopOptions {
    /// Seconds a proof's `iat` may lie in the past.
    pub iat_offset: Option<f64>,
    /// Seconds a proof's `iat` may lie in the future.
    pub iat_leeway: Option<f64>,
    /// Proofs the replay cache remembers.
    pub jti_cache_size: Option<f64>,
    /// Require server-provided nonces.
    pub nonce: Option<bool>,
    /// Seconds between nonce rotations.
    pub nonce_rotation: Option<f64>,
    /// The nonce key shared by instances.
    pub nonce_secret: Option<String>,
}

/// The DPoP proof checker behind `lib/dpop.js`, holding its replay cache and nonce key.
#[napi(js_name = "NativeDpop")]
pub struct NativeDpop {
    inner: crate::dpop::Dpop,
}

#[napi]
impl NativeDpop {
    /// Builds the checker; misuse throws with status `InvalidArg` and a message naming the option.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: NativeDpopOptions) -> Result<Self> {
        let options = crate::dpop::DpopOptions {
            iat_offset: options.iat_offset,
            iat_leeway: options.iat_leeway,
            jti_cache_size: options.jti_cache_size,
            nonce: options.nonce.unwrap_or(false),
            nonce_rotation: options.nonce_rotation,
            nonce_secret: options.nonce_secret,
        };
        let inner = crate::dpop::Dpop::new(options).map_err(|e| napi::Error::new(Status::InvalidArg, e.to_string()))?;
        Ok(NativeDpop { inner })
    }

    /// Checks the proof of a request whose access token verified, on the calling thread; `now_ms`
    /// is epoch milliseconds. Returns `{"ok":true}`, with `"nonce"` when a newer nonce should be
    /// sent, or `{"error":{"kind","message","claim"?,"nonce"?}}`.
    #[napi(catch_unwind)]
    pub fn check(&self, proof: String, method: String, url: String, access_token: String, jkt: String, now_ms: f64) -> String {
        let now = epoch_seconds(now_ms);
        let request = crate::dpop::ProofRequest { proof: &proof, method: &method, url: &url, access_token: &access_token, jkt: &jkt };
        dpop_outcome_json(&self.inner.check(&request, now), self.inner.nonce(now))
    }

    /// The nonce to send at `now_ms` (epoch milliseconds), or null when nonces are not required.
    #[napi(catch_unwind)]
    pub fn nonce(&self, now_ms: f64) -> Option<String> {
        self.inner.nonce(epoch_seconds(now_ms))
    }
}

/// The JWS algorithms a DPoP proof may use, for the `algs` of a `DPoP` challenge.
#[napi(catch_unwind)]
pub fn dpop_algorithms() -> Vec<&'static str> {
    crate::dpop::algorithm_names()
}

/// One DPoP outcome as JSON; a `dpop_nonce_required` failure carries the nonce to use.
fn dpop_outcome_json(result: &std::result::Result<crate::dpop::Accepted, Error>, current_nonce: Option<String>) -> String {
    match result {
        Ok(accepted) => match &accepted.nonce {
            Some(nonce) => serde_json::json!({ "ok": true, "nonce": nonce }).to_string(),
            None => "{\"ok\":true}".to_owned(),
        },
        Err(e) => {
            let mut error = failure(e);
            if let (Some(nonce), "dpop_nonce_required") = (current_nonce, e.kind()) {
                error["nonce"] = nonce.into();
            }
            serde_json::json!({ "error": error }).to_string()
        }
    }
}

#[cfg(test)]
mod dpop_tests {
    use super::*;
    use crate::dpop::{Accepted, DpopReason};

    #[test]
    fn a_nonce_failure_carries_the_nonce_to_use_and_other_failures_do_not() {
        let nonce = Some("n1".to_owned());
        let missing = Err(Error::DpopInvalid { reason: DpopReason::NonceMissing });
        let parsed: serde_json::Value = serde_json::from_str(&dpop_outcome_json(&missing, nonce.clone())).unwrap();
        assert_eq!(parsed["error"]["kind"], "dpop_nonce_required");
        assert_eq!(parsed["error"]["nonce"], "n1");
        assert_eq!(parsed["error"]["claim"], "nonce");
        let replayed = Err(Error::DpopInvalid { reason: DpopReason::Replayed });
        let parsed: serde_json::Value = serde_json::from_str(&dpop_outcome_json(&replayed, nonce)).unwrap();
        assert!(parsed["error"].get("nonce").is_none());
    }

    #[test]
    fn an_accepted_proof_says_ok_and_passes_on_a_newer_nonce() {
        assert_eq!(dpop_outcome_json(&Ok(Accepted { nonce: None }), None), r#"{"ok":true}"#);
        assert_eq!(dpop_outcome_json(&Ok(Accepted { nonce: Some("n2".into()) }), None), r#"{"nonce":"n2","ok":true}"#);
    }

    #[test]
    fn the_algorithms_offered_for_proofs_are_the_asymmetric_ones() {
        assert_eq!(dpop_algorithms().join(" "), "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA");
    }
}
