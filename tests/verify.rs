//! The pipeline end to end: every algorithm accepted, every structural and signature defect
//! rejected with its kind.

mod common;

use bearer_rs::error::{Malformed, Part};
use bearer_rs::{Error, Options};
use common::*;
use serde_json::json;

fn secret() -> Vec<u8> {
    b"an HMAC secret that is long enough for HS512 in RFC 7518 section 3.2!".to_vec()
}

fn hmac_options(alg: &str) -> Options {
    Options {
        issuer: vec![ISSUER.into()],
        audience: vec![AUDIENCE.into()],
        secret: Some(secret()),
        algorithms: Some(vec![alg.into()]),
        ..Options::default()
    }
}

#[test]
fn accepts_a_valid_token_for_every_asymmetric_algorithm() {
    let keys = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
        .map(TestKey::rsa)
        .into_iter()
        .chain([TestKey::ec("ES256"), TestKey::ec("ES384"), TestKey::ed25519()]);
    for key in keys {
        let token = key.sign(&claims(json!({})));
        let verified = verifier(options_for(&key)).verify(&token, NOW);
        assert!(verified.is_ok(), "{}: {verified:?}", key.alg);
    }
}

#[test]
fn accepts_a_valid_token_for_every_hmac_algorithm() {
    for alg in ["HS256", "HS384", "HS512"] {
        let token = TestKey::hmac(alg, &secret()).sign(&claims(json!({})));
        assert!(verifier(hmac_options(alg)).verify(&token, NOW).is_ok(), "{alg}");
    }
}

#[test]
fn hands_back_the_header_and_payload_json_exactly_as_signed() {
    let key = TestKey::ec("ES256");
    let payload = r#"{"iss":"https://issuer.example.test/","aud":"https://api.example.test","exp":1750003600,"x":"\u00e9"}"#;
    let header = r#"{"alg":"ES256","kid":"ec-P-256"}"#;
    let verified = verifier(options_for(&key)).verify(&key.sign_text(header, payload), NOW).unwrap();
    assert_eq!(verified.payload_json, payload.as_bytes());
    assert_eq!(verified.header_json, header.as_bytes());
}

#[test]
fn rejects_a_tampered_payload() {
    let key = TestKey::rsa("RS256");
    let token = key.sign(&claims(json!({})));
    let forged = key.sign(&claims(json!({ "scope": "admin" })));
    let (head, _, sig) = split(&token);
    let (_, payload, _) = split(&forged);
    let tampered = format!("{head}.{payload}.{sig}");
    assert_eq!(verifier(options_for(&key)).verify(&tampered, NOW), Err(Error::SignatureInvalid));
}

#[test]
fn rejects_a_truncated_signature() {
    let key = TestKey::ec("ES256");
    let token = key.sign(&claims(json!({})));
    let (head, payload, _) = split(&token);
    let input = format!("{head}.{payload}");
    let signature = key.signature(input.as_bytes());
    let truncated = format!("{input}.{}", b64(&signature[..signature.len() - 3]));
    assert_eq!(verifier(options_for(&key)).verify(&truncated, NOW), Err(Error::SignatureInvalid));
}

#[test]
fn rejects_an_empty_or_overlong_signature() {
    let key = TestKey::rsa("RS256");
    let token = key.sign(&claims(json!({})));
    let (head, payload, _) = split(&token);
    let v = verifier(options_for(&key));
    assert_eq!(v.verify(&format!("{head}.{payload}."), NOW), Err(Error::SignatureInvalid));
    let long = format!("{head}.{payload}.{}", "A".repeat(2000));
    assert_eq!(v.verify(&long, NOW), Err(Error::SignatureInvalid));
}

#[test]
fn rejects_a_signature_that_is_not_strict_base64url() {
    let key = TestKey::rsa("RS256");
    let token = key.sign(&claims(json!({})));
    let v = verifier(options_for(&key));
    for bad in [format!("{token}="), format!("{token} "), token.replace('-', "+").replace('_', "/") + "+"] {
        assert_eq!(v.verify(&bad, NOW), Err(Error::Malformed(Malformed::Base64(Part::Signature))), "{bad}");
    }
}

#[test]
fn rejects_alg_none_in_every_spelling_with_or_without_a_signature() {
    let key = TestKey::rsa("RS256");
    let v = verifier(options_for(&key));
    let payload = b64(claims(json!({})).to_string());
    for alg in ["none", "None", "NONE", "nOnE"] {
        let head = b64(json!({ "alg": alg, "kid": "rsa-1" }).to_string());
        for sig in ["", "c2ln"] {
            assert_eq!(kind(v.verify(&format!("{head}.{payload}.{sig}"), NOW)), "algorithm_not_allowed", "{alg}");
        }
    }
}

#[test]
fn rejects_an_algorithm_outside_the_allow_list() {
    let mut key = TestKey::rsa("PS256");
    key.jwk.as_object_mut().unwrap().remove("alg");
    let mut options = options_for(&key);
    options.algorithms = Some(vec!["RS256".into()]);
    let token = key.sign(&claims(json!({})));
    assert_eq!(kind(verifier(options).verify(&token, NOW)), "algorithm_not_allowed");
}

#[test]
fn rejects_an_hmac_token_whose_secret_is_the_rsa_public_key() {
    let key = TestKey::rsa("RS256");
    let v = verifier(options_for(&key));
    for secret in [key.jwks(), key.jwk.to_string(), key.jwk["n"].as_str().unwrap().to_owned()] {
        let forged = TestKey::hmac("HS256", secret.as_bytes());
        let token = forged.sign_text(r#"{"alg":"HS256","kid":"rsa-1"}"#, &claims(json!({})).to_string());
        assert_eq!(kind(v.verify(&token, NOW)), "algorithm_not_allowed");
    }
}

#[test]
fn rejects_a_token_whose_kid_matches_no_key() {
    let key = TestKey::ec("ES256");
    let v = verifier(options_for(&key));
    for kid in ["other", "../../etc/passwd", "' OR 1=1 --", ""] {
        let header = json!({ "alg": "ES256", "kid": kid }).to_string();
        let token = key.sign_text(&header, &claims(json!({})).to_string());
        assert_eq!(kind(v.verify(&token, NOW)), "key_not_found", "{kid}");
    }
}

#[test]
fn never_follows_jku_x5u_jwk_or_x5c_from_the_token_header() {
    let trusted = TestKey::ec("ES256");
    let attacker = TestKey::ec("ES256");
    let v = verifier(options_for(&trusted));
    for (member, value) in [
        ("jku", json!("https://attacker.example/jwks.json")),
        ("x5u", json!("https://attacker.example/cert.pem")),
        ("jwk", attacker.jwk.clone()),
        ("x5c", json!(["MIIB"])),
    ] {
        let mut header = json!({ "alg": "ES256", "kid": "ec-P-256" });
        header[member] = value;
        let token = attacker.sign_text(&header.to_string(), &claims(json!({})).to_string());
        assert_eq!(v.verify(&token, NOW), Err(Error::SignatureInvalid), "{member}");
    }
}

#[test]
fn rejects_unknown_crit_and_unencoded_payloads() {
    let key = TestKey::ed25519();
    let v = verifier(options_for(&key));
    let payload = claims(json!({})).to_string();
    for header in [
        r#"{"alg":"EdDSA","kid":"ed-1","crit":["exp"],"exp":1}"#,
        r#"{"alg":"EdDSA","kid":"ed-1","crit":["b64"],"b64":false}"#,
        r#"{"alg":"EdDSA","kid":"ed-1","b64":false}"#,
    ] {
        assert_eq!(kind(v.verify(&key.sign_text(header, &payload), NOW)), "crit_unsupported", "{header}");
    }
}

#[test]
fn rejects_duplicate_members_in_the_header_or_the_claims() {
    let key = TestKey::ed25519();
    let v = verifier(options_for(&key));
    let good_payload = claims(json!({})).to_string();
    let dup_header = r#"{"alg":"EdDSA","kid":"ed-1","kid":"ed-2"}"#;
    assert_eq!(
        v.verify(&key.sign_text(dup_header, &good_payload), NOW),
        Err(Error::Malformed(Malformed::DuplicateMember(Part::Header)))
    );
    let dup_payload = good_payload.replacen('{', r#"{"aud":"https://evil.example","#, 1);
    assert_eq!(
        v.verify(&key.sign_text(r#"{"alg":"EdDSA","kid":"ed-1"}"#, &dup_payload), NOW),
        Err(Error::Malformed(Malformed::DuplicateMember(Part::Payload)))
    );
}

#[test]
fn rejects_a_payload_that_is_not_a_json_object() {
    let key = TestKey::ed25519();
    let v = verifier(options_for(&key));
    for payload in ["[]", "\"s\"", "null", "{", "foo"] {
        let token = key.sign_text(r#"{"alg":"EdDSA","kid":"ed-1"}"#, payload);
        assert!(matches!(v.verify(&token, NOW), Err(Error::Malformed(_))), "{payload}");
    }
}

#[test]
fn rejects_a_token_longer_than_max_token_length_before_decoding() {
    let key = TestKey::ed25519();
    let mut options = options_for(&key);
    options.max_token_length = Some(100.0);
    let token = key.sign(&claims(json!({})));
    assert_eq!(verifier(options).verify(&token, NOW), Err(Error::TooLarge { limit: 100 }));
}

#[test]
fn rejects_a_one_megabyte_token_under_the_default_limit() {
    let key = TestKey::ed25519();
    let token = "e".repeat(1 << 20);
    assert_eq!(verifier(options_for(&key)).verify(&token, NOW), Err(Error::TooLarge { limit: 16384 }));
}

fn split(token: &str) -> (&str, &str, &str) {
    let mut parts = token.split('.');
    (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
}
