//! Algorithms and their key families, and the signature check itself.
//!
//! A [`Verifier`] is built once per key and algorithm, with the key already parsed inside aws-lc,
//! so checking a token's signature does no key parsing and no allocation.

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self as lc, ParsedPublicKey, RsaPublicKeyComponents};
use jsonwebtoken::{Algorithm, AlgorithmFamily};

/// Every public-key algorithm bearer-rs verifies: the default allow-list for remote and public
/// keys, and the algorithms of DPoP proofs (RFC 9449 §4.2).
pub const ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Every algorithm bearer-rs verifies, in the order the JS docs list them: [`ASYMMETRIC`], then HMAC.
pub const SUPPORTED: [Algorithm; 12] = [
    ASYMMETRIC[0],
    ASYMMETRIC[1],
    ASYMMETRIC[2],
    ASYMMETRIC[3],
    ASYMMETRIC[4],
    ASYMMETRIC[5],
    ASYMMETRIC[6],
    ASYMMETRIC[7],
    ASYMMETRIC[8],
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
];

/// The JOSE name of an algorithm (`RS256`, `EdDSA`, …).
pub fn name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::EdDSA => "EdDSA",
        _ => "unsupported",
    }
}

/// Parses a JOSE algorithm name; `None` for `none` in any spelling and for anything unsupported.
pub fn parse(name: &str) -> Option<Algorithm> {
    name.parse().ok().filter(|alg| SUPPORTED.contains(alg))
}

/// Whether `alg` uses a shared secret rather than a public key.
pub fn is_symmetric(alg: Algorithm) -> bool {
    alg.family() == AlgorithmFamily::Hmac
}

/// A signature check for one algorithm with one pre-parsed key. (The variants differ in size; a key
/// holds a handful of them, built once and never moved on the hot path, so none is boxed.)
#[allow(clippy::large_enum_variant)]
pub enum Verifier {
    /// RSA, ECDSA or EdDSA with a public key parsed once inside aws-lc.
    Public(ParsedPublicKey),
    /// HMAC with a shared secret.
    Hmac(hmac::Key),
}

impl Verifier {
    /// An RSA verifier from the big-endian modulus and exponent, for an `RS*` or `PS*` algorithm.
    pub fn rsa(alg: Algorithm, n: &[u8], e: &[u8]) -> Option<Verifier> {
        let params: &'static lc::RsaParameters = match alg {
            Algorithm::RS256 => &lc::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &lc::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &lc::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &lc::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &lc::RSA_PSS_2048_8192_SHA384,
            Algorithm::PS512 => &lc::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        };
        RsaPublicKeyComponents { n, e }.to_parsed_public_key(params).ok().map(Verifier::Public)
    }

    /// An ECDSA verifier from an uncompressed point (`04 ‖ x ‖ y`); signatures are the raw
    /// `r ‖ s` that JWS uses (RFC 7518 §3.4), never DER.
    pub fn ecdsa(alg: Algorithm, point: &[u8]) -> Option<Verifier> {
        let params: &'static lc::EcdsaVerificationAlgorithm = match alg {
            Algorithm::ES256 => &lc::ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &lc::ECDSA_P384_SHA384_FIXED,
            _ => return None,
        };
        ParsedPublicKey::new(params, point).ok().map(Verifier::Public)
    }

    /// An Ed25519 verifier from the 32-byte public key.
    pub fn ed25519(public_key: &[u8]) -> Option<Verifier> {
        ParsedPublicKey::new(&lc::ED25519, public_key).ok().map(Verifier::Public)
    }

    /// An HMAC verifier for an `HS*` algorithm.
    pub fn hmac(alg: Algorithm, secret: &[u8]) -> Option<Verifier> {
        let params = match alg {
            Algorithm::HS256 => hmac::HMAC_SHA256,
            Algorithm::HS384 => hmac::HMAC_SHA384,
            Algorithm::HS512 => hmac::HMAC_SHA512,
            _ => return None,
        };
        Some(Verifier::Hmac(hmac::Key::new(params, secret)))
    }

    /// Whether `signature` is valid for `message`. HMAC tags are compared in constant time.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Verifier::Public(key) => key.verify_sig(message, signature).is_ok(),
            Verifier::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
        }
    }
}

/// The shortest HMAC secret RFC 7518 §3.2 allows for `alg`: the size of the hash output.
pub fn min_secret_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => 32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_in_any_spelling_is_not_an_algorithm() {
        for alg in ["none", "None", "NONE", "nOnE", "", "HS256 ", "rs256", "ES512", "ES256K"] {
            assert_eq!(parse(alg), None, "{alg:?}");
        }
    }

    #[test]
    fn every_supported_algorithm_round_trips_through_its_name() {
        for alg in SUPPORTED {
            assert_eq!(parse(name(alg)), Some(alg));
        }
    }

    #[test]
    fn hmac_rejects_a_tag_of_another_length() {
        let v = Verifier::hmac(Algorithm::HS256, &[7; 32]).unwrap();
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &[7; 32]), b"m");
        assert!(v.verify(b"m", tag.as_ref()));
        assert!(!v.verify(b"m", &tag.as_ref()[..31]));
        assert!(!v.verify(b"n", tag.as_ref()));
    }

    #[test]
    fn ecdsa_refuses_a_point_that_is_not_on_the_curve() {
        let mut point = vec![4u8];
        point.extend([1u8; 64]);
        assert!(Verifier::ecdsa(Algorithm::ES256, &point).is_none());
    }
}
