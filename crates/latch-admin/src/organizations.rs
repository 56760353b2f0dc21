//! `/api/organizations`: organizations themselves, and what the organization files share
//! (`organization_members.rs` for their members and the members' organization roles,
//! `organization_scopes.rs`, `organization_roles.rs`).

use crate::error::{ApiError, ApiResult};
use crate::page::{self, PageQuery};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::{Organization, OrganizationRole, OrganizationScope};
use latch_domain::ids::{OrganizationId, new_id};
use latch_domain::repo::{RepoError, Write};
use latch_types as wire;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(create).service(get).service(patch).service(delete);
}

fn wire_organization(o: &Organization) -> wire::Organization {
    wire::Organization {
        id: o.id.to_string(),
        name: o.name.clone(),
        description: o.description.clone(),
        created_at: o.created_at.0,
    }
}

pub(crate) fn wire_organization_scope(s: &OrganizationScope) -> wire::OrganizationScope {
    wire::OrganizationScope {
        id: s.id.to_string(),
        name: s.name.clone(),
        description: s.description.clone(),
        created_at: s.created_at.0,
    }
}

pub(crate) fn wire_organization_role(r: &OrganizationRole) -> wire::OrganizationRole {
    wire::OrganizationRole {
        id: r.id.to_string(),
        name: r.name.clone(),
        description: r.description.clone(),
        created_at: r.created_at.0,
    }
}

/// 404 for `code` (`organization_scope.not_found`, …) with a readable `what`.
pub(crate) fn missing(code: &str, what: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, code, format!("no {what} has this id"))
}

/// A failed unit of work: `gone` when a row it names is not there (it vanished since the
/// handler loaded it), the usual mapping otherwise.
pub(crate) fn or_gone(gone: ApiError) -> impl FnOnce(RepoError) -> ApiError {
    move |e| match e {
        RepoError::NotFound(_) => gone,
        other => other.into(),
    }
}

/// 409 on `name` when the store reports a unique violation.
pub(crate) fn name_conflict(code: &'static str, detail: &'static str) -> impl Fn(RepoError) -> ApiError {
    move |e| match e {
        RepoError::Conflict(_) => ApiError::conflict("name", code, detail),
        other => other.into(),
    }
}

/// [`name_conflict`] for a unit that also names an existing row: `gone` when it is not there.
pub(crate) fn name_conflict_or_gone(
    code: &'static str,
    detail: &'static str,
    gone: ApiError,
) -> impl FnOnce(RepoError) -> ApiError {
    move |e| match e {
        RepoError::NotFound(_) => gone,
        other => name_conflict(code, detail)(other),
    }
}

pub(crate) async fn load(idp: &Core, id: &str) -> ApiResult<Organization> {
    idp.repos.get_organization(&OrganizationId::from(id)).await?.ok_or_else(|| ApiError::not_found("organization"))
}

/// Lists organizations, oldest first.
#[utoipa::path(tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::Organization], headers(("Total-Number" = i64))), (status = 401, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/organizations")]
pub async fn list(idp: web::Data<Core>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (orgs, total) = idp.repos.list_organizations(q.page()?).await?;
    Ok(page::respond(&orgs.iter().map(wire_organization).collect::<Vec<_>>(), total))
}

/// Creates an organization.
#[utoipa::path(tag = "organizations", request_body = wire::CreateOrganization,
    responses((status = 201, body = wire::Organization), (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/organizations")]
pub async fn create(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::CreateOrganization>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let org = Organization {
        id: OrganizationId(new_id(idp.random.as_ref())),
        name: body.name.trim().to_owned(),
        description: body.description.filter(|d| !d.is_empty()),
        created_at: idp.clock.now(),
    };
    let change = Changeset::new(
        "organization.create",
        "organization",
        org.id.as_str(),
        json!({"name": org.name}),
        Change::Organizations,
    )
    .write(Write::InsertOrganization(org.clone()));
    idp.apply(&who, change)
        .await
        .map_err(name_conflict("organization.name_taken", "another organization has this name"))?;
    Ok(HttpResponse::Created().json(wire_organization(&org)))
}

/// Reads one organization.
#[utoipa::path(tag = "organizations",
    responses((status = 200, body = wire::Organization), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/organizations/{id}")]
pub async fn get(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(wire_organization(&load(&idp, &id).await?)))
}

/// Renames or re-describes an organization; a `null` or empty `description` clears it.
#[utoipa::path(tag = "organizations", request_body = wire::PatchOrganization,
    responses((status = 200, body = wire::Organization), (status = 404, body = wire::Problem), (status = 409, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[patch("/organizations/{id}")]
pub async fn patch(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::PatchOrganization>,
) -> ApiResult<HttpResponse> {
    let mut org = load(&idp, &id).await?;
    let body = body.into_inner();
    if let Some(name) = &body.name {
        org.name = name.trim().to_owned();
    }
    if let Some(d) = body.description {
        org.description = d.filter(|d| !d.is_empty());
    }
    let change =
        Changeset::new("organization.update", "organization", org.id.as_str(), json!({}), Change::Organizations)
            .write(Write::UpdateOrganization(org.clone()));
    idp.apply(&who, change).await.map_err(name_conflict_or_gone(
        "organization.name_taken",
        "another organization has this name",
        ApiError::not_found("organization"),
    ))?;
    Ok(HttpResponse::Ok().json(wire_organization(&org)))
}

/// Deletes an organization with its memberships and its members' organization roles.
#[utoipa::path(tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/organizations/{id}")]
pub async fn delete(idp: web::Data<Core>, who: web::ReqData<Actor>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let change = Changeset::new("organization.delete", "organization", &id, json!({}), Change::Organizations)
        .write(Write::DeleteOrganization(OrganizationId::from(id.as_str())));
    idp.apply(&who, change).await.map_err(or_gone(ApiError::not_found("organization")))?;
    Ok(HttpResponse::NoContent().finish())
}
