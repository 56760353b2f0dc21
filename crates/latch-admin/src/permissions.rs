//! `/api/applications/{id}/user-consent-scopes`: what a third-party application may ask for
//! (DESIGN.md "Third-party app rules"). Entries are user-scope names, resource scope ids,
//! organization scope ids or organization-resource scope ids; each required or optional.

use crate::applications::load;
use crate::error::{ApiError, ApiResult, or_missing};
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post};
use latch_core::catalog::Change;
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

/// The allow-list of `app` as the console shows it: each entry with its name, words or
/// description, and resource, in a fixed number of queries whatever its length.
async fn described(idp: &Core, app: &ApplicationId) -> ApiResult<wire::ConsentScopes> {
    let all = idp.repos.list_consent_scopes(app).await?;
    let ids = |t: ConsentScopeType| all.iter().filter(move |c| c.scope_type == t).map(|c| c.scope_ref.clone());
    let scope_ids: Vec<ScopeId> =
        ids(ConsentScopeType::Resource).chain(ids(ConsentScopeType::OrganizationResource)).map(ScopeId).collect();
    let org_ids: Vec<OrganizationScopeId> = ids(ConsentScopeType::Organization).map(OrganizationScopeId).collect();
    let resource_scopes = idp.repos.scopes_with_resources(&scope_ids).await?;
    let org_scopes = idp.repos.organization_scopes_by_ids(&org_ids).await?;
    let required =
        |t: ConsentScopeType, id: &str| all.iter().find(|c| c.scope_type == t && c.scope_ref == id).map(|c| c.required);
    let user_scopes = all
        .iter()
        .filter(|c| c.scope_type == ConsentScopeType::User)
        .map(|c| wire::ConsentScope {
            id: c.scope_ref.clone(),
            required: c.required,
            name: c.scope_ref.clone(),
            description: scope::wording(&c.scope_ref, "en").map(str::to_owned),
            resource: None,
        })
        .collect();
    // `scopes_with_resources` answers grouped by resource name, then scope name.
    let with_resource = |t: ConsentScopeType| {
        resource_scopes
            .iter()
            .filter_map(|(s, r)| {
                required(t, s.id.as_str()).map(|required| wire::ConsentScope {
                    id: s.id.to_string(),
                    required,
                    name: s.name.clone(),
                    description: Some(s.description.clone()).filter(|d| !d.is_empty()),
                    resource: Some(wire::ConsentResource {
                        id: r.id.to_string(),
                        name: r.name.clone(),
                        indicator: r.indicator.clone(),
                    }),
                })
            })
            .collect()
    };
    let organization_scopes = org_scopes
        .iter()
        .filter_map(|s| {
            required(ConsentScopeType::Organization, s.id.as_str()).map(|required| wire::ConsentScope {
                id: s.id.to_string(),
                required,
                name: s.name.clone(),
                description: Some(s.description.clone()).filter(|d| !d.is_empty()),
                resource: None,
            })
        })
        .collect();
    Ok(wire::ConsentScopes {
        user_scopes,
        resource_scopes: with_resource(ConsentScopeType::Resource),
        organization_scopes,
        organization_resource_scopes: with_resource(ConsentScopeType::OrganizationResource),
    })
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
    let mut entries = Vec::new();
    for (i, e) in body.user_scopes.iter().enumerate() {
        if !scope::is_user_scope(e.id()) || e.id() == scope::OPENID {
            return Err(ApiError::invalid(
                &format!("userScopes[{i}]"),
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
                    &format!("{field}[{i}]"),
                    "consent.unknown_scope",
                    format!("no API resource scope has the id `{}`", e.id()),
                ));
            };
            // DESIGN.md "Scopes are per resource": the admin API is never a third-party permission.
            if idp.repos.get_resource(&found.resource_id).await?.is_some_and(|r| admin::is_admin_resource(&r.indicator))
            {
                return Err(ApiError::invalid(
                    &format!("{field}[{i}]"),
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
                &format!("organizationScopes[{i}]"),
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
