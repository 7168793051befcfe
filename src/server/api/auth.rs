//! Who is calling: a bearer token (scripts, CMS plugins) or a web session cookie (the
//! editor's live lint). Requests from a session that change anything must come from the
//! same origin and carry the session's form token; bearer requests carry no cookie, so a
//! forged cross-site request cannot use them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};

use super::error::ApiError;
use super::extract::client_address;
use crate::access::Caller;
use crate::server::AppState;

/// The session cookie's name over plain http.
pub const SESSION_COOKIE: &str = "iarss_session";
/// The session cookie's name over https: the `__Host-` prefix pins it to this host.
pub const SECURE_SESSION_COOKIE: &str = "__Host-iarss_session";
/// The header that carries a session's form token on API requests.
pub const FORM_TOKEN_HEADER: &str = "x-iarss-form-token";

/// An authenticated caller.
pub struct Authed(pub Caller);

/// A caller authenticated before its request's body was read ([`super::extract::buffer_body`]),
/// kept for the handler's [`Authed`].
#[derive(Clone)]
pub struct Authenticated(pub Caller);

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

fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let value = value.to_str().map_err(|_| ());
    Some(value.and_then(|v| {
        let (scheme, token) = v.trim().split_once(' ').ok_or(())?;
        if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
            Ok(token.trim())
        } else {
            Err(())
        }
    }))
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(Authenticated(caller)) = parts.extensions.get::<Authenticated>() {
            return Ok(Authed(caller.clone()));
        }
        let address = client_address(parts);
        let access = state.service.access();
        if let Some(token) = bearer(&parts.headers) {
            let token = token.map_err(|()| ApiError::unauthorized())?;
            return match access.authenticate_token(token, address.as_deref()).await {
                Ok(Some(caller)) => Ok(Authed(caller)),
                Ok(None) => Err(ApiError::unauthorized()),
                Err(e) => Err(crate::service::ServiceError::Store(e).into()),
            };
        }
        let Some(cookie) = session_cookie(&parts.headers) else {
            return Err(ApiError::unauthorized());
        };
        let session = match access.session(cookie, address.as_deref()).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(ApiError::unauthorized()),
            Err(e) => return Err(crate::service::ServiceError::Store(e).into()),
        };
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            if !same_origin(&parts.headers) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "cross-origin request refused",
                ));
            }
            let sent = parts
                .headers
                .get(FORM_TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let matches: bool =
                subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), session.form_token.as_bytes())
                    .into();
            if !matches {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "the session's form token is missing or wrong",
                ));
            }
        }
        Ok(Authed(session.caller))
    }
}
