//! Key import, done once when a verifier or a key set is built, and key selection per token.
//!
//! Every kind of key material takes one path: a JWK Set's members, a single JWK, and a PEM public
//! key (its label checked, then converted to a JWK: [`pem`]) all go through
//! [`material::import_jwk`], which enforces what the `jsonwebtoken` crate leaves to its users:
//! `use`, `key_ops`, `alg` and `crv` must fit, private members are refused, RSA moduli must have
//! 2048 to 8192 bits, and known-weak keys ([`weak`]) are refused. A key that fails is skipped with
//! a reason ([`refusal`]); it never poisons the rest of its set.

mod material;
mod pem;
mod refusal;
mod weak;

use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::Jwk;
use serde_json::Value;

use crate::signature::{self, Verifier};
pub use refusal::{KeyError, Skipped, Unusable};

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

    /// Imports a PEM public key: SubjectPublicKeyInfo, PKCS#1 for RSA, or an X.509 certificate.
    pub fn from_pem(text: &str, allowed: &[Algorithm]) -> Result<KeySet, KeyError> {
        let jwk = pem::to_jwk(text)?;
        let key = material::import_jwk(&jwk, allowed).map_err(KeyError::Unusable)?;
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
    material::import_jwk(&jwk, allowed)
}
