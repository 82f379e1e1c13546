//! The napi-rs binding: the only module that knows napi. It converts JS options into
//! [`Options`], runs the core, and hands each outcome back as one JSON string that JS parses with
//! `JSON.parse` (cheaper than building the object through napi). Expected failures are values in
//! that string; only misuse throws. No panic crosses into Node.

use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::error::Error;
use crate::fetch::{CustomTransport, Request, Response, Transport, TransportFuture};
use crate::verify::{Attempt, Verified, Verifier};
use crate::Options;

/// The addon's own Tokio runtime: one worker thread is plenty for a few small fetches, and
/// leaves the cores to Node and libuv's verification workers.
#[napi_derive::module_init]
fn init() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bearer-rs-io")
        .enable_all()
        .build();
    if let Ok(runtime) = runtime {
        create_custom_tokio_runtime(runtime);
    }
}

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

/// One GET request handed to Node (see `lib/agent-fetch.js`).
#[napi(object)]
pub struct NodeRequest {
    /// The URL.
    pub url: String,
    /// Request headers.
    pub headers: HashMap<String, String>,
    /// Time allowed, in ms.
    pub timeout_ms: f64,
    /// Largest body to read, in bytes.
    pub max_bytes: f64,
}

/// Node's answer to a [`NodeRequest`].
#[napi(object)]
pub struct NodeResponse {
    /// The HTTP status.
    pub status: u32,
    /// The `Location` header.
    pub location: Option<String>,
    /// The body, as text.
    pub body: String,
    /// The body exceeded `maxBytes` and was not read.
    pub too_large: bool,
}

type NodeFetch = ThreadsafeFunction<NodeRequest, Promise<NodeResponse>, NodeRequest, Status, false, true>;

/// Fetches through a JS function that uses the user's `http.Agent`; the policy stays in Rust.
struct NodeTransport(Arc<NodeFetch>);

impl Transport for NodeTransport {
    fn get(&self, request: Request) -> TransportFuture {
        let fetch = Arc::clone(&self.0);
        let request = NodeRequest {
            url: request.url,
            headers: request.headers.into_iter().collect(),
            timeout_ms: request.timeout_ms as f64,
            max_bytes: request.max_bytes as f64,
        };
        Box::pin(async move {
            let promise = fetch.call_async(request).await.map_err(|e| e.reason.clone())?;
            let response = promise.await.map_err(|e| e.reason.clone())?;
            Ok(Response {
                status: u16::try_from(response.status).unwrap_or(0),
                location: response.location,
                body: response.body.into_bytes(),
                too_large: response.too_large,
            })
        })
    }
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

/// The native verifier behind `lib/verifier.js`.
#[napi(js_name = "NativeVerifier")]
pub struct NativeVerifier {
    inner: Arc<Verifier>,
}

#[napi]
impl NativeVerifier {
    /// Builds the verifier; misuse throws with status `InvalidArg` and a message naming the option.
    /// `fetch`, with `options.agentId`, makes discovery and JWKS requests go through Node.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: NativeOptions, fetch: Option<Function<NodeRequest, Promise<NodeResponse>>>) -> Result<Self> {
        let agent_id = options.agent_id;
        let mut options = Options::from(options);
        if let (Some(fetch), Some(id)) = (fetch, agent_id) {
            let tsfn = fetch.build_threadsafe_function::<NodeRequest>().weak::<true>().callee_handled::<false>().build()?;
            options.transport = Some(CustomTransport { id: u64::from(id), inner: Arc::new(NodeTransport(Arc::new(tsfn))) });
        }
        let inner = within_runtime_if_available(|| Verifier::new(options))
            .map_err(|e| napi::Error::new(Status::InvalidArg, e.to_string()))?;
        Ok(NativeVerifier { inner: Arc::new(inner) })
    }

    /// Verifies one token on the calling thread; `now_ms` is epoch milliseconds.
    #[napi(catch_unwind)]
    pub fn verify_sync(&self, token: String, now_ms: f64) -> String {
        outcome_json(&self.inner.verify(&token, epoch_seconds(now_ms)))
    }

    /// Verifies one token, waiting for keys to be fetched when needed; resolves to its outcome.
    #[napi(ts_return_type = "Promise<string>")]
    pub async fn verify_async(&self, token: String, now_ms: f64) -> String {
        let verifier = Arc::clone(&self.inner);
        guarded(async move { outcome_json(&verifier.verify_async(&token, epoch_seconds(now_ms)).await) }).await
    }

    /// Fetches the metadata and keys now; resolves to `{"ok":true}` or an error outcome.
    #[napi(ts_return_type = "Promise<string>")]
    pub async fn ready(&self) -> String {
        let verifier = Arc::clone(&self.inner);
        guarded(async move {
            match verifier.ready().await {
                Ok(()) => "{\"ok\":true}".to_owned(),
                Err(e) => outcome_json(&Err(e)),
            }
        })
        .await
    }

    /// What the remote metadata and keys have been doing, as JSON.
    #[napi(catch_unwind)]
    pub fn stats(&self) -> String {
        serde_json::to_string(&self.inner.stats()).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Verifies tokens back to back on a libuv worker; resolves to their outcomes, each JSON text,
    /// joined by [`RECORD_SEPARATOR`] (so JS keeps each outcome's text for its token cache).
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn verify_batch(&self, tokens: Vec<String>, now_ms: f64) -> AsyncTask<VerifyBatch> {
        AsyncTask::new(VerifyBatch { verifier: Arc::clone(&self.inner), tokens, now: epoch_seconds(now_ms) })
    }
}

/// Sends every cache event, as JSON, to `listener` on the main thread. The listener must not
/// throw; it does not keep the process alive. Only the first call installs a listener.
#[napi(catch_unwind)]
#[cfg_attr(test, allow(dead_code))] // called by Node only; a Rust test cannot make a JS function
pub fn on_events(listener: Function<String, ()>) -> Result<bool> {
    let tsfn = listener.build_threadsafe_function::<String>().weak::<true>().callee_handled::<false>().build()?;
    Ok(crate::events::set_sink(Box::new(move |event| {
        if let Ok(json) = serde_json::to_string(event) {
            tsfn.call(json, ThreadsafeFunctionCallMode::NonBlocking);
        }
    })))
}

/// Every failure kind the core can report, for the JS error table.
#[napi(catch_unwind)]
pub fn error_kinds() -> Vec<&'static str> {
    Error::KINDS.to_vec()
}

/// The default `maxTokenLength`, in bytes, for JS code that bounds a token before the core sees it.
#[napi]
#[cfg_attr(test, allow(dead_code))] // read by Node only
pub const DEFAULT_MAX_TOKEN_LENGTH: u32 = crate::config::DEFAULT_MAX_TOKEN_LENGTH as u32;

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
            let mut error = serde_json::json!({ "kind": e.kind(), "message": e.to_string() });
            if let Some(claim) = e.claim() {
                error["claim"] = claim.into();
            }
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

/// Separates the outcomes of a batch: U+001E never occurs raw in JSON text (a control character
/// is not white space, and inside strings it must be escaped), and every outcome is JSON text that
/// was strictly parsed (payload, header) or produced by serde_json (errors).
const RECORD_SEPARATOR: &str = "\u{1e}";

/// One batch of verifications for the libuv threadpool.
pub struct VerifyBatch {
    verifier: Arc<Verifier>,
    tokens: Vec<String>,
    now: i64,
}

impl Task for VerifyBatch {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        catch_unwind(AssertUnwindSafe(|| {
            let outcomes: Vec<String> = self
                .tokens
                .iter()
                .map(|t| match self.verifier.attempt(t, self.now) {
                    Attempt::Done(result) => outcome_json(&result),
                    Attempt::NeedsRefresh => "{\"refresh\":true}".to_owned(),
                })
                .collect();
            outcomes.join(RECORD_SEPARATOR)
        }))
        .map_err(|_| napi::Error::new(Status::GenericFailure, "bearer-rs: internal error during verification"))
    }

    fn resolve(&mut self, _: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

/// Runs `work` as its own task so that a panic in it becomes an error outcome, not an abort.
async fn guarded(work: impl Future<Output = String> + Send + 'static) -> String {
    tokio::spawn(work).await.unwrap_or_else(|_| internal_error())
}

fn internal_error() -> String {
    r#"{"error":{"kind":"keys_unavailable","message":"the signing keys of the token issuer are unavailable","cause":"bearer-rs: internal error"}}"#.to_owned()
}

/// JS `Date.now()` milliseconds to the whole epoch seconds the claims checks use (as jose).
fn epoch_seconds(now_ms: f64) -> i64 {
    (now_ms / 1000.0).floor() as i64
}

/// One outcome as JSON: `[from,until,header,payload]` (`from <= now < until` are the seconds in
/// which its time claims pass, for the JS token cache; an array parses faster than a wrapper
/// object) or `{"error":{"kind":…,"message":…,…}}`.
///
/// The payload and header are spliced in as the exact JSON text that was signed: the core has
/// already parsed both as strict JSON objects, so `JSON.parse` reads the same members.
fn outcome_json(result: &std::result::Result<Verified, Error>) -> String {
    match result {
        Ok(v) => {
            let (from, until) = v.window;
            let mut out = String::with_capacity(v.payload_json.len() + v.header_json.len() + 48);
            out.push('[');
            out.push_str(&from.to_string());
            out.push(',');
            out.push_str(&until.to_string());
            out.push(',');
            out.push_str(&String::from_utf8_lossy(&v.header_json));
            out.push(',');
            out.push_str(&String::from_utf8_lossy(&v.payload_json));
            out.push(']');
            out
        }
        Err(e) => {
            let mut error = serde_json::json!({ "kind": e.kind(), "message": e.to_string() });
            if let Some(claim) = e.claim() {
                error["claim"] = claim.into();
            }
            if let Some(cause) = e.cause() {
                error["cause"] = cause.into();
            }
            serde_json::json!({ "error": error }).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_outcome_splices_the_signed_json_under_payload_and_header() {
        let v = Verified {
            header_json: br#"{"alg":"ES256"}"#.to_vec(),
            payload_json: br#"{"sub":"a"}"#.to_vec(),
            window: (-5, 1_750_003_605),
        };
        assert_eq!(outcome_json(&Ok(v)), r#"[-5,1750003605,{"alg":"ES256"},{"sub":"a"}]"#);
    }

    #[test]
    fn a_failure_outcome_carries_kind_message_claim_and_cause() {
        let expired: serde_json::Value = serde_json::from_str(&outcome_json(&Err(Error::Expired))).unwrap();
        assert_eq!(expired["error"]["kind"], "token_expired");
        assert_eq!(expired["error"]["claim"], "exp");
        let down = Error::KeysUnavailable { cause: "timeout \"x\"".into() };
        let down: serde_json::Value = serde_json::from_str(&outcome_json(&Err(down))).unwrap();
        assert_eq!(down["error"]["cause"], "timeout \"x\"");
        assert!(down["error"].get("claim").is_none());
    }

    #[test]
    fn error_kinds_lists_the_core_kinds() {
        assert_eq!(error_kinds(), Error::KINDS);
    }

    #[test]
    fn epoch_seconds_floors_milliseconds_as_jose_does() {
        assert_eq!(epoch_seconds(1_750_000_000_999.0), 1_750_000_000);
        assert_eq!(epoch_seconds(-1.0), -1);
    }
}
