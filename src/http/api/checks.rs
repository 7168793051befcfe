//! `/lint`, `/rules`, `/audit`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery, CappedBody};
use super::{Authed, ListQuery};
use crate::http::AppState;
use crate::service::{decode_id_cursor, encode_cursor};

/// `POST /lint` options.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LintQuery {
    /// The page's domain: canonical URLs must be on it.
    domain: Option<String>,
}

/// Lints one feed or article (the body, any content type) and answers the
/// `iarss lint --format json` document for it.
#[utoipa::path(post, path = "/lint", tag = "lint", params(LintQuery),
    request_body(content = String, description = "A feed or an article's HTML", content_type = "application/rss+xml"),
    responses((status = 200, description = "The lint JSON document (version 1)", body = Value),
              (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn lint(
    State(state): State<AppState>,
    Authed(_caller): Authed,
    ApiQuery(q): ApiQuery<LintQuery>,
    CappedBody(body): CappedBody,
) -> Result<Response, ApiError> {
    let document = state
        .service
        .lint(q.domain.as_deref(), body.to_vec())
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], document).into_response())
}

/// Every rule: id, severity, scope, summary.
#[utoipa::path(get, path = "/rules", tag = "lint",
    responses((status = 200, description = "As `iarss rules --format json`", body = Value)))]
pub async fn rules(Authed(_caller): Authed) -> Json<Value> {
    Json(crate::service::checks::rules())
}

/// One rule with its documentation (a failing and a fixed example).
#[utoipa::path(get, path = "/rules/{id}", tag = "lint", params(("id" = String, Path)),
    responses((status = 200, description = "As `iarss explain`, with `doc`", body = Value),
              (status = 404, body = ErrorBody)))]
pub async fn rule(
    Authed(_caller): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(crate::service::checks::rule(&id)?))
}

/// The audit log, newest first (operators).
#[utoipa::path(get, path = "/audit", tag = "audit", params(ListQuery),
    responses((status = 200, description = "`{items, next_cursor}` of audit entries", body = Value),
              (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    state
        .service
        .require_operator(&caller, "read the audit log")?;
    let limit = q.limit()?;
    let before = decode_id_cursor(q.cursor.as_deref())?;
    let mut entries = state
        .service
        .access()
        .audit_log(before, limit + 1)
        .await
        .map_err(crate::service::ServiceError::Store)?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let next_cursor = more
        .then(|| entries.last().map(|e| encode_cursor(&e.id.to_string())))
        .flatten();
    let items = entries
        .iter()
        .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
        .collect();
    Ok(super::listing(crate::service::Listing {
        items,
        next_cursor,
    }))
}
