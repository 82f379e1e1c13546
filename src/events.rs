//! Events of the remote metadata and key caches, for operators: fetched, failed, rotated, stale.
//! They carry URLs, `kid`s, durations and causes, never a token, a signature or a key. The binding
//! installs one process-wide sink (which publishes them on `node:diagnostics_channel`); without a
//! sink, emitting is a no-op.

use std::sync::OnceLock;

use serde::Serialize;

/// Something the caches did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Event {
    /// A JWK Set was fetched and imported.
    JwksFetched {
        /// The JWK Set URI.
        uri: String,
        /// The `kid`s now held.
        kids: Vec<String>,
        /// How long the fetch took, in ms.
        duration_ms: u64,
        /// Whether the document differs from the one fetched before (keys may have changed even
        /// when the `kid`s did not).
        changed: bool,
    },
    /// A JWK Set fetch failed; the keys held, if any, stay in use.
    JwksFailed {
        /// The JWK Set URI.
        uri: String,
        /// What went wrong.
        cause: String,
        /// Whether keys are still held (and serving).
        keys_held: bool,
    },
    /// A fetched JWK Set has other `kid`s than the one before.
    JwksRotated {
        /// The JWK Set URI.
        uri: String,
        /// `kid`s that appeared.
        added: Vec<String>,
        /// `kid`s that are gone.
        removed: Vec<String>,
    },
    /// Keys older than `cacheMaxAge` are being used because refreshes fail; emitted once per
    /// episode, when it starts.
    JwksStale {
        /// The JWK Set URI.
        uri: String,
        /// Age of the keys, in ms.
        age_ms: u64,
        /// Until when (epoch ms) they may still be used.
        stale_until: u64,
    },
    /// Authorization server metadata could not be fetched.
    DiscoveryFailed {
        /// The `issuerBaseURL`.
        url: String,
        /// What went wrong.
        cause: String,
    },
}

type Sink = Box<dyn Fn(&Event) + Send + Sync>;

static SINK: OnceLock<Sink> = OnceLock::new();

/// Installs the process-wide sink; false when one is installed already.
pub fn set_sink(sink: Sink) -> bool {
    SINK.set(sink).is_ok()
}

/// Hands `event` to the sink, if there is one.
pub fn emit(event: Event) {
    if let Some(sink) = SINK.get() {
        sink(&event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_a_type_tag_and_camel_case_fields() {
        let e = Event::JwksFailed { uri: "https://i.example/jwks".into(), cause: "HTTP status 500".into(), keys_held: true };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"jwksFailed","uri":"https://i.example/jwks","cause":"HTTP status 500","keysHeld":true}"#
        );
    }
}
