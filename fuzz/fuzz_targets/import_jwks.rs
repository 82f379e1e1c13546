//! Any bytes as a JWK Set, a JWK, a PEM key and verifier options.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bearer_rs_fuzz::import_jwks(data));
