//! The remote key set against a real loopback server: single flight, cooldown, stale keys.

mod common;
#[path = "common/server.rs"]
mod server;

use std::time::Duration;

use bearer_rs::{Options, Verifier};
use common::*;
use serde_json::json;
use server::{Answer, Server};

fn remote(server: &Server, cooldown_ms: f64, max_age_ms: f64) -> Verifier {
    Verifier::new(Options {
        issuer: vec![ISSUER.into()],
        audience: vec![AUDIENCE.into()],
        jwks_uri: Some(server.url.clone()),
        cooldown_duration: Some(cooldown_ms),
        cache_max_age: Some(max_age_ms),
        timeout_duration: Some(500.0),
        ..Options::default()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_verifications_share_one_fetch() {
    let key = TestKey::ec("ES256");
    let server = Server::start(Answer::Json(key.jwks(), Duration::from_millis(50))).await;
    let verifier = std::sync::Arc::new(remote(&server, 30_000.0, 600_000.0));
    let token = key.sign(&claims(json!({})));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (v, t) = (std::sync::Arc::clone(&verifier), token.clone());
            tokio::spawn(async move { v.verify_async(&t, NOW).await })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().is_ok());
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_kid_within_the_cooldown_is_rejected_without_a_fetch() {
    let key = TestKey::ed25519();
    let server = Server::start(Answer::Json(key.jwks(), Duration::ZERO)).await;
    let verifier = remote(&server, 30_000.0, 600_000.0);
    verifier.ready().await.unwrap();
    let stranger = key.sign_text(r#"{"alg":"EdDSA","kid":"stranger"}"#, &claims(json!({})).to_string());
    for _ in 0..20 {
        assert_eq!(kind(verifier.verify_async(&stranger, NOW).await), "key_not_found");
    }
    assert_eq!(server.hits(), 1);
    assert_eq!(verifier.stats().jwks.unwrap().cooldown_rejections, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_refreshes_keep_the_last_good_keys_serving() {
    let key = TestKey::ec("ES384");
    let server = Server::start(Answer::Json(key.jwks(), Duration::ZERO)).await;
    let verifier = remote(&server, 20.0, 0.0);
    verifier.ready().await.unwrap();
    server.answer(Answer::Status(500));
    let token = key.sign(&claims(json!({})));
    for _ in 0..5 {
        assert!(verifier.verify_async(&token, NOW).await.is_ok());
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let stats = verifier.stats().jwks.unwrap();
    assert!(stats.failures >= 1 && stats.stale, "{stats:?}");
    assert_eq!(stats.last_error.as_deref(), Some("HTTP status 500"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_keys_the_cause_is_reported_and_the_set_recovers() {
    let key = TestKey::rsa("RS256");
    let server = Server::start(Answer::Status(404)).await;
    let verifier = remote(&server, 20.0, 600_000.0);
    let token = key.sign(&claims(json!({})));
    let error = verifier.verify_async(&token, NOW).await.unwrap_err();
    assert_eq!(error.cause(), Some(format!("JWKS fetch from {} failed: HTTP status 404", server.url).as_str()));
    server.answer(Answer::Json(key.jwks(), Duration::ZERO));
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(verifier.verify_async(&token, NOW).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_path_never_waits_but_starts_the_fetch() {
    let key = TestKey::ed25519();
    let server = Server::start(Answer::Json(key.jwks(), Duration::ZERO)).await;
    let verifier = remote(&server, 30_000.0, 600_000.0);
    let token = key.sign(&claims(json!({})));
    assert_eq!(kind(verifier.verify(&token, NOW)), "keys_unavailable");
    for _ in 0..100 {
        if verifier.verify(&token, NOW).is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the background fetch never completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unknown_kid_causes_at_most_one_fetch_even_without_a_cooldown() {
    let key = TestKey::ed25519();
    let server = Server::start(Answer::Json(key.jwks(), Duration::ZERO)).await;
    let verifier = remote(&server, 0.0, 600_000.0);
    verifier.ready().await.unwrap();
    let stranger = key.sign_text(r#"{"alg":"EdDSA","kid":"stranger"}"#, &claims(json!({})).to_string());
    assert_eq!(kind(verifier.verify_async(&stranger, NOW).await), "key_not_found");
    assert_eq!(server.hits(), 2, "the ready() fetch and one refetch for the unknown kid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callers_racing_for_a_refetch_never_start_two_within_the_cooldown() {
    const COOLDOWN_MS: u64 = 40;
    const RACE: Duration = Duration::from_millis(800);
    let key = TestKey::ed25519();
    let server = Server::start(Answer::Json(key.jwks(), Duration::ZERO)).await;
    let verifier = std::sync::Arc::new(remote(&server, COOLDOWN_MS as f64, 600_000.0));
    verifier.ready().await.unwrap();
    let stranger = key.sign_text(r#"{"alg":"EdDSA","kid":"stranger"}"#, &claims(json!({})).to_string());
    let started = std::time::Instant::now();
    let racers: Vec<_> = (0..32)
        .map(|_| {
            let (v, t) = (std::sync::Arc::clone(&verifier), stranger.clone());
            tokio::spawn(async move {
                while started.elapsed() < RACE {
                    assert_eq!(kind(v.verify_async(&t, NOW).await), "key_not_found");
                }
            })
        })
        .collect();
    for racer in racers {
        racer.await.unwrap();
    }
    let budget = 1 + (started.elapsed().as_millis() as u64).div_ceil(COOLDOWN_MS) as usize;
    assert!(server.hits() <= budget, "{} fetches, at most {budget} allowed", server.hits());
}
