//! `/api/applications/{id}/sign-in-experience`: how a third-party app's consent screen looks.

use crate::applications::load;
use crate::audit;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use actix_web::{HttpResponse, web};
use latch_domain::fields;
use latch_domain::orgs::Branding;
use latch_idp::Idp;
use latch_types as wire;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/applications/{id}/sign-in-experience", web::get().to(get))
        .route("/applications/{id}/sign-in-experience", web::put().to(put));
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

/// `latch_domain::fields::web_url`: absolute https, http only for localhost.
fn check_url(field: &str, v: &Option<String>) -> ApiResult<()> {
    let Some(v) = v else { return Ok(()) };
    fields::web_url(v).map_err(|e| ApiError::invalid(field, "branding.invalid_url", e.to_string()))
}

/// Reads the branding; 404 until it is set.
#[utoipa::path(get, path = "/api/applications/{id}/sign-in-experience", tag = "applications",
    responses((status = 200, body = wire::SignInExperience), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn get(idp: web::Data<Idp>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let app = load(&idp, &id).await?;
    let branding = idp.repos.get_branding(&app.id).await?.ok_or_else(|| ApiError::not_found("sign-in experience"))?;
    Ok(HttpResponse::Ok().json(to_wire(&branding)))
}

/// Sets the branding (every field; absent fields are cleared).
#[utoipa::path(put, path = "/api/applications/{id}/sign-in-experience", tag = "applications",
    request_body = wire::SignInExperience,
    responses((status = 200, body = wire::SignInExperience), (status = 404, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
pub async fn put(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    id: web::Path<String>,
    body: web::Json<wire::SignInExperience>,
) -> ApiResult<HttpResponse> {
    let app = load(&idp, &id).await?;
    let b = body.into_inner();
    if let Some(name) = &b.display_name {
        crate::applications::check_name("displayName", name, fields::MAX_DISPLAY_NAME)?;
    }
    check_url("logoUrl", &b.logo_url)?;
    check_url("darkLogoUrl", &b.dark_logo_url)?;
    check_url("termsOfUseUrl", &b.terms_of_use_url)?;
    check_url("privacyPolicyUrl", &b.privacy_policy_url)?;
    if let Some(c) = &b.color {
        fields::color(c).map_err(|e| ApiError::invalid("color", "branding.invalid_color", e.to_string()))?;
    }
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
    idp.repos.put_branding(&branding).await?;
    audit::record(&idp, &who, "application.branding.set", "application", app.id.as_str(), json!({})).await;
    Ok(HttpResponse::Ok().json(to_wire(&branding)))
}
