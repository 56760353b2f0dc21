//! `/oidc/auth` (GET and POST): validate, then sign in, consent, or answer with a code.

use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow::{self, current_session};
use crate::i18n::Problem;
use crate::state::IdpState;
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use latch_domain::entities::Application;
use latch_oidc::authorize::AuthRequest;
use latch_oidc::params::Params;
use latch_oidc::{AuthorizeError, ErrorCode, OAuthError};

pub async fn authorize(idp: web::Data<IdpState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    match run(&idp, &req, &body).await {
        Ok(r) => r,
        Err(e) => errors::respond(&idp, &req, e),
    }
}

/// The error for a validated request, sent back to the client; a device authorization has no
/// redirect URI, so its user sees the error on the page instead.
pub fn redirect_error(request: &AuthRequest, code: ErrorCode, description: &str) -> IdpError {
    if request.device.is_some() {
        let detail = format!("{}: {description}", code.as_str());
        return IdpError::page_with(StatusCode::BAD_REQUEST, Problem::BadAuthorizeRequest, detail);
    }
    IdpError::Authorize(AuthorizeError::Redirect {
        error: OAuthError::new(code, description),
        redirect_uri: request.redirect_uri.clone(),
        state: request.state.clone(),
        response_mode: request.response_mode,
    })
}

async fn run(idp: &IdpState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, IdpError> {
    let no_redirect = |e: OAuthError| IdpError::Authorize(AuthorizeError::NoRedirect(e));
    let mut params = Params::parse(req.query_string()).map_err(no_redirect)?;
    if req.method() == Method::POST {
        let body =
            std::str::from_utf8(body).map_err(|_| no_redirect(OAuthError::invalid_request("body is not UTF-8")))?;
        params = params.merge(Params::parse(body).map_err(no_redirect)?);
    }
    if let Some(id) = params.get("client_id").filter(|_| !params.is_duplicated("client_id")) {
        crate::client_documents::refresh(idp, req, id).await?;
    }
    let app = match params.get("client_id") {
        // From the catalog, as at the token endpoint: a hot path reads no app from the database.
        Some(id) if !params.is_duplicated("client_id") => idp
            .core
            .catalog
            .client(idp.core.repos.as_ref(), id)
            .await
            .page_unavailable()?
            .map(|c| Application::clone(&c.app)),
        _ => None,
    };
    let request = latch_oidc::authorize::validate(&params, app.as_ref()).map_err(IdpError::Authorize)?;
    let Some(app) = app else {
        return Err(no_redirect(OAuthError::invalid_client("no application has this client_id")));
    };
    for r in &request.resources {
        if idp.core.catalog.resource(idp.core.repos.as_ref(), r).await.page_unavailable()?.is_none() {
            return Err(redirect_error(&request, ErrorCode::InvalidTarget, &format!("unknown resource `{r}`")));
        }
    }
    let now = idp.core.clock.now();
    let session = current_session(idp, req).await?;
    let fresh = session
        .as_ref()
        // OpenID Connect Core §3.1.2.1: max_age=0 asks for a fresh sign-in, like prompt=login.
        .is_some_and(|(s, _)| {
            !request.prompt.login && request.max_age.is_none_or(|max| max > 0 && now.0 - s.auth_time.0 <= max)
        });
    // A session without the second factor this request needs (the operator's policy, or the
    // app's `acr_values`): the session stands for the first factor, so only the second is asked
    // for (and set up first by who has none). `prompt=none` cannot ask: login_required.
    let session = match session {
        Some((s, u)) if fresh && !request.prompt.none => {
            return crate::second_factor::proceed_or_step_up(idp, req, &app, request, s, u).await;
        }
        Some((s, u)) if fresh => {
            let needed = crate::second_factor::needed(idp, &u.id, request.acr_values.as_deref()).await?;
            latch_oidc::mfa::session_suffices(&s.amr, needed).then_some((s, u))
        }
        _ => None,
    };
    match session {
        Some((session, user)) => flow::proceed(idp, &app, request, user, session, None).await,
        _ if request.prompt.none => {
            Err(redirect_error(&request, ErrorCode::LoginRequired, "the user is not signed in"))
        }
        _ => flow::start_sign_in(idp, req, &app, request).await,
    }
}
