//! The one mapping from engine and flow errors to HTTP responses: JSON errors (RFC 6749 §5.2),
//! bearer challenges (RFC 6750 §3), redirects back to the client (RFC 6749 §4.1.2.1, RFC 9207)
//! and error pages when the redirect cannot be trusted.

use crate::i18n::{Lang, Problem};
use crate::pages;
use crate::state::IdpState;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder};
use latch_domain::ephemeral::EphemeralError;
use latch_domain::repo::RepoError;
use latch_oidc::{AuthorizeError, ErrorCode, OAuthError, ResponseMode};
use serde_json::json;

/// Everything an IdP handler can fail with.
#[derive(Debug)]
pub enum IdpError {
    /// A protocol error answered as JSON (token endpoint).
    OAuth(OAuthError),
    /// A request this server refuses to serve at all, answered as a 403 OAuth JSON error (open
    /// registration turned off).
    Forbidden(OAuthError),
    /// Client authentication failed; `basic` when the client tried HTTP Basic.
    Client { error: OAuthError, basic: bool },
    /// An authorization request failed.
    Authorize(AuthorizeError),
    /// A userinfo request without a usable bearer token; `None` when no token was sent.
    Bearer(Option<OAuthError>),
    /// A page for the person in front of the browser, in their language; `detail` is for the
    /// application's developer.
    Page { status: StatusCode, problem: Problem, detail: Option<String> },
    /// Too many failures; retry after that many seconds.
    RateLimited { retry_after: u64, json: bool },
    /// Too many passwords are waiting to be checked: 503 "try again in a moment".
    Busy,
    /// A store failed. Not the user's fault: 503, never a panic.
    Unavailable { detail: String, json: bool },
}

impl IdpError {
    pub fn page(status: StatusCode, problem: Problem) -> IdpError {
        IdpError::Page { status, problem, detail: None }
    }

    /// [`IdpError::page`] with a line for the application's developer.
    pub fn page_with(status: StatusCode, problem: Problem, detail: impl Into<String>) -> IdpError {
        IdpError::Page { status, problem, detail: Some(detail.into()) }
    }

    pub fn expired_interaction() -> IdpError {
        IdpError::page(StatusCode::BAD_REQUEST, Problem::ExpiredInteraction)
    }
}

/// Store failures inside JSON endpoints.
pub trait JsonUnavailable<T> {
    fn json_unavailable(self) -> Result<T, IdpError>;
    fn page_unavailable(self) -> Result<T, IdpError>;
}

impl<T> JsonUnavailable<T> for Result<T, RepoError> {
    fn json_unavailable(self) -> Result<T, IdpError> {
        self.map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: true })
    }
    fn page_unavailable(self) -> Result<T, IdpError> {
        self.map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: false })
    }
}

impl<T> JsonUnavailable<T> for Result<T, EphemeralError> {
    fn json_unavailable(self) -> Result<T, IdpError> {
        self.map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: true })
    }
    fn page_unavailable(self) -> Result<T, IdpError> {
        self.map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: false })
    }
}

fn no_store(mut b: HttpResponseBuilder) -> HttpResponseBuilder {
    b.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
    b
}

fn json_error(status: StatusCode) -> HttpResponseBuilder {
    let mut b = no_store(HttpResponse::build(status));
    b.content_type("application/json");
    b
}

fn error_body(e: &OAuthError) -> serde_json::Value {
    json!({ "error": e.code.as_str(), "error_description": e.description })
}

/// RFC 6749 §5.2 status for a token-endpoint error.
fn token_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::SlowDown => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Quotes a value for a `WWW-Authenticate` parameter.
fn quoted(s: &str) -> String {
    s.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect()
}

/// A query string or form an end-user page cannot read (a parameter missing, the wrong
/// content type, a body too large): the readable error page instead of actix-web's plain-text
/// message, which names Rust types and fields.
pub fn unreadable_page_request(
    err: impl std::fmt::Display + std::fmt::Debug,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    tracing::debug!(%err, path = req.path(), "unreadable end-user request");
    let page = match req.app_data::<actix_web::web::Data<IdpState>>() {
        Some(idp) => pages::error_page(idp, Lang::of_request(req), StatusCode::BAD_REQUEST, Problem::Unreadable, None),
        // Only the IdP's own routes use this handler, and they all have the IdP state.
        None => HttpResponse::BadRequest().content_type("text/plain; charset=utf-8").body("Bad request"),
    };
    actix_web::error::InternalError::from_response(err.to_string(), page).into()
}

/// What a path of Latch's own answers errors with, for answers actix-web makes itself.
enum Surface {
    Json,
    Bearer,
    Page,
}

fn surface_of(path: &str) -> Option<Surface> {
    if path.starts_with("/api/") || path == "/api" || path.starts_with("/console") {
        // The admin API maps its own errors; the console serves its files and pages.
        return None;
    }
    if path == "/oidc/me" {
        Some(Surface::Bearer)
    } else if path.starts_with("/oidc/token")
        || path.starts_with("/oidc/jwks")
        || path.starts_with("/oidc/reg")
        || path.starts_with("/.well-known/")
        || path.starts_with("/oidc/.well-known/")
    {
        Some(Surface::Json)
    } else {
        Some(Surface::Page)
    }
}

/// Answers actix-web gives itself — no route for a method (404, 405), a body over the limit
/// (413), a payload it cannot read (400) — come as plain text or nothing. On the IdP's paths
/// they become what the surface promises: an OAuth JSON error (RFC 6749 §5.2), a bearer
/// challenge (RFC 6750 §3), or a readable page in the reader's language. Answers Latch made
/// (they name their content type) pass unchanged.
pub fn framework_answer(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let made_by_latch = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| !ct.starts_with("text/plain"));
    let framework_status = matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::NOT_FOUND
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    if !framework_status || made_by_latch {
        return res;
    }
    let Some(surface) = surface_of(res.request().path()) else { return res };
    let Some(idp) = res.request().app_data::<actix_web::web::Data<IdpState>>().cloned() else { return res };
    let description = match status {
        StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND if res.request().path().starts_with("/oidc/") => {
            format!("this endpoint does not answer {}", res.request().method())
        }
        StatusCode::NOT_FOUND => "no such endpoint".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_owned(),
        _ => "the request cannot be read".to_owned(),
    };
    let e = OAuthError::new(ErrorCode::InvalidRequest, description);
    let answer = match surface {
        Surface::Json => json_error(status).json(error_body(&e)),
        Surface::Bearer => {
            let mut b = no_store(HttpResponse::build(status));
            let challenge = format!(
                "Bearer realm=\"latch\", error=\"invalid_request\", error_description=\"{}\"",
                quoted(&e.description)
            );
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                b.insert_header((header::WWW_AUTHENTICATE, v));
            }
            b.json(error_body(&e))
        }
        Surface::Page => {
            let problem = if status == StatusCode::NOT_FOUND { Problem::NotFound } else { Problem::Unreadable };
            pages::error_page(&idp, Lang::of_request(res.request()), status, problem, None)
        }
    };
    // What the middlewares added on the way out (CORS headers, say) stays.
    let mut answer = answer;
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH && !answer.headers().contains_key(name) {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    res.into_response(answer)
}

/// Maps `err` to the response the client or user gets; pages are in the language of `req`.
pub fn respond(idp: &IdpState, req: &actix_web::HttpRequest, err: IdpError) -> HttpResponse {
    respond_in(idp, Lang::of_request(req), err)
}

/// [`respond`] with pages in `lang`.
pub fn respond_in(idp: &IdpState, lang: Lang, err: IdpError) -> HttpResponse {
    match err {
        IdpError::OAuth(e) => json_error(token_status(e.code)).json(error_body(&e)),
        IdpError::Forbidden(e) => json_error(StatusCode::FORBIDDEN).json(error_body(&e)),
        IdpError::Client { error, basic } => {
            // RFC 6749 §5.2: 401 for a failed authentication, 400 for a malformed attempt.
            let status =
                if error.code == ErrorCode::InvalidClient { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
            let mut b = json_error(status);
            if basic && status == StatusCode::UNAUTHORIZED {
                b.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"latch\", charset=\"UTF-8\""));
            }
            b.json(error_body(&error))
        }
        IdpError::Bearer(e) => {
            let challenge = match &e {
                None => "Bearer realm=\"latch\"".to_owned(),
                Some(e) => format!(
                    "Bearer realm=\"latch\", error=\"{}\", error_description=\"{}\"",
                    e.code.as_str(),
                    quoted(&e.description)
                ),
            };
            // RFC 6750 §3.1: a malformed request is 400, a bad token 401; without any token the
            // answer carries no error code.
            let status = match &e {
                Some(e) if e.code == ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
                _ => StatusCode::UNAUTHORIZED,
            };
            let mut b = no_store(HttpResponse::build(status));
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                b.insert_header((header::WWW_AUTHENTICATE, v));
            }
            match e {
                Some(e) => b.json(error_body(&e)),
                None => b.finish(),
            }
        }
        IdpError::Authorize(AuthorizeError::NoRedirect(e)) => pages::error_page(
            idp,
            lang,
            StatusCode::BAD_REQUEST,
            Problem::BadAuthorizeRequest,
            Some(&format!("{}: {}", e.code.as_str(), e.description)),
        ),
        IdpError::Authorize(AuthorizeError::Redirect { error, redirect_uri, state, response_mode }) => {
            let mut params = vec![("error", error.code.as_str().to_owned()), ("error_description", error.description)];
            if let Some(s) = state {
                params.push(("state", s));
            }
            redirect_to_client(idp, lang, &redirect_uri, response_mode, params)
        }
        IdpError::Page { status, problem, detail } => pages::error_page(idp, lang, status, problem, detail.as_deref()),
        IdpError::RateLimited { retry_after, json } => {
            let mut b = no_store(HttpResponse::TooManyRequests());
            b.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            if json {
                b.json(json!({"error": "slow_down", "error_description": "too many failed attempts; retry later"}))
            } else {
                let mut page =
                    pages::error_page(idp, lang, StatusCode::TOO_MANY_REQUESTS, Problem::TooManyAttempts, None);
                page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                page
            }
        }
        IdpError::Busy => {
            tracing::warn!("password-hashing queue full; asked the user to retry");
            let mut page = pages::error_page(idp, lang, StatusCode::SERVICE_UNAVAILABLE, Problem::Busy, None);
            page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(2u32));
            page
        }
        IdpError::Unavailable { detail, json } => {
            tracing::error!(%detail, "store unavailable");
            if json {
                let e = OAuthError::new(ErrorCode::TemporarilyUnavailable, "the service is temporarily unavailable");
                json_error(StatusCode::SERVICE_UNAVAILABLE).json(error_body(&e))
            } else {
                pages::error_page(idp, lang, StatusCode::SERVICE_UNAVAILABLE, Problem::Unavailable, None)
            }
        }
    }
}

/// Sends the user back to the client with `params` plus `iss` (RFC 9207), by query or by an
/// auto-submitting form (OAuth 2.0 Form Post Response Mode).
pub fn redirect_to_client(
    idp: &IdpState,
    lang: Lang,
    redirect_uri: &str,
    mode: ResponseMode,
    mut params: Vec<(&'static str, String)>,
) -> HttpResponse {
    params.push(("iss", idp.core.settings.issuer.clone()));
    match mode {
        ResponseMode::FormPost => pages::form_post(idp, lang, redirect_uri, &params),
        ResponseMode::Query => {
            // Exactly the matched string plus the parameters (RFC 6749 §3.1.2), never a
            // re-serialised parse that could point somewhere else.
            let location =
                latch_domain::redirect::with_query(redirect_uri, params.iter().map(|(k, v)| (*k, v.as_str())));
            no_store(HttpResponse::SeeOther()).insert_header((header::LOCATION, location)).finish()
        }
    }
}
