//! `/api/organizations`, `/api/organization-scopes` and `/api/organization-roles`: organizations,
//! their members and the members' organization roles, and the scopes those roles grant.

use crate::audit;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::page::{self, PageQuery};
use crate::resources::wire_scope;
use crate::users::wire_user;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use latch_domain::ids::{OrganizationId, OrganizationRoleId, OrganizationScopeId, ScopeId, UserId, new_id};
use latch_domain::orgs::{Organization, OrganizationRole, OrganizationScope};
use latch_domain::repo::RepoError;
use latch_domain::scope as scopes;
use latch_idp::Idp;
use latch_idp::catalog::{self, Change};
use latch_types as wire;
use serde_json::json;

/// Longest organization, organization role and organization scope name.
const MAX_NAME: usize = 128;
/// Longest description of an organization or an organization role.
const MAX_DESCRIPTION: usize = 2048;
/// Longest description of an organization scope (as for API resource scopes).
const MAX_SCOPE_DESCRIPTION: usize = 512;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations", web::get().to(list))
        .route("/organizations", web::post().to(create))
        .route("/organizations/{id}", web::get().to(get))
        .route("/organizations/{id}", web::patch().to(patch))
        .route("/organizations/{id}", web::delete().to(delete))
        .route("/organizations/{id}/users", web::get().to(list_members))
        .route("/organizations/{id}/users", web::post().to(add_members))
        .route("/organizations/{id}/users/{user_id}", web::delete().to(remove_member))
        .route("/organizations/{id}/users/{user_id}/roles", web::get().to(list_member_roles))
        .route("/organizations/{id}/users/{user_id}/roles", web::put().to(set_member_roles))
        .route("/organizations/{id}/users/{user_id}/roles", web::post().to(add_member_roles))
        .route("/organization-scopes", web::get().to(list_scopes))
        .route("/organization-scopes", web::post().to(create_scope))
        .route("/organization-scopes/{id}", web::get().to(get_scope))
        .route("/organization-scopes/{id}", web::patch().to(patch_scope))
        .route("/organization-scopes/{id}", web::delete().to(delete_scope))
        .route("/organization-roles", web::get().to(list_roles))
        .route("/organization-roles", web::post().to(create_role))
        .route("/organization-roles/{id}", web::get().to(get_role))
        .route("/organization-roles/{id}", web::patch().to(patch_role))
        .route("/organization-roles/{id}", web::delete().to(delete_role))
        .route("/organization-roles/{id}/scopes", web::get().to(list_role_scopes))
        .route("/organization-roles/{id}/scopes", web::post().to(add_role_scopes))
        .route("/organization-roles/{id}/scopes/{scope_id}", web::delete().to(remove_role_scope))
        .route("/organization-roles/{id}/resource-scopes", web::get().to(list_role_resource_scopes))
        .route("/organization-roles/{id}/resource-scopes", web::post().to(add_role_resource_scopes))
        .route("/organization-roles/{id}/resource-scopes/{scope_id}", web::delete().to(remove_role_resource_scope));
}

fn wire_organization(o: &Organization) -> wire::Organization {
    wire::Organization {
        id: o.id.to_string(),
        name: o.name.clone(),
        description: o.description.clone(),
        created_at: o.created_at.0,
    }
}

fn wire_organization_scope(s: &OrganizationScope) -> wire::OrganizationScope {
    wire::OrganizationScope {
        id: s.id.to_string(),
        name: s.name.clone(),
        description: s.description.clone(),
        created_at: s.created_at.0,
    }
}

fn wire_organization_role(r: &OrganizationRole) -> wire::OrganizationRole {
    wire::OrganizationRole {
        id: r.id.to_string(),
        name: r.name.clone(),
        description: r.description.clone(),
        created_at: r.created_at.0,
    }
}

/// 404 for `code` (`organization_scope.not_found`, …) with a readable `what`.
fn missing(code: &str, what: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, code, format!("no {what} has this id"))
}

fn member_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "organization.member_not_found",
        "this user is not a member of the organization",
    )
}

/// 409 on `name` when the store reports a unique violation.
fn name_conflict(code: &'static str, detail: &'static str) -> impl Fn(RepoError) -> ApiError {
    move |e| match e {
        RepoError::Conflict(_) => ApiError::conflict("name", code, detail),
        other => other.into(),
    }
}

fn check_description(text: &str, max: usize) -> ApiResult<()> {
    if text.chars().count() > max {
        return Err(ApiError::invalid(
            "description",
            "request.too_long",
            format!("description is longer than {max} characters"),
        ));
    }
    Ok(())
}

/// An organization scope name: a scope token (RFC 6749 §3.3) of at most 128 characters that is
/// not one of the OpenID Connect user scopes, since both are requested by bare name in `scope`.
fn check_scope_name(name: &str) -> ApiResult<()> {
    if name.len() > MAX_NAME || !scopes::is_valid_token(name) {
        return Err(ApiError::invalid(
            "name",
            "organization_scope.invalid_name",
            "a scope name is 1 to 128 printable characters without spaces, quotes or backslashes (RFC 6749 §3.3)",
        ));
    }
    if scopes::is_user_scope(name) {
        return Err(ApiError::invalid(
            "name",
            "organization_scope.reserved",
            "this name is an OpenID Connect user scope",
        ));
    }
    Ok(())
}

async fn load(idp: &Idp, id: &str) -> ApiResult<Organization> {
    idp.repos.get_organization(&OrganizationId::from(id)).await?.ok_or_else(|| ApiError::not_found("organization"))
}

async fn load_scope(idp: &Idp, id: &str) -> ApiResult<OrganizationScope> {
    idp.repos
        .get_organization_scope(&OrganizationScopeId::from(id))
        .await?
        .ok_or_else(|| missing("organization_scope.not_found", "organization scope"))
}

async fn load_role(idp: &Idp, id: &str) -> ApiResult<OrganizationRole> {
    idp.repos
        .get_organization_role(&OrganizationRoleId::from(id))
        .await?
        .ok_or_else(|| missing("organization_role.not_found", "organization role"))
}

/// The organization `id` and its member `user_id`: 404 when either is not there.
async fn load_member(idp: &Idp, id: &str, user_id: &str) -> ApiResult<(Organization, UserId)> {
    let org = load(idp, id).await?;
    let user = UserId::from(user_id);
    if !idp.repos.is_organization_member(&org.id, &user).await? {
        return Err(member_not_found());
    }
    Ok((org, user))
}

/// The users `ids` name; 422 naming the first unknown one (`userIds[i]`).
async fn existing_users(idp: &Idp, ids: &[String]) -> ApiResult<Vec<UserId>> {
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let user = idp.repos.get_user(&UserId(id.clone())).await?.ok_or_else(|| {
            ApiError::invalid(&format!("userIds[{i}]"), "user.not_found", format!("no user has the id `{id}`"))
        })?;
        out.push(user.id);
    }
    Ok(out)
}

/// The organization roles `ids` name; 422 naming the first unknown one (`{field}[i]`).
async fn existing_roles(idp: &Idp, field: &str, ids: &[String]) -> ApiResult<Vec<OrganizationRoleId>> {
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let role = idp.repos.get_organization_role(&OrganizationRoleId(id.clone())).await?.ok_or_else(|| {
            ApiError::invalid(
                &format!("{field}[{i}]"),
                "organization_role.not_found",
                format!("no organization role has the id `{id}`"),
            )
        })?;
        out.push(role.id);
    }
    Ok(out)
}

/// The organization scopes `ids` name; 422 naming the first unknown one (`{field}[i]`).
async fn existing_org_scopes(idp: &Idp, field: &str, ids: &[String]) -> ApiResult<Vec<OrganizationScopeId>> {
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
async fn existing_resource_scopes(idp: &Idp, field: &str, ids: &[String]) -> ApiResult<Vec<ScopeId>> {
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let scope = idp.repos.get_scope(&ScopeId(id.clone())).await?.ok_or_else(|| {
            ApiError::invalid(&format!("{field}[{i}]"), "scope.not_found", format!("no scope has the id `{id}`"))
        })?;
        out.push(scope.id);
    }
    Ok(out)
}

// ---------------------------------------------------------------- organizations

/// Lists organizations, oldest first.
#[utoipa::path(get, path = "/api/organizations", tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::Organization], headers(("Total-Number" = i64))), (status = 401, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn list(idp: web::Data<Idp>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (orgs, total) = idp.repos.list_organizations(q.page()?).await?;
    Ok(page::respond(&orgs.iter().map(wire_organization).collect::<Vec<_>>(), total))
}

/// Creates an organization.
#[utoipa::path(post, path = "/api/organizations", tag = "organizations", request_body = wire::CreateOrganization,
    responses((status = 201, body = wire::Organization), (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    body: web::Json<wire::CreateOrganization>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    crate::applications::check_name("name", &body.name, MAX_NAME)?;
    if let Some(d) = &body.description {
        check_description(d, MAX_DESCRIPTION)?;
    }
    let org = Organization {
        id: OrganizationId(new_id(idp.random.as_ref())),
        name: body.name.trim().to_owned(),
        description: body.description.filter(|d| !d.is_empty()),
        created_at: idp.clock.now(),
    };
    idp.repos
        .insert_organization(&org)
        .await
        .map_err(name_conflict("organization.name_taken", "another organization has this name"))?;
    audit::record(&idp, &who, "organization.create", "organization", org.id.as_str(), json!({"name": org.name})).await;
    Ok(HttpResponse::Created().json(wire_organization(&org)))
}

/// Reads one organization.
#[utoipa::path(get, path = "/api/organizations/{id}", tag = "organizations",
    responses((status = 200, body = wire::Organization), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn get(idp: web::Data<Idp>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(wire_organization(&load(&idp, &id).await?)))
}

/// Renames or re-describes an organization; a `null` or empty `description` clears it.
#[utoipa::path(patch, path = "/api/organizations/{id}", tag = "organizations", request_body = wire::PatchOrganization,
    responses((status = 200, body = wire::Organization), (status = 404, body = wire::Problem), (status = 409, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
pub async fn patch(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    id: web::Path<String>,
    body: web::Json<wire::PatchOrganization>,
) -> ApiResult<HttpResponse> {
    let mut org = load(&idp, &id).await?;
    let body = body.into_inner();
    if let Some(name) = &body.name {
        crate::applications::check_name("name", name, MAX_NAME)?;
        org.name = name.trim().to_owned();
    }
    if let Some(d) = body.description {
        if let Some(text) = &d {
            check_description(text, MAX_DESCRIPTION)?;
        }
        org.description = d.filter(|d| !d.is_empty());
    }
    let found = idp
        .repos
        .update_organization(&org)
        .await
        .map_err(name_conflict("organization.name_taken", "another organization has this name"))?;
    if !found {
        return Err(ApiError::not_found("organization"));
    }
    audit::record(&idp, &who, "organization.update", "organization", org.id.as_str(), json!({})).await;
    Ok(HttpResponse::Ok().json(wire_organization(&org)))
}

/// Deletes an organization with its memberships and its members' organization roles.
#[utoipa::path(delete, path = "/api/organizations/{id}", tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn delete(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if !idp.repos.delete_organization(&OrganizationId::from(id.as_str())).await? {
        return Err(ApiError::not_found("organization"));
    }
    audit::record(&idp, &who, "organization.delete", "organization", &id, json!({})).await;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- members

/// Lists the members of an organization in the order they joined.
#[utoipa::path(get, path = "/api/organizations/{id}/users", tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::User], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn list_members(
    idp: web::Data<Idp>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let org = load(&idp, &id).await?;
    let (ids, total) = idp.repos.list_organization_members(&org.id, q.page()?).await?;
    let mut users = Vec::with_capacity(ids.len());
    for uid in ids {
        if let Some(u) = idp.repos.get_user(&uid).await? {
            users.push(wire_user(&u));
        }
    }
    Ok(page::respond(&users, total))
}

/// Makes users members of an organization; existing members stay as they are.
#[utoipa::path(post, path = "/api/organizations/{id}/users", tag = "organizations", request_body = wire::UserIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn add_members(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    id: web::Path<String>,
    body: web::Json<wire::UserIds>,
) -> ApiResult<HttpResponse> {
    let org = load(&idp, &id).await?;
    let users = existing_users(&idp, &body.user_ids).await?;
    idp.repos.add_organization_members(&org.id, &users, idp.clock.now()).await?;
    audit::record(
        &idp,
        &who,
        "organization.users.add",
        "organization",
        org.id.as_str(),
        json!({"userIds": body.user_ids}),
    )
    .await;
    Ok(HttpResponse::Created().finish())
}

/// Removes a member, with their organization roles in it.
#[utoipa::path(delete, path = "/api/organizations/{id}/users/{userId}", tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn remove_member(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let org = load(&idp, &id).await?;
    if !idp.repos.remove_organization_member(&org.id, &UserId(user_id.clone())).await? {
        return Err(member_not_found());
    }
    audit::record(&idp, &who, "organization.users.remove", "organization", org.id.as_str(), json!({"userId": user_id}))
        .await;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists a member's organization roles, by name.
#[utoipa::path(get, path = "/api/organizations/{id}/users/{userId}/roles", tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::OrganizationRole], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn list_member_roles(
    idp: web::Data<Idp>,
    path: web::Path<(String, String)>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let page = q.page()?;
    let (org, user) = load_member(&idp, &id, &user_id).await?;
    let roles = idp.repos.organization_member_roles(&org.id, &user).await?;
    Ok(page::slice(&roles.iter().map(wire_organization_role).collect::<Vec<_>>(), page))
}

/// Makes the given roles exactly the member's organization roles.
#[utoipa::path(put, path = "/api/organizations/{id}/users/{userId}/roles", tag = "organizations",
    request_body = wire::OrganizationRoleIds,
    responses((status = 204), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn set_member_roles(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    path: web::Path<(String, String)>,
    body: web::Json<wire::OrganizationRoleIds>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let (org, user) = load_member(&idp, &id, &user_id).await?;
    let roles = existing_roles(&idp, "organizationRoleIds", &body.organization_role_ids).await?;
    idp.repos.set_organization_member_roles(&org.id, &user, &roles).await?;
    audit::record(
        &idp,
        &who,
        "organization.users.roles.set",
        "organization",
        org.id.as_str(),
        json!({"userId": user_id, "organizationRoleIds": body.organization_role_ids}),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}

/// Adds organization roles to a member; roles they hold already stay.
#[utoipa::path(post, path = "/api/organizations/{id}/users/{userId}/roles", tag = "organizations",
    request_body = wire::OrganizationRoleIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn add_member_roles(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    path: web::Path<(String, String)>,
    body: web::Json<wire::OrganizationRoleIds>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let (org, user) = load_member(&idp, &id, &user_id).await?;
    let added = existing_roles(&idp, "organizationRoleIds", &body.organization_role_ids).await?;
    let mut roles: Vec<OrganizationRoleId> =
        idp.repos.organization_member_roles(&org.id, &user).await?.into_iter().map(|r| r.id).collect();
    for role in added {
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    idp.repos.set_organization_member_roles(&org.id, &user, &roles).await?;
    audit::record(
        &idp,
        &who,
        "organization.users.roles.add",
        "organization",
        org.id.as_str(),
        json!({"userId": user_id, "organizationRoleIds": body.organization_role_ids}),
    )
    .await;
    Ok(HttpResponse::Created().finish())
}

// ---------------------------------------------------------------- organization scopes

/// Lists organization scopes, by name.
#[utoipa::path(get, path = "/api/organization-scopes", tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::OrganizationScope], headers(("Total-Number" = i64))), (status = 401, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn list_scopes(idp: web::Data<Idp>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (list, total) = idp.repos.list_organization_scopes(q.page()?).await?;
    Ok(page::respond(&list.iter().map(wire_organization_scope).collect::<Vec<_>>(), total))
}

/// Creates an organization scope.
#[utoipa::path(post, path = "/api/organization-scopes", tag = "organizations", request_body = wire::CreateOrganizationScope,
    responses((status = 201, body = wire::OrganizationScope), (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn create_scope(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    body: web::Json<wire::CreateOrganizationScope>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    check_scope_name(&body.name)?;
    let description = body.description.unwrap_or_default();
    check_description(&description, MAX_SCOPE_DESCRIPTION)?;
    let scope = OrganizationScope {
        id: OrganizationScopeId(new_id(idp.random.as_ref())),
        name: body.name,
        description,
        created_at: idp.clock.now(),
    };
    idp.repos
        .insert_organization_scope(&scope)
        .await
        .map_err(name_conflict("organization_scope.name_taken", "another organization scope has this name"))?;
    audit::record(
        &idp,
        &who,
        "organization_scope.create",
        "organization_scope",
        scope.id.as_str(),
        json!({"name": scope.name}),
    )
    .await;
    Ok(HttpResponse::Created().json(wire_organization_scope(&scope)))
}

/// Reads one organization scope.
#[utoipa::path(get, path = "/api/organization-scopes/{id}", tag = "organizations",
    responses((status = 200, body = wire::OrganizationScope), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn get_scope(idp: web::Data<Idp>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(wire_organization_scope(&load_scope(&idp, &id).await?)))
}

/// Renames or re-describes an organization scope.
#[utoipa::path(patch, path = "/api/organization-scopes/{id}", tag = "organizations",
    request_body = wire::PatchOrganizationScope,
    responses((status = 200, body = wire::OrganizationScope), (status = 404, body = wire::Problem),
        (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)), security(("bearer" = [])))]
pub async fn patch_scope(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    id: web::Path<String>,
    body: web::Json<wire::PatchOrganizationScope>,
) -> ApiResult<HttpResponse> {
    let mut scope = load_scope(&idp, &id).await?;
    let body = body.into_inner();
    if let Some(name) = body.name {
        check_scope_name(&name)?;
        scope.name = name;
    }
    if let Some(d) = body.description {
        check_description(&d, MAX_SCOPE_DESCRIPTION)?;
        scope.description = d;
    }
    let found = idp
        .repos
        .update_organization_scope(&scope)
        .await
        .map_err(name_conflict("organization_scope.name_taken", "another organization scope has this name"))?;
    if !found {
        return Err(missing("organization_scope.not_found", "organization scope"));
    }
    catalog::announce(idp.cache.as_ref(), &idp.catalog, Change::Roles).await;
    audit::record(&idp, &who, "organization_scope.update", "organization_scope", scope.id.as_str(), json!({})).await;
    Ok(HttpResponse::Ok().json(wire_organization_scope(&scope)))
}

/// Deletes an organization scope: every organization role loses it at once.
#[utoipa::path(delete, path = "/api/organization-scopes/{id}", tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn delete_scope(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if !idp.repos.delete_organization_scope(&OrganizationScopeId::from(id.as_str())).await? {
        return Err(missing("organization_scope.not_found", "organization scope"));
    }
    catalog::announce(idp.cache.as_ref(), &idp.catalog, Change::Roles).await;
    audit::record(&idp, &who, "organization_scope.delete", "organization_scope", &id, json!({})).await;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- organization roles

/// Lists organization roles, by name.
#[utoipa::path(get, path = "/api/organization-roles", tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::OrganizationRole], headers(("Total-Number" = i64))), (status = 401, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn list_roles(idp: web::Data<Idp>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (list, total) = idp.repos.list_organization_roles(q.page()?).await?;
    Ok(page::respond(&list.iter().map(wire_organization_role).collect::<Vec<_>>(), total))
}

/// Creates an organization role, optionally with organization scopes and API resource scopes.
#[utoipa::path(post, path = "/api/organization-roles", tag = "organizations", request_body = wire::CreateOrganizationRole,
    responses((status = 201, body = wire::OrganizationRole), (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn create_role(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    body: web::Json<wire::CreateOrganizationRole>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    crate::applications::check_name("name", &body.name, MAX_NAME)?;
    let description = body.description.unwrap_or_default();
    check_description(&description, MAX_DESCRIPTION)?;
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
    idp.repos
        .insert_organization_role(&role)
        .await
        .map_err(name_conflict("organization_role.name_taken", "another organization role has this name"))?;
    if !org_scopes.is_empty() {
        idp.repos.add_organization_role_scopes(&role.id, &org_scopes).await?;
    }
    if !resource_scopes.is_empty() {
        idp.repos.add_organization_role_resource_scopes(&role.id, &resource_scopes).await?;
    }
    if !org_scopes.is_empty() || !resource_scopes.is_empty() {
        catalog::announce(idp.cache.as_ref(), &idp.catalog, Change::Roles).await;
    }
    audit::record(
        &idp,
        &who,
        "organization_role.create",
        "organization_role",
        role.id.as_str(),
        json!({
            "name": role.name,
            "organizationScopeIds": body.organization_scope_ids.unwrap_or_default(),
            "resourceScopeIds": body.resource_scope_ids.unwrap_or_default(),
        }),
    )
    .await;
    Ok(HttpResponse::Created().json(wire_organization_role(&role)))
}

/// Reads one organization role.
#[utoipa::path(get, path = "/api/organization-roles/{id}", tag = "organizations",
    responses((status = 200, body = wire::OrganizationRole), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn get_role(idp: web::Data<Idp>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(wire_organization_role(&load_role(&idp, &id).await?)))
}

/// Renames or re-describes an organization role.
#[utoipa::path(patch, path = "/api/organization-roles/{id}", tag = "organizations",
    request_body = wire::PatchOrganizationRole,
    responses((status = 200, body = wire::OrganizationRole), (status = 404, body = wire::Problem),
        (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)), security(("bearer" = [])))]
pub async fn patch_role(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    id: web::Path<String>,
    body: web::Json<wire::PatchOrganizationRole>,
) -> ApiResult<HttpResponse> {
    let mut role = load_role(&idp, &id).await?;
    let body = body.into_inner();
    if let Some(name) = &body.name {
        crate::applications::check_name("name", name, MAX_NAME)?;
        role.name = name.trim().to_owned();
    }
    if let Some(d) = body.description {
        check_description(&d, MAX_DESCRIPTION)?;
        role.description = d;
    }
    let found = idp
        .repos
        .update_organization_role(&role)
        .await
        .map_err(name_conflict("organization_role.name_taken", "another organization role has this name"))?;
    if !found {
        return Err(missing("organization_role.not_found", "organization role"));
    }
    catalog::announce(idp.cache.as_ref(), &idp.catalog, Change::Roles).await;
    audit::record(&idp, &who, "organization_role.update", "organization_role", role.id.as_str(), json!({})).await;
    Ok(HttpResponse::Ok().json(wire_organization_role(&role)))
}

/// Deletes an organization role: its holders lose its scopes at once.
#[utoipa::path(delete, path = "/api/organization-roles/{id}", tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn delete_role(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if !idp.repos.delete_organization_role(&OrganizationRoleId::from(id.as_str())).await? {
        return Err(missing("organization_role.not_found", "organization role"));
    }
    catalog::announce(idp.cache.as_ref(), &idp.catalog, Change::Roles).await;
    audit::record(&idp, &who, "organization_role.delete", "organization_role", &id, json!({})).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists the organization scopes an organization role grants.
#[utoipa::path(get, path = "/api/organization-roles/{id}/scopes", tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::OrganizationScope], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn list_role_scopes(
    idp: web::Data<Idp>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = q.page()?;
    let role = load_role(&idp, &id).await?;
    let mut out = Vec::new();
    for sid in idp.repos.organization_role_scope_ids(&role.id).await? {
        if let Some(s) = idp.repos.get_organization_scope(&sid).await? {
            out.push(wire_organization_scope(&s));
        }
    }
    Ok(page::slice(&out, page))
}

/// Adds organization scopes to an organization role.
#[utoipa::path(post, path = "/api/organization-roles/{id}/scopes", tag = "organizations",
    request_body = wire::OrganizationScopeIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn add_role_scopes(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    id: web::Path<String>,
    body: web::Json<wire::OrganizationScopeIds>,
) -> ApiResult<HttpResponse> {
    let role = load_role(&idp, &id).await?;
    let scopes = existing_org_scopes(&idp, "organizationScopeIds", &body.organization_scope_ids).await?;
    idp.repos.add_organization_role_scopes(&role.id, &scopes).await?;
    catalog::announce(idp.cache.as_ref(), &idp.catalog, Change::Roles).await;
    audit::record(
        &idp,
        &who,
        "organization_role.scopes.add",
        "organization_role",
        role.id.as_str(),
        json!({"organizationScopeIds": body.organization_scope_ids}),
    )
    .await;
    Ok(HttpResponse::Created().finish())
}

/// Takes an organization scope from an organization role.
#[utoipa::path(delete, path = "/api/organization-roles/{id}/scopes/{scopeId}", tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn remove_role_scope(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, scope_id) = path.into_inner();
    let role = load_role(&idp, &id).await?;
    if !idp.repos.remove_organization_role_scope(&role.id, &OrganizationScopeId(scope_id.clone())).await? {
        return Err(missing("organization_scope.not_found", "organization scope of this role"));
    }
    catalog::announce(idp.cache.as_ref(), &idp.catalog, Change::Roles).await;
    audit::record(
        &idp,
        &who,
        "organization_role.scopes.remove",
        "organization_role",
        role.id.as_str(),
        json!({"organizationScopeId": scope_id}),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists the API resource scopes an organization role grants.
#[utoipa::path(get, path = "/api/organization-roles/{id}/resource-scopes", tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::Scope], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn list_role_resource_scopes(
    idp: web::Data<Idp>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = q.page()?;
    let role = load_role(&idp, &id).await?;
    let mut out = Vec::new();
    for sid in idp.repos.organization_role_resource_scope_ids(&role.id).await? {
        if let Some(s) = idp.repos.get_scope(&sid).await? {
            out.push(wire_scope(&s));
        }
    }
    Ok(page::slice(&out, page))
}

/// Adds API resource scopes to an organization role.
#[utoipa::path(post, path = "/api/organization-roles/{id}/resource-scopes", tag = "organizations",
    request_body = wire::ScopeIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn add_role_resource_scopes(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    id: web::Path<String>,
    body: web::Json<wire::ScopeIds>,
) -> ApiResult<HttpResponse> {
    let role = load_role(&idp, &id).await?;
    let scopes = existing_resource_scopes(&idp, "scopeIds", &body.scope_ids).await?;
    idp.repos.add_organization_role_resource_scopes(&role.id, &scopes).await?;
    catalog::announce(idp.cache.as_ref(), &idp.catalog, Change::Roles).await;
    audit::record(
        &idp,
        &who,
        "organization_role.resource_scopes.add",
        "organization_role",
        role.id.as_str(),
        json!({"scopeIds": body.scope_ids}),
    )
    .await;
    Ok(HttpResponse::Created().finish())
}

/// Takes an API resource scope from an organization role.
#[utoipa::path(delete, path = "/api/organization-roles/{id}/resource-scopes/{scopeId}", tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn remove_role_resource_scope(
    idp: web::Data<Idp>,
    who: web::ReqData<Principal>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, scope_id) = path.into_inner();
    let role = load_role(&idp, &id).await?;
    if !idp.repos.remove_organization_role_resource_scope(&role.id, &ScopeId(scope_id.clone())).await? {
        return Err(ApiError::not_found("scope"));
    }
    catalog::announce(idp.cache.as_ref(), &idp.catalog, Change::Roles).await;
    audit::record(
        &idp,
        &who,
        "organization_role.resource_scopes.remove",
        "organization_role",
        role.id.as_str(),
        json!({"scopeId": scope_id}),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}
