//! Decoding a compact JWS, before anything is trusted: size cap, exactly three segments, strict
//! base64url, and a header that is a strict JSON object with well-typed members.
//!
//! The payload is only split off here; it is decoded after the signature has been checked.

use std::borrow::Cow;

use jsonwebtoken::Algorithm;

use crate::base64url;
use crate::error::{Error, Malformed, Part, echoable};
use crate::json::{self, JsonError, Value};
use crate::signature;

/// The header's `alg`, as far as it matters: one we support, or something we refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alg {
    /// A supported algorithm.
    Supported(Algorithm),
    /// `none` in any spelling, or an algorithm bearer-rs does not implement; the name when it
    /// is [`echoable`].
    Unsupported(Option<String>),
}

/// The header's `typ`, classified for RFC 9068's explicit typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typ {
    /// No `typ` member.
    Absent,
    /// `at+jwt` or `application/at+jwt`, in any case.
    AccessToken,
    /// Any other value.
    Other,
}

/// The JOSE header members the checks use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `alg`.
    pub alg: Alg,
    /// `kid`, when present.
    pub kid: Option<String>,
    /// `typ`.
    pub typ: Typ,
    /// The JWS extension the header asks for, if any: the first `crit` entry, or `b64` for an
    /// unencoded payload. Its name is kept when it is [`echoable`].
    pub extension: Option<Option<String>>,
}

/// A compact JWS split into its parts, with the header decoded and checked.
#[derive(Debug)]
pub struct Token<'t> {
    /// The decoded header members.
    pub header: Header,
    /// The header's JSON text, as signed.
    pub header_json: Vec<u8>,
    /// `BASE64URL(header) '.' BASE64URL(payload)`: what the signature covers.
    pub signing_input: &'t [u8],
    /// The payload segment, still encoded.
    pub payload: &'t [u8],
    /// The signature segment, still encoded.
    pub signature: &'t [u8],
}

/// Splits and decodes `token`, refusing anything longer than `max_len` bytes before looking at it.
pub fn decode(token: &str, max_len: usize) -> Result<Token<'_>, Error> {
    if token.len() > max_len {
        return Err(Error::TooLarge { limit: max_len });
    }
    if token.trim().is_empty() {
        return Err(Error::Malformed(Malformed::Empty));
    }
    if has_scheme_prefix(token) {
        return Err(Error::Malformed(Malformed::SchemePrefix));
    }
    let (first, second) = segment_ends(token).ok_or(Error::Malformed(Malformed::Segments))?;
    let bytes = token.as_bytes();
    let header_json = base64url::decode(&bytes[..first])
        .ok_or(Error::Malformed(Malformed::Base64(Part::Header)))?;
    let header = parse_header(&header_json)?;
    Ok(Token {
        header,
        header_json,
        signing_input: &bytes[..second],
        payload: &bytes[first + 1..second],
        signature: &bytes[second + 1..],
    })
}

/// Decodes the payload segment to its JSON text (checked as a claims set by `claims`).
pub fn decode_payload(payload: &[u8]) -> Result<Vec<u8>, Error> {
    base64url::decode(payload).ok_or(Error::Malformed(Malformed::Base64(Part::Payload)))
}

/// Maps a strict-JSON failure of `part` to the malformation it is.
pub fn json_error(part: Part, e: JsonError) -> Error {
    Error::Malformed(match e {
        JsonError::Syntax => Malformed::Json(part),
        JsonError::NotObject => Malformed::NotObject(part),
        JsonError::DuplicateMember => Malformed::DuplicateMember(part),
    })
}

/// The positions of the two dots of a three-segment token (found with `str::find`, which scans a
/// word at a time), or `None` for any other number of dots.
fn segment_ends(token: &str) -> Option<(usize, usize)> {
    let first = token.find('.')?;
    let second = first + 1 + token[first + 1..].find('.')?;
    if token[second + 1..].contains('.') { None } else { Some((first, second)) }
}

/// `Bearer eyJ…` or `DPoP eyJ…` passed where the bare token belongs.
fn has_scheme_prefix(token: &str) -> bool {
    token.split_once(' ').is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("dpop")
    })
}

const HEADER_MEMBERS: [&str; 5] = ["alg", "kid", "typ", "crit", "b64"];

fn parse_header(json_text: &[u8]) -> Result<Header, Error> {
    let mut alg = None;
    let mut kid = None;
    let mut typ = Typ::Absent;
    let mut crit = None;
    let mut unencoded = false;
    let mut wrong_type = None;
    json::parse_object(json_text, |name| HEADER_MEMBERS.contains(&name), |name, value| {
        match (name.as_ref(), value) {
            ("alg", Value::String(s)) => alg = Some(s),
            ("kid", Value::String(s)) => kid = Some(s.into_owned()),
            ("typ", Value::String(s)) => typ = classify_typ(&s),
            ("crit", Value::Strings(list)) if list.iter().all(|c| !c.is_empty()) && !list.is_empty() => {
                crit = Some(echoable(&list[0]));
            }
            ("b64", Value::Bool(b64)) => unencoded = !b64,
            ("alg", _) => {}
            (other, _) => wrong_type = wrong_type.or(HEADER_MEMBERS.into_iter().find(|m| *m == other)),
        }
    })
    .map_err(|e| json_error(Part::Header, e))?;
    let alg: Cow<'_, str> = alg.ok_or(Error::Malformed(Malformed::AlgMissing))?;
    if let Some(member) = wrong_type {
        return Err(Error::Malformed(Malformed::HeaderMemberType(member)));
    }
    let extension = if unencoded { Some(Some("b64".to_owned())) } else { crit };
    let alg = signature::parse(&alg).map_or_else(|| Alg::Unsupported(echoable(&alg)), Alg::Supported);
    Ok(Header { alg, kid, typ, extension })
}

fn classify_typ(typ: &str) -> Typ {
    let media_type = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    };
    if media_type.eq_ignore_ascii_case("at+jwt") { Typ::AccessToken } else { Typ::Other }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(json: &str) -> String {
        crate::base64url::encode(json)
    }

    fn token(header: &str) -> String {
        format!("{}.{}.c2ln", seg(header), seg("{}"))
    }

    fn malformed(token: &str) -> Malformed {
        match decode(token, 16384) {
            Err(Error::Malformed(m)) => m,
            other => panic!("expected a malformation, got {other:?}"),
        }
    }

    #[test]
    fn splits_a_token_into_signing_input_payload_and_signature() {
        let t = token(r#"{"alg":"RS256","kid":"k1","typ":"at+jwt"}"#);
        let d = decode(&t, 16384).unwrap();
        assert_eq!(d.header.alg, Alg::Supported(Algorithm::RS256));
        assert_eq!(d.header.kid.as_deref(), Some("k1"));
        assert_eq!(d.header.typ, Typ::AccessToken);
        assert_eq!(d.signature, b"c2ln");
        assert_eq!(d.signing_input, t.rsplit_once('.').unwrap().0.as_bytes());
    }

    #[test]
    fn refuses_a_token_over_the_limit_before_decoding_it() {
        assert_eq!(decode(&"!".repeat(101), 100).unwrap_err(), Error::TooLarge { limit: 100 });
    }

    #[test]
    fn names_empty_and_prefixed_tokens() {
        assert_eq!(malformed(""), Malformed::Empty);
        assert_eq!(malformed("  \t"), Malformed::Empty);
        assert_eq!(malformed(&format!("Bearer {}", token(r#"{"alg":"RS256"}"#))), Malformed::SchemePrefix);
        assert_eq!(malformed("dpop a.b.c"), Malformed::SchemePrefix);
    }

    #[test]
    fn requires_exactly_three_segments() {
        for t in ["a.b", "a.b.c.d", "a.b.c.d.e", "abc"] {
            assert_eq!(malformed(t), Malformed::Segments, "{t}");
        }
    }

    #[test]
    fn requires_strict_base64url_in_the_header() {
        assert_eq!(malformed("eyJ=.e30.c2ln"), Malformed::Base64(Part::Header));
        assert_eq!(malformed(" eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), Malformed::Base64(Part::Header));
    }

    #[test]
    fn requires_the_header_to_be_a_json_object_without_duplicates() {
        assert_eq!(malformed(&token("[]")), Malformed::NotObject(Part::Header));
        assert_eq!(malformed(&token("{")), Malformed::Json(Part::Header));
        assert_eq!(
            malformed(&token(r#"{"alg":"RS256","alg":"none"}"#)),
            Malformed::DuplicateMember(Part::Header)
        );
    }

    #[test]
    fn requires_a_string_alg_and_well_typed_members() {
        assert_eq!(malformed(&token(r#"{"kid":"a"}"#)), Malformed::AlgMissing);
        assert_eq!(malformed(&token(r#"{"alg":1}"#)), Malformed::AlgMissing);
        assert_eq!(malformed(&token(r#"{"alg":"RS256","kid":1}"#)), Malformed::HeaderMemberType("kid"));
        assert_eq!(malformed(&token(r#"{"alg":"RS256","crit":[]}"#)), Malformed::HeaderMemberType("crit"));
        assert_eq!(malformed(&token(r#"{"alg":"RS256","crit":[""]}"#)), Malformed::HeaderMemberType("crit"));
        assert_eq!(malformed(&token(r#"{"alg":"RS256","b64":"no"}"#)), Malformed::HeaderMemberType("b64"));
        assert_eq!(malformed(&token(r#"{"alg":"RS256","typ":null}"#)), Malformed::HeaderMemberType("typ"));
    }

    #[test]
    fn classifies_none_and_unknown_algorithms_as_unsupported() {
        for alg in ["none", "NONE", "None", "ES512", "HS1"] {
            let t = token(&format!(r#"{{"alg":"{alg}"}}"#));
            assert_eq!(decode(&t, 16384).unwrap().header.alg, Alg::Unsupported(Some(alg.into())), "{alg}");
        }
    }

    #[test]
    fn names_the_extension_a_header_asks_for() {
        let extension = |h: &str| decode(&token(h), 16384).unwrap().header.extension;
        assert_eq!(extension(r#"{"alg":"RS256","crit":["exp"],"exp":1}"#), Some(Some("exp".into())));
        assert_eq!(extension(r#"{"alg":"RS256","crit":["b\n"]}"#), Some(None));
        assert_eq!(extension(r#"{"alg":"RS256","b64":false,"crit":["b64"]}"#), Some(Some("b64".into())));
        assert_eq!(extension(r#"{"alg":"RS256","b64":false}"#), Some(Some("b64".into())));
        assert_eq!(extension(r#"{"alg":"RS256","b64":true}"#), None);
        assert_eq!(extension(r#"{"alg":"RS256","jku":"https://attacker.example/jwks"}"#), None);
    }

    #[test]
    fn keeps_an_unsupported_alg_name_only_when_it_is_plain() {
        let alg = |name: &str| decode(&token(&format!(r#"{{"alg":{name}}}"#)), 16384).unwrap().header.alg;
        assert_eq!(alg(r#""RS256\r\nSet-Cookie: x""#), Alg::Unsupported(None));
    }

    #[test]
    fn recognises_the_access_token_media_type_in_any_case() {
        let typ = |t: &str| decode(&token(&format!(r#"{{"alg":"RS256","typ":"{t}"}}"#)), 16384).unwrap().header.typ;
        assert_eq!(typ("at+jwt"), Typ::AccessToken);
        assert_eq!(typ("application/AT+JWT"), Typ::AccessToken);
        assert_eq!(typ("JWT"), Typ::Other);
        assert_eq!(typ("application/jwt"), Typ::Other);
    }
}
