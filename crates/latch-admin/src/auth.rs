//! Who may call the admin API: a bearer JWT access token (RFC 9068) issued by this Latch for the
//! admin resource with scope `all`. Missing or invalid → 401; valid without the scope → 403.

use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use latch_idp::Idp;
use serde_json::Value;

/// The resource indicator of the admin API.
pub const ADMIN_RESOURCE: &str = "urn:latch:api:admin";
/// The scope that grants everything.
pub const ADMIN_SCOPE: &str = "all";

/// The caller, for the audit log.
#[derive(Clone, Debug)]
pub struct Principal {
    /// `user:<id>` or `application:<client id>`.
    pub actor: String,
}

fn bearer(req: &ServiceRequest) -> Option<&str> {
    let h = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    (h.len() > 7 && h[..7].eq_ignore_ascii_case("bearer ")).then(|| h[7..].trim())
}

fn audience_is_admin(aud: Option<&Value>) -> bool {
    match aud {
        Some(Value::String(a)) => a == ADMIN_RESOURCE,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(ADMIN_RESOURCE)),
        _ => false,
    }
}

/// Checks the token and who it speaks for.
pub fn authenticate(idp: &Idp, token: &str) -> Result<Principal, ApiError> {
    let invalid = || ApiError::unauthorized("the access token is invalid or expired");
    let (claims, typ) = idp.keys().verify(token).ok_or_else(invalid)?;
    if typ.as_deref() != Some(latch_oidc::tokens::AT_JWT_TYP) {
        return Err(invalid());
    }
    let now = idp.clock.now().0;
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if exp <= now || claims.get("iss").and_then(Value::as_str) != Some(idp.settings.issuer.as_str()) {
        return Err(invalid());
    }
    if !audience_is_admin(claims.get("aud")) {
        return Err(ApiError::unauthorized("the access token is not for the admin API"));
    }
    let scopes = claims.get("scope").and_then(Value::as_str).unwrap_or("");
    if !scopes.split(' ').any(|s| s == ADMIN_SCOPE) {
        return Err(ApiError::forbidden("the access token lacks the `all` scope of the admin API"));
    }
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    let client = claims.get("client_id").and_then(Value::as_str).unwrap_or("");
    let actor = if sub == client { format!("application:{client}") } else { format!("user:{sub}") };
    Ok(Principal { actor })
}

pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(idp) = req.app_data::<web::Data<Idp>>().cloned() else {
        return Err(ApiError::unauthorized("the admin API is not configured").into());
    };
    let Some(token) = bearer(&req) else {
        return Err(ApiError::unauthorized("an `Authorization: Bearer` access token is required").into());
    };
    let principal = authenticate(&idp, token)?;
    req.extensions_mut().insert(principal);
    next.call(req).await
}
