//! Server-provided DPoP nonces (RFC 9449 §8 and §9), without server state.
//!
//! Time is cut into windows of `rotation` seconds. The nonce of window `w` is
//! `BASE64URL(w ‖ HMAC-SHA256(key, label ‖ w))`: unpredictable without the key, the same for every
//! process that shares the key (several instances behind a load balancer), and checked with one
//! constant-time HMAC comparison. The nonces of the current and the previous window are accepted,
//! so a nonce stays valid for one to two rotations and a client switches to the new one on its
//! next response.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;

use crate::base64url;

/// Separates these MACs from any other use of a shared secret.
const LABEL: &[u8] = b"bearer-rs DPoP nonce v1\0";
/// Window number (8 bytes, big-endian) and HMAC-SHA256 tag (32 bytes).
const NONCE_BYTES: usize = 8 + 32;

/// How a proof's nonce compares with the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The nonce of the current window.
    Current,
    /// The nonce of the previous window: accepted, and the client should be sent the current one.
    Previous,
    /// Not a nonce of either window.
    Invalid,
}

/// Issues and checks nonces.
pub struct Nonces {
    key: hmac::Key,
    rotation: i64,
}

impl Nonces {
    /// Nonces keyed by `secret` (or by a random key when `None`), rotated every `rotation`
    /// seconds (at least 1). `None` when the system random generator fails.
    pub fn new(secret: Option<&[u8]>, rotation: i64) -> Option<Nonces> {
        let key = match secret {
            Some(secret) => hmac::Key::new(hmac::HMAC_SHA256, secret),
            None => hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new()).ok()?,
        };
        Some(Nonces { key, rotation: rotation.max(1) })
    }

    /// The nonce to hand out at `now` (epoch seconds).
    pub fn current(&self, now: i64) -> String {
        self.nonce(now.div_euclid(self.rotation))
    }

    /// Whether `nonce` was issued in the current or the previous window at `now`.
    pub fn check(&self, nonce: &str, now: i64) -> Freshness {
        let mut bytes = [0u8; NONCE_BYTES];
        if base64url::decode_into(nonce.as_bytes(), &mut bytes) != Some(NONCE_BYTES) {
            return Freshness::Invalid;
        }
        let (window, tag) = bytes.split_at(8);
        let mut window_bytes = [0u8; 8];
        window_bytes.copy_from_slice(window);
        let window = i64::from_be_bytes(window_bytes);
        let current = now.div_euclid(self.rotation);
        let freshness = if window == current {
            Freshness::Current
        } else if window == current - 1 {
            Freshness::Previous
        } else {
            return Freshness::Invalid;
        };
        match hmac::verify(&self.key, &message(window), tag) {
            Ok(()) => freshness,
            Err(_) => Freshness::Invalid,
        }
    }

    fn nonce(&self, window: i64) -> String {
        let tag = hmac::sign(&self.key, &message(window));
        let mut bytes = Vec::with_capacity(NONCE_BYTES);
        bytes.extend_from_slice(&window.to_be_bytes());
        bytes.extend_from_slice(tag.as_ref());
        crate::base64url::encode(bytes)
    }
}

fn message(window: i64) -> Vec<u8> {
    [LABEL, &window.to_be_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonces() -> Nonces {
        Nonces::new(Some(b"a shared secret of at least thirty-two bytes"), 300).unwrap()
    }

    #[test]
    fn the_current_and_the_previous_nonce_are_accepted_and_older_ones_are_not() {
        let n = nonces();
        let issued = n.current(1_000_000);
        assert_eq!(n.check(&issued, 1_000_000), Freshness::Current);
        assert_eq!(n.check(&issued, 1_000_000 + 300), Freshness::Previous);
        assert_eq!(n.check(&issued, 1_000_000 + 600), Freshness::Invalid);
        assert_eq!(n.check(&issued, 1_000_000 - 300), Freshness::Invalid);
    }

    #[test]
    fn the_nonce_changes_every_rotation_and_is_the_same_within_one() {
        let n = nonces();
        assert_eq!(n.current(1_200_000), n.current(1_200_299));
        assert_ne!(n.current(1_200_299), n.current(1_200_300));
    }

    #[test]
    fn processes_sharing_a_secret_accept_each_others_nonces() {
        let other = nonces();
        assert_eq!(other.check(&nonces().current(5_000), 5_000), Freshness::Current);
    }

    #[test]
    fn a_nonce_of_another_key_or_a_forged_one_is_refused() {
        let random = Nonces::new(None, 300).unwrap();
        let n = nonces();
        assert_eq!(n.check(&random.current(9_000), 9_000), Freshness::Invalid);
        let mut forged = n.current(9_000).into_bytes();
        let last = forged.len() - 2;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(n.check(std::str::from_utf8(&forged).unwrap(), 9_000), Freshness::Invalid);
        for junk in ["", "nonce", "AAAA", &"A".repeat(54)] {
            assert_eq!(n.check(junk, 9_000), Freshness::Invalid, "{junk}");
        }
    }

    #[test]
    fn nonces_use_only_characters_rfc_9449_allows() {
        let nonce = nonces().current(42);
        assert!(nonce.bytes().all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b)));
    }
}
