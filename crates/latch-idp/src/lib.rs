//! The identity provider's HTTP surface: `/oidc/*` protocol endpoints and the end-user pages
//! (sign-in, consent). Handlers extract, call the engine and the stores, and map the result;
//! `errors.rs` is the one place engine errors become HTTP responses.

mod authorize;
mod cookies;
mod discovery;
mod errors;
mod flow;
mod pages;
mod ratelimit;
mod state;
mod token;
mod userinfo;

pub use state::{Idp, IdpDeps, IdpSettings, ensure_signing_keys};

use actix_web::web;

/// Registers every IdP route on an actix-web app.
pub fn routes(idp: web::Data<Idp>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(idp)
            .app_data(web::PayloadConfig::new(64 * 1024))
            .route("/oidc/.well-known/openid-configuration", web::get().to(discovery::openid_configuration))
            .route("/.well-known/openid-configuration/oidc", web::get().to(discovery::openid_configuration))
            .route("/.well-known/oauth-authorization-server/oidc", web::get().to(discovery::openid_configuration))
            .route("/oidc/jwks", web::get().to(discovery::jwks))
            .route("/oidc/auth", web::get().to(authorize::authorize))
            .route("/oidc/auth", web::post().to(authorize::authorize))
            .route("/oidc/token", web::post().to(token::token))
            .route("/oidc/me", web::get().to(userinfo::userinfo))
            .route("/oidc/me", web::post().to(userinfo::userinfo))
            .route("/sign-in", web::get().to(flow::sign_in_page))
            .route("/sign-in", web::post().to(flow::sign_in_submit))
            .route("/consent", web::get().to(flow::consent_page))
            .route("/consent", web::post().to(flow::consent_submit))
            .route("/assets/latch.css", web::get().to(pages::stylesheet));
    }
}
