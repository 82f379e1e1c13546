//! The verification pipeline, on one screen: decode → resolve the keys and rules → allow the
//! algorithm → select the key → verify the signature → decode the claims → check them. Each step
//! lives in its own module and never calls back up. The pipeline itself never waits: when keys
//! must be fetched first it says so, and [`Verifier::verify_async`] waits and tries again.

use std::sync::Arc;

use jsonwebtoken::Algorithm;
use tokio::runtime::Handle;

use crate::base64url;
use crate::claims::{self, Claims};
use crate::config::{Config, OptionError, Options};
use crate::error::{Error, Malformed, Part};
use crate::jwks;
use crate::keys::KeySet;
use crate::signature;
use crate::source::{self, Keys, Resolution, Source};
use crate::token::{self, Alg, Token};

/// Longest signature any supported algorithm produces: RSA with an 8192-bit modulus.
const MAX_SIGNATURE_LEN: usize = 1024;

/// A verified token: the header and payload JSON text, exactly as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The JOSE header's JSON text.
    pub header_json: Vec<u8>,
    /// The claims set's JSON text.
    pub payload_json: Vec<u8>,
    /// The epoch seconds `now` for which its time claims pass: `window.0 <= now < window.1`.
    pub window: (i64, i64),
}

/// The result of one pass of the pipeline.
#[derive(Debug)]
pub enum Attempt {
    /// Verified or rejected.
    Done(Result<Verified, Error>),
    /// Keys or metadata must be fetched first; [`Verifier::verify_async`] does that.
    NeedsRefresh,
}

/// What one verification has already waited for: each stage is waited for at most once.
#[derive(Default)]
struct Waited {
    discovery: bool,
    keys: bool,
}

impl Waited {
    /// Records a wait for the keys (once the source is resolved) or for discovery; `false` when
    /// that stage was already waited for, so the caller must answer instead of waiting again.
    fn mark(&mut self, resolved: bool) -> bool {
        let stage = if resolved { &mut self.keys } else { &mut self.discovery };
        !std::mem::replace(stage, true)
    }
}

/// Why a pass stopped early.
enum Stop {
    Fail(Error),
    Refresh,
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Fail(e)
    }
}

/// Verifies tokens against one configuration; built once, shared across threads.
pub struct Verifier {
    max_token_length: usize,
    required: Vec<String>,
    source: Arc<Source>,
}

impl Verifier {
    /// Builds a verifier, importing local keys once. Remote keys are fetched on the Tokio runtime
    /// current at construction.
    pub fn new(options: Options) -> Result<Verifier, OptionError> {
        let mut config = Config::new(options)?;
        let source = Source::new(&mut config, Handle::try_current().ok())?;
        Ok(Verifier {
            max_token_length: config.max_token_length,
            required: config.rules.required.clone(),
            source: Arc::new(source),
        })
    }

    /// Verifies `token` at `now` (epoch seconds) without waiting on the network: when keys are
    /// missing, a fetch starts in the background and the token is rejected as `keys_unavailable`
    /// (decided before the fetch starts, so a fetch that lands at once cannot change the answer).
    pub fn verify(&self, token: &str, now: i64) -> Result<Verified, Error> {
        match self.attempt(token, now) {
            Attempt::Done(result) => result,
            Attempt::NeedsRefresh => {
                let answer = self.source.unavailable_error();
                self.source.start_refresh();
                Err(answer)
            }
        }
    }

    /// Verifies `token`, waiting for (one shared) fetch of metadata or keys when needed.
    ///
    /// A verification waits for at most one discovery and one key fetch, each joined or started,
    /// and answers once what it waited for has landed: when discovery failed, it is rejected as
    /// `keys_unavailable` rather than waiting for the next attempt, so no request outlives one
    /// discovery (two URLs, each within `timeoutDuration`) and one key fetch. Once the keys have
    /// been refreshed for a token, a `kid` still unknown is answered, not fetched for again.
    pub async fn verify_async(&self, token: &str, now: i64) -> Result<Verified, Error> {
        let mut waited = Waited::default();
        loop {
            match self.pass(token, now, waited.keys) {
                Ok(verified) => return Ok(verified),
                Err(Stop::Fail(e)) => return Err(e),
                Err(Stop::Refresh) => {
                    if !waited.mark(self.source.is_resolved()) {
                        return Err(self.source.unavailable_error());
                    }
                    self.source.refresh().await;
                }
            }
        }
    }

    /// Fetches the metadata and keys now (for `verifier.ready()`), waiting for at most one
    /// discovery and one key fetch as [`Verifier::verify_async`] does; fails with the cause.
    pub async fn ready(&self) -> Result<(), Error> {
        let mut waited = Waited::default();
        loop {
            let keys = match self.source.resolve() {
                Resolution::Ready(current) => current.keys.clone(),
                Resolution::Reject(e) => return Err(e),
                Resolution::Wait if !waited.mark(false) => return Err(self.source.unavailable_error()),
                Resolution::Wait => {
                    self.source.refresh().await;
                    continue;
                }
            };
            return match keys {
                Keys::Local(_) => Ok(()),
                Keys::Remote(set) => {
                    set.refresh().await;
                    if set.stats().kids.is_empty() { Err(set.unavailable_error()) } else { Ok(()) }
                }
            };
        }
    }

    /// What the remote metadata and keys have been doing.
    pub fn stats(&self) -> source::Stats {
        self.source.stats()
    }

    /// One pass of the pipeline.
    pub fn attempt(&self, token: &str, now: i64) -> Attempt {
        match self.pass(token, now, false) {
            Ok(verified) => Attempt::Done(Ok(verified)),
            Err(Stop::Fail(e)) => Attempt::Done(Err(e)),
            Err(Stop::Refresh) => Attempt::NeedsRefresh,
        }
    }

    /// One pass; with `keys_refreshed`, a key set that would want another fetch answers instead.
    fn pass(&self, token: &str, now: i64, keys_refreshed: bool) -> Result<Verified, Stop> {
        #[cfg(feature = "test-panic")]
        if token == "bearer-rs:test-panic" {
            panic!("bearer-rs test panic");
        }
        let token = token::decode(token, self.max_token_length)?;
        let resolved = match self.source.resolve() {
            Resolution::Ready(resolved) => resolved,
            Resolution::Wait => return Err(Stop::Refresh),
            Resolution::Reject(e) => return Err(Stop::Fail(e)),
        };
        let alg = allowed_algorithm(&token, &resolved.algorithms)?;
        let keys = keys_for(&resolved.keys, alg, token.header.kid.as_deref(), keys_refreshed)?;
        verify_signature(&token, alg, &keys)?;
        let payload_json = token::decode_payload(token.payload)?;
        let claims = Claims::parse(&payload_json, &self.required)?;
        claims::check(&claims, token.header.typ, &resolved.rules, now)?;
        let window = claims::window(&claims, &resolved.rules);
        Ok(Verified { header_json: token.header_json, payload_json, window })
    }
}

fn allowed_algorithm(token: &Token<'_>, allowed: &Arc<[Algorithm]>) -> Result<Algorithm, Error> {
    if let Some(extension) = &token.header.extension {
        return Err(Error::CritUnsupported { extension: extension.clone() });
    }
    let alg = match &token.header.alg {
        Alg::Supported(alg) if allowed.contains(alg) => return Ok(*alg),
        Alg::Supported(alg) => Some(signature::name(*alg).to_owned()),
        Alg::Unsupported(name) => name.clone(),
    };
    Err(Error::AlgorithmNotAllowed {
        alg,
        symmetric: allowed.iter().any(|a| signature::is_symmetric(*a)),
        allowed: Arc::clone(allowed),
    })
}

/// The key set to verify with: the local one, or what the remote set's policy hands out.
fn keys_for(keys: &Keys, alg: Algorithm, kid: Option<&str>, refreshed: bool) -> Result<Arc<KeySet>, Stop> {
    match keys {
        Keys::Local(set) => Ok(Arc::clone(set)),
        Keys::Remote(set) => match set.lookup(alg, kid) {
            jwks::Lookup::Ready(keys) => Ok(keys),
            jwks::Lookup::Wait if refreshed => Err(Stop::Fail(set.unavailable_error())),
            jwks::Lookup::Wait => Err(Stop::Refresh),
            jwks::Lookup::Reject(e) => Err(Stop::Fail(e)),
        },
    }
}

fn verify_signature(token: &Token<'_>, alg: Algorithm, keys: &KeySet) -> Result<(), Error> {
    let mut buffer = [0u8; MAX_SIGNATURE_LEN];
    if token.signature.len() > MAX_SIGNATURE_LEN.div_ceil(3) * 4 {
        return Err(Error::SignatureInvalid);
    }
    let Some(len) = base64url::decode_into(token.signature, &mut buffer) else {
        return Err(Error::Malformed(Malformed::Base64(Part::Signature)));
    };
    let signature = &buffer[..len];
    let kid = token.header.kid.as_deref();
    let mut candidates = keys.candidates(alg, kid).peekable();
    if candidates.peek().is_none() {
        return Err(Error::KeyNotFound { ambiguous: keys.is_ambiguous(alg, kid) });
    }
    if candidates.any(|key| key.verify(token.signing_input, signature)) {
        Ok(())
    } else {
        Err(Error::SignatureInvalid)
    }
}
