//! The one error type of token verification.
//!
//! Each variant carries data, not prose. [`Error::kind`] gives its stable snake_case name (the JS
//! `err.kind`), and `Display` gives a description that is safe to send to a client: it never
//! contains the token, a key or a secret, and attacker-chosen values are never echoed.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use jsonwebtoken::Algorithm;

use crate::signature;

mod dpop;
pub use dpop::DpopReason;

/// `value`, when it is safe and useful to repeat in a description: 1 to 32 characters of
/// letters, digits and `.:/+_-`. Anything else an attacker chose stays out of descriptions and logs.
pub fn echoable(value: &str) -> Option<String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || ".:/+_-".contains(c);
    (!value.is_empty() && value.len() <= 32 && value.chars().all(plain)).then(|| value.to_owned())
}

/// The part of a compact JWS a malformation was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The JOSE header, first segment.
    Header,
    /// The JWT claims set, second segment.
    Payload,
    /// The signature, third segment.
    Signature,
}

/// How a token fails to be a well-formed compact JWS carrying a JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// The token is the empty string or only white space.
    Empty,
    /// The token still starts with an authorization scheme such as `Bearer `.
    SchemePrefix,
    /// The token does not have exactly three dot-separated segments.
    Segments,
    /// A segment is not strict, unpadded base64url.
    Base64(Part),
    /// A segment is not valid JSON (or nests too deeply, or has an out-of-range number).
    Json(Part),
    /// A segment is JSON, but not a JSON object.
    NotObject(Part),
    /// A JSON object in the segment repeats a member name.
    DuplicateMember(Part),
    /// The header has no `alg`, or `alg` is not a string.
    AlgMissing,
    /// A header member has the wrong type (`kid`, `typ` or `crit` not as RFC 7515 defines).
    HeaderMemberType(&'static str),
}

/// Why a token was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The token is longer than `maxTokenLength`; it was not decoded at all.
    TooLarge {
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// The token is not a well-formed compact JWS carrying a JWT.
    Malformed(Malformed),
    /// The header's `alg` is `none`, unknown, or not in the allow-list.
    AlgorithmNotAllowed {
        /// The token's `alg`, when it is short and plainly a name (see [`echoable`]).
        alg: Option<String>,
        /// Whether the verifier uses a shared secret (the message says "secret-based").
        symmetric: bool,
        /// The algorithms that are allowed.
        allowed: Arc<[Algorithm]>,
    },
    /// The header asks for a JWS extension (`crit`, `b64`) that bearer-rs does not implement.
    CritUnsupported {
        /// The extension's name, when it is short and plainly a name; `b64` for an unencoded payload.
        extension: Option<String>,
    },
    /// No usable key matches the token's `kid` and `alg`.
    KeyNotFound {
        /// The token has no `kid` and several keys fit its `alg`.
        ambiguous: bool,
    },
    /// The signature does not verify with the selected key.
    SignatureInvalid,
    /// `exp` is not after now (minus the clock tolerance).
    Expired,
    /// `nbf` is after now (plus the clock tolerance).
    NotYetValid,
    /// `iat` is older than `maxTokenAge` allows.
    TooOld,
    /// `iat` is after now (plus the clock tolerance).
    IssuedInFuture,
    /// `iss` is not one of the accepted issuers.
    IssuerMismatch,
    /// `aud` names none of the accepted audiences.
    AudienceMismatch,
    /// A required claim is absent.
    ClaimMissing {
        /// The claim's name.
        claim: Cow<'static, str>,
    },
    /// A claim has the wrong JSON type.
    ClaimInvalid {
        /// The claim's name.
        claim: Cow<'static, str>,
    },
    /// Strict mode: the header's `typ` is not `at+jwt` (RFC 9068 §2.1).
    TypInvalid,
    /// The keys could not be obtained. `cause` is for the server's logs, never for the client.
    KeysUnavailable {
        /// What went wrong, e.g. "JWKS fetch from https://… failed: timeout after 5000 ms".
        cause: String,
    },
    /// A DPoP proof (RFC 9449) was rejected; its kind depends on the reason's family.
    DpopInvalid {
        /// Which check failed.
        reason: DpopReason,
    },
}

impl Error {
    /// Every kind name, in declaration order: the list the JS error table must cover.
    pub const KINDS: [&'static str; 20] = [
        "token_too_large",
        "token_malformed",
        "algorithm_not_allowed",
        "crit_unsupported",
        "key_not_found",
        "signature_invalid",
        "token_expired",
        "token_not_yet_valid",
        "token_too_old",
        "token_issued_in_future",
        "issuer_mismatch",
        "audience_mismatch",
        "claim_missing",
        "claim_invalid",
        "typ_invalid",
        "keys_unavailable",
        "dpop_proof_invalid",
        "dpop_proof_replayed",
        "dpop_nonce_required",
        "binding_mismatch",
    ];

    /// The stable snake_case name of this failure (the JS `err.kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::TooLarge { .. } => "token_too_large",
            Error::Malformed(_) => "token_malformed",
            Error::AlgorithmNotAllowed { .. } => "algorithm_not_allowed",
            Error::CritUnsupported { .. } => "crit_unsupported",
            Error::KeyNotFound { .. } => "key_not_found",
            Error::SignatureInvalid => "signature_invalid",
            Error::Expired => "token_expired",
            Error::NotYetValid => "token_not_yet_valid",
            Error::TooOld => "token_too_old",
            Error::IssuedInFuture => "token_issued_in_future",
            Error::IssuerMismatch => "issuer_mismatch",
            Error::AudienceMismatch => "audience_mismatch",
            Error::ClaimMissing { .. } => "claim_missing",
            Error::ClaimInvalid { .. } => "claim_invalid",
            Error::TypInvalid => "typ_invalid",
            Error::KeysUnavailable { .. } => "keys_unavailable",
            Error::DpopInvalid { reason } => reason.kind(),
        }
    }

    /// The claim or header member a failure is about, when there is one.
    pub fn claim(&self) -> Option<&str> {
        match self {
            Error::Expired => Some("exp"),
            Error::NotYetValid => Some("nbf"),
            Error::TooOld | Error::IssuedInFuture => Some("iat"),
            Error::IssuerMismatch => Some("iss"),
            Error::AudienceMismatch => Some("aud"),
            Error::ClaimMissing { claim } | Error::ClaimInvalid { claim } => Some(claim),
            Error::TypInvalid => Some("typ"),
            Error::AlgorithmNotAllowed { .. } => Some("alg"),
            Error::DpopInvalid { reason } => reason.claim(),
            _ => None,
        }
    }

    /// The internal cause of an infrastructure failure, for logs only.
    pub fn cause(&self) -> Option<&str> {
        match self {
            Error::KeysUnavailable { cause } => Some(cause),
            _ => None,
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::Empty => f.write_str("Invalid Compact JWS: the token is empty"),
            Malformed::SchemePrefix => {
                f.write_str("Invalid Compact JWS: pass the token without its authorization scheme")
            }
            Malformed::Segments
            | Malformed::Base64(Part::Header)
            | Malformed::Json(Part::Header)
            | Malformed::NotObject(Part::Header)
            | Malformed::DuplicateMember(Part::Header)
            | Malformed::HeaderMemberType("kid" | "typ") => {
                f.write_str("Invalid Token or Protected Header formatting")
            }
            Malformed::Base64(Part::Signature) => f.write_str("Failed to base64url decode the signature"),
            Malformed::Base64(Part::Payload)
            | Malformed::Json(_)
            | Malformed::NotObject(_)
            | Malformed::DuplicateMember(_) => {
                f.write_str("JWT Claims Set must be a top-level JSON object")
            }
            Malformed::AlgMissing => f.write_str("Token header missing or invalid \"alg\" claim"),
            Malformed::HeaderMemberType(_) => f.write_str(
                "\"crit\" (Critical) Header Parameter MUST be an array of non-empty strings when present",
            ),
        }
    }
}

/// The description of a claim failure, as express-oauth2-jwt-bearer words it.
fn unexpected(f: &mut fmt::Formatter<'_>, claim: &str) -> fmt::Result {
    write!(f, "Unexpected '{claim}' value")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooLarge { limit } => write!(f, "the token is longer than {limit} bytes"),
            Error::Malformed(m) => m.fmt(f),
            Error::AlgorithmNotAllowed { alg, symmetric, allowed } => {
                f.write_str("Unsupported algorithm ")?;
                if let Some(alg) = alg {
                    write!(f, "\"{alg}\" ")?;
                }
                let names: Vec<&str> = allowed.iter().map(|a| signature::name(*a)).collect();
                let basis = if *symmetric { "secret" } else { "JWKS" };
                write!(f, "for {basis}-based verification. Supported: {}", names.join(", "))
            }
            Error::CritUnsupported { extension: Some(name) } if name == "b64" => {
                f.write_str("JWTs MUST NOT use unencoded payload")
            }
            Error::CritUnsupported { extension: Some(name) } => {
                write!(f, "Extension Header Parameter \"{name}\" is not recognized")
            }
            Error::CritUnsupported { extension: None } => {
                f.write_str("Extension Header Parameter is not recognized")
            }
            Error::KeyNotFound { ambiguous: false } => {
                f.write_str("no applicable key found in the JSON Web Key Set")
            }
            Error::KeyNotFound { ambiguous: true } => {
                f.write_str("multiple matching keys found in the JSON Web Key Set")
            }
            Error::SignatureInvalid => f.write_str("signature verification failed"),
            Error::Expired => f.write_str("\"exp\" claim timestamp check failed"),
            Error::NotYetValid => f.write_str("\"nbf\" claim timestamp check failed"),
            Error::ClaimInvalid { claim } if matches!(claim.as_ref(), "exp" | "nbf" | "iat") => {
                write!(f, "\"{claim}\" claim must be a number")
            }
            Error::ClaimMissing { claim } | Error::ClaimInvalid { claim } => unexpected(f, claim),
            Error::TooOld | Error::IssuedInFuture => unexpected(f, "iat"),
            Error::IssuerMismatch => unexpected(f, "iss"),
            Error::AudienceMismatch => unexpected(f, "aud"),
            Error::TypInvalid => unexpected(f, "typ"),
            Error::KeysUnavailable { .. } => {
                f.write_str("the signing keys of the token issuer are unavailable")
            }
            Error::DpopInvalid { reason } => reason.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each() -> Vec<Error> {
        vec![
            Error::TooLarge { limit: 1 },
            Error::Malformed(Malformed::Segments),
            Error::AlgorithmNotAllowed { alg: None, symmetric: false, allowed: Arc::new([]) },
            Error::CritUnsupported { extension: None },
            Error::KeyNotFound { ambiguous: false },
            Error::SignatureInvalid,
            Error::Expired,
            Error::NotYetValid,
            Error::TooOld,
            Error::IssuedInFuture,
            Error::IssuerMismatch,
            Error::AudienceMismatch,
            Error::ClaimMissing { claim: "sub".into() },
            Error::ClaimInvalid { claim: "sub".into() },
            Error::TypInvalid,
            Error::KeysUnavailable { cause: "down".into() },
            Error::DpopInvalid { reason: DpopReason::HtuMismatch },
            Error::DpopInvalid { reason: DpopReason::Replayed },
            Error::DpopInvalid { reason: DpopReason::NonceMissing },
            Error::DpopInvalid { reason: DpopReason::KeyMismatch },
        ]
    }

    #[test]
    fn kinds_lists_every_variant_once_in_order() {
        let kinds: Vec<_> = one_of_each().iter().map(Error::kind).collect();
        assert_eq!(kinds, Error::KINDS);
    }

    #[test]
    fn only_short_plain_names_are_echoed() {
        assert_eq!(echoable("none"), Some("none".into()));
        assert_eq!(echoable("urn:example:ext"), Some("urn:example:ext".into()));
        for hostile in ["", "RS256\r\nX: y", "caf\u{e9}", "a\"b", &"A".repeat(33)] {
            assert_eq!(echoable(hostile), None, "{hostile:?}");
        }
    }

    #[test]
    fn the_algorithm_description_names_what_is_supported() {
        let e = Error::AlgorithmNotAllowed {
            alg: Some("none".into()),
            symmetric: false,
            allowed: Arc::new([Algorithm::RS256, Algorithm::EdDSA]),
        };
        assert_eq!(e.to_string(), "Unsupported algorithm \"none\" for JWKS-based verification. Supported: RS256, EdDSA");
    }

    #[test]
    fn descriptions_never_contain_the_internal_cause() {
        let e = Error::KeysUnavailable { cause: "secret-host:8443 refused".into() };
        assert!(!e.to_string().contains("secret-host"));
        assert_eq!(e.cause(), Some("secret-host:8443 refused"));
    }
}
