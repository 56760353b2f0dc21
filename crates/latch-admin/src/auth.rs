//! Who may call the admin API: a bearer JWT access token (RFC 9068) issued by this Latch for the
//! admin resource with scope `all`, to the console (for a person holding the admin role) or to a
//! machine-to-machine app holding it (`latch_core::admin_access`). Missing, invalid or of a
//! caller that is gone → 401; valid without the right → 403.

use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use latch_core::admin_access::{self, AdminDenied};
use latch_core::security_log;
use latch_core::{Actor, Core};
use latch_domain::ids::ApplicationId;
use latch_domain::repo::RepoError;
use latch_oidc::bearer::{AdminCaller, AuthorizationHeader, parse_authorization};

pub use latch_domain::admin::{ADMIN_RESOURCE, ADMIN_SCOPE};

/// 422 for a change that would lock the caller (or every administrator) out of the admin API.
pub fn lockout(field: &str, what: &str) -> ApiError {
    ApiError::invalid(field, "admin.lockout", format!("{what}: it would lock administrators out of the admin API"))
}

fn bearer(req: &ServiceRequest) -> Option<&str> {
    match parse_authorization(req.headers().get(header::AUTHORIZATION)?.to_str().ok()?) {
        AuthorizationHeader::Bearer(token) => Some(token),
        AuthorizationHeader::NotBearer => None,
    }
}

/// Checks the token and who it speaks for, against what is stored now (a removed admin role or
/// a suspension takes effect at the next request).
pub async fn authenticate(core: &Core, token: &str) -> Result<Actor, ApiError> {
    match admin_access::authorize_admin(core, token).await {
        Ok(AdminCaller::Person(user)) => Ok(Actor::User(user)),
        Ok(AdminCaller::Machine(app)) => Ok(Actor::Application(app)),
        Err(AdminDenied::Unauthenticated(why)) => Err(ApiError::unauthorized(why)),
        Err(AdminDenied::Forbidden(why)) => Err(ApiError::forbidden(why)),
        Err(AdminDenied::Unavailable(detail)) => Err(RepoError::Unavailable(detail).into()),
    }
}

pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(core) = req.app_data::<web::Data<Core>>().cloned() else {
        return Err(ApiError::unauthorized("the admin API is not configured").into());
    };
    let Some(token) = bearer(&req) else {
        return Err(ApiError::unauthorized("an `Authorization: Bearer` access token is required").into());
    };
    let actor = authenticate(&core, token).await?;
    let client = match &actor {
        Actor::Application(app) => app.clone(),
        _ => ApplicationId::from(latch_domain::admin::CONSOLE_CLIENT_ID),
    };
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let origin = security_log::Origin {
        ip: security_log::client_address(core.settings.trust_forwarded_for, forwarded, req.peer_addr().map(|a| a.ip())),
        user_agent: req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
    };
    security_log::note_admin_token(&core, &origin, actor.audit_name(), client, token).await;
    req.extensions_mut().insert(actor);
    next.call(req).await
}
