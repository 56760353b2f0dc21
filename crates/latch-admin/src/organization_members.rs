//! `/api/organizations/{id}/users`: the members of an organization and their organization
//! roles in it.

use crate::error::{ApiError, ApiResult};
use crate::organizations::{load, or_gone, wire_organization_role};
use crate::page::{self, PageQuery};
use crate::users::wire_user;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post, put};
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::Organization;
use latch_domain::ids::{OrganizationRoleId, UserId};
use latch_domain::repo::Write;
use latch_types as wire;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_members)
        .service(add_members)
        .service(remove_member)
        .service(list_member_roles)
        .service(set_member_roles)
        .service(add_member_roles);
}

fn member_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "organization.member_not_found",
        "this user is not a member of the organization",
    )
}

/// The organization `id` and its member `user_id`: 404 when either is not there.
async fn load_member(idp: &Core, id: &str, user_id: &str) -> ApiResult<(Organization, UserId)> {
    let org = load(idp, id).await?;
    let user = UserId::from(user_id);
    if !idp.repos.is_organization_member(&org.id, &user).await? {
        return Err(member_not_found());
    }
    Ok((org, user))
}

/// The users `ids` name; 422 naming the first unknown one (`userIds[i]`).
async fn existing_users(idp: &Core, ids: &[String]) -> ApiResult<Vec<UserId>> {
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
async fn existing_roles(idp: &Core, field: &str, ids: &[String]) -> ApiResult<Vec<OrganizationRoleId>> {
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

/// Lists the members of an organization in the order they joined.
#[utoipa::path(tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::OrganizationMember], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/organizations/{id}/users")]
pub async fn list_members(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let org = load(&idp, &id).await?;
    let (users, total) = idp.repos.page_organization_members(&org.id, q.page()?).await?;
    let ids: Vec<_> = users.iter().map(|u| u.id.clone()).collect();
    let mut roles: std::collections::HashMap<_, Vec<wire::OrganizationRole>> = std::collections::HashMap::new();
    for (user, role) in idp.repos.organization_roles_of_members(&org.id, &ids).await? {
        roles.entry(user).or_default().push(wire_organization_role(&role));
    }
    let members: Vec<wire::OrganizationMember> = users
        .iter()
        .map(|u| wire::OrganizationMember {
            user: wire_user(u),
            organization_roles: roles.remove(&u.id).unwrap_or_default(),
        })
        .collect();
    Ok(page::respond(&members, total))
}

/// Makes users members of an organization; existing members stay as they are.
#[utoipa::path(tag = "organizations", request_body = wire::UserIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/organizations/{id}/users")]
pub async fn add_members(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::UserIds>,
) -> ApiResult<HttpResponse> {
    let org = load(&idp, &id).await?;
    let users = existing_users(&idp, &body.user_ids).await?;
    let change = Changeset::new(
        "organization.users.add",
        "organization",
        org.id.as_str(),
        json!({"userIds": body.user_ids}),
        Change::Organizations,
    )
    .write(Write::AddOrganizationMembers { org: org.id.clone(), users, at: idp.clock.now() });
    idp.apply(&who, change).await?;
    Ok(HttpResponse::Created().finish())
}

/// Removes a member, with their organization roles in it.
#[utoipa::path(tag = "organizations",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/organizations/{id}/users/{userId}")]
pub async fn remove_member(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let org = load(&idp, &id).await?;
    let change = Changeset::new(
        "organization.users.remove",
        "organization",
        org.id.as_str(),
        json!({"userId": user_id}),
        Change::Organizations,
    )
    .write(Write::RemoveOrganizationMember { org: org.id.clone(), user: UserId(user_id.clone()) });
    idp.apply(&who, change).await.map_err(or_gone(member_not_found()))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists a member's organization roles, by name.
#[utoipa::path(tag = "organizations", params(PageQuery),
    responses((status = 200, body = [wire::OrganizationRole], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/organizations/{id}/users/{userId}/roles")]
pub async fn list_member_roles(
    idp: web::Data<Core>,
    path: web::Path<(String, String)>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let page = q.page()?;
    let (org, user) = load_member(&idp, &id, &user_id).await?;
    let (roles, total) = idp.repos.page_organization_member_roles(&org.id, &user, page).await?;
    Ok(page::respond(&roles.iter().map(wire_organization_role).collect::<Vec<_>>(), total))
}

/// Makes the given roles exactly the member's organization roles.
#[utoipa::path(tag = "organizations",
    request_body = wire::OrganizationRoleIds,
    responses((status = 204), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[put("/organizations/{id}/users/{userId}/roles")]
pub async fn set_member_roles(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
    body: web::Json<wire::OrganizationRoleIds>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let (org, user) = load_member(&idp, &id, &user_id).await?;
    let roles = existing_roles(&idp, "organizationRoleIds", &body.organization_role_ids).await?;
    let change = Changeset::new(
        "organization.users.roles.set",
        "organization",
        org.id.as_str(),
        json!({"userId": user_id, "organizationRoleIds": body.organization_role_ids}),
        Change::Organizations,
    )
    .write(Write::SetOrganizationMemberRoles { org: org.id.clone(), user, roles });
    idp.apply(&who, change).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Adds organization roles to a member; roles they hold already stay.
#[utoipa::path(tag = "organizations",
    request_body = wire::OrganizationRoleIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/organizations/{id}/users/{userId}/roles")]
pub async fn add_member_roles(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
    body: web::Json<wire::OrganizationRoleIds>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let (org, user) = load_member(&idp, &id, &user_id).await?;
    let added = existing_roles(&idp, "organizationRoleIds", &body.organization_role_ids).await?;
    // There is no "add member roles" write: the member's roles now, plus the new ones.
    let mut roles: Vec<OrganizationRoleId> =
        idp.repos.organization_member_roles(&org.id, &user).await?.into_iter().map(|r| r.id).collect();
    for role in added {
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    let change = Changeset::new(
        "organization.users.roles.add",
        "organization",
        org.id.as_str(),
        json!({"userId": user_id, "organizationRoleIds": body.organization_role_ids}),
        Change::Organizations,
    )
    .write(Write::SetOrganizationMemberRoles { org: org.id.clone(), user, roles });
    idp.apply(&who, change).await?;
    Ok(HttpResponse::Created().finish())
}
