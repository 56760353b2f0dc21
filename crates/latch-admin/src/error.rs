//! The one mapping from admin API errors to RFC 9457 `application/problem+json` responses,
//! with a stable `code` and, for validation errors, the offending `field`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use latch_domain::repo::RepoError;
use latch_types::Problem;
use std::fmt;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError { status, code: code.into(), detail: detail.into(), field: None }
    }

    /// 404 for an id that names nothing (`kind` like `application`).
    pub fn not_found(kind: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, format!("{kind}.not_found"), format!("no {kind} has this id"))
    }

    /// 400: the request is malformed (bad JSON, wrong types, missing fields).
    pub fn bad_request(code: &str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 422: a well-formed request breaks a rule; `field` names where.
    pub fn invalid(field: &str, code: &str, detail: impl Into<String>) -> ApiError {
        ApiError { field: Some(field.to_owned()), ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail) }
    }

    /// 409: a name or indicator is taken.
    pub fn conflict(field: &str, code: &str, detail: impl Into<String>) -> ApiError {
        ApiError { field: Some(field.to_owned()), ..ApiError::new(StatusCode::CONFLICT, code, detail) }
    }

    pub fn unauthorized(detail: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "auth.unauthorized", detail)
    }

    pub fn forbidden(detail: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "auth.forbidden", detail)
    }

    fn problem(&self) -> Problem {
        Problem {
            kind: "about:blank".to_owned(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: Some(self.detail.clone()),
            code: self.code.clone(),
            field: self.field.clone(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type("application/problem+json");
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"latch-admin\"")));
        }
        res.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> ApiError {
        match e {
            RepoError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, "conflict", what),
            RepoError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} does not exist"))
            }
            RepoError::MissingReference(what) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "reference.not_found", what)
            }
            RepoError::Invalid(v) => v.into(),
            RepoError::Unavailable(what) => {
                tracing::error!(%what, "database unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage.unavailable", "the database is unavailable")
            }
        }
    }
}

/// A broken domain rule: a 422 naming the field.
impl From<latch_domain::rules::Violation> for ApiError {
    fn from(v: latch_domain::rules::Violation) -> ApiError {
        ApiError::invalid(&v.field, v.code, v.message)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Maps a failed unit of work: a row that vanished since the handler loaded it is `missing`
/// (the same 404 as when it was never there); anything else maps as usual.
pub fn or_missing(missing: ApiError) -> impl FnOnce(RepoError) -> ApiError {
    move |e| match e {
        RepoError::NotFound(_) => missing,
        other => other.into(),
    }
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(256 * 1024).error_handler(|err, _req| {
        ApiError::bad_request("request.invalid_body", format!("the body is not valid JSON for this route: {err}"))
            .into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _req| ApiError::bad_request("request.invalid_query", format!("{err}")).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _req| ApiError::bad_request("request.invalid_path", format!("{err}")).into())
}

pub async fn not_found_route(req: HttpRequest) -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "route.not_found", format!("no route {} {}", req.method(), req.path()))
        .error_response()
}
