//! The questions asked before an action that changes or removes something (restore, apply
//! an ignored update, revoke a token, remove a user): each is a `GET` of the action's own
//! path that says what happens next, with the form that does it; the buttons of the pages
//! lead here rather than acting at once. Deleting an article asks on its own page
//! (`articles::delete_form`).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::articles::RestoreQuery;
use super::views::{Chrome, crumb, here, q, segment, short_date};
use super::{OperatorSession, WebError, WebQuery, WebSession, render};
use crate::access::Role;
use crate::http::AppState;
use crate::model::ArticleStatus;
use crate::service::ServiceError;

/// A question before an action.
#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    chrome: Chrome,
    form_token: String,
    /// "Restore revision 2?"
    heading: String,
    /// What happens next, a sentence each.
    next: Vec<String>,
    /// Why the action cannot be done, when it cannot (no form then).
    refusal: Option<String>,
    /// Where the form posts (query included).
    action: String,
    /// Hidden fields besides the form token.
    fields: Vec<(&'static str, String)>,
    /// The button's words.
    button: String,
    /// Whether the button is red.
    danger: bool,
    /// Where "Cancel" leads.
    cancel_href: String,
}

impl ConfirmPage {
    fn new(session: &WebSession, crumbs: Vec<(String, String)>, heading: String) -> ConfirmPage {
        ConfirmPage {
            chrome: session.chrome(crumbs),
            form_token: session.form_token.clone(),
            heading,
            next: Vec::new(),
            refusal: None,
            action: String::new(),
            fields: Vec::new(),
            button: String::new(),
            danger: false,
            cancel_href: "/".into(),
        }
    }
}

impl ConfirmPage {
    /// Where the form posts, and where "Cancel" leads.
    pub fn set_target(&mut self, action: &str, cancel_href: &str) {
        self.action = action.to_string();
        self.cancel_href = cancel_href.to_string();
    }
}

/// The breadcrumbs of a question about an article.
fn article_crumbs(
    page_id: &str,
    page_name: &str,
    title: &str,
    url: &str,
    step: &str,
) -> Vec<(String, String)> {
    vec![
        crumb("Pages", "/"),
        crumb(page_name, format!("/pages/{}", segment(page_id))),
        crumb(title, format!("/articles?url={}", q(url))),
        here(step),
    ]
}

/// `GET /articles/restore?url=…&revision=N`.
pub async fn restore(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<RestoreQuery>,
) -> Result<Response, WebError> {
    let caller = &session.caller;
    let detail = state.service.article(caller, query.url()).await?;
    let record = &detail.article.record;
    let page = state.service.page(caller, &record.page_id).await?;
    let number = query.revision();
    if !detail.revisions.iter().any(|r| r.number == number) {
        return Err(ServiceError::NotFound(format!("the article has no revision {number}")).into());
    }
    let title = record
        .title
        .clone()
        .unwrap_or_else(|| record.canonical_url.clone());
    let current = detail.article.revision;
    let mut page_view = ConfirmPage::new(
        &session,
        article_crumbs(&page.page_id, &page.name, &title, query.url(), "Restore"),
        format!("Restore revision {number}?"),
    );
    page_view.next = vec![
        format!(
            "Revision {number}'s text becomes revision {}, the current one. Revision {current}, \
             the text now, stays in the history and can be restored in turn.",
            current + 1
        ),
        if record.status == ArticleStatus::Live {
            "The article is live: readers see the restored text at once.".to_string()
        } else {
            "The article is a draft: readers see nothing until it is published.".to_string()
        },
        "A later feed run that carries a newer op-modified replaces it as usual.".to_string(),
    ];
    page_view.action = format!("/articles/restore?url={}&revision={number}", q(query.url()));
    page_view.button = format!("Restore revision {number}");
    page_view.cancel_href = format!("/articles?url={}", q(query.url()));
    Ok(render(&page_view))
}

/// `?url=`.
#[derive(Deserialize)]
pub struct UrlOnly {
    url: String,
}

/// `GET /articles/ignored/apply?url=…`.
pub async fn apply_ignored(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<UrlOnly>,
) -> Result<Response, WebError> {
    let caller = &session.caller;
    let detail = state.service.article(caller, &query.url).await?;
    let record = &detail.article.record;
    let page = state.service.page(caller, &record.page_id).await?;
    let ignored = state.service.ignored(caller, &query.url).await?;
    let title = record
        .title
        .clone()
        .unwrap_or_else(|| record.canonical_url.clone());
    let offered = ignored
        .op_modified
        .map(|t| format!(" (op-modified {})", short_date(t)))
        .unwrap_or_default();
    let current = detail.article.revision;
    let mut view = ConfirmPage::new(
        &session,
        article_crumbs(
            &page.page_id,
            &page.name,
            &title,
            &query.url,
            "Apply the feed's version",
        ),
        if ignored.predates_manual_version {
            "Replace your version with the feed's?".to_string()
        } else {
            "Apply the feed's version?".to_string()
        },
    );
    if ignored.predates_manual_version {
        view.next = vec![
            format!(
                "The feed's version{offered} is the text from before the version written here \
                 by hand: applying it undoes that version."
            ),
            format!(
                "It becomes revision {}; revision {current}, your version, stays in the history \
                 and can be restored.",
                current + 1
            ),
            "To change what the feed carries, change the article in your CMS.".to_string(),
        ];
        view.button = "Replace with the feed's version".into();
        view.danger = true;
    } else {
        view.next = vec![
            format!(
                "The feed's version{offered} becomes revision {}; revision {current}, the text \
                 now, stays in the history and can be restored.",
                current + 1
            ),
            if record.status == ArticleStatus::Live {
                "The article is live: readers see the feed's version at once.".to_string()
            } else {
                "The article is a draft: readers see nothing until it is published.".to_string()
            },
        ];
        view.button = "Apply the feed's version".into();
    }
    view.action = format!("/articles/ignored/apply?url={}", q(&query.url));
    view.cancel_href = format!("/articles?url={}", q(&query.url));
    Ok(render(&view))
}

/// `?id=`.
#[derive(Deserialize)]
pub struct IdQuery {
    id: i64,
}

/// `GET /admin/tokens/revoke?id=N` (operators).
pub async fn revoke_token(
    State(state): State<AppState>,
    OperatorSession(session): OperatorSession,
    WebQuery(query): WebQuery<IdQuery>,
) -> Result<Response, WebError> {
    let tokens = state
        .service
        .access()
        .tokens(None)
        .await
        .map_err(ServiceError::Store)?;
    let token = tokens
        .iter()
        .find(|t| t.id == query.id && t.revoked_at.is_none())
        .ok_or_else(|| ServiceError::NotFound("no such token, or it is revoked".into()))?;
    let mut view = revoke_question(
        &session,
        vec![crumb("Users", "/admin/users"), here("Revoke a token")],
        token,
    );
    view.set_target("/admin/tokens/revoke", "/admin/users");
    Ok(render(&view))
}

/// The question before a token is revoked.
pub fn revoke_question(
    session: &WebSession,
    crumbs: Vec<(String, String)>,
    token: &crate::access::TokenInfo,
) -> ConfirmPage {
    let name = token
        .name
        .as_deref()
        .map(|n| format!(" “{n}”"))
        .unwrap_or_default();
    let mut view = ConfirmPage::new(
        session,
        crumbs,
        format!("Revoke token #{}{name} of {}?", token.id, token.user_email),
    );
    view.next = vec![
        "Every program that sends it is refused (401) from now on.".to_string(),
        "A revoked token never works again: a program that still needs access gets a new \
         token."
            .to_string(),
    ];
    view.fields = vec![("id", token.id.to_string())];
    view.button = "Revoke for good".into();
    view.danger = true;
    view
}

/// `?email=`.
#[derive(Deserialize)]
pub struct EmailQuery {
    email: String,
}

/// `GET /admin/users/remove?email=…` (operators): no one removes themselves, and the last
/// operator stays.
pub async fn remove_user(
    State(state): State<AppState>,
    OperatorSession(session): OperatorSession,
    WebQuery(query): WebQuery<EmailQuery>,
) -> Result<Response, WebError> {
    let access = state.service.access();
    let users = access.users().await.map_err(ServiceError::Store)?;
    let wanted = query.email.trim().to_lowercase();
    let user = users
        .iter()
        .find(|u| u.email == wanted)
        .ok_or_else(|| ServiceError::NotFound("no such user".into()))?;
    let operators = users.iter().filter(|u| u.role == Role::Operator).count();
    let mut view = ConfirmPage::new(
        &session,
        vec![crumb("Users", "/admin/users"), here("Remove a user")],
        format!("Remove {}?", user.email),
    );
    view.cancel_href = "/admin/users".into();
    if session.caller.user_id == Some(user.id) {
        view.refusal = Some("You cannot remove yourself; another operator can.".into());
    } else if user.role == Role::Operator && operators <= 1 {
        view.refusal = Some(format!(
            "{} is the last operator: make another user an operator first.",
            user.email
        ));
    } else {
        view.next = vec![
            "Their sessions end and their API tokens stop working at once.".to_string(),
            "Their articles, revisions and audit entries stay.".to_string(),
            "This cannot be undone: an operator can add them again, with a new password."
                .to_string(),
        ];
        view.action = "/admin/users/remove".into();
        view.fields = vec![("email", user.email.clone())];
        view.button = "Remove for good".into();
        view.danger = true;
    }
    Ok(render(&view))
}
