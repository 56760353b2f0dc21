//! `/api/registration-policy`: whether clients may register themselves at `/oidc/reg`
//! (RFC 7591), and the ceiling every such client gets; and taking a self-registered client
//! over (`/api/applications/{id}/registration`).

use crate::error::{ApiError, ApiResult};
use crate::permissions::{describe, resolve};
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post, put};
use latch_core::{Actor, Core};
use latch_domain::entities::{AppType, InitialAccessToken, RegistrationPolicy};
use latch_types as wire;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get)
        .service(put)
        .service(promote)
        .service(list_initial_access_tokens)
        .service(create_initial_access_token)
        .service(delete_initial_access_token);
}

async fn to_wire(idp: &Core, p: &RegistrationPolicy) -> ApiResult<wire::RegistrationPolicy> {
    Ok(wire::RegistrationPolicy {
        enabled: p.enabled,
        app_types: p.app_types.iter().map(|t| t.as_str().to_owned()).collect(),
        permissions: describe(idp, p.permissions.clone()).await?,
        redirect_hosts: p.redirect_hosts.clone(),
        require_initial_access_token: p.require_initial_access_token,
        registrations_per_hour: p.registrations_per_hour,
        unverified_notice: p.unverified_notice,
        updated_at: p.updated_at.0,
    })
}

/// Reads the registration policy (off, with its defaults, until an operator sets one).
#[utoipa::path(tag = "registration",
    responses((status = 200, body = wire::RegistrationPolicy)), security(("bearer" = [])))]
#[get("/registration-policy")]
pub async fn get(idp: web::Data<Core>) -> ApiResult<HttpResponse> {
    let stored = idp.repos.get_registration_policy().await?.unwrap_or_default();
    Ok(HttpResponse::Ok().json(to_wire(&idp, &stored).await?))
}

/// Sets the registration policy. Every node applies it at once; clients registered before
/// keep the permissions they were given.
#[utoipa::path(tag = "registration",
    request_body = wire::PutRegistrationPolicy,
    responses((status = 200, body = wire::RegistrationPolicy), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[put("/registration-policy")]
pub async fn put(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::PutRegistrationPolicy>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let mut app_types = Vec::new();
    for (i, t) in b.app_types.iter().enumerate() {
        match AppType::parse(t) {
            Some(t) if !app_types.contains(&t) => app_types.push(t),
            Some(_) => {}
            None => {
                return Err(ApiError::invalid(
                    &format!("appTypes[{i}]"),
                    "request.invalid",
                    format!("`{t}` is not SPA, Native or Traditional"),
                ));
            }
        }
    }
    let permissions = resolve(&idp, &b.permissions, "permissions.")
        .await?
        .into_iter()
        .map(|p| latch_domain::entities::ConsentScope { required: false, ..p })
        .collect();
    let policy = RegistrationPolicy {
        enabled: b.enabled,
        app_types,
        permissions,
        redirect_hosts: b.redirect_hosts.iter().map(|h| h.trim().to_owned()).collect(),
        require_initial_access_token: b.require_initial_access_token,
        registrations_per_hour: b.registrations_per_hour,
        unverified_notice: b.unverified_notice,
        updated_at: idp.clock.now(),
    };
    latch_domain::rules::registration_policy(&policy)?;
    latch_core::commands::set_registration_policy(&idp, &who, policy.clone()).await?;
    Ok(HttpResponse::Ok().json(to_wire(&idp, &policy).await?))
}

/// Takes a self-registered application over: it stays with its grants, but is no longer
/// self-registered (no unverified notice on the consent screen) and its registration access
/// token stops working (RFC 7592 management ends).
#[utoipa::path(tag = "registration",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/applications/{id}/registration")]
pub async fn promote(idp: web::Data<Core>, who: web::ReqData<Actor>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let app = latch_domain::ids::ApplicationId::from(id.as_str());
    latch_core::commands::promote_registered_client(&idp, &who, &app)
        .await
        .map_err(crate::error::or_missing(ApiError::not_found("registration")))?;
    Ok(HttpResponse::NoContent().finish())
}

fn token_to_wire(t: &InitialAccessToken, value: Option<String>) -> wire::InitialAccessToken {
    wire::InitialAccessToken {
        id: t.id.clone(),
        name: t.name.clone(),
        created_at: t.created_at.0,
        expires_at: t.expires_at.map(|e| e.0),
        token: value,
    }
}

/// Lists the initial access tokens (never their values), newest first.
#[utoipa::path(tag = "registration",
    responses((status = 200, body = [wire::InitialAccessToken])), security(("bearer" = [])))]
#[get("/registration-policy/initial-access-tokens")]
pub async fn list_initial_access_tokens(idp: web::Data<Core>) -> ApiResult<HttpResponse> {
    let all = idp.repos.list_initial_access_tokens().await?;
    Ok(HttpResponse::Ok().json(all.iter().map(|t| token_to_wire(t, None)).collect::<Vec<_>>()))
}

/// Issues an initial access token; its value is in this response only.
#[utoipa::path(tag = "registration", request_body = wire::CreateInitialAccessToken,
    responses((status = 201, body = wire::InitialAccessToken), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/registration-policy/initial-access-tokens")]
pub async fn create_initial_access_token(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::CreateInitialAccessToken>,
) -> ApiResult<HttpResponse> {
    let now = idp.clock.now();
    if body.expires_at.is_some_and(|e| e <= now.0) {
        return Err(ApiError::invalid("expiresAt", "request.in_the_past", "expiresAt must be in the future"));
    }
    latch_domain::rules::name("name", body.name.trim(), latch_domain::rules::MAX_NAME)?;
    let expires = body.expires_at.map(latch_domain::Timestamp);
    let (value, token) = latch_core::commands::create_initial_access_token(&idp, &who, &body.name, expires).await?;
    Ok(HttpResponse::Created().json(token_to_wire(&token, Some(value))))
}

/// Revokes an initial access token: registrations with it are refused from now on.
#[utoipa::path(tag = "registration",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/registration-policy/initial-access-tokens/{id}")]
pub async fn delete_initial_access_token(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    latch_core::commands::delete_initial_access_token(&idp, &who, &id)
        .await
        .map_err(crate::error::or_missing(ApiError::not_found("initial access token")))?;
    Ok(HttpResponse::NoContent().finish())
}
