//! The claims checks: `exp`, `nbf`, `iat`, `iss`, `aud`, RFC 9068's explicit typing and required
//! claims. Pure: the current time is an argument, nothing here reads a clock or does I/O.
//!
//! Time checks follow jose and express-oauth2-jwt-bearer: `now` is whole seconds, a token expires at
//! `exp` (so `exp == now` is expired), the tolerance widens every window, and `iat` must lie in
//! `(now - tolerance - maxTokenAge, now + tolerance)`.

use std::borrow::Cow;

use crate::error::{Error, Part};
use crate::json::{self, Value};
use crate::token::{self, Typ};

/// The registered claims the checks read; every other claim is only checked for duplicates.
const REGISTERED: [&str; 8] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id"];

/// Claims RFC 9068 §2.2 makes mandatory in an access token.
const RFC9068_REQUIRED: [&str; 7] = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"];

/// Claims whose value must be a string when present (RFC 7519 §4.1, RFC 9068 §2.2).
const STRING_CLAIMS: [&str; 4] = ["iss", "sub", "jti", "client_id"];

/// What the claims must satisfy, fixed when the verifier is built.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Accepted `iss` values (exact, case-sensitive match).
    pub issuers: Vec<String>,
    /// Accepted audiences; the token's `aud` must name at least one.
    pub audiences: Vec<String>,
    /// Clock skew allowed on every time check, in seconds.
    pub clock_tolerance: f64,
    /// Oldest acceptable `iat`, in seconds before now.
    pub max_token_age: Option<f64>,
    /// RFC 9068 strict mode: `typ` must be `at+jwt` and its claims are all required.
    pub strict: bool,
    /// Further claims that must be present.
    pub required: Vec<String>,
}

/// The claims of one token, as read from its payload JSON.
#[derive(Debug, Default)]
pub struct Claims<'a> {
    registered: [Option<Value<'a>>; REGISTERED.len()],
    others: Vec<Cow<'a, str>>,
}

impl<'a> Claims<'a> {
    /// Reads the claims set: a strict JSON object (no duplicate members at any depth).
    /// Besides the registered claims, it notes which of `also_wanted` are present.
    pub fn parse(payload_json: &'a [u8], also_wanted: &[String]) -> Result<Claims<'a>, Error> {
        let mut claims = Claims::default();
        json::parse_object(
            payload_json,
            |name| REGISTERED.contains(&name) || also_wanted.iter().any(|w| w == name),
            |name, value| match REGISTERED.iter().position(|r| *r == name) {
                Some(i) => claims.registered[i] = Some(value),
                None => claims.others.push(name),
            },
        )
        .map_err(|e| token::json_error(Part::Payload, e))?;
        Ok(claims)
    }

    fn get(&self, name: &str) -> Option<&Value<'a>> {
        let i = REGISTERED.iter().position(|r| *r == name)?;
        self.registered[i].as_ref()
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some() || self.others.iter().any(|o| o == name)
    }

    /// A time claim as a number; `Err` when present with another type.
    fn time(&self, name: &'static str) -> Result<Option<f64>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(*n)),
            Some(_) => Err(Error::ClaimInvalid { claim: name.into() }),
        }
    }
}

/// Checks `claims` (and the header's `typ`) against `rules` at `now`, in epoch seconds.
pub fn check(claims: &Claims<'_>, typ: Typ, rules: &Rules, now: i64) -> Result<(), Error> {
    let now = now as f64;
    let tolerance = rules.clock_tolerance;

    let exp = claims.time("exp")?;
    let nbf = claims.time("nbf")?;
    if exp.is_some_and(|exp| exp <= now - tolerance) {
        return Err(Error::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now + tolerance) {
        return Err(Error::NotYetValid);
    }
    if rules.strict && typ != Typ::AccessToken {
        return Err(Error::TypInvalid);
    }
    check_issuer(claims, rules)?;
    check_audience(claims, rules)?;
    if exp.is_none() {
        return Err(Error::ClaimMissing { claim: "exp".into() });
    }
    check_issued_at(claims.time("iat")?, rules, now, tolerance)?;
    for name in STRING_CLAIMS {
        if claims.get(name).is_some_and(|v| !matches!(v, Value::String(_))) {
            return Err(Error::ClaimInvalid { claim: name.into() });
        }
    }
    let strict = if rules.strict { &RFC9068_REQUIRED[..] } else { &[] };
    let required = strict.iter().copied().chain(rules.required.iter().map(String::as_str));
    for name in required {
        if !claims.has(name) {
            return Err(Error::ClaimMissing { claim: Cow::Owned(name.to_owned()) });
        }
    }
    Ok(())
}

/// The whole seconds `now` for which the time checks of [`check`] pass: `from <= now < until`.
/// A verified-token cache re-checks a hit against this window, so the time rules live here only.
/// Call it on claims that passed [`check`]; bounds are clamped to ±(2^53 − 1) for JS.
pub fn window(claims: &Claims<'_>, rules: &Rules) -> (i64, i64) {
    let tolerance = rules.clock_tolerance;
    let number = |name| claims.time(name).ok().flatten();
    let mut from = f64::NEG_INFINITY;
    let mut until = f64::INFINITY;
    if let Some(exp) = number("exp") {
        until = until.min((exp + tolerance).ceil());
    }
    if let Some(nbf) = number("nbf") {
        from = from.max((nbf - tolerance).ceil());
    }
    if let Some(iat) = number("iat") {
        from = from.max((iat - tolerance).floor() + 1.0);
        if let Some(max) = rules.max_token_age {
            until = until.min((iat + tolerance + max).ceil());
        }
    }
    (js_safe(from), js_safe(until))
}

fn js_safe(t: f64) -> i64 {
    const LIMIT: f64 = 9_007_199_254_740_991.0;
    t.clamp(-LIMIT, LIMIT) as i64
}

fn check_issuer(claims: &Claims<'_>, rules: &Rules) -> Result<(), Error> {
    match claims.get("iss") {
        None => Err(Error::ClaimMissing { claim: "iss".into() }),
        Some(Value::String(iss)) if rules.issuers.iter().any(|i| i == iss) => Ok(()),
        Some(Value::String(_)) => Err(Error::IssuerMismatch),
        Some(_) => Err(Error::ClaimInvalid { claim: "iss".into() }),
    }
}

fn check_audience(claims: &Claims<'_>, rules: &Rules) -> Result<(), Error> {
    let accepted = |aud: &str| rules.audiences.iter().any(|a| a == aud);
    match claims.get("aud") {
        None => Err(Error::ClaimMissing { claim: "aud".into() }),
        Some(Value::String(aud)) if accepted(aud) => Ok(()),
        Some(Value::Strings(auds)) if auds.iter().any(|aud| accepted(aud)) => Ok(()),
        Some(Value::String(_) | Value::Strings(_)) => Err(Error::AudienceMismatch),
        Some(_) => Err(Error::ClaimInvalid { claim: "aud".into() }),
    }
}

fn check_issued_at(iat: Option<f64>, rules: &Rules, now: f64, tolerance: f64) -> Result<(), Error> {
    let Some(iat) = iat else {
        return match rules.max_token_age {
            Some(_) => Err(Error::ClaimMissing { claim: "iat".into() }),
            None => Ok(()),
        };
    };
    if iat >= now + tolerance {
        return Err(Error::IssuedInFuture);
    }
    if rules.max_token_age.is_some_and(|max| iat <= now - tolerance - max) {
        return Err(Error::TooOld);
    }
    Ok(())
}
