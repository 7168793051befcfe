//! `/lint`, `/rules`, `/audit`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery, BodyKind, CappedBody, body_kind};
use super::{Authed, IdListQuery};
use crate::http::AppState;
use crate::report::LintDocument;
use crate::service::views::{AuditView, Listing, RuleView};
use crate::service::{decode_id_cursor, encode_id_cursor};

/// `POST /lint` options.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LintQuery {
    /// The page's domain: canonical URLs must be on it.
    #[param(
        max_length = 253,
        pattern = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
    )]
    domain: Option<String>,
}

impl super::formats::Shaped for LintQuery {
    fn check_shape(&self) -> Result<(), ApiError> {
        super::formats::check_some(&super::formats::DOMAIN, "domain", self.domain.as_deref())
    }
}

/// A rule's id in a path.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RulePath {
    /// The rule's id (`iarss rules` lists them).
    #[param(min_length = 1)]
    id: String,
}

/// Lints one feed or article (the body) and answers the `iarss lint --format json`
/// document for it.
#[utoipa::path(post, path = "/lint", tag = "lint", operation_id = "lint",
    params(LintQuery),
    request_body(description = "A feed, or an article's HTML (empty: a feed with nothing in it)",
        content(
            (String = "application/rss+xml"),
            (String = "application/xml"),
            (String = "text/xml"),
            (String = "text/html"),
            (Vec<u8> = "application/octet-stream"),
        )),
    responses((status = 200, description = "The lint JSON document (version 1)", body = LintDocument)))]
pub async fn lint(
    State(state): State<AppState>,
    Authed(_caller): Authed,
    ApiQuery(q): ApiQuery<LintQuery>,
    headers: HeaderMap,
    CappedBody(body): CappedBody,
) -> Result<Response, ApiError> {
    if body_kind(&headers) != BodyKind::Markup {
        return Err(ApiError::unsupported_media_type(
            "a feed (application/rss+xml, application/xml, text/xml) or an article \
             (text/html)",
        ));
    }
    let document = state
        .service
        .lint(q.domain.as_deref(), body.to_vec())
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], document).into_response())
}

/// Every rule: id, severity, scope, summary.
#[utoipa::path(get, path = "/rules", tag = "lint", operation_id = "list_rules",
    responses((status = 200, description = "As `iarss rules --format json`", body = Vec<RuleView>)))]
pub async fn rules(Authed(_caller): Authed) -> Json<Vec<RuleView>> {
    Json(crate::service::checks::rules())
}

/// One rule with its documentation (a failing and a fixed example).
#[utoipa::path(get, path = "/rules/{id}", tag = "lint", operation_id = "get_rule",
    params(RulePath),
    responses((status = 200, description = "As `iarss explain`, with `doc`", body = RuleView),
              (status = 404, description = "`not_found`: no such rule", body = ErrorBody)))]
pub async fn rule(
    Authed(_caller): Authed,
    ApiPath(path): ApiPath<RulePath>,
) -> Result<Json<RuleView>, ApiError> {
    Ok(Json(crate::service::checks::rule(&path.id)?))
}

/// The audit log, newest first (operators).
#[utoipa::path(get, path = "/audit", tag = "audit", operation_id = "list_audit_entries",
    params(IdListQuery),
    responses((status = 200, description = "A screen of audit entries", body = Listing<AuditView>),
              (status = 403, description = "`forbidden`: operators only", body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<IdListQuery>,
) -> Result<Json<Listing<AuditView>>, ApiError> {
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
        .then(|| entries.last().map(|e| encode_id_cursor(e.id)))
        .flatten();
    Ok(Json(Listing {
        items: entries.iter().map(AuditView::from).collect(),
        next_cursor,
    }))
}
