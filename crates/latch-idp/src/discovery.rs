//! Discovery document and JWKS.

use crate::state::Idp;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

pub async fn openid_configuration(idp: web::Data<Idp>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(latch_oidc::discovery::metadata(&idp.settings.issuer))
}

pub async fn jwks(idp: web::Data<Idp>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(idp.keys().jwks().to_string())
}
