//! `/oidc/token/revocation` (RFC 7009): refresh tokens and opaque access tokens, revoked by the
//! client they were issued to.

use crate::errors::{self, IdpError, JsonUnavailable};
use crate::ratelimit;
use crate::state::IdpState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_domain::entities::Application;
use latch_oidc::client_auth::{self, Presented};
use latch_oidc::params::Params;
use latch_oidc::tokens::AT_JWT_TYP;
use latch_oidc::{ErrorCode, OAuthError, crypto};

pub async fn revoke(idp: web::Data<IdpState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    match run(&idp, &req, &body).await {
        Ok(r) => r,
        Err(e) => errors::respond(&idp, &req, e),
    }
}

fn oauth(e: OAuthError) -> IdpError {
    IdpError::OAuth(e)
}

/// Reads a form POST and authenticates its client as the token endpoint does (RFC 6749
/// §2.3.1; RFC 7009 §2.1; RFC 7662 §2.1). With `secret_required`, a public client's bare
/// `client_id` is not enough (introspection is for confidential resource servers).
pub(crate) async fn authenticated(
    idp: &IdpState,
    req: &HttpRequest,
    body: &[u8],
    endpoint: &'static str,
    secret_required: bool,
) -> Result<(Application, Params), IdpError> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(oauth(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded")));
    }
    let ip = ratelimit::client_ip(idp, req);
    // Counted before the client is authenticated (RFC 6749 §2.3.1), given back once it is.
    ratelimit::count_ip(idp, endpoint, &ip, true).await?;
    let body = std::str::from_utf8(body).map_err(|_| oauth(OAuthError::invalid_request("the body is not UTF-8")))?;
    let params = Params::parse(body).map_err(oauth)?;
    params.reject_duplicates().map_err(oauth)?;
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let presented = client_auth::extract(authorization, &params)
        .map_err(|e| IdpError::Client { error: e.error, basic: e.used_basic })?;
    if secret_required && matches!(presented, Presented::None { .. }) {
        return Err(IdpError::Client {
            error: OAuthError::invalid_client("authenticate with the client secret"),
            basic: false,
        });
    }
    let client = idp.core.catalog.client(idp.core.repos.as_ref(), presented.client_id()).await.json_unavailable()?;
    let app = client.as_ref().map(|c| c.app.as_ref());
    let secrets = client.as_ref().map(|c| c.secrets.as_slice()).unwrap_or_default();
    if let Err(e) = client_auth::authenticate(&presented, app, secrets, idp.core.clock.now()) {
        let event = latch_core::security_log::client_auth_failed(presented.client_id(), &e);
        latch_core::security_log::record(&idp.core, &ratelimit::origin(idp, req), event).await;
        return Err(IdpError::Client { error: e.error, basic: e.used_basic });
    }
    ratelimit::forgive_ip(idp, endpoint, &ip).await;
    let app = app.cloned().ok_or_else(|| IdpError::Client {
        error: OAuthError::invalid_client("unknown client"),
        basic: presented.used_basic(),
    })?;
    Ok((app, params))
}

/// RFC 7009 §2.1: "verifies whether the token was issued to the client making the revocation
/// request. If this validation fails, the request is refused".
fn not_yours() -> IdpError {
    oauth(OAuthError::invalid_request("the token was issued to another client"))
}

async fn run(idp: &IdpState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, IdpError> {
    let (app, params) = authenticated(idp, req, body, "revocation", false).await?;
    let token =
        params.get("token").ok_or_else(|| oauth(OAuthError::invalid_request("parameter `token` is missing")))?;
    let hash = crypto::token_hash(token);
    // RFC 7009 §2.1: the hint only orders the look-ups; the other kind is tried as well.
    let refresh_first = params.get("token_type_hint") != Some("access_token");
    for refresh in [refresh_first, !refresh_first] {
        if refresh {
            if let Some(r) = idp.core.repos.get_refresh_token(&hash).await.json_unavailable()? {
                if r.application_id != app.id {
                    return Err(not_yours());
                }
                // RFC 7009 §2.1: revoking a refresh token SHOULD also invalidate the access
                // tokens of the same grant.
                idp.core.repos.delete_refresh_token(&hash).await.json_unavailable()?;
                idp.core.repos.delete_grant_access_tokens(&r.grant_id).await.json_unavailable()?;
                return Ok(ok());
            }
        } else if let Some(a) = idp.core.repos.get_access_token(&hash).await.json_unavailable()? {
            if a.application_id != app.id {
                return Err(not_yours());
            }
            idp.core.repos.delete_access_token(&hash).await.json_unavailable()?;
            return Ok(ok());
        }
    }
    // RFC 9068 JWT access tokens are self-contained: they cannot be revoked, only expire.
    if idp.core.keys().verify(token).is_some_and(|(_, typ)| typ.as_deref() == Some(AT_JWT_TYP)) {
        return Err(oauth(OAuthError::new(
            ErrorCode::UnsupportedTokenType,
            "JWT access tokens cannot be revoked; they expire on their own",
        )));
    }
    // RFC 7009 §2.2: an invalid or unknown token is answered with 200 as well.
    Ok(ok())
}

fn ok() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .finish()
}
