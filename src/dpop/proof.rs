//! A DPoP proof as a JWS whose signature verified with its own embedded key (RFC 9449 §4.2,
//! §4.3 checks 2–7), and the claims the other checks read. The `jwk` goes through the one key import
//! path of [`crate::keys`], so a proof key meets every rule a token key does.

use aws_lc_rs::digest::{SHA256, digest};
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::{ALGORITHMS, DpopReason, MAX_PROOF_LENGTH};
use crate::base64url;
use crate::error::{Error, Malformed};
use crate::json::{self, Value};
use crate::keys::{KeyError, KeySet, Unusable};
use crate::token::{self, Alg};

/// The claims of a proof that the checks read.
const CLAIMS: [&str; 8] = ["iat", "htm", "htu", "jti", "ath", "nonce", "exp", "nbf"];

/// The proof's header members the checks read, beyond those `token::decode` reads.
#[derive(Deserialize)]
struct ProofHeader {
    typ: Option<Json>,
    jwk: Option<Json>,
}

/// A proof whose signature verified with its own `jwk`.
pub struct Proof {
    /// The RFC 7638 thumbprint of the proof's `jwk`.
    pub thumbprint: String,
    /// The claims set's JSON text.
    pub payload_json: Vec<u8>,
}

impl Proof {
    /// Decodes `proof` and verifies its signature with its own `jwk`; `typ` must be `dpop+jwt`.
    pub fn decode(proof: &str) -> Result<Proof, DpopReason> {
        let token = token::decode(proof, MAX_PROOF_LENGTH).map_err(|e| match e {
            Error::TooLarge { limit } => DpopReason::TooLarge { limit },
            Error::Malformed(Malformed::AlgMissing) => DpopReason::AlgMissing,
            Error::Malformed(
                Malformed::Json(_) | Malformed::NotObject(_) | Malformed::DuplicateMember(_) | Malformed::HeaderMemberType(_),
            ) => DpopReason::HeaderInvalid,
            _ => DpopReason::NotCompact,
        })?;
        if token.header.extension.is_some() {
            return Err(DpopReason::CritUnsupported);
        }
        let alg = match token.header.alg {
            Alg::Supported(alg) if ALGORITHMS.contains(&alg) => alg,
            Alg::Supported(_) | Alg::Unsupported(_) => return Err(DpopReason::AlgNotAllowed),
        };
        let header: ProofHeader = serde_json::from_slice(&token.header_json).map_err(|_| DpopReason::HeaderInvalid)?;
        let Some(Json::Object(jwk)) = header.jwk else { return Err(DpopReason::JwkMissing) };
        let keys = import(&jwk, alg)?;
        let thumbprint = thumbprint(&jwk).ok_or(DpopReason::JwkUnusable)?;
        let signature = base64url::decode(token.signature).ok_or(DpopReason::SignatureEncoding)?;
        if !keys.candidates(alg, None).any(|key| key.verify(token.signing_input, &signature)) {
            return Err(DpopReason::SignatureInvalid);
        }
        let payload_json = token::decode_payload(token.payload).map_err(|_| DpopReason::PayloadInvalid)?;
        match header.typ {
            Some(Json::String(typ)) if is_dpop_typ(&typ) => Ok(Proof { thumbprint, payload_json }),
            _ => Err(DpopReason::TypInvalid),
        }
    }
}

/// The key of a proof's `jwk`, through the one import path (`use`, `key_ops`, `alg`, `crv`, RSA
/// size; private members and symmetric keys refused).
fn import(jwk: &Map<String, Json>, alg: Algorithm) -> Result<KeySet, DpopReason> {
    let text = serde_json::to_vec(jwk).map_err(|_| DpopReason::JwkUnusable)?;
    KeySet::from_jwk(&text, &[alg]).map_err(|e| match e {
        KeyError::Unusable(Unusable::PrivateMembers | Unusable::Symmetric) => DpopReason::JwkPrivate,
        _ => DpopReason::JwkUnusable,
    })
}

/// `dpop+jwt`, or `application/dpop+jwt`, in any case (media types, RFC 7515 §4.1.9).
fn is_dpop_typ(typ: &str) -> bool {
    let media_type = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    };
    media_type.eq_ignore_ascii_case("dpop+jwt")
}

/// The RFC 7638 SHA-256 thumbprint of a public JWK: its required members, sorted, no white space.
pub fn thumbprint(jwk: &Map<String, Json>) -> Option<String> {
    let members: &[&str] = match jwk.get("kty")?.as_str()? {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    let mut canonical = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let value = serde_json::to_string(jwk.get(*name)?.as_str()?).ok()?;
        canonical.push_str(if i == 0 { "\"" } else { ",\"" });
        canonical.push_str(name);
        canonical.push_str("\":");
        canonical.push_str(&value);
    }
    canonical.push('}');
    Some(sha256_b64(canonical.as_bytes()))
}

/// base64url(SHA-256(`bytes`)): a thumbprint, or the `ath` of an access token.
pub fn sha256_b64(bytes: &[u8]) -> String {
    crate::base64url::encode(digest(&SHA256, bytes))
}

/// The claims of a proof, as read from its strict JSON claims set.
#[derive(Default)]
pub struct Claims<'a> {
    members: [Option<Value<'a>>; CLAIMS.len()],
}

impl<'a> Claims<'a> {
    /// Reads the claims the checks use from a strict JSON claims set.
    pub fn parse(payload_json: &'a [u8]) -> Result<Claims<'a>, DpopReason> {
        let mut claims = Claims::default();
        json::parse_object(payload_json, |name| CLAIMS.contains(&name), |name, value| {
            if let Some(i) = CLAIMS.iter().position(|c| *c == name) {
                claims.members[i] = Some(value);
            }
        })
        .map_err(|_| DpopReason::PayloadInvalid)?;
        Ok(claims)
    }

    /// A claim, when present.
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        CLAIMS.iter().position(|c| *c == name).and_then(|i| self.members[i].as_ref())
    }

    /// A required, non-empty string claim.
    pub fn string(&self, name: &'static str) -> Result<&str, DpopReason> {
        match self.get(name) {
            None => Err(DpopReason::ClaimMissing(name)),
            Some(Value::String(s)) if s.is_empty() => Err(DpopReason::ClaimMissing(name)),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(DpopReason::ClaimInvalid(name)),
        }
    }

    /// `iat` (required), checked with the proof's own `exp` and `nbf` when it has them.
    pub fn times(&self, now: i64) -> Result<f64, DpopReason> {
        let number = |name: &'static str| match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(*n)),
            Some(_) => Err(DpopReason::ClaimInvalid(name)),
        };
        let iat = number("iat")?.ok_or(DpopReason::ClaimMissing("iat"))?;
        let now = now as f64;
        if number("exp")?.is_some_and(|exp| exp <= now) {
            return Err(DpopReason::Timestamp("exp"));
        }
        if number("nbf")?.is_some_and(|nbf| nbf > now) {
            return Err(DpopReason::Timestamp("nbf"));
        }
        Ok(iat)
    }
}
