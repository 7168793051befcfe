//! `/articles…`, imports (`/pages/{id}/articles`, `/imports/{id}`) and dry runs.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, CappedBody};
use super::formats::{self, Shaped};
use super::{Authed, PagePath};
use crate::http::AppState;
use crate::ingest::DryRun;
use crate::model::ArticleStatus;
use crate::service::articles::{DryRunInput, IdempotencyKey};
use crate::service::views::{
    ArticleDetail, ArticleView, EditAnswer, IgnoredUpdateView, Listing, RevisionView,
};
use crate::store::{FeedKind, ImportOutcome};

/// `GET /pages/{id}/articles` filters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleListQuery {
    /// Only articles with this status.
    status: Option<ArticleStatus>,
    /// Text the title or the canonical URL contains.
    #[param(max_length = 500, pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F]*$")]
    q: Option<String>,
    /// Items per answer: default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous answer.
    #[param(pattern = r"^([0-9]{1,16}\.([0-9a-f]{2})*)?$", max_length = 4000)]
    cursor: Option<String>,
}

/// An article's canonical URL.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UrlQuery {
    /// The canonical URL, exactly as stored (the article's key).
    #[param(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F]+$"
    )]
    url: String,
}

/// An article's canonical URL and one revision.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevisionQuery {
    /// The canonical URL.
    #[param(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F]+$"
    )]
    url: String,
    /// The revision's number.
    #[param(minimum = 1)]
    revision: i64,
}

/// Two revisions of an article.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The canonical URL.
    #[param(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F]+$"
    )]
    url: String,
    /// The older revision.
    #[param(minimum = 1)]
    from: i64,
    /// The newer revision.
    #[param(minimum = 1)]
    to: i64,
}

impl Shaped for ArticleListQuery {
    fn check_shape(&self) -> Result<(), ApiError> {
        formats::check_some(&formats::SEARCH_TEXT, "q", self.q.as_deref())?;
        formats::check_some(&formats::ARTICLE_CURSOR, "cursor", self.cursor.as_deref())
    }
}

impl Shaped for UrlQuery {
    fn check_shape(&self) -> Result<(), ApiError> {
        formats::ARTICLE_URL.check("url", &self.url)
    }
}

impl Shaped for RevisionQuery {
    fn check_shape(&self) -> Result<(), ApiError> {
        formats::ARTICLE_URL.check("url", &self.url)
    }
}

impl Shaped for DiffQuery {
    fn check_shape(&self) -> Result<(), ApiError> {
        formats::ARTICLE_URL.check("url", &self.url)
    }
}

/// An import's id in a path.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ImportPath {
    /// The import's id.
    #[param(minimum = 1)]
    import_id: i64,
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
    #[schema(default = true)]
    published: bool,
}

impl Shaped for HtmlSource {}

impl Shaped for ImportRequest {}

impl Shaped for DryRunQuery {}

fn yes() -> bool {
    true
}

/// `POST /pages/{id}/dry-run` options.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DryRunQuery {
    /// Which feed the body stands for (default `production`).
    feed: Option<FeedKind>,
}

/// A feed URL to dry-run.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunUrl {
    /// An http(s) URL, fetched with the daemon's limits and SSRF guard.
    #[schema(
        max_length = 2000,
        pattern = r#"^https?://([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?\.?)(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][!-~]*)?$"#
    )]
    feed_url: String,
}

/// The `Idempotency-Key` header of an import.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct ImportHeaders {
    /// A key of the client's choosing (1 to 255 visible characters): an import sent again
    /// with the same key and body within 24 h answers what the first one did, without
    /// importing twice; the same key with another body is 409.
    #[serde(rename = "Idempotency-Key")]
    #[param(rename = "Idempotency-Key", pattern = "^[!-~]{1,255}$")]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}

/// A page's articles, newest change first.
#[utoipa::path(get, path = "/pages/{id}/articles", tag = "articles", operation_id = "list_articles",
    params(PagePath, ArticleListQuery),
    responses((status = 200, description = "A screen of articles", body = Listing<ArticleView>),
              (status = 404, description = "`not_found`: no such page (or not the caller's)", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<PagePath>,
    ApiQuery(q): ApiQuery<ArticleListQuery>,
) -> Result<Json<Listing<ArticleView>>, ApiError> {
    let limit = crate::service::list_limit(q.limit)?;
    let list = state
        .service
        .articles(
            &caller,
            &path.id,
            q.status,
            q.q.as_deref(),
            q.cursor.as_deref(),
            limit,
        )
        .await?;
    Ok(Json(list))
}

/// Imports an article into the page: validated like an item of its feed.
#[utoipa::path(post, path = "/pages/{id}/articles", tag = "articles", operation_id = "import_article",
    params(PagePath, ImportHeaders), request_body = ImportRequest,
    responses((status = 201, description = "Inserted: the import object; `Location` is the article's address", body = ImportOutcome,
                headers(("Location" = String, description = "The article's address"))),
              (status = 200, description = "Updated or unchanged: the import object", body = ImportOutcome),
              (status = 404, description = "`not_found`: no such page (or not the caller's)", body = ErrorBody),
              (status = 409, description = "`conflict`: the `Idempotency-Key` was used with another body", body = ErrorBody),
              (status = 422, description = "Failed: the import object with its diagnostics (nothing stored)", body = ImportOutcome)))]
pub async fn import(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<PagePath>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ImportRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let answer = state
        .service
        .import(
            &caller,
            &path.id,
            &request.html_source,
            request.published,
            key.as_ref(),
        )
        .await?;
    let status = if answer.failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if answer.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let location = (status == StatusCode::CREATED)
        .then_some(answer.body.canonical_url.as_deref())
        .flatten()
        .map(|url| {
            let url: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
            format!("/api/v1/articles?url={url}")
        });
    let mut response = (status, Json(answer.body)).into_response();
    if let Some(v) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// The `Idempotency-Key` of a request, checked.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| IdempotencyKey::parse(v).ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters")
        })
}

/// One article: list fields, HTML, diagnostics, revisions, pending ignored update.
#[utoipa::path(get, path = "/articles", tag = "articles", operation_id = "get_article",
    params(UrlQuery),
    responses((status = 200, description = "The article", body = ArticleDetail),
              (status = 404, description = "`not_found`: no such article (or not the caller's)", body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
) -> Result<Json<ArticleDetail>, ApiError> {
    Ok(Json(state.service.article(&caller, &q.url).await?))
}

/// A manual edit (the way around the 24 h window): 422 with the diagnostics when the HTML
/// has errors or another canonical URL.
#[utoipa::path(put, path = "/articles", tag = "articles", operation_id = "edit_article",
    params(UrlQuery), request_body = HtmlSource,
    responses((status = 200, description = "The article as it is now, and what the edit did", body = EditAnswer),
              (status = 404, description = "`not_found`: no such article (or not the caller's)", body = ErrorBody),
              (status = 422, description = "`article_has_errors`: nothing stored; the diagnostics say why", body = ErrorBody)))]
pub async fn edit(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
    ApiJson(body): ApiJson<HtmlSource>,
) -> Result<Json<EditAnswer>, ApiError> {
    Ok(Json(
        state
            .service
            .edit(&caller, &q.url, &body.html_source)
            .await?,
    ))
}

/// Deletes an article with its revisions and warnings; a later feed run may insert it
/// again, as new.
#[utoipa::path(delete, path = "/articles", tag = "articles", operation_id = "delete_article",
    params(UrlQuery),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "`not_found`: no such article (or not the caller's)", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
) -> Result<StatusCode, ApiError> {
    state.service.delete(&caller, &q.url).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One revision with its HTML.
#[utoipa::path(get, path = "/articles/revisions", tag = "articles", operation_id = "get_revision",
    params(RevisionQuery),
    responses((status = 200, description = "The revision with its HTML", body = RevisionView),
              (status = 404, description = "`not_found`: no such article or revision", body = ErrorBody)))]
pub async fn revision(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<RevisionQuery>,
) -> Result<Json<RevisionView>, ApiError> {
    Ok(Json(
        state.service.revision(&caller, &q.url, q.revision).await?,
    ))
}

/// A unified diff between two revisions' HTML.
#[utoipa::path(get, path = "/articles/diff", tag = "articles", operation_id = "diff_revisions",
    params(DiffQuery),
    responses((status = 200, description = "A unified diff", body = String, content_type = "text/plain"),
              (status = 404, description = "`not_found`: no such article or revision", body = ErrorBody)))]
pub async fn diff(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Response, ApiError> {
    let diff = state.service.diff(&caller, &q.url, q.from, q.to).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], diff).into_response())
}

/// A new revision with an older revision's HTML, checked like an edit.
#[utoipa::path(post, path = "/articles/restore", tag = "articles", operation_id = "restore_revision",
    params(RevisionQuery),
    responses((status = 200, description = "The article as it is now, and what the restore did", body = EditAnswer),
              (status = 404, description = "`not_found`: no such article or revision", body = ErrorBody),
              (status = 422, description = "`article_has_errors`: nothing stored", body = ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<RevisionQuery>,
) -> Result<Json<EditAnswer>, ApiError> {
    Ok(Json(
        state.service.restore(&caller, &q.url, q.revision).await?,
    ))
}

/// A draft becomes live.
#[utoipa::path(post, path = "/articles/publish", tag = "articles", operation_id = "publish_article",
    params(UrlQuery),
    responses((status = 200, description = "The article, live", body = ArticleDetail),
              (status = 404, description = "`not_found`: no such article (or not the caller's)", body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
) -> Result<Json<ArticleDetail>, ApiError> {
    Ok(Json(state.service.publish(&caller, &q.url).await?))
}

/// The pending ignored update: the refused incoming version, its rule and run.
#[utoipa::path(get, path = "/articles/ignored", tag = "articles", operation_id = "get_ignored_update",
    params(UrlQuery),
    responses((status = 200, description = "The refused version with its HTML", body = IgnoredUpdateView),
              (status = 404, description = "`not_found`: no such article, or none pending", body = ErrorBody)))]
pub async fn ignored(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
) -> Result<Json<IgnoredUpdateView>, ApiError> {
    Ok(Json(state.service.ignored(&caller, &q.url).await?))
}

/// Applies the pending ignored update (a manual edit with its HTML).
#[utoipa::path(post, path = "/articles/ignored/apply", tag = "articles", operation_id = "apply_ignored_update",
    params(UrlQuery),
    responses((status = 200, description = "The article as it is now", body = EditAnswer),
              (status = 404, description = "`not_found`: no such article, or none pending", body = ErrorBody),
              (status = 422, description = "`article_has_errors`: nothing stored", body = ErrorBody)))]
pub async fn apply_ignored(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UrlQuery>,
) -> Result<Json<EditAnswer>, ApiError> {
    Ok(Json(state.service.apply_ignored(&caller, &q.url).await?))
}

/// An import's answer, later.
#[utoipa::path(get, path = "/imports/{import_id}", tag = "articles", operation_id = "get_import",
    params(ImportPath),
    responses((status = 200, description = "The import object", body = ImportOutcome),
              (status = 404, description = "`not_found`: no such import (or not the caller's)", body = ErrorBody)))]
pub async fn import_status(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<ImportPath>,
) -> Result<Json<ImportOutcome>, ApiError> {
    Ok(Json(
        state.service.import_status(&caller, path.import_id).await?,
    ))
}

/// What a run of this feed would do now, per item, writing nothing. The body is the feed
/// itself (`application/rss+xml`, `application/xml`, `text/xml`) or `{"feed_url": …}`
/// (`application/json`).
#[utoipa::path(post, path = "/pages/{id}/dry-run", tag = "articles", operation_id = "dry_run_feed",
    params(PagePath, DryRunQuery),
    request_body(description = "The feed itself as XML (empty: a feed with nothing in it), or a feed URL as JSON",
        content(
            (String = "application/rss+xml"),
            (String = "application/xml"),
            (String = "text/xml"),
            (Vec<u8> = "application/octet-stream"),
            (DryRunUrl = "application/json"),
        )),
    responses((status = 200, description = "Counts and what each item would do", body = DryRun),
              (status = 404, description = "`not_found`: no such page (or not the caller's)", body = ErrorBody)))]
pub async fn dry_run(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<PagePath>,
    ApiQuery(q): ApiQuery<DryRunQuery>,
    headers: HeaderMap,
    CappedBody(body): CappedBody,
) -> Result<Json<DryRun>, ApiError> {
    let kind = q.feed.unwrap_or(FeedKind::Production);
    let input = match super::extract::body_kind(&headers) {
        super::extract::BodyKind::Json => {
            let request: DryRunUrl = serde_json::from_slice(&body)
                .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
            formats::REMOTE_FEED_URL.check("feed_url", &request.feed_url)?;
            DryRunInput::Url(request.feed_url)
        }
        // The buffered body is not copied again: the checks take it over.
        super::extract::BodyKind::Markup => DryRunInput::Body(Vec::from(body)),
        super::extract::BodyKind::Other => {
            return Err(ApiError::unsupported_media_type(
                "a feed (application/rss+xml, application/xml, text/xml) or {\"feed_url\"} \
                 as application/json",
            ));
        }
    };
    Ok(Json(
        state
            .service
            .dry_run(&caller, &path.id, kind, input)
            .await?,
    ))
}
