//! DPoP proof checks (RFC 9449 §4.3, §7, §8, §11.1), each pinned with a proof that is really
//! signed: every algorithm accepted, every defect rejected with its reason, kind and description,
//! the replay cache and server-provided nonces. Time is an argument: no test reads the clock.

mod common;

use bearer_rs::dpop::{self, Accepted, Dpop, DpopOptions, DpopReason, ProofRequest};
use bearer_rs::Error;
use common::{NOW, TestKey, b64};
use serde_json::{Value, json};

const URL: &str = "https://api.example.test/messages?page=2";
const HTU: &str = "https://api.example.test/messages";
const ACCESS_TOKEN: &str = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

fn ath(token: &str) -> String {
    b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes()))
}

fn jkt(key: &TestKey) -> String {
    dpop::thumbprint(key.jwk.as_object().unwrap()).unwrap()
}

/// A proof by `key`: header `{typ, alg, jwk}` and claims `{jti, htm, htu, iat, ath}`, each merged
/// with `header` and `claims` (a `null` removes a member).
fn proof_with(key: &TestKey, header: Value, claims: Value) -> String {
    let mut h = json!({ "typ": "dpop+jwt", "alg": key.alg, "jwk": key.jwk });
    let mut c = json!({ "jti": "e1j3V_bKic8-LAEB", "htm": "GET", "htu": HTU, "iat": NOW, "ath": ath(ACCESS_TOKEN) });
    for (target, changes) in [(&mut h, header), (&mut c, claims)] {
        for (name, value) in changes.as_object().unwrap() {
            match value {
                Value::Null => target.as_object_mut().unwrap().remove(name),
                _ => target.as_object_mut().unwrap().insert(name.clone(), value.clone()),
            };
        }
    }
    key.sign_text(&h.to_string(), &c.to_string())
}

fn proof(key: &TestKey, claims: Value) -> String {
    proof_with(key, json!({}), claims)
}

fn request<'a>(proof: &'a str, jkt: &'a str) -> ProofRequest<'a> {
    ProofRequest { proof, method: "GET", url: URL, access_token: ACCESS_TOKEN, jkt }
}

fn dpop_with(options: DpopOptions) -> Dpop {
    Dpop::new(options).expect("valid options")
}

fn fresh() -> Dpop {
    dpop_with(DpopOptions::default())
}

/// The check of `proof` by `key`'s holder with a fresh replay cache, at `NOW`.
fn verdict(key: &TestKey, proof: &str) -> Result<Accepted, DpopReason> {
    let jkt = jkt(key);
    fresh().check(&request(proof, &jkt), NOW).map_err(reason)
}

fn reason(e: Error) -> DpopReason {
    match e {
        Error::DpopInvalid { reason } => reason,
        other => panic!("expected a DPoP failure, got {other:?}"),
    }
}

fn accepted() -> Result<Accepted, DpopReason> {
    Ok(Accepted { nonce: None })
}

#[test]
fn accepts_a_proof_of_every_asymmetric_algorithm() {
    let keys = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
        .map(TestKey::rsa)
        .into_iter()
        .chain([TestKey::ec("ES256"), TestKey::ec("ES384"), TestKey::ed25519()]);
    for key in keys {
        assert_eq!(verdict(&key, &proof(&key, json!({}))), accepted(), "{}", key.alg);
    }
}

#[test]
fn the_thumbprint_is_rfc_7638s() {
    let key = json!({ "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw" });
    assert_eq!(dpop::thumbprint(key.as_object().unwrap()).unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

#[test]
fn more_than_one_proof_is_refused() {
    let key = TestKey::ec("ES256");
    let one = proof(&key, json!({}));
    assert_eq!(verdict(&key, &format!("{one}, {one}")), Err(DpopReason::Multiple));
}

#[test]
fn a_proof_that_is_not_a_strict_compact_jws_is_refused() {
    let key = TestKey::ec("ES256");
    assert_eq!(verdict(&key, &"a".repeat(dpop::MAX_PROOF_LENGTH + 1)), Err(DpopReason::TooLarge { limit: dpop::MAX_PROOF_LENGTH }));
    for garbage in ["", "garbage", "a.b", "a.b.c.d", "eyJ=.e30.c2ln"] {
        assert_eq!(verdict(&key, garbage), Err(DpopReason::NotCompact), "{garbage:?}");
    }
    let duplicate = format!("{}.{}.c2ln", b64(r#"{"alg":"ES256","alg":"ES256"}"#), b64("{}"));
    assert_eq!(verdict(&key, &duplicate), Err(DpopReason::HeaderInvalid));
    let no_alg = format!("{}.{}.c2ln", b64(r#"{"typ":"dpop+jwt"}"#), b64("{}"));
    assert_eq!(verdict(&key, &no_alg), Err(DpopReason::AlgMissing));
    let valid = proof(&key, json!({}));
    let (input, _) = valid.rsplit_once('.').unwrap();
    assert_eq!(verdict(&key, &format!("{input}.c2ln=")), Err(DpopReason::SignatureEncoding));
}

#[test]
fn only_asymmetric_algorithms_are_allowed() {
    let key = TestKey::ec("ES256");
    for alg in ["none", "HS256", "HS512", "ES512", "RSA-OAEP"] {
        let p = proof_with(&key, json!({ "alg": alg }), json!({}));
        assert_eq!(verdict(&key, &p), Err(DpopReason::AlgNotAllowed), "{alg}");
    }
}

#[test]
fn a_jws_extension_is_refused() {
    let key = TestKey::ec("ES256");
    let p = proof_with(&key, json!({ "crit": ["exp"], "exp": 1 }), json!({}));
    assert_eq!(verdict(&key, &p), Err(DpopReason::CritUnsupported));
}

#[test]
fn typ_must_be_dpop_jwt() {
    let key = TestKey::ec("ES256");
    for typ in [json!(null), json!("JWT"), json!("at+jwt"), json!("dpop")] {
        let p = proof_with(&key, json!({ "typ": typ }), json!({}));
        assert_eq!(verdict(&key, &p), Err(DpopReason::TypInvalid), "{typ}");
    }
    for typ in ["application/dpop+jwt", "DPoP+JWT"] {
        assert_eq!(verdict(&key, &proof_with(&key, json!({ "typ": typ }), json!({}))), accepted(), "{typ}");
    }
}

#[test]
fn the_jwk_must_be_a_public_key_that_fits_the_alg() {
    let key = TestKey::ec("ES256");
    for jwk in [json!(null), json!("x"), json!(["a"])] {
        assert_eq!(verdict(&key, &proof_with(&key, json!({ "jwk": jwk }), json!({}))), Err(DpopReason::JwkMissing));
    }
    let mut private = key.jwk.clone();
    private["d"] = json!("c2VjcmV0");
    assert_eq!(verdict(&key, &proof_with(&key, json!({ "jwk": private }), json!({}))), Err(DpopReason::JwkPrivate));
    let oct = json!({ "kty": "oct", "k": "c2VjcmV0" });
    assert_eq!(verdict(&key, &proof_with(&key, json!({ "jwk": oct }), json!({}))), Err(DpopReason::JwkPrivate));
    let rsa = TestKey::rsa("RS256");
    assert_eq!(verdict(&key, &proof_with(&key, json!({ "jwk": rsa.jwk }), json!({}))), Err(DpopReason::JwkUnusable));
    let mut encryption = key.jwk.clone();
    encryption["use"] = json!("enc");
    assert_eq!(verdict(&key, &proof_with(&key, json!({ "jwk": encryption }), json!({}))), Err(DpopReason::JwkUnusable));
}

#[test]
fn the_signature_must_verify_with_the_embedded_jwk() {
    let key = TestKey::ec("ES256");
    let other = TestKey::ec("ES256");
    let forged = proof_with(&other, json!({ "jwk": key.jwk }), json!({}));
    assert_eq!(verdict(&key, &forged), Err(DpopReason::SignatureInvalid));
}

#[test]
fn the_claims_set_must_be_a_strict_json_object() {
    let key = TestKey::ec("ES256");
    let header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": key.jwk }).to_string();
    for payload in ["[]", r#"{"jti":"a","jti":"b"}"#, "{"] {
        assert_eq!(verdict(&key, &key.sign_text(&header, payload)), Err(DpopReason::PayloadInvalid), "{payload}");
    }
}

#[test]
fn iat_must_lie_within_iat_offset_before_and_iat_leeway_after_now() {
    let key = TestKey::ec("ES256");
    let at = |iat: Value| verdict(&key, &proof(&key, json!({ "iat": iat })));
    assert_eq!(at(json!(NOW - 300)), accepted());
    assert_eq!(at(json!(NOW - 301)), Err(DpopReason::IatOutOfRange));
    assert_eq!(at(json!(NOW + 30)), accepted());
    assert_eq!(at(json!(NOW + 31)), Err(DpopReason::IatOutOfRange));
    assert_eq!(at(json!("now")), Err(DpopReason::ClaimInvalid("iat")));
    assert_eq!(verdict(&key, &proof(&key, json!({ "iat": null }))), Err(DpopReason::ClaimMissing("iat")));
    let narrow = dpop_with(DpopOptions { iat_offset: Some(60.0), iat_leeway: Some(0.0), ..DpopOptions::default() });
    let jkt = jkt(&key);
    let check = |iat: i64| narrow.check(&request(&proof(&key, json!({ "iat": iat, "jti": iat.to_string() })), &jkt), NOW).map_err(reason);
    assert_eq!(check(NOW - 60), accepted());
    assert_eq!(check(NOW - 61), Err(DpopReason::IatOutOfRange));
    assert_eq!(check(NOW + 1), Err(DpopReason::IatOutOfRange));
}

#[test]
fn the_proofs_own_exp_and_nbf_are_honoured_when_present() {
    let key = TestKey::ec("ES256");
    assert_eq!(verdict(&key, &proof(&key, json!({ "exp": NOW }))), Err(DpopReason::Timestamp("exp")));
    assert_eq!(verdict(&key, &proof(&key, json!({ "nbf": NOW + 1 }))), Err(DpopReason::Timestamp("nbf")));
    assert_eq!(verdict(&key, &proof(&key, json!({ "exp": NOW + 1, "nbf": NOW }))), accepted());
}

#[test]
fn htm_must_be_the_request_method_exactly() {
    let key = TestKey::ec("ES256");
    let with = |htm: Value| verdict(&key, &proof(&key, json!({ "htm": htm })));
    assert_eq!(with(json!(null)), Err(DpopReason::ClaimMissing("htm")));
    assert_eq!(with(json!(1)), Err(DpopReason::ClaimInvalid("htm")));
    assert_eq!(with(json!("POST")), Err(DpopReason::HtmMismatch));
    assert_eq!(with(json!("get")), Err(DpopReason::HtmMismatch));
}

#[test]
fn htu_must_be_the_request_url_without_query_and_fragment_after_normalisation() {
    let key = TestKey::ec("ES256");
    let with = |htu: Value| verdict(&key, &proof(&key, json!({ "htu": htu })));
    for same in ["https://api.example.test/messages", "HTTPS://API.EXAMPLE.TEST:443/messages#x", "https://api.example.test/%6Dessages?other=1", "https://api.example.test/x/../messages"] {
        assert_eq!(with(json!(same)), accepted(), "{same}");
    }
    for other in ["https://api.example.test/messages/", "http://api.example.test/messages", "https://api.example.test:8443/messages", "https://other.example.test/messages", "https://api.example.test/Messages"] {
        assert_eq!(with(json!(other)), Err(DpopReason::HtuMismatch), "{other}");
    }
    assert_eq!(with(json!(null)), Err(DpopReason::ClaimMissing("htu")));
    assert_eq!(with(json!(5)), Err(DpopReason::ClaimInvalid("htu")));
    assert_eq!(with(json!("not a url")), Err(DpopReason::HtuInvalid));
    assert_eq!(with(json!("https://a$b/messages")), Err(DpopReason::HtuHost));
}

#[test]
fn an_unparsable_request_url_matches_no_htu() {
    let key = TestKey::ec("ES256");
    let (p, jkt) = (proof(&key, json!({})), jkt(&key));
    let bad = ProofRequest { url: "http://[bad/", ..request(&p, &jkt) };
    assert_eq!(fresh().check(&bad, NOW).map_err(reason), Err(DpopReason::HtuMismatch));
}

#[test]
fn jti_must_be_a_non_empty_string() {
    let key = TestKey::ec("ES256");
    let with = |jti: Value| verdict(&key, &proof(&key, json!({ "jti": jti })));
    assert_eq!(with(json!(null)), Err(DpopReason::ClaimMissing("jti")));
    assert_eq!(with(json!("")), Err(DpopReason::ClaimMissing("jti")));
    assert_eq!(with(json!(5)), Err(DpopReason::ClaimInvalid("jti")));
}

#[test]
fn ath_must_be_the_hash_of_the_access_token() {
    let key = TestKey::ec("ES256");
    let with = |ath: Value| verdict(&key, &proof(&key, json!({ "ath": ath })));
    assert_eq!(with(json!(null)), Err(DpopReason::ClaimMissing("ath")));
    assert_eq!(with(json!(7)), Err(DpopReason::ClaimInvalid("ath")));
    assert_eq!(with(json!(ath("another token"))), Err(DpopReason::AthMismatch));
}

#[test]
fn the_proof_key_must_be_the_key_the_token_is_bound_to() {
    let key = TestKey::ec("ES256");
    let other = TestKey::ec("ES256");
    let p = proof(&key, json!({}));
    let e = fresh().check(&request(&p, &jkt(&other)), NOW).unwrap_err();
    assert_eq!((e.kind(), e.to_string()), ("binding_mismatch", "JWT Access Token confirmation mismatch".into()));
}

#[test]
fn a_proof_is_accepted_once_within_its_window() {
    let key = TestKey::ec("ES256");
    let (checker, jkt) = (fresh(), jkt(&key));
    let p = proof(&key, json!({}));
    assert!(checker.check(&request(&p, &jkt), NOW).is_ok());
    let e = checker.check(&request(&p, &jkt), NOW + 10).unwrap_err();
    assert_eq!((e.kind(), e.to_string(), e.claim()), ("dpop_proof_replayed", "DPoP proof \"jti\" has already been used".into(), Some("jti")));
    let again = proof(&key, json!({ "iat": NOW + 5 }));
    assert_eq!(checker.check(&request(&again, &jkt), NOW + 10).map_err(reason), Err(DpopReason::Replayed));
}

#[test]
fn a_jti_is_scoped_to_its_key() {
    let (a, b) = (TestKey::ec("ES256"), TestKey::ec("ES256"));
    let checker = fresh();
    assert!(checker.check(&request(&proof(&a, json!({ "jti": "same" })), &jkt(&a)), NOW).is_ok());
    assert!(checker.check(&request(&proof(&b, json!({ "jti": "same" })), &jkt(&b)), NOW).is_ok());
}

#[test]
fn a_rejected_proof_does_not_use_up_its_jti() {
    let key = TestKey::ec("ES256");
    let (checker, jkt) = (fresh(), jkt(&key));
    let bad = proof(&key, json!({ "ath": ath("another token") }));
    assert!(checker.check(&request(&bad, &jkt), NOW).is_err());
    assert!(checker.check(&request(&proof(&key, json!({})), &jkt), NOW).is_ok());
}

#[test]
fn the_replay_cache_is_bounded_and_forgets_the_oldest_proof_first() {
    let key = TestKey::ec("ES256");
    let checker = dpop_with(DpopOptions { jti_cache_size: Some(2.0), ..DpopOptions::default() });
    let jkt = jkt(&key);
    let proofs: Vec<String> = (0..3).map(|i| proof(&key, json!({ "jti": format!("p{i}"), "iat": NOW + i }))).collect();
    for p in &proofs {
        assert!(checker.check(&request(p, &jkt), NOW).is_ok());
    }
    assert_eq!(checker.check(&request(&proofs[2], &jkt), NOW).map_err(reason), Err(DpopReason::Replayed));
    assert_eq!(checker.check(&request(&proofs[1], &jkt), NOW).map_err(reason), Err(DpopReason::Replayed));
    assert!(checker.check(&request(&proofs[0], &jkt), NOW).is_ok(), "the oldest entry was evicted");
}

fn with_nonces(secret: &str) -> Dpop {
    dpop_with(DpopOptions { nonce: true, nonce_secret: Some(secret.into()), nonce_rotation: Some(60.0), ..DpopOptions::default() })
}

const SECRET: &str = "a nonce secret shared by every instance of the API";

#[test]
fn with_nonces_a_proof_without_one_is_answered_with_use_dpop_nonce() {
    let key = TestKey::ec("ES256");
    let checker = with_nonces(SECRET);
    let e = checker.check(&request(&proof(&key, json!({})), &jkt(&key)), NOW).unwrap_err();
    assert_eq!((e.kind(), e.to_string()), ("dpop_nonce_required", "Resource server requires nonce in DPoP proof".into()));
    assert!(checker.nonce(NOW).is_some());
    assert_eq!(fresh().nonce(NOW), None);
}

#[test]
fn with_nonces_the_current_and_previous_nonce_are_accepted_and_a_stale_one_is_not() {
    let key = TestKey::ec("ES256");
    let (checker, jkt) = (with_nonces(SECRET), jkt(&key));
    let issued = checker.nonce(NOW).unwrap();
    let with = |now: i64, jti: &str| {
        let p = proof(&key, json!({ "nonce": issued, "jti": jti, "iat": now }));
        checker.check(&request(&p, &jkt), now).map_err(reason)
    };
    assert_eq!(with(NOW, "a"), accepted());
    assert_eq!(with(NOW + 60, "b"), Ok(Accepted { nonce: checker.nonce(NOW + 60) }));
    assert_eq!(with(NOW + 120, "c"), Err(DpopReason::NonceInvalid));
    let p = proof(&key, json!({ "nonce": 5, "jti": "d" }));
    assert_eq!(checker.check(&request(&p, &jkt), NOW).map_err(reason), Err(DpopReason::NonceInvalid));
}

#[test]
fn instances_sharing_a_nonce_secret_accept_each_others_nonces_and_others_do_not() {
    let key = TestKey::ec("ES256");
    let jkt = jkt(&key);
    let p = proof(&key, json!({ "nonce": with_nonces(SECRET).nonce(NOW).unwrap() }));
    assert!(with_nonces(SECRET).check(&request(&p, &jkt), NOW).is_ok());
    let other = with_nonces("another secret that is also long enough!!");
    assert_eq!(other.check(&request(&p, &jkt), NOW).map_err(reason), Err(DpopReason::NonceInvalid));
}

#[test]
fn misused_options_are_refused_naming_the_option() {
    let refused = |options: DpopOptions| Dpop::new(options).err().map(|e| e.to_string());
    let d = DpopOptions::default;
    assert_eq!(refused(DpopOptions { iat_offset: Some(-1.0), ..d() }).unwrap(), "'dpop.iatOffset' must be a non-negative number of seconds");
    assert_eq!(refused(DpopOptions { iat_leeway: Some(f64::NAN), ..d() }).unwrap(), "'dpop.iatLeeway' must be a non-negative number of seconds");
    assert_eq!(refused(DpopOptions { jti_cache_size: Some(0.0), ..d() }).unwrap(), "'dpop.jtiCacheSize' must be a whole number from 1 to 10000000");
    assert_eq!(refused(DpopOptions { jti_cache_size: Some(2.5), ..d() }).unwrap(), "'dpop.jtiCacheSize' must be a whole number from 1 to 10000000");
    assert_eq!(refused(DpopOptions { nonce_rotation: Some(86_401.0), ..d() }).unwrap(), "'dpop.nonceRotation' must be a whole number from 1 to 86400");
    assert_eq!(refused(DpopOptions { nonce: true, nonce_secret: Some("short".into()), ..d() }).unwrap(), "'dpop.nonceSecret' must be at least 32 bytes");
    assert!(Dpop::new(d()).is_ok());
}

#[test]
fn failures_name_the_proof_member_and_keep_the_peers_descriptions() {
    let key = TestKey::ec("ES256");
    let jkt = jkt(&key);
    let e = fresh().check(&request(&proof(&key, json!({ "htm": "POST" })), &jkt), NOW).unwrap_err();
    assert_eq!((e.kind(), e.claim(), e.to_string()), ("dpop_proof_invalid", Some("htm"), "DPoP Proof htm mismatch".into()));
    assert_eq!(dpop::algorithm_names().join(" "), "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA");
}
