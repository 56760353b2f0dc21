//! Who may administer Latch: checks an admin bearer token with the engine's rules
//! (`latch_oidc::bearer`), then rechecks the caller against the stores on every request, so a
//! removed admin role, a suspension or a deleted app takes effect at once (DESIGN.md "Scopes are
//! per resource"). Used by the admin API and the console's consent preview.

use crate::Core;
use latch_domain::admin::{ADMIN_RESOURCE, ADMIN_SCOPE};
use latch_oidc::bearer::{self, AdminCaller, Rejected};

/// Why an admin request is refused.
#[derive(Debug)]
pub enum AdminDenied {
    /// 401: no usable token, or a caller that no longer exists or is suspended.
    Unauthenticated(&'static str),
    /// 403: a valid token without the right to administer.
    Forbidden(&'static str),
    /// 503: a store failed.
    Unavailable(String),
}

impl From<Rejected> for AdminDenied {
    fn from(r: Rejected) -> Self {
        match r {
            Rejected::Invalid | Rejected::WrongAudience => AdminDenied::Unauthenticated(r.describe()),
            Rejected::InsufficientScope | Rejected::WrongClient => AdminDenied::Forbidden(r.describe()),
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> AdminDenied {
    AdminDenied::Unavailable(e.to_string())
}

/// The caller an admin token speaks for, checked against what is stored now.
pub async fn authorize_admin(idp: &Core, token: &str) -> Result<AdminCaller, AdminDenied> {
    let (claims, typ) = idp.keys().verify(token).ok_or(AdminDenied::from(Rejected::Invalid))?;
    let facts =
        bearer::validate_access_token(&claims, typ.as_deref(), &idp.settings.issuer, ADMIN_RESOURCE, idp.clock.now())?;
    let client = idp.catalog.client(idp.repos.as_ref(), &facts.client_id).await.map_err(unavailable)?;
    let caller = bearer::admin_caller(&facts, client.as_ref().map(|c| c.app.app_type))?;
    let Some(admin_api) = idp.catalog.resource(idp.repos.as_ref(), ADMIN_RESOURCE).await.map_err(unavailable)? else {
        return Err(AdminDenied::Forbidden("the admin API resource does not exist"));
    };
    let holds = match &caller {
        AdminCaller::Person(user) => {
            match idp.repos.get_user(user).await.map_err(unavailable)? {
                Some(u) if !u.is_suspended => {}
                _ => {
                    return Err(AdminDenied::Unauthenticated(
                        "the user of this token no longer exists or is suspended",
                    ));
                }
            }
            idp.repos.user_resource_scopes(user, &admin_api.id).await.map_err(unavailable)?
        }
        AdminCaller::Machine(app) => {
            idp.catalog.m2m_scopes(idp.repos.as_ref(), app, &admin_api.id).await.map_err(unavailable)?.to_vec()
        }
    };
    if !holds.iter().any(|s| s == ADMIN_SCOPE) {
        return Err(AdminDenied::Forbidden("the caller no longer holds the admin role"));
    }
    Ok(caller)
}

/// Whether `user` holds the admin scope of the admin API (the `admins` MFA policy asks this of
/// everyone who signs in).
pub async fn is_admin(idp: &Core, user: &latch_domain::ids::UserId) -> latch_domain::repo::RepoResult<bool> {
    let Some(admin_api) = idp.catalog.resource(idp.repos.as_ref(), ADMIN_RESOURCE).await? else { return Ok(false) };
    Ok(idp.repos.user_resource_scopes(user, &admin_api.id).await?.iter().any(|s| s == ADMIN_SCOPE))
}
