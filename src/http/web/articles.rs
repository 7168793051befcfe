//! `/articles?url=…`: one article with its diagnostics (source excerpts), pending ignored
//! update, revisions, actions and a sandboxed preview; the diff, edit and delete pages.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::views::{
    Chrome, DiagnosticView, DiffLine, Time, code_spans, count, crumb, diff_lines, here, q, segment,
    short_date, unified,
};
use super::{PREVIEW_CSP, TokenOnly, WebError, WebForm, WebQuery, WebSession, render, see_other};
use crate::http::AppState;
use crate::model::ArticleStatus;
use crate::registry::Severity;
use crate::service::ServiceError;
use crate::service::views::{ArticleDetail, RejectedVersionView};
use crate::store::FeedKind;

/// `?url=`.
#[derive(Deserialize)]
pub struct UrlQuery {
    url: String,
    done: Option<String>,
}

/// A revision as the table lists it.
pub struct RevisionRow {
    /// Its number.
    pub number: i64,
    /// `feed`, `import`, `manual`, `restore`.
    pub source: String,
    /// Who wrote it.
    pub author: Option<String>,
    /// Status when applied.
    pub status: String,
    /// Its op-modified.
    pub op_modified: Option<Time>,
    /// When applied.
    pub created: Option<Time>,
    /// The current revision.
    pub current: bool,
    /// Diff from it to the current revision.
    pub diff_href: String,
}

/// The pending ignored update.
pub struct IgnoredView {
    /// The rule that refused it.
    pub rule: String,
    /// The reason in words.
    pub reason: &'static str,
    /// The rule's message (HTML: escaped, code spans).
    pub message_html: String,
    /// The stored version's op-modified.
    pub stored_op_modified: Option<Time>,
    /// The incoming one's.
    pub incoming_op_modified: Option<Time>,
    /// When the feed offered it.
    pub seen: Option<Time>,
    /// Stored → incoming.
    pub diff: Vec<DiffLine>,
    /// Whether it is not newer than a version a person wrote.
    pub predates_manual: bool,
}

fn reason(rule: &str) -> &'static str {
    match rule {
        "update-not-newer" => {
            "The feed offered a version whose op-modified time is not newer than the stored version's, so the feed run kept the stored version."
        }
        "update-outside-24h-window" => {
            "The feed offered a version whose op-modified time is more than 24 hours after the stored version's, so the feed run kept the stored version: apply it here if it is the one readers should see."
        }
        "update-missing-op-modified" => {
            "The feed offered a version without an op-modified time, so it could not be ordered against the stored version."
        }
        _ => "A feed run refused this version of the article.",
    }
}

/// A version a feed carries that its latest run rejected.
pub struct RejectedView {
    /// "production" or "development".
    pub feed: &'static str,
    /// The run that read it, and its page.
    pub run_id: i64,
    /// `/pages/{id}/runs/{run}`.
    pub run_href: String,
    /// When that run read it.
    pub seen: Time,
    /// Its op-modified.
    pub op_modified: Option<Time>,
    /// "1 error, 2 warnings".
    pub counts: String,
    /// Its diagnostics, errors first, with the feed's lines around each.
    pub diagnostics: Vec<DiagnosticView>,
}

impl RejectedView {
    fn of(page_id: &str, v: &RejectedVersionView) -> RejectedView {
        let errors = v
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .count();
        let warnings = v.diagnostics.len() - errors;
        RejectedView {
            feed: v.feed.as_str(),
            run_id: v.run_id,
            run_href: format!("/pages/{}/runs/{}", segment(page_id), v.run_id),
            seen: Time::from(v.seen_at),
            op_modified: Time::of(v.op_modified),
            counts: format!(
                "{}, {}",
                count(errors as i64, "error", "errors"),
                count(warnings as i64, "warning", "warnings")
            ),
            diagnostics: v
                .diagnostics
                .iter()
                .zip(
                    v.excerpts
                        .iter()
                        .cloned()
                        .chain(std::iter::repeat(Vec::new())),
                )
                .map(|(d, e)| DiagnosticView::with_excerpt(d, e))
                .collect(),
        }
    }
}

/// The article page's verdict: what a reader gets and why, in one sentence.
fn verdict(detail: &ArticleDetail) -> (&'static str, String) {
    let record = &detail.article.record;
    let stored = record
        .op_modified
        .or(record.op_published)
        .unwrap_or(record.updated_at);
    let live = record.status == ArticleStatus::Live;
    let (lead, class) = if live {
        ("Live.", "ok")
    } else {
        (
            "Draft: readers do not see it until it is published.",
            "none",
        )
    };
    let readers = if live {
        format!("readers see the version of {}", short_date(stored))
    } else {
        format!("the draft keeps the version of {}", short_date(stored))
    };
    let rejected = detail
        .rejected_versions
        .iter()
        .find(|v| v.feed == FeedKind::Production)
        .or(detail.rejected_versions.first());
    if let Some(v) = rejected {
        let mut rules: Vec<&str> = v
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .map(|d| d.rule.as_str())
            .collect();
        rules.dedup();
        let when = v
            .op_modified
            .map(|t| format!(" (op-modified {})", short_date(t)))
            .unwrap_or_default();
        return (
            "error",
            format!(
                "{lead} The {} feed's newest version{when} was rejected: {} — {readers}.",
                v.feed.as_str(),
                rules.join(", ")
            ),
        );
    }
    if let Some(i) = &detail.pending_ignored_update {
        return (
            "warning",
            format!(
                "{lead} The feed offers a newer version that was not applied ({}) — {readers}.",
                i.rule.as_str()
            ),
        );
    }
    if live {
        (
            class,
            format!(
                "{lead} Readers see the stored version, revision {}.",
                detail.article.revision
            ),
        )
    } else {
        (class, lead.to_string())
    }
}

/// The article page.
#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticlePage {
    chrome: Chrome,
    form_token: String,
    url: String,
    url_q: String,
    title: String,
    status: String,
    revision: i64,
    op_published: Option<Time>,
    op_modified: Option<Time>,
    first_ingested: Option<Time>,
    updated: Option<Time>,
    seen_counts: String,
    verdict: String,
    verdict_class: &'static str,
    rejected: Vec<RejectedView>,
    diagnostics: Vec<DiagnosticView>,
    ignored: Option<IgnoredView>,
    revisions: Vec<RevisionRow>,
    flash: Option<&'static str>,
}

fn done_message(done: &str) -> &'static str {
    match done {
        "saved" => "Saved as a new revision.",
        "published" => "The article is live.",
        "restored" => "Restored as a new revision.",
        "applied" => "The ignored update is applied as a new revision.",
        _ => "Done.",
    }
}

fn crumbs_for(page_id: &str, page_name: &str, title: &str) -> Vec<(String, String)> {
    vec![
        crumb("Pages", "/"),
        crumb(page_name, format!("/pages/{}", segment(page_id))),
        here(title),
    ]
}

/// `GET /articles?url=…`.
pub async fn show(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<UrlQuery>,
) -> Result<Response, WebError> {
    let caller = &session.caller;
    let detail = state.service.article(caller, &query.url).await?;
    let view = &detail.article;
    let article = &view.record;
    let url = article.canonical_url.clone();
    let page = state.service.page(caller, &article.page_id).await?;
    let html = &detail.html;
    let title = article
        .title
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| url.clone());
    let revision = view.revision;
    let url_q = q(&url);
    let diagnostics = detail
        .diagnostics
        .iter()
        .map(|d| DiagnosticView::of(d, Some(html)))
        .collect();
    let ignored = if detail.pending_ignored_update.is_none() {
        None
    } else {
        match state.service.ignored(caller, &url).await {
            Ok(i) => Some(IgnoredView {
                predates_manual: i.predates_manual_version,
                reason: reason(i.rule.as_str()),
                message_html: code_spans(&i.message),
                stored_op_modified: Time::of(i.stored_op_modified),
                incoming_op_modified: Time::of(i.op_modified),
                seen: Some(Time::from(i.created_at)),
                diff: diff_lines(&unified(
                    html,
                    i.html.as_deref().unwrap_or_default(),
                    "stored",
                    "incoming",
                )),
                rule: i.rule.as_str().to_string(),
            }),
            Err(ServiceError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        }
    };
    let mut revisions: Vec<RevisionRow> = detail
        .revisions
        .iter()
        .map(|r| RevisionRow {
            number: r.number,
            source: r.source.as_str().to_string(),
            author: r.author.clone(),
            status: r.status.as_str().to_string(),
            op_modified: Time::of(r.op_modified),
            created: Some(Time::from(r.created_at)),
            current: r.number == revision,
            diff_href: format!("/articles/diff?url={url_q}&from={}&to={revision}", r.number),
        })
        .collect();
    revisions.sort_by_key(|r| std::cmp::Reverse(r.number));
    let (verdict_class, verdict) = verdict(&detail);
    Ok(render(&ArticlePage {
        chrome: session.chrome(crumbs_for(&article.page_id, &page.name, &title)),
        form_token: session.form_token.clone(),
        url_q,
        url,
        title,
        status: article.status.as_str().to_string(),
        revision,
        op_published: Time::of(article.op_published),
        op_modified: Time::of(article.op_modified),
        first_ingested: Some(Time::from(article.first_ingested_at)),
        updated: Some(Time::from(article.updated_at)),
        seen_counts: format!(
            "{}, {}",
            count(view.errors, "error", "errors"),
            count(view.warnings, "warning", "warnings")
        ),
        verdict,
        verdict_class,
        rejected: detail
            .rejected_versions
            .iter()
            .map(|v| RejectedView::of(&article.page_id, v))
            .collect(),
        diagnostics,
        ignored,
        revisions,
        flash: query.done.as_deref().map(done_message),
    }))
}

/// `GET /articles/preview?url=…`: the stored HTML alone, in a sandbox (no script, no
/// same-origin), framed only by iarss's own pages.
pub async fn preview(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<UrlQuery>,
) -> Result<Response, WebError> {
    let (article, _) = state
        .service
        .visible_article(&session.caller, &query.url)
        .await?;
    // The article as stored, then a stylesheet with an Instant Article's look (appended,
    // so the document's own doctype still comes first).
    let mut document = article.html.unwrap_or_default();
    document.push_str(INSTANT_ARTICLE_LOOK);
    let mut response = Html(document).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PREVIEW_CSP),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(response)
}

/// The preview's stylesheet: an Instant Article's reading column and type (serif text, a
/// sans-serif header, full-width figures, small grey captions and credits).
const INSTANT_ARTICLE_LOOK: &str = "\n<style id=\"ia-look\">\
body{margin:0;background:#fff;color:#1d2129;font:18px/1.6 Georgia,'Times New Roman',serif}\
article{display:block;max-width:640px;margin:0 auto;padding:24px 20px 48px}\
header h1{font:700 30px/1.25 -apple-system,'Helvetica Neue',Helvetica,Arial,sans-serif;margin:0 0 8px}\
header h2{font:400 20px/1.35 -apple-system,'Helvetica Neue',Helvetica,Arial,sans-serif;color:#4b4f56;margin:0 0 8px}\
header time,header address,header .op-kicker{display:block;font:13px/1.5 -apple-system,Helvetica,Arial,sans-serif;color:#90949c}\
figure{margin:24px -20px}figure img,figure video,figure iframe{display:block;width:100%;height:auto;border:0}\
figcaption,cite{display:block;font:13px/1.4 -apple-system,Helvetica,Arial,sans-serif;color:#90949c;padding:6px 20px;font-style:normal}\
blockquote{border-left:3px solid #1d2129;margin:24px 0;padding-left:16px;font-style:italic}\
aside{display:block;font:24px/1.4 -apple-system,Helvetica,Arial,sans-serif;text-align:center;margin:28px 0}\
h2{font:700 22px/1.3 -apple-system,Helvetica,Arial,sans-serif}\
footer{display:block;font:13px/1.5 -apple-system,Helvetica,Arial,sans-serif;color:#90949c;border-top:1px solid #e9ebee;margin-top:32px;padding-top:12px}\
</style>\n";

/// `?url=&from=&to=`.
#[derive(Deserialize)]
pub struct DiffQuery {
    url: String,
    from: i64,
    to: i64,
}

/// The diff page.
#[derive(Template)]
#[template(path = "diff.html")]
pub struct DiffPage {
    chrome: Chrome,
    article_href: String,
    from: i64,
    to: i64,
    lines: Vec<DiffLine>,
}

/// `GET /articles/diff?url=…&from=N&to=M`.
pub async fn diff(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<DiffQuery>,
) -> Result<Response, WebError> {
    let diff = state
        .service
        .diff(&session.caller, &query.url, query.from, query.to)
        .await?;
    let (article, page) = state
        .service
        .visible_article(&session.caller, &query.url)
        .await?;
    let title = article.title.clone().unwrap_or_else(|| query.url.clone());
    let article_href = format!("/articles?url={}", q(&query.url));
    let mut crumbs = crumbs_for(&page.id, &page.name, &title);
    if let Some(last) = crumbs.last_mut() {
        last.1 = article_href.clone();
    }
    crumbs.push(here(format!("Revision {} → {}", query.from, query.to)));
    Ok(render(&DiffPage {
        chrome: session.chrome(crumbs),
        article_href,
        from: query.from,
        to: query.to,
        lines: diff_lines(&diff),
    }))
}

/// The editor.
#[derive(Template)]
#[template(path = "edit.html")]
pub struct EditPage {
    chrome: Chrome,
    form_token: String,
    url_q: String,
    domain: String,
    html: String,
    line_numbers: String,
    problems: String,
    diagnostics: Vec<DiagnosticView>,
    problem: Option<String>,
}

fn line_numbers(html: &str) -> String {
    let n = html.lines().count().max(1);
    (1..=n).map(|i| format!("{i}\n")).collect()
}

async fn edit_page(
    state: &AppState,
    session: &WebSession,
    url: &str,
    html: Option<String>,
    diagnostics: Vec<DiagnosticView>,
    problem: Option<String>,
) -> Result<EditPage, WebError> {
    let (article, page) = state.service.visible_article(&session.caller, url).await?;
    let title = article.title.clone().unwrap_or_else(|| url.to_string());
    let html = html.unwrap_or_else(|| article.html.clone().unwrap_or_default());
    let mut crumbs = crumbs_for(&page.id, &page.name, &title);
    if let Some(last) = crumbs.last_mut() {
        last.1 = format!("/articles?url={}", q(url));
    }
    crumbs.push(here("Edit"));
    Ok(EditPage {
        chrome: session.chrome(crumbs),
        form_token: session.form_token.clone(),
        url_q: q(url),
        domain: page.domain.as_str().to_string(),
        line_numbers: line_numbers(&html),
        problems: {
            let errors = diagnostics.iter().filter(|d| d.severity == "error").count() as i64;
            format!(
                "{}, {}",
                count(errors, "error", "errors"),
                count(diagnostics.len() as i64 - errors, "warning", "warnings")
            )
        },
        html,
        diagnostics,
        problem,
    })
}

/// `GET /articles/edit?url=…`.
pub async fn edit_form(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<UrlQuery>,
) -> Result<Response, WebError> {
    let page = edit_page(&state, &session, &query.url, None, Vec::new(), None).await?;
    Ok(render(&page))
}

/// The editor's form.
#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    html_source: String,
}

/// `POST /articles/edit?url=…`: a new revision, or the editor again with the errors (422).
pub async fn edit(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebQuery(query): WebQuery<UrlQuery>,
    WebForm(f): WebForm<EditForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    match state
        .service
        .edit(&session.caller, &query.url, &f.html_source)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/articles?url={}&done=saved",
            q(&query.url)
        ))),
        Err(ServiceError::Unprocessable {
            message,
            diagnostics,
        }) => {
            let views = diagnostics
                .iter()
                .map(|d| DiagnosticView::of(d, Some(&f.html_source)))
                .collect();
            let page = edit_page(
                &state,
                &session,
                &query.url,
                Some(f.html_source),
                views,
                Some(message),
            )
            .await?;
            let mut response = render(&page);
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

/// The delete confirmation.
#[derive(Template)]
#[template(path = "delete.html")]
pub struct DeletePage {
    chrome: Chrome,
    form_token: String,
    url: String,
    url_q: String,
    title: String,
    article_href: String,
}

/// `GET /articles/delete?url=…`.
pub async fn delete_form(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<UrlQuery>,
) -> Result<Response, WebError> {
    let (article, page) = state
        .service
        .visible_article(&session.caller, &query.url)
        .await?;
    let title = article.title.clone().unwrap_or_else(|| query.url.clone());
    let article_href = format!("/articles?url={}", q(&query.url));
    let mut crumbs = crumbs_for(&page.id, &page.name, &title);
    if let Some(last) = crumbs.last_mut() {
        last.1 = article_href.clone();
    }
    crumbs.push(here("Delete"));
    Ok(render(&DeletePage {
        chrome: session.chrome(crumbs),
        form_token: session.form_token.clone(),
        url_q: q(&query.url),
        url: query.url,
        title,
        article_href,
    }))
}

/// `POST /articles/delete?url=…`.
pub async fn delete(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebQuery(query): WebQuery<UrlQuery>,
    WebForm(f): WebForm<TokenOnly>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    let (_, page) = state
        .service
        .visible_article(&session.caller, &query.url)
        .await?;
    state.service.delete(&session.caller, &query.url).await?;
    Ok(see_other(&format!(
        "/pages/{}?done=deleted",
        segment(&page.id)
    )))
}

/// `POST /articles/publish?url=…`.
pub async fn publish(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebQuery(query): WebQuery<UrlQuery>,
    WebForm(f): WebForm<TokenOnly>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    state.service.publish(&session.caller, &query.url).await?;
    Ok(see_other(&format!(
        "/articles?url={}&done=published",
        q(&query.url)
    )))
}

/// `?url=&revision=`.
#[derive(Deserialize)]
pub struct RestoreQuery {
    url: String,
    revision: i64,
}

impl RestoreQuery {
    /// The article.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The revision to restore.
    pub fn revision(&self) -> i64 {
        self.revision
    }
}

/// The answer when a restore or an applied update has errors.
#[derive(Template)]
#[template(path = "refused.html")]
pub struct RefusedPage {
    chrome: Chrome,
    message: String,
    article_href: String,
    diagnostics: Vec<DiagnosticView>,
}

fn refused(
    session: &WebSession,
    url: &str,
    message: String,
    diagnostics: &[crate::model::Diagnostic],
) -> Response {
    let page = RefusedPage {
        chrome: session.chrome(vec![crumb("Pages", "/"), here("Not saved")]),
        message,
        article_href: format!("/articles?url={}", q(url)),
        diagnostics: diagnostics
            .iter()
            .map(|d| DiagnosticView::of(d, None))
            .collect(),
    };
    let mut response = render(&page);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

/// `POST /articles/restore?url=…&revision=N`.
pub async fn restore(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebQuery(query): WebQuery<RestoreQuery>,
    WebForm(f): WebForm<TokenOnly>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    match state
        .service
        .restore(&session.caller, &query.url, query.revision)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/articles?url={}&done=restored",
            q(&query.url)
        ))),
        Err(ServiceError::Unprocessable {
            message,
            diagnostics,
        }) => Ok(refused(&session, &query.url, message, &diagnostics)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /articles/ignored/apply?url=…`.
pub async fn apply_ignored(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebQuery(query): WebQuery<UrlQuery>,
    WebForm(f): WebForm<TokenOnly>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    match state
        .service
        .apply_ignored(&session.caller, &query.url)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/articles?url={}&done=applied",
            q(&query.url)
        ))),
        Err(ServiceError::Unprocessable {
            message,
            diagnostics,
        }) => Ok(refused(&session, &query.url, message, &diagnostics)),
        Err(e) => Err(e.into()),
    }
}
