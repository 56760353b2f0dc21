//! `/api/applications`: applications, their secrets and (machine-to-machine) roles.

use crate::auth::lockout;
use crate::error::{ApiError, ApiResult, or_missing};
use crate::page::{self, PageQuery};
use crate::roles::wire_role;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use latch_core::catalog::Change;
use latch_core::commands::{self, NewApplication};
use latch_core::{Actor, Changeset, Core};
use latch_domain::admin;
use latch_domain::entities::{AppSecret, AppType, Application, ClientRegistration, CustomClientMetadata, RoleType};
use latch_domain::ids::{ApplicationId, RoleId, new_id};
use latch_domain::repo::Write;
use latch_domain::rules;
use latch_types as wire;
use serde::Deserialize;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(patch)
        .service(delete)
        .service(list_secrets)
        .service(create_secret)
        .service(delete_secret)
        .service(list_roles)
        .service(add_roles)
        .service(remove_role);
}

pub fn app_type_from(t: wire::ApplicationType) -> AppType {
    match t {
        wire::ApplicationType::Traditional => AppType::Traditional,
        wire::ApplicationType::Spa => AppType::Spa,
        wire::ApplicationType::Native => AppType::Native,
        wire::ApplicationType::MachineToMachine => AppType::MachineToMachine,
    }
}

fn app_type_to(t: AppType) -> wire::ApplicationType {
    match t {
        AppType::Traditional => wire::ApplicationType::Traditional,
        AppType::Spa => wire::ApplicationType::Spa,
        AppType::Native => wire::ApplicationType::Native,
        AppType::MachineToMachine => wire::ApplicationType::MachineToMachine,
    }
}

fn custom_from(c: wire::CustomClientMetadata) -> CustomClientMetadata {
    CustomClientMetadata {
        cors_allowed_origins: c.cors_allowed_origins,
        id_token_ttl: c.id_token_ttl,
        refresh_token_ttl_in_days: c.refresh_token_ttl_in_days,
        rotate_refresh_token: c.rotate_refresh_token,
        always_issue_refresh_token: c.always_issue_refresh_token,
        id_token_signed_response_alg: c.id_token_signed_response_alg,
        is_resource_server: c.is_resource_server,
        device_flow: c.device_flow,
    }
}

fn custom_to(c: &CustomClientMetadata) -> wire::CustomClientMetadata {
    wire::CustomClientMetadata {
        cors_allowed_origins: c.cors_allowed_origins.clone(),
        id_token_ttl: c.id_token_ttl,
        refresh_token_ttl_in_days: c.refresh_token_ttl_in_days,
        rotate_refresh_token: c.rotate_refresh_token,
        always_issue_refresh_token: c.always_issue_refresh_token,
        id_token_signed_response_alg: c.id_token_signed_response_alg.clone(),
        is_resource_server: c.is_resource_server,
        device_flow: c.device_flow,
    }
}

pub fn to_wire(app: &Application, secret: Option<String>) -> wire::Application {
    wire::Application {
        id: app.id.to_string(),
        name: app.name.clone(),
        description: app.description.clone(),
        app_type: app_type_to(app.app_type),
        is_third_party: app.is_third_party,
        oidc_client_metadata: wire::OidcClientMetadata {
            redirect_uris: app.redirect_uris.clone(),
            post_logout_redirect_uris: app.post_logout_redirect_uris.clone(),
        },
        custom_client_metadata: custom_to(&app.custom),
        created_at: app.created_at.0,
        secret,
        registration: None,
    }
}

/// [`to_wire`] with how the app registered itself, when it did.
pub fn with_registration(mut app: wire::Application, r: Option<&ClientRegistration>) -> wire::Application {
    app.registration = r.map(|r| wire::AppRegistration {
        kind: match r.kind {
            latch_domain::entities::RegistrationKind::Registration => wire::RegistrationKind::Registration,
            latch_domain::entities::RegistrationKind::MetadataDocument => wire::RegistrationKind::MetadataDocument,
        },
        registered_at: r.registered_at.0,
        ip: r.ip.clone(),
        user_agent: r.user_agent.clone(),
        software_id: r.software_id.clone(),
        software_version: r.software_version.clone(),
        client_uri: r.client_uri.clone(),
        contacts: r.contacts.clone(),
    });
    app
}

fn name_conflict(e: latch_domain::repo::RepoError) -> ApiError {
    match e {
        latch_domain::repo::RepoError::Conflict(_) => {
            ApiError::conflict("name", "application.name_taken", "another application has this name")
        }
        other => other.into(),
    }
}

pub async fn load(idp: &Core, id: &str) -> ApiResult<Application> {
    idp.repos.get_application(&ApplicationId::from(id)).await?.ok_or_else(|| ApiError::not_found("application"))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only third-party (`true`) or only first-party (`false`) applications.
    is_third_party: Option<bool>,
    #[param(minimum = 1)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
}

/// Lists applications.
#[utoipa::path(tag = "applications", params(ListQuery),
    responses((status = 200, body = [wire::Application], headers(("Total-Number" = i64))),
        (status = 400, body = wire::Problem), (status = 401, body = wire::Problem)), security(("bearer" = [])))]
#[get("/applications")]
pub async fn list(idp: web::Data<Core>, q: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    let page = PageQuery { page: q.page, page_size: q.page_size }.page()?;
    let (apps, total) = idp.repos.list_applications(q.is_third_party, page).await?;
    let ids: Vec<ApplicationId> = apps.iter().map(|a| a.id.clone()).collect();
    let registrations = idp.repos.client_registrations_of(&ids).await?;
    let out: Vec<wire::Application> = apps
        .iter()
        .map(|a| with_registration(to_wire(a, None), registrations.iter().find(|r| r.application_id == a.id)))
        .collect();
    Ok(page::respond(&out, total))
}

/// Creates an application; confidential ones get their first secret in this response only.
#[utoipa::path(tag = "applications", request_body = wire::CreateApplication,
    responses((status = 201, body = wire::Application), (status = 400, body = wire::Problem),
        (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[post("/applications")]
pub async fn create(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::CreateApplication>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let app_type = app_type_from(body.app_type);
    let meta = body.oidc_client_metadata.unwrap_or_default();
    let custom = body.custom_client_metadata.unwrap_or_default();
    let now = idp.clock.now();
    let app = Application {
        id: ApplicationId(new_id(idp.random.as_ref())),
        name: body.name.trim().to_owned(),
        description: body.description,
        app_type,
        is_third_party: body.is_third_party,
        redirect_uris: meta.redirect_uris,
        post_logout_redirect_uris: meta.post_logout_redirect_uris,
        custom: custom_from(custom),
        created_at: now,
    };
    rules::application(&app)?;
    // The app, its URIs and its first secret are one unit: never a confidential app without one.
    let secret = commands::create_application(&idp, &who, NewApplication { app: app.clone(), roles: Vec::new() })
        .await
        .map_err(name_conflict)?;
    Ok(HttpResponse::Created().json(to_wire(&app, secret)))
}

/// Reads one application.
#[utoipa::path(tag = "applications",
    responses((status = 200, body = wire::Application), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/applications/{id}")]
pub async fn get(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let app = load(&idp, &id).await?;
    let registration = idp.repos.get_client_registration(&app.id).await?;
    Ok(HttpResponse::Ok().json(with_registration(to_wire(&app, None), registration.as_ref())))
}

/// Changes an application. `type` and `isThirdParty` cannot change.
#[utoipa::path(tag = "applications", request_body = wire::PatchApplication,
    responses((status = 200, body = wire::Application), (status = 404, body = wire::Problem),
        (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[patch("/applications/{id}")]
pub async fn patch(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::PatchApplication>,
) -> ApiResult<HttpResponse> {
    let mut app = load(&idp, &id).await?;
    let body = body.into_inner();
    if body.app_type.is_some_and(|t| app_type_from(t) != app.app_type) {
        return Err(ApiError::invalid("type", "application.immutable", "the type of an application cannot change"));
    }
    if body.is_third_party.is_some_and(|t| t != app.is_third_party) {
        return Err(ApiError::invalid("isThirdParty", "application.immutable", "isThirdParty cannot change"));
    }
    if let Some(name) = body.name {
        app.name = name.trim().to_owned();
    }
    if let Some(d) = body.description {
        app.description = Some(d);
    }
    let meta = body.oidc_client_metadata.unwrap_or(wire::OidcClientMetadata {
        redirect_uris: app.redirect_uris.clone(),
        post_logout_redirect_uris: app.post_logout_redirect_uris.clone(),
    });
    let custom = body.custom_client_metadata.unwrap_or_else(|| custom_to(&app.custom));
    app.redirect_uris = meta.redirect_uris;
    app.post_logout_redirect_uris = meta.post_logout_redirect_uris;
    app.custom = custom_from(custom);
    rules::application(&app)?;
    let change = Changeset::new(
        "application.update",
        "application",
        app.id.as_str(),
        json!({}),
        Change::Application(app.id.clone()),
    )
    .write(Write::UpdateApplication(app.clone()));
    idp.apply(&who, change).await.map_err(|e| match e {
        latch_domain::repo::RepoError::NotFound(_) => ApiError::not_found("application"),
        other => name_conflict(other),
    })?;
    let registration = idp.repos.get_client_registration(&app.id).await?;
    Ok(HttpResponse::Ok().json(with_registration(to_wire(&app, None), registration.as_ref())))
}

/// Deletes an application with its secrets, grants and tokens (not the caller's own).
#[utoipa::path(tag = "applications",
    responses((status = 204), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[delete("/applications/{id}")]
pub async fn delete(idp: web::Data<Core>, who: web::ReqData<Actor>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    if who.is_application(&id) {
        return Err(lockout("id", "an application cannot delete itself"));
    }
    let app_id = ApplicationId::from(id.as_str());
    let change = Changeset::new(
        "application.delete",
        "application",
        app_id.as_str(),
        json!({}),
        Change::Application(app_id.clone()),
    )
    .write(Write::DeleteApplication(app_id.clone()));
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("application")))?;
    Ok(HttpResponse::NoContent().finish())
}

fn confidential(app: &Application) -> ApiResult<()> {
    if app.app_type.is_confidential() {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "type",
            "application.no_secrets",
            "only Traditional and MachineToMachine apps have secrets",
        ))
    }
}

fn secret_to_wire(s: &AppSecret, value: Option<String>) -> wire::Secret {
    wire::Secret { name: s.name.clone(), created_at: s.created_at.0, expires_at: s.expires_at.map(|t| t.0), value }
}

/// Lists an application's secrets (never their values).
#[utoipa::path(tag = "applications", params(PageQuery),
    responses((status = 200, body = [wire::Secret], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/applications/{id}/secrets")]
pub async fn list_secrets(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let app = load(&idp, &id).await?;
    confidential(&app)?;
    let (secrets, total) = idp.repos.page_secrets(&app.id, q.page()?).await?;
    let out: Vec<wire::Secret> = secrets.iter().map(|s| secret_to_wire(s, None)).collect();
    Ok(page::respond(&out, total))
}

/// Adds a named secret; its value is in this response only.
#[utoipa::path(tag = "applications", request_body = wire::CreateSecret,
    responses((status = 201, body = wire::Secret), (status = 404, body = wire::Problem), (status = 409, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[post("/applications/{id}/secrets")]
pub async fn create_secret(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::CreateSecret>,
) -> ApiResult<HttpResponse> {
    let app = load(&idp, &id).await?;
    confidential(&app)?;
    rules::name("name", &body.name, 128)?;
    let now = idp.clock.now();
    if body.expires_at.is_some_and(|e| e <= now.0) {
        return Err(ApiError::invalid("expiresAt", "secret.expired", "expiresAt must be in the future"));
    }
    let expires_at = body.expires_at.map(latch_domain::Timestamp);
    let (value, secret) =
        commands::create_secret(&idp, &who, &app, body.name.trim(), expires_at).await.map_err(|e| match e {
            latch_domain::repo::RepoError::Conflict(_) => {
                ApiError::conflict("name", "secret.name_taken", "this application already has a secret with this name")
            }
            latch_domain::repo::RepoError::NotFound(_) => ApiError::not_found("application"),
            other => other.into(),
        })?;
    Ok(HttpResponse::Created().json(secret_to_wire(&secret, Some(value))))
}

/// Deletes a secret: it fails at the token endpoint at once, on every node.
#[utoipa::path(tag = "applications",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/applications/{id}/secrets/{name}")]
pub async fn delete_secret(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, name) = path.into_inner();
    let app = load(&idp, &id).await?;
    let change = Changeset::new(
        "application.secret.delete",
        "application",
        app.id.as_str(),
        json!({"name": name}),
        Change::Application(app.id.clone()),
    )
    .write(Write::DeleteSecret { app: app.id.clone(), name: name.clone() });
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("secret")))?;
    Ok(HttpResponse::NoContent().finish())
}

fn m2m(app: &Application) -> ApiResult<()> {
    if app.app_type == AppType::MachineToMachine {
        Ok(())
    } else {
        Err(ApiError::invalid("type", "application.no_roles", "only MachineToMachine applications hold roles"))
    }
}

/// Lists the roles of a machine-to-machine application.
#[utoipa::path(tag = "applications", params(PageQuery),
    responses((status = 200, body = [wire::Role], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/applications/{id}/roles")]
pub async fn list_roles(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let app = load(&idp, &id).await?;
    m2m(&app)?;
    let (roles, total) = idp.repos.page_application_roles(&app.id, q.page()?).await?;
    let roles: Vec<wire::Role> = roles.iter().map(wire_role).collect();
    Ok(page::respond(&roles, total))
}

/// Gives MachineToMachine roles to a machine-to-machine application.
#[utoipa::path(tag = "applications", request_body = wire::RoleIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/applications/{id}/roles")]
pub async fn add_roles(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::RoleIds>,
) -> ApiResult<HttpResponse> {
    let app = load(&idp, &id).await?;
    m2m(&app)?;
    let ids = crate::roles::existing_roles(&idp, &body.role_ids, RoleType::MachineToMachine).await?;
    let change = Changeset::new(
        "application.roles.add",
        "application",
        app.id.as_str(),
        json!({"roleIds": body.role_ids}),
        Change::Application(app.id.clone()),
    )
    .write(Write::AddApplicationRoles { app: app.id.clone(), roles: ids });
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("application")))?;
    Ok(HttpResponse::build(StatusCode::CREATED).finish())
}

/// Takes a role from a machine-to-machine application (not its own admin role from the caller).
#[utoipa::path(tag = "applications",
    responses((status = 204), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[delete("/applications/{id}/roles/{roleId}")]
pub async fn remove_role(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, role_id) = path.into_inner();
    let app = load(&idp, &id).await?;
    if who.is_application(&id)
        && idp.repos.get_role(&RoleId(role_id.clone())).await?.is_some_and(|r| admin::is_builtin_admin_role(&r.name))
    {
        return Err(lockout("roleId", "an application cannot take its own admin role"));
    }
    let change = Changeset::new(
        "application.roles.remove",
        "application",
        app.id.as_str(),
        json!({"roleId": role_id}),
        Change::Application(app.id.clone()),
    )
    .write(Write::RemoveApplicationRole { app: app.id.clone(), role: RoleId(role_id.clone()) });
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("role")))?;
    Ok(HttpResponse::NoContent().finish())
}
