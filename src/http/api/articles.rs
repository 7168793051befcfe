//! `/articles…`, imports (`/pages/{id}/articles`, `/imports/{id}`) and dry runs.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, CappedBody};
use super::{Authed, listing};
use crate::http::AppState;
use crate::service::articles::DryRunInput;
use crate::store::FeedKind;

/// `GET /pages/{id}/articles` filters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleListQuery {
    /// `live` or `draft`.
    status: Option<String>,
    /// Text the title or the canonical URL contains.
    q: Option<String>,
    /// Items per answer: default 50, at most 500.
    limit: Option<i64>,
    /// The `next_cursor` of the previous answer.
    cursor: Option<String>,
}

/// An article's canonical URL.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UrlQuery {
    /// The canonical URL, exactly as stored.
    url: String,
}

/// An article's canonical URL and one revision.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevisionQuery {
    /// The canonical URL.
    url: String,
    /// The revision number.
    revision: i64,
}

/// Two revisions of an article.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The canonical URL.
    url: String,
    /// The older revision.
    from: i64,
    /// The newer revision.
    to: i64,
}

/// An article's HTML.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HtmlSource {
    /// The whole article HTML document.
    html_source: String,
}

/// An article to import.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// The whole article HTML document.
    html_source: String,
    /// Live (`true`, the default) or a draft; a draft import never demotes a live article.
    #[serde(default = "yes")]
    published: bool,
}

fn yes() -> bool {
    true
}

/// `POST /pages/{id}/dry-run` options.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DryRunQuery {
    /// `production` (default) or `development`: which feed the body stands for.
    feed: Option<String>,
}

/// A feed URL to dry-run.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunUrl {
    /// Fetched with the daemon's limits and SSRF guard.
    feed_url: String,
}

/// A page's articles.
#[utoipa::path(get, path = "/pages/{id}/articles", tag = "articles",
    params(("id" = String, Path), ArticleListQuery),
    responses((status = 200, description = "`{items, next_cursor}` of articles", body = Value),
              (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ArticleListQuery>,
) -> Result<Response, ApiError> {
    let limit = crate::service::list_limit(q.limit)?;
    let list = state
        .service
        .articles(
            &caller,
            &id,
            q.status.as_deref(),
            q.q.as_deref(),
            q.cursor.as_deref(),
            limit,
        )
        .await?;
    Ok(listing(list))
}

/// Imports an article into the page: validated like an item of its feed.
#[utoipa::path(post, path = "/pages/{id}/articles", tag = "articles",
    params(("id" = String, Path)), request_body = ImportRequest,
    responses((status = 201, description = "Inserted: the import object", body = Value),
              (status = 200, description = "Updated or unchanged: the import object", body = Value),
              (status = 422, description = "Failed: the import object with its diagnostics", body = Value),
              (status = 404, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ImportRequest>,
) -> Result<Response, ApiError> {
    let answer = state
        .service
        .import(&caller, &id, &request.html_source, request.published)
        .await?;
    let status = if answer.failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if answer.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(answer.body)).into_response())
}

/// One article: list fields, HTML, diagnostics, revisions, pending ignored update.
#[utoipa::path(get, path = "/articles", tag = "articles", params(UrlQuery),
    responses((status = 200, body = Value), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.service.article(&caller, &q.url).await?))
}

/// A manual edit (the way around the 24 h window): 422 with the diagnostics when the HTML
/// has errors or another canonical URL.
#[utoipa::path(put, path = "/articles", tag = "articles", params(UrlQuery), request_body = HtmlSource,
    responses((status = 200, body = Value), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
    ApiJson(body): ApiJson<HtmlSource>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        state
            .service
            .edit(&caller, &q.url, &body.html_source)
            .await?,
    ))
}

/// Deletes an article with its revisions and warnings.
#[utoipa::path(delete, path = "/articles", tag = "articles", params(UrlQuery),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
) -> Result<StatusCode, ApiError> {
    state.service.delete(&caller, &q.url).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One revision with its HTML.
#[utoipa::path(get, path = "/articles/revisions", tag = "articles", params(RevisionQuery),
    responses((status = 200, body = Value), (status = 404, body = ErrorBody)))]
pub async fn revision(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<RevisionQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        state.service.revision(&caller, &q.url, q.revision).await?,
    ))
}

/// A unified diff between two revisions' HTML.
#[utoipa::path(get, path = "/articles/diff", tag = "articles", params(DiffQuery),
    responses((status = 200, description = "A unified diff", body = String, content_type = "text/plain"),
              (status = 404, body = ErrorBody)))]
pub async fn diff(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Response, ApiError> {
    let diff = state.service.diff(&caller, &q.url, q.from, q.to).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], diff).into_response())
}

/// A new revision with an older revision's HTML.
#[utoipa::path(post, path = "/articles/restore", tag = "articles", params(RevisionQuery),
    responses((status = 200, body = Value), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<RevisionQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        state.service.restore(&caller, &q.url, q.revision).await?,
    ))
}

/// A draft becomes live.
#[utoipa::path(post, path = "/articles/publish", tag = "articles", params(UrlQuery),
    responses((status = 200, body = Value), (status = 404, body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.service.publish(&caller, &q.url).await?))
}

/// The pending ignored update: the refused incoming version, its rule and run.
#[utoipa::path(get, path = "/articles/ignored", tag = "articles", params(UrlQuery),
    responses((status = 200, body = Value), (status = 404, body = ErrorBody)))]
pub async fn ignored(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.service.ignored(&caller, &q.url).await?))
}

/// Applies the pending ignored update (a manual edit with its HTML).
#[utoipa::path(post, path = "/articles/ignored/apply", tag = "articles", params(UrlQuery),
    responses((status = 200, body = Value), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn apply_ignored(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.service.apply_ignored(&caller, &q.url).await?))
}

/// An import's answer.
#[utoipa::path(get, path = "/imports/{import_id}", tag = "articles", params(("import_id" = i64, Path)),
    responses((status = 200, body = Value), (status = 404, body = ErrorBody)))]
pub async fn import_status(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.service.import_status(&caller, id).await?))
}

/// What a run of this feed would do now, per item, writing nothing. The body is the feed
/// (`application/rss+xml`, `application/xml`, `text/xml`) or `{"feed_url": …}`.
#[utoipa::path(post, path = "/pages/{id}/dry-run", tag = "articles",
    params(("id" = String, Path), DryRunQuery),
    request_body(content = DryRunUrl, description = "The feed itself as XML, or a feed URL as JSON"),
    responses((status = 200, description = "Counts and one entry per item", body = Value),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 413, body = ErrorBody)))]
pub async fn dry_run(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DryRunQuery>,
    headers: HeaderMap,
    CappedBody(body): CappedBody,
) -> Result<Response, ApiError> {
    let kind = match q.feed.as_deref() {
        None | Some("production") => FeedKind::Production,
        Some("development") => FeedKind::Development,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "feed `{other}`: production or development"
            )));
        }
    };
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    let input = if json {
        let request: DryRunUrl = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
        DryRunInput::Url(request.feed_url)
    } else {
        // The buffered body is not copied again: the checks take it over.
        DryRunInput::Body(Vec::from(body))
    };
    let dry = state.service.dry_run(&caller, &id, kind, input).await?;
    Ok(Json(dry).into_response())
}
