//! `/api/organization-scopes`: the permissions that exist in every organization
//! (`invite:member`, …), granted through organization roles.

use crate::error::{ApiError, ApiResult};
use crate::organizations::{missing, name_conflict, name_conflict_or_gone, or_gone, wire_organization_scope};
use crate::page::{self, PageQuery};
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::OrganizationScope;
use latch_domain::ids::{OrganizationScopeId, new_id};
use latch_domain::repo::Write;
use latch_types as wire;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_scopes).service(create_scope).service(get_scope).service(patch_scope).service(delete_scope);
}

fn scope_not_found() -> ApiError {
    missing("organization_scope.not_found", "organization scope")
}

async fn load_scope(idp: &Core, id: &str) -> ApiResult<OrganizationScope> {
    idp.repos.get_organization_scope(&OrganizationScopeId::from(id)).await?.ok_or_else(scope_not_found)
}

/// Lists organization scopes, by name.
#[utoipa::path(tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::OrganizationScope], headers(("Total-Number" = i64))), (status = 401, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/organization-scopes")]
pub async fn list_scopes(idp: web::Data<Core>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (list, total) = idp.repos.list_organization_scopes(q.page()?).await?;
    Ok(page::respond(&list.iter().map(wire_organization_scope).collect::<Vec<_>>(), total))
}

/// Creates an organization scope.
#[utoipa::path(tag = "organizations", request_body = wire::CreateOrganizationScope,
    responses((status = 201, body = wire::OrganizationScope), (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/organization-scopes")]
pub async fn create_scope(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::CreateOrganizationScope>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let description = body.description.unwrap_or_default();
    let scope = OrganizationScope {
        id: OrganizationScopeId(new_id(idp.random.as_ref())),
        name: body.name,
        description,
        created_at: idp.clock.now(),
    };
    let change = Changeset::new(
        "organization_scope.create",
        "organization_scope",
        scope.id.as_str(),
        json!({"name": scope.name}),
        Change::Organizations,
    )
    .write(Write::InsertOrganizationScope(scope.clone()));
    idp.apply(&who, change)
        .await
        .map_err(name_conflict("organization_scope.name_taken", "another organization scope has this name"))?;
    Ok(HttpResponse::Created().json(wire_organization_scope(&scope)))
}

/// Reads one organization scope.
#[utoipa::path(tag = "organizations",
    responses((status = 200, body = wire::OrganizationScope), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/organization-scopes/{id}")]
pub async fn get_scope(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(wire_organization_scope(&load_scope(&idp, &id).await?)))
}

/// Renames or re-describes an organization scope.
#[utoipa::path(tag = "organizations",
    request_body = wire::PatchOrganizationScope,
    responses((status = 200, body = wire::OrganizationScope), (status = 404, body = wire::Problem),
        (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[patch("/organization-scopes/{id}")]
pub async fn patch_scope(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::PatchOrganizationScope>,
) -> ApiResult<HttpResponse> {
    let mut scope = load_scope(&idp, &id).await?;
    let body = body.into_inner();
    if let Some(name) = body.name {
        scope.name = name;
    }
    if let Some(d) = body.description {
        scope.description = d;
    }
    let change =
        Changeset::new("organization_scope.update", "organization_scope", scope.id.as_str(), json!({}), Change::Roles)
            .write(Write::UpdateOrganizationScope(scope.clone()));
    idp.apply(&who, change).await.map_err(name_conflict_or_gone(
        "organization_scope.name_taken",
        "another organization scope has this name",
        scope_not_found(),
    ))?;
    Ok(HttpResponse::Ok().json(wire_organization_scope(&scope)))
}

/// Deletes an organization scope: every organization role loses it at once.
#[utoipa::path(tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/organization-scopes/{id}")]
pub async fn delete_scope(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let change = Changeset::new("organization_scope.delete", "organization_scope", &id, json!({}), Change::Roles)
        .write(Write::DeleteOrganizationScope(OrganizationScopeId::from(id.as_str())));
    idp.apply(&who, change).await.map_err(or_gone(scope_not_found()))?;
    Ok(HttpResponse::NoContent().finish())
}
