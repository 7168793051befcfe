//! The SSRF guard: which addresses a publisher-supplied feed URL may reach.
//!
//! The daemon fetches URLs nobody reviews, so by default it refuses loopback, private,
//! link-local (cloud metadata), unique-local, CGNAT, unspecified, broadcast and
//! documentation addresses. The check runs on the addresses the resolver hands the
//! connector (so a name that resolves to 127.0.0.1 is refused), and on IP-literal URLs of the
//! request and every redirect hop (which never reach a resolver).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::FetchError;

/// `true` for addresses the guard refuses: everything that is not globally routable
/// unicast. An IPv6 address that carries an IPv4 address (mapped, compatible, translated,
/// NAT64, 6to4, Teredo) is judged by the IPv4 address it reaches.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !is_global_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => !is_global_v4(v4),
            None => !is_global_v6(v6),
        },
    }
}

fn is_global_v4(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_documentation()
        || v4.is_multicast()
        || o[0] == 0
        // Shared address space (CGNAT), 100.64.0.0/10.
        || (o[0] == 100 && (64..128).contains(&o[1]))
        // IETF protocol assignments, 192.0.0.0/24.
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        // Benchmarking, 198.18.0.0/15.
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        // Reserved for future use, 240.0.0.0/4.
        || o[0] >= 240)
}

fn is_global_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    !(v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, deprecated site-local fec0::/10.
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        // Documentation 2001:db8::/32, benchmarking 2001:2::/48, ORCHID 2001:10::/28.
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0)
        || (s[0] == 0x2001 && (s[1] & 0xfff0) == 0x0010)
        // Discard-only 100::/64, local-use NAT64 64:ff9b:1::/48.
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0)
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 1))
}

/// The IPv4 address an IPv6 address reaches, for the forms that embed one.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let low =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    match s {
        // IPv4-compatible ::a.b.c.d (but not :: and ::1, which are IPv6's own).
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => Some(low(hi, lo)),
        // IPv4-translated ::ffff:0:a.b.c.d.
        [0, 0, 0, 0, 0xffff, 0, hi, lo] => Some(low(hi, lo)),
        // NAT64 well-known prefix 64:ff9b::/96.
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        // 6to4 2002:AABB:CCDD::/48.
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        // Teredo 2001:0::/32: the client's address, inverted, in the last 32 bits.
        [0x2001, 0, _, _, _, _, hi, lo] => Some(low(!hi, !lo)),
        _ => None,
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
    check_public(url).await.map_err(|e| match e {
        FetchError::Refused(reason) => {
            FetchError::Refused(format!("{reason} (--deny-private-networks)"))
        }
        other => other,
    })
}

/// Refuses a URL whose host is, or resolves to, an address the guard refuses: for the
/// hops of a proxied fetch, whose addresses the connector never sees.
pub(super) async fn check_public(url: &str) -> Result<(), FetchError> {
    let parsed = url::Url::parse(url).map_err(|e| FetchError::Failed(format!("bad URL: {e}")))?;
    if let Some(reason) = literal_refusal(&parsed) {
        return Err(FetchError::Refused(reason));
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
                "{host} resolves to {}, a private or local address",
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

    #[test]
    fn ipv6_forms_that_embed_a_private_ipv4_address_are_refused() {
        for ip in [
            "64:ff9b::7f00:1",                      // NAT64 of 127.0.0.1
            "64:ff9b::a9fe:a9fe",                   // NAT64 of 169.254.169.254
            "2002:7f00:1::1",                       // 6to4 of 127.0.0.1
            "2002:c0a8:101::1",                     // 6to4 of 192.168.1.1
            "::127.0.0.1",                          // IPv4-compatible
            "::10.0.0.1",                           // IPv4-compatible
            "::ffff:0:127.0.0.1",                   // IPv4-translated
            "::ffff:0:a00:1",                       // IPv4-translated 10.0.0.1
            "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo client 127.0.0.1
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        // The same forms around a public address are public.
        for ip in [
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
            "::ffff:0:5db8:d822",
        ] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn ranges_that_are_never_public_are_refused() {
        for ip in [
            "224.0.0.1",       // multicast
            "239.255.255.250", // multicast
            "240.0.0.1",       // reserved
            "255.255.255.254", // reserved
            "198.18.0.1",      // benchmarking
            "198.19.255.1",    // benchmarking
            "192.0.0.8",       // IETF protocol assignments
            "192.0.2.1",       // documentation
            "198.51.100.1",    // documentation
            "203.0.113.1",     // documentation
            "ff02::1",         // multicast
            "2001:db8::1",     // documentation
            "fec0::1",         // site-local
            "100::1",          // discard-only
            "64:ff9b:1::1",    // local-use NAT64
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        assert!(!is_private("198.20.0.1".parse().unwrap()));
    }
}
