//! Where a verifier's keys, accepted issuers and allowed algorithms come from: fixed at
//! construction, or resolved from the metadata discovery holds now (which names the issuer, its
//! JWK Set URI and its algorithms) and a shared [`RemoteKeySet`], resolved again whenever
//! discovery holds new metadata.

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use jsonwebtoken::Algorithm;
use reqwest::Url;
use serde::Serialize;
use tokio::runtime::Handle;

use crate::claims::Rules;
use crate::config::{Config, OptionError, Remote};
use crate::discovery::{self, Discovery, Metadata};
use crate::flight::lock;
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
#[derive(Clone)]
pub enum Keys {
    /// Given as options.
    Local(Arc<KeySet>),
    /// Fetched and cached.
    Remote(Arc<RemoteKeySet>),
}

/// What a verification gets from the source.
pub enum Resolution<'a> {
    /// Everything is known.
    Ready(Current<'a>),
    /// A fetch must finish first.
    Wait,
    /// Reject now.
    Reject(Error),
}

/// The keys and rules in force now: fixed at construction, or those of the latest metadata.
pub enum Current<'a> {
    /// Fixed at construction.
    Fixed(&'a Resolved),
    /// Built from the metadata discovery holds now.
    Discovered(Arc<Resolved>),
}

impl Deref for Current<'_> {
    type Target = Resolved;

    fn deref(&self) -> &Resolved {
        match self {
            Current::Fixed(resolved) => resolved,
            Current::Discovered(resolved) => resolved,
        }
    }
}

/// The keys and rules of one verifier, possibly still to be discovered.
pub struct Source {
    fixed: Option<Resolved>,
    discovered: Option<Discovered>,
    runtime: Option<Handle>,
}

/// A source whose issuer, algorithms or JWK Set URI come from discovery: resolved again whenever
/// discovery holds new metadata (a changed `jwks_uri` switches the key set).
struct Discovered {
    pending: Pending,
    discovery: Arc<Discovery>,
    base: Url,
    /// The metadata last resolved, and what it resolved to.
    current: Mutex<Option<(Arc<Metadata>, Arc<Resolved>)>>,
}

/// What is needed to resolve a verifier whose issuer or keys are remote.
struct Pending {
    rules: Rules,
    algorithms: Arc<[Algorithm]>,
    local_keys: Option<Arc<KeySet>>,
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
        let pending = Pending { rules: config.rules.clone(), algorithms: Arc::clone(&config.algorithms), local_keys, remote, runtime };
        let runtime = Some(pending.runtime.clone());
        match &pending.remote.issuer_base_url {
            Some(base) if pending.rules.issuers.is_empty() || pending.remote.jwks_uri.is_none() => {
                let remote = &pending.remote;
                let discovery = Discovery::shared(base.clone(), remote.fetch.clone(), remote.discovery_timing, pending.runtime.clone())
                    .map_err(fail)?;
                let base = base.clone();
                let discovered = Discovered { pending, discovery, base, current: Mutex::new(None) };
                Ok(Source { fixed: None, discovered: Some(discovered), runtime })
            }
            _ => match pending.resolve_with(None) {
                Ok(resolved) => Ok(Source::resolved(resolved, runtime)),
                Err(e) => Err(fail(e.cause().unwrap_or_default().to_owned())),
            },
        }
    }

    fn resolved(resolved: Resolved, runtime: Option<Handle>) -> Source {
        Source { fixed: Some(resolved), discovered: None, runtime }
    }

    /// The keys and rules in force now, resolving them again when the metadata has changed.
    pub fn resolve(&self) -> Resolution<'_> {
        if let Some(fixed) = &self.fixed {
            return Resolution::Ready(Current::Fixed(fixed));
        }
        match &self.discovered {
            Some(discovered) => discovered.resolve(),
            None => Resolution::Reject(unavailable("no key source".into())),
        }
    }

    /// Whether keys and rules have been resolved once (discovery, if any, has answered).
    pub fn is_resolved(&self) -> bool {
        self.current_keys().is_some()
    }

    /// Fetches whatever is missing (the metadata, or the keys), joining a fetch in flight.
    pub async fn refresh(&self) {
        match (self.current_keys(), &self.discovered) {
            (Some(Keys::Remote(set)), _) => set.refresh().await,
            (None, Some(discovered)) => discovered.discovery.refresh().await,
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
        match (self.current_keys(), &self.discovered) {
            (Some(Keys::Remote(set)), _) => set.unavailable_error(),
            (None, Some(discovered)) => discovered.discovery.unavailable_error(),
            _ => Error::KeysUnavailable { cause: "the keys are being fetched".into() },
        }
    }

    /// The keys of the keys and rules resolved last, if any.
    fn current_keys(&self) -> Option<Keys> {
        match (&self.fixed, &self.discovered) {
            (Some(fixed), _) => Some(fixed.keys.clone()),
            (None, Some(discovered)) => lock(&discovered.current).as_ref().map(|(_, resolved)| resolved.keys.clone()),
            (None, None) => None,
        }
    }

    /// What the remote parts have been doing.
    pub fn stats(&self) -> Stats {
        let discovery_fetches = self.discovered.as_ref().map_or(0, |d| d.discovery.fetches());
        let jwks = match self.current_keys() {
            Some(Keys::Remote(set)) => Some(set.stats()),
            _ => None,
        };
        Stats { discovery_fetches, jwks }
    }
}

impl Discovered {
    fn resolve(&self) -> Resolution<'_> {
        let metadata = match self.discovery.lookup() {
            discovery::Lookup::Ready(metadata) => metadata,
            discovery::Lookup::Wait => return Resolution::Wait,
            discovery::Lookup::Reject(e) => return Resolution::Reject(e),
        };
        let mut current = lock(&self.current);
        if let Some((seen, resolved)) = current.as_ref()
            && Arc::ptr_eq(seen, &metadata)
        {
            return Resolution::Ready(Current::Discovered(Arc::clone(resolved)));
        }
        match self.pending.resolve_with(Some((&metadata, &self.base))) {
            Ok(resolved) => {
                let resolved = Arc::new(resolved);
                *current = Some((metadata, Arc::clone(&resolved)));
                Resolution::Ready(Current::Discovered(resolved))
            }
            Err(e) => Resolution::Reject(e),
        }
    }
}

impl Pending {
    /// The keys and rules, with what the metadata of `base` (when discovered) says.
    fn resolve_with(&self, discovered: Option<(&Metadata, &Url)>) -> Result<Resolved, Error> {
        let mut rules = self.rules.clone();
        let mut algorithms = Arc::clone(&self.algorithms);
        let mut jwks_uri = self.remote.jwks_uri.clone();
        if let Some((metadata, base)) = discovered {
            if !discovery::issuer_matches(&metadata.issuer, &rules.issuers, base) {
                return Err(unavailable(format!(
                    "the metadata of {base} names the issuer {:?}, which is not the one configured",
                    metadata.issuer
                )));
            }
            if rules.issuers.is_empty() {
                rules.issuers = vec![metadata.issuer.clone()];
            }
            if let Some(listed) = &metadata.algorithms {
                algorithms = algorithms.iter().copied().filter(|a| listed.contains(a)).collect();
                if algorithms.is_empty() {
                    return Err(unavailable(format!("none of the allowed algorithms is in the metadata of {base}")));
                }
            }
            jwks_uri = jwks_uri.or_else(|| Some(metadata.jwks_uri.clone()));
        }
        let keys = match (&self.local_keys, jwks_uri) {
            (Some(local), _) => Keys::Local(Arc::clone(local)),
            (None, Some(uri)) => {
                let r = &self.remote;
                let set = RemoteKeySet::shared(uri, r.fetch.clone(), r.timing, r.max_keys, self.runtime.clone()).map_err(unavailable)?;
                Keys::Remote(set)
            }
            (None, None) => return Err(unavailable("no JWK Set URI".into())),
        };
        Ok(Resolved { rules, algorithms, keys })
    }
}

fn unavailable(cause: String) -> Error {
    Error::KeysUnavailable { cause }
}
