//! Strict base64url (RFC 7515 §2 and §5.2): the URL-safe alphabet, no padding, no white space, and
//! no stray bits after the last full byte, so each byte string has exactly one accepted encoding.
//! SIMD-accelerated (`base64-simd`): decoding a ~900-byte token's segments is on every verification.

use base64_simd::{Out, URL_SAFE_NO_PAD};

/// Decodes strict base64url; `None` for any other spelling.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode_to_vec(text).ok()
}

/// Decodes strict base64url into `out`, returning the decoded length; `None` when the text is not
/// strict base64url or decodes to more than `out` holds.
pub fn decode_into(text: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = URL_SAFE_NO_PAD.decoded_length(text).ok()?;
    let out = out.get_mut(..len)?;
    URL_SAFE_NO_PAD.decode(text, Out::from_slice(out)).ok().map(|decoded| decoded.len())
}

/// Encodes `bytes` as base64url without padding.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode_to_string(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_url_safe_alphabet_without_padding() {
        assert_eq!(decode(b"-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode(b"").unwrap(), b"");
    }

    #[test]
    fn rejects_padding_white_space_the_standard_alphabet_and_stray_bits() {
        for text in ["YQ==", "YQ=", "Y Q", "YQ\n", "+/8", "YR", "Y"] {
            assert_eq!(decode(text.as_bytes()), None, "{text:?}");
        }
    }

    #[test]
    fn decode_into_refuses_output_longer_than_the_buffer() {
        let mut out = [0u8; 2];
        assert_eq!(decode_into(b"AAAA", &mut out), None);
        assert_eq!(decode_into(b"AAA", &mut out), Some(2));
    }
}
