//! `/api/configs/oidc/private-keys`: the signing keys (public facts only).

use crate::audit;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use actix_web::{HttpResponse, web};
use latch_idp::Idp;
use latch_types as wire;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/configs/oidc/private-keys", web::get().to(list))
        .route("/configs/oidc/private-keys/rotate", web::post().to(rotate));
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

/// Rotates the signing keys: new current keys; the old ones stay published as previous, so
/// tokens they signed keep verifying. Every node switches at once.
#[utoipa::path(post, path = "/api/configs/oidc/private-keys/rotate", tag = "keys",
    responses((status = 200, body = [wire::PrivateKey])), security(("bearer" = [])))]
pub async fn rotate(idp: web::Data<Idp>, who: web::ReqData<Principal>) -> ApiResult<HttpResponse> {
    idp.rotate_keys().await.map_err(|e| {
        tracing::error!(error = %e, "key rotation failed");
        ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "keys.rotation_failed",
            "the keys could not be rotated",
        )
    })?;
    audit::record(&idp, &who, "keys.rotate", "keys", "oidc", serde_json::json!({})).await;
    list(idp).await
}
