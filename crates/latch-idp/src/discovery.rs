//! Discovery document and JWKS.

use crate::i18n::Lang;
use crate::state::IdpState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

pub async fn openid_configuration(idp: web::Data<IdpState>) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=300")).json(
        latch_oidc::discovery::metadata(
            &idp.core.settings.issuer,
            &Lang::ALL.map(Lang::code),
            &idp.core.registration_policy(),
        ),
    )
}

pub async fn jwks(idp: web::Data<IdpState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(idp.core.keys().jwks().to_string())
}
