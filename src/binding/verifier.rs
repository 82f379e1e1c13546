//! `NativeVerifier`, the class behind `lib/verifier.js`: construction, the synchronous and async
//! verifications, the batch task for the libuv threadpool, and each outcome as one JSON text.

use std::future::Future;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::options::NativeOptions;
use super::text::{Text, TokenText, text};
use super::transport::{NodeRequest, NodeResponse, NodeTransport};
use crate::error::Error;
use crate::fetch::CustomTransport;
use crate::verify::{Attempt, Verified, Verifier};
use crate::Options;

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
    #[napi(catch_unwind, ts_args_type = "token: string, nowMs: number", ts_return_type = "string")]
    pub fn verify_sync(&self, token: TokenText, now_ms: f64) -> Text {
        text(outcome_json(&self.inner.verify(&token.0, epoch_seconds(now_ms))))
    }

    /// Verifies one token, waiting for keys to be fetched when needed; resolves to its outcome.
    #[napi(ts_args_type = "token: string, nowMs: number", ts_return_type = "Promise<string>")]
    pub async fn verify_async(&self, token: TokenText, now_ms: f64) -> Text {
        let verifier = Arc::clone(&self.inner);
        text(guarded(async move { outcome_json(&verifier.verify_async(&token.0, epoch_seconds(now_ms)).await) }).await)
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
    #[napi(catch_unwind, ts_args_type = "tokens: Array<string>, nowMs: number", ts_return_type = "Promise<string>")]
    pub fn verify_batch(&self, tokens: Vec<TokenText>, now_ms: f64) -> AsyncTask<VerifyBatch> {
        let tokens = tokens.into_iter().map(|t| t.0).collect();
        AsyncTask::new(VerifyBatch { verifier: Arc::clone(&self.inner), tokens, now: epoch_seconds(now_ms) })
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
    type JsValue = Text;

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

    fn resolve(&mut self, _: Env, output: String) -> Result<Text> {
        Ok(text(output))
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
pub(super) fn epoch_seconds(now_ms: f64) -> i64 {
    (now_ms / 1000.0).floor() as i64
}

/// One outcome as JSON: `[from,until,header,payload]` (`from <= now < until` are the seconds in
/// which its time claims pass, for the JS token cache; an array parses faster than a wrapper
/// object) or `{"error":{"kind":…,"message":…,…}}`.
///
/// The payload and header are spliced in as the exact JSON text that was signed: the core has
/// already parsed both as strict JSON objects (so they are UTF-8), and `JSON.parse` reads the
/// same members.
fn outcome_json(result: &std::result::Result<Verified, Error>) -> String {
    match result {
        Ok(v) => {
            let (from, until) = v.window;
            let mut out = Vec::with_capacity(v.payload_json.len() + v.header_json.len() + 48);
            let _ = write!(out, "[{from},{until},");
            out.extend_from_slice(&v.header_json);
            out.push(b',');
            out.extend_from_slice(&v.payload_json);
            out.push(b']');
            String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
        Err(e) => serde_json::json!({ "error": failure(e) }).to_string(),
    }
}

/// A failure as JS reads it: `{kind, message, claim?, cause?}`.
pub(super) fn failure(e: &Error) -> serde_json::Value {
    let mut error = serde_json::json!({ "kind": e.kind(), "message": e.to_string() });
    if let Some(claim) = e.claim() {
        error["claim"] = claim.into();
    }
    if let Some(cause) = e.cause() {
        error["cause"] = cause.into();
    }
    error
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
    fn epoch_seconds_floors_milliseconds_as_jose_does() {
        assert_eq!(epoch_seconds(1_750_000_000_999.0), 1_750_000_000);
        assert_eq!(epoch_seconds(-1.0), -1);
    }
}
