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
    tags(
        (name = "applications"), (name = "users"), (name = "resources"), (name = "roles"), (name = "organizations"),
        (name = "registration"), (name = "email"), (name = "keys"), (name = "audit"),
    )
)]
struct AdminApi;

/// The document as JSON: the paths and schemas collected from the routes `crate::api` registers
/// (each written once, on its handler), under this crate's info, tags and security scheme.
pub fn document() -> String {
    use utoipa_actix_web::AppExt;
    let (_, routes) = actix_web::App::new().into_utoipa_app().service(crate::api()).split_for_parts();
    let mut api = AdminApi::openapi();
    api.merge(routes);
    BearerAuth.modify(&mut api);
    Problems.modify(&mut api);
    api.to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
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
