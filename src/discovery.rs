//! Authorization server metadata: `{issuerBaseURL}/.well-known/openid-configuration`, then the
//! RFC 8414 `/.well-known/oauth-authorization-server` form, as express-oauth2-jwt-bearer looks
//! them up. Fetched through one shared [`Flight`] and kept by the same policy as keys
//! ([`crate::refresh`], `max_age` being the metadata's ttl): refreshed in the background as it
//! nears its ttl, the previous good copy serving until a refresh lands and while refreshes fail
//! (up to `stale_max_age`), retried with backoff. Shared per URL and settings, like key sets.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Instant;

use jsonwebtoken::Algorithm;
use reqwest::Url;
use serde_json::Value;
use tokio::runtime::Handle;

use crate::error::Error;
use crate::events::{self, Event};
use crate::fetch::{self, FetchPolicy, Fetcher};
use crate::jitter;
use crate::flight::{Flight, Landing, lock};
use crate::refresh::{self, Decision, Timing};
use crate::signature;

/// What the metadata tells a verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// The `issuer` the server names itself by.
    pub issuer: String,
    /// Where its signing keys are.
    pub jwks_uri: Url,
    /// `id_token_signing_alg_values_supported`, the supported ones, when listed.
    pub algorithms: Option<Vec<Algorithm>>,
}

/// What a verification gets from discovery.
pub enum Lookup {
    /// The metadata is known.
    Ready(Arc<Metadata>),
    /// A fetch must finish first.
    Wait,
    /// Reject now: discovery failed recently.
    Reject(Error),
}

/// The metadata of one issuer, kept fresh.
pub struct Discovery {
    base: Url,
    fetcher: Fetcher,
    timing: Timing,
    runtime: Handle,
    flight: Flight,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    metadata: Option<Arc<Metadata>>,
    policy: refresh::State,
    fetches: u64,
    last_error: Option<String>,
}

type Identity = (String, FetchPolicy, Timing);

static SHARED: LazyLock<Mutex<HashMap<Identity, Weak<Discovery>>>> = LazyLock::new(Default::default);

impl Discovery {
    /// The process-wide discovery for `base` with these settings, created on first use.
    pub fn shared(base: Url, fetch: FetchPolicy, timing: Timing, runtime: Handle) -> Result<Arc<Discovery>, String> {
        let identity = (base.to_string(), fetch.clone(), timing);
        let mut shared = lock(&SHARED);
        if let Some(existing) = shared.get(&identity).and_then(Weak::upgrade) {
            return Ok(existing);
        }
        shared.retain(|_, d| d.strong_count() > 0);
        let discovery = Arc::new(Discovery {
            base,
            fetcher: Fetcher::new(fetch)?,
            timing,
            runtime,
            flight: Flight::default(),
            held: Mutex::default(),
        });
        shared.insert(identity, Arc::downgrade(&discovery));
        Ok(discovery)
    }

    /// The metadata, or what to do until it is known. Metadata near or past its ttl is still
    /// returned, and a background refresh starts when the policy says so.
    pub fn lookup(self: &Arc<Self>) -> Lookup {
        let mut held = lock(&self.held);
        held.policy.in_flight = self.flight.is_running();
        let decision = refresh::decide(&held.policy, &self.timing, Instant::now(), held.metadata.is_some());
        match (decision, held.metadata.clone()) {
            (Decision::Fresh | Decision::ServeStale { retry: false }, Some(metadata)) => Lookup::Ready(metadata),
            (Decision::RefreshAhead | Decision::ServeStale { retry: true }, Some(metadata)) => {
                self.fetch(&mut held);
                Lookup::Ready(metadata)
            }
            (Decision::Unavailable, _) => Lookup::Reject(self.unavailable(&held)),
            _ => Lookup::Wait,
        }
    }

    /// Joins the lookup in flight, or starts one when none is held and the retry backoff has
    /// elapsed, and waits for it. Decides and puts the attempt on record in one lock, so racing
    /// callers never start two lookups within the backoff.
    pub async fn refresh(self: &Arc<Self>) {
        let landing = {
            let mut held = lock(&self.held);
            held.policy.in_flight = self.flight.is_running();
            let due = held.metadata.is_none()
                && refresh::decide(&held.policy, &self.timing, Instant::now(), false) == Decision::Fetch;
            if due { self.fetch(&mut held) } else { None }
        };
        if let Some(landing) = landing {
            landing.wait().await;
        }
    }

    /// Carries out a decision to fetch, with `held` locked as when deciding: joins the lookup in
    /// flight, or starts one and puts it on record.
    fn fetch(self: &Arc<Self>, held: &mut Held) -> Option<Landing> {
        if held.policy.in_flight {
            return self.flight.join();
        }
        held.policy.last_attempt = Some(Instant::now());
        let this = Arc::clone(self);
        Some(self.flight.start(&self.runtime, move || async move { this.fetch_once().await }))
    }

    /// Why the metadata cannot be had, for `keys_unavailable`.
    pub fn unavailable_error(&self) -> Error {
        self.unavailable(&lock(&self.held))
    }

    fn unavailable(&self, held: &Held) -> Error {
        let why = held.last_error.as_deref().unwrap_or("no fetch has completed yet");
        Error::KeysUnavailable { cause: format!("discovery at {} failed: {why}", self.base) }
    }

    /// How many discovery documents have been requested.
    pub fn fetches(&self) -> u64 {
        lock(&self.held).fetches
    }

    async fn fetch_once(&self) {
        let mut failures = Vec::new();
        let mut found = None;
        for url in candidate_urls(&self.base) {
            lock(&self.held).fetches += 1;
            let outcome = match self.fetcher.get(&url).await {
                Ok(body) => parse(&body, self.fetcher.policy().allow_insecure_http),
                Err(e) => Err(e.to_string()),
            };
            match outcome {
                Ok(metadata) => {
                    found = Some(metadata);
                    break;
                }
                Err(why) => failures.push(format!("{url}: {why}")),
            }
        }
        let mut held = lock(&self.held);
        match found {
            Some(metadata) => {
                if held.metadata.as_deref() != Some(&metadata) {
                    held.metadata = Some(Arc::new(metadata));
                }
                held.policy.fetched_at = Some(Instant::now());
                held.policy.failures = 0;
                held.policy.draw = jitter::draw();
            }
            None => {
                let cause = failures.join("; ");
                events::emit(Event::DiscoveryFailed { url: self.base.to_string(), cause: cause.clone() });
                held.policy.failures += 1;
                held.policy.draw = jitter::draw();
                held.last_error = Some(cause);
            }
        }
    }
}

/// Where the metadata may be: the URL itself when it already names a `/.well-known/` document;
/// otherwise the OpenID Connect location, then RFC 8414's (which inserts the well-known segment
/// before the issuer's path).
pub fn candidate_urls(base: &Url) -> Vec<Url> {
    if base.path().contains("/.well-known/") {
        return vec![base.clone()];
    }
    let path = base.path().trim_end_matches('/');
    let mut oidc = base.clone();
    oidc.set_path(&format!("{path}/.well-known/openid-configuration"));
    let mut oauth = base.clone();
    oauth.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    for url in [&mut oidc, &mut oauth] {
        url.set_query(None);
        url.set_fragment(None);
    }
    vec![oidc, oauth]
}

fn parse(body: &[u8], allow_insecure_http: bool) -> Result<Metadata, String> {
    let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(body) else {
        return Err("not a JSON object".into());
    };
    let issuer = match doc.get("issuer") {
        Some(Value::String(issuer)) if !issuer.is_empty() => issuer.clone(),
        _ => return Err("no 'issuer' in the metadata".into()),
    };
    let jwks_uri = match doc.get("jwks_uri") {
        Some(Value::String(uri)) => fetch::check_url(uri, allow_insecure_http).map_err(|e| format!("'jwks_uri' {e}"))?,
        _ => return Err("no 'jwks_uri' in the metadata".into()),
    };
    let algorithms = match doc.get("id_token_signing_alg_values_supported") {
        Some(Value::Array(names)) => {
            Some(names.iter().filter_map(Value::as_str).filter_map(signature::parse).collect())
        }
        _ => None,
    };
    Ok(Metadata { issuer, jwks_uri, algorithms })
}

/// Whether the metadata's `issuer` is the one expected: one of the configured issuers, or the
/// `issuerBaseURL` itself, a trailing slash aside (Auth0 names itself `https://tenant/`).
pub fn issuer_matches(found: &str, configured: &[String], base: &Url) -> bool {
    if !configured.is_empty() {
        return configured.iter().any(|c| c == found);
    }
    found.trim_end_matches('/') == base.as_str().trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(base: &str) -> Vec<String> {
        candidate_urls(&Url::parse(base).unwrap()).iter().map(Url::to_string).collect()
    }

    #[test]
    fn looks_up_openid_configuration_then_the_rfc_8414_form() {
        assert_eq!(urls("https://tenant.example"), [
            "https://tenant.example/.well-known/openid-configuration",
            "https://tenant.example/.well-known/oauth-authorization-server"
        ]);
        assert_eq!(urls("https://okta.example/oauth2/default/"), [
            "https://okta.example/oauth2/default/.well-known/openid-configuration",
            "https://okta.example/.well-known/oauth-authorization-server/oauth2/default"
        ]);
    }

    #[test]
    fn a_well_known_url_is_used_as_it_is() {
        assert_eq!(urls("https://idp.example/.well-known/custom"), ["https://idp.example/.well-known/custom"]);
    }

    #[test]
    fn the_issuer_must_match_the_configured_one_or_the_base_url() {
        let base = Url::parse("https://tenant.example").unwrap();
        assert!(issuer_matches("https://tenant.example/", &[], &base));
        assert!(!issuer_matches("https://evil.example/", &[], &base));
        assert!(issuer_matches("https://custom.example/", &["https://custom.example/".into()], &base));
        assert!(!issuer_matches("https://tenant.example/", &["https://custom.example/".into()], &base));
    }

    #[test]
    fn metadata_needs_an_issuer_and_a_safe_jwks_uri() {
        let ok = br#"{"issuer":"https://t.example/","jwks_uri":"https://t.example/jwks","id_token_signing_alg_values_supported":["RS256","HS256","none"]}"#;
        let metadata = parse(ok, false).unwrap();
        assert_eq!(metadata.algorithms, Some(vec![Algorithm::RS256, Algorithm::HS256]));
        assert!(parse(br#"{"jwks_uri":"https://t.example/jwks"}"#, false).is_err());
        assert!(parse(br#"{"issuer":"https://t.example/","jwks_uri":"http://t.example/jwks"}"#, false).is_err());
        assert!(parse(b"[]", false).is_err());
    }
}
