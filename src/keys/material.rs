//! One public JWK's members decoded and checked, and a pre-parsed verifier built for each allowed
//! algorithm the key fits.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily};

use super::{Key, Unusable, weak};
use crate::base64url;
use crate::signature::Verifier;

/// Turns one public JWK into a [`Key`] with a verifier for each allowed algorithm it fits.
pub(super) fn import_jwk(jwk: &Jwk, allowed: &[Algorithm]) -> Result<Key, Unusable> {
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => return Err(Unusable::NotForSignatures),
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.contains(&KeyOperations::Verify)
    {
        return Err(Unusable::NoVerifyOperation);
    }
    let declared = match jwk.common.key_algorithm {
        None => None,
        Some(alg) => Some(Algorithm::try_from(alg).map_err(|_| Unusable::AlgorithmMismatch)?),
    };
    let material = Material::decode(&jwk.algorithm)?;
    if declared.is_some_and(|alg| !material.fits(alg)) {
        return Err(Unusable::AlgorithmMismatch);
    }
    let algs = allowed.iter().copied().filter(|alg| material.fits(*alg) && declared.is_none_or(|d| d == *alg));
    let verifiers = algs
        .map(|alg| material.verifier(alg).map(|v| (alg, v)).ok_or(Unusable::InvalidMaterial))
        .collect::<Result<Vec<_>, _>>()?;
    if verifiers.is_empty() {
        return Err(Unusable::NotAllowed);
    }
    Ok(Key { kid: jwk.common.key_id.clone(), verifiers })
}

/// The decoded public key members of one JWK.
enum Material {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { curve: EllipticCurve, point: Vec<u8> },
    Ed25519 { x: Vec<u8> },
}

impl Material {
    fn decode(params: &AlgorithmParameters) -> Result<Material, Unusable> {
        let b64 = |text: &str| base64url::decode(text.as_bytes()).ok_or(Unusable::InvalidMaterial);
        match params {
            AlgorithmParameters::OctetKey(_) => Err(Unusable::Symmetric),
            AlgorithmParameters::RSA(p) => {
                let mut n = b64(&p.n)?;
                let leading_zeros = n.iter().take_while(|&&b| b == 0).count();
                n.drain(..leading_zeros);
                let bits = n.first().map_or(0, |top| n.len() * 8 - top.leading_zeros() as usize);
                if !(2048..=8192).contains(&bits) {
                    return Err(Unusable::RsaKeySize { bits });
                }
                let e = b64(&p.e)?;
                if weak::rsa(&n, &e) {
                    return Err(Unusable::WeakKey);
                }
                Ok(Material::Rsa { n, e })
            }
            AlgorithmParameters::EllipticCurve(p) => {
                let size = match p.curve {
                    EllipticCurve::P256 => 32,
                    EllipticCurve::P384 => 48,
                    _ => return Err(Unusable::UnsupportedType),
                };
                let (x, y) = (b64(&p.x)?, b64(&p.y)?);
                if x.len() != size || y.len() != size {
                    return Err(Unusable::InvalidMaterial);
                }
                let point = [&[4u8][..], &x, &y].concat();
                Ok(Material::Ec { curve: p.curve.clone(), point })
            }
            AlgorithmParameters::OctetKeyPair(p) => {
                if p.curve != EllipticCurve::Ed25519 {
                    return Err(Unusable::UnsupportedType);
                }
                let x = b64(&p.x)?;
                if x.len() != 32 {
                    return Err(Unusable::InvalidMaterial);
                }
                if weak::ed25519(&x) {
                    return Err(Unusable::WeakKey);
                }
                Ok(Material::Ed25519 { x })
            }
            _ => Err(Unusable::UnsupportedType),
        }
    }

    /// Whether this key can verify `alg`: RSA any `RS*`/`PS*`, each curve its own algorithm.
    fn fits(&self, alg: Algorithm) -> bool {
        match self {
            Material::Rsa { .. } => alg.family() == AlgorithmFamily::Rsa,
            Material::Ec { curve: EllipticCurve::P256, .. } => alg == Algorithm::ES256,
            Material::Ec { .. } => alg == Algorithm::ES384,
            Material::Ed25519 { .. } => alg == Algorithm::EdDSA,
        }
    }

    fn verifier(&self, alg: Algorithm) -> Option<Verifier> {
        match self {
            Material::Rsa { n, e } => Verifier::rsa(alg, n, e),
            Material::Ec { point, .. } => Verifier::ecdsa(alg, point),
            Material::Ed25519 { x } => Verifier::ed25519(x),
        }
    }
}
