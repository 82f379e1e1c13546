//! The `htu` comparison (RFC 9449 §4.3, check 9): the proof's URL and the request's, each without
//! query and fragment, after RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based normalisation.
//!
//! Both sides go through [`normalize`]: a WHATWG URL parse (as Node's `URL`, which
//! express-oauth2-jwt-bearer uses) lower-cases the scheme and host, drops a default port, resolves
//! dot segments and percent-encodes what must be; then percent-encodings of unreserved characters
//! are decoded and the others' hex digits upper-cased. The host must be a plain registered name
//! (unreserved characters) or a bracketed IP literal, as the peer requires.

use url::Url;

/// Why a URL cannot be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HtuError {
    /// Not an absolute URL.
    Invalid,
    /// The host holds characters no plain host name or IP literal has.
    Host,
}

/// `scheme://host[:port]/path` of `input`, normalised; query and fragment dropped.
pub fn normalize(input: &str) -> Result<String, HtuError> {
    let url = Url::parse(input).map_err(|_| HtuError::Invalid)?;
    let host = url.host_str().filter(|host| is_plain_host(host)).ok_or(HtuError::Host)?;
    let mut out = String::with_capacity(input.len());
    out.push_str(url.scheme());
    out.push_str("://");
    out.push_str(host);
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    decode_unreserved(url.path(), &mut out);
    Ok(out)
}

/// A registered name of RFC 3986 unreserved characters, or a bracketed IPv6 literal.
fn is_plain_host(host: &str) -> bool {
    match host.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
        Some(literal) => !literal.is_empty() && literal.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'),
        None => !host.is_empty() && host.bytes().all(is_unreserved),
    }
}

/// RFC 3986 §2.3 unreserved characters.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `path` with each `%XX` of an unreserved character decoded and every other `%XX`
/// written with upper-case hex digits (RFC 3986 §6.2.2.1 and §6.2.2.2).
fn decode_unreserved(path: &str, out: &mut String) {
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok().map(|byte| (byte, hex)));
        match escaped {
            Some((byte, _)) if is_unreserved(byte) => out.push(char::from(byte)),
            Some((_, hex)) => {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            None => {
                out.push(char::from(bytes[i]));
                i += 1;
                continue;
            }
        }
        i += 3;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        normalize(a).unwrap() == normalize(b).unwrap()
    }

    #[test]
    fn drops_query_and_fragment() {
        assert_eq!(normalize("https://api.example/a/b?x=1#frag").unwrap(), "https://api.example/a/b");
    }

    #[test]
    fn lower_cases_scheme_and_host_and_drops_default_ports() {
        assert!(same("HTTPS://API.Example.COM:443/r", "https://api.example.com/r"));
        assert!(same("http://h:80/r", "http://h/r"));
        assert!(!same("http://h:8080/r", "http://h/r"));
        assert!(!same("http://h/r", "https://h/r"));
        assert!(same("https://h", "https://h/"));
    }

    #[test]
    fn decodes_unreserved_percent_encodings_and_upper_cases_the_rest() {
        assert!(same("https://h/%61pi/%7Euser", "https://h/api/~user"));
        assert_eq!(normalize("https://h/a%2fb%3a").unwrap(), "https://h/a%2Fb%3A");
        assert!(!same("https://h/a%2Fb", "https://h/a/b"));
    }

    #[test]
    fn resolves_dot_segments_also_when_encoded() {
        assert!(same("https://h/x/../api/./r", "https://h/api/r"));
        assert!(same("https://h/x/%2e%2E/api", "https://h/api"));
    }

    #[test]
    fn encodes_what_a_path_cannot_hold_as_node_does() {
        assert_eq!(normalize("https://h/a b/é").unwrap(), "https://h/a%20b/%C3%A9");
    }

    #[test]
    fn paths_are_case_sensitive() {
        assert!(!same("https://h/API", "https://h/api"));
    }

    #[test]
    fn refuses_what_is_not_an_absolute_url() {
        for input in ["", "not a url", "/relative", "http://a b/"] {
            assert_eq!(normalize(input), Err(HtuError::Invalid), "{input}");
        }
    }

    #[test]
    fn refuses_hosts_that_are_not_plain_names_or_ip_literals() {
        for input in ["http://a!b/", "http://a$b/", "mailto:x@y", "file:///etc/passwd"] {
            assert_eq!(normalize(input), Err(HtuError::Host), "{input}");
        }
        assert_eq!(normalize("http://[::1]:8443/x").unwrap(), "http://[::1]:8443/x");
        assert_eq!(normalize("http://0x7f.1/x").unwrap(), "http://127.0.0.1/x");
    }
}
