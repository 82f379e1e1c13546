//! Project Wycheproof vectors through bearer-rs's own code: each key through the JWK import path
//! (`KeySet::from_jwk`/`from_jwks`, and `from_pem` as a cross-check), each signature through the
//! `signature::Verifier::verify` that tokens use, and whole JWS objects through the pipeline.
//!
//! The files are read from `../shared/vectors/wycheproof/`; when that folder is absent every test
//! here says so and passes. Every `valid` vector must verify and every `invalid` one must be
//! rejected unless a [`Decision`] below says otherwise, with its reason; every `acceptable` vector
//! needs a decision. Run with `-- --nocapture` to see the per-file counts.

mod common;
#[path = "common/jws.rs"]
mod jws;

use std::collections::BTreeMap;
use std::path::PathBuf;

use bearer_rs::keys::{KeyError, KeySet, Unusable};
use bearer_rs::signature::{self, SUPPORTED};
use bearer_rs::token;
use jws::{PRIVATE, Setup, hex, public_half};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

const DIR: &str = "../shared/vectors/wycheproof";

/// A vector whose outcome is decided here rather than by its label.
struct Decision {
    tc_id: u64,
    /// `verified`, `rejected` (any rejection), an error kind, `key_refused`, or `skip`.
    expect: &'static str,
    reason: &'static str,
}

fn vectors(file: &str) -> Option<Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DIR);
    if !dir.is_dir() {
        println!("skipping {file}: {} is absent", dir.display());
        return None;
    }
    let text = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    Some(serde_json::from_slice(&text).unwrap())
}

fn groups(doc: &Value) -> &Vec<Value> {
    doc["testGroups"].as_array().unwrap()
}

fn tests(group: &Value) -> &Vec<Value> {
    group["tests"].as_array().unwrap()
}

/// Counts per file; collects every mismatch so one run lists them all.
struct Tally<'d> {
    file: String,
    decisions: &'d [Decision],
    used: Vec<u64>,
    valid_verified: usize,
    invalid_rejected: usize,
    acceptable_decided: usize,
    label_overridden: usize,
    skipped: Vec<String>,
    decided: Vec<String>,
    rejections: BTreeMap<String, usize>,
    failures: Vec<String>,
}

impl<'d> Tally<'d> {
    fn new(file: &str, decisions: &'d [Decision]) -> Self {
        Tally {
            file: file.into(),
            decisions,
            used: Vec::new(),
            valid_verified: 0,
            invalid_rejected: 0,
            acceptable_decided: 0,
            label_overridden: 0,
            skipped: Vec::new(),
            decided: Vec::new(),
            rejections: BTreeMap::new(),
            failures: Vec::new(),
        }
    }

    fn decision(&mut self, test: &Value) -> Option<&'d Decision> {
        let tc_id = test["tcId"].as_u64().unwrap();
        let decision = self.decisions.iter().find(|d| d.tc_id == tc_id);
        if decision.is_some() {
            self.used.push(tc_id);
        }
        decision
    }

    /// Whether `test` is skipped by decision (and records it).
    fn skips(&mut self, test: &Value) -> bool {
        let tc_id = test["tcId"].as_u64().unwrap();
        let Some(d) = self.decisions.iter().find(|d| d.tc_id == tc_id && d.expect == "skip") else {
            return false;
        };
        self.used.push(tc_id);
        self.skipped.push(format!("tcId {tc_id}: {}", d.reason));
        true
    }

    fn record(&mut self, test: &Value, outcome: &str) {
        let result = test["result"].as_str().unwrap();
        let matches = |expect: &str| {
            outcome == expect
                || outcome.starts_with(&format!("{expect}:"))
                || (expect == "rejected" && outcome != "verified")
        };
        let ok = match (self.decision(test), result) {
            (Some(d), _) if matches(d.expect) => {
                self.decided.push(format!("tcId {} ({result}) {outcome}: {}", d.tc_id, d.reason));
                match result {
                    "acceptable" => self.acceptable_decided += 1,
                    "valid" if outcome != "verified" => self.label_overridden += 1,
                    "invalid" if outcome == "verified" => self.label_overridden += 1,
                    "valid" => self.valid_verified += 1,
                    _ => self.invalid_rejected += 1,
                }
                true
            }
            (Some(_), _) => false,
            (None, "valid") if outcome == "verified" => {
                self.valid_verified += 1;
                true
            }
            (None, "invalid") if outcome != "verified" => {
                self.invalid_rejected += 1;
                true
            }
            _ => false,
        };
        if outcome != "verified" {
            let kind = outcome.split(':').next().unwrap_or(outcome);
            *self.rejections.entry(kind.to_owned()).or_default() += 1;
        }
        if !ok {
            self.failures.push(format!(
                "tcId {} ({result}, {:?}, flags {}): {outcome}",
                test["tcId"], test["comment"], test["flags"]
            ));
        }
    }

    fn finish(self) {
        for d in self.decisions {
            if !self.used.contains(&d.tc_id) {
                panic!("{}: the decision for tcId {} matches no vector", self.file, d.tc_id);
            }
        }
        println!(
            "{}: {} valid verified, {} invalid rejected, {} acceptable decided, {} labels overridden by decision, {} skipped; rejections {:?}",
            self.file,
            self.valid_verified,
            self.invalid_rejected,
            self.acceptable_decided,
            self.label_overridden,
            self.skipped.len(),
            self.rejections,
        );
        for s in &self.skipped {
            println!("  skipped {s}");
        }
        for d in &self.decided {
            println!("  decided {d}");
        }
        assert!(self.failures.is_empty(), "{}:\n{}", self.file, self.failures.join("\n"));
    }
}

/// The outcome of one raw signature check with the only verifier `keys` has for `alg`.
fn check(keys: &Result<KeySet, KeyError>, alg: Algorithm, msg: &[u8], sig: &[u8]) -> String {
    match keys {
        Err(e) => format!("key_refused: {e}"),
        Ok(set) => {
            let mut verifiers = set.candidates(alg, None);
            let verifier = verifiers.next().expect("a verifier for the file's algorithm");
            assert!(verifiers.next().is_none(), "one key, one verifier");
            if verifier.verify(msg, sig) { "verified".into() } else { "signature_invalid".into() }
        }
    }
}

/// The JWK of an ECDSA group that gives its key only as a point (a few edge-case groups).
fn ec_jwk(group: &Value) -> Value {
    let point = hex(group["publicKey"]["uncompressed"].as_str().expect("a JWK or an uncompressed point"));
    let (x, y) = point[1..].split_at(point.len() / 2);
    let crv = match x.len() {
        32 => "P-256",
        _ => "P-384",
    };
    json!({ "kty": "EC", "crv": crv, "x": common::b64(x), "y": common::b64(y) })
}

/// Every group's key through `KeySet::from_jwk` (and `from_pem`, which must agree), every test
/// through `Verifier::verify`.
fn signature_file(file: &str, alg: Algorithm, decisions: &[Decision]) {
    let Some(doc) = vectors(file) else { return };
    let mut tally = Tally::new(file, decisions);
    for group in groups(&doc) {
        let jwk = group.get("publicKeyJwk").or_else(|| group.get("keyJwk")).cloned().unwrap_or_else(|| ec_jwk(group));
        if let Some(declared) = jwk.get("alg") {
            assert_eq!(declared, signature::name(alg), "{file}: the JWK's alg");
        }
        if let Some(salt) = group.get("sLen") {
            let hash_len = match alg {
                Algorithm::PS256 => "32",
                Algorithm::PS384 => "48",
                _ => "64",
            };
            assert_eq!((salt.to_string(), group["mgfSha"].as_str()), (hash_len.to_string(), group["sha"].as_str()), "{file}: JWS PSS parameters");
        }
        let from_jwk = KeySet::from_jwk(jwk.to_string().as_bytes(), &[alg]);
        let from_pem = group["publicKeyPem"].as_str().map(|pem| KeySet::from_pem(pem, &[alg]));
        for test in tests(group) {
            if tally.skips(test) {
                continue;
            }
            let (msg, sig) = (hex(test["msg"].as_str().unwrap()), hex(test["sig"].as_str().unwrap()));
            let outcome = check(&from_jwk, alg, &msg, &sig);
            if let Some(pem) = &from_pem {
                let by_pem = check(pem, alg, &msg, &sig);
                assert_eq!(by_pem == "verified", outcome == "verified", "{file} tcId {}: PEM and JWK imports disagree", test["tcId"]);
            }
            tally.record(test, &outcome);
        }
    }
    tally.finish();
}

const MISSING_NULL: &str = "acceptable (MissingNull): rejected. aws-lc compares the one DER DigestInfo of RFC 8017 §9.2, \
     with its NULL parameters, byte for byte; every JWS signer emits that form and a second accepted \
     encoding only widens the forgery surface";

#[test]
fn rsa_pkcs1_v1_5_vectors_verify_every_valid_signature_and_reject_every_other() {
    let missing_null = [Decision { tc_id: 8, expect: "signature_invalid", reason: MISSING_NULL }];
    for (bits, sha, alg) in [
        (2048, 256, Algorithm::RS256),
        (2048, 384, Algorithm::RS384),
        (2048, 512, Algorithm::RS512),
        (3072, 256, Algorithm::RS256),
        (3072, 384, Algorithm::RS384),
        (3072, 512, Algorithm::RS512),
        (4096, 256, Algorithm::RS256),
        (4096, 384, Algorithm::RS384),
        (4096, 512, Algorithm::RS512),
    ] {
        signature_file(&format!("rsa_signature_{bits}_sha{sha}_test.json"), alg, &missing_null);
    }
}

#[test]
fn rsa_pss_vectors_verify_every_valid_signature_and_reject_every_other() {
    for (file, alg) in [
        ("rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::PS256),
        ("rsa_pss_2048_sha384_mgf1_48_test.json", Algorithm::PS384),
        ("rsa_pss_3072_sha256_mgf1_32_test.json", Algorithm::PS256),
        ("rsa_pss_4096_sha256_mgf1_32_test.json", Algorithm::PS256),
        ("rsa_pss_4096_sha384_mgf1_48_test.json", Algorithm::PS384),
        ("rsa_pss_4096_sha512_mgf1_64_test.json", Algorithm::PS512),
    ] {
        signature_file(file, alg, &[]);
    }
}

#[test]
fn ecdsa_p1363_vectors_verify_every_valid_signature_and_reject_every_other() {
    signature_file("ecdsa_secp256r1_sha256_p1363_test.json", Algorithm::ES256, &[]);
    signature_file("ecdsa_secp384r1_sha384_p1363_test.json", Algorithm::ES384, &[]);
}

#[test]
fn ed25519_vectors_verify_every_valid_signature_and_reject_every_other() {
    signature_file("ed25519_test.json", Algorithm::EdDSA, &[]);
}

const RFC7520_ALG: &str = "Wycheproof gives RFC 7520's key an alg it does not have: PS256 for a PS384 token. \
     Decision: assert the rejection a JWK alg mismatch must cause (RFC 7517 §4.4, no key fits). \
     tests/rfc_vectors.rs verifies the same signature with RFC 7520's own key, which has no alg";
const ES512: &str = "ES512 on P-521 (RFC 7520 §4.3; key alg ES521): not an algorithm bearer-rs offers, refused at import";

#[test]
fn json_web_signature_vectors_verify_through_the_jws_layer_of_the_pipeline() {
    let decisions = [
        Decision { tc_id: 17, expect: "token_malformed", reason: "JSON serialization: only the compact serialization is accepted (RFC 7519 §7.2)" },
        Decision { tc_id: 346, expect: "key_not_found", reason: RFC7520_ALG },
        Decision { tc_id: 350, expect: "key_not_found", reason: RFC7520_ALG },
        Decision { tc_id: 347, expect: "key_refused", reason: ES512 },
        Decision { tc_id: 351, expect: "key_refused", reason: ES512 },
        Decision {
            tc_id: 349,
            expect: "key_refused",
            reason: "labelled valid, but key_ops is [\"sign, verify\"]: one operation named \"sign, verify\", not \"verify\" \
                     (RFC 7517 §4.3 lists each operation as its own string), so the key is refused for verification",
        },
        Decision { tc_id: 367, expect: "skip", reason: "byte-identical to the valid tcId 357: the base64 padding its comment describes is missing" },
        Decision { tc_id: 370, expect: "skip", reason: "byte-identical to the valid tcId 357: the base64 padding its comment describes is missing" },
        Decision {
            tc_id: 372,
            expect: "token_malformed",
            reason: "labelled valid, but a '?' inside the header segment: RFC 7515 §5.2 requires strict base64url",
        },
        Decision {
            tc_id: 373,
            expect: "signature_invalid",
            reason: "labelled valid, but a '?' inside the payload segment: the MAC covers the segment as sent (RFC 7515 §5.2), \
                     and matches only once the '?' is dropped",
        },
        Decision { tc_id: 378, expect: "verified", reason: "a high-S ECDSA signature: JWS (RFC 7518 §3.4) has no low-S rule" },
    ];
    let Some(doc) = vectors("json_web_signature_test.json") else { return };
    let mut tally = Tally::new("json_web_signature_test.json", &decisions);
    for group in groups(&doc) {
        let setup = Setup::for_jwk(&group["private"]);
        for test in tests(group) {
            if tally.skips(test) {
                continue;
            }
            tally.record(test, &setup.run(test["jws"].as_str().unwrap()));
        }
    }
    tally.finish();
}

#[test]
fn the_skipped_padding_vectors_are_byte_identical_to_a_valid_one() {
    let Some(doc) = vectors("json_web_signature_test.json") else { return };
    let jws = |id: u64| {
        groups(&doc).iter().flat_map(tests).find(|t| t["tcId"] == id).map(|t| t["jws"].clone()).unwrap()
    };
    assert_eq!(jws(367), jws(357));
    assert_eq!(jws(370), jws(357));
}

fn asymmetric() -> Vec<Algorithm> {
    SUPPORTED.into_iter().filter(|a| !signature::is_symmetric(*a)).collect()
}

/// A vector's key set as bearer-rs can take it: public keys as a JWK Set; a set of HMAC keys only
/// as the one `secret` the token's `kid` names (bearer-rs never takes secrets from a key set).
fn key_set_setup(keys: &[Value], jws: &str) -> Setup {
    if keys.iter().any(|k| k["kty"] != "oct") {
        return Setup::key_set(keys);
    }
    let kid = token::decode(jws, 16384).ok().and_then(|t| t.header.kid);
    let named: Vec<&Value> = keys.iter().filter(|k| kid.is_none() || k["kid"].as_str() == kid.as_deref()).collect();
    match named[..] {
        [one] => Setup::for_jwk(one),
        [] => Setup::Refused("no HMAC secret has the token's kid".into()),
        _ => Setup::Refused("several HMAC secrets fit; bearer-rs takes one secret, never a set of them".into()),
    }
}

#[test]
fn json_web_key_vectors_are_imported_as_bearer_rs_imports_key_sets() {
    let decisions = [
        Decision {
            tc_id: 4,
            expect: "key_refused",
            reason: "DuplicateKid: two HMAC secrets share a kid; bearer-rs takes one secret, never a set of them",
        },
        Decision { tc_id: 7, expect: "key_refused", reason: "a ROCA-vulnerable modulus (CVE-2017-15361) is refused at import" },
        Decision { tc_id: 9, expect: "key_refused", reason: "public exponent 1 is refused at import" },
    ];
    let Some(doc) = vectors("json_web_key_test.json") else { return };
    let mut tally = Tally::new("json_web_key_test.json", &decisions);
    for group in groups(&doc) {
        let keys = group["private"]["keys"].as_array().unwrap();
        assert_private_and_symmetric_keys_are_skipped(keys);
        for test in tests(group) {
            let jws = test["jws"].as_str().unwrap();
            tally.record(test, &key_set_setup(keys, jws).run(jws));
        }
    }
    tally.finish();
}

/// The key sets as given (private halves included): no private or symmetric member is imported.
fn assert_private_and_symmetric_keys_are_skipped(keys: &[Value]) {
    let secret_bearing = keys.iter().filter(|k| k["kty"] == "oct" || PRIVATE.iter().any(|m| k.get(*m).is_some())).count();
    let skipped = match KeySet::from_jwks(json!({ "keys": keys }).to_string().as_bytes(), &asymmetric(), 100) {
        Ok(set) => set.skipped().to_vec(),
        Err(KeyError::NoUsableKey(skipped)) => skipped,
        Err(other) => panic!("{other:?}"),
    };
    let refused = skipped.iter().filter(|s| matches!(s.reason, Unusable::PrivateMembers | Unusable::Symmetric)).count();
    assert_eq!(refused, secret_bearing, "{keys:?}");
}

/// The Wycheproof JWK groups whose key bearer-rs must refuse as weak, by `comment`.
fn weak_key(comment: &str) -> Value {
    let doc = vectors("json_web_key_test.json").unwrap();
    let group = groups(&doc).iter().find(|g| g["comment"] == comment).unwrap();
    public_half(&group["private"]["keys"][0])
}

/// Whether `jwk` is refused at import as a weak key. `Unusable::WeakKey` is added by
/// /work/notes/hardening.patch; its derived `Debug` name is compared so this file compiles before.
fn refused_as_weak(jwk: &Value) -> Result<(), String> {
    match KeySet::from_jwk(jwk.to_string().as_bytes(), &asymmetric()) {
        Err(KeyError::Unusable(reason)) if format!("{reason:?}") == "WeakKey" => Ok(()),
        Err(other) => Err(format!("refused, but not as weak: {other:?}")),
        Ok(_) => Err("imported".into()),
    }
}

#[test]
fn refuses_a_roca_vulnerable_rsa_key_at_import() {
    if vectors("json_web_key_test.json").is_none() {
        return;
    }
    assert_eq!(refused_as_weak(&weak_key("jws_rsa_roca_key")), Ok(()));
}

#[test]
fn refuses_an_rsa_key_whose_public_exponent_is_one_at_import() {
    if vectors("json_web_key_test.json").is_none() {
        return;
    }
    assert_eq!(refused_as_weak(&weak_key("exponentOne")), Ok(()));
}

/// Ed25519 keys that Wycheproof's EdDSA file does not contain (its keys are all sound): the
/// identity, a point of order 8 with its sign bit set, `y = p` (a non-canonical 0) and `y = p + 1`.
const WEAK_ED25519: [&str; 4] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

#[test]
fn refuses_small_order_and_non_canonical_ed25519_keys_at_import() {
    for x in WEAK_ED25519 {
        let jwk = json!({ "kty": "OKP", "crv": "Ed25519", "x": common::b64(hex(x)) });
        assert_eq!(refused_as_weak(&jwk), Ok(()), "x = {x}");
    }
}

#[test]
fn no_token_is_forged_with_r_at_the_identity_and_s_zero() {
    let identity = hex(WEAK_ED25519[0]);
    let jwks = json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": common::b64(&identity), "kid": "weak" }] });
    let options = bearer_rs::Options {
        issuer: vec![common::ISSUER.into()],
        audience: vec![common::AUDIENCE.into()],
        jwks: Some(jwks.to_string()),
        ..bearer_rs::Options::default()
    };
    let Ok(verifier) = bearer_rs::Verifier::new(options) else { return };
    let input = format!("{}.{}", common::b64(r#"{"alg":"EdDSA","kid":"weak"}"#), common::b64(common::claims(json!({})).to_string()));
    let forged = format!("{input}.{}", common::b64([identity, vec![0; 32]].concat()));
    assert!(verifier.verify(&forged, common::NOW).is_err(), "the identity key was imported, and the forged token verifies");
}
