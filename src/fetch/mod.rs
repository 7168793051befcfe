//! Downloading feeds over HTTP(S) with every limit a hostile or broken server could push:
//! a whole-download timeout and a read-idle timeout against trickling bodies, a streaming
//! cap on decompressed body bytes (Content-Length is not trusted), at most five redirects,
//! and the SSRF guard, which checks the address actually connected to (the resolver drops
//! private addresses, and every redirect hop to an IP literal is checked), so neither DNS
//! tricks nor redirects reach loopback, private, link-local or similar networks.
//!
//! Errors are classified so each maps to one run outcome and feed-level rule.

mod guard;
pub mod local;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use crate::registry::RuleId;

pub use guard::{is_private, refuse_private};
pub use local::{CappedReader, read_capped, read_file_capped};

/// Fetch settings.
#[derive(Clone, Debug)]
pub struct FetchConfig {
    /// Whole download: connect, headers and body.
    pub timeout: Duration,
    /// Longest pause between two body chunks.
    pub read_idle_timeout: Duration,
    /// Cap on body bytes after decompression.
    pub max_body_bytes: u64,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Let feeds live on loopback and private networks (the guard is off).
    pub allow_private_networks: bool,
    /// An HTTP proxy for every fetch. Proxies from the environment (`HTTP_PROXY`, …) are
    /// never used: behind a proxy the guard could not see the addresses connected to, so
    /// with one configured every hop's host is resolved and checked here first.
    pub proxy: Option<String>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: Duration::from_secs(30),
            read_idle_timeout: Duration::from_secs(10),
            max_body_bytes: 16 * 1024 * 1024,
            user_agent: format!("iarss/{}", env!("CARGO_PKG_VERSION")),
            max_redirects: 5,
            // The operator's own `lint URL` / `ingest --feed URL` may fetch anything; the
            // daemon turns the guard on (docs/configuration.md, `[fetch]`).
            allow_private_networks: true,
            proxy: None,
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
    /// The host name does not resolve.
    #[error("DNS: {0}")]
    Dns(String),
    /// No connection (refused, unreachable, reset).
    #[error("connect: {0}")]
    Connect(String),
    /// The TLS handshake or certificate failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// The SSRF guard refused the address.
    #[error("refused: {0}")]
    Refused(String),
    /// More than the allowed redirects, or a redirect loop.
    #[error("too many redirects (more than {0})")]
    Redirects(usize),
    /// Any other HTTP failure.
    #[error("{0}")]
    Failed(String),
    /// A status other than 2xx/304 after redirects.
    #[error("HTTP status {0}")]
    Status(u16),
    /// Not done within the timeout, or the body stalled.
    #[error("{0}")]
    Timeout(String),
    /// The body is larger than allowed.
    #[error("the body is larger than {0} bytes")]
    TooLarge(u64),
    /// `429` or `503` with `Retry-After`: the next fetch waits at least that long.
    #[error("HTTP status {status}; the server asks to retry after {} s", after.as_secs())]
    RetryLater {
        /// The status.
        status: u16,
        /// How long the server asked to wait.
        after: Duration,
    },
}

impl FetchError {
    /// The feed-level rule this failure is reported as.
    pub fn rule(&self) -> RuleId {
        match self {
            FetchError::Timeout(_) => RuleId::FeedDownloadTimeout,
            FetchError::TooLarge(_) => RuleId::FeedTooLarge,
            _ => RuleId::FeedFetchFailed,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status(s) | FetchError::RetryLater { status: s, .. } => Some(*s),
            _ => None,
        }
    }

    /// How long the server asked to wait before the next fetch.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::RetryLater { after, .. } => Some(*after),
            _ => None,
        }
    }

    /// A short class for metrics and logs.
    pub fn class(&self) -> &'static str {
        match self {
            FetchError::Dns(_) => "dns",
            FetchError::Connect(_) => "connect",
            FetchError::Tls(_) => "tls",
            FetchError::Refused(_) => "refused",
            FetchError::Redirects(_) => "redirects",
            FetchError::Failed(_) => "http",
            FetchError::Status(_) | FetchError::RetryLater { .. } => "status",
            FetchError::Timeout(_) => "timeout",
            FetchError::TooLarge(_) => "too_large",
        }
    }
}

/// Installs the process's TLS crypto provider (ring), once, for every TLS client of iarss.
pub fn install_crypto() {
    // Several callers may race here; only the first install counts, the rest are no-ops.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client for requests to other publisher-supplied URLs than feeds (webhooks): the same
/// guard on the addresses connected to, no redirect followed, and every request, its answer
/// read included, ending within `timeout`.
pub fn guarded_client(
    timeout: Duration,
    user_agent: &str,
    allow_private_networks: bool,
) -> Result<reqwest::Client, FetchError> {
    install_crypto();
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(timeout)
        .connect_timeout(timeout)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none());
    if !allow_private_networks {
        builder = builder.dns_resolver(Arc::new(guard::GuardedResolver));
    }
    builder
        .build()
        .map_err(|e| FetchError::Failed(format!("cannot build an HTTP client: {e}")))
}

/// Why a publisher-supplied URL may not be sent to: not http(s), or (unless
/// `allow_private_networks`) a host that is an address the guard refuses. A name is
/// checked when it is resolved, at each request.
pub fn target_refusal(url: &str, allow_private_networks: bool) -> Option<String> {
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return Some(format!("not a URL: {e}")),
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Some("not an http(s) URL".to_string());
    }
    if allow_private_networks {
        return None;
    }
    guard::literal_refusal(&parsed)
}

/// A reusable HTTP client with the limits and the guard of one configuration.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    config: FetchConfig,
}

impl Fetcher {
    /// A client for `config`.
    pub fn new(config: FetchConfig) -> Result<Fetcher, FetchError> {
        install_crypto();
        let allow = config.allow_private_networks;
        let max = config.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max {
                return attempt.error(guard::RedirectRefused(format!("more than {max} redirects")));
            }
            let url = attempt.url();
            if !matches!(url.scheme(), "http" | "https") {
                let reason = not_http_redirect(url.as_str());
                return attempt.error(guard::RedirectRefused(reason));
            }
            if !allow && let Some(reason) = guard::literal_refusal(url) {
                return attempt.error(guard::RedirectRefused(reason));
            }
            attempt.follow()
        });
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.timeout)
            // A feed is fetched every few minutes: a connection kept longer than this is
            // reused only by the other pages of a shared host, which come sooner. Thousands
            // of single-page hosts' idle connections would otherwise hold memory for nothing.
            .pool_idle_timeout(Duration::from_secs(20));
        builder = match &config.proxy {
            // Behind a proxy, redirects are followed in `get`, where each hop is checked.
            Some(proxy) => builder
                .proxy(reqwest::Proxy::all(proxy).map_err(|e| {
                    FetchError::Failed(format!("fetch.proxy `{}`: {e}", mask(proxy)))
                })?)
                .redirect(reqwest::redirect::Policy::none()),
            None => builder.no_proxy().redirect(policy),
        };
        if !allow {
            builder = builder.dns_resolver(Arc::new(guard::GuardedResolver));
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Failed(format!("cannot build an HTTP client: {e}")))?;
        Ok(Fetcher { client, config })
    }

    /// The configuration.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// Downloads `url`, sending `conditional` validators when given.
    pub async fn get(
        &self,
        url: &str,
        conditional: Option<&Conditional>,
    ) -> Result<Fetched, FetchError> {
        let config = &self.config;
        if !config.allow_private_networks
            && let Ok(parsed) = url::Url::parse(url)
            && let Some(reason) = guard::literal_refusal(&parsed)
        {
            return Err(FetchError::Refused(reason));
        }
        let download = async {
            let response = self.send_following(url, conditional).await?;
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
            let charset = header(reqwest::header::CONTENT_TYPE)
                .as_deref()
                .and_then(content_type_charset);
            if status == 304 {
                return Ok(Fetched {
                    status,
                    body: Vec::new(),
                    charset,
                    etag,
                    last_modified,
                });
            }
            if matches!(status, 429 | 503)
                && let Some(after) = header(reqwest::header::RETRY_AFTER)
                    .as_deref()
                    .and_then(parse_retry_after)
            {
                return Err(FetchError::RetryLater { status, after });
            }
            if response.status().is_redirection() {
                // The client follows http(s) redirects; any left are to other schemes.
                let to = header(reqwest::header::LOCATION).unwrap_or_default();
                return Err(FetchError::Refused(format!(
                    "HTTP status {status}: {}",
                    not_http_redirect(&to)
                )));
            }
            if !response.status().is_success() {
                return Err(FetchError::Status(status));
            }
            let mut body = Vec::new();
            let mut stream = response.bytes_stream();
            loop {
                // A body that trickles stalls here, not just at the overall deadline.
                let next = tokio::time::timeout(config.read_idle_timeout, stream.next())
                    .await
                    .map_err(|_| {
                        FetchError::Timeout(format!(
                            "the body stalled for more than {:?}",
                            config.read_idle_timeout
                        ))
                    })?;
                let Some(chunk) = next else { break };
                let chunk = chunk.map_err(|e| classify(e, config))?;
                // Counted after decompression, so a gzip bomb stops at the cap.
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
            Err(_) => Err(FetchError::Timeout(format!(
                "the download did not finish within {:?}",
                config.timeout
            ))),
        }
    }
}

impl Fetcher {
    /// Sends the GET, following redirects here when a proxy is configured (each hop's host
    /// resolved and checked by the guard first).
    async fn send_following(
        &self,
        url: &str,
        conditional: Option<&Conditional>,
    ) -> Result<reqwest::Response, FetchError> {
        let config = &self.config;
        let guarded = !config.allow_private_networks;
        if config.proxy.is_none() {
            return self.send_once(url, conditional).await;
        }
        let mut current =
            url::Url::parse(url).map_err(|e| FetchError::Failed(format!("bad URL: {e}")))?;
        for _ in 0..=config.max_redirects {
            if !matches!(current.scheme(), "http" | "https") {
                return Err(FetchError::Refused(not_http_redirect(current.as_str())));
            }
            if guarded {
                guard::check_public(current.as_str()).await?;
            }
            let response = self.send_once(current.as_str(), conditional).await?;
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok());
            match location {
                Some(to) if response.status().is_redirection() && response.status() != 304 => {
                    current = current
                        .join(to)
                        .map_err(|e| FetchError::Failed(format!("bad redirect `{to}`: {e}")))?;
                }
                _ => return Ok(response),
            }
        }
        Err(FetchError::Redirects(config.max_redirects))
    }

    /// One GET. A kept-alive connection that the server closed without notice fails before
    /// anything of the response is read: that request is sent once more on a fresh one.
    async fn send_once(
        &self,
        url: &str,
        conditional: Option<&Conditional>,
    ) -> Result<reqwest::Response, FetchError> {
        let request = || {
            let mut request = self.client.get(url);
            if let Some(c) = conditional {
                if let Some(etag) = &c.etag {
                    request = request.header(reqwest::header::IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &c.last_modified {
                    request = request.header(reqwest::header::IF_MODIFIED_SINCE, lm);
                }
            }
            request
        };
        match request().send().await {
            Ok(response) => Ok(response),
            Err(e) if is_stale_connection(&e) => {
                tracing::debug!(error = %e, "the kept-alive connection was closed; sending again");
                request()
                    .send()
                    .await
                    .map_err(|e| classify(e, &self.config))
            }
            Err(e) => Err(classify(e, &self.config)),
        }
    }
}

/// A request that failed because its pooled connection had been closed by the server
/// (nothing of a response was read, so sending the GET again is safe).
fn is_stale_connection(err: &reqwest::Error) -> bool {
    if err.is_timeout() || err.is_redirect() || err.is_body() || err.is_decode() {
        return false;
    }
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        let text = s.to_string().to_ascii_lowercase();
        if text.contains("connection closed before message completed")
            || text.contains("connection reset")
            || text.contains("broken pipe")
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// A `Retry-After` value: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let ms = at.timestamp_millis() - chrono::Utc::now().timestamp_millis();
    Some(Duration::from_millis(ms.max(0) as u64))
}

/// Why a redirect to `to` is not followed.
fn not_http_redirect(to: &str) -> String {
    format!("redirect to `{}`, which is not an http(s) URL", mask(to))
}

fn mask(url: &str) -> String {
    crate::model::mask_url(url)
}

/// Downloads `url` once with a client for `config`.
pub async fn fetch(url: &str, config: &FetchConfig) -> Result<Fetched, FetchError> {
    fetch_conditional(url, config, None).await
}

/// Downloads `url` once, sending `conditional` validators when given.
pub async fn fetch_conditional(
    url: &str,
    config: &FetchConfig,
    conditional: Option<&Conditional>,
) -> Result<Fetched, FetchError> {
    Fetcher::new(config.clone())?.get(url, conditional).await
}

fn classify(err: reqwest::Error, config: &FetchConfig) -> FetchError {
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    let mut refused = None;
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<guard::RedirectRefused>() {
            refused = Some(r.0.clone());
        }
        if let Some(r) = s.downcast_ref::<guard::AddressRefused>() {
            refused = Some(r.0.clone());
        }
        chain = format!("{chain}: {s}");
        source = s.source();
    }
    if let Some(reason) = refused {
        if reason.starts_with("more than") {
            return FetchError::Redirects(config.max_redirects);
        }
        return FetchError::Refused(reason);
    }
    if err.is_redirect() {
        return FetchError::Redirects(config.max_redirects);
    }
    if err.is_timeout() {
        return FetchError::Timeout(format!("timed out: {chain}"));
    }
    let lower = chain.to_ascii_lowercase();
    if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        return FetchError::Dns(chain);
    }
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        return FetchError::Tls(chain);
    }
    if err.is_connect() {
        return FetchError::Connect(chain);
    }
    FetchError::Failed(chain)
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
