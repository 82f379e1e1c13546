//! Key import and selection: what the jsonwebtoken crate leaves to its users.

mod common;

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::KeyPair;

use bearer_rs::keys::{KeyError, KeySet, Unusable};
use bearer_rs::signature::ASYMMETRIC;
use bearer_rs::{Error, Options};

use common::*;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

fn asymmetric() -> Vec<Algorithm> {
    ASYMMETRIC.to_vec()
}

fn import(keys: Vec<Value>) -> Result<KeySet, KeyError> {
    KeySet::from_jwks(json!({ "keys": keys }).to_string().as_bytes(), &asymmetric(), 100)
}

fn skipped_reason(jwk: Value) -> Unusable {
    match import(vec![jwk]) {
        Err(KeyError::NoUsableKey(skipped)) => skipped[0].reason.clone(),
        Err(other) => panic!("expected the key to be skipped, got {other:?}"),
        Ok(_) => panic!("expected the key to be skipped"),
    }
}

fn with(mut jwk: Value, member: &str, value: Value) -> Value {
    jwk[member] = value;
    jwk
}

#[test]
fn skips_a_key_meant_for_encryption() {
    let key = TestKey::ec("ES256");
    assert_eq!(skipped_reason(with(key.jwk, "use", json!("enc"))), Unusable::NotForSignatures);
}

#[test]
fn skips_a_key_whose_key_ops_lack_verify() {
    let key = TestKey::ec("ES256");
    assert_eq!(skipped_reason(with(key.jwk.clone(), "key_ops", json!(["sign"]))), Unusable::NoVerifyOperation);
    assert!(import(vec![with(key.jwk, "key_ops", json!(["verify"]))]).is_ok());
}

#[test]
fn skips_a_key_with_private_members() {
    let key = TestKey::ed25519();
    assert_eq!(skipped_reason(with(key.jwk, "d", json!("AAAA"))), Unusable::PrivateMembers);
}

#[test]
fn skips_symmetric_keys_in_a_key_set() {
    assert_eq!(skipped_reason(json!({ "kty": "oct", "k": "c2VjcmV0", "kid": "h" })), Unusable::Symmetric);
}

#[test]
fn skips_rsa_keys_under_2048_bits() {
    for (bytes, bits) in [(128, 1024), (256, 2047)] {
        let mut n = vec![0xff; bytes];
        n[0] = if bits % 8 == 0 { 0xff } else { 0x7f };
        let jwk = json!({ "kty": "RSA", "n": b64(&n), "e": "AQAB", "kid": "weak" });
        assert_eq!(skipped_reason(jwk), Unusable::RsaKeySize { bits }, "{bits}");
    }
}

#[test]
fn skips_a_key_on_the_wrong_curve_or_of_an_unsupported_type() {
    let p256 = TestKey::ec("ES256");
    assert_eq!(skipped_reason(with(p256.jwk.clone(), "crv", json!("P-384"))), Unusable::InvalidMaterial);
    assert_eq!(skipped_reason(with(p256.jwk.clone(), "crv", json!("secp256k1"))), Unusable::UnsupportedType);
    assert_eq!(skipped_reason(with(p256.jwk, "crv", json!("Ed25519"))), Unusable::UnsupportedType);
    assert_eq!(skipped_reason(json!({ "kty": "OKP", "crv": "X25519", "x": "AAAA" })), Unusable::UnsupportedType);
}

#[test]
fn skips_a_key_whose_alg_does_not_fit_its_type() {
    let key = TestKey::ec("ES256");
    assert_eq!(skipped_reason(with(key.jwk.clone(), "alg", json!("RS256"))), Unusable::AlgorithmMismatch);
    assert_eq!(skipped_reason(with(key.jwk, "alg", json!("ES521"))), Unusable::AlgorithmMismatch);
}

#[test]
fn one_bad_key_does_not_poison_the_set() {
    let good = TestKey::ec("ES256");
    let set = import(vec![json!({ "kty": "RSA", "n": "!!", "e": "AQAB" }), json!("junk"), good.jwk.clone()]).unwrap();
    assert_eq!(set.kids().collect::<Vec<_>>(), ["ec-P-256"]);
    assert_eq!(set.skipped().len(), 2);
}

#[test]
fn a_set_with_no_usable_key_is_refused_with_each_reason() {
    let err = import(vec![json!({ "kty": "oct", "k": "AA", "kid": "h" })]).err().unwrap();
    assert_eq!(err.to_string(), "has no usable key: h: symmetric keys are only accepted as 'secret'");
}

#[test]
fn keeps_at_most_the_configured_number_of_keys() {
    let keys: Vec<Value> = (0..3).map(|i| with(TestKey::ed25519().jwk, "kid", json!(format!("k{i}")))).collect();
    let set = KeySet::from_jwks(json!({ "keys": keys }).to_string().as_bytes(), &asymmetric(), 2).unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(set.skipped()[0].reason, Unusable::TooMany);
}

#[test]
fn a_jwk_alg_restricts_the_key_to_that_algorithm() {
    let key = TestKey::rsa("PS256");
    let token = TestKey::rsa("PS384").sign(&claims(json!({})));
    assert_eq!(kind(verifier(options_for(&key)).verify(&token, NOW)), "key_not_found");
}

#[test]
fn a_token_without_kid_uses_the_only_key_that_fits() {
    let key = TestKey::ed25519();
    let token = key.sign_text(r#"{"alg":"EdDSA"}"#, &claims(json!({})).to_string());
    assert!(verifier(options_for(&key)).verify(&token, NOW).is_ok());
}

#[test]
fn a_token_without_kid_is_refused_when_several_keys_fit() {
    let (a, b) = (TestKey::ed25519(), TestKey::ed25519());
    let options = Options {
        jwks: Some(json!({ "keys": [a.jwk, with(b.jwk, "kid", json!("ed-2"))] }).to_string()),
        ..options_for(&a)
    };
    let token = a.sign_text(r#"{"alg":"EdDSA"}"#, &claims(json!({})).to_string());
    assert_eq!(verifier(options).verify(&token, NOW), Err(Error::KeyNotFound { ambiguous: true }));
}

#[test]
fn keys_sharing_a_kid_are_each_tried() {
    let (first, second) = (TestKey::ed25519(), TestKey::ed25519());
    let options = Options { jwks: Some(json!({ "keys": [first.jwk, second.jwk] }).to_string()), ..options_for(&first) };
    let v = verifier(options);
    assert!(v.verify(&first.sign(&claims(json!({}))), NOW).is_ok());
    assert!(v.verify(&second.sign(&claims(json!({}))), NOW).is_ok());
}

#[test]
fn a_mixed_set_never_lets_an_hmac_token_through() {
    let public = TestKey::ec("ES256");
    let options = Options {
        jwks: Some(json!({ "keys": [public.jwk, { "kty": "oct", "k": b64("s".repeat(32)), "kid": "ec-P-256" }] }).to_string()),
        ..options_for(&public)
    };
    let forged = TestKey::hmac("HS256", "s".repeat(32).as_bytes());
    let token = forged.sign_text(r#"{"alg":"HS256","kid":"ec-P-256"}"#, &claims(json!({})).to_string());
    assert_eq!(kind(verifier(options).verify(&token, NOW)), "algorithm_not_allowed");
}

fn pem(der: &[u8]) -> String {
    pem_labelled("PUBLIC KEY", der)
}

fn pem_labelled(label: &str, der: &[u8]) -> String {
    let body = base64_simd::STANDARD.encode_to_string(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

fn rsa_spki() -> Vec<u8> {
    let rsa = aws_lc_rs::signature::RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    rsa.public_key().as_der().unwrap().as_ref().to_vec()
}

#[test]
fn imports_pem_public_keys_of_every_supported_type() {
    let ec = aws_lc_rs::signature::EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let ed = aws_lc_rs::signature::Ed25519KeyPair::generate().unwrap();
    let rsa = aws_lc_rs::signature::RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let ders: [PublicKeyX509Der<'static>; 3] = [
        ec.public_key().as_der().unwrap(),
        ed.public_key().as_der().unwrap(),
        rsa.public_key().as_der().unwrap(),
    ];
    for der in ders {
        let set = KeySet::from_pem(&pem(der.as_ref()), &asymmetric());
        assert!(set.is_ok(), "{:?} {}", set.err(), pem(der.as_ref()));
    }
}

#[test]
fn refuses_a_private_key_or_garbage_as_a_pem_public_key() {
    let private = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
    assert_eq!(KeySet::from_pem(private, &asymmetric()).err(), Some(KeyError::PrivateKey));
    assert_eq!(KeySet::from_pem("not a key", &asymmetric()).err(), Some(KeyError::NotAPublicKey));
}

#[test]
fn a_pem_label_must_name_what_the_block_holds() {
    let spki = rsa_spki();
    for label in ["CERTIFICATE", "RSA PUBLIC KEY"] {
        assert_eq!(
            KeySet::from_pem(&pem_labelled(label, &spki), &asymmetric()).err(),
            Some(KeyError::PemLabelMismatch { label: label.into() }),
            "an SPKI body under {label}"
        );
    }
    assert_eq!(KeySet::from_pem(&pem_labelled("X509 CRL", &spki), &asymmetric()).err(), Some(KeyError::NotAPublicKey));
}

#[test]
fn a_pem_text_must_hold_exactly_one_block() {
    let two = format!("{}{}", pem(&rsa_spki()), pem(&rsa_spki()));
    assert_eq!(KeySet::from_pem(&two, &asymmetric()).err(), Some(KeyError::NotAPublicKey));
    assert_eq!(KeySet::from_pem("", &asymmetric()).err(), Some(KeyError::NotAPublicKey));
}

#[test]
fn refuses_hmac_secrets_shorter_than_the_hash() {
    assert_eq!(
        KeySet::from_secret(&[1; 31], &[Algorithm::HS256]).err(),
        Some(KeyError::WeakSecret { alg: Algorithm::HS256, min: 32 })
    );
    assert_eq!(
        KeySet::from_secret(&[1; 48], &[Algorithm::HS256, Algorithm::HS512]).err(),
        Some(KeyError::WeakSecret { alg: Algorithm::HS512, min: 64 })
    );
    assert!(KeySet::from_secret(&[1; 32], &[Algorithm::HS256]).is_ok());
}

#[test]
fn a_key_given_on_its_own_is_used_whatever_kid_the_token_names() {
    let key = TestKey::ed25519();
    let single = Options { jwks: None, public_key: Some(key.jwk.to_string()), ..options_for(&key) };
    let token = key.sign_text(r#"{"alg":"EdDSA","kid":"whatever"}"#, &claims(json!({})).to_string());
    assert!(verifier(single).verify(&token, NOW).is_ok());
    let secret = "s".repeat(32);
    let hmac = Options { jwks: None, secret: Some(secret.clone().into_bytes()), algorithms: Some(vec!["HS256".into()]), ..options_for(&key) };
    let token = TestKey::hmac("HS256", secret.as_bytes()).sign_text(r#"{"alg":"HS256","kid":"k"}"#, &claims(json!({})).to_string());
    assert!(verifier(hmac).verify(&token, NOW).is_ok());
}
