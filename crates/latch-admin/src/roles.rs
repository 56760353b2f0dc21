//! `/api/roles`: global roles, the resource scopes they grant, and the users holding them.

use crate::auth::lockout;
use crate::error::{ApiError, ApiResult};
use crate::page::{self, PageQuery};
use crate::resources::wire_scope;
use crate::users::wire_user;
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core, commands};
use latch_domain::admin;
use latch_domain::entities::{Role, RoleType};
use latch_domain::ids::{RoleId, ScopeId, UserId, new_id};
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
        .service(add_scopes)
        .service(remove_scope)
        .service(list_users)
        .service(add_users)
        .service(remove_user);
}

pub fn wire_role(r: &Role) -> wire::Role {
    wire::Role {
        id: r.id.to_string(),
        name: r.name.clone(),
        description: r.description.clone(),
        role_type: match r.role_type {
            RoleType::User => wire::RoleType::User,
            RoleType::MachineToMachine => wire::RoleType::MachineToMachine,
        },
        created_at: r.created_at.0,
    }
}

/// The roles `ids` name, all of type `expected`; 422 naming the first that is not.
pub async fn existing_roles(idp: &Core, ids: &[String], expected: RoleType) -> ApiResult<Vec<RoleId>> {
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let field = format!("roleIds[{i}]");
        let role = idp
            .repos
            .get_role(&RoleId(id.clone()))
            .await?
            .ok_or_else(|| ApiError::invalid(&field, "role.not_found", format!("no role has the id `{id}`")))?;
        if role.role_type != expected {
            return Err(ApiError::invalid(
                &field,
                "role.wrong_type",
                format!(
                    "role `{}` is a {} role; a {} role is needed here",
                    role.name,
                    role.role_type.as_str(),
                    expected.as_str()
                ),
            ));
        }
        out.push(role.id);
    }
    Ok(out)
}

/// The scopes `ids` name; 422 naming the first unknown one.
pub async fn existing_scopes(idp: &Core, ids: &[String]) -> ApiResult<Vec<ScopeId>> {
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let scope = idp.repos.get_scope(&ScopeId(id.clone())).await?.ok_or_else(|| {
            ApiError::invalid(&format!("scopeIds[{i}]"), "scope.not_found", format!("no scope has the id `{id}`"))
        })?;
        out.push(scope.id);
    }
    Ok(out)
}

async fn load(idp: &Core, id: &str) -> ApiResult<Role> {
    idp.repos.get_role(&RoleId::from(id)).await?.ok_or_else(|| ApiError::not_found("role"))
}

fn name_conflict(e: RepoError) -> ApiError {
    match e {
        RepoError::Conflict(_) => ApiError::conflict("name", "role.name_taken", "another role has this name"),
        other => other.into(),
    }
}

/// A failed unit of work: `gone` when a row it names is not there (it vanished since the
/// handler loaded it), the usual mapping otherwise.
fn or_gone(gone: ApiError) -> impl FnOnce(RepoError) -> ApiError {
    move |e| match e {
        RepoError::NotFound(_) => gone,
        other => other.into(),
    }
}

/// Lists roles.
#[utoipa::path(tag = "roles", params(PageQuery),
    responses((status = 200, body = [wire::Role], headers(("Total-Number" = i64)))), security(("bearer" = [])))]
#[get("/roles")]
pub async fn list(idp: web::Data<Core>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (roles, total) = idp.repos.list_roles(q.page()?).await?;
    Ok(page::respond(&roles.iter().map(wire_role).collect::<Vec<_>>(), total))
}

/// Creates a role, optionally with scopes.
#[utoipa::path(tag = "roles", request_body = wire::CreateRole,
    responses((status = 201, body = wire::Role), (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/roles")]
pub async fn create(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::CreateRole>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let scopes = existing_scopes(&idp, body.scope_ids.as_deref().unwrap_or(&[])).await?;
    let role = Role {
        id: RoleId(new_id(idp.random.as_ref())),
        name: body.name.trim().to_owned(),
        description: body.description.unwrap_or_default(),
        role_type: match body.role_type {
            Some(wire::RoleType::MachineToMachine) => RoleType::MachineToMachine,
            _ => RoleType::User,
        },
        created_at: idp.clock.now(),
    };
    commands::create_role(&idp, &who, &role, scopes).await.map_err(name_conflict)?;
    Ok(HttpResponse::Created().json(wire_role(&role)))
}

/// Reads one role.
#[utoipa::path(tag = "roles",
    responses((status = 200, body = wire::Role), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/roles/{id}")]
pub async fn get(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(wire_role(&load(&idp, &id).await?)))
}

/// Renames or re-describes a role.
#[utoipa::path(tag = "roles", request_body = wire::PatchRole,
    responses((status = 200, body = wire::Role), (status = 404, body = wire::Problem), (status = 409, body = wire::Problem)),
    security(("bearer" = [])))]
#[patch("/roles/{id}")]
pub async fn patch(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::PatchRole>,
) -> ApiResult<HttpResponse> {
    let mut role = load(&idp, &id).await?;
    if let Some(name) = &body.name {
        role.name = name.trim().to_owned();
    }
    if let Some(d) = &body.description {
        role.description = d.clone();
    }
    let change = Changeset::new("role.update", "role", role.id.as_str(), json!({}), Change::Roles)
        .write(Write::UpdateRole(role.clone()));
    idp.apply(&who, change).await.map_err(|e| match e {
        RepoError::NotFound(_) => ApiError::not_found("role"),
        other => name_conflict(other),
    })?;
    Ok(HttpResponse::Ok().json(wire_role(&role)))
}

/// Deletes a role; its holders lose its scopes at once. The built-in admin roles stay.
#[utoipa::path(tag = "roles",
    responses((status = 204), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[delete("/roles/{id}")]
pub async fn delete(idp: web::Data<Core>, who: web::ReqData<Actor>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let role = load(&idp, &id).await?;
    if admin::is_builtin_admin_role(&role.name) {
        return Err(lockout("id", "the built-in admin roles cannot be deleted"));
    }
    let change = Changeset::new("role.delete", "role", &id, json!({}), Change::Roles).write(Write::DeleteRole(role.id));
    idp.apply(&who, change).await.map_err(or_gone(ApiError::not_found("role")))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists the scopes a role grants.
#[utoipa::path(tag = "roles", params(PageQuery),
    responses((status = 200, body = [wire::Scope], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/roles/{id}/scopes")]
pub async fn list_scopes(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let role = load(&idp, &id).await?;
    let (scopes, total) = idp.repos.page_role_scopes(&role.id, q.page()?).await?;
    Ok(page::respond(&scopes.iter().map(wire_scope).collect::<Vec<_>>(), total))
}

/// Adds scopes to a role.
#[utoipa::path(tag = "roles", request_body = wire::ScopeIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/roles/{id}/scopes")]
pub async fn add_scopes(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::ScopeIds>,
) -> ApiResult<HttpResponse> {
    let role = load(&idp, &id).await?;
    let scopes = existing_scopes(&idp, &body.scope_ids).await?;
    let change =
        Changeset::new("role.scopes.add", "role", role.id.as_str(), json!({"scopeIds": body.scope_ids}), Change::Roles)
            .write(Write::AddRoleScopes { role: role.id.clone(), scopes });
    idp.apply(&who, change).await?;
    Ok(HttpResponse::Created().finish())
}

/// Takes a scope from a role (never the admin scope from a built-in admin role).
#[utoipa::path(tag = "roles",
    responses((status = 204), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[delete("/roles/{id}/scopes/{scopeId}")]
pub async fn remove_scope(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, scope_id) = path.into_inner();
    let role = load(&idp, &id).await?;
    if admin::is_builtin_admin_role(&role.name)
        && let Some(scope) = idp.repos.get_scope(&ScopeId(scope_id.clone())).await?
        && let Some(resource) = idp.repos.get_resource(&scope.resource_id).await?
        && admin::is_admin_scope(&resource.indicator, &scope.name)
    {
        return Err(lockout("scopeId", "the built-in admin roles keep the admin scope"));
    }
    let change =
        Changeset::new("role.scopes.remove", "role", role.id.as_str(), json!({"scopeId": scope_id}), Change::Roles)
            .write(Write::RemoveRoleScope { role: role.id.clone(), scope: ScopeId(scope_id.clone()) });
    idp.apply(&who, change).await.map_err(or_gone(ApiError::not_found("scope")))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists the users holding a role.
#[utoipa::path(tag = "roles", params(PageQuery),
    responses((status = 200, body = [wire::User], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/roles/{id}/users")]
pub async fn list_users(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let role = load(&idp, &id).await?;
    let (users, total) = idp.repos.page_role_users(&role.id, q.page()?).await?;
    Ok(page::respond(&users.iter().map(wire_user).collect::<Vec<_>>(), total))
}

/// Gives a User role to users.
#[utoipa::path(tag = "roles", request_body = wire::UserIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/roles/{id}/users")]
pub async fn add_users(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::UserIds>,
) -> ApiResult<HttpResponse> {
    let role = load(&idp, &id).await?;
    if role.role_type != RoleType::User {
        return Err(ApiError::invalid("id", "role.wrong_type", "only User roles are given to users"));
    }
    let mut users = Vec::with_capacity(body.user_ids.len());
    for (i, uid) in body.user_ids.iter().enumerate() {
        let user = idp.repos.get_user(&UserId(uid.clone())).await?.ok_or_else(|| {
            ApiError::invalid(&format!("userIds[{i}]"), "user.not_found", format!("no user has the id `{uid}`"))
        })?;
        users.push(user.id);
    }
    let change =
        Changeset::new("role.users.add", "role", role.id.as_str(), json!({"userIds": body.user_ids}), Change::Roles)
            .writes(users.into_iter().map(|user| Write::AddUserRoles { user, roles: vec![role.id.clone()] }));
    idp.apply(&who, change).await?;
    Ok(HttpResponse::Created().finish())
}

/// Takes a role from a user.
#[utoipa::path(tag = "roles",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/roles/{id}/users/{userId}")]
pub async fn remove_user(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let role = load(&idp, &id).await?;
    let change =
        Changeset::new("role.users.remove", "role", role.id.as_str(), json!({"userId": user_id}), Change::Roles)
            .write(Write::RemoveUserRole { user: UserId(user_id.clone()), role: role.id.clone() });
    idp.apply(&who, change).await.map_err(or_gone(ApiError::not_found("user")))?;
    Ok(HttpResponse::NoContent().finish())
}
