//! The random draws the refresh policy ([`crate::refresh`]) takes as input, from aws-lc's
//! system random source; the only randomness the key and metadata caches use.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// A uniform draw in `[0, 1]`; 1 (the policy's earliest refresh, its whole backoff) if the system
/// random source fails.
pub fn draw() -> f64 {
    let mut bytes = [0u8; 4];
    match SystemRandom::new().fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 1.0,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_are_in_the_unit_interval_and_vary() {
        let draws: Vec<f64> = (0..64).map(|_| super::draw()).collect();
        assert!(draws.iter().all(|d| (0.0..=1.0).contains(d)));
        assert!(draws.windows(2).any(|w| w[0] != w[1]));
    }
}
