//! The operator pages: plain, read-only HTML over the store.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use crate::model::rfc3339;
use crate::store::FeedKind;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `s` as one URL path segment: every byte but the unreserved ones percent-encoded.
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn layout(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · iarss</title>\
         <style>body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}\
         td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}}.error{{color:#b00}}\
         .warning{{color:#a60}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    ))
}

fn failure(e: impl std::fmt::Display) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("store error: {e}\n"),
    )
        .into_response()
}

/// Pages shown per screen of the index.
const INDEX_PAGE: i64 = 100;

/// Query of `/`: the id after which the screen starts.
#[derive(Deserialize)]
pub struct IndexQuery {
    after: Option<String>,
}

/// `/`: the pages with each feed's last outcome, a screen at a time (one statement each).
pub async fn index(State(state): State<AppState>, Query(q): Query<IndexQuery>) -> Response {
    let pages = match state
        .store
        .page_overviews(q.after.as_deref(), INDEX_PAGE)
        .await
    {
        Ok(p) => p,
        Err(e) => return failure(e),
    };
    let mut rows = String::new();
    for o in &pages {
        let p = &o.page;
        for (kind, s) in [
            (FeedKind::Production, &o.production),
            (FeedKind::Development, &o.development),
        ] {
            let Some(url) = p.feed(kind) else { continue };
            let s = s.clone().unwrap_or_default();
            rows.push_str(&format!(
                "<tr><td><a href=\"/pages/{link}\">{id}</a></td><td>{domain}</td><td>{enabled}</td><td>{kind}</td>\
                 <td>{url}</td><td>{outcome}</td><td>{failures}</td><td>{next}</td><td class=\"error\">{error}</td></tr>",
                id = escape(&p.id),
                link = path_segment(&p.id),
                domain = escape(p.domain.as_str()),
                enabled = if p.enabled { "enabled" } else { "disabled" },
                kind = kind.as_str(),
                url = escape(&crate::store::mask_url(url)),
                outcome = escape(s.last_outcome.as_deref().unwrap_or("–")),
                failures = s.consecutive_failures,
                next = s.next_due_at.map(rfc3339).unwrap_or_default(),
                error = escape(s.last_error.as_deref().unwrap_or("")),
            ));
        }
    }
    let next = match pages.last() {
        Some(last) if pages.len() as i64 == INDEX_PAGE => format!(
            "<p><a href=\"/?after={}\">Next pages</a></p>",
            path_segment(&last.page.id)
        ),
        _ => String::new(),
    };
    let empty = if pages.is_empty() && q.after.is_none() {
        "<p>No pages yet: add one with <code>iarss pages add</code>.</p>"
    } else {
        ""
    };
    layout(
        "Feeds",
        &format!(
            "{health}{empty}<table><tr><th>page</th><th>domain</th><th></th><th>feed</th><th>URL</th><th>last outcome</th>\
             <th>failures</th><th>next due</th><th>last error</th></tr>{rows}</table>{next}",
            health = store_health(&state)
        ),
    )
    .into_response()
}

/// What the store's commits did lately, when something went wrong: commits failing in a
/// row, and runs that could not even be recorded (they exist only in this process).
fn store_health(state: &AppState) -> String {
    let health = state.store.health();
    let mut out = String::new();
    let failed = health.failures_in_a_row();
    if failed > 0 {
        out.push_str(&format!(
            "<p class=\"error\">The last {failed} commit(s) failed: {}</p>",
            escape(&health.last_error().unwrap_or_default())
        ));
    }
    let unrecorded = health.unrecorded_runs();
    if !unrecorded.is_empty() {
        out.push_str(
            "<h2>Runs that could not be recorded</h2><table><tr><th>finished</th><th>page</th>\
             <th>feed</th><th>error</th></tr>",
        );
        for r in &unrecorded {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"error\">{}</td></tr>",
                rfc3339(r.finished_at),
                escape(&r.page_id),
                escape(&r.feed_url),
                escape(&r.error)
            ));
        }
        out.push_str("</table><h2>Feeds</h2>");
    }
    out
}

/// The one "not found" answer of every route, an unknown address included.
pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        layout(
            "Not found",
            "<p>There is nothing here. <a href=\"/\">All feeds</a></p>",
        ),
    )
        .into_response()
}

/// Any address no route serves.
pub async fn fallback() -> Response {
    not_found()
}

/// `/pages/{id}`: the page's recent runs with their feed-level errors.
pub async fn page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.store.page(&id).await {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(),
        Err(e) => return failure(e),
    }
    let runs = match state.store.runs(Some(&id), 100).await {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    let mut rows = String::new();
    for r in &runs {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"error\">{}</td></tr>",
            r.id.unwrap_or_default(),
            rfc3339(r.started_at),
            r.feed.as_str(),
            r.outcome.as_str(),
            r.counts.items,
            r.counts,
            escape(r.error.as_deref().unwrap_or("")),
        ));
    }
    layout(
        &format!("Page {id}"),
        &format!(
            "<p><a href=\"/\">All feeds</a></p><table><tr><th>run</th><th>started</th><th>feed</th><th>outcome</th>\
             <th>items</th><th>counts</th><th>feed error</th></tr>{rows}</table>"
        ),
    )
    .into_response()
}

/// Query of `/articles`.
#[derive(Deserialize)]
pub struct ArticleQuery {
    url: String,
}

/// `/articles?url=…`: an article and its diagnostics.
pub async fn article(State(state): State<AppState>, Query(q): Query<ArticleQuery>) -> Response {
    let stored = match state.store.article(&q.url).await {
        Ok(a) => a,
        Err(e) => return failure(e),
    };
    let warnings = match state.store.warnings(None, Some(&q.url)).await {
        Ok(w) => w,
        Err(e) => return failure(e),
    };
    // A rejected article is never stored but its errors are: that page is worth showing.
    if stored.is_none() && warnings.is_empty() {
        return not_found();
    }
    let head = match &stored {
        Some(a) => format!(
            "<p>{} · page <a href=\"/pages/{link}\">{p}</a> · revision {} · updated {}</p>",
            a.status.as_str(),
            a.revision,
            rfc3339(a.updated_at),
            p = escape(&a.page_id),
            link = path_segment(&a.page_id)
        ),
        None => "<p>Not stored: its errors kept it out (below).</p>".into(),
    };
    let mut rows = String::new();
    for w in &warnings {
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"{sev}\">{sev}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            w.run_id,
            escape(&w.rule),
            escape(&w.message),
            w.line.map(|l| format!("{l}:{}", w.column.unwrap_or(0))).unwrap_or_default(),
            w.occurrences,
            sev = escape(&w.severity),
        ));
    }
    layout(
        &q.url,
        &format!(
            "<p><a href=\"/\">All feeds</a></p>{head}<table><tr><th>run</th><th>severity</th><th>rule</th><th>message</th><th>line:col</th><th>seen</th></tr>{rows}</table>"
        ),
    )
    .into_response()
}
