//! µs per token for: jsonwebtoken's `decode` with the backend chosen by feature, and bearer-rs's
//! `Verifier::verify` (keys pre-parsed in aws-lc). Distinct ~900-byte tokens, one thread,
//! medians of 7 rounds.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::{Value, json};

const TOKENS: usize = 2000;
const ROUNDS: usize = 7;
const ISS: &str = "https://issuer.example.test/";
const AUD: &str = "https://api.example.test";

enum Signer {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

fn b64(b: impl AsRef<[u8]>) -> String {
    B64.encode(b)
}

impl Signer {
    fn jwk(&self) -> Value {
        match self {
            Signer::Rsa(k) => {
                let c = sig::RsaPublicKeyComponents::<Vec<u8>>::from(k.public_key());
                json!({ "kty": "RSA", "n": b64(&c.n), "e": b64(&c.e), "kid": "k", "alg": "RS256" })
            }
            Signer::Ec(k) => {
                let p = k.public_key().as_ref();
                json!({ "kty": "EC", "crv": "P-256", "x": b64(&p[1..33]), "y": b64(&p[33..]), "kid": "k", "alg": "ES256" })
            }
            Signer::Ed(k) => json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(k.public_key()), "kid": "k", "alg": "EdDSA" }),
        }
    }

    fn sign(&self, alg: &str, claims: &Value) -> String {
        let input = format!("{}.{}", b64(json!({ "alg": alg, "typ": "at+jwt", "kid": "k" }).to_string()), b64(claims.to_string()));
        let signature = match self {
            Signer::Rsa(k) => {
                let mut out = vec![0; k.public_modulus_len()];
                k.sign(&sig::RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut out).unwrap();
                out
            }
            Signer::Ec(k) => k.sign(&SystemRandom::new(), input.as_bytes()).unwrap().as_ref().to_vec(),
            Signer::Ed(k) => k.sign(input.as_bytes()).as_ref().to_vec(),
        };
        format!("{input}.{}", b64(signature))
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(tokens: &[String], mut verify: impl FnMut(&str) -> bool) -> f64 {
    let rounds = (0..ROUNDS).map(|_| {
        let start = Instant::now();
        let ok = tokens.iter().filter(|t| verify(t)).count();
        assert_eq!(ok, tokens.len(), "every token must verify");
        start.elapsed().as_secs_f64() * 1e6 / tokens.len() as f64
    });
    median(rounds.collect())
}

#[cfg(feature = "rust-crypto")]
fn install_backend() -> &'static str {
    jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default().unwrap();
    "RustCrypto"
}

#[cfg(not(feature = "rust-crypto"))]
fn install_backend() -> &'static str {
    jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default().unwrap();
    "aws-lc-rs"
}

fn main() {
    let backend = install_backend();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let cases = [
        ("RS256", Algorithm::RS256, Signer::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).unwrap())),
        ("ES256", Algorithm::ES256, Signer::Ec(EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap())),
        ("EdDSA", Algorithm::EdDSA, Signer::Ed(Ed25519KeyPair::generate().unwrap())),
    ];
    println!("| µs per token ({TOKENS} distinct tokens, median of {ROUNDS}) | RS256 | ES256 | EdDSA |");
    println!("|---|---:|---:|---:|");
    let mut crate_row = Vec::new();
    let mut ours_row = Vec::new();
    for (name, alg, signer) in &cases {
        let tokens: Vec<String> = (0..TOKENS)
            .map(|i| {
                signer.sign(name, &json!({
                    "iss": ISS, "aud": AUD, "sub": format!("user-{i}@clients"), "client_id": "bench-client",
                    "iat": now, "exp": now + 3600, "jti": format!("{i:032x}"),
                    "scope": "read:messages write:messages read:users write:users admin:org",
                    "https://example.test/roles": ["editor", "viewer"], "org_id": "org_4f9a1c2b7d"
                }))
            })
            .collect();
        let jwk: Jwk = serde_json::from_value(signer.jwk()).unwrap();
        let key = DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = Validation::new(*alg);
        validation.set_issuer(&[ISS]);
        validation.set_audience(&[AUD]);
        crate_row.push(time(&tokens, |t| decode::<Value>(t, &key, &validation).is_ok()));
        let verifier = bearer_rs::Verifier::new(bearer_rs::Options {
            issuer: vec![ISS.into()],
            audience: vec![AUD.into()],
            jwks: Some(json!({ "keys": [signer.jwk()] }).to_string()),
            ..Default::default()
        })
        .unwrap();
        ours_row.push(time(&tokens, |t| verifier.verify(t, now).is_ok()));
    }
    let fmt = |row: &[f64]| row.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>().join(" | ");
    println!("| jsonwebtoken `decode`, {backend} backend | {} |", fmt(&crate_row));
    println!("| bearer-rs `Verifier::verify` (pre-parsed aws-lc keys) | {} |", fmt(&ours_row));
}
