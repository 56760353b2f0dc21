//! `/api/configs/oidc/private-keys`: the signing keys (public facts only).

use crate::error::ApiResult;
use actix_web::{HttpResponse, web};
use latch_idp::Idp;
use latch_types as wire;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/configs/oidc/private-keys", web::get().to(list));
}

/// Lists the signing keys: id, algorithm, state. Private material never leaves the server.
#[utoipa::path(get, path = "/api/configs/oidc/private-keys", tag = "keys",
    responses((status = 200, body = [wire::PrivateKey])), security(("bearer" = [])))]
pub async fn list(idp: web::Data<Idp>) -> ApiResult<HttpResponse> {
    let keys: Vec<wire::PrivateKey> = idp
        .repos
        .list_signing_keys()
        .await?
        .into_iter()
        .map(|k| wire::PrivateKey {
            id: k.kid.to_string(),
            alg: k.alg,
            state: k.state.as_str().to_owned(),
            created_at: k.created_at.0,
        })
        .collect();
    Ok(HttpResponse::Ok().json(keys))
}
