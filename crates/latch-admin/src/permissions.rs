//! `/api/applications/{id}/user-consent-scopes`: what a third-party application may ask for
//! (DESIGN.md "Third-party app rules"). Entries are user-scope names, resource scope ids,
//! organization scope ids or organization-resource scope ids; each required or optional.

use crate::applications::load;
use crate::error::{ApiError, ApiResult, or_missing};
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post};
use latch_core::catalog::Change;
use latch_core::permissions::Named;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::{ConsentScope, ConsentScopeType};
use latch_domain::ids::{ApplicationId, OrganizationScopeId, ScopeId};
use latch_domain::repo::Write;
use latch_domain::{admin, scope};
use latch_types as wire;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(add).service(remove);
}

/// The path segment naming each kind (`DELETE …/{scopeType}/{scopeId}`).
fn type_from_path(s: &str) -> Option<ConsentScopeType> {
    Some(match s {
        "user-scopes" => ConsentScopeType::User,
        "resource-scopes" => ConsentScopeType::Resource,
        "organization-scopes" => ConsentScopeType::Organization,
        "organization-resource-scopes" => ConsentScopeType::OrganizationResource,
        _ => return None,
    })
}

/// The allow-list of `app` as the console shows it.
async fn described(idp: &Core, app: &ApplicationId) -> ApiResult<wire::ConsentScopes> {
    describe(idp, idp.repos.list_consent_scopes(app).await?).await
}

/// Permission `entries` as the console shows them: each with its name, words or description,
/// and resource; resource scopes grouped by resource name, then scope name.
pub(crate) async fn describe(idp: &Core, entries: Vec<ConsentScope>) -> ApiResult<wire::ConsentScopes> {
    let mut out = wire::ConsentScopes::default();
    for perm in latch_core::permissions::named(idp.repos.as_ref(), entries).await? {
        let (id, required) = (perm.entry.scope_ref, perm.entry.required);
        let text = |d: String| Some(d).filter(|d| !d.is_empty());
        let (group, entry) = match (perm.entry.scope_type, perm.named) {
            (ConsentScopeType::Organization, Named::Organization(s)) => (
                &mut out.organization_scopes,
                wire::ConsentScope { id, required, name: s.name, description: text(s.description), resource: None },
            ),
            (kind @ (ConsentScopeType::Resource | ConsentScopeType::OrganizationResource), Named::Scope(s, r)) => (
                if kind == ConsentScopeType::Resource {
                    &mut out.resource_scopes
                } else {
                    &mut out.organization_resource_scopes
                },
                wire::ConsentScope {
                    id,
                    required,
                    name: s.name,
                    description: text(s.description),
                    resource: Some(wire::ConsentResource {
                        id: r.id.to_string(),
                        name: r.name,
                        indicator: r.indicator,
                    }),
                },
            ),
            _ => (
                &mut out.user_scopes,
                wire::ConsentScope {
                    description: scope::wording(&id, "en").map(str::to_owned),
                    name: id.clone(),
                    id,
                    required,
                    resource: None,
                },
            ),
        };
        group.push(entry);
    }
    let by_resource = |e: &wire::ConsentScope| (e.resource.as_ref().map(|r| r.name.clone()), e.name.clone());
    out.resource_scopes.sort_by_key(by_resource);
    out.organization_resource_scopes.sort_by_key(by_resource);
    out.organization_scopes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

async fn third_party(idp: &Core, id: &str) -> ApiResult<latch_domain::entities::Application> {
    let app = load(idp, id).await?;
    if !app.is_third_party {
        return Err(ApiError::invalid(
            "id",
            "application.not_third_party",
            "permissions apply to third-party applications only; first-party apps never show consent",
        ));
    }
    Ok(app)
}

/// The permissions `body` names, each checked: a user scope (not `openid`, which needs no
/// permission), an existing API resource scope that is not the admin API's (DESIGN.md "Scopes
/// are per resource"), an existing organization scope. Errors name the field under `prefix`.
pub(crate) async fn resolve(idp: &Core, body: &wire::AddConsentScopes, prefix: &str) -> ApiResult<Vec<ConsentScope>> {
    let mut entries = Vec::new();
    for (i, e) in body.user_scopes.iter().enumerate() {
        if !scope::is_user_scope(e.id()) || e.id() == scope::OPENID {
            return Err(ApiError::invalid(
                &format!("{prefix}userScopes[{i}]"),
                "consent.unknown_user_scope",
                format!("`{}` is not a user scope (profile, email, phone, address, …)", e.id()),
            ));
        }
        entries.push(ConsentScope {
            scope_type: ConsentScopeType::User,
            scope_ref: e.id().to_owned(),
            required: e.required(),
        });
    }
    for (field, requested, kind) in [
        ("resourceScopes", &body.resource_scopes, ConsentScopeType::Resource),
        ("organizationResourceScopes", &body.organization_resource_scopes, ConsentScopeType::OrganizationResource),
    ] {
        for (i, e) in requested.iter().enumerate() {
            let Some(found) = idp.repos.get_scope(&ScopeId::from(e.id())).await? else {
                return Err(ApiError::invalid(
                    &format!("{prefix}{field}[{i}]"),
                    "consent.unknown_scope",
                    format!("no API resource scope has the id `{}`", e.id()),
                ));
            };
            // DESIGN.md "Scopes are per resource": the admin API is never a third-party permission.
            if idp.repos.get_resource(&found.resource_id).await?.is_some_and(|r| admin::is_admin_resource(&r.indicator))
            {
                return Err(ApiError::invalid(
                    &format!("{prefix}{field}[{i}]"),
                    "consent.admin_scope",
                    "the admin API's scopes can never be permitted to a third-party application",
                ));
            }
            entries.push(ConsentScope { scope_type: kind, scope_ref: e.id().to_owned(), required: e.required() });
        }
    }
    for (i, e) in body.organization_scopes.iter().enumerate() {
        if idp.repos.get_organization_scope(&OrganizationScopeId::from(e.id())).await?.is_none() {
            return Err(ApiError::invalid(
                &format!("{prefix}organizationScopes[{i}]"),
                "consent.unknown_organization_scope",
                format!("no organization scope has the id `{}`", e.id()),
            ));
        }
        entries.push(ConsentScope {
            scope_type: ConsentScopeType::Organization,
            scope_ref: e.id().to_owned(),
            required: e.required(),
        });
    }
    Ok(entries)
}

/// Lists an application's permissions.
#[utoipa::path(tag = "applications",
    responses((status = 200, body = wire::ConsentScopes), (status = 404, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[get("/applications/{id}/user-consent-scopes")]
pub async fn list(idp: web::Data<Core>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let app = third_party(&idp, &id).await?;
    Ok(HttpResponse::Ok().json(described(&idp, &app.id).await?))
}

/// Adds permissions (an existing entry takes the new `required`).
#[utoipa::path(tag = "applications",
    request_body = wire::AddConsentScopes,
    responses((status = 201, body = wire::ConsentScopes), (status = 404, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[post("/applications/{id}/user-consent-scopes")]
pub async fn add(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
    body: web::Json<wire::AddConsentScopes>,
) -> ApiResult<HttpResponse> {
    let app = third_party(&idp, &id).await?;
    let entries = resolve(&idp, &body, "").await?;
    let added: Vec<_> = entries.iter().map(|e| json!({"type": e.scope_type.as_str(), "id": e.scope_ref})).collect();
    let change = Changeset::new(
        "application.permissions.add",
        "application",
        app.id.as_str(),
        json!({"added": added}),
        Change::Application(app.id.clone()),
    )
    .write(Write::AddConsentScopes { app: app.id.clone(), scopes: entries });
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("application")))?;
    Ok(HttpResponse::Created().json(described(&idp, &app.id).await?))
}

/// Removes one permission.
#[utoipa::path(tag = "applications",
    params(("scopeType" = String, Path, description = "user-scopes, resource-scopes, organization-scopes or organization-resource-scopes")),
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/applications/{id}/user-consent-scopes/{scopeType}/{scopeId}")]
pub async fn remove(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, scope_type, scope_id) = path.into_inner();
    let app = third_party(&idp, &id).await?;
    let Some(kind) = type_from_path(&scope_type) else {
        return Err(ApiError::not_found("scope type"));
    };
    let change = Changeset::new(
        "application.permissions.remove",
        "application",
        app.id.as_str(),
        json!({"type": kind.as_str(), "id": scope_id}),
        Change::Application(app.id.clone()),
    )
    .write(Write::DeleteConsentScope { app: app.id.clone(), scope_type: kind, scope_ref: scope_id.clone() });
    idp.apply(&who, change).await.map_err(or_missing(ApiError::not_found("permission")))?;
    Ok(HttpResponse::NoContent().finish())
}
