//! The published JWS examples: RFC 7515 Appendix A, RFC 7520 §4 and RFC 8037 Appendix A, stored in
//! `tests/vectors/` with the section each comes from. Their payloads are not access tokens, so each
//! runs through the JWS layer of the pipeline (`tests/common/jws.rs`): the valid signatures verify, the
//! unsecured, JSON-serialized and unsupported examples are rejected with the stated reason.

mod common;
#[path = "common/jws.rs"]
mod jws;

use bearer_rs::{Error, Options, Verifier};
use jws::{Setup, neutral_options};
use serde_json::{Value, json};

fn vectors(file: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(file);
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn setup(vector: &Value) -> Setup {
    let key = &vector["key"];
    if key["kty"] == "oct" {
        Setup::secret(key["k"].as_str().unwrap(), vector["alg"].as_str().unwrap())
    } else {
        Setup::for_jwk(key)
    }
}

/// Runs every vector of `file` and checks it against its `expect`, naming the section on failure.
fn run_file(file: &str) -> usize {
    let mut failures = Vec::new();
    let all = vectors(file);
    for vector in &all {
        let outcome = setup(vector).run(vector["jws"].as_str().unwrap());
        let expect = vector["expect"].as_str().unwrap();
        if outcome != expect && !outcome.starts_with(&format!("{expect}:")) {
            failures.push(format!("{}: expected {expect} ({}), got {outcome}", vector["section"], vector["reason"]));
        }
        println!("{}: {outcome}", vector["section"]);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    all.len()
}

#[test]
fn every_rfc7515_appendix_a_example_is_verified_or_rejected_as_documented() {
    assert_eq!(run_file("rfc7515_appendix_a.json"), 7);
}

#[test]
fn every_rfc7520_section_4_signature_is_verified_or_rejected_as_documented() {
    assert_eq!(run_file("rfc7520_section_4.json"), 5);
}

#[test]
fn the_rfc8037_ed25519_example_verifies() {
    assert_eq!(run_file("rfc8037_appendix_a.json"), 1);
}

fn vector(file: &str, section: &str) -> Value {
    vectors(file).into_iter().find(|v| v["section"] == section).unwrap()
}

/// The A.1–A.3 claims: `iss` "joe", `exp` 1300819380, no `aud`.
const A_EXP: i64 = 1_300_819_380;

#[test]
fn the_rfc7515_rs256_and_es256_examples_pass_every_check_but_the_audience_they_lack() {
    for section in ["RFC 7515 §A.2", "RFC 7515 §A.3"] {
        let v = vector("rfc7515_appendix_a.json", section);
        let options = Options {
            issuer: vec!["joe".into()],
            jwks: Some(json!({ "keys": [v["key"]] }).to_string()),
            ..neutral_options()
        };
        let verified = Verifier::new(options).unwrap().verify(v["jws"].as_str().unwrap(), A_EXP - 60);
        assert_eq!(verified, Err(Error::ClaimMissing { claim: "aud".into() }), "{section}");
    }
}

#[test]
fn the_rfc7515_es512_example_is_an_algorithm_not_allowed_for_a_verifier_with_a_supported_key() {
    let es512 = vector("rfc7515_appendix_a.json", "RFC 7515 §A.4");
    let es256_key = &vector("rfc7515_appendix_a.json", "RFC 7515 §A.3")["key"];
    let options = Options { jwks: Some(json!({ "keys": [es256_key] }).to_string()), ..neutral_options() };
    let result = Verifier::new(options).unwrap().verify(es512["jws"].as_str().unwrap(), A_EXP - 60);
    assert!(matches!(result, Err(Error::AlgorithmNotAllowed { alg: Some(ref name), .. }) if name == "ES512"), "{result:?}");
}

#[test]
fn the_rfc7520_pss_signature_that_wycheproof_pairs_with_a_ps256_key_verifies_with_the_rfc_key() {
    let v = vector("rfc7520_section_4.json", "RFC 7520 §4.2");
    assert!(v["key"].get("alg").is_none(), "RFC 7520 §3.3's key has no alg");
    let mut with_alg = v["key"].clone();
    with_alg["alg"] = "PS256".into();
    assert_eq!(Setup::for_jwk(&with_alg).run(v["jws"].as_str().unwrap()), "key_not_found");
}

#[test]
fn a_flipped_signature_bit_fails_every_example_that_verifies() {
    let files = ["rfc7515_appendix_a.json", "rfc7520_section_4.json", "rfc8037_appendix_a.json"];
    let verified = files.iter().flat_map(|f| vectors(f)).filter(|v| v["expect"] == "verified").collect::<Vec<_>>();
    assert_eq!(verified.len(), 7);
    for v in verified {
        let jws = v["jws"].as_str().unwrap();
        let (input, signature) = jws.rsplit_once('.').unwrap();
        let mut bytes = bearer_rs::base64url::decode(signature.as_bytes()).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x10;
        let tampered = format!("{input}.{}", common::b64(bytes));
        assert_eq!(setup(&v).run(&tampered), "signature_invalid", "{}", v["section"]);
    }
}
