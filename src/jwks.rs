//! A remote JWK Set: one per URI and settings, shared by every verifier in the process. It holds
//! the last good keys, asks [`crate::refresh`] what each verification should do, and carries the
//! decision out: background refreshes and waits go through one shared fetch ([`Flight`]), and a
//! failed fetch never replaces good keys. Refreshes are conditional (`If-None-Match`,
//! `If-Modified-Since`): a `304` renews the keys held without downloading them.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime};

use jsonwebtoken::Algorithm;
use reqwest::Url;
use serde::Serialize;
use tokio::runtime::Handle;

use crate::error::Error;
use crate::events::{self, Event};
use crate::fetch::{FetchPolicy, Fetched, Fetcher, Validators};
use crate::jitter;
use crate::flight::{Flight, Landing, lock};
use crate::keys::KeySet;
use crate::refresh::{self, Decision, Timing};
use crate::signature::ASYMMETRIC;

/// What a verification gets from the key set.
pub enum Lookup {
    /// Verify with these keys.
    Ready(Arc<KeySet>),
    /// A fetch must finish first (see [`RemoteKeySet::refresh`]).
    Wait,
    /// Reject now, without the network.
    Reject(Error),
}

/// What the key set has been doing, for `verifier.stats()`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// The JWK Set URI.
    pub uri: String,
    /// Fetches started.
    pub fetches: u64,
    /// Fetches that failed.
    pub failures: u64,
    /// Fetches answered `304 Not Modified` (successful: the keys held were current).
    pub not_modified: u64,
    /// Successful fetches whose set of `kid`s differed from the one before.
    pub rotations: u64,
    /// Unknown-`kid` tokens rejected without a fetch because of the cooldown.
    pub cooldown_rejections: u64,
    /// Verifications that used keys older than `cacheMaxAge` because refreshes failed.
    pub stale_verifications: u64,
    /// The `kid`s held now.
    pub kids: Vec<String>,
    /// Keys of the last good set that were left out, with why.
    pub skipped: Vec<String>,
    /// Age of the keys held, in ms.
    pub age_ms: Option<u64>,
    /// Whether the keys held are older than `cacheMaxAge` and refreshes are failing.
    pub stale: bool,
    /// Until when (epoch ms) stale keys may still be used.
    pub stale_until: Option<u64>,
    /// When the last fetch succeeded (epoch ms).
    pub last_success: Option<u64>,
    /// When the last fetch failed (epoch ms).
    pub last_failure: Option<u64>,
    /// Why the last fetch failed.
    pub last_error: Option<String>,
}

/// Everything that identifies a shareable key set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Identity {
    uri: String,
    fetch: FetchPolicy,
    timing: Timing,
    max_keys: usize,
}

/// A JWK Set fetched from a URI, shared per URI and settings.
pub struct RemoteKeySet {
    uri: Url,
    fetcher: Fetcher,
    timing: Timing,
    max_keys: usize,
    runtime: Handle,
    flight: Flight,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    keys: Option<Arc<KeySet>>,
    policy: refresh::State,
    stats: Stats,
    fetched_at_wall: Option<SystemTime>,
    /// A stale episode has been reported (reset by the next successful fetch).
    stale_reported: bool,
    /// A hash of the last JWK Set document imported.
    document: Option<u64>,
    /// The `ETag`/`Last-Modified` of that document, for conditional refreshes.
    validators: Validators,
}

static SHARED: LazyLock<Mutex<HashMap<Identity, Weak<RemoteKeySet>>>> = LazyLock::new(Default::default);

impl RemoteKeySet {
    /// The process-wide key set for `uri` with these settings, created on first use.
    pub fn shared(
        uri: Url,
        fetch: FetchPolicy,
        timing: Timing,
        max_keys: usize,
        runtime: Handle,
    ) -> Result<Arc<RemoteKeySet>, String> {
        let identity = Identity { uri: uri.to_string(), fetch: fetch.clone(), timing, max_keys };
        let mut shared = lock(&SHARED);
        if let Some(existing) = shared.get(&identity).and_then(Weak::upgrade) {
            return Ok(existing);
        }
        shared.retain(|_, set| set.strong_count() > 0);
        let held = Held { stats: Stats { uri: uri.to_string(), ..Stats::default() }, ..Held::default() };
        let set = Arc::new(RemoteKeySet {
            uri,
            fetcher: Fetcher::new(fetch)?,
            timing,
            max_keys,
            runtime,
            flight: Flight::default(),
            held: Mutex::new(held),
        });
        shared.insert(identity, Arc::downgrade(&set));
        Ok(set)
    }

    /// What a token signed with `alg` under `kid` should be verified with, deciding by the
    /// refresh policy and starting a background refresh when it says so.
    pub fn lookup(self: &Arc<Self>, alg: Algorithm, kid: Option<&str>) -> Lookup {
        let mut held = lock(&self.held);
        let known = held.keys.as_ref().is_some_and(|keys| keys.candidates(alg, kid).next().is_some());
        held.policy.in_flight = self.flight.is_running();
        let decision = refresh::decide(&held.policy, &self.timing, Instant::now(), known);
        let keys = held.keys.clone();
        match (decision, keys) {
            (Decision::Fresh, Some(keys)) => Lookup::Ready(keys),
            (Decision::RefreshAhead, Some(keys)) => {
                self.fetch(&mut held);
                Lookup::Ready(keys)
            }
            (Decision::ServeStale { retry }, Some(keys)) => {
                let failing = held.policy.failures > 0;
                held.stats.stale_verifications += u64::from(failing);
                if failing && !held.stale_reported {
                    held.stale_reported = true;
                    events::emit(Event::JwksStale {
                        uri: self.uri.to_string(),
                        age_ms: held.policy.fetched_at.map_or(0, |at| millis(at.elapsed())),
                        stale_until: held.fetched_at_wall.map_or(0, |at| epoch_ms(at + self.timing.stale_max_age)),
                    });
                }
                if retry {
                    self.fetch(&mut held);
                }
                Lookup::Ready(keys)
            }
            (Decision::CoolingDown, Some(keys)) => {
                held.stats.cooldown_rejections += 1;
                Lookup::Reject(Error::KeyNotFound { ambiguous: keys.is_ambiguous(alg, kid) })
            }
            (Decision::Unavailable, _) => Lookup::Reject(self.unavailable(&held)),
            _ => Lookup::Wait,
        }
    }

    /// Joins the fetch in flight, or starts one if the policy allows a fetch now (as for an
    /// unknown `kid`), and waits for it. Returns at once otherwise: a caller that arrives just
    /// after a fetch does not cause another.
    pub async fn refresh(self: &Arc<Self>) {
        let landing = {
            let mut held = lock(&self.held);
            held.policy.in_flight = self.flight.is_running();
            let decision = refresh::decide(&held.policy, &self.timing, Instant::now(), false);
            if decision == Decision::Fetch { self.fetch(&mut held) } else { None }
        };
        if let Some(landing) = landing {
            landing.wait().await;
        }
    }

    /// The answer for a token that cannot wait for another fetch: `key_not_found` when keys are
    /// held (its `kid` is not among them), `keys_unavailable` with the cause when none are.
    pub fn unavailable_error(&self) -> Error {
        let held = lock(&self.held);
        match &held.keys {
            Some(_) => Error::KeyNotFound { ambiguous: false },
            None => self.unavailable(&held),
        }
    }

    fn unavailable(&self, held: &Held) -> Error {
        let why = held.stats.last_error.as_deref().unwrap_or("no fetch has completed yet");
        Error::KeysUnavailable { cause: format!("JWKS fetch from {} failed: {why}", self.uri) }
    }

    /// A snapshot of what the key set has been doing.
    pub fn stats(&self) -> Stats {
        let held = lock(&self.held);
        let mut stats = held.stats.clone();
        let age = held.policy.fetched_at.map(|at| at.elapsed());
        stats.age_ms = age.map(millis);
        stats.stale = held.policy.failures > 0 && age.is_some_and(|age| age >= self.timing.max_age);
        stats.stale_until = held.fetched_at_wall.map(|at| epoch_ms(at + self.timing.stale_max_age));
        stats
    }

    /// Carries out a decision to fetch, with `held` locked (as when deciding) so that no other
    /// caller decides between the decision and the attempt being on record: joins the fetch the
    /// decision saw in flight (`None` if it has just ended: its outcome is in `held` already), or
    /// starts one.
    fn fetch(self: &Arc<Self>, held: &mut Held) -> Option<Landing> {
        if held.policy.in_flight {
            return self.flight.join();
        }
        let started = Instant::now();
        held.policy.last_attempt = Some(started);
        held.stats.fetches += 1;
        let this = Arc::clone(self);
        Some(self.flight.start(&self.runtime, move || async move { this.fetch_once(started).await }))
    }

    async fn fetch_once(&self, started: Instant) {
        let held_validators = {
            let held = lock(&self.held);
            if held.keys.is_some() { held.validators.clone() } else { Validators::default() }
        };
        let result = match self.fetcher.get_conditional(&self.uri, &held_validators).await {
            Ok(Fetched::Modified { body, validators }) => KeySet::from_jwks(&body, &ASYMMETRIC, self.max_keys)
                .map(|keys| Some((keys, document_hash(&body), validators)))
                .map_err(|e| format!("the JWK Set {e}")),
            Ok(Fetched::NotModified) if held_validators != Validators::default() => Ok(None),
            Ok(Fetched::NotModified) => Err("HTTP status 304 to an unconditional request".to_owned()),
            Err(e) => Err(e.to_string()),
        };
        let mut held = lock(&self.held);
        let uri = self.uri.to_string();
        match result {
            Ok(Some((keys, document, validators))) => {
                let changed = held.document.replace(document).is_some_and(|before| before != document);
                let kids: Vec<String> = keys.kids().map(str::to_owned).collect();
                if held.keys.is_some() && kids != held.stats.kids {
                    held.stats.rotations += 1;
                    let added = kids.iter().filter(|k| !held.stats.kids.contains(k)).cloned().collect();
                    let removed = held.stats.kids.iter().filter(|k| !kids.contains(k)).cloned().collect();
                    events::emit(Event::JwksRotated { uri: uri.clone(), added, removed });
                }
                events::emit(Event::JwksFetched { uri, kids: kids.clone(), duration_ms: millis(started.elapsed()), changed });
                held.stats.kids = kids;
                held.stats.skipped = keys.skipped().iter().map(|s| format!("{}: {}", s.kid.as_deref().unwrap_or("(no kid)"), s.reason)).collect();
                held.keys = Some(Arc::new(keys));
                held.validators = validators;
                renew(&mut held);
            }
            Ok(None) => {
                held.stats.not_modified += 1;
                renew(&mut held);
            }
            Err(cause) => {
                events::emit(Event::JwksFailed { uri, cause: cause.clone(), keys_held: held.keys.is_some() });
                held.stats.failures += 1;
                held.stats.last_failure = Some(epoch_ms(SystemTime::now()));
                held.stats.last_error = Some(cause);
                held.policy.failures += 1;
                held.policy.draw = jitter::draw();
            }
        }
    }
}

/// After a successful fetch (new keys, or a `304` for the ones held): the keys held are as
/// young as the fetch, any stale episode is over, and the next refresh gets a new draw.
fn renew(held: &mut Held) {
    held.stale_reported = false;
    held.stats.last_success = Some(epoch_ms(SystemTime::now()));
    held.policy.fetched_at = Some(Instant::now());
    held.policy.failures = 0;
    held.policy.draw = jitter::draw();
    held.fetched_at_wall = Some(SystemTime::now());
}

fn document_hash(body: &[u8]) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn epoch_ms(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH).map(millis).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// A key set whose fetches are spawned on a runtime nobody drives, so they never run.
    fn idle_key_set(runtime: &tokio::runtime::Runtime) -> Arc<RemoteKeySet> {
        let fetch = FetchPolicy {
            timeout: Duration::from_secs(1),
            max_bytes: 1024,
            allow_insecure_http: false,
            headers: Vec::new(),
            transport: None,
        };
        let timing = Timing {
            max_age: Duration::from_secs(600),
            cooldown: Duration::from_secs(30),
            stale_max_age: Duration::from_secs(86_400),
        };
        let uri = Url::parse("http://127.0.0.1:9/on-record.json").expect("a valid URL");
        RemoteKeySet::shared(uri, fetch, timing, 10, runtime.handle().clone()).expect("a key set")
    }

    fn poll_once(future: impl Future<Output = ()>) -> Poll<()> {
        pin!(future).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_fetch_is_on_record_when_decided_so_a_racing_caller_joins_it_instead_of_starting_another() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
        let set = idle_key_set(&runtime);
        assert!(poll_once(set.refresh()).is_pending(), "the first caller waits for its fetch");
        assert_eq!(set.stats().fetches, 1, "on record before the fetch task has run");
        assert!(poll_once(set.refresh()).is_pending(), "a second caller waits too");
        assert_eq!(set.stats().fetches, 1, "by joining the first fetch");
    }
}
