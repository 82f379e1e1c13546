//! PEM public keys (RFC 7468): exactly one block, whose label must name what its DER holds —
//! `PUBLIC KEY` a SubjectPublicKeyInfo, `RSA PUBLIC KEY` a PKCS#1 key, `CERTIFICATE` an X.509
//! certificate — converted to a JWK by the `jsonwebtoken` crate, so that it takes the same import
//! path as every other key.

use std::sync::Once;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::Jwk;
use simple_asn1::ASN1Block;

use super::KeyError;

/// The public-key labels of RFC 7468, each with the DER structure its contents must have.
#[derive(Debug, Clone, Copy)]
enum Label {
    /// `PUBLIC KEY`: `SEQUENCE { algorithm SEQUENCE, subjectPublicKey BIT STRING }` (RFC 5280 §4.1).
    Spki,
    /// `RSA PUBLIC KEY`: `SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017 A.1.1).
    Pkcs1,
    /// `CERTIFICATE`: `SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE,
    /// signatureValue BIT STRING }` (RFC 5280 §4.1).
    Certificate,
}

impl Label {
    fn of(tag: &str) -> Result<Label, KeyError> {
        match tag {
            "PUBLIC KEY" => Ok(Label::Spki),
            "RSA PUBLIC KEY" => Ok(Label::Pkcs1),
            "CERTIFICATE" => Ok(Label::Certificate),
            tag if tag.contains("PRIVATE KEY") => Err(KeyError::PrivateKey),
            _ => Err(KeyError::NotAPublicKey),
        }
    }

    /// Whether `der` (the parsed contents) has this label's top-level structure.
    fn fits(self, der: &[ASN1Block]) -> bool {
        use ASN1Block::{BitString, Integer, Sequence};
        let [Sequence(_, members)] = der else { return false };
        match (self, members.as_slice()) {
            (Label::Spki, [Sequence(..), BitString(..)]) => true,
            (Label::Pkcs1, [Integer(..), Integer(..)]) => true,
            (Label::Certificate, [Sequence(..), Sequence(..), BitString(..)]) => true,
            _ => false,
        }
    }
}

/// The public key of a PEM text, as a JWK.
pub fn to_jwk(text: &str) -> Result<Jwk, KeyError> {
    let blocks = ::pem::parse_many(text).map_err(|_| KeyError::NotAPublicKey)?;
    let [block] = blocks.as_slice() else { return Err(KeyError::NotAPublicKey) };
    let label = Label::of(block.tag())?;
    let der = simple_asn1::from_der(block.contents()).map_err(|_| KeyError::NotAPublicKey)?;
    if !label.fits(&der) {
        return Err(KeyError::PemLabelMismatch { label: block.tag().to_owned() });
    }
    install_crypto_provider();
    let pem = text.as_bytes();
    let decoded = DecodingKey::from_rsa_pem(pem)
        .or_else(|_| DecodingKey::from_ec_pem(pem))
        .or_else(|_| DecodingKey::from_ed_pem(pem))
        .map_err(|_| KeyError::NotAPublicKey)?;
    Jwk::from_decoding_key(&decoded, None).map_err(|_| KeyError::NotAPublicKey)
}

/// jsonwebtoken picks its crypto backend at first use; naming it here means a dependency that
/// enables a second backend cannot turn that first use into a panic.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    });
}
