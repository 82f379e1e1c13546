//! Known-weak public keys, refused at import rather than left for the signature check to trip on.

/// Whether an RSA key (big-endian `n` without leading zeros, and `e`) is weak: an even modulus
/// or exponent, `e` of 1 or longer than 33 bits (aws-lc refuses such keys only when a token
/// arrives), or the ROCA fingerprint.
pub(super) fn rsa(n: &[u8], e: &[u8]) -> bool {
    let e = &e[e.iter().take_while(|&&b| b == 0).count()..];
    let e_bits = e.first().map_or(0, |top| e.len() * 8 - top.leading_zeros() as usize);
    let even = |x: &[u8]| x.last().is_none_or(|low| low & 1 == 0);
    even(n) || even(e) || !(2..=33).contains(&e_bits) || roca(n)
}

/// The ROCA fingerprint (CVE-2017-15361, Nemec et al., CCS 2017): Infineon's generator made
/// moduli of 1984 to 4096 bits that are, modulo every prime up to 701, a power of 65537. A
/// sound modulus passes all 125 tests with probability about 2^-167.
fn roca(n: &[u8]) -> bool {
    let primes = (3..=701u32).filter(|&p| (2..p).take_while(|d| d * d <= p).all(|d| p % d != 0));
    primes.into_iter().all(|p| {
        let residue = n.iter().fold(0, |r, &byte| (r * 256 + u32::from(byte)) % p);
        let mut power = 1;
        loop {
            if power == residue {
                return true;
            }
            power = power * (65537 % p) % p;
            if power == 1 {
                return false;
            }
        }
    })
}

/// The y-coordinates (sign bit cleared) of Ed25519's eight points of small order: 1, p - 1, 0
/// and the two of order 8 (RFC 8032 §5.1.3 encoding).
const SMALL_ORDER: [[u8; 32]; 5] = [
    hex("0100000000000000000000000000000000000000000000000000000000000000"),
    hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    hex("0000000000000000000000000000000000000000000000000000000000000000"),
    hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
];

/// Whether an Ed25519 public key is of small order (with it, `R` of small order and `S = 0`
/// verify for a large share of all messages) or non-canonical (y ≥ p = 2^255 - 19).
pub(super) fn ed25519(x: &[u8]) -> bool {
    let mut y = [0u8; 32];
    y.copy_from_slice(x);
    y[31] &= 0x7f;
    let non_canonical = y[0] >= 0xed && y[1..31].iter().all(|&b| b == 0xff) && y[31] == 0x7f;
    non_canonical || SMALL_ORDER.contains(&y)
}

const fn hex(text: &str) -> [u8; 32] {
    let text = text.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_every_small_order_and_non_canonical_ed25519_point() {
        for point in SMALL_ORDER {
            let mut negative = point;
            negative[31] |= 0x80;
            assert!(ed25519(&point) && ed25519(&negative), "{point:02x?}");
        }
        let mut y = [0xffu8; 32];
        y[31] = 0x7f;
        for low in 0xed..=0xff {
            y[0] = low;
            assert!(ed25519(&y), "y = p + {}", low - 0xed);
        }
        y[0] = 0xec;
        y[31] = 0xff;
        assert!(ed25519(&y), "-1 with the sign bit set");
    }

    #[test]
    fn accepts_an_ordinary_ed25519_point() {
        // RFC 8037 §A.2.
        let x = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assert!(!ed25519(&x));
    }

    #[test]
    fn refuses_rsa_exponents_aws_lc_would_refuse_per_token() {
        let n = [0xc5u8; 256];
        assert!(!rsa(&n, &[1, 0, 1]));
        assert!(!rsa(&n, &[3]));
        for e in [&[1u8][..], &[2], &[1, 0, 0], &[], &[0], &[2, 0, 0, 0, 1]] {
            assert!(rsa(&n, e), "e = {e:02x?}");
        }
        let mut even = n;
        even[255] = 0xc4;
        assert!(rsa(&even, &[1, 0, 1]));
    }

    #[test]
    fn the_roca_fingerprint_needs_every_residue_to_be_a_power_of_65537() {
        // 65537^k itself, as a 2048-bit-long byte string, is in every subgroup.
        let mut power = vec![1u8];
        for _ in 0..200 {
            power = mul_small(&power, 65537);
        }
        assert!(roca(&power));
        let mut plus_one = power.clone();
        *plus_one.last_mut().unwrap() ^= 2;
        assert!(!roca(&plus_one));
    }

    fn mul_small(x: &[u8], m: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(x.len() + 3);
        let mut carry = 0u64;
        for &byte in x.iter().rev() {
            let v = u64::from(byte) * m + carry;
            out.push(v as u8);
            carry = v >> 8;
        }
        while carry > 0 {
            out.push(carry as u8);
            carry >>= 8;
        }
        out.reverse();
        out
    }
}
