//! `/api/resources`: API resources (RFC 8707 indicators) and their scopes.

use crate::auth::ADMIN_RESOURCE;
use crate::error::{ApiError, ApiResult};
use crate::page::{self, PageQuery};
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::{Resource, SIGNING_ALGS, Scope};
use latch_domain::ids::{ResourceId, ScopeId, new_id};
use latch_domain::repo::{RepoError, Write};
use latch_types as wire;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(patch)
        .service(delete)
        .service(list_scopes)
        .service(create_scope)
        .service(delete_scope);
}

pub fn wire_resource(r: &Resource) -> wire::Resource {
    wire::Resource {
        id: r.id.to_string(),
        name: r.name.clone(),
        indicator: r.indicator.clone(),
        access_token_ttl: r.access_token_ttl,
        access_token_signing_alg: r.access_token_signing_alg.clone(),
        created_at: r.created_at.0,
    }
}

pub fn wire_scope(s: &Scope) -> wire::Scope {
    wire::Scope {
        id: s.id.to_string(),
        resource_id: s.resource_id.to_string(),
        name: s.name.clone(),
        description: s.description.clone(),
    }
}

async fn load(idp: &Core, id: &str) -> ApiResult<Resource> {
    idp.repos.get_resource(&ResourceId::from(id)).await?.ok_or_else(|| ApiError::not_found("resource"))
}

/// A failed unit of work: `gone` when a row it names is not there (it vanished since the
/// handler loaded it), the usual mapping otherwise.
fn or_gone(gone: ApiError) -> impl FnOnce(RepoError) -> ApiError {
    move |e| match e {
        RepoError::NotFound(_) => gone,
        other => other.into(),
    }
}

/// Lists API resources.
#[utoipa::path(tag = "resources", params(PageQuery),
    responses((status = 200, body = [wire::Resource], headers(("Total-Number" = i64)))), security(("bearer" = [])))]
#[get("/resources")]
pub async fn list(idp: web::Data<Core>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (resources, total) = idp.repos.page_resources(q.page()?).await?;
    Ok(page::respond(&resources.iter().map(wire_resource).collect::<Vec<_>>(), total))
}

/// Creates an API resource.
#[utoipa::path(tag = "resources", request_body = wire::CreateResource,
    responses((status = 201, body = wire::Resource), (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/resources")]
pub async fn create(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::CreateResource>,
) -> ApiResult<HttpResponse> {
    let ttl = body.access_token_ttl.unwrap_or(3600);
    let resource = Resource {
        id: ResourceId(new_id(idp.random.as_ref())),
        name: body.name.trim().to_owned(),
        indicator: body.indicator.clone(),
        access_token_ttl: ttl,
        access_token_signing_alg: body.access_token_signing_alg.clone().unwrap_or_else(|| SIGNING_ALGS[0].to_owned()),
        created_at: idp.clock.now(),
    };
    let change = Changeset::new(
        "resource.create",
        "resource",
        resource.id.as_str(),
        json!({"indicator": resource.indicator}),
        Change::Resource(resource.indicator.clone()),
    )
    .write(Write::InsertResource(resource.clone()));
    idp.apply(&who, change).await.map_err(|e| match e {
        RepoError::Conflict(_) => {
            ApiError::conflict("indicator", "resource.indicator_taken", "another resource has this indicator")
        }
        other => other.into(),
    })?;
    Ok(HttpResponse::Created().json(wire_resource(&resource)))
}

/// Reads one API resource.
#[utoipa::path(tag = "resources",
    responses((status = 200, body = wire::Resource), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/resources/{id}")]
pub async fn get(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(wire_resource(&load(&idp, &id).await?)))
}

/// Renames a resource or changes its token lifetime or signing algorithm (the indicator cannot
/// change). Tokens already issued keep verifying: the JWKS publishes the keys of both algorithms.
#[utoipa::path(tag = "resources", request_body = wire::PatchResource,
    responses((status = 200, body = wire::Resource), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[patch("/resources/{id}")]
pub async fn patch(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::PatchResource>,
) -> ApiResult<HttpResponse> {
    let mut resource = load(&idp, &id).await?;
    if let Some(name) = &body.name {
        resource.name = name.trim().to_owned();
    }
    if let Some(ttl) = body.access_token_ttl {
        resource.access_token_ttl = ttl;
    }
    if let Some(alg) = &body.access_token_signing_alg {
        resource.access_token_signing_alg = alg.clone();
    }
    let change = Changeset::new(
        "resource.update",
        "resource",
        resource.id.as_str(),
        json!({}),
        Change::Resource(resource.indicator.clone()),
    )
    .write(Write::UpdateResource(resource.clone()));
    idp.apply(&who, change).await.map_err(or_gone(ApiError::not_found("resource")))?;
    Ok(HttpResponse::Ok().json(wire_resource(&resource)))
}

/// Deletes a resource with its scopes. The admin API's own resource cannot be deleted.
#[utoipa::path(tag = "resources",
    responses((status = 204), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[delete("/resources/{id}")]
pub async fn delete(idp: web::Data<Core>, who: web::ReqData<Actor>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let resource = load(&idp, &id).await?;
    if resource.indicator == ADMIN_RESOURCE {
        return Err(ApiError::invalid("id", "resource.protected", "the admin API resource cannot be deleted"));
    }
    let change = Changeset::new(
        "resource.delete",
        "resource",
        resource.id.as_str(),
        json!({"indicator": resource.indicator}),
        Change::Resource(resource.indicator.clone()),
    )
    .write(Write::DeleteResource(resource.id.clone()));
    idp.apply(&who, change).await.map_err(or_gone(ApiError::not_found("resource")))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists a resource's scopes.
#[utoipa::path(tag = "resources", params(PageQuery),
    responses((status = 200, body = [wire::Scope], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/resources/{id}/scopes")]
pub async fn list_scopes(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let resource = load(&idp, &id).await?;
    let (scopes, total) = idp.repos.page_scopes(&resource.id, q.page()?).await?;
    Ok(page::respond(&scopes.iter().map(wire_scope).collect::<Vec<_>>(), total))
}

/// Adds a scope to a resource.
#[utoipa::path(tag = "resources", request_body = wire::CreateScope,
    responses((status = 201, body = wire::Scope), (status = 404, body = wire::Problem), (status = 409, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[post("/resources/{id}/scopes")]
pub async fn create_scope(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::CreateScope>,
) -> ApiResult<HttpResponse> {
    let resource = load(&idp, &id).await?;
    let description = body.description.clone().unwrap_or_default();
    let scope = Scope {
        id: ScopeId(new_id(idp.random.as_ref())),
        resource_id: resource.id.clone(),
        name: body.name.clone(),
        description,
    };
    let change = Changeset::new(
        "resource.scope.create",
        "resource",
        resource.id.as_str(),
        json!({"scope": scope.name}),
        Change::Roles,
    )
    .write(Write::InsertScope(scope.clone()));
    idp.apply(&who, change).await.map_err(|e| match e {
        RepoError::Conflict(_) => {
            ApiError::conflict("name", "scope.name_taken", "this resource already has this scope")
        }
        other => other.into(),
    })?;
    Ok(HttpResponse::Created().json(wire_scope(&scope)))
}

/// Deletes a scope: every role and token request loses it at once.
#[utoipa::path(tag = "resources",
    responses((status = 204), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[delete("/resources/{id}/scopes/{scopeId}")]
pub async fn delete_scope(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, scope_id) = path.into_inner();
    let resource = load(&idp, &id).await?;
    let scope = idp
        .repos
        .get_scope(&ScopeId(scope_id))
        .await?
        .filter(|s| s.resource_id == resource.id)
        .ok_or_else(|| ApiError::not_found("scope"))?;
    if latch_domain::admin::is_admin_scope(&resource.indicator, &scope.name) {
        return Err(crate::auth::lockout("scopeId", "the admin API's `all` scope cannot be deleted"));
    }
    let change = Changeset::new(
        "resource.scope.delete",
        "resource",
        resource.id.as_str(),
        json!({"scope": scope.name}),
        Change::Roles,
    )
    .write(Write::DeleteScope(scope.id.clone()));
    idp.apply(&who, change).await.map_err(or_gone(ApiError::not_found("scope")))?;
    Ok(HttpResponse::NoContent().finish())
}
