//! `/account`: the signed-in user's own password, API tokens and sessions.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::confirm::revoke_question;
use super::views::{Chrome, Time, crumb, here};
use super::{TokenOnly, WebError, WebForm, WebQuery, WebSession, render, see_other};
use crate::access::{AccessError, MIN_PASSWORD_CHARS};
use crate::http::AppState;
use crate::service::ServiceError;
use crate::store::EmailMode;

/// A token of one's own.
pub struct OwnToken {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Created.
    pub created: Time,
    /// Last used.
    pub last_used: Option<Time>,
    /// Revoked.
    pub revoked: Option<Time>,
}

/// A session of one's own.
pub struct OwnSession {
    /// This browser's.
    pub current: bool,
    /// Signed in.
    pub created: Time,
    /// Last used.
    pub last_seen: Time,
    /// From.
    pub address: String,
}

/// One page's e-mail setting as the account page shows it.
pub struct EmailRow {
    /// The page.
    pub page_id: String,
    /// Its name.
    pub name: String,
    /// `off`, `immediate` or `digest`.
    pub mode: &'static str,
}

/// The account page.
#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    chrome: Chrome,
    form_token: String,
    email: String,
    role: &'static str,
    min_password: usize,
    flash: Option<String>,
    problem: Option<String>,
    new_token: Option<String>,
    tokens: Vec<OwnToken>,
    sessions: Vec<OwnSession>,
    /// Each page's e-mail setting; none when e-mail is off.
    email_settings: Option<Vec<EmailRow>>,
}

/// `?done=`.
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn account_page(
    state: &AppState,
    session: &WebSession,
    flash: Option<String>,
    problem: Option<String>,
    new_token: Option<String>,
) -> Result<AccountPage, WebError> {
    let caller = &session.caller;
    let access = state.service.access();
    let tokens = access
        .tokens(Some(&caller.email))
        .await
        .map_err(ServiceError::Store)?;
    let sessions = access
        .own_sessions(caller, &session.session_id)
        .await
        .map_err(ServiceError::from)?;
    let email_settings = if state.service.email_enabled() {
        let settings = state.service.email_settings(caller).await?;
        Some(
            settings
                .into_iter()
                .map(|s| EmailRow {
                    page_id: s.page_id,
                    name: s.name,
                    mode: s.mode.map(|m| m.as_str()).unwrap_or("off"),
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(AccountPage {
        chrome: session.chrome(vec![crumb("Pages", "/"), here("Your account")]),
        form_token: session.form_token.clone(),
        email: caller.email.clone(),
        role: caller.role.as_str(),
        min_password: MIN_PASSWORD_CHARS,
        flash,
        problem,
        new_token,
        tokens: tokens
            .iter()
            .map(|t| OwnToken {
                id: t.id,
                name: t.name.clone().unwrap_or_default(),
                created: Time::from(crate::model::Timestamp(t.created_at)),
                last_used: Time::of_ms(t.last_used_at),
                revoked: Time::of_ms(t.revoked_at),
            })
            .collect(),
        sessions: sessions
            .iter()
            .map(|s| OwnSession {
                current: s.current,
                created: Time::from(crate::model::Timestamp(s.created_at)),
                last_seen: Time::from(crate::model::Timestamp(s.last_seen_at)),
                address: s.address.clone().unwrap_or_default(),
            })
            .collect(),
        email_settings,
    })
}

fn done_message(done: &str) -> String {
    match done {
        "password" => "Password changed. Your other sessions are signed out.".into(),
        "revoked" => "Token revoked.".into(),
        "sessions" => "Your other sessions are signed out.".into(),
        "email" => "E-mail setting saved.".into(),
        _ => "Done.".into(),
    }
}

/// `GET /account`.
pub async fn show(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<DoneQuery>,
) -> Result<Response, WebError> {
    let flash = query.done.as_deref().map(done_message);
    Ok(render(
        &account_page(&state, &session, flash, None, None).await?,
    ))
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    form_token: String,
    current: String,
    new: String,
    repeat: String,
}

/// `POST /account/password`.
pub async fn password(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebForm(f): WebForm<PasswordForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    let problem = if f.new != f.repeat {
        Some("The new password and its repetition differ.".to_string())
    } else {
        match state
            .service
            .access()
            .change_own_password(&session.caller, &f.current, &f.new, &session.session_id)
            .await
        {
            Ok(()) => return Ok(see_other("/account?done=password")),
            Err(AccessError::Invalid(why)) => Some(format!("Not changed: {why}.")),
            Err(e) => return Err(ServiceError::from(e).into()),
        }
    };
    let page = account_page(&state, &session, None, problem, None).await?;
    let mut response = render(&page);
    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// The create-token form.
#[derive(Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    name: String,
}

/// `POST /account/tokens`: the account page with the new token, shown this once.
pub async fn create_token(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebForm(f): WebForm<NewTokenForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    let name = f.name.trim();
    let (info, token) = state
        .service
        .access()
        .create_token(
            &session.caller,
            &session.caller.email,
            (!name.is_empty()).then_some(name),
        )
        .await
        .map_err(ServiceError::from)?;
    let page = account_page(
        &state,
        &session,
        Some(format!("Token {} created.", info.id)),
        None,
        Some(token),
    )
    .await?;
    let mut response = render(&page);
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `?id=`.
#[derive(Deserialize)]
pub struct IdQuery {
    id: i64,
}

/// `GET /account/tokens/revoke?id=N`: the question first.
pub async fn revoke_form(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<IdQuery>,
) -> Result<Response, WebError> {
    let tokens = state
        .service
        .access()
        .tokens(Some(&session.caller.email))
        .await
        .map_err(ServiceError::Store)?;
    let token = tokens
        .iter()
        .find(|t| t.id == query.id && t.revoked_at.is_none())
        .ok_or_else(|| ServiceError::NotFound("no such token, or it is revoked".into()))?;
    let mut view = revoke_question(
        &session,
        vec![
            crumb("Pages", "/"),
            crumb("Your account", "/account"),
            here("Revoke a token"),
        ],
        token,
    );
    view.set_target("/account/tokens/revoke", "/account");
    Ok(render(&view))
}

/// The revoke form.
#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    form_token: String,
    id: i64,
}

/// `POST /account/tokens/revoke`: one's own tokens only.
pub async fn revoke(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebForm(f): WebForm<RevokeForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    let own = state
        .service
        .access()
        .tokens(Some(&session.caller.email))
        .await
        .map_err(ServiceError::Store)?
        .iter()
        .any(|t| t.id == f.id);
    if !own {
        return Err(ServiceError::NotFound("no such token".into()).into());
    }
    state
        .service
        .access()
        .revoke_token(&session.caller, f.id)
        .await
        .map_err(ServiceError::from)?;
    Ok(see_other("/account?done=revoked"))
}

/// `POST /account/sessions/end-others`.
pub async fn end_other_sessions(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebForm(f): WebForm<TokenOnly>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    state
        .service
        .access()
        .end_other_sessions(&session.caller, &session.session_id)
        .await
        .map_err(ServiceError::from)?;
    Ok(see_other("/account?done=sessions"))
}

/// The e-mail setting form of one page.
#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    form_token: String,
    page: String,
    mode: String,
}

/// `POST /account/email`: how the user wants one page's events by e-mail.
pub async fn email(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebForm(f): WebForm<EmailForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    if !state.service.email_enabled() {
        return Err(ServiceError::NotFound("e-mail is off on this server".into()).into());
    }
    let mode = match f.mode.as_str() {
        "off" => None,
        other => Some(EmailMode::parse(other).ok_or_else(|| {
            ServiceError::BadRequest(format!("`{other}` is not off, immediate or digest"))
        })?),
    };
    state
        .service
        .set_email_setting(&session.caller, &f.page, mode)
        .await?;
    Ok(see_other("/account?done=email"))
}
