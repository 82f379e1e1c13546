//! The bodies of the fuzz targets, shared by `cargo fuzz` (`fuzz_targets/`, nightly) and by
//! `tests/fuzz.rs` (stable: a long `#[ignore]`d run and the proptest properties).
//!
//! Each body must never panic, hang or allocate without bound, whatever the input; each also
//! checks an oracle, so a wrong answer fails like a crash.

use std::sync::OnceLock;

use bearer_rs::keys::{KeyError, KeySet};
use bearer_rs::signature::{self, SUPPORTED};
use bearer_rs::{Options, Verifier};
use jsonwebtoken::Algorithm;
use serde_json::Value;

/// The time the verifiers check claims at; the seed tokens are valid then.
pub const NOW: i64 = 1_750_000_000;

/// The issuer's keys (a P-256 key, RFC 8037's Ed25519 key, a 2048-bit RSA key), kid `ec`,
/// `ed` and `rsa`; the seed tokens are signed with their private halves.
pub const JWKS: &str = include_str!("../seeds/import_jwks/keys.json");

/// The HMAC secret of the `hs256` seed.
pub const SECRET: &str = "a fuzzing secret of at least thirty-two bytes";

/// Every token that verifies: the seeds, byte for byte.
pub const VALID: [&str; 6] = [
    include_str!("../seeds/verify_token/es256"),
    include_str!("../seeds/verify_token/eddsa"),
    include_str!("../seeds/verify_token/rs256"),
    include_str!("../seeds/verify_token/ps256"),
    include_str!("../seeds/verify_token/hs256"),
    include_str!("../seeds/verify_token/nested"),
];

fn options() -> Options {
    Options { issuer: vec!["https://issuer.fuzz.test/".into()], audience: vec!["fuzz".into()], ..Options::default() }
}

fn verifiers() -> &'static [Verifier; 3] {
    static VERIFIERS: OnceLock<[Verifier; 3]> = OnceLock::new();
    VERIFIERS.get_or_init(|| {
        let build = |o: Options| Verifier::new(o).expect("the fuzz verifiers' options are valid");
        [
            build(Options { jwks: Some(JWKS.into()), ..options() }),
            build(Options { jwks: Some(JWKS.into()), strict: Some(true), max_token_length: Some(1024.0 * 1024.0), ..options() }),
            build(Options { secret: Some(SECRET.into()), algorithms: Some(vec!["HS256".into()]), ..options() }),
        ]
    })
}

/// Target `verify_token`: the input as a token (lossy UTF-8, as a JS string would carry it)
/// through every verifier. Only a seed may verify, and only with its own header and payload.
pub fn verify_token(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    for verifier in verifiers() {
        if let Ok(verified) = verifier.verify(&token, NOW) {
            assert!(VALID.contains(&token.as_ref()), "a token that is not a seed verified: {token:?}");
            let input = token.rsplit_once('.').map(|(input, _)| input).unwrap_or_default();
            let (header, payload) = input.split_once('.').unwrap_or_default();
            assert_eq!(bearer_rs::base64url::decode(header.as_bytes()).as_deref(), Some(&verified.header_json[..]));
            assert_eq!(bearer_rs::base64url::decode(payload.as_bytes()).as_deref(), Some(&verified.payload_json[..]));
        }
    }
}

/// Target `import_jwks`: the input as a JWK Set, a single JWK, a PEM key and verifier options.
/// Every entry of a key set is either imported or skipped with a reason, never lost.
pub fn import_jwks(data: &[u8]) {
    let allowed: Vec<Algorithm> = SUPPORTED.into_iter().filter(|a| !signature::is_symmetric(*a)).collect();
    let entries = match serde_json::from_slice::<Value>(data) {
        Ok(Value::Object(doc)) => doc.get("keys").and_then(Value::as_array).map(Vec::len),
        _ => None,
    };
    match (KeySet::from_jwks(data, &allowed, 100), entries) {
        (Ok(set), Some(n)) => assert_eq!(set.len() + set.skipped().len(), n),
        (Err(KeyError::NoUsableKey(skipped)), Some(n)) => assert_eq!(skipped.len(), n),
        (Err(KeyError::NotAKeySet), None) => {}
        (other, n) => panic!("{:?} for a document of {n:?} entries", other.err()),
    }
    let _ = KeySet::from_jwk(data, &allowed);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = KeySet::from_pem(text, &allowed);
        let _ = Verifier::new(Options { jwks: Some(text.into()), ..options() });
        let _ = Verifier::new(Options { public_key: Some(text.into()), ..options() });
    }
}
