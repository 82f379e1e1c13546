//! The claims checks, pinned at their boundaries. Time is an argument: no test reads the clock.

mod common;

use bearer_rs::claims::{Claims, Rules, check};
use bearer_rs::token::Typ;
use bearer_rs::Error;
use common::{AUDIENCE, ISSUER, NOW, claims};
use serde_json::{Value, json};

fn rules() -> Rules {
    Rules {
        issuers: vec![ISSUER.into()],
        audiences: vec![AUDIENCE.into()],
        clock_tolerance: 5.0,
        max_token_age: None,
        strict: false,
        required: vec![],
    }
}

fn check_with(rules: &Rules, typ: Typ, payload: &Value) -> Result<(), Error> {
    let text = payload.to_string();
    let parsed = Claims::parse(text.as_bytes(), &rules.required)?;
    check(&parsed, typ, rules, NOW)
}

fn verdict(changes: Value) -> Result<(), Error> {
    check_with(&rules(), Typ::Absent, &claims(changes))
}

#[test]
fn accepts_a_token_within_its_lifetime() {
    assert_eq!(verdict(json!({})), Ok(()));
}

#[test]
fn a_token_is_expired_from_exp_minus_the_tolerance_on() {
    assert_eq!(verdict(json!({ "exp": NOW - 4 })), Ok(()));
    assert_eq!(verdict(json!({ "exp": NOW - 5 })), Err(Error::Expired));
    assert_eq!(verdict(json!({ "exp": NOW - 3600 })), Err(Error::Expired));
}

#[test]
fn with_no_tolerance_a_token_is_expired_at_exp_itself() {
    let strict_clock = Rules { clock_tolerance: 0.0, ..rules() };
    assert_eq!(check_with(&strict_clock, Typ::Absent, &claims(json!({ "exp": NOW }))), Err(Error::Expired));
    assert_eq!(check_with(&strict_clock, Typ::Absent, &claims(json!({ "exp": NOW as f64 + 0.5 }))), Ok(()));
}

#[test]
fn exp_is_required_and_must_be_a_number() {
    assert_eq!(verdict(json!({ "exp": null })), Err(Error::ClaimMissing { claim: "exp".into() }));
    assert_eq!(verdict(json!({ "exp": "1750003600" })), Err(Error::ClaimInvalid { claim: "exp".into() }));
}

#[test]
fn a_token_is_not_yet_valid_until_nbf_minus_the_tolerance() {
    assert_eq!(verdict(json!({ "nbf": NOW + 5 })), Ok(()));
    assert_eq!(verdict(json!({ "nbf": NOW + 6 })), Err(Error::NotYetValid));
    assert_eq!(verdict(json!({ "nbf": true })), Err(Error::ClaimInvalid { claim: "nbf".into() }));
}

#[test]
fn a_token_issued_at_or_after_now_plus_the_tolerance_is_rejected() {
    assert_eq!(verdict(json!({ "iat": NOW + 4 })), Ok(()));
    assert_eq!(verdict(json!({ "iat": NOW + 5 })), Err(Error::IssuedInFuture));
    assert_eq!(verdict(json!({ "iat": NOW + 86400 * 365 })), Err(Error::IssuedInFuture));
    assert_eq!(verdict(json!({ "iat": [] })), Err(Error::ClaimInvalid { claim: "iat".into() }));
}

#[test]
fn max_token_age_requires_iat_strictly_within_age_plus_tolerance() {
    let aged = Rules { max_token_age: Some(60.0), ..rules() };
    let at = |iat: Value| check_with(&aged, Typ::Absent, &claims(json!({ "iat": iat })));
    assert_eq!(at(json!(NOW - 64)), Ok(()));
    assert_eq!(at(json!(NOW - 65)), Err(Error::TooOld));
    assert_eq!(at(Value::Null), Err(Error::ClaimMissing { claim: "iat".into() }));
}

#[test]
fn iss_must_be_one_of_the_accepted_issuers() {
    let two = Rules { issuers: vec!["https://a.example/".into(), ISSUER.into()], ..rules() };
    assert_eq!(check_with(&two, Typ::Absent, &claims(json!({}))), Ok(()));
    assert_eq!(verdict(json!({ "iss": "https://issuer.example.test" })), Err(Error::IssuerMismatch));
    assert_eq!(verdict(json!({ "iss": null })), Err(Error::ClaimMissing { claim: "iss".into() }));
}

#[test]
fn an_array_iss_is_invalid_even_when_it_contains_the_issuer() {
    assert_eq!(verdict(json!({ "iss": [ISSUER] })), Err(Error::ClaimInvalid { claim: "iss".into() }));
}

#[test]
fn aud_may_be_a_string_or_an_array_naming_an_accepted_audience() {
    assert_eq!(verdict(json!({ "aud": ["https://other.example", AUDIENCE] })), Ok(()));
    assert_eq!(verdict(json!({ "aud": "https://other.example" })), Err(Error::AudienceMismatch));
    assert_eq!(verdict(json!({ "aud": ["https://other.example"] })), Err(Error::AudienceMismatch));
    assert_eq!(verdict(json!({ "aud": [] })), Err(Error::AudienceMismatch));
}

#[test]
fn a_numeric_or_mixed_aud_is_invalid() {
    assert_eq!(verdict(json!({ "aud": 42 })), Err(Error::ClaimInvalid { claim: "aud".into() }));
    assert_eq!(verdict(json!({ "aud": [AUDIENCE, 1] })), Err(Error::ClaimInvalid { claim: "aud".into() }));
    assert_eq!(verdict(json!({ "aud": null })), Err(Error::ClaimMissing { claim: "aud".into() }));
}

#[test]
fn sub_jti_and_client_id_must_be_strings_when_present() {
    for claim in ["sub", "jti", "client_id"] {
        assert_eq!(verdict(json!({ claim: 7 })), Err(Error::ClaimInvalid { claim: claim.into() }), "{claim}");
        assert_eq!(verdict(json!({ claim: null })), Ok(()), "{claim} absent");
    }
}

#[test]
fn strict_mode_requires_the_at_jwt_type() {
    let strict = Rules { strict: true, ..rules() };
    assert_eq!(check_with(&strict, Typ::AccessToken, &claims(json!({}))), Ok(()));
    assert_eq!(check_with(&strict, Typ::Other, &claims(json!({}))), Err(Error::TypInvalid));
    assert_eq!(check_with(&strict, Typ::Absent, &claims(json!({}))), Err(Error::TypInvalid));
}

#[test]
fn strict_mode_requires_every_rfc_9068_claim() {
    let strict = Rules { strict: true, ..rules() };
    for claim in ["sub", "client_id", "iat", "jti"] {
        let missing = claims(json!({ claim: null }));
        assert_eq!(
            check_with(&strict, Typ::AccessToken, &missing),
            Err(Error::ClaimMissing { claim: claim.to_owned().into() }),
            "{claim}"
        );
    }
}

#[test]
fn required_claims_must_be_present_whatever_their_value() {
    let required = Rules { required: vec!["org_id".into(), "sub".into()], ..rules() };
    assert_eq!(check_with(&required, Typ::Absent, &claims(json!({ "org_id": null }))), Err(Error::ClaimMissing { claim: "org_id".into() }));
    assert_eq!(check_with(&required, Typ::Absent, &claims(json!({ "org_id": false }))), Ok(()));
}

/// The window must agree with `check` on every second around the claims' boundaries.
fn assert_window_agrees(rules: &Rules, payload: &Value) {
    let text = payload.to_string();
    let parsed = Claims::parse(text.as_bytes(), &rules.required).unwrap();
    let (from, until) = bearer_rs::claims::window(&parsed, rules);
    for now in NOW - 4000..NOW + 4000 {
        let time_ok = !matches!(
            check(&parsed, Typ::Absent, rules, now),
            Err(Error::Expired | Error::NotYetValid | Error::TooOld | Error::IssuedInFuture)
        );
        assert_eq!(time_ok, from <= now && now < until, "now = {now}, window [{from}, {until}), {payload}");
    }
}

#[test]
fn the_validity_window_agrees_with_the_time_checks_at_every_second() {
    let aged = Rules { max_token_age: Some(600.0), ..rules() };
    for (rules, changes) in [
        (rules(), json!({})),
        (rules(), json!({ "exp": NOW as f64 + 100.5, "nbf": NOW as f64 - 20.25 })),
        (rules(), json!({ "iat": NOW + 30, "nbf": null })),
        (aged.clone(), json!({ "iat": NOW - 300 })),
        (aged, json!({ "iat": NOW as f64 - 299.5, "exp": NOW + 200 })),
        (Rules { clock_tolerance: 0.0, ..rules() }, json!({ "exp": NOW, "iat": NOW - 1 })),
    ] {
        assert_window_agrees(&rules, &claims(changes));
    }
}
