//! `/api/users`: users, their passwords and their global roles.

use crate::auth::lockout;
use crate::error::{ApiError, ApiResult, or_missing};
use crate::page::{self, PageQuery};
use crate::roles::{existing_roles, wire_role};
use actix_web::{HttpResponse, web};
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::{RoleType, User};
use latch_domain::fields::{self, FieldError};
use latch_domain::ids::{RoleId, UserId, new_id};
use latch_domain::repo::{RepoError, Write};
use latch_types as wire;
use serde_json::{Map, Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .route("/users", web::post().to(create))
        .route("/users/{id}", web::get().to(get))
        .route("/users/{id}", web::patch().to(patch))
        .route("/users/{id}", web::delete().to(delete))
        .route("/users/{id}/password", web::patch().to(set_password))
        .route("/users/{id}/roles", web::get().to(list_roles))
        .route("/users/{id}/roles", web::post().to(add_roles))
        .route("/users/{id}/roles/{role_id}", web::delete().to(remove_role))
        .route("/users/{id}/grants", web::get().to(list_grants))
        .route("/users/{id}/grants/{grant_id}", web::delete().to(revoke_grant));
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

/// A domain field rule's verdict as a 422 naming the field (`latch_domain::fields`, the rules
/// `latch import` and bootstrap apply too).
fn rule(field: &'static str, code: &'static str) -> impl FnOnce(FieldError) -> ApiError {
    move |e| ApiError::invalid(field, code, e.to_string())
}

fn check_username(v: &str) -> ApiResult<()> {
    fields::username(v).map_err(rule("username", "user.invalid_username"))
}

fn check_email(v: &str) -> ApiResult<()> {
    fields::email(v).map_err(rule("primaryEmail", "user.invalid_email"))
}

fn check_phone(v: &str) -> ApiResult<()> {
    fields::phone(v).map_err(rule("primaryPhone", "user.invalid_phone"))
}

fn check_avatar(v: &str) -> ApiResult<()> {
    fields::web_url(v).map_err(rule("avatar", "user.invalid_avatar"))
}

fn check_name(v: &str) -> ApiResult<()> {
    fields::display_name(v).map_err(|e| ApiError::invalid("name", text_code(&e), format!("name {e}")))
}

/// The admin API's stable codes for [`fields::text`] verdicts.
pub fn text_code(e: &FieldError) -> &'static str {
    if *e == FieldError::Empty { "request.empty" } else { "request.too_long" }
}

fn object(field: &str, v: Value) -> ApiResult<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::invalid(field, "request.not_an_object", format!("{field} must be a JSON object"))),
    }
}

fn check_profile(v: Value) -> ApiResult<Map<String, Value>> {
    let m = object("profile", v)?;
    if let Some((path, e)) = fields::profile(&m).into_iter().next() {
        let code = if e == FieldError::UnknownClaim { "user.unknown_claim" } else { "user.invalid_claim" };
        return Err(ApiError::invalid(&format!("profile.{path}"), code, e.to_string()));
    }
    Ok(m)
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
    fields::password(password).map_err(rule("password", "user.weak_password"))?;
    let (hasher, password) = (idp.hasher.clone(), password.to_owned());
    let salt = latch_oidc::crypto::random_16(idp.random.as_ref());
    idp.hash_pool
        .run(move || hasher.hash(&password, &salt))
        .await
        .map_err(|e| ApiError::from(RepoError::Unavailable(e.to_string())))?
        .map_err(|e| ApiError::from(RepoError::Unavailable(e.to_string())))
}

async fn load(idp: &Core, id: &str) -> ApiResult<User> {
    idp.repos.get_user(&UserId::from(id)).await?.ok_or_else(|| ApiError::not_found("user"))
}

/// Lists users.
#[utoipa::path(get, path = "/api/users", tag = "users", params(PageQuery),
    responses((status = 200, body = [wire::User], headers(("Total-Number" = i64)))), security(("bearer" = [])))]
pub async fn list(idp: web::Data<Core>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (users, total) = idp.repos.list_users(q.page()?).await?;
    Ok(page::respond(&users.iter().map(wire_user).collect::<Vec<_>>(), total))
}

/// Creates a user: at least one of username, primaryEmail, primaryPhone.
#[utoipa::path(post, path = "/api/users", tag = "users", request_body = wire::CreateUser,
    responses((status = 201, body = wire::User), (status = 409, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
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
    if let Some(v) = &b.username {
        check_username(v)?;
    }
    if let Some(v) = &b.primary_email {
        check_email(v)?;
    }
    if let Some(v) = &b.primary_phone {
        check_phone(v)?;
    }
    if let Some(v) = &b.avatar {
        check_avatar(v)?;
    }
    if let Some(v) = &b.name {
        check_name(v)?;
    }
    let custom_data = Value::Object(object("customData", b.custom_data.unwrap_or(json!({})))?);
    let profile = check_profile(b.profile.unwrap_or(json!({})))?;
    let password_hash = match &b.password {
        Some(p) => Some(hash_password(&idp, p).await?),
        None => None,
    };
    let now = idp.clock.now();
    let user = User {
        id: UserId(new_id(idp.random.as_ref())),
        username: b.username,
        primary_email: b.primary_email,
        primary_phone: b.primary_phone,
        name: b.name,
        avatar: b.avatar,
        profile,
        custom_data,
        password_hash,
        email_verified: false,
        phone_verified: false,
        is_suspended: false,
        created_at: now,
        updated_at: now,
    };
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
#[utoipa::path(get, path = "/api/users/{id}", tag = "users",
    responses((status = 200, body = wire::User), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn get(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(wire_user(&load(&idp, &id).await?)))
}

/// Changes a user's profile fields; `null` clears a field.
#[utoipa::path(patch, path = "/api/users/{id}", tag = "users", request_body = wire::PatchUser,
    responses((status = 200, body = wire::User), (status = 404, body = wire::Problem), (status = 409, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
pub async fn patch(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::PatchUser>,
) -> ApiResult<HttpResponse> {
    let mut user = load(&idp, &id).await?;
    let b = body.into_inner();
    if let Some(v) = b.username {
        if let Some(u) = &v {
            check_username(u)?;
        }
        user.username = v;
    }
    if let Some(v) = b.primary_email {
        if let Some(e) = &v {
            check_email(e)?;
        }
        if v != user.primary_email {
            user.email_verified = false;
        }
        user.primary_email = v;
    }
    if let Some(v) = b.primary_phone {
        if let Some(p) = &v {
            check_phone(p)?;
        }
        if v != user.primary_phone {
            user.phone_verified = false;
        }
        user.primary_phone = v;
    }
    if let Some(v) = b.name {
        if let Some(n) = &v {
            check_name(n)?;
        }
        user.name = v;
    }
    if let Some(v) = b.avatar {
        if let Some(a) = &v {
            check_avatar(a)?;
        }
        user.avatar = v;
    }
    if let Some(v) = b.custom_data {
        user.custom_data = Value::Object(object("customData", v)?);
    }
    if let Some(v) = b.profile {
        user.profile = check_profile(v)?;
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
#[utoipa::path(delete, path = "/api/users/{id}", tag = "users",
    responses((status = 204), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
pub async fn delete(idp: web::Data<Core>, who: web::ReqData<Actor>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    if who.is_user(&id) {
        return Err(lockout("id", "an administrator cannot delete their own account"));
    }
    let change = Changeset::new("user.delete", "user", &id, json!({}), Change::User(UserId::from(id.as_str())))
        .write(Write::DeleteUser(UserId::from(id.as_str())));
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("user")))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets a user's password (the policy applies).
#[utoipa::path(patch, path = "/api/users/{id}/password", tag = "users", request_body = wire::SetPassword,
    responses((status = 200, body = wire::User), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/users/{id}/roles", tag = "users", params(PageQuery),
    responses((status = 200, body = [wire::Role], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
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
#[utoipa::path(post, path = "/api/users/{id}/roles", tag = "users", request_body = wire::RoleIds,
    responses((status = 201), (status = 404, body = wire::Problem), (status = 422, body = wire::Problem)),
    security(("bearer" = [])))]
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
#[utoipa::path(delete, path = "/api/users/{id}/roles/{roleId}", tag = "users",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
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
#[utoipa::path(get, path = "/api/users/{id}/grants", tag = "users", params(PageQuery),
    responses((status = 200, body = [wire::Grant], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
pub async fn list_grants(
    idp: web::Data<Core>,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let user = load(&idp, &id).await?;
    let (grants, total) = idp.repos.page_user_grants(&user.id, q.page()?).await?;
    let grants: Vec<wire::Grant> = grants
        .into_iter()
        .map(|g| {
            let mut scopes = g.details.scopes.clone();
            for (resource, names) in &g.details.resource_scopes {
                scopes.extend(names.iter().map(|n| format!("{resource} {n}")));
            }
            wire::Grant {
                id: g.id.to_string(),
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
#[utoipa::path(delete, path = "/api/users/{id}/grants/{grantId}", tag = "users",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
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
