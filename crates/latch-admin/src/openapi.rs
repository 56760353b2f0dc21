//! The OpenAPI 3.1 document, generated from the handlers' annotations and the wire types.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

/// Errors are RFC 9457 problem documents: every 4xx answer is `application/problem+json`, and
/// every operation documents the answers any request can get (400 malformed, 401, 403).
struct Problems;

impl Modify for Problems {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = || ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
        for item in api.paths.paths.values_mut() {
            for op in
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
            {
                for (status, reason) in [
                    ("400", "Malformed request"),
                    ("401", "No valid admin token"),
                    ("403", "The token lacks the `all` scope"),
                ] {
                    op.responses.responses.entry(status.to_owned()).or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(reason)
                                .content("application/problem+json", problem())
                                .build(),
                        )
                    });
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    if let (true, RefOr::T(r)) = (status.starts_with('4') || status.starts_with('5'), response)
                        && let Some(content) = r.content.shift_remove("application/json")
                    {
                        r.content.insert("application/problem+json".to_owned(), content);
                    }
                }
            }
        }
    }
}

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Latch admin API", description = "Manage applications, users, API resources and roles. \
        Authenticate with a bearer access token for the resource `urn:latch:api:admin` with scope `all`."),
    modifiers(&BearerAuth, &Problems),
    paths(
        crate::applications::list, crate::applications::create, crate::applications::get,
        crate::applications::patch, crate::applications::delete, crate::applications::list_secrets,
        crate::applications::create_secret, crate::applications::delete_secret, crate::applications::list_roles,
        crate::applications::add_roles, crate::applications::remove_role,
        crate::permissions::list, crate::permissions::add, crate::permissions::remove,
        crate::branding::get, crate::branding::put,
        crate::users::list, crate::users::create, crate::users::get, crate::users::patch, crate::users::delete,
        crate::users::set_password, crate::users::list_roles, crate::users::add_roles, crate::users::remove_role,
        crate::users::list_grants, crate::users::revoke_grant,
        crate::sessions::list, crate::sessions::delete_all, crate::sessions::delete_one,
        crate::resources::list, crate::resources::create, crate::resources::get, crate::resources::patch,
        crate::resources::delete, crate::resources::list_scopes, crate::resources::create_scope,
        crate::resources::delete_scope,
        crate::roles::list, crate::roles::create, crate::roles::get, crate::roles::patch, crate::roles::delete,
        crate::roles::list_scopes, crate::roles::add_scopes, crate::roles::remove_scope, crate::roles::list_users,
        crate::roles::add_users, crate::roles::remove_user,
        crate::organizations::list, crate::organizations::create, crate::organizations::get,
        crate::organizations::patch, crate::organizations::delete,
        crate::organization_members::list_members, crate::organization_members::add_members,
        crate::organization_members::remove_member, crate::organization_members::list_member_roles,
        crate::organization_members::set_member_roles, crate::organization_members::add_member_roles,
        crate::organization_scopes::list_scopes, crate::organization_scopes::create_scope,
        crate::organization_scopes::get_scope, crate::organization_scopes::patch_scope,
        crate::organization_scopes::delete_scope,
        crate::organization_roles::list_roles, crate::organization_roles::create_role,
        crate::organization_roles::get_role, crate::organization_roles::patch_role,
        crate::organization_roles::delete_role, crate::organization_roles::list_role_scopes,
        crate::organization_roles::add_role_scopes, crate::organization_roles::remove_role_scope,
        crate::organization_roles::list_role_resource_scopes, crate::organization_roles::add_role_resource_scopes,
        crate::organization_roles::remove_role_resource_scope,
        crate::keys::list, crate::keys::rotate, crate::audit::list,
    ),
    tags(
        (name = "applications"), (name = "users"), (name = "resources"), (name = "roles"), (name = "organizations"),
        (name = "keys"), (name = "audit"),
    )
)]
struct AdminApi;

/// The document as JSON.
pub fn document() -> String {
    AdminApi::openapi().to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document())
}

#[cfg(test)]
mod tests {
    /// The document is pinned: a change to the API shows in review.
    #[test]
    fn openapi_document_snapshot() {
        let doc: serde_json::Value = serde_json::from_str(&super::document()).unwrap_or_default();
        insta::assert_json_snapshot!(doc);
    }
}
