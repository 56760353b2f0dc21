//! `/api/users`: users, their passwords and their global roles.

use crate::auth::lockout;
use crate::error::{ApiError, ApiResult, or_missing};
use crate::page::{self, PageQuery};
use crate::roles::{existing_roles, wire_role};
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::{RoleType, User};
use latch_domain::fields;
use latch_domain::ids::{RoleId, UserId, new_id};
use latch_domain::repo::{RepoError, Write};
use latch_domain::rules;
use latch_types as wire;
use serde_json::{Map, Value, json};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(patch)
        .service(delete)
        .service(set_password)
        .service(unlock)
        .service(list_roles)
        .service(add_roles)
        .service(remove_role)
        .service(list_grants)
        .service(revoke_grant);
}

pub fn wire_user(u: &User) -> wire::User {
    wire::User {
        id: u.id.to_string(),
        username: u.username.clone(),
        primary_email: u.primary_email.clone(),
        primary_phone: u.primary_phone.clone(),
        name: u.name.clone(),
        avatar: u.avatar.clone(),
        custom_data: u.custom_data.clone(),
        profile: Value::Object(u.profile.clone()),
        has_password: u.password_hash.is_some(),
        is_suspended: u.is_suspended,
        created_at: u.created_at.0,
        updated_at: u.updated_at.0,
    }
}

fn object(field: &str, v: Value) -> ApiResult<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::invalid(field, "request.not_an_object", format!("{field} must be a JSON object"))),
    }
}

/// Which unique field a conflict is about.
fn user_conflict(e: RepoError) -> ApiError {
    match e {
        RepoError::Conflict(what) => {
            let field = if what.contains("email") {
                "primaryEmail"
            } else if what.contains("phone") {
                "primaryPhone"
            } else {
                "username"
            };
            ApiError::conflict(field, "user.taken", format!("another user has this {field}"))
        }
        other => other.into(),
    }
}

async fn hash_password(idp: &Core, password: &str) -> ApiResult<String> {
    fields::password(password).map_err(|e| ApiError::invalid("password", "user.weak_password", e.to_string()))?;
    idp.hash_new_password(password)
        .await
        .map_err(|e| ApiError::from(RepoError::Unavailable(e.to_string())))?
        .map_err(|e| ApiError::from(RepoError::Unavailable(e.to_string())))
}

/// The user `id`, or a 404 problem.
pub(crate) async fn load(idp: &Core, id: &str) -> ApiResult<User> {
    idp.repos.get_user(&UserId::from(id)).await?.ok_or_else(|| ApiError::not_found("user"))
}

/// What `GET /users` looks for.
#[derive(serde::Deserialize, Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserSearch {
    /// Keeps the users whose id, username, primary email, primary phone or name contains this
    /// text (ASCII letters in any case).
    #[param(max_length = 256)]
    pub search: Option<String>,
}

/// Lists users, oldest first; `search` narrows the list.
#[utoipa::path(tag = "users", params(UserSearch, PageQuery),
    responses((status = 200, body = [wire::User], headers(("Total-Number" = i64))), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/users")]
pub async fn list(
    idp: web::Data<Core>,
    s: web::Query<UserSearch>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let text = s.search.as_deref().unwrap_or_default();
    if text.chars().count() > 256 {
        return Err(ApiError::invalid("search", "request.invalid_search", "search is at most 256 characters"));
    }
    let (users, total) = idp.repos.search_users(text, q.page()?).await?;
    Ok(page::respond(&users.iter().map(wire_user).collect::<Vec<_>>(), total))
}

/// Creates a user: at least one of username, primaryEmail, primaryPhone.
#[utoipa::path(tag = "users", request_body = wire::CreateUser,
    responses((status = 201, body = wire::User), (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/users")]
pub async fn create(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::CreateUser>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    if b.username.is_none() && b.primary_email.is_none() && b.primary_phone.is_none() {
        return Err(ApiError::invalid(
            "username",
            "user.no_identifier",
            "give a username, primaryEmail or primaryPhone",
        ));
    }
    let custom_data = Value::Object(object("customData", b.custom_data.unwrap_or(json!({})))?);
    let profile = object("profile", b.profile.unwrap_or(json!({})))?;
    let now = idp.clock.now();
    let mut user = User {
        id: UserId(new_id(idp.random.as_ref())),
        username: b.username,
        primary_email: b.primary_email,
        primary_phone: b.primary_phone,
        name: b.name,
        avatar: b.avatar,
        profile,
        custom_data,
        password_hash: None,
        email_verified: false,
        phone_verified: false,
        is_suspended: false,
        created_at: now,
        updated_at: now,
    };
    // The rules `Core::apply` enforces, checked before the costly hash.
    rules::user(&user)?;
    if let Some(p) = &b.password {
        user.password_hash = Some(hash_password(&idp, p).await?);
    }
    let change = Changeset::new(
        "user.create",
        "user",
        user.id.as_str(),
        json!({}),
        Change::User(UserId::from(user.id.as_str())),
    )
    .write(Write::InsertUser(user.clone()));
    idp.apply(&who, change).await.map_err(user_conflict)?;
    Ok(HttpResponse::Created().json(wire_user(&user)))
}

/// Reads one user.
#[utoipa::path(tag = "users",
    responses((status = 200, body = wire::User), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/users/{id}")]
pub async fn get(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(wire_user(&load(&idp, &id).await?)))
}

/// Changes a user's profile fields; `null` clears a field.
#[utoipa::path(tag = "users", request_body = wire::PatchUser,
    responses((status = 200, body = wire::User), (status = 404, body = wire::Problem), (status = 409, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[patch("/users/{id}")]
pub async fn patch(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::PatchUser>,
) -> ApiResult<HttpResponse> {
    let mut user = load(&idp, &id).await?;
    let b = body.into_inner();
    if let Some(v) = b.username {
        user.username = v;
    }
    if let Some(v) = b.primary_email {
        if v != user.primary_email {
            user.email_verified = false;
        }
        user.primary_email = v;
    }
    if let Some(v) = b.primary_phone {
        if v != user.primary_phone {
            user.phone_verified = false;
        }
        user.primary_phone = v;
    }
    if let Some(v) = b.name {
        user.name = v;
    }
    if let Some(v) = b.avatar {
        user.avatar = v;
    }
    if let Some(v) = b.custom_data {
        user.custom_data = Value::Object(object("customData", v)?);
    }
    if let Some(v) = b.profile {
        user.profile = object("profile", v)?;
    }
    if let Some(v) = b.is_suspended {
        user.is_suspended = v;
    }
    if user.username.is_none() && user.primary_email.is_none() && user.primary_phone.is_none() {
        return Err(ApiError::invalid("username", "user.no_identifier", "a user keeps a username, email or phone"));
    }
    user.updated_at = idp.clock.now();
    let change = Changeset::new(
        "user.update",
        "user",
        user.id.as_str(),
        json!({}),
        Change::User(UserId::from(user.id.as_str())),
    )
    .write(Write::UpdateUser(user.clone()));
    idp.apply(&who, change).await.map_err(user_conflict)?;
    Ok(HttpResponse::Ok().json(wire_user(&user)))
}

/// Deletes a user with their sessions, grants and tokens.
#[utoipa::path(tag = "users",
    responses((status = 204), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[delete("/users/{id}")]
pub async fn delete(idp: web::Data<Core>, who: web::ReqData<Actor>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    if who.is_user(&id) {
        return Err(lockout("id", "an administrator cannot delete their own account"));
    }
    let change = Changeset::new("user.delete", "user", &id, json!({}), Change::User(UserId::from(id.as_str())))
        .write(Write::DeleteUser(UserId::from(id.as_str())));
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("user")))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unlocks a user locked out by failed sign-ins: clears the failures counted against the
/// account (on every node), wrong second-factor codes included, so the next sign-in with the
/// right password (and code) succeeds. Audited as `user.unlock`.
#[utoipa::path(tag = "users",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/users/{id}/sign-in-failures")]
pub async fn unlock(idp: web::Data<Core>, who: web::ReqData<Actor>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let user = load(&idp, &id).await?;
    latch_core::commands::unlock_user(&idp, &who, &user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets a user's password (the policy applies).
#[utoipa::path(tag = "users", request_body = wire::SetPassword,
    responses((status = 200, body = wire::User), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[patch("/users/{id}/password")]
pub async fn set_password(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::SetPassword>,
) -> ApiResult<HttpResponse> {
    let mut user = load(&idp, &id).await?;
    user.password_hash = Some(hash_password(&idp, &body.password).await?);
    user.updated_at = idp.clock.now();
    let change = Changeset::new(
        "user.password.set",
        "user",
        user.id.as_str(),
        json!({}),
        Change::User(UserId::from(user.id.as_str())),
    )
    .write(Write::UpdateUser(user.clone()));
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("user")))?;
    Ok(HttpResponse::Ok().json(wire_user(&user)))
}

/// Lists a user's global roles.
#[utoipa::path(tag = "users", params(PageQuery),
    responses((status = 200, body = [wire::Role], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/users/{id}/roles")]
pub async fn list_roles(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let user = load(&idp, &id).await?;
    let (roles, total) = idp.repos.page_user_roles(&user.id, q.page()?).await?;
    Ok(page::respond(&roles.iter().map(wire_role).collect::<Vec<_>>(), total))
}

/// Gives User roles to a user.
#[utoipa::path(tag = "users", request_body = wire::RoleIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
#[post("/users/{id}/roles")]
pub async fn add_roles(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::RoleIds>,
) -> ApiResult<HttpResponse> {
    let user = load(&idp, &id).await?;
    let roles = existing_roles(&idp, &body.role_ids, RoleType::User).await?;
    let change = Changeset::new(
        "user.roles.add",
        "user",
        user.id.as_str(),
        json!({"roleIds": body.role_ids}),
        Change::User(UserId::from(user.id.as_str())),
    )
    .write(Write::AddUserRoles { user: user.id.clone(), roles });
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("user")))?;
    Ok(HttpResponse::Created().finish())
}

/// Takes a role from a user.
#[utoipa::path(tag = "users",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/users/{id}/roles/{roleId}")]
pub async fn remove_role(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, role_id) = path.into_inner();
    let user = load(&idp, &id).await?;
    let change = Changeset::new(
        "user.roles.remove",
        "user",
        user.id.as_str(),
        json!({"roleId": role_id}),
        Change::User(UserId::from(user.id.as_str())),
    )
    .write(Write::RemoveUserRole { user: user.id.clone(), role: RoleId(role_id.clone()) });
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("role")))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists what the user has granted to applications.
#[utoipa::path(tag = "users", params(PageQuery),
    responses((status = 200, body = [wire::Grant], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[get("/users/{id}/grants")]
pub async fn list_grants(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let user = load(&idp, &id).await?;
    let (grants, total) = idp.repos.page_user_grants(&user.id, q.page()?).await?;
    let app_ids: Vec<_> = grants.iter().map(|g| g.application_id.clone()).collect();
    let names: std::collections::HashMap<_, _> = idp.repos.application_names(&app_ids).await?.into_iter().collect();
    let grants: Vec<wire::Grant> = grants
        .into_iter()
        .map(|g| {
            let mut scopes = g.details.scopes.clone();
            for (resource, names) in &g.details.resource_scopes {
                scopes.extend(names.iter().map(|n| format!("{resource} {n}")));
            }
            wire::Grant {
                id: g.id.to_string(),
                application_name: names.get(&g.application_id).cloned().unwrap_or_else(|| g.application_id.to_string()),
                application_id: g.application_id.to_string(),
                scopes,
                created_at: g.created_at.0,
                updated_at: g.updated_at.0,
                last_used_at: g.last_used_at.map(|t| t.0),
            }
        })
        .collect();
    Ok(page::respond(&grants, total))
}

/// Revokes a grant: the app must ask for consent again, and its opaque tokens stop working.
#[utoipa::path(tag = "users",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/users/{id}/grants/{grantId}")]
pub async fn revoke_grant(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, grant_id) = path.into_inner();
    let user = load(&idp, &id).await?;
    let grant = idp
        .repos
        .get_grant_by_id(&latch_domain::ids::GrantId(grant_id))
        .await?
        .filter(|g| g.user_id == user.id)
        .ok_or_else(|| ApiError::not_found("grant"))?;
    let mut change = Changeset::new(
        "user.grant.revoke",
        "user",
        user.id.as_str(),
        json!({"grantId": grant.id.as_str(), "applicationId": grant.application_id.as_str()}),
        Change::User(user.id.clone()),
    )
    .write(Write::RevokeGrant(grant.id.clone()));
    change.also_announce(Change::Application(grant.application_id.clone()));
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("grant")))?;
    Ok(HttpResponse::NoContent().finish())
}
