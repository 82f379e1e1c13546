//! The JWS layer of the pipeline (RFC 7515 §5.2: decode → alg → key → signature → payload
//! base64url), for published vectors whose payloads are not JWT claims sets.
//!
//! `Verifier::verify` checks the JWS before it reads a single claim, so an error raised by the
//! claims layer (a payload that is not a JSON object, a failed claim check) proves that the JWS
//! itself verified: [`jws_verdict`] maps those to `Ok`. HMAC keys, UTF-8 or not, are `secret`
//! bytes.

#![allow(dead_code)]

use bearer_rs::error::{Malformed, Part};
use bearer_rs::signature;
use bearer_rs::{Error, Options, Verified, Verifier, base64url};
use serde_json::{Value, json};

/// A time far from every vector's `exp`/`nbf`/`iat`; claims are not what these vectors test.
pub const VECTOR_NOW: i64 = 1_750_000_000;

/// The JWS verdict of a full pipeline run: `Ok` when only the claims layer objected.
pub fn jws_verdict(result: Result<Verified, Error>) -> Result<(), Error> {
    let Err(e) = result else { return Ok(()) };
    match e {
        Error::Malformed(
            Malformed::Json(Part::Payload) | Malformed::NotObject(Part::Payload) | Malformed::DuplicateMember(Part::Payload),
        )
        | Error::Expired
        | Error::NotYetValid
        | Error::TooOld
        | Error::IssuedInFuture
        | Error::IssuerMismatch
        | Error::AudienceMismatch
        | Error::ClaimMissing { .. }
        | Error::ClaimInvalid { .. }
        | Error::TypInvalid => Ok(()),
        rejected => Err(rejected),
    }
}

/// Runs `token` through `verifier.verify` and keeps only the JWS layer's verdict.
pub fn through_pipeline(verifier: &Verifier, token: &str) -> Result<(), Error> {
    jws_verdict(verifier.verify(token, VECTOR_NOW))
}

/// Options whose claim rules no vector can meet or break in the JWS layer: only the key differs.
pub fn neutral_options() -> Options {
    Options { issuer: vec!["https://vectors.invalid/".into()], audience: vec!["vectors".into()], ..Options::default() }
}

/// Members only a private or symmetric JWK has (RFC 7518 §6).
pub const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// The public half of a vector's private JWK, as an issuer would publish it.
pub fn public_half(jwk: &Value) -> Value {
    let mut public = jwk.clone();
    let members = public.as_object_mut().unwrap();
    for m in PRIVATE {
        members.remove(m);
    }
    public
}

/// How a vector's key reaches bearer-rs.
pub enum Setup {
    /// The full pipeline, configured with `jwks` or `secret`.
    Pipeline(Verifier),
    /// The key material was refused when the verifier was built.
    Refused(String),
}

impl Setup {
    /// An HMAC key reaches bearer-rs only as `secret` (its bytes), with `alg` pinned.
    pub fn secret(k: &str, alg: &str) -> Setup {
        let Some(alg) = signature::parse(alg).filter(|a| signature::is_symmetric(*a)) else {
            return Setup::Refused(format!("a symmetric key for {alg} is not an HMAC secret"));
        };
        let secret = base64url::decode(k.as_bytes()).expect("base64url");
        let options = Options { secret: Some(secret), algorithms: Some(vec![signature::name(alg).into()]), ..neutral_options() };
        Verifier::new(options).map_or_else(|e| Setup::Refused(e.to_string()), Setup::Pipeline)
    }

    /// Public keys reach bearer-rs as a JWK Set of their public halves (symmetric keys kept, to be refused).
    pub fn key_set(jwks: &[Value]) -> Setup {
        let keys: Vec<Value> = jwks.iter().map(public_half).collect();
        let options = Options { jwks: Some(json!({ "keys": keys }).to_string()), ..neutral_options() };
        Verifier::new(options).map_or_else(|e| Setup::Refused(e.to_string()), Setup::Pipeline)
    }

    /// A JWK as bearer-rs takes it: an `oct` key as `secret` (with its own `alg`), any other
    /// key as a one-key JWK Set.
    pub fn for_jwk(jwk: &Value) -> Setup {
        if jwk["kty"] == "oct" {
            Setup::secret(jwk["k"].as_str().unwrap_or_default(), jwk["alg"].as_str().unwrap_or("(none)"))
        } else {
            Setup::key_set(std::slice::from_ref(jwk))
        }
    }

    /// `verified`, the rejecting error's kind, or `key_refused: why`.
    pub fn run(&self, jws: &str) -> String {
        match self {
            Setup::Pipeline(verifier) => label(&through_pipeline(verifier, jws)),
            Setup::Refused(why) => format!("key_refused: {why}"),
        }
    }
}

/// What decided a vector: `verified`, the pipeline's error kind, or `key_refused` when the key
/// material itself was refused at import.
pub fn label(verdict: &Result<(), Error>) -> String {
    match verdict {
        Ok(()) => "verified".into(),
        Err(e) => e.kind().into(),
    }
}

/// Lowercase hex to bytes (vector files store messages and signatures in hex).
pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex")).collect()
}
