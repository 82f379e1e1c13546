//! Key import, done once when a verifier or a key set is built, and key selection per token.
//!
//! Every kind of key material takes one path: a JWK Set's members, a single JWK, and a PEM public
//! key (converted to a JWK by the `jsonwebtoken` crate) all go through [`import_jwk`], which
//! enforces what the crate leaves to its users: `use`, `key_ops`, `alg` and `crv` must fit, private
//! members are refused, RSA moduli must have 2048 to 8192 bits, and known-weak keys are refused. A
//! key that fails is skipped with a reason; it never poisons the rest of its set.

use std::fmt;
use std::sync::Once;

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde_json::Value;

use crate::base64url;
use crate::signature::{self, Verifier};

/// Members that only a private (or symmetric) JWK has (RFC 7518 §6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// One key, with a pre-parsed verifier for each algorithm it may be used with.
pub struct Key {
    kid: Option<String>,
    verifiers: Vec<(Algorithm, Verifier)>,
}

impl Key {
    fn verifier(&self, alg: Algorithm) -> Option<&Verifier> {
        self.verifiers.iter().find(|(a, _)| *a == alg).map(|(_, v)| v)
    }
}

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
    /// Not a PEM-encoded public key (SPKI) of a supported type.
    NotAPublicKey,
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
                "must be a PEM public key (-----BEGIN PUBLIC KEY-----) of type RSA, EC P-256/P-384 or Ed25519",
            ),
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

/// The keys a verifier may use, each ready to verify.
pub struct KeySet {
    keys: Vec<Key>,
    skipped: Vec<Skipped>,
    /// A JWK Set selects by `kid`; one key given on its own (a secret, a PEM, a single JWK) is
    /// used whatever `kid` the token names, as jose does with a key object.
    by_kid: bool,
}

impl KeySet {
    /// Imports a JWK Set (`{"keys":[…]}`) from JSON text, keeping at most `max_keys` usable keys.
    pub fn from_jwks(json: &[u8], allowed: &[Algorithm], max_keys: usize) -> Result<KeySet, KeyError> {
        let Ok(Value::Object(mut doc)) = serde_json::from_slice::<Value>(json) else {
            return Err(KeyError::NotAKeySet);
        };
        let Some(Value::Array(entries)) = doc.remove("keys") else {
            return Err(KeyError::NotAKeySet);
        };
        let mut set = KeySet { keys: Vec::new(), skipped: Vec::new(), by_kid: true };
        for entry in entries {
            let kid = entry.get("kid").and_then(Value::as_str).map(str::to_owned);
            let imported = if set.keys.len() >= max_keys {
                Err(Unusable::TooMany)
            } else {
                import_value(entry, allowed)
            };
            match imported {
                Ok(key) => set.keys.push(key),
                Err(reason) => set.skipped.push(Skipped { kid, reason }),
            }
        }
        if set.keys.is_empty() {
            return Err(KeyError::NoUsableKey(set.skipped));
        }
        Ok(set)
    }

    /// Imports one JWK given as JSON text.
    pub fn from_jwk(json: &[u8], allowed: &[Algorithm]) -> Result<KeySet, KeyError> {
        let value: Value = serde_json::from_slice(json).map_err(|_| KeyError::Unusable(Unusable::NotAKey))?;
        let key = import_value(value, allowed).map_err(KeyError::Unusable)?;
        Ok(KeySet::single(key))
    }

    /// Imports a PEM-encoded public key (SubjectPublicKeyInfo, or PKCS#1 for RSA).
    pub fn from_pem(pem: &str, allowed: &[Algorithm]) -> Result<KeySet, KeyError> {
        if pem.contains("PRIVATE KEY") {
            return Err(KeyError::PrivateKey);
        }
        install_crypto_provider();
        let decoded = DecodingKey::from_rsa_pem(pem.as_bytes())
            .or_else(|_| DecodingKey::from_ec_pem(pem.as_bytes()))
            .or_else(|_| DecodingKey::from_ed_pem(pem.as_bytes()))
            .map_err(|_| KeyError::NotAPublicKey)?;
        let jwk = Jwk::from_decoding_key(&decoded, None).map_err(|_| KeyError::NotAPublicKey)?;
        let key = import_jwk(&jwk, allowed).map_err(KeyError::Unusable)?;
        Ok(KeySet::single(key))
    }

    /// An HMAC secret, usable with every allowed `HS*` algorithm whose minimum length it meets.
    pub fn from_secret(secret: &[u8], allowed: &[Algorithm]) -> Result<KeySet, KeyError> {
        let mut verifiers = Vec::new();
        for &alg in allowed.iter().filter(|&&a| signature::is_symmetric(a)) {
            let min = signature::min_secret_len(alg);
            if secret.len() < min {
                return Err(KeyError::WeakSecret { alg, min });
            }
            verifiers.extend(Verifier::hmac(alg, secret).map(|v| (alg, v)));
        }
        if verifiers.is_empty() {
            return Err(KeyError::Unusable(Unusable::NotAllowed));
        }
        Ok(KeySet::single(Key { kid: None, verifiers }))
    }

    fn single(key: Key) -> KeySet {
        KeySet { keys: vec![key], skipped: Vec::new(), by_kid: false }
    }

    /// The verifiers that may check a token signed with `alg` under `kid`.
    ///
    /// From a JWK Set with a `kid`: every key with that `kid` that fits `alg` (normally one).
    /// Without one: the only key that fits `alg`, or nothing when several do, since guessing would
    /// let one forged token cost a signature check per key.
    pub fn candidates<'a>(
        &'a self,
        alg: Algorithm,
        kid: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Verifier> + 'a {
        let kid = kid.filter(|_| self.by_kid);
        let usable = !self.is_ambiguous(alg, kid);
        self.keys
            .iter()
            .filter(move |k| usable && (kid.is_none() || k.kid.as_deref() == kid))
            .filter_map(move |k| k.verifier(alg))
    }

    /// Whether a token without a usable `kid` leaves several keys that fit `alg`.
    pub fn is_ambiguous(&self, alg: Algorithm, kid: Option<&str>) -> bool {
        (kid.is_none() || !self.by_kid) && self.keys.iter().filter(|k| k.verifier(alg).is_some()).count() > 1
    }

    /// The `kid`s of the usable keys (keys without one are not listed).
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().filter_map(|k| k.kid.as_deref())
    }

    /// How many keys are usable.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is usable (never true for a set built by this module).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys that were left out, with their reasons.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }
}

/// jsonwebtoken picks its crypto backend at first use; naming it here means a dependency that
/// enables a second backend cannot turn that first use into a panic.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    });
}

fn import_value(value: Value, allowed: &[Algorithm]) -> Result<Key, Unusable> {
    let Value::Object(members) = &value else {
        return Err(Unusable::NotAKey);
    };
    match members.get("kty").and_then(Value::as_str) {
        None => return Err(Unusable::NotAKey),
        Some("oct") => return Err(Unusable::Symmetric),
        Some(_) => {}
    }
    if PRIVATE_MEMBERS.iter().any(|m| members.contains_key(*m)) {
        return Err(Unusable::PrivateMembers);
    }
    let jwk: Jwk = serde_json::from_value(value).map_err(|_| Unusable::InvalidMaterial)?;
    import_jwk(&jwk, allowed)
}

/// Turns one public JWK into a [`Key`] with a verifier for each allowed algorithm it fits.
pub fn import_jwk(jwk: &Jwk, allowed: &[Algorithm]) -> Result<Key, Unusable> {
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

/// Known-weak public keys, refused at import rather than left for the signature check to trip on.
mod weak {
    /// Whether an RSA key (big-endian `n` without leading zeros, and `e`) is weak: an even modulus
    /// or exponent, `e` of 1 or longer than 33 bits (aws-lc refuses such keys only when a token
    /// arrives), or the ROCA fingerprint.
    pub fn rsa(n: &[u8], e: &[u8]) -> bool {
        let e = &e[e.iter().take_while(|&&b| b == 0).count()..];
        let e_bits = e.first().map_or(0, |top| e.len() * 8 - top.leading_zeros() as usize);
        let even = |x: &[u8]| x.last().is_none_or(|low| low & 1 == 0);
        even(n) || even(e) || !(2..=33).contains(&e_bits) || roca(n)
    }

    /// The ROCA fingerprint (CVE-2017-15361, Nemec et al., CCS 2017): Infineon's generator made
    /// moduli of 1984 to 4096 bits that are, modulo every prime up to 701, a power of 65537. A
    /// sound modulus passes all 125 tests with probability about 2^-167.
    fn roca(n: &[u8]) -> bool {
        let primes = (3..=701u32).filter(|&p| (2..p).take_while(|d| d * d <= p).all(|d| p % d != 0));
        primes.into_iter().all(|p| {
            let residue = n.iter().fold(0, |r, &byte| (r * 256 + u32::from(byte)) % p);
            let mut power = 1;
            loop {
                if power == residue {
                    return true;
                }
                power = power * (65537 % p) % p;
                if power == 1 {
                    return false;
                }
            }
        })
    }

    /// The y-coordinates (sign bit cleared) of Ed25519's eight points of small order: 1, p - 1, 0
    /// and the two of order 8 (RFC 8032 §5.1.3 encoding).
    const SMALL_ORDER: [[u8; 32]; 5] = [
        hex("0100000000000000000000000000000000000000000000000000000000000000"),
        hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        hex("0000000000000000000000000000000000000000000000000000000000000000"),
        hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    ];

    /// Whether an Ed25519 public key is of small order (with it, `R` of small order and `S = 0`
    /// verify for a large share of all messages) or non-canonical (y ≥ p = 2^255 - 19).
    pub fn ed25519(x: &[u8]) -> bool {
        let mut y = [0u8; 32];
        y.copy_from_slice(x);
        y[31] &= 0x7f;
        let non_canonical = y[0] >= 0xed && y[1..31].iter().all(|&b| b == 0xff) && y[31] == 0x7f;
        non_canonical || SMALL_ORDER.contains(&y)
    }

    const fn hex(text: &str) -> [u8; 32] {
        let text = text.as_bytes();
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            out[i] = nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]);
            i += 1;
        }
        out
    }

    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            _ => c - b'a' + 10,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn refuses_every_small_order_and_non_canonical_ed25519_point() {
            for point in SMALL_ORDER {
                let mut negative = point;
                negative[31] |= 0x80;
                assert!(ed25519(&point) && ed25519(&negative), "{point:02x?}");
            }
            let mut y = [0xffu8; 32];
            y[31] = 0x7f;
            for low in 0xed..=0xff {
                y[0] = low;
                assert!(ed25519(&y), "y = p + {}", low - 0xed);
            }
            y[0] = 0xec;
            y[31] = 0xff;
            assert!(ed25519(&y), "-1 with the sign bit set");
        }

        #[test]
        fn accepts_an_ordinary_ed25519_point() {
            // RFC 8037 §A.2.
            let x = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
            assert!(!ed25519(&x));
        }

        #[test]
        fn refuses_rsa_exponents_aws_lc_would_refuse_per_token() {
            let n = [0xc5u8; 256];
            assert!(!rsa(&n, &[1, 0, 1]));
            assert!(!rsa(&n, &[3]));
            for e in [&[1u8][..], &[2], &[1, 0, 0], &[], &[0], &[2, 0, 0, 0, 1]] {
                assert!(rsa(&n, e), "e = {e:02x?}");
            }
            let mut even = n;
            even[255] = 0xc4;
            assert!(rsa(&even, &[1, 0, 1]));
        }

        #[test]
        fn the_roca_fingerprint_needs_every_residue_to_be_a_power_of_65537() {
            // 65537^k itself, as a 2048-bit-long byte string, is in every subgroup.
            let mut power = vec![1u8];
            for _ in 0..200 {
                power = mul_small(&power, 65537);
            }
            assert!(roca(&power));
            let mut plus_one = power.clone();
            *plus_one.last_mut().unwrap() ^= 2;
            assert!(!roca(&plus_one));
        }

        fn mul_small(x: &[u8], m: u64) -> Vec<u8> {
            let mut out = Vec::with_capacity(x.len() + 3);
            let mut carry = 0u64;
            for &byte in x.iter().rev() {
                let v = u64::from(byte) * m + carry;
                out.push(v as u8);
                carry = v >> 8;
            }
            while carry > 0 {
                out.push(carry as u8);
                carry >>= 8;
            }
            out.reverse();
            out
        }
    }
}
