//! How token and outcome text cross between JS and Rust, each in one copy: a token is read with
//! one `napi_get_value_string_utf8` call into a reused buffer (napi-rs's `String` makes two, the
//! first only to measure), and an ASCII outcome goes back as a one-byte string, which V8 copies
//! without decoding UTF-8.

use std::cell::RefCell;

use napi::bindgen_prelude::*;
use napi::sys;

/// Bytes a token is first read into: the default `maxTokenLength` and room for one more
/// character of up to 4 bytes, so a token that fits is known to have been read whole.
const FIRST_READ: usize = crate::config::DEFAULT_MAX_TOKEN_LENGTH + 4;

thread_local! {
    /// The buffer tokens are read into, one per thread that converts arguments (the JS thread).
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; FIRST_READ + 1]);
}

/// A token argument: a JS string read as UTF-8.
pub struct TokenText(pub String);

impl TypeName for TokenText {
    fn type_name() -> &'static str {
        "String"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ValidateNapiValue for TokenText {}

impl FromNapiValue for TokenText {
    /// One read into the scratch buffer; only a string longer than [`FIRST_READ`] bytes (far
    /// over the default limit, so rejected as too large unless `maxTokenLength` was raised) is
    /// read again at its full length.
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let short = SCRATCH.with_borrow_mut(|buf| -> Result<Option<String>> {
            let mut written = 0;
            // SAFETY: `buf` is valid for `buf.len()` bytes; V8 writes at most `buf.len() - 1`
            // bytes of whole UTF-8 characters and a terminating NUL, and reports how many.
            let status = unsafe { sys::napi_get_value_string_utf8(env, value, buf.as_mut_ptr().cast(), buf.len(), &mut written) };
            if status != sys::Status::napi_ok {
                return Err(Error::new(Status::StringExpected, "the token must be a string"));
            }
            if written > FIRST_READ - 4 {
                return Ok(None);
            }
            let read = &buf[..written];
            Ok(Some(std::str::from_utf8(read).map_or_else(|_| String::from_utf8_lossy(read).into_owned(), str::to_owned)))
        })?;
        match short {
            Some(text) => Ok(TokenText(text)),
            // SAFETY: the same `env` and `value`, which napi-rs's `String` reads in full.
            None => unsafe { String::from_napi_value(env, value) }.map(TokenText),
        }
    }
}

/// An outcome's text as it crosses into JS: a one-byte (latin1) string when it is ASCII, as
/// outcomes almost always are; UTF-8 otherwise.
pub type Text = Either<Latin1String, String>;

/// `json` as [`Text`].
pub fn text(json: String) -> Text {
    if json.is_ascii() { Either::A(Latin1String::from(json)) } else { Either::B(json) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ascii_outcome_crosses_as_latin1_and_any_other_as_utf8() {
        assert!(matches!(text(r#"[0,1,{},{"name":"Ada"}]"#.to_owned()), Either::A(_)));
        assert!(matches!(text(r#"[0,1,{},{"name":"Zoë"}]"#.to_owned()), Either::B(_)));
    }
}
