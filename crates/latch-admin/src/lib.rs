//! The admin REST API under `/api` (DESIGN.md "Admin API"): JSON in camelCase, RFC 9457
//! problem documents for errors, paginated lists, an OpenAPI 3.1 document generated from the
//! code. The console and every script use it; there is no other way in.
//!
//! Architecture invariant: handlers extract, validate with the shared field rules, read through
//! the repositories and change data only through `latch-core` commands (one transaction with its
//! audit entry, then an announcement); `error.rs` is the one place errors become responses. This
//! crate depends on `latch-core` and `latch-types`, never on the IdP (`cargo xtask deps`).

mod applications;
mod audit;
mod auth;
mod branding;
mod email;
mod error;
mod keys;
mod openapi;
mod organization_members;
mod organization_roles;
mod organization_scopes;
mod organizations;
mod page;
mod permissions;
mod registration_policy;
mod resources;
mod roles;
mod sessions;
mod sign_in_experience;
mod user_mfa;
mod users;

pub use auth::{ADMIN_RESOURCE, ADMIN_SCOPE};
pub use openapi::document as openapi_document;

use actix_web::{middleware::from_fn, web};
use latch_core::Core;
use utoipa_actix_web::scope;

/// Registers `/api/*` on an actix-web app. `core` supplies the stores, clock, keys and caches.
pub fn routes(core: web::Data<Core>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.service(api().app_data(core));
    }
}

/// The one place each admin route is registered: every handler carries its method and path in
/// its own attribute, and the OpenAPI document is collected from this same tree (`openapi.rs`).
fn api() -> scope::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    scope::scope("/api")
        .app_data(error::json_config())
        .app_data(error::query_config())
        .app_data(error::path_config())
        .route("/openapi.json", web::get().to(openapi::serve))
        .service(
            scope::scope("")
                .wrap(from_fn(auth::require_admin))
                .configure(applications::routes)
                .configure(permissions::routes)
                .configure(branding::routes)
                .configure(sign_in_experience::routes)
                .configure(email::routes)
                .configure(registration_policy::routes)
                .configure(users::routes)
                .configure(sessions::routes)
                .configure(user_mfa::routes)
                .configure(resources::routes)
                .configure(roles::routes)
                .configure(organizations::routes)
                .configure(organization_members::routes)
                .configure(organization_scopes::routes)
                .configure(organization_roles::routes)
                .configure(keys::routes)
                .configure(audit::routes)
                .default_service(web::to(error::not_found_route)),
        )
        .default_service(web::to(error::not_found_route))
}
