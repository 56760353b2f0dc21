//! Who may call the admin API: a bearer JWT access token (RFC 9068) issued by this Latch for the
//! admin resource with scope `all`, to the console (for a person holding the admin role) or to a
//! machine-to-machine app holding it (`latch_idp::admin_access`). Missing, invalid or of a
//! caller that is gone → 401; valid without the right → 403.

use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use latch_domain::repo::RepoError;
use latch_idp::Idp;
use latch_idp::admin_access::{self, AdminDenied};
use latch_oidc::bearer::AdminCaller;

pub use latch_domain::admin::{ADMIN_RESOURCE, ADMIN_SCOPE};

/// The caller, for the audit log.
#[derive(Clone, Debug)]
pub struct Principal {
    /// `user:<id>` or `application:<client id>`.
    pub actor: String,
}

impl Principal {
    /// Whether the caller is the application `id` itself.
    pub fn is_application(&self, id: &str) -> bool {
        self.actor.strip_prefix("application:") == Some(id)
    }

    /// Whether the caller is the user `id` itself.
    pub fn is_user(&self, id: &str) -> bool {
        self.actor.strip_prefix("user:") == Some(id)
    }
}

/// 422 for a change that would lock the caller (or every administrator) out of the admin API.
pub fn lockout(field: &str, what: &str) -> ApiError {
    ApiError::invalid(field, "admin.lockout", format!("{what}: it would lock administrators out of the admin API"))
}

fn bearer(req: &ServiceRequest) -> Option<&str> {
    let h = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    (h.len() > 7 && h[..7].eq_ignore_ascii_case("bearer ")).then(|| h[7..].trim())
}

/// Checks the token and who it speaks for, against what is stored now (a removed admin role or
/// a suspension takes effect at the next request).
pub async fn authenticate(idp: &Idp, token: &str) -> Result<Principal, ApiError> {
    match admin_access::authorize_admin(idp, token).await {
        Ok(AdminCaller::Person(user)) => Ok(Principal { actor: format!("user:{user}") }),
        Ok(AdminCaller::Machine(app)) => Ok(Principal { actor: format!("application:{app}") }),
        Err(AdminDenied::Unauthenticated(why)) => Err(ApiError::unauthorized(why)),
        Err(AdminDenied::Forbidden(why)) => Err(ApiError::forbidden(why)),
        Err(AdminDenied::Unavailable(detail)) => Err(RepoError::Unavailable(detail).into()),
    }
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
    let principal = authenticate(&idp, token).await?;
    req.extensions_mut().insert(principal);
    next.call(req).await
}
