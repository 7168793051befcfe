//! Downloading feeds over HTTP(S) with every limit a hostile or broken server could push:
//! a whole-download timeout, a cap on decompressed body bytes, a bounded number of
//! redirects. Errors are classified so each maps to one run outcome and feed-level rule.

use std::time::Duration;

use futures_util::StreamExt;

use crate::validate::RuleId;

/// Fetch settings.
#[derive(Clone, Debug)]
pub struct FetchConfig {
    /// Whole download: connect, headers and body.
    pub timeout: Duration,
    /// Cap on body bytes after decompression.
    pub max_body_bytes: u64,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Redirects followed at most.
    pub max_redirects: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: Duration::from_secs(30),
            max_body_bytes: 16 * 1024 * 1024,
            user_agent: format!("iarss/{}", env!("CARGO_PKG_VERSION")),
            max_redirects: 5,
        }
    }
}

/// A downloaded feed.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// HTTP status (304: not modified, empty body).
    pub status: u16,
    /// The body, decompressed.
    pub body: Vec<u8>,
    /// The `charset` parameter of `Content-Type`, if any.
    pub charset: Option<String>,
    /// The `ETag` response header.
    pub etag: Option<String>,
    /// The `Last-Modified` response header.
    pub last_modified: Option<String>,
}

/// Validators sent for a conditional GET.
#[derive(Clone, Debug, Default)]
pub struct Conditional {
    /// Sent as `If-None-Match`.
    pub etag: Option<String>,
    /// Sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// DNS, connect, TLS or protocol failure, or too many redirects.
    #[error("{0}")]
    Failed(String),
    /// A status other than 2xx/304 after redirects.
    #[error("HTTP status {0}")]
    Status(u16),
    /// Not done within the timeout.
    #[error("the download did not finish within {0:?}")]
    Timeout(Duration),
    /// The body is larger than allowed.
    #[error("the body is larger than {0} bytes")]
    TooLarge(u64),
}

impl FetchError {
    /// The feed-level rule this failure is reported as.
    pub fn rule(&self) -> RuleId {
        match self {
            FetchError::Failed(_) | FetchError::Status(_) => RuleId::FeedFetchFailed,
            FetchError::Timeout(_) => RuleId::FeedDownloadTimeout,
            FetchError::TooLarge(_) => RuleId::FeedTooLarge,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status(s) => Some(*s),
            _ => None,
        }
    }
}

fn install_crypto() {
    // Several callers may race here; only the first install counts, the rest are no-ops.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Downloads `url`.
pub async fn fetch(url: &str, config: &FetchConfig) -> Result<Fetched, FetchError> {
    fetch_conditional(url, config, None).await
}

/// Downloads `url`, sending `conditional` validators when given.
pub async fn fetch_conditional(
    url: &str,
    config: &FetchConfig,
    conditional: Option<&Conditional>,
) -> Result<Fetched, FetchError> {
    install_crypto();
    let client = reqwest::Client::builder()
        .user_agent(config.user_agent.clone())
        .redirect(reqwest::redirect::Policy::limited(config.max_redirects))
        .connect_timeout(config.timeout)
        .build()
        .map_err(|e| FetchError::Failed(format!("cannot build an HTTP client: {e}")))?;
    let download = async {
        let mut request = client.get(url);
        if let Some(c) = conditional {
            if let Some(etag) = &c.etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &c.last_modified {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, lm);
            }
        }
        let response = request.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        if !(response.status().is_success() || status == 304) {
            return Err(FetchError::Status(status));
        }
        let charset = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(content_type_charset);
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(classify)?;
            if body.len() as u64 + chunk.len() as u64 > config.max_body_bytes {
                return Err(FetchError::TooLarge(config.max_body_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status,
            body,
            charset,
            etag,
            last_modified,
        })
    };
    match tokio::time::timeout(config.timeout, download).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout(config.timeout)),
    }
}

fn classify(err: reqwest::Error) -> FetchError {
    if err.is_timeout() {
        return FetchError::Timeout(Duration::from_secs(0));
    }
    if err.is_redirect() {
        return FetchError::Failed("too many redirects".into());
    }
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    FetchError::Failed(message)
}

/// The `charset` parameter of a `Content-Type` value.
pub fn content_type_charset(value: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// `true` for addresses the SSRF guard refuses: loopback, private, link-local (cloud
/// metadata), unique-local, CGNAT, unspecified, broadcast and documentation ranges.
pub fn is_private(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Refuses URLs whose host resolves to loopback, private, link-local or similar addresses
/// (`--deny-private-networks`).
pub async fn refuse_private(url: &str) -> Result<(), FetchError> {
    let parsed = url::Url::parse(url).map_err(|e| FetchError::Failed(format!("bad URL: {e}")))?;
    let host = parsed
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let lookup = tokio::net::lookup_host((host.as_str(), port));
    let addrs = tokio::time::timeout(Duration::from_secs(10), lookup)
        .await
        .map_err(|_| FetchError::Failed(format!("resolving {host} timed out")))?
        .map_err(|e| FetchError::Failed(format!("cannot resolve {host}: {e}")))?;
    for addr in addrs {
        if is_private(addr.ip()) {
            return Err(FetchError::Failed(format!(
                "{host} resolves to {}, a private or local address (refused by --deny-private-networks)",
                addr.ip()
            )));
        }
    }
    Ok(())
}
