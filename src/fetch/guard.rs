//! The SSRF guard: which addresses a publisher-supplied feed URL may reach.
//!
//! The daemon fetches URLs nobody reviews, so by default it refuses loopback, private,
//! link-local (cloud metadata), unique-local, CGNAT, unspecified, broadcast and
//! documentation addresses. The check runs on the addresses the resolver hands the
//! connector (so a name that resolves to 127.0.0.1 is refused), and on IP-literal URLs of the
//! request and every redirect hop (which never reach a resolver).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::FetchError;

/// `true` for addresses the guard refuses.
pub fn is_private(ip: IpAddr) -> bool {
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

/// Why a redirect was not followed.
#[derive(Debug)]
pub(super) struct RedirectRefused(pub String);

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedirectRefused {}

/// Why a resolved address was not connected to.
#[derive(Debug)]
pub(super) struct AddressRefused(pub String);

impl std::fmt::Display for AddressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AddressRefused {}

/// The refusal for a URL whose host is an IP literal in a refused range.
pub(super) fn literal_refusal(url: &url::Url) -> Option<String> {
    let ip = match url.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => {
            return Some(format!("{d} is a local address"));
        }
        url::Host::Domain(_) => return None,
    };
    is_private(ip).then(|| format!("{ip} is a private or local address"))
}

/// A resolver that hands the connector public addresses only.
#[derive(Debug)]
pub(super) struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })?
                .collect();
            let public: Vec<SocketAddr> = all
                .iter()
                .copied()
                .filter(|a| !is_private(a.ip()))
                .collect();
            if public.is_empty() {
                let shown = all.first().map(|a| a.ip().to_string()).unwrap_or_default();
                return Err(Box::new(AddressRefused(format!(
                    "{host} resolves to {shown}, a private or local address"
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Refuses URLs whose host resolves to loopback, private, link-local or similar addresses
/// (`--deny-private-networks`), before anything is sent.
pub async fn refuse_private(url: &str) -> Result<(), FetchError> {
    let parsed = url::Url::parse(url).map_err(|e| FetchError::Failed(format!("bad URL: {e}")))?;
    if let Some(reason) = literal_refusal(&parsed) {
        return Err(FetchError::Refused(format!(
            "{reason} (--deny-private-networks)"
        )));
    }
    let host = parsed
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let lookup = tokio::net::lookup_host((host.as_str(), port));
    let addrs = tokio::time::timeout(Duration::from_secs(10), lookup)
        .await
        .map_err(|_| FetchError::Dns(format!("resolving {host} timed out")))?
        .map_err(|e| FetchError::Dns(format!("cannot resolve {host}: {e}")))?;
    for addr in addrs {
        if is_private(addr.ip()) {
            return Err(FetchError::Refused(format!(
                "{host} resolves to {}, a private or local address (--deny-private-networks)",
                addr.ip()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "100.128.0.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
