//! URLs and hosts: the canonical URL (kept exactly as written) and page domains (compared
//! after normalisation).

use std::fmt;

use url::Url;

/// A canonical URL: the exact string the publisher wrote (after character-reference
/// decoding and trimming), which is the store key, plus its parsed form for checks.
///
/// Only built by [`CanonicalUrl::parse`], so every value is an absolute http(s) URL with a host.
#[derive(Clone, Debug)]
pub struct CanonicalUrl {
    exact: String,
    parsed: Url,
}

impl CanonicalUrl {
    /// Parses `raw` (trimmed of ASCII whitespace); `None` unless it is an absolute `http` or
    /// `https` URL with a host.
    pub fn parse(raw: &str) -> Option<CanonicalUrl> {
        let exact = raw.trim_matches(|c: char| c.is_ascii_whitespace());
        let parsed = Url::parse(exact).ok()?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return None;
        }
        match parsed.host_str() {
            Some(h) if !h.is_empty() => {}
            _ => return None,
        }
        Some(CanonicalUrl {
            exact: exact.to_string(),
            parsed,
        })
    }

    /// The exact string: the article's identity.
    pub fn as_str(&self) -> &str {
        &self.exact
    }

    /// The normalised host (lower case, punycode, no trailing dot).
    pub fn host(&self) -> String {
        normalise_host(self.parsed.host_str().unwrap_or_default())
    }

    /// The parsed URL, for resolving relative references.
    pub fn url(&self) -> &Url {
        &self.parsed
    }

    /// `true` when the written URL has a query (`?`) or a fragment (`#`).
    pub fn has_query_or_fragment(&self) -> bool {
        self.exact.contains('?') || self.exact.contains('#')
    }
}

impl PartialEq for CanonicalUrl {
    fn eq(&self, other: &Self) -> bool {
        self.exact == other.exact
    }
}
impl Eq for CanonicalUrl {}

impl fmt::Display for CanonicalUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.exact)
    }
}

fn normalise_host(host: &str) -> String {
    let host = host.trim_end_matches('.');
    // `Url` already lower-cases and punycodes special-scheme hosts; this covers bare input.
    match url::Host::parse(host) {
        Ok(h) => h.to_string().trim_end_matches('.').to_string(),
        Err(_) => host.to_ascii_lowercase(),
    }
}

/// A page's domain, normalised: lower case, IDNA (punycode), trailing dot removed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Domain(String);

/// A domain that cannot be one.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a valid domain name")]
pub struct DomainError(pub String);

impl Domain {
    /// Parses a domain as a user types it (`Example.COM.`, `bücher.example`); a scheme or
    /// path is refused.
    pub fn parse(raw: &str) -> Result<Domain, DomainError> {
        let trimmed = raw.trim();
        let bare = trimmed.trim_end_matches('.');
        if bare.is_empty() || bare.contains(['/', ':', '@', ' ', '?', '#']) {
            return Err(DomainError(trimmed.to_string()));
        }
        match url::Host::parse(bare) {
            // Percent-decoding and IDNA mapping (`%2e`, `。`) can make dots of their own: a
            // name of dots only is none, and one that got trailing dots is parsed again
            // without them, so that a domain parses to itself (`2.。。` is 0.0.0.2, as `2` is).
            Ok(url::Host::Domain(d)) => match d.trim_end_matches('.') {
                "" => Err(DomainError(trimmed.to_string())),
                name if name.len() < d.len() => {
                    Domain::parse(name).map_err(|_| DomainError(trimmed.to_string()))
                }
                name => Ok(Domain(name.to_string())),
            },
            Ok(other) => Ok(Domain(other.to_string())),
            Err(_) => Err(DomainError(trimmed.to_string())),
        }
    }

    /// A domain already normalised (as stored), taken as is.
    pub fn from_normalised(name: String) -> Domain {
        Domain(name)
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `true` when `host` (already normalised) is this domain or a subdomain of it, by whole
    /// labels: `news.example.com` and `example.com` match `example.com`; `badexample.com`
    /// does not.
    pub fn matches_host(&self, host: &str) -> bool {
        host_matches_domain(host, &self.0)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whole-label suffix match of a normalised host against a normalised domain.
pub fn host_matches_domain(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn mask_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        // In a feed URL a user name alone is often the secret itself
        // (`https://TOKEN@host/feed`); a database URL's user name is not.
        Ok(mut u) if !u.username().is_empty() && matches!(u.scheme(), "http" | "https") => {
            let _ = u.set_username("***");
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_matching_is_by_whole_labels() {
        let d = Domain::parse("Example.COM.").unwrap();
        assert_eq!(d.as_str(), "example.com");
        assert!(d.matches_host("example.com"));
        assert!(d.matches_host("news.example.com"));
        assert!(!d.matches_host("badexample.com"));
        assert!(!d.matches_host("example.com.evil.net"));
    }

    #[test]
    fn a_domain_of_dots_only_is_refused() {
        // Host parsing decodes `%2e` and maps the ideographic full stop to `.`.
        for raw in ["%2e", "\u{3002}", "%2E.", "\u{3002}\u{ff0e}"] {
            assert!(Domain::parse(raw).is_err(), "{raw:?}");
        }
        assert_eq!(Domain::parse("a%2e").unwrap().as_str(), "a");
    }

    #[test]
    fn a_parsed_domain_parses_to_itself() {
        // IDNA mapping turns `。` into a trailing dot after the trailing dots were trimmed.
        for (raw, normalised) in [
            ("2.\u{3002}\u{3002}", Some("0.0.0.2")),
            ("1\u{3002}\u{3002}", Some("0.0.0.1")),
            (".0.\u{3002}", None),
            ("tvqq..2\u{3002}\u{3002}", None),
            ("News.Example.COM\u{3002}\u{3002}", Some("news.example.com")),
        ] {
            let d = Domain::parse(raw).ok();
            assert_eq!(d.as_ref().map(Domain::as_str), normalised, "{raw:?}");
            if let Some(d) = d {
                assert_eq!(Domain::parse(d.as_str()).unwrap(), d, "{raw:?}");
            }
        }
    }

    #[test]
    fn idna_domains_are_punycoded() {
        let d = Domain::parse("Bücher.example").unwrap();
        assert_eq!(d.as_str(), "xn--bcher-kva.example");
        let c = CanonicalUrl::parse("https://NEWS.bücher.example./a").unwrap();
        assert!(d.matches_host(&c.host()));
        assert_eq!(c.as_str(), "https://NEWS.bücher.example./a");
    }

    #[test]
    fn canonical_must_be_absolute_http() {
        assert!(CanonicalUrl::parse("/relative").is_none());
        assert!(CanonicalUrl::parse("ftp://example.com/a").is_none());
        assert!(CanonicalUrl::parse("https://").is_none());
        assert!(CanonicalUrl::parse("mailto:a@example.com").is_none());
        assert!(
            CanonicalUrl::parse("  https://example.com/a?x=1 ")
                .unwrap()
                .has_query_or_fragment()
        );
    }
}
