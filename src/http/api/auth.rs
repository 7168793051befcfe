//! Who is calling: a bearer token (scripts, CMS plugins) or a web session cookie (the
//! editor's live lint). Requests from a session that change anything must come from the
//! same origin and carry the session's form token; bearer requests carry no cookie, so a
//! forged cross-site request cannot use them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};

use super::error::ApiError;
use crate::access::Caller;
use crate::http::AppState;
use crate::http::request::{client_address, same_origin, session_cookie};

/// The header that carries a session's form token on API requests.
pub const FORM_TOKEN_HEADER: &str = "x-iarss-form-token";

/// An authenticated caller.
pub struct Authed(pub Caller);

/// A caller authenticated before its request's body was read ([`super::extract::buffer_body`]),
/// kept for the handler's [`Authed`].
#[derive(Clone)]
pub struct Authenticated(pub Caller);

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
                return Err(ApiError::forbidden("cross-origin request refused"));
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
                return Err(ApiError::forbidden(
                    "the session's form token is missing or wrong",
                ));
            }
        }
        Ok(Authed(session.caller))
    }
}
