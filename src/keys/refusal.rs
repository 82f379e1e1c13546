//! Why key material is refused: a key left out of its set ([`Unusable`], [`Skipped`]), or key
//! material given or fetched as a whole that cannot be used at all ([`KeyError`]).

use std::fmt;

use jsonwebtoken::Algorithm;

use crate::signature;

/// Why a JWK was left out of a key set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// The entry is not a JSON object with a string `kty`.
    NotAKey,
    /// The JWK carries private key members.
    PrivateMembers,
    /// A symmetric (`oct`) key: HMAC secrets come only from the `secret` option.
    Symmetric,
    /// The key type or curve is not one bearer-rs supports.
    UnsupportedType,
    /// `use` is present and is not `sig`.
    NotForSignatures,
    /// `key_ops` is present and lacks `verify`.
    NoVerifyOperation,
    /// The JWK's own `alg` is unsupported or does not fit its key type.
    AlgorithmMismatch,
    /// None of the allowed algorithms fits this key.
    NotAllowed,
    /// An RSA modulus outside 2048..=8192 bits.
    RsaKeySize {
        /// The modulus length in bits.
        bits: usize,
    },
    /// The key members are not valid (bad base64url, wrong lengths, a point off the curve).
    InvalidMaterial,
    /// A known-weak key: an Ed25519 point of small order or in non-canonical form, an RSA public
    /// exponent that is even, 1 or longer than 33 bits, an even RSA modulus, or a ROCA modulus.
    WeakKey,
    /// The set holds more usable keys than the configured maximum.
    TooMany,
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unusable::NotAKey => f.write_str("not a JSON Web Key"),
            Unusable::PrivateMembers => f.write_str("it contains private key members"),
            Unusable::Symmetric => f.write_str("symmetric keys are only accepted as 'secret'"),
            Unusable::UnsupportedType => f.write_str("unsupported key type or curve"),
            Unusable::NotForSignatures => f.write_str("its \"use\" is not \"sig\""),
            Unusable::NoVerifyOperation => f.write_str("its \"key_ops\" do not include \"verify\""),
            Unusable::AlgorithmMismatch => f.write_str("its \"alg\" is unsupported or does not fit the key"),
            Unusable::NotAllowed => f.write_str("no allowed algorithm fits the key"),
            Unusable::RsaKeySize { bits } => {
                write!(f, "RSA modulus of {bits} bits (2048 to 8192 are accepted)")
            }
            Unusable::InvalidMaterial => f.write_str("invalid key material"),
            Unusable::WeakKey => f.write_str("a known-weak key"),
            Unusable::TooMany => f.write_str("more keys than the configured maximum"),
        }
    }
}

/// A key that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The key's `kid`, when it had a string one.
    pub kid: Option<String>,
    /// Why it was left out.
    pub reason: Unusable,
}

/// Why key material given as an option or fetched as a whole cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// Not a JSON object with a `keys` array.
    NotAKeySet,
    /// Not one PEM block holding a public key (SPKI, PKCS#1 or an X.509 certificate) of a
    /// supported type.
    NotAPublicKey,
    /// The PEM label names other contents than the block holds (RFC 7468), e.g. a
    /// SubjectPublicKeyInfo under `CERTIFICATE`.
    PemLabelMismatch {
        /// The block's label.
        label: String,
    },
    /// A private key was given where a public key belongs.
    PrivateKey,
    /// The one key given cannot be used.
    Unusable(Unusable),
    /// The set has no usable key; the reasons for each key are listed.
    NoUsableKey(Vec<Skipped>),
    /// The HMAC secret is shorter than RFC 7518 §3.2 requires for an allowed algorithm.
    WeakSecret {
        /// The algorithm whose minimum is not met.
        alg: Algorithm,
        /// The minimum length in bytes.
        min: usize,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::NotAKeySet => f.write_str("must be a JSON Web Key Set: { \"keys\": [...] }"),
            KeyError::NotAPublicKey => f.write_str(
                "must be one PEM block (PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE) holding an RSA, EC P-256/P-384 or Ed25519 public key",
            ),
            KeyError::PemLabelMismatch { label } => {
                write!(f, "is labelled '{label}' but does not hold what that label names (RFC 7468)")
            }
            KeyError::PrivateKey => f.write_str("must be a public key, not a private key"),
            KeyError::Unusable(why) => write!(f, "cannot be used: {why}"),
            KeyError::NoUsableKey(skipped) => {
                f.write_str("has no usable key")?;
                for (i, s) in skipped.iter().enumerate() {
                    let kid = s.kid.as_deref().unwrap_or("(no kid)");
                    write!(f, "{} {kid}: {}", if i == 0 { ":" } else { ";" }, s.reason)?;
                }
                Ok(())
            }
            KeyError::WeakSecret { alg, min } => write!(
                f,
                "must be at least {min} bytes for {} (RFC 7518 §3.2)",
                signature::name(*alg)
            ),
        }
    }
}
