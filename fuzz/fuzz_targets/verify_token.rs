//! Any bytes as a token, through three verifiers (JWK Set, strict with a 1 MiB limit, HMAC).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bearer_rs_fuzz::verify_token(data));
