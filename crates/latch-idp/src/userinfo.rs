//! `/oidc/me`, the UserInfo endpoint (OpenID Connect Core §5.3), with bearer tokens sent per
//! RFC 6750 §2.1 (header) or §2.2 (form body).

use crate::errors::{self, IdpError, JsonUnavailable};
use crate::state::IdpState;
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use latch_domain::scope;
use latch_oidc::params::Params;
use latch_oidc::{ErrorCode, OAuthError, crypto};

pub async fn userinfo(idp: web::Data<IdpState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    match run(&idp, &req, &body).await {
        Ok(r) => r,
        Err(e) => errors::respond(&idp, &req, e),
    }
}

fn invalid(d: &str) -> IdpError {
    IdpError::Bearer(Some(OAuthError::new(ErrorCode::InvalidToken, d)))
}

fn bearer_token(req: &HttpRequest, body: &[u8]) -> Result<Option<String>, IdpError> {
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::trim);
    let from_header = match header.map(latch_oidc::bearer::parse_authorization) {
        Some(latch_oidc::bearer::AuthorizationHeader::Bearer(t)) => Some(t.to_owned()),
        Some(latch_oidc::bearer::AuthorizationHeader::NotBearer) => {
            return Err(invalid("the Authorization header is not a Bearer token"));
        }
        None => None,
    };
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let from_body = if req.method() == Method::POST && is_form {
        let text = std::str::from_utf8(body).map_err(|_| invalid("the body is not UTF-8"))?;
        let params = Params::parse(text).map_err(|e| IdpError::Bearer(Some(e)))?;
        params.get("access_token").map(str::to_owned)
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(IdpError::Bearer(Some(OAuthError::invalid_request(
            "send the access token in one place only (RFC 6750 §2)",
        )))),
        (a, b) => Ok(a.or(b)),
    }
}

async fn run(idp: &IdpState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, IdpError> {
    let Some(token) = bearer_token(req, body)? else { return Err(IdpError::Bearer(None)) };
    if token.is_empty() || token.len() > 4096 {
        return Err(invalid("the access token is malformed"));
    }
    let record = idp
        .core
        .repos
        .get_access_token(&crypto::token_hash(&token))
        .await
        .json_unavailable()?
        .ok_or_else(|| invalid("the access token is unknown, revoked or expired"))?;
    if record.expires_at <= idp.core.clock.now() {
        return Err(invalid("the access token is unknown, revoked or expired"));
    }
    let scopes = scope::split(&record.scope);
    if !scopes.iter().any(|s| s == scope::OPENID) {
        return Err(invalid("the access token was not issued with the openid scope"));
    }
    let Some(user_id) = &record.user_id else { return Err(invalid("the access token has no user")) };
    let user = match idp.core.repos.get_user(user_id).await.json_unavailable()? {
        Some(u) if !u.is_suspended => u,
        _ => return Err(invalid("the user no longer exists")),
    };
    let shared = match &record.grant_id {
        Some(g) if scopes.iter().any(|s| s == scope::ORGANIZATIONS || s == scope::ORGANIZATION_ROLES) => idp
            .core
            .repos
            .get_grant_by_id(g)
            .await
            .json_unavailable()?
            .map(|g| g.details.organizations)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let claims = crate::claims::user_claims(idp, &user, &scopes, &shared).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(claims))
}
