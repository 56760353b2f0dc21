//! `/oidc/session/end`: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). The
//! session record is deleted (so every node sees the sign-out) and the session cookie cleared;
//! when the request cannot be tied to the signed-in user, the user confirms first.

use crate::cookies;
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow;
use crate::i18n::{Lang, Problem};
use crate::pages;
use crate::state::IdpState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use latch_domain::ids::SessionId;
use latch_oidc::logout::{self, LogoutRequest};
use latch_oidc::params::Params;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// A sign-out waiting for the user's confirmation, kept in the ephemeral store.
#[derive(Serialize, Deserialize)]
struct Pending {
    csrf: String,
    session_id: SessionId,
    /// The post-logout redirect, already checked against the client's registered URIs.
    target: Option<String>,
    app_name: Option<String>,
}

fn pending_key(id: &str) -> String {
    format!("logout:{id}")
}

fn bad_request(message: String) -> IdpError {
    IdpError::page_with(StatusCode::BAD_REQUEST, Problem::BadLogoutRequest, message)
}

/// GET (query) or POST (form body) — RP-Initiated Logout §2: "MUST support the use of the HTTP
/// GET and POST methods".
pub async fn end_session(idp: web::Data<IdpState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    run(&idp, &req, &body).await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

fn request_params(req: &HttpRequest, body: &[u8]) -> Result<Params, IdpError> {
    let bad = |e: latch_oidc::OAuthError| bad_request(e.description);
    let query = Params::parse(req.query_string()).map_err(bad)?;
    if req.method() != actix_web::http::Method::POST {
        return Ok(query);
    }
    let text = std::str::from_utf8(body).map_err(|_| bad_request("the body is not UTF-8".to_owned()))?;
    Ok(query.merge(Params::parse(text).map_err(bad)?))
}

async fn run(idp: &IdpState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, IdpError> {
    let params = request_params(req, body)?;
    let request: LogoutRequest =
        logout::parse(&params, &idp.core.keys(), &idp.core.settings.issuer).map_err(|e| bad_request(e.description))?;
    let app = match request.client() {
        Some(id) => idp.core.catalog.client(idp.core.repos.as_ref(), id).await.page_unavailable()?.map(|c| c.app),
        None => None,
    };
    let target = request.redirect(app.as_deref());
    let app_name = app.as_ref().map(|a| a.name.clone());
    match flow::current_session(idp, req).await? {
        // Nobody is signed in here: nothing to end, only the cookie to clear.
        None => Ok(finish(idp, Lang::of_request(req), target, app_name.as_deref())),
        Some((session, user)) if request.names_user(user.id.as_str()) => {
            idp.core.repos.delete_session(&session.id).await.page_unavailable()?;
            tracing::info!(user = %user.id, "signed out by the application");
            Ok(finish(idp, Lang::of_request(req), target, app_name.as_deref()))
        }
        // RP-Initiated Logout §2: without a hint naming this user the OP "SHOULD ask the
        // End-User whether to log out".
        Some((session, user)) => {
            let id = idp.core.token(32);
            let pending = Pending { csrf: idp.core.token(32), session_id: session.id, target, app_name };
            let json = serde_json::to_string(&pending)
                .map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: false })?;
            let ttl = Duration::from_secs(u64::try_from(idp.core.settings.interaction_ttl).unwrap_or(3600));
            idp.core.cache.put(&pending_key(&id), &json, ttl).await.page_unavailable()?;
            let user_label =
                user.primary_email.clone().or(user.username.clone()).unwrap_or_else(|| user.id.to_string());
            Ok(pages::logout_confirm(
                idp,
                Lang::of_request(req),
                &pages::LogoutConfirm {
                    logout: &id,
                    csrf: &pending.csrf,
                    app_name: pending.app_name.as_deref(),
                    user_label: &user_label,
                },
            ))
        }
    }
}

/// The answer once the session is over: back to the application, or a page saying so; the
/// session cookie goes either way.
fn finish(idp: &IdpState, lang: Lang, target: Option<String>, app_name: Option<&str>) -> HttpResponse {
    let mut res = match target {
        Some(url) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        None => pages::signed_out(idp, lang, app_name),
    };
    cookies::append(&mut res, &cookies::clear(idp, cookies::SESSION));
    res
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    logout: String,
    csrf: String,
    #[serde(default)]
    decision: String,
}

/// The confirmation form's answer. The CSRF token must match, and the browser must still be
/// in the session the page was shown for.
pub async fn confirm(idp: web::Data<IdpState>, req: HttpRequest, form: web::Form<ConfirmForm>) -> HttpResponse {
    confirmed(&idp, &req, form.into_inner()).await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

async fn confirmed(idp: &IdpState, req: &HttpRequest, form: ConfirmForm) -> Result<HttpResponse, IdpError> {
    let expired = || IdpError::page(StatusCode::BAD_REQUEST, Problem::ExpiredLogout);
    let Some(json) = idp.core.cache.take(&pending_key(&form.logout)).await.page_unavailable()? else {
        return Err(expired());
    };
    let pending: Pending = serde_json::from_str(&json).map_err(|_| expired())?;
    if !bool::from(form.csrf.as_bytes().ct_eq(pending.csrf.as_bytes())) {
        return Err(expired());
    }
    let current = flow::current_session(idp, req).await?;
    if current.as_ref().is_none_or(|(s, _)| s.id != pending.session_id) {
        // Already signed out (or signed in again as someone else): nothing of this page's to end.
        return Ok(finish(idp, Lang::of_request(req), pending.target, pending.app_name.as_deref()));
    }
    if form.decision != "sign_out" {
        return Ok(pages::error_page(idp, Lang::of_request(req), StatusCode::OK, Problem::StillSignedIn, None));
    }
    idp.core.repos.delete_session(&pending.session_id).await.page_unavailable()?;
    tracing::info!("signed out after confirmation");
    Ok(finish(idp, Lang::of_request(req), pending.target, pending.app_name.as_deref()))
}
