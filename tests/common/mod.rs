//! Test keys and token signing with aws-lc directly, independent of the code under test.
#![allow(dead_code)]

use std::sync::OnceLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use bearer_rs::{Options, Verifier};
use serde_json::{Value, json};

pub const ISSUER: &str = "https://issuer.example.test/";
pub const AUDIENCE: &str = "https://api.example.test";
/// A fixed "now" for every test, in epoch seconds: tests never read the clock.
pub const NOW: i64 = 1_750_000_000;

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    bearer_rs::base64url::encode(bytes)
}

#[allow(clippy::large_enum_variant)]
enum Signer {
    Rsa(RsaKeyPair, &'static dyn sig::RsaEncoding),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Hmac(aws_lc_rs::hmac::Key),
}

/// A signing key and its public JWK.
pub struct TestKey {
    pub alg: &'static str,
    pub jwk: Value,
    signer: Signer,
}

fn shared_rsa() -> &'static RsaKeyPair {
    static KEY: OnceLock<RsaKeyPair> = OnceLock::new();
    KEY.get_or_init(|| RsaKeyPair::generate(KeySize::Rsa2048).unwrap())
}

fn rsa_jwk(pair: &RsaKeyPair, kid: &str, alg: &str) -> Value {
    let c = sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    json!({ "kty": "RSA", "n": b64(&c.n), "e": b64(&c.e), "kid": kid, "alg": alg, "use": "sig" })
}

impl TestKey {
    /// An RSA key (the shared 2048-bit pair) for RS256/384/512 or PS256/384/512.
    pub fn rsa(alg: &'static str) -> TestKey {
        let pkcs8 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(shared_rsa()).unwrap();
        let pair = RsaKeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let encoding: &'static dyn sig::RsaEncoding = match alg {
            "RS256" => &sig::RSA_PKCS1_SHA256,
            "RS384" => &sig::RSA_PKCS1_SHA384,
            "RS512" => &sig::RSA_PKCS1_SHA512,
            "PS256" => &sig::RSA_PSS_SHA256,
            "PS384" => &sig::RSA_PSS_SHA384,
            "PS512" => &sig::RSA_PSS_SHA512,
            _ => panic!("not RSA: {alg}"),
        };
        TestKey { alg, jwk: rsa_jwk(&pair, "rsa-1", alg), signer: Signer::Rsa(pair, encoding) }
    }

    /// A fresh ECDSA key for ES256 (P-256) or ES384 (P-384).
    pub fn ec(alg: &'static str) -> TestKey {
        let (signing, crv, size) = match alg {
            "ES256" => (&sig::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32),
            "ES384" => (&sig::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48),
            _ => panic!("not ECDSA: {alg}"),
        };
        let pair = EcdsaKeyPair::generate(signing).unwrap();
        let point = pair.public_key().as_ref();
        let jwk = json!({
            "kty": "EC", "crv": crv, "x": b64(&point[1..1 + size]), "y": b64(&point[1 + size..]),
            "kid": format!("ec-{crv}"), "alg": alg, "use": "sig"
        });
        TestKey { alg, jwk, signer: Signer::Ec(pair) }
    }

    /// A fresh Ed25519 key for EdDSA.
    pub fn ed25519() -> TestKey {
        let pair = Ed25519KeyPair::generate().unwrap();
        let jwk = json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref()), "kid": "ed-1", "alg": "EdDSA" });
        TestKey { alg: "EdDSA", jwk, signer: Signer::Ed(pair) }
    }

    /// An HMAC key for HS256/384/512 with the given secret.
    pub fn hmac(alg: &'static str, secret: &[u8]) -> TestKey {
        let algorithm = match alg {
            "HS256" => aws_lc_rs::hmac::HMAC_SHA256,
            "HS384" => aws_lc_rs::hmac::HMAC_SHA384,
            "HS512" => aws_lc_rs::hmac::HMAC_SHA512,
            _ => panic!("not HMAC: {alg}"),
        };
        TestKey { alg, jwk: Value::Null, signer: Signer::Hmac(aws_lc_rs::hmac::Key::new(algorithm, secret)) }
    }

    pub fn kid(&self) -> &str {
        self.jwk["kid"].as_str().unwrap_or_default()
    }

    pub fn jwks(&self) -> String {
        json!({ "keys": [self.jwk] }).to_string()
    }

    /// The public key as a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    pub fn pem(&self) -> String {
        use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
        let der: PublicKeyX509Der<'static> = match &self.signer {
            Signer::Rsa(pair, _) => pair.public_key().as_der().unwrap(),
            Signer::Ec(pair) => pair.public_key().as_der().unwrap(),
            Signer::Ed(pair) => pair.public_key().as_der().unwrap(),
            Signer::Hmac(_) => panic!("an HMAC key has no PEM form"),
        };
        let body = base64_simd::STANDARD.encode_to_string(der.as_ref());
        format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n")
    }

    /// The raw signature of `input`.
    pub fn signature(&self, input: &[u8]) -> Vec<u8> {
        match &self.signer {
            Signer::Rsa(pair, encoding) => {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(*encoding, &SystemRandom::new(), input, &mut out).unwrap();
                out
            }
            Signer::Ec(pair) => pair.sign(&SystemRandom::new(), input).unwrap().as_ref().to_vec(),
            Signer::Ed(pair) => pair.sign(input).as_ref().to_vec(),
            Signer::Hmac(key) => aws_lc_rs::hmac::sign(key, input).as_ref().to_vec(),
        }
    }

    /// Signs raw header and payload JSON text.
    pub fn sign_text(&self, header: &str, payload: &str) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        let signature = self.signature(input.as_bytes());
        format!("{input}.{}", b64(signature))
    }

    /// Signs `claims` with the usual header `{alg, typ, kid}`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = json!({ "alg": self.alg, "typ": "at+jwt" });
        if !self.kid().is_empty() {
            header["kid"] = self.kid().into();
        }
        self.sign_text(&header.to_string(), &claims.to_string())
    }
}

/// A realistic RFC 9068 access token's claims at [`NOW`], with `changes` merged in
/// (a `null` change removes the claim).
pub fn claims(changes: Value) -> Value {
    let mut c = json!({
        "iss": ISSUER, "sub": "client-1@clients", "aud": AUDIENCE, "iat": NOW - 10, "exp": NOW + 3600,
        "jti": "2f5a6d9c", "client_id": "client-1", "scope": "read:messages write:messages"
    });
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

/// Options for `key`'s JWK Set with the default issuer and audience.
pub fn options_for(key: &TestKey) -> Options {
    Options {
        issuer: vec![ISSUER.into()],
        audience: vec![AUDIENCE.into()],
        jwks: Some(key.jwks()),
        ..Options::default()
    }
}

/// The kind of a verification's failure, or "ok".
pub fn kind(result: Result<bearer_rs::Verified, bearer_rs::Error>) -> &'static str {
    result.map_or_else(|e| e.kind(), |_| "ok")
}

pub fn verifier(options: Options) -> Verifier {
    Verifier::new(options).expect("valid options")
}

