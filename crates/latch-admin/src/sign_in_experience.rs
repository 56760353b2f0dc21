//! `/api/sign-in-experience`: how the identity provider itself looks on every end-user page
//! (organisation name, logos, favicon, accent colours, custom CSS), and whether people may
//! create their own account there, and who must sign in with a second factor.

use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use actix_web::{get, put};
use latch_core::{Actor, Core};
use latch_domain::entities::{IdpBranding, MfaPolicy, SignUpMode};
use latch_types as wire;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get).service(put);
}

fn to_wire(b: &IdpBranding) -> wire::IdpBranding {
    wire::IdpBranding {
        organization_name: b.organization_name.clone(),
        logo_url: b.logo_url.clone(),
        dark_logo_url: b.dark_logo_url.clone(),
        favicon_url: b.favicon_url.clone(),
        accent_color: b.accent_color.clone(),
        dark_accent_color: b.dark_accent_color.clone(),
        custom_css: b.custom_css.clone(),
        sign_up: match b.sign_up {
            SignUpMode::Off => wire::SignUpMode::Off,
            SignUpMode::Email => wire::SignUpMode::Email,
            SignUpMode::Username => wire::SignUpMode::Username,
        },
        require_verified_email: b.require_verified_email,
        mfa: match b.mfa {
            MfaPolicy::Optional => wire::MfaPolicy::Optional,
            MfaPolicy::Required => wire::MfaPolicy::Required,
            MfaPolicy::Admins => wire::MfaPolicy::Admins,
        },
    }
}

/// An empty field is no value: the console sends what its inputs hold.
fn set(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// Reads the identity provider's branding (every field empty until it is set).
#[utoipa::path(tag = "sign-in experience",
    responses((status = 200, body = wire::IdpBranding)), security(("bearer" = [])))]
#[get("/sign-in-experience")]
pub async fn get(idp: web::Data<Core>) -> ApiResult<HttpResponse> {
    let stored = idp.repos.get_idp_branding().await?.unwrap_or_default();
    Ok(HttpResponse::Ok().json(to_wire(&stored)))
}

/// Sets the identity provider's branding (every field; absent fields are cleared). Every
/// node shows it on its next page.
#[utoipa::path(tag = "sign-in experience",
    request_body = wire::IdpBranding,
    responses((status = 200, body = wire::IdpBranding), (status = 409, body = wire::Problem),
        (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[put("/sign-in-experience")]
pub async fn put(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::IdpBranding>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let branding = IdpBranding {
        organization_name: set(b.organization_name),
        logo_url: set(b.logo_url),
        dark_logo_url: set(b.dark_logo_url),
        favicon_url: set(b.favicon_url),
        accent_color: set(b.accent_color),
        dark_accent_color: set(b.dark_accent_color),
        custom_css: set(b.custom_css),
        updated_at: idp.clock.now(),
        sign_up: match b.sign_up {
            wire::SignUpMode::Off => SignUpMode::Off,
            wire::SignUpMode::Email => SignUpMode::Email,
            wire::SignUpMode::Username => SignUpMode::Username,
        },
        require_verified_email: b.require_verified_email,
        mfa: match b.mfa {
            wire::MfaPolicy::Optional => MfaPolicy::Optional,
            wire::MfaPolicy::Required => MfaPolicy::Required,
            wire::MfaPolicy::Admins => MfaPolicy::Admins,
        },
    };
    // Nobody could verify an address, so nobody with one could sign in.
    if branding.require_verified_email && idp.mail.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "email.not_configured",
            "requireVerifiedEmail needs an SMTP server to send the codes: set smtp.host and smtp.from first",
        ));
    }
    latch_domain::rules::idp_branding(&branding)?;
    latch_core::commands::set_idp_branding(&idp, &who, branding.clone()).await?;
    Ok(HttpResponse::Ok().json(to_wire(&branding)))
}
