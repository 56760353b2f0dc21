//! The identity provider's HTTP surface: `/oidc/*` protocol endpoints and the end-user pages
//! (sign-in, consent). Handlers extract, call the engine and the stores, and map the result;
//! `errors.rs` is the one place engine errors become HTTP responses.

mod account;
mod account_mfa;
mod account_page;
mod authorize;
mod claims;
mod client_documents;
mod consent;
mod cookies;
mod cors;
mod device;
mod discovery;
mod email_codes;
mod errors;
mod flow;
mod i18n;
mod introspection;
mod logout;
mod messages;
mod metrics;
mod pages;
mod passkeys;
mod ratelimit;
mod registration;
mod reset_password;
mod revocation;
mod second_factor;
mod signup;
mod state;
mod token;
mod userinfo;
mod verify_email;

pub use client_documents::DocumentFetcher;
pub use errors::framework_answer;
pub use metrics::describe as describe_metrics;
pub use state::IdpState;

use actix_web::middleware::from_fn;
use actix_web::web;

/// Registers every IdP route on an actix-web app.
pub fn routes(idp: web::Data<IdpState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(idp)
            .app_data(web::PayloadConfig::new(64 * 1024))
            // The end-user pages' query strings and forms: errors are readable pages.
            .app_data(web::QueryConfig::default().error_handler(errors::unreadable_page_request))
            .app_data(web::FormConfig::default().limit(64 * 1024).error_handler(errors::unreadable_page_request))
            .service(cors_resource("/oidc/.well-known/openid-configuration").get(discovery::openid_configuration))
            .service(cors_resource("/.well-known/openid-configuration/oidc").get(discovery::openid_configuration))
            .service(cors_resource("/.well-known/oauth-authorization-server/oidc").get(discovery::openid_configuration))
            .service(cors_resource("/oidc/jwks").get(discovery::jwks))
            .route("/oidc/auth", web::get().to(authorize::authorize))
            .route("/oidc/auth", web::post().to(authorize::authorize))
            .service(cors_resource("/oidc/token").post(token::token))
            .service(cors_resource("/oidc/me").get(userinfo::userinfo).post(userinfo::userinfo))
            .service(cors_resource("/oidc/token/revocation").post(revocation::revoke))
            .service(cors_resource("/oidc/token/introspection").post(introspection::introspect))
            .service(cors_resource("/oidc/reg").post(registration::register))
            .route("/oidc/reg/{client_id}", web::get().to(registration::read))
            .route("/oidc/reg/{client_id}", web::put().to(registration::update))
            .route("/oidc/reg/{client_id}", web::delete().to(registration::delete))
            .service(cors_resource("/oidc/device/auth").post(device::authorize))
            .route("/device", web::get().to(device::entry_page))
            .route("/device", web::post().to(device::entry_submit))
            .route("/oidc/session/end", web::get().to(logout::end_session))
            .route("/oidc/session/end", web::post().to(logout::end_session))
            .route("/oidc/session/end/confirm", web::post().to(logout::confirm))
            .route("/sign-in", web::get().to(flow::sign_in_page))
            .route("/sign-in", web::post().to(flow::sign_in_submit))
            .route("/sign-in/factor", web::get().to(second_factor::page))
            .route("/sign-in/factor", web::post().to(second_factor::submit))
            .route("/sign-up", web::get().to(signup::sign_up_page))
            .route("/sign-up", web::post().to(signup::sign_up_submit))
            .route("/verify-email", web::get().to(verify_email::page))
            .route("/verify-email", web::post().to(verify_email::submit))
            .route("/reset-password", web::get().to(reset_password::page))
            .route("/reset-password", web::post().to(reset_password::submit))
            .route("/consent", web::get().to(consent::consent_page))
            .route("/consent", web::post().to(consent::consent_submit))
            .route("/console/preview/consent", web::get().to(consent::preview))
            .route("/console/preview/consent", web::post().to(consent::preview))
            .route("/account", web::get().to(account_page::page))
            .route("/account/profile", web::post().to(account_page::profile))
            .route("/account/password", web::post().to(account_page::password))
            .route("/account/email", web::post().to(account_page::email))
            .route("/account/sessions/end", web::post().to(account_page::end_sessions))
            .route("/account/mfa", web::post().to(account_mfa::manage))
            .route("/account/mfa/totp", web::post().to(account_mfa::totp))
            .route("/account/mfa/passkey", web::post().to(passkeys::add))
            .route("/sign-in/passkey", web::post().to(passkeys::sign_in))
            .route("/account/apps", web::get().to(account::apps))
            .route("/account/apps/revoke", web::post().to(account::revoke))
            .route("/assets/latch.css", web::get().to(pages::stylesheet))
            .route("/assets/passkey.js", web::get().to(pages::passkey_script))
            .route("/assets/brand.css", web::get().to(pages::brand_stylesheet));
    }
}

/// A resource browsers may call cross-origin (see `cors.rs`).
fn cors_resource(path: &str) -> CorsResource {
    CorsResource(web::resource(path))
}

/// Builder that keeps CORS wrapping in one place.
struct CorsResource(actix_web::Resource);

impl CorsResource {
    fn get<F, Args>(self, handler: F) -> CorsResource
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        CorsResource(self.0.route(web::get().to(handler)))
    }

    fn post<F, Args>(self, handler: F) -> CorsResource
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        CorsResource(self.0.route(web::post().to(handler)))
    }
}

impl actix_web::dev::HttpServiceFactory for CorsResource {
    fn register(self, config: &mut actix_web::dev::AppService) {
        // OPTIONS reaches the middleware, which answers the preflight itself.
        let resource = self
            .0
            .route(web::method(actix_web::http::Method::OPTIONS).to(actix_web::HttpResponse::NoContent))
            .wrap(from_fn(cors::cors));
        resource.register(config)
    }
}
