//! `/oidc/token/introspection` (RFC 7662): resource servers, authenticated as confidential
//! clients, ask whether a token is active and what it carries.

use crate::errors::{self, IdpError, JsonUnavailable};
use crate::revocation::authenticated;
use crate::state::IdpState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_oidc::{OAuthError, crypto, introspect};
use serde_json::Value;

pub async fn introspect(idp: web::Data<IdpState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    match run(&idp, &req, &body).await {
        Ok(r) => r,
        Err(e) => errors::respond(&idp, &req, e),
    }
}

/// What the token is, looked up in the order `token_type_hint` suggests (RFC 7662 §2.1: the
/// hint is only a hint; every kind is tried).
async fn lookup(idp: &IdpState, token: &str, hint: Option<&str>) -> Result<Value, IdpError> {
    let hash = crypto::token_hash(token);
    let now = idp.core.clock.now();
    let refresh_first = hint == Some("refresh_token");
    for refresh in [refresh_first, !refresh_first] {
        if refresh {
            if let Some(r) = idp.core.repos.get_refresh_token(&hash).await.json_unavailable()? {
                return Ok(introspect::refresh_token(&r, now));
            }
        } else if let Some(a) = idp.core.repos.get_access_token(&hash).await.json_unavailable()? {
            return Ok(introspect::opaque_access_token(&a, now));
        }
    }
    Ok(match idp.core.keys().verify(token) {
        Some((claims, typ)) => introspect::jwt_access_token(&claims, typ.as_deref(), &idp.core.settings.issuer, now),
        None => introspect::inactive(),
    })
}

async fn run(idp: &IdpState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, IdpError> {
    let (caller, params) = authenticated(idp, req, body, "introspection", true).await?;
    let token = params
        .get("token")
        .ok_or_else(|| IdpError::OAuth(OAuthError::invalid_request("parameter `token` is missing")))?;
    let answer = lookup(idp, token, params.get("token_type_hint")).await?;
    let resource_server = caller.custom.is_resource_server == Some(true);
    let answer = introspect::for_caller(answer, caller.id.as_str(), resource_server);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(answer))
}
