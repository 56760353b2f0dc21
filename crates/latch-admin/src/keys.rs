//! `/api/configs/oidc/private-keys`: the signing keys (public facts only).

use crate::error::{ApiError, ApiResult};
use crate::page::{self, PageQuery};
use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use latch_core::{Actor, Core};
use latch_types as wire;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(rotate);
}

/// The keys as the API shows them.
fn to_wire(keys: Vec<latch_domain::entities::SigningKey>) -> Vec<wire::PrivateKey> {
    keys.into_iter()
        .map(|k| wire::PrivateKey {
            id: k.kid.to_string(),
            alg: k.alg,
            state: k.state.as_str().to_owned(),
            created_at: k.created_at.0,
        })
        .collect()
}

/// Lists the signing keys: id, algorithm, state (`next`, `current`, `previous`). Private
/// material never leaves the server.
#[utoipa::path(tag = "keys", params(PageQuery),
    responses((status = 200, body = [wire::PrivateKey], headers(("Total-Number" = i64)))), security(("bearer" = [])))]
#[get("/configs/oidc/private-keys")]
pub async fn list(idp: web::Data<Core>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (keys, total) = idp.repos.page_signing_keys(q.page()?).await?;
    Ok(page::respond(&to_wire(keys), total))
}

/// Rotates the signing keys: next keys become current, the current ones stay published as
/// previous for the grace period (tokens they signed keep verifying), new next keys are
/// published. Every node switches at once. Answers with all keys.
#[utoipa::path(tag = "keys",
    responses((status = 200, body = [wire::PrivateKey])), security(("bearer" = [])))]
#[post("/configs/oidc/private-keys/rotate")]
pub async fn rotate(idp: web::Data<Core>, who: web::ReqData<Actor>) -> ApiResult<HttpResponse> {
    latch_core::commands::rotate_keys(&idp, &who).await.map_err(|e| {
        tracing::error!(error = %e, "key rotation failed");
        ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "keys.rotation_failed",
            "the keys could not be rotated",
        )
    })?;
    Ok(HttpResponse::Ok().json(to_wire(idp.repos.list_signing_keys().await?)))
}
