//! `/api/organization-roles`: the roles members hold inside an organization, with the
//! organization scopes and API resource scopes they grant there.

use crate::error::{ApiError, ApiResult};
use crate::organizations::{
    missing, name_conflict, name_conflict_or_gone, or_gone, wire_organization_role, wire_organization_scope,
};
use crate::page::{self, PageQuery};
use crate::resources::wire_scope;
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core, commands};
use latch_domain::entities::OrganizationRole;
use latch_domain::ids::{OrganizationRoleId, OrganizationScopeId, ScopeId, new_id};
use latch_domain::repo::Write;
use latch_types as wire;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_roles)
        .service(create_role)
        .service(get_role)
        .service(patch_role)
        .service(delete_role)
        .service(list_role_scopes)
        .service(add_role_scopes)
        .service(remove_role_scope)
        .service(list_role_resource_scopes)
        .service(add_role_resource_scopes)
        .service(remove_role_resource_scope);
}

fn role_not_found() -> ApiError {
    missing("organization_role.not_found", "organization role")
}

async fn load_role(idp: &Core, id: &str) -> ApiResult<OrganizationRole> {
    idp.repos.get_organization_role(&OrganizationRoleId::from(id)).await?.ok_or_else(role_not_found)
}

/// The organization scopes `ids` name; 422 naming the first unknown one (`{field}[i]`).
async fn existing_org_scopes(idp: &Core, field: &str, ids: &[String]) -> ApiResult<Vec<OrganizationScopeId>> {
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let scope = idp.repos.get_organization_scope(&OrganizationScopeId(id.clone())).await?.ok_or_else(|| {
            ApiError::invalid(
                &format!("{field}[{i}]"),
                "organization_scope.not_found",
                format!("no organization scope has the id `{id}`"),
            )
        })?;
        out.push(scope.id);
    }
    Ok(out)
}

/// The API resource scopes `ids` name; 422 naming the first unknown one (`{field}[i]`).
async fn existing_resource_scopes(idp: &Core, field: &str, ids: &[String]) -> ApiResult<Vec<ScopeId>> {
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let scope = idp.repos.get_scope(&ScopeId(id.clone())).await?.ok_or_else(|| {
            ApiError::invalid(&format!("{field}[{i}]"), "scope.not_found", format!("no scope has the id `{id}`"))
        })?;
        out.push(scope.id);
    }
    Ok(out)
}

/// Lists organization roles, by name.
#[utoipa::path(tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::OrganizationRole], headers(("Total-Number" = i64))), (status = 401, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/organization-roles")]
pub async fn list_roles(idp: web::Data<Core>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (list, total) = idp.repos.list_organization_roles(q.page()?).await?;
    Ok(page::respond(&list.iter().map(wire_organization_role).collect::<Vec<_>>(), total))
}

/// Creates an organization role, optionally with organization scopes and API resource scopes.
#[utoipa::path(tag = "organizations", request_body = wire::CreateOrganizationRole,
    responses((status = 201, body = wire::OrganizationRole), (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/organization-roles")]
pub async fn create_role(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::CreateOrganizationRole>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let description = body.description.unwrap_or_default();
    let org_scopes =
        existing_org_scopes(&idp, "organizationScopeIds", body.organization_scope_ids.as_deref().unwrap_or(&[]))
            .await?;
    let resource_scopes =
        existing_resource_scopes(&idp, "resourceScopeIds", body.resource_scope_ids.as_deref().unwrap_or(&[])).await?;
    let role = OrganizationRole {
        id: OrganizationRoleId(new_id(idp.random.as_ref())),
        name: body.name.trim().to_owned(),
        description,
        created_at: idp.clock.now(),
    };
    commands::create_organization_role(&idp, &who, &role, org_scopes, resource_scopes)
        .await
        .map_err(name_conflict("organization_role.name_taken", "another organization role has this name"))?;
    Ok(HttpResponse::Created().json(wire_organization_role(&role)))
}

/// Reads one organization role.
#[utoipa::path(tag = "organizations",
    responses((status = 200, body = wire::OrganizationRole), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/organization-roles/{id}")]
pub async fn get_role(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(wire_organization_role(&load_role(&idp, &id).await?)))
}

/// Renames or re-describes an organization role.
#[utoipa::path(tag = "organizations",
    request_body = wire::PatchOrganizationRole,
    responses((status = 200, body = wire::OrganizationRole), (status = 404, body = wire::Problem),
        (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[patch("/organization-roles/{id}")]
pub async fn patch_role(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::PatchOrganizationRole>,
) -> ApiResult<HttpResponse> {
    let mut role = load_role(&idp, &id).await?;
    let body = body.into_inner();
    if let Some(name) = &body.name {
        role.name = name.trim().to_owned();
    }
    if let Some(d) = body.description {
        role.description = d;
    }
    let change =
        Changeset::new("organization_role.update", "organization_role", role.id.as_str(), json!({}), Change::Roles)
            .write(Write::UpdateOrganizationRole(role.clone()));
    idp.apply(&who, change).await.map_err(name_conflict_or_gone(
        "organization_role.name_taken",
        "another organization role has this name",
        role_not_found(),
    ))?;
    Ok(HttpResponse::Ok().json(wire_organization_role(&role)))
}

/// Deletes an organization role: its holders lose its scopes at once.
#[utoipa::path(tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/organization-roles/{id}")]
pub async fn delete_role(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let change = Changeset::new("organization_role.delete", "organization_role", &id, json!({}), Change::Roles)
        .write(Write::DeleteOrganizationRole(OrganizationRoleId::from(id.as_str())));
    idp.apply(&who, change).await.map_err(or_gone(role_not_found()))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists the organization scopes an organization role grants.
#[utoipa::path(tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::OrganizationScope], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/organization-roles/{id}/scopes")]
pub async fn list_role_scopes(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = q.page()?;
    let role = load_role(&idp, &id).await?;
    let (scopes, total) = idp.repos.page_organization_role_scopes(&role.id, page).await?;
    Ok(page::respond(&scopes.iter().map(wire_organization_scope).collect::<Vec<_>>(), total))
}

/// Adds organization scopes to an organization role.
#[utoipa::path(tag = "organizations",
    request_body = wire::OrganizationScopeIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/organization-roles/{id}/scopes")]
pub async fn add_role_scopes(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::OrganizationScopeIds>,
) -> ApiResult<HttpResponse> {
    let role = load_role(&idp, &id).await?;
    let scopes = existing_org_scopes(&idp, "organizationScopeIds", &body.organization_scope_ids).await?;
    let change = Changeset::new(
        "organization_role.scopes.add",
        "organization_role",
        role.id.as_str(),
        json!({"organizationScopeIds": body.organization_scope_ids}),
        Change::Roles,
    )
    .write(Write::AddOrganizationRoleScopes { role: role.id.clone(), scopes });
    idp.apply(&who, change).await?;
    Ok(HttpResponse::Created().finish())
}

/// Takes an organization scope from an organization role.
#[utoipa::path(tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/organization-roles/{id}/scopes/{scopeId}")]
pub async fn remove_role_scope(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, scope_id) = path.into_inner();
    let role = load_role(&idp, &id).await?;
    let change = Changeset::new(
        "organization_role.scopes.remove",
        "organization_role",
        role.id.as_str(),
        json!({"organizationScopeId": scope_id}),
        Change::Roles,
    )
    .write(Write::RemoveOrganizationRoleScope { role: role.id.clone(), scope: OrganizationScopeId(scope_id.clone()) });
    idp.apply(&who, change)
        .await
        .map_err(or_gone(missing("organization_scope.not_found", "organization scope of this role")))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists the API resource scopes an organization role grants.
#[utoipa::path(tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::Scope], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/organization-roles/{id}/resource-scopes")]
pub async fn list_role_resource_scopes(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = q.page()?;
    let role = load_role(&idp, &id).await?;
    let (scopes, total) = idp.repos.page_organization_role_resource_scopes(&role.id, page).await?;
    Ok(page::respond(&scopes.iter().map(wire_scope).collect::<Vec<_>>(), total))
}

/// Adds API resource scopes to an organization role.
#[utoipa::path(tag = "organizations",
    request_body = wire::ScopeIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/organization-roles/{id}/resource-scopes")]
pub async fn add_role_resource_scopes(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::ScopeIds>,
) -> ApiResult<HttpResponse> {
    let role = load_role(&idp, &id).await?;
    let scopes = existing_resource_scopes(&idp, "scopeIds", &body.scope_ids).await?;
    let change = Changeset::new(
        "organization_role.resource_scopes.add",
        "organization_role",
        role.id.as_str(),
        json!({"scopeIds": body.scope_ids}),
        Change::Roles,
    )
    .write(Write::AddOrganizationRoleResourceScopes { role: role.id.clone(), scopes });
    idp.apply(&who, change).await?;
    Ok(HttpResponse::Created().finish())
}

/// Takes an API resource scope from an organization role.
#[utoipa::path(tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/organization-roles/{id}/resource-scopes/{scopeId}")]
pub async fn remove_role_resource_scope(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, scope_id) = path.into_inner();
    let role = load_role(&idp, &id).await?;
    let change = Changeset::new(
        "organization_role.resource_scopes.remove",
        "organization_role",
        role.id.as_str(),
        json!({"scopeId": scope_id}),
        Change::Roles,
    )
    .write(Write::RemoveOrganizationRoleResourceScope { role: role.id.clone(), scope: ScopeId(scope_id.clone()) });
    idp.apply(&who, change).await.map_err(or_gone(ApiError::not_found("scope")))?;
    Ok(HttpResponse::NoContent().finish())
}
