//! Request extractors that answer in the API's error shape: JSON bodies and raw bodies
//! under the body cap, query strings and paths, and the client's address.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::formats::Shaped;
use crate::http::AppState;

/// How much of a body over the cap is still read (and dropped) before answering 413: a
/// client that is still sending when the answer comes would otherwise see the connection
/// closed under it instead of the answer.
const DRAIN_BYTES: u64 = 8 * 1024 * 1024;

/// Whether a request carries a body (a length, or a chunked one).
fn has_body(parts: &Parts) -> bool {
    let length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    length.is_some_and(|n| n > 0) || parts.headers.contains_key(header::TRANSFER_ENCODING)
}

/// Reads every API request's body before the handler runs, under the cap
/// (`fetch.max_body_bytes`): 413 beyond it, after draining what the client is sending (up
/// to [`DRAIN_BYTES`] more). A handler that has no use for a body still leaves the
/// connection clean for the next request.
///
/// A request with a body is authenticated first: without valid credentials it is answered
/// 401 before a byte of its body is read (and the connection closes), so an anonymous
/// client cannot make the server hold its bodies.
pub async fn buffer_body(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use futures_util::StreamExt;
    let cap = state.service.max_body_bytes();
    let (mut parts, body) = request.into_parts();
    if has_body(&parts) {
        match super::Authed::from_request_parts(&mut parts, &state).await {
            Ok(super::Authed(caller)) => {
                parts.extensions.insert(super::auth::Authenticated(caller));
            }
            Err(e) => {
                let mut response = e.into_response();
                response.headers_mut().insert(
                    header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
                return response;
            }
        }
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap.saturating_add(DRAIN_BYTES)) {
        return ApiError::too_large(cap).into_response();
    }
    let mut stream = body.into_data_stream();
    // Sized once from the declared length: a large feed is not copied while it grows.
    let mut buffer = Vec::with_capacity(declared.unwrap_or(0).min(cap) as usize);
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return ApiError::bad_request("cannot read the request body").into_response();
        };
        total = total.saturating_add(chunk.len() as u64);
        if total > cap.saturating_add(DRAIN_BYTES) {
            break;
        }
        if total <= cap {
            buffer.extend_from_slice(&chunk);
        }
    }
    if total > cap {
        return ApiError::too_large(cap).into_response();
    }
    let request = Request::from_parts(parts, axum::body::Body::from(buffer));
    next.run(request).await
}

/// The body (already read under the cap by [`buffer_body`]).
pub struct CappedBody(pub Bytes);

impl FromRequest<AppState> for CappedBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let cap = state.service.max_body_bytes();
        let limit = usize::try_from(cap).unwrap_or(usize::MAX);
        match axum::body::to_bytes(request.into_body(), limit).await {
            Ok(bytes) => Ok(CappedBody(bytes)),
            Err(e) => {
                let over = e
                    .into_inner()
                    .downcast::<http_body_util::LengthLimitError>()
                    .is_ok();
                if over {
                    Err(ApiError::too_large(cap))
                } else {
                    Err(ApiError::bad_request("cannot read the request body"))
                }
            }
        }
    }
}

/// A JSON body: `Content-Type: application/json`, under the cap, and well-formed for `T`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Shaped> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("application/json")
                    || (v.starts_with("application/") && v.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::unsupported_media_type(
                "JSON (Content-Type: application/json)",
            ));
        }
        let CappedBody(bytes) = CappedBody::from_request(request, state).await?;
        let value: T = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
        value.check_shape()?;
        Ok(ApiJson(value))
    }
}

/// A query string parsed into `T`; 400 with the reason otherwise.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Shaped + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if let Some(field) = parts
            .uri
            .query()
            .and_then(|q| crate::http::request::forbidden_field(q.as_bytes()))
        {
            return Err(ApiError::bad_request(format!(
                "the parameter `{field}` holds a control character (NUL or another C0 control \
                 but tab, LF and CR), which cannot be stored"
            )));
        }
        let query = axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(in_our_words("query", &e.body_text())))?;
        query.0.check_shape()?;
        Ok(ApiQuery(query.0))
    }
}

/// Path parameters parsed into `T`; 400 with the reason otherwise.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError::bad_request(in_our_words("path", &e.body_text())))
    }
}

/// What kind of body a request says it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// JSON (`application/json`, `application/…+json`).
    Json,
    /// A feed or an article: XML or HTML, plain text, or no type given.
    Markup,
    /// Anything else.
    Other,
}

/// The kind of body a request's `Content-Type` names.
pub fn body_kind(headers: &axum::http::HeaderMap) -> BodyKind {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return BodyKind::Markup;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        return BodyKind::Json;
    }
    match essence.as_str() {
        ""
        | "application/xml"
        | "text/xml"
        | "application/rss+xml"
        | "application/atom+xml"
        | "application/xhtml+xml"
        | "text/html"
        | "text/plain"
        | "application/octet-stream" => BodyKind::Markup,
        e if e.ends_with("+xml") => BodyKind::Markup,
        _ => BodyKind::Other,
    }
}

/// A query or path refusal in the API's words: the field and what is wrong with it,
/// without the framework's phrasing ("Failed to deserialize query string: …").
fn in_our_words(what: &str, framework: &str) -> String {
    let reason = framework
        .split_once(": ")
        .map_or(framework, |(_, reason)| reason)
        .trim();
    if let Some(field) = reason
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return format!("the {what} parameter `{field}` is required");
    }
    format!("the {what} is not valid: {reason}")
}

#[cfg(test)]
mod tests {
    use super::in_our_words;

    #[test]
    fn refusals_say_which_field_in_our_words() {
        assert_eq!(
            in_our_words(
                "query",
                "Failed to deserialize query string: missing field `url`"
            ),
            "the query parameter `url` is required"
        );
        assert_eq!(
            in_our_words(
                "query",
                "Failed to deserialize query string: revision: invalid digit found in string"
            ),
            "the query is not valid: revision: invalid digit found in string"
        );
    }
}
