//! `/api/users/{id}/mfa`: a user's second factors (what kind, when enrolled and last used, how
//! many recovery codes are left; never a secret), and the operator's "reset MFA" for a user who
//! lost them: every factor and recovery code goes, and the user signs in with a password alone
//! again (or enrols anew where the policy requires a factor).

use crate::error::ApiResult;
use actix_web::{HttpResponse, web};
use actix_web::{delete, get};
use latch_core::{Actor, Core};
use latch_types as wire;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get).service(reset);
}

/// Lists the user's second factors and how many recovery codes are left.
#[utoipa::path(tag = "users",
    responses((status = 200, body = wire::UserMfa), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/users/{id}/mfa")]
pub async fn get(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let user = crate::users::load(&idp, &id).await?;
    let factors = idp.repos.list_user_factors(&user.id).await?;
    let body = wire::UserMfa {
        factors: factors
            .iter()
            .map(|f| wire::MfaFactor {
                id: f.id.to_string(),
                kind: f.kind.as_str().to_owned(),
                name: f.name.clone(),
                created_at: f.created_at.0,
                last_used_at: f.last_used_at.map(|t| t.0),
            })
            .collect(),
        recovery_codes_left: idp.repos.count_recovery_codes(&user.id).await?,
    };
    Ok(HttpResponse::Ok().json(body))
}

/// Removes every second factor and recovery code of the user ("reset MFA"). Audited as
/// `user.mfa.reset` with how many factors went.
#[utoipa::path(tag = "users",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/users/{id}/mfa")]
pub async fn reset(idp: web::Data<Core>, who: web::ReqData<Actor>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let user = crate::users::load(&idp, &id).await?;
    latch_core::commands::reset_mfa(&idp, &who, &user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
