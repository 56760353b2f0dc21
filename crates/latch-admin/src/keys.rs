//! `/api/configs/oidc/private-keys`: the signing keys (public facts only).

use crate::audit;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::page::{self, PageQuery};
use actix_web::{HttpResponse, web};
use latch_idp::Idp;
use latch_types as wire;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/configs/oidc/private-keys", web::get().to(list))
        .route("/configs/oidc/private-keys/rotate", web::post().to(rotate));
}

/// The keys as the API shows them.
async fn all(idp: &Idp) -> ApiResult<Vec<wire::PrivateKey>> {
    Ok(idp
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
        .collect())
}

/// Lists the signing keys: id, algorithm, state (`next`, `current`, `previous`). Private
/// material never leaves the server.
#[utoipa::path(get, path = "/api/configs/oidc/private-keys", tag = "keys", params(PageQuery),
    responses((status = 200, body = [wire::PrivateKey], headers(("Total-Number" = i64)))), security(("bearer" = [])))]
pub async fn list(idp: web::Data<Idp>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    Ok(page::slice(&all(&idp).await?, q.page()?))
}

/// Rotates the signing keys: next keys become current, the current ones stay published as
/// previous for the grace period (tokens they signed keep verifying), new next keys are
/// published. Every node switches at once. Answers with all keys.
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
    Ok(HttpResponse::Ok().json(all(&idp).await?))
}
