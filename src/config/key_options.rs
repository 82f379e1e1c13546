//! The key options: the algorithm allow-list and the key material given inline (`secret`,
//! `jwks`, `publicKey`), imported once.

use jsonwebtoken::Algorithm;

use super::{DEFAULT_MAX_KEYS, OptionError, Options};
use crate::keys::KeySet;
use crate::signature::{self, ASYMMETRIC, SUPPORTED};

/// The allow-list as given; by default every asymmetric algorithm, which each key narrows to the
/// ones it fits (a single key must then name its own: [`require_alg_for_single_key`]).
pub(super) fn algorithms(options: &Options) -> Result<Vec<Algorithm>, OptionError> {
    let symmetric_key = options.secret.is_some();
    let Some(names) = &options.algorithms else {
        if symmetric_key {
            return Err(OptionError::new(
                "algorithms",
                "is required with 'secret': pin the HMAC algorithm, e.g. ['HS256'] (or set 'tokenSigningAlg')",
            ));
        }
        return Ok(ASYMMETRIC.to_vec());
    };
    if names.is_empty() {
        return Err(OptionError::new("algorithms", "must not be empty: an empty allow-list allows no algorithm"));
    }
    let mut algs = Vec::with_capacity(names.len());
    for name in names {
        let alg = signature::parse(name).ok_or_else(|| {
            OptionError::new("algorithms", format!("contains unsupported algorithm {name:?}; supported: {}", supported_list()))
        })?;
        if signature::is_symmetric(alg) != symmetric_key {
            let need = if symmetric_key { "'secret' verifies only HS256/384/512" } else { "HS256/384/512 need 'secret'" };
            return Err(OptionError::new("algorithms", format!("contains {name}, but {need}")));
        }
        algs.push(alg);
    }
    Ok(algs)
}

/// A single key that names no algorithm of its own (a PEM, a JWK without `alg`) would verify
/// every algorithm of its family: express-oauth2-jwt-bearer refuses it without `tokenSigningAlg`,
/// and so does bearer-rs, once the key itself has imported.
pub(super) fn require_alg_for_single_key(public_key: Option<&str>) -> Result<(), OptionError> {
    match public_key.and_then(|text| PublicKeyForm::of(text).without_alg()) {
        Some(what) => Err(OptionError::new(
            "algorithms",
            format!("is required when 'publicKey' is {what}: pin the algorithm, e.g. ['RS256'] (or set 'tokenSigningAlg')"),
        )),
        None => Ok(()),
    }
}

/// What a `publicKey` text holds, told apart once for the allow-list and the import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PublicKeyForm {
    /// PEM text (or anything that is not JSON: the PEM import reports it).
    Pem,
    /// A JSON object with a `keys` member.
    JwkSet,
    /// One JWK, naming its own algorithm or not.
    Jwk {
        /// Whether it has an `alg` member.
        has_alg: bool,
    },
    /// JSON that is not an object: the JWK import reports it.
    NotAnObject,
}

impl PublicKeyForm {
    fn of(text: &str) -> PublicKeyForm {
        if !text.trim_start().starts_with('{') {
            return PublicKeyForm::Pem;
        }
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(members)) if members.contains_key("keys") => PublicKeyForm::JwkSet,
            Ok(serde_json::Value::Object(members)) => PublicKeyForm::Jwk { has_alg: members.contains_key("alg") },
            _ => PublicKeyForm::NotAnObject,
        }
    }

    /// How a single key that names no algorithm of its own is described, for the error that
    /// asks for one.
    fn without_alg(self) -> Option<&'static str> {
        match self {
            PublicKeyForm::Pem => Some("a PEM key"),
            PublicKeyForm::Jwk { has_alg: false } => Some("a JWK without \"alg\""),
            _ => None,
        }
    }
}

fn supported_list() -> String {
    SUPPORTED.iter().map(|a| signature::name(*a)).collect::<Vec<_>>().join(", ")
}

pub(super) fn local_keys(options: &Options, algorithms: &[Algorithm]) -> Result<Option<KeySet>, OptionError> {
    let given = [options.secret.is_some(), options.jwks.is_some(), options.public_key.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(OptionError::new("secret", "and 'jwks' and 'publicKey' are mutually exclusive: give one"));
    }
    if let Some(secret) = &options.secret {
        return KeySet::from_secret(secret, algorithms).map(Some).map_err(|e| OptionError::new("secret", e.to_string()));
    }
    if let Some(jwks) = &options.jwks {
        return KeySet::from_jwks(jwks.as_bytes(), algorithms, DEFAULT_MAX_KEYS)
            .map(Some)
            .map_err(|e| OptionError::new("jwks", e.to_string()));
    }
    let Some(public_key) = options.public_key.as_deref() else { return Ok(None) };
    let imported = match PublicKeyForm::of(public_key) {
        PublicKeyForm::Pem => KeySet::from_pem(public_key, algorithms),
        PublicKeyForm::JwkSet => KeySet::from_jwks(public_key.as_bytes(), algorithms, DEFAULT_MAX_KEYS),
        PublicKeyForm::Jwk { .. } | PublicKeyForm::NotAnObject => KeySet::from_jwk(public_key.as_bytes(), algorithms),
    };
    imported.map(Some).map_err(|e| OptionError::new("publicKey", e.to_string()))
}
