//! Property tests over the decoder, the strict JSON parser, the key importer and the whole
//! pipeline: random and mutated tokens and JWK Sets never panic, never verify when forged, and
//! every key of a set is imported or skipped with a reason.
//!
//! `PROPTEST_CASES=N` sets the cases per property (default 256, a few seconds in all). The
//! `#[ignore]`d test at the end runs the `cargo fuzz` target bodies for `FUZZ_SECONDS` (default
//! 60) on stable Rust: `FUZZ_SECONDS=600 cargo test --release --test fuzz -- --ignored --nocapture`.

mod common;
#[path = "../fuzz/src/lib.rs"]
mod bodies;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bearer_rs::json::{self, JsonError};
use bearer_rs::keys::KeySet;
use bearer_rs::signature::{self, SUPPORTED};
use bearer_rs::{Options, Verifier, token};
use common::*;
use jsonwebtoken::Algorithm;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::ValueTree;
use proptest::test_runner::{FileFailurePersistence, TestRunner};
use serde_json::{Value, json};

/// The system allocator, counting each thread's live bytes and their peak, so that a property can
/// bound the memory one verification takes.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(bytes: usize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + bytes);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

fn shrank(bytes: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
}

// SAFETY: every call is forwarded to `System` unchanged; the counting touches only const-initialised
// thread-locals without destructors, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes `f` held at once on this thread, beyond what was live before.
fn peak_bytes<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(before));
    let out = f();
    (out, PEAK.with(Cell::get) - before)
}

/// `PROPTEST_CASES`, or `default` cases.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default);
    let failures = FileFailurePersistence::WithSource("proptest-regressions");
    ProptestConfig { cases, failure_persistence: Some(Box::new(failures)), ..ProptestConfig::default() }
}

fn asymmetric() -> Vec<Algorithm> {
    SUPPORTED.into_iter().filter(|a| !signature::is_symmetric(*a)).collect()
}

const SECRET: &[u8] = b"a secret long enough for HS256 and HS384, and HS512 too, 64 bytes";

/// A valid token per key family, with the verifier that accepts it.
struct Issued {
    token: String,
    verifier: Verifier,
}

fn issued() -> &'static [Issued] {
    static ISSUED: OnceLock<Vec<Issued>> = OnceLock::new();
    ISSUED.get_or_init(|| {
        let mut all: Vec<Issued> = [TestKey::rsa("RS256"), TestKey::rsa("PS256"), TestKey::ec("ES256"), TestKey::ec("ES384"), TestKey::ed25519()]
            .into_iter()
            .map(|key| Issued { token: key.sign(&claims(json!({}))), verifier: verifier(options_for(&key)) })
            .collect();
        let hmac = Options {
            issuer: vec![ISSUER.into()],
            audience: vec![AUDIENCE.into()],
            secret: Some(SECRET.to_vec()),
            algorithms: Some(vec!["HS256".into()]),
            ..Options::default()
        };
        all.push(Issued { token: TestKey::hmac("HS256", SECRET).sign(&claims(json!({}))), verifier: verifier(hmac) });
        all
    })
}

/// One edit of a token's text.
#[derive(Debug, Clone)]
enum Edit {
    FlipBit(Index, u8),
    Truncate(Index),
    Insert(Index, char),
    Delete(Index, u8),
    SwapSegments(u8, u8),
    DuplicateSegment(u8),
    SegmentFromOtherToken(u8, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let injected = select(vec!['.', '=', ' ', '\t', '\n', '\0', '+', '/', '-', '_', 'A', '"', '{', 'é', '\u{feff}']);
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Edit::FlipBit(i, bit)),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), injected).prop_map(|(i, c)| Edit::Insert(i, c)),
        (any::<Index>(), 1u8..16).prop_map(|(i, n)| Edit::Delete(i, n)),
        (0u8..3, 0u8..3).prop_map(|(a, b)| Edit::SwapSegments(a, b)),
        (0u8..3).prop_map(Edit::DuplicateSegment),
        (0u8..3, any::<Index>()).prop_map(|(s, other)| Edit::SegmentFromOtherToken(s, other)),
    ]
}

fn apply(token: &str, edit: &Edit) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let segments: Vec<&str> = token.split('.').collect();
    let at = |i: &Index, len: usize| i.index(len.max(1)).min(len);
    match edit {
        Edit::FlipBit(i, bit) if !bytes.is_empty() => {
            let i = i.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        Edit::FlipBit(..) => {}
        Edit::Truncate(i) => bytes.truncate(at(i, bytes.len())),
        Edit::Insert(i, c) => {
            let i = at(i, bytes.len());
            bytes.splice(i..i, c.to_string().into_bytes());
        }
        Edit::Delete(i, n) => {
            let i = at(i, bytes.len());
            bytes.drain(i..(i + usize::from(*n)).min(bytes.len()));
        }
        Edit::SwapSegments(a, b) => {
            let mut s = segments.clone();
            let (a, b) = (usize::from(*a) % s.len(), usize::from(*b) % s.len());
            s.swap(a, b);
            return s.join(".");
        }
        Edit::DuplicateSegment(a) => {
            let mut s = segments.clone();
            let a = usize::from(*a) % s.len();
            s.insert(a, segments[a]);
            return s.join(".");
        }
        Edit::SegmentFromOtherToken(a, other) => {
            let pool = issued();
            let other = &pool[other.index(pool.len())].token;
            let mut s = segments.clone();
            let a = usize::from(*a) % s.len();
            s[a] = other.split('.').nth(a).unwrap_or_default();
            return s.join(".");
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A valid token, its verifier's index, and the token after 1 to 4 edits.
fn mutated_token() -> impl Strategy<Value = (usize, String)> {
    (any::<Index>(), prop::collection::vec(edit(), 1..5)).prop_map(|(which, edits)| {
        let i = which.index(issued().len());
        let token = edits.iter().fold(issued()[i].token.clone(), |t, e| apply(&t, e));
        (i, token)
    })
}

/// Text shaped like tokens and JSON as well as anything at all.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_=+/. \\-]{0,300}",
        "(eyJ[A-Za-z0-9_-]{0,60}\\.){0,4}[A-Za-z0-9_-]{0,60}",
        prop::collection::vec(any::<u8>(), 0..400).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// Member names that collide, also through escapes (`"a\u0062"` is `"ab"`).
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec!["\"alg\"", "\"kid\"", "\"aud\"", "\"exp\"", "\"ab\"", "\"a\\u0062\"", "\"\"", "\"\\ud800\""]).prop_map(String::from),
        "[a-c]{1,2}".prop_map(|n| format!("\"{n}\"")),
    ]
}

/// JSON text (mostly well-formed) with duplicates, escapes, huge numbers and nesting.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        select(vec!["null", "true", "false", "0", "-0", "1e400", "-1e-400", "18446744073709551616", "1.5", "\"\"", "\"\\u0000\"", "\"\\ud83d\\ude00\""])
            .prop_map(String::from),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| f.to_string()),
        "[0-9]{1,400}".prop_map(String::from),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        "\"[a-z\\\\u0-9\"]{0,12}\"".prop_map(String::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((name(), inner), 0..6)
                .prop_map(|m| format!("{{{}}}", m.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(","))),
        ]
    })
}

fn json_document() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => json_text().prop_map(String::into_bytes),
        1 => (1usize..3000, select(vec!["[", "{\"a\":"])).prop_map(|(depth, open)| {
            let close = if open == "[" { "]" } else { "}" };
            format!("{{\"x\":{}1{}}}", open.repeat(depth), close.repeat(depth)).into_bytes()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..300),
    ]
}

/// A JSON object with unique member names at every depth, as (top-level names, text).
fn unique_object() -> impl Strategy<Value = (Vec<String>, String)> {
    let value = json_text().prop_filter("no object inside", |v| !v.contains('{'));
    prop::collection::btree_map("[a-z]{1,6}", value, 0..8).prop_map(|members| {
        let names: Vec<String> = members.keys().cloned().collect();
        let body: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        (names, format!("{{{}}}", body.join(",")))
    })
}

/// An Ed25519 key and a verifier for it that takes tokens up to 1 MiB.
fn large_verifier() -> &'static (TestKey, Verifier) {
    static LARGE: OnceLock<(TestKey, Verifier)> = OnceLock::new();
    LARGE.get_or_init(|| {
        let key = TestKey::ed25519();
        let options = Options { max_token_length: Some(1024.0 * 1024.0), ..options_for(&key) };
        let verifier = verifier(options);
        (key, verifier)
    })
}

/// Claims sets of up to ~600 KB: many members, long strings, deep nesting, duplicates, or any JSON.
fn large_claims() -> impl Strategy<Value = String> {
    let base = claims(json!({})).to_string();
    let open = base[..base.len() - 1].to_owned();
    prop_oneof![
        (1usize..20_000).prop_map({
            let open = open.clone();
            move |n| format!("{open},{}}}", (0..n).map(|i| format!("\"m{i}\":{i}")).collect::<Vec<_>>().join(","))
        }),
        (1usize..400_000).prop_map({
            let open = open.clone();
            move |n| format!("{open},\"long\":\"{}\"}}", "\\u00e9".repeat(n / 6))
        }),
        (1usize..200_000).prop_map({
            let open = open.clone();
            move |depth| format!("{open},\"deep\":{}{}}}", "[".repeat(depth), "]".repeat(depth))
        }),
        (1usize..30_000).prop_map(|n| {
            let without_aud = claims(json!({ "aud": null })).to_string();
            let auds: Vec<String> = (0..n).map(|i| format!("\"a{i}\"")).chain([format!("\"{AUDIENCE}\"")]).collect();
            format!("{},\"aud\":[{}]}}", &without_aud[..without_aud.len() - 1], auds.join(","))
        }),
        json_text(),
    ]
}

/// JWKs to start from: one of each type bearer-rs imports, and a symmetric one.
fn jwk_templates() -> &'static [Value] {
    static TEMPLATES: OnceLock<Vec<Value>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        vec![
            TestKey::rsa("RS256").jwk,
            TestKey::ec("ES256").jwk,
            TestKey::ec("ES384").jwk,
            TestKey::ed25519().jwk,
            json!({ "kty": "oct", "k": b64(SECRET), "alg": "HS256" }),
        ]
    })
}

fn member_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        select(vec!["RSA", "EC", "OKP", "oct", "rsa", "", "P-256", "P-384", "P-521", "Ed25519", "X25519", "secp256k1", "RS256", "ES512", "EdDSA", "none", "sig", "enc", "AQAB", "AA"])
            .prop_map(Value::from),
        prop::collection::vec(any::<u8>(), 0..700).prop_map(|b| Value::from(b64(b))),
        "[A-Za-z0-9_=+/-]{0,80}".prop_map(Value::from),
        select(vec![json!(null), json!(1), json!(true), json!([]), json!({}), json!(["verify"]), json!(["sign"]), json!(["verify", "verify"]), json!([1])]),
    ]
}

/// A JWK Set of edited templates: members removed or replaced with odd values.
fn jwks_document() -> impl Strategy<Value = Vec<u8>> {
    let names = select(vec!["kty", "crv", "alg", "use", "key_ops", "kid", "n", "e", "x", "y", "d", "k", "x5c", "keys"]);
    let edit = (names, prop::option::of(member_value()));
    let key = (any::<Index>(), prop::collection::vec(edit, 0..4)).prop_map(|(t, edits)| {
        let templates = jwk_templates();
        let mut jwk = templates[t.index(templates.len())].clone();
        for (name, value) in edits {
            let members = jwk.as_object_mut().unwrap();
            match value {
                Some(v) => members.insert(name.into(), v),
                None => members.remove(name),
            };
        }
        jwk
    });
    prop_oneof![
        6 => prop::collection::vec(key, 0..6).prop_map(|keys| json!({ "keys": keys }).to_string().into_bytes()),
        1 => member_value().prop_map(|v| json!({ "keys": v }).to_string().into_bytes()),
        1 => json_document(),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn decoding_any_text_never_panics(text in any_text(), limit in prop_oneof![Just(16384usize), 0usize..64]) {
        let _ = token::decode(&text, limit);
    }

    #[test]
    fn the_strict_parser_agrees_with_serde_json_on_what_is_json(doc in json_document()) {
        let strict = json::parse_object(&doc, |_| true, |_, _| {});
        let serde = serde_json::from_slice::<Value>(&doc);
        match (&strict, &serde) {
            (Ok(()), Ok(Value::Object(_))) | (Err(JsonError::NotObject), Ok(_)) => {}
            (Ok(()), _) => prop_assert!(false, "accepted what serde_json reads as {serde:?}"),
            (Err(JsonError::Syntax), Ok(_)) => prop_assert!(false, "a syntax error in what serde_json reads as {serde:?}"),
            (_, Ok(v)) if !v.is_object() => prop_assert!(false, "{strict:?} for a non-object"),
            _ => {}
        }
    }

    #[test]
    fn an_object_with_unique_names_is_read_whole_and_a_repeated_name_is_refused((names, text) in unique_object(), which in any::<Index>()) {
        let mut seen = Vec::new();
        let parsed = json::parse_object(text.as_bytes(), |_| true, |name, _| seen.push(name.into_owned()));
        if serde_json::from_str::<Value>(&text).is_err() {
            prop_assert!(parsed.is_err());
            return Ok(());
        }
        prop_assert_eq!(parsed, Ok(()));
        prop_assert_eq!(&seen, &names);
        if !names.is_empty() {
            let repeated = &names[which.index(names.len())];
            let doubled = format!("{},\"{repeated}\":null}}", &text[..text.len() - 1]);
            prop_assert_eq!(json::parse_object(doubled.as_bytes(), |_| true, |_, _| {}), Err(JsonError::DuplicateMember));
        }
    }

    #[test]
    fn every_key_of_an_edited_jwk_set_is_imported_or_skipped_never_lost(doc in jwks_document()) {
        bodies::import_jwks(&doc);
        if let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(&doc) {
            for entry in o.get("keys").and_then(Value::as_array).into_iter().flatten() {
                let _ = KeySet::from_jwk(entry.to_string().as_bytes(), &asymmetric());
            }
        }
    }

    #[test]
    fn an_edited_token_never_verifies((i, token) in mutated_token()) {
        let issued = &issued()[i];
        let result = issued.verifier.verify(&token, NOW);
        if token == issued.token {
            prop_assert!(result.is_ok(), "{result:?}");
        } else {
            prop_assert!(result.is_err(), "an edited token verified: {token}");
        }
        bodies::verify_token(token.as_bytes());
    }

    #[test]
    fn a_verification_holds_memory_linear_in_the_token_length(claims_text in large_claims(), tamper in any::<bool>()) {
        let (key, verifier) = large_verifier();
        let mut token = key.sign_text(r#"{"alg":"EdDSA","kid":"ed-1"}"#, &claims_text);
        if tamper {
            token.push('A');
        }
        let (result, peak) = peak_bytes(|| verifier.verify(&token, NOW).map_err(|e| e.kind()));
        // Linear in the token, which maxTokenLength caps: 16x covers an `aud` of empty strings,
        // each 3 bytes of JSON and a 24-byte slice in a Vec that grows by doubling.
        prop_assert!(peak <= 16 * token.len() + 64 * 1024, "{peak} bytes for a {}-byte token ({:?})", token.len(), result.err());
    }

    #[test]
    fn any_text_through_the_pipeline_is_rejected_without_a_panic(text in any_text()) {
        for issued in issued() {
            prop_assert!(issued.verifier.verify(&text, NOW).is_err());
        }
        bodies::verify_token(text.as_bytes());
    }
}

#[test]
fn the_fuzz_seeds_verify_and_their_key_set_imports_whole() {
    let options = Options { issuer: vec!["https://issuer.fuzz.test/".into()], audience: vec!["fuzz".into()], ..Options::default() };
    let verifiers = [
        verifier(Options { jwks: Some(bodies::JWKS.into()), ..options.clone() }),
        verifier(Options { secret: Some(bodies::SECRET.into()), algorithms: Some(vec!["HS256".into()]), ..options }),
    ];
    for seed in bodies::VALID {
        let results: Vec<_> = verifiers.iter().map(|v| v.verify(seed, bodies::NOW)).collect();
        assert!(results.iter().any(Result::is_ok), "{seed}: {results:?}");
        bodies::verify_token(seed.as_bytes());
    }
    let keys = KeySet::from_jwks(bodies::JWKS.as_bytes(), &asymmetric(), 100).unwrap();
    assert_eq!((keys.len(), keys.skipped().len()), (3, 0));
}

/// The `cargo fuzz` target bodies on stable Rust for a fixed time, fed by the strategies above
/// (random generation, no coverage guidance: `cargo +nightly fuzz` is the stronger tool).
#[test]
#[ignore = "long: FUZZ_SECONDS=600 cargo test --release --test fuzz -- --ignored --nocapture"]
fn the_fuzz_target_bodies_hold_for_a_long_random_run() {
    let seconds = std::env::var("FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let budget = Duration::from_secs(seconds);
    let mut runner = TestRunner::default();
    let tokens = mutated_token();
    let seeds = (select(bodies::VALID.to_vec()), prop::collection::vec(edit(), 1..6))
        .prop_map(|(seed, edits)| edits.iter().fold(seed.to_owned(), |t, e| apply(&t, e)));
    let (texts, key_sets) = (any_text(), jwks_document());
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < budget {
        let (i, token) = tokens.new_tree(&mut runner).unwrap().current();
        assert!(token == issued()[i].token || issued()[i].verifier.verify(&token, NOW).is_err(), "{token}");
        bodies::verify_token(token.as_bytes());
        bodies::verify_token(seeds.new_tree(&mut runner).unwrap().current().as_bytes());
        bodies::verify_token(texts.new_tree(&mut runner).unwrap().current().as_bytes());
        bodies::import_jwks(&key_sets.new_tree(&mut runner).unwrap().current());
        runs += 1;
    }
    println!("{runs} rounds of 4 inputs in {:?}", started.elapsed());
}
