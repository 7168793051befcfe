//! `/rules`, `/rules/{id}`, `/audit` and `/admin/users` (users, memberships, tokens).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::views::{Chrome, Time, crumb, here, q};
use super::{OperatorSession, WebError, WebForm, WebQuery, WebSession, render, see_other};
use crate::access::Role;
use crate::http::AppState;
use crate::service::views::RuleView;
use crate::service::{ServiceError, checks, decode_id_cursor, encode_id_cursor};

/// A rule as the list shows it.
pub struct RuleRow {
    /// Id.
    pub id: String,
    /// `error` or `warning`.
    pub severity: String,
    /// `feed`, `item`, `article`, `update`.
    pub scope: String,
    /// One line.
    pub summary_html: String,
}

/// Every rule.
#[derive(Template)]
#[template(path = "rules.html")]
pub struct RulesPage {
    chrome: Chrome,
    rules: Vec<RuleRow>,
}

impl From<&RuleView> for RuleRow {
    fn from(r: &RuleView) -> RuleRow {
        RuleRow {
            id: r.id.as_str().to_string(),
            severity: r.severity.as_str().to_string(),
            scope: format!("{:?}", r.scope).to_lowercase(),
            summary_html: super::views::code_spans(r.summary),
        }
    }
}

/// `GET /rules`.
pub async fn rules(session: WebSession) -> Response {
    let rules = checks::rules().iter().map(RuleRow::from).collect();
    render(&RulesPage {
        chrome: session.chrome(vec![here("Rules")]),
        rules,
    })
}

/// One rule.
#[derive(Template)]
#[template(path = "rule.html")]
pub struct RulePage {
    chrome: Chrome,
    rule: RuleRow,
    /// The rule's documentation, rendered from its Markdown.
    doc_html: String,
}

/// `GET /rules/{id}`.
pub async fn rule(session: WebSession, Path(id): Path<String>) -> Result<Response, WebError> {
    let r = checks::rule(&id)?;
    let row = RuleRow::from(&r);
    Ok(render(&RulePage {
        chrome: session.chrome(vec![crumb("Rules", "/rules"), here(row.id.clone())]),
        doc_html: super::markdown::to_html(r.doc.unwrap_or_default()),
        rule: row,
    }))
}

/// An audit row.
pub struct AuditRow {
    /// When.
    pub at: Option<Time>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub object: String,
    /// Page.
    pub page: String,
    /// From where.
    pub address: String,
    /// Anything else.
    pub detail: String,
}

/// The audit log.
#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditRow>,
    next: Option<String>,
}

/// `?cursor=`.
#[derive(Deserialize)]
pub struct CursorQuery {
    cursor: Option<String>,
}

/// Audit rows per screen.
const AUDIT_SCREEN: i64 = 100;

/// `GET /audit` (operators).
pub async fn audit(
    State(state): State<AppState>,
    OperatorSession(session): OperatorSession,
    WebQuery(query): WebQuery<CursorQuery>,
) -> Result<Response, WebError> {
    state
        .service
        .require_operator(&session.caller, "read the audit log")?;
    let before = decode_id_cursor(query.cursor.as_deref())?;
    let mut entries = state
        .service
        .access()
        .audit_log(before, AUDIT_SCREEN + 1)
        .await
        .map_err(ServiceError::Store)?;
    let more = entries.len() as i64 > AUDIT_SCREEN;
    entries.truncate(AUDIT_SCREEN as usize);
    let next = more
        .then(|| {
            entries
                .last()
                .map(|e| format!("/audit?cursor={}", q(&encode_id_cursor(e.id))))
        })
        .flatten();
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            at: Time::of_ms(Some(e.at)),
            actor: e.actor,
            action: e.action,
            object: e.object.unwrap_or_default(),
            page: e.page_id.unwrap_or_default(),
            address: e.address.unwrap_or_default(),
            detail: e.detail.unwrap_or_default(),
        })
        .collect();
    Ok(render(&AuditPage {
        chrome: session.chrome(vec![here("Audit")]),
        rows,
        next,
    }))
}

/// A user as the admin page lists them.
pub struct UserRow {
    /// E-mail address.
    pub email: String,
    /// `operator` or `publisher`.
    pub role: &'static str,
    /// Pages (publishers).
    pub pages: Vec<String>,
    /// Tokens.
    pub tokens: Vec<TokenRow>,
    /// The address, for a query.
    pub email_q: String,
    /// Whether the signed-in operator may remove the user (not themselves, not the last
    /// operator).
    pub removable: bool,
    /// Why not, when not.
    pub kept_why: &'static str,
}

/// A token as listed (never its value).
pub struct TokenRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Created.
    pub created: Option<Time>,
    /// Last used.
    pub last_used: Option<Time>,
    /// Revoked.
    pub revoked: Option<Time>,
}

/// The users page.
#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    chrome: Chrome,
    form_token: String,
    users: Vec<UserRow>,
    flash: Option<String>,
    new_token: Option<(String, String)>,
}

/// `?done=`.
#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn users_page(
    state: &AppState,
    session: &WebSession,
    flash: Option<String>,
    new_token: Option<(String, String)>,
) -> Result<UsersPage, WebError> {
    state
        .service
        .require_operator(&session.caller, "manage users")?;
    let access = state.service.access();
    let users = access.users().await.map_err(ServiceError::Store)?;
    let tokens = access.tokens(None).await.map_err(ServiceError::Store)?;
    let operators = users.iter().filter(|u| u.role == Role::Operator).count();
    let users = users
        .into_iter()
        .map(|u| {
            let me = session.caller.user_id == Some(u.id);
            let last_operator = u.role == Role::Operator && operators <= 1;
            UserRow {
                email_q: q(&u.email),
                removable: !me && !last_operator,
                kept_why: if me {
                    "you (another operator can remove you)"
                } else if last_operator {
                    "the last operator"
                } else {
                    ""
                },
                tokens: tokens
                    .iter()
                    .filter(|t| t.user_email == u.email)
                    .map(|t| TokenRow {
                        id: t.id,
                        name: t.name.clone().unwrap_or_default(),
                        created: Time::of_ms(Some(t.created_at)),
                        last_used: Time::of_ms(t.last_used_at),
                        revoked: Time::of_ms(t.revoked_at),
                    })
                    .collect(),
                role: u.role.as_str(),
                email: u.email,
                pages: u.pages,
            }
        })
        .collect();
    Ok(UsersPage {
        chrome: session.chrome(vec![here("Users")]),
        form_token: session.form_token.clone(),
        users,
        flash,
        new_token,
    })
}

/// `GET /admin/users` (operators).
pub async fn users(
    State(state): State<AppState>,
    OperatorSession(session): OperatorSession,
    WebQuery(query): WebQuery<DoneQuery>,
) -> Result<Response, WebError> {
    let flash = query.done.map(|d| match d.as_str() {
        "added" => "User added.".to_string(),
        "removed" => "User removed.".to_string(),
        "pages" => "Memberships changed.".to_string(),
        "revoked" => "Token revoked.".to_string(),
        _ => "Done.".to_string(),
    });
    Ok(render(&users_page(&state, &session, flash, None).await?))
}

/// The add-user form.
#[derive(Deserialize)]
pub struct AddUserForm {
    #[serde(default)]
    form_token: String,
    email: String,
    password: String,
    role: String,
    #[serde(default)]
    pages: String,
}

/// `POST /admin/users`.
pub async fn add_user(
    State(state): State<AppState>,
    OperatorSession(session): OperatorSession,
    headers: HeaderMap,
    WebForm(f): WebForm<AddUserForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    let role: Role = f.role.parse()?;
    let pages: Vec<String> = f
        .pages
        .split([',', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    state
        .service
        .access()
        .add_user(&session.caller, &f.email, &f.password, role, &pages)
        .await?;
    Ok(see_other("/admin/users?done=added"))
}

/// A form naming a user.
#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    form_token: String,
    email: String,
}

/// `POST /admin/users/remove`.
pub async fn remove_user(
    State(state): State<AppState>,
    OperatorSession(session): OperatorSession,
    headers: HeaderMap,
    WebForm(f): WebForm<EmailForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    state
        .service
        .access()
        .remove_user(&session.caller, &f.email)
        .await?;
    Ok(see_other("/admin/users?done=removed"))
}

/// A membership change.
#[derive(Deserialize)]
pub struct UserPageForm {
    #[serde(default)]
    form_token: String,
    email: String,
    page: String,
    action: String,
}

/// `POST /admin/users/pages`: `action=add|remove`.
pub async fn user_page(
    State(state): State<AppState>,
    OperatorSession(session): OperatorSession,
    headers: HeaderMap,
    WebForm(f): WebForm<UserPageForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    let access = state.service.access();
    let page = f.page.trim();
    match f.action.as_str() {
        "add" => {
            access
                .add_user_page(&session.caller, &f.email, page)
                .await?;
        }
        "remove" => {
            access
                .remove_user_page(&session.caller, &f.email, page)
                .await?;
        }
        other => {
            return Err(ServiceError::BadRequest(format!("`{other}`: add or remove")).into());
        }
    }
    Ok(see_other("/admin/users?done=pages"))
}

/// The create-token form.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    form_token: String,
    email: String,
    #[serde(default)]
    name: String,
}

/// `POST /admin/tokens`: the users page with the new token, shown this once.
pub async fn create_token(
    State(state): State<AppState>,
    OperatorSession(session): OperatorSession,
    headers: HeaderMap,
    WebForm(f): WebForm<TokenForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    state
        .service
        .require_operator(&session.caller, "manage users")?;
    let name = f.name.trim();
    let (info, token) = state
        .service
        .access()
        .create_token(
            &session.caller,
            &f.email,
            (!name.is_empty()).then_some(name),
        )
        .await?;
    let page = users_page(
        &state,
        &session,
        Some(format!(
            "Token {} created for {}.",
            info.id, info.user_email
        )),
        Some((info.user_email, token)),
    )
    .await?;
    let mut response = render(&page);
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// A form naming a token.
#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    form_token: String,
    id: i64,
}

/// `POST /admin/tokens/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    OperatorSession(session): OperatorSession,
    headers: HeaderMap,
    WebForm(f): WebForm<RevokeForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    state
        .service
        .access()
        .revoke_token(&session.caller, f.id)
        .await?;
    Ok(see_other("/admin/users?done=revoked"))
}
