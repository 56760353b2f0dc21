//! `/api/applications/{id}/sign-in-experience`: how a third-party app's consent screen looks.

use crate::applications::load;
use crate::error::ApiResult;
use actix_web::{HttpResponse, web};
use actix_web::{get, put};
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::Branding;
use latch_domain::repo::Write;
use latch_types as wire;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get).service(put);
}

fn to_wire(b: &Branding) -> wire::SignInExperience {
    wire::SignInExperience {
        display_name: b.display_name.clone(),
        logo_url: b.logo_url.clone(),
        dark_logo_url: b.dark_logo_url.clone(),
        terms_of_use_url: b.terms_of_use_url.clone(),
        privacy_policy_url: b.privacy_policy_url.clone(),
        color: b.color.clone(),
    }
}

/// Reads the branding: every field empty until it is set (404 only for an unknown app).
#[utoipa::path(tag = "applications",
    responses((status = 200, body = wire::SignInExperience), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/applications/{id}/sign-in-experience")]
pub async fn get(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let app = load(&idp, &id).await?;
    let branding = idp.repos.get_branding(&app.id).await?.unwrap_or_default();
    Ok(HttpResponse::Ok().json(to_wire(&branding)))
}

/// Sets the branding (every field; absent fields are cleared).
#[utoipa::path(tag = "applications",
    request_body = wire::SignInExperience,
    responses((status = 200, body = wire::SignInExperience), (status = 404, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[put("/applications/{id}/sign-in-experience")]
pub async fn put(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::SignInExperience>,
) -> ApiResult<HttpResponse> {
    let app = load(&idp, &id).await?;
    let b = body.into_inner();
    let branding = Branding {
        application_id: app.id.clone(),
        display_name: b.display_name,
        logo_url: b.logo_url,
        dark_logo_url: b.dark_logo_url,
        terms_of_use_url: b.terms_of_use_url,
        privacy_policy_url: b.privacy_policy_url,
        color: b.color,
        updated_at: idp.clock.now(),
    };
    latch_domain::rules::branding(&branding)?;
    let change = Changeset::new(
        "application.branding.set",
        "application",
        app.id.as_str(),
        json!({}),
        Change::Application(app.id.clone()),
    )
    .write(Write::PutBranding(branding.clone()));
    idp.apply(&who, change).await?;
    Ok(HttpResponse::Ok().json(to_wire(&branding)))
}
