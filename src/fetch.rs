//! The one HTTP client, for discovery documents and JWK Sets: HTTPS unless the host is loopback
//! (or `allowInsecureHttp`), a timeout per request, a cap on the response size, at most three
//! redirects (each hop held to the same rule), custom request headers, the standard proxy
//! environment variables, and the extra CA roots Node trusts (`NODE_EXTRA_CA_CERTS`).
//!
//! Requests go through reqwest, or through a [`Transport`] the embedder supplies (the binding's
//! is Node's `http.Agent`); either way the policy above is applied here. A GET may be conditional
//! (RFC 9110 §13): with the `ETag`/`Last-Modified` of the copy held, a `304 Not Modified` comes
//! back as [`Fetched::NotModified`], with no body downloaded.

use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, Url, redirect};

/// How remote key material is fetched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FetchPolicy {
    /// Time allowed for one request, connect to last byte.
    pub timeout: Duration,
    /// Largest response body accepted, in bytes.
    pub max_bytes: usize,
    /// Allow `http://` to hosts other than loopback.
    pub allow_insecure_http: bool,
    /// Extra request headers (name, value).
    pub headers: Vec<(String, String)>,
    /// Who makes the requests: reqwest when `None`.
    pub transport: Option<CustomTransport>,
}

/// One GET request for a [`Transport`]: no redirects followed, body capped at `max_bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The URL, already held to the HTTPS rule.
    pub url: String,
    /// Request headers (name, value).
    pub headers: Vec<(String, String)>,
    /// Time allowed, in ms (the fetcher enforces it too).
    pub timeout_ms: u64,
    /// Largest body to read, in bytes.
    pub max_bytes: usize,
}

/// A [`Transport`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The `Location` header, for redirects.
    pub location: Option<String>,
    /// The validators of the body.
    pub validators: Validators,
    /// The body; empty when `too_large`.
    pub body: Vec<u8>,
    /// The body exceeded `max_bytes` and was not read.
    pub too_large: bool,
}

/// The validators of a response (RFC 9110 §8.8), sent back to make the next GET conditional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag`, as sent.
    pub etag: Option<String>,
    /// The `Last-Modified` date, as sent.
    pub last_modified: Option<String>,
}

/// Longest validator kept; a longer one is ignored (the next GET is then unconditional).
const MAX_VALIDATOR_LEN: usize = 256;

impl Validators {
    /// Keeps a validator only when it is short visible ASCII, fit to send back as a header.
    pub fn new(etag: Option<&str>, last_modified: Option<&str>) -> Validators {
        let keep = |v: Option<&str>| {
            v.filter(|v| !v.is_empty() && v.len() <= MAX_VALIDATOR_LEN && v.bytes().all(|b| (0x20..0x7f).contains(&b)))
                .map(str::to_owned)
        };
        Validators { etag: keep(etag), last_modified: keep(last_modified) }
    }

    /// The conditional request headers: `If-None-Match`, `If-Modified-Since`.
    fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let etag = self.etag.as_deref().map(|v| ("if-none-match", v));
        let date = self.last_modified.as_deref().map(|v| ("if-modified-since", v));
        etag.into_iter().chain(date)
    }
}

/// What a GET found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// A new body, with its validators.
    Modified {
        /// The body.
        body: Vec<u8>,
        /// Its validators.
        validators: Validators,
    },
    /// `304 Not Modified`: the copy held is current.
    NotModified,
}

/// A future a [`Transport`] returns.
pub type TransportFuture = Pin<Box<dyn Future<Output = Result<Response, String>> + Send>>;

/// Makes single GET requests for the fetcher; `Err` carries the cause (connection refused, …).
pub trait Transport: Send + Sync {
    /// Starts the request.
    fn get(&self, request: Request) -> TransportFuture;
}

/// A [`Transport`] with an identity, so key sets fetched the same way can be shared.
#[derive(Clone)]
pub struct CustomTransport {
    /// Equal ids mean the same way of fetching (the same `http.Agent`).
    pub id: u64,
    /// The transport.
    pub inner: Arc<dyn Transport>,
}

impl fmt::Debug for CustomTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomTransport({})", self.id)
    }
}

impl PartialEq for CustomTransport {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for CustomTransport {}

impl Hash for CustomTransport {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// At most this many redirects are followed.
const MAX_REDIRECTS: usize = 3;

const USER_AGENT: &str = concat!("bearer-rs/", env!("CARGO_PKG_VERSION"));

/// Why a URL may not be used for key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Not an absolute URL.
    Invalid,
    /// Neither `https:` nor `http:`.
    Scheme,
    /// `http:` to a host that is not loopback, without `allowInsecureHttp`.
    Insecure,
    /// The URL carries a user name or password.
    Credentials,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::Invalid => "must be an absolute URL",
            UrlError::Scheme => "must be an https: URL",
            UrlError::Insecure => {
                "must use https: (http: is only allowed to localhost, 127.0.0.1 and [::1], or with 'allowInsecureHttp: true')"
            }
            UrlError::Credentials => "must not contain a user name or password",
        })
    }
}

/// Parses `url` and holds it to the HTTPS rule.
pub fn check_url(url: &str, allow_insecure_http: bool) -> Result<Url, UrlError> {
    let parsed = Url::parse(url).map_err(|_| UrlError::Invalid)?;
    check_parsed(&parsed, allow_insecure_http)?;
    Ok(parsed)
}

fn check_parsed(url: &Url, allow_insecure_http: bool) -> Result<(), UrlError> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(UrlError::Insecure),
        _ => Err(UrlError::Scheme),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Why a fetch failed; its `Display` is the cause written to logs and `stats()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// No complete response within the timeout.
    Timeout(Duration),
    /// The connection could not be made or broke (refused, reset, DNS, TLS).
    Connection(String),
    /// The response status was not 2xx.
    Status(u16),
    /// The body exceeded the size cap.
    TooLarge(usize),
    /// A redirect went too far or broke the HTTPS rule.
    Redirect,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Timeout(t) => write!(f, "timeout after {} ms", t.as_millis()),
            FetchError::Connection(why) => write!(f, "connection failed: {why}"),
            FetchError::Status(code) => write!(f, "HTTP status {code}"),
            FetchError::TooLarge(max) => write!(f, "response larger than {max} bytes"),
            FetchError::Redirect => write!(
                f,
                "redirect refused (more than {MAX_REDIRECTS}, or to a URL that is not https)"
            ),
        }
    }
}

/// An HTTP client bound to one [`FetchPolicy`].
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// The built-in client; `None` when a custom transport makes the requests.
    client: Option<Client>,
    policy: FetchPolicy,
}

impl Fetcher {
    /// Builds the client. Fails only if TLS cannot be set up at all.
    pub fn new(policy: FetchPolicy) -> Result<Fetcher, String> {
        if policy.transport.is_some() {
            return Ok(Fetcher { client: None, policy });
        }
        let allow_insecure_http = policy.allow_insecure_http;
        let redirects = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS
                || check_parsed(attempt.url(), allow_insecure_http).is_err()
            {
                attempt.error("redirect refused")
            } else {
                attempt.follow()
            }
        });
        let client = Client::builder()
            .redirect(redirects)
            .user_agent(USER_AGENT)
            .tls_certs_merge(node_extra_ca_certs())
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Fetcher { client: Some(client), policy })
    }

    /// The policy this client follows.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// GETs `url` and returns the body, within the policy's time and size limits.
    pub async fn get(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        match self.get_conditional(url, &Validators::default()).await? {
            Fetched::Modified { body, .. } => Ok(body),
            Fetched::NotModified => Err(FetchError::Status(304)),
        }
    }

    /// GETs `url`, conditional on `held` (the validators of the copy held, if any), within the
    /// policy's time and size limits.
    pub async fn get_conditional(&self, url: &Url, held: &Validators) -> Result<Fetched, FetchError> {
        let timeout = self.policy.timeout;
        tokio::time::timeout(timeout, self.get_unbounded(url, held))
            .await
            .unwrap_or(Err(FetchError::Timeout(timeout)))
    }

    async fn get_unbounded(&self, url: &Url, held: &Validators) -> Result<Fetched, FetchError> {
        match (&self.policy.transport, &self.client) {
            (Some(transport), _) => self.get_through(transport.inner.as_ref(), url, held).await,
            (None, Some(client)) => self.get_with_reqwest(client, url, held).await,
            (None, None) => Err(FetchError::Connection("no HTTP client".into())),
        }
    }

    /// Through a custom transport: one request per hop, redirects followed (and checked) here.
    async fn get_through(&self, transport: &dyn Transport, url: &Url, held: &Validators) -> Result<Fetched, FetchError> {
        let mut url = url.clone();
        let mut headers = self.request_headers();
        headers.extend(held.headers().map(|(name, value)| (name.to_owned(), value.to_owned())));
        for _ in 0..=MAX_REDIRECTS {
            let request = Request {
                url: url.to_string(),
                headers: headers.clone(),
                timeout_ms: u64::try_from(self.policy.timeout.as_millis()).unwrap_or(u64::MAX),
                max_bytes: self.policy.max_bytes,
            };
            let response = transport.get(request).await.map_err(FetchError::Connection)?;
            match (response.status, &response.location) {
                (304, _) => return Ok(Fetched::NotModified),
                (300..=399, Some(location)) => {
                    url = url.join(location).map_err(|_| FetchError::Redirect)?;
                    check_parsed(&url, self.policy.allow_insecure_http).map_err(|_| FetchError::Redirect)?;
                }
                (200..=299, _) if response.too_large || response.body.len() > self.policy.max_bytes => {
                    return Err(FetchError::TooLarge(self.policy.max_bytes));
                }
                (200..=299, _) => {
                    let validators = Validators::new(response.validators.etag.as_deref(), response.validators.last_modified.as_deref());
                    return Ok(Fetched::Modified { body: response.body, validators });
                }
                (status, _) => return Err(FetchError::Status(status)),
            }
        }
        Err(FetchError::Redirect)
    }

    fn request_headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![
            ("accept".to_owned(), "application/json".to_owned()),
            ("user-agent".to_owned(), USER_AGENT.to_owned()),
        ];
        headers.extend(self.policy.headers.iter().cloned());
        headers
    }

    async fn get_with_reqwest(&self, client: &Client, url: &Url, held: &Validators) -> Result<Fetched, FetchError> {
        let mut request = client.get(url.clone()).header("accept", "application/json");
        for (name, value) in &self.policy.headers {
            request = request.header(name, value);
        }
        for (name, value) in held.headers() {
            request = request.header(name, value);
        }
        let mut response = request.send().await.map_err(classify)?;
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let max = self.policy.max_bytes;
        if response.content_length().is_some_and(|len| len > max as u64) {
            return Err(FetchError::TooLarge(max));
        }
        let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (etag, last_modified) = (header(reqwest::header::ETAG), header(reqwest::header::LAST_MODIFIED));
        let validators = Validators::new(etag.as_deref(), last_modified.as_deref());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > max {
                return Err(FetchError::TooLarge(max));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Modified { body, validators })
    }
}

fn classify(e: reqwest::Error) -> FetchError {
    if e.is_redirect() {
        return FetchError::Redirect;
    }
    let mut cause = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(err) = source {
        cause = err.to_string();
        source = err.source();
    }
    FetchError::Connection(cause)
}

/// The certificates in `NODE_EXTRA_CA_CERTS`, which Node adds to its roots; none when unset or
/// unreadable (Node itself only warns then).
fn node_extra_ca_certs() -> Vec<reqwest::Certificate> {
    std::env::var_os("NODE_EXTRA_CA_CERTS")
        .and_then(|path| std::fs::read(path).ok())
        .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_required_except_to_loopback() {
        assert!(check_url("https://idp.example/jwks", false).is_ok());
        for local in ["http://localhost:8080/k", "http://127.0.0.1/k", "http://127.9.9.9/k", "http://[::1]:3/k"] {
            assert!(check_url(local, false).is_ok(), "{local}");
        }
        assert_eq!(check_url("http://idp.example/jwks", false), Err(UrlError::Insecure));
        assert_eq!(check_url("http://localhost.idp.example/jwks", false), Err(UrlError::Insecure));
        assert!(check_url("http://idp.example/jwks", true).is_ok());
    }

    #[test]
    fn only_short_visible_ascii_validators_are_kept_to_send_back() {
        let kept = Validators::new(Some("\"v1\""), Some("Sun, 06 Dec 2026 10:00:00 GMT"));
        assert_eq!(kept.headers().collect::<Vec<_>>(), [("if-none-match", "\"v1\""), ("if-modified-since", "Sun, 06 Dec 2026 10:00:00 GMT")]);
        let long = "x".repeat(MAX_VALIDATOR_LEN + 1);
        assert_eq!(Validators::new(Some(&long), Some("a\u{7}b")), Validators::default());
        assert_eq!(Validators::new(Some(""), None).headers().count(), 0);
    }

    #[test]
    fn refuses_other_schemes_relative_urls_and_credentials() {
        assert_eq!(check_url("file:///etc/passwd", true), Err(UrlError::Scheme));
        assert_eq!(check_url("/jwks", false), Err(UrlError::Invalid));
        assert_eq!(check_url("https://user:pw@idp.example/", false), Err(UrlError::Credentials));
    }
}
