//! `/login` and `/logout`.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::views::Chrome;
use super::{ClientAddress, TokenOnly, WebError, WebForm, WebQuery, WebSession, render, see_other};
use crate::access::LoginOutcome;
use crate::http::AppState;
use crate::http::request::{SECURE_SESSION_COOKIE, SESSION_COOKIE, session_cookie};

/// The login form.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    chrome: Chrome,
    next: String,
    email: String,
    problem: Option<String>,
}

/// `?next=`.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path of this site: `/…` but not `//…` or `/\…` (which browsers take for
/// another host).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// `GET /login`.
pub async fn form(WebQuery(q): WebQuery<NextQuery>) -> Response {
    render(&LoginPage {
        chrome: Chrome::anonymous(),
        next: safe_next(q.next.as_deref()),
        email: String::new(),
        problem: None,
    })
}

/// The most a login form may send: an address, a password and where to go next. A login
/// is read before anyone is known, so it may not make the server hold more.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// Whether the cookie set in answer to this request is `Secure` (and `__Host-` named):
/// as `web.secure_cookies` says; "auto" trusts only the request's own scheme, never a
/// forwarded header.
fn secure(state: &AppState, uri: &Uri) -> bool {
    let https = uri.scheme_str() == Some("https");
    state
        .service
        .access()
        .settings()
        .secure_cookies
        .secure(https)
}

/// `POST /login`.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    uri: Uri,
    headers: HeaderMap,
    WebForm(f): WebForm<LoginForm>,
) -> Result<Response, WebError> {
    if !super::same_origin(&headers) {
        return Err(WebError::stale_form());
    }
    let address = address.unwrap_or_else(|| "unknown".to_string());
    let next = safe_next(f.next.as_deref());
    let access = state.service.access();
    let outcome = access
        .login(&f.email, &f.password, &address)
        .await
        .map_err(|e| WebError::from(crate::service::ServiceError::Store(e)))?;
    let again = |status: StatusCode, problem: String| {
        let mut r = render(&LoginPage {
            chrome: Chrome::anonymous(),
            next: next.clone(),
            email: f.email.clone(),
            problem: Some(problem),
        });
        *r.status_mut() = status;
        r
    };
    match outcome {
        LoginOutcome::Success { session, .. } => {
            if let Some(old) = session_cookie(&headers) {
                let _ = access.logout(old).await;
            }
            let secure = secure(&state, &uri);
            let (name, flags) = if secure {
                (SECURE_SESSION_COOKIE, "; Secure")
            } else {
                (SESSION_COOKIE, "")
            };
            let cookie = format!(
                "{name}={}; HttpOnly; SameSite=Lax; Path=/{flags}",
                session.cookie_value
            );
            let mut response = see_other(&next);
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        LoginOutcome::Invalid => Ok(again(
            StatusCode::UNAUTHORIZED,
            "Wrong email or password.".into(),
        )),
        LoginOutcome::Throttled { retry_after } => {
            let minutes = retry_after.as_secs().div_ceil(60).max(1);
            let mut r = again(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many login attempts from this address. Try again in {minutes} min, or ask an operator to check the account."
                ),
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(r)
        }
    }
}

/// `POST /logout`: ends the session and forgets the cookie.
pub async fn logout(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebForm(f): WebForm<TokenOnly>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    if let Some(cookie) = session_cookie(&headers) {
        state
            .service
            .access()
            .logout(cookie)
            .await
            .map_err(|e| WebError::from(crate::service::ServiceError::Store(e)))?;
    }
    let mut response = see_other("/login");
    for cookie in [
        format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
        format!("{SECURE_SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Secure"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(response.into_response())
}
