//! Options that would silently widen what is accepted are refused when the verifier is built,
//! naming the option; what they may leave out is still inferred safely.

mod common;

use bearer_rs::{Options, Verifier};
use common::*;
use serde_json::json;

/// The option a refusal names and its reason; panics when the options were accepted.
fn refusal(options: Options) -> (&'static str, String) {
    match Verifier::new(options) {
        Err(e) => (e.option, e.reason),
        Ok(_) => panic!("the options were accepted"),
    }
}

fn with_public_key(key: &TestKey, public_key: String) -> Options {
    Options { jwks: None, public_key: Some(public_key), ..options_for(key) }
}

fn algorithms(names: &[&str]) -> Option<Vec<String>> {
    Some(names.iter().map(|n| (*n).to_owned()).collect())
}

#[test]
fn an_empty_allow_list_allows_nothing_and_is_refused() {
    let key = TestKey::ec("ES256");
    let (option, reason) = refusal(Options { algorithms: algorithms(&[]), ..options_for(&key) });
    assert_eq!((option, reason.as_str()), ("algorithms", "must not be empty: an empty allow-list allows no algorithm"));
}

#[test]
fn a_pem_public_key_needs_a_pinned_algorithm() {
    let key = TestKey::rsa("RS256");
    let (option, reason) = refusal(with_public_key(&key, key.pem()));
    assert_eq!(option, "algorithms");
    assert!(reason.starts_with("is required when 'publicKey' is a PEM key"), "{reason}");
    let pinned = Options { algorithms: algorithms(&["RS256"]), ..with_public_key(&key, key.pem()) };
    assert_eq!(kind(verifier(pinned).verify(&key.sign(&claims(json!({}))), NOW)), "ok");
}

#[test]
fn a_single_jwk_without_its_own_alg_needs_a_pinned_algorithm() {
    let key = TestKey::rsa("RS256");
    let mut bare = key.jwk.clone();
    bare.as_object_mut().unwrap().remove("alg");
    let (option, reason) = refusal(with_public_key(&key, bare.to_string()));
    assert_eq!(option, "algorithms");
    assert!(reason.starts_with("is required when 'publicKey' is a JWK without \"alg\""), "{reason}");
}

#[test]
fn a_jwk_with_alg_or_a_jwk_set_still_infers_the_algorithm() {
    let key = TestKey::rsa("PS256");
    let token = key.sign(&claims(json!({})));
    assert_eq!(kind(verifier(with_public_key(&key, key.jwk.to_string())).verify(&token, NOW)), "ok");
    assert_eq!(kind(verifier(with_public_key(&key, key.jwks())).verify(&token, NOW)), "ok");
}

#[test]
fn a_secret_is_bytes_so_a_binary_hmac_key_verifies() {
    let secret: Vec<u8> = (0..=255u8).rev().take(64).collect();
    assert!(String::from_utf8(secret.clone()).is_err(), "the key is not UTF-8");
    let key = TestKey::hmac("HS256", &secret);
    let options = Options {
        jwks: None,
        secret: Some(secret),
        algorithms: algorithms(&["HS256"]),
        ..options_for(&TestKey::ec("ES256"))
    };
    let token = key.sign_text(r#"{"alg":"HS256"}"#, &claims(json!({})).to_string());
    assert_eq!(kind(verifier(options).verify(&token, NOW)), "ok");
}
