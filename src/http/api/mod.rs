//! The HTTP API, `/api/v1` (docs/api.md): JSON in and out, bearer tokens or a web
//! session, one error shape, cursor pagination, bodies under `fetch.max_body_bytes`.
//! Every route is declared once with its OpenAPI description ([`utoipa`]), so the
//! document served at `/api/v1/openapi.json` and the router cannot disagree; the answers
//! every route can give (401, 500, 503; 400 for a route with parameters; 403, 413 and 415
//! for one with a body) are added to each operation here, in one place.

pub mod articles;
pub mod auth;
pub mod checks;
pub mod error;
pub mod extract;
pub mod formats;
pub mod pages;
pub mod webhooks;

use axum::Json;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder, ServerBuilder, header::HeaderBuilder,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::Authed;
use error::{ApiError, ErrorCode};

use crate::http::AppState;
use crate::service::ServiceError;

/// `?limit=&cursor=` of the list of pages (a list keyed by text).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Items per answer: default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Where to continue: the `next_cursor` of the previous answer.
    #[param(pattern = "^([0-9a-f]{2})*$", max_length = 1000)]
    pub cursor: Option<String>,
}

impl formats::Shaped for ListQuery {
    fn check_shape(&self) -> Result<(), ApiError> {
        formats::check_some(&formats::PAGE_CURSOR, "cursor", self.cursor.as_deref())
    }
}

impl ListQuery {
    /// The limit, checked.
    pub fn limit(&self) -> Result<i64, ServiceError> {
        crate::service::list_limit(self.limit)
    }
}

/// `?limit=&cursor=` of a list keyed by id (runs, the audit log).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdListQuery {
    /// Items per answer: default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Where to continue: the `next_cursor` of the previous answer.
    #[param(pattern = "^[0-9a-f]{0,15}$")]
    pub cursor: Option<String>,
}

impl formats::Shaped for IdListQuery {
    fn check_shape(&self) -> Result<(), ApiError> {
        formats::check_some(&formats::ID_CURSOR, "cursor", self.cursor.as_deref())
    }
}

impl IdListQuery {
    /// The limit, checked.
    pub fn limit(&self) -> Result<i64, ServiceError> {
        crate::service::list_limit(self.limit)
    }
}

/// A page's id in a path.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PagePath {
    /// The page's id.
    #[param(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    pub id: String,
}

/// The API's routes, under `/api/v1`, with their OpenAPI description.
pub fn router(state: &AppState) -> (axum::Router<AppState>, OpenApi) {
    let api = OpenApiRouter::new()
        .routes(routes!(pages::list, pages::create))
        .routes(routes!(pages::show, pages::change, pages::remove))
        .routes(routes!(pages::fetch_now))
        .routes(routes!(pages::runs))
        .routes(routes!(pages::run))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::remove))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(articles::list, articles::import))
        .routes(routes!(articles::show, articles::edit, articles::delete))
        .routes(routes!(articles::revision))
        .routes(routes!(articles::diff))
        .routes(routes!(articles::restore))
        .routes(routes!(articles::publish))
        .routes(routes!(articles::ignored))
        .routes(routes!(articles::apply_ignored))
        .routes(routes!(articles::import_status))
        .routes(routes!(articles::dry_run))
        .routes(routes!(checks::lint))
        .routes(routes!(checks::rules))
        .routes(routes!(checks::rule))
        .routes(routes!(checks::audit));
    let (router, mut doc) = OpenApiRouter::new().nest("/api/v1", api).split_for_parts();
    describe(&mut doc);
    let served = std::sync::Arc::new(doc.clone());
    let router = router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let served = served.clone();
                async move { Json(served.as_ref().clone()) }
            }),
        )
        .route("/api/v1", axum::routing::any(no_route))
        .route("/api/v1/{*rest}", axum::routing::any(no_route))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::buffer_body,
        ));
    (router, doc)
}

/// The document's own parts: its description, where it is served, how to authenticate,
/// and the error answers every operation shares.
fn describe(doc: &mut OpenApi) {
    doc.info.title = "iarss".into();
    doc.info.description = Some(
        "Pages, runs, articles, imports and dry runs of an iarss service. Authenticate with \
         `Authorization: Bearer TOKEN` (`iarss tokens create`). Every error answers \
         `{\"error\": {\"code\", \"message\"}}`."
            .into(),
    );
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    // The generator fills these from whichever crate expands the macro: not iarss's own.
    doc.info.contact = None;
    doc.info.license = None;
    doc.servers = Some(vec![
        ServerBuilder::new()
            .url("/")
            .description(Some("the service this document was read from"))
            .build(),
    ]);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    doc.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    // The document itself, which anyone may read.
    doc.paths.add_path_operation(
        "/api/v1/openapi.json",
        vec![utoipa::openapi::HttpMethod::Get],
        utoipa::openapi::path::OperationBuilder::new()
            .operation_id(Some("get_openapi"))
            .tag("meta")
            .summary(Some("This OpenAPI 3.1 document"))
            .security(utoipa::openapi::security::SecurityRequirement::default())
            .response(
                "200",
                ResponseBuilder::new()
                    .description("The document")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(
                                utoipa::openapi::ObjectBuilder::new()
                                    .schema_type(utoipa::openapi::schema::Type::Object)
                                    .description(Some("An OpenAPI 3.1 document")),
                            ))
                            .build(),
                    )
                    .build(),
            )
            .build(),
    );
    refer_listing_items(components);
    for (path, item) in doc.paths.paths.iter_mut() {
        let public = path.ends_with("/openapi.json");
        for (method, operation) in [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("patch", item.patch.as_mut()),
            ("delete", item.delete.as_mut()),
        ] {
            if let Some(operation) = operation {
                shared_answers(operation, method, public);
                // An empty body is a feed with nothing in it: lint and dry runs accept it.
                if let Some(RefOr::T(body)) = operation.request_body.as_mut()
                    && matches!(
                        operation.operation_id.as_deref(),
                        Some("lint" | "dry_run_feed")
                    )
                {
                    body.required = Some(utoipa::openapi::Required::False);
                    // A feed or an article is bytes of its own type, any bytes (`{}` in
                    // text/html is an article too): a schema that every value meets.
                    for (kind, content) in body.content.iter_mut() {
                        if let RefOr::T(content) = content
                            && kind != "application/json"
                        {
                            content.schema = Some(raw_body_schema(kind));
                        }
                    }
                }
            }
        }
    }
}

/// The schema of a feed or an article sent as itself: any bytes. `application/octet-stream`
/// says so in the words generators know (a binary string, a file to upload); the XML and
/// HTML types as a schema every value meets, so that `{}` sent as `text/html` (an article
/// of two characters) is not taken for a JSON object of the wrong type.
fn raw_body_schema(kind: &str) -> RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};
    let schema = if kind == "application/octet-stream" {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
    } else {
        ObjectBuilder::new().schema_type(SchemaType::AnyValue)
    };
    schema.description(Some("The document's bytes")).into()
}

/// Makes each `Listing_X` name `X` for its items rather than carry a copy of it, so that a
/// client generated from the document has one type per record.
fn refer_listing_items(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::schema::{ArrayBuilder, Schema};
    let names: Vec<String> = components.schemas.keys().cloned().collect();
    for name in names {
        let Some(item) = name.strip_prefix("Listing_") else {
            continue;
        };
        if !components.schemas.contains_key(item) {
            continue;
        }
        if let Some(RefOr::T(Schema::Object(listing))) = components.schemas.get_mut(&name)
            && let Some(items) = listing.properties.get_mut("items")
        {
            *items = ArrayBuilder::new()
                .items(Ref::from_schema_name(item))
                .description(Some("The items, in the list's order."))
                .into();
        }
    }
}

/// An error answer with the iarss envelope.
fn error_response(description: &str, retry_after: bool) -> utoipa::openapi::Response {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build(),
    );
    if retry_after {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::Integer),
                ))
                .description(Some("Seconds to wait before asking again"))
                .build(),
        );
    }
    response.build()
}

/// Adds the answers an operation can give whatever it does.
fn shared_answers(operation: &mut Operation, method: &str, public: bool) {
    let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let has_body = operation.request_body.is_some();
    let mut shared: Vec<(&str, utoipa::openapi::Response)> = vec![
        (
            "500",
            error_response("`internal_error`: a defect of iarss on this input", false),
        ),
        (
            "503",
            error_response(
                "`store_unavailable`: the database failed; `busy`: other writes of the \
                 page held its lock too long (nothing written; see Retry-After)",
                true,
            ),
        ),
    ];
    // The connection layer's own refusal, before any route: it has no body.
    shared.push((
        "431",
        ResponseBuilder::new()
            .description("The request's headers are too large (no body)")
            .build(),
    ));
    if !public {
        shared.push((
            "401",
            error_response("`unauthorized`: no valid token or session", false),
        ));
    }
    if has_params || has_body {
        shared.push((
            "400",
            error_response(
                "`bad_request`: a malformed parameter or body (a control character in a \
                 parameter included)",
                false,
            ),
        ));
    }
    if method != "get" && !public {
        shared.push((
            "403",
            error_response(
                "`forbidden`: an operator's action by a publisher, or a session request \
                 from another origin or without its form token",
                false,
            ),
        ));
    }
    if has_body {
        shared.push((
            "413",
            error_response(
                "`too_large`: the body is over `fetch.max_body_bytes`",
                false,
            ),
        ));
        shared.push((
            "415",
            error_response("`unsupported_media_type`: a body of another kind", false),
        ));
    }
    for (status, response) in shared {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert(RefOr::T(response));
    }
}

/// Any `/api/v1` address no route serves.
async fn no_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NoRoute,
        "no such API route; GET /api/v1/openapi.json lists them",
    )
}

/// A method the route does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "this route does not take that method; see /api/v1/openapi.json",
    )
}
