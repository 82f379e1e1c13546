//! Why a DPoP proof (RFC 9449) was rejected: one variant per check, grouped into a few stable
//! kinds, each with the description express-oauth2-jwt-bearer sends for the same check (jose's
//! wording for the JWS checks it delegates to jose). Attacker-chosen values are never echoed.

use std::fmt;

/// Why a DPoP proof was rejected. [`DpopReason::kind`] groups the variants into stable kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpopReason {
    /// The `DPoP` header holds more than one proof (RFC 9449 §4.3, check 1).
    Multiple,
    /// The proof is longer than the proof size limit; it was not decoded.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Not a compact JWS: three segments of strict base64url.
    NotCompact,
    /// The header is not a strict JSON object with well-typed members.
    HeaderInvalid,
    /// The header has no string `alg`.
    AlgMissing,
    /// `alg` is `none`, symmetric, or not supported (RFC 9449 §4.2).
    AlgNotAllowed,
    /// The header asks for a JWS extension (`crit`, `b64`).
    CritUnsupported,
    /// `typ` is not `dpop+jwt`.
    TypInvalid,
    /// The header has no `jwk` JSON object.
    JwkMissing,
    /// The `jwk` holds private or symmetric key material (RFC 9449 §4.2).
    JwkPrivate,
    /// The `jwk` cannot verify `alg`: key type, curve, size, `use`, `key_ops` or its own `alg`.
    JwkUnusable,
    /// The signature segment is not strict base64url.
    SignatureEncoding,
    /// The signature does not verify with the `jwk`.
    SignatureInvalid,
    /// The claims set is not a strict JSON object.
    PayloadInvalid,
    /// A required claim is absent.
    ClaimMissing(&'static str),
    /// A claim has the wrong JSON type.
    ClaimInvalid(&'static str),
    /// The proof's own `exp` has passed, or its `nbf` has not come.
    Timestamp(&'static str),
    /// `iat` lies outside `[now - iatOffset, now + iatLeeway]`.
    IatOutOfRange,
    /// `htm` is not the request method.
    HtmMismatch,
    /// `htu` is not an absolute URL.
    HtuInvalid,
    /// `htu` has a host that is not a plain host name or IP literal.
    HtuHost,
    /// `htu`, normalised, is not the request URL without query and fragment.
    HtuMismatch,
    /// `ath` is not the hash of the access token.
    AthMismatch,
    /// The proof key is not the key the access token is bound to (`cnf.jkt`).
    KeyMismatch,
    /// The server requires a nonce and the proof has none.
    NonceMissing,
    /// The proof's `nonce` is not one the server issued recently.
    NonceInvalid,
    /// A proof with this `jti` was already accepted within its window.
    Replayed,
}

impl DpopReason {
    /// The stable kind name of this reason (the JS `err.kind`).
    pub fn kind(self) -> &'static str {
        match self {
            DpopReason::Replayed => "dpop_proof_replayed",
            DpopReason::NonceMissing | DpopReason::NonceInvalid => "dpop_nonce_required",
            DpopReason::KeyMismatch => "binding_mismatch",
            DpopReason::Multiple
            | DpopReason::TooLarge { .. }
            | DpopReason::NotCompact
            | DpopReason::HeaderInvalid
            | DpopReason::AlgMissing
            | DpopReason::AlgNotAllowed
            | DpopReason::CritUnsupported
            | DpopReason::TypInvalid
            | DpopReason::JwkMissing
            | DpopReason::JwkPrivate
            | DpopReason::JwkUnusable
            | DpopReason::SignatureEncoding
            | DpopReason::SignatureInvalid
            | DpopReason::PayloadInvalid
            | DpopReason::ClaimMissing(_)
            | DpopReason::ClaimInvalid(_)
            | DpopReason::Timestamp(_)
            | DpopReason::IatOutOfRange
            | DpopReason::HtmMismatch
            | DpopReason::HtuInvalid
            | DpopReason::HtuHost
            | DpopReason::HtuMismatch
            | DpopReason::AthMismatch => "dpop_proof_invalid",
        }
    }

    /// The proof member (header parameter or claim) the failure is about, when there is one.
    pub fn claim(self) -> Option<&'static str> {
        match self {
            DpopReason::AlgMissing | DpopReason::AlgNotAllowed => Some("alg"),
            DpopReason::CritUnsupported => Some("crit"),
            DpopReason::TypInvalid => Some("typ"),
            DpopReason::JwkMissing | DpopReason::JwkPrivate | DpopReason::JwkUnusable => Some("jwk"),
            DpopReason::ClaimMissing(claim) | DpopReason::ClaimInvalid(claim) | DpopReason::Timestamp(claim) => {
                Some(claim)
            }
            DpopReason::IatOutOfRange => Some("iat"),
            DpopReason::HtmMismatch => Some("htm"),
            DpopReason::HtuInvalid | DpopReason::HtuHost | DpopReason::HtuMismatch => Some("htu"),
            DpopReason::AthMismatch => Some("ath"),
            DpopReason::KeyMismatch => Some("cnf"),
            DpopReason::NonceMissing | DpopReason::NonceInvalid => Some("nonce"),
            DpopReason::Replayed => Some("jti"),
            DpopReason::Multiple
            | DpopReason::TooLarge { .. }
            | DpopReason::NotCompact
            | DpopReason::HeaderInvalid
            | DpopReason::SignatureEncoding
            | DpopReason::SignatureInvalid
            | DpopReason::PayloadInvalid => None,
        }
    }
}

impl fmt::Display for DpopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DpopReason::Multiple => f.write_str("Multiple DPoP proofs are not allowed"),
            DpopReason::TooLarge { limit } => write!(f, "the DPoP proof is longer than {limit} bytes"),
            DpopReason::NotCompact => f.write_str("Invalid Compact JWS"),
            DpopReason::HeaderInvalid => f.write_str("JWS Protected Header is invalid"),
            DpopReason::AlgMissing => f.write_str("JWS \"alg\" (Algorithm) Header Parameter missing or invalid"),
            DpopReason::AlgNotAllowed => f.write_str("\"alg\" (Algorithm) Header Parameter not allowed"),
            DpopReason::CritUnsupported => f.write_str("Extension Header Parameter is not recognized"),
            DpopReason::TypInvalid => f.write_str("unexpected \"typ\" JWT header value"),
            DpopReason::JwkMissing => f.write_str("\"jwk\" (JSON Web Key) Header Parameter must be a JSON object"),
            DpopReason::JwkPrivate => f.write_str("\"jwk\" (JSON Web Key) Header Parameter must be a public key"),
            DpopReason::JwkUnusable => {
                f.write_str("\"jwk\" (JSON Web Key) Header Parameter is not a usable key for the \"alg\"")
            }
            DpopReason::SignatureEncoding => f.write_str("Failed to base64url decode the signature"),
            DpopReason::SignatureInvalid => f.write_str("signature verification failed"),
            DpopReason::PayloadInvalid => f.write_str("JWT Claims Set must be a top-level JSON object"),
            DpopReason::ClaimMissing(claim @ ("iat" | "ath")) => write!(f, "Missing \"{claim}\" claim in DPoP proof"),
            DpopReason::ClaimMissing(claim) => write!(f, "Missing \"{claim}\" in DPoP proof"),
            DpopReason::ClaimInvalid(claim @ ("iat" | "exp" | "nbf")) => write!(f, "\"{claim}\" claim must be a number"),
            DpopReason::ClaimInvalid(claim) => write!(f, "Invalid \"{claim}\" claim"),
            DpopReason::Timestamp(claim) => write!(f, "\"{claim}\" claim timestamp check failed"),
            DpopReason::IatOutOfRange => f.write_str("DPoP proof \"iat\" is outside the acceptable range"),
            DpopReason::HtmMismatch => f.write_str("DPoP Proof htm mismatch"),
            DpopReason::HtuInvalid => f.write_str("Invalid htu claim URL"),
            DpopReason::HtuHost => f.write_str("Invalid htu claim URL: Host contains illegal characters or format"),
            DpopReason::HtuMismatch => f.write_str("DPoP Proof htu mismatch"),
            DpopReason::AthMismatch => f.write_str("DPoP Proof \"ath\" mismatch"),
            DpopReason::KeyMismatch => f.write_str("JWT Access Token confirmation mismatch"),
            DpopReason::NonceMissing => f.write_str("Resource server requires nonce in DPoP proof"),
            DpopReason::NonceInvalid => f.write_str("DPoP proof \"nonce\" is not a current nonce of this resource server"),
            DpopReason::Replayed => f.write_str("DPoP proof \"jti\" has already been used"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_follow_the_peer_for_the_same_checks() {
        let cases = [
            (DpopReason::ClaimMissing("iat"), "Missing \"iat\" claim in DPoP proof"),
            (DpopReason::ClaimMissing("htm"), "Missing \"htm\" in DPoP proof"),
            (DpopReason::ClaimMissing("ath"), "Missing \"ath\" claim in DPoP proof"),
            (DpopReason::ClaimInvalid("iat"), "\"iat\" claim must be a number"),
            (DpopReason::ClaimInvalid("htu"), "Invalid \"htu\" claim"),
            (DpopReason::AthMismatch, "DPoP Proof \"ath\" mismatch"),
            (DpopReason::Multiple, "Multiple DPoP proofs are not allowed"),
        ];
        for (reason, text) in cases {
            assert_eq!(reason.to_string(), text);
        }
    }

    #[test]
    fn replay_nonce_and_binding_failures_have_their_own_kinds() {
        assert_eq!(DpopReason::Replayed.kind(), "dpop_proof_replayed");
        assert_eq!(DpopReason::NonceInvalid.kind(), "dpop_nonce_required");
        assert_eq!(DpopReason::KeyMismatch.kind(), "binding_mismatch");
        assert_eq!(DpopReason::HtuMismatch.kind(), "dpop_proof_invalid");
    }
}
