//! What the API and the web pages read of a request alike: the client's address (behind
//! trusted proxies), the session cookie, whether a browser request comes from this site,
//! and query or form fields holding characters that cannot be stored.

use axum::extract::{ConnectInfo, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::Response;

use super::state::AppState;

/// The session cookie's name over plain http.
pub const SESSION_COOKIE: &str = "iarss_session";
/// The session cookie's name over https: the `__Host-` prefix pins it to this host.
pub const SECURE_SESSION_COOKIE: &str = "__Host-iarss_session";

/// The name of the first field of a form or query string whose name or value holds a
/// control character XML forbids (decision 28).
pub fn forbidden_field(encoded: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(encoded)
        .find(|(k, v)| {
            crate::model::first_forbidden_control(k).is_some()
                || crate::model::first_forbidden_control(v).is_some()
        })
        .map(|(k, _)| k.chars().filter(|c| !c.is_control()).collect())
}

/// The client's address, as [`resolve_client`] found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub std::net::IpAddr);

/// The client of a request from `peer`: the peer itself, unless it is a trusted proxy;
/// then the right-most address of `X-Forwarded-For` that is not a trusted proxy (each
/// proxy appends the address it got the request from, so what a client wrote itself is
/// further left and never believed).
pub fn client_ip(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // Unreadable: what a proxy we trust wrote stops here.
            Err(_) => break,
        }
    }
    client
}

/// Finds each request's client address ([`client_ip`]) once, for the handlers, the audit
/// log and the login limits.
pub async fn resolve_client(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .copied()
    {
        let ip = client_ip(peer.ip(), request.headers(), &state.trusted_proxies);
        request.extensions_mut().insert(ClientIp(ip));
    }
    next.run(request).await
}

/// The client's address: as [`resolve_client`] found it (the peer, or the address a
/// trusted proxy forwarded), else the peer's; none for a router used without connection
/// info.
pub fn client_address(parts: &Parts) -> Option<String> {
    if let Some(ClientIp(ip)) = parts.extensions.get() {
        return Some(ip.to_string());
    }
    parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The session cookie's value. The `__Host-` one wins whenever it is sent: a plain cookie
/// of the same name (which a sibling host or a plain-http answer could have planted) never
/// shadows it.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    let mut plain = None;
    for (name, value) in headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
    {
        if name == SECURE_SESSION_COOKIE {
            return Some(value);
        }
        if name == SESSION_COOKIE && plain.is_none() {
            plain = Some(value);
        }
    }
    plain
}

/// Whether a browser request comes from this site: `Sec-Fetch-Site` when the browser
/// sends it, else `Origin` against `Host` (the approach of Go's CrossOriginProtection).
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Neither header: not a browser that could be tricked cross-site.
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}
