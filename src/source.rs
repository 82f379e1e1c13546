//! Where a verifier's keys, accepted issuers and allowed algorithms come from: fixed at
//! construction, or resolved once through discovery (which names the issuer, its JWK Set URI and
//! its algorithms) and a shared [`RemoteKeySet`].

use std::sync::{Arc, OnceLock};

use jsonwebtoken::Algorithm;
use reqwest::Url;
use serde::Serialize;
use tokio::runtime::Handle;

use crate::claims::Rules;
use crate::config::{Config, OptionError, Remote};
use crate::discovery::{self, Discovery};
use crate::error::Error;
use crate::jwks::{self, RemoteKeySet};
use crate::keys::KeySet;

/// A verifier's keys and rules, once everything they depend on is known.
pub struct Resolved {
    /// What the claims must satisfy, with the accepted issuers filled in.
    pub rules: Rules,
    /// The allowed algorithms (narrowed to those the server's metadata lists, when it lists any).
    pub algorithms: Arc<[Algorithm]>,
    /// The keys.
    pub keys: Keys,
}

/// The keys of a resolved verifier.
pub enum Keys {
    /// Given as options.
    Local(Arc<KeySet>),
    /// Fetched and cached.
    Remote(Arc<RemoteKeySet>),
}

/// What a verification gets from the source.
pub enum Resolution<'a> {
    /// Everything is known.
    Ready(&'a Resolved),
    /// A fetch must finish first.
    Wait,
    /// Reject now.
    Reject(Error),
}

/// The keys and rules of one verifier, possibly still to be discovered.
pub struct Source {
    resolved: OnceLock<Resolved>,
    pending: Option<Pending>,
    runtime: Option<Handle>,
}

/// What is needed to resolve a verifier whose issuer or keys are remote.
struct Pending {
    rules: Rules,
    algorithms: Arc<[Algorithm]>,
    local_keys: Option<Arc<KeySet>>,
    discovery: Option<(Arc<Discovery>, Url)>,
    remote: Remote,
    runtime: Handle,
}

/// What `verifier.stats()` reports about remote metadata and keys.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Discovery documents requested.
    pub discovery_fetches: u64,
    /// The key set, once known.
    pub jwks: Option<jwks::Stats>,
}

impl Source {
    /// Builds the source; remote sources need a Tokio runtime to fetch on.
    pub fn new(config: &mut Config, runtime: Option<Handle>) -> Result<Source, OptionError> {
        let local_keys = config.local_keys.take().map(Arc::new);
        let (remote, local) = match (config.remote.clone(), local_keys) {
            (Some(remote), local) => (remote, local),
            (None, Some(local)) => {
                let keys = Keys::Local(local);
                let resolved = Resolved { rules: config.rules.clone(), algorithms: Arc::clone(&config.algorithms), keys };
                return Ok(Source::resolved(resolved, None));
            }
            (None, None) => return Err(OptionError { option: "secret", reason: "or another key option is required".into() }),
        };
        let local_keys = local;
        let option = if remote.issuer_base_url.is_some() { "issuerBaseURL" } else { "jwksUri" };
        let runtime = runtime.ok_or_else(|| OptionError { option, reason: "needs a Tokio runtime to fetch on".into() })?;
        let fail = |e: String| OptionError { option, reason: e };
        let discovery = match &remote.issuer_base_url {
            Some(base) if config.rules.issuers.is_empty() || remote.jwks_uri.is_none() => {
                let d = Discovery::shared(base.clone(), remote.fetch.clone(), remote.timing, runtime.clone()).map_err(fail)?;
                Some((d, base.clone()))
            }
            _ => None,
        };
        let pending = Pending {
            rules: config.rules.clone(),
            algorithms: Arc::clone(&config.algorithms),
            local_keys,
            discovery,
            remote,
            runtime,
        };
        if pending.discovery.is_some() {
            let runtime = Some(pending.runtime.clone());
            return Ok(Source { resolved: OnceLock::new(), pending: Some(pending), runtime });
        }
        match pending.try_resolve() {
            Ok(resolved) => Ok(Source::resolved(resolved, Some(pending.runtime))),
            Err(e) => Err(fail(e.map_or_else(String::new, |e| e.cause().unwrap_or_default().to_owned()))),
        }
    }

    fn resolved(resolved: Resolved, runtime: Option<Handle>) -> Source {
        Source { resolved: OnceLock::from(resolved), pending: None, runtime }
    }

    /// The keys and rules, resolving them when everything they need is at hand.
    pub fn resolve(&self) -> Resolution<'_> {
        if let Some(resolved) = self.resolved.get() {
            return Resolution::Ready(resolved);
        }
        let Some(pending) = &self.pending else { return Resolution::Reject(self.unavailable_error()) };
        match pending.try_resolve() {
            Ok(resolved) => Resolution::Ready(self.resolved.get_or_init(|| resolved)),
            Err(Some(e)) => Resolution::Reject(e),
            Err(None) => Resolution::Wait,
        }
    }

    /// Whether the keys and rules are known (discovery, if any, is done).
    pub fn is_resolved(&self) -> bool {
        self.resolved.get().is_some()
    }

    /// Fetches whatever is missing (the metadata, or the keys), joining a fetch in flight.
    pub async fn refresh(&self) {
        match (self.resolved.get(), &self.pending) {
            (Some(Resolved { keys: Keys::Remote(set), .. }), _) => set.refresh().await,
            (None, Some(Pending { discovery: Some((d, _)), .. })) => d.refresh().await,
            _ => {}
        }
    }

    /// Starts [`Source::refresh`] in the background, for a verification that will not wait.
    pub fn start_refresh(self: &Arc<Self>) {
        if let Some(runtime) = &self.runtime {
            let this = Arc::clone(self);
            runtime.spawn(async move { this.refresh().await });
        }
    }

    /// Why keys cannot be had now, for a verification that will not wait.
    pub fn unavailable_error(&self) -> Error {
        match (self.resolved.get(), &self.pending) {
            (Some(Resolved { keys: Keys::Remote(set), .. }), _) => set.unavailable_error(),
            (None, Some(Pending { discovery: Some((d, _)), .. })) => d.unavailable_error(),
            _ => Error::KeysUnavailable { cause: "the keys are being fetched".into() },
        }
    }

    /// What the remote parts have been doing.
    pub fn stats(&self) -> Stats {
        let discovery_fetches = match &self.pending {
            Some(Pending { discovery: Some((d, _)), .. }) => d.fetches(),
            _ => 0,
        };
        let jwks = match self.resolved.get() {
            Some(Resolved { keys: Keys::Remote(set), .. }) => Some(set.stats()),
            _ => None,
        };
        Stats { discovery_fetches, jwks }
    }
}

impl Pending {
    /// `Err(None)`: wait for a fetch; `Err(Some(e))`: reject.
    fn try_resolve(&self) -> Result<Resolved, Option<Error>> {
        let mut rules = self.rules.clone();
        let mut algorithms = Arc::clone(&self.algorithms);
        let mut jwks_uri = self.remote.jwks_uri.clone();
        if let Some((discovery, base)) = &self.discovery {
            let metadata = match discovery.lookup() {
                discovery::Lookup::Ready(metadata) => metadata,
                discovery::Lookup::Wait => return Err(None),
                discovery::Lookup::Reject(e) => return Err(Some(e)),
            };
            if !discovery::issuer_matches(&metadata.issuer, &rules.issuers, base) {
                return Err(Some(unavailable(format!(
                    "the metadata of {base} names the issuer {:?}, which is not the one configured",
                    metadata.issuer
                ))));
            }
            if rules.issuers.is_empty() {
                rules.issuers = vec![metadata.issuer.clone()];
            }
            if let Some(listed) = &metadata.algorithms {
                algorithms = algorithms.iter().copied().filter(|a| listed.contains(a)).collect();
                if algorithms.is_empty() {
                    return Err(Some(unavailable(format!(
                        "none of the allowed algorithms is in the metadata of {base}"
                    ))));
                }
            }
            jwks_uri = jwks_uri.or_else(|| Some(metadata.jwks_uri.clone()));
        }
        let keys = match (&self.local_keys, jwks_uri) {
            (Some(local), _) => Keys::Local(Arc::clone(local)),
            (None, Some(uri)) => {
                let r = &self.remote;
                let set = RemoteKeySet::shared(uri, r.fetch.clone(), r.timing, r.max_keys, self.runtime.clone())
                    .map_err(|e| Some(unavailable(e)))?;
                Keys::Remote(set)
            }
            (None, None) => return Err(Some(unavailable("no JWK Set URI".into()))),
        };
        Ok(Resolved { rules, algorithms, keys })
    }
}

fn unavailable(cause: String) -> Error {
    Error::KeysUnavailable { cause }
}
